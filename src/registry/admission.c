/* admission.c — the plugin chain (see admission.h), and the built-in NamespaceLifecycle
 * plugin: no new content in a missing or terminating namespace. */
#include <string.h>
#include "registry/admission.h"
#include "machinery/status.h"
#include "util/buf.h"
#include "util/json.h"

#define MAX_PLUGINS 16
static const struct admission_plugin *plugins[MAX_PLUGINS];
static int nplugins;

void admission_register(const struct admission_plugin *p)
{
    if (nplugins < MAX_PLUGINS)
        plugins[nplugins++] = p;
}

int admission_mutate(struct api_call *c, enum admission_op op, json_t *obj, json_t *old,
                     json_t **ret_status)
{
    for (int i = 0; i < nplugins; i++)
        if (plugins[i]->mutate) {
            int r = plugins[i]->mutate(c, op, obj, old, ret_status);
            if (r < 0)
                return r;
        }
    return 0;
}

int admission_run(struct api_call *c, enum admission_op op, json_t *obj, json_t *old,
                  json_t **ret_status)
{
    int r = admission_mutate(c, op, obj, old, ret_status);
    return r < 0 ? r : admission_validate(c, op, obj, old, ret_status);
}

int admission_validate(struct api_call *c, enum admission_op op, json_t *obj, json_t *old,
                       json_t **ret_status)
{
    for (int i = 0; i < nplugins; i++)
        if (plugins[i]->validate) {
            int r = plugins[i]->validate(c, op, obj, old, ret_status);
            if (r < 0)
                return r;
        }
    return 0;
}
