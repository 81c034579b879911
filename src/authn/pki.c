/* pki.c — the cluster CA, serving/admin/ServiceAccount keys and the TLS server context.
 * File layout, modes and regeneration rules: see pki.h. OpenSSL 3 EVP/X509 APIs only. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "authn/pki.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/util.h"

#define PKI_CA_DAYS (10 * 365)
#define PKI_LEAF_DAYS 365
#define PKI_RENEW_BEFORE_DAYS 30     /* re-issue a leaf cert that expires sooner than this */
#define PKI_BACKDATE_SECONDS 300     /* notBefore = now - 5 min, for clock skew */
#define PKI_MAX_FILE (1 << 20)       /* largest PEM file we read */
#define PKI_MAX_DNS_SAN 253

static const char *const default_sans[] = {
    "localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
    "kubernetes.default.svc.cluster.local", "127.0.0.1", "::1", NULL,
};
static const char *const admin_orgs[] = { "system:masters", NULL };

/* ---- errors ---------------------------------------------------------------------------- */

/* Sets *ret_err to a new "pki: MSG" plus the first queued OpenSSL error (if any); clears the
 * queue. Called once per failure path. Returns code so callers can `return pki_fail(...)`. */
__attribute__((format(printf, 3, 4)))
static int pki_fail(char **ret_err, int code, const char *fmt, ...)
{
    char msg[512], ossl[256] = "";
    unsigned long e = ERR_get_error();
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (e != 0)
        ERR_error_string_n(e, ossl, sizeof(ossl));
    ERR_clear_error();
    if (ret_err != NULL)
        *ret_err = xasprintf("pki: %s%s%s", msg, ossl[0] ? ": " : "", ossl);
    return code;
}

static char *path_join(const char *dir, const char *name)
{
    return xasprintf("%s/%s", dir, name);
}

/* ---- files ----------------------------------------------------------------------------- */

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* Reads a whole file (at most PKI_MAX_FILE bytes) into a NUL-terminated malloc'd buffer.
 * AZ_ENOTFOUND if it does not exist, AZ_EIO otherwise. */
static int read_file(const char *path, char **ret_buf, size_t *ret_len, char **ret_err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    char *buf;
    size_t len = 0;

    if (fd < 0) {
        if (errno == ENOENT)
            return AZ_ENOTFOUND;
        return pki_fail(ret_err, AZ_EIO, "open %s: %s", path, strerror(errno));
    }
    buf = xmalloc(PKI_MAX_FILE + 1);
    for (;;) {
        ssize_t n = read(fd, buf + len, PKI_MAX_FILE + 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;
            close(fd);
            free(buf);
            return pki_fail(ret_err, AZ_EIO, "read %s: %s", path, strerror(e));
        }
        if (n == 0)
            break;
        len += (size_t)n;
        if (len > PKI_MAX_FILE) {
            close(fd);
            free(buf);
            return pki_fail(ret_err, AZ_EIO, "%s: larger than %d bytes", path, PKI_MAX_FILE);
        }
    }
    close(fd);
    buf[len] = '\0';
    *ret_buf = buf;
    if (ret_len != NULL)
        *ret_len = len;
    return 0;
}

/* Writes data to path atomically with exactly the given mode: PATH.tmp is created with
 * O_CREAT|O_EXCL|O_CLOEXEC and `mode` (so a key is never readable by others, not even
 * briefly), written, fsync'd and renamed over path. */
static int write_file_atomic(const char *path, const char *data, size_t len, mode_t mode,
                             char **ret_err)
{
    char *tmp = xasprintf("%s.tmp", path);
    int fd, rc = AZ_EIO;
    size_t off = 0;

    if (unlink(tmp) < 0 && errno != ENOENT) {
        pki_fail(ret_err, AZ_EIO, "unlink %s: %s", tmp, strerror(errno));
        goto out_free;
    }
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) {
        pki_fail(ret_err, AZ_EIO, "create %s: %s", tmp, strerror(errno));
        goto out_free;
    }
    if (fchmod(fd, mode) < 0) {     /* the umask may have taken bits away from 0644 */
        pki_fail(ret_err, AZ_EIO, "chmod %s: %s", tmp, strerror(errno));
        goto out_close;
    }
    while (off < len) {
        ssize_t n = write(fd, data + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            pki_fail(ret_err, AZ_EIO, "write %s: %s", tmp, strerror(errno));
            goto out_close;
        }
        off += (size_t)n;
    }
    if (fsync(fd) < 0) {
        pki_fail(ret_err, AZ_EIO, "fsync %s: %s", tmp, strerror(errno));
        goto out_close;
    }
    if (close(fd) < 0) {
        fd = -1;
        pki_fail(ret_err, AZ_EIO, "close %s: %s", tmp, strerror(errno));
        goto out_unlink;
    }
    fd = -1;
    if (rename(tmp, path) < 0) {
        pki_fail(ret_err, AZ_EIO, "rename %s: %s", tmp, strerror(errno));
        goto out_unlink;
    }
    rc = 0;
    goto out_free;

out_close:
    close(fd);
out_unlink:
    unlink(tmp);
out_free:
    free(tmp);
    return rc;
}

/* Creates dir with mode; an existing directory is fine, and is chmod'ed to mode if
 * force_mode. */
static int ensure_dir(const char *dir, mode_t mode, int force_mode, char **ret_err)
{
    struct stat st;

    if (mkdir(dir, mode) == 0)
        return 0;
    if (errno != EEXIST)
        return pki_fail(ret_err, AZ_EIO, "mkdir %s: %s", dir, strerror(errno));
    if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
        return pki_fail(ret_err, AZ_EIO, "%s exists and is not a directory", dir);
    if (force_mode && (st.st_mode & 07777) != mode && chmod(dir, mode) < 0)
        return pki_fail(ret_err, AZ_EIO, "chmod %s: %s", dir, strerror(errno));
    return 0;
}

/* ---- PEM ------------------------------------------------------------------------------- */

/* Contents of a memory BIO as a malloc'd NUL-terminated string. */
static char *bio_to_string(BIO *bio)
{
    char *data;
    long n = BIO_get_mem_data(bio, &data);
    char *r;

    if (n < 0)
        return NULL;
    r = xmalloc((size_t)n + 1);
    memcpy(r, data, (size_t)n);
    r[n] = '\0';
    return r;
}

/* PEM text of a certificate / of a private key (PKCS#8); malloc'd, NULL on OpenSSL failure. */
static char *pki_cert_to_pem(X509 *cert)
{
    BIO *bio = BIO_new(BIO_s_mem());
    char *r = NULL;

    if (bio != NULL && PEM_write_bio_X509(bio, cert) == 1)
        r = bio_to_string(bio);
    BIO_free(bio);
    return r;
}

static char *pki_key_to_pem(EVP_PKEY *key)
{
    BIO *bio = BIO_new(BIO_s_mem());
    char *r = NULL;

    /* OpenSSL 3 writes every key type as PKCS#8 "PRIVATE KEY". */
    if (bio != NULL && PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL) == 1)
        r = bio_to_string(bio);
    BIO_free(bio);
    return r;
}

static char *pubkey_to_pem(EVP_PKEY *key)
{
    BIO *bio = BIO_new(BIO_s_mem());
    char *r = NULL;

    if (bio != NULL && PEM_write_bio_PUBKEY(bio, key) == 1)
        r = bio_to_string(bio);
    BIO_free(bio);
    return r;
}

static int load_cert(const char *path, X509 **ret, char **ret_err)
{
    char *buf;
    size_t len;
    BIO *bio;
    X509 *x;
    int rc = read_file(path, &buf, &len, ret_err);

    if (rc < 0)
        return rc;
    bio = BIO_new_mem_buf(buf, (int)len);
    x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    free(buf);
    if (x == NULL)
        return pki_fail(ret_err, AZ_EINVALID, "%s: not a PEM certificate", path);
    *ret = x;
    return 0;
}

static int load_key(const char *path, EVP_PKEY **ret, char **ret_err)
{
    char *buf;
    size_t len;
    BIO *bio;
    EVP_PKEY *k;
    int rc = read_file(path, &buf, &len, ret_err);

    if (rc < 0)
        return rc;
    bio = BIO_new_mem_buf(buf, (int)len);
    k = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    OPENSSL_cleanse(buf, len);
    free(buf);
    if (k == NULL)
        return pki_fail(ret_err, AZ_EINVALID, "%s: not a PEM private key", path);
    *ret = k;
    return 0;
}

static int save_cert(const char *path, X509 *cert, char **ret_err)
{
    char *pem = pki_cert_to_pem(cert);
    int rc;

    if (pem == NULL)
        return pki_fail(ret_err, AZ_EINTERNAL, "encoding %s", path);
    rc = write_file_atomic(path, pem, strlen(pem), 0644, ret_err);
    free(pem);
    return rc;
}

static int save_key(const char *path, EVP_PKEY *key, char **ret_err)
{
    char *pem = pki_key_to_pem(key);
    int rc;

    if (pem == NULL)
        return pki_fail(ret_err, AZ_EINTERNAL, "encoding %s", path);
    rc = write_file_atomic(path, pem, strlen(pem), 0600, ret_err);
    OPENSSL_cleanse(pem, strlen(pem));
    free(pem);
    return rc;
}

/* ---- subjectAltNames ------------------------------------------------------------------- */

/* The bytes of an IP literal (4 or 16), 0 if s is not one. */
static size_t parse_ip(const char *s, unsigned char out[16])
{
    if (inet_pton(AF_INET, s, out) == 1)
        return 4;
    if (inet_pton(AF_INET6, s, out) == 1)
        return 16;
    return 0;
}

static int dns_name_valid(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > PKI_MAX_DNS_SAN)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.' || c == '*'))
            return 0;
    }
    return 1;
}

static int sans_add(GENERAL_NAMES *gens, const char *s)
{
    unsigned char ip[16];
    size_t iplen = parse_ip(s, ip);
    GENERAL_NAME *gen = GENERAL_NAME_new();
    ASN1_STRING *v;

    if (gen == NULL)
        return AZ_EINTERNAL;
    if (iplen > 0) {
        v = ASN1_OCTET_STRING_new();
        if (v == NULL || ASN1_OCTET_STRING_set(v, ip, (int)iplen) != 1)
            goto fail;
        GENERAL_NAME_set0_value(gen, GEN_IPADD, v);
    } else {
        v = ASN1_IA5STRING_new();
        if (v == NULL || ASN1_STRING_set(v, s, (int)strlen(s)) != 1)
            goto fail;
        GENERAL_NAME_set0_value(gen, GEN_DNS, v);
    }
    if (sk_GENERAL_NAME_push(gens, gen) <= 0) {
        GENERAL_NAME_free(gen);
        return AZ_EINTERNAL;
    }
    return 0;
fail:
    ASN1_STRING_free(v);
    GENERAL_NAME_free(gen);
    return AZ_EINTERNAL;
}

/* 1 if cert carries SAN s exactly (DNS: case-insensitive; IP: same bytes). */
static int cert_has_san(X509 *cert, const char *s)
{
    unsigned char ip[16];
    size_t iplen = parse_ip(s, ip);
    GENERAL_NAMES *gens = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
    int found = 0;

    for (int i = 0; gens != NULL && i < sk_GENERAL_NAME_num(gens) && !found; i++) {
        GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
        int type;
        ASN1_STRING *v = GENERAL_NAME_get0_value(g, &type);

        if (iplen > 0 && type == GEN_IPADD)
            found = (size_t)ASN1_STRING_length(v) == iplen &&
                    memcmp(ASN1_STRING_get0_data(v), ip, iplen) == 0;
        else if (iplen == 0 && type == GEN_DNS)
            found = (size_t)ASN1_STRING_length(v) == strlen(s) &&
                    strncasecmp((const char *)ASN1_STRING_get0_data(v), s, strlen(s)) == 0;
    }
    GENERAL_NAMES_free(gens);
    return found;
}

/* ---- certificate issuing --------------------------------------------------------------- */

struct cert_spec {
    const char *cn;             /* subject CN */
    const char *const *orgs;    /* subject O values, NULL-terminated, or NULL */
    int days;                   /* validity from now */
    int is_ca;                  /* self-signed CA with keyCertSign */
    const char *eku;            /* extendedKeyUsage value ("serverAuth", "clientAuth"), or NULL */
    const char *const *sans[2]; /* up to two NULL-terminated SAN lists (NULL entries skipped) */
};

static int add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
    X509_EXTENSION *ext = X509V3_EXT_nconf_nid(NULL, ctx, nid, value);
    int ok;

    if (ext == NULL)
        return AZ_EINTERNAL;
    ok = X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    return ok == 1 ? 0 : AZ_EINTERNAL;
}

static int set_random_serial(X509 *x)
{
    unsigned char buf[16];
    BIGNUM *bn;
    int ok;

    random_bytes(buf, sizeof(buf));
    buf[0] = (unsigned char)((buf[0] & 0x7f) | 0x40);   /* positive, never zero, 127 bits */
    bn = BN_bin2bn(buf, sizeof(buf), NULL);
    if (bn == NULL)
        return AZ_EINTERNAL;
    ok = BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
    BN_free(bn);
    return ok ? 0 : AZ_EINTERNAL;
}

/* Builds a certificate for key per spec, signed by issuer/issuer_key (NULL: self-signed).
 * Name strings are stored as UTF8String without OpenSSL's 64-byte upper bounds (Go does not
 * enforce them either, and node names may be longer). Returns NULL on failure. */
static X509 *cert_build(const struct cert_spec *spec, EVP_PKEY *key, X509 *issuer,
                        EVP_PKEY *issuer_key)
{
    X509 *x = X509_new();
    X509_NAME *name = X509_NAME_new();
    GENERAL_NAMES *gens = NULL;
    X509V3_CTX ctx;

    if (x == NULL || name == NULL)
        goto fail;
    if (X509_set_version(x, X509_VERSION_3) != 1 || set_random_serial(x) < 0)
        goto fail;
    if (X509_gmtime_adj(X509_getm_notBefore(x), -PKI_BACKDATE_SECONDS) == NULL ||
        X509_time_adj_ex(X509_getm_notAfter(x), spec->days, 0, NULL) == NULL)
        goto fail;
    for (size_t i = 0; spec->orgs != NULL && spec->orgs[i] != NULL; i++)
        if (X509_NAME_add_entry_by_NID(name, NID_organizationName, V_ASN1_UTF8STRING,
                                       (const unsigned char *)spec->orgs[i], -1, -1, 0) != 1)
            goto fail;
    if (X509_NAME_add_entry_by_NID(name, NID_commonName, V_ASN1_UTF8STRING,
                                   (const unsigned char *)spec->cn, -1, -1, 0) != 1)
        goto fail;
    if (X509_set_subject_name(x, name) != 1 ||
        X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name) != 1 ||
        X509_set_pubkey(x, key) != 1)
        goto fail;

    X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
    if (spec->is_ca) {
        if (add_ext(x, &ctx, NID_basic_constraints, "critical,CA:TRUE") < 0 ||
            add_ext(x, &ctx, NID_key_usage,
                    "critical,digitalSignature,keyCertSign,cRLSign") < 0 ||
            add_ext(x, &ctx, NID_subject_key_identifier, "hash") < 0)
            goto fail;
    } else {
        if (add_ext(x, &ctx, NID_basic_constraints, "critical,CA:FALSE") < 0 ||
            add_ext(x, &ctx, NID_key_usage,
                    EVP_PKEY_is_a(key, "RSA") ? "critical,digitalSignature,keyEncipherment"
                                              : "critical,digitalSignature") < 0 ||
            add_ext(x, &ctx, NID_subject_key_identifier, "hash") < 0 ||
            (issuer != NULL &&
             add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always") < 0))
            goto fail;
    }
    if (spec->eku != NULL && add_ext(x, &ctx, NID_ext_key_usage, spec->eku) < 0)
        goto fail;
    for (size_t l = 0; l < 2; l++)
        for (size_t i = 0; spec->sans[l] != NULL && spec->sans[l][i] != NULL; i++) {
            if (gens == NULL && (gens = GENERAL_NAMES_new()) == NULL)
                goto fail;
            if (sans_add(gens, spec->sans[l][i]) < 0)
                goto fail;
        }
    if (gens != NULL &&
        X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0, X509V3_ADD_DEFAULT) != 1)
        goto fail;
    if (X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256()) <= 0)
        goto fail;
    GENERAL_NAMES_free(gens);
    X509_NAME_free(name);
    return x;

fail:
    GENERAL_NAMES_free(gens);
    X509_NAME_free(name);
    X509_free(x);
    return NULL;
}

/* 1 if cert verifies against ca for purpose (X509_PURPOSE_*) and stays valid for at least
 * PKI_RENEW_BEFORE_DAYS more days. */
static int cert_still_good(X509 *cert, X509 *ca, int purpose)
{
    X509_STORE *store = X509_STORE_new();
    X509_STORE_CTX *sctx = X509_STORE_CTX_new();
    time_t horizon = clock_wall_s() + (time_t)PKI_RENEW_BEFORE_DAYS * 86400;
    int ok = 0;

    if (store == NULL || sctx == NULL || X509_STORE_add_cert(store, ca) != 1 ||
        X509_STORE_CTX_init(sctx, store, cert, NULL) != 1 ||
        X509_STORE_CTX_set_purpose(sctx, purpose) != 1)
        goto out;
    ok = X509_verify_cert(sctx) == 1 && X509_cmp_time(X509_get0_notAfter(cert), &horizon) > 0;
out:
    X509_STORE_CTX_free(sctx);
    X509_STORE_free(store);
    ERR_clear_error();
    return ok;
}

/* ---- pki_ensure ------------------------------------------------------------------------ */

void pki_free(struct pki *p)
{
    if (p == NULL)
        return;
    free(p->dir);
    free(p->ca_cert_path);
    free(p->ca_key_path);
    free(p->serving_cert_path);
    free(p->serving_key_path);
    free(p->admin_cert_path);
    free(p->admin_key_path);
    free(p->sa_key_path);
    free(p->sa_pub_path);
    X509_free(p->ca_cert);
    EVP_PKEY_free(p->ca_key);
    free(p->ca_pem);
    X509_free(p->serving_cert);
    EVP_PKEY_free(p->serving_key);
    X509_free(p->admin_cert);
    EVP_PKEY_free(p->admin_key);
    free(p->admin_cert_pem);
    if (p->admin_key_pem != NULL) {
        OPENSSL_cleanse(p->admin_key_pem, strlen(p->admin_key_pem));
        free(p->admin_key_pem);
    }
    EVP_PKEY_free(p->sa_key);
    free(p->sa_pub_pem);
    free(p);
}

static int ensure_ca(struct pki *p, int *ret_created, char **ret_err)
{
    int have_cert = file_exists(p->ca_cert_path), have_key = file_exists(p->ca_key_path);
    int rc;

    *ret_created = 0;
    if (have_cert != have_key)
        return pki_fail(ret_err, AZ_EINVALID, "%s exists without %s",
                        have_cert ? p->ca_cert_path : p->ca_key_path,
                        have_cert ? p->ca_key_path : p->ca_cert_path);
    if (have_cert) {
        if ((rc = load_cert(p->ca_cert_path, &p->ca_cert, ret_err)) < 0 ||
            (rc = load_key(p->ca_key_path, &p->ca_key, ret_err)) < 0)
            return rc;
        if (X509_check_private_key(p->ca_cert, p->ca_key) != 1)
            return pki_fail(ret_err, AZ_EINVALID, "%s does not match %s", p->ca_key_path,
                            p->ca_cert_path);
        return 0;
    }

    struct cert_spec spec = { .cn = "anzen-ca", .days = PKI_CA_DAYS, .is_ca = 1 };
    p->ca_key = EVP_EC_gen("P-256");
    if (p->ca_key == NULL)
        return pki_fail(ret_err, AZ_EINTERNAL, "generating the CA key");
    p->ca_cert = cert_build(&spec, p->ca_key, NULL, NULL);
    if (p->ca_cert == NULL)
        return pki_fail(ret_err, AZ_EINTERNAL, "building the CA certificate");
    if ((rc = save_key(p->ca_key_path, p->ca_key, ret_err)) < 0 ||
        (rc = save_cert(p->ca_cert_path, p->ca_cert, ret_err)) < 0)
        return rc;
    *ret_created = 1;
    return 0;
}

/* Loads or creates one CA-signed leaf pair. The key is kept whenever it exists; the cert is
 * re-issued when missing, unparsable, not matching the key, not verifying against the CA for
 * purpose, expiring soon, or (spec->sans) lacking a wanted SAN. */
static int ensure_leaf(struct pki *p, const char *cert_path, const char *key_path,
                       const struct cert_spec *spec, int purpose, X509 **ret_cert,
                       EVP_PKEY **ret_key, char **ret_err)
{
    EVP_PKEY *key = NULL;
    X509 *cert = NULL;
    int rc;

    rc = load_key(key_path, &key, ret_err);
    if (rc == AZ_ENOTFOUND) {
        key = EVP_EC_gen("P-256");
        if (key == NULL)
            return pki_fail(ret_err, AZ_EINTERNAL, "generating %s", key_path);
        if ((rc = save_key(key_path, key, ret_err)) < 0)
            goto fail;
    } else if (rc < 0) {
        return rc;
    } else {
        char *load_err = NULL;
        rc = load_cert(cert_path, &cert, &load_err);
        if (rc == AZ_EIO) {             /* unreadable: report; garbage or missing: re-issue */
            if (ret_err != NULL)
                *ret_err = load_err;
            else
                free(load_err);
            goto fail;
        }
        free(load_err);
        if (cert != NULL) {
            int good = X509_check_private_key(cert, key) == 1 &&
                       cert_still_good(cert, p->ca_cert, purpose);
            for (size_t l = 0; l < 2 && good; l++)
                for (size_t i = 0; good && spec->sans[l] && spec->sans[l][i]; i++)
                    good = cert_has_san(cert, spec->sans[l][i]);
            ERR_clear_error();
            if (!good) {
                X509_free(cert);
                cert = NULL;
            }
        }
    }
    if (cert == NULL) {
        cert = cert_build(spec, key, p->ca_cert, p->ca_key);
        if (cert == NULL) {
            rc = pki_fail(ret_err, AZ_EINTERNAL, "building %s", cert_path);
            goto fail;
        }
        if ((rc = save_cert(cert_path, cert, ret_err)) < 0)
            goto fail;
    }
    *ret_cert = cert;
    *ret_key = key;
    return 0;
fail:
    X509_free(cert);
    EVP_PKEY_free(key);
    return rc;
}

static int ensure_sa_key(struct pki *p, char **ret_err)
{
    char *old_pub = NULL;
    int rc = load_key(p->sa_key_path, &p->sa_key, ret_err);

    if (rc == AZ_ENOTFOUND) {
        p->sa_key = EVP_RSA_gen(2048);
        if (p->sa_key == NULL)
            return pki_fail(ret_err, AZ_EINTERNAL, "generating the ServiceAccount key");
        if ((rc = save_key(p->sa_key_path, p->sa_key, ret_err)) < 0)
            return rc;
    } else if (rc < 0) {
        return rc;
    }
    if (!EVP_PKEY_is_a(p->sa_key, "RSA"))
        return pki_fail(ret_err, AZ_EINVALID, "%s: not an RSA key", p->sa_key_path);
    p->sa_pub_pem = pubkey_to_pem(p->sa_key);
    if (p->sa_pub_pem == NULL)
        return pki_fail(ret_err, AZ_EINTERNAL, "encoding %s", p->sa_pub_path);
    rc = read_file(p->sa_pub_path, &old_pub, NULL, ret_err);
    if (rc < 0 && rc != AZ_ENOTFOUND)
        return rc;
    if (old_pub == NULL || strcmp(old_pub, p->sa_pub_pem) != 0)
        rc = write_file_atomic(p->sa_pub_path, p->sa_pub_pem, strlen(p->sa_pub_pem), 0644,
                               ret_err);
    else
        rc = 0;
    free(old_pub);
    return rc;
}

int pki_ensure(const char *data_dir, const char *const *extra_sans, struct pki **ret,
               char **ret_err)
{
    struct pki *p;
    int rc, ca_created;

    for (size_t i = 0; extra_sans != NULL && extra_sans[i] != NULL; i++) {
        unsigned char ip[16];
        if (parse_ip(extra_sans[i], ip) == 0 && !dns_name_valid(extra_sans[i]))
            return pki_fail(ret_err, AZ_EINVALID,
                            "extra SAN \"%.64s\" is neither an IP address nor a DNS name",
                            extra_sans[i]);
    }

    p = xcalloc(1, sizeof(*p));
    p->dir = path_join(data_dir, "pki");
    p->ca_cert_path = path_join(p->dir, "ca.crt");
    p->ca_key_path = path_join(p->dir, "ca.key");
    p->serving_cert_path = path_join(p->dir, "apiserver.crt");
    p->serving_key_path = path_join(p->dir, "apiserver.key");
    p->admin_cert_path = path_join(p->dir, "admin.crt");
    p->admin_key_path = path_join(p->dir, "admin.key");
    p->sa_key_path = path_join(p->dir, "sa.key");
    p->sa_pub_path = path_join(p->dir, "sa.pub");

    if ((rc = ensure_dir(data_dir, 0700, 0, ret_err)) < 0 ||
        (rc = ensure_dir(p->dir, 0700, 1, ret_err)) < 0 ||
        (rc = ensure_ca(p, &ca_created, ret_err)) < 0)
        goto fail;

    struct cert_spec serving = {
        .cn = "kube-apiserver", .days = PKI_LEAF_DAYS, .eku = "serverAuth",
        .sans = { default_sans, extra_sans },
    };
    struct cert_spec admin = {
        .cn = "kubernetes-admin", .orgs = admin_orgs, .days = PKI_LEAF_DAYS,
        .eku = "clientAuth",
    };
    if ((rc = ensure_leaf(p, p->serving_cert_path, p->serving_key_path, &serving,
                          X509_PURPOSE_SSL_SERVER, &p->serving_cert, &p->serving_key,
                          ret_err)) < 0 ||
        (rc = ensure_leaf(p, p->admin_cert_path, p->admin_key_path, &admin,
                          X509_PURPOSE_SSL_CLIENT, &p->admin_cert, &p->admin_key,
                          ret_err)) < 0 ||
        (rc = ensure_sa_key(p, ret_err)) < 0)
        goto fail;

    p->ca_pem = pki_cert_to_pem(p->ca_cert);
    p->admin_cert_pem = pki_cert_to_pem(p->admin_cert);
    p->admin_key_pem = pki_key_to_pem(p->admin_key);
    if (p->ca_pem == NULL || p->admin_cert_pem == NULL || p->admin_key_pem == NULL) {
        rc = pki_fail(ret_err, AZ_EINTERNAL, "encoding PEM");
        goto fail;
    }
    *ret = p;
    return 0;
fail:
    pki_free(p);
    return rc;
}

/* ---- client certs and kubeconfig ------------------------------------------------------- */

int pki_issue_client_cert(const struct pki *p, const char *cn, const char *const *orgs,
                          char **ret_cert_pem, char **ret_key_pem, char **ret_err)
{
    struct cert_spec spec = {
        .cn = cn, .orgs = orgs, .days = PKI_LEAF_DAYS, .eku = "clientAuth",
    };
    EVP_PKEY *key;
    X509 *cert;
    char *cert_pem, *key_pem;

    if (cn == NULL || cn[0] == '\0')
        return pki_fail(ret_err, AZ_EINVALID, "client certificate needs a common name");
    key = EVP_EC_gen("P-256");
    if (key == NULL)
        return pki_fail(ret_err, AZ_EINTERNAL, "generating a client key");
    cert = cert_build(&spec, key, p->ca_cert, p->ca_key);
    if (cert == NULL) {
        EVP_PKEY_free(key);
        return pki_fail(ret_err, AZ_EINTERNAL, "building a client certificate");
    }
    cert_pem = pki_cert_to_pem(cert);
    key_pem = pki_key_to_pem(key);
    X509_free(cert);
    EVP_PKEY_free(key);
    if (cert_pem == NULL || key_pem == NULL) {
        free(cert_pem);
        free(key_pem);
        return pki_fail(ret_err, AZ_EINTERNAL, "encoding a client certificate");
    }
    *ret_cert_pem = cert_pem;
    *ret_key_pem = key_pem;
    return 0;
}

int pki_write_kubeconfig(const struct pki *p, const char *path, const char *server_url,
                         char **ret_err)
{
    char *ca = NULL, *crt = NULL, *key = NULL, *text = NULL;
    size_t len = 0;
    FILE *f;
    int rc;

    for (const char *c = server_url; *c != '\0'; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            return pki_fail(ret_err, AZ_EINVALID, "server URL contains a control character");

    f = open_memstream(&text, &len);
    if (f == NULL)
        abort();
    ca = base64_encode(p->ca_pem, strlen(p->ca_pem));
    crt = base64_encode(p->admin_cert_pem, strlen(p->admin_cert_pem));
    key = base64_encode(p->admin_key_pem, strlen(p->admin_key_pem));
    fputs("apiVersion: v1\n"
          "kind: Config\n"
          "clusters:\n"
          "- cluster:\n", f);
    fprintf(f, "    certificate-authority-data: %s\n", ca);
    fputs("    server: \"", f);
    for (const char *c = server_url; *c != '\0'; c++) {   /* YAML double-quoted scalar */
        if (*c == '"' || *c == '\\')
            fputc('\\', f);
        fputc(*c, f);
    }
    fputs("\"\n"
          "  name: anzen\n"
          "contexts:\n"
          "- context:\n"
          "    cluster: anzen\n"
          "    namespace: default\n"
          "    user: admin\n"
          "  name: anzen\n"
          "current-context: anzen\n"
          "preferences: {}\n"
          "users:\n"
          "- name: admin\n"
          "  user:\n", f);
    fprintf(f, "    client-certificate-data: %s\n", crt);
    fprintf(f, "    client-key-data: %s\n", key);
    if (fclose(f) != 0)
        abort();
    rc = write_file_atomic(path, text, len, 0600, ret_err);
    OPENSSL_cleanse(text, len);
    OPENSSL_cleanse(key, strlen(key));
    free(text);
    free(ca);
    free(crt);
    free(key);
    return rc;
}

/* ---- TLS ------------------------------------------------------------------------------- */

/* TLS 1.2 suites: ECDHE + AEAD only (the TLS 1.3 defaults are all AEAD already). */
static const char tls12_ciphers[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
static const unsigned char session_id_context[] = "anzen-apiserver";

SSL_CTX *pki_server_ssl_ctx(const struct pki *p, char **ret_err)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    X509_STORE *store;

    if (ctx == NULL) {
        pki_fail(ret_err, AZ_EINTERNAL, "SSL_CTX_new");
        return NULL;
    }
    if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
        SSL_CTX_set_cipher_list(ctx, tls12_ciphers) != 1 ||
        SSL_CTX_set1_groups_list(ctx, "X25519:P-256:P-384") != 1) {
        pki_fail(ret_err, AZ_EINTERNAL, "configuring TLS versions and ciphers");
        goto fail;
    }
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                                 SSL_OP_CIPHER_SERVER_PREFERENCE);
    if (SSL_CTX_use_certificate(ctx, p->serving_cert) != 1 ||
        SSL_CTX_use_PrivateKey(ctx, p->serving_key) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1) {
        pki_fail(ret_err, AZ_EINTERNAL, "loading the serving certificate");
        goto fail;
    }
    store = SSL_CTX_get_cert_store(ctx);
    if (store == NULL || X509_STORE_add_cert(store, p->ca_cert) != 1 ||
        SSL_CTX_add_client_CA(ctx, p->ca_cert) != 1) {
        pki_fail(ret_err, AZ_EINTERNAL, "loading the client CA");
        goto fail;
    }
    /* Verify a client certificate if one is given; no certificate is not an error. The
     * default verification purpose for a server is "SSL client", so a client cert whose
     * extendedKeyUsage lacks clientAuth fails too. */
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    SSL_CTX_set_verify_depth(ctx, 4);
    if (SSL_CTX_set_session_id_context(ctx, session_id_context,
                                       sizeof(session_id_context) - 1) != 1) {
        pki_fail(ret_err, AZ_EINTERNAL, "setting the session id context");
        goto fail;
    }
    return ctx;
fail:
    SSL_CTX_free(ctx);
    return NULL;
}
