/* satoken.c — ServiceAccount token authenticator with watch-fed object caches and a short
 * success cache; see satoken.h and spec/01 §1.5. Library code: no logging. */
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "machinery/patch.h"
#include "registry/rest.h"
#include "machinery/field.h"
#include "authn/satoken.h"
#include "authn/tokcache.h"
#include "registry/loopback.h"
#include "store/store.h"
#include "store/watchcache.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/json.h"
#include "util/jsonfast.h"
#include "util/text.h"
#include "util/util.h"

#define ERR_CRYPTO "square/go-jose: error in cryptographic primitive"
#define ERR_INVALIDATED "service account token has been invalidated"
#define LABEL_LAST_USED "kubernetes.io/legacy-token-last-used"
#define LABEL_INVALID_SINCE "kubernetes.io/legacy-token-invalid-since"


/* The Go %q rendering of a string array (`["a" "b"]`), malloc'd. */
static char *satoken_quote_list(json_t *arr)
{
    struct buf b = BUF_INIT;
    buf_putc(&b, '[');
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) {
        if (i)
            buf_putc(&b, ' ');
        const char *s = json_string_value(v);
        go_quote(&b, s ? s : "", s ? strlen(s) : 0);
    }
    buf_putc(&b, ']');
    return buf_detach(&b, NULL);
}

/* ---- objects ------------------------------------------------------------------------
 * No copy of its own: ServiceAccounts, Pods, Secrets and Nodes are read from the object cache
 * (the watch cache's bytes), decoded for the check. */

#define OBJECT_KEY_MAX 1024 /* longer than any valid plural/namespace/name key */

/* The store key of an object ("/registry/<plural>/[<ns>/]<name>") into buf; its length, or
 * -1 when it does not fit (no such object can exist). */
static int object_key(char buf[OBJECT_KEY_MAX], const char *plural, const char *ns, const char *name)
{
    int n = ns && *ns ? snprintf(buf, OBJECT_KEY_MAX, "/registry/%s/%s/%s", plural, ns, name)
                      : snprintf(buf, OBJECT_KEY_MAX, "/registry/%s/%s", plural, name);
    return n >= 0 && n < OBJECT_KEY_MAX ? n : -1;
}

/* Watch-cache subscriber (under the watch cache's lock, with the object-cache update): any
 * event for an object a cached token depends on makes that token miss. */
static void on_object_event(void *arg, const struct watch_event *ev)
{
    struct satoken *s = arg;
    tokcache_invalidate(s->cache, ev->key, strlen(ev->key));
}

int satoken_start(struct satoken *s, struct apiserver *srv)
{
    static const char *const prefixes[SATOKEN_WATCHES] = {
        "/registry/serviceaccounts/", "/registry/secrets/", "/registry/pods/", "/registry/nodes/",
    };
    s->srv = srv;
    if (srv == NULL || srv->wc == NULL || s->cache == NULL)
        return 0; /* no invalidation source: nothing is cached */
    for (size_t i = 0; i < SATOKEN_WATCHES; i++)
        if (watchcache_subscribe(srv->wc, prefixes[i], 0, on_object_event, s, &s->subs[i], NULL) != 0) {
            while (i-- > 0)
                watchcache_unsubscribe(srv->wc, s->subs[i]);
            return AZ_EINTERNAL;
        }
    s->cache_armed = true;
    return 0;
}

json_t *satoken_object(struct satoken *s, const char *plural, const char *ns, const char *name)
{
    char key[OBJECT_KEY_MAX];
    if (name == NULL || *name == '\0' || s->srv == NULL || object_key(key, plural, ns, name) < 0)
        return NULL;
    return rest_read_cached(s->srv, key);
}

/* The object for step 6's checks (uid, deletionTimestamp): the object cache's bytes parsed
 * with jsonfast (a fraction of the uncached check's budget, where rest_read_cached's general
 * decode would take more); satoken_object when the cache cannot serve the read. */
static json_t *check_object(struct satoken *s, const char *plural, const char *ns, const char *name)
{
    char key[OBJECT_KEY_MAX];
    if (name == NULL || *name == '\0' || s->srv == NULL || object_key(key, plural, ns, name) < 0)
        return NULL;
    struct wc_item it;
    int rc = s->srv->wc != NULL ? watchcache_get(s->srv->wc, key, &it, NULL) : AZ_EUNAVAILABLE;
    if (rc == AZ_ENOTFOUND)
        return NULL;
    if (rc != 0)
        return rest_read_cached(s->srv, key);
    json_t *o = jsonfast_loadb(it.value, it.len);
    watchcache_item_release(&it);
    return o != NULL ? o : rest_read_cached(s->srv, key);
}

/* The entry depends on the object (read its generation before the object itself). */
static void depend_on(struct satoken *s, struct tokcache_entry *e, const char *plural, const char *ns,
                      const char *name)
{
    char key[OBJECT_KEY_MAX];
    int n = name != NULL && *name != '\0' ? object_key(key, plural, ns, name) : -1;
    if (n >= 0)
        tokcache_entry_add_dep(s->cache, e, key, (size_t)n);
}

/* Lowers *until to the first millisecond at which deadline_ms + leeway has passed. */
static void until_leeway(int64_t *until, int64_t deadline_ms)
{
    int64_t t = deadline_ms + SATOKEN_LEEWAY_S * 1000 + 1;
    if (t < *until)
        *until = t;
}

/* deletionTimestamp set and earlier than now - leeway (bound tokens' rule). */
/* deletionTimestamp set and earlier than now - leeway (bound tokens' rule); while not yet,
 * the entry's lifetime ends when it will be. */
static bool deleted_before_leeway(json_t *obj, int64_t now_ms, struct tokcache_entry *e)
{
    const char *dt = json_path_str(obj, "metadata.deletionTimestamp");
    if (dt == NULL)
        return false;
    time_t t = time_parse_rfc3339(dt);
    if (t >= 0 && (int64_t)t * 1000 < now_ms - SATOKEN_LEEWAY_S * 1000)
        return true;
    if (t >= 0)
        until_leeway(&e->until_ms, (int64_t)t * 1000);
    return false;
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

static json_t *claim_audiences(json_t *claims)
{
    json_t *a = json_object_get(claims, "aud");
    if (json_is_string(a))
        return json_pack("[s]", json_string_value(a));
    if (json_is_array(a))
        return json_incref(a);
    return json_array();
}

/* go-jose's claim types: strings, aud string or []string, numeric dates. 0, or AZ_EUNAUTHORIZED. */
static int check_claim_types(json_t *c)
{
    static const char *const strs[] = {"iss", "sub", "jti"};
    for (size_t i = 0; i < 3; i++) {
        json_t *v = json_object_get(c, strs[i]);
        if (v != NULL && !json_is_string(v) && !json_is_null(v))
            return AZ_EUNAUTHORIZED;
    }
    static const char *const nums[] = {"exp", "nbf", "iat"};
    for (size_t i = 0; i < 3; i++) {
        json_t *v = json_object_get(c, nums[i]);
        if (v != NULL && !json_is_number(v) && !json_is_null(v))
            return AZ_EUNAUTHORIZED;
    }
    json_t *a = json_object_get(c, "aud");
    if (a != NULL && !json_is_string(a) && !json_is_array(a) && !json_is_null(a))
        return AZ_EUNAUTHORIZED;
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v)
        if (!json_is_string(v))
            return AZ_EUNAUTHORIZED;
    return 0;
}

/* a b c concatenated, malloc'd (the uncached check's budget has no room for printf) */
static char *concat3(const char *a, const char *b, const char *c)
{
    size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
    char *r = xmalloc(la + lb + lc + 1);
    memcpy(r, a, la);
    memcpy(r + la, b, lb);
    memcpy(r + la + lb, c, lc + 1);
    return r;
}

static void user_fill(struct user_info *u, const char *ns, const char *name, const char *uid)
{
    memset(u, 0, sizeof(*u));
    char *user = concat3("system:serviceaccount:", ns, ":");
    u->name = concat3(user, name, "");
    free(user);
    u->uid = uid && *uid ? xstrdup(uid) : NULL;
    user_info_add_group(u, "system:serviceaccounts");
    char *g = concat3("system:serviceaccounts:", ns, "");
    user_info_add_group(u, g);
    free(g);
}

static void extra_set(json_t **extra, const char *key, const char *val)
{
    if (*extra == NULL)
        *extra = json_object();
    json_t *a = json_array();
    json_array_append_new(a, json_string(val));
    json_object_set_new(*extra, key, a);
}

/* ---- bound tokens -------------------------------------------------------------------- */

static const char *ref_str(json_t *ref, const char *k)
{
    const char *s = json_str(ref, k);
    return s ? s : "";
}

/* Steps 5–6 for a bound token; on success fills e's user, warnafter and (lowered) until.
 * e's dependencies are recorded before any object is read. */
static int validate_bound(struct satoken *s, json_t *claims, int64_t now, struct tokcache_entry *e, char **ret_err)
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
    if (json_is_number(exp))
        until_leeway(&e->until_ms, (int64_t)(json_number_value(exp) * 1000));
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
    depend_on(s, e, "serviceaccounts", ns, saname);
    if (secref != NULL)
        depend_on(s, e, "secrets", ns, ref_str(secref, "name"));
    if (podref != NULL)
        depend_on(s, e, "pods", ns, ref_str(podref, "name"));
    else if (noderef != NULL)
        depend_on(s, e, "nodes", NULL, ref_str(noderef, "name"));
    int rc = AZ_EUNAUTHORIZED;
    json_t *sa = check_object(s, "serviceaccounts", ns, saname), *obj = NULL;
    if (sa == NULL) {
        *ret_err = xasprintf("serviceaccounts \"%s\" not found", saname);
        goto out;
    }
    if (deleted_before_leeway(sa, now, e)) {
        *ret_err = xasprintf("service account %s/%s has been deleted", ns, saname);
        goto out;
    }
    const char *uid = json_path_str(sa, "metadata.uid");
    if (uid == NULL || strcmp(uid, sauid) != 0) {
        *ret_err = xasprintf("service account UID (%s) does not match claim (%s)", uid ? uid : "", sauid);
        goto out;
    }
    if (secref != NULL) {
        obj = check_object(s, "secrets", ns, ref_str(secref, "name"));
        if (obj == NULL || deleted_before_leeway(obj, now, e)) {
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
        obj = check_object(s, "pods", ns, ref_str(podref, "name"));
        if (obj == NULL || deleted_before_leeway(obj, now, e)) {
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
        obj = check_object(s, "nodes", NULL, ref_str(noderef, "name"));
        if (obj == NULL || deleted_before_leeway(obj, now, e)) {
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
    user_fill(&e->user, ns, saname, sauid);
    json_t *extra = NULL;
    const char *jti = json_str(claims, "jti");
    if (jti != NULL && *jti) {
        char *cid = concat3("JTI=", jti, "");
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
    e->user.extra = extra;
    json_t *warnafter = json_object_get(k8s, "warnafter");
    if (json_is_number(warnafter) && json_number_value(warnafter) != 0) { /* upstream counts these only */
        e->warnafter_ms = (int64_t)(json_number_value(warnafter) * 1000);
        if (s->token_metric != NULL)
            s->token_metric(now > e->warnafter_ms);
    }
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
    /* kube-apiserver labels the Secret itself (upstream: its loopback client, system:masters):
     * a privileged write straight to the registry */
    struct api_call c = {.srv = w->srv, .res = r, .ns = w->ns, .name = w->name,
                         .user = apiserver_loopback_user(), .field_manager = "kube-apiserver",
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

/* Legacy tokens (spec/01 "Legacy validator"); on success fills e's user and lowers its
 * until to the next UTC midnight (the last-used label is refreshed by the first verification
 * of each day). e's dependencies are recorded before any object is read. */
static int validate_legacy(struct satoken *s, const char *token, json_t *claims, int64_t now,
                           struct tokcache_entry *e, char **ret_err)
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
    depend_on(s, e, "secrets", ns, secname);
    depend_on(s, e, "serviceaccounts", ns, saname);
    int64_t midnight = (now / 86400000 + 1) * 86400000;
    if (midnight < e->until_ms)
        e->until_ms = midnight;
    int rc = AZ_EUNAUTHORIZED;
    json_t *sa = NULL, *secret = check_object(s, "secrets", ns, secname);
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
    sa = check_object(s, "serviceaccounts", ns, saname);
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
    user_fill(&e->user, ns, saname, sauid);
    rc = 0;
out:
    json_decref(secret);
    json_decref(sa);
    return rc;
}

/* ---- the authenticator --------------------------------------------------------------- */

/* Steps 1–4 of satoken.h: returns 0 with *ret_claims (verified) and *ret_auds. The token is
 * decoded and its JSON parsed once: the issuer sniff (hasCorrectIssuer) reads the parsed,
 * not yet verified, payload. A token the strict parse refuses is not ours either way (the
 * sniff would have been the same ENOTFOUND or the parse's). */
static int verify_token(struct satoken *s, const char *token, size_t len, json_t *target, json_t **ret_claims,
                        json_t **ret_auds, char **ret_err)
{
    if (len > JWT_MAX_TOKEN)
        return AZ_ENOTFOUND;
    struct jwt t;
    if (jwt_parse(token, len, &t) != 0)
        return AZ_ENOTFOUND;
    json_t *siss = json_object_get(t.claims, "iss");
    const char *iss = siss == NULL ? "" : json_string_value(siss);
    bool legacy = iss != NULL && strcmp(iss, SATOKEN_LEGACY_ISSUER) == 0;
    if (iss == NULL || !(legacy || array_has(s->issuers, iss))) {
        jwt_release(&t);
        return AZ_ENOTFOUND;
    }
    int rc = AZ_EUNAUTHORIZED;
    json_t *tauds = NULL, *own_auds = NULL, *inter = NULL;
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
    /* nothing shared between threads is incref'd: jansson's decref reads the count plainly */
    own_auds = claim_audiences(t.claims);
    tauds = json_array_size(own_auds) > 0 ? own_auds : s->api_audiences;
    inter = json_array();
    size_t i;
    json_t *v;
    json_array_foreach(tauds, i, v)
        if (array_has(target, json_string_value(v)) && !array_has(inter, json_string_value(v)))
            json_array_append_new(inter, json_string(json_string_value(v))); /* the entry's own */
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
    json_decref(own_auds);
    json_decref(inter);
    jwt_release(&t);
    return rc;
}

/* The cache key prefix for target: each audience followed by a NUL byte, into buf when it
 * fits, else malloc'd (the caller frees a result other than buf). */
static char *audience_prefix(json_t *target, char *buf, size_t cap, size_t *ret_len)
{
    size_t n = 0, i;
    json_t *v;
    json_array_foreach(target, i, v)
        n += json_string_length(v) + 1;
    char *p = n <= cap ? buf : xmalloc(n);
    size_t o = 0;
    json_array_foreach(target, i, v) {
        size_t l = json_string_length(v);
        memcpy(p + o, json_string_value(v) ? json_string_value(v) : "", l);
        p[o + l] = '\0';
        o += l + 1;
    }
    *ret_len = n;
    return p;
}

/* Cache miss: steps 1–6, then (when revocation events are wired) publish the entry. */
static int authenticate_uncached(struct satoken *s, const char *token, size_t len, json_t *target, int64_t now,
                                 uint64_t hash, const char *prefix, size_t prefix_len,
                                 struct tokcache_entry **ret, char **ret_err)
{
    json_t *claims = NULL, *auds = NULL;
    int rc = verify_token(s, token, len, target, &claims, &auds, ret_err);
    if (rc != 0)
        return rc;
    struct tokcache_entry *e = tokcache_entry_new(hash, prefix, prefix_len, token, len);
    e->until_ms = now + SATOKEN_CACHE_TTL_MS;
    if (strcmp(json_str(claims, "iss"), SATOKEN_LEGACY_ISSUER) == 0)
        rc = validate_legacy(s, token, claims, now, e, ret_err);
    else
        rc = validate_bound(s, claims, now, e, ret_err);
    json_decref(claims);
    if (rc != 0) {
        json_decref(auds);
        tokcache_entry_unref(e);
        return rc;
    }
    e->auds = auds;
    if (s->cache_armed)
        tokcache_insert(s->cache, tokcache_entry_ref(e), now);
    *ret = e;
    return 0;
}

int satoken_authenticate_ref(struct satoken *s, const char *token, json_t *audiences,
                             struct tokcache_entry **ret, char **ret_err)
{
    json_t *target = json_array_size(audiences) > 0 ? audiences : s->api_audiences;
    if (json_array_size(target) > SATOKEN_MAX_AUDIENCES)
        return *ret_err = xstrdup("too many audiences"), AZ_EUNAUTHORIZED;
    int64_t now = clock_wall_ms();
    size_t len = strlen(token), prefix_len;
    char buf[512];
    char *prefix = audience_prefix(target, buf, sizeof(buf), &prefix_len);
    uint64_t hash = tokcache_hash(s->cache, prefix, prefix_len, token, len);
    struct tokcache_entry *e = tokcache_lookup(s->cache, hash, prefix, prefix_len, token, len, now);
    int rc = 0;
    if (e != NULL) {
        if (e->warnafter_ms != 0)
            if (s->token_metric != NULL)
                s->token_metric(now > e->warnafter_ms);
        *ret = e;
    } else {
        rc = authenticate_uncached(s, token, len, target, now, hash, prefix, prefix_len, ret, ret_err);
    }
    if (prefix != buf)
        free(prefix);
    return rc;
}

int satoken_authenticate(struct satoken *s, const char *token, json_t *audiences,
                         struct user_info *ret, json_t **ret_auds, char **ret_err)
{
    struct tokcache_entry *e = NULL;
    int rc = satoken_authenticate_ref(s, token, audiences, &e, ret_err);
    if (rc != 0)
        return rc;
    user_info_copy(ret, &e->user);
    *ret_auds = json_deep_copy(e->auds); /* the entry's values are never shared (see verify_token) */
    tokcache_entry_unref(e);
    return 0;
}

int satoken_authenticator(void *state, struct apiserver *srv, const char *token,
                          struct user_info *ret, char **ret_why)
{
    json_t *auds = NULL;
    int rc = satoken_authenticate(state, token, NULL, ret, &auds, ret_why);
    json_decref(auds);
    return rc;
}
