/* Unit tests for util/biglock.c: the held flag is per thread, suspend/resume hand the lock
 * to another thread for the duration of a wait, and the lock excludes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <pthread.h>
#include <cmocka.h>
#include "util/biglock.h"

static int counter;

static void *other_thread(void *arg)
{
    (void)arg;
    assert_false(biglock_held());
    assert_int_equal(biglock_suspend(), 0); /* not held here: nothing to release */
    biglock_lock();
    counter++;
    biglock_unlock();
    return NULL;
}

static void test_suspend_lets_another_thread_in(void **state)
{
    (void)state;
    counter = 0;
    biglock_lock();
    assert_true(biglock_held());
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, other_thread, NULL), 0);
    int held = biglock_suspend();
    assert_int_equal(held, 1);
    assert_false(biglock_held());
    pthread_join(t, NULL); /* would deadlock if suspend had not released the lock */
    biglock_resume(held);
    assert_true(biglock_held());
    assert_int_equal(counter, 1);
    biglock_unlock();
    assert_false(biglock_held());
    biglock_resume(biglock_suspend()); /* not held: stays unheld */
    assert_false(biglock_held());
}

static void *adder(void *arg)
{
    for (int i = 0; i < 100000; i++) {
        biglock_lock();
        counter++;
        biglock_unlock();
    }
    return arg;
}

static void test_excludes(void **state)
{
    (void)state;
    counter = 0;
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, adder, NULL), 0);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(counter, 400000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_suspend_lets_another_thread_in),
        cmocka_unit_test(test_excludes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
