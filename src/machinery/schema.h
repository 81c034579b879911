/* schema.h — a compact structural schema of every kind anzen serves: one description per Go
 * type.
 *
 * One table drives: strict/warn field validation (unknown and duplicate fields), the Go type
 * checks of request bodies (typecheck.c), the /openapi/v3 and /openapi/v2 documents kubectl
 * reads, strategic merge patch (merge keys and strategies), managedFields, and the protobuf
 * decoder (protobuf.c: field numbers and JSON traits below).
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

/* JSON traits of a Go struct field and refinements of its Go type (schema_field.traits). */
enum schema_traits {
    SCHEMA_OMITEMPTY = 1 << 0, /* json:",omitempty" */
    SCHEMA_POINTER = 1 << 1,   /* a pointer field: kept when present even if zero */
    SCHEMA_INT64 = 1 << 2,     /* SCHEMA_INTEGER: int64 (else int32) */
    SCHEMA_BYTES = 1 << 3,     /* SCHEMA_MAP of SCHEMA_STRING: map[string][]byte (base64) */
    SCHEMA_MICRO = 1 << 4,     /* SCHEMA_TIME: metav1.MicroTime (else metav1.Time) */
};

struct schema_field {
    const char *name;               /* JSON name; NULL terminates a field list */
    const struct schema_node *type;
    /* Protobuf (k8s.io/api generated.proto): the field number, 0 when the decoder does not
     * decode the field (skipped like an unknown field). pb_via non-zero: the field belongs to
     * the struct embedded with json:",inline" at that number (Volume's VolumeSource, the
     * LocalObjectReference of selectors and sources, Probe's ProbeHandler), whose Go name is
     * the object's pb_inline. */
    unsigned short pb;
    unsigned char pb_via;
    unsigned char traits;           /* enum schema_traits */
};

struct schema_node {
    enum schema_type type;
    const char *ref_name;                 /* OpenAPI component name, e.g. "io.k8s.api.core.v1.Container" (objects), or NULL */
    const struct schema_field *fields;    /* SCHEMA_OBJECT: NULL-name-terminated */
    const struct schema_node *items;      /* SCHEMA_ARRAY / SCHEMA_MAP */
    const char *patch_merge_key;          /* SCHEMA_ARRAY of objects: e.g. "name"; NULL = atomic/replace */
    const char *patch_strategy;           /* "merge", "retainKeys", "merge,retainKeys", "replace" or NULL */
    const char *list_type;                /* "atomic", "set", "map" or NULL */
    const char *pb_inline;                /* Go type of the json:",inline" struct (pb_via) */
    bool struct_atomic;                   /* SCHEMA_OBJECT: +structType=atomic
                                             (x-kubernetes-map-type: atomic) */
    const char *list_map_keys[4];         /* SCHEMA_ARRAY +listType=map with several keys
                                             (+listMapKey), in declared order; else the
                                             patch_merge_key is the only key */
    const char *list_map_key_defaults[4]; /* JSON text of a key's default value, or NULL */
};

/* Root types of the kinds anzen serves (schema_core.c). The resource rows (api/resource.c)
 * point at them; resource_schema_by_kind() finds one by group/version/kind. */
extern const struct schema_node schema_namespace, schema_service_account, schema_secret,
    schema_config_map, schema_pod, schema_node_kind, schema_event, schema_events_event,
    schema_job, schema_role, schema_cluster_role, schema_role_binding,
    schema_cluster_role_binding, schema_lease, schema_token_request, schema_token_review,
    schema_self_subject_review, schema_self_subject_access_review,
    schema_subject_access_review, schema_local_subject_access_review,
    schema_self_subject_rules_review, schema_eviction;
/* Types kubectl sends that anzen does not serve (batch/v1 CronJob, apps/v1 Deployment): no
 * resource row points at them; the protobuf decoder tests do. */
extern const struct schema_node schema_cron_job, schema_deployment;
/* meta/v1 types registered in every group-version (DeleteOptions, Status) and ListMeta. */
extern const struct schema_node schema_delete_options, schema_status, schema_list_meta;

/* Finds the schema of group/version/kind (NULL: unknown). The resource table provides one
 * (registry's resource_schema_by_kind); the libraries here take it as a parameter. */
typedef const struct schema_node *schema_lookup_fn(const char *group, const char *version,
                                                   const char *kind);

/* Schema of field name inside object node obj, or NULL if the field is unknown. */
const struct schema_node *schema_field(const struct schema_node *obj, const char *name);
/* The field name of object node obj (its type, protobuf number and traits), or NULL. */
const struct schema_field *schema_field_def(const struct schema_node *obj, const char *name);

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
 * array of {"kind":K,"plural":P,"namespaced":bool,"verbs":[...]} for that group-version;
 * lookup finds each kind's schema (the resource table's resource_schema_by_kind). */
json_t *openapi_v3_document(const char *group, const char *version, json_t *kinds,
                            schema_lookup_fn *lookup);

#endif
