/* sqlite_async_test.c — the SQLite store's asynchronous create (store.h create_async, which
 * the HTTP front end uses to complete creates on the request's loop): creates queued from 8
 * threads at once each complete once, with their own revision, the revisions dense; the sink
 * sees them in revision order, and each completion comes after its event reached the sink
 * and is readable with that revision; a create of an existing key completes with
 * AZ_EEXIST and fails alone; an invalid key is refused at once without a completion;
 * store_close with creates still queued commits and completes them (a reopen finds them). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "store/store.h"
#include "test_store.h"
#include "util/err.h"

#define THREADS 8
#define PER_THREAD 32
#define TOTAL (THREADS * PER_THREAD)

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int64_t sink_revs[TOTAL + 64]; /* the sink's events, in arrival order */
static size_t nsink;
static int64_t sink_last;             /* the newest revision the sink has seen */

struct op {
    char key[64];
    int done;        /* completions seen (must end at 1) */
    int rc;
    int64_t rev;
    int64_t sink_at; /* sink_last when the completion ran */
};
static struct op ops[TOTAL + 64];
static int ndone;

static void sink(void *arg, const struct store_event *ev)
{
    (void)arg;
    pthread_mutex_lock(&mu);
    if (nsink < sizeof(sink_revs) / sizeof(sink_revs[0]))
        sink_revs[nsink++] = ev->rev;
    sink_last = ev->rev;
    pthread_mutex_unlock(&mu);
}

static void done(void *arg, int rc, int64_t rev)
{
    struct op *o = arg;
    pthread_mutex_lock(&mu);
    o->done++;
    o->rc = rc;
    o->rev = rev;
    o->sink_at = sink_last;
    ndone++;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
}

static void wait_done(int n)
{
    pthread_mutex_lock(&mu);
    while (ndone < n)
        pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
}

static struct store *st;

static void *queue_creates(void *arg)
{
    int t = (int)(intptr_t)arg;
    for (int i = 0; i < PER_THREAD; i++) {
        struct op *o = &ops[t * PER_THREAD + i];
        snprintf(o->key, sizeof(o->key), "/registry/configmaps/ns/t%d-%d", t, i);
        int rc = store_create_async(st, o->key, "{\"v\":1}", 7, done, o);
        assert_int_equal(rc, 1);
    }
    return NULL;
}

static void reset(void)
{
    memset(ops, 0, sizeof(ops));
    nsink = 0;
    ndone = 0;
    sink_last = 0;
}

static void test_concurrent_async_creates(void **state)
{
    (void)state;
    reset();
    struct test_store ts;
    assert_int_equal(test_store_open_plain(&ts, &st, "sqasync"), 0);
    assert_true(store_create_is_async(st));
    store_set_sink(st, sink, NULL);
    pthread_t th[THREADS];
    for (int t = 0; t < THREADS; t++)
        assert_int_equal(pthread_create(&th[t], NULL, queue_creates, (void *)(intptr_t)t), 0);
    for (int t = 0; t < THREADS; t++)
        pthread_join(th[t], NULL);
    wait_done(TOTAL);

    /* every create once, its own revision, dense 1..TOTAL; the sink in order, before it */
    char seen[TOTAL + 1] = {0};
    for (int i = 0; i < TOTAL; i++) {
        assert_int_equal(ops[i].done, 1);
        assert_int_equal(ops[i].rc, 0);
        assert_true(ops[i].rev >= 1 && ops[i].rev <= TOTAL);
        assert_int_equal(seen[ops[i].rev], 0);
        seen[ops[i].rev] = 1;
        if (ops[i].sink_at < ops[i].rev)
            fail_msg("%s completed (rev %lld) before the sink saw it (%lld)", ops[i].key,
                     (long long)ops[i].rev, (long long)ops[i].sink_at);
        struct store_kv kv;
        assert_int_equal(store_get(st, ops[i].key, &kv), 0);
        assert_int_equal(kv.mod_rev, ops[i].rev);
        store_kv_release(&kv);
    }
    assert_int_equal(nsink, TOTAL);
    for (size_t i = 0; i < nsink; i++)
        assert_int_equal(sink_revs[i], (int64_t)i + 1);
    assert_int_equal(store_current_rev(st), TOTAL);

    /* an existing key fails alone, in the same batch as a good one */
    struct op *dup = &ops[TOTAL], *fresh = &ops[TOTAL + 1];
    snprintf(fresh->key, sizeof(fresh->key), "/registry/configmaps/ns/fresh");
    assert_int_equal(store_create_async(st, ops[0].key, "{}", 2, done, dup), 1);
    assert_int_equal(store_create_async(st, fresh->key, "{}", 2, done, fresh), 1);
    wait_done(TOTAL + 2);
    assert_int_equal(dup->rc, AZ_EEXIST);
    assert_int_equal(dup->rev, 0);
    assert_int_equal(fresh->rc, 0);
    assert_int_equal(fresh->rev, TOTAL + 1);

    /* refused at once: no completion */
    assert_true(store_create_async(st, "", "{}", 2, done, &ops[TOTAL + 2]) < 0);
    assert_int_equal(ops[TOTAL + 2].done, 0);

    store_close(st);
    test_store_rmdir(&ts);
}

static void test_close_completes_queued(void **state)
{
    (void)state;
    reset();
    struct test_store ts;
    assert_int_equal(test_store_open_plain(&ts, &st, "sqasyncclose"), 0);
    for (int i = 0; i < 16; i++) {
        snprintf(ops[i].key, sizeof(ops[i].key), "/registry/configmaps/ns/c%d", i);
        assert_int_equal(store_create_async(st, ops[i].key, "{}", 2, done, &ops[i]), 1);
    }
    store_close(st); /* drains the queue: every create committed and completed */
    assert_int_equal(ndone, 16);
    for (int i = 0; i < 16; i++) {
        assert_int_equal(ops[i].done, 1);
        assert_int_equal(ops[i].rc, 0);
    }
    char *err = NULL;
    assert_int_equal(store_sqlite_open(ts.path, &st, &err), 0);
    for (int i = 0; i < 16; i++) {
        struct store_kv kv;
        assert_int_equal(store_get(st, ops[i].key, &kv), 0);
        assert_int_equal(kv.mod_rev, ops[i].rev);
        store_kv_release(&kv);
    }
    store_close(st);
    test_store_rmdir(&ts);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_concurrent_async_creates),
        cmocka_unit_test(test_close_completes_queued),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
