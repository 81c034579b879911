/* metrics.h — /metrics in the Prometheus text format (0.0.4) with upstream's metric names:
 *   apiserver_request_total, apiserver_request_duration_seconds (histogram),
 *   apiserver_current_inflight_requests, apiserver_request_terminations_total,
 *   authentication_attempts,
 *   apiserver_authorization_decisions_total, serviceaccount_valid_tokens_total,
 *   serviceaccount_stale_tokens_total, apiserver_storage_objects and process_* metrics.
 * The endpoint is a non-resource URL authorized by RBAC: system:monitoring (bootstrap
 * policy: get on /metrics) and cluster-admin read it; everyone else gets 403.
 *
 * Series are bounded: labels come from the parsed request, resources not served by anzen
 * are recorded as resource "" and at most METRICS_MAX_SERIES label sets are kept (later
 * ones are counted in anzen_metrics_dropped_series_total).
 *
 * THREADS: metrics_observe_request(), metrics_inflight(), metrics_sa_token() and
 * metrics_render() may be called from any thread without the biglock. Counters, histogram
 * buckets and gauges are relaxed atomics; a series is found without a lock (a hash table whose
 * slots only go from empty to a series) and created under the module's own mutex. A
 * rendering taken while requests are counted is self-consistent per histogram (cumulative
 * buckets, +Inf == _count) though not a snapshot across series. metrics_render() also reads
 * the store (apiserver_storage_objects): as thread-safe as store_list is. */
#ifndef ANZEN_HTTP_METRICS_H
#define ANZEN_HTTP_METRICS_H

#include <stdbool.h>
#include "audit/audit.h"
#include "registry/apiserver.h"
#include "util/buf.h"

struct metrics_request {
    const struct audit_attrs *attrs; /* the request as audit sees it (verb: kube verb, or the
                                        lower-case method for non-resource requests) */
    int code;
    double seconds;
    const char *authn_result;   /* "success", "failure" or NULL (not attempted) */
    const char *authz_decision; /* "allowed", "denied" or NULL (not run) */
    bool terminated;            /* refused by a self-defence limit (max-in-flight, body budget):
                                   also counted in apiserver_request_terminations_total */
};

void metrics_observe_request(const struct metrics_request *r);
/* Requests being served: the handler is running (request_kind readOnly or mutating). */
void metrics_inflight(bool mutating, int delta);
/* ServiceAccount token authentications: stale = used after its warnafter. */
void metrics_sa_token(bool stale);

/* Appends the exposition of every metric to out. 0 or AZ_ETOOLARGE. */
int metrics_render(struct apiserver *srv, struct buf *out);

#endif
