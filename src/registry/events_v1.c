/* events_v1.c — events.k8s.io/v1 <-> core/v1 Event conversion; see events_v1.h. */
#include <stdlib.h>
#include <string.h>
#include "machinery/patch.h"
#include "machinery/schema.h"
#include "registry/events_v1.h"
#include "registry/rest.h"
#include "util/buf.h"
#include "util/err.h"
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
    return r != NULL && (r->flags & RES_EVENTS_VIEW) != 0;
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

/* ---- field selectors ------------------------------------------------------------------ */

/* events.k8s.io/v1 field label -> the core/v1 label of the stored object
 * (pkg/apis/events/v1 AddFieldLabelConversionsForEvent) */
static const struct {
    const char *v1, *core;
} label_map[] = {
    {"reason", "reason"},
    {"regarding.kind", "involvedObject.kind"},
    {"regarding.namespace", "involvedObject.namespace"},
    {"regarding.name", "involvedObject.name"},
    {"regarding.uid", "involvedObject.uid"},
    {"regarding.apiVersion", "involvedObject.apiVersion"},
    {"regarding.resourceVersion", "involvedObject.resourceVersion"},
    {"regarding.fieldPath", "involvedObject.fieldPath"},
    {"reportingController", "reportingComponent"},
    {"source", "source"},
    {"type", "type"},
    {"metadata.namespace", "metadata.namespace"},
    {"metadata.name", "metadata.name"},
};

char *events_v1_field_selector(const char *sel, char **ret_err)
{
    struct buf out = BUF_INIT;
    const char *p = sel;
    while (*p) {
        /* one term: up to an unescaped ',' (values may escape it with '\') */
        const char *e = p;
        while (*e && *e != ',') {
            if (*e == '\\' && e[1])
                e++;
            e++;
        }
        size_t tl = (size_t)(e - p);
        size_t fl = strcspn(p, "=!");
        if (fl > tl)
            fl = tl;
        const char *f = p;
        size_t flen = fl;
        while (flen > 0 && (*f == ' ' || *f == '\t'))
            f++, flen--;
        while (flen > 0 && (f[flen - 1] == ' ' || f[flen - 1] == '\t'))
            flen--;
        if (out.len > 0 || p != sel)
            buf_putc(&out, ',');
        if (fl == tl) { /* no operator: the parser reports it */
            buf_append(&out, p, tl);
        } else {
            const char *core = NULL;
            for (size_t i = 0; i < sizeof(label_map) / sizeof(label_map[0]); i++)
                if (strlen(label_map[i].v1) == flen && strncmp(label_map[i].v1, f, flen) == 0)
                    core = label_map[i].core;
            if (core == NULL) {
                *ret_err = xasprintf("field label not supported: %.*s", (int)flen, f);
                buf_release(&out);
                return NULL;
            }
            buf_puts(&out, core);
            buf_append(&out, p + fl, tl - fl);
        }
        p = *e ? e + 1 : e;
    }
    size_t n;
    return buf_detach(&out, &n);
}

/* ---- PATCH ---------------------------------------------------------------------------- */

int events_v1_patch(struct api_call *c, int patch_type, const char *body, size_t len, json_t **ret_obj,
                    json_t **ret_status)
{
    const struct schema_node *root = resource_schema_by_kind("events.k8s.io", "v1", "Event");
    for (int attempt = 0; attempt < 5; attempt++) {
        json_t *core = NULL;
        int rc = rest_get(c, &core, ret_status);
        if (rc < 0)
            return rc;
        json_t *view = events_v1_from_core(core);
        json_decref(core);
        const char *rv = json_path_str(view, "metadata.resourceVersion");
        char *read_rv = xstrdup(rv ? rv : "");
        json_t *patched = NULL;
        char *err = NULL;
        rc = patch_apply((enum patch_type)patch_type, root, view, body, len, &patched, &err);
        json_decref(view);
        if (rc < 0) {
            *ret_status = patch_error_status(rc, err ? err : "invalid patch");
            free(err);
            free(read_rv);
            return rc;
        }
        free(err);
        /* a resourceVersion the patch sets is a precondition; otherwise it applies to what
         * was read, and a conflict with a concurrent write is retried */
        const char *prv = json_path_str(patched, "metadata.resourceVersion");
        bool precondition = prv != NULL && strcmp(prv, read_rv) != 0;
        free(read_rv);
        json_t *back = events_v1_to_core(patched);
        json_decref(patched);
        int code = 0;
        rc = rest_update(c, back, ret_obj, &code, ret_status);
        json_decref(back);
        if (rc == AZ_ECONFLICT && !precondition && attempt < 4) {
            json_decref(*ret_status);
            *ret_status = NULL;
            continue;
        }
        return rc;
    }
    return AZ_ECONFLICT;
}
