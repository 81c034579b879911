/* apiserver.h — the state shared by the API layer: storage, watch cache, configuration, and
 * the per-call context (struct api_call) every REST operation takes, whether it comes from an
 * HTTP request or from an in-process controller. */
#ifndef ANZEN_API_APISERVER_H
#define ANZEN_API_APISERVER_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include "registry/resource.h"
#include "machinery/user.h"
#include "store/store.h"
#include "store/watchcache.h"

/* The handler of one virtual resource (row flag RES_VIRTUAL, subresource NULL) or virtual
 * subresource (subresource_def.virtual_create): the modules that own them sit above the
 * registry, so cmd/serve.c lists them in a const table handed to the apiserver. */
struct virtual_handler {
    const char *group;       /* "" for core */
    const char *resource;    /* plural */
    const char *subresource; /* NULL for the resource itself */
    virtual_create_fn create;
};

struct apiserver {
    struct store *store;        /* durable state */
    struct watchcache *wc;      /* event fan-out */
    char *server_url;           /* "https://127.0.0.1:6443" */
    char *ca_pem;               /* CA certificate (PEM), published as kube-root-ca.crt */
    /* Deferred work run by the event loop after the current request (controllers). */
    void (*defer)(struct apiserver *srv, void (*fn)(void *), void *arg);
    /* The same, delay_ms later (from the event loop only; NULL: run as defer does). */
    void (*defer_after)(struct apiserver *srv, unsigned delay_ms, void (*fn)(void *), void *arg);
    /* How long the namespace controller waits after a namespace is marked for deletion
     * before removing its content (upstream's 5 s namespaceDeletionGracePeriod). */
    unsigned namespace_deletion_grace_ms;
    void *identity;             /* identity module state (authn/), or NULL */
    void *authz;                /* authorizer state (authz/), or NULL */
    /* The bearer token authenticators in order (authn/authn.h; cmd/serve.c lists them). */
    const struct token_authenticator *const *token_authenticators;
    size_t ntoken_authenticators;
    /* The authorizer chain in order (authz/authz.h; cmd/serve.c lists them: Node, RBAC). */
    const struct authorizer *const *authorizers;
    size_t nauthorizers;
    /* The admission plugins in order, mutating then validating (registry/admission.h;
     * cmd/serve.c lists them in upstream's order). */
    const struct admission_plugin *const *admission;
    size_t nadmission;
    /* The handlers of virtual resources and subresources (cmd/serve.c lists them). */
    const struct virtual_handler *virtual_handlers;
    size_t nvirtual_handlers;
};

/* The handler srv was given for r (sub NULL) or its subresource sub, or NULL. */
virtual_create_fn apiserver_virtual_handler(const struct apiserver *srv,
                                            const struct resource_def *r, const char *sub);

struct token_authenticator;
struct authorizer;
struct admission_plugin;

enum field_validation { FIELD_VALIDATION_STRICT, FIELD_VALIDATION_WARN, FIELD_VALIDATION_IGNORE };

/* One REST call. Fields are borrowed from the caller for the call's duration. */
struct api_call {
    struct apiserver *srv;
    const struct resource_def *res;
    const char *subresource;      /* NULL for the main resource */
    const char *ns;               /* NULL or "" for cluster scope / all namespaces */
    const char *name;             /* NULL for collections */
    const struct user_info *user; /* the (possibly impersonated) requester */
    const char *field_manager;    /* managedFields manager */
    bool dry_run;
    enum field_validation validation;
    json_t *warnings;             /* array of warning texts to send back (owned by caller) */
    bool internal;                /* in-process caller (controllers): skips nothing but logs less */
    /* The consistent-read barrier (store_sync) already ran for this call, before the HTTP
     * request was resumed (store_sync_async): 0 not run (reads run it), 1 passed, or the
     * negative code it failed with. */
    int read_barrier;
    /* get only: the request's resourceVersion (NULL/"": the latest, after the barrier; "0":
     * any, from the cache as it is; "N": not older than N, as upstream's watch cache) */
    const char *resource_version;
    /* create only: when not NULL, rest_create does not write to the store itself but hands
     * the write to the caller through *defer (rest.h struct rest_deferred) and returns 1;
     * the caller writes (store_create_async) and finishes with rest_create_finish. */
    struct rest_deferred *defer;
};

/* Adds a warning text to the call (sent as `Warning: 299 - "<text>"`). */
void api_call_warn(struct api_call *c, const char *text);

#endif
