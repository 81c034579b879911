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

/* Checks every term against the field labels the kind accepts (group "" is core), like the
 * apiserver's Transform through Scheme.ConvertFieldLabel. Returns 0, or AZ_EBADREQUEST with
 * upstream's text for the first unsupported label in sorted order:
 *   field label not supported: <label>                               (kinds with own rules)
 *   field label "<label>" not supported for Job                      (batch Job)
 *   "<label>" is not a known field selector: only "metadata.name", "metadata.namespace"
 *                                                                    (every other kind) */
int field_selector_check_supported(const struct field_selector *sel, const char *group,
                                   const char *kind, char **ret_err);

/* Whether obj satisfies every term. The kind comes from obj's apiVersion/kind; values are
 * read like the kind's upstream ToSelectableFields (aliases such as pods' spec.host, Job's
 * status.successful from status.succeeded, unset booleans "false", unset counts "0");
 * other labels are read by dotted path: strings as-is, booleans "true"/"false", integers in
 * decimal, missing or other types "". */
bool field_selector_matches(const struct field_selector *sel, json_t *obj);

/* As field_selector_matches with the kind given explicitly (for objects without TypeMeta). */
bool field_selector_matches_kind(const struct field_selector *sel, const char *group,
                                 const char *kind, json_t *obj);

/* Upstream RequiresExactMatch(field): the value of the first (sorted) "field=value" or
 * "field==value" term, or NULL. Points into sel. */
const char *field_selector_requires_exact(const struct field_selector *sel, const char *field);

/* field_selector_requires_exact(sel, "metadata.name"). */
const char *field_selector_exact_name(const struct field_selector *sel);

/* True when the selector has no terms. */
bool field_selector_empty(const struct field_selector *sel);

void field_selector_free(struct field_selector *sel);

#endif
