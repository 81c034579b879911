/* health.c — the health endpoints (see health.h). Check names are upstream kube-apiserver
 * 1.32's for the parts anzen has: ping, log, etcd (our store), the informers (our watch
 * cache) and the post-start hooks whose work anzen does before serving. */
#include <stdbool.h>
#include <string.h>
#include "http/health.h"

struct health_endpoint {
    const char *name;              /* "healthz", "livez", "readyz" */
    const char *const *checks;     /* NULL-terminated */
};

static const char *const livez_checks[] = {
    "ping", "log", "etcd",
    "poststarthook/start-apiserver-admission-initializer",
    "poststarthook/generic-apiserver-start-informers",
    "poststarthook/start-system-namespaces-controller",
    "poststarthook/rbac/bootstrap-roles",
    NULL,
};

static const char *const readyz_checks[] = {
    "ping", "log", "etcd", "etcd-readiness", "informer-sync",
    "poststarthook/start-apiserver-admission-initializer",
    "poststarthook/generic-apiserver-start-informers",
    "poststarthook/start-system-namespaces-controller",
    "poststarthook/rbac/bootstrap-roles",
    "shutdown",
    NULL,
};

static const struct health_endpoint endpoints[] = {
    {"healthz", livez_checks},
    {"livez", livez_checks},
    {"readyz", readyz_checks},
};

/* The endpoint path names ("/readyz" or "/readyz/…"), or NULL; *ret_rest is what follows
 * the endpoint ("" or "/…"). */
static const struct health_endpoint *endpoint_of(const char *path, const char **ret_rest)
{
    for (size_t i = 0; i < sizeof(endpoints) / sizeof(endpoints[0]); i++) {
        size_t n = strlen(endpoints[i].name);
        if (path[0] == '/' && strncmp(path + 1, endpoints[i].name, n) == 0 &&
            (path[1 + n] == '\0' || path[1 + n] == '/')) {
            *ret_rest = path + 1 + n;
            return &endpoints[i];
        }
    }
    return NULL;
}

bool health_path(const char *path)
{
    const char *rest;
    return endpoint_of(path, &rest) != NULL;
}

static bool excluded(const struct query *q, const char *check)
{
    for (size_t i = 0; i < q->nparams; i++)
        if (strcmp(q->params[i].name, "exclude") == 0 && strcmp(q->params[i].value, check) == 0)
            return true;
    return false;
}

/* Whether a check of endpoint e fails now. */
static bool check_fails(const struct health_endpoint *e, const char *check, bool store_ok)
{
    return !store_ok && strcmp(e->name, "readyz") == 0 &&
           (strcmp(check, "etcd") == 0 || strcmp(check, "etcd-readiness") == 0);
}

int health_render(const char *path, const struct query *q, bool store_ok, struct buf *out)
{
    const char *rest;
    const struct health_endpoint *e = endpoint_of(path, &rest);
    if (e == NULL)
        return 404;
    if (*rest == '/' && rest[1] != '\0') {
        /* one check: /readyz/ping, /livez/poststarthook/rbac/bootstrap-roles */
        for (const char *const *c = e->checks; *c; c++) {
            if (strcmp(rest + 1, *c) == 0) {
                if (check_fails(e, *c, store_ok)) {
                    buf_printf(out, "internal server error: %s check failed\n", *c);
                    return 500;
                }
                buf_puts(out, "ok");
                return 200;
            }
        }
        buf_puts(out, "404 page not found\n");
        return 404;
    }
    bool failed = false;
    for (const char *const *c = e->checks; *c; c++)
        failed |= !excluded(q, *c) && check_fails(e, *c, store_ok);
    if (!failed && !query_has(q, "verbose")) {
        buf_puts(out, "ok");
        return 200;
    }
    for (const char *const *c = e->checks; *c; c++) {
        if (excluded(q, *c))
            buf_printf(out, "[+]%s excluded: ok\n", *c);
        else if (check_fails(e, *c, store_ok))
            buf_printf(out, "[-]%s failed: reason withheld\n", *c);
        else
            buf_printf(out, "[+]%s ok\n", *c);
    }
    /* excludes that name no check, quoted and comma-separated as upstream lists them */
    bool first = true;
    for (size_t i = 0; i < q->nparams; i++) {
        if (strcmp(q->params[i].name, "exclude") != 0)
            continue;
        bool known = false;
        for (const char *const *c = e->checks; *c && !known; c++)
            known = strcmp(q->params[i].value, *c) == 0;
        if (known)
            continue;
        buf_printf(out, "%s\"%s\"", first ? "warn: some health checks cannot be excluded: no matches for " : ",",
                   q->params[i].value);
        first = false;
    }
    if (!first)
        buf_putc(out, '\n');
    if (failed) {
        buf_printf(out, "%s check failed\n", e->name);
        return 500;
    }
    buf_printf(out, "%s check passed\n", e->name);
    return 200;
}
