/* Unit tests for util/yaml.c: documents built from untrusted text never write diagnostics
 * (libfyaml's default quotes the offending input line on stderr — a request body may hold a
 * Secret's data), whether the text fails to parse or its emission as JSON fails. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
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
    char *js = fy_emit_document_to_string(fyd, FYECF_MODE_JSON_ONELINE);
    assert_null(js); /* aliases cannot be emitted as JSON */
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
    char *js = fy_emit_document_to_string(fyd, FYECF_MODE_JSON_ONELINE);
    assert_non_null(js);
    assert_non_null(strstr(js, "\"data\""));
    free(js);
    fy_document_destroy(fyd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_error_is_silent),
        cmocka_unit_test(test_emit_error_is_silent),
        cmocka_unit_test(test_valid_document),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
