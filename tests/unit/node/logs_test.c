/* logs_test.c — the CRI log renderer and its time helpers (src/node/logs.c): RFC 3339 parsing
 * (fractions, offsets, rejects), Go's RFC3339Nano output, and pods/log rendering of CRI
 * records: full and partial lines, --tail across partial records, --since, --timestamps,
 * --limit-bytes, and legacy plain log files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "node/logs.h"
#include "util/util.h"

static int64_t t(const char *s)
{
    int64_t ns = -1;
    assert_true(time_parse_rfc3339_ns(s, strlen(s), &ns));
    return ns;
}

static void test_parse_time(void **state)
{
    (void)state;
    assert_int_equal(t("1970-01-01T00:00:00Z"), 0);
    assert_int_equal(t("1970-01-01T00:00:01.5Z"), 1500000000);
    assert_int_equal(t("2024-02-29T12:00:00Z"), (int64_t)1709208000 * 1000000000);
    assert_int_equal(t("2024-02-29T13:00:00+01:00"), (int64_t)1709208000 * 1000000000);
    assert_int_equal(t("2024-02-29T11:30:00-00:30"), (int64_t)1709208000 * 1000000000);
    assert_int_equal(t("2024-02-29T12:00:00.123456789123Z"), (int64_t)1709208000 * 1000000000 + 123456789);
    int64_t ns;
    const char *bad[] = {"", "2024-02-29", "2024-02-29T12:00:00", "2024-13-01T00:00:00Z",
                         "2024-02-29T24:00:00Z", "2024-02-29T12:00:00.Z", "2024-02-29T12:00:00Zx",
                         "2024-02-29 12:00:00Z", "2024-02-29T12:00:00+0100", "x024-02-29T12:00:00Z"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_false(time_parse_rfc3339_ns(bad[i], strlen(bad[i]), &ns));
}

static void test_format_time(void **state)
{
    (void)state;
    char out[36];
    node_log_format_time((int64_t)1709208000 * 1000000000, out);
    assert_string_equal(out, "2024-02-29T12:00:00Z");
    node_log_format_time((int64_t)1709208000 * 1000000000 + 120000000, out);
    assert_string_equal(out, "2024-02-29T12:00:00.12Z");
    node_log_format_time((int64_t)1709208000 * 1000000000 + 1, out);
    assert_string_equal(out, "2024-02-29T12:00:00.000000001Z");
}

static const char LOG[] = "2024-02-29T12:00:00.000000000Z stdout F one\n"
                          "2024-02-29T12:00:01.000000000Z stderr F two\n"
                          "2024-02-29T12:00:02.000000000Z stdout P thr\n"
                          "2024-02-29T12:00:03.000000000Z stdout F ee\n"
                          "2024-02-29T12:00:04.000000000Z stdout F \n"
                          "2024-02-29T12:00:05.000000000Z stdout F five\n";

static char *render(const char *data, struct node_log_render o)
{
    size_t len = 0;
    char *r = node_log_render(data, strlen(data), &o, &len);
    assert_int_equal(strlen(r), len);
    return r;
}

#define ALL {.tail_lines = -1}

static void check(const char *data, struct node_log_render o, const char *want)
{
    char *r = render(data, o);
    assert_string_equal(r, want);
    free(r);
}

static void test_render(void **state)
{
    (void)state;
    check(LOG, (struct node_log_render)ALL, "one\ntwo\nthree\n\nfive\n");
    check(LOG, (struct node_log_render){.tail_lines = 0}, "");
    check(LOG, (struct node_log_render){.tail_lines = 2}, "\nfive\n");
    /* a line split in P records counts once and comes whole */
    check(LOG, (struct node_log_render){.tail_lines = 3}, "three\n\nfive\n");
    check(LOG, (struct node_log_render){.tail_lines = 99}, "one\ntwo\nthree\n\nfive\n");
    check(LOG, (struct node_log_render){.tail_lines = -1, .limit_bytes = 6}, "one\ntw");
    check(LOG, (struct node_log_render){.tail_lines = -1, .has_since = true,
                                        .since_ns = t("2024-02-29T12:00:04Z")}, "\nfive\n");
    check(LOG, (struct node_log_render){.tail_lines = -1, .has_since = true,
                                        .since_ns = t("2030-01-01T00:00:00Z")}, "");
    check(LOG, (struct node_log_render){.tail_lines = 2, .timestamps = true},
          "2024-02-29T12:00:04Z \n2024-02-29T12:00:05Z five\n");
    check(LOG, (struct node_log_render){.tail_lines = 3, .timestamps = true},
          "2024-02-29T12:00:02Z three\n2024-02-29T12:00:04Z \n2024-02-29T12:00:05Z five\n");
    /* legacy plain logs: as they are, the last line's missing newline kept missing */
    check("a\nb", (struct node_log_render)ALL, "a\nb");
    check("a\nb\n", (struct node_log_render){.tail_lines = 1}, "b\n");
    check("", (struct node_log_render)ALL, "");
    /* not a record: wrong stream or tag */
    check("2024-02-29T12:00:00Z stdin F x\n", (struct node_log_render)ALL, "2024-02-29T12:00:00Z stdin F x\n");
    check("2024-02-29T12:00:00Z stdout X x\n", (struct node_log_render)ALL, "2024-02-29T12:00:00Z stdout X x\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_time),
        cmocka_unit_test(test_format_time),
        cmocka_unit_test(test_render),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
