/* siphash.c — SipHash-2-4; see siphash.h. Two compression rounds per 8-byte word, four
 * finalisation rounds; words are read little-endian with memcpy (any alignment). */
#include <string.h>
#include "util/siphash.h"

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

#define SIPROUND(v0, v1, v2, v3)                                                  \
    do {                                                                          \
        v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);                 \
        v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;                                    \
        v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;                                    \
        v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);                 \
    } while (0)

static uint64_t load_le64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

void siphash_init(struct siphash *h, const uint8_t key[SIPHASH_KEY_LEN])
{
    uint64_t k0 = load_le64(key), k1 = load_le64(key + 8);
    h->v0 = k0 ^ 0x736f6d6570736575ULL;
    h->v1 = k1 ^ 0x646f72616e646f6dULL;
    h->v2 = k0 ^ 0x6c7967656e657261ULL;
    h->v3 = k1 ^ 0x7465646279746573ULL;
    h->tail = 0;
    h->total = 0;
}

void siphash_update(struct siphash *h, const void *data, size_t len)
{
    const uint8_t *p = data;
    uint64_t v0 = h->v0, v1 = h->v1, v2 = h->v2, v3 = h->v3;
    size_t fill = h->total & 7;
    h->total += len;
    if (fill != 0) { /* complete the pending word first */
        while (fill < 8 && len > 0) {
            h->tail |= (uint64_t)*p++ << (8 * fill++);
            len--;
        }
        if (fill < 8)
            return;
        v3 ^= h->tail;
        SIPROUND(v0, v1, v2, v3);
        SIPROUND(v0, v1, v2, v3);
        v0 ^= h->tail;
        h->tail = 0;
    }
    for (; len >= 8; p += 8, len -= 8) {
        uint64_t m = load_le64(p);
        v3 ^= m;
        SIPROUND(v0, v1, v2, v3);
        SIPROUND(v0, v1, v2, v3);
        v0 ^= m;
    }
    for (size_t i = 0; i < len; i++)
        h->tail |= (uint64_t)p[i] << (8 * i);
    h->v0 = v0, h->v1 = v1, h->v2 = v2, h->v3 = v3;
}

uint64_t siphash_final(struct siphash *h)
{
    uint64_t v0 = h->v0, v1 = h->v1, v2 = h->v2, v3 = h->v3;
    uint64_t b = ((uint64_t)h->total << 56) | h->tail;
    v3 ^= b;
    SIPROUND(v0, v1, v2, v3);
    SIPROUND(v0, v1, v2, v3);
    v0 ^= b;
    v2 ^= 0xff;
    SIPROUND(v0, v1, v2, v3);
    SIPROUND(v0, v1, v2, v3);
    SIPROUND(v0, v1, v2, v3);
    SIPROUND(v0, v1, v2, v3);
    return v0 ^ v1 ^ v2 ^ v3;
}

uint64_t siphash24(const uint8_t key[SIPHASH_KEY_LEN], const void *data, size_t len)
{
    struct siphash h;
    siphash_init(&h, key);
    siphash_update(&h, data, len);
    return siphash_final(&h);
}
