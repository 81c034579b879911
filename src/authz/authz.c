/* authz.c — authorizer chain (spec/08 §8.1: system:masters first, then the registered
 * authorizers in order; first Allow/Deny wins, reasons joined by "\n") and the forbidden
 * Status (spec/06 §6.5); see authz.h. The chain is srv->authorizers, listed by cmd/serve.c. */
#include <stdlib.h>
#include <string.h>
#include "machinery/status.h"
#include "authz/authz.h"
#include "util/buf.h"
#include "util/text.h"

enum authz_decision authz_authorize(struct apiserver *srv, const struct authz_attrs *a,
                                    char **ret_reason)
{
    *ret_reason = NULL;
    if (user_info_in_group(a->user, "system:masters"))
        return AUTHZ_ALLOW;
    size_t n = srv != NULL ? srv->nauthorizers : 0;
    if (n == 0 && !a->is_resource && strcmp(a->verb, "get") == 0 &&
        (strcmp(a->path, "/healthz") == 0 || strcmp(a->path, "/livez") == 0 ||
         strcmp(a->path, "/readyz") == 0 || strcmp(a->path, "/version") == 0 ||
         strcmp(a->path, "/version/") == 0))
        return AUTHZ_ALLOW; /* system:public-info-viewer until an authorizer is registered */
    struct buf reasons = BUF_INIT;
    enum authz_decision d = AUTHZ_NO_OPINION;
    for (size_t i = 0; i < n && d == AUTHZ_NO_OPINION; i++) {
        const struct authorizer *z = srv->authorizers[i];
        char *why = NULL;
        d = z->authorize(z->state, srv, a, &why);
        if (why != NULL && *why) {
            if (reasons.len)
                buf_putc(&reasons, '\n');
            buf_puts(&reasons, why);
        }
        free(why);
    }
    if (reasons.len)
        *ret_reason = buf_detach(&reasons, NULL);
    buf_release(&reasons);
    return d;
}

static void put_escaped(struct buf *b, const char *s)
{
    for (; s && *s; s++) {
        if (*s == '&')
            buf_puts(b, "&amp;");
        else if (*s == '<')
            buf_puts(b, "&lt;");
        else if (*s == '>')
            buf_puts(b, "&gt;");
        else
            buf_putc(b, *s);
    }
}

/* s as %q renders it, then sanitized as the whole message is (quoting never makes &, <, >). */
static void put_quoted(struct buf *b, const char *s)
{
    struct buf q = BUF_INIT;
    s = s != NULL ? s : "";
    go_quote(&q, s, strlen(s));
    put_escaped(b, q.data);
    buf_release(&q);
}

json_t *authz_forbidden_status(const struct authz_attrs *a, const char *reason)
{
    struct buf core = BUF_INIT;
    /* forbiddenMessage: User %q cannot %s resource %q in API group %q in the namespace %q (or
     * at the cluster scope; path %q), through the &, <, > sanitizer */
    buf_puts(&core, "User ");
    put_quoted(&core, a->user->name);
    buf_puts(&core, " cannot ");
    put_escaped(&core, a->verb);
    if (a->is_resource) {
        char *res = a->subresource && *a->subresource ? xasprintf("%s/%s", a->resource ? a->resource : "", a->subresource)
                                                      : xstrdup(a->resource ? a->resource : "");
        buf_puts(&core, " resource ");
        put_quoted(&core, res);
        free(res);
        buf_puts(&core, " in API group ");
        put_quoted(&core, a->group);
        if (a->ns && *a->ns) {
            buf_puts(&core, " in the namespace ");
            put_quoted(&core, a->ns);
        } else {
            buf_puts(&core, " at the cluster scope");
        }
    } else {
        buf_puts(&core, " path ");
        put_quoted(&core, a->path);
    }
    if (reason && *reason) {
        buf_puts(&core, ": ");
        buf_puts(&core, reason);
    }
    json_t *s = status_forbidden(a->is_resource ? a->group : NULL,
                                 a->is_resource ? a->resource : NULL,
                                 a->is_resource ? a->name : NULL, core.data);
    buf_release(&core);
    return s;
}
