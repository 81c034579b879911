/* events.c — the in-process event recorder and its correlator; see events.h. */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "client/client.h"
#include "client/events.h"
#include "machinery/patch.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/json.h"
#include "util/log.h"
#include "util/util.h"

/* One cache: key -> entry, at most EVENT_CACHE_MAX, the least recently used evicted. */
struct ev_entry {
    char *key;
    uint64_t used;     /* LRU clock */
    /* spam filter */
    double tokens;
    int64_t refilled_ns;
    /* aggregator: distinct messages within the interval */
    char **messages;
    size_t nmessages;
    int64_t last_ns;
    /* logger: the Event written for this key */
    char *name;
    char *first_ts;
    int64_t count;
};

struct ev_cache {
    struct ev_entry *e;
    size_t n;
};

struct event_correlator {
    pthread_mutex_t mu;
    uint64_t clock;
    struct ev_cache spam, agg, logged;
};

struct event_correlator *event_correlator_new(void)
{
    struct event_correlator *c = xcalloc(1, sizeof(*c));
    pthread_mutex_init(&c->mu, NULL);
    return c;
}

static void entry_release(struct ev_entry *e)
{
    free(e->key);
    for (size_t i = 0; i < e->nmessages; i++)
        free(e->messages[i]);
    free(e->messages);
    free(e->name);
    free(e->first_ts);
    memset(e, 0, sizeof(*e));
}

static void cache_release(struct ev_cache *ca)
{
    for (size_t i = 0; i < ca->n; i++)
        entry_release(&ca->e[i]);
    free(ca->e);
}

void event_correlator_free(struct event_correlator *c)
{
    if (c == NULL)
        return;
    cache_release(&c->spam);
    cache_release(&c->agg);
    cache_release(&c->logged);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

/* The entry for key; created (evicting the least recently used when full) if create. */
static struct ev_entry *cache_get(struct event_correlator *c, struct ev_cache *ca, const char *key,
                                  bool create, bool *ret_new)
{
    *ret_new = false;
    for (size_t i = 0; i < ca->n; i++) {
        if (strcmp(ca->e[i].key, key) == 0) {
            ca->e[i].used = ++c->clock;
            return &ca->e[i];
        }
    }
    if (!create)
        return NULL;
    struct ev_entry *e;
    if (ca->n < EVENT_CACHE_MAX) {
        if (ca->e == NULL)
            ca->e = xcalloc(EVENT_CACHE_MAX, sizeof(*ca->e));
        e = &ca->e[ca->n++];
    } else {
        e = &ca->e[0];
        for (size_t i = 1; i < ca->n; i++)
            if (ca->e[i].used < e->used)
                e = &ca->e[i];
        entry_release(e);
    }
    e->key = xstrdup(key);
    e->used = ++c->clock;
    *ret_new = true;
    return e;
}

static const char *s_or_empty(const char *s)
{
    return s ? s : "";
}

/* involvedObject as client-go's reference.GetReference builds it. */
static json_t *object_reference(json_t *obj)
{
    json_t *ref = json_object();
    static const char *const top[] = {"kind", "apiVersion"};
    static const char *const meta[] = {"namespace", "name", "uid", "resourceVersion"};
    for (size_t i = 0; i < 2; i++)
        if (json_str(obj, top[i]) && *json_str(obj, top[i]))
            json_object_set_new(ref, top[i], json_string(json_str(obj, top[i])));
    for (size_t i = 0; i < 4; i++) {
        const char *v = json_str(json_object_get(obj, "metadata"), meta[i]);
        if (v && *v)
            json_object_set_new(ref, meta[i], json_string(v));
    }
    return ref;
}

static char *ref_key(json_t *ref)
{
    return xasprintf("%s\x1f%s\x1f%s\x1f%s\x1f%s", s_or_empty(json_str(ref, "kind")),
                     s_or_empty(json_str(ref, "namespace")), s_or_empty(json_str(ref, "name")),
                     s_or_empty(json_str(ref, "uid")), s_or_empty(json_str(ref, "apiVersion")));
}

static void ts_of(int64_t now_ns, char out[32])
{
    time_rfc3339((time_t)(now_ns / 1000000000), out);
}

/* Token bucket: false when the source+object has no token left. */
static bool spam_allow(struct event_correlator *c, const char *key, int64_t now_ns)
{
    bool fresh;
    struct ev_entry *e = cache_get(c, &c->spam, key, true, &fresh);
    if (fresh) {
        e->tokens = EVENT_SPAM_BURST;
        e->refilled_ns = now_ns;
    } else if (now_ns > e->refilled_ns) {
        e->tokens += (double)(now_ns - e->refilled_ns) / 1e9 / EVENT_SPAM_REFILL_SECONDS;
        if (e->tokens > EVENT_SPAM_BURST)
            e->tokens = EVENT_SPAM_BURST;
        e->refilled_ns = now_ns;
    }
    if (e->tokens < 1.0)
        return false;
    e->tokens -= 1.0;
    return true;
}

/* Aggregation: true (and the combined message) once EVENT_AGGREGATE_MAX distinct messages
 * were seen for key within the interval. */
static bool aggregate(struct event_correlator *c, const char *key, const char *message, int64_t now_ns)
{
    bool fresh;
    struct ev_entry *e = cache_get(c, &c->agg, key, true, &fresh);
    if (!fresh && now_ns - e->last_ns > (int64_t)EVENT_AGGREGATE_INTERVAL_SECONDS * 1000000000) {
        for (size_t i = 0; i < e->nmessages; i++)
            free(e->messages[i]);
        e->nmessages = 0;
    }
    e->last_ns = now_ns;
    bool known = false;
    for (size_t i = 0; i < e->nmessages && !known; i++)
        known = strcmp(e->messages[i], message) == 0;
    if (!known) {
        if (e->nmessages == EVENT_AGGREGATE_MAX) {
            free(e->messages[0]); /* client-go pops any one */
            memmove(e->messages, e->messages + 1, (e->nmessages - 1) * sizeof(char *));
            e->nmessages--;
        }
        if (e->messages == NULL)
            e->messages = xcalloc(EVENT_AGGREGATE_MAX, sizeof(char *));
        e->messages[e->nmessages++] = xstrdup(message);
    }
    return e->nmessages >= EVENT_AGGREGATE_MAX;
}

enum event_action event_correlate(struct event_correlator *c, const char *component, const char *host,
                                  json_t *obj, const char *type, const char *reason,
                                  const char *message, int64_t now_ns, json_t **ret_event)
{
    *ret_event = NULL;
    json_t *ref = object_reference(obj);
    char *rk = ref_key(ref);
    char *spam_key = xasprintf("%s\x1f%s\x1f%s", s_or_empty(component), s_or_empty(host), rk);
    char *agg_key = xasprintf("%s\x1f%s\x1f%s", spam_key, s_or_empty(type), s_or_empty(reason));
    char *combined = NULL, *log_key = NULL;
    enum event_action act = EVENT_DROP;
    char ts[32];
    ts_of(now_ns, ts);

    pthread_mutex_lock(&c->mu);
    if (!spam_allow(c, spam_key, now_ns))
        goto out;
    if (aggregate(c, agg_key, message, now_ns)) {
        combined = xasprintf("(combined from similar events): %s", message);
        log_key = xasprintf("%s\x1f", agg_key); /* the aggregate key: one Event for all */
    } else {
        log_key = xasprintf("%s\x1f%s", agg_key, message);
    }
    const char *ns = json_str(ref, "namespace");
    const char *oname = s_or_empty(json_str(ref, "name"));
    json_t *ev = json_object();
    json_object_set_new(ev, "kind", json_string("Event"));
    json_object_set_new(ev, "apiVersion", json_string("v1"));
    bool fresh;
    struct ev_entry *e = cache_get(c, &c->logged, log_key, false, &fresh);
    char *name = e && e->name ? xstrdup(e->name)
                              : xasprintf("%s.%llx", oname, (unsigned long long)now_ns);
    json_object_set_new(ev, "metadata", json_pack("{s:s, s:s}", "name", name, "namespace",
                                                  ns && *ns ? ns : "default"));
    free(name);
    json_object_set_new(ev, "involvedObject", ref);
    ref = NULL;
    json_object_set_new(ev, "reason", json_string(s_or_empty(reason)));
    json_object_set_new(ev, "message", json_string(combined ? combined : message));
    json_t *src = json_pack("{s:s}", "component", s_or_empty(component));
    if (host && *host)
        json_object_set_new(src, "host", json_string(host));
    json_object_set_new(ev, "source", src);
    json_object_set_new(ev, "firstTimestamp", json_string(e && e->name ? e->first_ts : ts));
    json_object_set_new(ev, "lastTimestamp", json_string(ts));
    json_object_set_new(ev, "count", json_integer(e && e->name ? e->count + 1 : 1));
    json_object_set_new(ev, "type", json_string(s_or_empty(type)));
    json_object_set_new(ev, "eventTime", json_null());
    json_object_set_new(ev, "reportingComponent", json_string(s_or_empty(component)));
    json_object_set_new(ev, "reportingInstance", json_string(s_or_empty(host)));
    if (e && e->name) {
        e->count++;
        act = EVENT_UPDATE;
    } else {
        act = EVENT_CREATE;
    }
    /* the logger key travels with the event until event_correlator_written */
    json_object_set_new(ev, "\x1fkey", json_string(log_key));
    *ret_event = ev;
out:
    pthread_mutex_unlock(&c->mu);
    json_decref(ref);
    free(rk);
    free(spam_key);
    free(agg_key);
    free(combined);
    free(log_key);
    return act;
}

void event_correlator_written(struct event_correlator *c, json_t *ev)
{
    const char *key = json_str(ev, "\x1fkey");
    const char *name = json_path_str(ev, "metadata.name");
    if (key == NULL || name == NULL)
        return;
    pthread_mutex_lock(&c->mu);
    bool fresh;
    struct ev_entry *e = cache_get(c, &c->logged, key, true, &fresh);
    if (e->name == NULL || strcmp(e->name, name) != 0) {
        free(e->name);
        free(e->first_ts);
        e->name = xstrdup(name);
        e->first_ts = xstrdup(s_or_empty(json_str(ev, "firstTimestamp")));
        e->count = json_integer_value(json_object_get(ev, "count"));
    }
    pthread_mutex_unlock(&c->mu);
}

/* ---- recording through the REST layer ------------------------------------------------- */

static pthread_once_t recorder_once = PTHREAD_ONCE_INIT;
static struct event_correlator *recorder;

static void recorder_init(void)
{
    recorder = event_correlator_new();
}

static void event_write(struct apiserver *srv, const struct user_info *user, enum event_action act,
                        json_t *ev)
{
    const char *ns = json_path_str(ev, "metadata.namespace");
    struct api_call c = {.srv = srv, .res = resource_by_kind("", "Event"), .ns = ns, .user = user,
                         .field_manager = "kube-controller-manager",
                         .validation = FIELD_VALIDATION_IGNORE};
    json_t *res = NULL, *st = NULL;
    int rc = -1;
    if (act == EVENT_UPDATE) {
        /* client-go patches count, lastTimestamp and message of the existing Event */
        c.name = json_path_str(ev, "metadata.name");
        json_t *patch = json_pack("{s:O, s:O, s:O}", "count", json_object_get(ev, "count"),
                                  "lastTimestamp", json_object_get(ev, "lastTimestamp"), "message",
                                  json_object_get(ev, "message"));
        char *body = json_dumps(patch, JSON_COMPACT);
        rc = client_call(&c, CLIENT_PATCH,
                         &(struct client_args){.patch_type = PATCH_TYPE_MERGE, .patch = body,
                                               .patch_len = strlen(body)},
                         &res, &st);
        free(body);
        json_decref(patch);
        json_decref(res);
        res = NULL;
        json_decref(st);
        st = NULL;
        if (rc == 0)
            return;
        /* gone (or conflicting): write it afresh, as client-go does after a failed patch */
        c.name = NULL;
        json_object_set(ev, "firstTimestamp", json_object_get(ev, "lastTimestamp"));
        json_object_set_new(ev, "count", json_integer(1));
        struct timespec now;
        clock_wall(&now);
        char *name = xasprintf("%s.%llx", s_or_empty(json_path_str(ev, "involvedObject.name")),
                               (unsigned long long)((int64_t)now.tv_sec * 1000000000 + now.tv_nsec));
        json_object_set_new(json_object_get(ev, "metadata"), "name", json_string(name));
        free(name);
    }
    json_t *body = json_deep_copy(ev);
    json_object_del(body, "\x1fkey");
    rc = client_call(&c, CLIENT_CREATE, &(struct client_args){.obj = body}, &res, &st);
    json_decref(body);
    if (rc == 0)
        event_correlator_written(recorder, ev);
    else
        log_debug("event recorder: %s/%s: %s", s_or_empty(ns), s_or_empty(json_path_str(ev, "metadata.name")),
                  json_str(st, "message") ? json_str(st, "message") : "failed");
    json_decref(res);
    json_decref(st);
}

void event_record(struct apiserver *srv, const struct user_info *user, const char *component,
                  json_t *obj, const char *type, const char *reason, const char *fmt, ...)
{
    pthread_once(&recorder_once, recorder_init);
    va_list ap;
    va_start(ap, fmt);
    char *msg = xvasprintf(fmt, ap);
    va_end(ap);
    struct timespec now;
    clock_wall(&now);
    json_t *ev = NULL;
    enum event_action act = event_correlate(recorder, component, "", obj, type, reason, msg,
                                            (int64_t)now.tv_sec * 1000000000 + now.tv_nsec, &ev);
    if (act == EVENT_DROP)
        log_debug("event recorder: dropped %s event %s about %s (spam filter)", s_or_empty(type),
                  s_or_empty(reason), s_or_empty(json_path_str(obj, "metadata.name")));
    else
        event_write(srv, user, act, ev);
    json_decref(ev);
    free(msg);
}
