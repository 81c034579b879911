/* cri_log_fuzz.c — libFuzzer target for the CRI log renderer (node/logs.h): arbitrary file
 * content rendered with options taken from the first bytes, and the RFC 3339 parser on the
 * same bytes. The output must never exceed limitBytes when one is set.
 *
 * Input layout: byte 0 = tail lines (255: all), byte 1 = limit bytes (0: none), byte 2 bit 0 =
 * timestamps, bit 1 = since (2024-02-29T12:00:02Z); the rest is the log file. */
#include <stdint.h>
#include <stdlib.h>

#include "node/logs.h"
#include "util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3)
        return 0;
    struct node_log_render o = {.tail_lines = data[0] == 255 ? -1 : data[0],
                                .limit_bytes = data[1],
                                .timestamps = data[2] & 1,
                                .has_since = (data[2] & 2) != 0,
                                .since_ns = (int64_t)1709208002 * 1000000000};
    size_t len = 0;
    char *r = node_log_render((const char *)data + 3, size - 3, &o, &len);
    if (r == NULL || (o.limit_bytes > 0 && (int64_t)len > o.limit_bytes))
        abort();
    free(r);
    int64_t ns;
    (void)time_parse_rfc3339_ns((const char *)data + 3, size - 3, &ns);
    return 0;
}
