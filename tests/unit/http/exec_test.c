/* exec_test.c — the remotecommand wire helpers of http/exec.c against upstream's protocol
 * (k8s.io/apimachinery/pkg/util/remotecommand constants, client-go websocket.go/v4.go/v5.go,
 * apiserver util/proxy streamtranslator.go): subprotocol choice, channel framing, the v5
 * CLOSE signal (and its absence in v4), the channel-3 Status texts, and the query options. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/exec.h"
#include "http/query.h"
#include "util/err.h"

#define S(x) x, sizeof(x) - 1

static void test_proto_select(void **state)
{
    (void)state;
    /* kubectl 1.32 offers v5 only; older clients v4; a list may hold both in any order */
    assert_int_equal(exec_proto_select(S("v5.channel.k8s.io")), EXEC_PROTO_V5);
    assert_int_equal(exec_proto_select(S("v4.channel.k8s.io")), EXEC_PROTO_V4);
    assert_int_equal(exec_proto_select(S("v4.channel.k8s.io, v5.channel.k8s.io")), EXEC_PROTO_V5);
    assert_int_equal(exec_proto_select(S("v5.channel.k8s.io,v4.channel.k8s.io")), EXEC_PROTO_V5);
    assert_int_equal(exec_proto_select(S(" channel.k8s.io , v4.channel.k8s.io ")), EXEC_PROTO_V4);
    /* v1-v3 and base64 variants are not served; near-misses do not match */
    assert_int_equal(exec_proto_select(S("channel.k8s.io")), EXEC_PROTO_NONE);
    assert_int_equal(exec_proto_select(S("base64.channel.k8s.io")), EXEC_PROTO_NONE);
    assert_int_equal(exec_proto_select(S("v4.base64.channel.k8s.io")), EXEC_PROTO_NONE);
    assert_int_equal(exec_proto_select(S("v5.channel.k8s.iox")), EXEC_PROTO_NONE);
    assert_int_equal(exec_proto_select(S("V5.CHANNEL.K8S.IO")), EXEC_PROTO_NONE);
    assert_int_equal(exec_proto_select(S("")), EXEC_PROTO_NONE);
    assert_int_equal(exec_proto_select(NULL, 0), EXEC_PROTO_NONE);
    assert_string_equal(exec_proto_name(EXEC_PROTO_V5), "v5.channel.k8s.io");
    assert_string_equal(exec_proto_name(EXEC_PROTO_V4), "v4.channel.k8s.io");
    assert_null(exec_proto_name(EXEC_PROTO_NONE));
}

static void test_channel_ids(void **state)
{
    (void)state;
    /* remotecommand constants: StreamStdIn..StreamResize = 0..4, StreamClose = 255 */
    assert_int_equal(EXEC_CH_STDIN, 0);
    assert_int_equal(EXEC_CH_STDOUT, 1);
    assert_int_equal(EXEC_CH_STDERR, 2);
    assert_int_equal(EXEC_CH_ERROR, 3);
    assert_int_equal(EXEC_CH_RESIZE, 4);
    assert_int_equal(EXEC_CH_CLOSE, 255);
}

static void test_frame_parse_data(void **state)
{
    (void)state;
    struct exec_frame f;
    const uint8_t stdin_msg[] = {0, 'f', 'o', 'o', '\n'}; /* wsstream's example: "foo\n" on 0 */
    exec_frame_parse(EXEC_PROTO_V5, stdin_msg, sizeof(stdin_msg), &f);
    assert_int_equal(f.kind, EXEC_FRAME_DATA);
    assert_int_equal(f.channel, 0);
    assert_int_equal(f.len, 4);
    assert_memory_equal(f.data, "foo\n", 4);
    assert_ptr_equal(f.data, stdin_msg + 1);

    const uint8_t only_channel[] = {0};
    exec_frame_parse(EXEC_PROTO_V4, only_channel, 1, &f);
    assert_int_equal(f.kind, EXEC_FRAME_DATA);
    assert_int_equal(f.len, 0);

    const char resize[] = "\x04{\"Width\":80,\"Height\":24}";
    exec_frame_parse(EXEC_PROTO_V5, (const uint8_t *)resize, sizeof(resize) - 1, &f);
    assert_int_equal(f.kind, EXEC_FRAME_DATA);
    assert_int_equal(f.channel, EXEC_CH_RESIZE);
    assert_int_equal(f.len, sizeof(resize) - 2);

    /* an empty message carries no channel: skipped, like wsstream */
    exec_frame_parse(EXEC_PROTO_V5, stdin_msg, 0, &f);
    assert_int_equal(f.kind, EXEC_FRAME_IGNORE);
}

static void test_frame_parse_close_v5_only(void **state)
{
    (void)state;
    struct exec_frame f;
    /* client-go stream.Close(): WriteMessage(Binary, {StreamClose, id}) */
    const uint8_t close_stdin[] = {255, 0};
    exec_frame_parse(EXEC_PROTO_V5, close_stdin, 2, &f);
    assert_int_equal(f.kind, EXEC_FRAME_CLOSE);
    assert_int_equal(f.channel, EXEC_CH_STDIN);

    const uint8_t close_resize[] = {255, 4};
    exec_frame_parse(EXEC_PROTO_V5, close_resize, 2, &f);
    assert_int_equal(f.kind, EXEC_FRAME_CLOSE);
    assert_int_equal(f.channel, EXEC_CH_RESIZE);

    /* malformed CLOSE (no id, or extra bytes) is ignored, never taken as data */
    exec_frame_parse(EXEC_PROTO_V5, close_stdin, 1, &f);
    assert_int_equal(f.kind, EXEC_FRAME_IGNORE);
    const uint8_t close_long[] = {255, 0, 0};
    exec_frame_parse(EXEC_PROTO_V5, close_long, 3, &f);
    assert_int_equal(f.kind, EXEC_FRAME_IGNORE);

    /* v4 has no CLOSE signal: 255 is just a channel nobody reads */
    exec_frame_parse(EXEC_PROTO_V4, close_stdin, 2, &f);
    assert_int_equal(f.kind, EXEC_FRAME_DATA);
    assert_int_equal(f.channel, 255);
    assert_int_equal(f.len, 1);
}

static void test_frame_encode(void **state)
{
    (void)state;
    uint8_t out[16];
    /* wsstream's example: "\n" on stdout is {1, 10} */
    assert_int_equal(exec_frame_encode(EXEC_CH_STDOUT, "\n", 1, out, sizeof(out)), 2);
    assert_int_equal(out[0], 1);
    assert_int_equal(out[1], 10);
    /* the "streams are ready" message: channel byte only */
    assert_int_equal(exec_frame_encode(EXEC_CH_STDERR, NULL, 0, out, sizeof(out)), 1);
    assert_int_equal(out[0], 2);
    /* too small */
    assert_int_equal(exec_frame_encode(EXEC_CH_STDOUT, "abcd", 4, out, 4), 0);
    assert_int_equal(exec_frame_encode(EXEC_CH_STDOUT, "", 0, out, 0), 0);
    assert_int_equal(exec_frame_encode(EXEC_CH_STDOUT, "abc", 3, out, 4), 4);
    assert_memory_equal(out, "\x01" "abc", 4);
    /* round trip */
    struct exec_frame f;
    exec_frame_parse(EXEC_PROTO_V4, out, 4, &f);
    assert_int_equal(f.kind, EXEC_FRAME_DATA);
    assert_int_equal(f.channel, 1);
    assert_memory_equal(f.data, "abc", 3);
}

static void test_status_success(void **state)
{
    (void)state;
    /* Go: json.Marshal(metav1.Status{Status: "Success"}) */
    char *s = exec_exit_status_json(0); /* WIFEXITED, code 0 */
    assert_string_equal(s, "{\"metadata\":{},\"status\":\"Success\"}");
    free(s);
}

static void test_status_exit_code(void **state)
{
    (void)state;
    /* exit(3): wait status 3 << 8. Message: streamtranslator.go codeExitToStatusError over
     * client-go v4.go's CodeExitError("command terminated with exit code 3"). Field order is
     * metav1.Status's: metadata, status, message, reason, details{causes[{reason, message}]} */
    char *s = exec_exit_status_json(3 << 8);
    assert_string_equal(s, "{\"metadata\":{},\"status\":\"Failure\",\"message\":\"command terminated "
                           "with non-zero exit code: command terminated with exit code 3\","
                           "\"reason\":\"NonZeroExitCode\",\"details\":{\"causes\":[{\"reason\":"
                           "\"ExitCode\",\"message\":\"3\"}]}}");
    free(s);
    s = exec_exit_status_json(255 << 8);
    assert_non_null(strstr(s, "\"causes\":[{\"reason\":\"ExitCode\",\"message\":\"255\"}]"));
    free(s);
    /* killed by SIGKILL: 128 + 9, like container runtimes report */
    s = exec_exit_status_json(SIGKILL);
    assert_non_null(strstr(s, "\"message\":\"137\""));
    assert_non_null(strstr(s, "exit code 137\""));
    free(s);
}

static void test_status_internal(void **state)
{
    (void)state;
    /* apierrors.NewInternalError(err) marshalled without TypeMeta */
    char *s = exec_internal_status_json("boom");
    assert_string_equal(s, "{\"metadata\":{},\"status\":\"Failure\",\"message\":\"Internal error "
                           "occurred: boom\",\"reason\":\"InternalError\",\"details\":{\"causes\":"
                           "[{\"message\":\"boom\"}]},\"code\":500}");
    free(s);
}

static int parse_opts(const char *qs, struct exec_options *o, const char **err)
{
    struct query q;
    assert_int_equal(query_parse(qs, strlen(qs), &q), 0);
    int rc = exec_options_parse(&q, o, err);
    if (rc == 0) {
        /* argv points into the query: copy what the test checks before releasing it */
        static char argv0[64], argv1[64], container[64];
        snprintf(argv0, sizeof(argv0), "%s", o->argv[0]);
        snprintf(argv1, sizeof(argv1), "%s", o->argc > 1 ? o->argv[1] : "");
        snprintf(container, sizeof(container), "%s", o->container ? o->container : "");
        assert_null(o->argv[o->argc]);
        free(o->argv);
        o->argv = NULL;
        o->container = container[0] ? container : NULL;
        static const char *copy[3];
        copy[0] = argv0;
        copy[1] = argv1;
        copy[2] = NULL;
        o->argv = copy;
    }
    query_release(&q);
    return rc;
}

static void test_attach_options(void **state)
{
    (void)state;
    struct exec_options o;
    const char *err = NULL;
    struct query q;
    /* what kubectl 1.32 sends for `kubectl attach -it POD -c main`: no command needed */
    const char *qs = "container=main&stdin=true&stdout=true&tty=true";
    assert_int_equal(query_parse(qs, strlen(qs), &q), 0);
    assert_int_equal(attach_options_parse(&q, &o, &err), 0);
    assert_true(o.want_stdin && o.want_stdout && o.tty);
    assert_false(o.want_stderr);
    assert_string_equal(o.container, "main");
    assert_int_equal(o.argc, 0);
    assert_null(o.argv);
    query_release(&q);
    /* stderr is dropped with a tty; nothing asked for is upstream's 400 */
    qs = "stderr=true&tty=true";
    assert_int_equal(query_parse(qs, strlen(qs), &q), 0);
    assert_int_equal(attach_options_parse(&q, &o, &err), AZ_EBADREQUEST);
    assert_string_equal(err, "you must specify at least 1 of stdin, stdout, stderr");
    query_release(&q);
    qs = "stdout=1&container=";
    assert_int_equal(query_parse(qs, strlen(qs), &q), 0);
    assert_int_equal(attach_options_parse(&q, &o, &err), 0);
    assert_true(o.want_stdout);
    assert_null(o.container);
    query_release(&q);
}

static void test_options(void **state)
{
    (void)state;
    struct exec_options o;
    const char *err = NULL;
    /* what kubectl 1.32 sends for `kubectl exec POD -- cat /etc/hostname` */
    assert_int_equal(parse_opts("command=cat&command=%2Fetc%2Fhostname&container=alpine&stderr=true&stdout=true",
                                &o, &err), 0);
    assert_int_equal(o.argc, 2);
    assert_string_equal(o.argv[0], "cat");
    assert_string_equal(o.argv[1], "/etc/hostname");
    assert_string_equal(o.container, "alpine");
    assert_true(o.want_stdout);
    assert_true(o.want_stderr);
    assert_false(o.want_stdin);
    assert_false(o.tty);

    /* tty drops stderr; "1" is true; "0"/"false" are false */
    assert_int_equal(parse_opts("command=sh&stdin=1&stdout=true&stderr=true&tty=true", &o, &err), 0);
    assert_true(o.tty);
    assert_true(o.want_stdin);
    assert_false(o.want_stderr);
    assert_null(o.container);
    assert_int_equal(parse_opts("command=sh&stdin=0&stdout=FALSE&stderr=1", &o, &err), 0);
    assert_false(o.want_stdin);
    assert_false(o.want_stdout);
    assert_true(o.want_stderr);

    /* upstream's wording for no stream at all */
    assert_int_equal(parse_opts("command=ls&stdout=false", &o, &err), AZ_EBADREQUEST);
    assert_string_equal(err, "you must specify at least 1 of stdin, stdout, stderr");
    assert_int_equal(parse_opts("command=ls&tty=true&stderr=true", &o, &err), AZ_EBADREQUEST);
    /* no command */
    err = NULL;
    assert_int_equal(parse_opts("stdout=true", &o, &err), AZ_EBADREQUEST);
    assert_non_null(err);
}

static bool resize(const char *json, uint16_t *w, uint16_t *h)
{
    *w = *h = 7;
    return exec_resize_parse((const uint8_t *)json, strlen(json), w, h);
}

static void test_resize_parse(void **state)
{
    (void)state;
    uint16_t w, h;
    assert_true(resize("{\"Width\":123,\"Height\":45}", &w, &h));
    assert_int_equal(w, 123);
    assert_int_equal(h, 45);
    /* Go's decoder: keys case-insensitive, absent fields zero, unknown fields ignored */
    assert_true(resize("{\"width\":80,\"HEIGHT\":24,\"x\":true}", &w, &h));
    assert_int_equal(w, 80);
    assert_int_equal(h, 24);
    assert_true(resize("{\"Height\":3}", &w, &h));
    assert_int_equal(w, 0);
    assert_int_equal(h, 3);
    /* not a TerminalSize: uint16 overflow, negatives, strings, not an object, not JSON */
    assert_false(resize("{\"Width\":65536,\"Height\":1}", &w, &h));
    assert_int_equal(w, 7);
    assert_false(resize("{\"Width\":-1}", &w, &h));
    assert_false(resize("{\"Width\":\"80\"}", &w, &h));
    assert_false(resize("[80,24]", &w, &h));
    assert_false(resize("", &w, &h));
    assert_false(resize("{\"Width\":", &w, &h));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_proto_select),
        cmocka_unit_test(test_channel_ids),
        cmocka_unit_test(test_frame_parse_data),
        cmocka_unit_test(test_frame_parse_close_v5_only),
        cmocka_unit_test(test_frame_encode),
        cmocka_unit_test(test_status_success),
        cmocka_unit_test(test_status_exit_code),
        cmocka_unit_test(test_status_internal),
        cmocka_unit_test(test_options),
        cmocka_unit_test(test_attach_options),
        cmocka_unit_test(test_resize_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
