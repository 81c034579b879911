/* Unit tests for util/text.c and the base64 codecs of util/util.c: the one copy of UTF-8
 * decoding, Go's strconv.Quote and base64 (std and url alphabets, padding). Expected quotes are
 * what Go 1.23's strconv.Quote returns for the same bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "util/buf.h"
#include "util/text.h"
#include "util/util.h"

static void check_quote(const char *in, size_t n, const char *want)
{
    struct buf b = BUF_INIT;
    assert_int_equal(go_quote(&b, in, n), 0);
    if (strcmp(b.data, want) != 0)
        fail_msg("quote: want [%s] got [%s]", want, b.data);
    assert_true(utf8_valid(b.data, b.len)); /* the quoted form is always valid UTF-8 */
    buf_release(&b);
}
#define Q(lit, want) check_quote(lit, sizeof(lit) - 1, want)

static void test_go_quote(void **state)
{
    Q("", "\"\"");
    Q("plain text", "\"plain text\"");
    Q("q\"b\\", "\"q\\\"b\\\\\"");
    Q("\a\b\f\n\r\t\v", "\"\\a\\b\\f\\n\\r\\t\\v\"");
    Q("a\0b", "\"a\\x00b\"");
    Q("\x1b[0m\x7f", "\"\\x1b[0m\\x7f\"");
    Q("日本語 é 😀", "\"日本語 é 😀\"");
    /* invalid UTF-8: each bad byte as \xNN (truncated, overlong, surrogate, past U+10FFFF) */
    Q("\xff", "\"\\xff\"");
    Q("a\xe6\x97", "\"a\\xe6\\x97\"");
    Q("\xc0\xaf", "\"\\xc0\\xaf\"");
    Q("\xed\xa0\x80", "\"\\xed\\xa0\\x80\"");
    Q("\xf4\x90\x80\x80", "\"\\xf4\\x90\\x80\\x80\"");
    /* non-printable runes: \u / \U */
    Q("\xc2\xa0", "\"\\u00a0\"");           /* NO-BREAK SPACE */
    Q("\xc2\xad", "\"\\u00ad\"");           /* SOFT HYPHEN */
    Q("\xc2\x85", "\"\\u0085\"");           /* C1 control */
    Q("\xe2\x80\xa8", "\"\\u2028\"");       /* LINE SEPARATOR */
    Q("\xe2\x80\x8b", "\"\\u200b\"");       /* ZERO WIDTH SPACE */
    Q("\xef\xbb\xbf", "\"\\ufeff\"");       /* BOM */
    Q("\xee\x80\x80", "\"\\ue000\"");       /* private use */
    Q("\xf3\xa0\x80\x81", "\"\\U000e0001\""); /* LANGUAGE TAG */
    Q("\xf4\x8f\xbf\xbf", "\"\\U0010ffff\""); /* noncharacter */
}

static void test_utf8(void **state)
{
    uint32_t cp;
    assert_int_equal(utf8_decode("A", 1, &cp), 1);
    assert_int_equal(cp, 'A');
    assert_int_equal(utf8_decode("\xc3\xa9", 2, &cp), 2);
    assert_int_equal(cp, 0xe9);
    assert_int_equal(utf8_decode("\xe6\x97\xa5", 3, &cp), 3);
    assert_int_equal(cp, 0x65e5);
    assert_int_equal(utf8_decode("\xf0\x9f\x98\x80", 4, &cp), 4);
    assert_int_equal(cp, 0x1f600);
    assert_int_equal(utf8_decode("\xf0\x9f\x98\x80", 3, &cp), 0); /* truncated */
    assert_int_equal(utf8_decode("\xc1\xbf", 2, &cp), 0);         /* overlong */
    assert_int_equal(utf8_decode("\xe0\x80\xbf", 3, &cp), 0);     /* overlong */
    assert_int_equal(utf8_decode("\xed\xbf\xbf", 3, &cp), 0);     /* surrogate */
    assert_int_equal(utf8_decode("\xf4\x90\x80\x80", 4, &cp), 0); /* > U+10FFFF */
    assert_int_equal(utf8_decode("\x80", 1, &cp), 0);             /* lone continuation */
    assert_int_equal(utf8_decode("\xc3\x28", 2, &cp), 0);         /* bad continuation */
    assert_int_equal(utf8_decode("\xf8\x88\x80\x80\x80", 5, &cp), 0);
    assert_int_equal(utf8_invalid_at("ok\xc3\xa9\xff!", 6), 4);
    assert_int_equal(utf8_invalid_at("ok", 2), 2);
    assert_int_equal(utf8_invalid_at("a\0b", 3), 3); /* NUL is valid UTF-8 */
    assert_true(utf8_valid("", 0));
    assert_false(utf8_valid("%-\xff", 3));
    char out[4];
    uint32_t cps[] = {0, 0x7f, 0x80, 0x7ff, 0x800, 0xffff, 0x10000, 0x10ffff};
    for (size_t i = 0; i < sizeof(cps) / sizeof(cps[0]); i++) {
        size_t n = utf8_encode(cps[i], out);
        assert_int_equal(utf8_decode(out, n, &cp), n);
        assert_int_equal(cp, cps[i]);
    }
}

static void check_b64(const char *in, const char *want, size_t want_len)
{
    size_t n = 99;
    unsigned char *d = base64_decode(in, strlen(in), &n);
    if (want == NULL) {
        if (d != NULL)
            fail_msg("base64_decode(%s): want NULL", in);
        return;
    }
    if (d == NULL)
        fail_msg("base64_decode(%s): NULL", in);
    assert_int_equal(n, want_len);
    assert_memory_equal(d, want, want_len);
    assert_int_equal(d[n], 0);
    free(d);
}

static void test_base64(void **state)
{
    char *e = base64_encode("", 0);
    assert_string_equal(e, "");
    free(e);
    e = base64_encode("f", 1);
    assert_string_equal(e, "Zg==");
    free(e);
    e = base64_encode("fo", 2);
    assert_string_equal(e, "Zm8=");
    free(e);
    e = base64_encode("\xfb\xff\xbf", 3);
    assert_string_equal(e, "+/+/");
    free(e);
    e = base64url_encode("\xfb\xff\xbf\x01", 4);
    assert_string_equal(e, "-_-_AQ"); /* url alphabet, no padding */
    free(e);
    /* the lenient decoder: std or url alphabet, padding optional */
    check_b64("Zm9vYmFy", "foobar", 6);
    check_b64("Zg==", "f", 1);
    check_b64("Zg", "f", 1);
    check_b64("Zm8=", "fo", 2);
    check_b64("Zm8", "fo", 2);
    check_b64("+/+/", "\xfb\xff\xbf", 3);
    check_b64("-_-_", "\xfb\xff\xbf", 3);
    check_b64("", "", 0);
    check_b64("Z", NULL, 0);       /* a length that cannot occur */
    check_b64("Zm9v\n", NULL, 0);  /* not in the alphabet */
    check_b64("Zg===", NULL, 0);   /* three padding characters */
    check_b64("Z=g=", NULL, 0);    /* padding inside */
    /* the strict raw-url decoder (JWT segments) */
    size_t n;
    unsigned char *d = base64url_decode_raw("AQAB", 4, &n);
    assert_non_null(d);
    assert_int_equal(n, 3);
    assert_memory_equal(d, "\x01\x00\x01", 3);
    free(d);
    d = base64url_decode_raw("_-8", 3, &n);
    assert_non_null(d);
    assert_int_equal(n, 2);
    assert_memory_equal(d, "\xff\xef", 2);
    free(d);
    d = base64url_decode_raw("-_-_", 4, &n);
    assert_non_null(d);
    assert_memory_equal(d, "\xfb\xff\xbf", 3);
    free(d);
    assert_null(base64url_decode_raw("AQ==", 4, &n));
    assert_null(base64url_decode_raw("+/+/", 4, &n));
    assert_null(base64url_decode_raw("AQABA", 5, &n));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_go_quote),
        cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_base64),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
