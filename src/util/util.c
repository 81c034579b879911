/* util.c — see util.h. Randomness comes from OpenSSL's CSPRNG. */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/buf.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/util.h"

void random_bytes(void *p, size_t n)
{
    if (RAND_bytes(p, (int)n) != 1)
        abort();
}

/* uuid_v4 draws its bytes from a per-thread block of the CSPRNG's output (one RAND_bytes
 * call per 256 UUIDs instead of one each: a request's Audit-ID was ~4% of a GET's CPU), and
 * writes the hex digits itself. Each byte is used once. */
#define UUID_POOL 4096

void uuid_v4(char out[37])
{
    static __thread unsigned char pool[UUID_POOL];
    static __thread size_t used = UUID_POOL;
    static const char hex[] = "0123456789abcdef";
    if (used + 16 > UUID_POOL) {
        random_bytes(pool, sizeof(pool));
        used = 0;
    }
    unsigned char *b = pool + used;
    used += 16;
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    size_t o = 0;
    for (size_t i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[b[i] >> 4];
        out[o++] = hex[b[i] & 0x0f];
    }
    out[o] = '\0';
    OPENSSL_cleanse(b, 16);
}

void time_rfc3339(time_t t, char out[32])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void time_rfc3339_micro(char out[40])
{
    struct timespec ts;
    clock_wall(&ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char base[32];
    strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, 40, "%.20s.%06dZ", base, (int)(ts.tv_nsec / 1000) % 1000000);
}

/* n decimal digits at s into *ret. */
static bool parse_digits(const char *s, int n, int *ret)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *ret = v;
    return true;
}

bool time_parse_rfc3339_ns(const char *s, size_t len, int64_t *ret_ns)
{
    static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    struct tm tm = {0};
    int y, mo, d, h, mi, se;
    if (s == NULL || len < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
        s[13] != ':' || s[16] != ':')
        return false;
    if (!parse_digits(s, 4, &y) || !parse_digits(s + 5, 2, &mo) || !parse_digits(s + 8, 2, &d) ||
        !parse_digits(s + 11, 2, &h) || !parse_digits(s + 14, 2, &mi) || !parse_digits(s + 17, 2, &se))
        return false;
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || se > 59)
        return false;
    if (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
        return false;
    if (y < 1678 || y > 2261) /* outside int64 nanoseconds */
        return false;
    size_t i = 19;
    int64_t frac = 0;
    if (i < len && s[i] == '.') {
        size_t n = 0;
        i++;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            if (n < 9) {
                frac = frac * 10 + (s[i] - '0');
                n++;
            }
            i++;
        }
        if (n == 0)
            return false;
        for (; n < 9; n++)
            frac *= 10;
    }
    int64_t off = 0;
    if (i < len && (s[i] == 'Z' || s[i] == 'z')) {
        i++;
    } else if (i + 6 == len && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
        int oh, om;
        if (!parse_digits(s + i + 1, 2, &oh) || !parse_digits(s + i + 4, 2, &om) || oh > 23 || om > 59)
            return false;
        off = (int64_t)(oh * 3600 + om * 60) * (s[i] == '-' ? -1 : 1);
        i += 6;
    } else {
        return false;
    }
    if (i != len)
        return false;
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = se;
    *ret_ns = ((int64_t)timegm(&tm) - off) * 1000000000 + frac;
    return true;
}

time_t time_parse_rfc3339(const char *s)
{
    int64_t ns;
    if (s == NULL || !time_parse_rfc3339_ns(s, strlen(s), &ns))
        return -1;
    return (time_t)(ns >= 0 ? ns / 1000000000 : -((-ns + 999999999) / 1000000000));
}

void random_suffix(char out[6])
{
    static const char alphabet[] = "bcdfghjklmnpqrstvwxz2456789";
    unsigned char b[5];
    random_bytes(b, sizeof(b));
    for (int i = 0; i < 5; i++)
        out[i] = alphabet[b[i] % (sizeof(alphabet) - 1)];
    out[5] = '\0';
}

static char *b64(const void *data, size_t len, bool url)
{
    size_t cap = 4 * ((len + 2) / 3) + 1;
    char *out = xmalloc(cap);
    int n = EVP_EncodeBlock((unsigned char *)out, data, (int)len);
    out[n] = '\0';
    if (url) {
        for (int i = 0; i < n; i++) {
            if (out[i] == '+')
                out[i] = '-';
            else if (out[i] == '/')
                out[i] = '_';
        }
        while (n > 0 && out[n - 1] == '=')
            out[--n] = '\0';
    }
    return out;
}

char *base64_encode(const void *data, size_t len)
{
    return b64(data, len, false);
}

char *base64url_encode(const void *data, size_t len)
{
    return b64(data, len, true);
}

/* base64 digits: 0x40 | value, 0 for every other byte; the url alphabet, and both alphabets
 * (the lenient decoder) */
#define B64_URL_DIGITS                                                                              \
    ['A'] = 0x40 | 0, ['B'] = 0x40 | 1, ['C'] = 0x40 | 2, ['D'] = 0x40 | 3, ['E'] = 0x40 | 4,         \
    ['F'] = 0x40 | 5, ['G'] = 0x40 | 6, ['H'] = 0x40 | 7, ['I'] = 0x40 | 8, ['J'] = 0x40 | 9,         \
    ['K'] = 0x40 | 10, ['L'] = 0x40 | 11, ['M'] = 0x40 | 12, ['N'] = 0x40 | 13, ['O'] = 0x40 | 14,    \
    ['P'] = 0x40 | 15, ['Q'] = 0x40 | 16, ['R'] = 0x40 | 17, ['S'] = 0x40 | 18, ['T'] = 0x40 | 19,    \
    ['U'] = 0x40 | 20, ['V'] = 0x40 | 21, ['W'] = 0x40 | 22, ['X'] = 0x40 | 23, ['Y'] = 0x40 | 24,    \
    ['Z'] = 0x40 | 25, ['a'] = 0x40 | 26, ['b'] = 0x40 | 27, ['c'] = 0x40 | 28, ['d'] = 0x40 | 29,    \
    ['e'] = 0x40 | 30, ['f'] = 0x40 | 31, ['g'] = 0x40 | 32, ['h'] = 0x40 | 33, ['i'] = 0x40 | 34,    \
    ['j'] = 0x40 | 35, ['k'] = 0x40 | 36, ['l'] = 0x40 | 37, ['m'] = 0x40 | 38, ['n'] = 0x40 | 39,    \
    ['o'] = 0x40 | 40, ['p'] = 0x40 | 41, ['q'] = 0x40 | 42, ['r'] = 0x40 | 43, ['s'] = 0x40 | 44,    \
    ['t'] = 0x40 | 45, ['u'] = 0x40 | 46, ['v'] = 0x40 | 47, ['w'] = 0x40 | 48, ['x'] = 0x40 | 49,    \
    ['y'] = 0x40 | 50, ['z'] = 0x40 | 51, ['0'] = 0x40 | 52, ['1'] = 0x40 | 53, ['2'] = 0x40 | 54,    \
    ['3'] = 0x40 | 55, ['4'] = 0x40 | 56, ['5'] = 0x40 | 57, ['6'] = 0x40 | 58, ['7'] = 0x40 | 59,    \
    ['8'] = 0x40 | 60, ['9'] = 0x40 | 61, ['-'] = 0x40 | 62, ['_'] = 0x40 | 63
static const unsigned char b64_url_digits[256] = {B64_URL_DIGITS};
static const unsigned char b64_any_digits[256] = {B64_URL_DIGITS, ['+'] = 0x40 | 62, ['/'] = 0x40 | 63};

/* The one base64 decoding loop: s[0..len) (no padding) through digits into out (cap bytes).
 * Whole quanta four digits at a time, no branch per byte (JWT verification is hot). */
static int b64_decode_into(const char *s, size_t len, const unsigned char *digits, unsigned char *out,
                           size_t cap, size_t *ret_len)
{
    if (len % 4 == 1 || BASE64_DECODED_MAX(len) > cap)
        return AZ_EINVALID;
    const unsigned char *in = (const unsigned char *)s;
    size_t o = 0, i = 0;
    unsigned ok = 0x40;
    for (; i + 4 <= len; i += 4) {
        unsigned a = digits[in[i]], b = digits[in[i + 1]], c = digits[in[i + 2]], d = digits[in[i + 3]];
        ok &= a & b & c & d;
        uint32_t v = (uint32_t)(a & 0x3F) << 18 | (uint32_t)(b & 0x3F) << 12 | (uint32_t)(c & 0x3F) << 6 |
                     (d & 0x3F);
        out[o] = (unsigned char)(v >> 16);
        out[o + 1] = (unsigned char)(v >> 8);
        out[o + 2] = (unsigned char)v;
        o += 3;
    }
    uint32_t acc = 0;
    int bits = 0;
    for (; i < len; i++) { /* the 2 or 3 digits of a partial quantum */
        unsigned v = digits[in[i]];
        ok &= v;
        acc = (acc << 6) | (v & 0x3F);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    if (ok == 0) /* some byte was not a digit */
        return AZ_EINVALID;
    *ret_len = o;
    return 0;
}

int base64url_decode_into(const char *s, size_t len, unsigned char *out, size_t cap, size_t *ret_len)
{
    return b64_decode_into(s, len, b64_url_digits, out, cap, ret_len);
}

/* s[0..len) with up to two trailing '=' stripped unless url_only; malloc'd, NUL-terminated. */
static unsigned char *b64_decode(const char *s, size_t len, bool url_only, size_t *ret_len)
{
    if (len > (1u << 28))
        return NULL;
    for (int pad = 0; !url_only && pad < 2 && len > 0 && s[len - 1] == '='; pad++)
        len--;
    size_t cap = BASE64_DECODED_MAX(len) + 1;
    unsigned char *out = xmalloc(cap);
    if (b64_decode_into(s, len, url_only ? b64_url_digits : b64_any_digits, out, cap, ret_len) != 0) {
        free(out);
        return NULL;
    }
    out[*ret_len] = '\0';
    return out;
}

unsigned char *base64_decode(const char *s, size_t len, size_t *ret_len)
{
    return b64_decode(s, len, false, ret_len);
}

unsigned char *base64url_decode_raw(const char *s, size_t len, size_t *ret_len)
{
    return b64_decode(s, len, true, ret_len);
}

bool ct_equal(const void *a, size_t alen, const void *b, size_t blen)
{
    if (alen != blen)
        return false;
    return CRYPTO_memcmp(a, b, alen) == 0;
}
