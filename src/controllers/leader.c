/* leader.c — leader election of the in-process controllers through a coordination.k8s.io/v1
 * Lease (kube-system/kube-controller-manager), with client-go leaderelection's semantics:
 *
 *   - every retry period a candidate tries to acquire: it may take the Lease when it is absent,
 *     held by nobody, or not renewed for leaseDurationSeconds as observed on this process's
 *     own clock (the time it last saw holderIdentity/renewTime change, never the remote
 *     timestamps), by a compare-and-swap on the Lease's resourceVersion;
 *   - the leader renews every retry period; if no renewal succeeded for the renew deadline it
 *     has lost the lease and its controllers stop acting (their watch callbacks drop events);
 *   - acquiring sets acquireTime and bumps leaseTransitions when the holder changes;
 *   - on shutdown the leader releases the Lease (holder "", leaseDurationSeconds 1).
 *
 * Runs on its own thread and talks to the store directly (thread-safe); the Lease is an
 * ordinary object, visible through the API. Every time this replica takes the Lease, its
 * controllers resync on the event loop (cfg->run_on_loop → cfg->on_acquire), so what
 * happened while another replica (or none) led is caught up.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "controllers/controllers.h"
#include "controllers/leader.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"
#include "util/util.h"

#define LEASE_KEY "/registry/leases/kube-system/kube-controller-manager"

static atomic_int leader__leading = 1; /* without election: always */
static atomic_int leader__stop;
static struct leader_config leader__cfg;
static struct apiserver *leader__srv;
static pthread_t leader__thread;
static int leader__running;
static char leader__id[300];

bool controllers_leading(void)
{
    return atomic_load(&leader__leading) != 0;
}

static void sleep_ms(int64_t ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* The record as last observed: when it changed (our clock), and its fields. */
struct observed {
    char *holder;
    char *renew;
    int64_t at_ms;
};

static json_t *lease_object(json_t *old, const char *holder, int64_t duration_s, bool take)
{
    json_t *obj = old ? json_deep_copy(old) : NULL;
    char now[40];
    time_rfc3339_micro(now);
    if (obj == NULL) {
        char uid[37], ts[32];
        uuid_v4(uid);
        time_rfc3339(clock_wall_s(), ts);
        obj = json_pack("{s:s,s:s,s:{s:s,s:s,s:s,s:s},s:{}}", "apiVersion", "coordination.k8s.io/v1", "kind",
                        "Lease", "metadata", "name", "kube-controller-manager", "namespace", "kube-system",
                        "uid", uid, "creationTimestamp", ts, "spec");
    }
    json_t *spec = json_object_get(obj, "spec");
    if (!json_is_object(spec)) {
        spec = json_object();
        json_object_set_new(obj, "spec", spec);
    }
    json_int_t transitions = json_integer_value(json_object_get(spec, "leaseTransitions"));
    const char *was = json_string_value(json_object_get(spec, "holderIdentity"));
    bool change = was == NULL || strcmp(was, holder) != 0;
    json_object_set_new(spec, "holderIdentity", json_string(holder));
    json_object_set_new(spec, "leaseDurationSeconds", json_integer(duration_s));
    if (take && change) {
        json_object_set_new(spec, "acquireTime", json_string(now));
        if (old != NULL) /* client-go: +1 whenever the holder differs, "" included */
            transitions++;
    } else if (!take) {
        json_object_set_new(spec, "acquireTime", json_string(now));
    }
    json_object_set_new(spec, "renewTime", json_string(now));
    json_object_set_new(spec, "leaseTransitions", json_integer(transitions));
    return obj;
}

static int put_lease(json_t *obj, int64_t expected_rev)
{
    json_object_del(json_object_get(obj, "metadata"), "resourceVersion");
    char *v = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
    int64_t rev;
    int rc = expected_rev == 0 ? store_create(leader__srv->store, LEASE_KEY, v, strlen(v), &rev)
                               : store_update(leader__srv->store, LEASE_KEY, v, strlen(v), expected_rev, &rev);
    free(v);
    return rc;
}

/* One tryAcquireOrRenew; true when we hold the Lease afterwards. */
static bool try_acquire_or_renew(struct observed *ob)
{
    struct store_kv kv;
    int rc = store_get(leader__srv->store, LEASE_KEY, &kv);
    int64_t duration_s = (leader__cfg.lease_duration_ms + 999) / 1000;
    if (rc == AZ_ENOTFOUND) {
        json_t *obj = lease_object(NULL, leader__id, duration_s, true);
        rc = put_lease(obj, 0);
        json_decref(obj);
        return rc == 0;
    }
    if (rc < 0)
        return false;
    json_t *old = json_loadb(kv.value, kv.len, 0, NULL);
    int64_t mod_rev = kv.mod_rev;
    store_kv_release(&kv);
    if (!json_is_object(old)) {
        json_decref(old);
        return false;
    }
    json_t *spec = json_object_get(old, "spec");
    const char *holder = json_string_value(json_object_get(spec, "holderIdentity"));
    const char *renew = json_string_value(json_object_get(spec, "renewTime"));
    int64_t dur = json_integer_value(json_object_get(spec, "leaseDurationSeconds"));
    holder = holder ? holder : "";
    renew = renew ? renew : "";
    int64_t now = (int64_t)now_ms();
    if (ob->holder == NULL || strcmp(ob->holder, holder) != 0 || strcmp(ob->renew, renew) != 0) {
        free(ob->holder);
        free(ob->renew);
        ob->holder = xstrdup(holder);
        ob->renew = xstrdup(renew);
        ob->at_ms = now;
    }
    bool mine = strcmp(holder, leader__id) == 0;
    if (*holder != '\0' && !mine && ob->at_ms + dur * 1000 > now) {
        json_decref(old);
        return false; /* held by another, not expired */
    }
    json_t *obj = lease_object(old, leader__id, duration_s, true);
    json_decref(old);
    rc = put_lease(obj, mod_rev);
    json_decref(obj);
    return rc == 0;
}

static void resync_on_loop(void *arg)
{
    struct apiserver *srv = arg;
    if (controllers_leading() && leader__cfg.on_acquire != NULL) /* not lost again meanwhile */
        leader__cfg.on_acquire(srv);
}

static void *leader_main(void *arg)
{
    (void)arg;
    struct observed ob = {0};
    bool leading = false;
    int64_t last_renew = 0;
    while (!atomic_load(&leader__stop)) {
        bool ok = try_acquire_or_renew(&ob);
        int64_t now = (int64_t)now_ms();
        if (leading) {
            if (ok) {
                last_renew = now;
            } else if (now - last_renew >= leader__cfg.renew_deadline_ms) {
                leading = false;
                atomic_store(&leader__leading, 0);
                log_error("leaderelection lost: %s no longer holds kube-system/kube-controller-manager; "
                          "controllers stopped", leader__id);
            }
        } else if (ok) {
            leading = true;
            last_renew = now;
            log_info("successfully acquired lease kube-system/kube-controller-manager as %s", leader__id);
            atomic_store(&leader__leading, 1);
            leader__cfg.run_on_loop(resync_on_loop, leader__srv);
        }
        /* candidates retry with client-go's jitter (factor 1.2); the leader renews every period */
        int64_t wait = leader__cfg.retry_period_ms;
        if (!leading) {
            unsigned r;
            random_bytes(&r, sizeof(r));
            wait += (int64_t)(r % (unsigned)(leader__cfg.retry_period_ms / 5 + 1));
        }
        for (int64_t w = 0; w < wait && !atomic_load(&leader__stop); w += 50)
            sleep_ms(wait - w < 50 ? wait - w : 50);
    }
    free(ob.holder);
    free(ob.renew);
    return NULL;
}

int leader_start(struct apiserver *srv, const struct leader_config *cfg, char **ret_err)
{
    if (!(cfg->lease_duration_ms > cfg->renew_deadline_ms)) {
        *ret_err = xstrdup("leaseDuration must be greater than renewDeadline");
        return AZ_EINVALID;
    }
    if (!(cfg->renew_deadline_ms > cfg->retry_period_ms * 12 / 10)) {
        *ret_err = xstrdup("renewDeadline must be greater than retryPeriod*JitterFactor");
        return AZ_EINVALID;
    }
    leader__cfg = *cfg;
    leader__srv = srv;
    char host[256] = "localhost", uid[37];
    if (gethostname(host, sizeof(host) - 1) != 0)
        strcpy(host, "localhost");
    host[sizeof(host) - 1] = '\0';
    uuid_v4(uid);
    snprintf(leader__id, sizeof(leader__id), "%s_%s", host, uid); /* as kube-controller-manager */
    atomic_store(&leader__leading, 0);
    if (pthread_create(&leader__thread, NULL, leader_main, NULL) != 0) {
        *ret_err = xstrdup("cannot start the leader election thread");
        return AZ_EINTERNAL;
    }
    leader__running = 1;
    return 0;
}

void leader_stop(void)
{
    if (!leader__running)
        return;
    atomic_store(&leader__stop, 1);
    pthread_join(leader__thread, NULL);
    leader__running = 0;
    if (!atomic_load(&leader__leading))
        return;
    atomic_store(&leader__leading, 0);
    /* release (client-go ReleaseOnCancel): holder "", leaseDurationSeconds 1 */
    struct store_kv kv;
    if (store_get(leader__srv->store, LEASE_KEY, &kv) != 0)
        return;
    json_t *old = json_loadb(kv.value, kv.len, 0, NULL);
    int64_t rev = kv.mod_rev;
    store_kv_release(&kv);
    const char *holder = json_string_value(json_object_get(json_object_get(old, "spec"), "holderIdentity"));
    if (holder != NULL && strcmp(holder, leader__id) == 0) {
        json_t *obj = lease_object(old, "", 1, false);
        if (put_lease(obj, rev) == 0)
            log_info("released lease kube-system/kube-controller-manager");
        json_decref(obj);
    }
    json_decref(old);
}

int leader_parse_duration(const char *s, int64_t *ret_ms)
{
    char *end;
    double v = strtod(s, &end);
    double mult;
    if (end == s || v < 0)
        return AZ_EINVALID;
    if (strcmp(end, "ms") == 0)
        mult = 1;
    else if (strcmp(end, "s") == 0)
        mult = 1000;
    else if (strcmp(end, "m") == 0)
        mult = 60000;
    else if (strcmp(end, "h") == 0)
        mult = 3600000;
    else
        return AZ_EINVALID;
    *ret_ms = (int64_t)(v * mult);
    return 0;
}
