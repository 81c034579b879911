/* resource.h — the declarative table of API resources anzen serves: one row per resource.
 *
 * Each row names group/version/kind/plural/singular, short names, categories, scope, verbs,
 * subresources and how the resource is served (stored generically, or create-only "virtual"
 * resources such as access reviews whose POST runs a handler and stores nothing), and carries
 * everything that differs per kind: its hooks (defaulting, create preparation, validation),
 * its Table printer, its schema (Go type description), the zero value of its Go type, and
 * flags for the few registry behaviours upstream keeps in per-kind strategies. Code outside
 * this table never asks "which kind is this?" by comparing names: it reads the row. */
#ifndef ANZEN_API_RESOURCE_H
#define ANZEN_API_RESOURCE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

enum verb_bits {
    VERB_GET = 1 << 0,
    VERB_LIST = 1 << 1,
    VERB_WATCH = 1 << 2,
    VERB_CREATE = 1 << 3,
    VERB_UPDATE = 1 << 4,
    VERB_PATCH = 1 << 5,
    VERB_DELETE = 1 << 6,
    VERB_DELETECOLLECTION = 1 << 7,
};
#define VERBS_ALL 0xff
#define VERBS_CREATE_ONLY VERB_CREATE

struct api_call;
struct field_errors;
struct field_labels;
struct schema_node;
struct table_printer;

/* Handler of a virtual (create-only, unstored) resource or subresource: computes the response
 * object for body. Returns 0 and *ret_obj, or a negative code with *ret_status set. */
typedef int (*virtual_create_fn)(struct api_call *call, json_t *body, json_t **ret_obj,
                                 json_t **ret_status);

struct subresource_def {
    const char *name;         /* "status", "token", "log", ... */
    const char *kind;         /* response kind ("Pod", "TokenRequest") */
    const char *group;        /* response kind's group (NULL: same as parent) */
    const char *version;      /* response kind's version (NULL: same as parent) */
    unsigned verbs;
    bool virtual_create;      /* POST runs a handler the apiserver is given (struct
                                 virtual_handler, cmd/serve.c) and stores nothing
                                 (serviceaccounts/token, pods/eviction, pods/binding) */
    bool sensitive_body;      /* bodies kept out of the audit log (serviceaccounts/token);
                                 a RES_SENSITIVE_BODY row's subresources are too */
    bool stream;              /* served by the pod stream handler (pods/log, pods/exec) */
    const struct schema_node *schema; /* body type when it differs from the parent's kind */
    void (*validate)(json_t *obj, json_t *old, struct field_errors *errs); /* update validation
                                 replacing the kind's (pods/ephemeralcontainers), NULL: the kind's */
};

/* Per-kind hooks (api/validate.h implements them). NULL: nothing to do / the generic rule. */
typedef void resource_defaults_fn(json_t *obj);
typedef void resource_validate_fn(json_t *obj, json_t *old, struct field_errors *errs);

/* Registry behaviours upstream keeps in per-kind strategies (resource_def.flags). */
enum resource_flags {
    RES_CREATE_KEEPS_STATUS = 1 << 0, /* has_status, yet create keeps .status (Namespace, Node) */
    RES_PATH_NAME_IS_NAMESPACE = 1 << 1, /* /api/v1/namespaces/NAME names the object itself */
    RES_NAMESPACE = 1 << 2,           /* objects are Namespaces: deletion always graceful and
                                         held by spec.finalizers, the immortal names refused
                                         (NamespaceLifecycle), PodSecurity labels checked */
    RES_DELETE_ORPHANS = 1 << 3,      /* default propagationPolicy Orphan (batch/v1 Job) */
    RES_SCHEDULER_BINDS = 1 << 4,     /* the in-process scheduler may set spec.nodeName (Pod) */
    RES_EVENTS_VIEW = 1 << 5,         /* events.k8s.io/v1 view of the core/v1 Events' storage */
    RES_POD = 1 << 6,                 /* objects are Pods (ServiceAccount, PodSecurity admission) */
    RES_VIRTUAL = 1 << 7,             /* create-only, unstored: POST runs the handler the
                                         apiserver is given (struct virtual_handler) */
    RES_NODE = 1 << 8,                /* objects are Nodes (NodeRestriction admission) */
    RES_SENSITIVE_BODY = 1 << 9,      /* request and response bodies never written to the
                                         audit log, whatever the level (Secret, TokenReview) */
    RES_RBAC_ROLE = 1 << 10,          /* objects are RBAC roles (Role, ClusterRole): rules and
                                         aggregationRule, escalation-checked, reconciled as
                                         roles at start-up */
    RES_RBAC_BINDING = 1 << 11,       /* objects are RBAC bindings (RoleBinding,
                                         ClusterRoleBinding): subjects and roleRef, bind-checked,
                                         reconciled as bindings at start-up */
    RES_GC_OWNER = 1 << 12,           /* deleting one sends the garbage collector looking for
                                         its dependents (the owners objects here have: Job,
                                         Pod, ServiceAccount, Secret, ConfigMap, Node;
                                         Namespaces are emptied by their own controller) */
    /* 1 << 13 was RES_CREATE_UNLOCKED: whether a create needs the biglock is now said by
     * the admission chain (registry/admission.h admission_create_unlocked) */
    RES_CREATE_ON_UPDATE = 1 << 14,   /* a PUT of an absent object creates it (upstream
                                         strategy AllowCreateOnUpdate: Event, Lease, Role,
                                         ClusterRole, RoleBinding, ClusterRoleBinding) */
};

struct resource_def {
    const char *group;        /* "" for core */
    const char *version;      /* "v1" */
    const char *kind;         /* "Pod" */
    const char *list_kind;    /* "PodList" */
    const char *plural;       /* "pods" */
    const char *singular;     /* "pod" */
    const char *short_names[4];
    const char *categories[2];
    bool namespaced;
    unsigned verbs;
    bool return_deleted_object; /* DELETE answers with the object (else a Success Status) */
    bool has_status;            /* main resource updates ignore .status; /status only .status */
    bool tracks_generation;     /* metadata.generation bumps on spec changes */
    struct subresource_def subresources[10];
    unsigned flags;             /* enum resource_flags */

    /* hooks and descriptions (NULL: generic) */
    resource_defaults_fn *defaults;       /* SetDefaults_<Kind>, create and update */
    resource_defaults_fn *prepare_create; /* strategy PrepareForCreate + default admission */
    resource_validate_fn *validate;       /* Validate<Kind> (old NULL) / Validate<Kind>Update;
                                             NULL: metadata only, names as DNS subdomains */
    const struct table_printer *table;    /* Table columns and cells; NULL: Name, Created At */
    const struct schema_node *schema;     /* the Go type (strict fields, typecheck, OpenAPI) */
    const char *pod_template;             /* dotted path of a workload's pod template
                                             ("spec.template"), NULL: none (PodSecurity) */
    const char *zero;                     /* the Go type's zero value as ToUnstructured writes
                                             it (JSON); NULL: {"metadata":{}} */
    const struct field_labels *fields;    /* field selector labels (machinery/selector.h);
                                             NULL: metadata.name and metadata.namespace only */
    const char *cache_index;              /* one of fields' labels whose value indexes the
                                             object cache (Pod: spec.nodeName, the pods-by-node
                                             index); a list whose field selector requires an
                                             exact value of it reads the index. NULL: none */
};

/* All rows, and lookups. Return NULL when absent. */
const struct resource_def *resource_table(size_t *ret_n);
const struct resource_def *resource_lookup(const char *group, const char *version, const char *plural);
const struct resource_def *resource_by_kind(const char *group, const char *kind);
/* The row of obj's own apiVersion and kind (its TypeMeta), or NULL (none, or not served). */
const struct resource_def *resource_of_object(json_t *obj);
const struct subresource_def *resource_subresource(const struct resource_def *r, const char *name);
/* The schema of group/version/kind among the rows and their subresources' body kinds, and
 * the meta/v1 kinds every group-version accepts (DeleteOptions, Status); NULL if unknown. */
const struct schema_node *resource_schema_by_kind(const char *group, const char *version,
                                                  const char *kind);
/* "apps/v1" or "v1". Returns a static/interned string. */
const char *resource_api_version(const struct resource_def *r);
/* Key prefix "/registry/<plural>/" plus ns ("/registry/pods/lab/") — malloc'd. */
char *resource_key(const struct resource_def *r, const char *ns, const char *name);

/* The row's hooks, with the generic behaviour where it has none (obj not an object: nothing).
 * resource_defaults: SetDefaults on create and update; resource_prepare_create: the create-only
 * mutations after defaulting; resource_validate: NUL bytes in metadata, then the row's
 * validate hook or the generic metadata rules (old NULL on create). Appends to errs. */
void resource_defaults(const struct resource_def *r, json_t *obj);
void resource_prepare_create(const struct resource_def *r, json_t *obj);
void resource_validate(const struct resource_def *r, json_t *obj, json_t *old,
                       struct field_errors *errs);

#endif
