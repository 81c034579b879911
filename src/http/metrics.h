/* metrics.h — /metrics in the Prometheus text format (0.0.4) with upstream's metric names:
 *   apiserver_request_total, apiserver_request_duration_seconds (histogram),
 *   apiserver_current_inflight_requests, authentication_attempts,
 *   apiserver_authorization_decisions_total, serviceaccount_valid_tokens_total,
 *   serviceaccount_stale_tokens_total, apiserver_storage_objects and process_* metrics.
 * The endpoint is a non-resource URL authorized by RBAC: system:monitoring (bootstrap
 * policy: get on /metrics) and cluster-admin read it; everyone else gets 403.
 *
 * Series are bounded: labels come from the parsed request, resources not served by anzen
 * are recorded as resource "" and at most METRICS_MAX_SERIES label sets are kept (later
 * ones are counted in anzen_metrics_dropped_series_total). Single-threaded (event loop). */
#ifndef ANZEN_HTTP_METRICS_H
#define ANZEN_HTTP_METRICS_H

#include <stdbool.h>
#include "registry/apiserver.h"
#include "util/buf.h"

struct metrics_request {
    const char *verb;        /* kube verb ("list") or lower-case method for non-resource */
    bool is_resource;
    const char *group, *version, *resource, *subresource, *ns, *name;
    int code;
    double seconds;
    const char *authn_result;   /* "success", "failure" or NULL (not attempted) */
    const char *authz_decision; /* "allowed", "denied" or NULL (not run) */
};

void metrics_observe_request(const struct metrics_request *r);
/* Requests being served: the handler is running (request_kind readOnly or mutating). */
void metrics_inflight(bool mutating, int delta);
/* ServiceAccount token authentications: stale = used after its warnafter. */
void metrics_sa_token(bool stale);

/* Appends the exposition of every metric to out. 0 or AZ_ETOOLARGE. */
int metrics_render(struct apiserver *srv, struct buf *out);

#endif
