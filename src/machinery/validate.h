/* validate.h — defaulting and validation of the kinds anzen serves, as upstream does
 * (pkg/apis/<group>/validation, pkg/apis/<group>/v1/defaults.go) for the fields they use. */
#ifndef ANZEN_API_VALIDATE_H
#define ANZEN_API_VALIDATE_H

#include <jansson.h>
#include <stdbool.h>
#include "machinery/field.h"

/* The per-kind hooks a resource row (api/resource.c) points at, as upstream's
 * pkg/apis/<group>/v1/defaults.go, registry strategies and pkg/apis/<group>/validation do.
 *
 * defaults_kind_*: SetDefaults_<Kind> on obj in place, on create and update before validation
 *   (Pod restartPolicy, dnsPolicy, container terminationMessagePath; Job completions/
 *   parallelism/backoffLimit; Namespace status.phase and the kubernetes.io/metadata.name
 *   label; Secret type and stringData merged into data; Node allocatable from capacity;
 *   RoleBinding/ClusterRoleBinding roleRef and subject apiGroup).
 * prepare_kind_*: the create-only mutations of the registry strategies and default admission
 *   plugins, after defaulting and before validation:
 *     Namespace: spec.finalizers gets "kubernetes"; status = {phase: Active}
 *     Pod: status = {phase: Pending, qosClass}; priority/preemptionPolicy (Priority admission,
 *          no PriorityClass objects: 0 / PreemptLowerPriority, system-*-critical known);
 *          not-ready/unreachable NoExecute tolerations for 300s (DefaultTolerationSeconds).
 *     Job: generateSelector (controller-uid/job-name labels) unless spec.manualSelector.
 * validate_kind_*: Validate<Kind> (old NULL) or Validate<Kind>Update, metadata checks included
 *   (name as DNS-1123 subdomain, label or path segment per kind, generateName, labels,
 *   annotations); appends to errs. */
void defaults_kind_pod(json_t *obj);
void defaults_kind_secret(json_t *obj);
void defaults_kind_namespace(json_t *obj);
void defaults_kind_node(json_t *obj);
void defaults_kind_job(json_t *obj);
void defaults_kind_binding(json_t *obj);
void prepare_kind_namespace(json_t *obj);
void prepare_kind_pod(json_t *obj);
void prepare_kind_job(json_t *obj);
void validate_kind_pod(json_t *obj, json_t *old, struct field_errors *errs);
void validate_kind_secret(json_t *obj, json_t *old, struct field_errors *errs);
void validate_kind_config_map(json_t *obj, json_t *old, struct field_errors *errs);
void validate_kind_core_namespaced(json_t *obj, json_t *old, struct field_errors *errs);
void validate_kind_namespace(json_t *obj, json_t *old, struct field_errors *errs);
void validate_kind_node(json_t *obj, json_t *old, struct field_errors *errs);
void validate_kind_lease(json_t *obj, json_t *old, struct field_errors *errs);
void validate_kind_job(json_t *obj, json_t *old, struct field_errors *errs);
void validate_kind_role(json_t *obj, json_t *old, struct field_errors *errs);
void validate_kind_cluster_role(json_t *obj, json_t *old, struct field_errors *errs);
void validate_kind_role_binding(json_t *obj, json_t *old, struct field_errors *errs);
void validate_kind_cluster_role_binding(json_t *obj, json_t *old, struct field_errors *errs);

/* Validation of a kind without its own hook: NUL bytes in metadata reported, then
 * ValidateObjectMeta (names as DNS subdomains; namespaced: metadata.namespace required) and
 * on update (old non-NULL) ValidateObjectMetaUpdate. */
void validate_generic(json_t *obj, json_t *old, bool namespaced, struct field_errors *errs);
/* The checks every kind gets before its own hook: NUL bytes in metadata strings. */
void validate_metadata_nul(json_t *obj, struct field_errors *errs);
/* ValidatePodEphemeralContainersUpdate (pods/ephemeralcontainers): each ephemeral container
 * has a unique name and an image, targets an existing container, sets none of the fields an
 * ephemeral container may not have (ports, probes, lifecycle, resources, restartPolicy, ...;
 * "cannot be set for an Ephemeral Container") nor volume subPaths; existing ones are neither
 * removed nor changed (the diff shown as JSON, where upstream prints cmp.Diff). */
void validate_pod_ephemeral_update(json_t *obj, json_t *old, struct field_errors *errs);

/* One requirement of a *SubjectAccessReview's spec.resourceAttributes labelSelector (label)
 * or fieldSelector: upstream ValidateLabelSelectorRequirement / ValidateFieldSelectorRequirement
 * with AllowUnknownOperatorInRequirement (values required for In/NotIn, forbidden for
 * Exists/DoesNotExist; a label key must be a qualified name and each value a label value, a
 * field key non-empty). path is the requirement's, e.g. "spec.x.requirements[0]". */
void validate_selector_requirement(json_t *req, bool label, const char *path, struct field_errors *errs);

/* Name checks usable on their own (upstream messages, e.g. `a lowercase RFC 1123 subdomain
 * must consist of ...`). Return NULL if valid, else a malloc'd detail message. */
char *validate_dns1123_subdomain(const char *s);
char *validate_dns1123_label(const char *s);

#endif
