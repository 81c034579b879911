/* protobuf.c — hand-written decoder for Kubernetes protobuf request bodies.
 *
 * See protobuf.h for the body layout, the supported kinds and the JSON rules. The decoder
 * is table driven: each protobuf message is a `struct pb_message` listing its fields with
 * their protobuf number, JSON name, type and Go JSON traits (omitempty, pointer), and one
 * generic routine walks the wire format against that table. Decoding fills a JSON object
 * with the fields present on the wire; a second pass (pb_finalize) adds what Go's
 * encoding/json would print for the absent ones.
 *
 * Wire format reminder (protobuf encoding): a message is a sequence of (tag, value) where
 * tag = varint(field_number << 3 | wire_type); wire type 0 = varint, 1 = 8 bytes,
 * 2 = varint length + bytes (strings, bytes, messages, map entries), 5 = 4 bytes;
 * 3/4 (groups) are not used by Kubernetes and rejected here. A map<K,V> field is a repeated
 * entry message { 1 key, 2 value }. metav1.Time is a Timestamp { 1 seconds, 2 nanos }.
 */
#include "machinery/protobuf.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Nesting bound; the schema below never goes deeper than 5, this is a second fence. */
#define PB_MAX_DEPTH 16

static const uint8_t pb_magic[4] = { 0x6b, 0x38, 0x73, 0x00 };

/* ---- schema --------------------------------------------------------------------------- */

enum pb_type {
    PB_STRING,     /* string (wire type 2) */
    PB_BOOL,       /* bool (varint) */
    PB_INT64,      /* int64 (varint, two's complement) */
    PB_INT32,      /* int32 (varint, sign-extended to 64 bits on the wire) */
    PB_TIME,       /* metav1.Time: Timestamp message -> RFC 3339 string or null */
    PB_MICROTIME,  /* metav1.MicroTime: Timestamp -> RFC 3339 with 6 fraction digits or null */
    PB_QUANTITY,   /* resource.Quantity: message { 1 string } -> JSON string ("0" when zero) */
    PB_INT_OR_STRING, /* intstr.IntOrString: { 1 type, 2 intVal, 3 strVal } -> number/string */
    PB_MESSAGE,    /* nested message (wire type 2), described by pb_field.message */
    PB_STRING_MAP, /* map<string, string> -> JSON object of strings */
    PB_EXTRA_MAP,  /* map<string, ExtraValue{repeated string items = 1}> -> object of arrays */
    PB_BYTES_MAP,  /* map<string, bytes> -> JSON object of base64 strings */
    PB_QUANTITY_MAP, /* map<string, Quantity> -> JSON object of strings */
};

#define PB_REPEATED 0x1u  /* repeated field: JSON array */
#define PB_OMITEMPTY 0x2u /* Go JSON tag has omitempty */
#define PB_POINTER 0x4u   /* Go field is a pointer: kept when present even if zero */
#define PB_INLINE 0x8u    /* embedded Go struct with json:",inline": fields land in the parent */

struct pb_message;

struct pb_field {
    uint32_t number;                  /* protobuf field number */
    const char *json;                 /* JSON member name (NULL for PB_INLINE) */
    enum pb_type type;                /* value type */
    unsigned flags;                   /* PB_REPEATED | PB_OMITEMPTY | PB_POINTER */
    const struct pb_message *message; /* for PB_MESSAGE only */
};

struct pb_message {
    const char *name;              /* Go type name, for error messages */
    const struct pb_field *fields; /* fields this decoder understands */
    size_t n_fields;
};

#define PB_MSG(var, goname, fields) \
    static const struct pb_message var = { goname, fields, ARRAY_SIZE(fields) }

#define OMIT PB_OMITEMPTY
#define REP PB_REPEATED
#define PTR PB_POINTER

/* k8s.io/apimachinery/pkg/apis/meta/v1 */

static const struct pb_field owner_reference_fields[] = {
    { 5, "apiVersion", PB_STRING, 0, NULL },
    { 1, "kind", PB_STRING, 0, NULL },
    { 3, "name", PB_STRING, 0, NULL },
    { 4, "uid", PB_STRING, 0, NULL },
    { 6, "controller", PB_BOOL, PTR | OMIT, NULL },
    { 7, "blockOwnerDeletion", PB_BOOL, PTR | OMIT, NULL },
};
PB_MSG(owner_reference_msg, "OwnerReference", owner_reference_fields);

static const struct pb_field object_meta_fields[] = {
    { 1, "name", PB_STRING, OMIT, NULL },
    { 2, "generateName", PB_STRING, OMIT, NULL },
    { 3, "namespace", PB_STRING, OMIT, NULL },
    { 4, "selfLink", PB_STRING, OMIT, NULL },
    { 5, "uid", PB_STRING, OMIT, NULL },
    { 6, "resourceVersion", PB_STRING, OMIT, NULL },
    { 7, "generation", PB_INT64, OMIT, NULL },
    { 8, "creationTimestamp", PB_TIME, OMIT, NULL }, /* struct: omitempty has no effect */
    { 9, "deletionTimestamp", PB_TIME, PTR | OMIT, NULL },
    { 10, "deletionGracePeriodSeconds", PB_INT64, PTR | OMIT, NULL },
    { 11, "labels", PB_STRING_MAP, OMIT, NULL },
    { 12, "annotations", PB_STRING_MAP, OMIT, NULL },
    { 13, "ownerReferences", PB_MESSAGE, REP | OMIT, &owner_reference_msg },
    { 14, "finalizers", PB_STRING, REP | OMIT, NULL },
    /* 17 managedFields: not decoded (skipped like an unknown field). */
};
PB_MSG(object_meta_msg, "ObjectMeta", object_meta_fields);

/* LabelSelectorRequirement and FieldSelectorRequirement share numbers and JSON tags. */
static const struct pb_field selector_requirement_fields[] = {
    { 1, "key", PB_STRING, 0, NULL },
    { 2, "operator", PB_STRING, 0, NULL },
    { 3, "values", PB_STRING, REP | OMIT, NULL },
};
PB_MSG(selector_requirement_msg, "SelectorRequirement", selector_requirement_fields);

/* k8s.io/api/authentication/v1 */

static const struct pb_field bound_object_reference_fields[] = {
    { 1, "kind", PB_STRING, OMIT, NULL },
    { 2, "apiVersion", PB_STRING, OMIT, NULL },
    { 3, "name", PB_STRING, OMIT, NULL },
    { 4, "uid", PB_STRING, OMIT, NULL },
};
PB_MSG(bound_object_reference_msg, "BoundObjectReference", bound_object_reference_fields);

static const struct pb_field token_request_spec_fields[] = {
    { 1, "audiences", PB_STRING, REP, NULL },
    { 4, "expirationSeconds", PB_INT64, PTR, NULL },
    { 3, "boundObjectRef", PB_MESSAGE, PTR, &bound_object_reference_msg },
};
PB_MSG(token_request_spec_msg, "TokenRequestSpec", token_request_spec_fields);

static const struct pb_field token_request_status_fields[] = {
    { 1, "token", PB_STRING, 0, NULL },
    { 2, "expirationTimestamp", PB_TIME, 0, NULL },
};
PB_MSG(token_request_status_msg, "TokenRequestStatus", token_request_status_fields);

static const struct pb_field token_request_fields[] = {
    { 1, "metadata", PB_MESSAGE, OMIT, &object_meta_msg },
    { 2, "spec", PB_MESSAGE, 0, &token_request_spec_msg },
    { 3, "status", PB_MESSAGE, OMIT, &token_request_status_msg },
};
PB_MSG(token_request_msg, "TokenRequest", token_request_fields);

static const struct pb_field user_info_fields[] = {
    { 1, "username", PB_STRING, OMIT, NULL },
    { 2, "uid", PB_STRING, OMIT, NULL },
    { 3, "groups", PB_STRING, REP | OMIT, NULL },
    { 4, "extra", PB_EXTRA_MAP, OMIT, NULL },
};
PB_MSG(user_info_msg, "UserInfo", user_info_fields);

static const struct pb_field token_review_spec_fields[] = {
    { 1, "token", PB_STRING, OMIT, NULL },
    { 2, "audiences", PB_STRING, REP | OMIT, NULL },
};
PB_MSG(token_review_spec_msg, "TokenReviewSpec", token_review_spec_fields);

static const struct pb_field token_review_status_fields[] = {
    { 1, "authenticated", PB_BOOL, OMIT, NULL },
    { 2, "user", PB_MESSAGE, OMIT, &user_info_msg },
    { 4, "audiences", PB_STRING, REP | OMIT, NULL },
    { 3, "error", PB_STRING, OMIT, NULL },
};
PB_MSG(token_review_status_msg, "TokenReviewStatus", token_review_status_fields);

static const struct pb_field token_review_fields[] = {
    { 1, "metadata", PB_MESSAGE, OMIT, &object_meta_msg },
    { 2, "spec", PB_MESSAGE, 0, &token_review_spec_msg },
    { 3, "status", PB_MESSAGE, OMIT, &token_review_status_msg },
};
PB_MSG(token_review_msg, "TokenReview", token_review_fields);

static const struct pb_field self_subject_review_status_fields[] = {
    { 1, "userInfo", PB_MESSAGE, OMIT, &user_info_msg },
};
PB_MSG(self_subject_review_status_msg, "SelfSubjectReviewStatus",
       self_subject_review_status_fields);

static const struct pb_field self_subject_review_fields[] = {
    { 1, "metadata", PB_MESSAGE, OMIT, &object_meta_msg },
    { 2, "status", PB_MESSAGE, OMIT, &self_subject_review_status_msg },
};
PB_MSG(self_subject_review_msg, "SelfSubjectReview", self_subject_review_fields);

/* k8s.io/api/authorization/v1 */

static const struct pb_field selector_attributes_fields[] = {
    { 1, "rawSelector", PB_STRING, OMIT, NULL },
    { 2, "requirements", PB_MESSAGE, REP | OMIT, &selector_requirement_msg },
};
PB_MSG(selector_attributes_msg, "SelectorAttributes", selector_attributes_fields);

static const struct pb_field resource_attributes_fields[] = {
    { 1, "namespace", PB_STRING, OMIT, NULL },
    { 2, "verb", PB_STRING, OMIT, NULL },
    { 3, "group", PB_STRING, OMIT, NULL },
    { 4, "version", PB_STRING, OMIT, NULL },
    { 5, "resource", PB_STRING, OMIT, NULL },
    { 6, "subresource", PB_STRING, OMIT, NULL },
    { 7, "name", PB_STRING, OMIT, NULL },
    { 8, "fieldSelector", PB_MESSAGE, PTR | OMIT, &selector_attributes_msg },
    { 9, "labelSelector", PB_MESSAGE, PTR | OMIT, &selector_attributes_msg },
};
PB_MSG(resource_attributes_msg, "ResourceAttributes", resource_attributes_fields);

static const struct pb_field non_resource_attributes_fields[] = {
    { 1, "path", PB_STRING, OMIT, NULL },
    { 2, "verb", PB_STRING, OMIT, NULL },
};
PB_MSG(non_resource_attributes_msg, "NonResourceAttributes", non_resource_attributes_fields);

static const struct pb_field subject_access_review_spec_fields[] = {
    { 1, "resourceAttributes", PB_MESSAGE, PTR | OMIT, &resource_attributes_msg },
    { 2, "nonResourceAttributes", PB_MESSAGE, PTR | OMIT, &non_resource_attributes_msg },
    { 3, "user", PB_STRING, OMIT, NULL },
    { 4, "groups", PB_STRING, REP | OMIT, NULL },
    { 5, "extra", PB_EXTRA_MAP, OMIT, NULL },
    { 6, "uid", PB_STRING, OMIT, NULL },
};
PB_MSG(subject_access_review_spec_msg, "SubjectAccessReviewSpec",
       subject_access_review_spec_fields);

static const struct pb_field self_subject_access_review_spec_fields[] = {
    { 1, "resourceAttributes", PB_MESSAGE, PTR | OMIT, &resource_attributes_msg },
    { 2, "nonResourceAttributes", PB_MESSAGE, PTR | OMIT, &non_resource_attributes_msg },
};
PB_MSG(self_subject_access_review_spec_msg, "SelfSubjectAccessReviewSpec",
       self_subject_access_review_spec_fields);

static const struct pb_field subject_access_review_status_fields[] = {
    { 1, "allowed", PB_BOOL, 0, NULL },
    { 4, "denied", PB_BOOL, OMIT, NULL },
    { 2, "reason", PB_STRING, OMIT, NULL },
    { 3, "evaluationError", PB_STRING, OMIT, NULL },
};
PB_MSG(subject_access_review_status_msg, "SubjectAccessReviewStatus",
       subject_access_review_status_fields);

static const struct pb_field subject_access_review_fields[] = {
    { 1, "metadata", PB_MESSAGE, OMIT, &object_meta_msg },
    { 2, "spec", PB_MESSAGE, 0, &subject_access_review_spec_msg },
    { 3, "status", PB_MESSAGE, OMIT, &subject_access_review_status_msg },
};
PB_MSG(subject_access_review_msg, "SubjectAccessReview", subject_access_review_fields);

static const struct pb_field self_subject_access_review_fields[] = {
    { 1, "metadata", PB_MESSAGE, OMIT, &object_meta_msg },
    { 2, "spec", PB_MESSAGE, 0, &self_subject_access_review_spec_msg },
    { 3, "status", PB_MESSAGE, OMIT, &subject_access_review_status_msg },
};
PB_MSG(self_subject_access_review_msg, "SelfSubjectAccessReview",
       self_subject_access_review_fields);

static const struct pb_field self_subject_rules_review_spec_fields[] = {
    { 1, "namespace", PB_STRING, OMIT, NULL },
};
PB_MSG(self_subject_rules_review_spec_msg, "SelfSubjectRulesReviewSpec",
       self_subject_rules_review_spec_fields);

static const struct pb_field resource_rule_fields[] = {
    { 1, "verbs", PB_STRING, REP, NULL },
    { 2, "apiGroups", PB_STRING, REP | OMIT, NULL },
    { 3, "resources", PB_STRING, REP | OMIT, NULL },
    { 4, "resourceNames", PB_STRING, REP | OMIT, NULL },
};
PB_MSG(resource_rule_msg, "ResourceRule", resource_rule_fields);

static const struct pb_field non_resource_rule_fields[] = {
    { 1, "verbs", PB_STRING, REP, NULL },
    { 2, "nonResourceURLs", PB_STRING, REP | OMIT, NULL },
};
PB_MSG(non_resource_rule_msg, "NonResourceRule", non_resource_rule_fields);

static const struct pb_field subject_rules_review_status_fields[] = {
    { 1, "resourceRules", PB_MESSAGE, REP, &resource_rule_msg },
    { 2, "nonResourceRules", PB_MESSAGE, REP, &non_resource_rule_msg },
    { 3, "incomplete", PB_BOOL, 0, NULL },
    { 4, "evaluationError", PB_STRING, OMIT, NULL },
};
PB_MSG(subject_rules_review_status_msg, "SubjectRulesReviewStatus",
       subject_rules_review_status_fields);

static const struct pb_field self_subject_rules_review_fields[] = {
    { 1, "metadata", PB_MESSAGE, OMIT, &object_meta_msg },
    { 2, "spec", PB_MESSAGE, 0, &self_subject_rules_review_spec_msg },
    { 3, "status", PB_MESSAGE, OMIT, &subject_rules_review_status_msg },
};
PB_MSG(self_subject_rules_review_msg, "SelfSubjectRulesReview",
       self_subject_rules_review_fields);

/* k8s.io/apimachinery/pkg/apis/meta/v1 LabelSelector (requirements share the table above) */

static const struct pb_field label_selector_fields[] = {
    { 1, "matchLabels", PB_STRING_MAP, OMIT, NULL },
    { 2, "matchExpressions", PB_MESSAGE, REP | OMIT, &selector_requirement_msg },
};
PB_MSG(label_selector_msg, "LabelSelector", label_selector_fields);

/* k8s.io/api/rbac/v1 */

static const struct pb_field policy_rule_fields[] = {
    { 1, "verbs", PB_STRING, REP, NULL },
    { 2, "apiGroups", PB_STRING, REP | OMIT, NULL },
    { 3, "resources", PB_STRING, REP | OMIT, NULL },
    { 4, "resourceNames", PB_STRING, REP | OMIT, NULL },
    { 5, "nonResourceURLs", PB_STRING, REP | OMIT, NULL },
};
PB_MSG(policy_rule_msg, "PolicyRule", policy_rule_fields);

static const struct pb_field subject_fields[] = {
    { 1, "kind", PB_STRING, 0, NULL },
    { 2, "apiGroup", PB_STRING, OMIT, NULL },
    { 3, "name", PB_STRING, 0, NULL },
    { 4, "namespace", PB_STRING, OMIT, NULL },
};
PB_MSG(subject_msg, "Subject", subject_fields);

static const struct pb_field role_ref_fields[] = {
    { 1, "apiGroup", PB_STRING, 0, NULL },
    { 2, "kind", PB_STRING, 0, NULL },
    { 3, "name", PB_STRING, 0, NULL },
};
PB_MSG(role_ref_msg, "RoleRef", role_ref_fields);

static const struct pb_field aggregation_rule_fields[] = {
    { 1, "clusterRoleSelectors", PB_MESSAGE, REP | OMIT, &label_selector_msg },
};
PB_MSG(aggregation_rule_msg, "AggregationRule", aggregation_rule_fields);

static const struct pb_field role_fields[] = {
    { 1, "metadata", PB_MESSAGE, OMIT, &object_meta_msg },
    { 2, "rules", PB_MESSAGE, REP, &policy_rule_msg },
};
PB_MSG(role_msg, "Role", role_fields);

static const struct pb_field cluster_role_fields[] = {
    { 1, "metadata", PB_MESSAGE, OMIT, &object_meta_msg },
    { 2, "rules", PB_MESSAGE, REP, &policy_rule_msg },
    { 3, "aggregationRule", PB_MESSAGE, PTR | OMIT, &aggregation_rule_msg },
};
PB_MSG(cluster_role_msg, "ClusterRole", cluster_role_fields);

/* RoleBinding and ClusterRoleBinding share numbers and JSON tags. */
static const struct pb_field role_binding_fields[] = {
    { 1, "metadata", PB_MESSAGE, OMIT, &object_meta_msg },
    { 2, "subjects", PB_MESSAGE, REP | OMIT, &subject_msg },
    { 3, "roleRef", PB_MESSAGE, 0, &role_ref_msg },
};
PB_MSG(role_binding_msg, "RoleBinding", role_binding_fields);

/* k8s.io/api/core/v1: small shared types */

static const struct pb_field local_object_reference_fields[] = {
    { 1, "name", PB_STRING, OMIT, NULL },
};
PB_MSG(local_object_reference_msg, "LocalObjectReference", local_object_reference_fields);

static const struct pb_field object_reference_fields[] = {
    { 1, "kind", PB_STRING, OMIT, NULL },
    { 2, "namespace", PB_STRING, OMIT, NULL },
    { 3, "name", PB_STRING, OMIT, NULL },
    { 4, "uid", PB_STRING, OMIT, NULL },
    { 5, "apiVersion", PB_STRING, OMIT, NULL },
    { 6, "resourceVersion", PB_STRING, OMIT, NULL },
    { 7, "fieldPath", PB_STRING, OMIT, NULL },
};
PB_MSG(object_reference_msg, "ObjectReference", object_reference_fields);

static const struct pb_field object_field_selector_fields[] = {
    { 1, "apiVersion", PB_STRING, OMIT, NULL },
    { 2, "fieldPath", PB_STRING, 0, NULL },
};
PB_MSG(object_field_selector_msg, "ObjectFieldSelector", object_field_selector_fields);

static const struct pb_field resource_field_selector_fields[] = {
    { 1, "containerName", PB_STRING, OMIT, NULL },
    { 2, "resource", PB_STRING, 0, NULL },
    { 3, "divisor", PB_QUANTITY, OMIT, NULL },
};
PB_MSG(resource_field_selector_msg, "ResourceFieldSelector", resource_field_selector_fields);

/* ConfigMapKeySelector and SecretKeySelector: LocalObjectReference inline, key, optional. */
static const struct pb_field key_selector_fields[] = {
    { 1, NULL, PB_MESSAGE, PB_INLINE, &local_object_reference_msg },
    { 2, "key", PB_STRING, 0, NULL },
    { 3, "optional", PB_BOOL, PTR | OMIT, NULL },
};
PB_MSG(key_selector_msg, "KeySelector", key_selector_fields);

static const struct pb_field key_to_path_fields[] = {
    { 1, "key", PB_STRING, 0, NULL },
    { 2, "path", PB_STRING, 0, NULL },
    { 3, "mode", PB_INT32, PTR | OMIT, NULL },
};
PB_MSG(key_to_path_msg, "KeyToPath", key_to_path_fields);

/* core/v1 Namespace, ServiceAccount, ConfigMap, Secret */

static const struct pb_field namespace_spec_fields[] = {
    { 1, "finalizers", PB_STRING, REP | OMIT, NULL },
};
PB_MSG(namespace_spec_msg, "NamespaceSpec", namespace_spec_fields);

static const struct pb_field namespace_condition_fields[] = {
    { 1, "type", PB_STRING, 0, NULL },
    { 2, "status", PB_STRING, 0, NULL },
    { 4, "lastTransitionTime", PB_TIME, OMIT, NULL },
    { 5, "reason", PB_STRING, OMIT, NULL },
    { 6, "message", PB_STRING, OMIT, NULL },
};
PB_MSG(namespace_condition_msg, "NamespaceCondition", namespace_condition_fields);

static const struct pb_field namespace_status_fields[] = {
    { 1, "phase", PB_STRING, OMIT, NULL },
    { 2, "conditions", PB_MESSAGE, REP | OMIT, &namespace_condition_msg },
};
PB_MSG(namespace_status_msg, "NamespaceStatus", namespace_status_fields);

static const struct pb_field namespace_fields[] = {
    { 1, "metadata", PB_MESSAGE, OMIT, &object_meta_msg },
    { 2, "spec", PB_MESSAGE, OMIT, &namespace_spec_msg },
    { 3, "status", PB_MESSAGE, OMIT, &namespace_status_msg },
};
PB_MSG(namespace_msg, "Namespace", namespace_fields);

static const struct pb_field service_account_fields[] = {
    { 1, "metadata", PB_MESSAGE, OMIT, &object_meta_msg },
    { 2, "secrets", PB_MESSAGE, REP | OMIT, &object_reference_msg },
    { 3, "imagePullSecrets", PB_MESSAGE, REP | OMIT, &local_object_reference_msg },
    { 4, "automountServiceAccountToken", PB_BOOL, PTR | OMIT, NULL },
};
PB_MSG(service_account_msg, "ServiceAccount", service_account_fields);

static const struct pb_field config_map_fields[] = {
    { 1, "metadata", PB_MESSAGE, OMIT, &object_meta_msg },
    { 4, "immutable", PB_BOOL, PTR | OMIT, NULL },
    { 2, "data", PB_STRING_MAP, OMIT, NULL },
    { 3, "binaryData", PB_BYTES_MAP, OMIT, NULL },
};
PB_MSG(config_map_msg, "ConfigMap", config_map_fields);

static const struct pb_field secret_fields[] = {
    { 1, "metadata", PB_MESSAGE, OMIT, &object_meta_msg },
    { 5, "immutable", PB_BOOL, PTR | OMIT, NULL },
    { 2, "data", PB_BYTES_MAP, OMIT, NULL },
    { 4, "stringData", PB_STRING_MAP, OMIT, NULL },
    { 3, "type", PB_STRING, OMIT, NULL },
};
PB_MSG(secret_msg, "Secret", secret_fields);

/* core/v1 PodSpec and its parts */

static const struct pb_field exec_action_fields[] = {
    { 1, "command", PB_STRING, REP | OMIT, NULL },
};
PB_MSG(exec_action_msg, "ExecAction", exec_action_fields);

static const struct pb_field http_header_fields[] = {
    { 1, "name", PB_STRING, 0, NULL },
    { 2, "value", PB_STRING, 0, NULL },
};
PB_MSG(http_header_msg, "HTTPHeader", http_header_fields);

static const struct pb_field http_get_action_fields[] = {
    { 1, "path", PB_STRING, OMIT, NULL },
    { 2, "port", PB_INT_OR_STRING, 0, NULL },
    { 3, "host", PB_STRING, OMIT, NULL },
    { 4, "scheme", PB_STRING, OMIT, NULL },
    { 5, "httpHeaders", PB_MESSAGE, REP | OMIT, &http_header_msg },
};
PB_MSG(http_get_action_msg, "HTTPGetAction", http_get_action_fields);

static const struct pb_field tcp_socket_action_fields[] = {
    { 1, "port", PB_INT_OR_STRING, 0, NULL },
    { 2, "host", PB_STRING, OMIT, NULL },
};
PB_MSG(tcp_socket_action_msg, "TCPSocketAction", tcp_socket_action_fields);

static const struct pb_field grpc_action_fields[] = {
    { 1, "port", PB_INT32, 0, NULL },
    { 2, "service", PB_STRING, PTR, NULL },
};
PB_MSG(grpc_action_msg, "GRPCAction", grpc_action_fields);

static const struct pb_field sleep_action_fields[] = {
    { 1, "seconds", PB_INT64, 0, NULL },
};
PB_MSG(sleep_action_msg, "SleepAction", sleep_action_fields);

static const struct pb_field probe_handler_fields[] = {
    { 1, "exec", PB_MESSAGE, PTR | OMIT, &exec_action_msg },
    { 2, "httpGet", PB_MESSAGE, PTR | OMIT, &http_get_action_msg },
    { 3, "tcpSocket", PB_MESSAGE, PTR | OMIT, &tcp_socket_action_msg },
    { 4, "grpc", PB_MESSAGE, PTR | OMIT, &grpc_action_msg },
};
PB_MSG(probe_handler_msg, "ProbeHandler", probe_handler_fields);

static const struct pb_field probe_fields[] = {
    { 1, NULL, PB_MESSAGE, PB_INLINE, &probe_handler_msg },
    { 2, "initialDelaySeconds", PB_INT32, OMIT, NULL },
    { 3, "timeoutSeconds", PB_INT32, OMIT, NULL },
    { 4, "periodSeconds", PB_INT32, OMIT, NULL },
    { 5, "successThreshold", PB_INT32, OMIT, NULL },
    { 6, "failureThreshold", PB_INT32, OMIT, NULL },
    { 7, "terminationGracePeriodSeconds", PB_INT64, PTR | OMIT, NULL },
};
PB_MSG(probe_msg, "Probe", probe_fields);

static const struct pb_field lifecycle_handler_fields[] = {
    { 1, "exec", PB_MESSAGE, PTR | OMIT, &exec_action_msg },
    { 2, "httpGet", PB_MESSAGE, PTR | OMIT, &http_get_action_msg },
    { 3, "tcpSocket", PB_MESSAGE, PTR | OMIT, &tcp_socket_action_msg },
    { 4, "sleep", PB_MESSAGE, PTR | OMIT, &sleep_action_msg },
};
PB_MSG(lifecycle_handler_msg, "LifecycleHandler", lifecycle_handler_fields);

static const struct pb_field lifecycle_fields[] = {
    { 1, "postStart", PB_MESSAGE, PTR | OMIT, &lifecycle_handler_msg },
    { 2, "preStop", PB_MESSAGE, PTR | OMIT, &lifecycle_handler_msg },
};
PB_MSG(lifecycle_msg, "Lifecycle", lifecycle_fields);

static const struct pb_field container_port_fields[] = {
    { 1, "name", PB_STRING, OMIT, NULL },
    { 2, "hostPort", PB_INT32, OMIT, NULL },
    { 3, "containerPort", PB_INT32, 0, NULL },
    { 4, "protocol", PB_STRING, OMIT, NULL },
    { 5, "hostIP", PB_STRING, OMIT, NULL },
};
PB_MSG(container_port_msg, "ContainerPort", container_port_fields);

static const struct pb_field env_var_source_fields[] = {
    { 1, "fieldRef", PB_MESSAGE, PTR | OMIT, &object_field_selector_msg },
    { 2, "resourceFieldRef", PB_MESSAGE, PTR | OMIT, &resource_field_selector_msg },
    { 3, "configMapKeyRef", PB_MESSAGE, PTR | OMIT, &key_selector_msg },
    { 4, "secretKeyRef", PB_MESSAGE, PTR | OMIT, &key_selector_msg },
};
PB_MSG(env_var_source_msg, "EnvVarSource", env_var_source_fields);

static const struct pb_field env_var_fields[] = {
    { 1, "name", PB_STRING, 0, NULL },
    { 2, "value", PB_STRING, OMIT, NULL },
    { 3, "valueFrom", PB_MESSAGE, PTR | OMIT, &env_var_source_msg },
};
PB_MSG(env_var_msg, "EnvVar", env_var_fields);

/* ConfigMapEnvSource and SecretEnvSource. */
static const struct pb_field env_source_fields[] = {
    { 1, NULL, PB_MESSAGE, PB_INLINE, &local_object_reference_msg },
    { 2, "optional", PB_BOOL, PTR | OMIT, NULL },
};
PB_MSG(env_source_msg, "EnvSource", env_source_fields);

static const struct pb_field env_from_source_fields[] = {
    { 1, "prefix", PB_STRING, OMIT, NULL },
    { 2, "configMapRef", PB_MESSAGE, PTR | OMIT, &env_source_msg },
    { 3, "secretRef", PB_MESSAGE, PTR | OMIT, &env_source_msg },
};
PB_MSG(env_from_source_msg, "EnvFromSource", env_from_source_fields);

static const struct pb_field resource_claim_fields[] = {
    { 1, "name", PB_STRING, 0, NULL },
    { 2, "request", PB_STRING, OMIT, NULL },
};
PB_MSG(resource_claim_msg, "ResourceClaim", resource_claim_fields);

static const struct pb_field resource_requirements_fields[] = {
    { 1, "limits", PB_QUANTITY_MAP, OMIT, NULL },
    { 2, "requests", PB_QUANTITY_MAP, OMIT, NULL },
    { 3, "claims", PB_MESSAGE, REP | OMIT, &resource_claim_msg },
};
PB_MSG(resource_requirements_msg, "ResourceRequirements", resource_requirements_fields);

static const struct pb_field volume_mount_fields[] = {
    { 1, "name", PB_STRING, 0, NULL },
    { 2, "readOnly", PB_BOOL, OMIT, NULL },
    { 7, "recursiveReadOnly", PB_STRING, PTR | OMIT, NULL },
    { 3, "mountPath", PB_STRING, 0, NULL },
    { 4, "subPath", PB_STRING, OMIT, NULL },
    { 5, "mountPropagation", PB_STRING, PTR | OMIT, NULL },
    { 6, "subPathExpr", PB_STRING, OMIT, NULL },
};
PB_MSG(volume_mount_msg, "VolumeMount", volume_mount_fields);

static const struct pb_field volume_device_fields[] = {
    { 1, "name", PB_STRING, 0, NULL },
    { 2, "devicePath", PB_STRING, 0, NULL },
};
PB_MSG(volume_device_msg, "VolumeDevice", volume_device_fields);

static const struct pb_field resize_policy_fields[] = {
    { 1, "resourceName", PB_STRING, 0, NULL },
    { 2, "restartPolicy", PB_STRING, 0, NULL },
};
PB_MSG(resize_policy_msg, "ContainerResizePolicy", resize_policy_fields);

static const struct pb_field capabilities_fields[] = {
    { 1, "add", PB_STRING, REP | OMIT, NULL },
    { 2, "drop", PB_STRING, REP | OMIT, NULL },
};
PB_MSG(capabilities_msg, "Capabilities", capabilities_fields);

static const struct pb_field se_linux_options_fields[] = {
    { 1, "user", PB_STRING, OMIT, NULL },
    { 2, "role", PB_STRING, OMIT, NULL },
    { 3, "type", PB_STRING, OMIT, NULL },
    { 4, "level", PB_STRING, OMIT, NULL },
};
PB_MSG(se_linux_options_msg, "SELinuxOptions", se_linux_options_fields);

static const struct pb_field windows_options_fields[] = {
    { 1, "gmsaCredentialSpecName", PB_STRING, PTR | OMIT, NULL },
    { 2, "gmsaCredentialSpec", PB_STRING, PTR | OMIT, NULL },
    { 3, "runAsUserName", PB_STRING, PTR | OMIT, NULL },
    { 4, "hostProcess", PB_BOOL, PTR | OMIT, NULL },
};
PB_MSG(windows_options_msg, "WindowsSecurityContextOptions", windows_options_fields);

/* SeccompProfile and AppArmorProfile share numbers and JSON tags. */
static const struct pb_field profile_fields[] = {
    { 1, "type", PB_STRING, 0, NULL },
    { 2, "localhostProfile", PB_STRING, PTR | OMIT, NULL },
};
PB_MSG(profile_msg, "SeccompProfile", profile_fields);

static const struct pb_field security_context_fields[] = {
    { 1, "capabilities", PB_MESSAGE, PTR | OMIT, &capabilities_msg },
    { 2, "privileged", PB_BOOL, PTR | OMIT, NULL },
    { 3, "seLinuxOptions", PB_MESSAGE, PTR | OMIT, &se_linux_options_msg },
    { 10, "windowsOptions", PB_MESSAGE, PTR | OMIT, &windows_options_msg },
    { 4, "runAsUser", PB_INT64, PTR | OMIT, NULL },
    { 8, "runAsGroup", PB_INT64, PTR | OMIT, NULL },
    { 5, "runAsNonRoot", PB_BOOL, PTR | OMIT, NULL },
    { 6, "readOnlyRootFilesystem", PB_BOOL, PTR | OMIT, NULL },
    { 7, "allowPrivilegeEscalation", PB_BOOL, PTR | OMIT, NULL },
    { 9, "procMount", PB_STRING, PTR | OMIT, NULL },
    { 11, "seccompProfile", PB_MESSAGE, PTR | OMIT, &profile_msg },
    { 12, "appArmorProfile", PB_MESSAGE, PTR | OMIT, &profile_msg },
};
PB_MSG(security_context_msg, "SecurityContext", security_context_fields);

static const struct pb_field sysctl_fields[] = {
    { 1, "name", PB_STRING, 0, NULL },
    { 2, "value", PB_STRING, 0, NULL },
};
PB_MSG(sysctl_msg, "Sysctl", sysctl_fields);

static const struct pb_field pod_security_context_fields[] = {
    { 1, "seLinuxOptions", PB_MESSAGE, PTR | OMIT, &se_linux_options_msg },
    { 8, "windowsOptions", PB_MESSAGE, PTR | OMIT, &windows_options_msg },
    { 2, "runAsUser", PB_INT64, PTR | OMIT, NULL },
    { 6, "runAsGroup", PB_INT64, PTR | OMIT, NULL },
    { 3, "runAsNonRoot", PB_BOOL, PTR | OMIT, NULL },
    { 4, "supplementalGroups", PB_INT64, REP | OMIT, NULL },
    { 12, "supplementalGroupsPolicy", PB_STRING, PTR | OMIT, NULL },
    { 5, "fsGroup", PB_INT64, PTR | OMIT, NULL },
    { 7, "sysctls", PB_MESSAGE, REP | OMIT, &sysctl_msg },
    { 9, "fsGroupChangePolicy", PB_STRING, PTR | OMIT, NULL },
    { 10, "seccompProfile", PB_MESSAGE, PTR | OMIT, &profile_msg },
    { 11, "appArmorProfile", PB_MESSAGE, PTR | OMIT, &profile_msg },
    { 13, "seLinuxChangePolicy", PB_STRING, PTR | OMIT, NULL },
};
PB_MSG(pod_security_context_msg, "PodSecurityContext", pod_security_context_fields);

static const struct pb_field container_fields[] = {
    { 1, "name", PB_STRING, 0, NULL },
    { 2, "image", PB_STRING, OMIT, NULL },
    { 3, "command", PB_STRING, REP | OMIT, NULL },
    { 4, "args", PB_STRING, REP | OMIT, NULL },
    { 5, "workingDir", PB_STRING, OMIT, NULL },
    { 6, "ports", PB_MESSAGE, REP | OMIT, &container_port_msg },
    { 19, "envFrom", PB_MESSAGE, REP | OMIT, &env_from_source_msg },
    { 7, "env", PB_MESSAGE, REP | OMIT, &env_var_msg },
    { 8, "resources", PB_MESSAGE, OMIT, &resource_requirements_msg },
    { 23, "resizePolicy", PB_MESSAGE, REP | OMIT, &resize_policy_msg },
    { 24, "restartPolicy", PB_STRING, PTR | OMIT, NULL },
    { 9, "volumeMounts", PB_MESSAGE, REP | OMIT, &volume_mount_msg },
    { 21, "volumeDevices", PB_MESSAGE, REP | OMIT, &volume_device_msg },
    { 10, "livenessProbe", PB_MESSAGE, PTR | OMIT, &probe_msg },
    { 11, "readinessProbe", PB_MESSAGE, PTR | OMIT, &probe_msg },
    { 22, "startupProbe", PB_MESSAGE, PTR | OMIT, &probe_msg },
    { 12, "lifecycle", PB_MESSAGE, PTR | OMIT, &lifecycle_msg },
    { 13, "terminationMessagePath", PB_STRING, OMIT, NULL },
    { 20, "terminationMessagePolicy", PB_STRING, OMIT, NULL },
    { 14, "imagePullPolicy", PB_STRING, OMIT, NULL },
    { 15, "securityContext", PB_MESSAGE, PTR | OMIT, &security_context_msg },
    { 16, "stdin", PB_BOOL, OMIT, NULL },
    { 17, "stdinOnce", PB_BOOL, OMIT, NULL },
    { 18, "tty", PB_BOOL, OMIT, NULL },
};
PB_MSG(container_msg, "Container", container_fields);

static const struct pb_field toleration_fields[] = {
    { 1, "key", PB_STRING, OMIT, NULL },
    { 2, "operator", PB_STRING, OMIT, NULL },
    { 3, "value", PB_STRING, OMIT, NULL },
    { 4, "effect", PB_STRING, OMIT, NULL },
    { 5, "tolerationSeconds", PB_INT64, PTR | OMIT, NULL },
};
PB_MSG(toleration_msg, "Toleration", toleration_fields);

/* NodeSelectorRequirement shares the LabelSelectorRequirement table. */
static const struct pb_field node_selector_term_fields[] = {
    { 1, "matchExpressions", PB_MESSAGE, REP | OMIT, &selector_requirement_msg },
    { 2, "matchFields", PB_MESSAGE, REP | OMIT, &selector_requirement_msg },
};
PB_MSG(node_selector_term_msg, "NodeSelectorTerm", node_selector_term_fields);

static const struct pb_field node_selector_fields[] = {
    { 1, "nodeSelectorTerms", PB_MESSAGE, REP, &node_selector_term_msg },
};
PB_MSG(node_selector_msg, "NodeSelector", node_selector_fields);

static const struct pb_field preferred_scheduling_term_fields[] = {
    { 1, "weight", PB_INT32, 0, NULL },
    { 2, "preference", PB_MESSAGE, 0, &node_selector_term_msg },
};
PB_MSG(preferred_scheduling_term_msg, "PreferredSchedulingTerm",
       preferred_scheduling_term_fields);

static const struct pb_field node_affinity_fields[] = {
    { 1, "requiredDuringSchedulingIgnoredDuringExecution", PB_MESSAGE, PTR | OMIT,
      &node_selector_msg },
    { 2, "preferredDuringSchedulingIgnoredDuringExecution", PB_MESSAGE, REP | OMIT,
      &preferred_scheduling_term_msg },
};
PB_MSG(node_affinity_msg, "NodeAffinity", node_affinity_fields);

static const struct pb_field pod_affinity_term_fields[] = {
    { 1, "labelSelector", PB_MESSAGE, PTR | OMIT, &label_selector_msg },
    { 2, "namespaces", PB_STRING, REP | OMIT, NULL },
    { 3, "topologyKey", PB_STRING, 0, NULL },
    { 4, "namespaceSelector", PB_MESSAGE, PTR | OMIT, &label_selector_msg },
    { 5, "matchLabelKeys", PB_STRING, REP | OMIT, NULL },
    { 6, "mismatchLabelKeys", PB_STRING, REP | OMIT, NULL },
};
PB_MSG(pod_affinity_term_msg, "PodAffinityTerm", pod_affinity_term_fields);

static const struct pb_field weighted_pod_affinity_term_fields[] = {
    { 1, "weight", PB_INT32, 0, NULL },
    { 2, "podAffinityTerm", PB_MESSAGE, 0, &pod_affinity_term_msg },
};
PB_MSG(weighted_pod_affinity_term_msg, "WeightedPodAffinityTerm",
       weighted_pod_affinity_term_fields);

/* PodAffinity and PodAntiAffinity share numbers and JSON tags. */
static const struct pb_field pod_affinity_fields[] = {
    { 1, "requiredDuringSchedulingIgnoredDuringExecution", PB_MESSAGE, REP | OMIT,
      &pod_affinity_term_msg },
    { 2, "preferredDuringSchedulingIgnoredDuringExecution", PB_MESSAGE, REP | OMIT,
      &weighted_pod_affinity_term_msg },
};
PB_MSG(pod_affinity_msg, "PodAffinity", pod_affinity_fields);

static const struct pb_field affinity_fields[] = {
    { 1, "nodeAffinity", PB_MESSAGE, PTR | OMIT, &node_affinity_msg },
    { 2, "podAffinity", PB_MESSAGE, PTR | OMIT, &pod_affinity_msg },
    { 3, "podAntiAffinity", PB_MESSAGE, PTR | OMIT, &pod_affinity_msg },
};
PB_MSG(affinity_msg, "Affinity", affinity_fields);

static const struct pb_field host_alias_fields[] = {
    { 1, "ip", PB_STRING, 0, NULL },
    { 2, "hostnames", PB_STRING, REP | OMIT, NULL },
};
PB_MSG(host_alias_msg, "HostAlias", host_alias_fields);

static const struct pb_field dns_option_fields[] = {
    { 1, "name", PB_STRING, OMIT, NULL },
    { 2, "value", PB_STRING, PTR | OMIT, NULL },
};
PB_MSG(dns_option_msg, "PodDNSConfigOption", dns_option_fields);

static const struct pb_field dns_config_fields[] = {
    { 1, "nameservers", PB_STRING, REP | OMIT, NULL },
    { 2, "searches", PB_STRING, REP | OMIT, NULL },
    { 3, "options", PB_MESSAGE, REP | OMIT, &dns_option_msg },
};
PB_MSG(dns_config_msg, "PodDNSConfig", dns_config_fields);

static const struct pb_field readiness_gate_fields[] = {
    { 1, "conditionType", PB_STRING, 0, NULL },
};
PB_MSG(readiness_gate_msg, "PodReadinessGate", readiness_gate_fields);

static const struct pb_field topology_spread_fields[] = {
    { 1, "maxSkew", PB_INT32, 0, NULL },
    { 2, "topologyKey", PB_STRING, 0, NULL },
    { 3, "whenUnsatisfiable", PB_STRING, 0, NULL },
    { 4, "labelSelector", PB_MESSAGE, PTR | OMIT, &label_selector_msg },
    { 5, "minDomains", PB_INT32, PTR | OMIT, NULL },
    { 6, "nodeAffinityPolicy", PB_STRING, PTR | OMIT, NULL },
    { 7, "nodeTaintsPolicy", PB_STRING, PTR | OMIT, NULL },
    { 8, "matchLabelKeys", PB_STRING, REP | OMIT, NULL },
};
PB_MSG(topology_spread_msg, "TopologySpreadConstraint", topology_spread_fields);

static const struct pb_field pod_os_fields[] = {
    { 1, "name", PB_STRING, 0, NULL },
};
PB_MSG(pod_os_msg, "PodOS", pod_os_fields); /* also PodSchedulingGate: { 1 name } */

/* Volumes */

static const struct pb_field host_path_fields[] = {
    { 1, "path", PB_STRING, 0, NULL },
    { 2, "type", PB_STRING, PTR | OMIT, NULL },
};
PB_MSG(host_path_msg, "HostPathVolumeSource", host_path_fields);

static const struct pb_field empty_dir_fields[] = {
    { 1, "medium", PB_STRING, OMIT, NULL },
    { 2, "sizeLimit", PB_QUANTITY, PTR | OMIT, NULL },
};
PB_MSG(empty_dir_msg, "EmptyDirVolumeSource", empty_dir_fields);

static const struct pb_field secret_volume_fields[] = {
    { 1, "secretName", PB_STRING, OMIT, NULL },
    { 2, "items", PB_MESSAGE, REP | OMIT, &key_to_path_msg },
    { 3, "defaultMode", PB_INT32, PTR | OMIT, NULL },
    { 4, "optional", PB_BOOL, PTR | OMIT, NULL },
};
PB_MSG(secret_volume_msg, "SecretVolumeSource", secret_volume_fields);

static const struct pb_field config_map_volume_fields[] = {
    { 1, NULL, PB_MESSAGE, PB_INLINE, &local_object_reference_msg },
    { 2, "items", PB_MESSAGE, REP | OMIT, &key_to_path_msg },
    { 3, "defaultMode", PB_INT32, PTR | OMIT, NULL },
    { 4, "optional", PB_BOOL, PTR | OMIT, NULL },
};
PB_MSG(config_map_volume_msg, "ConfigMapVolumeSource", config_map_volume_fields);

static const struct pb_field nfs_fields[] = {
    { 1, "server", PB_STRING, 0, NULL },
    { 2, "path", PB_STRING, 0, NULL },
    { 3, "readOnly", PB_BOOL, OMIT, NULL },
};
PB_MSG(nfs_msg, "NFSVolumeSource", nfs_fields);

static const struct pb_field pvc_volume_fields[] = {
    { 1, "claimName", PB_STRING, 0, NULL },
    { 2, "readOnly", PB_BOOL, OMIT, NULL },
};
PB_MSG(pvc_volume_msg, "PersistentVolumeClaimVolumeSource", pvc_volume_fields);

static const struct pb_field downward_api_file_fields[] = {
    { 1, "path", PB_STRING, 0, NULL },
    { 2, "fieldRef", PB_MESSAGE, PTR | OMIT, &object_field_selector_msg },
    { 3, "resourceFieldRef", PB_MESSAGE, PTR | OMIT, &resource_field_selector_msg },
    { 4, "mode", PB_INT32, PTR | OMIT, NULL },
};
PB_MSG(downward_api_file_msg, "DownwardAPIVolumeFile", downward_api_file_fields);

static const struct pb_field downward_api_volume_fields[] = {
    { 1, "items", PB_MESSAGE, REP | OMIT, &downward_api_file_msg },
    { 2, "defaultMode", PB_INT32, PTR | OMIT, NULL },
};
PB_MSG(downward_api_volume_msg, "DownwardAPIVolumeSource", downward_api_volume_fields);

static const struct pb_field csi_volume_fields[] = {
    { 1, "driver", PB_STRING, 0, NULL },
    { 2, "readOnly", PB_BOOL, PTR | OMIT, NULL },
    { 3, "fsType", PB_STRING, PTR | OMIT, NULL },
    { 4, "volumeAttributes", PB_STRING_MAP, OMIT, NULL },
    { 5, "nodePublishSecretRef", PB_MESSAGE, PTR | OMIT, &local_object_reference_msg },
};
PB_MSG(csi_volume_msg, "CSIVolumeSource", csi_volume_fields);

static const struct pb_field image_volume_fields[] = {
    { 1, "reference", PB_STRING, OMIT, NULL },
    { 2, "pullPolicy", PB_STRING, OMIT, NULL },
};
PB_MSG(image_volume_msg, "ImageVolumeSource", image_volume_fields);

/* SecretProjection and ConfigMapProjection share numbers and JSON tags. */
static const struct pb_field object_projection_fields[] = {
    { 1, NULL, PB_MESSAGE, PB_INLINE, &local_object_reference_msg },
    { 2, "items", PB_MESSAGE, REP | OMIT, &key_to_path_msg },
    { 4, "optional", PB_BOOL, PTR | OMIT, NULL },
};
PB_MSG(object_projection_msg, "ConfigMapProjection", object_projection_fields);

static const struct pb_field downward_api_projection_fields[] = {
    { 1, "items", PB_MESSAGE, REP | OMIT, &downward_api_file_msg },
};
PB_MSG(downward_api_projection_msg, "DownwardAPIProjection", downward_api_projection_fields);

static const struct pb_field sa_token_projection_fields[] = {
    { 1, "audience", PB_STRING, OMIT, NULL },
    { 2, "expirationSeconds", PB_INT64, PTR | OMIT, NULL },
    { 3, "path", PB_STRING, 0, NULL },
};
PB_MSG(sa_token_projection_msg, "ServiceAccountTokenProjection", sa_token_projection_fields);

static const struct pb_field volume_projection_fields[] = {
    { 1, "secret", PB_MESSAGE, PTR | OMIT, &object_projection_msg },
    { 2, "downwardAPI", PB_MESSAGE, PTR | OMIT, &downward_api_projection_msg },
    { 3, "configMap", PB_MESSAGE, PTR | OMIT, &object_projection_msg },
    { 4, "serviceAccountToken", PB_MESSAGE, PTR | OMIT, &sa_token_projection_msg },
};
PB_MSG(volume_projection_msg, "VolumeProjection", volume_projection_fields);

static const struct pb_field projected_volume_fields[] = {
    { 1, "sources", PB_MESSAGE, REP, &volume_projection_msg },
    { 2, "defaultMode", PB_INT32, PTR | OMIT, NULL },
};
PB_MSG(projected_volume_msg, "ProjectedVolumeSource", projected_volume_fields);

/* VolumeSource: only the in-tree sources this server's users need; the other (mostly
 * deprecated cloud) sources are skipped like unknown fields. */
static const struct pb_field volume_source_fields[] = {
    { 1, "hostPath", PB_MESSAGE, PTR | OMIT, &host_path_msg },
    { 2, "emptyDir", PB_MESSAGE, PTR | OMIT, &empty_dir_msg },
    { 6, "secret", PB_MESSAGE, PTR | OMIT, &secret_volume_msg },
    { 7, "nfs", PB_MESSAGE, PTR | OMIT, &nfs_msg },
    { 10, "persistentVolumeClaim", PB_MESSAGE, PTR | OMIT, &pvc_volume_msg },
    { 16, "downwardAPI", PB_MESSAGE, PTR | OMIT, &downward_api_volume_msg },
    { 19, "configMap", PB_MESSAGE, PTR | OMIT, &config_map_volume_msg },
    { 26, "projected", PB_MESSAGE, PTR | OMIT, &projected_volume_msg },
    { 28, "csi", PB_MESSAGE, PTR | OMIT, &csi_volume_msg },
    { 30, "image", PB_MESSAGE, PTR | OMIT, &image_volume_msg },
};
PB_MSG(volume_source_msg, "VolumeSource", volume_source_fields);

static const struct pb_field volume_fields[] = {
    { 1, "name", PB_STRING, 0, NULL },
    { 2, NULL, PB_MESSAGE, PB_INLINE, &volume_source_msg },
};
PB_MSG(volume_msg, "Volume", volume_fields);

static const struct pb_field pod_spec_fields[] = {
    { 1, "volumes", PB_MESSAGE, REP | OMIT, &volume_msg },
    { 20, "initContainers", PB_MESSAGE, REP | OMIT, &container_msg },
    { 2, "containers", PB_MESSAGE, REP, &container_msg },
    { 3, "restartPolicy", PB_STRING, OMIT, NULL },
    { 4, "terminationGracePeriodSeconds", PB_INT64, PTR | OMIT, NULL },
    { 5, "activeDeadlineSeconds", PB_INT64, PTR | OMIT, NULL },
    { 6, "dnsPolicy", PB_STRING, OMIT, NULL },
    { 7, "nodeSelector", PB_STRING_MAP, OMIT, NULL },
    { 8, "serviceAccountName", PB_STRING, OMIT, NULL },
    { 9, "serviceAccount", PB_STRING, OMIT, NULL },
    { 21, "automountServiceAccountToken", PB_BOOL, PTR | OMIT, NULL },
    { 10, "nodeName", PB_STRING, OMIT, NULL },
    { 11, "hostNetwork", PB_BOOL, OMIT, NULL },
    { 12, "hostPID", PB_BOOL, OMIT, NULL },
    { 13, "hostIPC", PB_BOOL, OMIT, NULL },
    { 27, "shareProcessNamespace", PB_BOOL, PTR | OMIT, NULL },
    { 14, "securityContext", PB_MESSAGE, PTR | OMIT, &pod_security_context_msg },
    { 15, "imagePullSecrets", PB_MESSAGE, REP | OMIT, &local_object_reference_msg },
    { 16, "hostname", PB_STRING, OMIT, NULL },
    { 17, "subdomain", PB_STRING, OMIT, NULL },
    { 18, "affinity", PB_MESSAGE, PTR | OMIT, &affinity_msg },
    { 19, "schedulerName", PB_STRING, OMIT, NULL },
    { 22, "tolerations", PB_MESSAGE, REP | OMIT, &toleration_msg },
    { 23, "hostAliases", PB_MESSAGE, REP | OMIT, &host_alias_msg },
    { 24, "priorityClassName", PB_STRING, OMIT, NULL },
    { 25, "priority", PB_INT32, PTR | OMIT, NULL },
    { 26, "dnsConfig", PB_MESSAGE, PTR | OMIT, &dns_config_msg },
    { 28, "readinessGates", PB_MESSAGE, REP | OMIT, &readiness_gate_msg },
    { 29, "runtimeClassName", PB_STRING, PTR | OMIT, NULL },
    { 30, "enableServiceLinks", PB_BOOL, PTR | OMIT, NULL },
    { 31, "preemptionPolicy", PB_STRING, PTR | OMIT, NULL },
    { 32, "overhead", PB_QUANTITY_MAP, OMIT, NULL },
    { 33, "topologySpreadConstraints", PB_MESSAGE, REP | OMIT, &topology_spread_msg },
    { 35, "setHostnameAsFQDN", PB_BOOL, PTR | OMIT, NULL },
    { 36, "os", PB_MESSAGE, PTR | OMIT, &pod_os_msg },
    { 37, "hostUsers", PB_BOOL, PTR | OMIT, NULL },
    { 38, "schedulingGates", PB_MESSAGE, REP | OMIT, &pod_os_msg },
    { 40, "resources", PB_MESSAGE, PTR | OMIT, &resource_requirements_msg },
    /* 34 ephemeralContainers, 39 resourceClaims: not decoded (skipped). */
};
PB_MSG(pod_spec_msg, "PodSpec", pod_spec_fields);

static const struct pb_field pod_template_spec_fields[] = {
    { 1, "metadata", PB_MESSAGE, OMIT, &object_meta_msg },
    { 2, "spec", PB_MESSAGE, OMIT, &pod_spec_msg },
};
PB_MSG(pod_template_spec_msg, "PodTemplateSpec", pod_template_spec_fields);

/* PodStatus: a client creating a pod sends it empty; only the scalar summary fields are
 * decoded, conditions/containerStatuses are skipped. */
static const struct pb_field pod_status_fields[] = {
    { 1, "phase", PB_STRING, OMIT, NULL },
    { 3, "message", PB_STRING, OMIT, NULL },
    { 4, "reason", PB_STRING, OMIT, NULL },
    { 11, "nominatedNodeName", PB_STRING, OMIT, NULL },
    { 5, "hostIP", PB_STRING, OMIT, NULL },
    { 6, "podIP", PB_STRING, OMIT, NULL },
    { 7, "startTime", PB_TIME, PTR | OMIT, NULL },
    { 10, "qosClass", PB_STRING, OMIT, NULL },
};
PB_MSG(pod_status_msg, "PodStatus", pod_status_fields);

static const struct pb_field pod_fields[] = {
    { 1, "metadata", PB_MESSAGE, OMIT, &object_meta_msg },
    { 2, "spec", PB_MESSAGE, OMIT, &pod_spec_msg },
    { 3, "status", PB_MESSAGE, OMIT, &pod_status_msg },
};
PB_MSG(pod_msg, "Pod", pod_fields);

/* k8s.io/api/batch/v1 */

static const struct pb_field job_spec_fields[] = {
    { 1, "parallelism", PB_INT32, PTR | OMIT, NULL },
    { 2, "completions", PB_INT32, PTR | OMIT, NULL },
    { 3, "activeDeadlineSeconds", PB_INT64, PTR | OMIT, NULL },
    { 7, "backoffLimit", PB_INT32, PTR | OMIT, NULL },
    { 12, "backoffLimitPerIndex", PB_INT32, PTR | OMIT, NULL },
    { 13, "maxFailedIndexes", PB_INT32, PTR | OMIT, NULL },
    { 4, "selector", PB_MESSAGE, PTR | OMIT, &label_selector_msg },
    { 5, "manualSelector", PB_BOOL, PTR | OMIT, NULL },
    { 6, "template", PB_MESSAGE, 0, &pod_template_spec_msg },
    { 8, "ttlSecondsAfterFinished", PB_INT32, PTR | OMIT, NULL },
    { 9, "completionMode", PB_STRING, PTR | OMIT, NULL },
    { 10, "suspend", PB_BOOL, PTR | OMIT, NULL },
    { 14, "podReplacementPolicy", PB_STRING, PTR | OMIT, NULL },
    { 16, "managedBy", PB_STRING, PTR | OMIT, NULL },
    /* 11 podFailurePolicy, 15 successPolicy: not decoded (skipped). */
};
PB_MSG(job_spec_msg, "JobSpec", job_spec_fields);

static const struct pb_field job_status_fields[] = {
    { 2, "startTime", PB_TIME, PTR | OMIT, NULL },
    { 3, "completionTime", PB_TIME, PTR | OMIT, NULL },
    { 4, "active", PB_INT32, OMIT, NULL },
    { 5, "succeeded", PB_INT32, OMIT, NULL },
    { 6, "failed", PB_INT32, OMIT, NULL },
    { 11, "terminating", PB_INT32, PTR | OMIT, NULL },
    { 7, "completedIndexes", PB_STRING, OMIT, NULL },
    { 10, "failedIndexes", PB_STRING, PTR | OMIT, NULL },
    { 9, "ready", PB_INT32, PTR | OMIT, NULL },
    /* 1 conditions, 8 uncountedTerminatedPods: not decoded (skipped). */
};
PB_MSG(job_status_msg, "JobStatus", job_status_fields);

static const struct pb_field job_fields[] = {
    { 1, "metadata", PB_MESSAGE, OMIT, &object_meta_msg },
    { 2, "spec", PB_MESSAGE, OMIT, &job_spec_msg },
    { 3, "status", PB_MESSAGE, OMIT, &job_status_msg },
};
PB_MSG(job_msg, "Job", job_fields);

static const struct pb_field job_template_spec_fields[] = {
    { 1, "metadata", PB_MESSAGE, OMIT, &object_meta_msg },
    { 2, "spec", PB_MESSAGE, OMIT, &job_spec_msg },
};
PB_MSG(job_template_spec_msg, "JobTemplateSpec", job_template_spec_fields);

static const struct pb_field cron_job_spec_fields[] = {
    { 1, "schedule", PB_STRING, 0, NULL },
    { 8, "timeZone", PB_STRING, PTR | OMIT, NULL },
    { 2, "startingDeadlineSeconds", PB_INT64, PTR | OMIT, NULL },
    { 3, "concurrencyPolicy", PB_STRING, OMIT, NULL },
    { 4, "suspend", PB_BOOL, PTR | OMIT, NULL },
    { 5, "jobTemplate", PB_MESSAGE, 0, &job_template_spec_msg },
    { 6, "successfulJobsHistoryLimit", PB_INT32, PTR | OMIT, NULL },
    { 7, "failedJobsHistoryLimit", PB_INT32, PTR | OMIT, NULL },
};
PB_MSG(cron_job_spec_msg, "CronJobSpec", cron_job_spec_fields);

static const struct pb_field cron_job_status_fields[] = {
    { 1, "active", PB_MESSAGE, REP | OMIT, &object_reference_msg },
    { 4, "lastScheduleTime", PB_TIME, PTR | OMIT, NULL },
    { 5, "lastSuccessfulTime", PB_TIME, PTR | OMIT, NULL },
};
PB_MSG(cron_job_status_msg, "CronJobStatus", cron_job_status_fields);

static const struct pb_field cron_job_fields[] = {
    { 1, "metadata", PB_MESSAGE, OMIT, &object_meta_msg },
    { 2, "spec", PB_MESSAGE, OMIT, &cron_job_spec_msg },
    { 3, "status", PB_MESSAGE, OMIT, &cron_job_status_msg },
};
PB_MSG(cron_job_msg, "CronJob", cron_job_fields);

/* k8s.io/api/apps/v1 Deployment */

static const struct pb_field rolling_update_deployment_fields[] = {
    { 1, "maxUnavailable", PB_INT_OR_STRING, PTR | OMIT, NULL },
    { 2, "maxSurge", PB_INT_OR_STRING, PTR | OMIT, NULL },
};
PB_MSG(rolling_update_deployment_msg, "RollingUpdateDeployment",
       rolling_update_deployment_fields);

static const struct pb_field deployment_strategy_fields[] = {
    { 1, "type", PB_STRING, OMIT, NULL },
    { 2, "rollingUpdate", PB_MESSAGE, PTR | OMIT, &rolling_update_deployment_msg },
};
PB_MSG(deployment_strategy_msg, "DeploymentStrategy", deployment_strategy_fields);

static const struct pb_field deployment_spec_fields[] = {
    { 1, "replicas", PB_INT32, PTR | OMIT, NULL },
    { 2, "selector", PB_MESSAGE, PTR, &label_selector_msg },
    { 3, "template", PB_MESSAGE, 0, &pod_template_spec_msg },
    { 4, "strategy", PB_MESSAGE, OMIT, &deployment_strategy_msg },
    { 5, "minReadySeconds", PB_INT32, OMIT, NULL },
    { 6, "revisionHistoryLimit", PB_INT32, PTR | OMIT, NULL },
    { 7, "paused", PB_BOOL, OMIT, NULL },
    { 9, "progressDeadlineSeconds", PB_INT32, PTR | OMIT, NULL },
};
PB_MSG(deployment_spec_msg, "DeploymentSpec", deployment_spec_fields);

static const struct pb_field deployment_status_fields[] = {
    { 1, "observedGeneration", PB_INT64, OMIT, NULL },
    { 2, "replicas", PB_INT32, OMIT, NULL },
    { 3, "updatedReplicas", PB_INT32, OMIT, NULL },
    { 7, "readyReplicas", PB_INT32, OMIT, NULL },
    { 4, "availableReplicas", PB_INT32, OMIT, NULL },
    { 5, "unavailableReplicas", PB_INT32, OMIT, NULL },
    { 9, "terminatingReplicas", PB_INT32, PTR | OMIT, NULL },
    { 8, "collisionCount", PB_INT32, PTR | OMIT, NULL },
    /* 6 conditions: not decoded (skipped). */
};
PB_MSG(deployment_status_msg, "DeploymentStatus", deployment_status_fields);

static const struct pb_field deployment_fields[] = {
    { 1, "metadata", PB_MESSAGE, OMIT, &object_meta_msg },
    { 2, "spec", PB_MESSAGE, OMIT, &deployment_spec_msg },
    { 3, "status", PB_MESSAGE, OMIT, &deployment_status_msg },
};
PB_MSG(deployment_msg, "Deployment", deployment_fields);

/* k8s.io/api/coordination/v1 Lease */

static const struct pb_field lease_spec_fields[] = {
    { 1, "holderIdentity", PB_STRING, PTR | OMIT, NULL },
    { 2, "leaseDurationSeconds", PB_INT32, PTR | OMIT, NULL },
    { 3, "acquireTime", PB_MICROTIME, PTR | OMIT, NULL },
    { 4, "renewTime", PB_MICROTIME, PTR | OMIT, NULL },
    { 5, "leaseTransitions", PB_INT32, PTR | OMIT, NULL },
    { 6, "strategy", PB_STRING, PTR | OMIT, NULL },
    { 7, "preferredHolder", PB_STRING, PTR | OMIT, NULL },
};
PB_MSG(lease_spec_msg, "LeaseSpec", lease_spec_fields);

static const struct pb_field lease_fields[] = {
    { 1, "metadata", PB_MESSAGE, OMIT, &object_meta_msg },
    { 2, "spec", PB_MESSAGE, OMIT, &lease_spec_msg },
};
PB_MSG(lease_msg, "Lease", lease_fields);

/* core/v1 Event */

static const struct pb_field event_source_fields[] = {
    { 1, "component", PB_STRING, OMIT, NULL },
    { 2, "host", PB_STRING, OMIT, NULL },
};
PB_MSG(event_source_msg, "EventSource", event_source_fields);

static const struct pb_field event_series_fields[] = {
    { 1, "count", PB_INT32, OMIT, NULL },
    { 2, "lastObservedTime", PB_MICROTIME, OMIT, NULL },
};
PB_MSG(event_series_msg, "EventSeries", event_series_fields);

static const struct pb_field event_fields[] = {
    { 1, "metadata", PB_MESSAGE, 0, &object_meta_msg },
    { 2, "involvedObject", PB_MESSAGE, 0, &object_reference_msg },
    { 3, "reason", PB_STRING, OMIT, NULL },
    { 4, "message", PB_STRING, OMIT, NULL },
    { 5, "source", PB_MESSAGE, OMIT, &event_source_msg },
    { 6, "firstTimestamp", PB_TIME, OMIT, NULL },
    { 7, "lastTimestamp", PB_TIME, OMIT, NULL },
    { 8, "count", PB_INT32, OMIT, NULL },
    { 9, "type", PB_STRING, OMIT, NULL },
    { 10, "eventTime", PB_MICROTIME, OMIT, NULL },
    { 11, "series", PB_MESSAGE, PTR | OMIT, &event_series_msg },
    { 12, "action", PB_STRING, OMIT, NULL },
    { 13, "related", PB_MESSAGE, PTR | OMIT, &object_reference_msg },
    { 14, "reportingComponent", PB_STRING, 0, NULL },
    { 15, "reportingInstance", PB_STRING, 0, NULL },
};
PB_MSG(event_msg, "Event", event_fields);

/* core/v1 Node */

static const struct pb_field taint_fields[] = {
    { 1, "key", PB_STRING, 0, NULL },
    { 2, "value", PB_STRING, OMIT, NULL },
    { 3, "effect", PB_STRING, 0, NULL },
    { 4, "timeAdded", PB_TIME, PTR | OMIT, NULL },
};
PB_MSG(taint_msg, "Taint", taint_fields);

static const struct pb_field node_spec_fields[] = {
    { 1, "podCIDR", PB_STRING, OMIT, NULL },
    { 7, "podCIDRs", PB_STRING, REP | OMIT, NULL },
    { 3, "providerID", PB_STRING, OMIT, NULL },
    { 4, "unschedulable", PB_BOOL, OMIT, NULL },
    { 5, "taints", PB_MESSAGE, REP | OMIT, &taint_msg },
    { 2, "externalID", PB_STRING, OMIT, NULL },
    /* 6 configSource: not decoded (skipped). */
};
PB_MSG(node_spec_msg, "NodeSpec", node_spec_fields);

static const struct pb_field node_condition_fields[] = {
    { 1, "type", PB_STRING, 0, NULL },
    { 2, "status", PB_STRING, 0, NULL },
    { 3, "lastHeartbeatTime", PB_TIME, OMIT, NULL },
    { 4, "lastTransitionTime", PB_TIME, OMIT, NULL },
    { 5, "reason", PB_STRING, OMIT, NULL },
    { 6, "message", PB_STRING, OMIT, NULL },
};
PB_MSG(node_condition_msg, "NodeCondition", node_condition_fields);

static const struct pb_field node_address_fields[] = {
    { 1, "type", PB_STRING, 0, NULL },
    { 2, "address", PB_STRING, 0, NULL },
};
PB_MSG(node_address_msg, "NodeAddress", node_address_fields);

static const struct pb_field daemon_endpoint_fields[] = {
    { 1, "Port", PB_INT32, 0, NULL },
};
PB_MSG(daemon_endpoint_msg, "DaemonEndpoint", daemon_endpoint_fields);

static const struct pb_field node_daemon_endpoints_fields[] = {
    { 1, "kubeletEndpoint", PB_MESSAGE, OMIT, &daemon_endpoint_msg },
};
PB_MSG(node_daemon_endpoints_msg, "NodeDaemonEndpoints", node_daemon_endpoints_fields);

static const struct pb_field node_system_info_fields[] = {
    { 1, "machineID", PB_STRING, 0, NULL },
    { 2, "systemUUID", PB_STRING, 0, NULL },
    { 3, "bootID", PB_STRING, 0, NULL },
    { 4, "kernelVersion", PB_STRING, 0, NULL },
    { 5, "osImage", PB_STRING, 0, NULL },
    { 6, "containerRuntimeVersion", PB_STRING, 0, NULL },
    { 7, "kubeletVersion", PB_STRING, 0, NULL },
    { 8, "kubeProxyVersion", PB_STRING, 0, NULL },
    { 9, "operatingSystem", PB_STRING, 0, NULL },
    { 10, "architecture", PB_STRING, 0, NULL },
};
PB_MSG(node_system_info_msg, "NodeSystemInfo", node_system_info_fields);

static const struct pb_field container_image_fields[] = {
    { 1, "names", PB_STRING, REP, NULL },
    { 2, "sizeBytes", PB_INT64, OMIT, NULL },
};
PB_MSG(container_image_msg, "ContainerImage", container_image_fields);

static const struct pb_field attached_volume_fields[] = {
    { 1, "name", PB_STRING, 0, NULL },
    { 2, "devicePath", PB_STRING, 0, NULL },
};
PB_MSG(attached_volume_msg, "AttachedVolume", attached_volume_fields);

static const struct pb_field node_status_fields[] = {
    { 1, "capacity", PB_QUANTITY_MAP, OMIT, NULL },
    { 2, "allocatable", PB_QUANTITY_MAP, OMIT, NULL },
    { 3, "phase", PB_STRING, OMIT, NULL },
    { 4, "conditions", PB_MESSAGE, REP | OMIT, &node_condition_msg },
    { 5, "addresses", PB_MESSAGE, REP | OMIT, &node_address_msg },
    { 6, "daemonEndpoints", PB_MESSAGE, OMIT, &node_daemon_endpoints_msg },
    { 7, "nodeInfo", PB_MESSAGE, OMIT, &node_system_info_msg },
    { 8, "images", PB_MESSAGE, REP | OMIT, &container_image_msg },
    { 9, "volumesInUse", PB_STRING, REP | OMIT, NULL },
    { 10, "volumesAttached", PB_MESSAGE, REP | OMIT, &attached_volume_msg },
    /* 11 config, 12 runtimeHandlers, 13 features: not decoded (skipped). */
};
PB_MSG(node_status_msg, "NodeStatus", node_status_fields);

static const struct pb_field node_fields[] = {
    { 1, "metadata", PB_MESSAGE, OMIT, &object_meta_msg },
    { 2, "spec", PB_MESSAGE, OMIT, &node_spec_msg },
    { 3, "status", PB_MESSAGE, OMIT, &node_status_msg },
};
PB_MSG(node_msg, "Node", node_fields);

/* meta/v1 DeleteOptions (kubectl drain, delete) and policy/v1 Eviction */

static const struct pb_field preconditions_fields[] = {
    { 1, "uid", PB_STRING, PTR | OMIT, NULL },
    { 2, "resourceVersion", PB_STRING, PTR | OMIT, NULL },
};
PB_MSG(preconditions_msg, "Preconditions", preconditions_fields);

static const struct pb_field delete_options_fields[] = {
    { 1, "gracePeriodSeconds", PB_INT64, PTR | OMIT, NULL },
    { 2, "preconditions", PB_MESSAGE, PTR | OMIT, &preconditions_msg },
    { 3, "orphanDependents", PB_BOOL, PTR | OMIT, NULL },
    { 4, "propagationPolicy", PB_STRING, PTR | OMIT, NULL },
    { 5, "dryRun", PB_STRING, REP | OMIT, NULL },
    { 6, "ignoreStoreReadErrorWithClusterBreakingPotential", PB_BOOL, PTR | OMIT, NULL },
};
PB_MSG(delete_options_msg, "DeleteOptions", delete_options_fields);

static const struct pb_field eviction_fields[] = {
    { 1, "metadata", PB_MESSAGE, OMIT, &object_meta_msg },
    { 2, "deleteOptions", PB_MESSAGE, PTR | OMIT, &delete_options_msg },
};
PB_MSG(eviction_msg, "Eviction", eviction_fields);

#undef OMIT
#undef REP
#undef PTR

/* One row per decodable kind: typeMeta (apiVersion, kind) -> top-level message. */
struct pb_kind {
    const char *api_version;
    const char *version; /* version part of api_version, for error messages */
    const char *kind;
    const struct pb_message *message;
};

static const struct pb_kind pb_kinds[] = {
    { "authentication.k8s.io/v1", "v1", "TokenRequest", &token_request_msg },
    { "authentication.k8s.io/v1", "v1", "TokenReview", &token_review_msg },
    { "authentication.k8s.io/v1", "v1", "SelfSubjectReview", &self_subject_review_msg },
    { "authorization.k8s.io/v1", "v1", "SubjectAccessReview", &subject_access_review_msg },
    { "authorization.k8s.io/v1", "v1", "LocalSubjectAccessReview", &subject_access_review_msg },
    { "authorization.k8s.io/v1", "v1", "SelfSubjectAccessReview",
      &self_subject_access_review_msg },
    { "authorization.k8s.io/v1", "v1", "SelfSubjectRulesReview",
      &self_subject_rules_review_msg },
    { "v1", "v1", "Namespace", &namespace_msg },
    { "v1", "v1", "ServiceAccount", &service_account_msg },
    { "v1", "v1", "ConfigMap", &config_map_msg },
    { "v1", "v1", "Secret", &secret_msg },
    { "v1", "v1", "Pod", &pod_msg },
    { "v1", "v1", "Node", &node_msg },
    { "v1", "v1", "Event", &event_msg },
    { "rbac.authorization.k8s.io/v1", "v1", "Role", &role_msg },
    { "rbac.authorization.k8s.io/v1", "v1", "ClusterRole", &cluster_role_msg },
    { "rbac.authorization.k8s.io/v1", "v1", "RoleBinding", &role_binding_msg },
    { "rbac.authorization.k8s.io/v1", "v1", "ClusterRoleBinding", &role_binding_msg },
    { "batch/v1", "v1", "Job", &job_msg },
    { "batch/v1", "v1", "CronJob", &cron_job_msg },
    { "apps/v1", "v1", "Deployment", &deployment_msg },
    { "coordination.k8s.io/v1", "v1", "Lease", &lease_msg },
    { "policy/v1", "v1", "Eviction", &eviction_msg },
    /* DeleteOptions is registered in every group-version; clients encode it in the one of the
     * resource they delete */
    { "v1", "v1", "DeleteOptions", &delete_options_msg },
    { "meta.k8s.io/v1", "v1", "DeleteOptions", &delete_options_msg },
    { "policy/v1", "v1", "DeleteOptions", &delete_options_msg },
    { "batch/v1", "v1", "DeleteOptions", &delete_options_msg },
    { "apps/v1", "v1", "DeleteOptions", &delete_options_msg },
    { "rbac.authorization.k8s.io/v1", "v1", "DeleteOptions", &delete_options_msg },
    { "coordination.k8s.io/v1", "v1", "DeleteOptions", &delete_options_msg },
    { "events.k8s.io/v1", "v1", "DeleteOptions", &delete_options_msg },
};

/* ---- decoding context and wire reader ------------------------------------------------- */

struct pb_ctx {
    int code;       /* first error (AZ_E*), 0 while none */
    char err[512];  /* message of the first error */
    size_t elements; /* values decoded so far, capped by K8S_PROTOBUF_MAX_ELEMENTS */
};

struct pb_reader {
    const uint8_t *p;   /* next unread byte */
    const uint8_t *end; /* one past the last byte of the current message */
};

/* Records the first error and returns its code. */
static int __attribute__((format(printf, 3, 4)))
pb_fail(struct pb_ctx *c, int code, const char *fmt, ...)
{
    if (c->code == 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->err, sizeof(c->err), fmt, ap);
        va_end(ap);
        c->code = code;
    }
    return c->code;
}

static int pb_read_varint(struct pb_ctx *c, struct pb_reader *r, uint64_t *ret_v)
{
    uint64_t v = 0;
    for (unsigned shift = 0;; shift += 7) {
        if (shift >= 64)
            return pb_fail(c, AZ_EBADREQUEST, "proto: integer overflow");
        if (r->p >= r->end)
            return pb_fail(c, AZ_EBADREQUEST, "unexpected EOF");
        uint8_t b = *r->p++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (b < 0x80)
            break;
    }
    *ret_v = v;
    return 0;
}

/* Reads a length-delimited value; *ret_p points into the reader's buffer. */
static int pb_read_bytes(struct pb_ctx *c, struct pb_reader *r, const uint8_t **ret_p,
                         size_t *ret_n)
{
    uint64_t n;
    int rc = pb_read_varint(c, r, &n);
    if (rc != 0)
        return rc;
    if (n > (uint64_t)INT64_MAX)
        return pb_fail(c, AZ_EBADREQUEST, "proto: negative length found during unmarshaling");
    if (n > (uint64_t)(r->end - r->p))
        return pb_fail(c, AZ_EBADREQUEST, "unexpected EOF");
    *ret_p = r->p;
    *ret_n = (size_t)n;
    r->p += n;
    return 0;
}

/* Reads a tag; rejects field number 0, numbers beyond int32 and end-group markers. */
static int pb_read_tag(struct pb_ctx *c, struct pb_reader *r, const char *msg_name,
                       uint32_t *ret_number, unsigned *ret_wire)
{
    uint64_t tag;
    int rc = pb_read_varint(c, r, &tag);
    if (rc != 0)
        return rc;
    uint64_t number = tag >> 3;
    unsigned wire = (unsigned)(tag & 7);
    if (number == 0 || number > INT32_MAX)
        return pb_fail(c, AZ_EBADREQUEST, "proto: %s: illegal tag %" PRIu64 " (wire type %u)",
                       msg_name, number, wire);
    if (wire == 4)
        return pb_fail(c, AZ_EBADREQUEST, "proto: %s: wiretype end group for non-group",
                       msg_name);
    *ret_number = (uint32_t)number;
    *ret_wire = wire;
    return 0;
}

static int pb_skip(struct pb_ctx *c, struct pb_reader *r, unsigned wire)
{
    uint64_t v;
    const uint8_t *p;
    size_t n;
    switch (wire) {
    case 0:
        return pb_read_varint(c, r, &v);
    case 1:
    case 5: {
        size_t width = wire == 1 ? 8 : 4;
        if ((size_t)(r->end - r->p) < width)
            return pb_fail(c, AZ_EBADREQUEST, "unexpected EOF");
        r->p += width;
        return 0;
    }
    case 2:
        return pb_read_bytes(c, r, &p, &n);
    case 3:
        return pb_fail(c, AZ_EBADREQUEST, "proto: group wire type is not supported");
    default:
        return pb_fail(c, AZ_EBADREQUEST, "proto: illegal wireType %u", wire);
    }
}

static int pb_count(struct pb_ctx *c)
{
    if (++c->elements > K8S_PROTOBUF_MAX_ELEMENTS)
        return pb_fail(c, AZ_EBADREQUEST, "proto: more than %u values in the body",
                       K8S_PROTOBUF_MAX_ELEMENTS);
    return 0;
}

/* Strict UTF-8 (no overlongs, surrogates or values above U+10FFFF) without NUL bytes. */
static bool pb_utf8_valid(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t b = s[i];
        if (b == 0)
            return false;
        if (b < 0x80) {
            i++;
            continue;
        }
        size_t len;
        uint32_t cp, min;
        if ((b & 0xe0) == 0xc0) {
            len = 2, cp = b & 0x1f, min = 0x80;
        } else if ((b & 0xf0) == 0xe0) {
            len = 3, cp = b & 0x0f, min = 0x800;
        } else if ((b & 0xf8) == 0xf0) {
            len = 4, cp = b & 0x07, min = 0x10000;
        } else {
            return false;
        }
        if (n - i < len)
            return false;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += len;
    }
    return true;
}

/* Makes a JSON string from wire bytes, rejecting invalid UTF-8 and NUL. */
static int pb_string(struct pb_ctx *c, const char *what, const uint8_t *p, size_t n,
                     json_t **ret)
{
    if (!pb_utf8_valid(p, n))
        return pb_fail(c, AZ_EBADREQUEST, "proto: %s: string is not valid UTF-8 or contains NUL",
                       what);
    json_t *s = json_stringn_nocheck((const char *)p, n);
    if (s == NULL)
        return pb_fail(c, AZ_EINTERNAL, "out of memory");
    *ret = s;
    return 0;
}

/* ---- metav1.Time ---------------------------------------------------------------------- */

#define PB_GO_ZERO_TIME_UNIX INT64_C(-62135596800) /* 0001-01-01T00:00:00Z */
#define PB_MAX_TIME_UNIX INT64_C(253402300799)     /* 9999-12-31T23:59:59Z */

/* Days since 1970-01-01 -> proleptic Gregorian date (H. Hinnant's civil_from_days). */
static void pb_civil_from_days(int64_t z, int64_t *ret_y, unsigned *ret_m, unsigned *ret_d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    uint64_t doe = (uint64_t)(z - era * 146097);
    uint64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = (int64_t)yoe + era * 400;
    uint64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    uint64_t mp = (5 * doy + 2) / 153;
    unsigned d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    unsigned m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    *ret_y = y + (m <= 2);
    *ret_m = m;
    *ret_d = d;
}

/* Decodes a Timestamp message into an RFC 3339 string, or null for Go's zero time.
 * Like upstream, an empty message is the zero time. metav1.Time prints whole seconds (nanos
 * dropped); metav1.MicroTime (micro) prints microseconds, "2006-01-02T15:04:05.000000Z". */
static int pb_time(struct pb_ctx *c, const uint8_t *p, size_t n, bool micro, json_t **ret)
{
    if (n == 0) {
        *ret = json_null();
        return 0;
    }
    struct pb_reader r = { p, p + n };
    int64_t seconds = 0;
    int64_t nanos = 0;
    while (r.p < r.end) {
        uint32_t number;
        unsigned wire;
        uint64_t v;
        int rc = pb_read_tag(c, &r, "Timestamp", &number, &wire);
        if (rc != 0)
            return rc;
        if (number == 1 || number == 2) {
            if (wire != 0)
                return pb_fail(c, AZ_EBADREQUEST, "proto: wrong wireType = %u for field %s",
                               wire, number == 1 ? "Seconds" : "Nanos");
            rc = pb_read_varint(c, &r, &v);
            if (rc != 0)
                return rc;
            if (number == 1)
                seconds = (int64_t)v;
            else
                nanos = (int32_t)v;
        } else {
            rc = pb_skip(c, &r, wire);
            if (rc != 0)
                return rc;
        }
    }
    if (seconds == PB_GO_ZERO_TIME_UNIX) {
        *ret = json_null();
        return 0;
    }
    if (seconds < PB_GO_ZERO_TIME_UNIX || seconds > PB_MAX_TIME_UNIX)
        return pb_fail(c, AZ_EBADREQUEST, "proto: timestamp %" PRId64 " is out of range",
                       seconds);
    int64_t days = seconds / 86400, rem = seconds % 86400;
    if (rem < 0) {
        rem += 86400;
        days--;
    }
    int64_t year;
    unsigned month, day;
    pb_civil_from_days(days, &year, &month, &day);
    char buf[64];
    int len = snprintf(buf, sizeof(buf), "%04" PRId64 "-%02u-%02uT%02u:%02u:%02u", year, month,
                       day, (unsigned)(rem / 3600), (unsigned)(rem / 60 % 60),
                       (unsigned)(rem % 60));
    if (micro) {
        /* Go normalises nanos into [0, 1e9) by carrying into seconds; we only accept the
         * canonical range, which is what every Go encoder writes. */
        if (nanos < 0 || nanos > 999999999)
            return pb_fail(c, AZ_EBADREQUEST, "proto: timestamp nanos %" PRId64
                                              " out of range", nanos);
        snprintf(buf + len, sizeof(buf) - (size_t)len, ".%06uZ", (unsigned)(nanos / 1000));
    } else {
        snprintf(buf + len, sizeof(buf) - (size_t)len, "Z");
    }
    json_t *s = json_string(buf);
    if (s == NULL)
        return pb_fail(c, AZ_EINTERNAL, "out of memory");
    *ret = s;
    return 0;
}

/* ---- other well-known value messages ------------------------------------------------- */

/* Longest Quantity string accepted; upstream's parser refuses far shorter inputs anyway. */
#define PB_MAX_QUANTITY 256

/* resource.Quantity is message { optional string string = 1 }. The JSON form is the
 * string; an empty message is the zero Quantity, which Go prints as "0". The string is
 * passed through as sent (upstream re-canonicalises it; see protobuf.h). */
static int pb_quantity(struct pb_ctx *c, const uint8_t *p, size_t n, json_t **ret)
{
    struct pb_reader r = { p, p + n };
    const uint8_t *sp = (const uint8_t *)"0";
    size_t sn = 1;
    while (r.p < r.end) {
        uint32_t number;
        unsigned wire;
        int rc = pb_read_tag(c, &r, "Quantity", &number, &wire);
        if (rc != 0)
            return rc;
        if (number != 1) {
            rc = pb_skip(c, &r, wire);
            if (rc != 0)
                return rc;
            continue;
        }
        if (wire != 2)
            return pb_fail(c, AZ_EBADREQUEST, "proto: wrong wireType = %u for field String",
                           wire);
        rc = pb_read_bytes(c, &r, &sp, &sn);
        if (rc != 0)
            return rc;
        if (sn == 0) {
            sp = (const uint8_t *)"0";
            sn = 1;
        }
    }
    if (sn > PB_MAX_QUANTITY)
        return pb_fail(c, AZ_EBADREQUEST, "quantities must match the regular expression "
                                          "(quantity longer than %u bytes)",
                       PB_MAX_QUANTITY);
    return pb_string(c, "Quantity", sp, sn, ret);
}

/* intstr.IntOrString is message { 1 type (0 int, 1 string), 2 intVal int32, 3 strVal }. */
static int pb_int_or_string(struct pb_ctx *c, const uint8_t *p, size_t n, json_t **ret)
{
    struct pb_reader r = { p, p + n };
    uint64_t type = 0;
    int32_t ival = 0;
    const uint8_t *sp = (const uint8_t *)"";
    size_t sn = 0;
    while (r.p < r.end) {
        uint32_t number;
        unsigned wire;
        uint64_t v;
        int rc = pb_read_tag(c, &r, "IntOrString", &number, &wire);
        if (rc != 0)
            return rc;
        if (number < 1 || number > 3) {
            rc = pb_skip(c, &r, wire);
        } else if (wire != (number == 3 ? 2u : 0u)) {
            static const char *const names[] = { "", "Type", "IntVal", "StrVal" };
            rc = pb_fail(c, AZ_EBADREQUEST, "proto: wrong wireType = %u for field %s", wire,
                         names[number]);
        } else if (number == 3) {
            rc = pb_read_bytes(c, &r, &sp, &sn);
        } else {
            rc = pb_read_varint(c, &r, &v);
            if (number == 1)
                type = v;
            else
                ival = (int32_t)v;
        }
        if (rc != 0)
            return rc;
    }
    if (type == 1)
        return pb_string(c, "IntOrString", sp, sn, ret);
    /* Go prints any other type as the integer (IntOrString.MarshalJSON's default case
     * is an error for unknown types; we only know 0 and 1 and treat the rest as int). */
    json_t *v = json_integer(ival);
    if (v == NULL)
        return pb_fail(c, AZ_EINTERNAL, "out of memory");
    *ret = v;
    return 0;
}

/* Standard base64 with padding, as Go's encoding/json prints []byte. */
static int pb_base64(struct pb_ctx *c, const uint8_t *p, size_t n, json_t **ret)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t out_len = (n + 2) / 3 * 4;
    char *out = malloc(out_len + 1);
    if (out == NULL)
        return pb_fail(c, AZ_EINTERNAL, "out of memory");
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t b = (uint32_t)p[i] << 16;
        if (i + 1 < n)
            b |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < n)
            b |= p[i + 2];
        out[o++] = tbl[(b >> 18) & 63];
        out[o++] = tbl[(b >> 12) & 63];
        out[o++] = i + 1 < n ? tbl[(b >> 6) & 63] : '=';
        out[o++] = i + 2 < n ? tbl[b & 63] : '=';
    }
    out[o] = '\0';
    json_t *s = json_stringn_nocheck(out, o);
    free(out);
    if (s == NULL)
        return pb_fail(c, AZ_EINTERNAL, "out of memory");
    *ret = s;
    return 0;
}

/* ---- messages ------------------------------------------------------------------------- */

static int pb_decode_message(struct pb_ctx *c, const struct pb_message *m, const uint8_t *p,
                             size_t n, json_t *obj, int depth);

static const struct pb_field *pb_find_field(const struct pb_message *m, uint32_t number)
{
    for (size_t i = 0; i < m->n_fields; i++)
        if (m->fields[i].number == number)
            return &m->fields[i];
    return NULL;
}

static unsigned pb_wire_type(enum pb_type t)
{
    switch (t) {
    case PB_BOOL:
    case PB_INT64:
    case PB_INT32:
        return 0;
    case PB_STRING:
    case PB_TIME:
    case PB_MICROTIME:
    case PB_QUANTITY:
    case PB_INT_OR_STRING:
    case PB_MESSAGE:
    case PB_STRING_MAP:
    case PB_EXTRA_MAP:
    case PB_BYTES_MAP:
    case PB_QUANTITY_MAP:
        return 2;
    }
    return 2;
}

/* Returns obj[key], creating it with `make` when absent. NULL only on allocation failure. */
static json_t *pb_member(json_t *obj, const char *key, json_t *(*make)(void))
{
    json_t *v = json_object_get(obj, key);
    if (v != NULL)
        return v;
    v = make();
    if (v == NULL || json_object_set_new(obj, key, v) != 0)
        return NULL;
    return v;
}

/* Decodes one map entry { 1 key, 2 value } into the JSON object `map`. */
static int pb_map_entry(struct pb_ctx *c, const struct pb_field *f, const uint8_t *p, size_t n,
                        json_t *map)
{
    struct pb_reader r = { p, p + n };
    const uint8_t *key = (const uint8_t *)"";
    size_t key_len = 0;
    json_t *value = NULL;
    int rc = 0;
    while (r.p < r.end) {
        uint32_t number;
        unsigned wire;
        rc = pb_read_tag(c, &r, f->json, &number, &wire);
        if (rc != 0)
            goto out;
        if (number != 1 && number != 2) {
            rc = pb_skip(c, &r, wire);
            if (rc != 0)
                goto out;
            continue;
        }
        if (wire != 2) {
            rc = pb_fail(c, AZ_EBADREQUEST, "proto: wrong wireType = %u for %s entry field %u",
                         wire, f->json, (unsigned)number);
            goto out;
        }
        const uint8_t *vp;
        size_t vn;
        rc = pb_read_bytes(c, &r, &vp, &vn);
        if (rc != 0)
            goto out;
        if (number == 1) {
            if (!pb_utf8_valid(vp, vn)) {
                rc = pb_fail(c, AZ_EBADREQUEST,
                             "proto: %s: key is not valid UTF-8 or contains NUL", f->json);
                goto out;
            }
            key = vp;
            key_len = vn;
            continue;
        }
        json_decref(value);
        value = NULL;
        if (f->type == PB_STRING_MAP) {
            rc = pb_string(c, f->json, vp, vn, &value);
        } else if (f->type == PB_BYTES_MAP) {
            rc = pb_base64(c, vp, vn, &value);
        } else if (f->type == PB_QUANTITY_MAP) {
            rc = pb_quantity(c, vp, vn, &value);
        } else {
            /* ExtraValue { repeated string items = 1 } */
            value = json_array();
            if (value == NULL) {
                rc = pb_fail(c, AZ_EINTERNAL, "out of memory");
                goto out;
            }
            struct pb_reader er = { vp, vp + vn };
            while (rc == 0 && er.p < er.end) {
                uint32_t en;
                unsigned ew;
                const uint8_t *ip;
                size_t in;
                json_t *item;
                rc = pb_read_tag(c, &er, "ExtraValue", &en, &ew);
                if (rc != 0)
                    break;
                if (en != 1) {
                    rc = pb_skip(c, &er, ew);
                    continue;
                }
                if (ew != 2) {
                    rc = pb_fail(c, AZ_EBADREQUEST,
                                 "proto: wrong wireType = %u for field Items", ew);
                    break;
                }
                rc = pb_read_bytes(c, &er, &ip, &in);
                if (rc == 0)
                    rc = pb_count(c);
                if (rc == 0)
                    rc = pb_string(c, f->json, ip, in, &item);
                if (rc == 0 && json_array_append_new(value, item) != 0)
                    rc = pb_fail(c, AZ_EINTERNAL, "out of memory");
            }
        }
        if (rc != 0)
            goto out;
    }
    if (value == NULL) {
        /* Entry without a value: Go's zero value of the map's value type. */
        if (f->type == PB_QUANTITY_MAP)
            value = json_string("0");
        else if (f->type == PB_EXTRA_MAP)
            value = json_array();
        else
            value = json_string("");
        if (value == NULL) {
            rc = pb_fail(c, AZ_EINTERNAL, "out of memory");
            goto out;
        }
    }
    if (json_object_setn_new_nocheck(map, (const char *)key, key_len, value) != 0) {
        value = NULL;
        rc = pb_fail(c, AZ_EINTERNAL, "out of memory");
        goto out;
    }
    value = NULL;
out:
    json_decref(value);
    return rc;
}

/* Decodes the value of one known field at r into obj (merge semantics, see protobuf.h). */
static int pb_decode_field(struct pb_ctx *c, const struct pb_field *f, struct pb_reader *r,
                           json_t *obj, int depth)
{
    uint64_t v;
    const uint8_t *p;
    size_t n;
    json_t *val = NULL, *container;
    int rc = pb_count(c);
    if (rc != 0)
        return rc;

    switch (f->type) {
    case PB_BOOL:
    case PB_INT64:
    case PB_INT32:
        rc = pb_read_varint(c, r, &v);
        if (rc != 0)
            return rc;
        if (f->type == PB_INT32)
            v = (uint64_t)(int64_t)(int32_t)v;
        if (v == 0 && (f->flags & PB_OMITEMPTY) && !(f->flags & (PB_POINTER | PB_REPEATED))) {
            json_object_del(obj, f->json);
            return 0;
        }
        val = f->type == PB_BOOL ? json_boolean(v != 0) : json_integer((json_int_t)(int64_t)v);
        break;
    case PB_STRING:
        rc = pb_read_bytes(c, r, &p, &n);
        if (rc == 0)
            rc = pb_string(c, f->json, p, n, &val);
        if (rc != 0)
            return rc;
        if (n == 0 && (f->flags & PB_OMITEMPTY) && !(f->flags & PB_REPEATED)) {
            json_decref(val);
            json_object_del(obj, f->json);
            return 0;
        }
        break;
    case PB_TIME:
    case PB_MICROTIME:
        rc = pb_read_bytes(c, r, &p, &n);
        if (rc == 0)
            rc = pb_time(c, p, n, f->type == PB_MICROTIME, &val);
        if (rc != 0)
            return rc;
        break;
    case PB_QUANTITY:
        rc = pb_read_bytes(c, r, &p, &n);
        if (rc == 0)
            rc = pb_quantity(c, p, n, &val);
        if (rc != 0)
            return rc;
        break;
    case PB_INT_OR_STRING:
        rc = pb_read_bytes(c, r, &p, &n);
        if (rc == 0)
            rc = pb_int_or_string(c, p, n, &val);
        if (rc != 0)
            return rc;
        break;
    case PB_MESSAGE:
        rc = pb_read_bytes(c, r, &p, &n);
        if (rc != 0)
            return rc;
        if (f->flags & PB_REPEATED) {
            val = json_object();
            if (val == NULL)
                return pb_fail(c, AZ_EINTERNAL, "out of memory");
            rc = pb_decode_message(c, f->message, p, n, val, depth + 1);
            if (rc != 0) {
                json_decref(val);
                return rc;
            }
            break;
        }
        container = (f->flags & PB_INLINE) ? obj : pb_member(obj, f->json, json_object);
        if (container == NULL)
            return pb_fail(c, AZ_EINTERNAL, "out of memory");
        return pb_decode_message(c, f->message, p, n, container, depth + 1);
    case PB_STRING_MAP:
    case PB_EXTRA_MAP:
    case PB_BYTES_MAP:
    case PB_QUANTITY_MAP:
        rc = pb_read_bytes(c, r, &p, &n);
        if (rc != 0)
            return rc;
        container = pb_member(obj, f->json, json_object);
        if (container == NULL)
            return pb_fail(c, AZ_EINTERNAL, "out of memory");
        return pb_map_entry(c, f, p, n, container);
    }

    if (val == NULL)
        return pb_fail(c, AZ_EINTERNAL, "out of memory");
    if (f->flags & PB_REPEATED) {
        container = pb_member(obj, f->json, json_array);
        if (container == NULL || json_array_append_new(container, val) != 0)
            return pb_fail(c, AZ_EINTERNAL, "out of memory");
        return 0;
    }
    if (json_object_set_new(obj, f->json, val) != 0)
        return pb_fail(c, AZ_EINTERNAL, "out of memory");
    return 0;
}

/* Decodes the message bytes p[0..n) described by m into obj, merging with its content. */
static int pb_decode_message(struct pb_ctx *c, const struct pb_message *m, const uint8_t *p,
                             size_t n, json_t *obj, int depth)
{
    if (depth > PB_MAX_DEPTH)
        return pb_fail(c, AZ_EBADREQUEST, "proto: messages nested too deeply");
    struct pb_reader r = { p, p + n };
    while (r.p < r.end) {
        uint32_t number;
        unsigned wire;
        int rc = pb_read_tag(c, &r, m->name, &number, &wire);
        if (rc != 0)
            return rc;
        const struct pb_field *f = pb_find_field(m, number);
        if (f == NULL) {
            rc = pb_skip(c, &r, wire);
        } else if (wire == 2 && pb_wire_type(f->type) == 0 && (f->flags & PB_REPEATED)) {
            /* Packed repeated scalars: one length-delimited run of varints. */
            const uint8_t *pp;
            size_t pn;
            rc = pb_read_bytes(c, &r, &pp, &pn);
            struct pb_reader pr = { pp, pp + pn };
            while (rc == 0 && pr.p < pr.end)
                rc = pb_decode_field(c, f, &pr, obj, depth);
        } else if (wire != pb_wire_type(f->type)) {
            rc = pb_fail(c, AZ_EBADREQUEST, "proto: wrong wireType = %u for field %s.%s", wire,
                         m->name, f->json);
        } else {
            rc = pb_decode_field(c, f, &r, obj, depth);
        }
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* Adds what Go's encoding/json prints for fields absent from the wire, recursively. */
static int pb_finalize(struct pb_ctx *c, const struct pb_message *m, json_t *obj, int depth)
{
    if (depth > PB_MAX_DEPTH)
        return pb_fail(c, AZ_EINTERNAL, "schema nested too deeply");
    for (size_t i = 0; i < m->n_fields; i++) {
        const struct pb_field *f = &m->fields[i];
        bool omit = (f->flags & PB_OMITEMPTY) != 0;
        json_t *v, *def = NULL;
        int rc;

        if (f->flags & PB_INLINE) {
            /* Embedded struct: its fields live in obj itself. */
            rc = pb_finalize(c, f->message, obj, depth + 1);
            if (rc != 0)
                return rc;
            continue;
        }
        v = json_object_get(obj, f->json);

        if (v != NULL) {
            if (f->type != PB_MESSAGE)
                continue;
            if (f->flags & PB_REPEATED) {
                size_t k;
                json_t *elem;
                json_array_foreach(v, k, elem) {
                    rc = pb_finalize(c, f->message, elem, depth + 1);
                    if (rc != 0)
                        return rc;
                }
                continue;
            }
            rc = pb_finalize(c, f->message, v, depth + 1);
            if (rc != 0)
                return rc;
            continue;
        }

        /* Absent: nil slices, maps and pointers print null unless omitempty. */
        if ((f->flags & (PB_REPEATED | PB_POINTER)) || f->type == PB_STRING_MAP ||
            f->type == PB_EXTRA_MAP || f->type == PB_BYTES_MAP || f->type == PB_QUANTITY_MAP) {
            if (omit)
                continue;
            def = json_null();
        } else {
            switch (f->type) {
            case PB_STRING:
                def = omit ? NULL : json_string("");
                break;
            case PB_BOOL:
                def = omit ? NULL : json_false();
                break;
            case PB_INT64:
            case PB_INT32:
                def = omit ? NULL : json_integer(0);
                break;
            case PB_TIME: /* a struct: always printed, null when zero */
            case PB_MICROTIME:
                def = json_null();
                break;
            case PB_QUANTITY: /* a struct: always printed, the zero Quantity is "0" */
                def = json_string("0");
                break;
            case PB_INT_OR_STRING: /* a struct: always printed, the zero value is 0 */
                def = json_integer(0);
                break;
            case PB_MESSAGE: /* a struct: always printed */
                def = json_object();
                if (def == NULL)
                    return pb_fail(c, AZ_EINTERNAL, "out of memory");
                rc = pb_finalize(c, f->message, def, depth + 1);
                if (rc != 0) {
                    json_decref(def);
                    return rc;
                }
                break;
            case PB_STRING_MAP:
            case PB_EXTRA_MAP:
            case PB_BYTES_MAP:
            case PB_QUANTITY_MAP:
                break;
            }
            if (def == NULL) {
                if (f->type == PB_QUANTITY || f->type == PB_INT_OR_STRING)
                    return pb_fail(c, AZ_EINTERNAL, "out of memory");
                continue;
            }
        }
        if (json_object_set_new(obj, f->json, def) != 0)
            return pb_fail(c, AZ_EINTERNAL, "out of memory");
    }
    return 0;
}

/* ---- envelope ------------------------------------------------------------------------- */

/* The fields of runtime.Unknown this decoder uses; pointers into the body. */
struct pb_unknown {
    const uint8_t *api_version;
    size_t api_version_len;
    const uint8_t *kind;
    size_t kind_len;
    const uint8_t *raw;
    size_t raw_len;
};

static int pb_decode_type_meta(struct pb_ctx *c, const uint8_t *p, size_t n,
                               struct pb_unknown *u)
{
    struct pb_reader r = { p, p + n };
    while (r.p < r.end) {
        uint32_t number;
        unsigned wire;
        int rc = pb_read_tag(c, &r, "TypeMeta", &number, &wire);
        if (rc != 0)
            return rc;
        if (number != 1 && number != 2) {
            rc = pb_skip(c, &r, wire);
            if (rc != 0)
                return rc;
            continue;
        }
        if (wire != 2)
            return pb_fail(c, AZ_EBADREQUEST, "proto: wrong wireType = %u for field %s", wire,
                           number == 1 ? "APIVersion" : "Kind");
        const uint8_t *vp;
        size_t vn;
        rc = pb_read_bytes(c, &r, &vp, &vn);
        if (rc != 0)
            return rc;
        if (!pb_utf8_valid(vp, vn))
            return pb_fail(c, AZ_EBADREQUEST,
                           "proto: TypeMeta: string is not valid UTF-8 or contains NUL");
        if (number == 1) {
            u->api_version = vp;
            u->api_version_len = vn;
        } else {
            u->kind = vp;
            u->kind_len = vn;
        }
    }
    return 0;
}

static int pb_decode_unknown(struct pb_ctx *c, const uint8_t *p, size_t n, struct pb_unknown *u)
{
    struct pb_reader r = { p, p + n };
    while (r.p < r.end) {
        uint32_t number;
        unsigned wire;
        int rc = pb_read_tag(c, &r, "Unknown", &number, &wire);
        if (rc != 0)
            return rc;
        if (number < 1 || number > 4) {
            rc = pb_skip(c, &r, wire);
            if (rc != 0)
                return rc;
            continue;
        }
        if (wire != 2) {
            static const char *const names[] = { "", "TypeMeta", "Raw", "ContentEncoding",
                                                 "ContentType" };
            return pb_fail(c, AZ_EBADREQUEST, "proto: wrong wireType = %u for field %s", wire,
                           names[number]);
        }
        const uint8_t *vp;
        size_t vn;
        rc = pb_read_bytes(c, &r, &vp, &vn);
        if (rc != 0)
            return rc;
        if (number == 1) {
            rc = pb_decode_type_meta(c, vp, vn, u); /* nested message: fields merge */
            if (rc != 0)
                return rc;
        } else if (number == 2) {
            u->raw = vp;
            u->raw_len = vn;
        }
        /* 3 contentEncoding, 4 contentType: ignored, as upstream's decoder does. */
    }
    return 0;
}

static bool pb_equal(const uint8_t *p, size_t n, const char *s)
{
    return strlen(s) == n && memcmp(p, s, n) == 0;
}

int k8s_protobuf_has_magic(const uint8_t *buf, size_t len)
{
    return buf != NULL && len >= sizeof(pb_magic) && memcmp(buf, pb_magic, sizeof(pb_magic)) == 0;
}

static int pb_decode_body(struct pb_ctx *c, const uint8_t *buf, size_t len, json_t **ret)
{
    static const uint8_t empty[1];
    /* Absent fields are empty, never NULL: p + 0 on a null pointer is undefined. */
    struct pb_unknown u = { empty, 0, empty, 0, empty, 0 };
    json_t *obj = NULL;
    int rc;

    if (len > K8S_PROTOBUF_MAX_BODY)
        return pb_fail(c, AZ_ETOOLARGE, "the protobuf body is larger than %u bytes",
                       K8S_PROTOBUF_MAX_BODY);
    if (len == 0 || buf == NULL)
        return pb_fail(c, AZ_EBADREQUEST, "empty data");
    if (!k8s_protobuf_has_magic(buf, len))
        return pb_fail(c, AZ_EBADREQUEST, "provided data does not appear to be a protobuf "
                                          "message, expected prefix [107 56 115 0]");
    if (len == sizeof(pb_magic))
        return pb_fail(c, AZ_EBADREQUEST, "empty body");
    rc = pb_decode_unknown(c, buf + sizeof(pb_magic), len - sizeof(pb_magic), &u);
    if (rc != 0)
        return rc;

    if (u.kind_len == 0)
        return pb_fail(c, AZ_EBADREQUEST,
                       "Object 'Kind' is missing in 'runtime.TypeMeta{APIVersion:\"%.*s\", "
                       "Kind:\"\"}'",
                       (int)(u.api_version_len > 100 ? 100 : u.api_version_len),
                       (const char *)u.api_version);
    if (u.api_version_len == 0)
        return pb_fail(c, AZ_EBADREQUEST,
                       "Object 'apiVersion' is missing in 'runtime.TypeMeta{APIVersion:\"\", "
                       "Kind:\"%.*s\"}'",
                       (int)(u.kind_len > 100 ? 100 : u.kind_len), (const char *)u.kind);

    const struct pb_kind *k = NULL;
    for (size_t i = 0; i < ARRAY_SIZE(pb_kinds); i++) {
        if (pb_equal(u.api_version, u.api_version_len, pb_kinds[i].api_version) &&
            pb_equal(u.kind, u.kind_len, pb_kinds[i].kind)) {
            k = &pb_kinds[i];
            break;
        }
    }
    if (k == NULL)
        return pb_fail(c, AZ_EMEDIATYPE,
                       "the body of the request was in an unknown format - accepted media "
                       "types include: application/json, application/yaml (this server "
                       "decodes application/vnd.kubernetes.protobuf only for the kinds "
                       "kubectl's typed commands send, not kind \"%.*s\" in \"%.*s\")",
                       (int)(u.kind_len > 100 ? 100 : u.kind_len), (const char *)u.kind,
                       (int)(u.api_version_len > 100 ? 100 : u.api_version_len),
                       (const char *)u.api_version);

    obj = json_object();
    if (obj == NULL || json_object_set_new(obj, "kind", json_string(k->kind)) != 0 ||
        json_object_set_new(obj, "apiVersion", json_string(k->api_version)) != 0) {
        json_decref(obj);
        return pb_fail(c, AZ_EINTERNAL, "out of memory");
    }
    rc = pb_decode_message(c, k->message, u.raw, u.raw_len, obj, 0);
    if (rc == 0)
        rc = pb_finalize(c, k->message, obj, 0);
    if (rc != 0) {
        /* Wrap like upstream's create handler does for a decode error of a known kind. */
        char detail[sizeof(c->err)];
        memcpy(detail, c->err, sizeof(detail));
        snprintf(c->err, sizeof(c->err), "%s in version \"%s\" cannot be handled as a %s: %.300s",
                 k->kind, k->version, k->kind, detail);
        json_decref(obj);
        return rc;
    }
    *ret = obj;
    return 0;
}

int k8s_protobuf_decode(const uint8_t *buf, size_t len, json_t **ret, char **ret_err)
{
    struct pb_ctx c = { 0 };
    json_t *obj = NULL;
    int rc = pb_decode_body(&c, buf, len, &obj);
    if (rc != 0) {
        if (ret_err != NULL) {
            *ret_err = strdup(c.err);
            if (*ret_err == NULL)
                abort();
        }
        return rc;
    }
    *ret = obj;
    if (ret_err != NULL)
        *ret_err = NULL;
    return 0;
}
