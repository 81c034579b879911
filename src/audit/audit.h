/* audit.h — the audit log (upstream k8s.io/apiserver/pkg/audit and plugin/pkg/audit/log):
 * an audit.k8s.io/v1 Policy decides a level and the stages per request; each logged stage is
 * one audit.k8s.io/v1 Event as a JSON line, written to --audit-log-path with size-based
 * rotation (--audit-log-maxsize MB, --audit-log-maxbackup files, lumberjack's file names).
 *
 * Never written, whatever the level: request or response bodies of Secrets, TokenRequests
 * (serviceaccounts/token), TokenReviews and anything whose body could carry a credential
 * (those events stay at Metadata), and request headers (Authorization).
 *
 * THREADS: audit_init() runs once before serving (no other thread yet). Afterwards
 * audit_enabled(), audit_log_request(), audit_event() and audit_policy_eval() may be called
 * from any thread without the biglock: the policy is immutable, events are built per call,
 * and each line is written whole under the log's own mutex (which also serialises
 * rotation). With auditing off, audit_log_request() takes no lock at all.
 * audit_policy_parse/_free: on objects the caller owns. */
#ifndef ANZEN_AUDIT_AUDIT_H
#define ANZEN_AUDIT_AUDIT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include "machinery/user.h"

enum audit_level { AUDIT_NONE, AUDIT_METADATA, AUDIT_REQUEST, AUDIT_REQUEST_RESPONSE };

/* Stages, as bits for omitStages. */
enum audit_stage {
    AUDIT_STAGE_REQUEST_RECEIVED = 1,
    AUDIT_STAGE_RESPONSE_STARTED = 2,
    AUDIT_STAGE_RESPONSE_COMPLETE = 4,
    AUDIT_STAGE_PANIC = 8,
};

struct audit_policy;

/* Parses a Policy (YAML or JSON text). NULL and *ret_err (caller frees) on error, with
 * upstream's kind of message ("unknown level", "apiVersion must be audit.k8s.io/v1"...). */
struct audit_policy *audit_policy_parse(const char *text, size_t len, char **ret_err);
void audit_policy_free(struct audit_policy *p);

/* The attributes a policy rule matches on (upstream authorizer.Attributes). */
struct audit_attrs {
    const struct user_info *user; /* NULL: not authenticated */
    const char *verb;             /* "get", "list", "create"... */
    bool is_resource;
    const char *group, *version, *resource, *subresource, *ns, *name; /* "" when absent */
    const char *path;             /* non-resource requests: "/healthz" */
};

/* The level of the first matching rule (AUDIT_NONE if none matches) and the stages to omit
 * (the policy's and the rule's). */
enum audit_level audit_policy_eval(const struct audit_policy *p, const struct audit_attrs *a,
                                   unsigned *ret_omit_stages);

struct audit_config {
    const char *log_path;    /* "-" for stdout; NULL: no audit log */
    const char *policy_file; /* required with log_path */
    int max_size_mb;         /* rotate when the file would exceed this (0: never) */
    int max_backup;          /* rotated files kept (0: all) */
};

/* Sets up the log. 0, or a negative AZ_* code with *ret_err (caller frees). Without a
 * policy or path, auditing is off. */
int audit_init(const struct audit_config *cfg, char **ret_err);
bool audit_enabled(void);

/* One request as the front end saw it. */
struct audit_request {
    struct audit_attrs attrs;
    const char *audit_id;
    const char *request_uri;     /* path and query as received */
    const char *source_ip;       /* may be NULL */
    const char *user_agent;      /* may be NULL */
    int64_t received_us;         /* wall clock, microseconds */
    const char *decision;        /* "allow" / "forbid", NULL if authorization did not run */
    const char *reason;          /* authorizer's reason, NULL if none */
    const char *body;            /* request body (JSON) or NULL */
    size_t body_len;
    int code;                    /* HTTP status sent */
    json_t *response_status;     /* Status sent, or NULL */
    json_t *response_obj;        /* response object sent, or NULL */
    bool authn_failed;           /* 401 from authentication (logged at ResponseStarted) */
    const char *authn_message;   /* with authn_failed: audit_authn_failure_message's text */
};

/* Upstream's responseStatus message for a failed authentication (WithFailedAuthenticationAudit's
 * getAuthMethods): "Authentication failed, attempted: basic, bearer, access_token, x509" for
 * the methods the request tried (Authorization "Basic user:password" / "Bearer x", an
 * access_token query parameter, a client certificate), else "Authentication failed, no
 * credentials provided". Written to out (size n). */
void audit_authn_failure_message(char *out, size_t n, const char *authorization, size_t auth_len,
                                 bool access_token, bool client_cert);

/* Logs the request's stages allowed by the policy (RequestReceived, ResponseComplete; for
 * a failed authentication, ResponseStarted only, at the level the policy gives, with
 * responseStatus {message: authn_message, code: 401} as upstream). Does nothing when auditing
 * is off. */
void audit_log_request(const struct audit_request *r);

/* Builds the Event for one stage (for tests and the logger). New reference. */
json_t *audit_event(const struct audit_request *r, enum audit_level level, enum audit_stage stage);

#endif
