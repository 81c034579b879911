/* validate_batch.c — defaulting and validation of batch/v1 Job as upstream v1.32 does:
 *   pkg/apis/batch/v1/defaults.go          SetDefaults_Job (+ the pod template defaults)
 *   pkg/apis/batch/validation/validation.go ValidateJob / ValidateJobUpdate
 * Selector generation and validation (strategy.go generateSelector needs the UID) are left to
 * the REST layer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "machinery/validate.h"
#include "machinery/validate_int.h"
#include "util/buf.h"

void defaults_batch(const char *kind, json_t *obj)
{
    if (strcmp(kind, "Job") != 0)
        return;
    json_t *spec = jobj_ensure(obj, "spec");
    if (!spec)
        return;
    json_t *comp = json_object_get(spec, "completions");
    json_t *par = json_object_get(spec, "parallelism");
    if ((!comp || json_is_null(comp)) && (!par || json_is_null(par))) {
        json_object_set_new(spec, "completions", json_integer(1));
        json_object_set_new(spec, "parallelism", json_integer(1));
    }
    jset_default_int(spec, "parallelism", 1);
    json_t *bl = json_object_get(spec, "backoffLimitPerIndex");
    jset_default_int(spec, "backoffLimit", bl && !json_is_null(bl) ? 2147483647 : 6);
    json_t *tmpl = jobj(spec, "template");
    json_t *tlabels = jobj(jobj(tmpl, "metadata"), "labels");
    json_t *md = jobj(obj, "metadata");
    if (tlabels && md && json_object_size(jobj(md, "labels")) == 0)
        json_object_set_new(md, "labels", json_deep_copy(tlabels));
    jset_default_str(spec, "completionMode", "NonIndexed");
    jset_default_bool(spec, "suspend", false);
    json_t *pfp = jobj(spec, "podFailurePolicy");
    size_t i, j;
    json_t *r, *c;
    json_array_foreach(jarr(pfp, "rules"), i, r) {
        json_array_foreach(jarr(r, "onPodConditions"), j, c) jset_default_str(c, "status", "True");
    }
    jset_default_str(spec, "podReplacementPolicy", pfp ? "Failed" : "TerminatingOrFailed");
    if (tmpl)
        defaults_pod_spec(jobj(tmpl, "spec"), false);
}

/* Go %v of the typed values we cannot mirror: compact JSON (a deviation for structs). */
static void immutable(struct field_errors *errs, const char *path, json_t *nv, json_t *ov)
{
    if (nv && json_is_null(nv))
        nv = NULL;
    if (ov && json_is_null(ov))
        ov = NULL;
    if (!nv && !ov)
        return;
    if (nv && ov && json_equal(nv, ov))
        return;
    field_errors_add(errs, FIELD_INVALID, path, nv ? nv : json_null(), "field is immutable");
}

static void validate_job_spec(json_t *spec, struct field_errors *errs)
{
    static const char *const modes[] = {"NonIndexed", "Indexed", NULL};
    static const char *const repl_all[] = {"Failed", "TerminatingOrFailed", NULL};
    static const char *const repl_failed[] = {"Failed", NULL};
    static const char *const restart[] = {"OnFailure", "Never", NULL};

    vcheck_nonnegative(errs, "spec.parallelism", json_object_get(spec, "parallelism"));
    vcheck_nonnegative(errs, "spec.completions", json_object_get(spec, "completions"));
    vcheck_nonnegative(errs, "spec.activeDeadlineSeconds",
                       json_object_get(spec, "activeDeadlineSeconds"));
    vcheck_nonnegative(errs, "spec.backoffLimit", json_object_get(spec, "backoffLimit"));
    vcheck_nonnegative(errs, "spec.ttlSecondsAfterFinished",
                       json_object_get(spec, "ttlSecondsAfterFinished"));
    vcheck_nonnegative(errs, "spec.backoffLimitPerIndex",
                       json_object_get(spec, "backoffLimitPerIndex"));
    vcheck_nonnegative(errs, "spec.maxFailedIndexes", json_object_get(spec, "maxFailedIndexes"));

    json_t *mode = json_object_get(spec, "completionMode");
    if (json_is_string(mode)) {
        const char *m = json_string_value(mode);
        if (strcmp(m, "NonIndexed") && strcmp(m, "Indexed"))
            field_errors_add_not_supported(errs, "spec.completionMode", mode, modes);
        if (strcmp(m, "Indexed") == 0 && !json_is_integer(json_object_get(spec, "completions")))
            field_errors_add(errs, FIELD_REQUIRED, "spec.completions", NULL,
                             "when completion mode is Indexed");
    }

    json_t *repl = json_object_get(spec, "podReplacementPolicy");
    if (json_is_string(repl)) {
        const char *rp = json_string_value(repl);
        if (jobj(spec, "podFailurePolicy")) {
            if (strcmp(rp, "Failed"))
                field_errors_add_not_supported(errs, "spec.podReplacementPolicy", repl,
                                               repl_failed);
        } else if (strcmp(rp, "Failed") && strcmp(rp, "TerminatingOrFailed")) {
            field_errors_add_not_supported(errs, "spec.podReplacementPolicy", repl, repl_all);
        }
    }

    json_t *tmpl = jobj(spec, "template");
    validate_pod_template(tmpl, "spec.template", errs);

    /* The pod defaults turn an unset restartPolicy into Always, hence "Required". */
    json_t *rpv = json_object_get(jobj(tmpl, "spec"), "restartPolicy");
    const char *rp = json_is_string(rpv) ? json_string_value(rpv) : "";
    if (!*rp || strcmp(rp, "Always") == 0)
        field_errors_add(errs, FIELD_REQUIRED, "spec.template.spec.restartPolicy", NULL,
                         "valid values: \"OnFailure\", \"Never\"");
    else if (strcmp(rp, "OnFailure") && strcmp(rp, "Never"))
        field_errors_add_not_supported(errs, "spec.template.spec.restartPolicy", rpv, restart);
    else if (jobj(spec, "podFailurePolicy") && strcmp(rp, "Never"))
        field_errors_add(errs, FIELD_INVALID, "spec.template.spec.restartPolicy", rpv,
                         "only \"Never\" is supported when podFailurePolicy is specified");

    /* ValidateJobSpec: a given selector (matchLabels only) must match the template labels */
    json_t *sel = jobj(spec, "selector");
    json_t *ml = jobj(sel, "matchLabels");
    if (sel && ml && !jarr(sel, "matchExpressions")) {
        json_t *labels = jobj(jobj(tmpl, "metadata"), "labels");
        const char *k;
        json_t *v;
        bool match = true;
        json_object_foreach(ml, k, v) {
            json_t *lv = json_object_get(labels, k);
            if (!lv || !json_equal(lv, v))
                match = false;
        }
        if (!match) {
            json_t *shown = labels ? json_incref(labels) : json_object();
            field_errors_add(errs, FIELD_INVALID, "spec.template.metadata.labels", shown,
                             "`selector` does not match template `labels`");
            json_decref(shown);
        }
    }
}

bool validate_batch(const char *kind, bool namespaced, json_t *obj, json_t *old,
                    struct field_errors *errs)
{
    if (strcmp(kind, "Job") != 0)
        return false;
    json_t *spec = jobj(obj, "spec");
    if (!old) {
        vmeta_create_core(obj, true, vname_dns_subdomain, errs);
        validate_job_spec(spec, errs);
        return true;
    }
    /* ValidateJobUpdate: metadata update, then the spec and its immutable fields */
    vmeta_update(obj, old, errs);
    validate_job_spec(spec, errs);
    json_t *ospec = jobj(old, "spec");
    bool indexed = strcmp(jstr(spec, "completionMode"), "Indexed") == 0;
    json_t *nc = json_object_get(spec, "completions"), *np = json_object_get(spec, "parallelism");
    /* ElasticIndexedJob: Indexed jobs may change completions together with parallelism */
    if (!(indexed && nc && np && json_equal(nc, np)))
        immutable(errs, "spec.completions", nc, json_object_get(ospec, "completions"));
    immutable(errs, "spec.selector", json_object_get(spec, "selector"),
              json_object_get(ospec, "selector"));
    if (!json_is_true(json_object_get(ospec, "suspend")))
        immutable(errs, "spec.template", json_object_get(spec, "template"),
                  json_object_get(ospec, "template"));
    immutable(errs, "spec.completionMode", json_object_get(spec, "completionMode"),
              json_object_get(ospec, "completionMode"));
    immutable(errs, "spec.podFailurePolicy", json_object_get(spec, "podFailurePolicy"),
              json_object_get(ospec, "podFailurePolicy"));
    immutable(errs, "spec.backoffLimitPerIndex", json_object_get(spec, "backoffLimitPerIndex"),
              json_object_get(ospec, "backoffLimitPerIndex"));
    immutable(errs, "spec.managedBy", json_object_get(spec, "managedBy"),
              json_object_get(ospec, "managedBy"));
    immutable(errs, "spec.successPolicy", json_object_get(spec, "successPolicy"),
              json_object_get(ospec, "successPolicy"));
    return true;
}
