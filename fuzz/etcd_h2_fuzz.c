/* Fuzz target: the frames etcd sends back to the consistent-read probe's own HTTP/2 client
 * (src/store/etcd_probe.c), parsed as the client does for its stream 1. The parser must never
 * read outside the bytes; what it accepts must carry a revision (> 0). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include "store/etcd_probe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int64_t rev = etcd_probe_parse_answer(data, size);
    if (rev == 0 || rev < -1)
        abort();
    return 0;
}
