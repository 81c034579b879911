/* etcd.c — the etcd v3 backend of store.h over the JSON gateway (see etcd.h for the model).
 *
 * Gateway facts this relies on (../shared/notes/etcd-gateway.md): every call is a POST with a
 * JSON body; keys and values are standard base64; int64 fields come back as strings; fields
 * with default values are omitted (succeeded=false, count=0, event type PUT, empty kvs); an
 * error is a non-200 answer {"error":..., "code":<grpc code>}; /v3/watch is a chunked stream
 * of one JSON object per line.
 *
 * Locking: `mu` guards delivered/sink/flags, the barrier waiters and the barrier threads'
 * states (struct sync_thread: a caller of store_sync_async writes on an ARMED thread's probe
 * only while that thread's state is LAUNCHING, the thread touching it at no other time), and
 * pairs with `cond` (writers and sync wait for the watch thread) and `sync_cond` (the barrier
 * threads wait for work, or for a caller to finish writing). `sink_mu` is held while the sink runs (so set_sink never races a call).
 * `pool_mu` guards the curl handle pool. No lock is held across a network call except by the
 * watch thread's own handle, which only it uses.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "store/etcd.h"
#include "store/etcd_probe.h"
#include "util/biglock.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"
#include "util/util.h"

#define API_ROOT "/registry"
#define API_ROOT_LEN 9
#define POOL_MAX 16
/* Barrier threads: while one waits for its revision fetch, reads arriving meanwhile (which may
 * not share that fetch) start the next at once on another instead of queueing behind it. */
#define SYNC_THREADS 2
#define MAX_RESPONSE (512u << 20)
/* upstream's compactor coordinates its replicas through this key (etcd root, not prefixed) */
#define COMPACT_KEY "compact_rev_key"
/* While etcd does not answer, calls give up after this long instead of the request timeout:
 * the store is called on the event loop, which must keep serving (/livez, other requests)
 * during an outage. Any success restores the full timeout. */
#define FAILING_BUDGET_MS 1000

struct es {
    struct store base;
    char **eps;
    size_t neps;
    atomic_size_t ep;       /* index of the endpoint to try first */
    char *prefix;           /* without trailing '/' */
    size_t prefix_len;
    char *cafile, *certfile, *keyfile;
    long timeout_ms;
    long watch_delay_ms;    /* etcd_config.testing_watch_delay_ms */
    long revision_delay_ms; /* etcd_config.testing_revision_delay_ms */

    pthread_mutex_t pool_mu;
    CURL *pool[POOL_MAX];
    size_t npool;

    pthread_mutex_t mu;
    pthread_cond_t cond;
    int64_t delivered;      /* every change with revision <= delivered went to the sink */
    bool watching;          /* the watch stream is established */
    int64_t compact_version; /* version of COMPACT_KEY last seen */

    int64_t received;       /* the watch stream got every change with revision <= received */
    struct qev *qhead, **qtail; /* received, not yet delivered (ours only) */
    pthread_t owner;        /* the thread that delivers inline (opened the store: the loop) */
    void (*notify)(void *); /* wakes the owner to call store_etcd_dispatch (any thread) */
    void *notify_arg;
    atomic_int notify_pending;

    pthread_mutex_t sink_mu; /* held while delivering: one deliverer at a time, in order */
    store_sink_fn sink;
    void *sink_arg;

    pthread_t watch_thread;

    /* Consistent-read barriers of store_sync_async (see sync_main), under mu; completed on
     * the barrier thread, or by dispatch once it delivered their revision: */
    struct sync_waiter *sw_next, **sw_next_tail; /* arrived: need a revision fetched after them */
    struct sync_waiter *sw_ready; /* revision known: wait until delivered reaches it */
    bool sync_preparing;          /* a barrier thread will take sw_next right before it sends */
    unsigned sync_fetching;       /* fetches begun and not yet completed */
    pthread_cond_t sync_cond;     /* signals the barrier threads */
    struct sync_thread *sync;     /* SYNC_THREADS of them */
    size_t nsync;           /* barrier threads started */
    uint64_t nbarriers, nfetches; /* barriers taken, revision fetches they shared */
    uint64_t nfetches_grpc;  /* fetches answered by the gRPC probe (the others: JSON) */
    uint64_t nfetches_own;   /* of those, by the own HTTP/2 client (the others: libcurl) */
    uint64_t fetch_us;       /* time the fetches took, in total (microseconds) */

    atomic_int stop;
    atomic_int failing;     /* the last call timed out: budget FAILING_BUDGET_MS per call */
};

struct sync_waiter {
    store_sync_done_fn done;
    void *arg;
    int64_t rev;      /* the revision to wait for (once fetched) */
    int64_t deadline; /* mono_ms after which the barrier fails with AZ_ETIMEOUT */
    int rc;
    struct sync_waiter *next;
};

struct qev {
    struct store_event ev;
    struct store_list *relist; /* STORE_EVENT_RELIST: the list ev.list points to (owned) */
    struct qev *next;
};

static struct es *es_of(struct store *s) { return (struct es *)s; }

static void ev_copy(struct store_event *e, const struct store_event *ev)
{
    *e = *ev;
    e->kv.key = ev->kv.key ? xstrdup(ev->kv.key) : NULL;
    e->kv.value = ev->kv.value ? xstrndup(ev->kv.value, ev->kv.len) : NULL;
    e->prev.key = ev->prev.key ? xstrdup(ev->prev.key) : NULL;
    e->prev.value = ev->prev.value ? xstrndup(ev->prev.value, ev->prev.len) : NULL;
}

static void sync_finish(struct sync_waiter *w);

/* Delivers every received change to the sink, in order (see etcd.h), then completes the
 * barriers waiting for what it delivered. */
static void dispatch(struct es *es)
{
    pthread_mutex_lock(&es->sink_mu);
    atomic_store(&es->notify_pending, 0);
    pthread_mutex_lock(&es->mu);
    struct qev *q = es->qhead;
    es->qhead = NULL;
    es->qtail = &es->qhead;
    int64_t upto = es->received;
    pthread_mutex_unlock(&es->mu);
    while (q != NULL) {
        struct qev *n = q->next;
        if (es->sink != NULL)
            es->sink(es->sink_arg, &q->ev);
        store_event_release(&q->ev);
        if (q->relist != NULL) {
            store_list_release(q->relist);
            free(q->relist);
        }
        free(q);
        q = n;
    }
    pthread_mutex_lock(&es->mu);
    if (upto > es->delivered)
        es->delivered = upto;
    pthread_cond_broadcast(&es->cond);
    struct sync_waiter *fin = NULL; /* prepended: sw_ready is newest first, fin oldest first */
    for (struct sync_waiter **p = &es->sw_ready; *p != NULL;) {
        struct sync_waiter *w = *p;
        if (w->rev <= es->delivered) {
            *p = w->next;
            w->rc = 0;
            w->next = fin;
            fin = w;
        } else {
            p = &w->next;
        }
    }
    pthread_mutex_unlock(&es->mu);
    pthread_mutex_unlock(&es->sink_mu);
    sync_finish(fin);
}

/* Asks the owner thread to run dispatch (from any thread, mu not held). */
static void wake_owner(struct es *es)
{
    pthread_mutex_lock(&es->mu);
    void (*notify)(void *) = es->notify;
    void *narg = es->notify_arg;
    pthread_mutex_unlock(&es->mu);
    if (notify != NULL && atomic_exchange(&es->notify_pending, 1) == 0)
        notify(narg);
}

void store_etcd_barrier_stats(struct store *s, struct etcd_barrier_stats *ret)
{
    struct es *es = es_of(s);
    pthread_mutex_lock(&es->mu);
    ret->barriers = es->nbarriers;
    ret->fetches = es->nfetches;
    ret->fetches_grpc = es->nfetches_grpc;
    ret->fetches_own = es->nfetches_own;
    ret->fetch_us = es->fetch_us;
    pthread_mutex_unlock(&es->mu);
}

void store_etcd_dispatch(struct store *s)
{
    dispatch(es_of(s));
}

void store_etcd_set_notify(struct store *s, void (*fn)(void *), void *arg)
{
    struct es *es = es_of(s);
    pthread_mutex_lock(&es->mu);
    es->notify = fn;
    es->notify_arg = arg;
    pthread_mutex_unlock(&es->mu);
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* ---- keys ------------------------------------------------------------------------------ */

/* API key → etcd key (malloc'd, *ret_len bytes). */
static char *to_etcd(struct es *es, const char *key, size_t extra_nul, size_t *ret_len)
{
    const char *rest = strncmp(key, API_ROOT, API_ROOT_LEN) == 0 ? key + API_ROOT_LEN : key;
    size_t rl = strlen(rest);
    char *k = xmalloc(es->prefix_len + rl + extra_nul + 1);
    memcpy(k, es->prefix, es->prefix_len);
    memcpy(k + es->prefix_len, rest, rl);
    memset(k + es->prefix_len + rl, 0, extra_nul + 1);
    *ret_len = es->prefix_len + rl + extra_nul;
    return k;
}

/* etcd key (decoded bytes) → API key, or NULL when outside the prefix. */
static char *from_etcd(struct es *es, const unsigned char *k, size_t len)
{
    if (len < es->prefix_len + 1 || memcmp(k, es->prefix, es->prefix_len) != 0 || k[es->prefix_len] != '/')
        return NULL;
    if (memchr(k, 0, len) != NULL)
        return NULL;
    return xasprintf("%s%.*s", API_ROOT, (int)(len - es->prefix_len), (const char *)k + es->prefix_len);
}

static json_t *b64(const void *data, size_t len)
{
    char *e = base64_encode(data, len);
    json_t *j = json_string(e);
    free(e);
    return j;
}

static json_t *b64_key(struct es *es, const char *key)
{
    size_t n;
    char *k = to_etcd(es, key, 0, &n);
    json_t *j = b64(k, n);
    free(k);
    return j;
}

/* Smallest key after every key with this prefix (prefix with its last byte + 1). */
static json_t *b64_range_end(const char *k, size_t n)
{
    char *e = xmalloc(n + 1);
    memcpy(e, k, n);
    while (n > 0 && (unsigned char)e[n - 1] == 0xff)
        n--;
    if (n == 0) {
        free(e);
        return b64("\0", 1);
    }
    e[n - 1] = (char)((unsigned char)e[n - 1] + 1);
    json_t *j = b64(e, n);
    free(e);
    return j;
}

/* int64 that the gateway prints as a string (or omits: 0). */
static int64_t jint(json_t *o, const char *name)
{
    json_t *v = json_object_get(o, name);
    if (json_is_string(v))
        return strtoll(json_string_value(v), NULL, 10);
    if (json_is_integer(v))
        return json_integer_value(v);
    return 0;
}

static unsigned char *jb64(json_t *o, const char *name, size_t *ret_len)
{
    const char *s = json_string_value(json_object_get(o, name));
    if (s == NULL) {
        *ret_len = 0;
        unsigned char *e = xmalloc(1);
        e[0] = 0;
        return e;
    }
    unsigned char *d = base64_decode(s, strlen(s), ret_len);
    if (d == NULL) {
        *ret_len = 0;
        d = xmalloc(1);
        d[0] = 0;
    }
    return d;
}

/* Fills kv from a gateway KeyValue; 0, or AZ_ENOTFOUND if the key is outside the prefix. */
static int kv_from_json(struct es *es, json_t *j, struct store_kv *kv)
{
    size_t kl, vl;
    unsigned char *k = jb64(j, "key", &kl);
    char *key = from_etcd(es, k, kl);
    free(k);
    if (key == NULL)
        return AZ_ENOTFOUND;
    unsigned char *v = jb64(j, "value", &vl);
    char *val = xmalloc(vl + 1);
    memcpy(val, v, vl);
    val[vl] = '\0';
    free(v);
    kv->key = key;
    kv->value = val;
    kv->len = vl;
    kv->create_rev = jint(j, "create_revision");
    kv->mod_rev = jint(j, "mod_revision");
    return 0;
}

/* ---- HTTP ------------------------------------------------------------------------------ */

static size_t collect(char *ptr, size_t size, size_t nmemb, void *arg)
{
    struct buf *b = arg;
    return buf_append(b, ptr, size * nmemb) == 0 ? size * nmemb : 0;
}

static CURL *pool_get(struct es *es)
{
    CURL *h = NULL;
    pthread_mutex_lock(&es->pool_mu);
    if (es->npool > 0)
        h = es->pool[--es->npool];
    pthread_mutex_unlock(&es->pool_mu);
    if (h == NULL && (h = curl_easy_init()) == NULL)
        abort();
    return h;
}

static void pool_put(struct es *es, CURL *h)
{
    pthread_mutex_lock(&es->pool_mu);
    if (es->npool < POOL_MAX) {
        es->pool[es->npool++] = h;
        h = NULL;
    }
    pthread_mutex_unlock(&es->pool_mu);
    if (h != NULL)
        curl_easy_cleanup(h);
}

static void setup_handle(struct es *es, CURL *h, const char *url, struct curl_slist *hdrs, const char *body)
{
    curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 1000L);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L); /* libcurl's default too: small requests, no Nagle delay */
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    if (es->cafile != NULL)
        curl_easy_setopt(h, CURLOPT_CAINFO, es->cafile);
    if (es->certfile != NULL)
        curl_easy_setopt(h, CURLOPT_SSLCERT, es->certfile);
    if (es->keyfile != NULL)
        curl_easy_setopt(h, CURLOPT_SSLKEY, es->keyfile);
}

/* The request surely never reached a member (safe to retry a write elsewhere). */
static bool not_sent(CURLcode rc)
{
    return rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ||
           rc == CURLE_SSL_CONNECT_ERROR || rc == CURLE_PEER_FAILED_VERIFICATION;
}

/* gRPC codes etcd uses for "try again": Unavailable (no leader, stopped), DeadlineExceeded
 * (request timed out, leader changed), Aborted. */
static bool transient_grpc(long code)
{
    return code == 14 || code == 4 || code == 10;
}

/* POSTs body to path; *ret gets the parsed 200 answer. write: the call changes data (retried
 * only when it surely was not sent). timeout_ms 0: the store's request timeout. */
static int es_call_t(struct es *es, const char *path, json_t *body, bool write, long timeout_ms, json_t **ret)
{
    char *payload = json_dumps(body, JSON_COMPACT);
    if (payload == NULL)
        abort();
    struct curl_slist *hdrs = curl_slist_append(NULL, "Content-Type: application/json");
    CURL *h = pool_get(es);
    long budget = timeout_ms > 0 ? timeout_ms : es->timeout_ms;
    if (atomic_load(&es->failing) && budget > FAILING_BUDGET_MS)
        budget = FAILING_BUDGET_MS;
    int64_t deadline = mono_ms() + budget;
    int rc = AZ_ETIMEOUT;
    size_t tries = 0;
    for (;;) {
        size_t i = atomic_load(&es->ep) % es->neps;
        char *url = xasprintf("%s%s", es->eps[i], path);
        struct buf b;
        buf_init(&b, MAX_RESPONSE);
        setup_handle(es, h, url, hdrs, payload);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
        int64_t left = deadline - mono_ms();
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)(left < 100 ? 100 : left));
        CURLcode cr = curl_easy_perform(h);
        free(url);
        bool retry = false;
        if (cr == CURLE_OK) {
            long code = 0;
            curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
            json_t *j = json_loadb(b.data ? b.data : "", b.len, 0, NULL);
            if (code == 200 && json_is_object(j)) {
                *ret = j;
                rc = 0;
                buf_release(&b);
                break;
            }
            const char *msg = json_string_value(json_object_get(j, "error"));
            long gcode = (long)json_integer_value(json_object_get(j, "code"));
            if (msg != NULL && strstr(msg, "has been compacted") != NULL) {
                rc = AZ_EGONE;
            } else if (msg != NULL && strstr(msg, "future revision") != NULL) {
                rc = AZ_ETIMEOUT;
            } else if (transient_grpc(gcode) || code == 503 || code == 502) {
                /* "no leader"/"not capable" were refused before raft: safe to retry. A write
                 * that timed out inside etcd may have been applied: its outcome is unknown. */
                retry = !write || (msg != NULL && (strstr(msg, "no leader") != NULL ||
                                                   strstr(msg, "not capable") != NULL ||
                                                   strstr(msg, "server stopped") != NULL));
                rc = AZ_ETIMEOUT;
            } else {
                log_warn("etcd %s: HTTP %ld: %s", path, code, msg ? msg : "(no error text)");
                rc = AZ_EIO;
            }
            json_decref(j);
        } else {
            retry = !write || not_sent(cr);
            rc = AZ_ETIMEOUT;
            log_debug("etcd %s via %s: %s", path, es->eps[i], curl_easy_strerror(cr));
        }
        buf_release(&b);
        if (!retry || mono_ms() >= deadline)
            break;
        atomic_fetch_add(&es->ep, 1);
        if (++tries % es->neps == 0)
            sleep_ms(100);
        if (mono_ms() >= deadline)
            break;
    }
    if (rc == 0 || rc == AZ_EGONE)
        atomic_store(&es->failing, 0);
    else if (rc == AZ_ETIMEOUT && mono_ms() >= deadline)
        atomic_store(&es->failing, 1);
    curl_slist_free_all(hdrs);
    pool_put(es, h);
    free(payload);
    json_decref(body);
    return rc;
}

/* Steals body. */
static int es_call(struct es *es, const char *path, json_t *body, bool write, json_t **ret)
{
    return es_call_t(es, path, body, write, 0, ret);
}

/* Waits until the sink got revision rev (or the request timeout passed). On the owner thread
 * (or without a notifier) this thread delivers; elsewhere the owner does, woken by notify. */
static int wait_delivered(struct es *es, int64_t rev)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += es->timeout_ms / 1000;
    ts.tv_nsec += (es->timeout_ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    int rc = 0;
    /* elsewhere the owner delivers, with the biglock: let it (the lock order: biglock, mu) */
    bool self = es->notify == NULL || pthread_equal(pthread_self(), es->owner);
    int held = self ? 0 : biglock_suspend();
    pthread_mutex_lock(&es->mu);
    for (;;) {
        if (es->delivered >= rev)
            break;
        if (self && es->received >= rev) {
            pthread_mutex_unlock(&es->mu);
            dispatch(es);
            pthread_mutex_lock(&es->mu);
            continue;
        }
        if (atomic_load(&es->stop) || pthread_cond_timedwait(&es->cond, &es->mu, &ts) == ETIMEDOUT) {
            rc = es->delivered >= rev ? 0 : AZ_ETIMEOUT;
            break;
        }
    }
    pthread_mutex_unlock(&es->mu);
    biglock_resume(held);
    return rc;
}

static int64_t header_rev(json_t *resp)
{
    return jint(json_object_get(resp, "header"), "revision");
}

/* ---- reads ----------------------------------------------------------------------------- */

static int es_get(struct store *s, const char *key, struct store_kv *ret)
{
    struct es *es = es_of(s);
    json_t *resp;
    int rc = es_call(es, "/v3/kv/range", json_pack("{s:o}", "key", b64_key(es, key)), false, &resp);
    if (rc < 0)
        return rc;
    json_t *kvs = json_object_get(resp, "kvs");
    rc = json_array_size(kvs) > 0 ? kv_from_json(es, json_array_get(kvs, 0), ret) : AZ_ENOTFOUND;
    json_decref(resp);
    return rc;
}

static int es_list(struct store *s, const char *prefix, const char *start_after, int64_t at_rev,
                   size_t limit, struct store_list *ret)
{
    struct es *es = es_of(s);
    size_t pn, sn;
    char *p = to_etcd(es, prefix, 0, &pn);
    json_t *end = b64_range_end(p, pn);
    json_t *body;
    if (start_after != NULL) {
        char *st = to_etcd(es, start_after, 1, &sn); /* strictly after: start_after + "\0" */
        body = json_pack("{s:o,s:o}", "key", b64(st, sn), "range_end", end);
        free(st);
    } else {
        body = json_pack("{s:o,s:o}", "key", b64(p, pn), "range_end", end);
    }
    free(p);
    if (limit > 0)
        json_object_set_new(body, "limit", json_integer((json_int_t)limit));
    if (at_rev > 0)
        json_object_set_new(body, "revision", json_integer(at_rev));
    json_t *resp;
    int rc = es_call(es, "/v3/kv/range", body, false, &resp);
    if (rc < 0)
        return rc;
    json_t *kvs = json_object_get(resp, "kvs");
    size_t n = json_array_size(kvs);
    memset(ret, 0, sizeof(*ret));
    ret->items = xcalloc(n ? n : 1, sizeof(struct store_kv));
    for (size_t i = 0; i < n; i++)
        if (kv_from_json(es, json_array_get(kvs, i), &ret->items[ret->n]) == 0)
            ret->n++;
    ret->rev = at_rev > 0 ? at_rev : header_rev(resp);
    ret->more = json_is_true(json_object_get(resp, "more"));
    json_decref(resp);
    return 0;
}

/* etcd's current revision (a linearizable read of a key that never exists). */
static int fetch_rev(struct es *es, long timeout_ms, int64_t *ret)
{
    json_t *resp;
    int rc = es_call_t(es, "/v3/kv/range",
                       json_pack("{s:o,s:b}", "key", b64(es->prefix, es->prefix_len), "count_only", 1),
                       false, timeout_ms, &resp);
    if (rc < 0)
        return rc;
    *ret = header_rev(resp);
    json_decref(resp);
    return 0;
}

static int64_t es_current_rev(struct store *s)
{
    struct es *es = es_of(s);
    int64_t rev;
    if (fetch_rev(es, 0, &rev) == 0)
        return rev;
    pthread_mutex_lock(&es->mu);
    rev = es->delivered;
    pthread_mutex_unlock(&es->mu);
    return rev;
}

static int es_sync(struct store *s)
{
    struct es *es = es_of(s);
    int64_t rev;
    int rc = fetch_rev(es, 0, &rev);
    if (rc < 0)
        return rc;
    return wait_delivered(es, rev);
}

int64_t store_etcd_scan_header_rev(const char *s, size_t n)
{
    static const char pre[] = "{\"header\":{";
    size_t i = sizeof(pre) - 1;
    if (n < i || memcmp(s, pre, i) != 0)
        return -1;
    int64_t rev = -1;
    for (;;) { /* "name":"digits" or "name":digits, then ',' or the header's '}' */
        if (i >= n || s[i] != '"')
            return -1;
        size_t name = ++i;
        while (i < n && s[i] != '"' && s[i] != '\\')
            i++;
        if (i + 1 >= n || s[i] != '"' || s[i + 1] != ':')
            return -1;
        bool is_rev = i - name == 8 && memcmp(s + name, "revision", 8) == 0;
        i += 2;
        bool quoted = i < n && s[i] == '"';
        i += quoted;
        size_t digits = i;
        int64_t v = 0; /* only the revision's value: cluster_id and member_id are uint64 */
        for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
            if (is_rev && v > (INT64_MAX - 9) / 10)
                return -1;
            v = is_rev ? v * 10 + (s[i] - '0') : 0;
        }
        if (i == digits || (quoted && (i >= n || s[i++] != '"')))
            return -1;
        if (is_rev) {
            if (rev >= 0)
                return -1; /* twice: let the full parser decide */
            rev = v;
        }
        if (i >= n)
            return -1;
        if (s[i] == '}')
            return rev;
        if (s[i++] != ',')
            return -1;
    }
}

/* Reads one protobuf varint at s[*i] (at most 10 bytes); false when cut or too long. */
static bool pb_varint(const unsigned char *s, size_t n, size_t *i, uint64_t *ret)
{
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 64 && *i < n; shift += 7) {
        unsigned char b = s[(*i)++];
        v |= (uint64_t)(b & 0x7f) << shift;
        if ((b & 0x80) == 0) {
            *ret = v;
            return true;
        }
    }
    return false;
}

/* Skips the value of a field of wire type wt at s[*i]; false when cut or not a proto3 type. */
static bool pb_skip(const unsigned char *s, size_t n, size_t *i, unsigned wt)
{
    uint64_t v;
    switch (wt) {
    case 0:
        return pb_varint(s, n, i, &v);
    case 1:
    case 5: {
        size_t w = wt == 1 ? 8 : 4;
        if (n - *i < w)
            return false;
        *i += w;
        return true;
    }
    case 2:
        if (!pb_varint(s, n, i, &v) || v > n - *i)
            return false;
        *i += (size_t)v;
        return true;
    default:
        return false;
    }
}

int64_t store_etcd_grpc_header_rev(const unsigned char *s, size_t n)
{
    /* one uncompressed gRPC message: flag 0, 4-byte big-endian length, exactly the rest */
    if (n < 5 || s[0] != 0)
        return -1;
    uint64_t mlen = (uint64_t)s[1] << 24 | (uint64_t)s[2] << 16 | (uint64_t)s[3] << 8 | s[4];
    if (mlen != n - 5)
        return -1;
    int64_t rev = -1;
    size_t i = 5;
    while (i < n) { /* RangeResponse: header = 1 (ResponseHeader), kvs, more, count */
        uint64_t tag;
        if (!pb_varint(s, n, &i, &tag) || tag >> 3 == 0)
            return -1;
        if (tag != (1 << 3 | 2)) {
            if (!pb_skip(s, n, &i, (unsigned)(tag & 7)))
                return -1;
            continue;
        }
        uint64_t hlen;
        if (rev >= 0 || !pb_varint(s, n, &i, &hlen) || hlen > n - i)
            return -1; /* a second header: let the gateway's answer decide */
        size_t hend = i + (size_t)hlen;
        while (i < hend) { /* ResponseHeader: cluster_id 1, member_id 2, revision 3, raft_term 4 */
            uint64_t htag, v;
            if (!pb_varint(s, hend, &i, &htag) || htag >> 3 == 0)
                return -1;
            if (htag == (3 << 3 | 0)) {
                if (!pb_varint(s, hend, &i, &v) || v > INT64_MAX || rev >= 0)
                    return -1;
                rev = (int64_t)v;
            } else if (!pb_skip(s, hend, &i, (unsigned)(htag & 7))) {
                return -1;
            }
        }
        if (rev < 0)
            rev = 0; /* a header without revision: proto3 omits 0 */
    }
    return rev > 0 ? rev : -1;
}

/* Each barrier thread's own revision probe: one curl handle (one keep-alive connection), set
 * up once per endpoint with a prepared request. The probe is etcd's native gRPC KV/Range (a
 * count_only range on the prefix key, linearizable) over HTTP/2: etcd's JSON gateway proxies
 * each call through a second, internal gRPC connection. When etcd answers GRPC_GIVE_UP probes
 * in a row but not in gRPC (no HTTP/2 on the way: a proxy), this thread probes through the
 * gateway's JSON range instead. Anything but a clean answer goes through fetch_rev (endpoint
 * rotation, retries, the failing budget), so a probe never answers from a broken reply. */
#define GRPC_GIVE_UP 3
/* The own client (etcd_probe.c) is used for http:// endpoints; after OWN_GIVE_UP probes in a
 * row without a clean answer the next OWN_SKIP fetches go through libcurl (which tells gRPC
 * errors from a peer that does not speak gRPC), then it is tried again. */
#define OWN_GIVE_UP 3
#define OWN_SKIP 1000
#define GRPC_MAX_PREFIX 120 /* longer prefixes (a two-byte length) probe through the gateway */
struct rev_fetcher {
    CURL *h;
    size_t ep;                 /* the endpoint the handle is set up for */
    bool ready;
    bool h2_up;                /* the handle's connection already speaks HTTP/2 (see rev_fetch) */
    int grpc_failures;         /* gRPC probes in a row that got no clean answer */
    int grpc_status;           /* the grpc-status header or trailer, -1 before one */
    char *json_body;           /* the gateway's range request */
    char grpc_body[5 + 2 + GRPC_MAX_PREFIX + 2]; /* the gRPC request (rev_fetcher_init) */
    size_t grpc_len;           /* 0: no gRPC probe */
    struct curl_slist *json_hdrs, *grpc_hdrs;
    struct buf resp;
    bool answered_grpc;        /* the last rev_fetch was answered by the gRPC probe */
    bool answered_own;         /* ... on the own HTTP/2 client */
    struct etcd_probe *own;    /* the probe's own HTTP/2 client (http:// endpoints), or NULL */
    size_t own_ep;             /* the endpoint it is for */
    int own_failures;          /* its probes in a row without a clean answer */
    unsigned own_skip;         /* fetches left that go through libcurl after OWN_GIVE_UP failures */
    etcd_probe_send_fn sending; /* runs right before each request goes out (sync_take) */
    void *sending_arg;
};

/* Every way rev_fetch sends its request calls this first. */
static void rev_fetch_sending(struct rev_fetcher *f)
{
    if (f->sending != NULL)
        f->sending(f->sending_arg);
}

/* Aborts the barrier thread's transfer when the store closes. */
static int rev_fetch_progress(void *arg, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
    (void)a, (void)b, (void)c, (void)d;
    struct es *es = arg;
    return atomic_load(&es->stop) ? 1 : 0;
}

/* Header callback of the gRPC probe: keeps grpc-status (header or trailer). */
static size_t rev_fetch_header(char *ptr, size_t size, size_t nmemb, void *arg)
{
    struct rev_fetcher *f = arg;
    size_t n = size * nmemb;
    static const char name[] = "grpc-status:";
    if (n > sizeof(name) - 1 && strncasecmp(ptr, name, sizeof(name) - 1) == 0) {
        size_t i = sizeof(name) - 1;
        while (i < n && ptr[i] == ' ')
            i++;
        int v = 0;
        size_t d = i;
        for (; i < n && ptr[i] >= '0' && ptr[i] <= '9' && v < 1000; i++)
            v = v * 10 + (ptr[i] - '0');
        f->grpc_status = i > d ? v : 99;
    }
    return n;
}

static void rev_fetcher_init(struct es *es, struct rev_fetcher *f)
{
    memset(f, 0, sizeof(*f));
    if ((f->h = curl_easy_init()) == NULL)
        abort();
    json_t *body = json_pack("{s:o,s:b}", "key", b64(es->prefix, es->prefix_len), "count_only", 1);
    f->json_body = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    if (f->json_body == NULL)
        abort();
    f->json_hdrs = curl_slist_append(NULL, "Content-Type: application/json");
    /* RangeRequest{key = 1: prefix, count_only = 9: true} in one gRPC message */
    if (es->prefix_len <= GRPC_MAX_PREFIX) {
        size_t m = 2 + es->prefix_len + 2;
        unsigned char *g = (unsigned char *)f->grpc_body;
        g[0] = 0;
        g[1] = g[2] = g[3] = 0;
        g[4] = (unsigned char)m;
        g[5] = 1 << 3 | 2;
        g[6] = (unsigned char)es->prefix_len;
        memcpy(g + 7, es->prefix, es->prefix_len);
        g[7 + es->prefix_len] = 9 << 3 | 0;
        g[8 + es->prefix_len] = 1;
        f->grpc_len = 5 + m;
    }
    f->grpc_hdrs = curl_slist_append(NULL, "Content-Type: application/grpc");
    f->grpc_hdrs = curl_slist_append(f->grpc_hdrs, "TE: trailers");
    buf_init(&f->resp, 1u << 20);
}

static void rev_fetcher_release(struct rev_fetcher *f)
{
    etcd_probe_free(f->own);
    curl_easy_cleanup(f->h);
    curl_slist_free_all(f->json_hdrs);
    curl_slist_free_all(f->grpc_hdrs);
    free(f->json_body);
    buf_release(&f->resp);
}

static int rev_fetch_own_done(struct es *es, struct rev_fetcher *f, size_t ep, int rc, int64_t rev, int64_t *ret);

/* The probe on the own HTTP/2 client: 0 answered, 1 not used (fall through to libcurl), or
 * the result of the fallback fetch_rev after a failure. */
static int rev_fetch_own(struct es *es, struct rev_fetcher *f, size_t ep, int64_t *ret)
{
    if (f->own_skip == UINT32_MAX && f->own_ep == ep)
        return 1;
    if (f->own_skip == UINT32_MAX)
        f->own_skip = 0; /* another endpoint: maybe one the own client takes */
    if (f->own_skip > 0) {
        f->own_skip--;
        return 1;
    }
    if (f->own == NULL || f->own_ep != ep) {
        etcd_probe_free(f->own);
        f->own = etcd_probe_new(es->eps[ep], es->prefix, es->prefix_len);
        f->own_ep = ep;
        if (f->own == NULL) { /* https://, or a URL it does not take: libcurl until the endpoint changes */
            f->own_skip = UINT32_MAX;
            return 1;
        }
        etcd_probe_on_send(f->own, f->sending, f->sending_arg);
    }
    int64_t rev = 0;
    int rc = etcd_probe_range(f->own, es->timeout_ms, &es->stop, &rev);
    return rev_fetch_own_done(es, f, ep, rc, rev, ret);
}

/* Whether the next fetch may be written by another thread at once (etcd_probe_start): it
 * would go through the own client, which has an open connection to the current endpoint. */
static bool rev_fetch_own_ready(struct es *es, struct rev_fetcher *f)
{
    return f->own != NULL && f->own_ep == atomic_load(&es->ep) % es->neps && f->own_skip == 0 &&
           f->grpc_len > 0 && f->grpc_failures < GRPC_GIVE_UP && !atomic_load(&es->failing) &&
           etcd_probe_fd(f->own) >= 0;
}

/* The own client's probe ended with rc (rev when 0): 0 and *ret = rev, or after a failure the
 * fallback fetch_rev's result. */
static int rev_fetch_own_done(struct es *es, struct rev_fetcher *f, size_t ep, int rc, int64_t rev, int64_t *ret)
{
    if (rc == 0) {
        f->own_failures = 0;
        f->answered_grpc = true;
        f->answered_own = true;
        *ret = rev;
        return 0;
    }
    if (atomic_load(&es->stop))
        return AZ_ETIMEOUT;
    if (++f->own_failures >= OWN_GIVE_UP) {
        log_info("etcd: no clean answer to the consistent-read probe's own HTTP/2 client from %s; "
                 "the next %d probes go through libcurl",
                 es->eps[ep], OWN_SKIP);
        f->own_failures = 0;
        f->own_skip = OWN_SKIP;
    }
    rev_fetch_sending(f);
    return fetch_rev(es, 0, ret);
}

static int rev_fetch(struct es *es, struct rev_fetcher *f, int64_t *ret)
{
    size_t ep = atomic_load(&es->ep) % es->neps;
    bool grpc = f->grpc_len > 0 && f->grpc_failures < GRPC_GIVE_UP;
    bool tls = strncmp(es->eps[ep], "https://", 8) == 0;
    f->answered_grpc = false;
    f->answered_own = false;
    if (grpc && !tls && !atomic_load(&es->stop) && !atomic_load(&es->failing)) {
        int rc = rev_fetch_own(es, f, ep, ret);
        if (rc <= 0)
            return rc;
    }
    if (!f->ready || f->ep != ep) {
        char *url = xasprintf("%s%s", es->eps[ep], grpc ? "/etcdserverpb.KV/Range" : "/v3/kv/range");
        setup_handle(es, f->h, url, grpc ? f->grpc_hdrs : f->json_hdrs, grpc ? f->grpc_body : f->json_body);
        free(url);
        if (grpc) {
            curl_easy_setopt(f->h, CURLOPT_POSTFIELDSIZE, (long)f->grpc_len);
            curl_easy_setopt(f->h, CURLOPT_HEADERFUNCTION, rev_fetch_header);
            curl_easy_setopt(f->h, CURLOPT_HEADERDATA, f);
        }
        curl_easy_setopt(f->h, CURLOPT_WRITEFUNCTION, collect);
        curl_easy_setopt(f->h, CURLOPT_WRITEDATA, &f->resp);
        curl_easy_setopt(f->h, CURLOPT_TIMEOUT_MS, es->timeout_ms);
        curl_easy_setopt(f->h, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(f->h, CURLOPT_XFERINFOFUNCTION, rev_fetch_progress);
        curl_easy_setopt(f->h, CURLOPT_XFERINFODATA, es);
        f->ep = ep;
        f->ready = true;
        f->h2_up = false;
    }
    /* http://: HTTP/2 without TLS needs "prior knowledge" on a new connection, but libcurl
     * 7.88 fails (CURLE_HTTP2) when a prior-knowledge transfer reuses one, so once the
     * connection speaks HTTP/2 the next transfers ask for plain HTTP/2, which reuses it. Were
     * the connection gone meanwhile, that transfer offers an upgrade, which etcd does not take:
     * the answer is not gRPC, this probe falls back, the next starts over. */
    if (grpc)
        curl_easy_setopt(f->h, CURLOPT_HTTP_VERSION,
                         (long)(tls ? CURL_HTTP_VERSION_2TLS
                                    : f->h2_up ? CURL_HTTP_VERSION_2_0 : CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE));
    f->resp.len = 0;
    f->grpc_status = -1;
    f->answered_grpc = false;
    long code = 0;
    if (atomic_load(&es->stop))
        return AZ_ETIMEOUT;
    rev_fetch_sending(f);
    if (atomic_load(&es->failing))
        return fetch_rev(es, 0, ret);
    CURLcode cr = curl_easy_perform(f->h);
    bool answered = cr == CURLE_OK && curl_easy_getinfo(f->h, CURLINFO_RESPONSE_CODE, &code) == CURLE_OK;
    int64_t rev = -1;
    if (answered && code == 200 && !grpc)
        rev = store_etcd_scan_header_rev(f->resp.data ? f->resp.data : "", f->resp.len);
    else if (answered && code == 200 && f->grpc_status == 0)
        rev = store_etcd_grpc_header_rev((const unsigned char *)f->resp.data, f->resp.len);
    if (rev <= 0) {
        f->h2_up = false;
        /* etcd answered, but not in gRPC (a gRPC error status is an answer: etcd unavailable) */
        if (grpc && answered && !(code == 200 && f->grpc_status > 0) &&
            ++f->grpc_failures >= GRPC_GIVE_UP) {
            log_info("etcd: the consistent-read probe uses the JSON gateway (no gRPC answer from %s)", es->eps[ep]);
            f->ready = false;
        }
        rev_fetch_sending(f);
        return fetch_rev(es, 0, ret);
    }
    f->h2_up = grpc;
    f->answered_grpc = grpc;
    if (grpc)
        f->grpc_failures = 0;
    *ret = rev;
    return 0;
}

/* Runs the completions of a list of decided waiters (arrival order) and frees them; mu not
 * held. store_sync_async's done only queues work, so any thread may run it. */
static void sync_finish(struct sync_waiter *w)
{
    while (w != NULL) {
        struct sync_waiter *n = w->next;
        w->done(w->arg, w->rc);
        free(w);
        w = n;
    }
}

/* One revision fetch of a barrier thread: the waiters it answers, taken from sw_next by
 * sync_take right before its request goes out. */
struct sync_fetch {
    struct es *es;
    struct sync_waiter *batch; /* arrival order */
    bool taken;
};

/* Every waiter in sw_next, which is left empty (arrival order); mu held. */
static struct sync_waiter *sync_take_next(struct es *es)
{
    struct sync_waiter *batch = es->sw_next;
    es->sw_next = NULL;
    es->sw_next_tail = &es->sw_next;
    return batch;
}

/* rev_fetcher's sending hook: the first time in a fetch, takes every waiter that arrived
 * until now (they all arrived before the request is written, so its answer counts for them)
 * and lets the other thread start the next fetch for later ones. */
static void sync_take(void *arg)
{
    struct sync_fetch *t = arg;
    if (t->taken)
        return;
    t->taken = true;
    struct es *es = t->es;
    pthread_mutex_lock(&es->mu);
    t->batch = sync_take_next(es);
    es->sync_preparing = false;
    pthread_mutex_unlock(&es->mu);
}

/* Milliseconds until the earliest deadline in sw_ready, or -1 when it is empty; mu held. */
static long sync_ready_wait_ms(struct es *es, int64_t now)
{
    int64_t first = -1;
    for (struct sync_waiter *w = es->sw_ready; w != NULL; w = w->next)
        if (first < 0 || w->deadline < first)
            first = w->deadline;
    return first < 0 ? -1 : first > now ? (long)(first - now) : 0;
}

#define ARMED_POLL_MS 1000 /* an ARMED thread's longest sleep */

/* A barrier thread's state, under mu. */
enum sync_state {
    SYNC_BUSY,        /* on its own: fetching, completing, or waiting on sync_cond */
    SYNC_ARMED,       /* in poll on its probe's open connection: a caller may write a fetch */
    SYNC_PREPARE,     /* woken out of ARMED by a caller to prepare the next fetch itself */
    SYNC_LAUNCHING,   /* a caller took the waiters and is writing the request */
    SYNC_SENT,        /* written: the thread reads the answer (etcd_probe_finish) */
    SYNC_SEND_FAILED, /* not written: the thread fetches for the taken waiters itself */
};

/* A barrier thread and what a caller of store_sync_async may hand it. */
struct sync_thread {
    struct es *es;
    pthread_t thread;
    struct rev_fetcher f;   /* the thread's probe (the caller writes on f.own while LAUNCHING) */
    struct sync_fetch t;    /* the fetch's waiters */
    enum sync_state state;  /* under mu */
    bool launch_wait;       /* under mu: the thread waits on sync_cond for LAUNCHING to end */
    int wake_fd;            /* eventfd: wakes the thread out of its poll (failed write, close) */
    int64_t t0;             /* mono_us when the fetch began */
};

/* A barrier thread of store_sync_async (SYNC_THREADS of them). A fetch starts in one of two
 * ways. Idle with its own client's connection open, the thread is ARMED: it sleeps in poll on
 * that socket, and the next store_sync_async takes every waiter and writes the request on
 * the caller's thread (etcd_probe_start), so the thread wakes once, when the answer arrives.
 * Otherwise (no connection yet, libcurl, the JSON gateway, a write that failed) the thread
 * prepares the fetch when waiters arrived and no fetch is being prepared, and right before its
 * request is written (sync_take) takes every waiter that arrived until then. Either way the
 * waiters of a fetch all arrived before its request was written, and a fetch already written
 * never counts for a later read (a write acknowledged before the read may be newer: such reads
 * wait for the next fetch, which the other thread starts at once if it is free). With etcd's
 * revision, it completes at once, on this thread, the waiters whose revision the sink already
 * has; the others wait in sw_ready until dispatch delivers it. Waiters still waiting at their
 * deadline fail with AZ_ETIMEOUT. Idle, it sleeps until the next deadline or until its probe's
 * held PING acknowledgement is due (etcd_probe_flush), without a periodic tick. */
static void *sync_main(void *arg)
{
    struct sync_thread *st = arg;
    struct es *es = st->es;
    struct rev_fetcher *f = &st->f;
    pthread_mutex_lock(&es->mu);
    while (!atomic_load(&es->stop)) {
        struct sync_waiter *fin = NULL, **fin_tail = &fin;
        int64_t now = mono_ms();
        for (struct sync_waiter **p = &es->sw_ready; *p != NULL;) {
            struct sync_waiter *w = *p;
            if (w->deadline <= now) {
                *p = w->next;
                w->rc = AZ_ETIMEOUT;
                w->next = NULL;
                *fin_tail = w;
                fin_tail = &w->next;
            } else {
                p = &w->next;
            }
        }
        enum sync_state given = st->state; /* SENT or SEND_FAILED: a caller started a fetch */
        bool fetch = given == SYNC_SENT || given == SYNC_SEND_FAILED;
        bool own_fetch = given == SYNC_PREPARE || (!fetch && es->sw_next != NULL && !es->sync_preparing);
        long ack_wait = etcd_probe_ack_wait_ms(f->own);
        if (!fetch && !own_fetch && fin == NULL && ack_wait != 0) {
            long wait = sync_ready_wait_ms(es, now);
            if (ack_wait > 0 && (wait < 0 || ack_wait < wait))
                wait = ack_wait;
            if (rev_fetch_own_ready(es, f)) {
                st->state = SYNC_ARMED;
                pthread_mutex_unlock(&es->mu);
                struct pollfd pfd[2] = {{.fd = etcd_probe_fd(f->own), .events = POLLIN},
                                        {.fd = st->wake_fd, .events = POLLIN}};
                /* a request a caller writes meanwhile does not wake the thread: should etcd never
                 * answer it, the thread looks again within ARMED_POLL_MS */
                int r = poll(pfd, 2, wait < 0 || wait > ARMED_POLL_MS ? ARMED_POLL_MS : (int)wait);
                uint64_t v;
                if (r > 0 && (pfd[1].revents & POLLIN) && read(st->wake_fd, &v, sizeof(v)) < 0)
                    v = 0;
                pthread_mutex_lock(&es->mu);
                while (st->state == SYNC_LAUNCHING) { /* input came before the caller finished writing */
                    st->launch_wait = true;
                    pthread_cond_wait(&es->sync_cond, &es->mu);
                }
                st->launch_wait = false;
                if (st->state == SYNC_ARMED) {
                    st->state = SYNC_BUSY;
                    if (r > 0 && pfd[0].revents != 0) { /* unasked input: a PING, a GOAWAY, a close */
                        pthread_mutex_unlock(&es->mu);
                        etcd_probe_idle_read(f->own);
                        pthread_mutex_lock(&es->mu);
                    }
                }
                continue;
            }
            if (wait < 0) {
                pthread_cond_wait(&es->sync_cond, &es->mu);
            } else {
                struct timespec ts;
                clock_gettime(CLOCK_REALTIME, &ts);
                ts.tv_sec += wait / 1000;
                ts.tv_nsec += (wait % 1000) * 1000000L;
                if (ts.tv_nsec >= 1000000000L) {
                    ts.tv_sec++;
                    ts.tv_nsec -= 1000000000L;
                }
                pthread_cond_timedwait(&es->sync_cond, &es->mu, &ts);
            }
            continue;
        }
        if (own_fetch) {
            es->sync_preparing = true;
            es->sync_fetching += given != SYNC_PREPARE; /* the waker counted it */
            es->nfetches++;
            st->t.batch = NULL;
            st->t.taken = false;
            st->t0 = mono_us();
        }
        st->state = SYNC_BUSY;
        pthread_mutex_unlock(&es->mu);
        sync_finish(fin);
        fin = NULL;
        fin_tail = &fin;
        if (!fetch && !own_fetch) { /* only a held PING acknowledgement is due */
            etcd_probe_flush(f->own);
            pthread_mutex_lock(&es->mu);
            continue;
        }
        int64_t rev = 0;
        int rc;
        if (given == SYNC_SENT) {
            f->answered_grpc = false;
            f->answered_own = false;
            size_t ep = f->own_ep;
            long left = es->timeout_ms - (long)((mono_us() - st->t0) / 1000); /* since it was written */
            rc = etcd_probe_finish(f->own, left > 1 ? left : 1, &es->stop, &rev);
            rc = rev_fetch_own_done(es, f, ep, rc, rev, &rev);
        } else {
            rc = rev_fetch(es, f, &rev);
        }
        int64_t took = mono_us() - st->t0;
        if (es->revision_delay_ms > 0)
            sleep_ms(es->revision_delay_ms);
        pthread_mutex_lock(&es->mu);
        if (!st->t.taken) /* stopped before anything was sent: its waiters stay for the next fetch */
            es->sync_preparing = false;
        es->sync_fetching--;
        es->fetch_us += (uint64_t)took;
        es->nfetches_grpc += f->answered_grpc;
        es->nfetches_own += f->answered_own;
        struct sync_waiter *batch = st->t.batch;
        st->t.batch = NULL;
        while (batch != NULL) {
            struct sync_waiter *w = batch;
            batch = w->next;
            w->rev = rev;
            w->next = NULL;
            if (rc < 0 || es->delivered >= rev) {
                w->rc = rc;
                *fin_tail = w;
                fin_tail = &w->next;
            } else {
                w->next = es->sw_ready;
                es->sw_ready = w;
            }
        }
        if (fin != NULL) {
            pthread_mutex_unlock(&es->mu);
            sync_finish(fin);
            pthread_mutex_lock(&es->mu);
        }
    }
    pthread_mutex_unlock(&es->mu);
    return NULL;
}

static int es_sync_async(struct store *s, store_sync_done_fn done, void *arg)
{
    struct es *es = es_of(s);
    pthread_mutex_lock(&es->mu);
    bool loop = es->notify != NULL;
    pthread_mutex_unlock(&es->mu);
    if (!loop) /* nobody to deliver the events a waiter may need: the blocking barrier */
        return es_sync(s);
    struct sync_waiter *w = xcalloc(1, sizeof(*w));
    w->done = done;
    w->arg = arg;
    w->deadline = mono_ms() + es->timeout_ms;
    pthread_mutex_lock(&es->mu);
    *es->sw_next_tail = w;
    es->sw_next_tail = &w->next;
    es->nbarriers++;
    struct sync_thread *armed = NULL;
    for (size_t i = 0; i < es->nsync && !es->sync_preparing && armed == NULL; i++)
        if (es->sync[i].state == SYNC_ARMED)
            armed = &es->sync[i];
    /* No fetch under way: this caller writes it at once, for every waiter so far (one read
     * alone waits for nothing but etcd). One under way: the armed thread is woken to prepare
     * the next, taking every waiter that arrived until it writes, which under load is many. */
    bool launch = armed != NULL && es->sync_fetching == 0;
    es->sync_fetching += armed != NULL;
    if (armed != NULL && !launch) {
        armed->state = SYNC_PREPARE;
        es->sync_preparing = true;
    } else if (launch) {
        armed->state = SYNC_LAUNCHING;
        armed->t.batch = sync_take_next(es);
        armed->t.taken = true;
        armed->t0 = mono_us();
        es->nfetches++;
    }
    bool wake = armed == NULL && !es->sync_preparing; /* else the thread preparing a fetch takes w */
    pthread_mutex_unlock(&es->mu);
    uint64_t one = 1;
    if (armed != NULL && !launch) {
        if (write(armed->wake_fd, &one, sizeof(one)) < 0)
            abort(); /* an eventfd far below its maximum: cannot fail */
    } else if (launch) {
        int rc = etcd_probe_start(armed->f.own);
        pthread_mutex_lock(&es->mu);
        armed->state = rc == 0 ? SYNC_SENT : SYNC_SEND_FAILED;
        bool waiting = armed->launch_wait;
        pthread_mutex_unlock(&es->mu);
        if (waiting)
            pthread_cond_broadcast(&es->sync_cond);
        if (rc != 0 && write(armed->wake_fd, &one, sizeof(one)) < 0)
            abort(); /* an eventfd far below its maximum: cannot fail */
    } else if (wake) { /* after the unlock: a thread woken while mu is held would block on it */
        pthread_cond_signal(&es->sync_cond);
    }
    return 1;
}

static int es_health(struct store *s, char **ret_reason)
{
    struct es *es = es_of(s);
    int64_t rev;
    int rc = fetch_rev(es, 2000, &rev);
    if (rc < 0 && ret_reason != NULL)
        *ret_reason = xstrdup("etcd: no member answered a linearizable read within 2s");
    return rc;
}

/* ---- writes ---------------------------------------------------------------------------- */

/* One-operation transaction on key guarded by cmp; on failure reads the key.
 * *ret_resp gets the answer. */
static int txn(struct es *es, json_t *cmp, json_t *success_op, const char *key, json_t **ret_resp)
{
    json_t *body = json_pack("{s:[o],s:[o],s:[{s:{s:o}}]}", "compare", cmp, "success", success_op,
                             "failure", "request_range", "key", b64_key(es, key));
    return es_call(es, "/v3/kv/txn", body, true, ret_resp);
}

/* After a failed guarded update/delete: AZ_ENOTFOUND if the key is absent, else AZ_ECONFLICT. */
static int failed_guard(json_t *resp)
{
    json_t *r = json_object_get(json_array_get(json_object_get(resp, "responses"), 0), "response_range");
    return json_array_size(json_object_get(r, "kvs")) > 0 ? AZ_ECONFLICT : AZ_ENOTFOUND;
}

static json_t *guard(struct es *es, const char *key, int64_t expected_rev)
{
    if (expected_rev != 0)
        return json_pack("{s:o,s:s,s:s,s:I}", "key", b64_key(es, key), "target", "MOD", "result", "EQUAL",
                         "mod_revision", (json_int_t)expected_rev);
    return json_pack("{s:o,s:s,s:s,s:I}", "key", b64_key(es, key), "target", "CREATE", "result", "GREATER",
                     "create_revision", (json_int_t)0);
}

static int finish_write(struct es *es, json_t *resp, int64_t *ret_rev)
{
    int64_t rev = header_rev(resp);
    json_decref(resp);
    if (wait_delivered(es, rev) < 0)
        log_warn("etcd: revision %" PRId64 " committed but not yet seen on the watch stream", rev);
    if (ret_rev != NULL)
        *ret_rev = rev;
    return 0;
}

static int es_create(struct store *s, const char *key, const char *value, size_t len, int64_t *ret_rev)
{
    struct es *es = es_of(s);
    json_t *cmp = json_pack("{s:o,s:s,s:s,s:I}", "key", b64_key(es, key), "target", "CREATE", "result",
                            "EQUAL", "create_revision", (json_int_t)0);
    json_t *put = json_pack("{s:{s:o,s:o}}", "request_put", "key", b64_key(es, key), "value", b64(value, len));
    json_t *resp;
    int rc = txn(es, cmp, put, key, &resp);
    if (rc < 0)
        return rc;
    if (!json_is_true(json_object_get(resp, "succeeded"))) {
        json_decref(resp);
        return AZ_EEXIST;
    }
    return finish_write(es, resp, ret_rev);
}

static int es_update(struct store *s, const char *key, const char *value, size_t len,
                     int64_t expected_rev, int64_t *ret_rev)
{
    struct es *es = es_of(s);
    json_t *put = json_pack("{s:{s:o,s:o}}", "request_put", "key", b64_key(es, key), "value", b64(value, len));
    json_t *resp;
    int rc = txn(es, guard(es, key, expected_rev), put, key, &resp);
    if (rc < 0)
        return rc;
    if (!json_is_true(json_object_get(resp, "succeeded"))) {
        rc = failed_guard(resp);
        json_decref(resp);
        return rc;
    }
    return finish_write(es, resp, ret_rev);
}

static int es_del(struct store *s, const char *key, int64_t expected_rev, int64_t *ret_rev,
                  struct store_kv *ret_prev)
{
    struct es *es = es_of(s);
    json_t *del = json_pack("{s:{s:o,s:b}}", "request_delete_range", "key", b64_key(es, key), "prev_kv", 1);
    json_t *resp;
    int rc = txn(es, guard(es, key, expected_rev), del, key, &resp);
    if (rc < 0)
        return rc;
    if (!json_is_true(json_object_get(resp, "succeeded"))) {
        rc = failed_guard(resp);
        json_decref(resp);
        return rc;
    }
    json_t *dr = json_object_get(json_array_get(json_object_get(resp, "responses"), 0), "response_delete_range");
    json_t *prev = json_array_get(json_object_get(dr, "prev_kvs"), 0);
    if (ret_prev != NULL) {
        memset(ret_prev, 0, sizeof(*ret_prev));
        if (prev != NULL)
            kv_from_json(es, prev, ret_prev);
    }
    return finish_write(es, resp, ret_rev);
}

/* Upstream's compactor (apiserver storage/etcd3/compact.go): every replica tries, but only the
 * one whose transaction bumps COMPACT_KEY from the version it last saw compacts, so one
 * compaction happens per interval however many replicas run. */
static int es_compact(struct store *s, int64_t rev)
{
    struct es *es = es_of(s);
    pthread_mutex_lock(&es->mu);
    int64_t seen = es->compact_version;
    pthread_mutex_unlock(&es->mu);
    char num[32];
    snprintf(num, sizeof(num), "%" PRId64, rev);
    json_t *cmp = json_pack("{s:o,s:s,s:s,s:I}", "key", b64(COMPACT_KEY, strlen(COMPACT_KEY)), "target",
                            "VERSION", "result", "EQUAL", "version", (json_int_t)seen);
    json_t *body = json_pack("{s:[o],s:[{s:{s:o,s:o}}],s:[{s:{s:o}}]}", "compare", cmp, "success",
                             "request_put", "key", b64(COMPACT_KEY, strlen(COMPACT_KEY)), "value",
                             b64(num, strlen(num)), "failure", "request_range", "key",
                             b64(COMPACT_KEY, strlen(COMPACT_KEY)));
    json_t *resp;
    int rc = es_call(es, "/v3/kv/txn", body, true, &resp);
    if (rc < 0)
        return rc;
    bool won = json_is_true(json_object_get(resp, "succeeded"));
    json_t *r = json_object_get(json_array_get(json_object_get(resp, "responses"), 0), "response_range");
    int64_t version = won ? seen + 1 : jint(json_array_get(json_object_get(r, "kvs"), 0), "version");
    json_decref(resp);
    pthread_mutex_lock(&es->mu);
    es->compact_version = version;
    pthread_mutex_unlock(&es->mu);
    if (!won)
        return 0; /* another replica compacted in this interval */
    rc = es_call(es, "/v3/kv/compaction", json_pack("{s:I}", "revision", (json_int_t)rev), true, &resp);
    if (rc == AZ_EGONE)
        return 0;
    if (rc == AZ_ETIMEOUT && rev > es_current_rev(s))
        return AZ_EINVALID;
    if (rc < 0)
        return rc;
    json_decref(resp);
    log_info("etcd: compacted at revision %" PRId64, rev);
    return 0;
}

/* ---- watch ----------------------------------------------------------------------------- */

/* Handler of one decoded watch event (ours: key inside the prefix); returns false to stop. */
typedef bool (*event_fn)(void *arg, const struct store_event *ev);

struct stream {
    struct es *es;
    struct buf line;
    event_fn fn;
    void *arg;
    int64_t last_rev;        /* revision of the last event seen (any key) */
    bool (*on_rev)(void *arg, int64_t rev); /* after each message's events; false: stop */
    int64_t compacted;       /* compact_revision of a canceled watch */
    bool created;
    bool stop;
};

static void fill_event(struct es *es, json_t *ev, struct store_event *out, bool *ours)
{
    memset(out, 0, sizeof(*out));
    json_t *kv = json_object_get(ev, "kv");
    json_t *prev = json_object_get(ev, "prev_kv");
    const char *type = json_string_value(json_object_get(ev, "type"));
    out->type = type != NULL && strcmp(type, "DELETE") == 0 ? STORE_EVENT_DELETE : STORE_EVENT_PUT;
    out->rev = jint(kv, "mod_revision");
    *ours = false;
    if (out->type == STORE_EVENT_PUT) {
        if (kv_from_json(es, kv, &out->kv) != 0)
            return;
        if (prev != NULL)
            kv_from_json(es, prev, &out->prev);
    } else {
        /* DELETE: the event's kv has only key and mod_revision; the store contract wants the
         * value before deletion, with mod_rev = the delete revision. */
        size_t kl;
        unsigned char *k = jb64(kv, "key", &kl);
        char *key = from_etcd(es, k, kl);
        free(k);
        if (key == NULL)
            return;
        if (prev != NULL && kv_from_json(es, prev, &out->prev) == 0) {
            out->kv.key = key;
            out->kv.value = xstrndup(out->prev.value, out->prev.len);
            out->kv.len = out->prev.len;
            out->kv.create_rev = out->prev.create_rev;
        } else {
            out->kv.key = key;
            out->kv.value = xstrdup("");
        }
        out->kv.mod_rev = out->rev;
    }
    *ours = true;
}

static void stream_message(struct stream *st, const char *line, size_t len)
{
    json_t *j = json_loadb(line, len, 0, NULL);
    json_t *res = json_object_get(j, "result");
    if (res == NULL) {
        if (j != NULL && json_object_get(j, "error") != NULL)
            log_warn("etcd watch: %s", json_string_value(json_object_get(json_object_get(j, "error"), "message")));
        json_decref(j);
        return;
    }
    if (json_is_true(json_object_get(res, "created")))
        st->created = true;
    if (json_is_true(json_object_get(res, "canceled"))) {
        st->compacted = jint(res, "compact_revision");
        if (st->compacted == 0)
            st->compacted = -1;
        st->stop = true;
        json_decref(j);
        return;
    }
    json_t *evs = json_object_get(res, "events");
    size_t i;
    json_t *ev;
    int64_t rev = 0;
    json_array_foreach(evs, i, ev) {
        struct store_event se;
        bool ours;
        fill_event(st->es, ev, &se, &ours);
        if (se.rev > rev)
            rev = se.rev;
        if (ours && st->fn != NULL && !st->stop && se.rev > st->last_rev)
            if (!st->fn(st->arg, &se))
                st->stop = true;
        store_event_release(&se);
    }
    if (rev > st->last_rev) {
        st->last_rev = rev;
        if (st->on_rev != NULL && !st->on_rev(st->arg, rev))
            st->stop = true;
    }
    json_decref(j);
}

static size_t stream_write(char *ptr, size_t size, size_t nmemb, void *arg)
{
    struct stream *st = arg;
    size_t n = size * nmemb;
    for (size_t i = 0; i < n; i++) {
        if (ptr[i] == '\n') {
            if (st->line.len > 0)
                stream_message(st, st->line.data, st->line.len);
            st->line.len = 0;
            if (st->stop)
                return 0;
        } else if (buf_putc(&st->line, ptr[i]) != 0) {
            return 0;
        }
    }
    if (st->stop)
        return 0;
    return n;
}

static int stream_progress(void *arg, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
    (void)a, (void)b, (void)c, (void)d;
    struct stream *st = arg;
    return st->stop || atomic_load(&st->es->stop) ? 1 : 0;
}

/* Streams the whole keyspace from start_rev (one endpoint attempt). Returns when the stream
 * ends, a handler asks to stop, or the store closes. */
static void stream_once(struct es *es, CURL *h, struct stream *st, int64_t start_rev, long timeout_ms)
{
    json_t *body = json_pack("{s:{s:o,s:o,s:b,s:I}}", "create_request", "key", b64("\0", 1), "range_end",
                             b64("\0", 1), "prev_kv", 1, "start_revision", (json_int_t)start_rev);
    char *payload = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    struct curl_slist *hdrs = curl_slist_append(NULL, "Content-Type: application/json");
    size_t i = atomic_load(&es->ep) % es->neps;
    char *url = xasprintf("%s/v3/watch", es->eps[i]);
    setup_handle(es, h, url, hdrs, payload);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, stream_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, st);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, stream_progress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, st);
    if (timeout_ms > 0)
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
    CURLcode cr = curl_easy_perform(h);
    if (cr != CURLE_OK && cr != CURLE_WRITE_ERROR && cr != CURLE_ABORTED_BY_CALLBACK)
        log_debug("etcd watch via %s: %s", es->eps[i], curl_easy_strerror(cr));
    free(url);
    curl_slist_free_all(hdrs);
    free(payload);
}

static bool enqueue(void *arg, const struct store_event *ev)
{
    struct es *es = arg;
    if (es->watch_delay_ms > 0)
        sleep_ms(es->watch_delay_ms);
    struct qev *q = xcalloc(1, sizeof(*q));
    ev_copy(&q->ev, ev);
    pthread_mutex_lock(&es->mu);
    *es->qtail = q;
    es->qtail = &q->next;
    pthread_mutex_unlock(&es->mu);
    return true;
}

static bool received_up_to(void *arg, int64_t rev)
{
    struct es *es = arg;
    pthread_mutex_lock(&es->mu);
    if (rev > es->received)
        es->received = rev;
    es->watching = true;
    bool notifier = es->notify != NULL;
    pthread_cond_broadcast(&es->cond);
    pthread_mutex_unlock(&es->mu);
    if (notifier)
        wake_owner(es);
    else
        dispatch(es);
    return true;
}

/* After a compaction cut the watch off: lists the whole keyspace at the current revision and
 * queues it as one STORE_EVENT_RELIST, which the sink diffs against what it has (as
 * kube-apiserver's reflector re-lists after 410 Gone). Returns the list's revision, or 0 if
 * etcd could not be read (the caller retries). */
static int64_t relist(struct es *es)
{
    struct store_list *l = xcalloc(1, sizeof(*l));
    int rc = es_list(&es->base, "", NULL, 0, 0, l);
    if (rc != 0) {
        free(l);
        log_warn("etcd watch: re-list failed: %s", az_err_str(rc));
        return 0;
    }
    struct qev *q = xcalloc(1, sizeof(*q));
    q->ev.type = STORE_EVENT_RELIST;
    q->ev.rev = l->rev;
    q->ev.list = l;
    q->relist = l;
    int64_t rev = l->rev;
    pthread_mutex_lock(&es->mu);
    *es->qtail = q;
    es->qtail = &q->next;
    pthread_mutex_unlock(&es->mu);
    log_info("etcd watch: re-listed %zu keys at revision %" PRId64, l->n, rev);
    return rev;
}

static void *watch_main(void *arg)
{
    struct es *es = arg;
    CURL *h = curl_easy_init();
    if (h == NULL)
        abort();
    bool need_relist = false;
    while (!atomic_load(&es->stop)) {
        if (need_relist) {
            int64_t rev = relist(es);
            if (rev == 0) {
                sleep_ms(200);
                continue;
            }
            need_relist = false;
            received_up_to(es, rev);
        }
        struct stream st = {.es = es, .fn = enqueue, .arg = es, .on_rev = received_up_to};
        buf_init(&st.line, MAX_RESPONSE);
        pthread_mutex_lock(&es->mu);
        st.last_rev = es->received;
        pthread_mutex_unlock(&es->mu);
        stream_once(es, h, &st, st.last_rev + 1, 0);
        buf_release(&st.line);
        pthread_mutex_lock(&es->mu);
        es->watching = false;
        pthread_mutex_unlock(&es->mu);
        if (st.compacted > 0) {
            /* Our history is gone: the changes between delivered and the compaction revision
             * cannot be replayed. Re-list and resume from the list's revision. */
            log_warn("etcd watch: revision %" PRId64 " compacted (compact revision %" PRId64
                     "); re-listing",
                     st.last_rev + 1, st.compacted);
            need_relist = true;
            continue;
        }
        if (atomic_load(&es->stop))
            break;
        atomic_fetch_add(&es->ep, 1);
        sleep_ms(200);
    }
    curl_easy_cleanup(h);
    return NULL;
}

/* events_since: a bounded watch from after_rev+1 that stops at the revision current when
 * called (or at max events). */
struct collect_evs {
    struct store_event *evs;
    size_t n, cap, max;
    int64_t until;
};

static bool collect_event(void *arg, const struct store_event *ev)
{
    struct collect_evs *c = arg;
    if (ev->rev > c->until)
        return false;
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 16;
        c->evs = xrealloc(c->evs, c->cap * sizeof(*c->evs));
    }
    ev_copy(&c->evs[c->n++], ev);
    return c->max == 0 || c->n < c->max;
}

static bool reached(void *arg, int64_t rev)
{
    struct collect_evs *c = arg;
    return rev < c->until;
}

static int es_events_since(struct store *s, int64_t after_rev, size_t max, struct store_event **ret,
                           size_t *ret_n)
{
    struct es *es = es_of(s);
    int64_t until;
    int rc = fetch_rev(es, 0, &until);
    if (rc < 0)
        return rc;
    struct collect_evs c = {.max = max, .until = until};
    if (after_rev < until) {
        CURL *h = pool_get(es);
        struct stream st = {.es = es, .fn = collect_event, .arg = &c, .on_rev = reached, .last_rev = after_rev};
        buf_init(&st.line, MAX_RESPONSE);
        stream_once(es, h, &st, after_rev + 1, es->timeout_ms);
        buf_release(&st.line);
        curl_easy_reset(h);
        pool_put(es, h);
        if (st.compacted != 0) {
            store_events_free(c.evs, c.n);
            return AZ_EGONE;
        }
        if (!st.stop && (max == 0 || c.n < max)) {
            store_events_free(c.evs, c.n);
            return AZ_ETIMEOUT;
        }
    }
    *ret = c.evs;
    *ret_n = c.n;
    return 0;
}

/* ---- lifecycle ------------------------------------------------------------------------- */

static void es_set_sink(struct store *s, store_sink_fn fn, void *arg)
{
    struct es *es = es_of(s);
    pthread_mutex_lock(&es->sink_mu);
    es->sink = fn;
    es->sink_arg = arg;
    pthread_mutex_unlock(&es->sink_mu);
}

static void es_free(struct es *es)
{
    for (size_t i = 0; i < es->neps; i++)
        free(es->eps[i]);
    free(es->eps);
    for (size_t i = 0; i < es->npool; i++)
        curl_easy_cleanup(es->pool[i]);
    free(es->prefix);
    free(es->cafile);
    free(es->certfile);
    free(es->keyfile);
    pthread_mutex_destroy(&es->pool_mu);
    pthread_mutex_destroy(&es->mu);
    pthread_mutex_destroy(&es->sink_mu);
    pthread_cond_destroy(&es->cond);
    pthread_cond_destroy(&es->sync_cond);
    for (size_t i = 0; es->sync != NULL && i < SYNC_THREADS; i++) {
        rev_fetcher_release(&es->sync[i].f);
        if (es->sync[i].wake_fd >= 0)
            close(es->sync[i].wake_fd);
    }
    free(es->sync);
    free(es);
}

static void sync_waiters_free(struct sync_waiter *w)
{
    while (w != NULL) {
        struct sync_waiter *n = w->next;
        free(w);
        w = n;
    }
}

static void es_close(struct store *s)
{
    struct es *es = es_of(s);
    atomic_store(&es->stop, 1);
    pthread_mutex_lock(&es->mu);
    pthread_cond_broadcast(&es->cond);
    pthread_cond_broadcast(&es->sync_cond);
    pthread_mutex_unlock(&es->mu);
    uint64_t one = 1;
    for (size_t i = 0; i < es->nsync; i++) /* out of an ARMED thread's poll */
        if (write(es->sync[i].wake_fd, &one, sizeof(one)) < 0)
            log_warn("etcd: barrier thread eventfd: %s", strerror(errno));
    pthread_join(es->watch_thread, NULL);
    for (size_t i = 0; i < es->nsync; i++)
        pthread_join(es->sync[i].thread, NULL);
    if (es->nbarriers > 0)
        log_info("etcd: %" PRIu64 " consistent reads shared %" PRIu64 " revision fetches (%" PRIu64
                 " by gRPC), %" PRIu64 " us per fetch, %" PRIu64 " on the own HTTP/2 client",
                 es->nbarriers, es->nfetches, es->nfetches_grpc, es->nfetches ? es->fetch_us / es->nfetches : 0,
                 es->nfetches_own);
    /* barriers still waiting belong to requests the stopped server no longer serves */
    sync_waiters_free(es->sw_next);
    sync_waiters_free(es->sw_ready);
    for (size_t i = 0; i < es->nsync; i++) { /* a fetch a caller had written, still unanswered */
        sync_waiters_free(es->sync[i].t.batch);
        es->sync[i].t.batch = NULL;
    }
    while (es->qhead != NULL) {
        struct qev *q = es->qhead;
        es->qhead = q->next;
        store_event_release(&q->ev);
        free(q);
    }
    es_free(es);
}

static const struct store_ops es_ops = {
    .version = STORE_OPS_VERSION,
    .name = "etcd",
    .get = es_get,
    .list = es_list,
    .create = es_create,
    .update = es_update,
    .del = es_del,
    .current_rev = es_current_rev,
    .events_since = es_events_since,
    .compact = es_compact,
    .set_sink = es_set_sink,
    .close = es_close,
    .sync = es_sync,
    .health = es_health,
    .sync_async = es_sync_async,
};

static char *opt_dup(const char *s)
{
    return s != NULL && *s != '\0' ? xstrdup(s) : NULL;
}

static void curl_init_once(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

int store_etcd_open(const struct etcd_config *cfg, struct store **ret, char **ret_errmsg)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, curl_init_once);
    struct es *es = xcalloc(1, sizeof(*es));
    es->base.ops = &es_ops;
    pthread_mutex_init(&es->pool_mu, NULL);
    pthread_mutex_init(&es->mu, NULL);
    pthread_mutex_init(&es->sink_mu, NULL);
    pthread_cond_init(&es->cond, NULL);
    pthread_cond_init(&es->sync_cond, NULL);
    es->sw_next_tail = &es->sw_next;
    const char *prefix = cfg->prefix != NULL && *cfg->prefix ? cfg->prefix : API_ROOT;
    es->prefix = xstrdup(prefix);
    es->prefix_len = strlen(es->prefix);
    while (es->prefix_len > 0 && es->prefix[es->prefix_len - 1] == '/')
        es->prefix[--es->prefix_len] = '\0';
    es->cafile = opt_dup(cfg->cafile);
    es->certfile = opt_dup(cfg->certfile);
    es->keyfile = opt_dup(cfg->keyfile);
    es->timeout_ms = cfg->request_timeout_ms > 0 ? cfg->request_timeout_ms : 10000;
    es->watch_delay_ms = cfg->testing_watch_delay_ms > 0 ? cfg->testing_watch_delay_ms : 0;
    es->revision_delay_ms = cfg->testing_revision_delay_ms > 0 ? cfg->testing_revision_delay_ms : 0;
    const char *p = cfg->servers != NULL ? cfg->servers : "";
    while (*p != '\0') {
        size_t n = strcspn(p, ",");
        while (n > 0 && p[n - 1] == '/')
            n--;
        if (n > 0) {
            es->eps = xrealloc(es->eps, (es->neps + 1) * sizeof(char *));
            es->eps[es->neps++] = xstrndup(p, n);
        }
        p += strcspn(p, ",");
        if (*p == ',')
            p++;
    }
    int rc = 0;
    const char *why = NULL;
    for (size_t i = 0; i < es->neps && why == NULL; i++)
        if (strncmp(es->eps[i], "http://", 7) != 0 && strncmp(es->eps[i], "https://", 8) != 0)
            why = "--etcd-servers: every server must be an http:// or https:// URL";
    if (es->neps == 0)
        why = "--etcd-servers: no server given";
    int64_t rev = 0;
    if (why == NULL && (rc = fetch_rev(es, es->timeout_ms, &rev)) < 0)
        why = "no etcd server answered";
    if (why != NULL) {
        if (ret_errmsg != NULL)
            *ret_errmsg = xasprintf("%s (%s)", why, cfg->servers ? cfg->servers : "");
        es_free(es);
        return rc < 0 ? rc : AZ_EINVALID;
    }
    es->delivered = es->received = rev;
    es->qtail = &es->qhead;
    es->owner = pthread_self();
    if (pthread_create(&es->watch_thread, NULL, watch_main, es) != 0) {
        es_free(es);
        if (ret_errmsg != NULL)
            *ret_errmsg = xstrdup("cannot start the etcd watch thread");
        return AZ_EINTERNAL;
    }
    es->sync = xcalloc(SYNC_THREADS, sizeof(*es->sync));
    for (size_t i = 0; i < SYNC_THREADS; i++) {
        struct sync_thread *st = &es->sync[i];
        st->es = es;
        st->t.es = es;
        rev_fetcher_init(es, &st->f);
        st->f.sending = sync_take;
        st->f.sending_arg = &st->t;
        st->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    }
    for (; es->nsync < SYNC_THREADS && es->sync[es->nsync].wake_fd >= 0; es->nsync++)
        if (pthread_create(&es->sync[es->nsync].thread, NULL, sync_main, &es->sync[es->nsync]) != 0)
            break;
    if (es->nsync == 0) {
        atomic_store(&es->stop, 1);
        pthread_join(es->watch_thread, NULL);
        es_free(es);
        if (ret_errmsg != NULL)
            *ret_errmsg = xstrdup("cannot start the etcd consistent-read thread");
        return AZ_EINTERNAL;
    }
    *ret = &es->base;
    return 0;
}

/* ---- fuzzing ----------------------------------------------------------------------------- */

static bool fuzz_count(void *arg, const struct store_event *ev)
{
    size_t *n = arg;
    (*n) += ev->kv.key != NULL;
    return true;
}

size_t store_etcd_parse_stream(const char *data, size_t len)
{
    struct es es = {.prefix = (char *)API_ROOT, .prefix_len = API_ROOT_LEN};
    size_t n = 0;
    struct stream st = {.es = &es, .fn = fuzz_count, .arg = &n};
    buf_init(&st.line, MAX_RESPONSE);
    stream_write((char *)data, 1, len, &st);
    buf_release(&st.line);
    /* the same bytes as a range answer: the header scan agrees with the full parse */
    json_t *j = json_loadb(data, len, JSON_REJECT_DUPLICATES, NULL);
    int64_t scanned = store_etcd_scan_header_rev(data, len);
    if (j != NULL && scanned >= 0 && scanned != header_rev(j))
        abort();
    size_t i;
    json_t *kv;
    json_array_foreach(json_object_get(j, "kvs"), i, kv) {
        struct store_kv out;
        if (kv_from_json(&es, kv, &out) == 0) {
            n++;
            store_kv_release(&out);
        }
    }
    json_decref(j);
    return n;
}
