/* siphash.h — SipHash-2-4 (Aumasson & Bernstein, "SipHash: a fast short-input PRF", 2012),
 * 64-bit output, one-shot and streaming. A keyed hash for hash tables whose keys a client
 * chooses (bearer tokens): without the key an attacker cannot aim entries at one bucket.
 * The result equals the reference implementation's (test vectors in siphash_test.c). Not a
 * MAC for anything stored or sent. Thread-safe: no global state. */
#ifndef ANZEN_UTIL_SIPHASH_H
#define ANZEN_UTIL_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

#define SIPHASH_KEY_LEN 16

struct siphash {
    uint64_t v0, v1, v2, v3;
    uint64_t tail;   /* pending bytes, little-endian */
    size_t total;    /* bytes consumed */
};

/* Streaming: init with a 16-byte key, update any number of times, final. */
void siphash_init(struct siphash *h, const uint8_t key[SIPHASH_KEY_LEN]);
void siphash_update(struct siphash *h, const void *data, size_t len);
uint64_t siphash_final(struct siphash *h);

/* One shot. */
uint64_t siphash24(const uint8_t key[SIPHASH_KEY_LEN], const void *data, size_t len);

#endif
