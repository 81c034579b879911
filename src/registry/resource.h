/* resource.h — the declarative table of API resources anzen serves: one row per resource.
 *
 * Each row names group/version/kind/plural/singular, short names, categories, scope, verbs,
 * subresources and how the resource is served (stored generically, or create-only "virtual"
 * resources such as access reviews whose POST runs a handler and stores nothing). */
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
    virtual_create_fn create; /* for virtual subresources (e.g. serviceaccounts/token) */
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
    virtual_create_fn create;   /* non-NULL: virtual create-only resource */
    struct subresource_def subresources[6];
};

/* All rows, and lookups. Return NULL when absent. */
const struct resource_def *resource_table(size_t *ret_n);
const struct resource_def *resource_lookup(const char *group, const char *version, const char *plural);
const struct resource_def *resource_by_kind(const char *group, const char *kind);
const struct subresource_def *resource_subresource(const struct resource_def *r, const char *name);
/* "apps/v1" or "v1". Returns a static/interned string. */
const char *resource_api_version(const struct resource_def *r);
/* Key prefix "/registry/<plural>/" plus ns ("/registry/pods/lab/") — malloc'd. */
char *resource_key(const struct resource_def *r, const char *ns, const char *name);
/* "pods" or "jobs.batch" (errors' qualified resource). */
char *resource_qualified(const struct resource_def *r);

/* Registers the handlers for virtual resources (called once at startup by modules that own
 * them: reviews, token requests). */
void resource_set_create_handler(const char *group, const char *plural, virtual_create_fn fn);
void resource_set_subresource_handler(const char *group, const char *plural, const char *sub,
                                      virtual_create_fn fn);

#endif
