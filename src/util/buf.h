/* buf.h — one growable byte buffer with a hard cap (git strbuf, curl dynbuf).
 * The contents are always NUL-terminated. Allocation failure aborts; exceeding max (if not
 * 0) makes appends fail with AZ_ETOOLARGE and leaves the buffer unchanged. */
#ifndef ANZEN_UTIL_BUF_H
#define ANZEN_UTIL_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
    char *data;  /* NUL-terminated contents, NULL until the first append */
    size_t len;  /* bytes used, excluding the NUL */
    size_t cap;  /* bytes allocated */
    size_t max;  /* hard cap on len; 0 = unlimited */
};

#define BUF_INIT {NULL, 0, 0, 0}

void buf_init(struct buf *b, size_t max);
void buf_release(struct buf *b);
int buf_append(struct buf *b, const void *data, size_t len);
int buf_puts(struct buf *b, const char *s);
int buf_putc(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hands the contents to the caller (malloc'd, never NULL) and resets the buffer. */
char *buf_detach(struct buf *b, size_t *ret_len);

/* Allocation wrappers that abort on out-of-memory (Redis zmalloc). */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t m);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

#endif
