/* h2ohead_test.c — the __sprintf_chk of src/http/tlswrite.c (libh2o's response head written
 * without vfprintf) prints exactly what glibc prints for libh2o's three head formats, and
 * passes every other format to glibc. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <string.h>

int __sprintf_chk(char *s, int flag, size_t slen, const char *fmt, ...);

#define HEAD_CL "HTTP/1.1 %d %s\r\nDate: %s\r\nConnection: %s\r\nContent-Length: %zu\r\n"
#define HEAD "HTTP/1.1 %d %s\r\nDate: %s\r\nConnection: %s\r\n"

/* the format through a variable, so the compiler neither checks nor folds it */
static const char *volatile fmt_cl = HEAD_CL;
static const char *volatile fmt_head = HEAD;
static const char *volatile fmt_server = "Server: %s\r\n";

static void test_heads_equal_glibc(void **state)
{
    (void)state;
    static const int statuses[] = { 200, 201, 404, 101, 0, 9, 1000, -5, INT_MAX, INT_MIN };
    static const size_t lens[] = { 0, 7, 517, 65536, (size_t)-1 };
    static const char *reasons[] = { "OK", "Created", "", "Not Found" };
    char got[512], want[512];
    for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
        for (size_t j = 0; j < sizeof(lens) / sizeof(lens[0]); j++)
            for (size_t r = 0; r < sizeof(reasons) / sizeof(reasons[0]); r++) {
                const char *date = "Mon, 07 Dec 2026 04:20:00 GMT";
                int wn = snprintf(want, sizeof(want), HEAD_CL, statuses[i], reasons[r], date,
                                  "keep-alive", lens[j]);
                memset(got, 'x', sizeof(got));
                int gn = __sprintf_chk(got, 1, sizeof(got), fmt_cl, statuses[i], reasons[r],
                                       date, "keep-alive", lens[j]);
                assert_int_equal(gn, wn);
                assert_string_equal(got, want);
                wn = snprintf(want, sizeof(want), HEAD, statuses[i], reasons[r], date, "close");
                gn = __sprintf_chk(got, 1, sizeof(got), fmt_head, statuses[i], reasons[r], date,
                                   "close");
                assert_int_equal(gn, wn);
                assert_string_equal(got, want);
            }
    int gn = __sprintf_chk(got, 1, sizeof(got), fmt_server, "h2o/2.2.5");
    assert_int_equal(gn, 19);
    assert_string_equal(got, "Server: h2o/2.2.5\r\n");
    /* the exact fit: total + NUL == slen */
    gn = __sprintf_chk(got, 1, 20, fmt_server, "h2o/2.2.5");
    assert_int_equal(gn, 19);
    assert_string_equal(got, "Server: h2o/2.2.5\r\n");
}

static void test_other_formats_pass_through(void **state)
{
    (void)state;
    char got[128];
    static const char *volatile other = "%s=%05d|%x";
    int n = __sprintf_chk(got, 1, sizeof(got), other, "a", 42, 255u);
    assert_int_equal(n, 10);
    assert_string_equal(got, "a=00042|ff");
    /* a NULL argument is glibc's to print */
    n = __sprintf_chk(got, 1, sizeof(got), fmt_server, (const char *)NULL);
    assert_string_equal(got, "Server: (null)\r\n");
    assert_int_equal(n, 16);
    /* almost libh2o's format, but not it */
    static const char *volatile near = "HTTP/1.1 %d %s\r\n";
    n = __sprintf_chk(got, 1, sizeof(got), near, 204, "No Content");
    assert_string_equal(got, "HTTP/1.1 204 No Content\r\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_heads_equal_glibc),
        cmocka_unit_test(test_other_formats_pass_through),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
