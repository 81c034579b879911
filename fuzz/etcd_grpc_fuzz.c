/* Fuzz target: the answer to the consistent-read barrier's gRPC probe (etcd's KV/Range over
 * HTTP/2: one length-prefixed gRPC message holding a protobuf RangeResponse), decoded as the
 * etcd backend does (store_etcd_grpc_header_rev, src/store/etcd.c). The decoder must never read
 * outside the bytes, and what it accepts must be one whole uncompressed message. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include "store/etcd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int64_t rev = store_etcd_grpc_header_rev(data, size);
    if (rev == 0 || rev < -1)
        abort();
    if (rev > 0 && (size < 5 || data[0] != 0 ||
                    ((size_t)data[1] << 24 | (size_t)data[2] << 16 | (size_t)data[3] << 8 | data[4]) != size - 5))
        abort();
    return 0;
}
