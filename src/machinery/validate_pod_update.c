/* validate_pod_update.c — upstream's ValidatePodUpdate (pkg/apis/core/validation): a Pod's
 * spec may change only in
 *   spec.containers[*].image, spec.initContainers[*].image (never to empty or padded),
 *   spec.activeDeadlineSeconds (set, or lowered; never unset),
 *   spec.tolerations (additions only; an existing NoExecute toleration's tolerationSeconds
 *   may be lowered), spec.schedulingGates (removals only),
 *   spec.terminationGracePeriodSeconds (to 1 when it was negative);
 * containers may be neither added nor removed. Any other change is one
 * `spec: Forbidden: pod updates may not change fields other than ...` followed by a diff of
 * the spec in the shape of go-cmp's cmp.Diff over core.PodSpec (field names and -/+ lines;
 * values of nested fields are shown as JSON, where upstream prints Go literals). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "machinery/validate_int.h"
#include "util/buf.h"
#include "util/json.h"

#define POD_UPDATE_FORBIDDEN                                                                      \
    "pod updates may not change fields other than `spec.containers[*].image`,"                   \
    "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only "      \
    "additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set " \
    "to 1 if it was previously negative)"

/* core.PodSpec's fields in Go order, with their JSON names (the internal type keeps the host
 * namespace switches in SecurityContext; they are listed where the v1 JSON has them). */
static const struct {
    const char *json, *go;
    char type; /* 's' string, 'b' bool: shown as "" / false when absent; 'o' other: nil */
} pod_spec_fields[] = {
    {"volumes", "Volumes", 'o'},
    {"initContainers", "InitContainers", 'o'},
    {"containers", "Containers", 'o'},
    {"ephemeralContainers", "EphemeralContainers", 'o'},
    {"restartPolicy", "RestartPolicy", 's'},
    {"terminationGracePeriodSeconds", "TerminationGracePeriodSeconds", 'o'},
    {"activeDeadlineSeconds", "ActiveDeadlineSeconds", 'o'},
    {"dnsPolicy", "DNSPolicy", 's'},
    {"nodeSelector", "NodeSelector", 'o'},
    {"serviceAccountName", "ServiceAccountName", 's'},
    {"serviceAccount", "DeprecatedServiceAccount", 's'},
    {"automountServiceAccountToken", "AutomountServiceAccountToken", 'o'},
    {"nodeName", "NodeName", 's'},
    {"hostNetwork", "HostNetwork", 'b'},
    {"hostPID", "HostPID", 'b'},
    {"hostIPC", "HostIPC", 'b'},
    {"shareProcessNamespace", "ShareProcessNamespace", 'o'},
    {"hostUsers", "HostUsers", 'o'},
    {"securityContext", "SecurityContext", 'o'},
    {"imagePullSecrets", "ImagePullSecrets", 'o'},
    {"hostname", "Hostname", 's'},
    {"subdomain", "Subdomain", 's'},
    {"setHostnameAsFQDN", "SetHostnameAsFQDN", 'o'},
    {"affinity", "Affinity", 'o'},
    {"schedulerName", "SchedulerName", 's'},
    {"tolerations", "Tolerations", 'o'},
    {"hostAliases", "HostAliases", 'o'},
    {"priorityClassName", "PriorityClassName", 's'},
    {"priority", "Priority", 'o'},
    {"preemptionPolicy", "PreemptionPolicy", 'o'},
    {"dnsConfig", "DNSConfig", 'o'},
    {"readinessGates", "ReadinessGates", 'o'},
    {"runtimeClassName", "RuntimeClassName", 'o'},
    {"overhead", "Overhead", 'o'},
    {"enableServiceLinks", "EnableServiceLinks", 'o'},
    {"topologySpreadConstraints", "TopologySpreadConstraints", 'o'},
    {"os", "OS", 'o'},
    {"schedulingGates", "SchedulingGates", 'o'},
    {"resourceClaims", "ResourceClaims", 'o'},
    {"resources", "Resources", 'o'},
};
#define N_POD_SPEC_FIELDS (sizeof(pod_spec_fields) / sizeof(pod_spec_fields[0]))

/* A value as cmp.Diff shows it: Go literals for scalars, JSON for the rest. */
static void diff_value(struct buf *out, json_t *v, bool pointer, char type)
{
    if (v == NULL || json_is_null(v)) {
        buf_puts(out, type == 's' ? "\"\"" : type == 'b' ? "false" : "nil");
        return;
    }
    if (pointer && (json_is_integer(v) || json_is_boolean(v)))
        buf_putc(out, '&');
    if (json_is_string(v) || json_is_integer(v) || json_is_boolean(v) || json_is_real(v)) {
        char *s = json_dumps(v, JSON_ENCODE_ANY);
        buf_puts(out, s);
        free(s);
        return;
    }
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    buf_puts(out, s);
    free(s);
}

static bool pointer_field(const char *json)
{
    static const char *const ptrs[] = {"terminationGracePeriodSeconds", "activeDeadlineSeconds",
                                       "automountServiceAccountToken", "shareProcessNamespace",
                                       "hostUsers", "setHostnameAsFQDN", "priority",
                                       "enableServiceLinks", "runtimeClassName", "preemptionPolicy"};
    for (size_t i = 0; i < sizeof(ptrs) / sizeof(ptrs[0]); i++)
        if (strcmp(json, ptrs[i]) == 0)
            return true;
    return false;
}

/* The diff of old and new (munged) spec, as cmp.Diff lays it out. */
static void spec_diff(struct buf *out, json_t *old, json_t *munged)
{
    buf_puts(out, "  core.PodSpec{\n");
    size_t same = 0;
    for (size_t i = 0; i < N_POD_SPEC_FIELDS; i++) {
        json_t *o = json_object_get(old, pod_spec_fields[i].json);
        json_t *n = json_object_get(munged, pod_spec_fields[i].json);
        if ((o == NULL && n == NULL) || (o && n && json_equal(o, n))) {
            same++;
            continue;
        }
        if (same > 0)
            buf_printf(out, "  \t... // %zu identical field%s\n", same, same == 1 ? "" : "s");
        same = 0;
        bool ptr = pointer_field(pod_spec_fields[i].json);
        buf_printf(out, "- \t%s: ", pod_spec_fields[i].go);
        diff_value(out, o, ptr, pod_spec_fields[i].type);
        buf_printf(out, ",\n+ \t%s: ", pod_spec_fields[i].go);
        diff_value(out, n, ptr, pod_spec_fields[i].type);
        buf_puts(out, ",\n");
    }
    if (same > 0)
        buf_printf(out, "  \t... // %zu identical field%s\n", same, same == 1 ? "" : "s");
    buf_puts(out, "  }\n");
}

/* ValidateContainerUpdates: returns true when validation must stop (count changed). */
static bool container_updates(json_t *nc, json_t *oc, const char *path, struct field_errors *errs)
{
    if (json_array_size(nc) != json_array_size(oc)) {
        field_errors_add(errs, FIELD_FORBIDDEN, path, NULL, "pod updates may not add or remove containers");
        return true;
    }
    size_t i;
    json_t *c;
    json_array_foreach(nc, i, c) {
        const char *image = jstr(c, "image");
        if (*image == '\0') {
            field_errors_addf(errs, FIELD_REQUIRED, NULL, "", "%s[%zu].image", path, i);
        } else if (image[0] == ' ' || image[0] == '\t' || image[0] == '\n' ||
                   image[strlen(image) - 1] == ' ' || image[strlen(image) - 1] == '\t' ||
                   image[strlen(image) - 1] == '\n') {
            json_t *v = json_string(image);
            field_errors_addf(errs, FIELD_INVALID, v, "must not have leading or trailing whitespace",
                              "%s[%zu].image", path, i);
            json_decref(v);
        }
    }
    return false;
}

/* True if a and b are the same toleration but for tolerationSeconds. */
static bool toleration_equal_but_seconds(json_t *a, json_t *b)
{
    json_t *ac = json_deep_copy(a), *bc = json_deep_copy(b);
    json_object_del(ac, "tolerationSeconds");
    json_object_del(bc, "tolerationSeconds");
    bool eq = json_equal(ac, bc);
    json_decref(ac);
    json_decref(bc);
    return eq;
}

/* validateOnlyAddedTolerations: every old toleration must still be there (its
 * tolerationSeconds may change). */
static void only_added_tolerations(json_t *nt, json_t *ot, struct field_errors *errs)
{
    size_t i, j;
    json_t *o, *n;
    json_array_foreach(ot, i, o) {
        bool found = false;
        json_array_foreach(nt, j, n) {
            if (toleration_equal_but_seconds(o, n)) {
                found = true;
                break;
            }
        }
        if (!found) {
            field_errors_add(errs, FIELD_FORBIDDEN, "spec.tolerations", NULL,
                             "existing toleration can not be modified except its tolerationSeconds");
            return;
        }
    }
}

void validate_pod_update(json_t *obj, json_t *old, struct field_errors *errs)
{
    json_t *spec = jobj(obj, "spec"), *ospec = jobj(old, "spec");
    if (spec == NULL || ospec == NULL)
        return;
    if (container_updates(jarr(spec, "containers"), jarr(ospec, "containers"), "spec.containers", errs))
        return;
    if (container_updates(jarr(spec, "initContainers"), jarr(ospec, "initContainers"), "spec.initContainers", errs))
        return;
    json_t *nad = json_object_get(spec, "activeDeadlineSeconds"), *oad = json_object_get(ospec, "activeDeadlineSeconds");
    if (json_is_integer(nad)) {
        json_int_t v = json_integer_value(nad);
        if (v < 0 || v > 2147483647) {
            field_errors_add(errs, FIELD_INVALID, "spec.activeDeadlineSeconds", nad,
                             "must be between 0 and 2147483647, inclusive");
            return;
        }
        if (json_is_integer(oad) && json_integer_value(oad) < v) {
            field_errors_add(errs, FIELD_INVALID, "spec.activeDeadlineSeconds", nad,
                             "must be less than or equal to previous value");
            return;
        }
    } else if (json_is_integer(oad)) {
        field_errors_add(errs, FIELD_INVALID, "spec.activeDeadlineSeconds", json_null(),
                         "must not update from a positive integer to nil value");
    }
    only_added_tolerations(jarr(spec, "tolerations"), jarr(ospec, "tolerations"), errs);
    /* schedulingGates: only removals */
    size_t i;
    json_t *g;
    json_array_foreach(jarr(spec, "schedulingGates"), i, g) {
        bool had = false;
        size_t j;
        json_t *og;
        json_array_foreach(jarr(ospec, "schedulingGates"), j, og) had = had || json_equal(g, og);
        if (!had) {
            char *d = xasprintf("only deletion is allowed, but found new scheduling gate '%s'", jstr(g, "name"));
            field_errors_add(errs, FIELD_FORBIDDEN, "spec.schedulingGates", NULL, d);
            free(d);
            break;
        }
    }
    if (json_equal(spec, ospec))
        return;
    /* munge the fields that may change, then the rest must be equal */
    json_t *munged = json_deep_copy(spec);
    const char *lists[] = {"containers", "initContainers"};
    for (size_t l = 0; l < 2; l++) {
        json_t *nc = jarr(munged, lists[l]), *oc = jarr(ospec, lists[l]);
        json_t *c;
        json_array_foreach(nc, i, c) {
            json_t *oi = json_object_get(json_array_get(oc, i), "image");
            if (oi)
                json_object_set(c, "image", oi);
            else
                json_object_del(c, "image");
        }
    }
    const char *copied[] = {"activeDeadlineSeconds", "schedulingGates", "tolerations"};
    for (size_t k = 0; k < sizeof(copied) / sizeof(copied[0]); k++) {
        json_t *ov = json_object_get(ospec, copied[k]);
        if (ov)
            json_object_set(munged, copied[k], ov);
        else
            json_object_del(munged, copied[k]);
    }
    json_t *otg = json_object_get(ospec, "terminationGracePeriodSeconds");
    json_t *ntg = json_object_get(munged, "terminationGracePeriodSeconds");
    if (json_is_integer(otg) && json_integer_value(otg) < 0 && json_is_integer(ntg) && json_integer_value(ntg) == 1)
        json_object_set(munged, "terminationGracePeriodSeconds", otg);
    if (!json_equal(munged, ospec)) {
        struct buf msg = BUF_INIT;
        buf_puts(&msg, POD_UPDATE_FORBIDDEN "\n");
        spec_diff(&msg, ospec, munged);
        field_errors_add(errs, FIELD_FORBIDDEN, "spec", NULL, msg.data);
        buf_release(&msg);
    }
    json_decref(munged);
}
