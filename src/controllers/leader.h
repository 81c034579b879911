/* leader.h — leader election of the in-process controllers (see leader.c): a
 * coordination.k8s.io/v1 Lease kube-system/kube-controller-manager, client-go semantics. */
#ifndef ANZEN_CONTROLLERS_LEADER_H
#define ANZEN_CONTROLLERS_LEADER_H

#include <stdint.h>
#include "registry/apiserver.h"

struct leader_config {
    int64_t lease_duration_ms; /* --leader-elect-lease-duration (15s) */
    int64_t renew_deadline_ms; /* --leader-elect-renew-deadline (10s) */
    int64_t retry_period_ms;   /* --leader-elect-retry-period (2s) */
    /* runs fn(arg) on the event loop; callable from any thread (http_server_defer_ts) */
    void (*run_on_loop)(void (*fn)(void *), void *arg);
    /* run on the loop each time this replica takes the Lease (while it still holds it):
     * the leader-only controllers' full pass (cmd/serve.c's table) */
    void (*on_acquire)(struct apiserver *srv);
};

/* Validates the durations as client-go does (leaseDuration > renewDeadline >
 * retryPeriod*1.2; AZ_EINVALID and *ret_err) and starts the election thread. Until this
 * replica leads, controllers_leading() is false; each time it takes the Lease cfg->on_acquire
 * runs on the loop (the leader-only controllers' resync, cmd/serve.c). */
int leader_start(struct apiserver *srv, const struct leader_config *cfg, char **ret_err);
/* Stops the election; the leader releases the Lease. */
void leader_stop(void);
/* Go duration ("15s", "500ms", "1.5s", "1m") in ms; AZ_EINVALID if not one. */
int leader_parse_duration(const char *s, int64_t *ret_ms);

#endif
