/* selector.h — label selectors and field selectors, parsed and matched like upstream
 * (k8s.io/apimachinery/pkg/labels/selector.go, k8s.io/apimachinery/pkg/fields/selector.go,
 * metav1.LabelSelectorAsSelector, and the per-kind field label conversion functions of
 * pkg/apis/<group>/<version>/conversion.go with the registry strategies' selectable fields).
 *
 * Error texts are exactly what upstream puts in Status.message of the 400 BadRequest for
 * `GET ...?labelSelector=...` / `?fieldSelector=...` (the apiserver wraps the parse error
 * unchanged in errors.NewBadRequest(err.Error())), e.g.
 *     found 'b', expected: ',' or 'end of string'
 *     unable to parse requirement: <nil>: Invalid value: "a b": name part must consist of ...
 *     invalid selector: 'x'; can't understand 'x'
 *     field label not supported: spec.foo
 * Bad values are quoted like Go's %q (non-ASCII printability is approximated).
 *
 * Label selector syntax (labels.Parse):
 *     requirement [, requirement]...
 *     requirement := [!]KEY | KEY (=|==|!=) VALUE | KEY (in|notin) (V1, V2, ...) | KEY (>|<) INT
 * KEY is a qualified name ([prefix/]name), VALUE a label value (validated, upstream messages).
 *
 * Field selector syntax (fields.ParseSelector): FIELD(=|==|!=)VALUE separated by ',';
 * '\' escapes '\', ',' and '=' in values. Terms are kept sorted (upstream sorts them), terms
 * with both sides empty are dropped.
 *
 * Limits: inputs longer than SELECTOR_MAX_BYTES or with more than SELECTOR_MAX_REQUIREMENTS
 * requirements are rejected (AZ_EBADREQUEST, message names the limit; upstream has none). */
#ifndef ANZEN_API_SELECTOR_H
#define ANZEN_API_SELECTOR_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define SELECTOR_MAX_BYTES 65536
#define SELECTOR_MAX_REQUIREMENTS 1024

/* ---- label selectors ---- */

enum label_op {
    LABEL_OP_IN,             /* "in" */
    LABEL_OP_NOT_IN,         /* "notin" */
    LABEL_OP_EQUALS,         /* "=" */
    LABEL_OP_DOUBLE_EQUALS,  /* "==" */
    LABEL_OP_NOT_EQUALS,     /* "!=" */
    LABEL_OP_EXISTS,         /* "exists" */
    LABEL_OP_DOES_NOT_EXIST, /* "!" */
    LABEL_OP_GT,             /* "gt" */
    LABEL_OP_LT,             /* "lt" */
};

struct label_selector;

/* Parses a label selector string. On success returns 0 and *ret (free with
 * label_selector_free); "" parses to the empty selector (matches everything). On failure
 * returns AZ_EBADREQUEST and, when ret_err is not NULL, *ret_err = malloc'd upstream text. */
int label_selector_parse(const char *s, struct label_selector **ret, char **ret_err);

/* Converts a metav1.LabelSelector JSON object ({matchLabels, matchExpressions}) like
 * metav1.LabelSelectorAsSelector: NULL or JSON null gives a selector that matches nothing,
 * {} one that matches everything. On failure returns AZ_EINVALID and the upstream text in
 * *ret_err (e.g. `"Foo" is not a valid label selector operator`, or a NewRequirement error
 * such as `key: Invalid value: "a b": name part must ...`); shape errors (matchLabels not an
 * object of strings, ...) get our own text. */
int label_selector_from_json(json_t *label_selector, struct label_selector **ret,
                             char **ret_err);

/* Whether labels (a JSON object of string values, or NULL for no labels) satisfy every
 * requirement. Non-string label values count as absent. */
bool label_selector_matches(const struct label_selector *sel, json_t *labels);

/* True when the selector has no requirements and is not the "nothing" selector. */
bool label_selector_empty(const struct label_selector *sel);

/* Introspection (for authorization attributes): number of requirements, and the i-th one
 * in upstream order (sorted by key). Values of parsed selectors are sorted and
 * de-duplicated; those from label_selector_from_json are kept as given. */
size_t label_selector_count(const struct label_selector *sel);
void label_selector_requirement(const struct label_selector *sel, size_t i,
                                const char **ret_key, enum label_op *ret_op,
                                const char *const **ret_values, size_t *ret_nvalues);

/* Upstream's canonical String() form ("a=b,c in (x,y),!d"); malloc'd. */
char *label_selector_string(const struct label_selector *sel);

void label_selector_free(struct label_selector *sel);

/* ---- field selectors ---- */

struct field_selector;

/* Parses a field selector string; "" gives the empty selector. On failure returns
 * AZ_EBADREQUEST with upstream's text in *ret_err (when ret_err is not NULL):
 *   invalid selector: '<whole>'; can't understand '<term>'
 *   invalid field selector: invalid escape sequence: \x
 *   invalid field selector: unescaped character in value: 61      (Go prints the rune code) */
int field_selector_parse(const char *s, struct field_selector **ret, char **ret_err);

/* The field labels one kind accepts in a field selector and where each value is read: the
 * kind's field label conversion func (pkg/apis/<group>/<version>/conversion.go) and its
 * registry strategy's ToSelectableFields. A resource row points at its kind's set
 * (resource_def.fields); NULL stands for the kinds without own labels, which accept
 * metadata.name and metadata.namespace only (DefaultMetaV1FieldSelectorConversion). */
struct field_labels;
extern const struct field_labels field_labels_pod;       /* core/v1 Pod */
extern const struct field_labels field_labels_node;      /* core/v1 Node */
extern const struct field_labels field_labels_event;     /* core/v1 Event */
extern const struct field_labels field_labels_namespace; /* core/v1 Namespace */
extern const struct field_labels field_labels_secret;    /* core/v1 Secret */
extern const struct field_labels field_labels_job;       /* batch/v1 Job */

/* The set's id, which the selector attributes carry in their byte 0: 1..255, different for
 * every set; 0 for NULL. */
unsigned field_labels_id(const struct field_labels *k);

/* Checks every term against the field labels k accepts (NULL: metadata.name and
 * metadata.namespace), like the apiserver's Transform through Scheme.ConvertFieldLabel.
 * Returns 0, or AZ_EBADREQUEST with upstream's text for the first unsupported label in sorted
 * order:
 *   field label not supported: <label>                               (kinds with own rules)
 *   field label "<label>" not supported for Job                      (batch Job)
 *   "<label>" is not a known field selector: only "metadata.name", "metadata.namespace"
 *                                                                    (k NULL) */
int field_selector_check_supported(const struct field_selector *sel, const struct field_labels *k,
                                   char **ret_err);

/* Whether obj, an object of the kind whose labels are k, satisfies every term. Values are
 * read like the kind's upstream ToSelectableFields (aliases such as pods' spec.host, Job's
 * status.successful from status.succeeded, unset booleans "false", unset counts "0");
 * labels k does not list (all of them when k is NULL) are read by dotted path: strings
 * as-is, booleans "true"/"false", integers in decimal, missing or other types "". */
bool field_selector_matches(const struct field_selector *sel, const struct field_labels *k,
                            json_t *obj);

/* Upstream RequiresExactMatch(field): the value of the first (sorted) "field=value" or
 * "field==value" term, or NULL. Points into sel. */
const char *field_selector_requires_exact(const struct field_selector *sel, const char *field);

/* field_selector_requires_exact(sel, "metadata.name"). */
const char *field_selector_exact_name(const struct field_selector *sel);

/* True when the selector has no terms. */
bool field_selector_empty(const struct field_selector *sel);

void field_selector_free(struct field_selector *sel);

/* ---- pre-parsed filter data ("selector attributes", issue 9) ----
 * What label and field selectors read from an object, extracted once (when the object enters
 * the object cache) so that matching never decodes JSON. The form, NUL-separated text:
 *
 *     byte 0      field_labels_id() of the kind's field labels (0: none of its own)
 *     bytes 1-2   the offset of the labels (little endian), so a label selector skips the
 *                 values
 *     values      one NUL-terminated value per field label of the set, in its order, as
 *                 field_selector_matches reads it (aliases, "false"/"0" defaults included);
 *                 id 0: metadata.name, metadata.namespace
 *     labels      key NUL value NUL ... (string-valued labels only, as label matching sees
 *                 them)
 *
 * A pod is typically 60-120 bytes. Values are C strings, as the decoding matchers read them
 * (json_string_value: a value with a NUL byte ends there, for both). */
struct buf;

/* Appends the attributes of obj, an object of the kind whose field labels are k (NULL: none
 * of its own), to out: 0, or AZ_EINVALID (out unchanged) when obj is not an object or a value
 * cannot be carried. */
int selector_attrs_build(const struct field_labels *k, json_t *obj, struct buf *out);

/* label_selector_matches / field_selector_matches over attributes a: 1 match, 0 no match,
 * -1 when the attributes cannot answer (malformed, built with other field labels than k, or
 * a field k does not serve); the caller then decodes the object. */
int label_selector_matches_attrs(const struct label_selector *sel, const char *a, size_t len);
int field_selector_matches_attrs(const struct field_selector *sel, const struct field_labels *k,
                                 const char *a, size_t len);

/* The value of field label field in attributes a built with k, or NULL (not a field k serves,
 * or a not built with k). */
const char *selector_attrs_field(const struct field_labels *k, const char *a, size_t len,
                                 const char *field);

#endif
