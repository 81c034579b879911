/* observe.h — what the front end records about each request for the audit log
 * (audit/audit.c) and /metrics (http/metrics.c). server.c calls begin at intake, status/
 * response/authz as they happen, and end once the response is sent. */
#ifndef ANZEN_HTTP_OBSERVE_H
#define ANZEN_HTTP_OBSERVE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "machinery/user.h"
#include "http/requestinfo.h"

struct http_observe {
    int64_t received_us;  /* wall clock at intake */
    uint64_t start_ns;    /* monotonic, for the duration histogram */
    json_t *status;       /* Status sent (ref), or NULL */
    json_t *response;     /* response object sent (ref, only while auditing), or NULL */
    bool authn_failed;    /* 401 from authentication */
    char authn_message[96]; /* with authn_failed: the audit event's message (audit.h) */
    bool terminated;      /* refused by a self-defence limit (429): upstream's
                             apiserver_request_terminations_total counts it too */
    bool authorized_run;  /* authorization ran */
    bool allowed;         /* its decision */
    char *reason;         /* its reason (owned), or NULL */
};

/* The request as sent, borrowed for the duration of http_observe_end. */
struct http_observed {
    const struct request_info *info; /* zeroed when parsing did not happen */
    const struct user_info *user;    /* NULL: not authenticated */
    const char *path, *method, *audit_id, *request_uri, *source_ip, *user_agent;
    const char *body;
    size_t body_len;
    int code;
};

void http_observe_begin(struct http_observe *o);
void http_observe_status(struct http_observe *o, json_t *status);
void http_observe_response(struct http_observe *o, json_t *obj);
void http_observe_authz(struct http_observe *o, bool allowed, const char *reason);
/* Logs and counts the request, then releases what o holds. Any thread; no lock needed (the
 * audit log and the metrics have their own). */
void http_observe_end(struct http_observe *o, const struct http_observed *r);

#endif
