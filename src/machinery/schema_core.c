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
 * The functions over this table live in schema.c; the kind index is schema_core__kinds[]. */
#include <stddef.h>
#include "machinery/schema.h"
#include "machinery/schema_int.h"

/* ---- building blocks ------------------------------------------------------------------ */

#define OBJECT(var, ref, ...)                                                              \
    static const struct schema_field var##__fields[] = {__VA_ARGS__, {NULL, NULL}};        \
    static const struct schema_node var = {.type = SCHEMA_OBJECT, .ref_name = (ref),       \
                                           .fields = var##__fields}

#define F(name, node) {(name), (node)}

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
       F("apiVersion", &t_string), F("kind", &t_string), F("name", &t_string),
       F("uid", &t_string), F("controller", &t_bool), F("blockOwnerDeletion", &t_bool));

OBJECT(meta_managed_fields_entry, META "ManagedFieldsEntry",
       F("manager", &t_string), F("operation", &t_string), F("apiVersion", &t_string),
       F("time", &t_time), F("fieldsType", &t_string), F("fieldsV1", &t_any),
       F("subresource", &t_string));

OBJECT(meta_object_meta, META "ObjectMeta",
       F("name", &t_string), F("generateName", &t_string), F("namespace", &t_string),
       F("selfLink", &t_string), F("uid", &t_string), F("resourceVersion", &t_string),
       F("generation", &t_int), F("creationTimestamp", &t_time),
       F("deletionTimestamp", &t_time), F("deletionGracePeriodSeconds", &t_int),
       F("labels", STRING_MAP), F("annotations", STRING_MAP),
       F("ownerReferences", KEYED(&meta_owner_reference, "uid", "merge")),
       F("finalizers", MERGE_SET(&t_string)),
       F("managedFields", ATOMIC(&meta_managed_fields_entry)));

OBJECT(meta_list_meta, META "ListMeta",
       F("selfLink", &t_string), F("resourceVersion", &t_string), F("continue", &t_string),
       F("remainingItemCount", &t_int));

OBJECT(meta_label_selector_requirement, META "LabelSelectorRequirement",
       F("key", &t_string), F("operator", &t_string), F("values", STRINGS));

OBJECT(meta_label_selector, META "LabelSelector",
       F("matchLabels", STRING_MAP),
       F("matchExpressions", ATOMIC(&meta_label_selector_requirement)));

OBJECT(meta_status_cause, META "StatusCause",
       F("reason", &t_string), F("message", &t_string), F("field", &t_string));

OBJECT(meta_status_details, META "StatusDetails",
       F("name", &t_string), F("group", &t_string), F("kind", &t_string), F("uid", &t_string),
       F("causes", ATOMIC(&meta_status_cause)), F("retryAfterSeconds", &t_int));

OBJECT(meta_status, META "Status",
       F("apiVersion", &t_string), F("kind", &t_string), F("metadata", &meta_list_meta),
       F("status", &t_string), F("message", &t_string), F("reason", &t_string),
       F("details", &meta_status_details), F("code", &t_int));

OBJECT(meta_preconditions, META "Preconditions",
       F("uid", &t_string), F("resourceVersion", &t_string));

/* DeleteOptions embeds only TypeMeta upstream: it has no metadata field. */
OBJECT(meta_delete_options, META "DeleteOptions",
       F("apiVersion", &t_string), F("kind", &t_string), F("gracePeriodSeconds", &t_int),
       F("preconditions", &meta_preconditions), F("orphanDependents", &t_bool),
       F("propagationPolicy", &t_string), F("dryRun", STRINGS),
       F("ignoreStoreReadErrorWithClusterBreakingPotential", &t_bool));

/* ---- core/v1: references and small helpers ------------------------------------------- */

OBJECT(core_object_reference, CORE "ObjectReference",
       F("kind", &t_string), F("namespace", &t_string), F("name", &t_string),
       F("uid", &t_string), F("apiVersion", &t_string), F("resourceVersion", &t_string),
       F("fieldPath", &t_string));

OBJECT(core_local_object_reference, CORE "LocalObjectReference", F("name", &t_string));

OBJECT(core_typed_local_object_reference, CORE "TypedLocalObjectReference",
       F("apiGroup", &t_string), F("kind", &t_string), F("name", &t_string));

OBJECT(core_typed_object_reference, CORE "TypedObjectReference",
       F("apiGroup", &t_string), F("kind", &t_string), F("name", &t_string),
       F("namespace", &t_string));

OBJECT(core_object_field_selector, CORE "ObjectFieldSelector",
       F("apiVersion", &t_string), F("fieldPath", &t_string));

OBJECT(core_resource_field_selector, CORE "ResourceFieldSelector",
       F("containerName", &t_string), F("resource", &t_string), F("divisor", &t_qty));

OBJECT(core_config_map_key_selector, CORE "ConfigMapKeySelector",
       F("name", &t_string), F("key", &t_string), F("optional", &t_bool));

OBJECT(core_secret_key_selector, CORE "SecretKeySelector",
       F("name", &t_string), F("key", &t_string), F("optional", &t_bool));

OBJECT(core_key_to_path, CORE "KeyToPath",
       F("key", &t_string), F("path", &t_string), F("mode", &t_int));

/* ---- core/v1: containers ------------------------------------------------------------- */

OBJECT(core_container_port, CORE "ContainerPort",
       F("name", &t_string), F("hostPort", &t_int), F("containerPort", &t_int),
       F("protocol", &t_string), F("hostIP", &t_string));

OBJECT(core_config_map_env_source, CORE "ConfigMapEnvSource",
       F("name", &t_string), F("optional", &t_bool));

OBJECT(core_secret_env_source, CORE "SecretEnvSource",
       F("name", &t_string), F("optional", &t_bool));

OBJECT(core_env_from_source, CORE "EnvFromSource",
       F("prefix", &t_string), F("configMapRef", &core_config_map_env_source),
       F("secretRef", &core_secret_env_source));

OBJECT(core_env_var_source, CORE "EnvVarSource",
       F("fieldRef", &core_object_field_selector),
       F("resourceFieldRef", &core_resource_field_selector),
       F("configMapKeyRef", &core_config_map_key_selector),
       F("secretKeyRef", &core_secret_key_selector));

OBJECT(core_env_var, CORE "EnvVar",
       F("name", &t_string), F("value", &t_string), F("valueFrom", &core_env_var_source));

OBJECT(core_resource_claim, CORE "ResourceClaim",
       F("name", &t_string), F("request", &t_string));

OBJECT(core_resource_requirements, CORE "ResourceRequirements",
       F("limits", QTY_MAP), F("requests", QTY_MAP),
       F("claims", MAPLIST(&core_resource_claim)));

OBJECT(core_container_resize_policy, CORE "ContainerResizePolicy",
       F("resourceName", &t_string), F("restartPolicy", &t_string));

OBJECT(core_volume_mount, CORE "VolumeMount",
       F("name", &t_string), F("readOnly", &t_bool), F("recursiveReadOnly", &t_string),
       F("mountPath", &t_string), F("subPath", &t_string), F("mountPropagation", &t_string),
       F("subPathExpr", &t_string));

OBJECT(core_volume_device, CORE "VolumeDevice",
       F("name", &t_string), F("devicePath", &t_string));

OBJECT(core_exec_action, CORE "ExecAction", F("command", STRINGS));

OBJECT(core_http_header, CORE "HTTPHeader", F("name", &t_string), F("value", &t_string));

OBJECT(core_http_get_action, CORE "HTTPGetAction",
       F("path", &t_string), F("port", &t_ios), F("host", &t_string), F("scheme", &t_string),
       F("httpHeaders", ATOMIC(&core_http_header)));

OBJECT(core_tcp_socket_action, CORE "TCPSocketAction",
       F("port", &t_ios), F("host", &t_string));

OBJECT(core_grpc_action, CORE "GRPCAction", F("port", &t_int), F("service", &t_string));

OBJECT(core_sleep_action, CORE "SleepAction", F("seconds", &t_int));

OBJECT(core_probe, CORE "Probe",
       F("exec", &core_exec_action), F("httpGet", &core_http_get_action),
       F("tcpSocket", &core_tcp_socket_action), F("grpc", &core_grpc_action),
       F("initialDelaySeconds", &t_int), F("timeoutSeconds", &t_int),
       F("periodSeconds", &t_int), F("successThreshold", &t_int),
       F("failureThreshold", &t_int), F("terminationGracePeriodSeconds", &t_int));

OBJECT(core_lifecycle_handler, CORE "LifecycleHandler",
       F("exec", &core_exec_action), F("httpGet", &core_http_get_action),
       F("tcpSocket", &core_tcp_socket_action), F("sleep", &core_sleep_action));

OBJECT(core_lifecycle, CORE "Lifecycle",
       F("postStart", &core_lifecycle_handler), F("preStop", &core_lifecycle_handler));

OBJECT(core_capabilities, CORE "Capabilities", F("add", STRINGS), F("drop", STRINGS));

OBJECT(core_selinux_options, CORE "SELinuxOptions",
       F("user", &t_string), F("role", &t_string), F("type", &t_string),
       F("level", &t_string));

OBJECT(core_windows_security_context_options, CORE "WindowsSecurityContextOptions",
       F("gmsaCredentialSpecName", &t_string), F("gmsaCredentialSpec", &t_string),
       F("runAsUserName", &t_string), F("hostProcess", &t_bool));

OBJECT(core_seccomp_profile, CORE "SeccompProfile",
       F("type", &t_string), F("localhostProfile", &t_string));

OBJECT(core_apparmor_profile, CORE "AppArmorProfile",
       F("type", &t_string), F("localhostProfile", &t_string));

OBJECT(core_security_context, CORE "SecurityContext",
       F("capabilities", &core_capabilities), F("privileged", &t_bool),
       F("seLinuxOptions", &core_selinux_options),
       F("windowsOptions", &core_windows_security_context_options),
       F("runAsUser", &t_int), F("runAsGroup", &t_int), F("runAsNonRoot", &t_bool),
       F("readOnlyRootFilesystem", &t_bool), F("allowPrivilegeEscalation", &t_bool),
       F("procMount", &t_string), F("seccompProfile", &core_seccomp_profile),
       F("appArmorProfile", &core_apparmor_profile));

/* The fields Container and EphemeralContainer(Common) share, in upstream order. */
#define CONTAINER_FIELDS                                                                   \
    F("name", &t_string), F("image", &t_string), F("command", STRINGS),                    \
    F("args", STRINGS), F("workingDir", &t_string),                                        \
    F("ports", KEYED(&core_container_port, "containerPort", "merge")),                     \
    F("envFrom", ATOMIC(&core_env_from_source)),                                           \
    F("env", KEYED_NOLT(&core_env_var, "name", "merge")),                                  \
    F("resources", &core_resource_requirements),                                           \
    F("resizePolicy", ATOMIC(&core_container_resize_policy)),                              \
    F("restartPolicy", &t_string),                                                         \
    F("volumeMounts", KEYED_NOLT(&core_volume_mount, "mountPath", "merge")),               \
    F("volumeDevices", KEYED_NOLT(&core_volume_device, "devicePath", "merge")),            \
    F("livenessProbe", &core_probe), F("readinessProbe", &core_probe),                     \
    F("startupProbe", &core_probe), F("lifecycle", &core_lifecycle),                       \
    F("terminationMessagePath", &t_string), F("terminationMessagePolicy", &t_string),      \
    F("imagePullPolicy", &t_string), F("securityContext", &core_security_context),         \
    F("stdin", &t_bool), F("stdinOnce", &t_bool), F("tty", &t_bool)

OBJECT(core_container, CORE "Container", CONTAINER_FIELDS);

OBJECT(core_ephemeral_container, CORE "EphemeralContainer",
       CONTAINER_FIELDS, F("targetContainerName", &t_string));

/* ---- core/v1: volumes ---------------------------------------------------------------- */

OBJECT(core_host_path_volume_source, CORE "HostPathVolumeSource",
       F("path", &t_string), F("type", &t_string));

OBJECT(core_empty_dir_volume_source, CORE "EmptyDirVolumeSource",
       F("medium", &t_string), F("sizeLimit", &t_qty));

OBJECT(core_gce_pd_volume_source, CORE "GCEPersistentDiskVolumeSource",
       F("pdName", &t_string), F("fsType", &t_string), F("partition", &t_int),
       F("readOnly", &t_bool));

OBJECT(core_aws_ebs_volume_source, CORE "AWSElasticBlockStoreVolumeSource",
       F("volumeID", &t_string), F("fsType", &t_string), F("partition", &t_int),
       F("readOnly", &t_bool));

OBJECT(core_git_repo_volume_source, CORE "GitRepoVolumeSource",
       F("repository", &t_string), F("revision", &t_string), F("directory", &t_string));

OBJECT(core_secret_volume_source, CORE "SecretVolumeSource",
       F("secretName", &t_string), F("items", ATOMIC(&core_key_to_path)),
       F("defaultMode", &t_int), F("optional", &t_bool));

OBJECT(core_nfs_volume_source, CORE "NFSVolumeSource",
       F("server", &t_string), F("path", &t_string), F("readOnly", &t_bool));

OBJECT(core_iscsi_volume_source, CORE "ISCSIVolumeSource",
       F("targetPortal", &t_string), F("iqn", &t_string), F("lun", &t_int),
       F("iscsiInterface", &t_string), F("fsType", &t_string), F("readOnly", &t_bool),
       F("portals", STRINGS), F("chapAuthDiscovery", &t_bool), F("chapAuthSession", &t_bool),
       F("secretRef", &core_local_object_reference), F("initiatorName", &t_string));

OBJECT(core_glusterfs_volume_source, CORE "GlusterfsVolumeSource",
       F("endpoints", &t_string), F("path", &t_string), F("readOnly", &t_bool));

OBJECT(core_pvc_volume_source, CORE "PersistentVolumeClaimVolumeSource",
       F("claimName", &t_string), F("readOnly", &t_bool));

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
       F("path", &t_string), F("fieldRef", &core_object_field_selector),
       F("resourceFieldRef", &core_resource_field_selector), F("mode", &t_int));

OBJECT(core_downward_api_volume_source, CORE "DownwardAPIVolumeSource",
       F("items", ATOMIC(&core_downward_api_volume_file)), F("defaultMode", &t_int));

OBJECT(core_fc_volume_source, CORE "FCVolumeSource",
       F("targetWWNs", STRINGS), F("lun", &t_int), F("fsType", &t_string),
       F("readOnly", &t_bool), F("wwids", STRINGS));

OBJECT(core_azure_file_volume_source, CORE "AzureFileVolumeSource",
       F("secretName", &t_string), F("shareName", &t_string), F("readOnly", &t_bool));

OBJECT(core_config_map_volume_source, CORE "ConfigMapVolumeSource",
       F("name", &t_string), F("items", ATOMIC(&core_key_to_path)), F("defaultMode", &t_int),
       F("optional", &t_bool));

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

OBJECT(core_secret_projection, CORE "SecretProjection",
       F("name", &t_string), F("items", ATOMIC(&core_key_to_path)), F("optional", &t_bool));

OBJECT(core_downward_api_projection, CORE "DownwardAPIProjection",
       F("items", ATOMIC(&core_downward_api_volume_file)));

OBJECT(core_config_map_projection, CORE "ConfigMapProjection",
       F("name", &t_string), F("items", ATOMIC(&core_key_to_path)), F("optional", &t_bool));

OBJECT(core_service_account_token_projection, CORE "ServiceAccountTokenProjection",
       F("audience", &t_string), F("expirationSeconds", &t_int), F("path", &t_string));

OBJECT(core_cluster_trust_bundle_projection, CORE "ClusterTrustBundleProjection",
       F("name", &t_string), F("signerName", &t_string),
       F("labelSelector", &meta_label_selector), F("optional", &t_bool),
       F("path", &t_string));

OBJECT(core_volume_projection, CORE "VolumeProjection",
       F("secret", &core_secret_projection), F("downwardAPI", &core_downward_api_projection),
       F("configMap", &core_config_map_projection),
       F("serviceAccountToken", &core_service_account_token_projection),
       F("clusterTrustBundle", &core_cluster_trust_bundle_projection));

OBJECT(core_projected_volume_source, CORE "ProjectedVolumeSource",
       F("sources", ATOMIC(&core_volume_projection)), F("defaultMode", &t_int));

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
       F("driver", &t_string), F("readOnly", &t_bool), F("fsType", &t_string),
       F("volumeAttributes", STRING_MAP),
       F("nodePublishSecretRef", &core_local_object_reference));

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
       F("reference", &t_string), F("pullPolicy", &t_string));

OBJECT(core_volume, CORE "Volume",
       F("name", &t_string), F("hostPath", &core_host_path_volume_source),
       F("emptyDir", &core_empty_dir_volume_source),
       F("gcePersistentDisk", &core_gce_pd_volume_source),
       F("awsElasticBlockStore", &core_aws_ebs_volume_source),
       F("gitRepo", &core_git_repo_volume_source), F("secret", &core_secret_volume_source),
       F("nfs", &core_nfs_volume_source), F("iscsi", &core_iscsi_volume_source),
       F("glusterfs", &core_glusterfs_volume_source),
       F("persistentVolumeClaim", &core_pvc_volume_source),
       F("rbd", &core_rbd_volume_source), F("flexVolume", &core_flex_volume_source),
       F("cinder", &core_cinder_volume_source), F("cephfs", &core_cephfs_volume_source),
       F("flocker", &core_flocker_volume_source),
       F("downwardAPI", &core_downward_api_volume_source), F("fc", &core_fc_volume_source),
       F("azureFile", &core_azure_file_volume_source),
       F("configMap", &core_config_map_volume_source),
       F("vsphereVolume", &core_vsphere_volume_source),
       F("quobyte", &core_quobyte_volume_source),
       F("azureDisk", &core_azure_disk_volume_source),
       F("photonPersistentDisk", &core_photon_pd_volume_source),
       F("projected", &core_projected_volume_source),
       F("portworxVolume", &core_portworx_volume_source),
       F("scaleIO", &core_scaleio_volume_source),
       F("storageos", &core_storageos_volume_source), F("csi", &core_csi_volume_source),
       F("ephemeral", &core_ephemeral_volume_source), F("image", &core_image_volume_source));

/* ---- core/v1: scheduling ------------------------------------------------------------- */

OBJECT(core_node_selector_requirement, CORE "NodeSelectorRequirement",
       F("key", &t_string), F("operator", &t_string), F("values", STRINGS));

OBJECT(core_node_selector_term, CORE "NodeSelectorTerm",
       F("matchExpressions", ATOMIC(&core_node_selector_requirement)),
       F("matchFields", ATOMIC(&core_node_selector_requirement)));

OBJECT(core_node_selector, CORE "NodeSelector",
       F("nodeSelectorTerms", ATOMIC(&core_node_selector_term)));

OBJECT(core_preferred_scheduling_term, CORE "PreferredSchedulingTerm",
       F("weight", &t_int), F("preference", &core_node_selector_term));

OBJECT(core_node_affinity, CORE "NodeAffinity",
       F("requiredDuringSchedulingIgnoredDuringExecution", &core_node_selector),
       F("preferredDuringSchedulingIgnoredDuringExecution",
         ATOMIC(&core_preferred_scheduling_term)));

OBJECT(core_pod_affinity_term, CORE "PodAffinityTerm",
       F("labelSelector", &meta_label_selector), F("namespaces", STRINGS),
       F("topologyKey", &t_string), F("namespaceSelector", &meta_label_selector),
       F("matchLabelKeys", STRINGS), F("mismatchLabelKeys", STRINGS));

OBJECT(core_weighted_pod_affinity_term, CORE "WeightedPodAffinityTerm",
       F("weight", &t_int), F("podAffinityTerm", &core_pod_affinity_term));

OBJECT(core_pod_affinity, CORE "PodAffinity",
       F("requiredDuringSchedulingIgnoredDuringExecution", ATOMIC(&core_pod_affinity_term)),
       F("preferredDuringSchedulingIgnoredDuringExecution",
         ATOMIC(&core_weighted_pod_affinity_term)));

OBJECT(core_pod_anti_affinity, CORE "PodAntiAffinity",
       F("requiredDuringSchedulingIgnoredDuringExecution", ATOMIC(&core_pod_affinity_term)),
       F("preferredDuringSchedulingIgnoredDuringExecution",
         ATOMIC(&core_weighted_pod_affinity_term)));

OBJECT(core_affinity, CORE "Affinity",
       F("nodeAffinity", &core_node_affinity), F("podAffinity", &core_pod_affinity),
       F("podAntiAffinity", &core_pod_anti_affinity));

OBJECT(core_toleration, CORE "Toleration",
       F("key", &t_string), F("operator", &t_string), F("value", &t_string),
       F("effect", &t_string), F("tolerationSeconds", &t_int));

OBJECT(core_host_alias, CORE "HostAlias", F("ip", &t_string), F("hostnames", STRINGS));

OBJECT(core_pod_dns_config_option, CORE "PodDNSConfigOption",
       F("name", &t_string), F("value", &t_string));

OBJECT(core_pod_dns_config, CORE "PodDNSConfig",
       F("nameservers", STRINGS), F("searches", STRINGS),
       F("options", ATOMIC(&core_pod_dns_config_option)));

OBJECT(core_pod_readiness_gate, CORE "PodReadinessGate", F("conditionType", &t_string));

OBJECT(core_topology_spread_constraint, CORE "TopologySpreadConstraint",
       F("maxSkew", &t_int), F("topologyKey", &t_string),
       F("whenUnsatisfiable", &t_string), F("labelSelector", &meta_label_selector),
       F("minDomains", &t_int), F("nodeAffinityPolicy", &t_string),
       F("nodeTaintsPolicy", &t_string), F("matchLabelKeys", STRINGS));

OBJECT(core_pod_os, CORE "PodOS", F("name", &t_string));

OBJECT(core_pod_scheduling_gate, CORE "PodSchedulingGate", F("name", &t_string));

OBJECT(core_pod_resource_claim, CORE "PodResourceClaim",
       F("name", &t_string), F("resourceClaimName", &t_string),
       F("resourceClaimTemplateName", &t_string));

OBJECT(core_sysctl, CORE "Sysctl", F("name", &t_string), F("value", &t_string));

OBJECT(core_pod_security_context, CORE "PodSecurityContext",
       F("seLinuxOptions", &core_selinux_options),
       F("windowsOptions", &core_windows_security_context_options),
       F("runAsUser", &t_int), F("runAsGroup", &t_int), F("runAsNonRoot", &t_bool),
       F("supplementalGroups", ATOMIC(&t_int)), F("supplementalGroupsPolicy", &t_string),
       F("fsGroup", &t_int), F("sysctls", ATOMIC(&core_sysctl)),
       F("fsGroupChangePolicy", &t_string), F("seccompProfile", &core_seccomp_profile),
       F("appArmorProfile", &core_apparmor_profile), F("seLinuxChangePolicy", &t_string));

/* ---- core/v1: Pod -------------------------------------------------------------------- */

OBJECT(core_pod_spec, CORE "PodSpec",
       F("volumes", KEYED(&core_volume, "name", "merge,retainKeys")),
       F("initContainers", KEYED(&core_container, "name", "merge")),
       F("containers", KEYED(&core_container, "name", "merge")),
       F("ephemeralContainers", KEYED(&core_ephemeral_container, "name", "merge")),
       F("restartPolicy", &t_string), F("terminationGracePeriodSeconds", &t_int),
       F("activeDeadlineSeconds", &t_int), F("dnsPolicy", &t_string),
       F("nodeSelector", STRING_MAP), F("serviceAccountName", &t_string),
       F("serviceAccount", &t_string), F("automountServiceAccountToken", &t_bool),
       F("nodeName", &t_string), F("hostNetwork", &t_bool), F("hostPID", &t_bool),
       F("hostIPC", &t_bool), F("shareProcessNamespace", &t_bool),
       F("securityContext", &core_pod_security_context),
       F("imagePullSecrets", KEYED(&core_local_object_reference, "name", "merge")),
       F("hostname", &t_string), F("subdomain", &t_string), F("affinity", &core_affinity),
       F("schedulerName", &t_string), F("tolerations", ATOMIC(&core_toleration)),
       F("hostAliases", KEYED(&core_host_alias, "ip", "merge")),
       F("priorityClassName", &t_string), F("priority", &t_int),
       F("dnsConfig", &core_pod_dns_config),
       F("readinessGates", ATOMIC(&core_pod_readiness_gate)),
       F("runtimeClassName", &t_string), F("enableServiceLinks", &t_bool),
       F("preemptionPolicy", &t_string), F("overhead", QTY_MAP),
       F("topologySpreadConstraints",
         KEYED(&core_topology_spread_constraint, "topologyKey", "merge")),
       F("setHostnameAsFQDN", &t_bool), F("os", &core_pod_os), F("hostUsers", &t_bool),
       F("schedulingGates", KEYED(&core_pod_scheduling_gate, "name", "merge")),
       F("resourceClaims", KEYED(&core_pod_resource_claim, "name", "merge,retainKeys")),
       F("resources", &core_resource_requirements));

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
       F("uid", &t_int), F("gid", &t_int), F("supplementalGroups", ATOMIC(&t_int)));

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
       F("phase", &t_string), F("conditions", KEYED(&core_pod_condition, "type", "merge")),
       F("message", &t_string), F("reason", &t_string), F("nominatedNodeName", &t_string),
       F("hostIP", &t_string), F("hostIPs", KEYED(&core_host_ip, "ip", "merge")),
       F("podIP", &t_string), F("podIPs", KEYED(&core_pod_ip, "ip", "merge")),
       F("startTime", &t_time), F("initContainerStatuses", ATOMIC(&core_container_status)),
       F("containerStatuses", ATOMIC(&core_container_status)), F("qosClass", &t_string),
       F("ephemeralContainerStatuses", ATOMIC(&core_container_status)),
       F("resize", &t_string),
       F("resourceClaimStatuses",
         KEYED(&core_pod_resource_claim_status, "name", "merge,retainKeys")));

OBJECT(core_pod, CORE "Pod",
       F("apiVersion", &t_string), F("kind", &t_string), F("metadata", &meta_object_meta),
       F("spec", &core_pod_spec), F("status", &core_pod_status));

OBJECT(core_pod_template_spec, CORE "PodTemplateSpec",
       F("metadata", &meta_object_meta), F("spec", &core_pod_spec));

/* ---- core/v1: Namespace, ServiceAccount, Secret, ConfigMap, Event --------------------- */

OBJECT(core_namespace_spec, CORE "NamespaceSpec", F("finalizers", STRINGS));

OBJECT(core_namespace_condition, CORE "NamespaceCondition",
       F("type", &t_string), F("status", &t_string), F("lastTransitionTime", &t_time),
       F("reason", &t_string), F("message", &t_string));

OBJECT(core_namespace_status, CORE "NamespaceStatus",
       F("phase", &t_string),
       F("conditions", KEYED(&core_namespace_condition, "type", "merge")));

OBJECT(core_namespace, CORE "Namespace",
       F("apiVersion", &t_string), F("kind", &t_string), F("metadata", &meta_object_meta),
       F("spec", &core_namespace_spec), F("status", &core_namespace_status));

OBJECT(core_service_account, CORE "ServiceAccount",
       F("apiVersion", &t_string), F("kind", &t_string), F("metadata", &meta_object_meta),
       F("secrets", KEYED(&core_object_reference, "name", "merge")),
       F("imagePullSecrets", ATOMIC(&core_local_object_reference)),
       F("automountServiceAccountToken", &t_bool));

OBJECT(core_secret, CORE "Secret",
       F("apiVersion", &t_string), F("kind", &t_string), F("metadata", &meta_object_meta),
       F("immutable", &t_bool), F("data", STRING_MAP), F("stringData", STRING_MAP),
       F("type", &t_string));

OBJECT(core_config_map, CORE "ConfigMap",
       F("apiVersion", &t_string), F("kind", &t_string), F("metadata", &meta_object_meta),
       F("immutable", &t_bool), F("data", STRING_MAP), F("binaryData", STRING_MAP));

OBJECT(core_event_source, CORE "EventSource",
       F("component", &t_string), F("host", &t_string));

/* metav1.MicroTime travels as an RFC3339 string with microseconds, like Time. */
OBJECT(core_event_series, CORE "EventSeries",
       F("count", &t_int), F("lastObservedTime", &t_time));

OBJECT(core_event, CORE "Event",
       F("apiVersion", &t_string), F("kind", &t_string), F("metadata", &meta_object_meta),
       F("involvedObject", &core_object_reference), F("reason", &t_string),
       F("message", &t_string), F("source", &core_event_source),
       F("firstTimestamp", &t_time), F("lastTimestamp", &t_time), F("count", &t_int),
       F("type", &t_string), F("eventTime", &t_time), F("series", &core_event_series),
       F("action", &t_string), F("related", &core_object_reference),
       F("reportingComponent", &t_string), F("reportingInstance", &t_string));

/* events.k8s.io/v1 Event: the same stored objects as core/v1 Events, other field names. */
OBJECT(events_event_series, "io.k8s.api.events.v1.EventSeries",
       F("count", &t_int), F("lastObservedTime", &t_time));

OBJECT(events_event, "io.k8s.api.events.v1.Event",
       F("apiVersion", &t_string), F("kind", &t_string), F("metadata", &meta_object_meta),
       F("eventTime", &t_time), F("series", &events_event_series),
       F("reportingController", &t_string), F("reportingInstance", &t_string),
       F("action", &t_string), F("reason", &t_string), F("regarding", &core_object_reference),
       F("related", &core_object_reference), F("note", &t_string), F("type", &t_string),
       F("deprecatedSource", &core_event_source), F("deprecatedFirstTimestamp", &t_time),
       F("deprecatedLastTimestamp", &t_time), F("deprecatedCount", &t_int));

/* ---- core/v1: Node ------------------------------------------------------------------- */

OBJECT(core_taint, CORE "Taint",
       F("key", &t_string), F("value", &t_string), F("effect", &t_string),
       F("timeAdded", &t_time));

OBJECT(core_config_map_node_config_source, CORE "ConfigMapNodeConfigSource",
       F("namespace", &t_string), F("name", &t_string), F("uid", &t_string),
       F("resourceVersion", &t_string), F("kubeletConfigKey", &t_string));

OBJECT(core_node_config_source, CORE "NodeConfigSource",
       F("configMap", &core_config_map_node_config_source));

OBJECT(core_node_spec, CORE "NodeSpec",
       F("podCIDR", &t_string), F("podCIDRs", MERGE_SET(&t_string)),
       F("providerID", &t_string), F("unschedulable", &t_bool),
       F("taints", ATOMIC(&core_taint)), F("configSource", &core_node_config_source),
       F("externalID", &t_string));

OBJECT(core_node_condition, CORE "NodeCondition",
       F("type", &t_string), F("status", &t_string), F("lastHeartbeatTime", &t_time),
       F("lastTransitionTime", &t_time), F("reason", &t_string), F("message", &t_string));

OBJECT(core_node_address, CORE "NodeAddress",
       F("type", &t_string), F("address", &t_string));

/* DaemonEndpoint's JSON name really is "Port" (capitalised) upstream. */
OBJECT(core_daemon_endpoint, CORE "DaemonEndpoint", F("Port", &t_int));

OBJECT(core_node_daemon_endpoints, CORE "NodeDaemonEndpoints",
       F("kubeletEndpoint", &core_daemon_endpoint));

OBJECT(core_node_system_info, CORE "NodeSystemInfo",
       F("machineID", &t_string), F("systemUUID", &t_string), F("bootID", &t_string),
       F("kernelVersion", &t_string), F("osImage", &t_string),
       F("containerRuntimeVersion", &t_string), F("kubeletVersion", &t_string),
       F("kubeProxyVersion", &t_string), F("operatingSystem", &t_string),
       F("architecture", &t_string));

OBJECT(core_container_image, CORE "ContainerImage",
       F("names", STRINGS), F("sizeBytes", &t_int));

OBJECT(core_attached_volume, CORE "AttachedVolume",
       F("name", &t_string), F("devicePath", &t_string));

OBJECT(core_node_config_status, CORE "NodeConfigStatus",
       F("assigned", &core_node_config_source), F("active", &core_node_config_source),
       F("lastKnownGood", &core_node_config_source), F("error", &t_string));

OBJECT(core_node_runtime_handler_features, CORE "NodeRuntimeHandlerFeatures",
       F("recursiveReadOnlyMounts", &t_bool), F("userNamespaces", &t_bool));

OBJECT(core_node_runtime_handler, CORE "NodeRuntimeHandler",
       F("name", &t_string), F("features", &core_node_runtime_handler_features));

OBJECT(core_node_features, CORE "NodeFeatures", F("supplementalGroupsPolicy", &t_bool));

OBJECT(core_node_status, CORE "NodeStatus",
       F("capacity", QTY_MAP), F("allocatable", QTY_MAP), F("phase", &t_string),
       F("conditions", KEYED(&core_node_condition, "type", "merge")),
       F("addresses", KEYED(&core_node_address, "type", "merge")),
       F("daemonEndpoints", &core_node_daemon_endpoints),
       F("nodeInfo", &core_node_system_info), F("images", ATOMIC(&core_container_image)),
       F("volumesInUse", STRINGS), F("volumesAttached", ATOMIC(&core_attached_volume)),
       F("config", &core_node_config_status),
       F("runtimeHandlers", ATOMIC(&core_node_runtime_handler)),
       F("features", &core_node_features));

OBJECT(core_node, CORE "Node",
       F("apiVersion", &t_string), F("kind", &t_string), F("metadata", &meta_object_meta),
       F("spec", &core_node_spec), F("status", &core_node_status));

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
       F("parallelism", &t_int), F("completions", &t_int),
       F("activeDeadlineSeconds", &t_int), F("podFailurePolicy", &batch_pod_failure_policy),
       F("successPolicy", &batch_success_policy), F("backoffLimit", &t_int),
       F("backoffLimitPerIndex", &t_int), F("maxFailedIndexes", &t_int),
       F("selector", &meta_label_selector), F("manualSelector", &t_bool),
       F("template", &core_pod_template_spec), F("ttlSecondsAfterFinished", &t_int),
       F("completionMode", &t_string), F("suspend", &t_bool),
       F("podReplacementPolicy", &t_string), F("managedBy", &t_string));

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
       F("startTime", &t_time), F("completionTime", &t_time), F("active", &t_int),
       F("succeeded", &t_int), F("failed", &t_int), F("terminating", &t_int),
       F("completedIndexes", &t_string), F("failedIndexes", &t_string),
       F("uncountedTerminatedPods", &batch_uncounted_terminated_pods), F("ready", &t_int));

OBJECT(batch_job, BATCH "Job",
       F("apiVersion", &t_string), F("kind", &t_string), F("metadata", &meta_object_meta),
       F("spec", &batch_job_spec), F("status", &batch_job_status));

/* ---- rbac/v1 ------------------------------------------------------------------------- */

OBJECT(rbac_policy_rule, RBAC "PolicyRule",
       F("verbs", STRINGS), F("apiGroups", STRINGS), F("resources", STRINGS),
       F("resourceNames", STRINGS), F("nonResourceURLs", STRINGS));

OBJECT(rbac_aggregation_rule, RBAC "AggregationRule",
       F("clusterRoleSelectors", ATOMIC(&meta_label_selector)));

OBJECT(rbac_subject, RBAC "Subject",
       F("kind", &t_string), F("apiGroup", &t_string), F("name", &t_string),
       F("namespace", &t_string));

OBJECT(rbac_role_ref, RBAC "RoleRef",
       F("apiGroup", &t_string), F("kind", &t_string), F("name", &t_string));

OBJECT(rbac_role, RBAC "Role",
       F("apiVersion", &t_string), F("kind", &t_string), F("metadata", &meta_object_meta),
       F("rules", ATOMIC(&rbac_policy_rule)));

OBJECT(rbac_cluster_role, RBAC "ClusterRole",
       F("apiVersion", &t_string), F("kind", &t_string), F("metadata", &meta_object_meta),
       F("rules", ATOMIC(&rbac_policy_rule)), F("aggregationRule", &rbac_aggregation_rule));

OBJECT(rbac_role_binding, RBAC "RoleBinding",
       F("apiVersion", &t_string), F("kind", &t_string), F("metadata", &meta_object_meta),
       F("subjects", ATOMIC(&rbac_subject)), F("roleRef", &rbac_role_ref));

OBJECT(rbac_cluster_role_binding, RBAC "ClusterRoleBinding",
       F("apiVersion", &t_string), F("kind", &t_string), F("metadata", &meta_object_meta),
       F("subjects", ATOMIC(&rbac_subject)), F("roleRef", &rbac_role_ref));

/* ---- coordination.k8s.io/v1 ---------------------------------------------------------- */

OBJECT(coord_lease_spec, COORD "LeaseSpec",
       F("holderIdentity", &t_string), F("leaseDurationSeconds", &t_int),
       F("acquireTime", &t_time), F("renewTime", &t_time), F("leaseTransitions", &t_int),
       F("strategy", &t_string), F("preferredHolder", &t_string));

OBJECT(coord_lease, COORD "Lease",
       F("apiVersion", &t_string), F("kind", &t_string), F("metadata", &meta_object_meta),
       F("spec", &coord_lease_spec));

/* ---- authentication.k8s.io/v1 -------------------------------------------------------- */

OBJECT(authn_bound_object_reference, AUTHN "BoundObjectReference",
       F("kind", &t_string), F("apiVersion", &t_string), F("name", &t_string),
       F("uid", &t_string));

OBJECT(authn_token_request_spec, AUTHN "TokenRequestSpec",
       F("audiences", STRINGS), F("expirationSeconds", &t_int),
       F("boundObjectRef", &authn_bound_object_reference));

OBJECT(authn_token_request_status, AUTHN "TokenRequestStatus",
       F("token", &t_string), F("expirationTimestamp", &t_time));

OBJECT(authn_token_request, AUTHN "TokenRequest",
       F("apiVersion", &t_string), F("kind", &t_string), F("metadata", &meta_object_meta),
       F("spec", &authn_token_request_spec), F("status", &authn_token_request_status));

OBJECT(authn_user_info, AUTHN "UserInfo",
       F("username", &t_string), F("uid", &t_string), F("groups", STRINGS),
       F("extra", MAP(STRINGS)));

OBJECT(authn_token_review_spec, AUTHN "TokenReviewSpec",
       F("token", &t_string), F("audiences", STRINGS));

OBJECT(authn_token_review_status, AUTHN "TokenReviewStatus",
       F("authenticated", &t_bool), F("user", &authn_user_info), F("audiences", STRINGS),
       F("error", &t_string));

OBJECT(authn_token_review, AUTHN "TokenReview",
       F("apiVersion", &t_string), F("kind", &t_string), F("metadata", &meta_object_meta),
       F("spec", &authn_token_review_spec), F("status", &authn_token_review_status));

OBJECT(authn_self_subject_review_status, AUTHN "SelfSubjectReviewStatus",
       F("userInfo", &authn_user_info));

OBJECT(authn_self_subject_review, AUTHN "SelfSubjectReview",
       F("apiVersion", &t_string), F("kind", &t_string), F("metadata", &meta_object_meta),
       F("status", &authn_self_subject_review_status));

/* ---- authorization.k8s.io/v1 --------------------------------------------------------- */

OBJECT(meta_field_selector_requirement, META "FieldSelectorRequirement",
       F("key", &t_string), F("operator", &t_string), F("values", STRINGS));

OBJECT(authz_field_selector_attributes, AUTHZ "FieldSelectorAttributes",
       F("rawSelector", &t_string),
       F("requirements", ATOMIC(&meta_field_selector_requirement)));

OBJECT(authz_label_selector_attributes, AUTHZ "LabelSelectorAttributes",
       F("rawSelector", &t_string),
       F("requirements", ATOMIC(&meta_label_selector_requirement)));

OBJECT(authz_resource_attributes, AUTHZ "ResourceAttributes",
       F("namespace", &t_string), F("verb", &t_string), F("group", &t_string),
       F("version", &t_string), F("resource", &t_string), F("subresource", &t_string),
       F("name", &t_string), F("fieldSelector", &authz_field_selector_attributes),
       F("labelSelector", &authz_label_selector_attributes));

OBJECT(authz_non_resource_attributes, AUTHZ "NonResourceAttributes",
       F("path", &t_string), F("verb", &t_string));

OBJECT(authz_subject_access_review_spec, AUTHZ "SubjectAccessReviewSpec",
       F("resourceAttributes", &authz_resource_attributes),
       F("nonResourceAttributes", &authz_non_resource_attributes), F("user", &t_string),
       F("groups", STRINGS), F("extra", MAP(STRINGS)), F("uid", &t_string));

OBJECT(authz_self_subject_access_review_spec, AUTHZ "SelfSubjectAccessReviewSpec",
       F("resourceAttributes", &authz_resource_attributes),
       F("nonResourceAttributes", &authz_non_resource_attributes));

OBJECT(authz_subject_access_review_status, AUTHZ "SubjectAccessReviewStatus",
       F("allowed", &t_bool), F("denied", &t_bool), F("reason", &t_string),
       F("evaluationError", &t_string));

OBJECT(authz_subject_access_review, AUTHZ "SubjectAccessReview",
       F("apiVersion", &t_string), F("kind", &t_string), F("metadata", &meta_object_meta),
       F("spec", &authz_subject_access_review_spec),
       F("status", &authz_subject_access_review_status));

OBJECT(authz_local_subject_access_review, AUTHZ "LocalSubjectAccessReview",
       F("apiVersion", &t_string), F("kind", &t_string), F("metadata", &meta_object_meta),
       F("spec", &authz_subject_access_review_spec),
       F("status", &authz_subject_access_review_status));

OBJECT(authz_self_subject_access_review, AUTHZ "SelfSubjectAccessReview",
       F("apiVersion", &t_string), F("kind", &t_string), F("metadata", &meta_object_meta),
       F("spec", &authz_self_subject_access_review_spec),
       F("status", &authz_subject_access_review_status));

OBJECT(authz_self_subject_rules_review_spec, AUTHZ "SelfSubjectRulesReviewSpec",
       F("namespace", &t_string));

OBJECT(authz_resource_rule, AUTHZ "ResourceRule",
       F("verbs", STRINGS), F("apiGroups", STRINGS), F("resources", STRINGS),
       F("resourceNames", STRINGS));

OBJECT(authz_non_resource_rule, AUTHZ "NonResourceRule",
       F("verbs", STRINGS), F("nonResourceURLs", STRINGS));

OBJECT(authz_subject_rules_review_status, AUTHZ "SubjectRulesReviewStatus",
       F("resourceRules", ATOMIC(&authz_resource_rule)),
       F("nonResourceRules", ATOMIC(&authz_non_resource_rule)),
       F("incomplete", &t_bool), F("evaluationError", &t_string));

OBJECT(authz_self_subject_rules_review, AUTHZ "SelfSubjectRulesReview",
       F("apiVersion", &t_string), F("kind", &t_string), F("metadata", &meta_object_meta),
       F("spec", &authz_self_subject_rules_review_spec),
       F("status", &authz_subject_rules_review_status));

/* ---- the kind index ------------------------------------------------------------------ */

const struct schema_kind schema_core__kinds[] = {
    {"", "v1", "Namespace", &core_namespace},
    {"", "v1", "ServiceAccount", &core_service_account},
    {"", "v1", "Secret", &core_secret},
    {"", "v1", "ConfigMap", &core_config_map},
    {"", "v1", "Pod", &core_pod},
    {"", "v1", "Node", &core_node},
    {"", "v1", "Event", &core_event},
    {"events.k8s.io", "v1", "Event", &events_event},
    {"batch", "v1", "Job", &batch_job},
    {"rbac.authorization.k8s.io", "v1", "Role", &rbac_role},
    {"rbac.authorization.k8s.io", "v1", "ClusterRole", &rbac_cluster_role},
    {"rbac.authorization.k8s.io", "v1", "RoleBinding", &rbac_role_binding},
    {"rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", &rbac_cluster_role_binding},
    {"coordination.k8s.io", "v1", "Lease", &coord_lease},
    {"authentication.k8s.io", "v1", "TokenRequest", &authn_token_request},
    {"authentication.k8s.io", "v1", "TokenReview", &authn_token_review},
    {"authentication.k8s.io", "v1", "SelfSubjectReview", &authn_self_subject_review},
    {"authorization.k8s.io", "v1", "SelfSubjectAccessReview",
     &authz_self_subject_access_review},
    {"authorization.k8s.io", "v1", "SubjectAccessReview", &authz_subject_access_review},
    {"authorization.k8s.io", "v1", "LocalSubjectAccessReview",
     &authz_local_subject_access_review},
    {"authorization.k8s.io", "v1", "SelfSubjectRulesReview",
     &authz_self_subject_rules_review},
    /* meta/v1 kinds: DeleteOptions and Status are accepted in every group-version. */
    {"*", "*", "DeleteOptions", &meta_delete_options},
    {"*", "*", "Status", &meta_status},
    {NULL, NULL, NULL, NULL},
};

const struct schema_node *const schema_core__list_meta = &meta_list_meta;
