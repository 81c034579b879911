/* health.h — /healthz, /livez and /readyz as upstream's healthz handlers answer them: "ok",
 * or with ?verbose one line per check ("[+]ping ok") and "<name> check passed"; ?exclude=NAME
 * skips a check ("[+]NAME excluded: ok"); /<endpoint>/<check> answers one check. */
#ifndef ANZEN_HTTP_HEALTH_H
#define ANZEN_HTTP_HEALTH_H

#include "http/query.h"
#include "util/buf.h"

/* True if path is one of the three endpoints or below one of them. */
bool health_path(const char *path);

/* Renders the answer for path (health_path() true) into out; returns the HTTP status:
 * 200, or 404 for an unknown check (out then holds "404 page not found\n"). Every check
 * here passes once the server serves: the store, the bootstrap policy and the system
 * namespaces are in place before the listener opens. */
int health_render(const char *path, const struct query *q, struct buf *out);

#endif
