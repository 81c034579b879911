/* schema.h — a compact structural schema of every kind anzen serves.
 *
 * One table drives: strict/warn field validation (unknown and duplicate fields), the
 * /openapi/v3 documents kubectl reads, and strategic merge patch (merge keys and strategies).
 *
 * A node describes one JSON value. Objects list their known fields; arrays and maps have an
 * item schema; arrays of objects used by strategic merge patch carry patch_merge_key and
 * patch_strategy as in upstream's Go struct tags (patchMergeKey / patchStrategy). */
#ifndef ANZEN_API_SCHEMA_H
#define ANZEN_API_SCHEMA_H

#include <jansson.h>
#include <stdbool.h>

enum schema_type {
    SCHEMA_ANY,           /* anything (x-kubernetes-preserve-unknown-fields, RawExtension) */
    SCHEMA_OBJECT,        /* known fields only */
    SCHEMA_MAP,           /* map[string]items */
    SCHEMA_ARRAY,         /* []items */
    SCHEMA_STRING,
    SCHEMA_INTEGER,
    SCHEMA_NUMBER,
    SCHEMA_BOOLEAN,
    SCHEMA_INT_OR_STRING, /* intstr.IntOrString */
    SCHEMA_QUANTITY,      /* resource.Quantity: string or number */
    SCHEMA_TIME,          /* metav1.Time: RFC3339 string or null */
};

struct schema_node;

struct schema_field {
    const char *name;               /* JSON name; NULL terminates a field list */
    const struct schema_node *type;
};

struct schema_node {
    enum schema_type type;
    const char *ref_name;                 /* OpenAPI component name, e.g. "io.k8s.api.core.v1.Container" (objects), or NULL */
    const struct schema_field *fields;    /* SCHEMA_OBJECT: NULL-name-terminated */
    const struct schema_node *items;      /* SCHEMA_ARRAY / SCHEMA_MAP */
    const char *patch_merge_key;          /* SCHEMA_ARRAY of objects: e.g. "name"; NULL = atomic/replace */
    const char *patch_strategy;           /* "merge", "retainKeys", "merge,retainKeys", "replace" or NULL */
    const char *list_type;                /* "atomic", "set", "map" or NULL */
};

/* Root schema of a kind (group "" for core), or NULL if unknown. */
const struct schema_node *schema_for_kind(const char *group, const char *version, const char *kind);
/* Schema of field name inside object node obj, or NULL if the field is unknown. */
const struct schema_node *schema_field(const struct schema_node *obj, const char *name);

/* Strict field validation. Appends to ret_msgs (a JSON array of strings) one entry per
 * unknown field in obj, as upstream renders them: `unknown field "spec.foo"`. Returns the
 * number appended.
 *
 * Paths: keys joined with ".", array elements as "[i]", map values as ".<key>", from the
 * root ("foo", "spec.template.spec.containers[0].unknownNested"), Go-%q quoted; document
 * order; messages already in ret_msgs are not repeated; at most 100 in total (upstream's
 * cap). Keys match case-sensitively. Nothing below an unknown or free-form field is checked.
 *
 * What the caller adds (kube-apiserver v1.32):
 *  - fieldValidation=Strict on POST/PUT: 400 BadRequest, message
 *      `<Kind> in version "<version>" cannot be handled as a <Kind>: strict decoding error: `
 *    followed by the messages joined with ", ";
 *  - fieldValidation=Warn (the default when absent): one `Warning: 299 - "<msg>"` header
 *    per message (quote the message as a Warning header text), request proceeds;
 *  - Ignore: nothing. Duplicate fields ("duplicate field \"spec.x\"") are not detected here:
 *    jansson keeps only the last value of a duplicated key. */
int schema_find_unknown_fields(const struct schema_node *root, json_t *obj, json_t *ret_msgs);

/* As schema_find_unknown_fields, and also deletes the unknown fields from obj (what upstream's
 * typed decoding does for fieldValidation=Warn and Ignore). */
int schema_prune_unknown_fields(const struct schema_node *root, json_t *obj, json_t *ret_msgs);

/* OpenAPI v3 document for one group-version (kubectl's /openapi/v3/<path>). kinds is a JSON
 * array of {"kind":K,"plural":P,"namespaced":bool,"verbs":[...]} for that group-version. */
json_t *openapi_v3_document(const char *group, const char *version, json_t *kinds);

#endif
