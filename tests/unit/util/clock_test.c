/* Unit tests for util/clock.c: the testing offset moves both clocks, directly and through
 * the offset file (re-read when the file changes; bad content keeps the previous offset). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "util/clock.h"
#include "util/err.h"

/* a - b in ms, for readings taken within the same (unmoved) real second or so */
static void assert_moved(int64_t before, int64_t after, int64_t by)
{
    /* the real clock advances a little between readings; never by an hour */
    if (after - before < by || after - before > by + 60000)
        fail_msg("moved by %lld ms, want %lld (+ a little)", (long long)(after - before), (long long)by);
}

static void test_offset_moves_both_clocks(void **state)
{
    clock_testing_set_offset_ms(0);
    int64_t w0 = clock_wall_ms();
    int64_t m0 = (int64_t)now_ms();
    time_t s0 = clock_wall_s();
    clock_testing_set_offset_ms(3600 * 1000);
    assert_moved(w0, clock_wall_ms(), 3600 * 1000);
    assert_moved(m0, (int64_t)now_ms(), 3600 * 1000);
    assert_moved((int64_t)s0 * 1000, (int64_t)clock_wall_s() * 1000, 3599 * 1000);
    assert_int_equal(clock_testing_offset_ms(), 3600 * 1000);
    /* time only moves forward: a negative offset is 0 */
    clock_testing_set_offset_ms(-5);
    assert_int_equal(clock_testing_offset_ms(), 0);
}

static void test_wall_timespec_normalised(void **state)
{
    clock_testing_set_offset_ms(999);
    for (int i = 0; i < 1000; i++) {
        struct timespec ts;
        clock_wall(&ts);
        assert_true(ts.tv_nsec >= 0 && ts.tv_nsec < 1000000000L);
    }
    clock_testing_set_offset_ms(0);
}

static void write_file(const char *dir, const char *path, const char *text)
{
    char tmp[256];
    snprintf(tmp, sizeof(tmp), "%s/tmp", dir);
    FILE *f = fopen(tmp, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    assert_int_equal(rename(tmp, path), 0);
}

static void test_offset_file(void **state)
{
    char dir[] = "/tmp/anzen-clock-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof(path), "%s/offset", dir);
    assert_int_equal(clock_testing_offset_file(""), AZ_EINVALID);
    /* missing file: no offset */
    assert_int_equal(clock_testing_offset_file(path), 0);
    assert_int_equal(clock_testing_offset_ms(), 0);
    write_file(dir, path, "61\n");
    assert_int_equal(clock_testing_offset_ms(), 61000);
    int64_t w = clock_wall_ms();
    write_file(dir, path, "3661");
    assert_moved(w, clock_wall_ms(), 3600 * 1000);
    /* not a number, negative, trailing junk: the previous offset stays */
    write_file(dir, path, "soon");
    assert_int_equal(clock_testing_offset_ms(), 3661000);
    write_file(dir, path, "-10");
    assert_int_equal(clock_testing_offset_ms(), 3661000);
    write_file(dir, path, "5 s");
    assert_int_equal(clock_testing_offset_ms(), 3661000);
    write_file(dir, path, "0");
    assert_int_equal(clock_testing_offset_ms(), 0);
    write_file(dir, path, "7");
    assert_int_equal(clock_testing_offset_ms(), 7000);
    /* the file removed: back to no offset */
    unlink(path);
    assert_int_equal(clock_testing_offset_ms(), 0);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_offset_moves_both_clocks),
        cmocka_unit_test(test_wall_timespec_normalised),
        cmocka_unit_test(test_offset_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
