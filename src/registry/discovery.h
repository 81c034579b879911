/* discovery.h — /version, legacy discovery (/api, /apis, /api/v1, /apis/<g>[/<v>]) and
 * aggregated discovery (apidiscovery.k8s.io/v2 and v2beta1), all generated from the resource table. */
#ifndef ANZEN_API_DISCOVERY_H
#define ANZEN_API_DISCOVERY_H

#include <jansson.h>
#include <stdbool.h>

#define ANZEN_K8S_MAJOR "1"
#define ANZEN_K8S_MINOR "32"
#define ANZEN_K8S_GIT_VERSION "v1.32.0"

#define DISCOVERY_V2_CONTENT_TYPE "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
/* what 1.32 still serves to kubectl 1.27–1.29, which know only v2beta1 */
#define DISCOVERY_V2BETA1_CONTENT_TYPE "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList"

json_t *discovery_version(void);
/* /api: APIVersions; server_address like "127.0.0.1:6443". */
json_t *discovery_api_versions(const char *server_address);
/* /apis: APIGroupList (groups other than core). */
json_t *discovery_api_groups(void);
/* /apis/<group>: APIGroup, or NULL if the group is not served. */
json_t *discovery_api_group(const char *group);
/* /api/v1 or /apis/<g>/<v>: APIResourceList, or NULL if not served. */
json_t *discovery_resource_list(const char *group, const char *version);
/* Aggregated: core (legacy=true: the /api document) or the /apis document. */
json_t *discovery_aggregated(bool legacy);
/* The same document as apidiscovery.k8s.io/VERSION ("v2" or "v2beta1": same shape). */
json_t *discovery_aggregated_version(bool legacy, const char *version);
/* The list of kinds of a group-version for openapi_v3_document(). */
json_t *discovery_openapi_kinds(const char *group, const char *version);
/* The served group-versions as "api/v1", "apis/batch/v1", ... (JSON array). */
json_t *discovery_openapi_paths(void);

#endif
