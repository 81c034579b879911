/* requestinfo.h — URL + method → request attributes, upstream's RequestInfoFactory
 * (staging/src/k8s.io/apiserver/pkg/endpoints/request/requestinfo.go, v1.32; summary in
 * shared/spec/13-misc.md §13.1). The result feeds authorization, audit and routing.
 *
 * Rules, in upstream's order:
 *   - the path (already percent-decoded, no query) is trimmed of '/' at both ends and split
 *     on '/' (empty inner segments are kept, like Go's strings.Split);
 *   - fewer than 3 segments, a first segment other than "api"/"apis", or "apis" with fewer
 *     than 4 segments: non-resource request, verb = lower-case method;
 *   - otherwise: prefix, group ("" for /api), version; a following "watch" or "proxy"
 *     segment is the verb (legacy verb-via-path; error when nothing follows it), else the
 *     method maps POST→create, GET/HEAD→get, PUT→update, PATCH→patch, DELETE→delete,
 *     anything else → "";
 *   - "namespaces/<ns>" sets the namespace; unless the next segment is "status" or
 *     "finalize" the parts restart after it (so the namespace object itself has resource
 *     "namespaces", name <ns> and namespace <ns>);
 *   - parts = resource/name/subresource/... (no subresource for the "proxy" verb);
 *   - get without a name becomes watch (query watch present and not false/0, case-
 *     insensitive) or list; for list/watch, a fieldSelector that requires metadata.name=X
 *     (upstream RequiresExactMatch) sets name = X when X is a valid path segment name and
 *     the list options decode cleanly (labelSelector, fieldSelector, timeoutSeconds and
 *     limit all parse);
 *   - delete without a name becomes deletecollection;
 *   - with AuthorizeWithSelectors (on in 1.32) list/watch/deletecollection requests that
 *     did not use a verb path prefix carry the raw fieldSelector/labelSelector values. */
#ifndef ANZEN_HTTP_REQUESTINFO_H
#define ANZEN_HTTP_REQUESTINFO_H

#include <stdbool.h>
#include <stddef.h>

#include "http/query.h"

/* All strings are non-NULL after a successful parse (possibly ""), except
 * field_selector/label_selector which are NULL when not carried. They live in one block owned
 * by the struct (or are static), are read-only, and go with request_info_release. */
struct request_info {
    bool is_resource;          /* resource request (vs non-resource URL) */
    const char *path;          /* URL path as given */
    const char *verb;          /* kube verb (get/list/watch/create/...), or lower-case method */
    const char *api_prefix;    /* "api" or "apis"; "" for non-resource, except /apis/x/y (set as upstream) */
    const char *api_group;     /* "" for the core group */
    const char *api_version;
    const char *namespace;     /* "" when cluster-scoped or all namespaces */
    const char *resource;      /* plural resource, e.g. "pods" */
    const char *subresource;   /* e.g. "status", "" when none */
    const char *name;          /* object name, "" when none */
    const char **parts;        /* resource/name/subresource/... as split */
    size_t nparts;
    const char *field_selector; /* raw fieldSelector for list/watch/deletecollection, or NULL */
    const char *label_selector; /* raw labelSelector for list/watch/deletecollection, or NULL */
    char *block_;              /* private: the one allocation every string above lives in */
};

/* Fills *ret from method (e.g. "GET"), path (percent-decoded, without query) and the parsed
 * query (may be NULL). Returns 0 on success. Returns AZ_EINTERNAL when a legacy verb prefix
 * has nothing after it (e.g. /api/v1/watch): upstream fails with
 * "unable to determine kind and namespace from url, <url>" and the filter answers 500
 * "failed to create RequestInfo: ...". On failure *ret is left zeroed. */
int request_info_parse(const char *method, const char *path, const struct query *q,
                       struct request_info *ret);

/* Frees everything in ri and zeroes it; accepts a zeroed struct. */
void request_info_release(struct request_info *ri);

#endif
