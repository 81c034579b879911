/* patch.h — the three PATCH content types kube-apiserver applies to an existing object.
 *
 *   application/json-patch+json            RFC 6902, as github.com/evanphx/json-patch v4 applies it
 *   application/merge-patch+json           RFC 7386, as evanphx/json-patch v4 MergePatch
 *   application/strategic-merge-patch+json k8s.io/apimachinery/pkg/util/strategicpatch
 *                                          (StrategicMergeMapPatch), driven by api/schema.h
 *
 * Error contract (staging/src/k8s.io/apiserver/pkg/endpoints/handlers/patch.go, with the default
 * fieldValidation Warn/Strict decoding path):
 *
 *   code            when                                         *ret_err (Go's err.Error())
 *   AZ_EBADREQUEST  body is not JSON / wrong top-level type;     "error decoding patch: invalid character 'x' ..."
 *                   directive format errors (SMP)                 (SMP: without the "error decoding patch: " prefix)
 *                   merge patch body `null`                       "Invalid JSON Patch"
 *   AZ_ETOOLARGE    more than PATCH_MAX_JSON_OPS operations       "The allowed maximum operations in a JSON patch is 10000, got N"
 *                   body larger than PATCH_MAX_BYTES              "limit is 3145728"
 *   AZ_EINVALID     a JSON patch operation failed (test failed,   evanphx text, e.g. "testing value /a failed: test failed";
 *                   missing path, bad index); SMP list-of-lists   the Status message is generic (see patch_error_status)
 *                   result is not an object                       " \"\" is invalid: patch: Invalid value: ..."
 *   AZ_EINTERNAL    SMP errors upstream does not classify         e.g. "map: map[image:x] does not contain declared merge key: name"
 *                   (missing merge key, bad $patch value, ...)
 *
 * patch_error_status() turns (code, *ret_err) into the exact metav1.Status upstream sends. */
#ifndef ANZEN_API_PATCH_H
#define ANZEN_API_PATCH_H

#include <jansson.h>
#include <stddef.h>
#include "machinery/schema.h"

enum patch_type {
    PATCH_TYPE_JSON,      /* application/json-patch+json */
    PATCH_TYPE_MERGE,     /* application/merge-patch+json */
    PATCH_TYPE_STRATEGIC, /* application/strategic-merge-patch+json */
};

#define PATCH_MAX_JSON_OPS 10000           /* upstream maxJSONPatchOperations */
#define PATCH_MAX_BYTES (3 * 1024 * 1024)  /* upstream MaxRequestBodyBytes default */
#define PATCH_MAX_COPY_BYTES (3 * 1024 * 1024) /* upstream JSONPatchMaxCopyBytes default */
#define PATCH_MAX_DEPTH 256                /* nesting bound of patch bodies and results */

/* Patch type of a Content-Type value (parameters after ';' ignored); -1 if not a patch type. */
int patch_type_from_media_type(const char *content_type);

/* Applies patch (len bytes of JSON) of type t to original. original is never modified; on
 * success *ret is a new JSON object (new reference) and 0 is returned. On failure returns a
 * negative AZ_E* code (see the table above) and *ret_err is a malloc'd message; *ret is untouched.
 * schema is the root schema of the object's kind (may be NULL: strategic lists then replace). */
int patch_apply(enum patch_type t, const struct schema_node *schema, json_t *original,
                const char *patch, size_t len, json_t **ret, char **ret_err);

/* The metav1.Status upstream sends for a patch_apply() failure (new reference). */
json_t *patch_error_status(int code, const char *err);

/* Parses buf as Go's encoding/json would accept it: returns a new reference (JSON null is
 * json_null()) or NULL with *ret_err (malloc'd) set to Go's syntax error text, e.g.
 * "invalid character 'b' looking for beginning of object key string". */
json_t *json_parse_go(const char *buf, size_t len, char **ret_err);

/* Go's names of a decoded JSON value: its kind in encoding/json's UnmarshalTypeError
 * ("object", "array", "string", "number", "bool", "null"), and its type once decoded into
 * interface{} ("map[string]interface {}", "[]interface {}", "string", "int64", "float64",
 * "bool"; "%!s(<nil>)" for null). */
const char *patch_go_json_kind(json_t *v);
const char *patch_go_type_name(json_t *v);

/* Lower-level entry points. */

/* RFC 7386 merge of patch into doc; returns the merged value (new reference). */
json_t *patch_merge_value(json_t *doc, json_t *patch);

/* Strategic merge of patch (an object) into doc (an object, modified in place; patch is not
 * modified). schema describes doc (may be NULL). Returns 0 or a code and *ret_err as above. */
int smpatch_merge(json_t *doc, json_t *patch, const struct schema_node *schema, char **ret_err);

#endif
