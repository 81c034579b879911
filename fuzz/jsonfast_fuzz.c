/* jsonfast_fuzz.c — differential libFuzzer target for util/jsonfast.c: on arbitrary bytes,
 * jsonfast_loadb must accept exactly when json_loadb(JSON_REJECT_DUPLICATES) does, and give
 * an equal value (json_equal). Any difference aborts. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "util/jsonfast.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t err;
    json_t *want = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &err);
    json_t *got = jsonfast_loadb((const char *)data, size);
    if ((want == NULL) != (got == NULL) || (want != NULL && !json_equal(want, got))) {
        fprintf(stderr, "jsonfast differs from jansson (%s) on %zu bytes: %.*s\n",
                want ? "accepted" : err.text, size, (int)(size > 200 ? 200 : size), (const char *)data);
        abort();
    }
    json_decref(want);
    json_decref(got);
    return 0;
}
