/* limits.h — request intake checks of the HTTP front end (issue 11): media types of request
 * bodies, request-target checks, and the count of requests in flight (with upstream's
 * --max-requests-inflight / --max-mutating-requests-inflight) for the 429 answer and
 * /metrics. Pure functions over bytes and counters: no h2o, so they are unit-tested and fuzzed. */
#ifndef ANZEN_HTTP_LIMITS_H
#define ANZEN_HTTP_LIMITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum http_body_format {
    HTTP_BODY_JSON,        /* application/json, or no Content-Type (upstream's default) */
    HTTP_BODY_YAML,        /* application/yaml */
    HTTP_BODY_PROTOBUF,    /* application/vnd.kubernetes.protobuf */
    HTTP_BODY_UNSUPPORTED, /* anything else: 415 */
};

/* The format of a request body from its Content-Type value (ct may be NULL: absent), as
 * upstream's NegotiateInputSerializerForMediaType decides: the media type is parsed as Go's
 * mime.ParseMediaType does (type/subtype, case-insensitive, parameters after ';' ignored,
 * malformed → unsupported) and must equal a supported type exactly. */
enum http_body_format http_body_format(const char *ct, size_t len);

enum http_target_check {
    HTTP_TARGET_OK,
    HTTP_TARGET_NOT_ORIGIN_FORM, /* does not start with '/': Go's server answers 400 */
    HTTP_TARGET_NUL,             /* %00 in the path: no object or route has such a name: 404 */
};

/* Checks a raw request target (path and query, as received). */
enum http_target_check http_target_check(const char *target, size_t len);

/* Max in flight, as kube-apiserver's WithMaxInFlightLimit (--max-requests-inflight,
 * --max-mutating-requests-inflight; 0 = unlimited): a request takes a slot of its kind
 * (mutating: any verb but get/list/watch) from the moment it is admitted until its response
 * is finished. Counters are atomic (several loops may admit requests at once). */
void http_inflight_set_limits(unsigned readonly, unsigned mutating);
/* Takes a slot; false (nothing taken) when the kind's limit is reached. */
bool http_inflight_acquire(bool mutating);
void http_inflight_release(bool mutating);
/* Requests exempt as upstream's BasicLongRunningRequestCheck(watch, proxy; attach, exec,
 * proxy, log, portforward) decides: verb watch or proxy, or one of those subresources. */
bool http_inflight_long_running(const char *verb, const char *subresource);

/* After load, glibc keeps freed memory in its arenas: once no request has arrived for
 * HTTP_IDLE_TRIM_MS, the event loop's 1-second ticker calls http_idle_tick, which gives it
 * back with malloc_trim (once per burst). Returns true when it trimmed. */
#define HTTP_IDLE_TRIM_MS 2000
void http_idle_note_request(uint64_t now_ms);
bool http_idle_tick(uint64_t now_ms);
/* A reclaimer drops what a cache no longer needs (the watch window's stale events) and
 * returns the bytes it released. http_idle_tick runs it at every tick, idle or not; bytes
 * released are given back to the system by the next idle trim. One reclaimer (the last set);
 * set before the loops start. */
typedef size_t (*http_idle_reclaim_fn)(void *arg);
void http_idle_set_reclaim(http_idle_reclaim_fn fn, void *arg);

#endif
