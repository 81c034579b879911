/* pki_test.c — pki_ensure file layout and modes, certificate contents, restart behaviour,
 * kubeconfig output and issued client certificates. Files are read back from disk with
 * OpenSSL, independently of struct pki. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libfyaml.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "authn/pki.h"
#include "util/err.h"

/* ---- helpers --------------------------------------------------------------------------- */

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path);
}

static void rm_rf(const char *dir)
{
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static char *make_tmpdir(void)
{
    char *d = strdup("/tmp/anzen-pki-test-XXXXXX");
    assert_non_null(mkdtemp(d));
    return d;
}

static char *pki_path(const char *data_dir, const char *name)
{
    char *r;
    assert_true(asprintf(&r, "%s/pki/%s", data_dir, name) > 0);
    return r;
}

static mode_t file_mode(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return st.st_mode & 07777;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "re");
    char *buf;
    long n;

    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = calloc(1, (size_t)n + 1);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    return buf;
}

static X509 *read_cert(const char *data_dir, const char *name)
{
    char *path = pki_path(data_dir, name);
    FILE *f = fopen(path, "re");
    X509 *x;

    assert_non_null(f);
    x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    free(path);
    assert_non_null(x);
    return x;
}

static EVP_PKEY *read_key(const char *data_dir, const char *name)
{
    char *path = pki_path(data_dir, name);
    FILE *f = fopen(path, "re");
    EVP_PKEY *k;

    assert_non_null(f);
    k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    free(path);
    assert_non_null(k);
    return k;
}

/* 1 if cert verifies against ca for purpose. */
static int verifies(X509 *cert, X509 *ca, int purpose)
{
    X509_STORE *store = X509_STORE_new();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    int ok;

    assert_int_equal(X509_STORE_add_cert(store, ca), 1);
    assert_int_equal(X509_STORE_CTX_init(ctx, store, cert, NULL), 1);
    assert_int_equal(X509_STORE_CTX_set_purpose(ctx, purpose), 1);
    ok = X509_verify_cert(ctx) == 1;
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    return ok;
}

/* The i-th entry of nid in the subject, or NULL. */
static char *subject_entry(X509 *cert, int nid, int nth)
{
    const X509_NAME *n = X509_get_subject_name(cert);
    int pos = -1;
    unsigned char *utf8;
    char *r;

    for (int i = 0; i <= nth; i++) {
        pos = X509_NAME_get_index_by_NID(n, nid, pos);
        if (pos < 0)
            return NULL;
    }
    assert_true(ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(n, pos))) >= 0);
    r = strdup((char *)utf8);
    OPENSSL_free(utf8);
    return r;
}

static void assert_subject(X509 *cert, int nid, int nth, const char *want)
{
    char *got = subject_entry(cert, nid, nth);
    if (want == NULL) {
        assert_null(got);
        return;
    }
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
}

static int ext_critical(X509 *cert, int nid)
{
    int pos = X509_get_ext_by_NID(cert, nid, -1);
    assert_true(pos >= 0);
    return X509_EXTENSION_get_critical(X509_get_ext(cert, pos));
}

/* Days from now until notAfter. */
static int days_left(X509 *cert)
{
    int days, secs;
    assert_int_equal(ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(cert)), 1);
    return days;
}

static int has_dns(X509 *cert, const char *name)
{
    return X509_check_host(cert, name, 0, X509_CHECK_FLAG_NEVER_CHECK_SUBJECT, NULL) == 1;
}

static int has_ip(X509 *cert, const char *ip)
{
    return X509_check_ip_asc(cert, ip, 0) == 1;
}

static const char *const extra_sans[] = { "10.96.0.1", "api.example.test", "fd00::10", NULL };

/* ---- tests ----------------------------------------------------------------------------- */

static void test_fresh_dir_files_and_modes(void **state)
{
    char *dir = make_tmpdir(), *err = NULL, *pkidir;
    struct pki *p = NULL;
    static const char *const keys[] = { "ca.key", "apiserver.key", "admin.key", "sa.key" };
    static const char *const certs[] = { "ca.crt", "apiserver.crt", "admin.crt", "sa.pub" };

    umask(022);
    assert_int_equal(pki_ensure(dir, extra_sans, &p, &err), 0);
    assert_null(err);
    assert_non_null(p);

    assert_true(asprintf(&pkidir, "%s/pki", dir) > 0);
    assert_int_equal(file_mode(pkidir), 0700);
    for (size_t i = 0; i < 4; i++) {
        char *k = pki_path(dir, keys[i]), *c = pki_path(dir, certs[i]), *tmp;
        assert_int_equal(file_mode(k), 0600);
        assert_int_equal(file_mode(c), 0644);
        assert_true(asprintf(&tmp, "%s.tmp", k) > 0);
        assert_int_not_equal(access(tmp, F_OK), 0);     /* no temp file left behind */
        free(tmp);
        free(k);
        free(c);
    }
    assert_string_equal(p->serving_key_path + strlen(p->serving_key_path) - 14, "/apiserver.key");
    free(pkidir);
    pki_free(p);
    rm_rf(dir);
    free(dir);
}

static void test_certificate_contents(void **state)
{
    char *dir = make_tmpdir(), *err = NULL;
    struct pki *p = NULL;
    X509 *ca, *srv, *adm;
    EVP_PKEY *sa;
    char *sa_key_pem, *sa_pub_path, *sa_pub_pem;

    assert_int_equal(pki_ensure(dir, extra_sans, &p, &err), 0);
    ca = read_cert(dir, "ca.crt");
    srv = read_cert(dir, "apiserver.crt");
    adm = read_cert(dir, "admin.crt");

    /* CA */
    assert_subject(ca, NID_commonName, 0, "anzen-ca");
    assert_int_equal(X509_check_issued(ca, ca), X509_V_OK);
    assert_true(X509_get_extension_flags(ca) & EXFLAG_CA);
    assert_true(ext_critical(ca, NID_basic_constraints));
    assert_true(ext_critical(ca, NID_key_usage));
    assert_int_equal(X509_get_key_usage(ca),
                     KU_KEY_CERT_SIGN | KU_CRL_SIGN | KU_DIGITAL_SIGNATURE);
    assert_non_null(X509_get0_subject_key_id(ca));
    assert_true(days_left(ca) >= 3640 && days_left(ca) <= 3660);
    assert_int_equal(X509_check_private_key(ca, p->ca_key), 1);
    assert_int_equal(X509_cmp(ca, p->ca_cert), 0);

    /* Serving cert */
    assert_subject(srv, NID_commonName, 0, "kube-apiserver");
    assert_true(verifies(srv, ca, X509_PURPOSE_SSL_SERVER));
    assert_false(X509_get_extension_flags(srv) & EXFLAG_CA);
    assert_true(X509_get_extension_flags(srv) & EXFLAG_XKUSAGE);
    assert_int_equal(X509_get_extended_key_usage(srv), XKU_SSL_SERVER);
    assert_true(days_left(srv) >= 364);
    static const char *const dns[] = {
        "localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
        "kubernetes.default.svc.cluster.local", "api.example.test",
    };
    for (size_t i = 0; i < sizeof(dns) / sizeof(dns[0]); i++)
        assert_true(has_dns(srv, dns[i]));
    assert_false(has_dns(srv, "example.test"));
    assert_true(has_ip(srv, "127.0.0.1"));
    assert_true(has_ip(srv, "::1"));
    assert_true(has_ip(srv, "10.96.0.1"));
    assert_true(has_ip(srv, "fd00::10"));
    assert_false(has_ip(srv, "10.96.0.2"));
    /* The server cert must not be usable as a client cert (no clientAuth). */
    assert_false(verifies(srv, ca, X509_PURPOSE_SSL_CLIENT));

    /* Admin cert: O=system:masters, CN=kubernetes-admin, clientAuth. */
    assert_subject(adm, NID_commonName, 0, "kubernetes-admin");
    assert_subject(adm, NID_organizationName, 0, "system:masters");
    assert_subject(adm, NID_organizationName, 1, NULL);
    assert_true(verifies(adm, ca, X509_PURPOSE_SSL_CLIENT));
    assert_int_equal(X509_get_extended_key_usage(adm), XKU_SSL_CLIENT);
    assert_false(verifies(adm, ca, X509_PURPOSE_SSL_SERVER));
    assert_int_equal(X509_check_private_key(adm, p->admin_key), 1);
    {
        EVP_PKEY *k = read_key(dir, "admin.key");
        assert_int_equal(X509_check_private_key(adm, k), 1);
        EVP_PKEY_free(k);
    }

    /* ServiceAccount key: RSA-2048 PKCS#8, public half in sa.pub. */
    sa = read_key(dir, "sa.key");
    assert_true(EVP_PKEY_is_a(sa, "RSA"));
    assert_int_equal(EVP_PKEY_get_bits(sa), 2048);
    assert_int_equal(EVP_PKEY_eq(sa, p->sa_key), 1);
    {
        char *path = pki_path(dir, "sa.key");
        sa_key_pem = slurp(path);
        free(path);
    }
    assert_int_equal(strncmp(sa_key_pem, "-----BEGIN PRIVATE KEY-----\n", 28), 0);
    sa_pub_path = pki_path(dir, "sa.pub");
    sa_pub_pem = slurp(sa_pub_path);
    assert_int_equal(strncmp(sa_pub_pem, "-----BEGIN PUBLIC KEY-----\n", 27), 0);
    assert_string_equal(sa_pub_pem, p->sa_pub_pem);
    {
        BIO *b = BIO_new_mem_buf(sa_pub_pem, -1);
        EVP_PKEY *pub = PEM_read_bio_PUBKEY(b, NULL, NULL, NULL);
        assert_non_null(pub);
        assert_int_equal(EVP_PKEY_eq(pub, sa), 1);
        EVP_PKEY_free(pub);
        BIO_free(b);
    }

    /* ca_pem is the CA file's text. */
    {
        char *path = pki_path(dir, "ca.crt"), *text = slurp(path);
        assert_string_equal(text, p->ca_pem);
        free(text);
        free(path);
    }

    free(sa_key_pem);
    free(sa_pub_pem);
    free(sa_pub_path);
    EVP_PKEY_free(sa);
    X509_free(ca);
    X509_free(srv);
    X509_free(adm);
    pki_free(p);
    rm_rf(dir);
    free(dir);
}

static void test_restart_keeps_keys(void **state)
{
    char *dir = make_tmpdir(), *err = NULL;
    struct pki *a = NULL, *b = NULL;

    assert_int_equal(pki_ensure(dir, extra_sans, &a, &err), 0);
    assert_int_equal(pki_ensure(dir, extra_sans, &b, &err), 0);
    assert_int_equal(EVP_PKEY_eq(a->ca_key, b->ca_key), 1);
    assert_int_equal(EVP_PKEY_eq(a->serving_key, b->serving_key), 1);
    assert_int_equal(EVP_PKEY_eq(a->admin_key, b->admin_key), 1);
    assert_int_equal(EVP_PKEY_eq(a->sa_key, b->sa_key), 1);
    assert_int_equal(X509_cmp(a->ca_cert, b->ca_cert), 0);
    assert_int_equal(X509_cmp(a->serving_cert, b->serving_cert), 0);
    assert_int_equal(X509_cmp(a->admin_cert, b->admin_cert), 0);
    assert_string_equal(a->sa_pub_pem, b->sa_pub_pem);
    pki_free(a);
    pki_free(b);

    /* A subset of the SANs (none extra) is still satisfied: nothing changes. */
    assert_int_equal(pki_ensure(dir, NULL, &b, &err), 0);
    X509 *srv = read_cert(dir, "apiserver.crt");
    assert_int_equal(X509_cmp(srv, b->serving_cert), 0);
    assert_true(has_ip(srv, "10.96.0.1"));
    X509_free(srv);
    pki_free(b);
    rm_rf(dir);
    free(dir);
}

static void test_new_san_reissues_only_serving_cert(void **state)
{
    char *dir = make_tmpdir(), *err = NULL;
    struct pki *a = NULL, *b = NULL;
    static const char *const more[] = { "203.0.113.7", "anzen.internal", NULL };

    assert_int_equal(pki_ensure(dir, NULL, &a, &err), 0);
    assert_false(has_ip(a->serving_cert, "203.0.113.7"));
    assert_int_equal(pki_ensure(dir, more, &b, &err), 0);
    assert_int_not_equal(X509_cmp(a->serving_cert, b->serving_cert), 0);
    assert_int_equal(EVP_PKEY_eq(a->serving_key, b->serving_key), 1);
    assert_int_equal(X509_cmp(a->ca_cert, b->ca_cert), 0);
    assert_int_equal(X509_cmp(a->admin_cert, b->admin_cert), 0);
    assert_int_equal(EVP_PKEY_eq(a->sa_key, b->sa_key), 1);

    X509 *srv = read_cert(dir, "apiserver.crt");
    assert_int_equal(X509_cmp(srv, b->serving_cert), 0);
    assert_true(has_ip(srv, "203.0.113.7"));
    assert_true(has_dns(srv, "anzen.internal"));
    assert_true(has_dns(srv, "kubernetes.default.svc.cluster.local"));
    assert_true(verifies(srv, b->ca_cert, X509_PURPOSE_SSL_SERVER));
    X509_free(srv);
    pki_free(a);
    pki_free(b);
    rm_rf(dir);
    free(dir);
}

static void test_invalid_leaf_cert_is_replaced(void **state)
{
    char *dir = make_tmpdir(), *err = NULL, *srv_path, *adm_path, *srv_text;
    struct pki *a = NULL, *b = NULL;
    FILE *f;

    assert_int_equal(pki_ensure(dir, NULL, &a, &err), 0);
    /* Put the serving cert where the admin cert belongs: wrong key, wrong usage. */
    srv_path = pki_path(dir, "apiserver.crt");
    adm_path = pki_path(dir, "admin.crt");
    srv_text = slurp(srv_path);
    f = fopen(adm_path, "we");
    assert_non_null(f);
    fputs(srv_text, f);
    fclose(f);

    assert_int_equal(pki_ensure(dir, NULL, &b, &err), 0);
    assert_int_equal(EVP_PKEY_eq(a->admin_key, b->admin_key), 1);
    assert_int_equal(X509_check_private_key(b->admin_cert, b->admin_key), 1);
    assert_subject(b->admin_cert, NID_commonName, 0, "kubernetes-admin");
    X509 *adm = read_cert(dir, "admin.crt");
    assert_int_equal(X509_cmp(adm, b->admin_cert), 0);
    assert_true(verifies(adm, b->ca_cert, X509_PURPOSE_SSL_CLIENT));
    assert_int_equal(file_mode(adm_path), 0644);
    X509_free(adm);
    pki_free(b);

    /* A garbage serving cert is re-issued too, with the same key and no error message. */
    f = fopen(srv_path, "we");
    assert_non_null(f);
    fputs("garbage\n", f);
    fclose(f);
    assert_int_equal(pki_ensure(dir, NULL, &b, &err), 0);
    assert_null(err);
    assert_int_equal(EVP_PKEY_eq(a->serving_key, b->serving_key), 1);
    X509 *srv = read_cert(dir, "apiserver.crt");
    assert_int_equal(X509_cmp(srv, b->serving_cert), 0);
    assert_true(verifies(srv, b->ca_cert, X509_PURPOSE_SSL_SERVER));
    X509_free(srv);

    free(srv_text);
    free(srv_path);
    free(adm_path);
    pki_free(a);
    pki_free(b);
    rm_rf(dir);
    free(dir);
}

static void test_errors(void **state)
{
    char *dir = make_tmpdir(), *err = NULL, *ca_key;
    struct pki *p = (struct pki *)0x1;   /* must stay untouched on failure */
    static const char *const bad[] = { "bad name!", NULL };
    static const char *const bad2[] = { "a\nb", NULL };

    assert_int_equal(pki_ensure(dir, bad, &p, &err), AZ_EINVALID);
    assert_non_null(err);
    assert_non_null(strstr(err, "bad name!"));
    assert_ptr_equal(p, (struct pki *)0x1);
    free(err);
    err = NULL;
    assert_int_equal(pki_ensure(dir, bad2, &p, &err), AZ_EINVALID);
    free(err);
    err = NULL;

    /* ca.crt without ca.key is refused rather than silently replaced. */
    assert_int_equal(pki_ensure(dir, NULL, &p, &err), 0);
    pki_free(p);
    ca_key = pki_path(dir, "ca.key");
    assert_int_equal(unlink(ca_key), 0);
    assert_int_equal(pki_ensure(dir, NULL, &p, &err), AZ_EINVALID);
    assert_non_null(strstr(err, "ca.crt exists without"));
    free(err);
    err = NULL;

    /* A garbage key file is an error, not a reason to generate a new CA. */
    {
        FILE *f = fopen(ca_key, "we");
        assert_non_null(f);
        fputs("not a key\n", f);
        fclose(f);
    }
    assert_int_equal(pki_ensure(dir, NULL, &p, &err), AZ_EINVALID);
    free(err);
    free(ca_key);
    rm_rf(dir);
    free(dir);
}

static char *yaml_str(struct fy_document *fyd, const char *path)
{
    struct fy_node *n = fy_node_by_path(fy_document_root(fyd), path, (size_t)-1, FYNWF_DONT_FOLLOW);
    const char *s;

    if (n == NULL)
        fail_msg("no %s in kubeconfig", path);
    s = fy_node_get_scalar0(n);
    assert_non_null(s);
    return strdup(s);
}

static char *b64_decode(const char *s)
{
    size_t n = strlen(s);
    unsigned char *out = calloc(1, n + 1);
    int len = EVP_DecodeBlock(out, (const unsigned char *)s, (int)n);

    assert_true(len >= 0);
    /* EVP_DecodeBlock counts padding bytes as zeros; trim them. */
    while (n > 0 && s[n - 1] == '=') {
        len--;
        n--;
    }
    out[len] = '\0';
    return (char *)out;
}

static void test_kubeconfig(void **state)
{
    char *dir = make_tmpdir(), *err = NULL, *path;
    struct pki *p = NULL;
    struct fy_document *fyd;
    char *v, *dec;

    assert_int_equal(pki_ensure(dir, NULL, &p, &err), 0);
    assert_true(asprintf(&path, "%s/admin.kubeconfig", dir) > 0);
    assert_int_equal(pki_write_kubeconfig(p, path, "https://127.0.0.1:6443", &err), 0);
    assert_int_equal(file_mode(path), 0600);

    fyd = fy_document_build_from_file(NULL, path);
    assert_non_null(fyd);
    v = yaml_str(fyd, "/apiVersion");
    assert_string_equal(v, "v1");
    free(v);
    v = yaml_str(fyd, "/kind");
    assert_string_equal(v, "Config");
    free(v);
    v = yaml_str(fyd, "/current-context");
    assert_string_equal(v, "anzen");
    free(v);
    v = yaml_str(fyd, "/clusters/0/name");
    assert_string_equal(v, "anzen");
    free(v);
    v = yaml_str(fyd, "/clusters/0/cluster/server");
    assert_string_equal(v, "https://127.0.0.1:6443");
    free(v);
    v = yaml_str(fyd, "/contexts/0/name");
    assert_string_equal(v, "anzen");
    free(v);
    v = yaml_str(fyd, "/contexts/0/context/cluster");
    assert_string_equal(v, "anzen");
    free(v);
    v = yaml_str(fyd, "/contexts/0/context/user");
    assert_string_equal(v, "admin");
    free(v);
    v = yaml_str(fyd, "/contexts/0/context/namespace");
    assert_string_equal(v, "default");
    free(v);
    v = yaml_str(fyd, "/users/0/name");
    assert_string_equal(v, "admin");
    free(v);

    v = yaml_str(fyd, "/clusters/0/cluster/certificate-authority-data");
    dec = b64_decode(v);
    assert_string_equal(dec, p->ca_pem);
    free(dec);
    free(v);

    /* The client cert/key decode to a matching pair that the CA signed. */
    {
        char *crt_b64 = yaml_str(fyd, "/users/0/user/client-certificate-data");
        char *key_b64 = yaml_str(fyd, "/users/0/user/client-key-data");
        char *crt = b64_decode(crt_b64), *key = b64_decode(key_b64);
        BIO *cb = BIO_new_mem_buf(crt, -1), *kb = BIO_new_mem_buf(key, -1);
        X509 *x = PEM_read_bio_X509(cb, NULL, NULL, NULL);
        EVP_PKEY *k = PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL);

        assert_non_null(x);
        assert_non_null(k);
        assert_int_equal(X509_check_private_key(x, k), 1);
        assert_true(verifies(x, p->ca_cert, X509_PURPOSE_SSL_CLIENT));
        assert_subject(x, NID_organizationName, 0, "system:masters");
        X509_free(x);
        EVP_PKEY_free(k);
        BIO_free(cb);
        BIO_free(kb);
        free(crt);
        free(key);
        free(crt_b64);
        free(key_b64);
    }
    fy_document_destroy(fyd);

    /* Quotes in the URL stay inside the YAML string; control characters are refused. */
    assert_int_equal(pki_write_kubeconfig(p, path, "https://h\"x\\:1", &err), 0);
    fyd = fy_document_build_from_file(NULL, path);
    assert_non_null(fyd);
    v = yaml_str(fyd, "/clusters/0/cluster/server");
    assert_string_equal(v, "https://h\"x\\:1");
    free(v);
    fy_document_destroy(fyd);
    assert_int_equal(pki_write_kubeconfig(p, path, "https://h\n- evil", &err), AZ_EINVALID);
    free(err);

    free(path);
    pki_free(p);
    rm_rf(dir);
    free(dir);
}

static void test_issue_client_cert(void **state)
{
    char *dir = make_tmpdir(), *err = NULL, *crt = NULL, *key = NULL;
    struct pki *p = NULL;
    static const char *const orgs[] = { "system:nodes", "team-a", NULL };
    /* Longer than X.509's suggested 64-byte upper bound, like long node names. */
    const char *cn = "system:node:a-very-long-node-name-that-exceeds-sixty-four-bytes.example";

    assert_int_equal(pki_ensure(dir, NULL, &p, &err), 0);
    assert_int_equal(pki_issue_client_cert(p, cn, orgs, &crt, &key, &err), 0);
    {
        BIO *cb = BIO_new_mem_buf(crt, -1), *kb = BIO_new_mem_buf(key, -1);
        X509 *x = PEM_read_bio_X509(cb, NULL, NULL, NULL);
        EVP_PKEY *k = PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL);

        assert_non_null(x);
        assert_non_null(k);
        assert_int_equal(X509_check_private_key(x, k), 1);
        assert_true(verifies(x, p->ca_cert, X509_PURPOSE_SSL_CLIENT));
        assert_subject(x, NID_commonName, 0, cn);
        assert_subject(x, NID_organizationName, 0, "system:nodes");
        assert_subject(x, NID_organizationName, 1, "team-a");
        assert_subject(x, NID_organizationName, 2, NULL);
        X509_free(x);
        EVP_PKEY_free(k);
        BIO_free(cb);
        BIO_free(kb);
    }
    assert_int_equal(strncmp(key, "-----BEGIN PRIVATE KEY-----", 27), 0);
    free(crt);
    free(key);
    crt = key = NULL;

    assert_int_equal(pki_issue_client_cert(p, "", NULL, &crt, &key, &err), AZ_EINVALID);
    assert_null(crt);
    assert_null(key);
    free(err);

    pki_free(p);
    rm_rf(dir);
    free(dir);
}

static void test_server_ssl_ctx(void **state)
{
    char *dir = make_tmpdir(), *err = NULL;
    struct pki *p = NULL;
    SSL_CTX *ctx;
    STACK_OF(X509_NAME) *cas;

    assert_int_equal(pki_ensure(dir, NULL, &p, &err), 0);
    ctx = pki_server_ssl_ctx(p, &err);
    assert_non_null(ctx);
    assert_int_equal(SSL_CTX_get_min_proto_version(ctx), TLS1_2_VERSION);
    assert_int_equal(SSL_CTX_get_verify_mode(ctx), SSL_VERIFY_PEER);
    assert_int_equal(X509_cmp(SSL_CTX_get0_certificate(ctx), p->serving_cert), 0);
    cas = SSL_CTX_get_client_CA_list(ctx);
    assert_int_equal(sk_X509_NAME_num(cas), 1);
    assert_int_equal(X509_NAME_cmp(sk_X509_NAME_value(cas, 0), X509_get_subject_name(p->ca_cert)), 0);
    SSL_CTX_free(ctx);
    pki_free(p);
    pki_free(NULL);
    rm_rf(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fresh_dir_files_and_modes),
        cmocka_unit_test(test_certificate_contents),
        cmocka_unit_test(test_restart_keeps_keys),
        cmocka_unit_test(test_new_san_reissues_only_serving_cert),
        cmocka_unit_test(test_invalid_leaf_cert_is_replaced),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_kubeconfig),
        cmocka_unit_test(test_issue_client_cert),
        cmocka_unit_test(test_server_ssl_ctx),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
