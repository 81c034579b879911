/* Unit tests for util/yaml.c: documents built from untrusted text never write diagnostics
 * (libfyaml's default quotes the offending input line on stderr — a request body may hold a
 * Secret's data), whether the text fails to parse or its conversion to JSON fails; the
 * conversion gives the values libfyaml 0.7.12's JSON emitter gave (recorded from it), without
 * the emitter (which leaks on escaped scalars). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <jansson.h>
#include "util/yaml.h"

/* Runs fn with stderr sent to a temporary file; returns what was written (caller frees). */
static char *stderr_of(void (*fn)(void))
{
    fflush(stderr);
    FILE *tmp = tmpfile();
    assert_non_null(tmp);
    int saved = dup(2);
    assert_true(saved >= 0);
    assert_int_equal(dup2(fileno(tmp), 2), 2);
    fn();
    fflush(stderr);
    assert_int_equal(dup2(saved, 2), 2);
    close(saved);
    assert_int_equal(fseek(tmp, 0, SEEK_END), 0);
    long n = ftell(tmp);
    assert_true(n >= 0);
    char *out = calloc(1, (size_t)n + 1);
    rewind(tmp);
    assert_int_equal(fread(out, 1, (size_t)n, tmp), (size_t)n);
    fclose(tmp);
    return out;
}

static void parse_errors(void)
{
    static const char *const bad[] = {
        "kind: Secret\nstringData:\n  password: [s3cr3t-marker\n  c: {",
        "a: \"s3cr3t-marker\n",
        "s3cr3t-marker: [}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_null(yaml_document_quiet(bad[i], strlen(bad[i]), 0));
}

static void test_parse_error_is_silent(void **state)
{
    char *out = stderr_of(parse_errors);
    if (out[0] != '\0')
        fail_msg("diagnostics written: [%s]", out);
    free(out);
}

static void emit_error(void)
{
    const char *text = "s3cr3t-marker: &x [1]\nb: *x\n";
    struct fy_document *fyd = yaml_document_quiet(text, strlen(text), 0);
    assert_non_null(fyd);
    char *js = yaml_document_to_json(fyd);
    assert_null(js); /* aliases cannot be JSON */
    fy_document_destroy(fyd);
}

static void test_emit_error_is_silent(void **state)
{
    char *out = stderr_of(emit_error);
    if (out[0] != '\0')
        fail_msg("diagnostics written: [%s]", out);
    free(out);
}

static void test_valid_document(void **state)
{
    const char *text = "a: 1\na: 2\n";
    assert_null(yaml_document_quiet(text, strlen(text), 0)); /* duplicate keys refused... */
    struct fy_document *fyd = yaml_document_quiet(text, strlen(text), FYPCF_ALLOW_DUPLICATE_KEYS);
    assert_non_null(fyd); /* ...unless allowed */
    fy_document_destroy(fyd);
    text = "kind: ConfigMap\ndata: {k: v}\n";
    fyd = yaml_document_quiet(text, strlen(text), 0);
    assert_non_null(fyd);
    char *js = yaml_document_to_json(fyd);
    assert_non_null(js);
    assert_non_null(strstr(js, "\"data\""));
    free(js);
    fy_document_destroy(fyd);
}

/* YAML in, the JSON value libfyaml's JSON emitter gave for it (NULL: refused) */
static const char *const conversions[][2] = {
    {"k:\n", "{\"k\": null}"},
    {"k: ~\n", "{\"k\": \"~\"}"},
    {"k: null\nt: true\nf: false\n", "{\"k\": null, \"t\": true, \"f\": false}"},
    {"k: True\n", "{\"k\": \"True\"}"},
    {"k: !!str 5\nl: ! 5\nm: !foo 5\n", "{\"k\": \"5\", \"l\": \"5\", \"m\": 5}"},
    {"k: !!str\n", "{\"k\": \"\"}"},
    {"k: !!int \"5\"\n", "{\"k\": \"5\"}"},
    {"a: 1e5\nb: 1E+5\nc: -0.5e-3\nd: 0\ne: -0\nf: 1.5E3\n",
     "{\"a\": 1e5, \"b\": 1E+5, \"c\": -0.5e-3, \"d\": 0, \"e\": -0, \"f\": 1.5E3}"},
    {"a: 0x10\nb: 01\nc: .5\nd: 1.\ne: 1e\nf: -01\ng: 1e-\n",
     "{\"a\": \"0x10\", \"b\": \"01\", \"c\": \".5\", \"d\": \"1.\", \"e\": \"1e\", \"f\": \"-01\", \"g\": \"1e-\"}"},
    {"k: \"5\"\nl: ''\n", "{\"k\": \"5\", \"l\": \"\"}"},
    {"k: \"tab\\there\\u00e9\\x01\"\n", "{\"k\": \"tab\\there\u00e9\\u0001\"}"},
    {"k: \"\\\\ \\\" \\/ \\e\"\n", "{\"k\": \"\\\\ \\\" / \\u001b\"}"},
    {"k: |\n  x\n  y\nl: >\n  a\n  b\nm: a\n  b\n", "{\"k\": \"x\\ny\\n\", \"l\": \"a b\\n\", \"m\": \"a b\"}"},
    {"- \n- x\n- [1, a, ]\n", "[null, \"x\", [1, \"a\"]]"},
    {": v\n", "{\"\": \"v\"}"},
    {"'it''s': 'a''b'\n", "{\"it's\": \"a'b\"}"},
    {"a: 1\n---\nb: 2\n", "{\"a\": 1}"},
    {"5\n", "5"},
    {"\"x\"\n", "\"x\""},
    {"k: \"a\\0b\"\n", "{\"k\": \"a\\u0000b\"}"},
    {"? [a]\n: b\n", NULL},
    {"a: &x 1\nb: *x\n", NULL},
};

static void test_conversions(void **state)
{
    for (size_t i = 0; i < sizeof(conversions) / sizeof(conversions[0]); i++) {
        const char *in = conversions[i][0], *want = conversions[i][1];
        struct fy_document *fyd = yaml_document_quiet(in, strlen(in), 0);
        if (fyd == NULL)
            fail_msg("not parsed: [%s]", in);
        char *js = yaml_document_to_json(fyd);
        fy_document_destroy(fyd);
        if (want == NULL) {
            if (js != NULL)
                fail_msg("[%s]: want refused, got %s", in, js);
            continue;
        }
        if (js == NULL)
            fail_msg("[%s]: refused, want %s", in, want);
        json_t *got = json_loads(js, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
        json_t *exp = json_loads(want, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
        assert_non_null(exp);
        if (got == NULL || !json_equal(got, exp))
            fail_msg("[%s]: want %s, got %s", in, want, js);
        json_decref(got);
        json_decref(exp);
        free(js);
    }
}

/* A scalar nested past the limit is refused, not converted by unbounded recursion. */
static void test_depth_limit(void **state)
{
    size_t n = YAML_JSON_MAX_DEPTH + 10;
    char *in = malloc(2 * n + 1);
    memset(in, '[', n);
    memset(in + n, ']', n);
    in[2 * n] = '\0';
    struct fy_document *fyd = yaml_document_quiet(in, 2 * n, 0);
    if (fyd != NULL) {
        assert_null(yaml_document_to_json(fyd));
        fy_document_destroy(fyd);
    }
    free(in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_error_is_silent),
        cmocka_unit_test(test_emit_error_is_silent),
        cmocka_unit_test(test_valid_document),
        cmocka_unit_test(test_conversions),
        cmocka_unit_test(test_depth_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
