/* log.c — see log.h. One line per message: RFC3339 time, level, text. */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include "util/log.h"

enum log_level log__level = LOG_INFO;

void log_set_level(enum log_level l)
{
    log__level = l;
}

void log_msg(enum log_level l, const char *fmt, ...)
{
    static const char *names[] = {"E", "W", "I", "D"};
    if (l > log__level)
        return;
    char ts[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s %s %s\n", ts, names[l], line);
}
