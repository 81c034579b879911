/* Unit tests for util/epoch.c: a retired version is never freed while a reader that could
 * see it is still in its read section, every retired callback runs, and slots of finished
 * threads are reused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include "util/buf.h"
#include "util/epoch.h"

#define MAGIC 0x5eed5eedu

struct version {
    _Atomic unsigned magic; /* MAGIC while alive; poisoned by the free callback */
    uint64_t n;
};

static _Atomic(struct version *) published;
static atomic_bool stop;
static atomic_long freed, bad;

static struct version *version_new(uint64_t n)
{
    struct version *v = xcalloc(1, sizeof(*v));
    atomic_init(&v->magic, MAGIC);
    v->n = n;
    return v;
}

static void version_free(void *p)
{
    struct version *v = p;
    atomic_store(&v->magic, 0xdeadu);
    atomic_fetch_add(&freed, 1);
    free(v);
}

static void *reader(void *arg)
{
    uint64_t last = 0;
    long reads = 0;
    while (!atomic_load(&stop) || reads < 1000) {
        epoch_enter();
        struct version *v = atomic_load(&published);
        for (int i = 0; i < 8; i++) /* a read section that takes a moment */
            if (atomic_load(&v->magic) != MAGIC)
                atomic_fetch_add(&bad, 1);
        if (v->n < last) /* versions are seen in publication order */
            atomic_fetch_add(&bad, 1);
        last = v->n;
        epoch_exit();
        reads++;
    }
    return arg;
}

static void test_readers_never_see_freed_versions(void **state)
{
    (void)state;
    atomic_store(&published, version_new(0));
    atomic_store(&stop, false);
    atomic_store(&freed, 0);
    atomic_store(&bad, 0);
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, reader, NULL), 0);
    const long versions = 20000;
    for (long i = 1; i <= versions; i++) {
        struct version *old = atomic_exchange(&published, version_new((uint64_t)i));
        epoch_retire(version_free, old);
    }
    atomic_store(&stop, true);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    epoch_drain();
    assert_int_equal(atomic_load(&bad), 0);
    assert_int_equal(atomic_load(&freed), versions); /* every retired version, exactly once */
    assert_int_equal(epoch_poll(), 0);
    version_free(atomic_load(&published));
}

/* A reader inside its section holds back exactly the versions retired after it entered. */
static atomic_int phase;

static void *parked_reader(void *arg)
{
    epoch_enter();
    struct version *v = atomic_load(&published);
    atomic_store(&phase, 1);
    while (atomic_load(&phase) != 2)
        ;
    if (atomic_load(&v->magic) != MAGIC)
        atomic_fetch_add(&bad, 1);
    epoch_exit();
    return arg;
}

static void test_parked_reader_holds_back_reclamation(void **state)
{
    (void)state;
    atomic_store(&published, version_new(0));
    atomic_store(&freed, 0);
    atomic_store(&bad, 0);
    atomic_store(&phase, 0);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, parked_reader, NULL), 0);
    while (atomic_load(&phase) != 1)
        ;
    epoch_retire(version_free, atomic_exchange(&published, version_new(1)));
    assert_int_equal(epoch_poll(), 1); /* the reader may still use v0 */
    assert_int_equal(atomic_load(&freed), 0);
    atomic_store(&phase, 2);
    pthread_join(t, NULL);
    assert_int_equal(epoch_poll(), 0);
    assert_int_equal(atomic_load(&freed), 1);
    assert_int_equal(atomic_load(&bad), 0);
    /* nested sections: the outer one still counts after the inner one ends */
    epoch_enter();
    epoch_enter();
    epoch_exit();
    epoch_retire(version_free, atomic_exchange(&published, version_new(2)));
    assert_int_equal(epoch_poll(), 1);
    epoch_exit();
    assert_int_equal(epoch_poll(), 0);
    version_free(atomic_load(&published));
}

static void *enter_exit(void *arg)
{
    epoch_enter();
    epoch_exit();
    return arg;
}

static void test_slots_are_reused(void **state)
{
    (void)state;
    /* many short-lived threads one after another: each takes the slot the last one gave
     * back at its exit, so the slot list (scanned by every poll) does not grow */
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, enter_exit, NULL), 0);
    pthread_join(t, NULL);
    size_t before = epoch_slot_count();
    for (int i = 0; i < 200; i++) {
        assert_int_equal(pthread_create(&t, NULL, enter_exit, NULL), 0);
        pthread_join(t, NULL);
    }
    assert_int_equal(epoch_slot_count(), before);
    assert_int_equal(epoch_poll(), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_readers_never_see_freed_versions),
        cmocka_unit_test(test_parked_reader_holds_back_reclamation),
        cmocka_unit_test(test_slots_are_reused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
