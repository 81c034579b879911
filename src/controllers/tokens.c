/* tokens.c — the legacy ServiceAccount token controller (spec/05 §5.3, §5.4):
 *  - Secrets of type kubernetes.io/service-account-token annotated
 *    kubernetes.io/service-account.name get data token (legacy JWT, spec/01 §1.3), ca.crt and
 *    namespace, and the kubernetes.io/service-account.uid annotation;
 *  - such Secrets whose SA is missing or has another UID are deleted, and so are the token
 *    Secrets of a deleted SA;
 *  - the kube-system/kube-apiserver-legacy-service-account-token-tracking ConfigMap is
 *    created once with data.since = today (UTC).
 * Watch callbacks only queue work (srv->defer); the work reads the identity module's caches
 * and writes through client_call() as the controller manager's own identity, as upstream's
 * tokens controller does (it cannot use a service-account token to make them). The Secret
 * controller acts only while controllers_leading() (it is kube-controller-manager's); the
 * tracking ConfigMap is kube-apiserver's, created by every replica (one wins, the others get
 * 409). */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "client/client.h"
#include "registry/loopback.h"
#include "registry/rest.h"
#include "machinery/status.h"
#include "authn/identity_int.h"
#include "authn/jwt.h"
#include "controllers/controllers.h"
#include "store/watchcache.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/json.h"
#include "util/log.h"
#include "util/util.h"

#define SECRET_TYPE "kubernetes.io/service-account-token"
#define ANN_NAME "kubernetes.io/service-account.name"
#define ANN_UID "kubernetes.io/service-account.uid"
#define MANAGER "kube-controller-manager"

struct token_work {
    struct apiserver *srv;
    char *ns;
    char *name;     /* Secret name, or the deleted SA's name */
    bool sa_deleted;
};

static struct watch_sub *tokens__subs[2];

static struct api_call secret_call(struct apiserver *srv, const char *ns, const char *name)
{
    struct api_call c = {.srv = srv, .res = resource_by_kind("", "Secret"), .ns = ns, .name = name,
                         .user = client_kcm_user(), .field_manager = MANAGER,
                         .validation = FIELD_VALIDATION_IGNORE, .internal = true};
    return c;
}

static void delete_secret(struct apiserver *srv, const char *ns, const char *name)
{
    struct api_call c = secret_call(srv, ns, name);
    json_t *obj = NULL, *st = NULL;
    if (client_call(&c, CLIENT_DELETE, &(struct client_args){.delete_opts = NULL}, &obj, &st) != 0 && status_code(st) != 404)
        log_warn("token controller: deleting secret %s/%s: %s", ns, name, json_str(st, "message"));
    json_decref(obj);
    json_decref(st);
}

static bool needs_fill(json_t *secret)
{
    json_t *data = json_object_get(secret, "data");
    return json_str(data, "token") == NULL || json_str(data, "ca.crt") == NULL || json_str(data, "namespace") == NULL;
}

static char *legacy_token(struct satoken *s, const char *ns, const char *secret, const char *sa, const char *uid)
{
    json_t *p = json_object();
    json_object_set_new(p, "iss", json_string(SATOKEN_LEGACY_ISSUER));
    json_object_set_new(p, "kubernetes.io/serviceaccount/namespace", json_string(ns));
    json_object_set_new(p, "kubernetes.io/serviceaccount/secret.name", json_string(secret));
    json_object_set_new(p, "kubernetes.io/serviceaccount/service-account.name", json_string(sa));
    json_object_set_new(p, "kubernetes.io/serviceaccount/service-account.uid", json_string(uid));
    char *sub = xasprintf("system:serviceaccount:%s:%s", ns, sa);
    json_object_set_new(p, "sub", json_string(sub));
    free(sub);
    size_t len;
    char *txt = json_dump_go(p, false, &len);
    json_decref(p);
    while (len > 0 && txt[len - 1] == '\n')
        len--;
    char *tok = jwt_sign(&s->signing, txt, len);
    free(txt);
    return tok;
}

static void sync_secret(struct apiserver *srv, struct satoken *s, const char *ns, const char *name)
{
    json_t *secret = satoken_object(s, "secrets", ns, name);
    if (secret == NULL || strcmp(json_str(secret, "type") ? json_str(secret, "type") : "", SECRET_TYPE) != 0 ||
        json_path(secret, "metadata.deletionTimestamp") != NULL) {
        json_decref(secret);
        return;
    }
    json_t *ann = json_path(secret, "metadata.annotations");
    const char *saname = json_str(ann, ANN_NAME), *sauid = json_str(ann, ANN_UID);
    json_t *sa = saname ? satoken_object(s, "serviceaccounts", ns, saname) : NULL;
    const char *uid = json_path_str(sa, "metadata.uid");
    if (saname == NULL || sa == NULL || (sauid != NULL && *sauid && (uid == NULL || strcmp(uid, sauid) != 0))) {
        delete_secret(srv, ns, name);
        goto out;
    }
    if (!needs_fill(secret) && sauid != NULL)
        goto out;
    json_t *upd = json_deep_copy(secret);
    json_t *data = json_obj_ensure(upd, "data");
    char *tok = legacy_token(s, ns, name, saname, uid ? uid : "");
    if (tok == NULL) {
        json_decref(upd);
        goto out;
    }
    char *b = base64_encode(tok, strlen(tok));
    json_object_set_new(data, "token", json_string(b));
    free(b);
    memset(tok, 0, strlen(tok));
    free(tok);
    const char *ca = srv->ca_pem ? srv->ca_pem : "";
    b = base64_encode(ca, strlen(ca));
    json_object_set_new(data, "ca.crt", json_string(b));
    free(b);
    b = base64_encode(ns, strlen(ns));
    json_object_set_new(data, "namespace", json_string(b));
    free(b);
    json_t *uann = json_obj_ensure(json_obj_ensure(upd, "metadata"), "annotations");
    json_object_set_new(uann, ANN_UID, json_string(uid ? uid : ""));
    struct api_call c = secret_call(srv, ns, name);
    json_t *res = NULL, *st = NULL;
    if (client_call(&c, CLIENT_UPDATE, &(struct client_args){.obj = upd}, &res, &st) != 0 && status_code(st) != 409)
        log_warn("token controller: filling secret %s/%s: %s", ns, name, json_str(st, "message"));
    json_decref(res);
    json_decref(st);
    json_decref(upd);
out:
    json_decref(sa);
    json_decref(secret);
}

static void delete_tokens_of(struct apiserver *srv, struct satoken *s, const char *ns, const char *saname)
{
    /* collect names first: deleting feeds the cache we would be iterating */
    json_t *names = json_array();
    char *prefix = xasprintf("/registry/secrets/%s/", ns);
    json_t *v;
    struct wc_list l;
    if (watchcache_list(srv->wc, prefix, NULL, 0, &l) == 0) {
        for (size_t j = 0; j < l.n; j++) {
            json_t *o = json_loadb(l.items[j].value, l.items[j].len, JSON_ALLOW_NUL, NULL);
            const char *type = json_str(o, "type");
            const char *an = json_path_str(o, "metadata.annotations." ANN_NAME);
            if (type && strcmp(type, SECRET_TYPE) == 0 && an && strcmp(an, saname) == 0)
                json_array_append_new(names, json_string(json_path_str(o, "metadata.name")));
            json_decref(o);
        }
        watchcache_list_release(&l);
    }
    free(prefix);
    size_t i;
    json_array_foreach(names, i, v) {
        json_t *sa = satoken_object(s, "serviceaccounts", ns, saname);
        if (sa == NULL) /* not re-created meanwhile */
            delete_secret(srv, ns, json_string_value(v));
        json_decref(sa);
    }
    json_decref(names);
}

static void token_work_run(void *arg)
{
    struct token_work *w = arg;
    struct satoken *s = w->srv->identity;
    if (s != NULL && controllers_leading()) {
        if (w->sa_deleted)
            delete_tokens_of(w->srv, s, w->ns, w->name);
        else
            sync_secret(w->srv, s, w->ns, w->name);
    }
    free(w->ns);
    free(w->name);
    free(w);
}

static void queue(struct apiserver *srv, const char *ns, const char *name, bool sa_deleted)
{
    struct token_work *w = xcalloc(1, sizeof(*w));
    w->srv = srv;
    w->ns = xstrdup(ns);
    w->name = xstrdup(name);
    w->sa_deleted = sa_deleted;
    srv->defer(srv, token_work_run, w);
}

static void on_secret(void *arg, const struct watch_event *ev)
{
    struct apiserver *srv = arg;
    if (!controllers_leading() || ev->type == WATCH_DELETED)
        return;
    const char *type = json_str(ev->obj, "type");
    if (type == NULL || strcmp(type, SECRET_TYPE) != 0)
        return;
    if (!needs_fill(ev->obj) && json_path_str(ev->obj, "metadata.annotations." ANN_UID) != NULL)
        return;
    const char *ns = json_path_str(ev->obj, "metadata.namespace"), *name = json_path_str(ev->obj, "metadata.name");
    if (ns && name)
        queue(srv, ns, name, false);
}

static void on_sa(void *arg, const struct watch_event *ev)
{
    struct apiserver *srv = arg;
    const char *ns = json_path_str(ev->obj, "metadata.namespace"), *name = json_path_str(ev->obj, "metadata.name");
    if (controllers_leading() && ev->type == WATCH_DELETED && ns && name)
        queue(srv, ns, name, true);
}

static void tracking_configmap(void *arg)
{
    struct apiserver *srv = arg;
    char today[16];
    time_t t = clock_wall_s();
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(today, sizeof(today), "%Y-%m-%d", &tm);
    const struct resource_def *r = resource_by_kind("", "ConfigMap");
    const char *name = "kube-apiserver-legacy-service-account-token-tracking";
    /* kube-apiserver's legacytokentracking controller: the API server's own identity */
    struct api_call c = {.srv = srv, .res = r, .ns = "kube-system", .user = apiserver_loopback_user(),
                         .field_manager = "kube-apiserver", .validation = FIELD_VALIDATION_IGNORE,
                         .internal = true};
    json_t *cm = json_pack("{s:s,s:s,s:{s:s,s:s},s:{s:s}}", "apiVersion", "v1", "kind", "ConfigMap", "metadata",
                           "name", name, "namespace", "kube-system", "data", "since", today);
    json_t *res = NULL, *st = NULL;
    if (r != NULL && client_call(&c, CLIENT_CREATE, &(struct client_args){.obj = cm}, &res, &st) != 0 && status_code(st) != 409)
        log_warn("legacy token tracking: %s", json_str(st, "message"));
    json_decref(cm);
    json_decref(res);
    json_decref(st);
}

void tokens_controller_start(struct apiserver *srv)
{
    struct satoken *s = srv->identity;
    if (s == NULL || srv->defer == NULL)
        return;
    int64_t rev = watchcache_rev(srv->wc);
    watchcache_subscribe(srv->wc, "/registry/secrets/", rev, on_secret, srv, &tokens__subs[0], NULL);
    watchcache_subscribe(srv->wc, "/registry/serviceaccounts/", rev, on_sa, srv, &tokens__subs[1], NULL);
    srv->defer(srv, tracking_configmap, srv);
}

void tokens_controller_resync(struct apiserver *srv)
{
    if (srv->identity == NULL || srv->defer == NULL)
        return;
    /* every token Secret (read from the object cache) */
    json_t *v;
    json_t *todo = json_array();
    struct wc_list l;
    if (watchcache_list(srv->wc, "/registry/secrets/", NULL, 0, &l) == 0) {
        for (size_t j = 0; j < l.n; j++) {
            json_t *o = json_loadb(l.items[j].value, l.items[j].len, JSON_ALLOW_NUL, NULL);
            const char *type = json_str(o, "type");
            if (type && strcmp(type, SECRET_TYPE) == 0 && needs_fill(o))
                json_array_append_new(todo, json_pack("[ss]", json_path_str(o, "metadata.namespace"),
                                                      json_path_str(o, "metadata.name")));
            json_decref(o);
        }
        watchcache_list_release(&l);
    }
    size_t i;
    json_array_foreach(todo, i, v)
        queue(srv, json_string_value(json_array_get(v, 0)), json_string_value(json_array_get(v, 1)), false);
    json_decref(todo);
}
