/* protobuf.c — hand-written decoder for Kubernetes protobuf request bodies.
 *
 * See protobuf.h for the body layout, the supported kinds and the JSON rules. The decoder
 * is table driven by the one description of each Go type, the schema table (schema_core.c):
 * its fields carry the protobuf number and Go JSON traits (omitempty, pointer, inline) next
 * to the JSON name and type. From it the decoder builds, once per type, a `struct
 * pb_message` listing the decodable fields, and one generic routine walks the wire format
 * against that view. Decoding fills a JSON object
 * with the fields present on the wire; a second pass (pb_finalize) adds what Go's
 * encoding/json would print for the absent ones.
 *
 * Wire format reminder (protobuf encoding): a message is a sequence of (tag, value) where
 * tag = varint(field_number << 3 | wire_type); wire type 0 = varint, 1 = 8 bytes,
 * 2 = varint length + bytes (strings, bytes, messages, map entries), 5 = 4 bytes;
 * 3/4 (groups) are not used by Kubernetes and rejected here. A map<K,V> field is a repeated
 * entry message { 1 key, 2 value }. metav1.Time is a Timestamp { 1 seconds, 2 nanos }.
 */
#include "machinery/protobuf.h"
#include "machinery/schema.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/buf.h"
#include "util/err.h"
#include "util/text.h"
#include "util/util.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Nesting bound of messages (and of building them from the schema table); the served types
 * nest about 10 deep. */
#define PB_MAX_DEPTH 16

static const uint8_t pb_magic[4] = { 0x6b, 0x38, 0x73, 0x00 };

/* ---- schema --------------------------------------------------------------------------- */

enum pb_type {
    PB_STRING,     /* string (wire type 2) */
    PB_BOOL,       /* bool (varint) */
    PB_INT64,      /* int64 (varint, two's complement) */
    PB_INT32,      /* int32 (varint, sign-extended to 64 bits on the wire) */
    PB_TIME,       /* metav1.Time: Timestamp message -> RFC 3339 string or null */
    PB_MICROTIME,  /* metav1.MicroTime: Timestamp -> RFC 3339 with 6 fraction digits or null */
    PB_QUANTITY,   /* resource.Quantity: message { 1 string } -> JSON string ("0" when zero) */
    PB_INT_OR_STRING, /* intstr.IntOrString: { 1 type, 2 intVal, 3 strVal } -> number/string */
    PB_MESSAGE,    /* nested message (wire type 2), described by pb_field.message */
    PB_STRING_MAP, /* map<string, string> -> JSON object of strings */
    PB_EXTRA_MAP,  /* map<string, ExtraValue{repeated string items = 1}> -> object of arrays */
    PB_BYTES_MAP,  /* map<string, bytes> -> JSON object of base64 strings */
    PB_QUANTITY_MAP, /* map<string, Quantity> -> JSON object of strings */
};

#define PB_REPEATED 0x1u  /* repeated field: JSON array */
#define PB_OMITEMPTY 0x2u /* Go JSON tag has omitempty */
#define PB_POINTER 0x4u   /* Go field is a pointer: kept when present even if zero */
#define PB_INLINE 0x8u    /* embedded Go struct with json:",inline": fields land in the parent */

struct pb_message;

struct pb_field {
    uint32_t number;                  /* protobuf field number */
    const char *json;                 /* JSON member name (NULL for PB_INLINE) */
    enum pb_type type;                /* value type */
    unsigned flags;                   /* PB_REPEATED | PB_OMITEMPTY | PB_POINTER */
    const struct pb_message *message; /* for PB_MESSAGE only */
};

/* A message as the decoder walks it, built from the schema table (pb_view_of below). */
struct pb_message {
    const char *name;              /* Go type name, for error messages */
    const struct pb_field *fields; /* fields this decoder understands */
    size_t n_fields;
};

/* ---- messages from the schema table --------------------------------------------------- */

/* The decoder's view of a schema object: a pb_message built once per Go type from the field
 * numbers and traits the schema table (schema_core.c) records, kept for the process
 * lifetime. Fields without a number are not decoded; fields of a json:",inline" struct
 * (pb_via) become one PB_INLINE field whose message lists them. */
struct pb_view {
    const struct schema_node *node;
    unsigned via;                   /* non-zero: the inline struct at this number of node */
    struct pb_message *message;
};

static pthread_mutex_t pb_views_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pb_view *pb_views;
static size_t pb_nviews, pb_views_cap;

static const struct pb_message *pb_view_of(const struct schema_node *node, unsigned via,
                                           int depth);

/* The value type and flags of schema field f, and in *ret_msg the object node of a message
 * field; false when its schema type has no protobuf mapping (a table error, which
 * k8s_protobuf_schema_errors reports; the field is then not decoded). Pure: builds nothing. */
static bool pb_type_of(const struct schema_field *f, struct pb_field *out,
                       const struct schema_node **ret_msg)
{
    const struct schema_node *n = f->type;
    unsigned flags = 0;
    *ret_msg = NULL;
    if (f->traits & SCHEMA_OMITEMPTY)
        flags |= PB_OMITEMPTY;
    if (f->traits & SCHEMA_POINTER)
        flags |= PB_POINTER;
    if (n->type == SCHEMA_ARRAY && n->items != NULL) {
        flags |= PB_REPEATED;
        n = n->items;
    }
    out->number = f->pb;
    out->json = f->name;
    out->flags = flags;
    out->message = NULL;
    switch (n->type) {
    case SCHEMA_STRING:
        out->type = PB_STRING;
        return true;
    case SCHEMA_BOOLEAN:
        out->type = PB_BOOL;
        return true;
    case SCHEMA_INTEGER:
        out->type = (f->traits & SCHEMA_INT64) ? PB_INT64 : PB_INT32;
        return true;
    case SCHEMA_TIME:
        out->type = (f->traits & SCHEMA_MICRO) ? PB_MICROTIME : PB_TIME;
        return true;
    case SCHEMA_QUANTITY:
        out->type = PB_QUANTITY;
        return true;
    case SCHEMA_INT_OR_STRING:
        out->type = PB_INT_OR_STRING;
        return true;
    case SCHEMA_OBJECT:
        out->type = PB_MESSAGE;
        *ret_msg = n;
        return true;
    case SCHEMA_MAP:
        if (n->items == NULL || (flags & PB_REPEATED))
            return false;
        if (n->items->type == SCHEMA_STRING)
            out->type = (f->traits & SCHEMA_BYTES) ? PB_BYTES_MAP : PB_STRING_MAP;
        else if (n->items->type == SCHEMA_QUANTITY)
            out->type = PB_QUANTITY_MAP;
        else if (n->items->type == SCHEMA_ARRAY && n->items->items != NULL &&
                 n->items->items->type == SCHEMA_STRING)
            out->type = PB_EXTRA_MAP;
        else
            return false;
        return true;
    case SCHEMA_ANY:
    case SCHEMA_ARRAY:
    case SCHEMA_NUMBER:
        break;
    }
    return false;
}

static bool pb_field_from_schema(const struct schema_field *f, struct pb_field *out, int depth)
{
    const struct schema_node *msg;
    if (!pb_type_of(f, out, &msg))
        return false;
    if (msg == NULL)
        return true;
    out->message = pb_view_of(msg, 0, depth + 1);
    return out->message != NULL;
}

/* The Go type name of a schema object: the last component of its OpenAPI name. */
static const char *pb_schema_go_name(const struct schema_node *n)
{
    if (n->ref_name == NULL)
        return "";
    const char *dot = strrchr(n->ref_name, '.');
    return dot ? dot + 1 : n->ref_name;
}

static struct pb_message *pb_view_build(const struct schema_node *node, unsigned via, int depth)
{
    size_t nf = 0;
    for (const struct schema_field *f = node->fields; f != NULL && f->name != NULL; f++)
        nf++;
    struct pb_message *m = xcalloc(1, sizeof(*m));
    struct pb_field *fields = xcalloc(nf + 1, sizeof(*fields));
    m->name = via != 0 ? (node->pb_inline ? node->pb_inline : "") : pb_schema_go_name(node);
    m->fields = fields;
    /* register before recursing, so that the pointer exists for nested references */
    if (pb_nviews == pb_views_cap) {
        pb_views_cap = pb_views_cap ? pb_views_cap * 2 : 64;
        pb_views = xrealloc(pb_views, pb_views_cap * sizeof(*pb_views));
    }
    pb_views[pb_nviews++] = (struct pb_view){ node, via, m };
    size_t n = 0;
    unsigned inlined = 0; /* the embedded struct's number, once its field is emitted */
    for (const struct schema_field *f = node->fields; f != NULL && f->name != NULL; f++) {
        if (f->pb == 0 || f->pb_via != via) {
            if (via == 0 && f->pb != 0 && f->pb_via != 0 && inlined != f->pb_via) {
                /* the embedded struct, where its first field stands */
                inlined = f->pb_via;
                fields[n] = (struct pb_field){ f->pb_via, NULL, PB_MESSAGE, PB_INLINE,
                                               pb_view_of(node, f->pb_via, depth + 1) };
                if (fields[n].message != NULL)
                    n++;
            }
            continue;
        }
        if (pb_field_from_schema(f, &fields[n], depth))
            n++;
    }
    m->n_fields = n;
    return m;
}

static const struct pb_message *pb_view_of(const struct schema_node *node, unsigned via,
                                           int depth)
{
    if (node == NULL || node->type != SCHEMA_OBJECT || depth > PB_MAX_DEPTH)
        return NULL;
    for (size_t i = 0; i < pb_nviews; i++)
        if (pb_views[i].node == node && pb_views[i].via == via)
            return pb_views[i].message;
    return pb_view_build(node, via, depth);
}

/* The message of a top-level type, NULL when the schema gives it no protobuf fields. */
static const struct pb_message *pb_message_for(const struct schema_node *root)
{
    pthread_mutex_lock(&pb_views_lock);
    const struct pb_message *m = pb_view_of(root, 0, 0);
    pthread_mutex_unlock(&pb_views_lock);
    return m != NULL && m->n_fields > 0 ? m : NULL;
}

/* ---- decoding context and wire reader ------------------------------------------------- */

struct pb_ctx {
    int code;       /* first error (AZ_E*), 0 while none */
    char err[512];  /* message of the first error */
    size_t elements; /* values decoded so far, capped by K8S_PROTOBUF_MAX_ELEMENTS */
};

struct pb_reader {
    const uint8_t *p;   /* next unread byte */
    const uint8_t *end; /* one past the last byte of the current message */
};

/* Records the first error and returns its code. */
static int __attribute__((format(printf, 3, 4)))
pb_fail(struct pb_ctx *c, int code, const char *fmt, ...)
{
    if (c->code == 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->err, sizeof(c->err), fmt, ap);
        va_end(ap);
        c->code = code;
    }
    return c->code;
}

static int pb_read_varint(struct pb_ctx *c, struct pb_reader *r, uint64_t *ret_v)
{
    uint64_t v = 0;
    for (unsigned shift = 0;; shift += 7) {
        if (shift >= 64)
            return pb_fail(c, AZ_EBADREQUEST, "proto: integer overflow");
        if (r->p >= r->end)
            return pb_fail(c, AZ_EBADREQUEST, "unexpected EOF");
        uint8_t b = *r->p++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (b < 0x80)
            break;
    }
    *ret_v = v;
    return 0;
}

/* Reads a length-delimited value; *ret_p points into the reader's buffer. */
static int pb_read_bytes(struct pb_ctx *c, struct pb_reader *r, const uint8_t **ret_p,
                         size_t *ret_n)
{
    uint64_t n;
    int rc = pb_read_varint(c, r, &n);
    if (rc != 0)
        return rc;
    if (n > (uint64_t)INT64_MAX)
        return pb_fail(c, AZ_EBADREQUEST, "proto: negative length found during unmarshaling");
    if (n > (uint64_t)(r->end - r->p))
        return pb_fail(c, AZ_EBADREQUEST, "unexpected EOF");
    *ret_p = r->p;
    *ret_n = (size_t)n;
    r->p += n;
    return 0;
}

/* Reads a tag; rejects field number 0, numbers beyond int32 and end-group markers. */
static int pb_read_tag(struct pb_ctx *c, struct pb_reader *r, const char *msg_name,
                       uint32_t *ret_number, unsigned *ret_wire)
{
    uint64_t tag;
    int rc = pb_read_varint(c, r, &tag);
    if (rc != 0)
        return rc;
    uint64_t number = tag >> 3;
    unsigned wire = (unsigned)(tag & 7);
    if (number == 0 || number > INT32_MAX)
        return pb_fail(c, AZ_EBADREQUEST, "proto: %s: illegal tag %" PRIu64 " (wire type %u)",
                       msg_name, number, wire);
    if (wire == 4)
        return pb_fail(c, AZ_EBADREQUEST, "proto: %s: wiretype end group for non-group",
                       msg_name);
    *ret_number = (uint32_t)number;
    *ret_wire = wire;
    return 0;
}

static int pb_skip(struct pb_ctx *c, struct pb_reader *r, unsigned wire)
{
    uint64_t v;
    const uint8_t *p;
    size_t n;
    switch (wire) {
    case 0:
        return pb_read_varint(c, r, &v);
    case 1:
    case 5: {
        size_t width = wire == 1 ? 8 : 4;
        if ((size_t)(r->end - r->p) < width)
            return pb_fail(c, AZ_EBADREQUEST, "unexpected EOF");
        r->p += width;
        return 0;
    }
    case 2:
        return pb_read_bytes(c, r, &p, &n);
    case 3:
        return pb_fail(c, AZ_EBADREQUEST, "proto: group wire type is not supported");
    default:
        return pb_fail(c, AZ_EBADREQUEST, "proto: illegal wireType %u", wire);
    }
}

static int pb_count(struct pb_ctx *c)
{
    if (++c->elements > K8S_PROTOBUF_MAX_ELEMENTS)
        return pb_fail(c, AZ_EBADREQUEST, "proto: more than %u values in the body",
                       K8S_PROTOBUF_MAX_ELEMENTS);
    return 0;
}

/* Strict UTF-8 (no overlongs, surrogates or values above U+10FFFF) without NUL bytes. */
static bool pb_utf8_valid(const uint8_t *s, size_t n)
{
    return memchr(s, 0, n) == NULL && utf8_valid((const char *)s, n);
}

/* Makes a JSON string from wire bytes, rejecting invalid UTF-8 and NUL. */
static int pb_string(struct pb_ctx *c, const char *what, const uint8_t *p, size_t n,
                     json_t **ret)
{
    if (!pb_utf8_valid(p, n))
        return pb_fail(c, AZ_EBADREQUEST, "proto: %s: string is not valid UTF-8 or contains NUL",
                       what);
    json_t *s = json_stringn_nocheck((const char *)p, n);
    if (s == NULL)
        return pb_fail(c, AZ_EINTERNAL, "out of memory");
    *ret = s;
    return 0;
}

/* ---- metav1.Time ---------------------------------------------------------------------- */

#define PB_GO_ZERO_TIME_UNIX INT64_C(-62135596800) /* 0001-01-01T00:00:00Z */
#define PB_MAX_TIME_UNIX INT64_C(253402300799)     /* 9999-12-31T23:59:59Z */

/* Decodes a Timestamp message into an RFC 3339 string, or null for Go's zero time.
 * Like upstream, an empty message is the zero time. metav1.Time prints whole seconds (nanos
 * dropped); metav1.MicroTime (micro) prints microseconds, "2006-01-02T15:04:05.000000Z". */
static int pb_time(struct pb_ctx *c, const uint8_t *p, size_t n, bool micro, json_t **ret)
{
    if (n == 0) {
        *ret = json_null();
        return 0;
    }
    struct pb_reader r = { p, p + n };
    int64_t seconds = 0;
    int64_t nanos = 0;
    while (r.p < r.end) {
        uint32_t number;
        unsigned wire;
        uint64_t v;
        int rc = pb_read_tag(c, &r, "Timestamp", &number, &wire);
        if (rc != 0)
            return rc;
        if (number == 1 || number == 2) {
            if (wire != 0)
                return pb_fail(c, AZ_EBADREQUEST, "proto: wrong wireType = %u for field %s",
                               wire, number == 1 ? "Seconds" : "Nanos");
            rc = pb_read_varint(c, &r, &v);
            if (rc != 0)
                return rc;
            if (number == 1)
                seconds = (int64_t)v;
            else
                nanos = (int32_t)v;
        } else {
            rc = pb_skip(c, &r, wire);
            if (rc != 0)
                return rc;
        }
    }
    if (seconds == PB_GO_ZERO_TIME_UNIX) {
        *ret = json_null();
        return 0;
    }
    if (seconds < PB_GO_ZERO_TIME_UNIX || seconds > PB_MAX_TIME_UNIX)
        return pb_fail(c, AZ_EBADREQUEST, "proto: timestamp %" PRId64 " is out of range",
                       seconds);
    time_t t = (time_t)seconds;
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL)
        return pb_fail(c, AZ_EINTERNAL, "proto: timestamp %" PRId64 " cannot be converted", seconds);
    char buf[64]; /* Go pads years below 1000 to four digits, strftime's %Y does not */
    int len = snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900,
                       tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    if (micro) {
        /* Go normalises nanos into [0, 1e9) by carrying into seconds; we only accept the
         * canonical range, which is what every Go encoder writes. */
        if (nanos < 0 || nanos > 999999999)
            return pb_fail(c, AZ_EBADREQUEST, "proto: timestamp nanos %" PRId64
                                              " out of range", nanos);
        snprintf(buf + len, sizeof(buf) - (size_t)len, ".%06uZ", (unsigned)(nanos / 1000));
    } else {
        snprintf(buf + len, sizeof(buf) - (size_t)len, "Z");
    }
    json_t *s = json_string(buf);
    if (s == NULL)
        return pb_fail(c, AZ_EINTERNAL, "out of memory");
    *ret = s;
    return 0;
}

/* ---- other well-known value messages ------------------------------------------------- */

/* Longest Quantity string accepted; upstream's parser refuses far shorter inputs anyway. */
#define PB_MAX_QUANTITY 256

/* resource.Quantity is message { optional string string = 1 }. The JSON form is the
 * string; an empty message is the zero Quantity, which Go prints as "0". The string is
 * passed through as sent (upstream re-canonicalises it; see protobuf.h). */
static int pb_quantity(struct pb_ctx *c, const uint8_t *p, size_t n, json_t **ret)
{
    struct pb_reader r = { p, p + n };
    const uint8_t *sp = (const uint8_t *)"0";
    size_t sn = 1;
    while (r.p < r.end) {
        uint32_t number;
        unsigned wire;
        int rc = pb_read_tag(c, &r, "Quantity", &number, &wire);
        if (rc != 0)
            return rc;
        if (number != 1) {
            rc = pb_skip(c, &r, wire);
            if (rc != 0)
                return rc;
            continue;
        }
        if (wire != 2)
            return pb_fail(c, AZ_EBADREQUEST, "proto: wrong wireType = %u for field String",
                           wire);
        rc = pb_read_bytes(c, &r, &sp, &sn);
        if (rc != 0)
            return rc;
        if (sn == 0) {
            sp = (const uint8_t *)"0";
            sn = 1;
        }
    }
    if (sn > PB_MAX_QUANTITY)
        return pb_fail(c, AZ_EBADREQUEST, "quantities must match the regular expression "
                                          "(quantity longer than %u bytes)",
                       PB_MAX_QUANTITY);
    return pb_string(c, "Quantity", sp, sn, ret);
}

/* intstr.IntOrString is message { 1 type (0 int, 1 string), 2 intVal int32, 3 strVal }. */
static int pb_int_or_string(struct pb_ctx *c, const uint8_t *p, size_t n, json_t **ret)
{
    struct pb_reader r = { p, p + n };
    uint64_t type = 0;
    int32_t ival = 0;
    const uint8_t *sp = (const uint8_t *)"";
    size_t sn = 0;
    while (r.p < r.end) {
        uint32_t number;
        unsigned wire;
        uint64_t v;
        int rc = pb_read_tag(c, &r, "IntOrString", &number, &wire);
        if (rc != 0)
            return rc;
        if (number < 1 || number > 3) {
            rc = pb_skip(c, &r, wire);
        } else if (wire != (number == 3 ? 2u : 0u)) {
            static const char *const names[] = { "", "Type", "IntVal", "StrVal" };
            rc = pb_fail(c, AZ_EBADREQUEST, "proto: wrong wireType = %u for field %s", wire,
                         names[number]);
        } else if (number == 3) {
            rc = pb_read_bytes(c, &r, &sp, &sn);
        } else {
            rc = pb_read_varint(c, &r, &v);
            if (number == 1)
                type = v;
            else
                ival = (int32_t)v;
        }
        if (rc != 0)
            return rc;
    }
    if (type == 1)
        return pb_string(c, "IntOrString", sp, sn, ret);
    /* Go prints any other type as the integer (IntOrString.MarshalJSON's default case
     * is an error for unknown types; we only know 0 and 1 and treat the rest as int). */
    json_t *v = json_integer(ival);
    if (v == NULL)
        return pb_fail(c, AZ_EINTERNAL, "out of memory");
    *ret = v;
    return 0;
}

/* Standard base64 with padding, as Go's encoding/json prints []byte. */
static int pb_base64(struct pb_ctx *c, const uint8_t *p, size_t n, json_t **ret)
{
    char *out = base64_encode(p, n);
    json_t *s = json_string_nocheck(out);
    free(out);
    if (s == NULL)
        return pb_fail(c, AZ_EINTERNAL, "out of memory");
    *ret = s;
    return 0;
}

/* ---- messages ------------------------------------------------------------------------- */

static int pb_decode_message(struct pb_ctx *c, const struct pb_message *m, const uint8_t *p,
                             size_t n, json_t *obj, int depth);

static const struct pb_field *pb_find_field(const struct pb_message *m, uint32_t number)
{
    for (size_t i = 0; i < m->n_fields; i++)
        if (m->fields[i].number == number)
            return &m->fields[i];
    return NULL;
}

static unsigned pb_wire_type(enum pb_type t)
{
    switch (t) {
    case PB_BOOL:
    case PB_INT64:
    case PB_INT32:
        return 0;
    case PB_STRING:
    case PB_TIME:
    case PB_MICROTIME:
    case PB_QUANTITY:
    case PB_INT_OR_STRING:
    case PB_MESSAGE:
    case PB_STRING_MAP:
    case PB_EXTRA_MAP:
    case PB_BYTES_MAP:
    case PB_QUANTITY_MAP:
        return 2;
    }
    return 2;
}

/* Returns obj[key], creating it with `make` when absent. NULL only on allocation failure. */
static json_t *pb_member(json_t *obj, const char *key, json_t *(*make)(void))
{
    json_t *v = json_object_get(obj, key);
    if (v != NULL)
        return v;
    v = make();
    if (v == NULL || json_object_set_new(obj, key, v) != 0)
        return NULL;
    return v;
}

/* Decodes one map entry { 1 key, 2 value } into the JSON object `map`. */
static int pb_map_entry(struct pb_ctx *c, const struct pb_field *f, const uint8_t *p, size_t n,
                        json_t *map)
{
    struct pb_reader r = { p, p + n };
    const uint8_t *key = (const uint8_t *)"";
    size_t key_len = 0;
    json_t *value = NULL;
    int rc = 0;
    while (r.p < r.end) {
        uint32_t number;
        unsigned wire;
        rc = pb_read_tag(c, &r, f->json, &number, &wire);
        if (rc != 0)
            goto out;
        if (number != 1 && number != 2) {
            rc = pb_skip(c, &r, wire);
            if (rc != 0)
                goto out;
            continue;
        }
        if (wire != 2) {
            rc = pb_fail(c, AZ_EBADREQUEST, "proto: wrong wireType = %u for %s entry field %u",
                         wire, f->json, (unsigned)number);
            goto out;
        }
        const uint8_t *vp;
        size_t vn;
        rc = pb_read_bytes(c, &r, &vp, &vn);
        if (rc != 0)
            goto out;
        if (number == 1) {
            if (!pb_utf8_valid(vp, vn)) {
                rc = pb_fail(c, AZ_EBADREQUEST,
                             "proto: %s: key is not valid UTF-8 or contains NUL", f->json);
                goto out;
            }
            key = vp;
            key_len = vn;
            continue;
        }
        json_decref(value);
        value = NULL;
        if (f->type == PB_STRING_MAP) {
            rc = pb_string(c, f->json, vp, vn, &value);
        } else if (f->type == PB_BYTES_MAP) {
            rc = pb_base64(c, vp, vn, &value);
        } else if (f->type == PB_QUANTITY_MAP) {
            rc = pb_quantity(c, vp, vn, &value);
        } else {
            /* ExtraValue { repeated string items = 1 } */
            value = json_array();
            if (value == NULL) {
                rc = pb_fail(c, AZ_EINTERNAL, "out of memory");
                goto out;
            }
            struct pb_reader er = { vp, vp + vn };
            while (rc == 0 && er.p < er.end) {
                uint32_t en;
                unsigned ew;
                const uint8_t *ip;
                size_t in;
                json_t *item;
                rc = pb_read_tag(c, &er, "ExtraValue", &en, &ew);
                if (rc != 0)
                    break;
                if (en != 1) {
                    rc = pb_skip(c, &er, ew);
                    continue;
                }
                if (ew != 2) {
                    rc = pb_fail(c, AZ_EBADREQUEST,
                                 "proto: wrong wireType = %u for field Items", ew);
                    break;
                }
                rc = pb_read_bytes(c, &er, &ip, &in);
                if (rc == 0)
                    rc = pb_count(c);
                if (rc == 0)
                    rc = pb_string(c, f->json, ip, in, &item);
                if (rc == 0 && json_array_append_new(value, item) != 0)
                    rc = pb_fail(c, AZ_EINTERNAL, "out of memory");
            }
        }
        if (rc != 0)
            goto out;
    }
    if (value == NULL) {
        /* Entry without a value: Go's zero value of the map's value type. */
        if (f->type == PB_QUANTITY_MAP)
            value = json_string("0");
        else if (f->type == PB_EXTRA_MAP)
            value = json_array();
        else
            value = json_string("");
        if (value == NULL) {
            rc = pb_fail(c, AZ_EINTERNAL, "out of memory");
            goto out;
        }
    }
    if (json_object_setn_new_nocheck(map, (const char *)key, key_len, value) != 0) {
        value = NULL;
        rc = pb_fail(c, AZ_EINTERNAL, "out of memory");
        goto out;
    }
    value = NULL;
out:
    json_decref(value);
    return rc;
}

/* Decodes the value of one known field at r into obj (merge semantics, see protobuf.h). */
static int pb_decode_field(struct pb_ctx *c, const struct pb_field *f, struct pb_reader *r,
                           json_t *obj, int depth)
{
    uint64_t v;
    const uint8_t *p;
    size_t n;
    json_t *val = NULL, *container;
    int rc = pb_count(c);
    if (rc != 0)
        return rc;

    switch (f->type) {
    case PB_BOOL:
    case PB_INT64:
    case PB_INT32:
        rc = pb_read_varint(c, r, &v);
        if (rc != 0)
            return rc;
        if (f->type == PB_INT32)
            v = (uint64_t)(int64_t)(int32_t)v;
        if (v == 0 && (f->flags & PB_OMITEMPTY) && !(f->flags & (PB_POINTER | PB_REPEATED))) {
            json_object_del(obj, f->json);
            return 0;
        }
        val = f->type == PB_BOOL ? json_boolean(v != 0) : json_integer((json_int_t)(int64_t)v);
        break;
    case PB_STRING:
        rc = pb_read_bytes(c, r, &p, &n);
        if (rc == 0)
            rc = pb_string(c, f->json, p, n, &val);
        if (rc != 0)
            return rc;
        if (n == 0 && (f->flags & PB_OMITEMPTY) && !(f->flags & PB_REPEATED)) {
            json_decref(val);
            json_object_del(obj, f->json);
            return 0;
        }
        break;
    case PB_TIME:
    case PB_MICROTIME:
        rc = pb_read_bytes(c, r, &p, &n);
        if (rc == 0)
            rc = pb_time(c, p, n, f->type == PB_MICROTIME, &val);
        if (rc != 0)
            return rc;
        break;
    case PB_QUANTITY:
        rc = pb_read_bytes(c, r, &p, &n);
        if (rc == 0)
            rc = pb_quantity(c, p, n, &val);
        if (rc != 0)
            return rc;
        break;
    case PB_INT_OR_STRING:
        rc = pb_read_bytes(c, r, &p, &n);
        if (rc == 0)
            rc = pb_int_or_string(c, p, n, &val);
        if (rc != 0)
            return rc;
        break;
    case PB_MESSAGE:
        rc = pb_read_bytes(c, r, &p, &n);
        if (rc != 0)
            return rc;
        if (f->flags & PB_REPEATED) {
            val = json_object();
            if (val == NULL)
                return pb_fail(c, AZ_EINTERNAL, "out of memory");
            rc = pb_decode_message(c, f->message, p, n, val, depth + 1);
            if (rc != 0) {
                json_decref(val);
                return rc;
            }
            break;
        }
        container = (f->flags & PB_INLINE) ? obj : pb_member(obj, f->json, json_object);
        if (container == NULL)
            return pb_fail(c, AZ_EINTERNAL, "out of memory");
        return pb_decode_message(c, f->message, p, n, container, depth + 1);
    case PB_STRING_MAP:
    case PB_EXTRA_MAP:
    case PB_BYTES_MAP:
    case PB_QUANTITY_MAP:
        rc = pb_read_bytes(c, r, &p, &n);
        if (rc != 0)
            return rc;
        container = pb_member(obj, f->json, json_object);
        if (container == NULL)
            return pb_fail(c, AZ_EINTERNAL, "out of memory");
        return pb_map_entry(c, f, p, n, container);
    }

    if (val == NULL)
        return pb_fail(c, AZ_EINTERNAL, "out of memory");
    if (f->flags & PB_REPEATED) {
        container = pb_member(obj, f->json, json_array);
        if (container == NULL || json_array_append_new(container, val) != 0)
            return pb_fail(c, AZ_EINTERNAL, "out of memory");
        return 0;
    }
    if (json_object_set_new(obj, f->json, val) != 0)
        return pb_fail(c, AZ_EINTERNAL, "out of memory");
    return 0;
}

/* Decodes the message bytes p[0..n) described by m into obj, merging with its content. */
static int pb_decode_message(struct pb_ctx *c, const struct pb_message *m, const uint8_t *p,
                             size_t n, json_t *obj, int depth)
{
    if (depth > PB_MAX_DEPTH)
        return pb_fail(c, AZ_EBADREQUEST, "proto: messages nested too deeply");
    struct pb_reader r = { p, p + n };
    while (r.p < r.end) {
        uint32_t number;
        unsigned wire;
        int rc = pb_read_tag(c, &r, m->name, &number, &wire);
        if (rc != 0)
            return rc;
        const struct pb_field *f = pb_find_field(m, number);
        if (f == NULL) {
            rc = pb_skip(c, &r, wire);
        } else if (wire == 2 && pb_wire_type(f->type) == 0 && (f->flags & PB_REPEATED)) {
            /* Packed repeated scalars: one length-delimited run of varints. */
            const uint8_t *pp;
            size_t pn;
            rc = pb_read_bytes(c, &r, &pp, &pn);
            struct pb_reader pr = { pp, pp + pn };
            while (rc == 0 && pr.p < pr.end)
                rc = pb_decode_field(c, f, &pr, obj, depth);
        } else if (wire != pb_wire_type(f->type)) {
            rc = pb_fail(c, AZ_EBADREQUEST, "proto: wrong wireType = %u for field %s.%s", wire,
                         m->name, f->json);
        } else {
            rc = pb_decode_field(c, f, &r, obj, depth);
        }
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* Adds what Go's encoding/json prints for fields absent from the wire, recursively. */
static int pb_finalize(struct pb_ctx *c, const struct pb_message *m, json_t *obj, int depth)
{
    if (depth > PB_MAX_DEPTH)
        return pb_fail(c, AZ_EINTERNAL, "schema nested too deeply");
    for (size_t i = 0; i < m->n_fields; i++) {
        const struct pb_field *f = &m->fields[i];
        bool omit = (f->flags & PB_OMITEMPTY) != 0;
        json_t *v, *def = NULL;
        int rc;

        if (f->flags & PB_INLINE) {
            /* Embedded struct: its fields live in obj itself. */
            rc = pb_finalize(c, f->message, obj, depth + 1);
            if (rc != 0)
                return rc;
            continue;
        }
        v = json_object_get(obj, f->json);

        if (v != NULL) {
            if (f->type != PB_MESSAGE)
                continue;
            if (f->flags & PB_REPEATED) {
                size_t k;
                json_t *elem;
                json_array_foreach(v, k, elem) {
                    rc = pb_finalize(c, f->message, elem, depth + 1);
                    if (rc != 0)
                        return rc;
                }
                continue;
            }
            rc = pb_finalize(c, f->message, v, depth + 1);
            if (rc != 0)
                return rc;
            continue;
        }

        /* Absent: nil slices, maps and pointers print null unless omitempty. */
        if ((f->flags & (PB_REPEATED | PB_POINTER)) || f->type == PB_STRING_MAP ||
            f->type == PB_EXTRA_MAP || f->type == PB_BYTES_MAP || f->type == PB_QUANTITY_MAP) {
            if (omit)
                continue;
            def = json_null();
        } else {
            switch (f->type) {
            case PB_STRING:
                def = omit ? NULL : json_string("");
                break;
            case PB_BOOL:
                def = omit ? NULL : json_false();
                break;
            case PB_INT64:
            case PB_INT32:
                def = omit ? NULL : json_integer(0);
                break;
            case PB_TIME: /* a struct: always printed, null when zero */
            case PB_MICROTIME:
                def = json_null();
                break;
            case PB_QUANTITY: /* a struct: always printed, the zero Quantity is "0" */
                def = json_string("0");
                break;
            case PB_INT_OR_STRING: /* a struct: always printed, the zero value is 0 */
                def = json_integer(0);
                break;
            case PB_MESSAGE: /* a struct: always printed */
                def = json_object();
                if (def == NULL)
                    return pb_fail(c, AZ_EINTERNAL, "out of memory");
                rc = pb_finalize(c, f->message, def, depth + 1);
                if (rc != 0) {
                    json_decref(def);
                    return rc;
                }
                break;
            case PB_STRING_MAP:
            case PB_EXTRA_MAP:
            case PB_BYTES_MAP:
            case PB_QUANTITY_MAP:
                break;
            }
            if (def == NULL) {
                if (f->type == PB_QUANTITY || f->type == PB_INT_OR_STRING)
                    return pb_fail(c, AZ_EINTERNAL, "out of memory");
                continue;
            }
        }
        if (json_object_set_new(obj, f->json, def) != 0)
            return pb_fail(c, AZ_EINTERNAL, "out of memory");
    }
    return 0;
}

/* ---- envelope ------------------------------------------------------------------------- */

/* The fields of runtime.Unknown this decoder uses; pointers into the body. */
struct pb_unknown {
    const uint8_t *api_version;
    size_t api_version_len;
    const uint8_t *kind;
    size_t kind_len;
    const uint8_t *raw;
    size_t raw_len;
};

static int pb_decode_type_meta(struct pb_ctx *c, const uint8_t *p, size_t n,
                               struct pb_unknown *u)
{
    struct pb_reader r = { p, p + n };
    while (r.p < r.end) {
        uint32_t number;
        unsigned wire;
        int rc = pb_read_tag(c, &r, "TypeMeta", &number, &wire);
        if (rc != 0)
            return rc;
        if (number != 1 && number != 2) {
            rc = pb_skip(c, &r, wire);
            if (rc != 0)
                return rc;
            continue;
        }
        if (wire != 2)
            return pb_fail(c, AZ_EBADREQUEST, "proto: wrong wireType = %u for field %s", wire,
                           number == 1 ? "APIVersion" : "Kind");
        const uint8_t *vp;
        size_t vn;
        rc = pb_read_bytes(c, &r, &vp, &vn);
        if (rc != 0)
            return rc;
        if (!pb_utf8_valid(vp, vn))
            return pb_fail(c, AZ_EBADREQUEST,
                           "proto: TypeMeta: string is not valid UTF-8 or contains NUL");
        if (number == 1) {
            u->api_version = vp;
            u->api_version_len = vn;
        } else {
            u->kind = vp;
            u->kind_len = vn;
        }
    }
    return 0;
}

static int pb_decode_unknown(struct pb_ctx *c, const uint8_t *p, size_t n, struct pb_unknown *u)
{
    struct pb_reader r = { p, p + n };
    while (r.p < r.end) {
        uint32_t number;
        unsigned wire;
        int rc = pb_read_tag(c, &r, "Unknown", &number, &wire);
        if (rc != 0)
            return rc;
        if (number < 1 || number > 4) {
            rc = pb_skip(c, &r, wire);
            if (rc != 0)
                return rc;
            continue;
        }
        if (wire != 2) {
            static const char *const names[] = { "", "TypeMeta", "Raw", "ContentEncoding",
                                                 "ContentType" };
            return pb_fail(c, AZ_EBADREQUEST, "proto: wrong wireType = %u for field %s", wire,
                           names[number]);
        }
        const uint8_t *vp;
        size_t vn;
        rc = pb_read_bytes(c, &r, &vp, &vn);
        if (rc != 0)
            return rc;
        if (number == 1) {
            rc = pb_decode_type_meta(c, vp, vn, u); /* nested message: fields merge */
            if (rc != 0)
                return rc;
        } else if (number == 2) {
            u->raw = vp;
            u->raw_len = vn;
        }
        /* 3 contentEncoding, 4 contentType: ignored, as upstream's decoder does. */
    }
    return 0;
}

int k8s_protobuf_has_magic(const uint8_t *buf, size_t len)
{
    return buf != NULL && len >= sizeof(pb_magic) && memcmp(buf, pb_magic, sizeof(pb_magic)) == 0;
}

static int pb_decode_body(struct pb_ctx *c, const uint8_t *buf, size_t len,
                          schema_lookup_fn *lookup, json_t **ret)
{
    static const uint8_t empty[1];
    /* Absent fields are empty, never NULL: p + 0 on a null pointer is undefined. */
    struct pb_unknown u = { empty, 0, empty, 0, empty, 0 };
    json_t *obj = NULL;
    int rc;

    if (len > K8S_PROTOBUF_MAX_BODY)
        return pb_fail(c, AZ_ETOOLARGE, "the protobuf body is larger than %u bytes",
                       K8S_PROTOBUF_MAX_BODY);
    if (len == 0 || buf == NULL)
        return pb_fail(c, AZ_EBADREQUEST, "empty data");
    if (!k8s_protobuf_has_magic(buf, len))
        return pb_fail(c, AZ_EBADREQUEST, "provided data does not appear to be a protobuf "
                                          "message, expected prefix [107 56 115 0]");
    if (len == sizeof(pb_magic))
        return pb_fail(c, AZ_EBADREQUEST, "empty body");
    rc = pb_decode_unknown(c, buf + sizeof(pb_magic), len - sizeof(pb_magic), &u);
    if (rc != 0)
        return rc;

    if (u.kind_len == 0)
        return pb_fail(c, AZ_EBADREQUEST,
                       "Object 'Kind' is missing in 'runtime.TypeMeta{APIVersion:\"%.*s\", "
                       "Kind:\"\"}'",
                       (int)(u.api_version_len > 100 ? 100 : u.api_version_len),
                       (const char *)u.api_version);
    if (u.api_version_len == 0)
        return pb_fail(c, AZ_EBADREQUEST,
                       "Object 'apiVersion' is missing in 'runtime.TypeMeta{APIVersion:\"\", "
                       "Kind:\"%.*s\"}'",
                       (int)(u.kind_len > 100 ? 100 : u.kind_len), (const char *)u.kind);

    /* typeMeta names the Go type: the schema table knows its protobuf fields */
    char api_version[128], group[128], version[32], kind[64];
    const struct pb_message *m = NULL;
    if (u.api_version_len < sizeof(api_version) && u.kind_len < sizeof(kind) &&
        memchr(u.api_version, 0, u.api_version_len) == NULL &&
        memchr(u.kind, 0, u.kind_len) == NULL) {
        memcpy(api_version, u.api_version, u.api_version_len);
        api_version[u.api_version_len] = '\0';
        memcpy(kind, u.kind, u.kind_len);
        kind[u.kind_len] = '\0';
        const char *slash = strchr(api_version, '/');
        size_t glen = slash ? (size_t)(slash - api_version) : 0;
        const char *v = slash ? slash + 1 : api_version;
        if (strlen(v) < sizeof(version) && strchr(v, '/') == NULL) {
            memcpy(group, api_version, glen);
            group[glen] = '\0';
            memcpy(version, v, strlen(v) + 1);
            const struct schema_node *root = lookup != NULL ? lookup(group, version, kind) : NULL;
            if (root != NULL)
                m = pb_message_for(root);
        }
    }
    if (m == NULL)
        return pb_fail(c, AZ_EMEDIATYPE,
                       "the body of the request was in an unknown format - accepted media "
                       "types include: application/json, application/yaml (this server "
                       "decodes application/vnd.kubernetes.protobuf only for the kinds "
                       "kubectl's typed commands send, not kind \"%.*s\" in \"%.*s\")",
                       (int)(u.kind_len > 100 ? 100 : u.kind_len), (const char *)u.kind,
                       (int)(u.api_version_len > 100 ? 100 : u.api_version_len),
                       (const char *)u.api_version);

    obj = json_object();
    if (obj == NULL || json_object_set_new(obj, "kind", json_string(kind)) != 0 ||
        json_object_set_new(obj, "apiVersion", json_string(api_version)) != 0) {
        json_decref(obj);
        return pb_fail(c, AZ_EINTERNAL, "out of memory");
    }
    rc = pb_decode_message(c, m, u.raw, u.raw_len, obj, 0);
    if (rc == 0)
        rc = pb_finalize(c, m, obj, 0);
    if (rc != 0) {
        /* Wrap like upstream's create handler does for a decode error of a known kind. */
        char detail[sizeof(c->err)];
        memcpy(detail, c->err, sizeof(detail));
        snprintf(c->err, sizeof(c->err), "%s in version \"%s\" cannot be handled as a %s: %.300s",
                 kind, version, kind, detail);
        json_decref(obj);
        return rc;
    }
    *ret = obj;
    return 0;
}

int k8s_protobuf_decode(const uint8_t *buf, size_t len, schema_lookup_fn *lookup, json_t **ret,
                        char **ret_err)
{
    struct pb_ctx c = { 0 };
    json_t *obj = NULL;
    int rc = pb_decode_body(&c, buf, len, lookup, &obj);
    if (rc != 0) {
        if (ret_err != NULL) {
            *ret_err = xstrdup(c.err);
        }
        return rc;
    }
    *ret = obj;
    if (ret_err != NULL)
        *ret_err = NULL;
    return 0;
}

/* ---- checking the schema table's protobuf descriptions ---------------------------------- */

struct pb_lint {
    json_t *msgs;
    const struct schema_node *seen[512];
    size_t nseen;
};

static void pb_lint_add(struct pb_lint *l, const struct schema_node *obj, const char *field,
                        const char *what)
{
    json_array_append_new(l->msgs, json_sprintf("%s.%s: %s", obj->ref_name ? obj->ref_name : "?",
                                                field, what));
}

static void pb_lint_object(struct pb_lint *l, const struct schema_node *obj, int depth)
{
    if (obj == NULL || obj->type != SCHEMA_OBJECT || depth > PB_MAX_DEPTH)
        return;
    for (size_t i = 0; i < l->nseen; i++)
        if (l->seen[i] == obj)
            return;
    if (l->nseen < sizeof(l->seen) / sizeof(l->seen[0]))
        l->seen[l->nseen++] = obj;
    for (const struct schema_field *f = obj->fields; f != NULL && f->name != NULL; f++) {
        const struct schema_node *n = f->type;
        while (n != NULL && (n->type == SCHEMA_ARRAY || n->type == SCHEMA_MAP))
            n = n->items;
        if (n != NULL && n->type == SCHEMA_OBJECT)
            pb_lint_object(l, n, depth + 1);
        const struct schema_node *leaf = f->type->type == SCHEMA_ARRAY ? f->type->items : f->type;
        if ((f->traits & SCHEMA_INT64) && (leaf == NULL || leaf->type != SCHEMA_INTEGER))
            pb_lint_add(l, obj, f->name, "int64 trait on a value that is not an integer");
        if ((f->traits & SCHEMA_MICRO) && (leaf == NULL || leaf->type != SCHEMA_TIME))
            pb_lint_add(l, obj, f->name, "MicroTime trait on a value that is not a time");
        if ((f->traits & SCHEMA_BYTES) &&
            (f->type->type != SCHEMA_MAP || f->type->items == NULL ||
             f->type->items->type != SCHEMA_STRING))
            pb_lint_add(l, obj, f->name, "bytes trait on a value that is not a map of strings");
        if (f->pb == 0) {
            if (f->pb_via != 0)
                pb_lint_add(l, obj, f->name, "embedded-struct number without a field number");
            continue;
        }
        struct pb_field pf;
        const struct schema_node *msg;
        if (!pb_type_of(f, &pf, &msg))
            pb_lint_add(l, obj, f->name, "protobuf number on a type the decoder cannot read");
        if (f->pb_via != 0 && obj->pb_inline == NULL)
            pb_lint_add(l, obj, f->name, "embedded-struct field in an object without pb_inline");
        for (const struct schema_field *g = obj->fields; g != f; g++) {
            if (g->pb == f->pb && g->pb_via == f->pb_via)
                pb_lint_add(l, obj, f->name, "protobuf number used twice");
            if (f->pb_via != 0 && g->pb_via == 0 && g->pb == f->pb_via)
                pb_lint_add(l, obj, f->name, "embedded-struct number taken by a field");
        }
    }
}

int k8s_protobuf_schema_errors(const struct schema_node *root, json_t *ret_msgs)
{
    struct pb_lint *l = xcalloc(1, sizeof(*l));
    l->msgs = ret_msgs;
    size_t before = json_array_size(ret_msgs);
    pb_lint_object(l, root, 0);
    free(l);
    return (int)(json_array_size(ret_msgs) - before);
}
