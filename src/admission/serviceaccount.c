/* serviceaccount.c — the ServiceAccount admission plugin for pods (spec/04, upstream
 * plugin/pkg/admission/serviceaccount):
 *
 *   mutate (pod CREATE)   serviceAccountName defaults to "default"; the ServiceAccount must
 *                         exist (403 otherwise); unless automount is off (Pod's
 *                         automountServiceAccountToken wins over the SA's; default true) every
 *                         init container and container gets a read-only mount of the
 *                         kube-api-access-XXXXX projected volume (spec/03 §3.5); the SA's
 *                         imagePullSecrets are copied when the pod has none.
 *   validate (pod CREATE, pods/ephemeralcontainers UPDATE)
 *                         mirror-pod restrictions, SA existence, and the mountable-secrets
 *                         restriction of SAs annotated kubernetes.io/enforce-mountable-secrets.
 *
 * The v1 conversion of the deprecated spec.serviceAccount is also done here (for every pod
 * create and update): an empty serviceAccountName takes serviceAccount's value, and
 * serviceAccount always mirrors serviceAccountName, as in every upstream v1 response.
 *
 * Every rejection is a 403 `pods "<name>" is forbidden: <reason>` built by status_forbidden. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "registry/admission.h"
#include "admission/serviceaccount.h"
#include "registry/rest.h"
#include "machinery/status.h"
#include "registry/loopback.h"
#include "util/biglock.h"
#include "util/buf.h"
#include "util/json.h"
#include "util/util.h"

#define SA_TOKEN_MOUNT_PATH "/var/run/secrets/kubernetes.io/serviceaccount"
#define SA_VOLUME_PREFIX "kube-api-access-"
#define SA_TOKEN_EXPIRATION 3607 /* upstream's warnafter-extended default (spec/03 §3.1) */
#define MIRROR_POD_ANNOTATION "kubernetes.io/config.mirror"
#define ENFORCE_MOUNTABLE_ANNOTATION "kubernetes.io/enforce-mountable-secrets"
#define GENERATE_NAME_MAX_PREFIX 58 /* rest.c truncates generateName to this before the suffix */

static bool is_pod_call(const struct api_call *c)
{
    return c->res != NULL && (c->res->flags & RES_POD) != 0;
}

static const char *str_or_empty(const char *s)
{
    return s != NULL ? s : "";
}

/* True if name looks like rest.c's expansion of generateName gen: the (truncated) prefix
 * followed by five characters of random_suffix's alphabet. */
static bool is_generated_name(const char *name, const char *gen)
{
    static const char alphabet[] = "bcdfghjklmnpqrstvwxz2456789";
    size_t glen = strlen(gen);
    if (glen > GENERATE_NAME_MAX_PREFIX)
        glen = GENERATE_NAME_MAX_PREFIX;
    if (strlen(name) != glen + 5 || strncmp(name, gen, glen) != 0)
        return false;
    for (size_t i = glen; i < glen + 5; i++)
        if (strchr(alphabet, name[i]) == NULL)
            return false;
    return true;
}

/* The name upstream's admission errors carry: the request name, else metadata.name, else
 * metadata.generateName, else "Unknown". Upstream runs admission on create before names are
 * generated, so a name rest.c generated from generateName is reported as the generateName. */
static const char *pod_error_name(const struct api_call *c, json_t *pod)
{
    const char *name = c->name != NULL && *c->name ? c->name : json_path_str(pod, "metadata.name");
    const char *gen = json_path_str(pod, "metadata.generateName");
    bool creating = c->subresource == NULL && json_path(pod, "metadata.resourceVersion") == NULL;
    if (creating && gen != NULL && *gen && (name == NULL || !*name || is_generated_name(name, gen)))
        return gen;
    if (name != NULL && *name)
        return name;
    return "Unknown";
}

static int forbid(const struct api_call *c, json_t *pod, const char *reason, json_t **ret_status)
{
    *ret_status = status_forbidden("", "pods", pod_error_name(c, pod), reason);
    return AZ_EFORBIDDEN;
}

/* v1 conversion of the deprecated serviceAccount field (see the file comment). */
static void convert_deprecated_service_account(json_t *spec)
{
    if (!json_is_object(spec))
        return;
    const char *name = json_str(spec, "serviceAccountName");
    const char *old = json_str(spec, "serviceAccount");
    if ((name == NULL || !*name) && old != NULL && *old)
        json_object_set_new(spec, "serviceAccountName", json_string(old));
    name = json_str(spec, "serviceAccountName");
    if (name != NULL && *name)
        json_object_set_new(spec, "serviceAccount", json_string(name));
    else
        json_object_del(spec, "serviceAccount");
}

/* Reads ServiceAccount ns/name. Returns 0 with *ret_sa, or a negative code with the 403
 * `error looking up service account ns/name: <cause>` in *ret_status. */
static int lookup_service_account(const struct api_call *c, json_t *pod, const char *name,
                                  json_t **ret_sa, json_t **ret_status)
{
    const struct resource_def *sar = resource_by_kind("", "ServiceAccount");
    /* a lister read (upstream: the service account informer), not an API request */
    struct api_call gc = {.srv = c->srv, .res = sar, .ns = c->ns, .name = name,
                          .user = apiserver_loopback_user(), .internal = true};
    json_t *sa = NULL, *st = NULL;
    int rc = sar != NULL ? rest_get(&gc, &sa, &st) : AZ_ENOTFOUND;
    if (rc == AZ_ENOTFOUND && strcmp(name, "default") == 0 && thread_may_wait()) {
        /* upstream looks the default SA up ten times, 100-200 ms apart: its controller creates
         * it just after the namespace, and `kubectl apply` of a namespace and a pod is one
         * breath. Only where sleeping stalls no one else (a write thread, lock suspended). */
        unsigned char r;
        random_bytes(&r, 1);
        struct timespec gap = {0, (100 + r * 100 / 256) * 1000000L};
        for (int i = 1; i < 10 && rc == AZ_ENOTFOUND; i++) {
            json_decref(st);
            st = NULL;
            int held = biglock_suspend();
            nanosleep(&gap, NULL);
            biglock_resume(held);
            rc = rest_get(&gc, &sa, &st);
        }
    }
    if (rc == 0) {
        *ret_sa = sa;
        return 0;
    }
    char *reason;
    if (rc == AZ_ENOTFOUND)
        /* upstream's inner error comes from the informer lister: singular, lower case */
        reason = xasprintf("error looking up service account %s/%s: serviceaccount \"%s\" not found",
                           str_or_empty(c->ns), name, name);
    else
        reason = xasprintf("error looking up service account %s/%s: %s", str_or_empty(c->ns), name,
                           str_or_empty(json_str(st, "message")));
    json_decref(st);
    rc = forbid(c, pod, reason, ret_status);
    free(reason);
    return rc;
}

/* spec/03 §3.5: the projected volume source, in Go field order, already defaulted. */
static json_t *token_volume_source(void)
{
    return json_pack("{s:[{s:{s:i, s:s}}, {s:{s:s, s:[{s:s, s:s}]}}, {s:{s:[{s:s, s:{s:s, s:s}}]}}], s:i}",
                     "sources",
                     "serviceAccountToken", "expirationSeconds", SA_TOKEN_EXPIRATION, "path", "token",
                     "configMap", "name", "kube-root-ca.crt", "items", "key", "ca.crt", "path", "ca.crt",
                     "downwardAPI", "items", "path", "namespace", "fieldRef", "apiVersion", "v1",
                     "fieldPath", "metadata.namespace",
                     "defaultMode", 420);
}

/* Appends the token mount to every container of list that has nothing mounted at the
 * token path. Returns true if at least one container got it. */
static bool mount_token_in(json_t *containers, const char *volume_name)
{
    bool added = false;
    size_t i;
    json_t *ctr;
    json_array_foreach(containers, i, ctr) {
        if (!json_is_object(ctr))
            continue;
        json_t *mounts = json_object_get(ctr, "volumeMounts");
        bool present = false;
        size_t j;
        json_t *m;
        json_array_foreach(mounts, j, m) {
            const char *mp = json_str(m, "mountPath");
            if (mp != NULL && strcmp(mp, SA_TOKEN_MOUNT_PATH) == 0) {
                present = true;
                break;
            }
        }
        if (present)
            continue;
        if (!json_is_array(mounts)) {
            mounts = json_array();
            json_object_set_new(ctr, "volumeMounts", mounts);
        }
        json_array_append_new(mounts, json_pack("{s:s, s:b, s:s}", "name", volume_name, "readOnly", 1,
                                                "mountPath", SA_TOKEN_MOUNT_PATH));
        added = true;
    }
    return added;
}

/* Sets spec.volumes, placing a new key first as in PodSpec's Go field order. */
static json_t *ensure_volumes(json_t *pod, json_t *spec)
{
    json_t *vols = json_object_get(spec, "volumes");
    if (json_is_array(vols))
        return vols;
    json_t *nspec = json_object();
    vols = json_array();
    json_object_set_new(nspec, "volumes", vols);
    const char *k;
    json_t *v;
    json_object_foreach(spec, k, v) if (strcmp(k, "volumes") != 0) json_object_set(nspec, k, v);
    /* replacing an existing key keeps its position in pod */
    json_object_set_new(pod, "spec", nspec);
    return vols;
}

static void mount_service_account_token(json_t *pod)
{
    json_t *spec = json_object_get(pod, "spec");
    char *volume_name = NULL;
    bool has_volume = false;
    size_t i;
    json_t *vol;
    json_array_foreach(json_object_get(spec, "volumes"), i, vol) {
        const char *n = json_str(vol, "name");
        if (n != NULL && strncmp(n, SA_VOLUME_PREFIX, strlen(SA_VOLUME_PREFIX)) == 0) {
            volume_name = xstrdup(n);
            has_volume = true;
            break;
        }
    }
    if (volume_name == NULL) {
        char sfx[6];
        random_suffix(sfx);
        volume_name = xasprintf("%s%s", SA_VOLUME_PREFIX, sfx);
    }
    bool needed = mount_token_in(json_object_get(spec, "initContainers"), volume_name);
    needed = mount_token_in(json_object_get(spec, "containers"), volume_name) || needed;
    if (needed && !has_volume) {
        json_t *vols = ensure_volumes(pod, spec);
        json_array_append_new(vols, json_pack("{s:s, s:o}", "name", volume_name, "projected",
                                              token_volume_source()));
    }
    free(volume_name);
}

static bool should_automount(json_t *pod, json_t *sa)
{
    json_t *v = json_path(pod, "spec.automountServiceAccountToken");
    if (json_is_boolean(v))
        return json_is_true(v);
    v = json_object_get(sa, "automountServiceAccountToken");
    if (json_is_boolean(v))
        return json_is_true(v);
    return true;
}

static void copy_image_pull_secrets(json_t *spec, json_t *sa)
{
    if (json_array_size(json_object_get(spec, "imagePullSecrets")) > 0)
        return;
    json_t *from = json_object_get(sa, "imagePullSecrets");
    if (json_array_size(from) == 0)
        return;
    json_t *out = json_array();
    size_t i;
    json_t *ref;
    json_array_foreach(from, i, ref) {
        json_t *r = json_object();
        const char *n = json_str(ref, "name");
        if (n != NULL && *n)
            json_object_set_new(r, "name", json_string(n));
        json_array_append_new(out, r);
    }
    json_object_set_new(spec, "imagePullSecrets", out);
}

static bool is_mirror_pod(json_t *pod)
{
    return json_object_get(json_path(pod, "metadata.annotations"), MIRROR_POD_ANNOTATION) != NULL;
}

static int sa_mutate(struct api_call *c, enum admission_op op, json_t *obj, json_t *old,
                     json_t **ret_status)
{
    if (!is_pod_call(c) || !json_is_object(obj))
        return 0;
    json_t *spec = json_object_get(obj, "spec");
    if (op == ADMIT_CREATE || op == ADMIT_UPDATE)
        convert_deprecated_service_account(spec);
    if (op != ADMIT_CREATE || c->subresource != NULL || !json_is_object(spec))
        return 0;
    if (is_mirror_pod(obj))
        return 0;
    const char *sa_name = json_str(spec, "serviceAccountName");
    if (sa_name == NULL || !*sa_name) {
        json_object_set_new(spec, "serviceAccountName", json_string("default"));
        convert_deprecated_service_account(spec);
        sa_name = "default";
    }
    json_t *sa = NULL;
    int rc = lookup_service_account(c, obj, sa_name, &sa, ret_status);
    if (rc < 0)
        return rc;
    if (should_automount(obj, sa))
        mount_service_account_token(obj);
    copy_image_pull_secrets(json_object_get(obj, "spec"), sa);
    json_decref(sa);
    return 0;
}

/* ---- validation --------------------------------------------------------------------- */

/* Go strconv.ParseBool's true spellings. */
static bool go_parse_bool_true(const char *s)
{
    static const char *yes[] = {"1", "t", "T", "TRUE", "true", "True"};
    for (size_t i = 0; s != NULL && i < sizeof(yes) / sizeof(yes[0]); i++)
        if (strcmp(s, yes[i]) == 0)
            return true;
    return false;
}

static bool name_in_refs(json_t *refs, const char *name)
{
    size_t i;
    json_t *r;
    json_array_foreach(refs, i, r) {
        const char *n = json_str(r, "name");
        if (n != NULL && strcmp(n, name) == 0)
            return true;
    }
    return false;
}

/* Secret references of a container's env/envFrom not in allowed; returns a malloc'd reason
 * (with what = "init container", "container" or "ephemeral container") or NULL. */
static char *check_container_secret_refs(json_t *containers, const char *what, json_t *allowed,
                                         const char *sa_name)
{
    size_t i;
    json_t *ctr;
    json_array_foreach(containers, i, ctr) {
        const char *cname = str_or_empty(json_str(ctr, "name"));
        size_t j;
        json_t *e;
        json_array_foreach(json_object_get(ctr, "env"), j, e) {
            const char *s = json_path_str(e, "valueFrom.secretKeyRef.name");
            if (json_path(e, "valueFrom.secretKeyRef") != NULL && !name_in_refs(allowed, str_or_empty(s)))
                return xasprintf("%s %s with envVar %s referencing secret.secretName=\"%s\" is not allowed "
                                 "because service account %s does not reference that secret",
                                 what, cname, str_or_empty(json_str(e, "name")), str_or_empty(s), sa_name);
        }
        json_array_foreach(json_object_get(ctr, "envFrom"), j, e) {
            const char *s = json_path_str(e, "secretRef.name");
            if (json_object_get(e, "secretRef") != NULL && !name_in_refs(allowed, str_or_empty(s)))
                return xasprintf("%s %s with envFrom referencing secret.secretName=\"%s\" is not allowed "
                                 "because service account %s does not reference that secret",
                                 what, cname, str_or_empty(s), sa_name);
        }
    }
    return NULL;
}

/* Upstream limitSecretReferences: returns a malloc'd reason, or NULL if every reference is
 * allowed. Projected secret sources are not checked (as upstream). */
static char *limit_secret_references(json_t *sa, json_t *pod)
{
    const char *sa_name = str_or_empty(json_path_str(sa, "metadata.name"));
    json_t *mountable = json_object_get(sa, "secrets");
    json_t *spec = json_object_get(pod, "spec");
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(spec, "volumes"), i, v) {
        json_t *sec = json_object_get(v, "secret");
        if (sec == NULL)
            continue;
        const char *s = str_or_empty(json_str(sec, "secretName"));
        if (!name_in_refs(mountable, s))
            return xasprintf("volume with secret.secretName=\"%s\" is not allowed because service account "
                             "%s does not reference that secret", s, sa_name);
    }
    char *reason = check_container_secret_refs(json_object_get(spec, "initContainers"), "init container",
                                               mountable, sa_name);
    if (reason == NULL)
        reason = check_container_secret_refs(json_object_get(spec, "containers"), "container", mountable,
                                             sa_name);
    if (reason != NULL)
        return reason;
    json_t *pulls = json_object_get(sa, "imagePullSecrets");
    json_array_foreach(json_object_get(spec, "imagePullSecrets"), i, v) {
        const char *s = str_or_empty(json_str(v, "name"));
        if (!name_in_refs(pulls, s))
            return xasprintf("imagePullSecrets[%zu].name=\"%s\" is not allowed because service account %s "
                             "does not reference that imagePullSecret", i, s, sa_name);
    }
    return NULL;
}

/* Volume sources that name a Secret (upstream VisitPodSecretNames), as "source.field". */
static const char *const secret_volume_refs[] = {
    "secret.secretName",        "azureFile.secretName",   "cephfs.secretRef",
    "cinder.secretRef",         "flexVolume.secretRef",   "rbd.secretRef",
    "scaleIO.secretRef",        "iscsi.secretRef",        "storageos.secretRef",
    "csi.nodePublishSecretRef",
};

static bool containers_reference_secrets(json_t *containers)
{
    size_t i;
    json_t *ctr;
    json_array_foreach(containers, i, ctr) {
        size_t j;
        json_t *e;
        json_array_foreach(json_object_get(ctr, "env"), j, e) if (json_path(e, "valueFrom.secretKeyRef")) return true;
        json_array_foreach(json_object_get(ctr, "envFrom"), j, e) if (json_object_get(e, "secretRef")) return true;
    }
    return false;
}

static bool pod_references_secrets(json_t *spec)
{
    if (json_array_size(json_object_get(spec, "imagePullSecrets")) > 0)
        return true;
    if (containers_reference_secrets(json_object_get(spec, "initContainers")) ||
        containers_reference_secrets(json_object_get(spec, "containers")) ||
        containers_reference_secrets(json_object_get(spec, "ephemeralContainers")))
        return true;
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(spec, "volumes"), i, v) {
        for (size_t k = 0; k < sizeof(secret_volume_refs) / sizeof(secret_volume_refs[0]); k++)
            if (json_path(v, secret_volume_refs[k]) != NULL)
                return true;
        size_t j;
        json_t *src;
        json_array_foreach(json_path(v, "projected.sources"), j, src) if (json_object_get(src, "secret")) return true;
    }
    return false;
}

static bool pod_projects_sa_token(json_t *spec)
{
    size_t i, j;
    json_t *v, *src;
    json_array_foreach(json_object_get(spec, "volumes"), i, v) {
        json_array_foreach(json_path(v, "projected.sources"), j, src) {
            if (json_object_get(src, "serviceAccountToken") != NULL)
                return true;
        }
    }
    return false;
}

static int validate_mirror_pod(struct api_call *c, json_t *pod, json_t **ret_status)
{
    json_t *spec = json_object_get(pod, "spec");
    const char *sa_name = json_str(spec, "serviceAccountName");
    if (sa_name != NULL && *sa_name)
        return forbid(c, pod, "a mirror pod may not reference service accounts", ret_status);
    if (pod_references_secrets(spec))
        return forbid(c, pod, "a mirror pod may not reference secrets", ret_status);
    if (pod_projects_sa_token(spec))
        return forbid(c, pod, "a mirror pod may not use ServiceAccountToken volume projections", ret_status);
    return 0;
}

static int sa_validate(struct api_call *c, enum admission_op op, json_t *obj, json_t *old,
                       json_t **ret_status)
{
    if (!is_pod_call(c) || !json_is_object(obj))
        return 0;
    bool ephemeral = op == ADMIT_UPDATE && c->subresource != NULL &&
                     strcmp(c->subresource, "ephemeralcontainers") == 0;
    if (!(op == ADMIT_CREATE && c->subresource == NULL) && !ephemeral)
        return 0;
    if (!ephemeral && is_mirror_pod(obj))
        return validate_mirror_pod(c, obj, ret_status);
    const char *sa_name = json_path_str(obj, "spec.serviceAccountName");
    if (sa_name == NULL || !*sa_name) {
        char *reason = xasprintf("no service account specified for pod %s/%s", str_or_empty(c->ns),
                                 str_or_empty(json_path_str(obj, "metadata.name")));
        int rc = forbid(c, obj, reason, ret_status);
        free(reason);
        return rc;
    }
    json_t *sa = NULL;
    int rc = lookup_service_account(c, obj, sa_name, &sa, ret_status);
    if (rc < 0)
        return rc;
    char *reason = NULL;
    const char *enforce = json_str(json_path(sa, "metadata.annotations"), ENFORCE_MOUNTABLE_ANNOTATION);
    if (go_parse_bool_true(enforce)) {
        if (ephemeral)
            reason = check_container_secret_refs(json_path(obj, "spec.ephemeralContainers"),
                                                 "ephemeral container", json_object_get(sa, "secrets"),
                                                 sa_name);
        else
            reason = limit_secret_references(sa, obj);
    }
    if (reason != NULL) {
        rc = forbid(c, obj, reason, ret_status);
        free(reason);
    }
    json_decref(sa);
    return rc;
}

/* sa_mutate's and sa_validate's rows: Pods (is_pod_call). */
static bool sa_acts_on(const struct resource_def *r, enum admission_op op)
{
    (void)op;
    return (r->flags & RES_POD) != 0;
}

static const struct admission_plugin serviceaccount_plugin = {
    .name = "ServiceAccount",
    .acts_on = sa_acts_on,
    .mutate = sa_mutate,
    .validate = sa_validate,
};

const struct admission_plugin *serviceaccount_admission(void)
{
    return &serviceaccount_plugin;
}
