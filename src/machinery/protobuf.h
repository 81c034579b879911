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
 * Decoded kinds: every type the caller's schema lookup returns whose description in the
 * schema table (schema.h, schema_core.c: one description per Go type) carries protobuf field
 * numbers — the kinds the resource table serves, their subresources' body kinds
 * (authentication.k8s.io/v1 TokenRequest for serviceaccounts/token, policy/v1 Eviction for
 * pods/eviction) and meta/v1 DeleteOptions in any group-version. Field numbers come from the
 * k8s.io/api generated.proto files, JSON names and omitempty/pointer/inline traits from the
 * Go types; a field without a number in the table is skipped like an unknown field (e.g.
 * ObjectMeta.managedFields, PodSpec ephemeralContainers and resourceClaims, PodStatus
 * conditions/containerStatuses, JobSpec podFailurePolicy and successPolicy, JobStatus
 * conditions, NodeSpec configSource, NodeStatus config/runtimeHandlers/features: kubectl does
 * not send these on create).
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

#include "machinery/schema.h"

/* Largest body accepted (upstream's default request body limit is 3 MiB). */
#define K8S_PROTOBUF_MAX_BODY (3u * 1024u * 1024u)
/* Most strings, messages and map entries one body may decode to; bounds the JSON size. */
#define K8S_PROTOBUF_MAX_ELEMENTS 100000u

/* Decode a whole request body (magic included) into a new JSON object; lookup finds the
 * schema of the envelope's group/version/kind (the resource table's resource_schema_by_kind).
 *
 * On success returns 0, sets *ret to a new reference the caller must json_decref(), and
 * sets *ret_err to NULL (if ret_err is non-NULL).
 * On failure *ret is untouched and, if ret_err is non-NULL, *ret_err is a malloc'd
 * human-readable message the caller must free(). Errors:
 *   AZ_EMEDIATYPE  a well-formed envelope whose kind/apiVersion lookup does not know or
 *                  whose type has no protobuf fields in the schema table (upstream would decode it; we only accept JSON for it). The message
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
int k8s_protobuf_decode(const uint8_t *buf, size_t len, schema_lookup_fn *lookup, json_t **ret,
                        char **ret_err);

/* True if the body starts with the "k8s\0" magic (content sniffing helper). */
int k8s_protobuf_has_magic(const uint8_t *buf, size_t len);

/* Checks the protobuf descriptions in the schema table below root (every object reachable
 * from it): each numbered field has a type the decoder can read, numbers are unique within
 * an object (and within its embedded struct), embedded-struct fields sit in an object that
 * names the struct (pb_inline), and the int64 / MicroTime / bytes traits sit on integers,
 * times and maps of strings. Appends one message per problem to ret_msgs (a JSON array) and
 * returns their count. */
int k8s_protobuf_schema_errors(const struct schema_node *root, json_t *ret_msgs);

#endif
