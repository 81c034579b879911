/* spdy_frame_fuzz.c — libFuzzer target for the SPDY/3.1 reader of port-forward: the input is
 * a client's byte stream; frames are parsed one after the other as portforward.c does, and the
 * header blocks of SYN_STREAM and HEADERS frames are decompressed and decoded in one inflater
 * (the connection's), with the names looked up as the handler looks them up. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/spdy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    z_stream z;
    if (spdy_inflate_init(&z) != 0)
        return 0;
    size_t off = 0;
    while (off < size) {
        struct spdy_frame f;
        ssize_t n = spdy_frame_parse(data + off, size - off, &f);
        if (n <= 0)
            break;
        if ((size_t)n > size - off)
            abort(); /* a frame longer than the input */
        if (f.payload != NULL && (f.payload < data + off || f.payload + f.len > data + off + (size_t)n))
            abort(); /* the payload must lie inside the frame */
        if (f.control && (f.type == SPDY_SYN_STREAM || f.type == SPDY_HEADERS)) {
            struct spdy_headers h;
            if (spdy_headers_decode(&z, f.payload, f.len, &h) == 0) {
                for (size_t i = 0; i < h.n; i++)
                    if (h.h[i].name[0] == '\0' || strlen(h.h[i].value) > h.h[i].value_len)
                        abort();
                (void)spdy_header_get(&h, "streamtype");
                (void)spdy_header_get(&h, "port");
            }
            spdy_headers_release(&h);
        }
        off += (size_t)n;
    }
    inflateEnd(&z);
    return 0;
}
