/* exec_frame_fuzz.c — libFuzzer target for the exec/attach WebSocket message decoders:
 * exec_frame_parse on arbitrary bytes (v4 and v5), then exec_resize_parse on the payload of
 * whatever frame came out (channel-4 TerminalSize JSON).
 *
 * Input layout: byte 0 picks the protocol (even: v4, odd: v5), the rest is the message. */
#include <stdint.h>
#include <stdlib.h>

#include "http/exec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    enum exec_proto p = (data[0] & 1) ? EXEC_PROTO_V5 : EXEC_PROTO_V4;
    struct exec_frame f;
    exec_frame_parse(p, data + 1, size - 1, &f);
    if (f.kind == EXEC_FRAME_DATA) {
        if (f.len > size - 1 || (f.len > 0 && (f.data < data + 1 || f.data + f.len > data + size)))
            abort(); /* the payload must point into the message */
        uint16_t w = 0, h = 0;
        (void)exec_resize_parse(f.data, f.len, &w, &h);
    }
    return 0;
}
