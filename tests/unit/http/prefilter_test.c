/* prefilter_test.c — the request-head pre-filter's pure parts: the head parser (what decides
 * 401/413/431 before h2o reads a body: Content-Length as h2o reads it, chunked, Expect,
 * Authorization, the head-size limit), the chunked-coding follower that counts a body's
 * decoded bytes across arbitrary splits, and the max-in-flight counters of limits.c. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "http/limits.h"
#include "http/prefilter.h"
#include "util/err.h"

static enum prefilter_parse parse(const char *s, struct prefilter_head *h)
{
    return prefilter_parse_head(s, strlen(s), 0, h);
}

static void test_head_fields(void **state)
{
    (void)state;
    struct prefilter_head h;
    const char *req = "POST /api/v1/namespaces/a/configmaps?fieldManager=x HTTP/1.1\r\nHost: h\r\n"
                      "Authorization: Bearer abc\r\nContent-Length: 42\r\nUser-Agent: curl/7.88\r\n\r\n{...";
    assert_int_equal(parse(req, &h), PREFILTER_HEAD_OK);
    assert_int_equal(h.head_len, strstr(req, "{...") - req);
    assert_int_equal(h.content_length, 42);
    assert_false(h.chunked);
    assert_true(prefilter_has_body(&h));
    assert_int_equal(h.path_len, strlen("/api/v1/namespaces/a/configmaps"));
    assert_memory_equal(h.path, "/api/v1/namespaces/a/configmaps", h.path_len);
    assert_int_equal(h.authorization_len, 10);
    assert_memory_equal(h.authorization, "Bearer abc", 10);
    assert_int_equal(h.user_agent_len, 9);
    assert_false(h.expect_continue);

    assert_int_equal(parse("GET /api HTTP/1.1\r\nHost: h\r\n\r\n", &h), PREFILTER_HEAD_OK);
    assert_false(prefilter_has_body(&h));
    assert_null(h.authorization);
    assert_int_equal(parse("POST /x HTTP/1.1\r\nContent-Length: 0\r\n\r\n", &h), PREFILTER_HEAD_OK);
    assert_false(prefilter_has_body(&h));
}

static void test_head_body_headers(void **state)
{
    (void)state;
    struct prefilter_head h;
    /* names are case-insensitive; chunked wins over Content-Length, as in h2o */
    assert_int_equal(parse("POST /x HTTP/1.1\r\ncontent-length: 5\r\ntransfer-encoding: Chunked\r\n\r\n", &h),
                     PREFILTER_HEAD_OK);
    assert_true(h.chunked);
    assert_true(prefilter_has_body(&h));
    assert_int_equal(parse("POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", &h),
                     PREFILTER_HEAD_OK);
    assert_true(h.chunked);
    /* the first Content-Length counts */
    assert_int_equal(parse("POST /x HTTP/1.1\r\nContent-Length: 7\r\nContent-Length: 9\r\n\r\n", &h),
                     PREFILTER_HEAD_OK);
    assert_int_equal(h.content_length, 7);
    /* unparsable lengths and other codings are h2o's 400: no body for us to judge */
    assert_int_equal(parse("POST /x HTTP/1.1\r\nContent-Length: 1e6\r\n\r\n", &h), PREFILTER_HEAD_OK);
    assert_int_equal(h.content_length, UINT64_MAX);
    assert_false(prefilter_has_body(&h));
    assert_int_equal(parse("POST /x HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", &h), PREFILTER_HEAD_OK);
    assert_false(prefilter_has_body(&h));
    assert_int_equal(parse("POST /x HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n", &h),
                     PREFILTER_HEAD_OK);
    assert_false(prefilter_has_body(&h));
    assert_int_equal(parse("POST /x HTTP/1.1\r\nContent-Length: 5242880\r\nExpect: 100-Continue\r\n\r\n", &h),
                     PREFILTER_HEAD_OK);
    assert_int_equal(h.content_length, 5242880);
    assert_true(h.expect_continue);
}

static void test_head_limits(void **state)
{
    (void)state;
    struct prefilter_head h;
    assert_int_equal(parse("POST /x HTTP/1.1\r\nContent-Len", &h), PREFILTER_HEAD_INCOMPLETE);
    assert_int_equal(parse("GARBAGE\r\n\r\n", &h), PREFILTER_HEAD_INVALID);
    /* a head not complete within h2o's limit: 431 */
    size_t n = PREFILTER_MAX_HEAD + 100;
    char *big = malloc(n + 1);
    memcpy(big, "GET / HTTP/1.1\r\nX-Big: ", 23);
    memset(big + 23, 'a', n - 23);
    big[n] = '\0';
    assert_int_equal(prefilter_parse_head(big, n, 0, &h), PREFILTER_HEAD_TOO_LARGE);
    assert_int_equal(prefilter_parse_head(big, PREFILTER_MAX_HEAD - 1, 0, &h), PREFILTER_HEAD_INCOMPLETE);
    /* a complete head just under the limit parses */
    size_t m = 8192;
    memcpy(big + m - 4, "\r\n\r\n", 4);
    assert_int_equal(prefilter_parse_head(big, n, 0, &h), PREFILTER_HEAD_OK);
    assert_int_equal(h.head_len, m);
    /* prev_len beyond the data is ignored, not trusted */
    assert_int_equal(prefilter_parse_head("GET / HTTP/1.1\r\n\r\n", 18, 500, &h), PREFILTER_HEAD_OK);
    free(big);
}

/* Feeds s split at every position: decoded count and end as one feed gives. */
static void chunked_all_splits(const char *s, int want_rc, uint64_t want_decoded, size_t want_used)
{
    size_t len = strlen(s);
    for (size_t cut = 0; cut <= len; cut++) {
        struct prefilter_chunked d = {0};
        size_t used = 0, used2 = 0;
        int r = prefilter_chunked_feed(&d, s, cut, &used);
        if (r == 0) {
            r = prefilter_chunked_feed(&d, s + cut, len - cut, &used2);
            used = cut + used2;
        }
        assert_int_equal(r, want_rc);
        if (want_rc == 1) {
            assert_int_equal(d.decoded, want_decoded);
            assert_int_equal(used, want_used);
        }
    }
}

static void test_chunked(void **state)
{
    (void)state;
    const char *body = "5\r\nhello\r\nA;ext=1\r\n0123456789\r\n0\r\n\r\nGET /next";
    chunked_all_splits(body, 1, 15, strlen(body) - strlen("GET /next"));
    /* bare LF, upper-case hex, trailers */
    const char *lf = "a\n0123456789\n0\nTrailer: x\n\nrest";
    chunked_all_splits(lf, 1, 10, strlen(lf) - 4);
    chunked_all_splits("3\r\nabc\r\n0\r\nX: y\r\n\r\n", 1, 3, strlen("3\r\nabc\r\n0\r\nX: y\r\n\r\n"));
    /* malformed: no size, data not followed by a line end */
    chunked_all_splits("zz\r\n", AZ_EBADREQUEST, 0, 0);
    chunked_all_splits("2\r\nabcd\r\n", AZ_EBADREQUEST, 0, 0);
    /* a size that would overflow */
    chunked_all_splits("ffffffffffffffffff\r\n", AZ_EBADREQUEST, 0, 0);
    /* incomplete: more is needed, the count so far is kept */
    struct prefilter_chunked d = {0};
    size_t used;
    assert_int_equal(prefilter_chunked_feed(&d, "100000\r\nabc", 11, &used), 0);
    assert_int_equal(used, 11);
    assert_int_equal(d.decoded, 3);
    assert_int_equal(d.chunk_left, 0x100000 - 3);
}

static void test_inflight(void **state)
{
    (void)state;
    http_inflight_set_limits(2, 1);
    assert_true(http_inflight_acquire(false));
    assert_true(http_inflight_acquire(false));
    assert_false(http_inflight_acquire(false));
    assert_true(http_inflight_acquire(true));
    assert_false(http_inflight_acquire(true));
    http_inflight_release(false);
    assert_true(http_inflight_acquire(false));
    http_inflight_release(false);
    http_inflight_release(false);
    http_inflight_release(true);
    http_inflight_set_limits(0, 0); /* unlimited */
    for (int i = 0; i < 1000; i++)
        assert_true(http_inflight_acquire(true));
    for (int i = 0; i < 1000; i++)
        http_inflight_release(true);

    assert_true(http_inflight_long_running("watch", ""));
    assert_true(http_inflight_long_running("proxy", ""));
    assert_true(http_inflight_long_running("get", "log"));
    assert_true(http_inflight_long_running("create", "exec"));
    assert_true(http_inflight_long_running("get", "portforward"));
    assert_true(http_inflight_long_running("create", "attach"));
    assert_false(http_inflight_long_running("list", ""));
    assert_false(http_inflight_long_running("get", "status"));
    assert_false(http_inflight_long_running("get", NULL));
}

/* Several threads (request loops) admit and finish requests at once: never more than the
 * limit in flight, and every slot comes back. */
#define THREADS 4
#define LIMIT 3
static unsigned in_flight, max_seen;

static void *admit_loop(void *arg)
{
    (void)arg;
    for (int i = 0; i < 20000; i++) {
        if (!http_inflight_acquire(false))
            continue;
        unsigned now = __atomic_add_fetch(&in_flight, 1, __ATOMIC_RELAXED);
        unsigned seen = __atomic_load_n(&max_seen, __ATOMIC_RELAXED);
        while (now > seen && !__atomic_compare_exchange_n(&max_seen, &seen, now, true, __ATOMIC_RELAXED,
                                                          __ATOMIC_RELAXED))
            ;
        __atomic_sub_fetch(&in_flight, 1, __ATOMIC_RELAXED);
        http_inflight_release(false);
    }
    return NULL;
}

static void test_inflight_threads(void **state)
{
    (void)state;
    http_inflight_set_limits(LIMIT, 0);
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, admit_loop, NULL), 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    assert_true(max_seen <= LIMIT);
    assert_true(max_seen >= 1);
    for (int i = 0; i < LIMIT; i++) /* all slots free again */
        assert_true(http_inflight_acquire(false));
    assert_false(http_inflight_acquire(false));
    for (int i = 0; i < LIMIT; i++)
        http_inflight_release(false);
    http_inflight_set_limits(0, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_head_fields),
        cmocka_unit_test(test_head_body_headers),
        cmocka_unit_test(test_head_limits),
        cmocka_unit_test(test_chunked),
        cmocka_unit_test(test_inflight),
        cmocka_unit_test(test_inflight_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
