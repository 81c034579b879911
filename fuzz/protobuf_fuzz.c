/* protobuf_fuzz.c — libFuzzer target for src/api/protobuf.c: any byte string must either
 * decode to a JSON object carrying kind and apiVersion or fail with a message, without
 * crashing, leaking or reading out of bounds. Seeds (fuzz/corpus/protobuf/) are bodies
 * captured from kubectl v1.32; see tests/unit/machinery/protobuf_data/README.md. */
#include <stdint.h>
#include <stdlib.h>

#include <jansson.h>

#include "machinery/protobuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *obj = NULL;
    char *err = NULL;
    int rc = k8s_protobuf_decode(data, size, &obj, &err);
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
