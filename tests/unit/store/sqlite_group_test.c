/* sqlite_group_test.c — group commit in the SQLite store (src/store/sqlite.c, included here to
 * see its queue) on a real file: 64 writers with compare-and-swap conflicts (every
 * acknowledged write present at its revision, revisions dense, the sink sees each once, in
 * order, before the caller returns, fewer fsyncs than writes), per-write CAS inside one batch
 * (revisions in queue order, a failing check fails alone), a batch whose COMMIT fails (its
 * fsync fails: every write of it fails, nothing of it stays), and callers that hold the
 * biglock across their writes (no deadlock; the sink runs under the biglock), store_close
 * with writes waiting (they are committed; a later one is refused). kill -9 with
 * 16 writers is in sqlite_test.c (test_crash_many_writers).
 *
 * The WAL's fsyncs are observed through a VFS shim made the default VFS of this program: it
 * counts them, can hold one at a gate (so that the next batch queues up behind it, and the
 * test knows its exact content) and can fail a chosen one with SQLITE_IOERR_FSYNC. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../../src/store/sqlite.c"
#include "test_store.h"
#include "util/biglock.h"

/* ---- the VFS shim ---- */

static sqlite3_vfs shim__vfs;
static sqlite3_vfs *shim__base;
static sqlite3_io_methods shim__methods;          /* the base methods with xSync replaced */
static const sqlite3_io_methods *shim__orig;      /* the base methods of WAL files */
static pthread_mutex_t shim__mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t shim__cv = PTHREAD_COND_INITIALIZER;
static int shim__syncs;   /* WAL fsyncs so far */
static int shim__fail_at; /* fail WAL fsync number N (0: none) */
static int shim__gate;    /* the next WAL fsync waits while this is 1 */
static int shim__blocked; /* a WAL fsync waits at the gate */

static int shim_sync(sqlite3_file *f, int flags)
{
    pthread_mutex_lock(&shim__mu);
    int n = ++shim__syncs;
    if (shim__gate) {
        shim__blocked = 1;
        pthread_cond_broadcast(&shim__cv);
        while (shim__gate)
            pthread_cond_wait(&shim__cv, &shim__mu);
        shim__blocked = 0;
    }
    int fail = n == shim__fail_at;
    pthread_mutex_unlock(&shim__mu);
    if (fail)
        return SQLITE_IOERR_FSYNC;
    return shim__orig->xSync(f, flags);
}

static int shim_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out)
{
    (void)vfs;
    int rc = shim__base->xOpen(shim__base, name, f, flags, out);
    if (rc != SQLITE_OK || !(flags & SQLITE_OPEN_WAL) || f->pMethods == NULL)
        return rc;
    pthread_mutex_lock(&shim__mu);
    if (shim__orig == NULL) {
        shim__orig = f->pMethods;
        shim__methods = *f->pMethods;
        shim__methods.xSync = shim_sync;
    }
    if (f->pMethods == shim__orig)
        f->pMethods = &shim__methods;
    pthread_mutex_unlock(&shim__mu);
    return rc;
}

static void shim_install(void)
{
    if (shim__base != NULL)
        return;
    shim__base = sqlite3_vfs_find(NULL);
    shim__vfs = *shim__base;
    shim__vfs.zName = "anzen-test-shim";
    shim__vfs.xOpen = shim_open;
    assert_int_equal(sqlite3_vfs_register(&shim__vfs, 1), SQLITE_OK);
}

static int shim_syncs(void)
{
    pthread_mutex_lock(&shim__mu);
    int n = shim__syncs;
    pthread_mutex_unlock(&shim__mu);
    return n;
}

/* Closes the gate; returns once a WAL fsync is waiting at it. */
static void shim_hold_next_sync(void (*start)(void *), void *arg)
{
    pthread_mutex_lock(&shim__mu);
    shim__gate = 1;
    pthread_mutex_unlock(&shim__mu);
    start(arg);
    pthread_mutex_lock(&shim__mu);
    while (!shim__blocked)
        pthread_cond_wait(&shim__cv, &shim__mu);
    pthread_mutex_unlock(&shim__mu);
}

static void shim_release(int fail_the_next)
{
    pthread_mutex_lock(&shim__mu);
    shim__fail_at = fail_the_next ? shim__syncs + 1 : 0;
    shim__gate = 0;
    pthread_cond_broadcast(&shim__cv);
    pthread_mutex_unlock(&shim__mu);
}

/* ---- fixture, sink ---- */

#define MAX_REVS 20000

struct recorder {
    pthread_mutex_t mu;
    int64_t revs[MAX_REVS];            /* revisions in the order the sink got them */
    size_t n;
    atomic_int seen[MAX_REVS];         /* seen[rev] = times the sink got rev */
    atomic_int outside_biglock;        /* sink calls without the biglock held */
};

static void record_sink(void *arg, const struct store_event *ev)
{
    struct recorder *r = arg;
    if (!biglock_held())
        atomic_fetch_add(&r->outside_biglock, 1);
    pthread_mutex_lock(&r->mu);
    if (r->n < MAX_REVS)
        r->revs[r->n++] = ev->rev;
    pthread_mutex_unlock(&r->mu);
    if (ev->rev > 0 && ev->rev < MAX_REVS)
        atomic_fetch_add(&r->seen[ev->rev], 1);
}

struct fixture {
    struct test_store ts;
    struct store *s;
    struct recorder *r;
};

static int setup(void **state)
{
    shim_install();
    struct fixture *f = calloc(1, sizeof(*f));
    if (test_store_mkdir(&f->ts, "group") != 0)
        return -1;
    char *msg = NULL;
    if (store_sqlite_open(f->ts.path, &f->s, &msg) != 0) {
        fprintf(stderr, "open: %s\n", msg != NULL ? msg : "?");
        return -1;
    }
    f->r = calloc(1, sizeof(*f->r));
    pthread_mutex_init(&f->r->mu, NULL);
    store_set_sink(f->s, record_sink, f->r);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    store_close(f->s);
    test_store_rmdir(&f->ts);
    pthread_mutex_destroy(&f->r->mu);
    free(f->r);
    free(f);
    return 0;
}

/* The sink got revisions 1..n, each once, in order. */
static void assert_sink_dense(struct recorder *r, int64_t n)
{
    pthread_mutex_lock(&r->mu);
    assert_int_equal(r->n, (size_t)n);
    for (size_t i = 0; i < r->n; i++)
        assert_int_equal(r->revs[i], (int64_t)i + 1);
    pthread_mutex_unlock(&r->mu);
    assert_int_equal(atomic_load(&r->outside_biglock), 0);
}

/* ---- 64 writers ---- */

#define NTHREADS 64
#define CREATES 12
#define UPDATES 8
#define SHARED 4

struct ack {
    int64_t rev;
    enum sq_op op;
    char key[48];
    char value[48]; /* "" for a delete */
};

struct hammer {
    struct store *s;
    struct recorder *r;
    int id;
    int hold_biglock;      /* hold the biglock across every write */
    struct ack acks[CREATES * 2 + UPDATES];
    size_t nacks;
    int conflicts;         /* AZ_ECONFLICT answers on the shared keys */
    int failures;          /* anything unexpected */
    int unseen;            /* writes that returned before the sink saw them */
};

static void hammer_ack(struct hammer *h, int64_t rev, enum sq_op op, const char *key, const char *value)
{
    if (rev <= 0 || rev >= MAX_REVS || atomic_load(&h->r->seen[rev]) != 1)
        h->unseen++;
    struct ack *a = &h->acks[h->nacks++];
    a->rev = rev;
    a->op = op;
    snprintf(a->key, sizeof(a->key), "%s", key);
    snprintf(a->value, sizeof(a->value), "%s", value);
}

static void *hammer_main(void *arg)
{
    struct hammer *h = arg;
    char key[48], value[48];
    for (int i = 0; i < CREATES; i++) {
        int64_t rev = 0;
        snprintf(key, sizeof(key), "/g/t%02d/k%02d", h->id, i);
        snprintf(value, sizeof(value), "{\"t\":%d,\"i\":%d}", h->id, i);
        if (h->hold_biglock)
            biglock_lock();
        int rc = store_create(h->s, key, value, strlen(value), &rev);
        if (h->hold_biglock) {
            if (!biglock_held())
                h->failures++;
            biglock_unlock();
        }
        if (rc != 0) {
            h->failures++;
            continue;
        }
        hammer_ack(h, rev, SQ_OP_CREATE, key, value);
        /* read-your-writes */
        struct store_kv kv = {0};
        if (store_get(h->s, key, &kv) != 0 || kv.mod_rev != rev)
            h->failures++;
        store_kv_release(&kv);
    }
    /* compare-and-swap on keys every thread updates */
    for (int i = 0; i < UPDATES; i++) {
        snprintf(key, sizeof(key), "/g/shared/s%d", (h->id + i) % SHARED);
        snprintf(value, sizeof(value), "{\"by\":%d,\"i\":%d}", h->id, i);
        struct store_kv kv = {0};
        if (store_get(h->s, key, &kv) != 0) {
            h->failures++;
            continue;
        }
        int64_t rev = 0;
        if (h->hold_biglock)
            biglock_lock();
        int rc = store_update(h->s, key, value, strlen(value), kv.mod_rev, &rev);
        if (h->hold_biglock)
            biglock_unlock();
        store_kv_release(&kv);
        if (rc == AZ_ECONFLICT)
            h->conflicts++;
        else if (rc != 0)
            h->failures++;
        else
            hammer_ack(h, rev, SQ_OP_UPDATE, key, value);
    }
    /* delete half of the own keys: a stale expected revision fails, the right one passes */
    for (int i = 0; i < CREATES; i += 2) {
        snprintf(key, sizeof(key), "/g/t%02d/k%02d", h->id, i);
        struct store_kv kv = {0};
        if (store_get(h->s, key, &kv) != 0) {
            h->failures++;
            continue;
        }
        int64_t rev = 0;
        if (store_delete(h->s, key, kv.mod_rev + 1000, &rev, NULL) != AZ_ECONFLICT)
            h->failures++;
        struct store_kv prev = {0};
        int rc = store_delete(h->s, key, kv.mod_rev, &rev, &prev);
        if (rc != 0 || prev.mod_rev != kv.mod_rev || prev.len != kv.len)
            h->failures++;
        else
            hammer_ack(h, rev, SQ_OP_DELETE, key, "");
        store_kv_release(&prev);
        store_kv_release(&kv);
    }
    return NULL;
}

static int cmp_ack(const void *a, const void *b)
{
    const struct ack *x = *(const struct ack *const *)a, *y = *(const struct ack *const *)b;
    return x->rev < y->rev ? -1 : x->rev > y->rev;
}

static void run_hammer(struct fixture *f, int nthreads, int hold_biglock)
{
    for (int i = 0; i < SHARED; i++) {
        char key[32];
        int64_t rev = 0;
        snprintf(key, sizeof(key), "/g/shared/s%d", i);
        assert_int_equal(store_create(f->s, key, "{}", 2, &rev), 0);
        assert_int_equal(rev, i + 1);
    }
    int syncs0 = shim_syncs();
    struct hammer *h = calloc((size_t)nthreads, sizeof(*h));
    pthread_t th[NTHREADS];
    assert_true(nthreads <= NTHREADS);
    for (int i = 0; i < nthreads; i++) {
        h[i] = (struct hammer){.s = f->s, .r = f->r, .id = i, .hold_biglock = hold_biglock};
        assert_int_equal(pthread_create(&th[i], NULL, hammer_main, &h[i]), 0);
    }
    /* meanwhile this thread reads while holding the biglock: never blocked by the writer */
    for (int i = 0; i < 50; i++) {
        biglock_lock();
        int64_t cur = store_current_rev(f->s);
        struct store_list l = {0};
        assert_int_equal(store_list(f->s, "/g/shared/", NULL, 0, 0, &l), 0);
        assert_true(l.rev >= cur);
        assert_int_equal(l.n, SHARED);
        store_list_release(&l);
        store_set_sink(f->s, record_sink, f->r);
        biglock_unlock();
    }
    size_t total = 0;
    int conflicts = 0;
    for (int i = 0; i < nthreads; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(h[i].failures, 0);
        assert_int_equal(h[i].unseen, 0);
        total += h[i].nacks;
        conflicts += h[i].conflicts;
    }
    int64_t cur = store_current_rev(f->s);
    int syncs = shim_syncs() - syncs0;
    printf("# %zu acknowledged writes, %d CAS conflicts, %d WAL fsyncs\n", total, conflicts, syncs);
    /* every successful write was acknowledged: the revisions are exactly SHARED+1 .. cur */
    assert_int_equal(cur, (int64_t)(SHARED + total));
    assert_int_equal(conflicts + (int)total,
                     nthreads * (CREATES + UPDATES + CREATES / 2));
    /* group commit: writes shared fsyncs (a checkpoint adds a few of its own; one commit per
     * write would give at least total). Here: 20x fewer; kept loose for fast disks, where
     * batches are smaller. test_cas_within_batch checks a batch's one fsync exactly. */
    assert_true(syncs < (int)total);

    struct ack **all = calloc(total, sizeof(*all));
    size_t k = 0;
    for (int i = 0; i < nthreads; i++)
        for (size_t j = 0; j < h[i].nacks; j++)
            all[k++] = &h[i].acks[j];
    qsort(all, total, sizeof(*all), cmp_ack);

    struct store_event *evs = NULL;
    size_t n = 0;
    assert_int_equal(store_events_since(f->s, SHARED, 0, &evs, &n), 0);
    assert_int_equal(n, total);
    for (size_t i = 0; i < total; i++) {
        assert_int_equal(all[i]->rev, (int64_t)(SHARED + 1 + i));
        assert_int_equal(evs[i].rev, all[i]->rev);
        assert_string_equal(evs[i].kv.key, all[i]->key);
        assert_int_equal(evs[i].type, all[i]->op == SQ_OP_DELETE ? STORE_EVENT_DELETE : STORE_EVENT_PUT);
        if (all[i]->op != SQ_OP_DELETE) {
            assert_int_equal(evs[i].kv.len, strlen(all[i]->value));
            assert_memory_equal(evs[i].kv.value, all[i]->value, evs[i].kv.len);
        }
    }
    store_events_free(evs, n);
    assert_sink_dense(f->r, cur);

    /* and everything is still there after a reopen */
    store_close(f->s);
    char *msg = NULL;
    assert_int_equal(store_sqlite_open(f->ts.path, &f->s, &msg), 0);
    assert_int_equal(store_current_rev(f->s), cur);
    struct store_list l = {0};
    assert_int_equal(store_list(f->s, "/g/t", NULL, 0, 0, &l), 0);
    assert_int_equal(l.n, (size_t)(nthreads * CREATES / 2));
    store_list_release(&l);
    free(all);
    free(h);
}

static void test_many_writers(void **state)
{
    run_hammer(*state, NTHREADS, 0);
}

/* 16 threads that hold the biglock across their writes: a waiting writer lets the others
 * (and the writer thread, for the sink) take it. */
static void test_biglock_holders(void **state)
{
    run_hammer(*state, 16, 1);
}

/* ---- one batch, known content ---- */

struct one_write {
    struct store *s;
    enum sq_op op;
    const char *key;
    const char *value;
    int64_t expected_rev;
    int rc;
    int64_t rev;
    pthread_t th;
};

static void *one_write_main(void *arg)
{
    struct one_write *w = arg;
    switch (w->op) {
    case SQ_OP_CREATE:
        w->rc = store_create(w->s, w->key, w->value, strlen(w->value), &w->rev);
        break;
    case SQ_OP_UPDATE:
        w->rc = store_update(w->s, w->key, w->value, strlen(w->value), w->expected_rev, &w->rev);
        break;
    case SQ_OP_DELETE:
        w->rc = store_delete(w->s, w->key, w->expected_rev, &w->rev, NULL);
        break;
    }
    return NULL;
}

static void one_write_start(void *arg)
{
    struct one_write *w = arg;
    assert_int_equal(pthread_create(&w->th, NULL, one_write_main, w), 0);
}

static size_t queued(struct store *s)
{
    struct sqlite_store *ss = sq_of(s);
    size_t n = 0;
    pthread_mutex_lock(&ss->qmu);
    for (struct sq_req *r = ss->qhead; r != NULL; r = r->next)
        n++;
    pthread_mutex_unlock(&ss->qmu);
    return n;
}

/* Starts each write in turn once the previous one is queued (so the queue order is ws[]'s),
 * while the writer thread is held in the fsync of `first`; then lets it go (failing the
 * batch's own fsync if asked) and waits for every write. */
static void run_one_batch(struct store *s, struct one_write *first, struct one_write *ws,
                          size_t n, int fail)
{
    shim_hold_next_sync(one_write_start, first);
    for (size_t i = 0; i < n; i++) {
        one_write_start(&ws[i]);
        while (queued(s) != i + 1)
            usleep(1000);
    }
    int syncs0 = shim_syncs();
    shim_release(fail);
    pthread_join(first->th, NULL);
    for (size_t i = 0; i < n; i++)
        pthread_join(ws[i].th, NULL);
    assert_int_equal(first->rc, 0);
    /* the n writes went in one transaction: one WAL fsync (or none if all failed checks) */
    assert_true(shim_syncs() - syncs0 <= 1);
}

static void assert_absent(struct store *s, const char *key)
{
    struct store_kv kv = {0};
    assert_int_equal(store_get(s, key, &kv), AZ_ENOTFOUND);
}

static void test_cas_within_batch(void **state)
{
    struct fixture *f = *state;
    int64_t rev = 0;
    assert_int_equal(store_create(f->s, "/b/upd", "0", 1, &rev), 0);   /* 1 */
    assert_int_equal(store_create(f->s, "/b/del", "0", 1, &rev), 0);   /* 2 */
    assert_int_equal(store_create(f->s, "/b/exists", "0", 1, &rev), 0); /* 3 */

    struct one_write first = {.s = f->s, .op = SQ_OP_CREATE, .key = "/b/first", .value = "f"};
    struct one_write ws[] = {
        {.s = f->s, .op = SQ_OP_CREATE, .key = "/b/new", .value = "n1"},           /* 5 */
        {.s = f->s, .op = SQ_OP_CREATE, .key = "/b/new", .value = "n2"},           /* EEXIST */
        {.s = f->s, .op = SQ_OP_UPDATE, .key = "/b/upd", .value = "x", .expected_rev = 3},
        {.s = f->s, .op = SQ_OP_UPDATE, .key = "/b/upd", .value = "u", .expected_rev = 1}, /* 6 */
        {.s = f->s, .op = SQ_OP_UPDATE, .key = "/b/upd", .value = "v", .expected_rev = 6}, /* 7 */
        {.s = f->s, .op = SQ_OP_DELETE, .key = "/b/del", .expected_rev = 2},        /* 8 */
        {.s = f->s, .op = SQ_OP_UPDATE, .key = "/b/del", .value = "d"},             /* ENOTFOUND */
        {.s = f->s, .op = SQ_OP_CREATE, .key = "/b/exists", .value = "e"},          /* EEXIST */
        {.s = f->s, .op = SQ_OP_CREATE, .key = "/b/del", .value = "again"},         /* 9 */
    };
    size_t n = sizeof(ws) / sizeof(ws[0]);
    run_one_batch(f->s, &first, ws, n, 0);
    assert_int_equal(first.rev, 4);
    const int want_rc[] = {0, AZ_EEXIST, AZ_ECONFLICT, 0, 0, 0, AZ_ENOTFOUND, AZ_EEXIST, 0};
    const int64_t want_rev[] = {5, 0, 0, 6, 7, 8, 0, 0, 9};
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(ws[i].rc, want_rc[i]);
        if (want_rc[i] == 0)
            assert_int_equal(ws[i].rev, want_rev[i]);
    }
    assert_int_equal(store_current_rev(f->s), 9);
    assert_sink_dense(f->r, 9);
    struct store_kv kv = {0};
    assert_int_equal(store_get(f->s, "/b/upd", &kv), 0);
    assert_memory_equal(kv.value, "v", 1);
    assert_int_equal(kv.mod_rev, 7);
    store_kv_release(&kv);
    assert_int_equal(store_get(f->s, "/b/del", &kv), 0);
    assert_int_equal(kv.create_rev, 9);
    assert_memory_equal(kv.value, "again", 5);
    store_kv_release(&kv);
    assert_int_equal(store_get(f->s, "/b/new", &kv), 0);
    assert_memory_equal(kv.value, "n1", 2);
    store_kv_release(&kv);
}

static void test_failed_commit(void **state)
{
    struct fixture *f = *state;
    int64_t rev = 0;
    assert_int_equal(store_create(f->s, "/c/old", "0", 1, &rev), 0); /* 1 */

    struct one_write first = {.s = f->s, .op = SQ_OP_CREATE, .key = "/c/first", .value = "f"};
    struct one_write ws[] = {
        {.s = f->s, .op = SQ_OP_CREATE, .key = "/c/a", .value = "a"},
        {.s = f->s, .op = SQ_OP_CREATE, .key = "/c/b", .value = "b"},
        {.s = f->s, .op = SQ_OP_UPDATE, .key = "/c/old", .value = "1", .expected_rev = 1},
        {.s = f->s, .op = SQ_OP_DELETE, .key = "/c/first"},
        {.s = f->s, .op = SQ_OP_CREATE, .key = "/c/old", .value = "x"}, /* EEXIST alone */
    };
    size_t n = sizeof(ws) / sizeof(ws[0]);
    run_one_batch(f->s, &first, ws, n, 1);
    assert_int_equal(first.rev, 2);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(ws[i].rc, AZ_EIO);
    /* nothing of the batch is visible, to reads, the sink or the revision */
    assert_int_equal(store_current_rev(f->s), 2);
    assert_sink_dense(f->r, 2);
    assert_absent(f->s, "/c/a");
    assert_absent(f->s, "/c/b");
    struct store_kv kv = {0};
    assert_int_equal(store_get(f->s, "/c/old", &kv), 0);
    assert_int_equal(kv.mod_rev, 1);
    store_kv_release(&kv);
    assert_int_equal(store_get(f->s, "/c/first", &kv), 0);
    store_kv_release(&kv);
    struct store_event *evs = NULL;
    size_t ne = 0;
    assert_int_equal(store_events_since(f->s, 0, 0, &evs, &ne), 0);
    assert_int_equal(ne, 2);
    store_events_free(evs, ne);

    /* the store goes on: the next write gets the next revision, and a reopen (which reads
     * the WAL again) does not bring the failed batch back */
    assert_int_equal(store_create(f->s, "/c/after", "z", 1, &rev), 0);
    assert_int_equal(rev, 3);
    assert_sink_dense(f->r, 3);
    store_close(f->s);
    assert_int_equal(store_sqlite_open(f->ts.path, &f->s, NULL), 0);
    assert_int_equal(store_current_rev(f->s), 3);
    assert_absent(f->s, "/c/a");
    assert_absent(f->s, "/c/b");
    assert_int_equal(store_get(f->s, "/c/after", &kv), 0);
    assert_int_equal(kv.mod_rev, 3);
    store_kv_release(&kv);
}

static int closing(struct store *s)
{
    struct sqlite_store *ss = sq_of(s);
    pthread_mutex_lock(&ss->qmu);
    int c = ss->closing;
    pthread_mutex_unlock(&ss->qmu);
    return c;
}

static void *close_main(void *arg)
{
    store_close(arg);
    return NULL;
}

/* store_close while writes wait: the queued ones are committed and answered, one arriving
 * after close began is refused with AZ_EUNAVAILABLE. */
static void test_close_drains(void **state)
{
    struct fixture *f = *state;
    struct one_write first = {.s = f->s, .op = SQ_OP_CREATE, .key = "/d/first", .value = "f"};
    struct one_write ws[4];
    const char *keys[] = {"/d/a", "/d/b", "/d/c", "/d/d"};
    for (size_t i = 0; i < 4; i++)
        ws[i] = (struct one_write){.s = f->s, .op = SQ_OP_CREATE, .key = keys[i], .value = "v"};
    shim_hold_next_sync(one_write_start, &first);
    for (size_t i = 0; i < 4; i++) {
        one_write_start(&ws[i]);
        while (queued(f->s) != i + 1)
            usleep(1000);
    }
    pthread_t closer;
    assert_int_equal(pthread_create(&closer, NULL, close_main, f->s), 0);
    while (!closing(f->s))
        usleep(1000);
    int64_t rev = 0;
    assert_int_equal(store_create(f->s, "/d/late", "l", 1, &rev), AZ_EUNAVAILABLE);
    shim_release(0);
    pthread_join(closer, NULL);
    pthread_join(first.th, NULL);
    assert_int_equal(first.rc, 0);
    for (size_t i = 0; i < 4; i++) {
        pthread_join(ws[i].th, NULL);
        assert_int_equal(ws[i].rc, 0);
        assert_int_equal(ws[i].rev, (int64_t)i + 2);
    }
    assert_int_equal(store_sqlite_open(f->ts.path, &f->s, NULL), 0);
    assert_int_equal(store_current_rev(f->s), 5);
    struct store_kv kv = {0};
    assert_int_equal(store_get(f->s, "/d/d", &kv), 0);
    assert_int_equal(kv.mod_rev, 5);
    store_kv_release(&kv);
    assert_absent(f->s, "/d/late");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_cas_within_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_writers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_biglock_holders, setup, teardown),
        cmocka_unit_test_setup_teardown(test_close_drains, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
