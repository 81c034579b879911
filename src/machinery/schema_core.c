/* schema_core.c — the data half of schema.h: one static table of structural schemas for
 * every kind anzen serves, transcribed from upstream v1.32 Go types (k8s.io/api core/v1,
 * batch/v1, rbac/v1, coordination/v1, authentication/v1, authorization/v1 and apimachinery
 * meta/v1). JSON names come from the `json:"..."` tags; patch_merge_key / patch_strategy from
 * the `patchMergeKey` / `patchStrategy` tags; list_type from `+listType` markers.
 *
 * Layout: leaf types first, each object defined before any object that uses it, so no
 * forward declarations are needed. Arrays and maps are anonymous file-scope compound literals
 * (static storage) built by the LIST/ATOMIC/KEYED/SET/MAP macros.
 *
 * The functions over this table live in schema.c. The root types (ROOT) have external linkage
 * and are named by the resource rows (api/resource.c), which are the kind index. */
#include <stddef.h>
#include "machinery/schema.h"

/* ---- building blocks ------------------------------------------------------------------ */

#define OBJECT(var, ref, ...)                                                              \
    static const struct schema_field var##__fields[] = {__VA_ARGS__, {NULL, NULL}};        \
    static const struct schema_node var = {.type = SCHEMA_OBJECT, .ref_name = (ref),       \
                                           .fields = var##__fields}

/* A root type other modules name (resource rows, openapi.c): external linkage. */
#define ROOT(var, ref, ...)                                                                \
    static const struct schema_field var##__fields[] = {__VA_ARGS__, {NULL, NULL}};        \
    const struct schema_node var = {.type = SCHEMA_OBJECT, .ref_name = (ref),              \
                                    .fields = var##__fields}

#define OBJECT_INL_ATOMIC(var, ref, inl, ...)                                              \
    static const struct schema_field var##__fields[] = {__VA_ARGS__, {NULL, NULL}};        \
    static const struct schema_node var = {.type = SCHEMA_OBJECT, .ref_name = (ref),       \
                                           .fields = var##__fields, .pb_inline = (inl),    \
                                           .struct_atomic = true}

/* +structType=atomic objects (x-kubernetes-map-type: atomic): replaced as a whole. */
#define OBJECT_ATOMIC(var, ref, ...)                                                       \
    static const struct schema_field var##__fields[] = {__VA_ARGS__, {NULL, NULL}};        \
    static const struct schema_node var = {.type = SCHEMA_OBJECT, .ref_name = (ref),       \
                                           .fields = var##__fields, .struct_atomic = true}

/* An object whose Go struct embeds another with json:",inline" (fields with PBV). */
#define OBJECT_INL(var, ref, inl, ...)                                                     \
    static const struct schema_field var##__fields[] = {__VA_ARGS__, {NULL, NULL}};        \
    static const struct schema_node var = {.type = SCHEMA_OBJECT, .ref_name = (ref),       \
                                           .fields = var##__fields, .pb_inline = (inl)}

/* A field: JSON name, type, then optionally its protobuf description PB(number, traits) or
 * PBV(number of the embedded struct, number, traits), or only traits TR(traits) (I64: an
 * int64 not decoded from protobuf). Integers are int32 unless I64. */
#define F(json, node, ...) {.name = (json), .type = (node), __VA_ARGS__}
#define PB(num, tr) .pb = (num), .traits = (tr)
#define PBV(via, num, tr) .pb = (num), .pb_via = (via), .traits = (tr)
#define OMIT SCHEMA_OMITEMPTY
#define PTR SCHEMA_POINTER
#define I64 SCHEMA_INT64
#define TR(tr) .traits = (tr)
#define BYTES SCHEMA_BYTES
#define MICRO SCHEMA_MICRO

/* plain list, no markers */
#define LIST(item) (&(const struct schema_node){.type = SCHEMA_ARRAY, .items = (item)})
/* +listType=atomic */
#define ATOMIC(item) \
    (&(const struct schema_node){.type = SCHEMA_ARRAY, .items = (item), .list_type = "atomic"})
/* +listType=set with patchStrategy=merge (finalizers, podCIDRs) */
#define MERGE_SET(item)                                                                    \
    (&(const struct schema_node){.type = SCHEMA_ARRAY, .items = (item),                    \
                                 .patch_strategy = "merge", .list_type = "set"})
/* +listType=set */
#define SET(item) \
    (&(const struct schema_node){.type = SCHEMA_ARRAY, .items = (item), .list_type = "set"})
/* patchMergeKey=key patchStrategy=strat, +listType=map */
#define KEYED(item, key, strat)                                                            \
    (&(const struct schema_node){.type = SCHEMA_ARRAY, .items = (item),                    \
                                 .patch_merge_key = (key), .patch_strategy = (strat),      \
                                 .list_type = "map"})
/* as KEYED, with a second +listMapKey (key2, default JSON text or NULL) */
#define KEYED2(item, key, key2, default2, strat)                                           \
    (&(const struct schema_node){.type = SCHEMA_ARRAY, .items = (item),                    \
                                 .patch_merge_key = (key), .patch_strategy = (strat),      \
                                 .list_type = "map", .list_map_keys = {(key), (key2)},     \
                                 .list_map_key_defaults = {NULL, (default2)}})
/* patchMergeKey=key patchStrategy=strat with no listType marker */
#define KEYED_NOLT(item, key, strat)                                                       \
    (&(const struct schema_node){.type = SCHEMA_ARRAY, .items = (item),                    \
                                 .patch_merge_key = (key), .patch_strategy = (strat)})
/* +listType=map without patch tags (server-side apply only) */
#define MAPLIST(item) \
    (&(const struct schema_node){.type = SCHEMA_ARRAY, .items = (item), .list_type = "map"})
#define MAP(item) (&(const struct schema_node){.type = SCHEMA_MAP, .items = (item)})

#define META "io.k8s.apimachinery.pkg.apis.meta.v1."
#define CORE "io.k8s.api.core.v1."
#define BATCH "io.k8s.api.batch.v1."
#define RBAC "io.k8s.api.rbac.v1."
#define COORD "io.k8s.api.coordination.v1."
#define AUTHN "io.k8s.api.authentication.v1."
#define AUTHZ "io.k8s.api.authorization.v1."

/* ---- primitives ---------------------------------------------------------------------- */

static const struct schema_node t_any = {.type = SCHEMA_ANY};
static const struct schema_node t_string = {.type = SCHEMA_STRING};
static const struct schema_node t_int = {.type = SCHEMA_INTEGER};
static const struct schema_node t_bool = {.type = SCHEMA_BOOLEAN};
static const struct schema_node t_ios = {.type = SCHEMA_INT_OR_STRING};
static const struct schema_node t_qty = {.type = SCHEMA_QUANTITY};
static const struct schema_node t_time = {.type = SCHEMA_TIME};

#define STRINGS ATOMIC(&t_string)
#define STRING_MAP MAP(&t_string)
#define QTY_MAP MAP(&t_qty)

/* ---- meta/v1 ------------------------------------------------------------------------- */

OBJECT(meta_owner_reference, META "OwnerReference",
       F("apiVersion", &t_string, PB(5, 0)), F("kind", &t_string, PB(1, 0)), F("name", &t_string, PB(3, 0)),
       F("uid", &t_string, PB(4, 0)), F("controller", &t_bool, PB(6, OMIT | PTR)), F("blockOwnerDeletion", &t_bool, PB(7, OMIT | PTR)));

OBJECT(meta_managed_fields_entry, META "ManagedFieldsEntry",
       F("manager", &t_string), F("operation", &t_string), F("apiVersion", &t_string),
       F("time", &t_time), F("fieldsType", &t_string), F("fieldsV1", &t_any),
       F("subresource", &t_string));

OBJECT(meta_object_meta, META "ObjectMeta",
       F("name", &t_string, PB(1, OMIT)), F("generateName", &t_string, PB(2, OMIT)), F("namespace", &t_string, PB(3, OMIT)),
       F("selfLink", &t_string, PB(4, OMIT)), F("uid", &t_string, PB(5, OMIT)), F("resourceVersion", &t_string, PB(6, OMIT)),
       F("generation", &t_int, PB(7, OMIT | I64)), F("creationTimestamp", &t_time, PB(8, OMIT)),
       F("deletionTimestamp", &t_time, PB(9, OMIT | PTR)), F("deletionGracePeriodSeconds", &t_int, PB(10, OMIT | PTR | I64)),
       F("labels", STRING_MAP, PB(11, OMIT)), F("annotations", STRING_MAP, PB(12, OMIT)),
       F("ownerReferences", KEYED(&meta_owner_reference, "uid", "merge"), PB(13, OMIT)),
       F("finalizers", MERGE_SET(&t_string), PB(14, OMIT)),
       F("managedFields", ATOMIC(&meta_managed_fields_entry)));

ROOT(schema_list_meta, META "ListMeta",
       F("selfLink", &t_string), F("resourceVersion", &t_string), F("continue", &t_string),
       F("remainingItemCount", &t_int, TR(I64)));

OBJECT(meta_label_selector_requirement, META "LabelSelectorRequirement",
       F("key", &t_string, PB(1, 0)), F("operator", &t_string, PB(2, 0)), F("values", STRINGS, PB(3, OMIT)));

OBJECT_ATOMIC(meta_label_selector, META "LabelSelector",
       F("matchLabels", STRING_MAP, PB(1, OMIT)),
       F("matchExpressions", ATOMIC(&meta_label_selector_requirement), PB(2, OMIT)));

OBJECT(meta_status_cause, META "StatusCause",
       F("reason", &t_string), F("message", &t_string), F("field", &t_string));

OBJECT(meta_status_details, META "StatusDetails",
       F("name", &t_string), F("group", &t_string), F("kind", &t_string), F("uid", &t_string),
       F("causes", ATOMIC(&meta_status_cause)), F("retryAfterSeconds", &t_int));

ROOT(schema_status, META "Status",
       F("apiVersion", &t_string), F("kind", &t_string), F("metadata", &schema_list_meta),
       F("status", &t_string), F("message", &t_string), F("reason", &t_string),
       F("details", &meta_status_details), F("code", &t_int));

OBJECT(meta_preconditions, META "Preconditions",
       F("uid", &t_string, PB(1, OMIT | PTR)), F("resourceVersion", &t_string, PB(2, OMIT | PTR)));

/* DeleteOptions embeds only TypeMeta upstream: it has no metadata field. */
ROOT(schema_delete_options, META "DeleteOptions",
       F("apiVersion", &t_string), F("kind", &t_string), F("gracePeriodSeconds", &t_int, PB(1, OMIT | PTR | I64)),
       F("preconditions", &meta_preconditions, PB(2, OMIT | PTR)), F("orphanDependents", &t_bool, PB(3, OMIT | PTR)),
       F("propagationPolicy", &t_string, PB(4, OMIT | PTR)), F("dryRun", STRINGS, PB(5, OMIT)),
       F("ignoreStoreReadErrorWithClusterBreakingPotential", &t_bool, PB(6, OMIT | PTR)));

/* ---- core/v1: references and small helpers ------------------------------------------- */

OBJECT_ATOMIC(core_object_reference, CORE "ObjectReference",
       F("kind", &t_string, PB(1, OMIT)), F("namespace", &t_string, PB(2, OMIT)), F("name", &t_string, PB(3, OMIT)),
       F("uid", &t_string, PB(4, OMIT)), F("apiVersion", &t_string, PB(5, OMIT)), F("resourceVersion", &t_string, PB(6, OMIT)),
       F("fieldPath", &t_string, PB(7, OMIT)));

OBJECT_ATOMIC(core_local_object_reference, CORE "LocalObjectReference", F("name", &t_string, PB(1, OMIT)));

OBJECT_ATOMIC(core_typed_local_object_reference, CORE "TypedLocalObjectReference",
       F("apiGroup", &t_string), F("kind", &t_string), F("name", &t_string));

OBJECT(core_typed_object_reference, CORE "TypedObjectReference",
       F("apiGroup", &t_string), F("kind", &t_string), F("name", &t_string),
       F("namespace", &t_string));

OBJECT_ATOMIC(core_object_field_selector, CORE "ObjectFieldSelector",
       F("apiVersion", &t_string, PB(1, OMIT)), F("fieldPath", &t_string, PB(2, 0)));

OBJECT_ATOMIC(core_resource_field_selector, CORE "ResourceFieldSelector",
       F("containerName", &t_string, PB(1, OMIT)), F("resource", &t_string, PB(2, 0)), F("divisor", &t_qty, PB(3, OMIT)));

OBJECT_INL_ATOMIC(core_config_map_key_selector, CORE "ConfigMapKeySelector", "LocalObjectReference",
       F("name", &t_string, PBV(1, 1, OMIT)), F("key", &t_string, PB(2, 0)), F("optional", &t_bool, PB(3, OMIT | PTR)));

OBJECT_INL_ATOMIC(core_secret_key_selector, CORE "SecretKeySelector", "LocalObjectReference",
       F("name", &t_string, PBV(1, 1, OMIT)), F("key", &t_string, PB(2, 0)), F("optional", &t_bool, PB(3, OMIT | PTR)));

OBJECT(core_key_to_path, CORE "KeyToPath",
       F("key", &t_string, PB(1, 0)), F("path", &t_string, PB(2, 0)), F("mode", &t_int, PB(3, OMIT | PTR)));

/* ---- core/v1: containers ------------------------------------------------------------- */

OBJECT(core_container_port, CORE "ContainerPort",
       F("name", &t_string, PB(1, OMIT)), F("hostPort", &t_int, PB(2, OMIT)), F("containerPort", &t_int, PB(3, 0)),
       F("protocol", &t_string, PB(4, OMIT)), F("hostIP", &t_string, PB(5, OMIT)));

OBJECT_INL(core_config_map_env_source, CORE "ConfigMapEnvSource", "LocalObjectReference",
       F("name", &t_string, PBV(1, 1, OMIT)), F("optional", &t_bool, PB(2, OMIT | PTR)));

OBJECT_INL(core_secret_env_source, CORE "SecretEnvSource", "LocalObjectReference",
       F("name", &t_string, PBV(1, 1, OMIT)), F("optional", &t_bool, PB(2, OMIT | PTR)));

OBJECT(core_env_from_source, CORE "EnvFromSource",
       F("prefix", &t_string, PB(1, OMIT)), F("configMapRef", &core_config_map_env_source, PB(2, OMIT | PTR)),
       F("secretRef", &core_secret_env_source, PB(3, OMIT | PTR)));

OBJECT(core_env_var_source, CORE "EnvVarSource",
       F("fieldRef", &core_object_field_selector, PB(1, OMIT | PTR)),
       F("resourceFieldRef", &core_resource_field_selector, PB(2, OMIT | PTR)),
       F("configMapKeyRef", &core_config_map_key_selector, PB(3, OMIT | PTR)),
       F("secretKeyRef", &core_secret_key_selector, PB(4, OMIT | PTR)));

OBJECT(core_env_var, CORE "EnvVar",
       F("name", &t_string, PB(1, 0)), F("value", &t_string, PB(2, OMIT)), F("valueFrom", &core_env_var_source, PB(3, OMIT | PTR)));

OBJECT(core_resource_claim, CORE "ResourceClaim",
       F("name", &t_string, PB(1, 0)), F("request", &t_string, PB(2, OMIT)));

OBJECT(core_resource_requirements, CORE "ResourceRequirements",
       F("limits", QTY_MAP, PB(1, OMIT)), F("requests", QTY_MAP, PB(2, OMIT)),
       F("claims", MAPLIST(&core_resource_claim), PB(3, OMIT)));

OBJECT(core_container_resize_policy, CORE "ContainerResizePolicy",
       F("resourceName", &t_string, PB(1, 0)), F("restartPolicy", &t_string, PB(2, 0)));

OBJECT(core_volume_mount, CORE "VolumeMount",
       F("name", &t_string, PB(1, 0)), F("readOnly", &t_bool, PB(2, OMIT)), F("recursiveReadOnly", &t_string, PB(7, OMIT | PTR)),
       F("mountPath", &t_string, PB(3, 0)), F("subPath", &t_string, PB(4, OMIT)), F("mountPropagation", &t_string, PB(5, OMIT | PTR)),
       F("subPathExpr", &t_string, PB(6, OMIT)));

OBJECT(core_volume_device, CORE "VolumeDevice",
       F("name", &t_string, PB(1, 0)), F("devicePath", &t_string, PB(2, 0)));

OBJECT(core_exec_action, CORE "ExecAction", F("command", STRINGS, PB(1, OMIT)));

OBJECT(core_http_header, CORE "HTTPHeader", F("name", &t_string, PB(1, 0)), F("value", &t_string, PB(2, 0)));

OBJECT(core_http_get_action, CORE "HTTPGetAction",
       F("path", &t_string, PB(1, OMIT)), F("port", &t_ios, PB(2, 0)), F("host", &t_string, PB(3, OMIT)), F("scheme", &t_string, PB(4, OMIT)),
       F("httpHeaders", ATOMIC(&core_http_header), PB(5, OMIT)));

OBJECT(core_tcp_socket_action, CORE "TCPSocketAction",
       F("port", &t_ios, PB(1, 0)), F("host", &t_string, PB(2, OMIT)));

OBJECT(core_grpc_action, CORE "GRPCAction", F("port", &t_int, PB(1, 0)), F("service", &t_string, PB(2, PTR)));

OBJECT(core_sleep_action, CORE "SleepAction", F("seconds", &t_int, PB(1, I64)));

OBJECT_INL(core_probe, CORE "Probe", "ProbeHandler",
       F("exec", &core_exec_action, PBV(1, 1, OMIT | PTR)), F("httpGet", &core_http_get_action, PBV(1, 2, OMIT | PTR)),
       F("tcpSocket", &core_tcp_socket_action, PBV(1, 3, OMIT | PTR)), F("grpc", &core_grpc_action, PBV(1, 4, OMIT | PTR)),
       F("initialDelaySeconds", &t_int, PB(2, OMIT)), F("timeoutSeconds", &t_int, PB(3, OMIT)),
       F("periodSeconds", &t_int, PB(4, OMIT)), F("successThreshold", &t_int, PB(5, OMIT)),
       F("failureThreshold", &t_int, PB(6, OMIT)), F("terminationGracePeriodSeconds", &t_int, PB(7, OMIT | PTR | I64)));

OBJECT(core_lifecycle_handler, CORE "LifecycleHandler",
       F("exec", &core_exec_action, PB(1, OMIT | PTR)), F("httpGet", &core_http_get_action, PB(2, OMIT | PTR)),
       F("tcpSocket", &core_tcp_socket_action, PB(3, OMIT | PTR)), F("sleep", &core_sleep_action, PB(4, OMIT | PTR)));

OBJECT(core_lifecycle, CORE "Lifecycle",
       F("postStart", &core_lifecycle_handler, PB(1, OMIT | PTR)), F("preStop", &core_lifecycle_handler, PB(2, OMIT | PTR)));

OBJECT(core_capabilities, CORE "Capabilities", F("add", STRINGS, PB(1, OMIT)), F("drop", STRINGS, PB(2, OMIT)));

OBJECT(core_selinux_options, CORE "SELinuxOptions",
       F("user", &t_string, PB(1, OMIT)), F("role", &t_string, PB(2, OMIT)), F("type", &t_string, PB(3, OMIT)),
       F("level", &t_string, PB(4, OMIT)));

OBJECT(core_windows_security_context_options, CORE "WindowsSecurityContextOptions",
       F("gmsaCredentialSpecName", &t_string, PB(1, OMIT | PTR)), F("gmsaCredentialSpec", &t_string, PB(2, OMIT | PTR)),
       F("runAsUserName", &t_string, PB(3, OMIT | PTR)), F("hostProcess", &t_bool, PB(4, OMIT | PTR)));

OBJECT(core_seccomp_profile, CORE "SeccompProfile",
       F("type", &t_string, PB(1, 0)), F("localhostProfile", &t_string, PB(2, OMIT | PTR)));

OBJECT(core_apparmor_profile, CORE "AppArmorProfile",
       F("type", &t_string, PB(1, 0)), F("localhostProfile", &t_string, PB(2, OMIT | PTR)));

OBJECT(core_security_context, CORE "SecurityContext",
       F("capabilities", &core_capabilities, PB(1, OMIT | PTR)), F("privileged", &t_bool, PB(2, OMIT | PTR)),
       F("seLinuxOptions", &core_selinux_options, PB(3, OMIT | PTR)),
       F("windowsOptions", &core_windows_security_context_options, PB(10, OMIT | PTR)),
       F("runAsUser", &t_int, PB(4, OMIT | PTR | I64)), F("runAsGroup", &t_int, PB(8, OMIT | PTR | I64)), F("runAsNonRoot", &t_bool, PB(5, OMIT | PTR)),
       F("readOnlyRootFilesystem", &t_bool, PB(6, OMIT | PTR)), F("allowPrivilegeEscalation", &t_bool, PB(7, OMIT | PTR)),
       F("procMount", &t_string, PB(9, OMIT | PTR)), F("seccompProfile", &core_seccomp_profile, PB(11, OMIT | PTR)),
       F("appArmorProfile", &core_apparmor_profile, PB(12, OMIT | PTR)));

/* The fields Container and EphemeralContainer(Common) share, in upstream order. */
#define CONTAINER_FIELDS                                                                   \
    F("name", &t_string, PB(1, 0)), F("image", &t_string, PB(2, OMIT)), F("command", STRINGS, PB(3, OMIT)),                    \
    F("args", STRINGS, PB(4, OMIT)), F("workingDir", &t_string, PB(5, OMIT)),                                        \
    F("ports", KEYED2(&core_container_port, "containerPort", "protocol", "\"TCP\"", "merge"), \
      PB(6, OMIT)),                                                                        \
    F("envFrom", ATOMIC(&core_env_from_source), PB(19, OMIT)),                                           \
    F("env", KEYED_NOLT(&core_env_var, "name", "merge"), PB(7, OMIT)),                                  \
    F("resources", &core_resource_requirements, PB(8, OMIT)),                                           \
    F("resizePolicy", ATOMIC(&core_container_resize_policy), PB(23, OMIT)),                              \
    F("restartPolicy", &t_string, PB(24, OMIT | PTR)),                                                         \
    F("volumeMounts", KEYED_NOLT(&core_volume_mount, "mountPath", "merge"), PB(9, OMIT)),               \
    F("volumeDevices", KEYED_NOLT(&core_volume_device, "devicePath", "merge"), PB(21, OMIT)),            \
    F("livenessProbe", &core_probe, PB(10, OMIT | PTR)), F("readinessProbe", &core_probe, PB(11, OMIT | PTR)),                     \
    F("startupProbe", &core_probe, PB(22, OMIT | PTR)), F("lifecycle", &core_lifecycle, PB(12, OMIT | PTR)),                       \
    F("terminationMessagePath", &t_string, PB(13, OMIT)), F("terminationMessagePolicy", &t_string, PB(20, OMIT)),      \
    F("imagePullPolicy", &t_string, PB(14, OMIT)), F("securityContext", &core_security_context, PB(15, OMIT | PTR)),         \
    F("stdin", &t_bool, PB(16, OMIT)), F("stdinOnce", &t_bool, PB(17, OMIT)), F("tty", &t_bool, PB(18, OMIT))

OBJECT(core_container, CORE "Container", CONTAINER_FIELDS);

OBJECT(core_ephemeral_container, CORE "EphemeralContainer",
       CONTAINER_FIELDS, F("targetContainerName", &t_string));

/* ---- core/v1: volumes ---------------------------------------------------------------- */

OBJECT(core_host_path_volume_source, CORE "HostPathVolumeSource",
       F("path", &t_string, PB(1, 0)), F("type", &t_string, PB(2, OMIT | PTR)));

OBJECT(core_empty_dir_volume_source, CORE "EmptyDirVolumeSource",
       F("medium", &t_string, PB(1, OMIT)), F("sizeLimit", &t_qty, PB(2, OMIT | PTR)));

OBJECT(core_gce_pd_volume_source, CORE "GCEPersistentDiskVolumeSource",
       F("pdName", &t_string), F("fsType", &t_string), F("partition", &t_int),
       F("readOnly", &t_bool));

OBJECT(core_aws_ebs_volume_source, CORE "AWSElasticBlockStoreVolumeSource",
       F("volumeID", &t_string), F("fsType", &t_string), F("partition", &t_int),
       F("readOnly", &t_bool));

OBJECT(core_git_repo_volume_source, CORE "GitRepoVolumeSource",
       F("repository", &t_string), F("revision", &t_string), F("directory", &t_string));

OBJECT(core_secret_volume_source, CORE "SecretVolumeSource",
       F("secretName", &t_string, PB(1, OMIT)), F("items", ATOMIC(&core_key_to_path), PB(2, OMIT)),
       F("defaultMode", &t_int, PB(3, OMIT | PTR)), F("optional", &t_bool, PB(4, OMIT | PTR)));

OBJECT(core_nfs_volume_source, CORE "NFSVolumeSource",
       F("server", &t_string, PB(1, 0)), F("path", &t_string, PB(2, 0)), F("readOnly", &t_bool, PB(3, OMIT)));

OBJECT(core_iscsi_volume_source, CORE "ISCSIVolumeSource",
       F("targetPortal", &t_string), F("iqn", &t_string), F("lun", &t_int),
       F("iscsiInterface", &t_string), F("fsType", &t_string), F("readOnly", &t_bool),
       F("portals", STRINGS), F("chapAuthDiscovery", &t_bool), F("chapAuthSession", &t_bool),
       F("secretRef", &core_local_object_reference), F("initiatorName", &t_string));

OBJECT(core_glusterfs_volume_source, CORE "GlusterfsVolumeSource",
       F("endpoints", &t_string), F("path", &t_string), F("readOnly", &t_bool));

OBJECT(core_pvc_volume_source, CORE "PersistentVolumeClaimVolumeSource",
       F("claimName", &t_string, PB(1, 0)), F("readOnly", &t_bool, PB(2, OMIT)));

OBJECT(core_rbd_volume_source, CORE "RBDVolumeSource",
       F("monitors", STRINGS), F("image", &t_string), F("fsType", &t_string),
       F("pool", &t_string), F("user", &t_string), F("keyring", &t_string),
       F("secretRef", &core_local_object_reference), F("readOnly", &t_bool));

OBJECT(core_flex_volume_source, CORE "FlexVolumeSource",
       F("driver", &t_string), F("fsType", &t_string),
       F("secretRef", &core_local_object_reference), F("readOnly", &t_bool),
       F("options", STRING_MAP));

OBJECT(core_cinder_volume_source, CORE "CinderVolumeSource",
       F("volumeID", &t_string), F("fsType", &t_string), F("readOnly", &t_bool),
       F("secretRef", &core_local_object_reference));

OBJECT(core_cephfs_volume_source, CORE "CephFSVolumeSource",
       F("monitors", STRINGS), F("path", &t_string), F("user", &t_string),
       F("secretFile", &t_string), F("secretRef", &core_local_object_reference),
       F("readOnly", &t_bool));

OBJECT(core_flocker_volume_source, CORE "FlockerVolumeSource",
       F("datasetName", &t_string), F("datasetUUID", &t_string));

OBJECT(core_downward_api_volume_file, CORE "DownwardAPIVolumeFile",
       F("path", &t_string, PB(1, 0)), F("fieldRef", &core_object_field_selector, PB(2, OMIT | PTR)),
       F("resourceFieldRef", &core_resource_field_selector, PB(3, OMIT | PTR)), F("mode", &t_int, PB(4, OMIT | PTR)));

OBJECT(core_downward_api_volume_source, CORE "DownwardAPIVolumeSource",
       F("items", ATOMIC(&core_downward_api_volume_file), PB(1, OMIT)), F("defaultMode", &t_int, PB(2, OMIT | PTR)));

OBJECT(core_fc_volume_source, CORE "FCVolumeSource",
       F("targetWWNs", STRINGS), F("lun", &t_int), F("fsType", &t_string),
       F("readOnly", &t_bool), F("wwids", STRINGS));

OBJECT(core_azure_file_volume_source, CORE "AzureFileVolumeSource",
       F("secretName", &t_string), F("shareName", &t_string), F("readOnly", &t_bool));

OBJECT_INL(core_config_map_volume_source, CORE "ConfigMapVolumeSource", "LocalObjectReference",
       F("name", &t_string, PBV(1, 1, OMIT)), F("items", ATOMIC(&core_key_to_path), PB(2, OMIT)), F("defaultMode", &t_int, PB(3, OMIT | PTR)),
       F("optional", &t_bool, PB(4, OMIT | PTR)));

OBJECT(core_vsphere_volume_source, CORE "VsphereVirtualDiskVolumeSource",
       F("volumePath", &t_string), F("fsType", &t_string), F("storagePolicyName", &t_string),
       F("storagePolicyID", &t_string));

OBJECT(core_quobyte_volume_source, CORE "QuobyteVolumeSource",
       F("registry", &t_string), F("volume", &t_string), F("readOnly", &t_bool),
       F("user", &t_string), F("group", &t_string), F("tenant", &t_string));

OBJECT(core_azure_disk_volume_source, CORE "AzureDiskVolumeSource",
       F("diskName", &t_string), F("diskURI", &t_string), F("cachingMode", &t_string),
       F("fsType", &t_string), F("readOnly", &t_bool), F("kind", &t_string));

OBJECT(core_photon_pd_volume_source, CORE "PhotonPersistentDiskVolumeSource",
       F("pdID", &t_string), F("fsType", &t_string));

OBJECT_INL(core_secret_projection, CORE "SecretProjection", "LocalObjectReference",
       F("name", &t_string, PBV(1, 1, OMIT)), F("items", ATOMIC(&core_key_to_path), PB(2, OMIT)), F("optional", &t_bool, PB(4, OMIT | PTR)));

OBJECT(core_downward_api_projection, CORE "DownwardAPIProjection",
       F("items", ATOMIC(&core_downward_api_volume_file), PB(1, OMIT)));

OBJECT_INL(core_config_map_projection, CORE "ConfigMapProjection", "LocalObjectReference",
       F("name", &t_string, PBV(1, 1, OMIT)), F("items", ATOMIC(&core_key_to_path), PB(2, OMIT)), F("optional", &t_bool, PB(4, OMIT | PTR)));

OBJECT(core_service_account_token_projection, CORE "ServiceAccountTokenProjection",
       F("audience", &t_string, PB(1, OMIT)), F("expirationSeconds", &t_int, PB(2, OMIT | PTR | I64)), F("path", &t_string, PB(3, 0)));

OBJECT(core_cluster_trust_bundle_projection, CORE "ClusterTrustBundleProjection",
       F("name", &t_string), F("signerName", &t_string),
       F("labelSelector", &meta_label_selector), F("optional", &t_bool),
       F("path", &t_string));

OBJECT(core_volume_projection, CORE "VolumeProjection",
       F("secret", &core_secret_projection, PB(1, OMIT | PTR)), F("downwardAPI", &core_downward_api_projection, PB(2, OMIT | PTR)),
       F("configMap", &core_config_map_projection, PB(3, OMIT | PTR)),
       F("serviceAccountToken", &core_service_account_token_projection, PB(4, OMIT | PTR)),
       F("clusterTrustBundle", &core_cluster_trust_bundle_projection));

OBJECT(core_projected_volume_source, CORE "ProjectedVolumeSource",
       F("sources", ATOMIC(&core_volume_projection), PB(1, 0)), F("defaultMode", &t_int, PB(2, OMIT | PTR)));

OBJECT(core_portworx_volume_source, CORE "PortworxVolumeSource",
       F("volumeID", &t_string), F("fsType", &t_string), F("readOnly", &t_bool));

OBJECT(core_scaleio_volume_source, CORE "ScaleIOVolumeSource",
       F("gateway", &t_string), F("system", &t_string),
       F("secretRef", &core_local_object_reference), F("sslEnabled", &t_bool),
       F("protectionDomain", &t_string), F("storagePool", &t_string),
       F("storageMode", &t_string), F("volumeName", &t_string), F("fsType", &t_string),
       F("readOnly", &t_bool));

OBJECT(core_storageos_volume_source, CORE "StorageOSVolumeSource",
       F("volumeName", &t_string), F("volumeNamespace", &t_string), F("fsType", &t_string),
       F("readOnly", &t_bool), F("secretRef", &core_local_object_reference));

OBJECT(core_csi_volume_source, CORE "CSIVolumeSource",
       F("driver", &t_string, PB(1, 0)), F("readOnly", &t_bool, PB(2, OMIT | PTR)), F("fsType", &t_string, PB(3, OMIT | PTR)),
       F("volumeAttributes", STRING_MAP, PB(4, OMIT)),
       F("nodePublishSecretRef", &core_local_object_reference, PB(5, OMIT | PTR)));

OBJECT(core_volume_resource_requirements, CORE "VolumeResourceRequirements",
       F("limits", QTY_MAP), F("requests", QTY_MAP));

OBJECT(core_pvc_spec, CORE "PersistentVolumeClaimSpec",
       F("accessModes", STRINGS), F("selector", &meta_label_selector),
       F("resources", &core_volume_resource_requirements), F("volumeName", &t_string),
       F("storageClassName", &t_string), F("volumeMode", &t_string),
       F("dataSource", &core_typed_local_object_reference),
       F("dataSourceRef", &core_typed_object_reference),
       F("volumeAttributesClassName", &t_string));

OBJECT(core_pvc_template, CORE "PersistentVolumeClaimTemplate",
       F("metadata", &meta_object_meta), F("spec", &core_pvc_spec));

OBJECT(core_ephemeral_volume_source, CORE "EphemeralVolumeSource",
       F("volumeClaimTemplate", &core_pvc_template));

OBJECT(core_image_volume_source, CORE "ImageVolumeSource",
       F("reference", &t_string, PB(1, OMIT)), F("pullPolicy", &t_string, PB(2, OMIT)));

OBJECT_INL(core_volume, CORE "Volume", "VolumeSource",
       F("name", &t_string, PB(1, 0)), F("hostPath", &core_host_path_volume_source, PBV(2, 1, OMIT | PTR)),
       F("emptyDir", &core_empty_dir_volume_source, PBV(2, 2, OMIT | PTR)),
       F("gcePersistentDisk", &core_gce_pd_volume_source),
       F("awsElasticBlockStore", &core_aws_ebs_volume_source),
       F("gitRepo", &core_git_repo_volume_source), F("secret", &core_secret_volume_source, PBV(2, 6, OMIT | PTR)),
       F("nfs", &core_nfs_volume_source, PBV(2, 7, OMIT | PTR)), F("iscsi", &core_iscsi_volume_source),
       F("glusterfs", &core_glusterfs_volume_source),
       F("persistentVolumeClaim", &core_pvc_volume_source, PBV(2, 10, OMIT | PTR)),
       F("rbd", &core_rbd_volume_source), F("flexVolume", &core_flex_volume_source),
       F("cinder", &core_cinder_volume_source), F("cephfs", &core_cephfs_volume_source),
       F("flocker", &core_flocker_volume_source),
       F("downwardAPI", &core_downward_api_volume_source, PBV(2, 16, OMIT | PTR)), F("fc", &core_fc_volume_source),
       F("azureFile", &core_azure_file_volume_source),
       F("configMap", &core_config_map_volume_source, PBV(2, 19, OMIT | PTR)),
       F("vsphereVolume", &core_vsphere_volume_source),
       F("quobyte", &core_quobyte_volume_source),
       F("azureDisk", &core_azure_disk_volume_source),
       F("photonPersistentDisk", &core_photon_pd_volume_source),
       F("projected", &core_projected_volume_source, PBV(2, 26, OMIT | PTR)),
       F("portworxVolume", &core_portworx_volume_source),
       F("scaleIO", &core_scaleio_volume_source),
       F("storageos", &core_storageos_volume_source), F("csi", &core_csi_volume_source, PBV(2, 28, OMIT | PTR)),
       F("ephemeral", &core_ephemeral_volume_source), F("image", &core_image_volume_source, PBV(2, 30, OMIT | PTR)));

/* ---- core/v1: scheduling ------------------------------------------------------------- */

OBJECT(core_node_selector_requirement, CORE "NodeSelectorRequirement",
       F("key", &t_string, PB(1, 0)), F("operator", &t_string, PB(2, 0)), F("values", STRINGS, PB(3, OMIT)));

OBJECT_ATOMIC(core_node_selector_term, CORE "NodeSelectorTerm",
       F("matchExpressions", ATOMIC(&core_node_selector_requirement), PB(1, OMIT)),
       F("matchFields", ATOMIC(&core_node_selector_requirement), PB(2, OMIT)));

OBJECT_ATOMIC(core_node_selector, CORE "NodeSelector",
       F("nodeSelectorTerms", ATOMIC(&core_node_selector_term), PB(1, 0)));

OBJECT(core_preferred_scheduling_term, CORE "PreferredSchedulingTerm",
       F("weight", &t_int, PB(1, 0)), F("preference", &core_node_selector_term, PB(2, 0)));

OBJECT(core_node_affinity, CORE "NodeAffinity",
       F("requiredDuringSchedulingIgnoredDuringExecution", &core_node_selector, PB(1, OMIT | PTR)),
       F("preferredDuringSchedulingIgnoredDuringExecution",
         ATOMIC(&core_preferred_scheduling_term), PB(2, OMIT)));

OBJECT(core_pod_affinity_term, CORE "PodAffinityTerm",
       F("labelSelector", &meta_label_selector, PB(1, OMIT | PTR)), F("namespaces", STRINGS, PB(2, OMIT)),
       F("topologyKey", &t_string, PB(3, 0)), F("namespaceSelector", &meta_label_selector, PB(4, OMIT | PTR)),
       F("matchLabelKeys", STRINGS, PB(5, OMIT)), F("mismatchLabelKeys", STRINGS, PB(6, OMIT)));

OBJECT(core_weighted_pod_affinity_term, CORE "WeightedPodAffinityTerm",
       F("weight", &t_int, PB(1, 0)), F("podAffinityTerm", &core_pod_affinity_term, PB(2, 0)));

OBJECT(core_pod_affinity, CORE "PodAffinity",
       F("requiredDuringSchedulingIgnoredDuringExecution", ATOMIC(&core_pod_affinity_term), PB(1, OMIT)),
       F("preferredDuringSchedulingIgnoredDuringExecution",
         ATOMIC(&core_weighted_pod_affinity_term), PB(2, OMIT)));

OBJECT(core_pod_anti_affinity, CORE "PodAntiAffinity",
       F("requiredDuringSchedulingIgnoredDuringExecution", ATOMIC(&core_pod_affinity_term), PB(1, OMIT)),
       F("preferredDuringSchedulingIgnoredDuringExecution",
         ATOMIC(&core_weighted_pod_affinity_term), PB(2, OMIT)));

OBJECT(core_affinity, CORE "Affinity",
       F("nodeAffinity", &core_node_affinity, PB(1, OMIT | PTR)), F("podAffinity", &core_pod_affinity, PB(2, OMIT | PTR)),
       F("podAntiAffinity", &core_pod_anti_affinity, PB(3, OMIT | PTR)));

OBJECT(core_toleration, CORE "Toleration",
       F("key", &t_string, PB(1, OMIT)), F("operator", &t_string, PB(2, OMIT)), F("value", &t_string, PB(3, OMIT)),
       F("effect", &t_string, PB(4, OMIT)), F("tolerationSeconds", &t_int, PB(5, OMIT | PTR | I64)));

OBJECT(core_host_alias, CORE "HostAlias", F("ip", &t_string, PB(1, 0)), F("hostnames", STRINGS, PB(2, OMIT)));

OBJECT(core_pod_dns_config_option, CORE "PodDNSConfigOption",
       F("name", &t_string, PB(1, OMIT)), F("value", &t_string, PB(2, OMIT | PTR)));

OBJECT(core_pod_dns_config, CORE "PodDNSConfig",
       F("nameservers", STRINGS, PB(1, OMIT)), F("searches", STRINGS, PB(2, OMIT)),
       F("options", ATOMIC(&core_pod_dns_config_option), PB(3, OMIT)));

OBJECT(core_pod_readiness_gate, CORE "PodReadinessGate", F("conditionType", &t_string, PB(1, 0)));

OBJECT(core_topology_spread_constraint, CORE "TopologySpreadConstraint",
       F("maxSkew", &t_int, PB(1, 0)), F("topologyKey", &t_string, PB(2, 0)),
       F("whenUnsatisfiable", &t_string, PB(3, 0)), F("labelSelector", &meta_label_selector, PB(4, OMIT | PTR)),
       F("minDomains", &t_int, PB(5, OMIT | PTR)), F("nodeAffinityPolicy", &t_string, PB(6, OMIT | PTR)),
       F("nodeTaintsPolicy", &t_string, PB(7, OMIT | PTR)), F("matchLabelKeys", STRINGS, PB(8, OMIT)));

OBJECT(core_pod_os, CORE "PodOS", F("name", &t_string, PB(1, 0)));

OBJECT(core_pod_scheduling_gate, CORE "PodSchedulingGate", F("name", &t_string, PB(1, 0)));

OBJECT(core_pod_resource_claim, CORE "PodResourceClaim",
       F("name", &t_string), F("resourceClaimName", &t_string),
       F("resourceClaimTemplateName", &t_string));

OBJECT(core_sysctl, CORE "Sysctl", F("name", &t_string, PB(1, 0)), F("value", &t_string, PB(2, 0)));

OBJECT(core_pod_security_context, CORE "PodSecurityContext",
       F("seLinuxOptions", &core_selinux_options, PB(1, OMIT | PTR)),
       F("windowsOptions", &core_windows_security_context_options, PB(8, OMIT | PTR)),
       F("runAsUser", &t_int, PB(2, OMIT | PTR | I64)), F("runAsGroup", &t_int, PB(6, OMIT | PTR | I64)), F("runAsNonRoot", &t_bool, PB(3, OMIT | PTR)),
       F("supplementalGroups", ATOMIC(&t_int), PB(4, OMIT | I64)), F("supplementalGroupsPolicy", &t_string, PB(12, OMIT | PTR)),
       F("fsGroup", &t_int, PB(5, OMIT | PTR | I64)), F("sysctls", ATOMIC(&core_sysctl), PB(7, OMIT)),
       F("fsGroupChangePolicy", &t_string, PB(9, OMIT | PTR)), F("seccompProfile", &core_seccomp_profile, PB(10, OMIT | PTR)),
       F("appArmorProfile", &core_apparmor_profile, PB(11, OMIT | PTR)), F("seLinuxChangePolicy", &t_string, PB(13, OMIT | PTR)));

/* ---- core/v1: Pod -------------------------------------------------------------------- */

OBJECT(core_pod_spec, CORE "PodSpec",
       F("volumes", KEYED(&core_volume, "name", "merge,retainKeys"), PB(1, OMIT)),
       F("initContainers", KEYED(&core_container, "name", "merge"), PB(20, OMIT)),
       F("containers", KEYED(&core_container, "name", "merge"), PB(2, 0)),
       F("ephemeralContainers", KEYED(&core_ephemeral_container, "name", "merge")),
       F("restartPolicy", &t_string, PB(3, OMIT)), F("terminationGracePeriodSeconds", &t_int, PB(4, OMIT | PTR | I64)),
       F("activeDeadlineSeconds", &t_int, PB(5, OMIT | PTR | I64)), F("dnsPolicy", &t_string, PB(6, OMIT)),
       F("nodeSelector", STRING_MAP, PB(7, OMIT)), F("serviceAccountName", &t_string, PB(8, OMIT)),
       F("serviceAccount", &t_string, PB(9, OMIT)), F("automountServiceAccountToken", &t_bool, PB(21, OMIT | PTR)),
       F("nodeName", &t_string, PB(10, OMIT)), F("hostNetwork", &t_bool, PB(11, OMIT)), F("hostPID", &t_bool, PB(12, OMIT)),
       F("hostIPC", &t_bool, PB(13, OMIT)), F("shareProcessNamespace", &t_bool, PB(27, OMIT | PTR)),
       F("securityContext", &core_pod_security_context, PB(14, OMIT | PTR)),
       F("imagePullSecrets", KEYED(&core_local_object_reference, "name", "merge"), PB(15, OMIT)),
       F("hostname", &t_string, PB(16, OMIT)), F("subdomain", &t_string, PB(17, OMIT)), F("affinity", &core_affinity, PB(18, OMIT | PTR)),
       F("schedulerName", &t_string, PB(19, OMIT)), F("tolerations", ATOMIC(&core_toleration), PB(22, OMIT)),
       F("hostAliases", KEYED(&core_host_alias, "ip", "merge"), PB(23, OMIT)),
       F("priorityClassName", &t_string, PB(24, OMIT)), F("priority", &t_int, PB(25, OMIT | PTR)),
       F("dnsConfig", &core_pod_dns_config, PB(26, OMIT | PTR)),
       F("readinessGates", ATOMIC(&core_pod_readiness_gate), PB(28, OMIT)),
       F("runtimeClassName", &t_string, PB(29, OMIT | PTR)), F("enableServiceLinks", &t_bool, PB(30, OMIT | PTR)),
       F("preemptionPolicy", &t_string, PB(31, OMIT | PTR)), F("overhead", QTY_MAP, PB(32, OMIT)),
       F("topologySpreadConstraints",
         KEYED2(&core_topology_spread_constraint, "topologyKey", "whenUnsatisfiable", NULL,
                "merge"), PB(33, OMIT)),
       F("setHostnameAsFQDN", &t_bool, PB(35, OMIT | PTR)), F("os", &core_pod_os, PB(36, OMIT | PTR)), F("hostUsers", &t_bool, PB(37, OMIT | PTR)),
       F("schedulingGates", KEYED(&core_pod_scheduling_gate, "name", "merge"), PB(38, OMIT)),
       F("resourceClaims", KEYED(&core_pod_resource_claim, "name", "merge,retainKeys")),
       F("resources", &core_resource_requirements, PB(40, OMIT | PTR)));

OBJECT(core_pod_condition, CORE "PodCondition",
       F("type", &t_string), F("status", &t_string), F("lastProbeTime", &t_time),
       F("lastTransitionTime", &t_time), F("reason", &t_string), F("message", &t_string));

OBJECT(core_host_ip, CORE "HostIP", F("ip", &t_string));
OBJECT(core_pod_ip, CORE "PodIP", F("ip", &t_string));

OBJECT(core_container_state_waiting, CORE "ContainerStateWaiting",
       F("reason", &t_string), F("message", &t_string));

OBJECT(core_container_state_running, CORE "ContainerStateRunning",
       F("startedAt", &t_time));

OBJECT(core_container_state_terminated, CORE "ContainerStateTerminated",
       F("exitCode", &t_int), F("signal", &t_int), F("reason", &t_string),
       F("message", &t_string), F("startedAt", &t_time), F("finishedAt", &t_time),
       F("containerID", &t_string));

OBJECT(core_container_state, CORE "ContainerState",
       F("waiting", &core_container_state_waiting),
       F("running", &core_container_state_running),
       F("terminated", &core_container_state_terminated));

OBJECT(core_volume_mount_status, CORE "VolumeMountStatus",
       F("name", &t_string), F("mountPath", &t_string), F("readOnly", &t_bool),
       F("recursiveReadOnly", &t_string));

OBJECT(core_linux_container_user, CORE "LinuxContainerUser",
       F("uid", &t_int, TR(I64)), F("gid", &t_int, TR(I64)), F("supplementalGroups", ATOMIC(&t_int), TR(I64)));

OBJECT(core_container_user, CORE "ContainerUser", F("linux", &core_linux_container_user));

OBJECT(core_resource_health, CORE "ResourceHealth",
       F("resourceID", &t_string), F("health", &t_string));

OBJECT(core_resource_status, CORE "ResourceStatus",
       F("name", &t_string), F("resources", MAPLIST(&core_resource_health)));

OBJECT(core_container_status, CORE "ContainerStatus",
       F("name", &t_string), F("state", &core_container_state),
       F("lastState", &core_container_state), F("ready", &t_bool),
       F("restartCount", &t_int), F("image", &t_string), F("imageID", &t_string),
       F("containerID", &t_string), F("started", &t_bool),
       F("allocatedResources", QTY_MAP), F("resources", &core_resource_requirements),
       F("volumeMounts", KEYED_NOLT(&core_volume_mount_status, "mountPath", "merge")),
       F("user", &core_container_user),
       F("allocatedResourcesStatus", KEYED_NOLT(&core_resource_status, "name", "merge")));

OBJECT(core_pod_resource_claim_status, CORE "PodResourceClaimStatus",
       F("name", &t_string), F("resourceClaimName", &t_string));

OBJECT(core_pod_status, CORE "PodStatus",
       F("phase", &t_string, PB(1, OMIT)), F("conditions", KEYED(&core_pod_condition, "type", "merge")),
       F("message", &t_string, PB(3, OMIT)), F("reason", &t_string, PB(4, OMIT)), F("nominatedNodeName", &t_string, PB(11, OMIT)),
       F("hostIP", &t_string, PB(5, OMIT)), F("hostIPs", KEYED(&core_host_ip, "ip", "merge")),
       F("podIP", &t_string, PB(6, OMIT)), F("podIPs", KEYED(&core_pod_ip, "ip", "merge")),
       F("startTime", &t_time, PB(7, OMIT | PTR)), F("initContainerStatuses", ATOMIC(&core_container_status)),
       F("containerStatuses", ATOMIC(&core_container_status)), F("qosClass", &t_string, PB(10, OMIT)),
       F("ephemeralContainerStatuses", ATOMIC(&core_container_status)),
       F("resize", &t_string),
       F("resourceClaimStatuses",
         KEYED(&core_pod_resource_claim_status, "name", "merge,retainKeys")));

ROOT(schema_pod, CORE "Pod",
       F("apiVersion", &t_string), F("kind", &t_string), F("metadata", &meta_object_meta, PB(1, OMIT)),
       F("spec", &core_pod_spec, PB(2, OMIT)), F("status", &core_pod_status, PB(3, OMIT)));

OBJECT(core_pod_template_spec, CORE "PodTemplateSpec",
       F("metadata", &meta_object_meta, PB(1, OMIT)), F("spec", &core_pod_spec, PB(2, OMIT)));

/* ---- core/v1: Namespace, ServiceAccount, Secret, ConfigMap, Event --------------------- */

OBJECT(core_namespace_spec, CORE "NamespaceSpec", F("finalizers", STRINGS, PB(1, OMIT)));

OBJECT(core_namespace_condition, CORE "NamespaceCondition",
       F("type", &t_string, PB(1, 0)), F("status", &t_string, PB(2, 0)), F("lastTransitionTime", &t_time, PB(4, OMIT)),
       F("reason", &t_string, PB(5, OMIT)), F("message", &t_string, PB(6, OMIT)));

OBJECT(core_namespace_status, CORE "NamespaceStatus",
       F("phase", &t_string, PB(1, OMIT)),
       F("conditions", KEYED(&core_namespace_condition, "type", "merge"), PB(2, OMIT)));

ROOT(schema_namespace, CORE "Namespace",
       F("apiVersion", &t_string), F("kind", &t_string), F("metadata", &meta_object_meta, PB(1, OMIT)),
       F("spec", &core_namespace_spec, PB(2, OMIT)), F("status", &core_namespace_status, PB(3, OMIT)));

ROOT(schema_service_account, CORE "ServiceAccount",
       F("apiVersion", &t_string), F("kind", &t_string), F("metadata", &meta_object_meta, PB(1, OMIT)),
       F("secrets", KEYED(&core_object_reference, "name", "merge"), PB(2, OMIT)),
       F("imagePullSecrets", ATOMIC(&core_local_object_reference), PB(3, OMIT)),
       F("automountServiceAccountToken", &t_bool, PB(4, OMIT | PTR)));

ROOT(schema_secret, CORE "Secret",
       F("apiVersion", &t_string), F("kind", &t_string), F("metadata", &meta_object_meta, PB(1, OMIT)),
       F("immutable", &t_bool, PB(5, OMIT | PTR)), F("data", STRING_MAP, PB(2, OMIT | BYTES)), F("stringData", STRING_MAP, PB(4, OMIT)),
       F("type", &t_string, PB(3, OMIT)));

ROOT(schema_config_map, CORE "ConfigMap",
       F("apiVersion", &t_string), F("kind", &t_string), F("metadata", &meta_object_meta, PB(1, OMIT)),
       F("immutable", &t_bool, PB(4, OMIT | PTR)), F("data", STRING_MAP, PB(2, OMIT)), F("binaryData", STRING_MAP, PB(3, OMIT | BYTES)));

OBJECT(core_event_source, CORE "EventSource",
       F("component", &t_string, PB(1, OMIT)), F("host", &t_string, PB(2, OMIT)));

/* metav1.MicroTime travels as an RFC3339 string with microseconds, like Time. */
OBJECT(core_event_series, CORE "EventSeries",
       F("count", &t_int, PB(1, OMIT)), F("lastObservedTime", &t_time, PB(2, OMIT | MICRO)));

ROOT(schema_event, CORE "Event",
       F("apiVersion", &t_string), F("kind", &t_string), F("metadata", &meta_object_meta, PB(1, 0)),
       F("involvedObject", &core_object_reference, PB(2, 0)), F("reason", &t_string, PB(3, OMIT)),
       F("message", &t_string, PB(4, OMIT)), F("source", &core_event_source, PB(5, OMIT)),
       F("firstTimestamp", &t_time, PB(6, OMIT)), F("lastTimestamp", &t_time, PB(7, OMIT)), F("count", &t_int, PB(8, OMIT)),
       F("type", &t_string, PB(9, OMIT)), F("eventTime", &t_time, PB(10, OMIT | MICRO)), F("series", &core_event_series, PB(11, OMIT | PTR)),
       F("action", &t_string, PB(12, OMIT)), F("related", &core_object_reference, PB(13, OMIT | PTR)),
       F("reportingComponent", &t_string, PB(14, 0)), F("reportingInstance", &t_string, PB(15, 0)));

/* events.k8s.io/v1 Event: the same stored objects as core/v1 Events, other field names. */
OBJECT(events_event_series, "io.k8s.api.events.v1.EventSeries",
       F("count", &t_int), F("lastObservedTime", &t_time));

ROOT(schema_events_event, "io.k8s.api.events.v1.Event",
       F("apiVersion", &t_string), F("kind", &t_string), F("metadata", &meta_object_meta),
       F("eventTime", &t_time), F("series", &events_event_series),
       F("reportingController", &t_string), F("reportingInstance", &t_string),
       F("action", &t_string), F("reason", &t_string), F("regarding", &core_object_reference),
       F("related", &core_object_reference), F("note", &t_string), F("type", &t_string),
       F("deprecatedSource", &core_event_source), F("deprecatedFirstTimestamp", &t_time),
       F("deprecatedLastTimestamp", &t_time), F("deprecatedCount", &t_int));

/* ---- core/v1: Node ------------------------------------------------------------------- */

OBJECT(core_taint, CORE "Taint",
       F("key", &t_string, PB(1, 0)), F("value", &t_string, PB(2, OMIT)), F("effect", &t_string, PB(3, 0)),
       F("timeAdded", &t_time, PB(4, OMIT | PTR)));

OBJECT(core_config_map_node_config_source, CORE "ConfigMapNodeConfigSource",
       F("namespace", &t_string), F("name", &t_string), F("uid", &t_string),
       F("resourceVersion", &t_string), F("kubeletConfigKey", &t_string));

OBJECT(core_node_config_source, CORE "NodeConfigSource",
       F("configMap", &core_config_map_node_config_source));

OBJECT(core_node_spec, CORE "NodeSpec",
       F("podCIDR", &t_string, PB(1, OMIT)), F("podCIDRs", MERGE_SET(&t_string), PB(7, OMIT)),
       F("providerID", &t_string, PB(3, OMIT)), F("unschedulable", &t_bool, PB(4, OMIT)),
       F("taints", ATOMIC(&core_taint), PB(5, OMIT)), F("configSource", &core_node_config_source),
       F("externalID", &t_string, PB(2, OMIT)));

OBJECT(core_node_condition, CORE "NodeCondition",
       F("type", &t_string, PB(1, 0)), F("status", &t_string, PB(2, 0)), F("lastHeartbeatTime", &t_time, PB(3, OMIT)),
       F("lastTransitionTime", &t_time, PB(4, OMIT)), F("reason", &t_string, PB(5, OMIT)), F("message", &t_string, PB(6, OMIT)));

OBJECT(core_node_address, CORE "NodeAddress",
       F("type", &t_string, PB(1, 0)), F("address", &t_string, PB(2, 0)));

/* DaemonEndpoint's JSON name really is "Port" (capitalised) upstream. */
OBJECT(core_daemon_endpoint, CORE "DaemonEndpoint", F("Port", &t_int, PB(1, 0)));

OBJECT(core_node_daemon_endpoints, CORE "NodeDaemonEndpoints",
       F("kubeletEndpoint", &core_daemon_endpoint, PB(1, OMIT)));

OBJECT(core_node_system_info, CORE "NodeSystemInfo",
       F("machineID", &t_string, PB(1, 0)), F("systemUUID", &t_string, PB(2, 0)), F("bootID", &t_string, PB(3, 0)),
       F("kernelVersion", &t_string, PB(4, 0)), F("osImage", &t_string, PB(5, 0)),
       F("containerRuntimeVersion", &t_string, PB(6, 0)), F("kubeletVersion", &t_string, PB(7, 0)),
       F("kubeProxyVersion", &t_string, PB(8, 0)), F("operatingSystem", &t_string, PB(9, 0)),
       F("architecture", &t_string, PB(10, 0)));

OBJECT(core_container_image, CORE "ContainerImage",
       F("names", STRINGS, PB(1, 0)), F("sizeBytes", &t_int, PB(2, OMIT | I64)));

OBJECT(core_attached_volume, CORE "AttachedVolume",
       F("name", &t_string, PB(1, 0)), F("devicePath", &t_string, PB(2, 0)));

OBJECT(core_node_config_status, CORE "NodeConfigStatus",
       F("assigned", &core_node_config_source), F("active", &core_node_config_source),
       F("lastKnownGood", &core_node_config_source), F("error", &t_string));

OBJECT(core_node_runtime_handler_features, CORE "NodeRuntimeHandlerFeatures",
       F("recursiveReadOnlyMounts", &t_bool), F("userNamespaces", &t_bool));

OBJECT(core_node_runtime_handler, CORE "NodeRuntimeHandler",
       F("name", &t_string), F("features", &core_node_runtime_handler_features));

OBJECT(core_node_features, CORE "NodeFeatures", F("supplementalGroupsPolicy", &t_bool));

OBJECT(core_node_status, CORE "NodeStatus",
       F("capacity", QTY_MAP, PB(1, OMIT)), F("allocatable", QTY_MAP, PB(2, OMIT)), F("phase", &t_string, PB(3, OMIT)),
       F("conditions", KEYED(&core_node_condition, "type", "merge"), PB(4, OMIT)),
       F("addresses", KEYED(&core_node_address, "type", "merge"), PB(5, OMIT)),
       F("daemonEndpoints", &core_node_daemon_endpoints, PB(6, OMIT)),
       F("nodeInfo", &core_node_system_info, PB(7, OMIT)), F("images", ATOMIC(&core_container_image), PB(8, OMIT)),
       F("volumesInUse", STRINGS, PB(9, OMIT)), F("volumesAttached", ATOMIC(&core_attached_volume), PB(10, OMIT)),
       F("config", &core_node_config_status),
       F("runtimeHandlers", ATOMIC(&core_node_runtime_handler)),
       F("features", &core_node_features));

ROOT(schema_node_kind, CORE "Node",
       F("apiVersion", &t_string), F("kind", &t_string), F("metadata", &meta_object_meta, PB(1, OMIT)),
       F("spec", &core_node_spec, PB(2, OMIT)), F("status", &core_node_status, PB(3, OMIT)));

/* ---- batch/v1 ------------------------------------------------------------------------ */

OBJECT(batch_on_exit_codes, BATCH "PodFailurePolicyOnExitCodesRequirement",
       F("containerName", &t_string), F("operator", &t_string), F("values", SET(&t_int)));

OBJECT(batch_on_pod_conditions, BATCH "PodFailurePolicyOnPodConditionsPattern",
       F("type", &t_string), F("status", &t_string));

OBJECT(batch_pod_failure_policy_rule, BATCH "PodFailurePolicyRule",
       F("action", &t_string), F("onExitCodes", &batch_on_exit_codes),
       F("onPodConditions", ATOMIC(&batch_on_pod_conditions)));

OBJECT(batch_pod_failure_policy, BATCH "PodFailurePolicy",
       F("rules", ATOMIC(&batch_pod_failure_policy_rule)));

OBJECT(batch_success_policy_rule, BATCH "SuccessPolicyRule",
       F("succeededIndexes", &t_string), F("succeededCount", &t_int));

OBJECT(batch_success_policy, BATCH "SuccessPolicy",
       F("rules", ATOMIC(&batch_success_policy_rule)));

OBJECT(batch_job_spec, BATCH "JobSpec",
       F("parallelism", &t_int, PB(1, OMIT | PTR)), F("completions", &t_int, PB(2, OMIT | PTR)),
       F("activeDeadlineSeconds", &t_int, PB(3, OMIT | PTR | I64)), F("podFailurePolicy", &batch_pod_failure_policy),
       F("successPolicy", &batch_success_policy), F("backoffLimit", &t_int, PB(7, OMIT | PTR)),
       F("backoffLimitPerIndex", &t_int, PB(12, OMIT | PTR)), F("maxFailedIndexes", &t_int, PB(13, OMIT | PTR)),
       F("selector", &meta_label_selector, PB(4, OMIT | PTR)), F("manualSelector", &t_bool, PB(5, OMIT | PTR)),
       F("template", &core_pod_template_spec, PB(6, 0)), F("ttlSecondsAfterFinished", &t_int, PB(8, OMIT | PTR)),
       F("completionMode", &t_string, PB(9, OMIT | PTR)), F("suspend", &t_bool, PB(10, OMIT | PTR)),
       F("podReplacementPolicy", &t_string, PB(14, OMIT | PTR)), F("managedBy", &t_string, PB(16, OMIT | PTR)));

OBJECT(batch_job_condition, BATCH "JobCondition",
       F("type", &t_string), F("status", &t_string), F("lastProbeTime", &t_time),
       F("lastTransitionTime", &t_time), F("reason", &t_string), F("message", &t_string));

OBJECT(batch_uncounted_terminated_pods, BATCH "UncountedTerminatedPods",
       F("succeeded", SET(&t_string)), F("failed", SET(&t_string)));

/* JobStatus.conditions: patchMergeKey=type patchStrategy=merge, +listType=atomic. */
OBJECT(batch_job_status, BATCH "JobStatus",
       F("conditions",
         (&(const struct schema_node){.type = SCHEMA_ARRAY, .items = &batch_job_condition,
                                      .patch_merge_key = "type", .patch_strategy = "merge",
                                      .list_type = "atomic"})),
       F("startTime", &t_time, PB(2, OMIT | PTR)), F("completionTime", &t_time, PB(3, OMIT | PTR)), F("active", &t_int, PB(4, OMIT)),
       F("succeeded", &t_int, PB(5, OMIT)), F("failed", &t_int, PB(6, OMIT)), F("terminating", &t_int, PB(11, OMIT | PTR)),
       F("completedIndexes", &t_string, PB(7, OMIT)), F("failedIndexes", &t_string, PB(10, OMIT | PTR)),
       F("uncountedTerminatedPods", &batch_uncounted_terminated_pods), F("ready", &t_int, PB(9, OMIT | PTR)));

ROOT(schema_job, BATCH "Job",
       F("apiVersion", &t_string), F("kind", &t_string), F("metadata", &meta_object_meta, PB(1, OMIT)),
       F("spec", &batch_job_spec, PB(2, OMIT)), F("status", &batch_job_status, PB(3, OMIT)));

/* ---- rbac/v1 ------------------------------------------------------------------------- */

OBJECT(rbac_policy_rule, RBAC "PolicyRule",
       F("verbs", STRINGS, PB(1, 0)), F("apiGroups", STRINGS, PB(2, OMIT)), F("resources", STRINGS, PB(3, OMIT)),
       F("resourceNames", STRINGS, PB(4, OMIT)), F("nonResourceURLs", STRINGS, PB(5, OMIT)));

OBJECT(rbac_aggregation_rule, RBAC "AggregationRule",
       F("clusterRoleSelectors", ATOMIC(&meta_label_selector), PB(1, OMIT)));

OBJECT(rbac_subject, RBAC "Subject",
       F("kind", &t_string, PB(1, 0)), F("apiGroup", &t_string, PB(2, OMIT)), F("name", &t_string, PB(3, 0)),
       F("namespace", &t_string, PB(4, OMIT)));

OBJECT_ATOMIC(rbac_role_ref, RBAC "RoleRef",
       F("apiGroup", &t_string, PB(1, 0)), F("kind", &t_string, PB(2, 0)), F("name", &t_string, PB(3, 0)));

ROOT(schema_role, RBAC "Role",
       F("apiVersion", &t_string), F("kind", &t_string), F("metadata", &meta_object_meta, PB(1, OMIT)),
       F("rules", ATOMIC(&rbac_policy_rule), PB(2, 0)));

ROOT(schema_cluster_role, RBAC "ClusterRole",
       F("apiVersion", &t_string), F("kind", &t_string), F("metadata", &meta_object_meta, PB(1, OMIT)),
       F("rules", ATOMIC(&rbac_policy_rule), PB(2, 0)), F("aggregationRule", &rbac_aggregation_rule, PB(3, OMIT | PTR)));

ROOT(schema_role_binding, RBAC "RoleBinding",
       F("apiVersion", &t_string), F("kind", &t_string), F("metadata", &meta_object_meta, PB(1, OMIT)),
       F("subjects", ATOMIC(&rbac_subject), PB(2, OMIT)), F("roleRef", &rbac_role_ref, PB(3, 0)));

ROOT(schema_cluster_role_binding, RBAC "ClusterRoleBinding",
       F("apiVersion", &t_string), F("kind", &t_string), F("metadata", &meta_object_meta, PB(1, OMIT)),
       F("subjects", ATOMIC(&rbac_subject), PB(2, OMIT)), F("roleRef", &rbac_role_ref, PB(3, 0)));

/* ---- coordination.k8s.io/v1 ---------------------------------------------------------- */

OBJECT(coord_lease_spec, COORD "LeaseSpec",
       F("holderIdentity", &t_string, PB(1, OMIT | PTR)), F("leaseDurationSeconds", &t_int, PB(2, OMIT | PTR)),
       F("acquireTime", &t_time, PB(3, OMIT | PTR | MICRO)), F("renewTime", &t_time, PB(4, OMIT | PTR | MICRO)), F("leaseTransitions", &t_int, PB(5, OMIT | PTR)),
       F("strategy", &t_string, PB(6, OMIT | PTR)), F("preferredHolder", &t_string, PB(7, OMIT | PTR)));

ROOT(schema_lease, COORD "Lease",
       F("apiVersion", &t_string), F("kind", &t_string), F("metadata", &meta_object_meta, PB(1, OMIT)),
       F("spec", &coord_lease_spec, PB(2, OMIT)));

/* ---- authentication.k8s.io/v1 -------------------------------------------------------- */

OBJECT(authn_bound_object_reference, AUTHN "BoundObjectReference",
       F("kind", &t_string, PB(1, OMIT)), F("apiVersion", &t_string, PB(2, OMIT)), F("name", &t_string, PB(3, OMIT)),
       F("uid", &t_string, PB(4, OMIT)));

OBJECT(authn_token_request_spec, AUTHN "TokenRequestSpec",
       F("audiences", STRINGS, PB(1, 0)), F("expirationSeconds", &t_int, PB(4, PTR | I64)),
       F("boundObjectRef", &authn_bound_object_reference, PB(3, PTR)));

OBJECT(authn_token_request_status, AUTHN "TokenRequestStatus",
       F("token", &t_string, PB(1, 0)), F("expirationTimestamp", &t_time, PB(2, 0)));

ROOT(schema_token_request, AUTHN "TokenRequest",
       F("apiVersion", &t_string), F("kind", &t_string), F("metadata", &meta_object_meta, PB(1, OMIT)),
       F("spec", &authn_token_request_spec, PB(2, 0)), F("status", &authn_token_request_status, PB(3, OMIT)));

OBJECT(authn_user_info, AUTHN "UserInfo",
       F("username", &t_string, PB(1, OMIT)), F("uid", &t_string, PB(2, OMIT)), F("groups", STRINGS, PB(3, OMIT)),
       F("extra", MAP(STRINGS), PB(4, OMIT)));

OBJECT(authn_token_review_spec, AUTHN "TokenReviewSpec",
       F("token", &t_string, PB(1, OMIT)), F("audiences", STRINGS, PB(2, OMIT)));

OBJECT(authn_token_review_status, AUTHN "TokenReviewStatus",
       F("authenticated", &t_bool, PB(1, OMIT)), F("user", &authn_user_info, PB(2, OMIT)), F("audiences", STRINGS, PB(4, OMIT)),
       F("error", &t_string, PB(3, OMIT)));

ROOT(schema_token_review, AUTHN "TokenReview",
       F("apiVersion", &t_string), F("kind", &t_string), F("metadata", &meta_object_meta, PB(1, OMIT)),
       F("spec", &authn_token_review_spec, PB(2, 0)), F("status", &authn_token_review_status, PB(3, OMIT)));

OBJECT(authn_self_subject_review_status, AUTHN "SelfSubjectReviewStatus",
       F("userInfo", &authn_user_info, PB(1, OMIT)));

ROOT(schema_self_subject_review, AUTHN "SelfSubjectReview",
       F("apiVersion", &t_string), F("kind", &t_string), F("metadata", &meta_object_meta, PB(1, OMIT)),
       F("status", &authn_self_subject_review_status, PB(2, OMIT)));

/* ---- authorization.k8s.io/v1 --------------------------------------------------------- */

OBJECT(meta_field_selector_requirement, META "FieldSelectorRequirement",
       F("key", &t_string, PB(1, 0)), F("operator", &t_string, PB(2, 0)), F("values", STRINGS, PB(3, OMIT)));

OBJECT(authz_field_selector_attributes, AUTHZ "FieldSelectorAttributes",
       F("rawSelector", &t_string, PB(1, OMIT)),
       F("requirements", ATOMIC(&meta_field_selector_requirement), PB(2, OMIT)));

OBJECT(authz_label_selector_attributes, AUTHZ "LabelSelectorAttributes",
       F("rawSelector", &t_string, PB(1, OMIT)),
       F("requirements", ATOMIC(&meta_label_selector_requirement), PB(2, OMIT)));

OBJECT(authz_resource_attributes, AUTHZ "ResourceAttributes",
       F("namespace", &t_string, PB(1, OMIT)), F("verb", &t_string, PB(2, OMIT)), F("group", &t_string, PB(3, OMIT)),
       F("version", &t_string, PB(4, OMIT)), F("resource", &t_string, PB(5, OMIT)), F("subresource", &t_string, PB(6, OMIT)),
       F("name", &t_string, PB(7, OMIT)), F("fieldSelector", &authz_field_selector_attributes, PB(8, OMIT | PTR)),
       F("labelSelector", &authz_label_selector_attributes, PB(9, OMIT | PTR)));

OBJECT(authz_non_resource_attributes, AUTHZ "NonResourceAttributes",
       F("path", &t_string, PB(1, OMIT)), F("verb", &t_string, PB(2, OMIT)));

OBJECT(authz_subject_access_review_spec, AUTHZ "SubjectAccessReviewSpec",
       F("resourceAttributes", &authz_resource_attributes, PB(1, OMIT | PTR)),
       F("nonResourceAttributes", &authz_non_resource_attributes, PB(2, OMIT | PTR)), F("user", &t_string, PB(3, OMIT)),
       F("groups", STRINGS, PB(4, OMIT)), F("extra", MAP(STRINGS), PB(5, OMIT)), F("uid", &t_string, PB(6, OMIT)));

OBJECT(authz_self_subject_access_review_spec, AUTHZ "SelfSubjectAccessReviewSpec",
       F("resourceAttributes", &authz_resource_attributes, PB(1, OMIT | PTR)),
       F("nonResourceAttributes", &authz_non_resource_attributes, PB(2, OMIT | PTR)));

OBJECT(authz_subject_access_review_status, AUTHZ "SubjectAccessReviewStatus",
       F("allowed", &t_bool, PB(1, 0)), F("denied", &t_bool, PB(4, OMIT)), F("reason", &t_string, PB(2, OMIT)),
       F("evaluationError", &t_string, PB(3, OMIT)));

ROOT(schema_subject_access_review, AUTHZ "SubjectAccessReview",
       F("apiVersion", &t_string), F("kind", &t_string), F("metadata", &meta_object_meta, PB(1, OMIT)),
       F("spec", &authz_subject_access_review_spec, PB(2, 0)),
       F("status", &authz_subject_access_review_status, PB(3, OMIT)));

ROOT(schema_local_subject_access_review, AUTHZ "LocalSubjectAccessReview",
       F("apiVersion", &t_string), F("kind", &t_string), F("metadata", &meta_object_meta, PB(1, OMIT)),
       F("spec", &authz_subject_access_review_spec, PB(2, 0)),
       F("status", &authz_subject_access_review_status, PB(3, OMIT)));

ROOT(schema_self_subject_access_review, AUTHZ "SelfSubjectAccessReview",
       F("apiVersion", &t_string), F("kind", &t_string), F("metadata", &meta_object_meta, PB(1, OMIT)),
       F("spec", &authz_self_subject_access_review_spec, PB(2, 0)),
       F("status", &authz_subject_access_review_status, PB(3, OMIT)));

OBJECT(authz_self_subject_rules_review_spec, AUTHZ "SelfSubjectRulesReviewSpec",
       F("namespace", &t_string, PB(1, OMIT)));

OBJECT(authz_resource_rule, AUTHZ "ResourceRule",
       F("verbs", STRINGS, PB(1, 0)), F("apiGroups", STRINGS, PB(2, OMIT)), F("resources", STRINGS, PB(3, OMIT)),
       F("resourceNames", STRINGS, PB(4, OMIT)));

OBJECT(authz_non_resource_rule, AUTHZ "NonResourceRule",
       F("verbs", STRINGS, PB(1, 0)), F("nonResourceURLs", STRINGS, PB(2, OMIT)));

OBJECT(authz_subject_rules_review_status, AUTHZ "SubjectRulesReviewStatus",
       F("resourceRules", ATOMIC(&authz_resource_rule), PB(1, 0)),
       F("nonResourceRules", ATOMIC(&authz_non_resource_rule), PB(2, 0)),
       F("incomplete", &t_bool, PB(3, 0)), F("evaluationError", &t_string, PB(4, OMIT)));

ROOT(schema_self_subject_rules_review, AUTHZ "SelfSubjectRulesReview",
       F("apiVersion", &t_string), F("kind", &t_string), F("metadata", &meta_object_meta, PB(1, OMIT)),
       F("spec", &authz_self_subject_rules_review_spec, PB(2, 0)),
       F("status", &authz_subject_rules_review_status, PB(3, OMIT)));

/* ---- policy/v1 ----------------------------------------------------------------------- */

/* The body of pods/eviction (kubectl drain): decoded from protobuf, not served as a kind. */
ROOT(schema_eviction, "io.k8s.api.policy.v1.Eviction",
     F("apiVersion", &t_string), F("kind", &t_string),
     F("metadata", &meta_object_meta, PB(1, OMIT)),
     F("deleteOptions", &schema_delete_options, PB(2, OMIT | PTR)));

/* ---- types kubectl's typed commands send that anzen does not serve ------------------- */

/* batch/v1 CronJob and apps/v1 Deployment (kubectl create cronjob|deployment): only what the
 * protobuf decoder reads; the server answers 404 for their resources before decoding. */
OBJECT(batch_job_template_spec, BATCH "JobTemplateSpec",
       F("metadata", &meta_object_meta, PB(1, OMIT)), F("spec", &batch_job_spec, PB(2, OMIT)));

OBJECT(batch_cron_job_spec, BATCH "CronJobSpec",
       F("schedule", &t_string, PB(1, 0)), F("timeZone", &t_string, PB(8, OMIT | PTR)),
       F("startingDeadlineSeconds", &t_int, PB(2, OMIT | PTR | I64)),
       F("concurrencyPolicy", &t_string, PB(3, OMIT)), F("suspend", &t_bool, PB(4, OMIT | PTR)),
       F("jobTemplate", &batch_job_template_spec, PB(5, 0)),
       F("successfulJobsHistoryLimit", &t_int, PB(6, OMIT | PTR)),
       F("failedJobsHistoryLimit", &t_int, PB(7, OMIT | PTR)));

OBJECT(batch_cron_job_status, BATCH "CronJobStatus",
       F("active", ATOMIC(&core_object_reference), PB(1, OMIT)),
       F("lastScheduleTime", &t_time, PB(4, OMIT | PTR)),
       F("lastSuccessfulTime", &t_time, PB(5, OMIT | PTR)));

ROOT(schema_cron_job, BATCH "CronJob",
     F("apiVersion", &t_string), F("kind", &t_string),
     F("metadata", &meta_object_meta, PB(1, OMIT)), F("spec", &batch_cron_job_spec, PB(2, OMIT)),
     F("status", &batch_cron_job_status, PB(3, OMIT)));

#define APPS "io.k8s.api.apps.v1."

OBJECT(apps_rolling_update_deployment, APPS "RollingUpdateDeployment",
       F("maxUnavailable", &t_ios, PB(1, OMIT | PTR)), F("maxSurge", &t_ios, PB(2, OMIT | PTR)));

OBJECT(apps_deployment_strategy, APPS "DeploymentStrategy",
       F("type", &t_string, PB(1, OMIT)),
       F("rollingUpdate", &apps_rolling_update_deployment, PB(2, OMIT | PTR)));

OBJECT(apps_deployment_spec, APPS "DeploymentSpec",
       F("replicas", &t_int, PB(1, OMIT | PTR)),
       F("selector", &meta_label_selector, PB(2, PTR)),
       F("template", &core_pod_template_spec, PB(3, 0)),
       F("strategy", &apps_deployment_strategy, PB(4, OMIT)),
       F("minReadySeconds", &t_int, PB(5, OMIT)),
       F("revisionHistoryLimit", &t_int, PB(6, OMIT | PTR)),
       F("paused", &t_bool, PB(7, OMIT)),
       F("progressDeadlineSeconds", &t_int, PB(9, OMIT | PTR)));

/* conditions (6) are not decoded */
OBJECT(apps_deployment_status, APPS "DeploymentStatus",
       F("observedGeneration", &t_int, PB(1, OMIT | I64)), F("replicas", &t_int, PB(2, OMIT)),
       F("updatedReplicas", &t_int, PB(3, OMIT)),
       F("readyReplicas", &t_int, PB(7, OMIT)),
       F("availableReplicas", &t_int, PB(4, OMIT)),
       F("unavailableReplicas", &t_int, PB(5, OMIT)),
       F("terminatingReplicas", &t_int, PB(9, OMIT | PTR)),
       F("collisionCount", &t_int, PB(8, OMIT | PTR)));

ROOT(schema_deployment, APPS "Deployment",
     F("apiVersion", &t_string), F("kind", &t_string),
     F("metadata", &meta_object_meta, PB(1, OMIT)), F("spec", &apps_deployment_spec, PB(2, OMIT)),
     F("status", &apps_deployment_status, PB(3, OMIT)));
