/* impersonation.c — the impersonation filter (spec/08 §8.8; upstream
 * staging/src/k8s.io/apiserver/pkg/endpoints/filters/impersonation.go): Impersonate-User,
 * -Group, -Uid and -Extra-<key> headers, each authorized with verb "impersonate" in the order
 * user, groups, extras, uid; the first refusal is a 403 built from its attributes. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "machinery/status.h"
#include "authz/authz.h"
#include "authz/rbac.h"
#include "authz/rbac_int.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"
#include "util/text.h"

#define SA_PREFIX "system:serviceaccount:"
#define EXTRA_PREFIX "impersonate-extra-"
#define MAX_IMPERSONATION_ITEMS 256

/* DNS-1123 label (namespace names). */
static bool dns_label(const char *s, size_t n)
{
    if (n == 0 || n > 63 || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1]))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || s[i] == '-'))
            return false;
    return true;
}

/* DNS-1123 subdomain (service account names). */
static bool dns_subdomain(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 253)
        return false;
    const char *p = s;
    while (1) {
        const char *dot = strchr(p, '.');
        size_t l = dot ? (size_t)(dot - p) : strlen(p);
        if (!dns_label(p, l))
            return false;
        if (dot == NULL)
            return true;
        p = dot + 1;
    }
}

/* serviceaccount.SplitUsername. */
static bool split_sa(const char *user, char **ret_ns, char **ret_name)
{
    if (strncmp(user, SA_PREFIX, strlen(SA_PREFIX)) != 0)
        return false;
    const char *rest = user + strlen(SA_PREFIX);
    const char *colon = strchr(rest, ':');
    if (colon == NULL || strchr(colon + 1, ':') != NULL)
        return false;
    char *name = xstrdup(colon + 1);
    if (!dns_label(rest, (size_t)(colon - rest)) || !dns_subdomain(name)) {
        free(name);
        return false;
    }
    *ret_ns = xstrndup(rest, (size_t)(colon - rest));
    *ret_name = name;
    return true;
}

/* url.PathUnescape of the lower-cased key; the key unchanged when it does not decode. */
static char *unescape_extra_key(const char *k)
{
    size_t n = strlen(k);
    char *out = xmalloc(n + 1);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (k[i] == '%') {
            if (i + 2 >= n) {
                free(out);
                return xstrdup(k);
            }
            int h = hex_digit_value((unsigned char)k[i + 1]), l = h >= 0 ? hex_digit_value((unsigned char)k[i + 2]) : -1;
            if (h < 0 || l < 0) {
                free(out);
                return xstrdup(k);
            }
            out[o++] = (char)(h * 16 + l);
            i += 2;
        } else {
            out[o++] = k[i];
        }
    }
    out[o] = '\0';
    return out;
}

/* One impersonation request (upstream ObjectReference). */
struct imp_req {
    const char *kind;  /* ServiceAccount, User, Group, UserExtra, UID */
    char *ns, *name, *field_path;
};

static void render_refs(struct buf *b, const struct imp_req *r, size_t n)
{
    /* Go %v of []v1.ObjectReference: {Kind Namespace Name UID APIVersion ResourceVersion FieldPath} */
    buf_putc(b, '[');
    for (size_t i = 0; i < n; i++) {
        if (i)
            buf_putc(b, ' ');
        buf_printf(b, "{%s %s %s    %s}", r[i].kind, r[i].ns ? r[i].ns : "", r[i].name,
                   r[i].field_path ? r[i].field_path : "");
    }
    buf_putc(b, ']');
}

static const char *first(json_t *vals)
{
    const char *s = json_string_value(json_array_get(vals, 0));
    return s != NULL && *s ? s : NULL;
}

int rbac_impersonate(struct apiserver *srv, const struct user_info *requester,
                     json_t *(*get_header)(void *ctx, const char *name),
                     json_t *(*header_names)(void *ctx), void *ctx, struct user_info *ret,
                     json_t **ret_status)
{
    json_t *uh = get_header(ctx, "impersonate-user");
    json_t *gh = get_header(ctx, "impersonate-group");
    json_t *idh = get_header(ctx, "impersonate-uid");
    json_t *names = header_names(ctx);
    struct imp_req reqs[MAX_IMPERSONATION_ITEMS];
    size_t n = 0;
    int rc = 0;
    const char *user = first(uh);
    bool has_groups = false, has_extra = false;
    if (user != NULL) {
        char *ns, *name;
        if (split_sa(user, &ns, &name))
            reqs[n++] = (struct imp_req){"ServiceAccount", ns, name, NULL};
        else
            reqs[n++] = (struct imp_req){"User", NULL, xstrdup(user), NULL};
    }
    size_t i;
    json_t *v;
    json_array_foreach(gh, i, v) {
        if (n >= MAX_IMPERSONATION_ITEMS)
            break;
        has_groups = true;
        reqs[n++] = (struct imp_req){"Group", NULL, xstrdup(json_string_value(v)), NULL};
    }
    /* extras, in header order; each distinct header name once */
    json_t *seen = json_object();
    json_array_foreach(names, i, v) {
        char *lower = xstrdup(json_string_value(v));
        for (char *p = lower; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        if (strncmp(lower, EXTRA_PREFIX, strlen(EXTRA_PREFIX)) != 0 || json_object_get(seen, lower)) {
            free(lower);
            continue;
        }
        json_object_set_new(seen, lower, json_true());
        has_extra = true;
        char *key = unescape_extra_key(lower + strlen(EXTRA_PREFIX));
        json_t *vals = get_header(ctx, lower);
        size_t j;
        json_t *ev;
        json_array_foreach(vals, j, ev) {
            if (n >= MAX_IMPERSONATION_ITEMS)
                break;
            reqs[n++] = (struct imp_req){"UserExtra", NULL, xstrdup(json_string_value(ev)), xstrdup(key)};
        }
        json_decref(vals);
        free(key);
        free(lower);
    }
    json_decref(seen);
    const char *uid = first(idh);
    if (uid != NULL && n < MAX_IMPERSONATION_ITEMS)
        reqs[n++] = (struct imp_req){"UID", NULL, xstrdup(uid), NULL};
    if (n == 0)
        goto out;
    if ((has_groups || has_extra || uid != NULL) && user == NULL) {
        struct buf b = BUF_INIT;
        buf_puts(&b, "requested ");
        render_refs(&b, reqs, n);
        buf_puts(&b, " without impersonating a user");
        *ret_status = status_internal(b.data);
        json_object_set_new(*ret_status, "message", json_string(b.data));
        buf_release(&b);
        rc = AZ_EINTERNAL;
        goto out;
    }
    struct user_info out = {0};
    json_t *extra = json_object();
    for (size_t k = 0; k < n; k++) {
        struct imp_req *r = &reqs[k];
        struct authz_attrs a = {.user = requester, .verb = "impersonate", .is_resource = true,
                                .ns = r->ns ? r->ns : "", .group = "", .version = "v1",
                                .resource = "", .subresource = "", .name = r->name, .path = ""};
        if (strcmp(r->kind, "ServiceAccount") == 0) {
            a.resource = "serviceaccounts";
            free(out.name);
            out.name = xasprintf(SA_PREFIX "%s:%s", r->ns, r->name);
            if (!has_groups) {
                user_info_add_group(&out, "system:serviceaccounts");
                char *g = xasprintf("system:serviceaccounts:%s", r->ns);
                user_info_add_group(&out, g);
                free(g);
            }
        } else if (strcmp(r->kind, "User") == 0) {
            a.resource = "users";
            free(out.name);
            out.name = xstrdup(r->name);
        } else if (strcmp(r->kind, "Group") == 0) {
            a.resource = "groups";
            user_info_add_group(&out, r->name);
        } else if (strcmp(r->kind, "UserExtra") == 0) {
            a.group = "authentication.k8s.io";
            a.resource = "userextras";
            a.subresource = r->field_path;
            json_t *l = json_object_get(extra, r->field_path);
            if (l == NULL) {
                l = json_array();
                json_object_set_new(extra, r->field_path, l);
            }
            json_array_append_new(l, json_string(r->name));
        } else {
            a.group = "authentication.k8s.io";
            a.resource = "uids";
            free(out.uid);
            out.uid = xstrdup(r->name);
        }
        char *reason = NULL;
        if (authz_authorize(srv, &a, &reason) != AUTHZ_ALLOW) {
            *ret_status = authz_forbidden_status(&a, reason);
            free(reason);
            json_decref(extra);
            user_info_release(&out);
            rc = AZ_EFORBIDDEN;
            goto out;
        }
        free(reason);
    }
    if (strcmp(out.name, "system:anonymous") != 0) {
        if (!user_info_in_group(&out, "system:authenticated") && !user_info_in_group(&out, "system:unauthenticated"))
            user_info_add_group(&out, "system:authenticated");
    } else if (!user_info_in_group(&out, "system:unauthenticated")) {
        user_info_add_group(&out, "system:unauthenticated");
    }
    if (json_object_size(extra) > 0)
        out.extra = extra;
    else
        json_decref(extra);
    *ret = out;
out:
    for (size_t k = 0; k < n; k++) {
        free(reqs[k].ns);
        free(reqs[k].name);
        free(reqs[k].field_path);
    }
    json_decref(uh);
    json_decref(gh);
    json_decref(idh);
    json_decref(names);
    return rc;
}
