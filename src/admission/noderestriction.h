/* noderestriction.h — the NodeRestriction admission plugin (spec/10 §10.3; upstream
 * plugin/pkg/admission/noderestriction), for requests of nodes (system:node:<name> in
 * system:nodes) only:
 *   - pods: a node may create only mirror pods (annotation kubernetes.io/config.mirror)
 *     bound to itself that reference no service account, Secret, ConfigMap or claim, may
 *     delete only pods bound to itself, and may not update pods;
 *   - pods/status: only of pods bound to itself;
 *   - nodes (and nodes/status): only its own Node object.
 * Refusals are 403 `<resource> "<name>" is forbidden: <upstream text>`. Not yet: the
 * TokenRequest, eviction, Lease and label-restriction checks. */
#ifndef ANZEN_ADMISSION_NODERESTRICTION_H
#define ANZEN_ADMISSION_NODERESTRICTION_H

/* The plugin, for the admission chain cmd/serve.c lists (srv->admission). */
struct admission_plugin;
const struct admission_plugin *noderestriction_admission(void);

#endif
