/* validate.h — defaulting and validation of the kinds anzen serves, as upstream does
 * (pkg/apis/<group>/validation, pkg/apis/<group>/v1/defaults.go) for the fields they use. */
#ifndef ANZEN_API_VALIDATE_H
#define ANZEN_API_VALIDATE_H

#include <jansson.h>
#include <stdbool.h>
#include "machinery/field.h"

/* Applies upstream's defaults to obj in place (e.g. Pod restartPolicy, dnsPolicy,
 * container terminationMessagePath; Job completions/parallelism/backoffLimit; Namespace
 * status.phase and the kubernetes.io/metadata.name label; Secret type and stringData merged
 * into data). Called on create and update before validation. */
void defaults_apply(const char *group, const char *kind, json_t *obj);

/* The create-only mutations of upstream's registry strategies and default admission plugins,
 * to run on create after defaults_apply and before validation:
 *   Namespace: spec.finalizers gets "kubernetes"; status = {phase: Active}
 *   Pod: status = {phase: Pending, qosClass}; priority/preemptionPolicy (Priority admission,
 *        no PriorityClass objects: 0 / PreemptLowerPriority, system-*-critical known);
 *        not-ready/unreachable NoExecute tolerations for 300s (DefaultTolerationSeconds). */
void defaults_prepare_for_create(const char *group, const char *kind, json_t *obj);

/* Validates obj (old is the stored object on update, NULL on create). Appends to errs.
 * namespaced tells whether metadata.namespace is required. Metadata checks (name as DNS-1123
 * subdomain or label per kind, generateName, labels, annotations) are included. */
void validate_object(const char *group, const char *kind, bool namespaced, json_t *obj,
                     json_t *old, struct field_errors *errs);

/* Name checks usable on their own (upstream messages, e.g. `a lowercase RFC 1123 subdomain
 * must consist of ...`). Return NULL if valid, else a malloc'd detail message. */
char *validate_dns1123_subdomain(const char *s);
char *validate_dns1123_label(const char *s);

#endif
