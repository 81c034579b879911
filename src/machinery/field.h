/* field.h — field errors (upstream apimachinery field.ErrorList) and their rendering into the
 * 422 Invalid Status message and details.causes.
 *
 * A field error has a type (Required, Invalid, NotSupported, Forbidden, Duplicate, TooLong,
 * TooMany, NotFound, Internal), a field path ("metadata.name", "spec.containers[0].image"),
 * an optional bad value (JSON, rendered like Go's %q/%v: strings quoted, numbers plain,
 * null as null) and a detail string. */
#ifndef ANZEN_API_FIELD_H
#define ANZEN_API_FIELD_H

#include <jansson.h>
#include <stddef.h>

enum field_error_type {
    FIELD_REQUIRED,      /* "Required value" / FieldValueRequired */
    FIELD_INVALID,       /* "Invalid value" / FieldValueInvalid */
    FIELD_NOT_SUPPORTED, /* "Unsupported value" / FieldValueNotSupported */
    FIELD_FORBIDDEN,     /* "Forbidden" / FieldValueForbidden */
    FIELD_DUPLICATE,     /* "Duplicate value" / FieldValueDuplicate */
    FIELD_TOO_LONG,      /* "Too long" / FieldValueTooLong */
    FIELD_TOO_MANY,      /* "Too many" / FieldValueTooMany */
    FIELD_NOT_FOUND,     /* "Not found" / FieldValueNotFound */
    FIELD_INTERNAL,      /* "Internal error" / InternalError */
};

struct field_error {
    enum field_error_type type;
    char *field;     /* path, malloc'd */
    json_t *value;   /* bad value (owned reference) or NULL when the type prints no value */
    char *detail;    /* malloc'd, may be NULL */
    char *rendered;  /* value already rendered Go-style (field_errors_add_raw), malloc'd, or NULL;
                      * used instead of value when set */
};

struct field_errors {
    struct field_error *items;
    size_t n, cap;
};

void field_errors_init(struct field_errors *fe);
void field_errors_release(struct field_errors *fe);
/* Appends an error; value is borrowed (incref'd), detail may be NULL. */
void field_errors_add(struct field_errors *fe, enum field_error_type type, const char *field,
                      json_t *value, const char *detail);
/* printf-style field path helper: field_errors_addf(fe, FIELD_INVALID, value, detail, "spec.x[%d]", i) */
void field_errors_addf(struct field_errors *fe, enum field_error_type type, json_t *value,
                       const char *detail, const char *field_fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* NotSupported with the list of supported values (rendered `supported values: "a", "b"`). */
void field_errors_add_not_supported(struct field_errors *fe, const char *field, json_t *value,
                                    const char *const *supported);

/* Appends an error whose bad value is given pre-rendered (e.g. a Go %#v struct such as
 * `rbac.RoleRef{APIGroup:"...", Kind:"Role", Name:"x"}`); rendered may be NULL (no value). */
void field_errors_add_raw(struct field_errors *fe, enum field_error_type type, const char *field,
                          const char *rendered, const char *detail);

struct buf;
/* Appends s (n bytes) quoted like Go's strconv.Quote / %q. */
void field_quote_go(struct buf *b, const char *s, size_t n);
/* Appends a JSON value rendered as upstream's ErrorBody prints a bad value. */
void field_value_render(struct buf *b, json_t *v);

/* "<field>: <body>" for one error, malloc'd. */
char *field_error_string(const struct field_error *e);
/* The body without the path (cause.message), malloc'd. */
char *field_error_body(const struct field_error *e);
/* Upstream cause reason constant ("FieldValueInvalid", ...). */
const char *field_error_reason(enum field_error_type t);
/* The aggregate text: one error alone, several as "[e1, e2]" (duplicates removed). malloc'd. */
char *field_errors_aggregate(const struct field_errors *fe);

#endif
