/* json.h — JSON output exactly as Go's encoding/json writes it (what kube-apiserver sends),
 * plus small jansson helpers.
 *
 *  compact: Encoder.Encode — no spaces, trailing "\n", HTML-safe escaping (<, >, & as \u003c,
 *           \u003e, \u0026; U+2028/2029 escaped; invalid UTF-8 as \ufffd).
 *  pretty:  MarshalIndent(v, "", "  ") — 2-space indent, ": " separator, empty {} and [],
 *           no trailing newline.
 * Object members are written in insertion order (jansson keeps it). */
#ifndef ANZEN_UTIL_JSON_H
#define ANZEN_UTIL_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include "util/buf.h"

/* Appends v to out. 0, or AZ_ETOOLARGE (out's cap, or nesting beyond 4096). */
int json_write_go(struct buf *out, json_t *v, bool pretty);
/* malloc'd, NUL-terminated. */
char *json_dump_go(json_t *v, bool pretty, size_t *ret_len);

/* json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER), byte for byte, in 4x fewer
 * instructions for a stored ConfigMap (no callback per piece): malloc'd, its length in
 * *ret_len (if not NULL); NULL where json_dumps gives NULL (v not an object or array, bad
 * UTF-8). Reals, bad UTF-8 and very deep trees are written by jansson itself.
 * fuzz/jsondump_fuzz compares the two. */
char *json_dumps_compact(const json_t *v, size_t *ret_len);

/* Lookups that tolerate NULL and wrong types. */
const char *json_str(json_t *obj, const char *key);            /* NULL if absent / not string */
json_t *json_path(json_t *obj, const char *dotted);            /* "metadata.name" */
const char *json_path_str(json_t *obj, const char *dotted);
json_t *json_obj_ensure(json_t *obj, const char *key);         /* get or create child object */
void json_set_str(json_t *obj, const char *key, const char *s); /* s NULL deletes */
/* The keys of obj in byte order, as Go walks a map (malloc'd array of *ret_n borrowed
 * strings; free() it). */
const char **json_sorted_keys(json_t *obj, size_t *ret_n);

#endif
