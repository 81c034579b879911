/* etcd.h — the etcd v3 backend of the store interface (store.h), spoken through etcd's JSON
 * gRPC gateway (etcd 3.4: POST /v3/kv/..., /v3/watch) with libcurl; only the consistent-read
 * barrier's revision probe speaks etcd's native gRPC (KV/Range over HTTP/2), falling back to
 * the gateway (etcd.c, rev_fetch).
 *
 * KEYS: the API's "/registry/<resource>/..." keys live in etcd under cfg->prefix (default
 * "/registry") + "/<resource>/...", values as stored (JSON), so `etcdctl get --prefix
 * /registry/` shows them. resourceVersion = etcd mod_revision.
 *
 * WRITES are single etcd transactions comparing revisions (create: create_revision == 0;
 * update/delete: mod_revision == expected, or "exists" when expected is 0). A write returns
 * after etcd acknowledged it (raft quorum, fsync) AND after this process's watch stream has
 * delivered it to the sink, so caches fed by the sink (watch cache, RBAC index, token caches)
 * are as fresh after a write as with the SQLite backend.
 *
 * EVENTS: one watch thread streams /v3/watch over the whole keyspace (so every etcd revision
 * is seen and "delivered up to R" is well defined) and queues the events under the prefix for
 * the sink, delivered in revision order on the owner thread (below). Writes through other processes (other anzen replicas) reach
 * the sink the same way.
 *
 * ERRORS: endpoints are tried in turn (connection reuse per pooled curl handle). Reads are
 * retried on any transport error until the request timeout; writes only when the request
 * surely did not reach etcd (connection refused), since a timed-out write may have been
 * applied. When the timeout passes: AZ_ETIMEOUT (the API answers upstream's 504 Timeout).
 * Compacted revision: AZ_EGONE; revision in the future: AZ_ETIMEOUT (list contract).
 */
#ifndef ANZEN_STORE_ETCD_H
#define ANZEN_STORE_ETCD_H

#include "store/store.h"

struct etcd_config {
    const char *servers;   /* "http://H:P,https://H:P" (required) */
    const char *prefix;    /* default "/registry" */
    const char *cafile;    /* TLS: CA bundle to verify the members (optional) */
    const char *certfile;  /* TLS client certificate (optional) */
    const char *keyfile;   /* TLS client key (optional) */
    long request_timeout_ms; /* per store call; 0: 10000 */
    long testing_watch_delay_ms; /* testing only: the watch thread holds each event this long
                                  * before queueing it (a replica whose cache lags) */
    long testing_revision_delay_ms; /* testing only: the barrier thread holds each revision it
                                     * fetched this long before using it (a slow round trip) */
};

/* Connects (checks one endpoint answers), learns the current revision and starts the watch
 * thread. On failure a negative code and, if ret_errmsg is not NULL, a malloc'd message. */
int store_etcd_open(const struct etcd_config *cfg, struct store **ret, char **ret_errmsg);

/* Events reach the sink on the thread that opened the store (the event loop), as with the
 * SQLite backend where the sink runs on the writing thread: the watch thread queues them and
 * calls fn(arg) (from its own thread) to ask for store_etcd_dispatch on that thread. Without a
 * notifier the watch thread delivers itself (tools, benchmarks). */
void store_etcd_set_notify(struct store *s, void (*fn)(void *), void *arg);
/* Delivers every change received so far to the sink, in revision order. */
void store_etcd_dispatch(struct store *s);

/* For the fuzz target: feeds bytes to the watch-stream parser (lines of gateway JSON) and to
 * the range-answer decoder as the backend does, with prefix "/registry"; returns the number
 * of events and key-values decoded. */
size_t store_etcd_parse_stream(const char *data, size_t len);

/* The header revision of a gateway answer, read without building a tree (the barrier's
 * revision probe): only for an answer that starts {"header":{ and whose header holds plain
 * digit strings or integers, as etcd's do; -1 for anything else (parse it whole instead). */
int64_t store_etcd_scan_header_rev(const char *s, size_t n);

/* The barrier's revision probe (gRPC KV/Range, etcd.c): the header revision of a gRPC
 * answer — one uncompressed message holding a RangeResponse — or -1 for anything else
 * (cut, compressed, several messages, malformed protobuf, no or a repeated revision). */
int64_t store_etcd_grpc_header_rev(const unsigned char *s, size_t n);

/* What the consistent-read barrier did so far (store_sync_async): */
struct etcd_barrier_stats {
    uint64_t barriers;     /* store_sync_async calls that waited for a fetch */
    uint64_t fetches;      /* revision fetches they shared */
    uint64_t fetches_grpc; /* of those, answered by the gRPC probe (the others: the JSON gateway) */
    uint64_t fetches_own;  /* of those, by the own HTTP/2 client (etcd_probe.h; the others: libcurl) */
    uint64_t fetch_us;     /* wall time of the fetches, in total */
};
void store_etcd_barrier_stats(struct store *s, struct etcd_barrier_stats *ret);

#endif
