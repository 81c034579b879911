/* token_bench.c — ServiceAccount token throughput: TokenRequests/s (claims + RS256 signing
 * through the real subresource handler), token verifications/s uncached (success cache cleared
 * before every call: parse + RSA verify + claim and object checks) and cached (object checks
 * only), printed next to raw EVP RSA-2048 / ECDSA P-256 sign and verify rates timed the same
 * way in-process, and next to `openssl speed -seconds 1 rsa2048 ecdsap256` run via popen.
 * Prints figures; never passes or fails on time.
 *
 *   token_bench [SECONDS]   time per measurement (default 1) */
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "registry/apiserver.h"
#include "registry/resource.h"
#include "authn/identity_int.h"
#include "authn/jwt.h"
#include "authn/satoken.h"
#include "store/store.h"
#include "store/watchcache.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void report(const char *what, long n, double secs)
{
    printf("%-46s %9ld ops %7.2f s %12.0f ops/s\n", what, n, secs, secs > 0 ? n / secs : 0.0);
}

/* Runs fn until budget seconds have passed; returns the count. */
#define TIMED(label, budget, ...)                                   \
    do {                                                             \
        long n_ = 0;                                                 \
        double t0_ = now_s(), t_;                                    \
        do {                                                         \
            __VA_ARGS__;                                             \
            n_++;                                                    \
        } while ((t_ = now_s() - t0_) < (budget));                   \
        report(label, n_, t_);                                       \
    } while (0)

static void evp_rates(const char *name, EVP_PKEY *k, double budget)
{
    static const unsigned char msg[32] = "0123456789abcdef0123456789abcdef";
    unsigned char sig[512];
    size_t siglen = sizeof(sig);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    char label[64];
    snprintf(label, sizeof(label), "EVP %s sign (SHA-256)", name);
    TIMED(label, budget, {
        siglen = sizeof(sig);
        EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, k);
        EVP_DigestSign(md, sig, &siglen, msg, sizeof(msg));
    });
    snprintf(label, sizeof(label), "EVP %s verify (SHA-256)", name);
    TIMED(label, budget, {
        EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, k);
        EVP_DigestVerify(md, sig, siglen, msg, sizeof(msg));
    });
    EVP_MD_CTX_free(md);
}

int main(int argc, char **argv)
{
    double budget = argc > 1 ? strtod(argv[1], NULL) : 1.0;
    if (budget <= 0)
        budget = 1.0;
    EVP_PKEY *rsa = EVP_RSA_gen(2048), *ec = EVP_EC_gen("P-256");
    struct satoken *s = calloc(1, sizeof(*s));
    struct apiserver srv = {0};
    pthread_mutex_init(&s->mu, NULL);
    s->srv = &srv;
    s->issuers = json_pack("[s]", "https://kubernetes.default.svc.cluster.local");
    s->api_audiences = json_deep_copy(s->issuers);
    s->cache = json_object();
    s->min_expiration = 600;
    s->extend_expiration = true;
    s->keys = calloc(1, sizeof(*s->keys));
    char *err = NULL;
    if (rsa == NULL || ec == NULL || jwt_key_init(&s->signing, rsa, &err) != 0 ||
        jwt_key_init(&s->keys[0], rsa, &err) != 0) {
        fprintf(stderr, "key setup failed\n");
        return 1;
    }
    s->nkeys = 1;
    srv.identity = s;
    /* the ServiceAccount lives in a store behind an object cache, as in the server */
    char dir[] = "/tmp/token_bench.XXXXXX";
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    char dbpath[64];
    snprintf(dbpath, sizeof(dbpath), "%s/anzen.db", dir);
    if (store_sqlite_open(dbpath, &srv.store, NULL) != 0) {
        fprintf(stderr, "store setup failed\n");
        return 1;
    }
    srv.wc = watchcache_new(srv.store, 1000);
    static const char sa_json[] = "{\"metadata\":{\"name\":\"default\",\"namespace\":\"lab\","
                                  "\"uid\":\"11111111-2222-4333-8444-555555555555\"}}";
    int64_t rev;
    if (store_create(srv.store, "/registry/serviceaccounts/lab/default", sa_json, strlen(sa_json), &rev) != 0) {
        fprintf(stderr, "store setup failed\n");
        return 1;
    }
    tokenrequest_register();
    const struct resource_def *sa = resource_by_kind("", "ServiceAccount");
    const struct subresource_def *sub = sa ? resource_subresource(sa, "token") : NULL;
    if (sub == NULL || sub->create == NULL) {
        fprintf(stderr, "serviceaccounts/token handler missing\n");
        return 1;
    }
    struct api_call call = {.srv = &srv, .res = sa, .subresource = "token", .ns = "lab", .name = "default",
                            .warnings = json_array(), .internal = true};
    json_t *body = json_pack("{s:{}}", "spec");
    json_t *last = NULL;
    printf("ServiceAccount tokens (RS256, RSA-2048 key), %.1f s per figure\n", budget);
    TIMED("TokenRequest (claims + RS256 sign)", budget, {
        json_t *obj = NULL, *st = NULL;
        if (sub->create(&call, body, &obj, &st) != 0)
            abort();
        json_decref(last);
        last = obj;
        json_decref(st);
    });
    const char *token = json_string_value(json_object_get(json_object_get(last, "status"), "token"));
    struct user_info u;
    json_t *auds;
    TIMED("token verification, uncached", budget, {
        json_object_clear(s->cache);
        if (satoken_authenticate(s, token, NULL, &u, &auds, &err) != 0)
            abort();
        user_info_release(&u);
        json_decref(auds);
    });
    TIMED("token verification, cached (object checks)", budget, {
        if (satoken_authenticate(s, token, NULL, &u, &auds, &err) != 0)
            abort();
        user_info_release(&u);
        json_decref(auds);
    });
    evp_rates("RSA-2048", rsa, budget);
    evp_rates("ECDSA P-256", ec, budget);
    printf("\n$ openssl speed -seconds 1 rsa2048 ecdsap256\n");
    fflush(stdout);
    FILE *p = popen("openssl speed -seconds 1 rsa2048 ecdsap256 2>/dev/null | grep -E '^ *(sign|rsa|256 bits)'", "r");
    if (p != NULL) {
        char line[512];
        while (fgets(line, sizeof(line), p) != NULL)
            fputs(line, stdout);
        pclose(p);
    }
    json_decref(last);
    json_decref(body);
    json_decref(call.warnings);
    EVP_PKEY_free(rsa);
    EVP_PKEY_free(ec);
    watchcache_free(srv.wc);
    store_close(srv.store);
    unlink(dbpath);
    snprintf(dbpath, sizeof(dbpath), "%s/anzen.db-wal", dir);
    unlink(dbpath);
    snprintf(dbpath, sizeof(dbpath), "%s/anzen.db-shm", dir);
    unlink(dbpath);
    rmdir(dir);
    return 0;
}
