/* query_test.c — query_parse against Go's url.ParseQuery/URL.Query() behaviour (split on
 * '&', first '=' splits, '+' is a space, malformed escapes and ';' drop the pair, repeated
 * names keep order), the limits, and query_bool against strconv.ParseBool. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/query.h"
#include "util/err.h"

/* One case: input and the expected decoded pairs "name=value" joined with '|'. */
struct parse_case {
    const char *in;
    const char *want; /* NULL: expect AZ_EBADREQUEST */
};

static const struct parse_case parse_cases[] = {
    {"", ""},
    {"a=1", "a=1"},
    {"a=1&b=2", "a=1|b=2"},
    {"a", "a="},
    {"a=", "a="},
    {"=x", "=x"},
    {"&&a=1&&", "a=1"},
    {"a=1=2", "a=1=2"},
    {"a=b+c", "a=b c"},
    {"a%20b=c%2Bd", "a b=c+d"},
    {"labelSelector=app%3Dweb%2Cenv+in+%28a%2Cb%29", "labelSelector=app=web,env in (a,b)"},
    {"x=%zz&y=2", "y=2"},           /* bad escape drops only that pair */
    {"x=%4&y=2", "y=2"},            /* truncated escape */
    {"x=1%&y=2", "y=2"},
    {"%=1&y=2", "y=2"},             /* bad escape in the name */
    {"a=1;b=2&c=3", "c=3"},         /* ';' drops the whole segment */
    {"w=1&w=2", "w=1|w=2"},
    {"fieldSelector=metadata.name%3D%3Dfoo", "fieldSelector=metadata.name==foo"},
    {"a=%C3%A9", "a=\xc3\xa9"},
    {"a=%00", NULL},                /* decoded NUL: rejected */
};

static void join_params(const struct query *q, char *buf, size_t n)
{
    buf[0] = '\0';
    size_t used = 0;
    for (size_t i = 0; i < q->nparams; i++) {
        int w = snprintf(buf + used, n - used, "%s%s=%s", i ? "|" : "", q->params[i].name,
                         q->params[i].value);
        assert_true(w >= 0 && (size_t)w < n - used);
        used += (size_t)w;
    }
}

static void test_parse_table(void **state)
{
    for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
        const struct parse_case *c = &parse_cases[i];
        struct query q;
        int r = query_parse(c->in, strlen(c->in), &q);
        if (c->want == NULL) {
            if (r != AZ_EBADREQUEST)
                fail_msg("case %zu %s: want AZ_EBADREQUEST, got %d", i, c->in, r);
            assert_int_equal(q.nparams, 0);
            query_release(&q);
            continue;
        }
        if (r != 0)
            fail_msg("case %zu %s: parse failed %d", i, c->in, r);
        char got[512];
        join_params(&q, got, sizeof(got));
        if (strcmp(got, c->want) != 0)
            fail_msg("case %zu %s: want [%s] got [%s]", i, c->in, c->want, got);
        query_release(&q);
    }
}

static void test_get_has(void **state)
{
    struct query q;
    const char *s = "watch&limit=500&w=1&w=2&empty=";
    assert_int_equal(query_parse(s, strlen(s), &q), 0);
    assert_true(query_has(&q, "watch"));
    assert_string_equal(query_get(&q, "watch"), "");
    assert_string_equal(query_get(&q, "limit"), "500");
    assert_string_equal(query_get(&q, "w"), "1"); /* first value, like url.Values.Get */
    assert_true(query_has(&q, "empty"));
    assert_false(query_has(&q, "missing"));
    assert_null(query_get(&q, "missing"));
    assert_null(query_get(&q, "Limit")); /* names are case-sensitive */
    assert_null(query_get(NULL, "x"));
    query_release(&q);
    query_release(&q); /* idempotent */
}

static void test_not_nul_terminated(void **state)
{
    /* len, not NUL, bounds the input. */
    const char buf[] = {'a', '=', '1', '&', 'b', '=', '2'};
    struct query q;
    assert_int_equal(query_parse(buf, 5, &q), 0);
    assert_int_equal(q.nparams, 2);
    assert_string_equal(query_get(&q, "a"), "1");
    assert_string_equal(query_get(&q, "b"), "");
    query_release(&q);
}

static void test_limits(void **state)
{
    char buf[QUERY_MAX_BYTES + 16];
    struct query q;
    /* exactly QUERY_MAX_PARAMS params: ok; one more: rejected */
    size_t n = 0;
    for (int i = 0; i < QUERY_MAX_PARAMS; i++)
        n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%sp%d=%d", i ? "&" : "", i, i);
    assert_int_equal(query_parse(buf, n, &q), 0);
    assert_int_equal(q.nparams, QUERY_MAX_PARAMS);
    assert_string_equal(query_get(&q, "p63"), "63");
    query_release(&q);
    n += (size_t)snprintf(buf + n, sizeof(buf) - n, "&x=1");
    assert_int_equal(query_parse(buf, n, &q), AZ_EBADREQUEST);
    query_release(&q);

    /* total size */
    memset(buf, 'a', sizeof(buf));
    buf[0] = 'k', buf[1] = '=';
    assert_int_equal(query_parse(buf, QUERY_MAX_BYTES, &q), 0);
    assert_int_equal(strlen(query_get(&q, "k")), QUERY_MAX_BYTES - 2);
    query_release(&q);
    assert_int_equal(query_parse(buf, QUERY_MAX_BYTES + 1, &q), AZ_EBADREQUEST);
    query_release(&q);
}

static void test_bool(void **state)
{
    static const char *const truths[] = {"1", "t", "T", "TRUE", "true", "True"};
    static const char *const falses[] = {"0", "f", "F", "FALSE", "false", "False"};
    static const char *const bad[] = {"", "yes", "tRUE", "fAlse", "2", "on", " true", "true "};
    char s[64];
    struct query q;
    bool b;
    for (size_t i = 0; i < 6; i++) {
        snprintf(s, sizeof(s), "x=%s", truths[i]);
        assert_int_equal(query_parse(s, strlen(s), &q), 0);
        b = false;
        assert_int_equal(query_bool(&q, "x", &b), 0);
        assert_true(b);
        query_release(&q);
        snprintf(s, sizeof(s), "x=%s", falses[i]);
        assert_int_equal(query_parse(s, strlen(s), &q), 0);
        b = true;
        assert_int_equal(query_bool(&q, "x", &b), 0);
        assert_false(b);
        query_release(&q);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(s, sizeof(s), "x=%s", bad[i]);
        for (char *c = s; *c; c++)
            if (*c == ' ')
                *c = '+';
        assert_int_equal(query_parse(s, strlen(s), &q), 0);
        b = true;
        if (query_bool(&q, "x", &b) != AZ_EBADREQUEST)
            fail_msg("query_bool accepted %s", bad[i]);
        assert_true(b); /* untouched */
        query_release(&q);
    }
    assert_int_equal(query_parse("y=1", 3, &q), 0);
    b = true;
    assert_int_equal(query_bool(&q, "x", &b), AZ_ENOTFOUND);
    assert_true(b);
    query_release(&q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_table),
        cmocka_unit_test(test_get_has),
        cmocka_unit_test(test_not_nul_terminated),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_bool),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
