/* status.h — the one place that builds metav1.Status objects (spec/06-http-errors.md).
 * Every HTTP error the server sends is a Status from here. All return new references. */
#ifndef ANZEN_API_STATUS_H
#define ANZEN_API_STATUS_H

#include <jansson.h>
#include "machinery/field.h"
#include "util/err.h"

struct resource_def;

/* Generic: code/reason from err, the given message and details (stolen, may be NULL). */
json_t *status_new(enum az_err err, const char *message, json_t *details);
/* printf-style message, no details. */
json_t *status_newf(enum az_err err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* `<res>[.<group>] "<name>" not found` with details {name, group, kind: plural}. */
json_t *status_not_found(const char *group, const char *plural, const char *name);
/* `the server could not find the requested resource`, details {}. */
json_t *status_not_found_path(void);
json_t *status_already_exists(const char *group, const char *plural, const char *name);
json_t *status_conflict(const char *group, const char *plural, const char *name, const char *why);
/* 422: `<Kind>[.<group>] "<name>" is invalid: <aggregate>` with causes. */
json_t *status_invalid(const char *group, const char *kind, const char *name,
                       const struct field_errors *errs);
/* 403 generic: `<res>[.<group>] "<name>" is forbidden: <err>` / without name / `forbidden: <err>`. */
json_t *status_forbidden(const char *group, const char *plural, const char *name, const char *err);
json_t *status_bad_request(const char *msg);
json_t *status_internal(const char *err);
json_t *status_method_not_allowed(void);
json_t *status_unauthorized(void);
json_t *status_too_large(void);
json_t *status_gone(const char *msg);
/* 504 Timeout for a list at a resourceVersion newer than the store's (upstream
 * storage.NewTooLargeResourceVersionError, retryAfterSeconds 1). rv: as the client sent it. */
json_t *status_too_large_resource_version(const char *rv, int64_t current);
/* 415 with the list of accepted media types in upstream's wording. */
json_t *status_unsupported_media_type(const char *accepted);
/* {"kind":"Status",...,"status":"Success","details":{name,group,kind,uid}} for deletes. */
json_t *status_success_deleted(const char *group, const char *plural, const char *name,
                               const char *uid);

/* HTTP status of a Status object (its "code"). */
int status_code(json_t *status);

#endif
