/* podsecurity_checks.c — the Pod Security Standards checks (spec/12 §12.3–12.4; upstream
 * pod-security-admission policy/check_*.go at release-1.32) and the evaluation of one pod
 * (metadata + spec, from a Pod or a pod template) against a level and version.
 *
 * One row per check in checks[]: ID, level, the first policy version it exists in, and the
 * function. Rows are sorted by level, then by ID in byte order — the order upstream reports
 * failures in. A restricted evaluation runs every baseline and restricted row except those a
 * restricted row overrides (restrictedVolumes replaces hostPathVolumes).
 *
 * Each check function returns NULL when the pod passes, or the malloc'd detail text (may be
 * empty) with *ret_reason set to a static reason string. Containers are visited in upstream's
 * order: initContainers, containers, ephemeralContainers. Value sets are sorted and
 * de-duplicated (Go sets.String.List), name lists keep visit order. */
#include <stdlib.h>
#include <string.h>
#include "admission/podsecurity.h"
#include "util/buf.h"
#include "util/json.h"
#include "util/text.h"

/* ---- string lists ------------------------------------------------------------------- */

struct strlist {
    char **v;   /* malloc'd strings */
    size_t n;   /* used */
    size_t cap; /* allocated */
};

static void strlist_add(struct strlist *l, const char *s)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 8;
        l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
    }
    l->v[l->n++] = xstrdup(s != NULL ? s : "");
}

static void strlist_release(struct strlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorts and removes duplicates (a Go string set's List()). */
static void strlist_make_set(struct strlist *l)
{
    if (l->n < 2)
        return;
    qsort(l->v, l->n, sizeof(*l->v), cmp_str);
    size_t w = 1;
    for (size_t i = 1; i < l->n; i++) {
        if (strcmp(l->v[i], l->v[w - 1]) == 0)
            free(l->v[i]);
        else
            l->v[w++] = l->v[i];
    }
    l->n = w;
}

static void strlist_join(struct buf *b, const struct strlist *l, const char *sep)
{
    for (size_t i = 0; i < l->n; i++) {
        if (i > 0)
            buf_puts(b, sep);
        buf_puts(b, l->v[i]);
    }
}

/* upstream joinQuote: "a", "b" (no escaping). */
static void strlist_join_quote(struct buf *b, const struct strlist *l)
{
    if (l->n == 0)
        return;
    buf_putc(b, '"');
    strlist_join(b, l, "\", \"");
    buf_putc(b, '"');
}

static const char *pluralize(const char *singular, const char *plural, size_t n)
{
    return n == 1 ? singular : plural;
}

/* `container "a"` / `containers "a", "b"` */
static void put_containers(struct buf *b, const struct strlist *names)
{
    buf_puts(b, pluralize("container", "containers", names->n));
    buf_putc(b, ' ');
    strlist_join_quote(b, names);
}

/* Adds `container "a"` / `containers "a", "b"` to setters when bad_ctrs is not empty
 * (the "pod and containers …" subjects of a check's message). */
static void add_container_setter(struct strlist *setters, const struct strlist *bad_ctrs)
{
    if (bad_ctrs->n == 0)
        return;
    struct buf b = BUF_INIT;
    put_containers(&b, bad_ctrs);
    strlist_add(setters, b.data);
    buf_release(&b);
}

/* ---- the pod being evaluated -------------------------------------------------------- */

struct pod_view {
    json_t *meta;      /* metadata (or NULL) */
    json_t *spec;      /* pod spec (or NULL) */
    json_t *psc;       /* spec.securityContext (or NULL) */
    json_t **ctrs;     /* init, regular, ephemeral containers in that order */
    size_t nctrs;
    long long minor;   /* policy version, PSA_MINOR_LATEST for latest */
};

static bool version_at_least(long long minor, long long want)
{
    return minor == PSA_MINOR_LATEST || minor >= want;
}

static const char *ctr_name(json_t *ctr)
{
    const char *n = json_str(ctr, "name");
    return n != NULL ? n : "";
}

static json_t *ctr_sc(json_t *ctr, const char *field)
{
    return json_object_get(json_object_get(ctr, "securityContext"), field);
}

static bool is_windows_pod(const struct pod_view *p)
{
    const char *os = json_path_str(p->spec, "os.name");
    return os != NULL && strcmp(os, "windows") == 0;
}

static char *finish(struct buf *b, const char *reason, const char **ret_reason)
{
    *ret_reason = reason;
    return buf_detach(b, NULL);
}

/* ---- baseline ----------------------------------------------------------------------- */

static bool apparmor_annotation_allowed(const char *v)
{
    return *v == '\0' || strcmp(v, "runtime/default") == 0 || strncmp(v, "localhost/", 10) == 0;
}

static bool apparmor_type_allowed(json_t *profile)
{
    const char *t = json_str(profile, "type");
    return t != NULL && (strcmp(t, "RuntimeDefault") == 0 || strcmp(t, "Localhost") == 0);
}

static char *check_apparmor(const struct pod_view *p, const char **ret_reason)
{
    struct strlist setters = {0}, bad_ctrs = {0}, values = {0}, annotations = {0};
    json_t *prof = json_object_get(p->psc, "appArmorProfile");
    if (json_is_object(prof) && !apparmor_type_allowed(prof)) {
        strlist_add(&setters, "pod");
        strlist_add(&values, json_str(prof, "type"));
    }
    for (size_t i = 0; i < p->nctrs; i++) {
        json_t *cp = ctr_sc(p->ctrs[i], "appArmorProfile");
        if (json_is_object(cp) && !apparmor_type_allowed(cp)) {
            strlist_add(&bad_ctrs, ctr_name(p->ctrs[i]));
            strlist_add(&values, json_str(cp, "type"));
        }
    }
    struct buf b = BUF_INIT;
    add_container_setter(&setters, &bad_ctrs);
    strlist_make_set(&values);
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(p->meta, "annotations"), k, v) {
        const char *s = json_is_string(v) ? json_string_value(v) : "";
        if (strncmp(k, "container.apparmor.security.beta.kubernetes.io/", 47) != 0 ||
            apparmor_annotation_allowed(s))
            continue;
        buf_puts(&b, k);
        buf_putc(&b, '=');
        go_quote(&b, s, strlen(s));
        strlist_add(&annotations, b.data);
        buf_release(&b);
    }
    if (annotations.n > 0) {
        qsort(annotations.v, annotations.n, sizeof(*annotations.v), cmp_str);
        for (size_t i = 0; i < annotations.n; i++)
            strlist_add(&values, annotations.v[i]);
        strlist_add(&setters, pluralize("annotation", "annotations", annotations.n));
    }
    char *out = NULL;
    if (setters.n > 0) {
        strlist_join(&b, &setters, " and ");
        buf_puts(&b, " must not set AppArmor profile type to ");
        strlist_join_quote(&b, &values);
        out = finish(&b, pluralize("forbidden AppArmor profile", "forbidden AppArmor profiles", values.n),
                     ret_reason);
    }
    strlist_release(&setters);
    strlist_release(&bad_ctrs);
    strlist_release(&values);
    strlist_release(&annotations);
    return out;
}

static const char *const capabilities_baseline_allowed[] = {
    "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
    "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT", NULL,
};

static bool in_list(const char *const *list, const char *s)
{
    for (; *list != NULL; list++)
        if (strcmp(*list, s) == 0)
            return true;
    return false;
}

static const char *json_str_or_empty(json_t *v)
{
    return json_is_string(v) ? json_string_value(v) : "";
}

static char *check_capabilities_baseline(const struct pod_view *p, const char **ret_reason)
{
    struct strlist bad_ctrs = {0}, caps = {0};
    for (size_t i = 0; i < p->nctrs; i++) {
        bool bad = false;
        size_t j;
        json_t *c;
        json_array_foreach(json_object_get(ctr_sc(p->ctrs[i], "capabilities"), "add"), j, c) {
            if (!in_list(capabilities_baseline_allowed, json_str_or_empty(c))) {
                bad = true;
                strlist_add(&caps, json_str_or_empty(c));
            }
        }
        if (bad)
            strlist_add(&bad_ctrs, ctr_name(p->ctrs[i]));
    }
    char *out = NULL;
    if (bad_ctrs.n > 0) {
        struct buf b = BUF_INIT;
        strlist_make_set(&caps);
        put_containers(&b, &bad_ctrs);
        buf_puts(&b, " must not include ");
        strlist_join_quote(&b, &caps);
        buf_puts(&b, " in securityContext.capabilities.add");
        out = finish(&b, "non-default capabilities", ret_reason);
    }
    strlist_release(&bad_ctrs);
    strlist_release(&caps);
    return out;
}

static char *check_host_namespaces(const struct pod_view *p, const char **ret_reason)
{
    struct strlist ns = {0};
    if (json_is_true(json_object_get(p->spec, "hostNetwork")))
        strlist_add(&ns, "hostNetwork=true");
    if (json_is_true(json_object_get(p->spec, "hostPID")))
        strlist_add(&ns, "hostPID=true");
    if (json_is_true(json_object_get(p->spec, "hostIPC")))
        strlist_add(&ns, "hostIPC=true");
    char *out = NULL;
    if (ns.n > 0) {
        struct buf b = BUF_INIT;
        strlist_join(&b, &ns, ", ");
        out = finish(&b, "host namespaces", ret_reason);
    }
    strlist_release(&ns);
    return out;
}

static char *check_host_path_volumes(const struct pod_view *p, const char **ret_reason)
{
    struct strlist vols = {0};
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(p->spec, "volumes"), i, v) {
        json_t *hp = json_object_get(v, "hostPath");
        if (hp != NULL && !json_is_null(hp))
            strlist_add(&vols, json_str(v, "name"));
    }
    char *out = NULL;
    if (vols.n > 0) {
        struct buf b = BUF_INIT;
        buf_puts(&b, pluralize("volume", "volumes", vols.n));
        buf_putc(&b, ' ');
        strlist_join_quote(&b, &vols);
        out = finish(&b, "hostPath volumes", ret_reason);
    }
    strlist_release(&vols);
    return out;
}

static char *check_host_ports(const struct pod_view *p, const char **ret_reason)
{
    struct strlist bad_ctrs = {0}, ports = {0};
    for (size_t i = 0; i < p->nctrs; i++) {
        bool bad = false;
        size_t j;
        json_t *port;
        json_array_foreach(json_object_get(p->ctrs[i], "ports"), j, port) {
            json_t *hp = json_object_get(port, "hostPort");
            if (json_is_integer(hp) && json_integer_value(hp) != 0) {
                char num[32];
                snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(hp));
                strlist_add(&ports, num);
                bad = true;
            }
        }
        if (bad)
            strlist_add(&bad_ctrs, ctr_name(p->ctrs[i]));
    }
    char *out = NULL;
    if (bad_ctrs.n > 0) {
        struct buf b = BUF_INIT;
        strlist_make_set(&ports);
        put_containers(&b, &bad_ctrs);
        buf_printf(&b, " %s %s ", pluralize("uses", "use", bad_ctrs.n),
                   pluralize("hostPort", "hostPorts", ports.n));
        strlist_join(&b, &ports, ", ");
        out = finish(&b, "hostPort", ret_reason);
    }
    strlist_release(&bad_ctrs);
    strlist_release(&ports);
    return out;
}

static char *check_privileged(const struct pod_view *p, const char **ret_reason)
{
    struct strlist bad_ctrs = {0};
    for (size_t i = 0; i < p->nctrs; i++)
        if (json_is_true(ctr_sc(p->ctrs[i], "privileged")))
            strlist_add(&bad_ctrs, ctr_name(p->ctrs[i]));
    char *out = NULL;
    if (bad_ctrs.n > 0) {
        struct buf b = BUF_INIT;
        put_containers(&b, &bad_ctrs);
        buf_puts(&b, " must not set securityContext.privileged=true");
        out = finish(&b, "privileged", ret_reason);
    }
    strlist_release(&bad_ctrs);
    return out;
}

static char *check_proc_mount(const struct pod_view *p, const char **ret_reason)
{
    struct strlist bad_ctrs = {0}, types = {0};
    for (size_t i = 0; i < p->nctrs; i++) {
        json_t *pm = ctr_sc(p->ctrs[i], "procMount");
        if (pm == NULL || json_is_null(pm))
            continue;
        if (strcmp(json_str_or_empty(pm), "Default") != 0) {
            strlist_add(&bad_ctrs, ctr_name(p->ctrs[i]));
            strlist_add(&types, json_str_or_empty(pm));
        }
    }
    char *out = NULL;
    if (bad_ctrs.n > 0) {
        struct buf b = BUF_INIT;
        strlist_make_set(&types);
        put_containers(&b, &bad_ctrs);
        buf_puts(&b, " must not set securityContext.procMount to ");
        strlist_join_quote(&b, &types);
        out = finish(&b, "procMount", ret_reason);
    }
    strlist_release(&bad_ctrs);
    strlist_release(&types);
    return out;
}

struct selinux_state {
    struct strlist bad_types; /* forbidden type values */
    bool set_user;            /* some user was set */
    bool set_role;            /* some role was set */
    long long minor;          /* container_engine_t is allowed from v1.31 */
};

/* True if opts is allowed; records what is wrong in st. */
static bool selinux_options_ok(struct selinux_state *st, json_t *opts)
{
    static const char *const allowed[] = {"", "container_t", "container_init_t", "container_kvm_t", NULL};
    bool ok = true;
    const char *t = json_str_or_empty(json_object_get(opts, "type"));
    if (!in_list(allowed, t) && !(version_at_least(st->minor, 31) && strcmp(t, "container_engine_t") == 0)) {
        ok = false;
        strlist_add(&st->bad_types, t);
    }
    if (*json_str_or_empty(json_object_get(opts, "user")) != '\0') {
        ok = false;
        st->set_user = true;
    }
    if (*json_str_or_empty(json_object_get(opts, "role")) != '\0') {
        ok = false;
        st->set_role = true;
    }
    return ok;
}

static char *check_selinux_options(const struct pod_view *p, const char **ret_reason)
{
    struct selinux_state st = {.minor = p->minor};
    struct strlist setters = {0}, bad_ctrs = {0};
    json_t *po = json_object_get(p->psc, "seLinuxOptions");
    if (json_is_object(po) && !selinux_options_ok(&st, po))
        strlist_add(&setters, "pod");
    for (size_t i = 0; i < p->nctrs; i++) {
        json_t *co = ctr_sc(p->ctrs[i], "seLinuxOptions");
        if (json_is_object(co) && !selinux_options_ok(&st, co))
            strlist_add(&bad_ctrs, ctr_name(p->ctrs[i]));
    }
    struct buf b = BUF_INIT;
    add_container_setter(&setters, &bad_ctrs);
    char *out = NULL;
    if (setters.n > 0) {
        strlist_make_set(&st.bad_types);
        strlist_join(&b, &setters, " and ");
        buf_puts(&b, " set forbidden securityContext.seLinuxOptions: ");
        /* as upstream: user/role are only listed after a forbidden type */
        if (st.bad_types.n > 0) {
            buf_puts(&b, pluralize("type", "types", st.bad_types.n));
            buf_putc(&b, ' ');
            strlist_join_quote(&b, &st.bad_types);
            if (st.set_user)
                buf_puts(&b, "; user may not be set");
            if (st.set_role)
                buf_puts(&b, "; role may not be set");
        }
        out = finish(&b, "seLinuxOptions", ret_reason);
    }
    strlist_release(&st.bad_types);
    strlist_release(&setters);
    strlist_release(&bad_ctrs);
    return out;
}

static bool seccomp_type_ok(json_t *profile)
{
    const char *t = json_str_or_empty(json_object_get(profile, "type"));
    return strcmp(t, "RuntimeDefault") == 0 || strcmp(t, "Localhost") == 0;
}

static bool seccomp_annotation_ok(const char *v)
{
    return strcmp(v, "runtime/default") == 0 || strcmp(v, "docker/default") == 0 ||
           strncmp(v, "localhost/", 10) == 0;
}

#define SECCOMP_POD_ANNOTATION "seccomp.security.alpha.kubernetes.io/pod"
#define SECCOMP_CONTAINER_ANNOTATION_PREFIX "container.seccomp.security.alpha.kubernetes.io/"

static void add_seccomp_annotation(struct strlist *l, const char *key, json_t *value)
{
    struct buf b = BUF_INIT;
    const char *s = json_str_or_empty(value);
    buf_puts(&b, key);
    buf_putc(&b, '=');
    go_quote(&b, s, strlen(s));
    strlist_add(l, b.data);
    buf_release(&b);
}

/* v1.0–v1.18: the alpha annotations. */
static char *seccomp_baseline_annotations(const struct pod_view *p, const char **ret_reason)
{
    struct strlist bad = {0};
    json_t *ann = json_object_get(p->meta, "annotations");
    json_t *v = json_object_get(ann, SECCOMP_POD_ANNOTATION);
    if (v != NULL && !seccomp_annotation_ok(json_str_or_empty(v)))
        add_seccomp_annotation(&bad, SECCOMP_POD_ANNOTATION, v);
    for (size_t i = 0; i < p->nctrs; i++) {
        char *key = xasprintf("%s%s", SECCOMP_CONTAINER_ANNOTATION_PREFIX, ctr_name(p->ctrs[i]));
        v = json_object_get(ann, key);
        if (v != NULL && !seccomp_annotation_ok(json_str_or_empty(v)))
            add_seccomp_annotation(&bad, key, v);
        free(key);
    }
    char *out = NULL;
    if (bad.n > 0) {
        struct buf b = BUF_INIT;
        strlist_make_set(&bad);
        buf_printf(&b, "forbidden %s ", pluralize("annotation", "annotations", bad.n));
        strlist_join(&b, &bad, ", ");
        out = finish(&b, "seccompProfile", ret_reason);
    }
    strlist_release(&bad);
    return out;
}

/* Shared by both seccomp checks from v1.19: explicit bad types, and (restricted only)
 * containers left without a valid profile. */
static char *seccomp_fields(const struct pod_view *p, bool restricted, const char **ret_reason)
{
    struct strlist setters = {0}, values = {0}, bad_ctrs = {0}, implicit = {0};
    bool pod_set = false;
    json_t *pp = json_object_get(p->psc, "seccompProfile");
    if (json_is_object(pp)) {
        if (!seccomp_type_ok(pp)) {
            strlist_add(&setters, "pod");
            strlist_add(&values, json_str_or_empty(json_object_get(pp, "type")));
        } else {
            pod_set = true;
        }
    }
    for (size_t i = 0; i < p->nctrs; i++) {
        json_t *cp = ctr_sc(p->ctrs[i], "seccompProfile");
        if (json_is_object(cp)) {
            if (!seccomp_type_ok(cp)) {
                strlist_add(&bad_ctrs, ctr_name(p->ctrs[i]));
                strlist_add(&values, json_str_or_empty(json_object_get(cp, "type")));
            }
        } else if (!pod_set) {
            strlist_add(&implicit, ctr_name(p->ctrs[i]));
        }
    }
    struct buf b = BUF_INIT;
    add_container_setter(&setters, &bad_ctrs);
    char *out = NULL;
    if (setters.n > 0) {
        strlist_make_set(&values);
        strlist_join(&b, &setters, " and ");
        buf_puts(&b, " must not set securityContext.seccompProfile.type to ");
        strlist_join_quote(&b, &values);
        out = finish(&b, "seccompProfile", ret_reason);
    } else if (restricted && implicit.n > 0) {
        buf_puts(&b, "pod or ");
        put_containers(&b, &implicit);
        buf_puts(&b, " must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\"");
        out = finish(&b, "seccompProfile", ret_reason);
    }
    strlist_release(&setters);
    strlist_release(&values);
    strlist_release(&bad_ctrs);
    strlist_release(&implicit);
    return out;
}

static char *check_seccomp_baseline(const struct pod_view *p, const char **ret_reason)
{
    if (!version_at_least(p->minor, 19))
        return seccomp_baseline_annotations(p, ret_reason);
    return seccomp_fields(p, false, ret_reason);
}

/* The safe sysctls and the version that allowed each. */
static const struct {
    const char *name;
    long long since;
} safe_sysctls[] = {
    {"kernel.shm_rmid_forced", 0},
    {"net.ipv4.ip_local_port_range", 0},
    {"net.ipv4.tcp_syncookies", 0},
    {"net.ipv4.ping_group_range", 0},
    {"net.ipv4.ip_unprivileged_port_start", 0},
    {"net.ipv4.ip_local_reserved_ports", 27},
    {"net.ipv4.tcp_keepalive_time", 29},
    {"net.ipv4.tcp_fin_timeout", 29},
    {"net.ipv4.tcp_keepalive_intvl", 29},
    {"net.ipv4.tcp_keepalive_probes", 29},
    {"net.ipv4.tcp_rmem", 32},
    {"net.ipv4.tcp_wmem", 32},
};

static bool sysctl_safe(const char *name, long long minor)
{
    for (size_t i = 0; i < sizeof(safe_sysctls) / sizeof(safe_sysctls[0]); i++)
        if (strcmp(safe_sysctls[i].name, name) == 0)
            return version_at_least(minor, safe_sysctls[i].since);
    return false;
}

static char *check_sysctls(const struct pod_view *p, const char **ret_reason)
{
    struct strlist bad = {0};
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(p->psc, "sysctls"), i, s) {
        const char *name = json_str_or_empty(json_object_get(s, "name"));
        if (!sysctl_safe(name, p->minor))
            strlist_add(&bad, name);
    }
    char *out = NULL;
    if (bad.n > 0) {
        struct buf b = BUF_INIT;
        strlist_join(&b, &bad, ", ");
        out = finish(&b, "forbidden sysctls", ret_reason);
    }
    strlist_release(&bad);
    return out;
}

static char *check_windows_host_process(const struct pod_view *p, const char **ret_reason)
{
    struct strlist setters = {0}, bad_ctrs = {0};
    for (size_t i = 0; i < p->nctrs; i++)
        if (json_is_true(json_object_get(ctr_sc(p->ctrs[i], "windowsOptions"), "hostProcess")))
            strlist_add(&bad_ctrs, ctr_name(p->ctrs[i]));
    if (json_is_true(json_object_get(json_object_get(p->psc, "windowsOptions"), "hostProcess")))
        strlist_add(&setters, "pod");
    struct buf b = BUF_INIT;
    add_container_setter(&setters, &bad_ctrs);
    char *out = NULL;
    if (setters.n > 0) {
        strlist_join(&b, &setters, " and ");
        buf_puts(&b, " must not set securityContext.windowsOptions.hostProcess=true");
        out = finish(&b, "hostProcess", ret_reason);
    }
    strlist_release(&setters);
    strlist_release(&bad_ctrs);
    return out;
}

/* ---- restricted --------------------------------------------------------------------- */

static char *check_allow_privilege_escalation(const struct pod_view *p, const char **ret_reason)
{
    if (version_at_least(p->minor, 25) && is_windows_pod(p))
        return NULL;
    struct strlist bad_ctrs = {0};
    for (size_t i = 0; i < p->nctrs; i++) {
        json_t *ape = ctr_sc(p->ctrs[i], "allowPrivilegeEscalation");
        if (!json_is_false(ape))
            strlist_add(&bad_ctrs, ctr_name(p->ctrs[i]));
    }
    char *out = NULL;
    if (bad_ctrs.n > 0) {
        struct buf b = BUF_INIT;
        put_containers(&b, &bad_ctrs);
        buf_puts(&b, " must set securityContext.allowPrivilegeEscalation=false");
        out = finish(&b, "allowPrivilegeEscalation != false", ret_reason);
    }
    strlist_release(&bad_ctrs);
    return out;
}

static char *check_capabilities_restricted(const struct pod_view *p, const char **ret_reason)
{
    if (version_at_least(p->minor, 25) && is_windows_pod(p))
        return NULL;
    struct strlist missing_drop = {0}, adding = {0}, caps = {0};
    for (size_t i = 0; i < p->nctrs; i++) {
        json_t *c = ctr_sc(p->ctrs[i], "capabilities");
        const char *name = ctr_name(p->ctrs[i]);
        if (c == NULL || json_is_null(c)) {
            strlist_add(&missing_drop, name);
            continue;
        }
        bool dropped_all = false, bad_add = false;
        size_t j;
        json_t *cap;
        json_array_foreach(json_object_get(c, "drop"), j, cap) {
            if (strcmp(json_str_or_empty(cap), "ALL") == 0) {
                dropped_all = true;
                break;
            }
        }
        if (!dropped_all)
            strlist_add(&missing_drop, name);
        json_array_foreach(json_object_get(c, "add"), j, cap) {
            if (strcmp(json_str_or_empty(cap), "NET_BIND_SERVICE") != 0) {
                bad_add = true;
                strlist_add(&caps, json_str_or_empty(cap));
            }
        }
        if (bad_add)
            strlist_add(&adding, name);
    }
    char *out = NULL;
    if (missing_drop.n > 0 || adding.n > 0) {
        struct buf b = BUF_INIT;
        if (missing_drop.n > 0) {
            put_containers(&b, &missing_drop);
            buf_puts(&b, " must set securityContext.capabilities.drop=[\"ALL\"]");
        }
        if (adding.n > 0) {
            if (missing_drop.n > 0)
                buf_puts(&b, "; ");
            strlist_make_set(&caps);
            put_containers(&b, &adding);
            buf_puts(&b, " must not include ");
            strlist_join_quote(&b, &caps);
            buf_puts(&b, " in securityContext.capabilities.add");
        }
        out = finish(&b, "unrestricted capabilities", ret_reason);
    }
    strlist_release(&missing_drop);
    strlist_release(&adding);
    strlist_release(&caps);
    return out;
}

/* Volume sources upstream names (in its switch order) when reporting a restricted type. */
static const char *const restricted_volume_types[] = {
    "hostPath", "gcePersistentDisk", "awsElasticBlockStore", "gitRepo", "nfs", "iscsi", "glusterfs",
    "rbd", "flexVolume", "cinder", "cephfs", "flocker", "fc", "azureFile", "vsphereVolume", "quobyte",
    "azureDisk", "photonPersistentDisk", "portworxVolume", "scaleIO", "storageos", NULL,
};

static const char *const allowed_volume_types[] = {
    "configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected",
    "secret", NULL,
};

static bool volume_has(json_t *vol, const char *source)
{
    json_t *s = json_object_get(vol, source);
    return s != NULL && !json_is_null(s);
}

static char *check_restricted_volumes(const struct pod_view *p, const char **ret_reason)
{
    struct strlist vols = {0}, types = {0};
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(p->spec, "volumes"), i, v) {
        bool allowed = false;
        for (const char *const *t = allowed_volume_types; *t != NULL && !allowed; t++)
            allowed = volume_has(v, *t);
        if (allowed)
            continue;
        strlist_add(&vols, json_str(v, "name"));
        const char *type = "unknown";
        for (const char *const *t = restricted_volume_types; *t != NULL; t++) {
            if (volume_has(v, *t)) {
                type = *t;
                break;
            }
        }
        strlist_add(&types, type);
    }
    char *out = NULL;
    if (vols.n > 0) {
        struct buf b = BUF_INIT;
        strlist_make_set(&types);
        buf_printf(&b, "%s ", pluralize("volume", "volumes", vols.n));
        strlist_join_quote(&b, &vols);
        buf_printf(&b, " %s %s ", pluralize("uses", "use", vols.n),
                   pluralize("restricted volume type", "restricted volume types", types.n));
        strlist_join_quote(&b, &types);
        out = finish(&b, "restricted volume types", ret_reason);
    }
    strlist_release(&vols);
    strlist_release(&types);
    return out;
}

static char *check_run_as_non_root(const struct pod_view *p, const char **ret_reason)
{
    struct strlist setters = {0}, bad_ctrs = {0}, implicit = {0};
    bool pod_true = false;
    json_t *pv = json_object_get(p->psc, "runAsNonRoot");
    if (json_is_boolean(pv)) {
        if (json_is_false(pv))
            strlist_add(&setters, "pod");
        else
            pod_true = true;
    }
    for (size_t i = 0; i < p->nctrs; i++) {
        json_t *cv = ctr_sc(p->ctrs[i], "runAsNonRoot");
        if (json_is_boolean(cv)) {
            if (json_is_false(cv))
                strlist_add(&bad_ctrs, ctr_name(p->ctrs[i]));
        } else if (!pod_true) {
            strlist_add(&implicit, ctr_name(p->ctrs[i]));
        }
    }
    struct buf b = BUF_INIT;
    add_container_setter(&setters, &bad_ctrs);
    char *out = NULL;
    if (setters.n > 0) {
        strlist_join(&b, &setters, " and ");
        buf_puts(&b, " must not set securityContext.runAsNonRoot=false");
        out = finish(&b, "runAsNonRoot != true", ret_reason);
    } else if (implicit.n > 0) {
        buf_puts(&b, "pod or ");
        put_containers(&b, &implicit);
        buf_puts(&b, " must set securityContext.runAsNonRoot=true");
        out = finish(&b, "runAsNonRoot != true", ret_reason);
    }
    strlist_release(&setters);
    strlist_release(&bad_ctrs);
    strlist_release(&implicit);
    return out;
}

static bool is_zero(json_t *v)
{
    return json_is_integer(v) && json_integer_value(v) == 0;
}

static char *check_run_as_user(const struct pod_view *p, const char **ret_reason)
{
    struct strlist setters = {0}, bad_ctrs = {0};
    if (is_zero(json_object_get(p->psc, "runAsUser")))
        strlist_add(&setters, "pod");
    for (size_t i = 0; i < p->nctrs; i++)
        if (is_zero(ctr_sc(p->ctrs[i], "runAsUser")))
            strlist_add(&bad_ctrs, ctr_name(p->ctrs[i]));
    struct buf b = BUF_INIT;
    add_container_setter(&setters, &bad_ctrs);
    char *out = NULL;
    if (setters.n > 0) {
        strlist_join(&b, &setters, " and ");
        buf_puts(&b, " must not set runAsUser=0");
        out = finish(&b, "runAsUser=0", ret_reason);
    }
    strlist_release(&setters);
    strlist_release(&bad_ctrs);
    return out;
}

static char *check_seccomp_restricted(const struct pod_view *p, const char **ret_reason)
{
    if (version_at_least(p->minor, 25) && is_windows_pod(p))
        return NULL;
    return seccomp_fields(p, true, ret_reason);
}

/* ---- the table ---------------------------------------------------------------------- */

struct psa_check {
    const char *id;          /* upstream check ID */
    enum psa_level level;    /* baseline or restricted */
    long long since;         /* first policy version (v1.<since>) the check exists in */
    const char *overrides;   /* ID of a baseline check this one replaces, or NULL */
    char *(*run)(const struct pod_view *p, const char **ret_reason);
};

static const struct psa_check checks[] = {
    {"appArmorProfile", PSA_BASELINE, 0, NULL, check_apparmor},
    {"capabilities_baseline", PSA_BASELINE, 0, NULL, check_capabilities_baseline},
    {"hostNamespaces", PSA_BASELINE, 0, NULL, check_host_namespaces},
    {"hostPathVolumes", PSA_BASELINE, 0, NULL, check_host_path_volumes},
    {"hostPorts", PSA_BASELINE, 0, NULL, check_host_ports},
    {"privileged", PSA_BASELINE, 0, NULL, check_privileged},
    {"procMount", PSA_BASELINE, 0, NULL, check_proc_mount},
    {"seLinuxOptions", PSA_BASELINE, 0, NULL, check_selinux_options},
    {"seccompProfile_baseline", PSA_BASELINE, 0, NULL, check_seccomp_baseline},
    {"sysctls", PSA_BASELINE, 0, NULL, check_sysctls},
    {"windowsHostProcess", PSA_BASELINE, 0, NULL, check_windows_host_process},
    {"allowPrivilegeEscalation", PSA_RESTRICTED, 8, NULL, check_allow_privilege_escalation},
    {"capabilities_restricted", PSA_RESTRICTED, 22, NULL, check_capabilities_restricted},
    {"restrictedVolumes", PSA_RESTRICTED, 0, "hostPathVolumes", check_restricted_volumes},
    {"runAsNonRoot", PSA_RESTRICTED, 0, NULL, check_run_as_non_root},
    {"runAsUser", PSA_RESTRICTED, 23, NULL, check_run_as_user},
    {"seccompProfile_restricted", PSA_RESTRICTED, 19, NULL, check_seccomp_restricted},
};

#define NCHECKS (sizeof(checks) / sizeof(checks[0]))

/* True if check i is replaced by a restricted check that applies at lv. */
static bool overridden(size_t i, const struct psa_level_version *lv)
{
    if (lv->level != PSA_RESTRICTED)
        return false;
    for (size_t j = 0; j < NCHECKS; j++)
        if (checks[j].overrides != NULL && strcmp(checks[j].overrides, checks[i].id) == 0 &&
            version_at_least(lv->minor, checks[j].since))
            return true;
    return false;
}

static void collect_containers(json_t *spec, json_t ***ret_ctrs, size_t *ret_n)
{
    static const char *const lists[] = {"initContainers", "containers", "ephemeralContainers"};
    size_t n = 0;
    for (size_t k = 0; k < 3; k++)
        n += json_array_size(json_object_get(spec, lists[k]));
    json_t **ctrs = xcalloc(n > 0 ? n : 1, sizeof(*ctrs));
    size_t w = 0;
    for (size_t k = 0; k < 3; k++) {
        size_t i;
        json_t *c;
        json_array_foreach(json_object_get(spec, lists[k]), i, c) ctrs[w++] = c;
    }
    *ret_ctrs = ctrs;
    *ret_n = w;
}

bool psa_evaluate_pod(const struct psa_level_version *lv, json_t *meta, json_t *spec, char **ret_detail,
                      char **ret_reasons)
{
    if (lv->level == PSA_PRIVILEGED)
        return true;
    struct pod_view p = {.meta = meta, .spec = spec, .psc = json_object_get(spec, "securityContext"),
                         .minor = lv->minor};
    collect_containers(spec, &p.ctrs, &p.nctrs);
    struct buf detail = BUF_INIT, reasons = BUF_INIT;
    bool allowed = true;
    for (size_t i = 0; i < NCHECKS; i++) {
        if (checks[i].level > lv->level || !version_at_least(lv->minor, checks[i].since) || overridden(i, lv))
            continue;
        const char *reason = NULL;
        char *d = checks[i].run(&p, &reason);
        if (d == NULL)
            continue;
        if (!allowed) {
            buf_puts(&detail, ", ");
            buf_puts(&reasons, ", ");
        }
        allowed = false;
        buf_puts(&detail, reason);
        buf_puts(&reasons, reason);
        if (*d != '\0')
            buf_printf(&detail, " (%s)", d);
        free(d);
    }
    free(p.ctrs);
    if (!allowed && ret_detail != NULL)
        *ret_detail = buf_detach(&detail, NULL);
    if (!allowed && ret_reasons != NULL)
        *ret_reasons = buf_detach(&reasons, NULL);
    buf_release(&detail);
    buf_release(&reasons);
    return allowed;
}
