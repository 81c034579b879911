/* Fuzz target: what the etcd JSON gateway sends back — watch-stream lines (events with base64
 * keys and values, cancellations, errors) and range answers — decoded as the etcd backend
 * does (src/store/etcd.c). */
#include <stddef.h>
#include <stdint.h>
#include "store/etcd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    store_etcd_parse_stream((const char *)data, size);
    return 0;
}
