/* Unit tests for util/util.c: the one RFC3339 parser (used by Table ages, container log
 * timestamps, sinceTime, token checks) and the one source of randomness. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "util/util.h"

static int64_t ns_of(const char *s)
{
    int64_t ns = -1;
    if (!time_parse_rfc3339_ns(s, strlen(s), &ns))
        fail_msg("not parsed: %s", s);
    return ns;
}

static void test_time_parse(void **state)
{
    const int64_t S = 1000000000;
    assert_int_equal(ns_of("1970-01-01T00:00:00Z"), 0);
    assert_int_equal(ns_of("2024-02-29T12:00:00Z"), 1709208000 * S);
    assert_int_equal(ns_of("2024-02-29t12:00:00z"), 1709208000 * S);
    assert_int_equal(ns_of("2024-02-29T13:00:00+01:00"), 1709208000 * S);
    assert_int_equal(ns_of("2024-02-29T11:30:00-00:30"), 1709208000 * S);
    assert_int_equal(ns_of("2024-02-29T12:00:00.5Z"), 1709208000 * S + 500000000);
    assert_int_equal(ns_of("1969-12-31T23:59:59.25Z"), -S + 250000000);
    assert_int_equal(ns_of("2000-02-29T00:00:00Z"), 951782400 * S); /* 400-year leap */
    assert_int_equal(ns_of("1678-01-01T00:00:00Z"), -9214560000LL * S);
    const char *bad[] = {"", "2024-02-29", "2024-02-29T12:00:00", "2023-02-29T00:00:00Z",
                         "1900-02-29T00:00:00Z", "2024-04-31T00:00:00Z", "2024-13-01T00:00:00Z",
                         "2024-00-01T00:00:00Z", "2024-01-00T00:00:00Z", "2024-02-29T24:00:00Z",
                         "2024-02-29T12:60:00Z", "2024-02-29T12:00:60Z", "2024-02-29T12:00:00.Z",
                         "2024-02-29T12:00:00Zx", "2024-02-29 12:00:00Z", "2024-02-29T12:00:00+0100",
                         "2024-02-29T12:00:00+24:00", "1677-12-31T23:59:59Z", "2262-01-01T00:00:00Z",
                         "x024-02-29T12:00:00Z"};
    int64_t ns;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (time_parse_rfc3339_ns(bad[i], strlen(bad[i]), &ns))
            fail_msg("parsed: %s", bad[i]);
    /* whole seconds, rounded down */
    assert_int_equal(time_parse_rfc3339("2024-02-29T12:00:00.999Z"), 1709208000);
    assert_int_equal(time_parse_rfc3339("1969-12-31T23:59:58.5Z"), -2);
    assert_int_equal(time_parse_rfc3339(NULL), -1);
    assert_int_equal(time_parse_rfc3339("nope"), -1);
    char out[32];
    time_rfc3339(1709208000, out);
    assert_string_equal(out, "2024-02-29T12:00:00Z");
}

static void test_random(void **state)
{
    unsigned char a[32] = {0}, b[32] = {0}, zero[32] = {0};
    random_bytes(a, sizeof(a));
    random_bytes(b, sizeof(b));
    assert_memory_not_equal(a, b, sizeof(a));
    assert_memory_not_equal(a, zero, sizeof(a));
    char u[37];
    uuid_v4(u);
    assert_int_equal(strlen(u), 36);
    assert_int_equal(u[14], '4');
    assert_non_null(strchr("89ab", u[19]));
    /* drawn from a per-thread block of 256: across two refills, every one well-formed and
     * different from all others */
    static char many[600][37];
    for (size_t i = 0; i < 600; i++) {
        uuid_v4(many[i]);
        assert_int_equal(strlen(many[i]), 36);
        assert_int_equal(strspn(many[i], "0123456789abcdef-"), 36);
        assert_true(many[i][8] == '-' && many[i][13] == '-' && many[i][18] == '-' && many[i][23] == '-');
        assert_int_equal(many[i][14], '4');
        assert_non_null(strchr("89ab", many[i][19]));
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(many[i], many[j]);
    }
    char sfx[6];
    random_suffix(sfx);
    assert_int_equal(strspn(sfx, "bcdfghjklmnpqrstvwxz2456789"), 5);
    assert_true(ct_equal("abc", 3, "abc", 3));
    assert_false(ct_equal("abc", 3, "abd", 3));
    assert_false(ct_equal("abc", 3, "abcd", 4));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_time_parse),
        cmocka_unit_test(test_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
