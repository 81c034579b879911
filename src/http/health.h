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
 * 200; 404 for an unknown check (out then holds "404 page not found\n"); 500 when a check
 * that is not excluded fails: the storage checks ("etcd", "etcd-readiness" of /readyz) fail
 * when store_ok is false (etcd unreachable or without quorum). Every other check passes once
 * the server serves: the bootstrap policy and the system namespaces are in place before the
 * listener opens. As upstream, a failure lists every check ("[-]etcd failed: reason
 * withheld") even without ?verbose. */
int health_render(const char *path, const struct query *q, bool store_ok, struct buf *out);

#endif
