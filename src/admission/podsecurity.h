/* podsecurity.h — Pod Security Admission (the built-in PodSecurity plugin, spec/12): the
 * namespace labels that choose a policy, the baseline/restricted checks, and the admission
 * plugin that enforces (pods), warns (pods and pod-controller templates) and validates the
 * labels of namespaces.
 *
 *   podsecurity.c          label parsing, policy, the admission plugin
 *   podsecurity_checks.c   the check table and the evaluation of one pod against a level
 */
#ifndef ANZEN_ADMISSION_PODSECURITY_H
#define ANZEN_ADMISSION_PODSECURITY_H

#include <jansson.h>
#include <stdbool.h>
#include "machinery/field.h"

/* Levels in increasing strictness (the order is used by comparisons). */
enum psa_level { PSA_PRIVILEGED, PSA_BASELINE, PSA_RESTRICTED };

/* "latest" as a minor version: newer than any real v1.x. */
#define PSA_MINOR_LATEST (-1LL)

/* A level and the policy version it is evaluated at ("baseline:v1.30", "restricted:latest"). */
struct psa_level_version {
    enum psa_level level;
    long long minor; /* v1.<minor>, or PSA_MINOR_LATEST */
};

/* The policy of one namespace: one level-version per mode. */
struct psa_policy {
    struct psa_level_version enforce;
    struct psa_level_version audit;
    struct psa_level_version warn;
};

/* "<level>:<version>" (e.g. "baseline:latest"), malloc'd. */
char *psa_level_version_string(const struct psa_level_version *lv);

/* Resolves namespace labels (a JSON object or NULL) to the policy to evaluate (upstream
 * PolicyToEvaluate with the stock defaults privileged:latest and warn raised to a stricter
 * explicit enforce level). Always sets *ret_policy; bad values fall back (enforce level →
 * restricted, audit/warn level → privileged, version → latest) and each adds an Invalid
 * error for metadata.labels[<key>] to errs (if errs is not NULL). Returns the number of
 * errors added. */
int psa_policy_from_labels(json_t *labels, struct psa_policy *ret_policy, struct field_errors *errs);

/* Evaluates a pod's metadata and spec (either may be NULL) against lv. Returns true if the
 * pod is allowed. Otherwise, when not NULL, *ret_detail gets the malloc'd forbidden list
 * (`<reason> (<detail>), ...`, the text after `violates PodSecurity "<lv>": `) and
 * *ret_reasons the reasons alone joined by ", " (both untouched when allowed). */
bool psa_evaluate_pod(const struct psa_level_version *lv, json_t *meta, json_t *spec, char **ret_detail,
                      char **ret_reasons);

/* The plugin, for the admission chain cmd/serve.c lists (srv->admission). */
struct admission_plugin;
const struct admission_plugin *podsecurity_admission(void);

#endif
