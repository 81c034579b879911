/* jwt_test.c — unit tests for authn/jwt.c: kid derivation against key/kid pairs computed
 * with the openssl CLI, RS256/ES256 sign/verify round trips, and every rejection (tampered
 * payload/signature, alg none, HS256 keyed with the RSA public key, alg/key mismatch, crit,
 * malformed encodings, oversized tokens).
 *
 * The keys below were generated once and their kids computed with:
 *   openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa.pem
 *   openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ec.pem
 *   openssl pkey -in KEY.pem -pubout -outform DER | openssl dgst -sha256 -binary \
 *       | base64 | tr '+/' '-_' | tr -d '=\n'
 * (spec/01 §1.1: kid = base64url_nopad(SHA-256(PKIX DER of the public key))). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>
#include "authn/jwt.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/util.h"

static const char rsa_pem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQC6M57GgunHqPlH\n"
    "QW+Pc45hqVGP0vRR6W8lCIRWrKZUGgHWdYKxx6Weq6Y4CYz54i2PvAMsJhIhfMul\n"
    "h8GjCjagxenBYbspVOqli+A83bRH+5FfjhcgqN1XdnPequkLvxLcZcMlSjm6pjGF\n"
    "kOJImapk6hoyQLHEYOOG0jGhsemKPPkzkj+p/NCgOsFiamZun1SegV7PP9w3vwIO\n"
    "hJ8L19Qk4SVWwgTYfwxM6BocxduSv/HP9dzrsJAgRoFtCi8XVXCy+UdwiFxO0Hfv\n"
    "NLNlJ06mklLv/WQwTGqkyx19eiWkl/wlCF9luSfLmhckCcUEpUgVE+k0sbYp+F/x\n"
    "VctSUNepAgMBAAECggEAAgwjgq4JlUoSvKF38TE9d24x0QWqLVTmZZc5gkz5crsK\n"
    "+mFWJ6+I7wzW4e6b89r0coxIEiYUhLT/NcGfg9QOy/eFJZzWHqMaBeo689xhuTln\n"
    "TLBOqYulzGqHZWNGdvw5wD3ntoshhZ+Cc6QnUtJKvPuUgGk08zJ4CgFZbZxb06rp\n"
    "YAywAd2zA4r/3J0gCvzXyu81epzdjr0PH16tdxDWixneFKrpsXPM5bCqTl6U5qY1\n"
    "+ZaZhU3mJmHTP8rq6thgTKos7xeAvvBsntbNdbO876arh0VHVdi9V5rww8g+f3it\n"
    "XGq1kWscwrFcCuUja3iDLmPAf3LQdl77hQXS8HD/sQKBgQD5V8S/HP+/1G1JSiTS\n"
    "zCRWcup/P032tywf1BbdcRv2sGXGH0CrHQyGunEiXmmvepvt8c4Cl5/t7mDeEJiK\n"
    "Qvr5If4jXmt+xRoj2Dz8J1ETDCOjh97XLeq5FtiW+P+Y+84jqYSG1NXXDeWhK/qr\n"
    "Cidp6N5sPLmxlLUwC8duELi50QKBgQC/LEnRhy/R4C4hVHJIPOA6PeJOJuQ0EFGR\n"
    "TTHSkeDQ/6Mjs0+qVRgTc81taCnlwxuqxalYm8O9I2KYFaVkFMVYVZ6FAK8EuXoX\n"
    "yCFOh+FJAkKSHrI1CoaSeybtGtV7Zc56npIbCmg/W9YJcHfJnAUeX75XuszA+dEl\n"
    "rnWkyeXeWQKBgQCb83dNCTg0pQqNkmAhsCjyIQHmAJQkwUBJz/9VFU+mJYIiPp3V\n"
    "6F9TTP1Bv8deR9OLKXfuSyNuT3AqtDqUD3ylocswF/gn2+OTk8Xg+D5PKYKI34xT\n"
    "DZcHmPByzN4gsy2lRHttUWVGEp0TB0zK+ZjZNxsWm4yRMy94E4Xyo2bGYQKBgH4F\n"
    "cfv/g9R0VbR++H8KMj3ygXZHSPPRNhP0sT1AENV1T1O/ZmrAgYiBNBBFNClT/q8K\n"
    "ceIJfHT4GIxs6IQa9SSP/Fls4/LXWdbHhL1B8Y6xQLUWKx+v+pohOL3gjI41xHEs\n"
    "it/scmAh5+x9CVoL0Yv+TXmDmGo1xFt0r/Sbaz6xAoGBAIRo1zILmKxYHBl6n91N\n"
    "6OBwSE0sSB76SyUwjIpweOSYVw63xvzHMgNd2mUVMOtSNFbgHNnCGe01c4QVg2Dy\n"
    "NIvBZPV4FF+cY1UNHuqSxXNvDUuPXJ5yCabZgSV0hDJnaWcYUoFN2lG9EYsi+6I5\n"
    "/as9y5rozVJSqC0ixVR2Mpxt\n"
    "-----END PRIVATE KEY-----\n";
static const char rsa_kid[] = "V44w_pArHEKwP0msjSMCGNAxMGfamf8i4uIqaYHdEww";

static const char ec_pem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgri1NVnA80GDZ3VAV\n"
    "nbIa9Ysfi2DRrbmTal7fN5SRLSyhRANCAATNgo4Wm1PN4YoTFmTpsFQRbjGqTnpR\n"
    "I1N2FIATlxtWSmNCe1hdid1A/UEJ5Zetr6FNtNDvLdPZ3/K3Jb/tqtYK\n"
    "-----END PRIVATE KEY-----\n";
static const char ec_kid[] = "84AtK3nwYUjTBkcia7BnYNj5ZIeqWJshABkIUGfkh9w";

static EVP_PKEY *load(const char *pem)
{
    BIO *b = BIO_new_mem_buf(pem, -1);
    EVP_PKEY *k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
    BIO_free(b);
    assert_non_null(k);
    return k;
}

static void key_init(struct jwt_key *k, const char *pem)
{
    EVP_PKEY *p = load(pem);
    char *err = NULL;
    assert_int_equal(jwt_key_init(k, p, &err), 0);
    EVP_PKEY_free(p);
}

static void test_kid_rsa(void **st)
{
    (void)st;
    EVP_PKEY *p = load(rsa_pem);
    char kid[JWT_KID_LEN + 1];
    assert_int_equal(jwt_kid(p, kid), 0);
    assert_string_equal(kid, rsa_kid);
    struct jwt_key k;
    char *err = NULL;
    assert_int_equal(jwt_key_init(&k, p, &err), 0);
    assert_string_equal(k.kid, rsa_kid);
    assert_string_equal(k.alg, "RS256");
    jwt_key_release(&k);
    EVP_PKEY_free(p);
}

static void test_kid_ec(void **st)
{
    (void)st;
    struct jwt_key k;
    key_init(&k, ec_pem);
    assert_string_equal(k.kid, ec_kid);
    assert_string_equal(k.alg, "ES256");
    jwt_key_release(&k);
}

static void test_reject_p384(void **st)
{
    (void)st;
    EVP_PKEY *p = EVP_EC_gen("P-384");
    assert_non_null(p);
    struct jwt_key k;
    char *err = NULL;
    assert_int_equal(jwt_key_init(&k, p, &err), AZ_EINVALID);
    assert_non_null(err);
    free(err);
    EVP_PKEY_free(p);
}

static const char payload[] = "{\"iss\":\"https://kubernetes.default.svc.cluster.local\",\"sub\":\"system:serviceaccount:lab:default\"}";

static void roundtrip(const char *pem, const char *alg)
{
    struct jwt_key k;
    key_init(&k, pem);
    char *tok = jwt_sign(&k, payload, strlen(payload));
    assert_non_null(tok);
    /* header is exactly {"alg":..,"kid":..} */
    char *want_hdr = xasprintf("{\"alg\":\"%s\",\"kid\":\"%s\"}", alg, k.kid);
    char *h64 = base64url_encode(want_hdr, strlen(want_hdr));
    assert_true(strncmp(tok, h64, strlen(h64)) == 0 && tok[strlen(h64)] == '.');
    struct jwt t;
    assert_int_equal(jwt_parse(tok, strlen(tok), &t), 0);
    assert_string_equal(t.alg, alg);
    assert_string_equal(t.kid, k.kid);
    assert_string_equal(json_string_value(json_object_get(t.claims, "sub")), "system:serviceaccount:lab:default");
    if (strcmp(alg, "ES256") == 0)
        assert_int_equal(t.siglen, 64);
    else
        assert_int_equal(t.siglen, 256);
    assert_int_equal(jwt_verify(&t, &k), 0);
    jwt_release(&t);

    /* tampered payload: flip one payload character */
    char *bad = xstrdup(tok);
    char *dot = strchr(bad, '.');
    dot[3] = dot[3] == 'A' ? 'B' : 'A';
    if (jwt_parse(bad, strlen(bad), &t) == 0) {
        assert_int_equal(jwt_verify(&t, &k), AZ_EUNAUTHORIZED);
        jwt_release(&t);
    }
    free(bad);
    /* tampered signature */
    bad = xstrdup(tok);
    char *last = strrchr(bad, '.');
    last[5] = last[5] == 'A' ? 'B' : 'A';
    assert_int_equal(jwt_parse(bad, strlen(bad), &t), 0);
    assert_int_equal(jwt_verify(&t, &k), AZ_EUNAUTHORIZED);
    jwt_release(&t);
    free(bad);
    /* the thread's cached verify context still accepts the good token after the failures */
    assert_int_equal(jwt_parse(tok, strlen(tok), &t), 0);
    assert_int_equal(jwt_verify(&t, &k), 0);
    assert_int_equal(jwt_verify(&t, &k), 0);
    jwt_release(&t);
    free(want_hdr);
    free(h64);
    free(tok);
    jwt_key_release(&k);
}

static void test_roundtrip_rs256(void **st) { (void)st; roundtrip(rsa_pem, "RS256"); }
static void test_roundtrip_es256(void **st) { (void)st; roundtrip(ec_pem, "ES256"); }

static char *make_token(const char *hdr, const char *pl, const unsigned char *sig, size_t siglen)
{
    char *h = base64url_encode(hdr, strlen(hdr)), *p = base64url_encode(pl, strlen(pl));
    char *s = siglen ? base64url_encode(sig, siglen) : xstrdup("");
    char *t = xasprintf("%s.%s.%s", h, p, s);
    free(h);
    free(p);
    free(s);
    return t;
}

static void test_alg_none(void **st)
{
    (void)st;
    struct jwt_key k;
    key_init(&k, rsa_pem);
    char *hdr = xasprintf("{\"alg\":\"none\",\"kid\":\"%s\"}", k.kid);
    char *tok = make_token(hdr, payload, NULL, 0);
    struct jwt t;
    assert_int_equal(jwt_parse(tok, strlen(tok), &t), 0);
    assert_int_equal(jwt_verify(&t, &k), AZ_EUNAUTHORIZED);
    jwt_release(&t);
    free(tok);
    free(hdr);
    jwt_key_release(&k);
}

/* HS256 with the RSA public key (PEM) as the HMAC secret: the classic confusion attack. */
static void test_hs256_with_public_key(void **st)
{
    (void)st;
    struct jwt_key k;
    key_init(&k, rsa_pem);
    BIO *b = BIO_new(BIO_s_mem());
    PEM_write_bio_PUBKEY(b, k.pkey);
    char *pub;
    long publen = BIO_get_mem_data(b, &pub);
    char *hdr = xasprintf("{\"alg\":\"HS256\",\"kid\":\"%s\"}", k.kid);
    char *h = base64url_encode(hdr, strlen(hdr)), *p = base64url_encode(payload, strlen(payload));
    char *input = xasprintf("%s.%s", h, p);
    unsigned char mac[32];
    unsigned int maclen = 0;
    HMAC(EVP_sha256(), pub, (int)publen, (const unsigned char *)input, strlen(input), mac, &maclen);
    char *tok = make_token(hdr, payload, mac, maclen);
    struct jwt t;
    assert_int_equal(jwt_parse(tok, strlen(tok), &t), 0);
    assert_string_equal(t.alg, "HS256");
    assert_int_equal(jwt_verify(&t, &k), AZ_EUNAUTHORIZED);
    jwt_release(&t);
    BIO_free(b);
    free(tok);
    free(input);
    free(h);
    free(p);
    free(hdr);
    jwt_key_release(&k);
}

/* An ES256 token presented to an RSA key and vice versa. */
static void test_alg_key_mismatch(void **st)
{
    (void)st;
    struct jwt_key rk, ek;
    key_init(&rk, rsa_pem);
    key_init(&ek, ec_pem);
    char *t1 = jwt_sign(&ek, payload, strlen(payload));
    char *t2 = jwt_sign(&rk, payload, strlen(payload));
    struct jwt t;
    assert_int_equal(jwt_parse(t1, strlen(t1), &t), 0);
    assert_int_equal(jwt_verify(&t, &rk), AZ_EUNAUTHORIZED);
    jwt_release(&t);
    assert_int_equal(jwt_parse(t2, strlen(t2), &t), 0);
    assert_int_equal(jwt_verify(&t, &ek), AZ_EUNAUTHORIZED);
    jwt_release(&t);
    free(t1);
    free(t2);
    jwt_key_release(&rk);
    jwt_key_release(&ek);
}

static void test_crit_rejected(void **st)
{
    (void)st;
    struct jwt_key k;
    key_init(&k, rsa_pem);
    /* sign a token whose header carries crit, by hand */
    char *hdr = xasprintf("{\"alg\":\"RS256\",\"crit\":[\"exp\"],\"kid\":\"%s\"}", k.kid);
    char *h = base64url_encode(hdr, strlen(hdr)), *p = base64url_encode(payload, strlen(payload));
    char *input = xasprintf("%s.%s", h, p);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    size_t siglen = 0;
    assert_int_equal(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, k.pkey), 1);
    assert_int_equal(EVP_DigestSign(md, NULL, &siglen, (unsigned char *)input, strlen(input)), 1);
    unsigned char *sig = malloc(siglen);
    assert_int_equal(EVP_DigestSign(md, sig, &siglen, (unsigned char *)input, strlen(input)), 1);
    EVP_MD_CTX_free(md);
    char *tok = make_token(hdr, payload, sig, siglen);
    struct jwt t;
    assert_int_equal(jwt_parse(tok, strlen(tok), &t), 0);
    assert_int_equal(jwt_verify(&t, &k), AZ_EUNAUTHORIZED);
    jwt_release(&t);
    free(sig);
    free(tok);
    free(input);
    free(h);
    free(p);
    free(hdr);
    jwt_key_release(&k);
}

static void test_malformed(void **st)
{
    (void)st;
    static const char *const bad[] = {
        "", "abc", "a.b", "a.b.c.d", ".eyJ9.", "eyJhbGciOiJSUzI1NiJ9..sig",
        "eyJhbGciOiJSUzI1NiJ9=.eyJpc3MiOiJ4In0.AA",      /* padding */
        "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0.A+/A",     /* std alphabet */
        "WyJ4Il0.eyJpc3MiOiJ4In0.AA",                    /* header is an array */
        "eyJhbGciOjF9.eyJpc3MiOiJ4In0.AA",               /* alg not a string */
        "eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.AA",           /* payload not JSON */
        "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0.A",        /* impossible length */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct jwt t;
        if (jwt_parse(bad[i], strlen(bad[i]), &t) == 0)
            fail_msg("parsed malformed token %zu: %s", i, bad[i]);
    }
    /* oversized */
    size_t n = JWT_MAX_TOKEN + 1;
    char *big = malloc(n + 1);
    memset(big, 'A', n);
    big[10] = '.';
    big[20] = '.';
    big[n] = '\0';
    struct jwt t;
    assert_int_equal(jwt_parse(big, n, &t), AZ_EINVALID);
    free(big);
}

/* The JWK members are the key's real n/e and x/y (checked against OpenSSL's own values). */
static void test_jwk(void **st)
{
    (void)st;
    struct jwt_key k;
    key_init(&k, rsa_pem);
    json_t *j = jwt_key_jwk(&k);
    const char *keys[6];
    size_t i = 0;
    const char *key;
    json_t *v;
    json_object_foreach(j, key, v) keys[i++] = key;
    assert_int_equal(i, 6);
    assert_string_equal(keys[0], "use");
    assert_string_equal(keys[1], "kty");
    assert_string_equal(keys[2], "kid");
    assert_string_equal(keys[3], "alg");
    assert_string_equal(keys[4], "n");
    assert_string_equal(keys[5], "e");
    assert_string_equal(json_string_value(json_object_get(j, "e")), "AQAB");
    assert_string_equal(json_string_value(json_object_get(j, "kid")), rsa_kid);
    size_t nlen;
    const char *ns = json_string_value(json_object_get(j, "n"));
    unsigned char *nb = base64url_decode_raw(ns, strlen(ns), &nlen);
    assert_int_equal(nlen, 256);
    assert_true(nb[0] & 0x80);
    free(nb);
    json_decref(j);
    jwt_key_release(&k);
    key_init(&k, ec_pem);
    j = jwt_key_jwk(&k);
    assert_string_equal(json_string_value(json_object_get(j, "crv")), "P-256");
    const char *x = json_string_value(json_object_get(j, "x"));
    assert_int_equal(strlen(x), 43);
    json_decref(j);
    jwt_key_release(&k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kid_rsa),
        cmocka_unit_test(test_kid_ec),
        cmocka_unit_test(test_reject_p384),
        cmocka_unit_test(test_roundtrip_rs256),
        cmocka_unit_test(test_roundtrip_es256),
        cmocka_unit_test(test_alg_none),
        cmocka_unit_test(test_hs256_with_public_key),
        cmocka_unit_test(test_alg_key_mismatch),
        cmocka_unit_test(test_crit_rejected),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_jwk),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
