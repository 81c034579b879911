/* events_v1.h — events.k8s.io/v1 Events: kube-apiserver serves the core/v1 Events' storage
 * through this group too, converting field by field (k8s.io/kubernetes pkg/apis/events/v1
 * conversion): involvedObject <-> regarding, message <-> note, reportingComponent <->
 * reportingController, source <-> deprecatedSource, firstTimestamp <->
 * deprecatedFirstTimestamp, lastTimestamp <-> deprecatedLastTimestamp, count <->
 * deprecatedCount; metadata, eventTime, series, action, reason, related, type,
 * reportingInstance are the same. anzen stores core/v1 Events only; requests to the
 * events.k8s.io resource run against the core resource with their bodies converted in and
 * their results converted out (server.c). */
#ifndef ANZEN_API_EVENTS_V1_H
#define ANZEN_API_EVENTS_V1_H

#include <stdbool.h>
#include <jansson.h>
#include "registry/resource.h"

/* True for the events.k8s.io/v1 events resource. */
bool events_v1_is_view(const struct resource_def *r);

/* A new events.k8s.io/v1 Event for a core/v1 Event, with Go's JSON rules for the v1 type
 * (struct fields always present: regarding, deprecatedSource; times null when zero). */
json_t *events_v1_from_core(json_t *core);

/* A new core/v1 Event for an events.k8s.io/v1 Event (unknown members are kept, so strict
 * field validation still reports them). */
json_t *events_v1_to_core(json_t *ev);

/* Converts a response in place: an Event, or every item of an EventList (its apiVersion
 * becomes events.k8s.io/v1). Anything else (Status) is left alone. */
void events_v1_output(json_t *obj);

#endif
