/* x509.c — client-certificate authentication; the mapping is described in x509.h. */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "authn/x509.h"
#include "util/buf.h"
#include "util/err.h"

/* The UTF-8 text of a name entry's value, malloc'd; NULL when it cannot be converted or holds
 * a NUL byte. */
static char *name_entry_utf8(const X509_NAME_ENTRY *e)
{
    unsigned char *utf8 = NULL;
    int n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(e));
    char *r;

    if (n < 0)
        return NULL;
    if (memchr(utf8, '\0', (size_t)n) != NULL) {
        OPENSSL_free(utf8);
        return NULL;
    }
    r = xstrndup((const char *)utf8, (size_t)n);
    OPENSSL_free(utf8);
    return r;
}

/* Go's x509.Verify with KeyUsages=[clientAuth]: no EKU extension means any usage. */
static int usable_for_client_auth(X509 *cert)
{
    uint32_t flags = X509_get_extension_flags(cert);

    if (flags & EXFLAG_INVALID)
        return 0;
    if (!(flags & EXFLAG_XKUSAGE))
        return 1;
    return (X509_get_extended_key_usage(cert) & (XKU_SSL_CLIENT | XKU_ANYEKU)) != 0;
}

static json_t *credential_id_extra(X509 *cert)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    char value[sizeof("X509SHA256=") + 2 * EVP_MAX_MD_SIZE];
    static const char hex[] = "0123456789abcdef";
    size_t off = strlen("X509SHA256=");

    if (X509_digest(cert, EVP_sha256(), md, &mdlen) != 1)
        return NULL;
    memcpy(value, "X509SHA256=", off);
    for (unsigned int i = 0; i < mdlen; i++) {
        value[off++] = hex[md[i] >> 4];
        value[off++] = hex[md[i] & 0xf];
    }
    value[off] = '\0';
    return json_pack("{s:[s]}", AZ_X509_CREDENTIAL_ID_KEY, value);
}

int x509_user_from_cert(X509 *cert, long verify_result, struct user_info *ret)
{
    struct user_info u;
    const X509_NAME *subject;
    int cn_pos = -1;

    if (cert == NULL)
        return AZ_ENOTFOUND;
    if (verify_result != X509_V_OK || !usable_for_client_auth(cert))
        return AZ_EUNAUTHORIZED;
    /* The handshake checked the validity period; a long-lived connection can outlive it. */
    if (X509_cmp_current_time(X509_get0_notBefore(cert)) >= 0 ||
        X509_cmp_current_time(X509_get0_notAfter(cert)) <= 0)
        return AZ_EUNAUTHORIZED;

    subject = X509_get_subject_name(cert);
    for (int i = -1; (i = X509_NAME_get_index_by_NID(subject, NID_commonName, i)) >= 0;)
        cn_pos = i;
    if (cn_pos < 0)
        return AZ_ENOTFOUND;

    memset(&u, 0, sizeof(u));
    u.name = name_entry_utf8(X509_NAME_get_entry(subject, cn_pos));
    if (u.name == NULL)
        return AZ_EUNAUTHORIZED;
    if (u.name[0] == '\0') {
        user_info_release(&u);
        return AZ_ENOTFOUND;
    }
    for (int i = -1; (i = X509_NAME_get_index_by_NID(subject, NID_organizationName, i)) >= 0;) {
        char *org = name_entry_utf8(X509_NAME_get_entry(subject, i));
        if (org == NULL) {
            user_info_release(&u);
            return AZ_EUNAUTHORIZED;
        }
        user_info_add_group(&u, org);
        free(org);
    }
    u.extra = credential_id_extra(cert);
    if (u.extra == NULL) {
        user_info_release(&u);
        return AZ_EINTERNAL;
    }
    *ret = u;
    return 0;
}

/* Each connection remembers the user of its client certificate (attached to the SSL object
 * as ex_data, holding a reference to the certificate, so the pointer names that certificate
 * as long as it is remembered), with the validity period: the next request on the connection
 * skips the SHA-256 of the DER, the subject's decoding and the two ASN.1 time comparisons
 * (~20% of a GET's CPU with a client certificate). A per-thread memo of the last certificate
 * missed whenever a loop served several clients' connections in turn. The memo is freed with
 * the SSL object, on the thread that owns the connection. */
struct x509_memo {
    X509 *cert;
    struct user_info user;     /* the certificate's user */
    struct user_info finished; /* user + the chain's finishing group, lent to requests (name
                                  NULL until first lent) */
    time_t not_before, not_after;
};

static int x509_memo__index = -1;
static pthread_once_t x509_memo__once = PTHREAD_ONCE_INIT;

static void x509_memo_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
    (void)parent;
    (void)ad;
    (void)idx;
    (void)argl;
    (void)argp;
    struct x509_memo *m = ptr;
    if (m == NULL)
        return;
    X509_free(m->cert);
    user_info_release(&m->user);
    user_info_release(&m->finished);
    free(m);
}

static void x509_memo_init(void)
{
    x509_memo__index = SSL_get_ex_new_index(0, NULL, NULL, NULL, x509_memo_free);
    if (x509_memo__index < 0)
        abort();
}

static bool asn1_time_t(const ASN1_TIME *t, time_t *ret)
{
    struct tm tm;
    if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
        return false;
    *ret = timegm(&tm);
    return *ret != (time_t)-1;
}

/* The connection's memo for its current certificate, made or renewed as needed: 0 and
 * *ret_m; or, when nothing could be remembered, 0 with *ret_m NULL and the user in *ret_user
 * (owned); or the failure of x509_user_from_cert (AZ_EUNAUTHORIZED also when the remembered
 * validity period is over). */
static int memo_for(SSL *ssl, struct x509_memo **ret_m, struct user_info *ret_user)
{
    X509 *cert = SSL_get0_peer_certificate(ssl);

    *ret_m = NULL;
    if (cert == NULL)
        return AZ_ENOTFOUND;
    long verify_result = SSL_get_verify_result(ssl);
    pthread_once(&x509_memo__once, x509_memo_init);
    struct x509_memo *m = SSL_get_ex_data(ssl, x509_memo__index);
    if (m != NULL && m->cert == cert && verify_result == X509_V_OK) {
        /* as X509_cmp_current_time in x509_user_from_cert: valid after notBefore, before
         * notAfter */
        time_t now = time(NULL);
        if (m->not_before > now || m->not_after <= now)
            return AZ_EUNAUTHORIZED;
        *ret_m = m;
        return 0;
    }
    struct user_info u;
    int rc = x509_user_from_cert(cert, verify_result, &u);
    if (rc != 0)
        return rc;
    time_t nb, na;
    if (!asn1_time_t(X509_get0_notBefore(cert), &nb) || !asn1_time_t(X509_get0_notAfter(cert), &na))
        goto unremembered;
    if (m == NULL) {
        m = xcalloc(1, sizeof(*m));
        if (SSL_set_ex_data(ssl, x509_memo__index, m) != 1) {
            free(m);
            goto unremembered;
        }
    }
    if (X509_up_ref(cert) != 1)
        goto unremembered;
    /* a new certificate on the connection (TLS 1.2 renegotiation): HTTP/1.1 serves one
     * request at a time, so no request still borrows the old user */
    X509_free(m->cert);
    user_info_release(&m->user);
    user_info_release(&m->finished);
    m->cert = cert;
    m->user = u;
    m->not_before = nb;
    m->not_after = na;
    *ret_m = m;
    return 0;
unremembered:
    *ret_user = u;
    return 0;
}

int x509_user_from_ssl(SSL *ssl, struct user_info *ret)
{
    struct x509_memo *m;
    struct user_info u;
    int rc = memo_for(ssl, &m, &u);
    if (rc != 0)
        return rc;
    if (m == NULL)
        *ret = u;
    else
        user_info_copy(ret, &m->user);
    return 0;
}

int x509_user_lend(SSL *ssl, const char *group, struct user_info *ret)
{
    struct x509_memo *m;
    struct user_info u;
    int rc = memo_for(ssl, &m, &u);
    if (rc != 0)
        return rc;
    if (m == NULL) {
        user_info_add_group(&u, group);
        *ret = u;
        return 0;
    }
    if (m->finished.name == NULL) {
        user_info_copy(&m->finished, &m->user);
        user_info_add_group(&m->finished, group);
    }
    *ret = m->finished;
    ret->borrowed = true;
    return 0;
}
