/* itembytes.h — list items composed from stored object bytes, without decoding (issue 9).
 *
 * Stored values are compact JSON objects without metadata.resourceVersion (rest.c's
 * encode_for_store). A list item is the object without its top-level kind and apiVersion and
 * with metadata.resourceVersion set. itembytes_item writes that form straight from the bytes
 * when the result is byte for byte what json_dump_go prints for the decoded item, and refuses
 * (false, nothing written) otherwise; the caller then decodes. Pure functions, any thread. */
#ifndef ANZEN_API_ITEMBYTES_H
#define ANZEN_API_ITEMBYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;

#define ITEMBYTES_MAX_MEMBERS 32

/* Splits the compact JSON object text v into its members: starts[k] is where member k begins
 * (its key's quote), starts[nm] = len, and member k ends at starts[k+1] - 1. Returns nm, or
 * AZ_EINVALID if v is not a compact object of 1..ITEMBYTES_MAX_MEMBERS members. *go_ok (may be NULL)
 * becomes false when Go's encoder would print some byte of v differently. */
int itembytes_members(const char *v, size_t len, size_t starts[ITEMBYTES_MAX_MEMBERS + 1], bool *go_ok);

/* The member of object text v named by quoted key q (e.g. "\"labels\":"): 1 with its value's
 * text, 0 if absent, -1 if v is not an object itembytes_members can split. */
int itembytes_member(const char *v, size_t len, const char *q, const char **ret, size_t *ret_len);

/* Appends the list-item form of v with resourceVersion rev to out; false (out unchanged) when
 * that cannot be done exactly from the bytes. */
bool itembytes_item(struct buf *out, const char *v, size_t len, int64_t rev);

/* The object form of v with a resourceVersion (a get's answer: json_dump_go of the decoded
 * object, kind and apiVersion kept, metadata.resourceVersion last in metadata) is v with
 * `"resourceVersion":"REV"` inserted at offset *ret_at (the metadata object's closing
 * brace), after a comma unless *ret_empty (metadata is {}), then json_dump_go's newline.
 * false when that is not exactly the decoded object's printing (as itembytes_item). */
bool itembytes_object_rv_at(const char *v, size_t len, size_t *ret_at, bool *ret_empty);

/* Re-indents compact JSON text into json_dump_go's pretty form (two spaces per level,
 * "key": value, empty {} and [] kept, no newline at the end), fed in pieces of any size: the
 * state carries over between calls. Start from a zeroed state. Newlines outside strings are
 * dropped; the text is not validated (garbage in, garbage out, never out of bounds). */
struct itembytes_indent {
    size_t depth;
    bool in_str, esc;
    bool opened;  /* the last byte opened an object or array */
};
void itembytes_indent(struct itembytes_indent *st, struct buf *out, const char *s, size_t n);

#endif
