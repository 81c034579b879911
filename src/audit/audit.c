/* audit.c — audit policy evaluation and the audit.k8s.io/v1 Event log (see audit.h).
 *
 * Policy matching follows upstream's policy checker (k8s.io/apiserver/pkg/audit/policy):
 * the first rule whose every non-empty list matches decides the level; users by name,
 * userGroups by any group, verbs, namespaces (resource requests only; "" is cluster scope),
 * resources as {group, resources, resourceNames} ("*", "pods/log", star-slash-sub and res-slash-star),
 * nonResourceURLs (non-resource requests only; a trailing "*" is a prefix). A rule naming
 * resources or namespaces does not match non-resource requests, and one naming
 * nonResourceURLs does not match resource requests. No match: level None.
 *
 * Rotation follows lumberjack (upstream's writer): before a write would take the file past
 * max size, it is renamed to <name>-<UTC time 2006-01-02T15-04-05.000><ext> and reopened;
 * the oldest backups beyond max backup are removed. */
#include <dirent.h>
#include <pthread.h>
#include <errno.h>
#include <fcntl.h>
#include <libfyaml.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "audit/audit.h"
#include "registry/resource.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/json.h"
#include "util/log.h"
#include "util/text.h"
#include "util/util.h"
#include "util/yaml.h"

#define AUDIT_MAX_RULES 1024

struct audit_group_resources {
    char *group;
    json_t *resources;      /* array of strings, may be empty */
    json_t *resource_names; /* array of strings, may be empty */
};

struct audit_rule {
    enum audit_level level;
    json_t *users, *user_groups, *verbs, *namespaces, *urls; /* arrays (may be empty) */
    struct audit_group_resources *res;
    size_t nres;
    unsigned omit;
};

struct audit_policy {
    struct audit_rule *rules;
    size_t n;
    unsigned omit; /* policy-wide omitStages */
};

/* ---- policy parsing ------------------------------------------------------------------ */

static json_t *text_to_json(const char *text, size_t len, char **ret_err)
{
    json_error_t jerr;
    json_t *v = json_loadb(text, len, 0, &jerr);
    if (v != NULL)
        return v;
    if (!utf8_valid(text, len)) { /* libfyaml can loop forever on malformed UTF-8 */
        *ret_err = xstrdup("audit policy: not valid UTF-8");
        return NULL;
    }
    struct fy_document *fyd = yaml_document_quiet(text, len, 0);
    if (fyd == NULL) {
        *ret_err = xstrdup("audit policy: not valid YAML or JSON");
        return NULL;
    }
    char *js = yaml_document_to_json(fyd);
    fy_document_destroy(fyd);
    if (js == NULL) {
        *ret_err = xstrdup("audit policy: cannot convert YAML to JSON");
        return NULL;
    }
    v = json_loads(js, 0, &jerr);
    free(js);
    if (v == NULL)
        *ret_err = xasprintf("audit policy: %s", jerr.text);
    return v;
}

static int parse_level(const char *s, enum audit_level *ret)
{
    static const struct {
        const char *name;
        enum audit_level level;
    } levels[] = {{"None", AUDIT_NONE}, {"Metadata", AUDIT_METADATA}, {"Request", AUDIT_REQUEST},
                  {"RequestResponse", AUDIT_REQUEST_RESPONSE}};
    for (size_t i = 0; s != NULL && i < sizeof(levels) / sizeof(levels[0]); i++) {
        if (strcmp(s, levels[i].name) == 0) {
            *ret = levels[i].level;
            return 0;
        }
    }
    return AZ_EINVALID;
}

static int parse_stages(json_t *arr, unsigned *ret, char **ret_err)
{
    static const struct {
        const char *name;
        enum audit_stage stage;
    } stages[] = {{"RequestReceived", AUDIT_STAGE_REQUEST_RECEIVED},
                  {"ResponseStarted", AUDIT_STAGE_RESPONSE_STARTED},
                  {"ResponseComplete", AUDIT_STAGE_RESPONSE_COMPLETE},
                  {"Panic", AUDIT_STAGE_PANIC}};
    size_t i;
    json_t *v;
    if (arr != NULL && !json_is_array(arr) && !json_is_null(arr)) {
        *ret_err = xstrdup("audit policy: omitStages must be a list");
        return AZ_EINVALID;
    }
    json_array_foreach(arr, i, v) {
        size_t k;
        for (k = 0; k < sizeof(stages) / sizeof(stages[0]); k++)
            if (json_is_string(v) && strcmp(json_string_value(v), stages[k].name) == 0)
                break;
        if (k == sizeof(stages) / sizeof(stages[0])) {
            *ret_err = xasprintf("audit policy: omitStages[%zu]: Unsupported value: %s", i,
                                 json_is_string(v) ? json_string_value(v) : "(not a string)");
            return AZ_EINVALID;
        }
        *ret |= stages[k].stage;
    }
    return 0;
}

/* A list of strings (absent/null: empty). AZ_EINVALID if it is anything else. */
static int string_list(json_t *rule, const char *field, json_t **ret, char **ret_err)
{
    json_t *v = json_object_get(rule, field);
    if (v == NULL || json_is_null(v)) {
        *ret = json_array();
        return 0;
    }
    size_t i;
    json_t *s;
    if (!json_is_array(v)) {
        *ret_err = xasprintf("audit policy: %s must be a list of strings", field);
        return AZ_EINVALID;
    }
    json_array_foreach(v, i, s) {
        if (!json_is_string(s)) {
            *ret_err = xasprintf("audit policy: %s must be a list of strings", field);
            return AZ_EINVALID;
        }
    }
    *ret = json_incref(v);
    return 0;
}

static void rule_release(struct audit_rule *r)
{
    json_decref(r->users);
    json_decref(r->user_groups);
    json_decref(r->verbs);
    json_decref(r->namespaces);
    json_decref(r->urls);
    for (size_t i = 0; i < r->nres; i++) {
        free(r->res[i].group);
        json_decref(r->res[i].resources);
        json_decref(r->res[i].resource_names);
    }
    free(r->res);
}

static int parse_rule(json_t *jr, size_t idx, struct audit_rule *r, char **ret_err)
{
    if (!json_is_object(jr)) {
        *ret_err = xasprintf("audit policy: rules[%zu] must be an object", idx);
        return AZ_EINVALID;
    }
    if (parse_level(json_string_value(json_object_get(jr, "level")), &r->level) < 0) {
        *ret_err = xasprintf("audit policy: rules[%zu].level: Unsupported value: \"%s\"", idx,
                             json_string_value(json_object_get(jr, "level")) ? json_string_value(json_object_get(jr, "level")) : "");
        return AZ_EINVALID;
    }
    if (string_list(jr, "users", &r->users, ret_err) < 0 ||
        string_list(jr, "userGroups", &r->user_groups, ret_err) < 0 ||
        string_list(jr, "verbs", &r->verbs, ret_err) < 0 ||
        string_list(jr, "namespaces", &r->namespaces, ret_err) < 0 ||
        string_list(jr, "nonResourceURLs", &r->urls, ret_err) < 0)
        return AZ_EINVALID;
    if (parse_stages(json_object_get(jr, "omitStages"), &r->omit, ret_err) < 0)
        return AZ_EINVALID;
    json_t *res = json_object_get(jr, "resources");
    if (res != NULL && !json_is_null(res) && !json_is_array(res)) {
        *ret_err = xasprintf("audit policy: rules[%zu].resources must be a list", idx);
        return AZ_EINVALID;
    }
    if (json_array_size(res) > 0 && json_array_size(r->urls) > 0) {
        *ret_err = xasprintf("audit policy: rules[%zu]: rules cannot apply to both regular resources and non-resource URLs", idx);
        return AZ_EINVALID;
    }
    r->res = xcalloc(json_array_size(res) + 1, sizeof(*r->res));
    size_t i;
    json_t *g;
    json_array_foreach(res, i, g) {
        struct audit_group_resources *gr = &r->res[r->nres++];
        json_t *group = json_object_get(g, "group");
        if (!json_is_object(g) || (group != NULL && !json_is_string(group) && !json_is_null(group))) {
            *ret_err = xasprintf("audit policy: rules[%zu].resources[%zu] must be an object with a string group", idx, i);
            return AZ_EINVALID;
        }
        gr->group = xstrdup(json_is_string(group) ? json_string_value(group) : "");
        if (string_list(g, "resources", &gr->resources, ret_err) < 0 ||
            string_list(g, "resourceNames", &gr->resource_names, ret_err) < 0)
            return AZ_EINVALID;
    }
    return 0;
}

struct audit_policy *audit_policy_parse(const char *text, size_t len, char **ret_err)
{
    json_t *doc = text_to_json(text, len, ret_err);
    if (doc == NULL)
        return NULL;
    struct audit_policy *p = xcalloc(1, sizeof(*p));
    const char *av = json_string_value(json_object_get(doc, "apiVersion"));
    const char *kind = json_string_value(json_object_get(doc, "kind"));
    json_t *rules = json_object_get(doc, "rules");
    if (!json_is_object(doc) || av == NULL || strcmp(av, "audit.k8s.io/v1") != 0) {
        *ret_err = xstrdup("audit policy: apiVersion must be audit.k8s.io/v1");
        goto fail;
    }
    if (kind == NULL || strcmp(kind, "Policy") != 0) {
        *ret_err = xstrdup("audit policy: kind must be Policy");
        goto fail;
    }
    if (!json_is_array(rules) || json_array_size(rules) == 0) {
        *ret_err = xstrdup("audit policy: rules: Required value: at least one rule");
        goto fail;
    }
    if (json_array_size(rules) > AUDIT_MAX_RULES) {
        *ret_err = xasprintf("audit policy: more than %d rules", AUDIT_MAX_RULES);
        goto fail;
    }
    if (parse_stages(json_object_get(doc, "omitStages"), &p->omit, ret_err) < 0)
        goto fail;
    p->rules = xcalloc(json_array_size(rules), sizeof(*p->rules));
    size_t i;
    json_t *jr;
    json_array_foreach(rules, i, jr) {
        p->n++;
        if (parse_rule(jr, i, &p->rules[i], ret_err) < 0)
            goto fail;
    }
    json_decref(doc);
    return p;
fail:
    json_decref(doc);
    audit_policy_free(p);
    return NULL;
}

void audit_policy_free(struct audit_policy *p)
{
    if (p == NULL)
        return;
    for (size_t i = 0; i < p->n; i++)
        rule_release(&p->rules[i]);
    free(p->rules);
    free(p);
}

/* ---- policy evaluation ---------------------------------------------------------------- */

static bool list_has(json_t *list, const char *s)
{
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)
        if (strcmp(json_string_value(v), s) == 0)
            return true;
    return false;
}

static bool user_matches(const struct audit_rule *r, const struct user_info *u)
{
    if (json_array_size(r->users) > 0 && (u == NULL || u->name == NULL || !list_has(r->users, u->name)))
        return false;
    if (json_array_size(r->user_groups) == 0)
        return true;
    for (size_t i = 0; u != NULL && i < u->ngroups; i++)
        if (list_has(r->user_groups, u->groups[i]))
            return true;
    return false;
}

static bool resource_matches(const struct audit_rule *r, const struct audit_attrs *a)
{
    if (r->nres == 0)
        return true;
    char *combined = *a->subresource ? xasprintf("%s/%s", a->resource, a->subresource)
                                     : xstrdup(a->resource);
    char *any_sub = xasprintf("*/%s", a->subresource);
    char *res_any = xasprintf("%s/*", a->resource);
    bool ok = false;
    for (size_t i = 0; i < r->nres && !ok; i++) {
        const struct audit_group_resources *g = &r->res[i];
        if (strcmp(g->group, a->group) != 0)
            continue;
        if (json_array_size(g->resources) == 0) {
            ok = true;
            break;
        }
        size_t k;
        json_t *v;
        json_array_foreach(g->resources, k, v) {
            const char *s = json_string_value(v);
            bool hit = strcmp(s, combined) == 0 || strcmp(s, "*") == 0 ||
                       (*a->subresource && (strcmp(s, any_sub) == 0 || strcmp(s, res_any) == 0));
            if (!hit)
                continue;
            if (json_array_size(g->resource_names) == 0 || list_has(g->resource_names, a->name)) {
                ok = true;
                break;
            }
        }
    }
    free(combined);
    free(any_sub);
    free(res_any);
    return ok;
}

static bool url_matches(const struct audit_rule *r, const char *path)
{
    size_t i;
    json_t *v;
    json_array_foreach(r->urls, i, v) {
        const char *s = json_string_value(v);
        size_t n = strlen(s);
        if (strcmp(s, "*") == 0 || strcmp(s, path) == 0 ||
            (n > 0 && s[n - 1] == '*' && strncmp(s, path, n - 1) == 0))
            return true;
    }
    return false;
}

static bool rule_matches(const struct audit_rule *r, const struct audit_attrs *a)
{
    if (!user_matches(r, a->user))
        return false;
    if (json_array_size(r->verbs) > 0 && !list_has(r->verbs, a->verb))
        return false;
    if (a->is_resource) {
        if (json_array_size(r->urls) > 0)
            return false;
        if (json_array_size(r->namespaces) > 0 && !list_has(r->namespaces, a->ns))
            return false;
        return resource_matches(r, a);
    }
    if (r->nres > 0 || json_array_size(r->namespaces) > 0)
        return false;
    return json_array_size(r->urls) == 0 || url_matches(r, a->path);
}

enum audit_level audit_policy_eval(const struct audit_policy *p, const struct audit_attrs *a,
                                   unsigned *ret_omit_stages)
{
    *ret_omit_stages = p ? p->omit : 0;
    for (size_t i = 0; p != NULL && i < p->n; i++) {
        if (rule_matches(&p->rules[i], a)) {
            *ret_omit_stages |= p->rules[i].omit;
            return p->rules[i].level;
        }
    }
    return AUDIT_NONE;
}

/* ---- events --------------------------------------------------------------------------- */

static const char *level_name(enum audit_level l)
{
    switch (l) {
    case AUDIT_NONE:
        return "None";
    case AUDIT_METADATA:
        return "Metadata";
    case AUDIT_REQUEST:
        return "Request";
    case AUDIT_REQUEST_RESPONSE:
        return "RequestResponse";
    }
    return "None";
}

static const char *stage_name(enum audit_stage s)
{
    switch (s) {
    case AUDIT_STAGE_REQUEST_RECEIVED:
        return "RequestReceived";
    case AUDIT_STAGE_RESPONSE_STARTED:
        return "ResponseStarted";
    case AUDIT_STAGE_RESPONSE_COMPLETE:
        return "ResponseComplete";
    case AUDIT_STAGE_PANIC:
        return "Panic";
    }
    return "";
}

static void micro_time(int64_t us, char out[40])
{
    time_t t = (time_t)(us / 1000000);
    struct tm tm;
    gmtime_r(&t, &tm);
    char base[24];
    strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, 40, "%s.%06lldZ", base, (long long)(us % 1000000));
}

static int64_t now_us(void)
{
    struct timespec ts;
    clock_wall(&ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Bodies that may carry a credential are never logged (audit.h). */
/* Whether the request's resource row (any version) or its subresource keeps bodies out of
 * the log (RES_SENSITIVE_BODY, subresource_def.sensitive_body). */
static bool sensitive(const struct audit_attrs *a)
{
    if (!a->is_resource || a->group == NULL || a->resource == NULL)
        return false;
    size_t n;
    const struct resource_def *rows = resource_table(&n);
    for (size_t i = 0; i < n; i++) {
        const struct resource_def *r = &rows[i];
        if (strcmp(r->group, a->group) != 0 || strcmp(r->plural, a->resource) != 0)
            continue;
        if (r->flags & RES_SENSITIVE_BODY)
            return true;
        const struct subresource_def *sd =
            a->subresource != NULL && *a->subresource ? resource_subresource(r, a->subresource) : NULL;
        if (sd != NULL && sd->sensitive_body)
            return true;
    }
    return false;
}

json_t *audit_event(const struct audit_request *r, enum audit_level level, enum audit_stage stage)
{
    const struct audit_attrs *a = &r->attrs;
    json_t *ev = json_object();
    json_object_set_new(ev, "kind", json_string("Event"));
    json_object_set_new(ev, "apiVersion", json_string("audit.k8s.io/v1"));
    json_object_set_new(ev, "level", json_string(level_name(level)));
    json_object_set_new(ev, "auditID", json_string(r->audit_id ? r->audit_id : ""));
    json_object_set_new(ev, "stage", json_string(stage_name(stage)));
    json_object_set_new(ev, "requestURI", json_string(r->request_uri ? r->request_uri : ""));
    json_object_set_new(ev, "verb", json_string(a->verb ? a->verb : ""));
    json_t *user = json_object();
    if (a->user != NULL && a->user->name != NULL && !r->authn_failed) {
        json_object_set_new(user, "username", json_string(a->user->name));
        if (a->user->uid != NULL && *a->user->uid)
            json_object_set_new(user, "uid", json_string(a->user->uid));
        if (a->user->ngroups > 0) {
            json_t *groups = json_array();
            for (size_t i = 0; i < a->user->ngroups; i++)
                json_array_append_new(groups, json_string(a->user->groups[i]));
            json_object_set_new(user, "groups", groups);
        }
        if (json_object_size(a->user->extra) > 0)
            json_object_set(user, "extra", a->user->extra);
    }
    json_object_set_new(ev, "user", user);
    if (r->source_ip != NULL)
        json_object_set_new(ev, "sourceIPs", json_pack("[s]", r->source_ip));
    if (r->user_agent != NULL)
        json_object_set_new(ev, "userAgent", json_string(r->user_agent));
    if (a->is_resource) {
        json_t *ref = json_object();
        json_object_set_new(ref, "resource", json_string(a->resource));
        if (*a->ns)
            json_object_set_new(ref, "namespace", json_string(a->ns));
        if (*a->name)
            json_object_set_new(ref, "name", json_string(a->name));
        if (*a->group)
            json_object_set_new(ref, "apiGroup", json_string(a->group));
        if (*a->version)
            json_object_set_new(ref, "apiVersion", json_string(a->version));
        if (*a->subresource)
            json_object_set_new(ref, "subresource", json_string(a->subresource));
        json_object_set_new(ev, "objectRef", ref);
    }
    if (stage != AUDIT_STAGE_REQUEST_RECEIVED) {
        json_t *rs;
        if (r->authn_failed) { /* upstream: a Status with the attempted methods only */
            rs = json_object();
            json_object_set_new(rs, "metadata", json_object());
            json_object_set_new(rs, "message", json_string(r->authn_message ? r->authn_message
                                                                            : "Authentication failed, no credentials provided"));
        } else if (r->response_status != NULL) {
            rs = json_deep_copy(r->response_status);
            json_object_del(rs, "kind");
            json_object_del(rs, "apiVersion");
        } else {
            rs = json_object();
            json_object_set_new(rs, "metadata", json_object());
        }
        json_object_set_new(rs, "code", json_integer(r->code));
        json_object_set_new(ev, "responseStatus", rs);
    }
    bool hide = sensitive(a);
    if (level >= AUDIT_REQUEST && !hide && r->body != NULL && r->body_len > 0) {
        json_t *body = json_loadb(r->body, r->body_len, JSON_ALLOW_NUL, NULL);
        if (json_is_object(body))
            json_object_set_new(ev, "requestObject", body);
        else
            json_decref(body);
    }
    if (level >= AUDIT_REQUEST_RESPONSE && !hide && stage == AUDIT_STAGE_RESPONSE_COMPLETE &&
        r->response_obj != NULL)
        json_object_set(ev, "responseObject", r->response_obj);
    char ts[40];
    micro_time(r->received_us, ts);
    json_object_set_new(ev, "requestReceivedTimestamp", json_string(ts));
    micro_time(stage == AUDIT_STAGE_REQUEST_RECEIVED ? r->received_us : now_us(), ts);
    json_object_set_new(ev, "stageTimestamp", json_string(ts));
    if (r->decision != NULL && stage != AUDIT_STAGE_REQUEST_RECEIVED) {
        json_t *ann = json_object();
        json_object_set_new(ann, "authorization.k8s.io/decision", json_string(r->decision));
        json_object_set_new(ann, "authorization.k8s.io/reason", json_string(r->reason ? r->reason : ""));
        json_object_set_new(ev, "annotations", ann);
    }
    return ev;
}

/* ---- the log file -------------------------------------------------------------------- */

/* Set by audit_init before serving, read-only afterwards, except fd and size: those change
 * with each write and rotation, under mu. */
static struct {
    struct audit_policy *policy;
    char *path;   /* NULL: stdout */
    pthread_mutex_t mu; /* one writer at a time: whole lines, rotation */
    int fd;
    int64_t size;
    int64_t max_size;
    int max_backup;
    bool enabled;
} audit__log = {.fd = -1, .mu = PTHREAD_MUTEX_INITIALIZER};

bool audit_enabled(void)
{
    return audit__log.enabled;
}

static int open_log(void)
{
    audit__log.fd = open(audit__log.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (audit__log.fd < 0)
        return AZ_EIO;
    struct stat st;
    audit__log.size = fstat(audit__log.fd, &st) == 0 ? st.st_size : 0;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Removes the oldest backups beyond max_backup (names sort by their timestamp). */
static void prune_backups(const char *dir, const char *prefix, const char *ext)
{
    if (audit__log.max_backup <= 0)
        return;
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    size_t pl = strlen(prefix), el = strlen(ext);
    while ((e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);
        if (l > pl + el && strncmp(e->d_name, prefix, pl) == 0 && e->d_name[pl] == '-' &&
            strcmp(e->d_name + l - el, ext) == 0) {
            if (n == cap) {
                cap = cap ? cap * 2 : 8;
                names = xrealloc(names, cap * sizeof(*names));
            }
            names[n++] = xstrdup(e->d_name);
        }
    }
    closedir(d);
    qsort(names, n, sizeof(*names), cmp_str);
    for (size_t i = 0; i < n; i++) {
        if (i + (size_t)audit__log.max_backup < n) {
            char *p = xasprintf("%s/%s", dir, names[i]);
            unlink(p);
            free(p);
        }
        free(names[i]);
    }
    free(names);
}

static void rotate(void)
{
    const char *path = audit__log.path;
    const char *slash = strrchr(path, '/');
    char *dir = slash ? xstrndup(path, (size_t)(slash - path)) : xstrdup(".");
    const char *base = slash ? slash + 1 : path;
    const char *dot = strrchr(base, '.');
    char *prefix = dot ? xstrndup(base, (size_t)(dot - base)) : xstrdup(base);
    const char *ext = dot ? dot : "";
    int64_t us = now_us();
    time_t t = (time_t)(us / 1000000);
    struct tm tm;
    gmtime_r(&t, &tm);
    char stamp[32];
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H-%M-%S", &tm);
    char *backup = xasprintf("%s/%s-%s.%03lld%s", dir, prefix, stamp, (long long)(us / 1000 % 1000), ext);
    close(audit__log.fd);
    audit__log.fd = -1;
    if (rename(path, backup) != 0)
        log_warn("audit: rotating %s: %s", path, strerror(errno));
    if (open_log() < 0)
        log_error("audit: reopening %s: %s", path, strerror(errno));
    prune_backups(dir, prefix, ext);
    free(backup);
    free(prefix);
    free(dir);
}

static void write_line_locked(const char *line, size_t len)
{
    if (audit__log.path == NULL) {
        fwrite(line, 1, len, stdout);
        fflush(stdout);
        return;
    }
    if (audit__log.max_size > 0 && audit__log.size > 0 && audit__log.size + (int64_t)len > audit__log.max_size)
        rotate();
    if (audit__log.fd < 0)
        return;
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(audit__log.fd, line + off, len - off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            log_error("audit: writing %s: %s", audit__log.path, strerror(errno));
            return;
        }
        off += (size_t)w;
    }
    audit__log.size += (int64_t)len;
}

/* Appends one line (and rotates before it when due), whole, from any thread. */
static void write_line(const char *line, size_t len)
{
    pthread_mutex_lock(&audit__log.mu);
    write_line_locked(line, len);
    pthread_mutex_unlock(&audit__log.mu);
}

int audit_init(const struct audit_config *cfg, char **ret_err)
{
    if (cfg->log_path == NULL || *cfg->log_path == '\0')
        return 0;
    if (cfg->policy_file == NULL || *cfg->policy_file == '\0') {
        *ret_err = xstrdup("--audit-log-path needs --audit-policy-file");
        return AZ_EINVALID;
    }
    FILE *f = fopen(cfg->policy_file, "re");
    if (f == NULL) {
        *ret_err = xasprintf("reading %s: %s", cfg->policy_file, strerror(errno));
        return AZ_EIO;
    }
    struct buf b = BUF_INIT;
    buf_init(&b, 4 * 1024 * 1024);
    char chunk[8192];
    size_t n;
    int rc = 0;
    while (rc == 0 && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        rc = buf_append(&b, chunk, n);
    fclose(f);
    if (rc < 0) {
        buf_release(&b);
        *ret_err = xasprintf("%s: larger than 4 MiB", cfg->policy_file);
        return AZ_EINVALID;
    }
    struct audit_policy *p = audit_policy_parse(b.data ? b.data : "", b.len, ret_err);
    buf_release(&b);
    if (p == NULL)
        return AZ_EINVALID;
    audit__log.policy = p;
    audit__log.max_size = (int64_t)cfg->max_size_mb * 1024 * 1024;
    audit__log.max_backup = cfg->max_backup;
    if (strcmp(cfg->log_path, "-") != 0) {
        audit__log.path = xstrdup(cfg->log_path);
        if (open_log() < 0) {
            *ret_err = xasprintf("opening %s: %s", cfg->log_path, strerror(errno));
            return AZ_EIO;
        }
    }
    audit__log.enabled = true;
    return 0;
}

static void emit(const struct audit_request *r, enum audit_level level, enum audit_stage stage)
{
    json_t *ev = audit_event(r, level, stage);
    struct buf b = BUF_INIT;
    if (json_write_go(&b, ev, false) == 0) /* one line, newline included (Go's Encoder) */
        write_line(b.data, b.len);
    buf_release(&b);
    json_decref(ev);
}

void audit_log_request(const struct audit_request *r)
{
    if (!audit__log.enabled)
        return;
    unsigned omit = 0;
    enum audit_level level = audit_policy_eval(audit__log.policy, &r->attrs, &omit);
    if (level == AUDIT_NONE)
        return;
    if (r->authn_failed) {
        if (!(omit & AUDIT_STAGE_RESPONSE_STARTED))
            emit(r, level, AUDIT_STAGE_RESPONSE_STARTED); /* no body is read: none logged */
        return;
    }
    if (!(omit & AUDIT_STAGE_REQUEST_RECEIVED))
        emit(r, level, AUDIT_STAGE_REQUEST_RECEIVED);
    if (!(omit & AUDIT_STAGE_RESPONSE_COMPLETE))
        emit(r, level, AUDIT_STAGE_RESPONSE_COMPLETE);
}

void audit_authn_failure_message(char *out, size_t n, const char *authorization, size_t auth_len,
                                 bool access_token, bool client_cert)
{
    const char *methods[4];
    size_t k = 0;
    /* Go's Request.BasicAuth: "Basic " (any case), then base64 of "user:password" */
    if (authorization != NULL && auth_len > 6 && strncasecmp(authorization, "Basic ", 6) == 0) {
        size_t dlen = 0;
        unsigned char *d = base64_decode(authorization + 6, auth_len - 6, &dlen);
        if (d != NULL && memchr(d, ':', dlen) != NULL)
            methods[k++] = "basic";
        free(d);
    }
    /* upstream: the trimmed header split on ' ', at least two parts, the first "bearer" */
    if (authorization != NULL) {
        size_t b = 0, e = auth_len;
        while (b < e && (authorization[b] == ' ' || authorization[b] == '\t'))
            b++;
        while (e > b && (authorization[e - 1] == ' ' || authorization[e - 1] == '\t'))
            e--;
        const char *sp = memchr(authorization + b, ' ', e - b);
        if (sp != NULL && (size_t)(sp - authorization - b) == 6 && strncasecmp(authorization + b, "bearer", 6) == 0)
            methods[k++] = "bearer";
    }
    if (access_token)
        methods[k++] = "access_token";
    if (client_cert)
        methods[k++] = "x509";
    if (k == 0) {
        snprintf(out, n, "Authentication failed, no credentials provided");
        return;
    }
    size_t o = (size_t)snprintf(out, n, "Authentication failed, attempted: ");
    for (size_t i = 0; i < k && o < n; i++)
        o += (size_t)snprintf(out + o, n - o, "%s%s", i ? ", " : "", methods[i]);
}
