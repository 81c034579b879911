/* served.h — `anzen analyze` over anzen's own store, as a read-only endpoint of `anzen serve`
 * (GET /analyze: the report of analyze.h as JSON, authorised as a non-resource request). */
#ifndef ANZEN_ANALYZE_SERVED_H
#define ANZEN_ANALYZE_SERVED_H

#include <jansson.h>
#include "analyze/analyze.h"
#include "registry/apiserver.h"

#define ANALYZE_SERVED_PATH "/analyze"

/* An http_get_fn (http/server.h): the report of the server's current state. */
int analyze_served_get(struct apiserver *srv, json_t **ret_body, const char **ret_content_type,
                       const char **ret_cache_control);

#endif
