/* limits.c — request intake checks (see limits.h): body media types as upstream's content
 * negotiation (apimachinery runtime/serializer negotiation, Go mime.ParseMediaType), request
 * target checks, and returning freed memory to the system once a burst of requests is over. */
#include <malloc.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "http/limits.h"

/* RFC 2045 token characters (Go mime isTokenChar). */
static bool is_token_char(unsigned char c)
{
    return c > 0x20 && c < 0x7f && strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

enum http_body_format http_body_format(const char *ct, size_t len)
{
    if (ct == NULL || len == 0)
        return HTTP_BODY_JSON;
    size_t i = 0, end = len;
    for (size_t k = 0; k < len; k++) {
        if (ct[k] == ';') {
            end = k;
            break;
        }
    }
    while (i < end && (ct[i] == ' ' || ct[i] == '\t'))
        i++;
    while (end > i && (ct[end - 1] == ' ' || ct[end - 1] == '\t'))
        end--;
    /* type "/" subtype, both non-empty tokens, lower-cased */
    char mt[64];
    size_t n = end - i, slash = 0;
    if (n == 0 || n >= sizeof(mt))
        return HTTP_BODY_UNSUPPORTED;
    for (size_t k = 0; k < n; k++) {
        unsigned char c = (unsigned char)ct[i + k];
        if (c == '/' && slash == 0 && k > 0) {
            slash = k;
        } else if (!is_token_char(c)) {
            return HTTP_BODY_UNSUPPORTED;
        }
        mt[k] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    mt[n] = '\0';
    if (slash == 0 || slash == n - 1)
        return HTTP_BODY_UNSUPPORTED;
    if (strcmp(mt, "application/json") == 0)
        return HTTP_BODY_JSON;
    if (strcmp(mt, "application/yaml") == 0)
        return HTTP_BODY_YAML;
    if (strcmp(mt, "application/vnd.kubernetes.protobuf") == 0)
        return HTTP_BODY_PROTOBUF;
    return HTTP_BODY_UNSUPPORTED;
}

enum http_target_check http_target_check(const char *target, size_t len)
{
    if (len == 0 || target[0] != '/')
        return HTTP_TARGET_NOT_ORIGIN_FORM;
    /* the path (before any '?'): a NUL byte, or "%00" (memchr: this runs on every request) */
    const char *q = memchr(target, '?', len);
    size_t n = q != NULL ? (size_t)(q - target) : len;
    if (memchr(target, '\0', n) != NULL)
        return HTTP_TARGET_NUL;
    const char *end = target + n;
    for (const char *p = target; (p = memchr(p, '%', (size_t)(end - p))) != NULL; p++)
        if (end - p >= 3 && p[1] == '0' && p[2] == '0')
            return HTTP_TARGET_NUL;
    return HTTP_TARGET_OK;
}

/* ---- max in flight ------------------------------------------------------------------- */

static unsigned inflight_limit__[2];  /* [0] read-only, [1] mutating; 0: none */
static unsigned inflight_count__[2]; /* atomic */

void http_inflight_set_limits(unsigned readonly, unsigned mutating)
{
    inflight_limit__[0] = readonly;
    inflight_limit__[1] = mutating;
}

bool http_inflight_acquire(bool mutating)
{
    unsigned limit = inflight_limit__[mutating];
    unsigned *count = &inflight_count__[mutating];
    unsigned cur = __atomic_load_n(count, __ATOMIC_RELAXED);
    do {
        if (limit != 0 && cur >= limit)
            return false;
    } while (!__atomic_compare_exchange_n(count, &cur, cur + 1, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
    return true;
}

void http_inflight_release(bool mutating)
{
    __atomic_sub_fetch(&inflight_count__[mutating], 1, __ATOMIC_RELAXED);
}

bool http_inflight_long_running(const char *verb, const char *subresource)
{
    static const char *const subs[] = {"attach", "exec", "proxy", "log", "portforward"};
    if (verb != NULL && (strcmp(verb, "watch") == 0 || strcmp(verb, "proxy") == 0))
        return true;
    for (size_t i = 0; subresource != NULL && i < sizeof(subs) / sizeof(subs[0]); i++)
        if (strcmp(subresource, subs[i]) == 0)
            return true;
    return false;
}

/* ---- memory returned after load ------------------------------------------------------- */

/* Every request loop notes requests (with or without the biglock): atomics. */
static struct {
    _Atomic uint64_t last_request_ms; /* when the last request arrived */
    atomic_bool dirty;                /* requests since the last trim */
} idle__;

void http_idle_note_request(uint64_t now_ms)
{
    atomic_store_explicit(&idle__.last_request_ms, now_ms, memory_order_relaxed);
    atomic_store_explicit(&idle__.dirty, true, memory_order_relaxed);
}

static http_idle_reclaim_fn idle__reclaim;
static void *idle__reclaim_arg;

void http_idle_set_reclaim(http_idle_reclaim_fn fn, void *arg)
{
    idle__reclaim = fn;
    idle__reclaim_arg = arg;
}

bool http_idle_tick(uint64_t now_ms)
{
    if (idle__reclaim != NULL && idle__reclaim(idle__reclaim_arg) > 0)
        atomic_store_explicit(&idle__.dirty, true, memory_order_relaxed);
    if (!atomic_load_explicit(&idle__.dirty, memory_order_relaxed) ||
        now_ms - atomic_load_explicit(&idle__.last_request_ms, memory_order_relaxed) < HTTP_IDLE_TRIM_MS)
        return false;
    atomic_store_explicit(&idle__.dirty, false, memory_order_relaxed);
    malloc_trim(0);
    return true;
}
