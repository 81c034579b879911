/* itembytes_fuzz.c — libFuzzer target for api/itembytes.h, differential: the input is tried
 * raw (must not crash), and, when it decodes to a JSON object, in its stored form (jansson's
 * compact dump without metadata.resourceVersion, as rest.c stores it); whenever
 * itembytes_item accepts the stored form, its output must equal json_dump_go of the decoded
 * item (kind and apiVersion removed, resourceVersion set), byte for byte. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "machinery/itembytes.h"
#include "util/buf.h"
#include "util/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct buf out = BUF_INIT;
    (void)itembytes_item(&out, (const char *)data, size, 7);
    buf_release(&out);
    const char *q;
    size_t ql;
    (void)itembytes_member((const char *)data, size, "\"metadata\":", &q, &ql);

    json_t *obj = json_loadb((const char *)data, size, 0, NULL);
    if (!json_is_object(obj)) {
        json_decref(obj);
        return 0;
    }
    json_object_del(json_object_get(obj, "metadata"), "resourceVersion");
    char *stored = json_dumps(obj, JSON_COMPACT);
    if (stored == NULL) {
        json_decref(obj);
        return 0;
    }
    struct buf fast = BUF_INIT;
    if (itembytes_item(&fast, stored, strlen(stored), 42)) {
        json_t *item = json_loads(stored, 0, NULL);
        json_object_del(item, "kind");
        json_object_del(item, "apiVersion");
        json_t *md = json_object_get(item, "metadata");
        if (!json_is_object(md))
            abort(); /* accepted without a metadata object */
        json_object_set_new(md, "resourceVersion", json_string("42"));
        size_t n;
        char *slow = json_dump_go(item, false, &n);
        while (n > 0 && slow[n - 1] == '\n')
            n--;
        if (n != fast.len || memcmp(slow, fast.data, n) != 0)
            abort();
        free(slow);
        json_decref(item);
    }
    buf_release(&fast);
    free(stored);
    json_decref(obj);
    return 0;
}
