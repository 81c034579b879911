/* status.c — metav1.Status construction; see status.h and spec/06-http-errors.md.
 * Member order follows the Go struct: kind, apiVersion, metadata, status, message, reason,
 * details, code. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "machinery/status.h"
#include "util/buf.h"
#include "util/text.h"

/* A JSON string of s as Go's encoding/json writes a Go string: each byte that is not valid
 * UTF-8 becomes U+FFFD (jansson refuses such a string: json_string gives NULL, and a message
 * or name built from a request path would silently vanish from the Status). */
static json_t *json_string_go(const char *s)
{
    size_t n = strlen(s);
    if (utf8_valid(s, n))
        return json_string(s);
    struct buf b = BUF_INIT;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t l = utf8_decode(s + i, n - i, &cp);
        if (l == 0) {
            buf_puts(&b, "\xEF\xBF\xBD");
            i++;
        } else {
            buf_append(&b, s + i, l);
            i += l;
        }
    }
    json_t *j = json_stringn(b.data, b.len);
    buf_release(&b);
    return j;
}

/* name as Go's %q renders it (NewNotFound, NewForbidden, ... quote the name with %q). */
static char *quoted(const char *name)
{
    struct buf b = BUF_INIT;
    name = name != NULL ? name : "";
    go_quote(&b, name, strlen(name));
    return buf_detach(&b, NULL);
}

json_t *status_new(enum az_err err, const char *message, json_t *details)
{
    json_t *s = json_object();
    json_object_set_new(s, "kind", json_string("Status"));
    json_object_set_new(s, "apiVersion", json_string("v1"));
    json_object_set_new(s, "metadata", json_object());
    json_object_set_new(s, "status", json_string(err == AZ_OK ? "Success" : "Failure"));
    if (message != NULL && *message)
        json_object_set_new(s, "message", json_string_go(message));
    const char *reason = az_err_reason(err);
    if (*reason)
        json_object_set_new(s, "reason", json_string(reason));
    if (details != NULL)
        json_object_set_new(s, "details", details);
    json_object_set_new(s, "code", json_integer(az_err_http_code(err)));
    return s;
}

json_t *status_newf(enum az_err err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = xvasprintf(fmt, ap);
    va_end(ap);
    json_t *s = status_new(err, msg, NULL);
    free(msg);
    return s;
}

static char *qualified(const char *group, const char *plural)
{
    if (group != NULL && *group)
        return xasprintf("%s.%s", plural, group);
    return xstrdup(plural);
}

static json_t *details_new(const char *group, const char *plural, const char *name)
{
    json_t *d = json_object();
    if (name != NULL && *name)
        json_object_set_new(d, "name", json_string_go(name));
    if (group != NULL && *group)
        json_object_set_new(d, "group", json_string(group));
    if (plural != NULL && *plural)
        json_object_set_new(d, "kind", json_string(plural));
    return d;
}

json_t *status_not_found(const char *group, const char *plural, const char *name)
{
    char *q = qualified(group, plural);
    char *qn = quoted(name);
    char *msg = xasprintf("%s %s not found", q, qn);
    free(qn);
    json_t *s = status_new(AZ_ENOTFOUND, msg, details_new(group, plural, name));
    free(q);
    free(msg);
    return s;
}

json_t *status_not_found_path(void)
{
    return status_new(AZ_ENOTFOUND, "the server could not find the requested resource",
                      json_object());
}

json_t *status_already_exists(const char *group, const char *plural, const char *name)
{
    char *q = qualified(group, plural);
    char *qn = quoted(name);
    char *msg = xasprintf("%s %s already exists", q, qn);
    free(qn);
    json_t *s = status_new(AZ_EEXIST, msg, details_new(group, plural, name));
    free(q);
    free(msg);
    return s;
}

json_t *status_conflict(const char *group, const char *plural, const char *name, const char *why)
{
    char *q = qualified(group, plural);
    char *qn = quoted(name);
    char *msg = xasprintf("Operation cannot be fulfilled on %s %s: %s", q, qn,
                          why ? why : "the object has been modified; please apply your changes to the latest version and try again");
    free(qn);
    json_t *s = status_new(AZ_ECONFLICT, msg, details_new(group, plural, name));
    free(q);
    free(msg);
    return s;
}

json_t *status_invalid(const char *group, const char *kind, const char *name,
                       const struct field_errors *errs)
{
    char *q = qualified(group, kind);
    char *agg = field_errors_aggregate(errs);
    char *qn = quoted(name);
    char *msg = xasprintf("%s %s is invalid: %s", q, qn, agg);
    free(qn);
    json_t *d = details_new(group, kind, name);
    json_t *causes = json_array();
    for (size_t i = 0; i < errs->n; i++) {
        json_t *c = json_object();
        char *body = field_error_body(&errs->items[i]);
        json_object_set_new(c, "reason", json_string(field_error_reason(errs->items[i].type)));
        json_object_set_new(c, "message", json_string(body));
        json_object_set_new(c, "field", json_string(errs->items[i].field));
        json_array_append_new(causes, c);
        free(body);
    }
    json_object_set_new(d, "causes", causes);
    json_t *s = status_new(AZ_EINVALID, msg, d);
    free(q);
    free(agg);
    free(msg);
    return s;
}

json_t *status_forbidden(const char *group, const char *plural, const char *name, const char *err)
{
    char *msg;
    if (plural == NULL || !*plural) {
        msg = xasprintf("forbidden: %s", err);
    } else {
        char *q = qualified(group, plural);
        if (name != NULL && *name) {
            char *qn = quoted(name);
            msg = xasprintf("%s %s is forbidden: %s", q, qn, err);
            free(qn);
        } else
            msg = xasprintf("%s is forbidden: %s", q, err);
        free(q);
    }
    json_t *s = status_new(AZ_EFORBIDDEN, msg, details_new(group, plural, name));
    free(msg);
    return s;
}

json_t *status_bad_request(const char *msg)
{
    return status_new(AZ_EBADREQUEST, msg, NULL);
}

json_t *status_internal(const char *err)
{
    char *msg = xasprintf("Internal error occurred: %s", err);
    json_t *d = json_object();
    json_t *causes = json_array();
    json_t *c = json_object();
    json_object_set_new(c, "message", json_string(err));
    json_array_append_new(causes, c);
    json_object_set_new(d, "causes", causes);
    json_t *s = status_new(AZ_EINTERNAL, msg, d);
    free(msg);
    return s;
}

json_t *status_method_not_allowed(void)
{
    return status_new(AZ_EMETHOD, "the server does not allow this method on the requested resource",
                      json_object());
}

json_t *status_unauthorized(void)
{
    return status_new(AZ_EUNAUTHORIZED, "Unauthorized", NULL);
}

json_t *status_too_large(void)
{
    return status_new(AZ_ETOOLARGE, "Request entity too large: limit is 3145728", NULL);
}

json_t *status_gone(const char *msg)
{
    return status_new(AZ_EGONE, msg, NULL);
}

json_t *status_too_large_resource_version(const char *rv, int64_t current)
{
    json_t *d = json_pack("{s:[{s:s,s:s}],s:i}", "causes", "reason", "ResourceVersionTooLarge",
                          "message", "Too large resource version", "retryAfterSeconds", 1);
    char *msg = xasprintf("Timeout: Too large resource version: %s, current: %lld", rv, (long long)current);
    json_t *s = status_new(AZ_ETIMEOUT, msg, d);
    free(msg);
    return s;
}

json_t *status_unsupported_media_type(const char *accepted)
{
    char *msg = xasprintf("the body of the request was in an unknown format - accepted media types include: %s", accepted);
    json_t *s = status_new(AZ_EMEDIATYPE, msg, NULL);
    free(msg);
    return s;
}

json_t *status_success_deleted(const char *group, const char *plural, const char *name,
                               const char *uid)
{
    json_t *d = details_new(group, plural, name);
    if (uid != NULL)
        json_object_set_new(d, "uid", json_string(uid));
    json_t *s = status_new(AZ_OK, NULL, d);
    json_object_del(s, "code"); /* upstream leaves Code 0 (omitted) on delete Success */
    return s;
}

int status_code(json_t *status)
{
    json_t *c = json_object_get(status, "code");
    return json_is_integer(c) ? (int)json_integer_value(c) : 500;
}
