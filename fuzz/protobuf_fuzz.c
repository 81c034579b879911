/* protobuf_fuzz.c — libFuzzer target for src/machinery/protobuf.c: any byte string must either
 * decode to a JSON object carrying kind and apiVersion or fail with a message, without
 * crashing, leaking or reading out of bounds. Seeds (fuzz/corpus/protobuf/) are bodies
 * captured from kubectl v1.32; see tests/unit/machinery/protobuf_data/README.md. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "machinery/protobuf.h"
#include "registry/resource.h"

/* The server's lookup plus the unserved kinds kubectl sends (some seeds are CronJob and
 * Deployment bodies), so that their decoding stays covered. */
static const struct schema_node *lookup(const char *group, const char *version, const char *kind)
{
    if (strcmp(version, "v1") == 0 && strcmp(group, "batch") == 0 && strcmp(kind, "CronJob") == 0)
        return &schema_cron_job;
    if (strcmp(version, "v1") == 0 && strcmp(group, "apps") == 0 && strcmp(kind, "Deployment") == 0)
        return &schema_deployment;
    return resource_schema_by_kind(group, version, kind);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *obj = NULL;
    char *err = NULL;
    int rc = k8s_protobuf_decode(data, size, lookup, &obj, &err);
    if (rc == 0) {
        if (err != NULL || !json_is_object(obj) ||
            !json_is_string(json_object_get(obj, "kind")) ||
            !json_is_string(json_object_get(obj, "apiVersion")))
            abort();
        char *text = json_dumps(obj, JSON_COMPACT);
        if (text == NULL)
            abort();
        free(text);
        json_decref(obj);
    } else {
        if (err == NULL || obj != NULL)
            abort();
        free(err);
    }
    return 0;
}
