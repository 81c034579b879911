/* etcd_test.c — the etcd backend (src/store/etcd.c) against a real one-member etcd (Debian's
 * etcd-server) started by the group setup on free loopback ports in a temporary directory.
 * Each test uses its own --etcd-prefix, so tests do not see each other's keys. Covers the
 * store.h contract: CRUD with compare-and-swap, prefix lists with pagination, at past
 * revisions, future and compacted revisions, events to the sink (shape, order, delivered
 * before the write returns), events_since, compaction, sync and sync_async, endpoint failover
 * and an unreachable cluster. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include "test_skip.h"
#include <curl/curl.h>

#include "controllers/leader.h"
#include "store/etcd.h"
#include "util/err.h"

static char tmpdir[64];
static pid_t etcd_pid;
static char endpoint[64];
static int test_seq;

static int probe(const char *url)
{
    CURL *h = curl_easy_init();
    char full[128];
    snprintf(full, sizeof(full), "%s/health", url);
    curl_easy_setopt(h, CURLOPT_URL, full);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 1000L);
    curl_easy_setopt(h, CURLOPT_NOBODY, 0L);
    FILE *devnull = fopen("/dev/null", "w");
    curl_easy_setopt(h, CURLOPT_WRITEDATA, devnull);
    CURLcode rc = curl_easy_perform(h);
    long code = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup(h);
    fclose(devnull);
    return rc == CURLE_OK && code == 200;
}

static int group_setup(void **state)
{
    (void)state;
    if (system("command -v etcd >/dev/null 2>&1") != 0)
        return 0; /* tests skip */
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/anzen-etcd-XXXXXX");
    if (mkdtemp(tmpdir) == NULL)
        return -1;
    srand((unsigned)time(NULL) ^ (unsigned)getpid());
    for (int attempt = 0; attempt < 5; attempt++) {
        int base = 20000 + rand() % 20000;
        char client[64], peer[64], metrics[64], cluster[96], data[128], logp[128];
        snprintf(client, sizeof(client), "http://127.0.0.1:%d", base);
        snprintf(peer, sizeof(peer), "http://127.0.0.1:%d", base + 1);
        snprintf(metrics, sizeof(metrics), "http://127.0.0.1:%d", base + 2);
        snprintf(cluster, sizeof(cluster), "u=%s", peer);
        snprintf(data, sizeof(data), "%s/d%d", tmpdir, attempt);
        snprintf(logp, sizeof(logp), "%s/etcd.log", tmpdir);
        pid_t pid = fork();
        if (pid == 0) {
            FILE *lf = freopen(logp, "a", stderr);
            (void)lf;
            dup2(2, 1);
            execlp("etcd", "etcd", "--name", "u", "--data-dir", data, "--listen-client-urls", client,
                   "--advertise-client-urls", client, "--listen-peer-urls", peer,
                   "--initial-advertise-peer-urls", peer, "--initial-cluster", cluster,
                   "--initial-cluster-state", "new", "--listen-metrics-urls", metrics, (char *)NULL);
            _exit(127);
        }
        for (int i = 0; i < 200; i++) {
            if (waitpid(pid, NULL, WNOHANG) == pid)
                break;
            if (probe(client)) {
                etcd_pid = pid;
                snprintf(endpoint, sizeof(endpoint), "%s", client);
                return 0;
            }
            usleep(100000);
        }
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
    return -1;
}

static int group_teardown(void **state)
{
    (void)state;
    if (etcd_pid > 0) {
        kill(etcd_pid, SIGTERM);
        waitpid(etcd_pid, NULL, 0);
    }
    if (tmpdir[0]) {
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
        if (system(cmd) != 0)
            return -1;
    }
    return 0;
}

struct sink_log {
    struct store_event evs[64];
    size_t n;
};

static void sink_copy(void *arg, const struct store_event *ev)
{
    struct sink_log *l = arg;
    if (l->n >= 64)
        return;
    struct store_event *e = &l->evs[l->n++];
    *e = *ev;
    e->kv.key = ev->kv.key ? strdup(ev->kv.key) : NULL;
    e->kv.value = ev->kv.value ? strndup(ev->kv.value, ev->kv.len) : NULL;
    e->prev.key = ev->prev.key ? strdup(ev->prev.key) : NULL;
    e->prev.value = ev->prev.value ? strndup(ev->prev.value, ev->prev.len) : NULL;
}

static void sink_log_free(struct sink_log *log)
{
    for (size_t i = 0; i < log->n; i++)
        store_event_release(&log->evs[i]);
    free(log);
}

struct fixture {
    struct store *s;
    struct sink_log log;
};

static struct store *open_with(const char *servers, long timeout_ms, int *ret_rc)
{
    char prefix[64];
    snprintf(prefix, sizeof(prefix), "/t%d-%d", (int)getpid(), ++test_seq);
    struct etcd_config cfg = {.servers = servers, .prefix = prefix, .request_timeout_ms = timeout_ms};
    struct store *s = NULL;
    char *msg = NULL;
    *ret_rc = store_etcd_open(&cfg, &s, &msg);
    free(msg);
    return s;
}

static int setup(void **state)
{
    if (etcd_pid == 0)
        return 0;
    struct fixture *f = calloc(1, sizeof(*f));
    int rc;
    f->s = open_with(endpoint, 10000, &rc);
    if (rc != 0)
        return -1;
    store_set_sink(f->s, sink_copy, &f->log);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    if (f == NULL)
        return 0;
    store_close(f->s);
    for (size_t i = 0; i < f->log.n; i++)
        store_event_release(&f->log.evs[i]);
    free(f);
    return 0;
}

#define NEED_ETCD()                                                                                 \
    do {                                                                                            \
        if (etcd_pid == 0)                                                                          \
            TEST_SKIP("etcd not installed or did not start (scripts/install-deps.sh)");                \
    } while (0)

static void test_crud_cas(void **state)
{
    NEED_ETCD();
    struct fixture *f = *state;
    int64_t r1, r2, r3;
    assert_int_equal(store_create(f->s, "/registry/pods/ns/a", "{\"v\":1}", 7, &r1), 0);
    assert_int_equal(store_create(f->s, "/registry/pods/ns/a", "{}", 2, NULL), AZ_EEXIST);
    struct store_kv kv;
    assert_int_equal(store_get(f->s, "/registry/pods/ns/a", &kv), 0);
    assert_string_equal(kv.key, "/registry/pods/ns/a");
    assert_string_equal(kv.value, "{\"v\":1}");
    assert_int_equal(kv.len, 7);
    assert_int_equal(kv.mod_rev, r1);
    assert_int_equal(kv.create_rev, r1);
    store_kv_release(&kv);
    assert_int_equal(store_get(f->s, "/registry/pods/ns/zz", &kv), AZ_ENOTFOUND);

    assert_int_equal(store_update(f->s, "/registry/pods/ns/a", "{\"v\":2}", 7, r1 - 1, NULL), AZ_ECONFLICT);
    assert_int_equal(store_update(f->s, "/registry/pods/ns/zz", "{}", 2, 0, NULL), AZ_ENOTFOUND);
    assert_int_equal(store_update(f->s, "/registry/pods/ns/a", "{\"v\":2}", 7, r1, &r2), 0);
    assert_true(r2 > r1);
    assert_int_equal(store_update(f->s, "/registry/pods/ns/a", "{\"v\":3}", 7, 0, &r3), 0);

    assert_int_equal(store_delete(f->s, "/registry/pods/ns/a", r2, NULL, NULL), AZ_ECONFLICT);
    struct store_kv prev;
    int64_t rd;
    assert_int_equal(store_delete(f->s, "/registry/pods/ns/a", r3, &rd, &prev), 0);
    assert_string_equal(prev.value, "{\"v\":3}");
    assert_int_equal(prev.mod_rev, r3);
    store_kv_release(&prev);
    assert_int_equal(store_delete(f->s, "/registry/pods/ns/a", 0, NULL, NULL), AZ_ENOTFOUND);
    assert_true(store_current_rev(f->s) >= rd);

    /* the sink got create, update, update, delete, in order, before the writes returned */
    assert_int_equal(f->log.n, 4);
    assert_int_equal(f->log.evs[0].type, STORE_EVENT_PUT);
    assert_int_equal(f->log.evs[0].rev, r1);
    assert_null(f->log.evs[0].prev.key);
    assert_int_equal(f->log.evs[1].rev, r2);
    assert_string_equal(f->log.evs[1].prev.value, "{\"v\":1}");
    assert_int_equal(f->log.evs[1].prev.mod_rev, r1);
    assert_int_equal(f->log.evs[3].type, STORE_EVENT_DELETE);
    assert_int_equal(f->log.evs[3].rev, rd);
    assert_int_equal(f->log.evs[3].kv.mod_rev, rd);
    assert_string_equal(f->log.evs[3].kv.key, "/registry/pods/ns/a");
    assert_string_equal(f->log.evs[3].kv.value, "{\"v\":3}");
    assert_int_equal(f->log.evs[3].prev.mod_rev, r3);
    assert_int_equal(store_sync(f->s), 0);
}

static void test_list(void **state)
{
    NEED_ETCD();
    struct fixture *f = *state;
    char key[64];
    int64_t revs[5];
    for (int i = 0; i < 5; i++) {
        snprintf(key, sizeof(key), "/registry/configmaps/ns/c%d", i);
        assert_int_equal(store_create(f->s, key, "{}", 2, &revs[i]), 0);
    }
    assert_int_equal(store_create(f->s, "/registry/configmaps/ns2/x", "{}", 2, NULL), 0);
    struct store_list l;
    assert_int_equal(store_list(f->s, "/registry/configmaps/ns/", NULL, 0, 2, &l), 0);
    assert_int_equal(l.n, 2);
    assert_true(l.more);
    assert_string_equal(l.items[0].key, "/registry/configmaps/ns/c0");
    assert_string_equal(l.items[1].key, "/registry/configmaps/ns/c1");
    int64_t at = l.rev;
    store_list_release(&l);
    /* next page at the same revision, strictly after c1; a later write is not seen */
    assert_int_equal(store_delete(f->s, "/registry/configmaps/ns/c3", 0, NULL, NULL), 0);
    assert_int_equal(store_list(f->s, "/registry/configmaps/ns/", "/registry/configmaps/ns/c1", at, 0, &l), 0);
    assert_int_equal(l.n, 3);
    assert_false(l.more);
    assert_string_equal(l.items[0].key, "/registry/configmaps/ns/c2");
    assert_string_equal(l.items[1].key, "/registry/configmaps/ns/c3");
    assert_int_equal(l.rev, at);
    store_list_release(&l);
    assert_int_equal(store_list(f->s, "/registry/configmaps/ns/", NULL, 0, 0, &l), 0);
    assert_int_equal(l.n, 4);
    store_list_release(&l);
    assert_int_equal(store_list(f->s, "/registry/configmaps/", NULL, 0, 0, &l), 0);
    assert_int_equal(l.n, 5);
    store_list_release(&l);
    assert_int_equal(store_list(f->s, "/registry/configmaps/", NULL, store_current_rev(f->s) + 100, 0, &l),
                     AZ_ETIMEOUT);

    /* events_since the first create: the rest, in order */
    struct store_event *evs;
    size_t n;
    assert_int_equal(store_events_since(f->s, revs[0], 0, &evs, &n), 0);
    assert_int_equal(n, 6);
    assert_int_equal(evs[0].rev, revs[1]);
    assert_int_equal(evs[5].type, STORE_EVENT_DELETE);
    store_events_free(evs, n);
    assert_int_equal(store_events_since(f->s, revs[0], 2, &evs, &n), 0);
    assert_int_equal(n, 2);
    store_events_free(evs, n);

    /* compaction: history below it is gone */
    int64_t now = store_current_rev(f->s);
    assert_int_equal(store_compact(f->s, now), 0);
    assert_int_equal(store_list(f->s, "/registry/configmaps/ns/", NULL, revs[1], 0, &l), AZ_EGONE);
    assert_int_equal(store_events_since(f->s, revs[0], 0, &evs, &n), AZ_EGONE);
    assert_int_equal(store_list(f->s, "/registry/configmaps/ns/", NULL, now, 0, &l), 0);
    assert_int_equal(l.n, 4);
    store_list_release(&l);
}

static void test_failover_and_unreachable(void **state)
{
    NEED_ETCD();
    (void)state;
    char servers[160];
    snprintf(servers, sizeof(servers), "http://127.0.0.1:1,%s", endpoint);
    int rc;
    struct store *s = open_with(servers, 10000, &rc);
    assert_int_equal(rc, 0);
    int64_t r;
    assert_int_equal(store_create(s, "/registry/secrets/ns/s", "{}", 2, &r), 0);
    struct store_kv kv;
    assert_int_equal(store_get(s, "/registry/secrets/ns/s", &kv), 0);
    store_kv_release(&kv);
    assert_int_equal(store_health(s, NULL), 0);
    store_close(s);

    s = open_with("http://127.0.0.1:1", 500, &rc);
    assert_null(s);
    assert_int_equal(rc, AZ_ETIMEOUT);
    s = open_with("ftp://127.0.0.1:1", 500, &rc);
    assert_null(s);
    assert_int_equal(rc, AZ_EINVALID);
}

/* Upstream's compactor protocol: each replica compacts only when its transaction on
 * compact_rev_key finds the version it saw last, so one compaction happens per interval. */
static void test_compaction_one_replica_per_interval(void **state)
{
    NEED_ETCD();
    (void)state;
    int rc;
    struct store *s1 = open_with(endpoint, 10000, &rc);
    assert_int_equal(rc, 0);
    struct store *s2 = open_with(endpoint, 10000, &rc);
    assert_int_equal(rc, 0);
    int64_t r[4];
    assert_int_equal(store_create(s2, "/registry/a/x0", "{}", 2, &r[0]), 0);
    assert_int_equal(store_create(s2, "/registry/a/x1", "{}", 2, &r[1]), 0);
    assert_int_equal(store_update(s2, "/registry/a/x0", "{}", 2, 0, &r[2]), 0);
    assert_int_equal(store_update(s2, "/registry/a/x1", "{}", 2, 0, &r[3]), 0);
    /* both learn the key's current version first (neither saw it before) */
    assert_int_equal(store_compact(s1, r[0]), 0);
    assert_int_equal(store_compact(s2, r[0]), 0);
    struct store_list l;
    /* s1's turn: it wins and compacts at r[1] */
    assert_int_equal(store_compact(s1, r[1]), 0);
    assert_int_equal(store_list(s2, "/registry/a/", NULL, r[0], 0, &l), AZ_EGONE);
    /* s2 in the same interval: the key moved since it looked, so it does not compact */
    assert_int_equal(store_compact(s2, r[3]), 0);
    assert_int_equal(store_list(s2, "/registry/a/", NULL, r[2], 0, &l), 0);
    store_list_release(&l);
    /* next interval: s2 saw the current version and compacts */
    assert_int_equal(store_compact(s2, r[3]), 0);
    assert_int_equal(store_list(s2, "/registry/a/", NULL, r[2], 0, &l), AZ_EGONE);
    store_close(s1);
    store_close(s2);
}

/* store_sync_async: the consistent-read barrier off the caller's thread. done runs on the
 * owner thread (from store_etcd_dispatch, after the notifier asked for it), and only once the
 * sink has every change committed before the call: here a write through another store (a
 * second replica) on the same prefix, which the reader's watch holds back for 300 ms. */
static atomic_int sync_notified;

static void sync_notify(void *arg)
{
    (void)arg;
    atomic_fetch_add(&sync_notified, 1);
}

/* The owner's loop of s: dispatches when notified until *done is set (safety net: 20 s). */
static void dispatch_until(struct store *s, atomic_int *done)
{
    for (int t = 0; atomic_load(done) == 0 && t < 20000; t++) {
        if (atomic_exchange(&sync_notified, 0) > 0)
            store_etcd_dispatch(s);
        else
            usleep(1000);
    }
}

struct sync_done {
    int n;
    int rc[3];
    size_t seen[3]; /* events the sink had when done ran */
    struct sink_log *log;
};

static void sync_done_cb(void *arg, int rc)
{
    struct sync_done *d = arg;
    d->seen[d->n] = d->log->n;
    d->rc[d->n++] = rc;
}

/* Two replicas on the prefix /t<pid>-<tag>: *reader, whose watch lags 300 ms (and whose
 * barrier holds each fetched revision revision_delay_ms), with its sink copying into *ret_log
 * and sync_notify as its owner's notifier; *writer, plain. */
static void open_lagging_pair(const char *tag, long revision_delay_ms, struct store **reader,
                              struct store **writer, struct sink_log **ret_log)
{
    char prefix[64];
    snprintf(prefix, sizeof(prefix), "/t%d-%s", (int)getpid(), tag);
    struct etcd_config lagging = {.servers = endpoint, .prefix = prefix, .request_timeout_ms = 10000,
                                  .testing_watch_delay_ms = 300, .testing_revision_delay_ms = revision_delay_ms};
    struct etcd_config plain = {.servers = endpoint, .prefix = prefix, .request_timeout_ms = 10000};
    char *msg = NULL;
    assert_int_equal(store_etcd_open(&lagging, reader, &msg), 0);
    assert_int_equal(store_etcd_open(&plain, writer, &msg), 0);
    struct sink_log *log = calloc(1, sizeof(*log));
    store_set_sink(*reader, sink_copy, log);
    store_etcd_set_notify(*reader, sync_notify, NULL);
    *ret_log = log;
}

static void test_sync_async(void **state)
{
    NEED_ETCD();
    (void)state;
    struct store *reader = NULL, *writer = NULL;
    struct sink_log *log = NULL;
    open_lagging_pair("sync", 0, &reader, &writer, &log);
    assert_true(store_sync_is_async(reader));

    int64_t rev;
    assert_int_equal(store_create(writer, "/registry/configmaps/ns/x", "{}", 2, &rev), 0);
    struct sync_done d = {.log = log};
    for (int i = 0; i < 3; i++)
        assert_int_equal(store_sync_async(reader, sync_done_cb, &d), 1);
    assert_int_equal(d.n, 0); /* never called inline */
    /* the owner's loop: dispatch when notified (safety net: 20 s) */
    for (int t = 0; d.n < 3 && t < 20000; t++) {
        if (atomic_exchange(&sync_notified, 0) > 0)
            store_etcd_dispatch(reader);
        else
            usleep(1000);
    }
    assert_int_equal(d.n, 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(d.rc[i], 0);
        assert_true(d.seen[i] >= 1); /* the other replica's write reached the sink first */
    }
    assert_string_equal(log->evs[0].kv.key, "/registry/configmaps/ns/x");
    assert_int_equal(log->evs[0].rev, rev);
    /* the revision came from etcd's gRPC KV/Range, not the JSON gateway */
    struct etcd_barrier_stats st;
    store_etcd_barrier_stats(reader, &st);
    assert_int_equal(st.barriers, 3);
    assert_true(st.fetches >= 1 && st.fetches <= 3);
    assert_int_equal(st.fetches_grpc, st.fetches);
    assert_int_equal(st.fetches_own, st.fetches); /* http://: the own HTTP/2 client */

    store_close(reader);
    store_close(writer);
    sink_log_free(log);
}

/* A barrier whose revision the sink already has completes on the backend's barrier thread,
 * without the owner dispatching (no control loop between a read and its answer), and may be
 * taken from any thread. */
static atomic_int quick_done;

static void quick_done_cb(void *arg, int rc)
{
    (void)arg;
    atomic_store(&quick_done, rc == 0 ? 1 : -1);
}

static void *quick_sync_thread(void *arg)
{
    return (void *)(intptr_t)store_sync_async(arg, quick_done_cb, NULL);
}

static void test_sync_async_delivered(void **state)
{
    NEED_ETCD();
    (void)state;
    char prefix[64];
    snprintf(prefix, sizeof(prefix), "/t%d-syncq", (int)getpid());
    struct etcd_config cfg = {.servers = endpoint, .prefix = prefix, .request_timeout_ms = 10000};
    struct store *s = NULL;
    char *msg = NULL;
    assert_int_equal(store_etcd_open(&cfg, &s, &msg), 0);
    struct sink_log *log = calloc(1, sizeof(*log));
    store_set_sink(s, sink_copy, log);
    store_etcd_set_notify(s, sync_notify, NULL);
    int64_t rev;
    assert_int_equal(store_create(s, "/registry/configmaps/ns/q", "{}", 2, &rev), 0); /* delivered inline */
    atomic_store(&quick_done, 0);
    pthread_t t;
    void *ret;
    assert_int_equal(pthread_create(&t, NULL, quick_sync_thread, s), 0);
    assert_int_equal(pthread_join(t, &ret), 0);
    assert_int_equal((int)(intptr_t)ret, 1);
    for (int i = 0; atomic_load(&quick_done) == 0 && i < 20000; i++) /* safety net: 20 s */
        usleep(1000);
    assert_int_equal(atomic_load(&quick_done), 1); /* and store_etcd_dispatch never ran */
    store_close(s);
    sink_log_free(log);
}

/* A barrier never shares a revision fetch whose request was written before it was taken:
 * the barrier thread takes its waiters right before it writes the request. Here A's fetch is
 * held 200 ms after its answer (testing_revision_delay_ms); a write through another replica
 * and barrier B come meanwhile. Had B shared A's fetch, B would pass at A's revision, before
 * the reader's watch (300 ms late) delivered the write; B must see it. */
static atomic_int after_send_a, after_send_b;
static atomic_size_t after_send_b_seen;
static struct sink_log *after_send_log;

static void after_send_a_cb(void *arg, int rc)
{
    (void)arg;
    atomic_store(&after_send_a, rc == 0 ? 1 : -1);
}

static void after_send_b_cb(void *arg, int rc)
{
    (void)arg;
    atomic_store(&after_send_b_seen, after_send_log->n);
    atomic_store(&after_send_b, rc == 0 ? 1 : -1);
}

static void test_sync_async_after_send(void **state)
{
    NEED_ETCD();
    (void)state;
    struct store *reader = NULL, *writer = NULL;
    struct sink_log *log = NULL;
    open_lagging_pair("syncsend", 200, &reader, &writer, &log);
    after_send_log = log;
    /* round 0: the barrier threads connect and write the requests themselves; round 1: both
     * have a connection, so each store_sync_async writes its fetch on an idle thread's */
    for (size_t round = 0; round < 2; round++) {
        atomic_store(&after_send_a, 0);
        atomic_store(&after_send_b, 0);
        size_t before = log->n;
        assert_int_equal(store_sync_async(reader, after_send_a_cb, NULL), 1);
        usleep(60 * 1000); /* A's request is out; its thread holds the answer */
        int64_t rev;
        char key[64];
        snprintf(key, sizeof(key), "/registry/configmaps/ns/late%zu", round);
        assert_int_equal(store_create(writer, key, "{}", 2, &rev), 0);
        assert_int_equal(store_sync_async(reader, after_send_b_cb, NULL), 1);
        dispatch_until(reader, &after_send_b);
        assert_int_equal(atomic_load(&after_send_b), 1);
        /* the write reached the sink before B passed */
        assert_true(atomic_load(&after_send_b_seen) >= before + 1);
        assert_string_equal(log->evs[before].kv.key, key);
        assert_int_equal(log->evs[before].rev, rev);
        for (int t = 0; atomic_load(&after_send_a) == 0 && t < 20000; t++)
            usleep(1000);
        assert_int_equal(atomic_load(&after_send_a), 1);
        struct etcd_barrier_stats st;
        store_etcd_barrier_stats(reader, &st);
        assert_int_equal(st.barriers, 2 * (round + 1));
        assert_int_equal(st.fetches, 2 * (round + 1)); /* B had its own */
        assert_int_equal(st.fetches_own, st.fetches);
    }
    store_close(reader);
    store_close(writer);
    sink_log_free(log);
}

/* A prefix too long for the prepared gRPC probe: the barrier reads the revision through the
 * JSON gateway, with the same guarantee (a write made before the barrier is seen). */
static void test_sync_async_json_probe(void **state)
{
    NEED_ETCD();
    (void)state;
    char prefix[200];
    int n = snprintf(prefix, sizeof(prefix), "/t%d-json-", (int)getpid());
    memset(prefix + n, 'p', 130);
    prefix[n + 130] = '\0';
    struct etcd_config cfg = {.servers = endpoint, .prefix = prefix, .request_timeout_ms = 10000};
    struct store *s = NULL;
    char *msg = NULL;
    assert_int_equal(store_etcd_open(&cfg, &s, &msg), 0);
    struct sink_log *log = calloc(1, sizeof(*log));
    store_set_sink(s, sink_copy, log);
    int64_t rev;
    assert_int_equal(store_create(s, "/registry/configmaps/ns/j", "{}", 2, &rev), 0);
    store_etcd_set_notify(s, sync_notify, NULL);
    atomic_store(&quick_done, 0);
    assert_int_equal(store_sync_async(s, quick_done_cb, NULL), 1);
    dispatch_until(s, &quick_done);
    assert_int_equal(atomic_load(&quick_done), 1);
    struct etcd_barrier_stats st;
    store_etcd_barrier_stats(s, &st);
    assert_int_equal(st.fetches, 1);
    assert_int_equal(st.fetches_grpc, 0);
    assert_int_equal(st.fetches_own, 0);
    store_close(s);
    sink_log_free(log);
}

/* The gRPC probe's answer decoder on etcd 3.4's real answer and on what it must refuse (-1:
 * the barrier then asks the gateway). */
static void test_grpc_header_rev(void **state)
{
    (void)state;
    /* etcd 3.4.23's answer to RangeRequest{key: "/registry", count_only: true} at revision 1:
     * header {cluster_id (uint64 beyond int64), member_id, revision 1, raft_term 2} */
    static const unsigned char real[] = {
        0x00, 0x00, 0x00, 0x00, 0x1b, 0x0a, 0x19, 0x08, 0xe3, 0x87, 0xbc, 0xb2, 0xdb, 0xf2, 0xa5, 0xde,
        0xba, 0x01, 0x10, 0xee, 0xf9, 0xb6, 0x80, 0xc8, 0xe1, 0x85, 0x94, 0x06, 0x18, 0x01, 0x20, 0x02};
    assert_int_equal(store_etcd_grpc_header_rev(real, sizeof(real)), 1);
    /* revision 300 (two-byte varint), then count = 4: 7 and kvs = 2 (empty) after the header */
    static const unsigned char more[] = {0x00, 0x00, 0x00, 0x00, 0x0b, 0x0a, 0x03, 0x18, 0xac, 0x02,
                                         0x20, 0x07, 0x12, 0x00, 0x20, 0x07};
    assert_int_equal(store_etcd_grpc_header_rev(more, sizeof(more)), 300);
    static const unsigned char bad_len[] = {0x00, 0x00, 0x00, 0x00, 0x05, 0x0a, 0x02, 0x18, 0x05};
    static const unsigned char compressed[] = {0x01, 0x00, 0x00, 0x00, 0x04, 0x0a, 0x02, 0x18, 0x05};
    static const unsigned char no_rev[] = {0x00, 0x00, 0x00, 0x00, 0x04, 0x0a, 0x02, 0x20, 0x02};
    static const unsigned char two_revs[] = {0x00, 0x00, 0x00, 0x00, 0x06, 0x0a, 0x04, 0x18, 0x05, 0x18, 0x06};
    static const unsigned char two_headers[] = {0x00, 0x00, 0x00, 0x00, 0x08, 0x0a, 0x02, 0x18,
                                                0x05, 0x0a, 0x02, 0x18, 0x06};
    static const unsigned char header_cut[] = {0x00, 0x00, 0x00, 0x00, 0x04, 0x0a, 0x05, 0x18, 0x05};
    static const unsigned char group_type[] = {0x00, 0x00, 0x00, 0x00, 0x06, 0x0a, 0x02, 0x18, 0x05, 0x1b, 0x1c};
    static const unsigned char too_big[] = {0x00, 0x00, 0x00, 0x00, 0x0d, 0x0a, 0x0b, 0x18, 0xff, 0xff, 0xff,
                                            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    static const unsigned char field0[] = {0x00, 0x00, 0x00, 0x00, 0x06, 0x0a, 0x02, 0x18, 0x05, 0x00, 0x01};
    static const struct {
        const unsigned char *b;
        size_t n;
    } refused[] = {
        {bad_len, sizeof(bad_len)},         {compressed, sizeof(compressed)},
        {no_rev, sizeof(no_rev)},           {two_revs, sizeof(two_revs)},
        {two_headers, sizeof(two_headers)}, {header_cut, sizeof(header_cut)},
        {group_type, sizeof(group_type)},   {too_big, sizeof(too_big)},
        {field0, sizeof(field0)},           {real, 4},
        {real, sizeof(real) - 1},
    };
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
        assert_int_equal(store_etcd_grpc_header_rev(refused[i].b, refused[i].n), -1);
}

/* The barrier's header scan on etcd 3.4's answers (cluster_id and member_id are uint64,
 * beyond int64) and what it leaves to the full parser (-1). */
static void test_scan_header_rev(void **state)
{
    (void)state;
    static const char real[] = "{\"header\":{\"cluster_id\":\"11701276006043042373\",\"member_id\":"
                               "\"1348364334568395393\",\"revision\":\"12345\",\"raft_term\":\"2\"}}";
    assert_int_equal(store_etcd_scan_header_rev(real, strlen(real)), 12345);
    static const char count[] = "{\"header\":{\"revision\":7},\"count\":\"3\"}";
    assert_int_equal(store_etcd_scan_header_rev(count, strlen(count)), 7);
    static const char *const other[] = {
        "{\"header\":{\"member_id\":\"1\"}}",                        /* no revision */
        "{\"header\":{\"revision\":\"99999999999999999999\"}}",      /* beyond int64 */
        "{\"header\":{\"revision\":\"5\",\"revision\":\"6\"}}",  /* twice */
        "{\"header\":{\"revision\":\"-5\"}}",
        "{\"header\":{\"revision\":\"5\"",                           /* cut */
        "{ \"header\":{\"revision\":\"5\"}}",                        /* not etcd's layout */
        "{\"error\":\"etcdserver: request timed out\",\"code\":14}",
        "{\"header\":{\"re\\\"vision\":\"5\"}}",                  /* escapes */
    };
    for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++)
        assert_int_equal(store_etcd_scan_header_rev(other[i], strlen(other[i])), -1);
    assert_int_equal(store_etcd_scan_header_rev(real, 10), -1);
}

static void test_leader_durations(void **state)
{
    (void)state;
    int64_t ms;
    assert_int_equal(leader_parse_duration("15s", &ms), 0);
    assert_int_equal(ms, 15000);
    assert_int_equal(leader_parse_duration("500ms", &ms), 0);
    assert_int_equal(ms, 500);
    assert_int_equal(leader_parse_duration("1.5s", &ms), 0);
    assert_int_equal(ms, 1500);
    assert_int_equal(leader_parse_duration("2m", &ms), 0);
    assert_int_equal(ms, 120000);
    assert_int_equal(leader_parse_duration("15", &ms), AZ_EINVALID);
    assert_int_equal(leader_parse_duration("s", &ms), AZ_EINVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_crud_cas, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list, setup, teardown),
        cmocka_unit_test(test_failover_and_unreachable),
        cmocka_unit_test(test_compaction_one_replica_per_interval),
        cmocka_unit_test(test_sync_async),
        cmocka_unit_test(test_sync_async_delivered),
        cmocka_unit_test(test_sync_async_after_send),
        cmocka_unit_test(test_scan_header_rev),
        cmocka_unit_test(test_grpc_header_rev),
        cmocka_unit_test(test_sync_async_json_probe),
        cmocka_unit_test(test_leader_durations),
    };
    return test_skip_status(cmocka_run_group_tests(tests, group_setup, group_teardown));
}
