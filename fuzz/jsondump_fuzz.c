/* jsondump_fuzz.c — json_dumps_compact (util/json.c) against jansson's own
 * json_dumps(JSON_COMPACT | JSON_PRESERVE_ORDER): the input is decoded by jansson (with
 * JSON_ALLOW_NUL, and without it by jsonfast as the store's bytes are), then both encoders
 * write the tree and must give the same bytes, or both NULL. A difference aborts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "util/json.h"
#include "util/jsonfast.h"

#define FUZZ_MAX_INPUT (64 * 1024)

static void same_bytes(json_t *v)
{
    if (v == NULL)
        return;
    size_t len = 0;
    char *fast = json_dumps_compact(v, &len);
    char *ref = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if ((fast == NULL) != (ref == NULL) ||
        (fast != NULL && (len != strlen(ref) || memcmp(fast, ref, len + 1) != 0))) {
        fprintf(stderr, "json_dumps_compact differs from json_dumps:\n  fast %s\n  ref  %s\n",
                fast ? fast : "(null)", ref ? ref : "(null)");
        abort();
    }
    free(fast);
    free(ref);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FUZZ_MAX_INPUT)
        return 0;
    json_t *v = json_loadb((const char *)data, size, JSON_ALLOW_NUL | JSON_DECODE_ANY, NULL);
    same_bytes(v);
    json_decref(v);
    v = jsonfast_loadb((const char *)data, size);
    same_bytes(v);
    json_decref(v);
    return 0;
}
