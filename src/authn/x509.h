/* x509.h — the client-certificate authenticator (upstream k8s.io/apiserver
 * pkg/authentication/request/x509, with CommonNameUserConversion).
 *
 * A verified client certificate authenticates as:
 *   name   = the subject's CommonName (the last CN attribute, as Go's pkix.Name keeps it)
 *   groups = the subject's Organization values, in order
 *   uid    = none
 *   extra  = {"authentication.kubernetes.io/credential-id": ["X509SHA256=<hex sha256 of DER>"]}
 *            (added upstream in 1.32, kubernetes PR #125634)
 * Like Go's x509.Verify with KeyUsages=[clientAuth], a certificate with an extendedKeyUsage
 * extension must list clientAuth (or anyExtendedKeyUsage); one with no such extension is
 * accepted for any usage. A subject without a CommonName yields no user (not an error).
 *
 * THREADS: x509_user_from_ssl may run on any thread without the biglock (it reads only the
 * given connection's certificate); call it on the thread that owns that SSL object. */
#ifndef ANZEN_AUTHN_X509_H
#define ANZEN_AUTHN_X509_H

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "machinery/user.h"

#define AZ_X509_CREDENTIAL_ID_KEY "authentication.kubernetes.io/credential-id"

/* The user of the TLS connection's client certificate. Returns 0 and fills *ret (which the
 * caller releases with user_info_release); AZ_ENOTFOUND when no certificate was presented or
 * its subject has no CN; AZ_EUNAUTHORIZED when a certificate was presented but did not
 * verify, lacks clientAuth, or is outside its validity period now. *ret is untouched on
 * failure. */
int x509_user_from_ssl(SSL *ssl, struct user_info *ret);

/* As x509_user_from_ssl, with group added (the chain's finishing group), lent: *ret is
 * borrowed from the connection's memo (ret->borrowed; user_info_release only forgets it) and
 * stays valid while the SSL object lives and serves the same certificate, i.e. for the
 * request being served on the owning thread. Copy it (user_info_copy) to keep it longer.
 * When the memo cannot be made, *ret is an owned user instead. */
int x509_user_lend(SSL *ssl, const char *group, struct user_info *ret);

/* The same decision for a certificate and its verification result (X509_V_OK when the chain
 * verified); cert may be NULL (AZ_ENOTFOUND). */
int x509_user_from_cert(X509 *cert, long verify_result, struct user_info *ret);

#endif
