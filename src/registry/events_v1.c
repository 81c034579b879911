/* events_v1.c — events.k8s.io/v1 <-> core/v1 Event conversion; see events_v1.h. */
#include <string.h>
#include "registry/events_v1.h"
#include "util/json.h"

#define EVENTS_API_VERSION "events.k8s.io/v1"

/* core name, events.k8s.io name; same order as the v1 Go struct's fields */
static const struct {
    const char *core, *v1;
} field_map[] = {
    {"eventTime", "eventTime"},
    {"series", "series"},
    {"reportingComponent", "reportingController"},
    {"reportingInstance", "reportingInstance"},
    {"action", "action"},
    {"reason", "reason"},
    {"involvedObject", "regarding"},
    {"related", "related"},
    {"message", "note"},
    {"type", "type"},
    {"source", "deprecatedSource"},
    {"firstTimestamp", "deprecatedFirstTimestamp"},
    {"lastTimestamp", "deprecatedLastTimestamp"},
    {"count", "deprecatedCount"},
};
#define NFIELDS (sizeof(field_map) / sizeof(field_map[0]))

bool events_v1_is_view(const struct resource_def *r)
{
    return r != NULL && strcmp(r->group, "events.k8s.io") == 0 && strcmp(r->kind, "Event") == 0;
}

static bool is_zero(json_t *v)
{
    return v == NULL || json_is_null(v) || (json_is_string(v) && json_string_length(v) == 0) ||
           (json_is_integer(v) && json_integer_value(v) == 0);
}

json_t *events_v1_from_core(json_t *core)
{
    json_t *ev = json_object();
    if (json_object_get(core, "kind") != NULL) { /* list items carry no type meta */
        json_object_set_new(ev, "kind", json_string("Event"));
        json_object_set_new(ev, "apiVersion", json_string(EVENTS_API_VERSION));
    }
    json_t *meta = json_object_get(core, "metadata");
    json_object_set(ev, "metadata", meta ? meta : json_object());
    for (size_t i = 0; i < NFIELDS; i++) {
        json_t *v = json_object_get(core, field_map[i].core);
        const char *k = field_map[i].v1;
        if (strcmp(k, "regarding") == 0 || strcmp(k, "deprecatedSource") == 0) {
            /* struct-valued: always present */
            json_object_set_new(ev, k, json_is_object(v) ? json_deep_copy(v) : json_object());
        } else if (strcmp(k, "eventTime") == 0 || strcmp(k, "deprecatedFirstTimestamp") == 0 ||
                   strcmp(k, "deprecatedLastTimestamp") == 0) {
            /* metav1.Time/MicroTime structs: null when zero */
            json_object_set_new(ev, k, is_zero(v) ? json_null() : json_deep_copy(v));
        } else if (!is_zero(v)) {
            json_object_set_new(ev, k, json_deep_copy(v));
        }
    }
    return ev;
}

json_t *events_v1_to_core(json_t *ev)
{
    json_t *core = json_deep_copy(ev);
    for (size_t i = 0; i < NFIELDS; i++)
        json_object_del(core, field_map[i].v1);
    json_object_set_new(core, "kind", json_string("Event"));
    json_object_set_new(core, "apiVersion", json_string("v1"));
    for (size_t i = 0; i < NFIELDS; i++) {
        json_t *v = json_object_get(ev, field_map[i].v1);
        if (v != NULL && !json_is_null(v))
            json_object_set_new(core, field_map[i].core, json_deep_copy(v));
    }
    return core;
}

void events_v1_output(json_t *obj)
{
    const char *kind = json_str(obj, "kind");
    if (kind == NULL)
        return;
    if (strcmp(kind, "Event") == 0) {
        json_t *ev = events_v1_from_core(obj);
        json_object_clear(obj);
        json_object_update(obj, ev);
        json_decref(ev);
    } else if (strcmp(kind, "EventList") == 0) {
        json_object_set_new(obj, "apiVersion", json_string(EVENTS_API_VERSION));
        size_t i;
        json_t *it;
        json_array_foreach(json_object_get(obj, "items"), i, it) {
            json_t *ev = events_v1_from_core(it);
            json_array_set_new(json_object_get(obj, "items"), i, ev);
        }
    }
}
