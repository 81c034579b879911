/* identity.c — wires the ServiceAccount identity module together (see identity.h): parses the
 * --service-account-* flags, loads signing and verification keys, builds the shared struct
 * satoken, and installs the token authenticator, TokenRequest, TokenReview/SelfSubjectReview,
 * OIDC discovery, SA admission and the SA / token controllers. */
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "admission/serviceaccount.h"
#include "authn/authn.h"
#include "authn/identity.h"
#include "authn/identity_int.h"
#include "authn/satoken.h"
#include "util/buf.h"
#include "util/err.h"

#define MAX_KEYS 32

static struct token_authenticator identity__authn = {.name = "serviceaccount", .authenticate = satoken_authenticator};

/* Comma-separated list -> array of strings (empty items kept, for validation). */
static json_t *split_list(const char *s)
{
    json_t *a = json_array();
    if (s == NULL)
        return a;
    const char *p = s;
    for (;;) {
        const char *c = strchr(p, ',');
        size_t n = c ? (size_t)(c - p) : strlen(p);
        char *item = xstrndup(p, n);
        json_array_append_new(a, json_string(item));
        free(item);
        if (c == NULL)
            break;
        p = c + 1;
    }
    return a;
}

/* Go time.ParseDuration subset: sequence of <number><unit>, units ns us ms s m h.
 * Returns 0 with whole seconds, or AZ_EINVALID. */
static int parse_go_duration(const char *s, int64_t *ret_seconds)
{
    static const struct { const char *u; double mult; } units[] = {
        {"ns", 1e-9}, {"us", 1e-6}, {"ms", 1e-3}, {"s", 1}, {"m", 60}, {"h", 3600},
    };
    if (s == NULL || *s == '\0')
        return AZ_EINVALID;
    if (strcmp(s, "0") == 0) {
        *ret_seconds = 0;
        return 0;
    }
    double total = 0;
    const char *p = s;
    while (*p) {
        char *end;
        double v = strtod(p, &end);
        if (end == p || v < 0)
            return AZ_EINVALID;
        p = end;
        size_t best = 0;
        double mult = 0;
        for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
            size_t n = strlen(units[i].u);
            if (strncmp(p, units[i].u, n) == 0 && n > best) {
                best = n;
                mult = units[i].mult;
            }
        }
        if (best == 0)
            return AZ_EINVALID;
        p += best;
        total += v * mult;
        if (total > 1e12)
            return AZ_EINVALID;
    }
    *ret_seconds = (int64_t)total;
    return 0;
}

/* Appends every key (private or public PEM block) in file to keys. */
static int load_key_file(const char *path, struct jwt_key *keys, size_t *n, char **ret_err)
{
    FILE *f = fopen(path, "re");
    if (f == NULL) {
        *ret_err = xasprintf("failed to read key file %s", path);
        return AZ_EIO;
    }
    size_t before = *n;
    for (;;) {
        char *name = NULL, *header = NULL;
        unsigned char *data = NULL;
        long len = 0;
        if (PEM_read(f, &name, &header, &data, &len) != 1)
            break;
        EVP_PKEY *pk = NULL;
        const unsigned char *p = data;
        if (strcmp(name, "PUBLIC KEY") == 0)
            pk = d2i_PUBKEY(NULL, &p, len);
        else if (strcmp(name, "RSA PUBLIC KEY") == 0)
            pk = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, len);
        else if (strcmp(name, "PRIVATE KEY") == 0 || strcmp(name, "RSA PRIVATE KEY") == 0 ||
                 strcmp(name, "EC PRIVATE KEY") == 0)
            pk = d2i_AutoPrivateKey(NULL, &p, len);
        else if (strcmp(name, "CERTIFICATE") == 0) {
            X509 *x = d2i_X509(NULL, &p, len);
            if (x != NULL) {
                pk = X509_get_pubkey(x);
                X509_free(x);
            }
        }
        OPENSSL_free(name);
        OPENSSL_free(header);
        OPENSSL_free(data);
        if (pk == NULL)
            continue; /* e.g. EC PARAMETERS blocks */
        if (*n >= MAX_KEYS) {
            EVP_PKEY_free(pk);
            fclose(f);
            *ret_err = xasprintf("too many keys (max %d)", MAX_KEYS);
            return AZ_EINVALID;
        }
        char *kerr = NULL;
        int rc = jwt_key_init(&keys[*n], pk, &kerr);
        EVP_PKEY_free(pk);
        if (rc != 0) {
            fclose(f);
            *ret_err = xasprintf("%s: %s", path, kerr);
            free(kerr);
            return rc;
        }
        (*n)++;
    }
    fclose(f);
    if (*n == before) {
        *ret_err = xasprintf("data does not contain any valid RSA or ECDSA public keys: %s", path);
        return AZ_EINVALID;
    }
    return 0;
}

static int fail(struct satoken *s, char **ret_err, char *msg)
{
    *ret_err = msg;
    if (s != NULL) {
        for (size_t i = 0; i < s->nkeys; i++)
            jwt_key_release(&s->keys[i]);
        free(s->keys);
        jwt_key_release(&s->signing);
        json_decref(s->issuers);
        json_decref(s->api_audiences);
        tokcache_free(s->cache);
        free(s);
    }
    return AZ_EINVALID;
}

const struct token_authenticator *identity_token_authenticator(void)
{
    return &identity__authn;
}

int identity_init(struct apiserver *srv, const struct identity_config *cfg, char **ret_err)
{
    struct satoken *s = xcalloc(1, sizeof(*s));
    s->srv = srv;
    s->cache = tokcache_new(SATOKEN_CACHE_MAX);
    s->extend_expiration = cfg->extend_token_expiration;
    s->min_expiration = cfg->min_token_expiration > 0 ? cfg->min_token_expiration : 600;
    s->token_metric = cfg->token_metric;

    /* issuers: non-empty, no duplicates, those with ':' must look like URLs */
    s->issuers = split_list(cfg->issuers ? cfg->issuers : "https://kubernetes.default.svc.cluster.local");
    size_t i, j;
    json_t *v, *w;
    json_array_foreach(s->issuers, i, v) {
        const char *iss = json_string_value(v);
        if (*iss == '\0')
            return fail(s, ret_err, xstrdup("service-account-issuer should not be an empty string"));
        if (strchr(iss, ':') != NULL && strstr(iss, "://") == NULL)
            return fail(s, ret_err, xasprintf("service-account-issuer %s contained a ':' but was not a valid URL", iss));
        json_array_foreach(s->issuers, j, w)
            if (j < i && json_equal(v, w))
                return fail(s, ret_err, xasprintf("service-account-issuer %s is already specified", iss));
    }
    if (cfg->api_audiences != NULL && *cfg->api_audiences) {
        s->api_audiences = split_list(cfg->api_audiences);
    } else {
        s->api_audiences = json_deep_copy(s->issuers);
    }
    if (cfg->max_token_expiration != NULL) {
        int64_t sec;
        if (parse_go_duration(cfg->max_token_expiration, &sec) != 0)
            return fail(s, ret_err, xasprintf("invalid duration for service-account-max-token-expiration: %s",
                                              cfg->max_token_expiration));
        if (sec != 0 && (sec < 3600 || sec > 4294967296LL))
            return fail(s, ret_err, xstrdup("the service-account-max-token-expiration must be between 1 hour and 2^32 seconds"));
        s->max_expiration = sec;
    }

    /* signing key */
    char *kerr = NULL;
    if (cfg->signing_key_file != NULL) {
        struct jwt_key tmp[MAX_KEYS];
        size_t n = 0;
        if (load_key_file(cfg->signing_key_file, tmp, &n, &kerr) != 0)
            return fail(s, ret_err, kerr);
        s->signing = tmp[0];
        for (size_t k = 1; k < n; k++)
            jwt_key_release(&tmp[k]);
    } else if (cfg->default_signing_key != NULL) {
        if (jwt_key_init(&s->signing, cfg->default_signing_key, &kerr) != 0)
            return fail(s, ret_err, kerr);
    } else {
        return fail(s, ret_err, xstrdup("service-account-signing-key-file is required"));
    }

    char *probe = jwt_sign(&s->signing, "{}", 2);
    if (probe == NULL)
        return fail(s, ret_err, xstrdup("the service account signing key must be a private key"));
    free(probe);

    /* verification keys: the key files, plus the signing key's public half */
    s->keys = xcalloc(MAX_KEYS, sizeof(*s->keys));
    if (cfg->key_files != NULL) {
        json_t *files = split_list(cfg->key_files);
        json_array_foreach(files, i, v) {
            if (load_key_file(json_string_value(v), s->keys, &s->nkeys, &kerr) != 0) {
                json_decref(files);
                return fail(s, ret_err, kerr);
            }
        }
        json_decref(files);
    }
    bool have = false;
    for (size_t k = 0; k < s->nkeys; k++)
        have |= strcmp(s->keys[k].kid, s->signing.kid) == 0;
    if (!have && s->nkeys < MAX_KEYS) {
        EVP_PKEY *pub = NULL;
        unsigned char *der = NULL;
        int n = i2d_PUBKEY(s->signing.pkey, &der);
        const unsigned char *p = der;
        if (n > 0)
            pub = d2i_PUBKEY(NULL, &p, n);
        OPENSSL_free(der);
        if (pub == NULL || jwt_key_init(&s->keys[s->nkeys], pub, &kerr) != 0) {
            EVP_PKEY_free(pub);
            return fail(s, ret_err, kerr ? kerr : xstrdup("cannot derive the signing key's public key"));
        }
        EVP_PKEY_free(pub);
        s->nkeys++;
    }

    srv->identity = s;
    int rc = satoken_start(s, srv);
    if (rc != 0) {
        srv->identity = NULL;
        return fail(s, ret_err, xstrdup("cannot subscribe the token caches to the watch cache"));
    }
    identity__authn.state = s;
    oidc_init(s);
    return 0;
}
