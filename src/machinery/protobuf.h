/* protobuf.h — decode Kubernetes protobuf request bodies (Content-Type
 * application/vnd.kubernetes.protobuf) into the JSON object the client would have sent.
 *
 * Typed client-go commands (kubectl create namespace|sa|configmap|secret|role|clusterrole|
 * rolebinding|clusterrolebinding|job|cronjob|deployment, create token, auth can-i, auth
 * whoami) POST protobuf, not JSON, and do not retry as JSON after a 415 (shared/notes/kubectl-wire.md). This module
 * turns such a body into the same JSON object Go's encoding/json would have produced for the
 * decoded Go struct, so the rest of the server only ever sees JSON.
 *
 * Body layout (k8s.io/apimachinery/pkg/runtime/serializer/protobuf and runtime.Unknown):
 *
 *   offset 0   4 bytes   magic "k8s\0" (6b 38 73 00)
 *   offset 4   ...       runtime.Unknown message:
 *                          1 typeMeta        (message) { 1 apiVersion, 2 kind }
 *                          2 raw             (bytes)   protobuf encoding of the object
 *                          3 contentEncoding (string)  ignored, as upstream does
 *                          4 contentType     (string)  ignored, as upstream does
 *
 * Decoded kinds (field numbers from the k8s.io/api generated.proto files, JSON names and
 * omitempty rules from the Go types):
 *
 *   authentication.k8s.io/v1  TokenRequest, TokenReview, SelfSubjectReview
 *   authorization.k8s.io/v1   SubjectAccessReview, LocalSubjectAccessReview,
 *                             SelfSubjectAccessReview, SelfSubjectRulesReview
 *   v1                        Namespace, ServiceAccount, ConfigMap, Secret, Pod, Node, Event
 *   rbac.authorization.k8s.io/v1  Role, ClusterRole, RoleBinding, ClusterRoleBinding
 *   batch/v1                  Job, CronJob
 *   apps/v1                   Deployment
 *   coordination.k8s.io/v1    Lease
 *   policy/v1                 Eviction (kubectl drain)
 *   DeleteOptions             in v1, meta.k8s.io/v1, policy/v1, batch/v1, apps/v1,
 *                             rbac.authorization.k8s.io/v1, coordination.k8s.io/v1,
 *                             events.k8s.io/v1 (DELETE bodies of typed clients: drain)
 * Not decoded (skipped like unknown fields): ObjectMeta.managedFields; PodSpec
 * ephemeralContainers, resourceClaims; the deprecated cloud/in-tree volume sources other
 * than hostPath, emptyDir, secret, nfs, persistentVolumeClaim, downwardAPI, configMap,
 * projected, csi, image; PodStatus conditions/containerStatuses; JobSpec podFailurePolicy
 * and successPolicy; JobStatus and DeploymentStatus conditions; NodeSpec configSource;
 * NodeStatus config/runtimeHandlers/features. kubectl does not send these on create.
 *
 * Output rules (Go encoding/json of the decoded struct):
 *   - "kind" and "apiVersion" come from typeMeta; both must be set (no defaulting from the
 *     endpoint: the caller must still check that they match the endpoint it serves).
 *   - Struct-valued fields are always present, even when tagged omitempty ("metadata",
 *     "status"): an empty ObjectMeta is {"creationTimestamp":null}, an empty
 *     SubjectAccessReviewStatus is {"allowed":false}, an empty TokenRequestStatus is
 *     {"token":"","expirationTimestamp":null}.
 *   - omitempty scalars are omitted when zero, even if present on the wire.
 *   - Non-omitempty slices/pointers that are absent are null (TokenRequest
 *     spec.audiences, spec.expirationSeconds, spec.boundObjectRef; SelfSubjectRulesReview
 *     status.resourceRules ...). ExtraValue map values are always arrays ([] when empty).
 *   - metav1.Time is RFC 3339 seconds in UTC ("2024-01-02T03:04:05Z"), null when zero;
 *     nanoseconds are dropped as upstream's Time.Unmarshal does.
 *   - metav1.MicroTime prints microseconds ("2024-01-02T03:04:05.123456Z"), null when zero.
 *   - map<string, bytes> (Secret.data, ConfigMap.binaryData) prints standard base64.
 *   - resource.Quantity (message { 1 string }) prints its string as sent: unlike upstream
 *     it is NOT re-canonicalised ("1000m" stays "1000m"; upstream would print "1"), and is
 *     not validated; the zero Quantity prints "0". IntOrString prints a number or string.
 *   - Embedded structs tagged json:",inline" (Volume's VolumeSource, the LocalObjectReference
 *     in ConfigMap/Secret selectors and sources, Probe's handler) merge into the parent.
 *   - Packed and unpacked encodings of repeated integers are both accepted.
 *   - Unknown field numbers are skipped (protobuf semantics). ObjectMeta.managedFields
 *     (17) is skipped too: it is not decoded.
 *   - Repeated occurrences of a singular field follow protobuf merge rules: scalars last
 *     wins, messages merge, repeated fields append, map keys last wins.
 *
 * Strictness beyond upstream: strings must be valid UTF-8 without NUL bytes (our JSON
 * parser rejects those too), group wire types (3/4) are rejected, times must lie in years
 * 1..9999, map entries must use wire type 2, and sizes are capped (below).
 */
#ifndef ANZEN_API_PROTOBUF_H
#define ANZEN_API_PROTOBUF_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* Largest body accepted (upstream's default request body limit is 3 MiB). */
#define K8S_PROTOBUF_MAX_BODY (3u * 1024u * 1024u)
/* Most strings, messages and map entries one body may decode to; bounds the JSON size. */
#define K8S_PROTOBUF_MAX_ELEMENTS 100000u

/* Decode a whole request body (magic included) into a new JSON object.
 *
 * On success returns 0, sets *ret to a new reference the caller must json_decref(), and
 * sets *ret_err to NULL (if ret_err is non-NULL).
 * On failure *ret is untouched and, if ret_err is non-NULL, *ret_err is a malloc'd
 * human-readable message the caller must free(). Errors:
 *   AZ_EMEDIATYPE  a well-formed envelope whose kind/apiVersion is not one this decoder
 *                  knows (upstream would decode it; we only accept JSON for it). The message
 *                  starts with upstream's 415 text "the body of the request was in an
 *                  unknown format - accepted media types include: ...".
 *   AZ_ETOOLARGE   len > K8S_PROTOBUF_MAX_BODY.
 *   AZ_EBADREQUEST anything malformed: missing magic, truncated or overlong varints and
 *                  lengths, wrong wire types for known fields, missing kind or apiVersion,
 *                  invalid UTF-8, too many elements. Messages follow upstream's wording
 *                  where it has one ("provided data does not appear to be a protobuf
 *                  message, expected prefix [107 56 115 0]", "proto: unexpected EOF", ...);
 *                  the caller maps it to a 400 BadRequest Status.
 * Never reads outside buf[0..len). */
int k8s_protobuf_decode(const uint8_t *buf, size_t len, json_t **ret, char **ret_err);

/* True if the body starts with the "k8s\0" magic (content sniffing helper). */
int k8s_protobuf_has_magic(const uint8_t *buf, size_t len);

#endif
