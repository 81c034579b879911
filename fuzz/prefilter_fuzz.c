/* prefilter_fuzz.c — libFuzzer target for the request-head pre-filter of http/prefilter.c:
 * the head parser (fields must lie inside the input, the head inside what was parsed) and
 * the chunked-coding follower (fed whole or split at a byte the input chooses, it must give
 * the same answer, never count more data bytes than it was given). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/prefilter.h"

static void inside(const uint8_t *data, size_t size, const char *p, size_t n)
{
    if (p != NULL && (p < (const char *)data || p + n > (const char *)data + size))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct prefilter_head h;
    enum prefilter_parse r = prefilter_parse_head((const char *)data, size, 0, &h);
    if (r == PREFILTER_HEAD_OK) {
        if (h.head_len == 0 || h.head_len > size || h.head_len > PREFILTER_MAX_HEAD)
            abort();
        inside(data, size, h.path, h.path_len);
        inside(data, size, h.authorization, h.authorization_len);
        inside(data, size, h.user_agent, h.user_agent_len);
        if (h.chunked && !prefilter_has_body(&h))
            abort();
    } else if (r != PREFILTER_HEAD_INCOMPLETE && r != PREFILTER_HEAD_INVALID && r != PREFILTER_HEAD_TOO_LARGE) {
        abort();
    }
    if (r == PREFILTER_HEAD_TOO_LARGE && size < PREFILTER_MAX_HEAD)
        abort();

    /* chunked: whole, then split at the position named by the first byte */
    struct prefilter_chunked a = {0}, b = {0};
    size_t ua = 0, ub = 0, ub2 = 0;
    int ra = prefilter_chunked_feed(&a, (const char *)data, size, &ua);
    size_t cut = size > 0 ? data[0] % (size + 1) : 0;
    int rb = prefilter_chunked_feed(&b, (const char *)data, cut, &ub);
    if (rb == 0) {
        rb = prefilter_chunked_feed(&b, (const char *)data + cut, size - cut, &ub2);
        ub = cut + ub2;
    }
    if (ra != rb || a.decoded != b.decoded || a.decoded > size)
        abort();
    if (ra == 1 && (ua != ub || ua > size))
        abort();
    return 0;
}
