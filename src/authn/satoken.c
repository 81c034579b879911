/* satoken.c — ServiceAccount token authenticator with watch-fed object caches and a short
 * success cache; see satoken.h and spec/01 §1.5. Library code: no logging. */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "http/metrics.h"
#include "machinery/patch.h"
#include "registry/rest.h"
#include "machinery/field.h"
#include "authn/satoken.h"
#include "controllers/controllers.h"
#include "store/store.h"
#include "store/watchcache.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"
#include "util/util.h"

#define ERR_CRYPTO "square/go-jose: error in cryptographic primitive"
#define ERR_INVALIDATED "service account token has been invalidated"
#define LABEL_LAST_USED "kubernetes.io/legacy-token-last-used"
#define LABEL_INVALID_SINCE "kubernetes.io/legacy-token-invalid-since"


int64_t satoken_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

char *satoken_quote_list(json_t *arr)
{
    struct buf b = BUF_INIT;
    buf_putc(&b, '[');
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) {
        if (i)
            buf_putc(&b, ' ');
        const char *s = json_string_value(v);
        field_quote_go(&b, s ? s : "", s ? strlen(s) : 0);
    }
    buf_putc(&b, ']');
    return buf_detach(&b, NULL);
}

/* ---- objects ------------------------------------------------------------------------
 * No copy of its own: ServiceAccounts, Pods, Secrets and Nodes are read from the object cache
 * (the watch cache's bytes), decoded for the check. */

int satoken_start(struct satoken *s, struct apiserver *srv)
{
    s->srv = srv;
    return 0;
}

json_t *satoken_object(struct satoken *s, const char *plural, const char *ns, const char *name)
{
    if (name == NULL || *name == '\0' || s->srv == NULL)
        return NULL;
    char *key = ns && *ns ? xasprintf("/registry/%s/%s/%s", plural, ns, name)
                          : xasprintf("/registry/%s/%s", plural, name);
    json_t *o = rest_read_cached(s->srv, key);
    free(key);
    return o;
}

/* deletionTimestamp set and earlier than now - leeway (bound tokens' rule). */
static bool deleted_before_leeway(json_t *obj, int64_t now_ms)
{
    const char *dt = json_path_str(obj, "metadata.deletionTimestamp");
    if (dt == NULL)
        return false;
    time_t t = time_parse_rfc3339(dt);
    return t >= 0 && (int64_t)t * 1000 < now_ms - SATOKEN_LEEWAY_S * 1000;
}

/* ---- success cache ------------------------------------------------------------------- */

static void cache_key(json_t *auds, const char *token, char out[2 * SHA256_DIGEST_LENGTH + 1])
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    if (c == NULL)
        abort();
    EVP_DigestInit_ex(c, EVP_sha256(), NULL);
    size_t i;
    json_t *v;
    json_array_foreach(auds, i, v) {
        const char *a = json_string_value(v);
        EVP_DigestUpdate(c, a ? a : "", a ? strlen(a) : 0);
        EVP_DigestUpdate(c, "\0", 1);
    }
    EVP_DigestUpdate(c, "\1", 1);
    EVP_DigestUpdate(c, token, strlen(token));
    unsigned char md[SHA256_DIGEST_LENGTH];
    EVP_DigestFinal_ex(c, md, NULL);
    EVP_MD_CTX_free(c);
    for (size_t j = 0; j < sizeof(md); j++)
        snprintf(out + 2 * j, 3, "%02x", md[j]);
}

static void cache_put(struct satoken *s, const char *key, json_t *claims, json_t *auds, int64_t now)
{
    pthread_mutex_lock(&s->mu);
    if (json_object_size(s->cache) >= SATOKEN_CACHE_MAX) {
        const char *k;
        json_t *v, *tmp;
        json_object_foreach_safe(s->cache, tmp, k, v) {
            if (json_integer_value(json_object_get(v, "until")) <= now)
                json_object_del(s->cache, k);
        }
        if (json_object_size(s->cache) >= SATOKEN_CACHE_MAX)
            json_object_clear(s->cache);
    }
    json_object_set_new(s->cache, key, json_pack("{s:I,s:O,s:O}", "until", (json_int_t)(now + SATOKEN_CACHE_TTL_MS),
                                                 "claims", claims, "auds", auds));
    pthread_mutex_unlock(&s->mu);
}

static bool cache_get(struct satoken *s, const char *key, int64_t now, json_t **ret_claims, json_t **ret_auds)
{
    bool hit = false;
    pthread_mutex_lock(&s->mu);
    json_t *e = json_object_get(s->cache, key);
    if (e != NULL) {
        if (json_integer_value(json_object_get(e, "until")) > now) {
            *ret_claims = json_incref(json_object_get(e, "claims"));
            *ret_auds = json_incref(json_object_get(e, "auds"));
            hit = true;
        } else {
            json_object_del(s->cache, key);
        }
    }
    pthread_mutex_unlock(&s->mu);
    return hit;
}

/* ---- helpers ------------------------------------------------------------------------- */

static bool array_has(json_t *arr, const char *s)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
        if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
            return true;
    return false;
}

/* The unverified iss claim of a compact token, malloc'd, or NULL (hasCorrectIssuer). */
static char *sniff_issuer(const char *token)
{
    const char *p = token;
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\v' || *p == '\f')
        p++;
    if (*p == '{')
        return NULL;
    const char *d1 = strchr(token, '.');
    if (d1 == NULL)
        return NULL;
    const char *d2 = strchr(d1 + 1, '.');
    if (d2 == NULL || strchr(d2 + 1, '.') != NULL)
        return NULL;
    size_t n;
    unsigned char *raw = jwt_b64url_decode(d1 + 1, (size_t)(d2 - d1 - 1), &n);
    if (raw == NULL)
        return NULL;
    json_error_t err;
    json_t *o = json_loadb((const char *)raw, n, 0, &err);
    free(raw);
    json_t *iss = json_object_get(o, "iss");
    char *r = NULL;
    if (json_is_object(o) && (iss == NULL || json_is_string(iss)))
        r = xstrdup(iss ? json_string_value(iss) : "");
    json_decref(o);
    return r;
}

static json_t *claim_audiences(json_t *claims)
{
    json_t *a = json_object_get(claims, "aud");
    if (json_is_string(a))
        return json_pack("[s]", json_string_value(a));
    if (json_is_array(a))
        return json_incref(a);
    return json_array();
}

/* go-jose's claim types: strings, aud string or []string, numeric dates. */
static int check_claim_types(json_t *c)
{
    static const char *const strs[] = {"iss", "sub", "jti"};
    for (size_t i = 0; i < 3; i++) {
        json_t *v = json_object_get(c, strs[i]);
        if (v != NULL && !json_is_string(v) && !json_is_null(v))
            return -1;
    }
    static const char *const nums[] = {"exp", "nbf", "iat"};
    for (size_t i = 0; i < 3; i++) {
        json_t *v = json_object_get(c, nums[i]);
        if (v != NULL && !json_is_number(v) && !json_is_null(v))
            return -1;
    }
    json_t *a = json_object_get(c, "aud");
    if (a != NULL && !json_is_string(a) && !json_is_array(a) && !json_is_null(a))
        return -1;
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v)
        if (!json_is_string(v))
            return -1;
    return 0;
}

static void user_fill(struct user_info *u, const char *ns, const char *name, const char *uid)
{
    memset(u, 0, sizeof(*u));
    u->name = xasprintf("system:serviceaccount:%s:%s", ns, name);
    u->uid = uid && *uid ? xstrdup(uid) : NULL;
    user_info_add_group(u, "system:serviceaccounts");
    char *g = xasprintf("system:serviceaccounts:%s", ns);
    user_info_add_group(u, g);
    free(g);
}

static void extra_set(json_t **extra, const char *key, const char *val)
{
    if (*extra == NULL)
        *extra = json_object();
    json_object_set_new(*extra, key, json_pack("[s]", val));
}

/* ---- bound tokens -------------------------------------------------------------------- */

static const char *ref_str(json_t *ref, const char *k)
{
    const char *s = json_str(ref, k);
    return s ? s : "";
}

static int validate_bound(struct satoken *s, json_t *claims, int64_t now, struct user_info *ret, char **ret_err)
{
    /* time claims with leeway (go-jose order: nbf, exp, iat) */
    json_t *nbf = json_object_get(claims, "nbf"), *exp = json_object_get(claims, "exp"),
           *iat = json_object_get(claims, "iat");
    int64_t lee = SATOKEN_LEEWAY_S * 1000;
    if (json_is_number(nbf) && now + lee < (int64_t)(json_number_value(nbf) * 1000)) {
        *ret_err = xstrdup("service account token is not valid yet");
        return AZ_EUNAUTHORIZED;
    }
    if (json_is_number(exp) && now - lee > (int64_t)(json_number_value(exp) * 1000)) {
        *ret_err = xstrdup("service account token has expired");
        return AZ_EUNAUTHORIZED;
    }
    if (json_is_number(iat) && now + lee < (int64_t)(json_number_value(iat) * 1000)) {
        *ret_err = xstrdup("service account token is issued in the future");
        return AZ_EUNAUTHORIZED;
    }
    json_t *k8s = json_object_get(claims, "kubernetes.io");
    const char *ns = json_str(k8s, "namespace");
    json_t *saref = json_object_get(k8s, "serviceaccount");
    json_t *podref = json_object_get(k8s, "pod"), *secref = json_object_get(k8s, "secret"),
           *noderef = json_object_get(k8s, "node");
    if (!json_is_object(podref))
        podref = NULL;
    if (!json_is_object(secref))
        secref = NULL;
    if (!json_is_object(noderef))
        noderef = NULL;
    const char *saname = ref_str(saref, "name"), *sauid = ref_str(saref, "uid");
    if (ns == NULL)
        ns = "";
    int rc = AZ_EUNAUTHORIZED;
    json_t *sa = satoken_object(s, "serviceaccounts", ns, saname), *obj = NULL;
    if (sa == NULL) {
        *ret_err = xasprintf("serviceaccounts \"%s\" not found", saname);
        goto out;
    }
    if (deleted_before_leeway(sa, now)) {
        *ret_err = xasprintf("service account %s/%s has been deleted", ns, saname);
        goto out;
    }
    const char *uid = json_path_str(sa, "metadata.uid");
    if (uid == NULL || strcmp(uid, sauid) != 0) {
        *ret_err = xasprintf("service account UID (%s) does not match claim (%s)", uid ? uid : "", sauid);
        goto out;
    }
    if (secref != NULL) {
        obj = satoken_object(s, "secrets", ns, ref_str(secref, "name"));
        if (obj == NULL || deleted_before_leeway(obj, now)) {
            *ret_err = xstrdup(ERR_INVALIDATED);
            goto out;
        }
        const char *ou = json_path_str(obj, "metadata.uid");
        if (ou == NULL || strcmp(ou, ref_str(secref, "uid")) != 0) {
            *ret_err = xasprintf("secret UID (%s) does not match service account secret ref claim (%s)",
                                 ou ? ou : "", ref_str(secref, "uid"));
            goto out;
        }
        json_decref(obj);
        obj = NULL;
    }
    if (podref != NULL) {
        obj = satoken_object(s, "pods", ns, ref_str(podref, "name"));
        if (obj == NULL || deleted_before_leeway(obj, now)) {
            *ret_err = xstrdup(ERR_INVALIDATED);
            goto out;
        }
        const char *ou = json_path_str(obj, "metadata.uid");
        if (ou == NULL || strcmp(ou, ref_str(podref, "uid")) != 0) {
            *ret_err = xasprintf("pod UID (%s) does not match service account pod ref claim (%s)",
                                 ou ? ou : "", ref_str(podref, "uid"));
            goto out;
        }
        json_decref(obj);
        obj = NULL;
    } else if (noderef != NULL) {
        obj = satoken_object(s, "nodes", NULL, ref_str(noderef, "name"));
        if (obj == NULL || deleted_before_leeway(obj, now)) {
            *ret_err = xstrdup(ERR_INVALIDATED);
            goto out;
        }
        const char *ou = json_path_str(obj, "metadata.uid");
        if (ou == NULL || strcmp(ou, ref_str(noderef, "uid")) != 0) {
            *ret_err = xasprintf("node UID (%s) does not match service account node ref claim (%s)",
                                 ou ? ou : "", ref_str(noderef, "uid"));
            goto out;
        }
        json_decref(obj);
        obj = NULL;
    }
    user_fill(ret, ns, saname, sauid);
    json_t *extra = NULL;
    const char *jti = json_str(claims, "jti");
    if (jti != NULL && *jti) {
        char *cid = xasprintf("JTI=%s", jti);
        extra_set(&extra, "authentication.kubernetes.io/credential-id", cid);
        free(cid);
    }
    if (noderef != NULL && *ref_str(noderef, "name")) {
        extra_set(&extra, "authentication.kubernetes.io/node-name", ref_str(noderef, "name"));
        if (*ref_str(noderef, "uid"))
            extra_set(&extra, "authentication.kubernetes.io/node-uid", ref_str(noderef, "uid"));
    }
    if (podref != NULL && *ref_str(podref, "name") && *ref_str(podref, "uid")) {
        extra_set(&extra, "authentication.kubernetes.io/pod-name", ref_str(podref, "name"));
        extra_set(&extra, "authentication.kubernetes.io/pod-uid", ref_str(podref, "uid"));
    }
    ret->extra = extra;
    json_t *warnafter = json_object_get(k8s, "warnafter");
    if (json_is_number(warnafter) && json_number_value(warnafter) != 0) /* upstream counts these only */
        metrics_sa_token(now > (int64_t)(json_number_value(warnafter) * 1000));
    rc = 0;
out:
    json_decref(sa);
    json_decref(obj);
    return rc;
}

/* ---- legacy tokens ------------------------------------------------------------------- */

struct label_work {
    struct apiserver *srv;
    char *ns, *name, *date;
};

static void label_work_run(void *arg)
{
    struct label_work *w = arg;
    const struct resource_def *r = resource_by_kind("", "Secret");
    struct api_call c = {.srv = w->srv, .res = r, .ns = w->ns, .name = w->name,
                         .user = controllers_user(), .field_manager = "kube-apiserver",
                         .validation = FIELD_VALIDATION_IGNORE, .internal = true};
    char *body = xasprintf("{\"metadata\":{\"labels\":{\"" LABEL_LAST_USED "\":\"%s\"}}}", w->date);
    json_t *obj = NULL, *st = NULL;
    if (r != NULL)
        rest_patch(&c, PATCH_TYPE_MERGE, body, strlen(body), &obj, &st);
    json_decref(obj);
    json_decref(st);
    free(body);
    free(w->ns);
    free(w->name);
    free(w->date);
    free(w);
}

static void utc_date(int64_t now_ms, int days_ahead, char out[16])
{
    time_t t = (time_t)(now_ms / 1000) + (time_t)days_ahead * 86400;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 16, "%Y-%m-%d", &tm);
}

/* "system:serviceaccount:<ns>:<name>" -> ns, name (SplitUsername, simplified validity). */
static bool split_username(const char *sub, char **ret_ns, char **ret_name)
{
    static const char prefix[] = "system:serviceaccount:";
    if (strncmp(sub, prefix, sizeof(prefix) - 1) != 0)
        return false;
    const char *rest = sub + sizeof(prefix) - 1;
    const char *colon = strchr(rest, ':');
    if (colon == NULL || colon == rest || colon[1] == '\0' || strchr(colon + 1, ':') != NULL)
        return false;
    *ret_ns = xstrndup(rest, (size_t)(colon - rest));
    *ret_name = xstrdup(colon + 1);
    return true;
}

static int validate_legacy(struct satoken *s, const char *token, json_t *claims, int64_t now,
                           struct user_info *ret, char **ret_err)
{
    const char *sub = json_str(claims, "sub");
    const char *ns = json_str(claims, "kubernetes.io/serviceaccount/namespace");
    const char *secname = json_str(claims, "kubernetes.io/serviceaccount/secret.name");
    const char *saname = json_str(claims, "kubernetes.io/serviceaccount/service-account.name");
    const char *sauid = json_str(claims, "kubernetes.io/serviceaccount/service-account.uid");
    if (sub == NULL || !*sub)
        return *ret_err = xstrdup("sub claim is missing"), AZ_EUNAUTHORIZED;
    if (ns == NULL || !*ns)
        return *ret_err = xstrdup("namespace claim is missing"), AZ_EUNAUTHORIZED;
    if (secname == NULL || !*secname)
        return *ret_err = xstrdup("secretName claim is missing"), AZ_EUNAUTHORIZED;
    if (saname == NULL || !*saname)
        return *ret_err = xstrdup("serviceAccountName claim is missing"), AZ_EUNAUTHORIZED;
    if (sauid == NULL || !*sauid)
        return *ret_err = xstrdup("serviceAccountUID claim is missing"), AZ_EUNAUTHORIZED;
    char *subns = NULL, *subname = NULL;
    bool ok = split_username(sub, &subns, &subname) && strcmp(subns, ns) == 0 && strcmp(subname, saname) == 0;
    free(subns);
    free(subname);
    if (!ok)
        return *ret_err = xstrdup("sub claim is invalid"), AZ_EUNAUTHORIZED;
    int rc = AZ_EUNAUTHORIZED;
    json_t *sa = NULL, *secret = satoken_object(s, "secrets", ns, secname);
    if (secret == NULL || json_path(secret, "metadata.deletionTimestamp") != NULL) {
        *ret_err = xstrdup("Token has been invalidated");
        goto out;
    }
    const char *data = json_path_str(secret, "data.token");
    size_t dlen = 0;
    unsigned char *dec = data ? base64_decode(data, strlen(data), &dlen) : NULL;
    bool same = dec != NULL && ct_equal(dec, dlen, token, strlen(token));
    if (dec != NULL)
        OPENSSL_cleanse(dec, dlen);
    free(dec);
    if (!same) {
        *ret_err = xstrdup("Token does not match server's copy");
        goto out;
    }
    sa = satoken_object(s, "serviceaccounts", ns, saname);
    if (sa == NULL) {
        *ret_err = xasprintf("serviceaccounts \"%s\" not found", saname);
        goto out;
    }
    if (json_path(sa, "metadata.deletionTimestamp") != NULL) {
        *ret_err = xasprintf("ServiceAccount %s/%s has been deleted", ns, saname);
        goto out;
    }
    const char *uid = json_path_str(sa, "metadata.uid");
    if (uid == NULL || strcmp(uid, sauid) != 0) {
        *ret_err = xasprintf("ServiceAccount UID (%s) does not match claim (%s)", uid ? uid : "", sauid);
        goto out;
    }
    /* last-used label (deferred write), then the invalid-since check */
    char today[16], tomorrow[16];
    utc_date(now, 0, today);
    utc_date(now, 1, tomorrow);
    const char *last = json_path_str(secret, "metadata.labels." LABEL_LAST_USED);
    if (s->srv != NULL && s->srv->defer != NULL &&
        (last == NULL || (strcmp(last, today) != 0 && strcmp(last, tomorrow) != 0))) {
        struct label_work *w = xcalloc(1, sizeof(*w));
        w->srv = s->srv;
        w->ns = xstrdup(ns);
        w->name = xstrdup(secname);
        w->date = xstrdup(today);
        s->srv->defer(s->srv, label_work_run, w);
    }
    json_t *labels = json_path(secret, "metadata.labels");
    const char *inv = json_str(labels, LABEL_INVALID_SINCE);
    if (inv != NULL && *inv) {
        *ret_err = xasprintf("the token in secret %s/%s for service account %s/%s has been marked invalid. "
                             "Use tokens from the TokenRequest API or manually created secret-based tokens, "
                             "or remove the '" LABEL_INVALID_SINCE "' label from the secret to temporarily "
                             "allow use of this token", ns, secname, ns, saname);
        goto out;
    }
    user_fill(ret, ns, saname, sauid);
    rc = 0;
out:
    json_decref(secret);
    json_decref(sa);
    return rc;
}

/* ---- the authenticator --------------------------------------------------------------- */

/* Steps 1–4 of satoken.h: returns 0 with *ret_claims (verified) and *ret_auds. */
static int verify_token(struct satoken *s, const char *token, json_t *target, json_t **ret_claims,
                        json_t **ret_auds, char **ret_err)
{
    size_t len = strlen(token);
    if (len > JWT_MAX_TOKEN)
        return AZ_ENOTFOUND;
    char *iss = sniff_issuer(token);
    if (iss == NULL)
        return AZ_ENOTFOUND;
    bool legacy = strcmp(iss, SATOKEN_LEGACY_ISSUER) == 0;
    bool mine = legacy || array_has(s->issuers, iss);
    free(iss);
    if (!mine)
        return AZ_ENOTFOUND;
    struct jwt t;
    if (jwt_parse(token, len, &t) != 0)
        return AZ_ENOTFOUND;
    int rc = AZ_EUNAUTHORIZED;
    json_t *tauds = NULL, *inter = NULL;
    size_t tried = 0;
    bool verified = false;
    for (size_t i = 0; i < s->nkeys && !verified; i++) {
        if (*t.kid && strcmp(t.kid, s->keys[i].kid) != 0)
            continue;
        tried++;
        verified = jwt_verify(&t, &s->keys[i]) == 0;
    }
    if (tried == 0) {
        *ret_err = xstrdup("invalid signature, no keys found");
        goto out;
    }
    if (!verified) {
        *ret_err = xstrdup(ERR_CRYPTO);
        goto out;
    }
    if (check_claim_types(t.claims) != 0) {
        *ret_err = xstrdup("square/go-jose/jwt: claims could not be unmarshalled");
        goto out;
    }
    const char *viss = json_str(t.claims, "iss");
    if (viss == NULL || (legacy ? strcmp(viss, SATOKEN_LEGACY_ISSUER) != 0 : !array_has(s->issuers, viss))) {
        *ret_err = xasprintf("token issuer \"%s\" is invalid", viss ? viss : "");
        goto out;
    }
    tauds = claim_audiences(t.claims);
    if (json_array_size(tauds) == 0) {
        json_decref(tauds);
        tauds = json_incref(s->api_audiences);
    }
    inter = json_array();
    size_t i;
    json_t *v;
    json_array_foreach(tauds, i, v)
        if (array_has(target, json_string_value(v)) && !array_has(inter, json_string_value(v)))
            json_array_append(inter, v);
    if (json_array_size(inter) == 0 && json_array_size(s->api_audiences) != 0) {
        char *a = satoken_quote_list(tauds), *b = satoken_quote_list(target);
        *ret_err = xasprintf("token audiences %s is invalid for the target audiences %s", a, b);
        free(a);
        free(b);
        goto out;
    }
    *ret_claims = json_incref(t.claims);
    *ret_auds = json_incref(inter);
    rc = 0;
out:
    json_decref(tauds);
    json_decref(inter);
    jwt_release(&t);
    return rc;
}

int satoken_authenticate(struct satoken *s, const char *token, json_t *audiences,
                         struct user_info *ret, json_t **ret_auds, char **ret_err)
{
    json_t *target = json_array_size(audiences) > 0 ? audiences : s->api_audiences;
    if (json_array_size(target) > SATOKEN_MAX_AUDIENCES)
        return *ret_err = xstrdup("too many audiences"), AZ_EUNAUTHORIZED;
    int64_t now = satoken_now_ms();
    char key[2 * SHA256_DIGEST_LENGTH + 1];
    cache_key(target, token, key);
    json_t *claims = NULL, *auds = NULL;
    bool hit = cache_get(s, key, now, &claims, &auds);
    if (!hit) {
        int rc = verify_token(s, token, target, &claims, &auds, ret_err);
        if (rc != 0)
            return rc;
    }
    struct user_info u;
    int rc;
    if (strcmp(json_str(claims, "iss"), SATOKEN_LEGACY_ISSUER) == 0)
        rc = validate_legacy(s, token, claims, now, &u, ret_err);
    else
        rc = validate_bound(s, claims, now, &u, ret_err);
    if (rc == 0) {
        if (!hit)
            cache_put(s, key, claims, auds, now);
        *ret = u;
        *ret_auds = json_incref(auds);
    }
    json_decref(claims);
    json_decref(auds);
    return rc;
}

int satoken_authenticator(void *state, struct apiserver *srv, const char *token,
                          struct user_info *ret, char **ret_why)
{
    json_t *auds = NULL;
    int rc = satoken_authenticate(state, token, NULL, ret, &auds, ret_why);
    json_decref(auds);
    return rc;
}
