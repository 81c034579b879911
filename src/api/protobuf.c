/* protobuf.c — hand-written decoder for Kubernetes protobuf request bodies.
 *
 * See protobuf.h for the body layout, the supported kinds and the JSON rules. The decoder
 * is table driven: each protobuf message is a `struct pb_message` listing its fields with
 * their protobuf number, JSON name, type and Go JSON traits (omitempty, pointer), and one
 * generic routine walks the wire format against that table. Decoding fills a JSON object
 * with the fields present on the wire; a second pass (pb_finalize) adds what Go's
 * encoding/json would print for the absent ones.
 *
 * Wire format reminder (protobuf encoding): a message is a sequence of (tag, value) where
 * tag = varint(field_number << 3 | wire_type); wire type 0 = varint, 1 = 8 bytes,
 * 2 = varint length + bytes (strings, bytes, messages, map entries), 5 = 4 bytes;
 * 3/4 (groups) are not used by Kubernetes and rejected here. A map<K,V> field is a repeated
 * entry message { 1 key, 2 value }. metav1.Time is a Timestamp { 1 seconds, 2 nanos }.
 */
#include "api/protobuf.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Nesting bound; the schema below never goes deeper than 5, this is a second fence. */
#define PB_MAX_DEPTH 16

static const uint8_t pb_magic[4] = { 0x6b, 0x38, 0x73, 0x00 };

/* ---- schema --------------------------------------------------------------------------- */

enum pb_type {
    PB_STRING,     /* string (wire type 2) */
    PB_BOOL,       /* bool (varint) */
    PB_INT64,      /* int64 (varint, two's complement) */
    PB_TIME,       /* metav1.Time: Timestamp message -> RFC 3339 string or null */
    PB_MESSAGE,    /* nested message (wire type 2), described by pb_field.message */
    PB_STRING_MAP, /* map<string, string> -> JSON object of strings */
    PB_EXTRA_MAP,  /* map<string, ExtraValue{repeated string items = 1}> -> object of arrays */
};

#define PB_REPEATED 0x1u  /* repeated field: JSON array */
#define PB_OMITEMPTY 0x2u /* Go JSON tag has omitempty */
#define PB_POINTER 0x4u   /* Go field is a pointer: kept when present even if zero */

struct pb_message;

struct pb_field {
    uint32_t number;                  /* protobuf field number */
    const char *json;                 /* JSON member name */
    enum pb_type type;                /* value type */
    unsigned flags;                   /* PB_REPEATED | PB_OMITEMPTY | PB_POINTER */
    const struct pb_message *message; /* for PB_MESSAGE only */
};

struct pb_message {
    const char *name;              /* Go type name, for error messages */
    const struct pb_field *fields; /* fields this decoder understands */
    size_t n_fields;
};

#define PB_MSG(var, goname, fields) \
    static const struct pb_message var = { goname, fields, ARRAY_SIZE(fields) }

#define OMIT PB_OMITEMPTY
#define REP PB_REPEATED
#define PTR PB_POINTER

/* k8s.io/apimachinery/pkg/apis/meta/v1 */

static const struct pb_field owner_reference_fields[] = {
    { 5, "apiVersion", PB_STRING, 0, NULL },
    { 1, "kind", PB_STRING, 0, NULL },
    { 3, "name", PB_STRING, 0, NULL },
    { 4, "uid", PB_STRING, 0, NULL },
    { 6, "controller", PB_BOOL, PTR | OMIT, NULL },
    { 7, "blockOwnerDeletion", PB_BOOL, PTR | OMIT, NULL },
};
PB_MSG(owner_reference_msg, "OwnerReference", owner_reference_fields);

static const struct pb_field object_meta_fields[] = {
    { 1, "name", PB_STRING, OMIT, NULL },
    { 2, "generateName", PB_STRING, OMIT, NULL },
    { 3, "namespace", PB_STRING, OMIT, NULL },
    { 4, "selfLink", PB_STRING, OMIT, NULL },
    { 5, "uid", PB_STRING, OMIT, NULL },
    { 6, "resourceVersion", PB_STRING, OMIT, NULL },
    { 7, "generation", PB_INT64, OMIT, NULL },
    { 8, "creationTimestamp", PB_TIME, OMIT, NULL }, /* struct: omitempty has no effect */
    { 9, "deletionTimestamp", PB_TIME, PTR | OMIT, NULL },
    { 10, "deletionGracePeriodSeconds", PB_INT64, PTR | OMIT, NULL },
    { 11, "labels", PB_STRING_MAP, OMIT, NULL },
    { 12, "annotations", PB_STRING_MAP, OMIT, NULL },
    { 13, "ownerReferences", PB_MESSAGE, REP | OMIT, &owner_reference_msg },
    { 14, "finalizers", PB_STRING, REP | OMIT, NULL },
    /* 17 managedFields: not decoded (skipped like an unknown field). */
};
PB_MSG(object_meta_msg, "ObjectMeta", object_meta_fields);

/* LabelSelectorRequirement and FieldSelectorRequirement share numbers and JSON tags. */
static const struct pb_field selector_requirement_fields[] = {
    { 1, "key", PB_STRING, 0, NULL },
    { 2, "operator", PB_STRING, 0, NULL },
    { 3, "values", PB_STRING, REP | OMIT, NULL },
};
PB_MSG(selector_requirement_msg, "SelectorRequirement", selector_requirement_fields);

/* k8s.io/api/authentication/v1 */

static const struct pb_field bound_object_reference_fields[] = {
    { 1, "kind", PB_STRING, OMIT, NULL },
    { 2, "apiVersion", PB_STRING, OMIT, NULL },
    { 3, "name", PB_STRING, OMIT, NULL },
    { 4, "uid", PB_STRING, OMIT, NULL },
};
PB_MSG(bound_object_reference_msg, "BoundObjectReference", bound_object_reference_fields);

static const struct pb_field token_request_spec_fields[] = {
    { 1, "audiences", PB_STRING, REP, NULL },
    { 4, "expirationSeconds", PB_INT64, PTR, NULL },
    { 3, "boundObjectRef", PB_MESSAGE, PTR, &bound_object_reference_msg },
};
PB_MSG(token_request_spec_msg, "TokenRequestSpec", token_request_spec_fields);

static const struct pb_field token_request_status_fields[] = {
    { 1, "token", PB_STRING, 0, NULL },
    { 2, "expirationTimestamp", PB_TIME, 0, NULL },
};
PB_MSG(token_request_status_msg, "TokenRequestStatus", token_request_status_fields);

static const struct pb_field token_request_fields[] = {
    { 1, "metadata", PB_MESSAGE, OMIT, &object_meta_msg },
    { 2, "spec", PB_MESSAGE, 0, &token_request_spec_msg },
    { 3, "status", PB_MESSAGE, OMIT, &token_request_status_msg },
};
PB_MSG(token_request_msg, "TokenRequest", token_request_fields);

static const struct pb_field user_info_fields[] = {
    { 1, "username", PB_STRING, OMIT, NULL },
    { 2, "uid", PB_STRING, OMIT, NULL },
    { 3, "groups", PB_STRING, REP | OMIT, NULL },
    { 4, "extra", PB_EXTRA_MAP, OMIT, NULL },
};
PB_MSG(user_info_msg, "UserInfo", user_info_fields);

static const struct pb_field token_review_spec_fields[] = {
    { 1, "token", PB_STRING, OMIT, NULL },
    { 2, "audiences", PB_STRING, REP | OMIT, NULL },
};
PB_MSG(token_review_spec_msg, "TokenReviewSpec", token_review_spec_fields);

static const struct pb_field token_review_status_fields[] = {
    { 1, "authenticated", PB_BOOL, OMIT, NULL },
    { 2, "user", PB_MESSAGE, OMIT, &user_info_msg },
    { 4, "audiences", PB_STRING, REP | OMIT, NULL },
    { 3, "error", PB_STRING, OMIT, NULL },
};
PB_MSG(token_review_status_msg, "TokenReviewStatus", token_review_status_fields);

static const struct pb_field token_review_fields[] = {
    { 1, "metadata", PB_MESSAGE, OMIT, &object_meta_msg },
    { 2, "spec", PB_MESSAGE, 0, &token_review_spec_msg },
    { 3, "status", PB_MESSAGE, OMIT, &token_review_status_msg },
};
PB_MSG(token_review_msg, "TokenReview", token_review_fields);

static const struct pb_field self_subject_review_status_fields[] = {
    { 1, "userInfo", PB_MESSAGE, OMIT, &user_info_msg },
};
PB_MSG(self_subject_review_status_msg, "SelfSubjectReviewStatus",
       self_subject_review_status_fields);

static const struct pb_field self_subject_review_fields[] = {
    { 1, "metadata", PB_MESSAGE, OMIT, &object_meta_msg },
    { 2, "status", PB_MESSAGE, OMIT, &self_subject_review_status_msg },
};
PB_MSG(self_subject_review_msg, "SelfSubjectReview", self_subject_review_fields);

/* k8s.io/api/authorization/v1 */

static const struct pb_field selector_attributes_fields[] = {
    { 1, "rawSelector", PB_STRING, OMIT, NULL },
    { 2, "requirements", PB_MESSAGE, REP | OMIT, &selector_requirement_msg },
};
PB_MSG(selector_attributes_msg, "SelectorAttributes", selector_attributes_fields);

static const struct pb_field resource_attributes_fields[] = {
    { 1, "namespace", PB_STRING, OMIT, NULL },
    { 2, "verb", PB_STRING, OMIT, NULL },
    { 3, "group", PB_STRING, OMIT, NULL },
    { 4, "version", PB_STRING, OMIT, NULL },
    { 5, "resource", PB_STRING, OMIT, NULL },
    { 6, "subresource", PB_STRING, OMIT, NULL },
    { 7, "name", PB_STRING, OMIT, NULL },
    { 8, "fieldSelector", PB_MESSAGE, PTR | OMIT, &selector_attributes_msg },
    { 9, "labelSelector", PB_MESSAGE, PTR | OMIT, &selector_attributes_msg },
};
PB_MSG(resource_attributes_msg, "ResourceAttributes", resource_attributes_fields);

static const struct pb_field non_resource_attributes_fields[] = {
    { 1, "path", PB_STRING, OMIT, NULL },
    { 2, "verb", PB_STRING, OMIT, NULL },
};
PB_MSG(non_resource_attributes_msg, "NonResourceAttributes", non_resource_attributes_fields);

static const struct pb_field subject_access_review_spec_fields[] = {
    { 1, "resourceAttributes", PB_MESSAGE, PTR | OMIT, &resource_attributes_msg },
    { 2, "nonResourceAttributes", PB_MESSAGE, PTR | OMIT, &non_resource_attributes_msg },
    { 3, "user", PB_STRING, OMIT, NULL },
    { 4, "groups", PB_STRING, REP | OMIT, NULL },
    { 5, "extra", PB_EXTRA_MAP, OMIT, NULL },
    { 6, "uid", PB_STRING, OMIT, NULL },
};
PB_MSG(subject_access_review_spec_msg, "SubjectAccessReviewSpec",
       subject_access_review_spec_fields);

static const struct pb_field self_subject_access_review_spec_fields[] = {
    { 1, "resourceAttributes", PB_MESSAGE, PTR | OMIT, &resource_attributes_msg },
    { 2, "nonResourceAttributes", PB_MESSAGE, PTR | OMIT, &non_resource_attributes_msg },
};
PB_MSG(self_subject_access_review_spec_msg, "SelfSubjectAccessReviewSpec",
       self_subject_access_review_spec_fields);

static const struct pb_field subject_access_review_status_fields[] = {
    { 1, "allowed", PB_BOOL, 0, NULL },
    { 4, "denied", PB_BOOL, OMIT, NULL },
    { 2, "reason", PB_STRING, OMIT, NULL },
    { 3, "evaluationError", PB_STRING, OMIT, NULL },
};
PB_MSG(subject_access_review_status_msg, "SubjectAccessReviewStatus",
       subject_access_review_status_fields);

static const struct pb_field subject_access_review_fields[] = {
    { 1, "metadata", PB_MESSAGE, OMIT, &object_meta_msg },
    { 2, "spec", PB_MESSAGE, 0, &subject_access_review_spec_msg },
    { 3, "status", PB_MESSAGE, OMIT, &subject_access_review_status_msg },
};
PB_MSG(subject_access_review_msg, "SubjectAccessReview", subject_access_review_fields);

static const struct pb_field self_subject_access_review_fields[] = {
    { 1, "metadata", PB_MESSAGE, OMIT, &object_meta_msg },
    { 2, "spec", PB_MESSAGE, 0, &self_subject_access_review_spec_msg },
    { 3, "status", PB_MESSAGE, OMIT, &subject_access_review_status_msg },
};
PB_MSG(self_subject_access_review_msg, "SelfSubjectAccessReview",
       self_subject_access_review_fields);

static const struct pb_field self_subject_rules_review_spec_fields[] = {
    { 1, "namespace", PB_STRING, OMIT, NULL },
};
PB_MSG(self_subject_rules_review_spec_msg, "SelfSubjectRulesReviewSpec",
       self_subject_rules_review_spec_fields);

static const struct pb_field resource_rule_fields[] = {
    { 1, "verbs", PB_STRING, REP, NULL },
    { 2, "apiGroups", PB_STRING, REP | OMIT, NULL },
    { 3, "resources", PB_STRING, REP | OMIT, NULL },
    { 4, "resourceNames", PB_STRING, REP | OMIT, NULL },
};
PB_MSG(resource_rule_msg, "ResourceRule", resource_rule_fields);

static const struct pb_field non_resource_rule_fields[] = {
    { 1, "verbs", PB_STRING, REP, NULL },
    { 2, "nonResourceURLs", PB_STRING, REP | OMIT, NULL },
};
PB_MSG(non_resource_rule_msg, "NonResourceRule", non_resource_rule_fields);

static const struct pb_field subject_rules_review_status_fields[] = {
    { 1, "resourceRules", PB_MESSAGE, REP, &resource_rule_msg },
    { 2, "nonResourceRules", PB_MESSAGE, REP, &non_resource_rule_msg },
    { 3, "incomplete", PB_BOOL, 0, NULL },
    { 4, "evaluationError", PB_STRING, OMIT, NULL },
};
PB_MSG(subject_rules_review_status_msg, "SubjectRulesReviewStatus",
       subject_rules_review_status_fields);

static const struct pb_field self_subject_rules_review_fields[] = {
    { 1, "metadata", PB_MESSAGE, OMIT, &object_meta_msg },
    { 2, "spec", PB_MESSAGE, 0, &self_subject_rules_review_spec_msg },
    { 3, "status", PB_MESSAGE, OMIT, &subject_rules_review_status_msg },
};
PB_MSG(self_subject_rules_review_msg, "SelfSubjectRulesReview",
       self_subject_rules_review_fields);

#undef OMIT
#undef REP
#undef PTR

/* One row per decodable kind: typeMeta (apiVersion, kind) -> top-level message. */
struct pb_kind {
    const char *api_version;
    const char *version; /* version part of api_version, for error messages */
    const char *kind;
    const struct pb_message *message;
};

static const struct pb_kind pb_kinds[] = {
    { "authentication.k8s.io/v1", "v1", "TokenRequest", &token_request_msg },
    { "authentication.k8s.io/v1", "v1", "TokenReview", &token_review_msg },
    { "authentication.k8s.io/v1", "v1", "SelfSubjectReview", &self_subject_review_msg },
    { "authorization.k8s.io/v1", "v1", "SubjectAccessReview", &subject_access_review_msg },
    { "authorization.k8s.io/v1", "v1", "LocalSubjectAccessReview", &subject_access_review_msg },
    { "authorization.k8s.io/v1", "v1", "SelfSubjectAccessReview",
      &self_subject_access_review_msg },
    { "authorization.k8s.io/v1", "v1", "SelfSubjectRulesReview",
      &self_subject_rules_review_msg },
};

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
    size_t i = 0;
    while (i < n) {
        uint8_t b = s[i];
        if (b == 0)
            return false;
        if (b < 0x80) {
            i++;
            continue;
        }
        size_t len;
        uint32_t cp, min;
        if ((b & 0xe0) == 0xc0) {
            len = 2, cp = b & 0x1f, min = 0x80;
        } else if ((b & 0xf0) == 0xe0) {
            len = 3, cp = b & 0x0f, min = 0x800;
        } else if ((b & 0xf8) == 0xf0) {
            len = 4, cp = b & 0x07, min = 0x10000;
        } else {
            return false;
        }
        if (n - i < len)
            return false;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += len;
    }
    return true;
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

/* Days since 1970-01-01 -> proleptic Gregorian date (H. Hinnant's civil_from_days). */
static void pb_civil_from_days(int64_t z, int64_t *ret_y, unsigned *ret_m, unsigned *ret_d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    uint64_t doe = (uint64_t)(z - era * 146097);
    uint64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = (int64_t)yoe + era * 400;
    uint64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    uint64_t mp = (5 * doy + 2) / 153;
    unsigned d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    unsigned m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    *ret_y = y + (m <= 2);
    *ret_m = m;
    *ret_d = d;
}

/* Decodes a Timestamp message into an RFC 3339 string, or null for Go's zero time.
 * Like upstream, an empty message is the zero time and nanos are ignored. */
static int pb_time(struct pb_ctx *c, const uint8_t *p, size_t n, json_t **ret)
{
    if (n == 0) {
        *ret = json_null();
        return 0;
    }
    struct pb_reader r = { p, p + n };
    int64_t seconds = 0;
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
    int64_t days = seconds / 86400, rem = seconds % 86400;
    if (rem < 0) {
        rem += 86400;
        days--;
    }
    int64_t year;
    unsigned month, day;
    pb_civil_from_days(days, &year, &month, &day);
    char buf[64];
    snprintf(buf, sizeof(buf), "%04" PRId64 "-%02u-%02uT%02u:%02u:%02uZ", year, month, day,
             (unsigned)(rem / 3600), (unsigned)(rem / 60 % 60), (unsigned)(rem % 60));
    json_t *s = json_string(buf);
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
        return 0;
    case PB_STRING:
    case PB_TIME:
    case PB_MESSAGE:
    case PB_STRING_MAP:
    case PB_EXTRA_MAP:
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
        value = f->type == PB_STRING_MAP ? json_string("") : json_array();
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
        rc = pb_read_varint(c, r, &v);
        if (rc != 0)
            return rc;
        if (v == 0 && (f->flags & PB_OMITEMPTY) && !(f->flags & PB_POINTER)) {
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
        rc = pb_read_bytes(c, r, &p, &n);
        if (rc == 0)
            rc = pb_time(c, p, n, &val);
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
        container = pb_member(obj, f->json, json_object);
        if (container == NULL)
            return pb_fail(c, AZ_EINTERNAL, "out of memory");
        return pb_decode_message(c, f->message, p, n, container, depth + 1);
    case PB_STRING_MAP:
    case PB_EXTRA_MAP:
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
        json_t *v = json_object_get(obj, f->json);
        json_t *def = NULL;
        int rc;

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
            f->type == PB_EXTRA_MAP) {
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
                def = omit ? NULL : json_integer(0);
                break;
            case PB_TIME: /* a struct: always printed, null when zero */
                def = json_null();
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
                break;
            }
            if (def == NULL)
                continue;
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

static bool pb_equal(const uint8_t *p, size_t n, const char *s)
{
    return strlen(s) == n && memcmp(p, s, n) == 0;
}

int k8s_protobuf_has_magic(const uint8_t *buf, size_t len)
{
    return buf != NULL && len >= sizeof(pb_magic) && memcmp(buf, pb_magic, sizeof(pb_magic)) == 0;
}

static int pb_decode_body(struct pb_ctx *c, const uint8_t *buf, size_t len, json_t **ret)
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

    const struct pb_kind *k = NULL;
    for (size_t i = 0; i < ARRAY_SIZE(pb_kinds); i++) {
        if (pb_equal(u.api_version, u.api_version_len, pb_kinds[i].api_version) &&
            pb_equal(u.kind, u.kind_len, pb_kinds[i].kind)) {
            k = &pb_kinds[i];
            break;
        }
    }
    if (k == NULL)
        return pb_fail(c, AZ_EMEDIATYPE,
                       "the body of the request was in an unknown format - accepted media "
                       "types include: application/json, application/yaml (this server "
                       "decodes application/vnd.kubernetes.protobuf only for "
                       "authentication.k8s.io/v1 and authorization.k8s.io/v1 review and "
                       "token kinds, not kind \"%.*s\" in \"%.*s\")",
                       (int)(u.kind_len > 100 ? 100 : u.kind_len), (const char *)u.kind,
                       (int)(u.api_version_len > 100 ? 100 : u.api_version_len),
                       (const char *)u.api_version);

    obj = json_object();
    if (obj == NULL || json_object_set_new(obj, "kind", json_string(k->kind)) != 0 ||
        json_object_set_new(obj, "apiVersion", json_string(k->api_version)) != 0) {
        json_decref(obj);
        return pb_fail(c, AZ_EINTERNAL, "out of memory");
    }
    rc = pb_decode_message(c, k->message, u.raw, u.raw_len, obj, 0);
    if (rc == 0)
        rc = pb_finalize(c, k->message, obj, 0);
    if (rc != 0) {
        /* Wrap like upstream's create handler does for a decode error of a known kind. */
        char detail[sizeof(c->err)];
        memcpy(detail, c->err, sizeof(detail));
        snprintf(c->err, sizeof(c->err), "%s in version \"%s\" cannot be handled as a %s: %.300s",
                 k->kind, k->version, k->kind, detail);
        json_decref(obj);
        return rc;
    }
    *ret = obj;
    return 0;
}

int k8s_protobuf_decode(const uint8_t *buf, size_t len, json_t **ret, char **ret_err)
{
    struct pb_ctx c = { 0 };
    json_t *obj = NULL;
    int rc = pb_decode_body(&c, buf, len, &obj);
    if (rc != 0) {
        if (ret_err != NULL) {
            *ret_err = strdup(c.err);
            if (*ret_err == NULL)
                abort();
        }
        return rc;
    }
    *ret = obj;
    if (ret_err != NULL)
        *ret_err = NULL;
    return 0;
}
