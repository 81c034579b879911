/* reviews.c — the access review APIs (spec/07 §7.1–7.5; upstream
 * pkg/registry/authorization/{selfsubjectaccessreview,subjectaccessreview,
 * localsubjectaccessreview,selfsubjectrulesreview}/rest.go and
 * pkg/apis/authorization/validation/validation.go): create-only handlers that evaluate the
 * request against the authorizer chain (SSAR/SAR/LSAR) or list the RBAC rules (SSRR).
 *
 * SSAR/SAR/LSAR echo the request with status filled in and a metadata.managedFields entry
 * (manager from the call, operation Update); SSRR builds a fresh object. Validation errors
 * are 422 with an empty kind (`.authorization.k8s.io "" is invalid: ...`). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "machinery/field.h"
#include "machinery/patch.h"
#include "registry/rest.h"
#include "machinery/selector.h"
#include "machinery/status.h"
#include "machinery/validate.h"
#include "authz/authz.h"
#include "authz/rbac.h"
#include "authz/rbac_int.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/json.h"
#include "util/text.h"
#include "util/util.h"

#define AUTHZ_GROUP "authorization.k8s.io"
#define AUTHZ_API_VERSION "authorization.k8s.io/v1"

/* ---- response pieces ------------------------------------------------------------------ */

static json_t *sorted_copy(json_t *v)
{
    if (!json_is_object(v))
        return json_incref(v);
    size_t n = json_object_size(v), i = 0;
    const char **keys = xcalloc(n ? n : 1, sizeof(char *));
    const char *k;
    json_t *x;
    json_object_foreach(v, k, x)
        keys[i++] = k;
    for (size_t a = 1; a < n; a++) /* insertion sort: few keys */
        for (size_t b = a; b > 0 && strcmp(keys[b - 1], keys[b]) > 0; b--) {
            const char *t = keys[b];
            keys[b] = keys[b - 1];
            keys[b - 1] = t;
        }
    json_t *out = json_object();
    /* "." first, as structured-merge-diff writes it */
    if (json_object_get(v, "."))
        json_object_set_new(out, ".", sorted_copy(json_object_get(v, ".")));
    for (i = 0; i < n; i++)
        if (strcmp(keys[i], ".") != 0)
            json_object_set_new(out, keys[i], sorted_copy(json_object_get(v, keys[i])));
    free(keys);
    return out;
}

/* metadata for an echoed review: [namespace], creationTimestamp null, [managedFields]. */
/* Each thread's last review body (a private copy) and the fieldsV1 of its managedFields entry
 * (sorted as echo_metadata writes it; NULL: none). */
struct fields_memo {
    const struct resource_def *res;
    json_t *body;
    json_t *fields;
};

static pthread_key_t fields_memo__key;
static pthread_once_t fields_memo__once = PTHREAD_ONCE_INIT;

static void fields_memo_free(void *p)
{
    struct fields_memo *m = p;
    json_decref(m->body);
    json_decref(m->fields);
    free(m);
}

static void fields_memo_init(void)
{
    if (pthread_key_create(&fields_memo__key, fields_memo_free) != 0)
        abort();
}

/* The managedFields' fieldsV1 of a review body (new reference, or NULL when the set is empty).
 * It depends only on the kind and the body, so an equal body (json_equal: the same members
 * with equal values, arrays in the same order) gives the same set:
 * each thread remembers its last one (a client repeats its reviews: kubectl auth can-i, a
 * controller, a benchmark), and a repeated body skips rest_fields_v1 (~15% of an SSAR's CPU).
 * The remembered set is never changed: the response shares it. */
static json_t *review_fields(const struct resource_def *res, json_t *body)
{
    pthread_once(&fields_memo__once, fields_memo_init);
    struct fields_memo *m = pthread_getspecific(fields_memo__key);
    if (m == NULL) {
        m = xcalloc(1, sizeof(*m));
        pthread_setspecific(fields_memo__key, m);
    }
    if (m->body != NULL && m->res == res && json_equal(body, m->body))
        return m->fields != NULL ? json_incref(m->fields) : NULL;
    json_t *raw = rest_fields_v1(res, body);
    json_t *fields = json_object_size(raw) > 0 ? sorted_copy(raw) : NULL;
    json_decref(raw);
    json_decref(m->body);
    json_decref(m->fields);
    m->res = res;
    m->body = json_deep_copy(body);
    m->fields = fields != NULL ? json_incref(fields) : NULL;
    return fields;
}

static json_t *echo_metadata(struct api_call *call, json_t *body, const char *ns)
{
    json_t *m = json_object();
    if (ns != NULL && *ns)
        json_object_set_new(m, "namespace", json_string(ns));
    json_object_set_new(m, "creationTimestamp", json_null());
    json_t *fields = review_fields(call->res, body);
    if (fields != NULL) {
        char now[32];
        time_rfc3339(clock_wall_s(), now);
        json_t *e = json_object();
        json_object_set_new(e, "manager", json_string(call->field_manager ? call->field_manager : "unknown"));
        json_object_set_new(e, "operation", json_string("Update"));
        json_object_set_new(e, "apiVersion", json_string(AUTHZ_API_VERSION));
        json_object_set_new(e, "time", json_string(now));
        json_object_set_new(e, "fieldsType", json_string("FieldsV1"));
        json_object_set_new(e, "fieldsV1", fields);
        json_object_set_new(m, "managedFields", json_pack("[o]", e));
    }
    return m;
}

static void copy_str(json_t *out, json_t *in, const char *key)
{
    const char *s = json_str(in, key);
    if (s != NULL && *s)
        json_object_set_new(out, key, json_string(s));
}

static json_t *norm_resource_attrs(json_t *ra)
{
    json_t *o = json_object();
    static const char *const keys[] = {"namespace", "verb", "group", "version", "resource",
                                       "subresource", "name"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        copy_str(o, ra, keys[i]);
    if (json_is_object(json_object_get(ra, "fieldSelector")))
        json_object_set(o, "fieldSelector", json_object_get(ra, "fieldSelector"));
    if (json_is_object(json_object_get(ra, "labelSelector")))
        json_object_set(o, "labelSelector", json_object_get(ra, "labelSelector"));
    return o;
}

static json_t *norm_spec(json_t *spec, bool subject)
{
    json_t *o = json_object();
    json_t *ra = json_object_get(spec, "resourceAttributes");
    json_t *nra = json_object_get(spec, "nonResourceAttributes");
    if (json_is_object(ra))
        json_object_set_new(o, "resourceAttributes", norm_resource_attrs(ra));
    if (json_is_object(nra)) {
        json_t *n = json_object();
        copy_str(n, nra, "path");
        copy_str(n, nra, "verb");
        json_object_set_new(o, "nonResourceAttributes", n);
    }
    if (subject) {
        copy_str(o, spec, "user");
        if (json_array_size(json_object_get(spec, "groups")) > 0)
            json_object_set(o, "groups", json_object_get(spec, "groups"));
        if (json_object_size(json_object_get(spec, "extra")) > 0)
            json_object_set(o, "extra", json_object_get(spec, "extra"));
        copy_str(o, spec, "uid");
    }
    return o;
}

/* ---- validation --------------------------------------------------------------------- */

static char *go_struct_nonresource(json_t *nra)
{
    struct buf b = BUF_INIT;
    const char *p = json_str(nra, "path"), *v = json_str(nra, "verb");
    buf_puts(&b, "authorization.NonResourceAttributes{Path:");
    go_quote(&b, p ? p : "", strlen(p ? p : ""));
    buf_puts(&b, ", Verb:");
    go_quote(&b, v ? v : "", strlen(v ? v : ""));
    buf_putc(&b, '}');
    return buf_detach(&b, NULL);
}

static void go_map(struct buf *b, json_t *m)
{
    if (!json_is_object(m) || json_object_size(m) == 0) {
        buf_puts(b, "map[string]string(nil)");
        return;
    }
    buf_puts(b, "map[string]string{");
    const char *k;
    json_t *v;
    bool first = true;
    json_object_foreach(m, k, v) {
        const char *s = json_string_value(v) ? json_string_value(v) : "";
        if (!first)
            buf_puts(b, ", ");
        first = false;
        go_quote(b, k, strlen(k));
        buf_putc(b, ':');
        go_quote(b, s, strlen(s));
    }
    buf_putc(b, '}');
}

/* Go %#v of a v1.ObjectMeta (approximation: managedFields rendered as nil). */
static char *go_object_meta(json_t *m)
{
    struct buf b = BUF_INIT;
    static const char *const strs[][2] = {{"Name", "name"}, {"GenerateName", "generateName"},
                                          {"Namespace", "namespace"}, {"SelfLink", "selfLink"},
                                          {"UID", "uid"}, {"ResourceVersion", "resourceVersion"}};
    buf_puts(&b, "v1.ObjectMeta{");
    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
        const char *s = json_str(m, strs[i][1]);
        buf_printf(&b, "%s%s:", i ? ", " : "", strs[i][0]);
        go_quote(&b, s ? s : "", strlen(s ? s : ""));
    }
    buf_printf(&b, ", Generation:%lld", (long long)json_integer_value(json_object_get(m, "generation")));
    buf_puts(&b, ", CreationTimestamp:time.Date(1, time.January, 1, 0, 0, 0, 0, time.UTC)");
    buf_puts(&b, ", DeletionTimestamp:<nil>, DeletionGracePeriodSeconds:(*int64)(nil), Labels:");
    go_map(&b, json_object_get(m, "labels"));
    buf_puts(&b, ", Annotations:");
    go_map(&b, json_object_get(m, "annotations"));
    buf_puts(&b, ", OwnerReferences:[]v1.OwnerReference(nil), Finalizers:");
    json_t *f = json_object_get(m, "finalizers");
    if (json_array_size(f) == 0) {
        buf_puts(&b, "[]string(nil)");
    } else {
        buf_puts(&b, "[]string{");
        for (size_t i = 0; i < json_array_size(f); i++) {
            const char *s = json_string_value(json_array_get(f, i));
            if (i)
                buf_puts(&b, ", ");
            go_quote(&b, s ? s : "", strlen(s ? s : ""));
        }
        buf_putc(&b, '}');
    }
    buf_puts(&b, ", ManagedFields:[]v1.ManagedFieldsEntry(nil)}");
    return buf_detach(&b, NULL);
}

/* Whether metadata holds anything besides managedFields (and namespace when allowed). */
static bool meta_set(json_t *m, bool allow_namespace)
{
    const char *k;
    json_t *v;
    json_object_foreach(m, k, v) {
        if (strcmp(k, "managedFields") == 0 || (allow_namespace && strcmp(k, "namespace") == 0))
            continue;
        if (json_is_null(v) || (json_is_string(v) && *json_string_value(v) == '\0') ||
            (json_is_object(v) && json_object_size(v) == 0) ||
            (json_is_array(v) && json_array_size(v) == 0) ||
            (json_is_integer(v) && json_integer_value(v) == 0))
            continue;
        return true;
    }
    return false;
}

static void validate_selector(struct field_errors *fe, json_t *sel, const char *which)
{
    if (!json_is_object(sel))
        return;
    const char *raw = json_str(sel, "rawSelector");
    bool has_req = json_array_size(json_object_get(sel, "requirements")) > 0;
    if (raw != NULL && *raw && has_req)
        field_errors_addf(fe, FIELD_INVALID, json_object_get(sel, "rawSelector"),
                          "may not specified at the same time as requirements",
                          "spec.resourceAttributes.%s.rawSelector", which);
    else if ((raw == NULL || *raw == '\0') && !has_req) {
        char *d = xasprintf("when spec.resourceAttributes.%s is specified, requirements or rawSelector is required", which);
        field_errors_addf(fe, FIELD_REQUIRED, NULL, d, "spec.resourceAttributes.%s.requirements", which);
        free(d);
    }
    json_t *reqs = json_object_get(sel, "requirements");
    for (size_t i = 0; i < json_array_size(reqs); i++) {
        char *path = xasprintf("spec.resourceAttributes.%s.requirements[%zu]", which, i);
        validate_selector_requirement(json_array_get(reqs, i), strcmp(which, "labelSelector") == 0, path, fe);
        free(path);
    }
}

static void validate_spec(struct field_errors *fe, json_t *spec, bool subject)
{
    json_t *ra = json_object_get(spec, "resourceAttributes");
    json_t *nra = json_object_get(spec, "nonResourceAttributes");
    bool has_ra = json_is_object(ra), has_nra = json_is_object(nra);
    if (has_ra && has_nra) {
        char *v = go_struct_nonresource(nra);
        field_errors_add_raw(fe, FIELD_INVALID, "spec.nonResourceAttributes", v,
                             "cannot be specified in combination with resourceAttributes");
        free(v);
    }
    if (!has_ra && !has_nra)
        field_errors_add_raw(fe, FIELD_INVALID, "spec.resourceAttributes", "null",
                             "exactly one of nonResourceAttributes or resourceAttributes must be specified");
    if (subject) {
        const char *user = json_str(spec, "user");
        if ((user == NULL || *user == '\0') && json_array_size(json_object_get(spec, "groups")) == 0) {
            json_t *v = json_string(user ? user : "");
            field_errors_add(fe, FIELD_INVALID, "spec.user", v,
                             "at least one of user or group must be specified");
            json_decref(v);
        }
    }
    if (has_ra) {
        validate_selector(fe, json_object_get(ra, "fieldSelector"), "fieldSelector");
        validate_selector(fe, json_object_get(ra, "labelSelector"), "labelSelector");
    }
}

/* ---- evaluation ----------------------------------------------------------------------- */

static const char *str_or_empty(json_t *o, const char *k)
{
    const char *s = json_str(o, k);
    return s ? s : "";
}

static json_t *evaluate(struct apiserver *srv, const struct user_info *u, json_t *spec)
{
    json_t *ra = json_object_get(spec, "resourceAttributes");
    json_t *nra = json_object_get(spec, "nonResourceAttributes");
    struct authz_attrs a = {.user = u};
    struct buf evalerr = BUF_INIT;
    if (json_is_object(ra)) {
        const char *ver = str_or_empty(ra, "version");
        a.is_resource = true;
        a.verb = str_or_empty(ra, "verb");
        a.ns = str_or_empty(ra, "namespace");
        a.group = str_or_empty(ra, "group");
        a.version = *ver ? ver : "*";
        a.resource = str_or_empty(ra, "resource");
        a.subresource = str_or_empty(ra, "subresource");
        a.name = str_or_empty(ra, "name");
        a.path = "";
        const char *fraw = json_path_str(ra, "fieldSelector.rawSelector");
        if (fraw != NULL && *fraw) {
            struct field_selector *fs = NULL;
            if (field_selector_parse(fraw, &fs, NULL) != 0)
                buf_puts(&evalerr, "spec.resourceAttributes.fieldSelector ignored due to parse error");
            field_selector_free(fs);
        }
        const char *lraw = json_path_str(ra, "labelSelector.rawSelector");
        if (lraw != NULL && *lraw) {
            struct label_selector *ls = NULL;
            if (label_selector_parse(lraw, &ls, NULL) != 0) {
                if (evalerr.len)
                    buf_puts(&evalerr, "; ");
                buf_puts(&evalerr, "spec.resourceAttributes.labelSelector ignored due to parse error");
            }
            label_selector_free(ls);
        }
    } else {
        a.is_resource = false;
        a.verb = str_or_empty(nra, "verb");
        a.path = str_or_empty(nra, "path");
        a.ns = a.group = a.version = a.resource = a.subresource = a.name = "";
    }
    char *reason = NULL;
    enum authz_decision d = authz_authorize(srv, &a, &reason);
    json_t *st = json_object();
    json_object_set_new(st, "allowed", json_boolean(d == AUTHZ_ALLOW));
    if (d == AUTHZ_DENY)
        json_object_set_new(st, "denied", json_true());
    if (reason != NULL && *reason)
        json_object_set_new(st, "reason", json_string(reason));
    if (evalerr.len)
        json_object_set_new(st, "evaluationError", json_string(evalerr.data));
    buf_release(&evalerr);
    free(reason);
    return st;
}

static int invalid(struct field_errors *fe, json_t **ret_status)
{
    *ret_status = status_invalid(AUTHZ_GROUP, "", "", fe);
    field_errors_release(fe);
    return AZ_EINVALID;
}

static json_t *review_object(const char *kind, json_t *meta, json_t *spec, json_t *status)
{
    json_t *o = json_object();
    json_object_set_new(o, "kind", json_string(kind));
    json_object_set_new(o, "apiVersion", json_string(AUTHZ_API_VERSION));
    json_object_set_new(o, "metadata", meta);
    json_object_set_new(o, "spec", spec);
    json_object_set_new(o, "status", status);
    return o;
}

/* ---- handlers ---------------------------------------------------------------------- */

int rbac_ssar_create(struct api_call *call, json_t *body, json_t **ret_obj, json_t **ret_status)
{
    json_t *spec = json_object_get(body, "spec");
    json_t *meta = json_object_get(body, "metadata");
    struct field_errors fe;
    field_errors_init(&fe);
    validate_spec(&fe, spec, false);
    /* the create handler clears a cluster-scoped object's metadata.namespace before this */
    if (meta_set(meta, true)) {
        json_t *mcopy = json_deep_copy(meta);
        json_object_del(mcopy, "namespace");
        char *v = go_object_meta(mcopy);
        json_decref(mcopy);
        field_errors_add_raw(&fe, FIELD_INVALID, "metadata", v, "must be empty");
        free(v);
    }
    if (fe.n > 0)
        return invalid(&fe, ret_status);
    field_errors_release(&fe);
    json_t *status = evaluate(call->srv, call->user, spec);
    *ret_obj = review_object("SelfSubjectAccessReview", echo_metadata(call, body, NULL),
                             norm_spec(spec, false), status);
    return 0;
}

/* ---- the repeated SSAR (rbac.h: rbac_ssar_fast, rbac_ssar_remember) -------------------- */

/* Each thread's last answered SSAR. The key is the exact request (resource, body bytes,
 * field manager): everything of the answer but its status and managedFields' time depends
 * only on it (validation, the echoed spec, fieldsV1). The status is recomputed each time. */
struct ssar_memo {
    const struct resource_def *res;
    char *body;
    size_t body_len;
    char *manager;
    json_t *parsed; /* the body, parsed (private: only this thread reads it) */
    json_t *status; /* the answer's status (private copy) */
    char *resp;     /* the answer's compact JSON bytes */
    size_t resp_len;
    size_t time_at; /* offset of managedFields' time value in resp; SIZE_MAX: none */
};

static pthread_key_t ssar_memo__key;
static pthread_once_t ssar_memo__once = PTHREAD_ONCE_INIT;

static void ssar_memo_clear(struct ssar_memo *m)
{
    free(m->body);
    free(m->manager);
    json_decref(m->parsed);
    json_decref(m->status);
    free(m->resp);
    memset(m, 0, sizeof(*m));
}

static void ssar_memo_free(void *p)
{
    ssar_memo_clear(p);
    free(p);
}

static void ssar_memo_init(void)
{
    if (pthread_key_create(&ssar_memo__key, ssar_memo_free) != 0)
        abort();
}

static struct ssar_memo *ssar_memo_get(void)
{
    pthread_once(&ssar_memo__once, ssar_memo_init);
    struct ssar_memo *m = pthread_getspecific(ssar_memo__key);
    if (m == NULL) {
        m = xcalloc(1, sizeof(*m));
        pthread_setspecific(ssar_memo__key, m);
    }
    return m;
}

#define SSAR_TIME_LEN 20 /* time_rfc3339: 2006-01-02T15:04:05Z */

/* Offset of the managedFields entry's time value in the compact answer text, as
 * echo_metadata writes it (manager, operation, apiVersion, time, ...), checked against
 * obj's value; SIZE_MAX when the answer has none; 0 when it cannot be found (not kept). */
static size_t ssar_time_at(json_t *obj, const char *resp, size_t len)
{
    json_t *mf = json_object_get(json_object_get(obj, "metadata"), "managedFields");
    if (mf == NULL)
        return SIZE_MAX;
    const char *t = json_str(json_array_get(mf, 0), "time");
    if (json_array_size(mf) != 1 || t == NULL || strlen(t) != SSAR_TIME_LEN)
        return 0;
    static const char pat[] = "\"operation\":\"Update\",\"apiVersion\":\"" AUTHZ_API_VERSION "\",\"time\":\"";
    static const char mfpat[] = "\"managedFields\":[{\"manager\":";
    const char *mfs = memmem(resp, len, mfpat, sizeof(mfpat) - 1);
    if (mfs == NULL)
        return 0;
    const char *p = memmem(mfs, len - (size_t)(mfs - resp), pat, sizeof(pat) - 1);
    if (p == NULL)
        return 0;
    size_t at = (size_t)(p - resp) + sizeof(pat) - 1;
    if (at + SSAR_TIME_LEN + 1 > len || memcmp(resp + at, t, SSAR_TIME_LEN) != 0 ||
        resp[at + SSAR_TIME_LEN] != '"')
        return 0;
    return at;
}

void rbac_ssar_remember(struct api_call *call, const char *body, size_t len, json_t *obj,
                        const char *resp, size_t resp_len)
{
    struct ssar_memo *m = ssar_memo_get();
    ssar_memo_clear(m);
    size_t at = ssar_time_at(obj, resp, resp_len);
    json_t *parsed = json_parse_go(body, len, NULL);
    json_t *status = json_object_get(obj, "status");
    if (at == 0 || !json_is_object(parsed) || !json_is_object(status)) {
        json_decref(parsed);
        return;
    }
    m->res = call->res;
    m->body = xmalloc(len ? len : 1);
    memcpy(m->body, body, len);
    m->body_len = len;
    m->manager = xstrdup(call->field_manager ? call->field_manager : "unknown");
    m->parsed = parsed;
    m->status = json_deep_copy(status);
    m->resp = xmalloc(resp_len);
    memcpy(m->resp, resp, resp_len);
    m->resp_len = resp_len;
    m->time_at = at;
}

char *rbac_ssar_fast(struct api_call *call, const char *body, size_t len, size_t *ret_len)
{
    struct ssar_memo *m = ssar_memo_get();
    if (m->resp == NULL || m->res != call->res || m->body_len != len ||
        memcmp(m->body, body, len) != 0 ||
        strcmp(m->manager, call->field_manager ? call->field_manager : "unknown") != 0)
        return NULL;
    json_t *status = evaluate(call->srv, call->user, json_object_get(m->parsed, "spec"));
    bool same = json_equal(status, m->status);
    json_decref(status);
    if (!same)
        return NULL;
    char *out = xmalloc(m->resp_len + 1);
    memcpy(out, m->resp, m->resp_len);
    out[m->resp_len] = '\0';
    if (m->time_at != SIZE_MAX) {
        char now[32];
        time_rfc3339(clock_wall_s(), now);
        if (strlen(now) != SSAR_TIME_LEN) {
            free(out);
            return NULL;
        }
        memcpy(out + m->time_at, now, SSAR_TIME_LEN);
    }
    *ret_len = m->resp_len;
    return out;
}

/* The user a SAR describes: only the spec's fields. */
static void sar_user(json_t *spec, struct user_info *u)
{
    memset(u, 0, sizeof(*u));
    u->name = xstrdup(str_or_empty(spec, "user"));
    const char *uid = json_str(spec, "uid");
    u->uid = uid ? xstrdup(uid) : NULL;
    size_t i;
    json_t *g;
    json_t *groups = json_object_get(spec, "groups");
    size_t ng = json_array_size(groups);
    u->groups = xcalloc(ng ? ng : 1, sizeof(char *));
    json_array_foreach(groups, i, g)
        if (json_is_string(g))
            u->groups[u->ngroups++] = xstrdup(json_string_value(g));
    json_t *extra = json_object_get(spec, "extra");
    u->extra = json_is_object(extra) ? json_deep_copy(extra) : NULL;
}

static int sar_common(struct api_call *call, json_t *body, bool local, json_t **ret_obj,
                      json_t **ret_status)
{
    json_t *spec = json_object_get(body, "spec");
    json_t *meta = json_object_get(body, "metadata");
    const char *url_ns = call->ns ? call->ns : "";
    const char *body_ns = json_str(meta, "namespace");
    if (local && body_ns != NULL && *body_ns && strcmp(body_ns, url_ns) != 0) {
        *ret_status = status_bad_request("the namespace of the provided object does not match the namespace sent on the request");
        return AZ_EBADREQUEST;
    }
    struct field_errors fe;
    field_errors_init(&fe);
    validate_spec(&fe, spec, true);
    /* the create handler sets (local) or clears (cluster-scoped) metadata.namespace first */
    if (meta_set(meta, true)) {
        json_t *mcopy = json_deep_copy(meta);
        if (local)
            json_object_set_new(mcopy, "namespace", json_string(url_ns));
        else
            json_object_del(mcopy, "namespace");
        char *v = go_object_meta(mcopy);
        json_decref(mcopy);
        field_errors_add_raw(&fe, FIELD_INVALID, "metadata", v,
                             local ? "must be empty except for namespace" : "must be empty");
        free(v);
    }
    if (local) {
        json_t *ra = json_object_get(spec, "resourceAttributes");
        if (json_is_object(ra) && strcmp(str_or_empty(ra, "namespace"), url_ns) != 0) {
            json_t *v = json_string(str_or_empty(ra, "namespace"));
            field_errors_add(&fe, FIELD_INVALID, "spec.resourceAttributes.namespace", v,
                             "must match metadata.namespace");
            json_decref(v);
        }
        json_t *nra = json_object_get(spec, "nonResourceAttributes");
        if (json_is_object(nra)) {
            char *v = go_struct_nonresource(nra);
            field_errors_add_raw(&fe, FIELD_INVALID, "spec.nonResourceAttributes", v,
                                 "disallowed on this kind of request");
            free(v);
        }
    }
    if (fe.n > 0)
        return invalid(&fe, ret_status);
    field_errors_release(&fe);
    if (local && *url_ns == '\0') {
        *ret_status = status_bad_request("namespace is required on this type: ");
        return AZ_EBADREQUEST;
    }
    struct user_info u;
    sar_user(spec, &u);
    json_t *status = evaluate(call->srv, &u, spec);
    user_info_release(&u);
    *ret_obj = review_object(local ? "LocalSubjectAccessReview" : "SubjectAccessReview",
                             echo_metadata(call, body, local ? url_ns : NULL), norm_spec(spec, true),
                             status);
    return 0;
}

int rbac_sar_create(struct api_call *call, json_t *body, json_t **ret_obj, json_t **ret_status)
{
    return sar_common(call, body, false, ret_obj, ret_status);
}

int rbac_lsar_create(struct api_call *call, json_t *body, json_t **ret_obj, json_t **ret_status)
{
    return sar_common(call, body, true, ret_obj, ret_status);
}

int rbac_ssrr_create(struct api_call *call, json_t *body, json_t **ret_obj, json_t **ret_status)
{
    const char *ns = json_path_str(body, "spec.namespace");
    if (ns == NULL || *ns == '\0') {
        *ret_status = status_bad_request("no namespace on request");
        return AZ_EBADREQUEST;
    }
    struct rbac_snapshot *s = rbac_index_acquire(rbac__state->index);
    struct rbac_rules rules;
    rbac_rules_init(&rules);
    char *errs = NULL;
    rbac_snapshot_rules_for(s, call->user, ns, &rules, &errs);
    rbac_snapshot_release(s);
    json_t *rr = json_array(), *nrr = json_array();
    for (size_t i = 0; i < rules.n; i++) {
        const struct rbac_rule *r = &rules.items[i];
        if (r->nresources > 0) {
            struct rbac_rule copy = *r;
            copy.nurls = 0;
            json_array_append_new(rr, rbac_rule_to_json(&copy));
        }
        if (r->nurls > 0) {
            struct rbac_rule copy = {.verbs = r->verbs, .nverbs = r->nverbs, .urls = r->urls, .nurls = r->nurls};
            json_array_append_new(nrr, rbac_rule_to_json(&copy));
        }
    }
    rbac_rules_release(&rules);
    json_t *status = json_object();
    json_object_set_new(status, "resourceRules", rr);
    json_object_set_new(status, "nonResourceRules", nrr);
    json_object_set_new(status, "incomplete", json_false());
    if (errs != NULL)
        json_object_set_new(status, "evaluationError", json_string(errs));
    free(errs);
    *ret_obj = review_object("SelfSubjectRulesReview", json_pack("{s:n}", "creationTimestamp"),
                             json_object(), status);
    return 0;
}
