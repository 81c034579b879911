/* spdy.h — SPDY/3.1 framing, as much of it as Kubernetes' streaming protocols use (the
 * apimachinery httpstream/spdy connection kubectl port-forward falls back to, built on
 * moby/spdystream): frames, and name/value header blocks compressed with zlib and the SPDY/3
 * dictionary (one compression context per direction for the whole connection, each block
 * ended with a sync flush). No flow control (spdystream ignores WINDOW_UPDATE; so do we).
 *
 *   control frame: 1 | version(15) = 3 | type(16) | flags(8) | length(24) | payload
 *   data frame:    0 | stream id(31)              | flags(8) | length(24) | payload
 *   SYN_STREAM (1): stream id(31), associated id(31), priority(3) unused(5) slot(8), headers
 *   SYN_REPLY (2):  stream id(31), headers
 *   RST_STREAM (3): stream id(31), status(32)
 *   PING (6): id(32); GOAWAY (7): last good stream id(31), status(32)
 *   SETTINGS (4), HEADERS (8), WINDOW_UPDATE (9): parsed as frames, not interpreted
 *   header block: count(32), then per pair name length(32) name value length(32) value
 *                 (several values of one name are NUL-separated) */
#ifndef ANZEN_HTTP_SPDY_H
#define ANZEN_HTTP_SPDY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <zlib.h>
#include "util/buf.h"

#define SPDY_SYN_STREAM 1
#define SPDY_SYN_REPLY 2
#define SPDY_RST_STREAM 3
#define SPDY_SETTINGS 4
#define SPDY_PING 6
#define SPDY_GOAWAY 7
#define SPDY_HEADERS 8
#define SPDY_WINDOW_UPDATE 9

#define SPDY_FLAG_FIN 0x01
#define SPDY_RST_PROTOCOL_ERROR 1
#define SPDY_RST_REFUSED_STREAM 3
#define SPDY_RST_CANCEL 5

#define SPDY_MAX_CONTROL (1u << 20)  /* larger control frames end the connection */
#define SPDY_MAX_HEADERS (64u << 10) /* decompressed header block limit */

struct spdy_frame {
    bool control;
    uint16_t type;            /* control: the frame type */
    uint8_t flags;
    uint32_t stream_id;       /* data, SYN_STREAM, SYN_REPLY, RST_STREAM, HEADERS, WINDOW_UPDATE */
    uint32_t value;           /* RST_STREAM/GOAWAY status, PING id, WINDOW_UPDATE delta */
    const uint8_t *payload;   /* data: the bytes; SYN_STREAM/SYN_REPLY/HEADERS: the header block */
    size_t len;
};

/* Parses one frame at buf[0..len). Returns the bytes it takes (> 0), 0 when more bytes are
 * needed, or AZ_EBADREQUEST when the stream of frames is broken (a wrong version, a control
 * frame over SPDY_MAX_CONTROL or too short for its type). */
ssize_t spdy_frame_parse(const uint8_t *buf, size_t len, struct spdy_frame *ret);

struct spdy_header {
    char *name;               /* lower case (others are refused) */
    char *value;              /* several values NUL-separated; value_len counts them */
    size_t value_len;
};

struct spdy_headers {
    struct spdy_header *h;
    size_t n;
};

/* zlib contexts with the SPDY/3 dictionary. Return 0, or AZ_EINTERNAL (out of memory). */
int spdy_inflate_init(z_stream *z);
int spdy_deflate_init(z_stream *z);

/* Decompresses and decodes one header block (the connection's inflater z). Returns 0 or
 * AZ_EBADREQUEST (corrupt, over SPDY_MAX_HEADERS, an upper-case or empty name, a name twice).
 * Release with spdy_headers_release (also after a failure). */
int spdy_headers_decode(z_stream *z, const uint8_t *block, size_t len, struct spdy_headers *ret);
void spdy_headers_release(struct spdy_headers *h);
/* The first value of name, or NULL. */
const char *spdy_header_get(const struct spdy_headers *h, const char *name);

/* Encoders: append one frame to out. Return 0, or AZ_ETOOLARGE when out's cap is reached (out
 * unchanged). Data frames take at most SPDY_MAX_DATA bytes. */
#define SPDY_MAX_DATA 0xffffffu
int spdy_put_syn_reply(z_stream *deflater, uint32_t stream_id, uint8_t flags, struct buf *out);
int spdy_put_data(uint32_t stream_id, uint8_t flags, const void *data, size_t len, struct buf *out);
int spdy_put_rst(uint32_t stream_id, uint32_t status, struct buf *out);
int spdy_put_ping(uint32_t id, struct buf *out);
int spdy_put_goaway(uint32_t last_stream_id, uint32_t status, struct buf *out);

#endif
