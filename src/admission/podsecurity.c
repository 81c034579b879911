/* podsecurity.c — the PodSecurity admission plugin (spec/12; upstream pod-security-admission
 * api/helpers.go and admission/admission.go at release-1.32, with the stock configuration:
 * defaults privileged:latest for every mode, no exemptions).
 *
 * Namespace labels (spec/12 §12.1):
 *
 *   pod-security.kubernetes.io/enforce[-version]   reject pods that fail the level
 *   pod-security.kubernetes.io/audit[-version]     (audit annotations: not recorded here)
 *   pod-security.kubernetes.io/warn[-version]      Warning headers
 *
 * What the plugin does, on create and update only:
 *
 *   Namespace   labels must parse (422 `Namespace "<ns>" is invalid: metadata.labels[<key>]:
 *               Invalid value: ...`; on update only if the errors changed). When an update
 *               tightens the enforce level, existing pods are checked and the violations come
 *               back as warnings (pods grouped by identical reasons).
 *   Pod         (and any subresource but exec/attach/binding/eviction/log/portforward/proxy/
 *               status) enforce → 403 `pods "<name>" is forbidden: violates PodSecurity
 *               "<level:version>": <list>`; warn → `would violate PodSecurity ...`. Updates are
 *               only evaluated when an image, a container count or a seccomp annotation changed.
 *   Workloads   the pod template of a kind whose resource row names one (.pod_template; of
 *               upstream's workload kinds anzen serves Job): warnings only, never enforced.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "registry/admission.h"
#include "admission/podsecurity.h"
#include "registry/rest.h"
#include "machinery/status.h"
#include "registry/loopback.h"
#include "util/buf.h"
#include "util/json.h"

#define LABEL_ENFORCE "pod-security.kubernetes.io/enforce"
#define LABEL_ENFORCE_VERSION "pod-security.kubernetes.io/enforce-version"
#define LABEL_AUDIT "pod-security.kubernetes.io/audit"
#define LABEL_AUDIT_VERSION "pod-security.kubernetes.io/audit-version"
#define LABEL_WARN "pod-security.kubernetes.io/warn"
#define LABEL_WARN_VERSION "pod-security.kubernetes.io/warn-version"

#define NAMESPACE_MAX_PODS_TO_CHECK 3000 /* upstream defaultNamespaceMaxPodsToCheck */
#define SECCOMP_POD_ANNOTATION "seccomp.security.alpha.kubernetes.io/pod"
#define SECCOMP_CONTAINER_ANNOTATION_PREFIX "container.seccomp.security.alpha.kubernetes.io/"

/* ---- levels, versions, policy -------------------------------------------------------- */

/* "privileged" / "baseline" / "restricted". */
static const char *psa_level_name(enum psa_level level)
{
    switch (level) {
    case PSA_PRIVILEGED:
        return "privileged";
    case PSA_BASELINE:
        return "baseline";
    case PSA_RESTRICTED:
        return "restricted";
    }
    return "restricted";
}

char *psa_level_version_string(const struct psa_level_version *lv)
{
    if (lv->minor == PSA_MINOR_LATEST)
        return xasprintf("%s:latest", psa_level_name(lv->level));
    return xasprintf("%s:v1.%lld", psa_level_name(lv->level), lv->minor);
}

static bool psa_level_version_equal(const struct psa_level_version *a, const struct psa_level_version *b)
{
    return a->level == b->level && a->minor == b->minor;
}

/* upstream ParseLevel: false for anything but the three level names. */
static bool parse_level(const char *s, enum psa_level *ret_level)
{
    static const enum psa_level all[] = {PSA_PRIVILEGED, PSA_BASELINE, PSA_RESTRICTED};
    for (size_t i = 0; i < 3; i++) {
        if (strcmp(s, psa_level_name(all[i])) == 0) {
            *ret_level = all[i];
            return true;
        }
    }
    return false;
}

/* upstream ParseVersion: "latest" or ^v1\.([0-9]|[1-9][0-9]*)$ whose number fits an int64. */
static bool parse_version(const char *s, long long *ret_minor)
{
    if (strcmp(s, "latest") == 0) {
        *ret_minor = PSA_MINOR_LATEST;
        return true;
    }
    if (strncmp(s, "v1.", 3) != 0)
        return false;
    const char *d = s + 3;
    size_t n = strlen(d);
    if (n == 0 || (d[0] == '0' && n > 1))
        return false;
    for (size_t i = 0; i < n; i++)
        if (d[i] < '0' || d[i] > '9')
            return false;
    errno = 0;
    long long v = strtoll(d, NULL, 10);
    if (errno == ERANGE)
        return false;
    *ret_minor = v;
    return true;
}

static const char *label_value(json_t *labels, const char *key, bool *ret_present)
{
    json_t *v = json_object_get(labels, key);
    *ret_present = v != NULL;
    return json_is_string(v) ? json_string_value(v) : "";
}

static int add_label_error(struct field_errors *errs, const char *key, const char *value, const char *detail)
{
    if (errs != NULL) {
        json_t *jv = json_string(value);
        field_errors_addf(errs, FIELD_INVALID, jv, detail, "metadata.labels[%s]", key);
        json_decref(jv);
    }
    return 1;
}

static int apply_level(json_t *labels, const char *key, enum psa_level fallback, enum psa_level *level,
                       bool *ret_present, struct field_errors *errs)
{
    const char *v = label_value(labels, key, ret_present);
    if (!*ret_present || parse_level(v, level))
        return 0;
    *level = fallback;
    return add_label_error(errs, key, v, "must be one of privileged, baseline, restricted");
}

static int apply_version(json_t *labels, const char *key, long long *minor, bool *ret_present,
                         struct field_errors *errs)
{
    const char *v = label_value(labels, key, ret_present);
    if (!*ret_present || parse_version(v, minor))
        return 0;
    *minor = PSA_MINOR_LATEST;
    return add_label_error(errs, key, v, "must be \"latest\" or \"v1.x\"");
}

int psa_policy_from_labels(json_t *labels, struct psa_policy *ret_policy, struct field_errors *errs)
{
    struct psa_policy p = {
        .enforce = {PSA_PRIVILEGED, PSA_MINOR_LATEST},
        .audit = {PSA_PRIVILEGED, PSA_MINOR_LATEST},
        .warn = {PSA_PRIVILEGED, PSA_MINOR_LATEST},
    };
    int n = 0;
    bool has_enforce = false, has_warn = false, has_warn_version = false, present;
    if (json_is_object(labels)) {
        n += apply_level(labels, LABEL_ENFORCE, PSA_RESTRICTED, &p.enforce.level, &has_enforce, errs);
        n += apply_version(labels, LABEL_ENFORCE_VERSION, &p.enforce.minor, &present, errs);
        n += apply_level(labels, LABEL_AUDIT, PSA_PRIVILEGED, &p.audit.level, &present, errs);
        n += apply_version(labels, LABEL_AUDIT_VERSION, &p.audit.minor, &present, errs);
        n += apply_level(labels, LABEL_WARN, PSA_PRIVILEGED, &p.warn.level, &has_warn, errs);
        n += apply_version(labels, LABEL_WARN_VERSION, &p.warn.minor, &has_warn_version, errs);
    }
    /* warn defaults to an explicitly set, stricter enforce level */
    if (has_enforce && !has_warn && p.enforce.level > p.warn.level) {
        p.warn.level = p.enforce.level;
        if (!has_warn_version)
            p.warn.minor = p.enforce.minor;
    }
    *ret_policy = p;
    return n;
}

/* ---- helpers -------------------------------------------------------------------------- */

/* Reads the labels of namespace ns into *ret_ns (a new reference). 0, or a 500 Status. */
static int get_namespace(const struct api_call *c, const char *ns, json_t **ret_ns, json_t **ret_status)
{
    /* a lister read (upstream: the namespace informer), not an API request */
    struct api_call gc = {.srv = c->srv, .res = resource_by_kind("", "Namespace"), .name = ns,
                          .user = apiserver_loopback_user(), .internal = true};
    json_t *obj = NULL, *st = NULL;
    if (gc.res != NULL && ns != NULL && *ns && rest_get(&gc, &obj, &st) == 0) {
        *ret_ns = obj;
        return 0;
    }
    json_decref(st);
    char *msg = xasprintf("failed to lookup namespace %s", ns != NULL ? ns : "");
    *ret_status = status_internal(msg);
    free(msg);
    return AZ_EINTERNAL;
}

/* Enforce (if asked) and warn for one pod-like object. */
static int evaluate(struct api_call *c, const struct psa_policy *pol, json_t *meta, json_t *spec,
                    bool enforce, const char *pod_name, json_t **ret_status)
{
    char *detail = NULL;
    if (enforce && !psa_evaluate_pod(&pol->enforce, meta, spec, &detail, NULL)) {
        char *lv = psa_level_version_string(&pol->enforce);
        char *msg = xasprintf("violates PodSecurity \"%s\": %s", lv, detail);
        *ret_status = status_forbidden("", "pods", pod_name, msg);
        free(msg);
        free(lv);
        free(detail);
        return AZ_EFORBIDDEN;
    }
    if (!psa_evaluate_pod(&pol->warn, meta, spec, &detail, NULL)) {
        char *lv = psa_level_version_string(&pol->warn);
        char *msg = xasprintf("would violate PodSecurity \"%s\": %s", lv, detail);
        api_call_warn(c, msg);
        free(msg);
        free(lv);
        free(detail);
    }
    return 0;
}

/* ---- pods ----------------------------------------------------------------------------- */

static bool str_differs(const char *a, const char *b)
{
    return strcmp(a != NULL ? a : "", b != NULL ? b : "") != 0;
}

static const char *annotation(json_t *pod, const char *key)
{
    return json_str(json_path(pod, "metadata.annotations"), key);
}

static bool container_update_significant(json_t *ctr, json_t *old_ctr, json_t *pod, json_t *old)
{
    if (str_differs(json_str(ctr, "image"), json_str(old_ctr, "image")))
        return true;
    const char *name = json_str(ctr, "name");
    char *key = xasprintf("%s%s", SECCOMP_CONTAINER_ANNOTATION_PREFIX, name != NULL ? name : "");
    bool changed = str_differs(annotation(pod, key), annotation(old, key));
    free(key);
    return changed;
}

/* upstream isSignificantPodUpdate */
static bool pod_update_significant(json_t *pod, json_t *old)
{
    if (str_differs(annotation(pod, SECCOMP_POD_ANNOTATION), annotation(old, SECCOMP_POD_ANNOTATION)))
        return true;
    static const char *const lists[] = {"containers", "initContainers"};
    for (size_t k = 0; k < 2; k++) {
        json_t *now = json_path(pod, "spec");
        json_t *a = json_object_get(now, lists[k]);
        json_t *b = json_object_get(json_object_get(old, "spec"), lists[k]);
        if (json_array_size(a) != json_array_size(b))
            return true;
        for (size_t i = 0; i < json_array_size(a); i++)
            if (container_update_significant(json_array_get(a, i), json_array_get(b, i), pod, old))
                return true;
    }
    size_t i;
    json_t *ec;
    json_array_foreach(json_path(pod, "spec.ephemeralContainers"), i, ec) {
        json_t *match = NULL;
        size_t j;
        json_t *oc;
        json_array_foreach(json_path(old, "spec.ephemeralContainers"), j, oc) {
            if (!str_differs(json_str(oc, "name"), json_str(ec, "name"))) {
                match = oc;
                break;
            }
        }
        if (match == NULL || container_update_significant(ec, match, pod, old))
            return true;
    }
    return false;
}

static bool pod_subresource_ignored(const char *sub)
{
    static const char *const ignored[] = {"exec", "attach", "binding", "eviction", "log",
                                          "portforward", "proxy", "status"};
    if (sub == NULL || *sub == '\0')
        return false;
    for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
        if (strcmp(sub, ignored[i]) == 0)
            return true;
    return false;
}

static bool all_privileged(const struct psa_policy *p, bool with_enforce)
{
    return (!with_enforce || p->enforce.level == PSA_PRIVILEGED) && p->warn.level == PSA_PRIVILEGED &&
           p->audit.level == PSA_PRIVILEGED;
}

static int validate_pod(struct api_call *c, enum admission_op op, json_t *pod, json_t *old,
                        json_t **ret_status)
{
    if (pod_subresource_ignored(c->subresource))
        return 0;
    json_t *ns = NULL;
    int rc = get_namespace(c, c->ns, &ns, ret_status);
    if (rc < 0)
        return rc;
    struct psa_policy pol;
    int nerr = psa_policy_from_labels(json_path(ns, "metadata.labels"), &pol, NULL);
    json_decref(ns);
    if (nerr == 0 && all_privileged(&pol, true))
        return 0;
    if (op == ADMIT_UPDATE && old != NULL && !pod_update_significant(pod, old))
        return 0;
    const char *name = c->name != NULL && *c->name ? c->name : json_path_str(pod, "metadata.name");
    return evaluate(c, &pol, json_object_get(pod, "metadata"), json_object_get(pod, "spec"), true, name,
                    ret_status);
}

/* ---- pod controllers ------------------------------------------------------------------- */

/* A workload kind (its row names where it keeps its pod template, e.g. Job's spec.template):
 * the template is checked as a pod would be, for warnings only. */
static int validate_controller(struct api_call *c, json_t *obj, json_t **ret_status)
{
    if (c->subresource != NULL && *c->subresource)
        return 0;
    json_t *tmpl = json_path(obj, c->res->pod_template);
    json_t *ns = NULL;
    int rc = get_namespace(c, c->ns, &ns, ret_status);
    if (rc < 0)
        return rc;
    struct psa_policy pol;
    int nerr = psa_policy_from_labels(json_path(ns, "metadata.labels"), &pol, NULL);
    json_decref(ns);
    if (nerr == 0 && all_privileged(&pol, false))
        return 0;
    return evaluate(c, &pol, json_object_get(tmpl, "metadata"), json_object_get(tmpl, "spec"), false, NULL,
                    ret_status);
}

/* ---- namespaces ------------------------------------------------------------------------ */

/* One group of existing pods failing with the same reasons. */
struct pod_group {
    char *reasons;          /* the reasons text (owned) */
    const char *first_name; /* lexically first pod name (borrowed from the list) */
    size_t count;
};

static int cmp_cstr(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* upstream EvaluatePodsInNamespace: the warnings for tightening the enforce level of ns. */
static void warn_existing_pods(struct api_call *c, const char *ns, const struct psa_level_version *enforce)
{
    /* a lister read (upstream: the pod informer), not an API request */
    struct api_call lc = {.srv = c->srv, .res = resource_by_kind("", "Pod"), .ns = ns,
                          .user = apiserver_loopback_user(), .internal = true};
    struct list_opts o = {0};
    json_t *list = NULL, *st = NULL;
    if (lc.res == NULL || rest_list(&lc, &o, &list, &st) != 0) {
        json_decref(st);
        api_call_warn(c, "failed to list pods while checking new PodSecurity enforce level");
        return;
    }
    json_t *items = json_object_get(list, "items");
    size_t total = json_array_size(items);
    size_t checked = total < NAMESPACE_MAX_PODS_TO_CHECK ? total : NAMESPACE_MAX_PODS_TO_CHECK;
    struct pod_group *groups = xcalloc(checked > 0 ? checked : 1, sizeof(*groups));
    size_t ngroups = 0;
    for (size_t i = 0; i < checked; i++) {
        json_t *pod = json_array_get(items, i);
        char *reasons = NULL;
        if (psa_evaluate_pod(enforce, json_object_get(pod, "metadata"), json_object_get(pod, "spec"), NULL,
                             &reasons))
            continue;
        const char *name = json_path_str(pod, "metadata.name");
        if (name == NULL)
            name = "";
        size_t g = 0;
        while (g < ngroups && strcmp(groups[g].reasons, reasons) != 0)
            g++;
        if (g == ngroups) {
            groups[ngroups++] = (struct pod_group){.reasons = reasons, .first_name = name, .count = 1};
            continue;
        }
        free(reasons);
        if (strcmp(name, groups[g].first_name) < 0)
            groups[g].first_name = name;
        groups[g].count++;
    }
    if (checked < total) {
        char *msg = xasprintf("new PodSecurity enforce level only checked against the first %zu of %zu "
                              "existing pods", checked, total);
        api_call_warn(c, msg);
        free(msg);
    }
    if (ngroups > 0) {
        char *lv = psa_level_version_string(enforce);
        char *msg = xasprintf("existing pods in namespace \"%s\" violate the new PodSecurity enforce level \"%s\"",
                              ns, lv);
        api_call_warn(c, msg);
        free(msg);
        free(lv);
    }
    char **lines = xcalloc(ngroups > 0 ? ngroups : 1, sizeof(*lines));
    for (size_t g = 0; g < ngroups; g++) {
        if (groups[g].count == 1)
            lines[g] = xasprintf("%s: %s", groups[g].first_name, groups[g].reasons);
        else if (groups[g].count == 2)
            lines[g] = xasprintf("%s (and 1 other pod): %s", groups[g].first_name, groups[g].reasons);
        else
            lines[g] = xasprintf("%s (and %zu other pods): %s", groups[g].first_name, groups[g].count - 1,
                                 groups[g].reasons);
        free(groups[g].reasons);
    }
    qsort(lines, ngroups, sizeof(*lines), cmp_cstr);
    for (size_t g = 0; g < ngroups; g++) {
        api_call_warn(c, lines[g]);
        free(lines[g]);
    }
    free(lines);
    free(groups);
    json_decref(list);
}

static int validate_namespace(struct api_call *c, enum admission_op op, json_t *obj, json_t *old,
                              json_t **ret_status)
{
    if (c->subresource != NULL && *c->subresource)
        return 0;
    const char *name = json_path_str(obj, "metadata.name");
    if (name == NULL || !*name)
        name = c->name;
    struct field_errors nerrs;
    field_errors_init(&nerrs);
    struct psa_policy np;
    int rc = 0;
    psa_policy_from_labels(json_path(obj, "metadata.labels"), &np, &nerrs);
    if (op == ADMIT_CREATE) {
        if (nerrs.n > 0) {
            *ret_status = status_invalid("", "Namespace", name, &nerrs);
            rc = AZ_EINVALID;
        }
        field_errors_release(&nerrs);
        return rc;
    }
    struct field_errors oerrs;
    field_errors_init(&oerrs);
    struct psa_policy op_;
    psa_policy_from_labels(json_path(old, "metadata.labels"), &op_, &oerrs);
    if (nerrs.n > 0) {
        bool changed = oerrs.n == 0;
        if (!changed) {
            char *a = field_errors_aggregate(&nerrs), *b = field_errors_aggregate(&oerrs);
            changed = strcmp(a, b) != 0;
            free(a);
            free(b);
        }
        if (changed) {
            *ret_status = status_invalid("", "Namespace", name, &nerrs);
            rc = AZ_EINVALID;
        }
    }
    field_errors_release(&nerrs);
    field_errors_release(&oerrs);
    if (rc < 0)
        return rc;
    /* dry-run the existing pods only when the enforce level got stricter */
    if (psa_level_version_equal(&np.enforce, &op_.enforce) || np.enforce.level == PSA_PRIVILEGED)
        return 0;
    if (np.enforce.minor == op_.enforce.minor && np.enforce.level <= op_.enforce.level)
        return 0;
    warn_existing_pods(c, name, &np.enforce);
    return 0;
}

/* ---- the plugin ------------------------------------------------------------------------ */

static int psa_validate(struct api_call *c, enum admission_op op, json_t *obj, json_t *old,
                        json_t **ret_status)
{
    if (c->res == NULL || !json_is_object(obj) || (op != ADMIT_CREATE && op != ADMIT_UPDATE))
        return 0;
    if (c->res->flags & RES_NAMESPACE)
        return validate_namespace(c, op, obj, old, ret_status);
    if (c->res->flags & RES_POD)
        return validate_pod(c, op, obj, op == ADMIT_UPDATE ? old : NULL, ret_status);
    if (c->res->pod_template != NULL)
        return validate_controller(c, obj, ret_status);
    return 0;
}

/* psa_validate's rows: Namespaces, Pods and pod templates, on create and update. */
static bool psa_acts_on(const struct resource_def *r, enum admission_op op)
{
    return (op == ADMIT_CREATE || op == ADMIT_UPDATE) &&
           ((r->flags & (RES_NAMESPACE | RES_POD)) != 0 || r->pod_template != NULL);
}

static const struct admission_plugin podsecurity_plugin = {
    .name = "PodSecurity",
    .acts_on = psa_acts_on,
    .mutate = NULL,
    .validate = psa_validate,
};

const struct admission_plugin *podsecurity_admission(void)
{
    return &podsecurity_plugin;
}
