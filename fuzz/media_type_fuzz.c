/* media_type_fuzz.c — libFuzzer target for the request intake parsers of http/limits.c:
 * the Content-Type media type parser and the request-target check, on arbitrary bytes. */
#include <stdint.h>
#include <stdlib.h>

#include "http/limits.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    enum http_body_format f = http_body_format((const char *)data, size);
    if (f != HTTP_BODY_JSON && f != HTTP_BODY_YAML && f != HTTP_BODY_PROTOBUF && f != HTTP_BODY_UNSUPPORTED)
        abort();
    if (size == 0 && f != HTTP_BODY_JSON)
        abort(); /* no Content-Type means JSON, as upstream */
    enum http_target_check t = http_target_check((const char *)data, size);
    if (size > 0 && data[0] != '/' && t != HTTP_TARGET_NOT_ORIGIN_FORM)
        abort();
    return 0;
}
