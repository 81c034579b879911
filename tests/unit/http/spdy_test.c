/* spdy_test.c — SPDY/3.1 framing of http/spdy.c against the protocol as moby/spdystream
 * (kubectl's side) speaks it: frame headers, SYN_STREAM/SYN_REPLY/RST/PING/GOAWAY layouts,
 * header blocks compressed in one zlib stream per direction with the SPDY/3 dictionary (its
 * adler32 in the zlib header proves the dictionary byte-exact), the refusals spdystream's
 * reader applies (upper-case and duplicate names), and kubelet's port-forward error text. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "http/portforward.h"
#include "http/spdy.h"
#include "util/buf.h"
#include "util/err.h"

static void put32(struct buf *b, uint32_t v)
{
    uint8_t p[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    buf_append(b, p, 4);
}

/* a name/value block as spdystream writes it, compressed (sync flush) with z */
static size_t block(z_stream *z, const char *const *kv, size_t n, uint8_t *out, size_t cap)
{
    struct buf b;
    buf_init(&b, 0);
    put32(&b, (uint32_t)n);
    for (size_t i = 0; i < n; i++) {
        put32(&b, (uint32_t)strlen(kv[2 * i]));
        buf_puts(&b, kv[2 * i]);
        put32(&b, (uint32_t)strlen(kv[2 * i + 1]));
        buf_puts(&b, kv[2 * i + 1]);
    }
    z->next_in = (Bytef *)b.data;
    z->avail_in = (uInt)b.len;
    z->next_out = out;
    z->avail_out = (uInt)cap;
    assert_int_equal(deflate(z, Z_SYNC_FLUSH), Z_OK);
    assert_int_equal(z->avail_in, 0);
    buf_release(&b);
    return cap - z->avail_out;
}

static void test_frame_parse(void **state)
{
    (void)state;
    struct spdy_frame f;
    /* a DATA frame: stream 3, FIN, 5 bytes */
    const uint8_t data[] = {0, 0, 0, 3, 1, 0, 0, 5, 'h', 'e', 'l', 'l', 'o', 0xff};
    assert_int_equal(spdy_frame_parse(data, 7, &f), 0); /* header incomplete */
    assert_int_equal(spdy_frame_parse(data, 12, &f), 0); /* payload incomplete */
    assert_int_equal(spdy_frame_parse(data, sizeof(data), &f), 13);
    assert_false(f.control);
    assert_int_equal(f.stream_id, 3);
    assert_int_equal(f.flags, SPDY_FLAG_FIN);
    assert_int_equal(f.len, 5);
    assert_memory_equal(f.payload, "hello", 5);
    /* PING id 7 */
    const uint8_t ping[] = {0x80, 3, 0, 6, 0, 0, 0, 4, 0, 0, 0, 7};
    assert_int_equal(spdy_frame_parse(ping, sizeof(ping), &f), 12);
    assert_true(f.control);
    assert_int_equal(f.type, SPDY_PING);
    assert_int_equal(f.value, 7);
    /* RST_STREAM stream 5 status CANCEL */
    const uint8_t rst[] = {0x80, 3, 0, 3, 0, 0, 0, 8, 0, 0, 0, 5, 0, 0, 0, 5};
    assert_int_equal(spdy_frame_parse(rst, sizeof(rst), &f), 16);
    assert_int_equal(f.type, SPDY_RST_STREAM);
    assert_int_equal(f.stream_id, 5);
    assert_int_equal(f.value, SPDY_RST_CANCEL);
    /* broken: SPDY/2, a PING of 5 bytes, a SYN_STREAM shorter than its fixed part, a huge
     * control frame */
    const uint8_t v2[] = {0x80, 2, 0, 6, 0, 0, 0, 4, 0, 0, 0, 7};
    assert_int_equal(spdy_frame_parse(v2, sizeof(v2), &f), AZ_EBADREQUEST);
    const uint8_t ping5[] = {0x80, 3, 0, 6, 0, 0, 0, 5, 0, 0, 0, 7, 0};
    assert_int_equal(spdy_frame_parse(ping5, sizeof(ping5), &f), AZ_EBADREQUEST);
    const uint8_t syn_short[] = {0x80, 3, 0, 1, 0, 0, 0, 4, 0, 0, 0, 1};
    assert_int_equal(spdy_frame_parse(syn_short, sizeof(syn_short), &f), AZ_EBADREQUEST);
    const uint8_t huge[] = {0x80, 3, 0, 1, 0, 0xff, 0xff, 0xff};
    assert_int_equal(spdy_frame_parse(huge, sizeof(huge), &f), AZ_EBADREQUEST);
    /* unknown control types are skipped whole */
    const uint8_t unk[] = {0x80, 3, 0, 0x42, 0, 0, 0, 2, 1, 2};
    assert_int_equal(spdy_frame_parse(unk, sizeof(unk), &f), 10);
    assert_int_equal(f.type, 0x42);
}

static void test_dictionary_is_spdy3(void **state)
{
    (void)state;
    z_stream z;
    assert_int_equal(spdy_deflate_init(&z), 0);
    uint8_t out[256];
    const char *kv[] = {"streamtype", "error"};
    size_t n = block(&z, kv, 1, out, sizeof(out));
    assert_true(n > 6);
    /* zlib header with FDICT, then the dictionary's adler32: the SPDY/3 dictionary's */
    assert_true((out[1] & 0x20) != 0);
    const uint8_t dictid[] = {0xe3, 0xc6, 0xa7, 0xc2};
    assert_memory_equal(out + 2, dictid, 4);
    deflateEnd(&z);
}

static void test_headers_roundtrip(void **state)
{
    (void)state;
    z_stream zo, zi;
    assert_int_equal(spdy_deflate_init(&zo), 0);
    assert_int_equal(spdy_inflate_init(&zi), 0);
    uint8_t out[512];
    /* the two streams kubectl opens per connection, in one compression stream */
    const char *err_kv[] = {"streamtype", "error", "port", "8080", "requestid", "0"};
    const char *data_kv[] = {"streamtype", "data", "port", "8080", "requestid", "0"};
    struct spdy_headers h;
    size_t n = block(&zo, err_kv, 3, out, sizeof(out));
    assert_int_equal(spdy_headers_decode(&zi, out, n, &h), 0);
    assert_int_equal(h.n, 3);
    assert_string_equal(spdy_header_get(&h, "streamtype"), "error");
    assert_string_equal(spdy_header_get(&h, "port"), "8080");
    assert_string_equal(spdy_header_get(&h, "requestid"), "0");
    assert_null(spdy_header_get(&h, "nope"));
    spdy_headers_release(&h);
    n = block(&zo, data_kv, 3, out, sizeof(out));
    assert_int_equal(spdy_headers_decode(&zi, out, n, &h), 0);
    assert_string_equal(spdy_header_get(&h, "streamtype"), "data");
    spdy_headers_release(&h);

    /* spdystream refuses upper-case and repeated names */
    const char *upper[] = {"StreamType", "data"};
    n = block(&zo, upper, 1, out, sizeof(out));
    assert_int_equal(spdy_headers_decode(&zi, out, n, &h), AZ_EBADREQUEST);
    spdy_headers_release(&h);
    const char *twice[] = {"port", "1", "port", "2"};
    n = block(&zo, twice, 2, out, sizeof(out));
    assert_int_equal(spdy_headers_decode(&zi, out, n, &h), AZ_EBADREQUEST);
    spdy_headers_release(&h);
    /* garbage is not a block */
    z_stream zi2;
    assert_int_equal(spdy_inflate_init(&zi2), 0);
    const uint8_t junk[] = {1, 2, 3, 4, 5, 6, 7, 8};
    assert_int_equal(spdy_headers_decode(&zi2, junk, sizeof(junk), &h), AZ_EBADREQUEST);
    spdy_headers_release(&h);
    inflateEnd(&zi2);
    deflateEnd(&zo);
    inflateEnd(&zi);
}

static void test_encoders(void **state)
{
    (void)state;
    z_stream zo, zi;
    assert_int_equal(spdy_deflate_init(&zo), 0);
    assert_int_equal(spdy_inflate_init(&zi), 0);
    struct buf b;
    buf_init(&b, 0);
    assert_int_equal(spdy_put_syn_reply(&zo, 1, 0, &b), 0);
    assert_int_equal(spdy_put_syn_reply(&zo, 3, 0, &b), 0);
    assert_int_equal(spdy_put_data(3, SPDY_FLAG_FIN, "abc", 3, &b), 0);
    assert_int_equal(spdy_put_rst(5, SPDY_RST_REFUSED_STREAM, &b), 0);
    assert_int_equal(spdy_put_ping(9, &b), 0);
    assert_int_equal(spdy_put_goaway(7, 0, &b), 0);
    const uint8_t *p = (const uint8_t *)b.data;
    size_t left = b.len;
    struct spdy_frame f;
    struct spdy_headers h;
    /* SYN_REPLY: control, version 3, type 2, an empty (but compressed) header block */
    assert_int_equal(p[0], 0x80);
    assert_int_equal(p[1], 3);
    for (uint32_t id = 1; id <= 3; id += 2) {
        ssize_t n = spdy_frame_parse(p, left, &f);
        assert_true(n > 0);
        assert_int_equal(f.type, SPDY_SYN_REPLY);
        assert_int_equal(f.stream_id, id);
        assert_int_equal(spdy_headers_decode(&zi, f.payload, f.len, &h), 0);
        assert_int_equal(h.n, 0);
        spdy_headers_release(&h);
        p += n;
        left -= (size_t)n;
    }
    ssize_t n = spdy_frame_parse(p, left, &f);
    assert_int_equal(n, 11);
    assert_false(f.control);
    assert_int_equal(f.stream_id, 3);
    assert_int_equal(f.flags, SPDY_FLAG_FIN);
    assert_memory_equal(f.payload, "abc", 3);
    p += n;
    left -= (size_t)n;
    assert_int_equal(spdy_frame_parse(p, left, &f), 16);
    assert_int_equal(f.type, SPDY_RST_STREAM);
    assert_int_equal(f.value, SPDY_RST_REFUSED_STREAM);
    p += 16;
    left -= 16;
    assert_int_equal(spdy_frame_parse(p, left, &f), 12);
    assert_int_equal(f.type, SPDY_PING);
    assert_int_equal(f.value, 9);
    p += 12;
    left -= 12;
    assert_int_equal(spdy_frame_parse(p, left, &f), 16);
    assert_int_equal(f.type, SPDY_GOAWAY);
    assert_int_equal(f.stream_id, 7);
    assert_int_equal(left, 16);
    /* a capped buffer refuses and stays as it was */
    struct buf small;
    buf_init(&small, 10);
    assert_int_equal(spdy_put_data(1, 0, "0123456789", 10, &small), AZ_ETOOLARGE);
    assert_int_equal(small.len, 0);
    buf_release(&small);
    buf_release(&b);
    deflateEnd(&zo);
    inflateEnd(&zi);
}

static void test_dial_error_text(void **state)
{
    (void)state;
    /* containerd's CRI PortForward error wrapped by kubelet's httpstream handler */
    char *m = portforward_dial_error(8081, "abc", 111 /* ECONNREFUSED */, 99 /* EADDRNOTAVAIL */);
    assert_string_equal(m, "error forwarding port 8081 to pod abc, uid : failed to connect to localhost:8081 "
                           "inside namespace \"abc\", IPv4: dial tcp4 127.0.0.1:8081: connect: connection "
                           "refused IPv6 dial tcp6 [::1]:8081: connect: cannot assign requested address ");
    free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frame_parse),
        cmocka_unit_test(test_dictionary_is_spdy3),
        cmocka_unit_test(test_headers_roundtrip),
        cmocka_unit_test(test_encoders),
        cmocka_unit_test(test_dial_error_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
