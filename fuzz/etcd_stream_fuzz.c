/* Fuzz target: what the etcd JSON gateway sends back — watch-stream lines (events with base64
 * keys and values, cancellations, errors) and range answers — decoded as the etcd backend
 * does (src/store/etcd.c).
 *
 * The decoder logs a warning for every watch error line it reads ("etcd watch: ..."), which
 * is close to half of the inputs: written to stderr, that output (megabytes a minute) cost
 * more than the decoding. Only errors are logged here; the decoding is the same. */
#include <stddef.h>
#include <stdint.h>
#include "store/etcd.h"
#include "util/log.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    log_set_level(LOG_ERROR);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    store_etcd_parse_stream((const char *)data, size);
    return 0;
}
