/* observe.c — per-request bookkeeping for the audit log and the metrics (see observe.h). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit/audit.h"
#include "http/metrics.h"
#include "http/observe.h"
#include "util/buf.h"
#include "util/clock.h"

void http_observe_begin(struct http_observe *o)
{
    memset(o, 0, sizeof(*o));
    struct timespec wall;
    clock_wall(&wall);
    o->received_us = (int64_t)wall.tv_sec * 1000000 + wall.tv_nsec / 1000;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    o->start_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void http_observe_status(struct http_observe *o, json_t *status)
{
    json_decref(o->status);
    o->status = json_incref(status);
}

void http_observe_response(struct http_observe *o, json_t *obj)
{
    if (!audit_enabled() || json_equal(obj, o->status))
        return;
    json_decref(o->response);
    o->response = json_incref(obj);
}

void http_observe_authz(struct http_observe *o, bool allowed, const char *reason)
{
    o->authorized_run = true;
    o->allowed = allowed;
    free(o->reason);
    o->reason = reason ? xstrdup(reason) : NULL;
}

static const char *str_or_empty(const char *s)
{
    return s ? s : "";
}

void http_observe_end(struct http_observe *o, const struct http_observed *r)
{
    const struct request_info *ri = r->info;
    bool parsed = ri != NULL && ri->verb != NULL;
    struct audit_attrs attrs = {
        .user = r->user,
        .verb = parsed ? ri->verb : "",
        .is_resource = parsed && ri->is_resource,
        .group = parsed ? str_or_empty(ri->api_group) : "",
        .version = parsed ? str_or_empty(ri->api_version) : "",
        .resource = parsed ? str_or_empty(ri->resource) : "",
        .subresource = parsed ? str_or_empty(ri->subresource) : "",
        .ns = parsed ? str_or_empty(ri->namespace) : "",
        .name = parsed ? str_or_empty(ri->name) : "",
        .path = r->path,
    };
    char verb[16];
    if (!parsed) {
        /* before request info (authentication failed): the lower-case method as verb */
        size_t i;
        for (i = 0; r->method[i] && i + 1 < sizeof(verb); i++)
            verb[i] = (char)(r->method[i] >= 'A' && r->method[i] <= 'Z' ? r->method[i] + 32 : r->method[i]);
        verb[i] = '\0';
        attrs.verb = verb;
    }
    if (audit_enabled()) {
        struct audit_request ar = {
            .attrs = attrs,
            .audit_id = r->audit_id,
            .request_uri = r->request_uri,
            .source_ip = r->source_ip,
            .user_agent = r->user_agent,
            .received_us = o->received_us,
            .decision = o->authorized_run ? (o->allowed ? "allow" : "forbid") : NULL,
            .reason = o->reason,
            .body = r->body,
            .body_len = r->body_len,
            .code = r->code,
            .response_status = o->status,
            .response_obj = o->response,
            .authn_failed = o->authn_failed,
            .authn_message = o->authn_message[0] ? o->authn_message : NULL,
        };
        audit_log_request(&ar);
    }
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t end = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    struct metrics_request mr = {
        .attrs = &attrs,
        .code = r->code,
        .seconds = (double)(end - o->start_ns) / 1e9,
        .authn_result = o->authn_failed ? "failure" : (r->user ? "success" : NULL),
        .authz_decision = o->authorized_run ? (o->allowed ? "allowed" : "denied") : NULL,
        .terminated = o->terminated,
    };
    metrics_observe_request(&mr);
    json_decref(o->status);
    json_decref(o->response);
    free(o->reason);
    memset(o, 0, sizeof(*o));
}
