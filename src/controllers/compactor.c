/* compactor.c — storage compaction, as kube-apiserver asks etcd to do: every interval, drop
 * history older than the revision seen one interval ago. Lists with a continue token older
 * than that then answer 410 Expired, as upstream. Runs on its own thread (the store is
 * thread-safe); never touches the event loop. */
#include <pthread.h>
#include <unistd.h>
#include "controllers/controllers.h"
#include "util/err.h"
#include "util/log.h"

#define COMPACT_INTERVAL_SECONDS 300

static void *compactor_main(void *arg)
{
    struct apiserver *srv = arg;
    int64_t previous = 0;
    for (;;) {
        sleep(COMPACT_INTERVAL_SECONDS);
        int64_t now = store_current_rev(srv->store);
        if (previous > 0) {
            int r = store_compact(srv->store, previous);
            if (r < 0 && r != AZ_EINVALID)
                log_warn("compactor: compacting at %lld failed: %s", (long long)previous, az_err_str(r));
        }
        previous = now;
    }
    return NULL;
}

void compactor_start(struct apiserver *srv)
{
    pthread_t t;
    if (pthread_create(&t, NULL, compactor_main, srv) == 0)
        pthread_detach(t);
}
