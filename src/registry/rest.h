/* rest.h — the generic REST operations on stored resources (upstream's generic registry
 * store + endpoint handlers): get, list, create, update, patch, delete, deletecollection,
 * with defaulting, validation, admission, managedFields, resourceVersion and uid handling.
 *
 * Each returns 0 on success with a new object in *ret_obj, or a negative az_err code with a
 * Status object in *ret_status. *ret_code gets the HTTP status of a success (200/201).
 *
 * THREADS: rest_get, rest_list, rest_list_open / _stream_next / _stream_free,
 * rest_parse_selectors, rest_object_matches, rest_to_table, rest_read_cached and
 * rest_read_key may be called from any thread without the biglock (issue 10: the server
 * serves GET and LIST on every request loop at once). What they touch:
 *   - the object cache (watchcache_get/list*, watchcache_rev, item and list references):
 *     epoch-protected snapshot reads of immutable, refcounted bytes (watchcache.h);
 *   - the store (store_get, store_list, store_current_rev: Exact resourceVersions, old
 *     continue tokens, no cache) and the consistent-read barrier (store_sync: every backend
 *     serialises internally and suspends the biglock only if the caller held it);
 *   - the resource table (static const; resource_api_version fills its strings once under
 *     pthread_once), selectors, continue tokens, Table cells, item bytes and JSON printing:
 *     built per call from the request and the object, no shared state;
 *   - api_call (c->warnings, c->read_barrier): the caller's, one request.
 * The write operations (create, update, patch, apply, delete, deletecollection) run with the
 * biglock held (admission, RBAC escalation checks, controllers' shared state). */
#ifndef ANZEN_API_REST_H
#define ANZEN_API_REST_H

#include <jansson.h>
#include <stdint.h>
#include "registry/apiserver.h"

struct label_selector;
struct field_selector;

struct list_opts {
    const char *label_selector;   /* raw, or NULL */
    const char *field_selector;   /* raw, or NULL */
    int64_t limit;                /* 0: none */
    const char *continue_token;   /* or NULL */
    const char *resource_version; /* or NULL */
    const char *resource_version_match; /* "Exact", "NotOlderThan" or NULL */
};

int rest_get(struct api_call *c, json_t **ret_obj, json_t **ret_status);
/* rest_get's object as the object cache's item (a reference to its immutable bytes; release
 * it with watchcache_item_release), after the same barrier: 0 with *ret_it; AZ_EUNAVAILABLE
 * (no *ret_status) when the cache cannot answer and rest_get would read the store; else the
 * error with its Status (404, 400/504 for the resourceVersion, 500). */
struct wc_item;
int rest_get_item(struct api_call *c, struct wc_item *ret_it, json_t **ret_status);
int rest_list(struct api_call *c, const struct list_opts *o, json_t **ret_obj, json_t **ret_status);

/* The same list written piece by piece (issue 9: large lists streamed with bounded memory).
 * rest_list_open decides the list (selectors, limit, continue, resourceVersion: every error
 * Status comes from here) and keeps references to the cached items it will write, not a copy;
 * rest_list_stream_next appends the next part (about max bytes, at least one item) to out and
 * returns true while more follows. pretty: json_dump_go's indented form, else the compact one
 * (with its newline). The stream may be written on any thread; free it with
 * rest_list_stream_free. */
struct rest_list_stream;
int rest_list_open(struct api_call *c, const struct list_opts *o, bool pretty,
                   struct rest_list_stream **ret, json_t **ret_status);
bool rest_list_stream_next(struct rest_list_stream *ls, struct buf *out, size_t max);
void rest_list_stream_free(struct rest_list_stream *ls);

/* watchcache_attrs_fn of the object cache: selector attributes, pods indexed by spec.nodeName. */
int rest_cache_attrs(const char *key, const char *value, size_t len, struct buf *attrs,
                     struct buf *index, json_t **tree);
/* Upstream EnsureObjectNamespaceMatchesRequestNamespace, as every create, update and patch
 * handler applies it (the virtual creates of subresources too: pods/binding, pods/eviction,
 * serviceaccounts/token): obj's metadata.namespace set to c->ns when absent, removed for a
 * cluster-scoped c->res; a different one is a 400 BadRequest Status. */
int rest_check_namespace(struct api_call *c, json_t *obj, json_t **ret_status);
int rest_create(struct api_call *c, json_t *obj, json_t **ret_obj, int *ret_code, json_t **ret_status);

/* A create whose store write the caller makes (api_call.defer): everything before the
 * write (decoding checks, defaults, managedFields, admission, validation) has passed. The
 * caller writes value under key (store_create_async), then calls rest_create_finish with
 * the outcome, then rest_deferred_release. */
struct rest_deferred {
    char *key;                      /* the object's store key (malloc'd) */
    char *value;                    /* the stored bytes: compact JSON without resourceVersion */
    size_t len;
    json_t *obj;                    /* the object as stored (a reference) */
    const struct resource_def *res; /* for the Status of a failed write */
    char *name;                     /* metadata.name (malloc'd) */
};

/* The answer of a deferred create after its write: rc 0 and rev → 0 and *ret_obj (a new
 * reference to the object with its resourceVersion); rc < 0 → rc and *ret_status (upstream's
 * AlreadyExists for AZ_EEXIST, else an internal error). */
int rest_create_finish(struct rest_deferred *d, int rc, int64_t rev, json_t **ret_obj, json_t **ret_status);
void rest_deferred_release(struct rest_deferred *d);
int rest_update(struct api_call *c, json_t *obj, json_t **ret_obj, int *ret_code, json_t **ret_status);
/* patch_type: an enum patch_type value (api/patch.h). */
int rest_patch(struct api_call *c, int patch_type, const char *body, size_t len, json_t **ret_obj,
               json_t **ret_status);
/* Server-side apply (PATCH application/apply-patch+yaml) of body (YAML or JSON) by
 * c->field_manager; creates the object when absent (*ret_code 201, else 200). See api/apply.h. */
int rest_apply(struct api_call *c, const char *body, size_t len, bool force, json_t **ret_obj,
               int *ret_code, json_t **ret_status);
/* opts: a DeleteOptions object or NULL. */
int rest_delete(struct api_call *c, json_t *opts, json_t **ret_obj, int *ret_code, json_t **ret_status);
int rest_deletecollection(struct api_call *c, const struct list_opts *o, json_t *opts,
                          json_t **ret_obj, json_t **ret_status);


/* Reads one stored object by key with resourceVersion set (NULL if absent). */
/* The object at store key from the object cache (as current as the watch cache: what its
 * subscribers have seen; no store_sync), decoded with resourceVersion set; the store when
 * there is no cache. NULL if absent. For in-process checks that used to keep their own copy
 * (the token authenticator). */
json_t *rest_read_cached(struct apiserver *srv, const char *key);
json_t *rest_read_key(struct apiserver *srv, const char *key);

/* Filter used by list and watch: namespace, and parsed selectors (either may be NULL). */
bool rest_object_matches(json_t *obj, const char *ns, const struct label_selector *ls,
                         const struct field_selector *fs);
/* Parses the selectors of o for resource r; on error returns a 400 Status. */
int rest_parse_selectors(const struct resource_def *r, const struct list_opts *o,
                         struct label_selector **ret_ls, struct field_selector **ret_fs,
                         json_t **ret_status);

/* Server-side printing: a meta.k8s.io/v1 Table for an object or a list. */
json_t *rest_to_table(const struct resource_def *r, json_t *obj_or_list, bool include_columns);

/* The fieldsV1 set of an object (managedFields). */
json_t *rest_fields_v1(const struct resource_def *r, json_t *obj);

#endif
