/* x509_test.c — TLS handshakes against pki_server_ssl_ctx over a socketpair (TLS 1.2 and 1.3,
 * with and without client certs, rogue and mis-typed certs) and the certificate-to-user
 * mapping of x509_user_from_ssl / x509_user_from_cert. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "authn/pki.h"
#include "authn/x509.h"
#include "util/err.h"

static char *tmpdir;
static struct pki *pki;

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path);
}

static int setup(void **state)
{
    char *err = NULL;

    tmpdir = strdup("/tmp/anzen-x509-test-XXXXXX");
    if (mkdtemp(tmpdir) == NULL)
        return -1;
    if (pki_ensure(tmpdir, NULL, &pki, &err) != 0) {
        fprintf(stderr, "pki_ensure: %s\n", err);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    pki_free(pki);
    nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(tmpdir);
    return 0;
}

/* ---- test certificates ----------------------------------------------------------------- */

struct test_cert {
    X509 *cert;
    EVP_PKEY *key;
};

static void test_cert_release(struct test_cert *c)
{
    X509_free(c->cert);
    EVP_PKEY_free(c->key);
}

/* A certificate with the given subject (O entries, then CN entries), optional EKU, validity
 * [now+nb_days, now+na_days], signed by issuer (NULL: self-signed). */
static struct test_cert make_cert(const char *const *orgs, const char *const *cns, const char *eku,
                                  long nb_days, long na_days, X509 *issuer, EVP_PKEY *issuer_key)
{
    struct test_cert c = { X509_new(), EVP_EC_gen("P-256") };
    X509_NAME *name = X509_NAME_new();
    X509V3_CTX v3;

    assert_non_null(c.cert);
    assert_non_null(c.key);
    assert_int_equal(X509_set_version(c.cert, X509_VERSION_3), 1);
    assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(c.cert), 4242), 1);
    assert_non_null(X509_time_adj_ex(X509_getm_notBefore(c.cert), (int)nb_days, 0, NULL));
    assert_non_null(X509_time_adj_ex(X509_getm_notAfter(c.cert), (int)na_days, 0, NULL));
    for (size_t i = 0; orgs && orgs[i]; i++)
        assert_int_equal(X509_NAME_add_entry_by_NID(name, NID_organizationName, MBSTRING_UTF8,
                                                    (const unsigned char *)orgs[i], -1, -1, 0), 1);
    for (size_t i = 0; cns && cns[i]; i++)
        assert_int_equal(X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8,
                                                    (const unsigned char *)cns[i], -1, -1, 0), 1);
    assert_int_equal(X509_set_subject_name(c.cert, name), 1);
    assert_int_equal(X509_set_issuer_name(c.cert, issuer ? X509_get_subject_name(issuer) : name), 1);
    assert_int_equal(X509_set_pubkey(c.cert, c.key), 1);
    X509V3_set_ctx(&v3, issuer ? issuer : c.cert, c.cert, NULL, NULL, 0);
    if (eku != NULL) {
        X509_EXTENSION *ext = X509V3_EXT_nconf_nid(NULL, &v3, NID_ext_key_usage, eku);
        assert_non_null(ext);
        assert_int_equal(X509_add_ext(c.cert, ext, -1), 1);
        X509_EXTENSION_free(ext);
    }
    assert_true(X509_sign(c.cert, issuer_key ? issuer_key : c.key, EVP_sha256()) > 0);
    X509_NAME_free(name);
    return c;
}

static struct test_cert ca_signed(const char *const *orgs, const char *const *cns, const char *eku)
{
    return make_cert(orgs, cns, eku, 0, 30, pki->ca_cert, pki->ca_key);
}

static struct test_cert from_pem(const char *cert_pem, const char *key_pem)
{
    BIO *cb = BIO_new_mem_buf(cert_pem, -1), *kb = BIO_new_mem_buf(key_pem, -1);
    struct test_cert c = { PEM_read_bio_X509(cb, NULL, NULL, NULL),
                           PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL) };
    assert_non_null(c.cert);
    assert_non_null(c.key);
    BIO_free(cb);
    BIO_free(kb);
    return c;
}

/* ---- in-process TLS over a socketpair -------------------------------------------------- */

struct conn {
    SSL *server, *client;
    int server_ok, client_ok;
    int fds[2];
};

static SSL_CTX *client_ctx(X509 *cert, EVP_PKEY *key, int version)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

    assert_non_null(ctx);
    assert_int_equal(X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), pki->ca_cert), 1);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    assert_int_equal(SSL_CTX_set_min_proto_version(ctx, version), 1);
    assert_int_equal(SSL_CTX_set_max_proto_version(ctx, version), 1);
    if (cert != NULL) {
        assert_int_equal(SSL_CTX_use_certificate(ctx, cert), 1);
        assert_int_equal(SSL_CTX_use_PrivateKey(ctx, key), 1);
    }
    return ctx;
}

/* Runs both ends of a handshake in this thread over non-blocking sockets. */
static void handshake(struct conn *c, SSL_CTX *sctx, SSL_CTX *cctx, const char *host)
{
    int sdone = 0, cdone = 0;

    memset(c, 0, sizeof(*c));
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, c->fds), 0);
    c->server = SSL_new(sctx);
    c->client = SSL_new(cctx);
    assert_int_equal(SSL_set_fd(c->server, c->fds[0]), 1);
    assert_int_equal(SSL_set_fd(c->client, c->fds[1]), 1);
    SSL_set_accept_state(c->server);
    SSL_set_connect_state(c->client);
    assert_int_equal(SSL_set1_host(c->client, host), 1);

    for (int i = 0; i < 2000 && (!sdone || !cdone); i++) {
        if (!sdone) {
            int r = SSL_do_handshake(c->server);
            if (r == 1) {
                sdone = c->server_ok = 1;
            } else {
                int e = SSL_get_error(c->server, r);
                if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
                    sdone = 1;
            }
        }
        if (!cdone) {
            int r = SSL_do_handshake(c->client);
            if (r == 1) {
                cdone = c->client_ok = 1;
            } else {
                int e = SSL_get_error(c->client, r);
                if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
                    cdone = 1;
            }
        }
    }
    ERR_clear_error();
}

static void conn_close(struct conn *c)
{
    SSL_free(c->server);
    SSL_free(c->client);
    close(c->fds[0]);
    close(c->fds[1]);
}

static const int versions[] = { TLS1_2_VERSION, TLS1_3_VERSION };

/* The credential-id value upstream computes: "X509SHA256=" + hex(sha256(DER)). */
static char *expected_credential_id(X509 *cert)
{
    unsigned char *der = NULL, md[32];
    int n = i2d_X509(cert, &der);
    unsigned int mdlen = 0;
    char *r = malloc(11 + 64 + 1);

    assert_true(n > 0);
    assert_int_equal(EVP_Digest(der, (size_t)n, md, &mdlen, EVP_sha256(), NULL), 1);
    assert_int_equal(mdlen, 32);
    memcpy(r, "X509SHA256=", 11);
    for (int i = 0; i < 32; i++)
        snprintf(r + 11 + 2 * i, 3, "%02x", md[i]);
    OPENSSL_free(der);
    return r;
}

static void assert_credential_id(const struct user_info *u, X509 *cert)
{
    json_t *arr = json_object_get(u->extra, "authentication.kubernetes.io/credential-id");
    char *want = expected_credential_id(cert);

    assert_non_null(arr);
    assert_int_equal(json_array_size(arr), 1);
    assert_string_equal(json_string_value(json_array_get(arr, 0)), want);
    assert_int_equal(json_object_size(u->extra), 1);
    free(want);
}

/* ---- tests ----------------------------------------------------------------------------- */

static void test_handshake_without_client_cert(void **state)
{
    char *err = NULL;
    SSL_CTX *sctx = pki_server_ssl_ctx(pki, &err);

    assert_non_null(sctx);
    for (size_t v = 0; v < 2; v++) {
        SSL_CTX *cctx = client_ctx(NULL, NULL, versions[v]);
        struct conn c;
        struct user_info u = { .name = (char *)"untouched" };

        handshake(&c, sctx, cctx, "kubernetes.default.svc");
        assert_true(c.server_ok);
        assert_true(c.client_ok);
        assert_int_equal(SSL_version(c.server), versions[v]);
        /* The client verified the serving cert against the CA, including the host name. */
        assert_int_equal(SSL_get_verify_result(c.client), X509_V_OK);
        assert_int_equal(x509_user_from_ssl(c.server, &u), AZ_ENOTFOUND);
        assert_string_equal(u.name, "untouched");
        conn_close(&c);
        SSL_CTX_free(cctx);
    }
    SSL_CTX_free(sctx);
}

static void test_serving_cert_names(void **state)
{
    char *err = NULL;
    SSL_CTX *sctx = pki_server_ssl_ctx(pki, &err);
    static const char *const good[] = { "localhost", "kubernetes", "127.0.0.1", "::1" };

    for (size_t i = 0; i < 4; i++) {
        SSL_CTX *cctx = client_ctx(NULL, NULL, TLS1_3_VERSION);
        struct conn c;
        handshake(&c, sctx, cctx, good[i]);
        assert_true(c.client_ok);
        conn_close(&c);
        SSL_CTX_free(cctx);
    }
    /* A name not in the SANs fails on the client side. */
    SSL_CTX *cctx = client_ctx(NULL, NULL, TLS1_3_VERSION);
    struct conn c;
    handshake(&c, sctx, cctx, "not-the-apiserver.example");
    assert_false(c.client_ok);
    conn_close(&c);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
}

static void test_admin_cert_authenticates(void **state)
{
    char *err = NULL;
    SSL_CTX *sctx = pki_server_ssl_ctx(pki, &err);

    for (size_t v = 0; v < 2; v++) {
        SSL_CTX *cctx = client_ctx(pki->admin_cert, pki->admin_key, versions[v]);
        struct conn c;
        struct user_info u;

        handshake(&c, sctx, cctx, "localhost");
        assert_true(c.server_ok);
        assert_true(c.client_ok);
        assert_int_equal(SSL_get_verify_result(c.server), X509_V_OK);
        assert_int_equal(x509_user_from_ssl(c.server, &u), 0);
        assert_string_equal(u.name, "kubernetes-admin");
        assert_null(u.uid);
        assert_int_equal(u.ngroups, 1);
        assert_string_equal(u.groups[0], "system:masters");
        assert_credential_id(&u, pki->admin_cert);
        user_info_release(&u);
        conn_close(&c);
        SSL_CTX_free(cctx);
    }
    SSL_CTX_free(sctx);
}

static void test_issued_cert_groups_in_order(void **state)
{
    char *err = NULL, *crt, *key;
    static const char *const orgs[] = { "team-b", "team-a", "system:authenticated", NULL };
    SSL_CTX *sctx = pki_server_ssl_ctx(pki, &err);
    struct test_cert tc;

    assert_int_equal(pki_issue_client_cert(pki, "alice", orgs, &crt, &key, &err), 0);
    tc = from_pem(crt, key);
    SSL_CTX *cctx = client_ctx(tc.cert, tc.key, TLS1_3_VERSION);
    struct conn c;
    struct user_info u;

    handshake(&c, sctx, cctx, "localhost");
    assert_true(c.server_ok);
    assert_int_equal(x509_user_from_ssl(c.server, &u), 0);
    assert_string_equal(u.name, "alice");
    assert_int_equal(u.ngroups, 3);
    assert_string_equal(u.groups[0], "team-b");
    assert_string_equal(u.groups[1], "team-a");
    assert_string_equal(u.groups[2], "system:authenticated");
    assert_credential_id(&u, tc.cert);
    user_info_release(&u);
    /* the same connection again (the connection remembers its certificate): the same user */
    for (int i = 0; i < 3; i++) {
        assert_int_equal(x509_user_from_ssl(c.server, &u), 0);
        assert_string_equal(u.name, "alice");
        assert_int_equal(u.ngroups, 3);
        assert_string_equal(u.groups[0], "team-b");
        assert_string_equal(u.groups[2], "system:authenticated");
        assert_credential_id(&u, tc.cert);
        user_info_release(&u);
    }
    conn_close(&c);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
    test_cert_release(&tc);
    free(crt);
    free(key);
}

/* Two connections with different certificates served in turn on one thread (as one loop
 * serves many clients): each request gets its own connection's user, from the first answer
 * and from the connection's memo after it, and each memo dies with its SSL object. */
static void test_interleaved_connections(void **state)
{
    char *err = NULL, *crt[2], *key[2];
    static const char *const orgs_a[] = { "team-a", NULL };
    static const char *const orgs_b[] = { "team-b", "team-c", NULL };
    static const char *const names[] = { "alice", "bob" };
    SSL_CTX *sctx = pki_server_ssl_ctx(pki, &err);
    struct test_cert tc[2];
    SSL_CTX *cctx[2];
    struct conn c[2];

    assert_int_equal(pki_issue_client_cert(pki, "alice", orgs_a, &crt[0], &key[0], &err), 0);
    assert_int_equal(pki_issue_client_cert(pki, "bob", orgs_b, &crt[1], &key[1], &err), 0);
    for (int k = 0; k < 2; k++) {
        tc[k] = from_pem(crt[k], key[k]);
        cctx[k] = client_ctx(tc[k].cert, tc[k].key, TLS1_3_VERSION);
        handshake(&c[k], sctx, cctx[k], "localhost");
        assert_true(c[k].server_ok);
    }
    for (int i = 0; i < 6; i++) {
        int k = i % 2;
        struct user_info u;
        assert_int_equal(x509_user_from_ssl(c[k].server, &u), 0);
        assert_string_equal(u.name, names[k]);
        assert_int_equal(u.ngroups, k == 0 ? 1 : 2);
        assert_string_equal(u.groups[0], k == 0 ? "team-a" : "team-b");
        assert_credential_id(&u, tc[k].cert);
        user_info_release(&u);
    }
    /* a new connection with alice's certificate after bob's connection is gone */
    conn_close(&c[1]);
    handshake(&c[1], sctx, cctx[0], "localhost");
    struct user_info u;
    assert_int_equal(x509_user_from_ssl(c[1].server, &u), 0);
    assert_string_equal(u.name, "alice");
    user_info_release(&u);
    for (int k = 0; k < 2; k++) {
        conn_close(&c[k]);
        SSL_CTX_free(cctx[k]);
        test_cert_release(&tc[k]);
        free(crt[k]);
        free(key[k]);
    }
    SSL_CTX_free(sctx);
}

/* x509_user_lend: the certificate's user plus the finishing group, lent by the connection
 * (the same memory every time, borrowed: releasing it frees nothing, which ASan checks), next
 * to an owned copy from x509_user_from_ssl that is unchanged by the lending. */
static void test_lend_user(void **state)
{
    char *err = NULL;
    SSL_CTX *sctx = pki_server_ssl_ctx(pki, &err);
    SSL_CTX *cctx = client_ctx(pki->admin_cert, pki->admin_key, TLS1_3_VERSION);
    struct conn c;
    struct user_info first, u, own;

    handshake(&c, sctx, cctx, "localhost");
    assert_true(c.server_ok);
    assert_int_equal(x509_user_lend(c.server, "system:authenticated", &first), 0);
    assert_true(first.borrowed);
    assert_string_equal(first.name, "kubernetes-admin");
    assert_int_equal(first.ngroups, 2);
    assert_string_equal(first.groups[0], "system:masters");
    assert_string_equal(first.groups[1], "system:authenticated");
    assert_credential_id(&first, pki->admin_cert);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(x509_user_lend(c.server, "system:authenticated", &u), 0);
        assert_true(u.borrowed);
        assert_ptr_equal(u.name, first.name);
        assert_int_equal(u.ngroups, 2);
        user_info_release(&u);
        assert_null(u.name);
        assert_false(u.borrowed);
    }
    assert_int_equal(x509_user_from_ssl(c.server, &own), 0);
    assert_false(own.borrowed);
    assert_int_equal(own.ngroups, 1);
    assert_string_equal(own.groups[0], "system:masters");
    /* a copy of a lent user is the copier's own */
    user_info_copy(&u, &first);
    assert_false(u.borrowed);
    assert_ptr_not_equal(u.name, first.name);
    assert_int_equal(u.ngroups, 2);
    user_info_release(&first);
    conn_close(&c); /* the memo goes with the SSL object; the copies stay valid */
    assert_string_equal(u.name, "kubernetes-admin");
    assert_string_equal(own.name, "kubernetes-admin");
    user_info_release(&u);
    user_info_release(&own);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
}

static void test_rogue_cert_fails_handshake(void **state)
{
    static const char *const orgs[] = { "system:masters", NULL };
    static const char *const cns[] = { "kubernetes-admin", NULL };
    char *err = NULL;
    SSL_CTX *sctx = pki_server_ssl_ctx(pki, &err);
    /* Self-signed with the admin's subject and clientAuth: wrong issuer. */
    struct test_cert rogue = make_cert(orgs, cns, "clientAuth", 0, 30, NULL, NULL);
    /* Signed by our CA but only for serverAuth. */
    struct test_cert server_only = ca_signed(orgs, cns, "serverAuth");
    /* Signed by our CA, clientAuth, but expired. */
    struct test_cert expired = make_cert(orgs, cns, "clientAuth", -10, -1, pki->ca_cert, pki->ca_key);
    struct test_cert *bad[] = { &rogue, &server_only, &expired };

    for (size_t b = 0; b < 3; b++)
        for (size_t v = 0; v < 2; v++) {
            SSL_CTX *cctx = client_ctx(bad[b]->cert, bad[b]->key, versions[v]);
            struct conn c;
            handshake(&c, sctx, cctx, "localhost");
            if (c.server_ok)
                fail_msg("bad client cert %zu accepted with TLS version %x", b, versions[v]);
            conn_close(&c);
            SSL_CTX_free(cctx);
        }
    test_cert_release(&rogue);
    test_cert_release(&server_only);
    test_cert_release(&expired);
    SSL_CTX_free(sctx);
}

static int accept_anything(int preverify_ok, X509_STORE_CTX *ctx)
{
    return 1;
}

/* With a server that lets every certificate through the handshake (as upstream's
 * tls.RequestClientCert does), the authenticator itself refuses bad ones. */
static void test_unverified_cert_is_unauthorized(void **state)
{
    static const char *const orgs[] = { "system:masters", NULL };
    static const char *const cns[] = { "kubernetes-admin", NULL };
    char *err = NULL;
    SSL_CTX *sctx = pki_server_ssl_ctx(pki, &err);
    struct test_cert rogue = make_cert(orgs, cns, "clientAuth", 0, 30, NULL, NULL);
    struct test_cert expired = make_cert(orgs, cns, "clientAuth", -10, -1, pki->ca_cert, pki->ca_key);
    struct test_cert *bad[] = { &rogue, &expired };

    SSL_CTX_set_verify(sctx, SSL_VERIFY_PEER, accept_anything);
    for (size_t b = 0; b < 2; b++) {
        SSL_CTX *cctx = client_ctx(bad[b]->cert, bad[b]->key, TLS1_3_VERSION);
        struct conn c;
        struct user_info u = { .name = (char *)"untouched" };

        handshake(&c, sctx, cctx, "localhost");
        assert_true(c.server_ok);
        assert_int_not_equal(SSL_get_verify_result(c.server), X509_V_OK);
        assert_int_equal(x509_user_from_ssl(c.server, &u), AZ_EUNAUTHORIZED);
        assert_string_equal(u.name, "untouched");
        conn_close(&c);
        SSL_CTX_free(cctx);
    }
    test_cert_release(&rogue);
    test_cert_release(&expired);
    SSL_CTX_free(sctx);
}

/* The mapping itself, as upstream's x509 authenticator with CommonNameUserConversion. */
static void test_user_from_cert_rules(void **state)
{
    static const char *const orgs[] = { "o1", "o2", NULL };
    static const char *const one_cn[] = { "bob", NULL };
    static const char *const two_cn[] = { "first", "last", NULL };
    struct user_info u;

    assert_int_equal(x509_user_from_cert(NULL, X509_V_OK, &u), AZ_ENOTFOUND);

    /* No extendedKeyUsage extension at all: Go treats it as valid for any usage. */
    struct test_cert no_eku = ca_signed(orgs, one_cn, NULL);
    assert_int_equal(x509_user_from_cert(no_eku.cert, X509_V_OK, &u), 0);
    assert_string_equal(u.name, "bob");
    assert_int_equal(u.ngroups, 2);
    assert_string_equal(u.groups[0], "o1");
    assert_string_equal(u.groups[1], "o2");
    user_info_release(&u);

    /* anyExtendedKeyUsage is accepted too; serverAuth alone is not. */
    struct test_cert any = ca_signed(NULL, one_cn, "anyExtendedKeyUsage");
    assert_int_equal(x509_user_from_cert(any.cert, X509_V_OK, &u), 0);
    assert_int_equal(u.ngroups, 0);
    user_info_release(&u);
    struct test_cert srv = ca_signed(orgs, one_cn, "serverAuth,codeSigning");
    assert_int_equal(x509_user_from_cert(srv.cert, X509_V_OK, &u), AZ_EUNAUTHORIZED);
    struct test_cert both = ca_signed(orgs, one_cn, "serverAuth,clientAuth");
    assert_int_equal(x509_user_from_cert(both.cert, X509_V_OK, &u), 0);
    user_info_release(&u);

    /* The last CN wins, as in Go's pkix.Name. */
    struct test_cert multi = ca_signed(orgs, two_cn, "clientAuth");
    assert_int_equal(x509_user_from_cert(multi.cert, X509_V_OK, &u), 0);
    assert_string_equal(u.name, "last");
    user_info_release(&u);

    /* No CN: no user, not an error. */
    struct test_cert no_cn = ca_signed(orgs, NULL, "clientAuth");
    assert_int_equal(x509_user_from_cert(no_cn.cert, X509_V_OK, &u), AZ_ENOTFOUND);

    /* A failed verification, or a certificate outside its validity now. */
    struct test_cert ok = ca_signed(orgs, one_cn, "clientAuth");
    assert_int_equal(x509_user_from_cert(ok.cert, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, &u),
                     AZ_EUNAUTHORIZED);
    struct test_cert expired = make_cert(orgs, one_cn, "clientAuth", -10, -1, pki->ca_cert, pki->ca_key);
    assert_int_equal(x509_user_from_cert(expired.cert, X509_V_OK, &u), AZ_EUNAUTHORIZED);
    struct test_cert future = make_cert(orgs, one_cn, "clientAuth", 1, 10, pki->ca_cert, pki->ca_key);
    assert_int_equal(x509_user_from_cert(future.cert, X509_V_OK, &u), AZ_EUNAUTHORIZED);

    test_cert_release(&no_eku);
    test_cert_release(&any);
    test_cert_release(&srv);
    test_cert_release(&both);
    test_cert_release(&multi);
    test_cert_release(&no_cn);
    test_cert_release(&ok);
    test_cert_release(&expired);
    test_cert_release(&future);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_handshake_without_client_cert),
        cmocka_unit_test(test_serving_cert_names),
        cmocka_unit_test(test_admin_cert_authenticates),
        cmocka_unit_test(test_issued_cert_groups_in_order),
        cmocka_unit_test(test_interleaved_connections),
        cmocka_unit_test(test_lend_user),
        cmocka_unit_test(test_rogue_cert_fails_handshake),
        cmocka_unit_test(test_unverified_cert_is_unauthorized),
        cmocka_unit_test(test_user_from_cert_rules),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
