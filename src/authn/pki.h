/* pki.h — the cluster's certificates and keys, and the TLS server context built from them.
 *
 * `anzen serve --data-dir DIR` keeps its PKI in DIR/pki/ (mode 0700):
 *
 *   file            mode  content
 *   --------------  ----  ------------------------------------------------------------------
 *   ca.crt          0644  self-signed CA, ECDSA P-256, CN=anzen-ca, 10 years,
 *                         basicConstraints CA:TRUE (critical),
 *                         keyUsage keyCertSign,cRLSign,digitalSignature (critical), SKID
 *   ca.key          0600  the CA's private key (PKCS#8 PEM)
 *   apiserver.crt   0644  serving cert, CN=kube-apiserver, signed by the CA, 1 year,
 *                         EKU serverAuth, SANs: DNS localhost, kubernetes, kubernetes.default,
 *                         kubernetes.default.svc, kubernetes.default.svc.cluster.local,
 *                         IP 127.0.0.1, ::1, plus the caller's extra SANs
 *   apiserver.key   0600  its private key (ECDSA P-256, PKCS#8 PEM)
 *   admin.crt       0644  client cert O=system:masters, CN=kubernetes-admin, 1 year,
 *                         EKU clientAuth
 *   admin.key       0600  its private key (ECDSA P-256, PKCS#8 PEM)
 *   sa.key          0600  ServiceAccount token signing key, RSA-2048, PKCS#8 PEM
 *   sa.pub          0644  its public key (SubjectPublicKeyInfo PEM, "PUBLIC KEY")
 *
 * Files are written to a temporary name (keys: O_CREAT|O_EXCL, mode 0600 from birth) and
 * renamed into place. On restart every file that exists and is still valid is loaded, so keys
 * survive; a leaf cert that no longer verifies against the CA, expires within 30 days, or (the
 * serving cert) lacks a requested SAN is re-issued — keeping its key — and nothing else. */
#ifndef ANZEN_AUTHN_PKI_H
#define ANZEN_AUTHN_PKI_H

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

struct pki {
    char *dir;                  /* DATA_DIR/pki */
    char *ca_cert_path;         /* DIR/ca.crt */
    char *ca_key_path;          /* DIR/ca.key */
    char *serving_cert_path;    /* DIR/apiserver.crt */
    char *serving_key_path;     /* DIR/apiserver.key */
    char *admin_cert_path;      /* DIR/admin.crt */
    char *admin_key_path;       /* DIR/admin.key */
    char *sa_key_path;          /* DIR/sa.key */
    char *sa_pub_path;          /* DIR/sa.pub */

    X509 *ca_cert;              /* the cluster CA: signs every cert here, verifies client certs */
    EVP_PKEY *ca_key;           /* the CA's private key */
    char *ca_pem;               /* PEM text of ca_cert (for kubeconfigs, kube-root-ca.crt) */

    X509 *serving_cert;         /* the apiserver's TLS certificate */
    EVP_PKEY *serving_key;      /* its private key */

    X509 *admin_cert;           /* client cert of kubernetes-admin (O=system:masters) */
    EVP_PKEY *admin_key;        /* its private key */
    char *admin_cert_pem;       /* PEM text of admin_cert */
    char *admin_key_pem;        /* PEM text of admin_key (PKCS#8) */

    EVP_PKEY *sa_key;           /* RSA-2048 ServiceAccount token signing key (private) */
    char *sa_pub_pem;           /* PEM text of its public key (SubjectPublicKeyInfo) */
};

/* Loads or creates DATA_DIR/pki/ as described above. extra_sans is NULL or a NULL-terminated
 * list of extra subjectAltNames for the serving cert: IP literals (v4 or v6) become IP SANs,
 * anything else must be a DNS name (letters, digits, '-', '.', '*'; at most 253 bytes) and
 * becomes a DNS SAN. On success *ret is a new struct pki (free with pki_free). On failure
 * returns AZ_EINVALID (bad SAN, one of a key/cert pair missing), AZ_EIO (file system) or
 * AZ_EINTERNAL (OpenSSL), and *ret_err (if ret_err is not NULL) gets a malloc'd message. */
int pki_ensure(const char *data_dir, const char *const *extra_sans, struct pki **ret,
               char **ret_err);

/* Frees everything; NULL does nothing. */
void pki_free(struct pki *p);

/* Writes a kubeconfig (mode 0600, atomically) for the admin user: cluster "anzen" (server_url,
 * certificate-authority-data), user "admin" (client-certificate-data, client-key-data),
 * context "anzen" (namespace default), current-context anzen. server_url must not contain
 * control characters (AZ_EINVALID). AZ_EIO on file errors. */
int pki_write_kubeconfig(const struct pki *p, const char *path, const char *server_url,
                         char **ret_err);

/* Issues a fresh ECDSA P-256 client certificate signed by the CA: subject O=orgs[0], O=orgs[1],
 * ..., CN=cn (orgs is NULL or NULL-terminated), EKU clientAuth, valid 1 year. On success
 * *ret_cert_pem and *ret_key_pem (PKCS#8) are malloc'd PEM strings owned by the caller. */
int pki_issue_client_cert(const struct pki *p, const char *cn, const char *const *orgs,
                          char **ret_cert_pem, char **ret_key_pem, char **ret_err);

/* A new TLS server context: TLS 1.2+ with AEAD ECDHE ciphers, the serving cert and key, and
 * client certificates requested and verified against the CA when given (SSL_VERIFY_PEER
 * without FAIL_IF_NO_PEER_CERT: no certificate is fine, a certificate that does not verify —
 * unknown issuer, expired, no clientAuth usage — fails the handshake). A session id context
 * is set. ALPN is left to the caller. Returns NULL (and *ret_err) on failure. */
SSL_CTX *pki_server_ssl_ctx(const struct pki *p, char **ret_err);

#endif
