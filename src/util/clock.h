/* clock.h — the one source of "now" for the server, and the testing offset that moves it.
 *
 * Every time the server reasons about (token iat/nbf/exp checks, the token success cache's
 * TTL, creationTimestamp and other API timestamps, event times, lease renewals, the node
 * agent's projected-token refresh and restart back-off) comes from here, so a test can move
 * time forward instead of sleeping. The offset is 0 in production; it is set by unit tests
 * (clock_testing_set_offset_ms) or, for the real binary, by the testing-only flag
 * `anzen serve --testing-clock-offset-file PATH` (a file holding whole seconds; see
 * docs/internals/testing.md).
 *
 * Not routed through here, on purpose: durations of real work (request latency metrics,
 * etcd request deadlines handed to pthread_cond_timedwait) and the server's own log lines.
 *
 * All functions are thread-safe. */
#ifndef ANZEN_UTIL_CLOCK_H
#define ANZEN_UTIL_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Wall-clock time (CLOCK_REALTIME) plus the testing offset. */
void clock_wall(struct timespec *ret);
/* clock_wall in milliseconds (CLOCK_REALTIME_COARSE: a tick's precision, cheap) / whole
 * seconds since the Unix epoch. */
int64_t clock_wall_ms(void);
time_t clock_wall_s(void);
/* Monotonic milliseconds (CLOCK_MONOTONIC) plus the testing offset: for TTLs, deadlines and
 * back-offs inside the server. */
uint64_t now_ms(void);

/* Testing only. Sets the offset added to both clocks (>= 0: time only moves forward). */
void clock_testing_set_offset_ms(int64_t ms);
/* The current offset in milliseconds (after re-reading the offset file, if one is set). */
int64_t clock_testing_offset_ms(void);
/* Testing only. From now on the offset is the number of whole seconds (a non-negative decimal
 * integer, optional trailing newline) in the file at path, read again at every reading of the
 * clock (write a new file and rename it over the old one). A missing file means offset 0; content
 * that is not such a number keeps the previous offset. Returns 0, or AZ_EINVALID when path
 * is empty. path is copied. */
int clock_testing_offset_file(const char *path);

#endif
