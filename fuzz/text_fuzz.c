/* text_fuzz.c — libFuzzer target for the one copy of the text helpers (util/text.c and the
 * base64 codecs of util/util.c) on arbitrary bytes: go_quote's output is valid UTF-8 and
 * quoted; utf8_invalid_at agrees with walking utf8_decode; whatever the base64 decoders accept
 * re-encodes and decodes to the same bytes. Aborts on a broken invariant. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "util/buf.h"
#include "util/text.h"
#include "util/util.h"

static void roundtrip(const unsigned char *d, size_t n, int url)
{
    char *e = url ? base64url_encode(d, n) : base64_encode(d, n);
    size_t n2;
    unsigned char *d2 = url ? base64url_decode_raw(e, strlen(e), &n2) : base64_decode(e, strlen(e), &n2);
    if (d2 == NULL || n2 != n || memcmp(d, d2, n) != 0)
        abort();
    free(d2);
    free(e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct buf b = BUF_INIT;
    if (go_quote(&b, (const char *)data, size) != 0)
        abort();
    if (b.len < 2 || b.data[0] != '"' || b.data[b.len - 1] != '"' || !utf8_valid(b.data, b.len))
        abort();
    buf_release(&b);
    size_t i = 0;
    while (i < size) {
        uint32_t cp;
        size_t w = utf8_decode(data + i, size - i, &cp);
        if (w == 0)
            break;
        char out[4];
        if (utf8_encode(cp, out) != w || memcmp(out, data + i, w) != 0)
            abort();
        i += w;
    }
    if (utf8_invalid_at(data, size) != i)
        abort();
    size_t n;
    unsigned char *d = base64_decode((const char *)data, size, &n);
    if (d != NULL) {
        roundtrip(d, n, 0);
        free(d);
    }
    d = base64url_decode_raw((const char *)data, size, &n);
    if (d != NULL) {
        roundtrip(d, n, 1);
        free(d);
    }
    return 0;
}
