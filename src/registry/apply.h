/* apply.h — field ownership (metadata.managedFields) of every write, and server-side apply,
 * as kube-apiserver 1.32's field manager computes them (staging/src/k8s.io/apimachinery/pkg/
 * util/managedfields/internal: fieldmanager.go, structuredmerge.go, managedfieldsupdater.go,
 * stripmeta.go, lastappliedmanager.go, lastappliedupdater.go, conflict.go; and
 * sigs.k8s.io/structured-merge-diff merge/update.go).
 *
 * managedFields entries: one per manager identity (manager, operation, subresource and, for
 * Update, apiVersion), each {manager, operation, apiVersion, time, fieldsType: "FieldsV1",
 * fieldsV1[, subresource]}; entries owning nothing are dropped; written sorted by operation
 * (Apply first), time, manager, apiVersion, subresource.
 *
 * Update (create, PUT, JSON/merge/strategic patch): the changes between the live object (the
 * kind's zero value for a create) and the new one move to the updating manager: fields added
 * or modified are taken from every other entry and added to the manager's Update entry (its
 * time set to now); removed fields leave every entry. Status is ignored for the main resource
 * and spec for /status (the strategies' reset fields); metadata name, namespace, uid,
 * resourceVersion, generation, creationTimestamp, selfLink, managedFields are never owned.
 * managedFields sent in a request replace the stored ones when they decode and are not empty;
 * `[]` or `[{}]` resets them; otherwise (or on a subresource) the stored ones are kept.
 *
 * Apply: the applied configuration is merged into the live object (mf_merge), fields the
 * manager applied last time and no longer applies are removed unless another manager owns
 * them, and the manager's Apply entry becomes exactly the applied fields. Fields another
 * manager owns whose value would change are conflicts: 409 without force, taken over with it.
 * For manager "kubectl", conflicts allowed by the live object's
 * kubectl.kubernetes.io/last-applied-configuration are forced (client-side → server-side
 * upgrade), and that annotation, when present, is rewritten to the applied configuration. */
#ifndef ANZEN_API_APPLY_H
#define ANZEN_API_APPLY_H

#include <jansson.h>
#include <stdbool.h>
#include "registry/apiserver.h"

/* Sets newobj's metadata.managedFields for an Update by c->field_manager. live is the stored
 * object, or NULL for a create (compared against the kind's zero value). */
void apply_update_managed_fields(struct api_call *c, json_t *live, json_t *newobj);

/* Decodes an application/apply-patch+yaml body (YAML or JSON) into an object: new reference,
 * or NULL with a 400 Status in *ret_status. A repeated mapping key keeps its last value and
 * sets *ret_strict (malloc'd) to the strict decoding error upstream reports for it:
 * `error converting YAML to JSON: yaml: unmarshal errors:\n  line N: key "k" already set in map`. */
json_t *apply_decode_body(const char *body, size_t len, char **ret_strict, json_t **ret_status);

/* Server-side apply of config (as decoded) to live (stored object, or NULL when absent).
 * On success returns 0 with *ret_obj the object to store, managedFields set. Else a negative
 * AZ_E* code and a Status (409 conflicts, 400 bad patch, 500 untypable). */
int apply_merge(struct api_call *c, json_t *live, json_t *config, bool force, json_t **ret_obj,
                json_t **ret_status);

#endif
