/* query_fuzz.c — libFuzzer target for the request-line parsers: query_parse on arbitrary
 * bytes, then request_info_parse on the path and parsed query.
 *
 * Input layout: byte 0 picks the HTTP method, the rest is "<path>[?<query>]". */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/query.h"
#include "http/requestinfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const methods[] = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE",
                                          "OPTIONS", "get", "BREW"};
    if (size == 0)
        return 0;
    const char *method = methods[data[0] % (sizeof(methods) / sizeof(methods[0]))];
    const char *rest = (const char *)data + 1;
    size_t n = size - 1;

    const char *qm = memchr(rest, '?', n);
    size_t plen = qm != NULL ? (size_t)(qm - rest) : n;
    char *path = strndup(rest, plen); /* stops at an embedded NUL, like a C-string path */
    if (path == NULL)
        abort();

    struct query q;
    if (query_parse(qm != NULL ? qm + 1 : NULL, qm != NULL ? n - plen - 1 : 0, &q) == 0) {
        bool b;
        (void)query_bool(&q, "watch", &b);
        (void)query_has(&q, "fieldSelector");
        for (size_t i = 0; i < q.nparams; i++)
            if (query_get(&q, q.params[i].name) == NULL)
                abort(); /* every parsed name must be found again */
        struct request_info ri;
        if (request_info_parse(method, path, &q, &ri) == 0) {
            if (ri.verb == NULL || ri.name == NULL || ri.resource == NULL)
                abort();
            if (!ri.is_resource && ri.nparts != 0)
                abort();
            request_info_release(&ri);
        }
    }
    query_release(&q);
    free(path);
    return 0;
}
