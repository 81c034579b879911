/* events.h — the event recorder of the controllers: writes core/v1 Events as client-go's
 * record.EventRecorder does, through an EventCorrelator so that Events never flood the store:
 *
 *   - spam filter (EventSourceObjectSpamFilter): a token bucket per source + involved object
 *     (component, host, involvedObject kind/namespace/name/uid/apiVersion), burst 25,
 *     refilled one token per 5 minutes; an event without a token is dropped.
 *   - aggregation (EventAggregator): events alike but for their message (same source,
 *     object, type and reason) within 10 minutes; from the 10th distinct message on they
 *     become one event "(combined from similar events): MESSAGE".
 *   - deduplication (eventLogger): an event identical to one already written (same source,
 *     object, type, reason, message) increments that Event's count and lastTimestamp
 *     instead of creating another.
 *
 * An Event is named OBJECT.HEX(unix nanoseconds), lives in the object's namespace
 * ("default" for cluster-scoped objects), and carries source.component = the component,
 * reportingComponent = the component, reportingInstance = the host (as client-go 1.32).
 * The caches hold at most EVENT_CACHE_MAX keys each (client-go: 4096 LRU entries). */
#ifndef ANZEN_CONTROLLERS_EVENTS_H
#define ANZEN_CONTROLLERS_EVENTS_H

#include <stdint.h>
#include <jansson.h>
#include "registry/apiserver.h"

#define EVENT_CACHE_MAX 4096
#define EVENT_SPAM_BURST 25
#define EVENT_SPAM_REFILL_SECONDS 300
#define EVENT_AGGREGATE_MAX 10
#define EVENT_AGGREGATE_INTERVAL_SECONDS 600

enum event_action {
    EVENT_DROP,   /* spam filter: no token left */
    EVENT_CREATE, /* create *ret_event (new Event, count 1) */
    EVENT_UPDATE, /* the Event named *ret_event's metadata.name gets count/lastTimestamp */
};

struct event_correlator;

struct event_correlator *event_correlator_new(void);
void event_correlator_free(struct event_correlator *c);

/* Builds the Event for (component, host, involved object, type, reason, message) at time
 * now_ns (unix nanoseconds) and decides what to write. ret_event: a new Event object (owned
 * by the caller) for EVENT_CREATE and EVENT_UPDATE (then with the existing Event's name, its
 * firstTimestamp and the new count). Call event_correlator_written after a successful
 * create so later duplicates update it. Thread-safe. */
enum event_action event_correlate(struct event_correlator *c, const char *component, const char *host,
                                  json_t *obj, const char *type, const char *reason,
                                  const char *message, int64_t now_ns, json_t **ret_event);
/* Records that ev (as returned by event_correlate, with the name the store gave) exists. */
void event_correlator_written(struct event_correlator *c, json_t *ev);

/* Records an event about obj (a stored object with kind, apiVersion and metadata) as
 * `component` (e.g. "job-controller", "default-scheduler"): correlates it in a process-wide
 * correlator and writes it through the REST layer as the controllers' identity. type is
 * "Normal" or "Warning". Failures are logged, never returned: events are best effort, as
 * upstream's. Safe from any thread that may call the REST layer. */
void event_record(struct apiserver *srv, const char *component, json_t *obj, const char *type,
                  const char *reason, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

#endif
