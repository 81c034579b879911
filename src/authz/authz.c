/* authz.c — authorizer chain (spec/08 §8.1: system:masters first, then the registered
 * authorizers in order; first Allow/Deny wins, reasons joined by "\n") and the forbidden
 * Status (spec/06 §6.5); see authz.h. */
#include <stdlib.h>
#include <string.h>
#include "machinery/status.h"
#include "authz/authz.h"
#include "util/buf.h"

#define MAX_AUTHZ 4
static const struct authorizer *authorizers[MAX_AUTHZ];
static int nauthorizers;

void authz_register(const struct authorizer *a)
{
    if (nauthorizers < MAX_AUTHZ)
        authorizers[nauthorizers++] = a;
}

enum authz_decision authz_authorize(struct apiserver *srv, const struct authz_attrs *a,
                                    char **ret_reason)
{
    *ret_reason = NULL;
    if (user_info_in_group(a->user, "system:masters"))
        return AUTHZ_ALLOW;
    if (nauthorizers == 0 && !a->is_resource && strcmp(a->verb, "get") == 0 &&
        (strcmp(a->path, "/healthz") == 0 || strcmp(a->path, "/livez") == 0 ||
         strcmp(a->path, "/readyz") == 0 || strcmp(a->path, "/version") == 0 ||
         strcmp(a->path, "/version/") == 0))
        return AUTHZ_ALLOW; /* system:public-info-viewer until an authorizer is registered */
    struct buf reasons = BUF_INIT;
    enum authz_decision d = AUTHZ_NO_OPINION;
    for (int i = 0; i < nauthorizers && d == AUTHZ_NO_OPINION; i++) {
        char *why = NULL;
        d = authorizers[i]->authorize(authorizers[i]->state, srv, a, &why);
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

json_t *authz_forbidden_status(const struct authz_attrs *a, const char *reason)
{
    struct buf core = BUF_INIT;
    buf_puts(&core, "User \"");
    put_escaped(&core, a->user->name);
    buf_puts(&core, "\" cannot ");
    put_escaped(&core, a->verb);
    if (a->is_resource) {
        buf_puts(&core, " resource \"");
        put_escaped(&core, a->resource);
        if (a->subresource && *a->subresource) {
            buf_putc(&core, '/');
            put_escaped(&core, a->subresource);
        }
        buf_puts(&core, "\" in API group \"");
        put_escaped(&core, a->group);
        if (a->ns && *a->ns) {
            buf_puts(&core, "\" in the namespace \"");
            put_escaped(&core, a->ns);
            buf_putc(&core, '"');
        } else {
            buf_puts(&core, "\" at the cluster scope");
        }
    } else {
        buf_puts(&core, " path \"");
        put_escaped(&core, a->path);
        buf_putc(&core, '"');
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
