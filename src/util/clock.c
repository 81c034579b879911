/* clock.c — see clock.h. The offset is one atomic; with an offset file (testing only) every
 * read of the clock reads the file again: a few bytes, and no stale offset even when two
 * writes land within one file-time tick. */
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/buf.h"
#include "util/clock.h"
#include "util/err.h"

static _Atomic int64_t clock__offset_ms;
static _Atomic(char *) clock__file;

/* Parses "SECONDS[\n]" (0 .. 10 years); false when it is not that. */
static bool parse_offset_s(const char *s, int64_t *ret_s)
{
    if (*s < '0' || *s > '9')
        return false;
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || v > 10LL * 366 * 86400)
        return false;
    if (*end == '\n')
        end++;
    if (*end != '\0')
        return false;
    *ret_s = v;
    return true;
}

static void refresh_from_file(const char *path)
{
    char text[32] = "";
    FILE *f = fopen(path, "re");
    if (f == NULL) {
        atomic_store(&clock__offset_ms, 0);
        return;
    }
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    fclose(f);
    text[n] = '\0';
    int64_t s;
    if (parse_offset_s(text, &s))
        atomic_store(&clock__offset_ms, s * 1000);
}

int64_t clock_testing_offset_ms(void)
{
    const char *path = atomic_load(&clock__file);
    if (path != NULL)
        refresh_from_file(path);
    return atomic_load(&clock__offset_ms);
}

void clock_testing_set_offset_ms(int64_t ms)
{
    atomic_store(&clock__offset_ms, ms < 0 ? 0 : ms);
}

int clock_testing_offset_file(const char *path)
{
    if (path == NULL || *path == '\0')
        return AZ_EINVALID;
    char *old = atomic_exchange(&clock__file, xstrdup(path));
    (void)old; /* readers may still hold it: kept for the life of the process */
    clock_testing_offset_ms();
    return 0;
}

void clock_wall(struct timespec *ret)
{
    clock_gettime(CLOCK_REALTIME, ret);
    int64_t off = clock_testing_offset_ms();
    ret->tv_sec += (time_t)(off / 1000);
    ret->tv_nsec += (long)(off % 1000) * 1000000L;
    if (ret->tv_nsec >= 1000000000L) {
        ret->tv_sec++;
        ret->tv_nsec -= 1000000000L;
    }
}

int64_t clock_wall_ms(void)
{
    /* a scheduler tick's precision is plenty for token times and cache TTLs, and the coarse
     * clock costs a fifth of the precise one (it is on the cached-token path) */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME_COARSE, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + clock_testing_offset_ms();
}

time_t clock_wall_s(void)
{
    struct timespec ts;
    clock_wall(&ts);
    return ts.tv_sec;
}

uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000 +
           (uint64_t)clock_testing_offset_ms();
}
