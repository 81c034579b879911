/* validate_core.c — defaulting and validation of the core/v1 kinds anzen serves (Pod, Secret,
 * ConfigMap, ServiceAccount, Namespace, Node, Event) and coordination.k8s.io Lease, following
 * upstream v1.32:
 *   pkg/apis/core/v1/defaults.go           SetDefaults_Pod/PodSpec/Container/Volume/Probe/...
 *   pkg/registry/core/pod/strategy.go      PrepareForCreate: status {Pending, qosClass}
 *   pkg/apis/core/helper/qos               ComputePodQOS
 *   pkg/registry/core/namespace/strategy.go PrepareForCreate: "kubernetes" finalizer
 *   plugin/pkg/admission/priority, defaulttolerationseconds (create-time pod mutations)
 *   pkg/apis/core/validation/validation.go ValidatePod/Secret/ConfigMap/Namespace/...
 *   pkg/apis/coordination/validation       ValidateLease
 * Only the fields listed here are checked; anything else passes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "machinery/validate.h"
#include "machinery/validate_int.h"
#include "util/buf.h"
#include "util/util.h"

#define MAX_SECRET_SIZE (1024 * 1024)

/* ---- defaults ------------------------------------------------------------------------------ */

/* parsers.ParseImageName's tag: "latest" when neither tag nor digest is given; "" when the
 * reference does not parse (then the pull policy defaults to IfNotPresent). */
static bool image_tag_is_latest(const char *image)
{
    if (!*image)
        return false; /* does not parse */
    for (const char *p = image; *p; p++) {
        if (*p == ' ' || (unsigned char)*p < 0x20)
            return false;
    }
    const char *at = strchr(image, '@');
    size_t name_len = at ? (size_t)(at - image) : strlen(image);
    const char *last_slash = NULL;
    for (size_t i = 0; i < name_len; i++)
        if (image[i] == '/')
            last_slash = image + i;
    const char *last = last_slash ? last_slash + 1 : image;
    const char *colon = memchr(last, ':', name_len - (size_t)(last - image));
    /* repository path must be lower case (the domain part may not be, but keep it simple:
     * only the last path component is checked here) */
    for (const char *p = last; p < (colon ? colon : image + name_len); p++)
        if (*p >= 'A' && *p <= 'Z')
            return false;
    if (colon)
        return strncmp(colon + 1, "latest", 6) == 0 &&
               (size_t)(colon + 7 - image) == name_len;
    return at == NULL;
}

static void defaults_http_get(json_t *handler)
{
    json_t *hg = jobj(handler, "httpGet");
    if (hg) {
        jset_default_str(hg, "path", "/");
        jset_default_str(hg, "scheme", "HTTP");
    }
}

static void defaults_probe(json_t *probe)
{
    if (!probe)
        return;
    jset_default_int(probe, "timeoutSeconds", 1);
    jset_default_int(probe, "periodSeconds", 10);
    jset_default_int(probe, "successThreshold", 1);
    jset_default_int(probe, "failureThreshold", 3);
    defaults_http_get(probe);
}

static void defaults_field_ref(json_t *holder)
{
    json_t *fr = jobj(holder, "fieldRef");
    if (fr)
        jset_default_str(fr, "apiVersion", "v1");
}

static void defaults_container(json_t *c, bool is_pod, bool host_network)
{
    if (!json_is_object(c))
        return;
    if (!*jstr(c, "imagePullPolicy"))
        json_object_set_new(c, "imagePullPolicy",
                            json_string(image_tag_is_latest(jstr(c, "image")) ? "Always"
                                                                                : "IfNotPresent"));
    jset_default_str(c, "terminationMessagePath", "/dev/termination-log");
    jset_default_str(c, "terminationMessagePolicy", "File");
    json_t *res = jobj_ensure(c, "resources");
    if (is_pod && res && jobj(res, "limits")) {
        /* SetDefaults_Pod: requests default to limits */
        json_t *req = jobj_ensure(res, "requests");
        const char *k;
        json_t *v;
        json_object_foreach(jobj(res, "limits"), k, v) if (req && !json_object_get(req, k))
            json_object_set(req, k, v);
    }
    size_t i;
    json_t *x;
    json_array_foreach(jarr(c, "ports"), i, x) {
        jset_default_str(x, "protocol", "TCP");
        if (host_network && json_is_object(x) && !json_object_get(x, "hostPort") &&
            json_object_get(x, "containerPort"))
            json_object_set(x, "hostPort", json_object_get(x, "containerPort"));
    }
    json_array_foreach(jarr(c, "env"), i, x) defaults_field_ref(jobj(x, "valueFrom"));
    defaults_probe(jobj(c, "livenessProbe"));
    defaults_probe(jobj(c, "readinessProbe"));
    defaults_probe(jobj(c, "startupProbe"));
    json_t *lc = jobj(c, "lifecycle");
    defaults_http_get(jobj(lc, "postStart"));
    defaults_http_get(jobj(lc, "preStop"));
}

static void defaults_volume(json_t *vol)
{
    if (!json_is_object(vol))
        return;
    bool has_source = false;
    const char *k;
    json_t *v;
    json_object_foreach(vol, k, v) if (strcmp(k, "name") && !json_is_null(v)) has_source = true;
    if (!has_source)
        json_object_set_new(vol, "emptyDir", json_object());
    jset_default_int(jobj(vol, "secret"), "defaultMode", 420);
    jset_default_int(jobj(vol, "configMap"), "defaultMode", 420);
    json_t *hp = jobj(vol, "hostPath");
    if (hp && !json_object_get(hp, "type"))
        json_object_set_new(hp, "type", json_string(""));
    size_t i;
    json_t *x;
    json_t *dapi = jobj(vol, "downwardAPI");
    if (dapi) {
        jset_default_int(dapi, "defaultMode", 420);
        json_array_foreach(jarr(dapi, "items"), i, x) defaults_field_ref(x);
    }
    json_t *proj = jobj(vol, "projected");
    if (proj) {
        jset_default_int(proj, "defaultMode", 420);
        json_array_foreach(jarr(proj, "sources"), i, x) {
            jset_default_int(jobj(x, "serviceAccountToken"), "expirationSeconds", 3600);
            size_t j;
            json_t *y;
            json_array_foreach(jarr(jobj(x, "downwardAPI"), "items"), j, y) defaults_field_ref(y);
        }
    }
}

void defaults_pod_spec(json_t *spec, bool is_pod)
{
    if (!json_is_object(spec))
        return;
    jset_default_str(spec, "dnsPolicy", "ClusterFirst");
    jset_default_str(spec, "restartPolicy", "Always");
    jobj_ensure(spec, "securityContext");
    jset_default_int(spec, "terminationGracePeriodSeconds", 30);
    jset_default_str(spec, "schedulerName", "default-scheduler");
    if (is_pod)
        jset_default_bool(spec, "enableServiceLinks", true);
    bool host_network = is_pod && json_is_true(json_object_get(spec, "hostNetwork"));
    size_t i;
    json_t *x;
    json_array_foreach(jarr(spec, "volumes"), i, x) defaults_volume(x);
    json_array_foreach(jarr(spec, "initContainers"), i, x) defaults_container(x, is_pod,
                                                                              host_network);
    json_array_foreach(jarr(spec, "containers"), i, x) defaults_container(x, is_pod,
                                                                          host_network);
}

static void defaults_secret(json_t *obj)
{
    jset_default_str(obj, "type", "Opaque");
    /* v1 -> internal conversion: stringData entries overwrite data and are not kept */
    json_t *sd = jobj(obj, "stringData");
    if (sd) {
        json_t *data = jobj_ensure(obj, "data");
        const char *k;
        json_t *v;
        json_object_foreach(sd, k, v) {
            if (!json_is_string(v) || !data)
                continue;
            char *enc = base64_encode(json_string_value(v), json_string_length(v));
            json_object_set_new(data, k, json_string(enc));
            free(enc);
        }
    }
    json_object_del(obj, "stringData");
}

void defaults_core(const char *kind, json_t *obj)
{
    if (strcmp(kind, "Pod") == 0) {
        defaults_pod_spec(jobj(obj, "spec"), true);
    } else if (strcmp(kind, "PodTemplate") == 0) {
        defaults_pod_spec(jobj(jobj(obj, "template"), "spec"), false);
    } else if (strcmp(kind, "Secret") == 0) {
        defaults_secret(obj);
    } else if (strcmp(kind, "Namespace") == 0) {
        json_t *md = jobj(obj, "metadata");
        const char *name = jstr(md, "name");
        if (md && *name) {
            json_t *labels = jobj_ensure(md, "labels");
            if (labels)
                json_object_set_new(labels, "kubernetes.io/metadata.name", json_string(name));
        }
        json_t *st = jobj_ensure(obj, "status");
        jset_default_str(st, "phase", "Active");
    } else if (strcmp(kind, "Node") == 0) {
        json_t *st = jobj(obj, "status");
        if (st && jobj(st, "capacity") && !json_object_get(st, "allocatable"))
            json_object_set_new(st, "allocatable", json_deep_copy(jobj(st, "capacity")));
    }
}

/* ---- create-time mutations ---------------------------------------------------------------- */

/* resource.Quantity parsed to a double; enough to compare and sum for QoS. */
static double quantity_value(json_t *q)
{
    if (json_is_number(q))
        return json_number_value(q);
    if (!json_is_string(q))
        return 0;
    const char *s = json_string_value(q);
    char *end;
    double v = strtod(s, &end);
    static const struct {
        const char *suffix;
        double mult;
    } suffixes[] = {
        {"Ki", 1024.0}, {"Mi", 1048576.0}, {"Gi", 1073741824.0}, {"Ti", 1099511627776.0},
        {"Pi", 1125899906842624.0}, {"Ei", 1152921504606846976.0}, {"n", 1e-9}, {"u", 1e-6},
        {"m", 1e-3}, {"k", 1e3}, {"M", 1e6}, {"G", 1e9}, {"T", 1e12}, {"P", 1e15}, {"E", 1e18},
    };
    for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++)
        if (strcmp(end, suffixes[i].suffix) == 0)
            return v * suffixes[i].mult;
    return v;
}

/* ComputePodQOS over containers and initContainers, cpu and memory only. */
static const char *pod_qos(json_t *spec)
{
    double req[2] = {0, 0}, lim[2] = {0, 0};
    bool has_req[2] = {false, false}, has_lim[2] = {false, false};
    static const char *const names[2] = {"cpu", "memory"};
    bool guaranteed = true;
    const char *lists[2] = {"containers", "initContainers"};
    for (int l = 0; l < 2; l++) {
        size_t i;
        json_t *c;
        json_array_foreach(jarr(spec, lists[l]), i, c) {
            json_t *res = jobj(c, "resources");
            bool found[2] = {false, false};
            for (int r = 0; r < 2; r++) {
                double q = quantity_value(json_object_get(jobj(res, "requests"), names[r]));
                if (q > 0) {
                    req[r] += q;
                    has_req[r] = true;
                }
                q = quantity_value(json_object_get(jobj(res, "limits"), names[r]));
                if (q > 0) {
                    lim[r] += q;
                    has_lim[r] = true;
                    found[r] = true;
                }
            }
            if (!found[0] || !found[1])
                guaranteed = false;
        }
    }
    int nreq = has_req[0] + has_req[1], nlim = has_lim[0] + has_lim[1];
    if (nreq == 0 && nlim == 0)
        return "BestEffort";
    if (guaranteed) {
        for (int r = 0; r < 2; r++)
            if (has_req[r] && (!has_lim[r] || lim[r] != req[r]))
                guaranteed = false;
    }
    if (guaranteed && nreq == nlim)
        return "Guaranteed";
    return "Burstable";
}

static void pod_default_tolerations(json_t *spec)
{
    json_t *tols = jarr(spec, "tolerations");
    bool not_ready = false, unreachable = false;
    size_t i;
    json_t *t;
    json_array_foreach(tols, i, t) {
        const char *key = jstr(t, "key"), *effect = jstr(t, "effect");
        bool eff = !*effect || strcmp(effect, "NoExecute") == 0;
        if (eff && (!*key || strcmp(key, "node.kubernetes.io/not-ready") == 0))
            not_ready = true;
        if (eff && (!*key || strcmp(key, "node.kubernetes.io/unreachable") == 0))
            unreachable = true;
    }
    if (not_ready && unreachable)
        return;
    if (!tols) {
        tols = json_array();
        json_object_set_new(spec, "tolerations", tols);
    }
    if (!not_ready)
        json_array_append_new(tols, json_pack("{s:s,s:s,s:s,s:i}", "key",
                                              "node.kubernetes.io/not-ready", "operator", "Exists",
                                              "effect", "NoExecute", "tolerationSeconds", 300));
    if (!unreachable)
        json_array_append_new(tols, json_pack("{s:s,s:s,s:s,s:i}", "key",
                                              "node.kubernetes.io/unreachable", "operator",
                                              "Exists", "effect", "NoExecute",
                                              "tolerationSeconds", 300));
}

void prepare_core(const char *kind, json_t *obj)
{
    if (strcmp(kind, "Namespace") == 0) {
        json_t *spec = jobj_ensure(obj, "spec");
        if (!spec)
            return;
        json_t *fins = jarr(spec, "finalizers");
        bool has = false;
        size_t i;
        json_t *f;
        json_array_foreach(fins, i, f) if (json_is_string(f) &&
                                           strcmp(json_string_value(f), "kubernetes") == 0) has =
            true;
        if (!has) {
            if (!fins) {
                fins = json_array();
                json_object_set_new(spec, "finalizers", fins);
            }
            json_array_append_new(fins, json_string("kubernetes"));
        }
        json_object_set_new(obj, "status", json_pack("{s:s}", "phase", "Active"));
    } else if (strcmp(kind, "Pod") == 0) {
        json_t *spec = jobj(obj, "spec");
        if (!spec)
            return;
        const char *pc = jstr(spec, "priorityClassName");
        json_int_t prio = 0;
        if (strcmp(pc, "system-node-critical") == 0)
            prio = 2000001000;
        else if (strcmp(pc, "system-cluster-critical") == 0)
            prio = 2000000000;
        if (!json_is_integer(json_object_get(spec, "priority")))
            json_object_set_new(spec, "priority", json_integer(prio));
        jset_default_str(spec, "preemptionPolicy", "PreemptLowerPriority");
        pod_default_tolerations(spec);
        json_object_set_new(obj, "status", json_pack("{s:s,s:s}", "phase", "Pending", "qosClass",
                                                     pod_qos(spec)));
    }
}

/* ---- validation helpers ------------------------------------------------------------------ */

static void not_supported(struct field_errors *errs, const char *path, const char *value,
                          const char *const *supported)
{
    json_t *v = json_string(value);
    field_errors_add_not_supported(errs, path, v, supported);
    json_decref(v);
}

static void required(struct field_errors *errs, const char *path, const char *detail)
{
    field_errors_add(errs, FIELD_REQUIRED, path, NULL, detail);
}

static void dns_label_field(struct field_errors *errs, const char *path, const char *s)
{
    struct vmsgs ms = {0};
    vnames_dns1123_label(s, &ms);
    verr_invalid_msgs(errs, path, s, &ms);
}

/* A set of names: a JSON object used as a string set. */
static bool set_has(json_t *set, const char *s) { return json_object_get(set, s) != NULL; }
static void set_add(json_t *set, const char *s) { json_object_set_new(set, s, json_true()); }

/* ---- pod spec -------------------------------------------------------------------------------- */

static void validate_volumes(json_t *vols, const char *path, json_t *valid,
                             struct field_errors *errs)
{
    size_t i;
    json_t *v;
    json_t *all = json_object();
    json_array_foreach(vols, i, v) {
        struct field_errors el;
        field_errors_init(&el);
        char p[256], np[300];
        snprintf(p, sizeof(p), "%.200s[%zu]", path, i);
        snprintf(np, sizeof(np), "%.200s.name", p);
        const char *name = jstr(v, "name");
        /* validateVolumeSource (only the sources with required names are checked) */
        json_t *sec = jobj(v, "secret");
        if (sec && !*jstr(sec, "secretName"))
            field_errors_addf(&el, FIELD_REQUIRED, NULL, NULL, "%s.secret.secretName", p);
        json_t *cm = jobj(v, "configMap");
        if (cm && !*jstr(cm, "name"))
            field_errors_addf(&el, FIELD_REQUIRED, NULL, NULL, "%s.configMap.name", p);
        json_t *hp = jobj(v, "hostPath");
        if (hp && !*jstr(hp, "path"))
            field_errors_addf(&el, FIELD_REQUIRED, NULL, NULL, "%s.hostPath.path", p);
        if (!*name)
            required(&el, np, NULL);
        else
            dns_label_field(&el, np, name);
        if (set_has(all, name)) {
            json_t *jn = json_string(name);
            field_errors_add(&el, FIELD_DUPLICATE, np, jn, NULL);
            json_decref(jn);
        }
        if (el.n == 0) {
            set_add(all, name);
            set_add(valid, name);
        } else {
            for (size_t k = 0; k < el.n; k++) {
                struct field_error *e = &el.items[k];
                if (e->rendered)
                    field_errors_add_raw(errs, e->type, e->field, e->rendered, e->detail);
                else
                    field_errors_add(errs, e->type, e->field, e->value, e->detail);
            }
        }
        field_errors_release(&el);
    }
    json_decref(all);
}

static void validate_ports(json_t *ports, const char *path, struct field_errors *errs)
{
    static const char *const protos[] = {"SCTP", "TCP", "UDP", NULL};
    json_t *names = json_object();
    size_t i;
    json_t *p;
    json_array_foreach(ports, i, p) {
        char ip[300];
        snprintf(ip, sizeof(ip), "%.200s[%zu]", path, i);
        const char *name = jstr(p, "name");
        if (*name) {
            struct vmsgs ms = {0};
            size_t n = strlen(name);
            bool letter = false, charset = true;
            for (size_t k = 0; k < n; k++) {
                char c = name[k];
                if (c >= 'a' && c <= 'z')
                    letter = true;
                else if (!(c >= '0' && c <= '9') && c != '-')
                    charset = false;
            }
            if (n > 15)
                vmsgs_add(&ms, "must be no more than 15 characters");
            if (!charset)
                vmsgs_add(&ms, "must contain only alpha-numeric characters (a-z, 0-9), and "
                               "hyphens (-)");
            if (!letter)
                vmsgs_add(&ms, "must contain at least one letter (a-z)");
            if (strstr(name, "--"))
                vmsgs_add(&ms, "must not contain consecutive hyphens");
            if (name[0] == '-' || name[n - 1] == '-')
                vmsgs_add(&ms, "must not begin or end with a hyphen");
            char np[320];
            snprintf(np, sizeof(np), "%.200s.name", ip);
            if (ms.n) {
                verr_invalid_msgs(errs, np, name, &ms);
            } else if (set_has(names, name)) {
                json_t *jn = json_string(name);
                field_errors_add(errs, FIELD_DUPLICATE, np, jn, NULL);
                json_decref(jn);
            } else {
                set_add(names, name);
            }
        }
        json_t *cp = json_object_get(p, "containerPort");
        json_int_t cpv = json_is_integer(cp) ? json_integer_value(cp) : 0;
        if (cpv == 0)
            field_errors_addf(errs, FIELD_REQUIRED, NULL, NULL, "%s.containerPort", ip);
        else if (cpv < 1 || cpv > 65535) {
            char cpp[320];
            snprintf(cpp, sizeof(cpp), "%.200s.containerPort", ip);
            verr_invalid_int(errs, cpp, cpv, "must be between 1 and 65535, inclusive");
        }
        json_t *hp = json_object_get(p, "hostPort");
        if (json_is_integer(hp) && json_integer_value(hp) != 0 &&
            (json_integer_value(hp) < 1 || json_integer_value(hp) > 65535)) {
            char hpp[320];
            snprintf(hpp, sizeof(hpp), "%.200s.hostPort", ip);
            verr_invalid_int(errs, hpp, json_integer_value(hp),
                             "must be between 1 and 65535, inclusive");
        }
        const char *proto = jstr(p, "protocol");
        char pp[320];
        snprintf(pp, sizeof(pp), "%.200s.protocol", ip);
        if (!*proto)
            required(errs, pp, NULL);
        else if (strcmp(proto, "TCP") && strcmp(proto, "UDP") && strcmp(proto, "SCTP"))
            not_supported(errs, pp, proto, protos);
    }
    json_decref(names);
}

static void validate_volume_mounts(json_t *mounts, const char *path, json_t *vols,
                                   struct field_errors *errs)
{
    json_t *points = json_object();
    size_t i;
    json_t *m;
    json_array_foreach(mounts, i, m) {
        char ip[300], np[320], mp[320];
        snprintf(ip, sizeof(ip), "%.200s[%zu]", path, i);
        snprintf(np, sizeof(np), "%.200s.name", ip);
        snprintf(mp, sizeof(mp), "%.200s.mountPath", ip);
        const char *name = jstr(m, "name"), *mount = jstr(m, "mountPath");
        if (!*name)
            required(errs, np, NULL);
        if (!set_has(vols, name)) {
            json_t *jn = json_string(name);
            field_errors_add(errs, FIELD_NOT_FOUND, np, jn, NULL);
            json_decref(jn);
        }
        if (!*mount)
            required(errs, mp, NULL);
        if (set_has(points, mount))
            verr_invalid_str(errs, mp, mount, "must be unique");
        set_add(points, mount);
    }
    json_decref(points);
}

/* validateContainerCommon: name, image, terminationMessagePolicy, ports, env, volumeMounts,
 * imagePullPolicy. */
static void validate_container_common(json_t *c, const char *path, json_t *vols,
                                      struct field_errors *errs)
{
    static const char *const tmp[] = {"File", "FallbackToLogsOnError", NULL};
    static const char *const pulls[] = {"Always", "IfNotPresent", "Never", NULL};
    char p[320];
    const char *name = jstr(c, "name");
    snprintf(p, sizeof(p), "%.200s.name", path);
    if (!*name)
        required(errs, p, NULL);
    else
        dns_label_field(errs, p, name);
    snprintf(p, sizeof(p), "%.200s.image", path);
    if (!*jstr(c, "image"))
        required(errs, p, NULL);
    const char *pol = jstr(c, "terminationMessagePolicy");
    snprintf(p, sizeof(p), "%.200s.terminationMessagePolicy", path);
    if (!*pol)
        required(errs, p, NULL);
    else if (strcmp(pol, "File") && strcmp(pol, "FallbackToLogsOnError"))
        not_supported(errs, p, pol, tmp);
    snprintf(p, sizeof(p), "%.200s.ports", path);
    validate_ports(jarr(c, "ports"), p, errs);
    size_t i;
    json_t *e;
    json_array_foreach(jarr(c, "env"), i, e) {
        if (!*jstr(e, "name"))
            field_errors_addf(errs, FIELD_REQUIRED, NULL, NULL, "%s.env[%zu].name", path, i);
    }
    snprintf(p, sizeof(p), "%.200s.volumeMounts", path);
    validate_volume_mounts(jarr(c, "volumeMounts"), p, vols, errs);
    const char *pull = jstr(c, "imagePullPolicy");
    snprintf(p, sizeof(p), "%.200s.imagePullPolicy", path);
    if (!*pull)
        required(errs, p, NULL);
    else if (strcmp(pull, "Always") && strcmp(pull, "IfNotPresent") && strcmp(pull, "Never"))
        not_supported(errs, p, pull, pulls);
}

static void validate_pod_spec(json_t *spec, const char *path, struct field_errors *errs)
{
    static const char *const restart[] = {"Always", "OnFailure", "Never", NULL};
    static const char *const dns[] = {"ClusterFirstWithHostNet", "ClusterFirst", "Default", "None",
                                      NULL};
    char p[256], cp[300];
    json_t *vols = json_object();
    snprintf(p, sizeof(p), "%.200s.volumes", path);
    validate_volumes(jarr(spec, "volumes"), p, vols, errs);

    json_t *ctrs = jarr(spec, "containers");
    json_t *names = json_object();
    snprintf(p, sizeof(p), "%.200s.containers", path);
    if (json_array_size(ctrs) == 0)
        required(errs, p, NULL);
    size_t i;
    json_t *c;
    json_array_foreach(ctrs, i, c) {
        snprintf(cp, sizeof(cp), "%.200s[%zu]", p, i);
        validate_container_common(c, cp, vols, errs);
        const char *name = jstr(c, "name");
        if (set_has(names, name)) {
            json_t *jn = json_string(name);
            field_errors_addf(errs, FIELD_DUPLICATE, jn, NULL, "%s.name", cp);
            json_decref(jn);
        } else {
            set_add(names, name);
        }
    }
    snprintf(p, sizeof(p), "%.200s.initContainers", path);
    json_array_foreach(jarr(spec, "initContainers"), i, c) {
        snprintf(cp, sizeof(cp), "%.200s[%zu]", p, i);
        validate_container_common(c, cp, vols, errs);
        const char *name = jstr(c, "name");
        if (set_has(names, name)) {
            json_t *jn = json_string(name);
            field_errors_addf(errs, FIELD_DUPLICATE, jn, NULL, "%s.name", cp);
            json_decref(jn);
        } else {
            set_add(names, name);
        }
    }
    json_decref(names);
    json_decref(vols);

    const char *rp = jstr(spec, "restartPolicy");
    snprintf(p, sizeof(p), "%.200s.restartPolicy", path);
    if (!*rp)
        required(errs, p, NULL);
    else if (strcmp(rp, "Always") && strcmp(rp, "OnFailure") && strcmp(rp, "Never"))
        not_supported(errs, p, rp, restart);
    const char *dp = jstr(spec, "dnsPolicy");
    snprintf(p, sizeof(p), "%.200s.dnsPolicy", path);
    if (!*dp)
        required(errs, p, NULL);
    else if (strcmp(dp, "ClusterFirstWithHostNet") && strcmp(dp, "ClusterFirst") &&
             strcmp(dp, "Default") && strcmp(dp, "None"))
        not_supported(errs, p, dp, dns);
    const char *sa = jstr(spec, "serviceAccountName");
    if (*sa) {
        struct vmsgs ms = {0};
        vnames_dns1123_subdomain(sa, &ms);
        snprintf(p, sizeof(p), "%.200s.serviceAccountName", path);
        verr_invalid_msgs(errs, p, sa, &ms);
    }
    json_t *ads = json_object_get(spec, "activeDeadlineSeconds");
    if (json_is_integer(ads) &&
        (json_integer_value(ads) < 1 || json_integer_value(ads) > 2147483647)) {
        snprintf(p, sizeof(p), "%.200s.activeDeadlineSeconds", path);
        verr_invalid_int(errs, p, json_integer_value(ads),
                         "must be between 1 and 2147483647, inclusive");
    }
}

void validate_pod_template(json_t *tmpl, const char *path, struct field_errors *errs)
{
    /* ValidatePodTemplateSpec: labels and annotations of the template, then its spec */
    char p[256];
    json_t *md = jobj(tmpl, "metadata");
    const char *k;
    json_t *v;
    snprintf(p, sizeof(p), "%.200s.metadata.labels", path);
    json_object_foreach(jobj(md, "labels"), k, v) {
        struct vmsgs ms = {0};
        vnames_qualified_name(k, &ms);
        verr_invalid_msgs(errs, p, k, &ms);
        if (json_is_string(v)) {
            vnames_label_value(json_string_value(v), &ms);
            verr_invalid_msgs(errs, p, json_string_value(v), &ms);
        }
    }
    snprintf(p, sizeof(p), "%.200s.spec", path);
    validate_pod_spec(jobj(tmpl, "spec"), p, errs);
}

/* ---- kinds ------------------------------------------------------------------------------- */

static void validate_data_keys(json_t *data, const char *path, struct field_errors *errs,
                               size_t *total, bool base64)
{
    const char *k;
    json_t *v;
    json_object_foreach(data, k, v) {
        struct vmsgs ms = {0};
        vnames_config_map_key(k, &ms);
        char p[320];
        snprintf(p, sizeof(p), "%.20s[%.280s]", path, k);
        verr_invalid_msgs(errs, p, k, &ms);
        if (!json_is_string(v))
            continue;
        if (base64) {
            size_t n = 0;
            unsigned char *raw = base64_decode(json_string_value(v), json_string_length(v), &n);
            *total += raw ? n : json_string_length(v) / 4 * 3;
            free(raw);
        } else {
            *total += json_string_length(v);
        }
    }
}

static void immutable_when_set(json_t *obj, json_t *old, const char *key,
                               struct field_errors *errs)
{
    json_t *oi = json_object_get(old, "immutable");
    if (!json_is_true(oi))
        return;
    if (!json_is_true(json_object_get(obj, "immutable")))
        field_errors_add(errs, FIELD_FORBIDDEN, "immutable", NULL,
                         "field is immutable when `immutable` is set");
    json_t *nd = json_object_get(obj, key), *od = json_object_get(old, key);
    bool ne = !json_is_object(nd) || json_object_size(nd) == 0;
    bool oe = !json_is_object(od) || json_object_size(od) == 0;
    if (!(ne && oe) && !(nd && od && json_equal(nd, od)))
        field_errors_add(errs, FIELD_FORBIDDEN, key, NULL,
                         "field is immutable when `immutable` is set");
}

static void validate_secret(json_t *obj, struct field_errors *errs)
{
    vmeta_create_core(obj, true, vname_dns_subdomain, errs);
    size_t total = 0;
    json_t *data = jobj(obj, "data");
    validate_data_keys(data, "data", errs, &total, true);
    if (total > MAX_SECRET_SIZE) {
        char *d = xasprintf("must have at most %d bytes", MAX_SECRET_SIZE);
        field_errors_add(errs, FIELD_TOO_LONG, "data", NULL, d);
        free(d);
    }
    const char *type = jstr(obj, "type");
    if (strcmp(type, "kubernetes.io/service-account-token") == 0) {
        if (!*jstr(jobj(jobj(obj, "metadata"), "annotations"), "kubernetes.io/service-account.name"))
            required(errs, "metadata.annotations[kubernetes.io/service-account.name]", NULL);
    } else if (strcmp(type, "kubernetes.io/tls") == 0) {
        if (!json_object_get(data, "tls.key"))
            required(errs, "data[tls.key]", NULL);
        if (!json_object_get(data, "tls.crt"))
            required(errs, "data[tls.crt]", NULL);
    } else if (strcmp(type, "kubernetes.io/ssh-auth") == 0) {
        if (!json_string_length(json_object_get(data, "ssh-privatekey")))
            required(errs, "data[ssh-privatekey]", NULL);
    } else if (strcmp(type, "kubernetes.io/dockerconfigjson") == 0) {
        if (!json_object_get(data, ".dockerconfigjson"))
            required(errs, "data[.dockerconfigjson]", NULL);
    } else if (strcmp(type, "kubernetes.io/dockercfg") == 0) {
        if (!json_object_get(data, ".dockercfg"))
            required(errs, "data[.dockercfg]", NULL);
    }
}

static void validate_config_map(json_t *obj, struct field_errors *errs)
{
    vmeta_create_core(obj, true, vname_dns_subdomain, errs);
    size_t total = 0;
    json_t *data = jobj(obj, "data"), *bin = jobj(obj, "binaryData");
    const char *k;
    json_t *v;
    json_object_foreach(data, k, v) {
        struct vmsgs ms = {0};
        vnames_config_map_key(k, &ms);
        char p[320];
        snprintf(p, sizeof(p), "data[%.300s]", k);
        verr_invalid_msgs(errs, p, k, &ms);
        if (json_object_get(bin, k))
            verr_invalid_str(errs, p, k, "duplicate of key present in binaryData");
        if (json_is_string(v))
            total += json_string_length(v);
    }
    validate_data_keys(bin, "binaryData", errs, &total, true);
    if (total > MAX_SECRET_SIZE) {
        char *d = xasprintf("must have at most %d bytes", MAX_SECRET_SIZE);
        field_errors_add(errs, FIELD_TOO_LONG, "", NULL, d);
        free(d);
    }
}

static void validate_lease(json_t *obj, struct field_errors *errs)
{
    vmeta_create_core(obj, true, vname_dns_subdomain, errs);
    json_t *spec = jobj(obj, "spec");
    json_t *d = json_object_get(spec, "leaseDurationSeconds");
    if (json_is_integer(d) && json_integer_value(d) <= 0)
        verr_invalid_int(errs, "spec.leaseDurationSeconds", json_integer_value(d),
                         "must be greater than 0");
    vcheck_nonnegative(errs, "spec.leaseTransitions", json_object_get(spec, "leaseTransitions"));
}

/* ValidateNodeUpdate's spec rules: podCIDRs and providerID may only go from unset to set. */
static void validate_node_update(json_t *spec, json_t *ospec, struct field_errors *errs)
{
    json_t *oc = jarr(ospec, "podCIDRs"), *nc = jarr(spec, "podCIDRs");
    const char *opc = jstr(ospec, "podCIDR");
    if ((json_array_size(oc) > 0 && !json_equal(oc, nc ? nc : json_null())) ||
        (*opc && strcmp(opc, jstr(spec, "podCIDR")) != 0))
        field_errors_add(errs, FIELD_FORBIDDEN, "spec.podCIDRs", NULL,
                         "node updates may not change podCIDR except from \"\" to valid");
    const char *opid = jstr(ospec, "providerID");
    if (*opid && strcmp(opid, jstr(spec, "providerID")) != 0)
        field_errors_add(errs, FIELD_FORBIDDEN, "spec.providerID", NULL,
                         "node updates may not change providerID except from \"\" to valid");
    if (strcmp(jstr(ospec, "externalID"), jstr(spec, "externalID")) != 0)
        field_errors_add(errs, FIELD_FORBIDDEN, "spec.externalID", NULL, "may not be updated");
}

bool validate_core(const char *kind, bool namespaced, json_t *obj, json_t *old,
                   struct field_errors *errs)
{
    if (strcmp(kind, "Pod") == 0) {
        if (old)
            vmeta_update(obj, old, errs);
        vmeta_create_core(obj, true, vname_dns_subdomain, errs);
        validate_pod_spec(jobj(obj, "spec"), "spec", errs);
        if (old)
            validate_pod_update(obj, old, errs);
    } else if (strcmp(kind, "Secret") == 0) {
        if (old) {
            vmeta_update(obj, old, errs);
            json_t *nt = json_object_get(obj, "type"), *ot = json_object_get(old, "type");
            if (!(nt && ot && json_equal(nt, ot)) && (nt || ot)) {
                json_t *empty = json_string("");
                field_errors_add(errs, FIELD_INVALID, "type", nt ? nt : empty,
                                 "field is immutable");
                json_decref(empty);
            }
            immutable_when_set(obj, old, "data", errs);
        }
        validate_secret(obj, errs);
    } else if (strcmp(kind, "ConfigMap") == 0) {
        if (old) {
            vmeta_update(obj, old, errs);
            immutable_when_set(obj, old, "data", errs);
            immutable_when_set(obj, old, "binaryData", errs);
        }
        validate_config_map(obj, errs);
    } else if (strcmp(kind, "ServiceAccount") == 0) {
        if (old)
            vmeta_update(obj, old, errs);
        vmeta_create_core(obj, true, vname_dns_subdomain, errs);
    } else if (strcmp(kind, "Namespace") == 0) {
        if (old)
            vmeta_update(obj, old, errs);
        vmeta_create_core(obj, false, vname_dns_label, errs);
        size_t i;
        json_t *f;
        json_array_foreach(jarr(jobj(obj, "spec"), "finalizers"), i, f) {
            if (!json_is_string(f))
                continue;
            struct vmsgs ms = {0};
            vnames_qualified_name(json_string_value(f), &ms);
            verr_invalid_msgs(errs, "spec.finalizers", json_string_value(f), &ms);
            vmeta_core_finalizer("spec.finalizers", json_string_value(f), errs);
        }
    } else if (strcmp(kind, "Node") == 0) {
        if (old) {
            vmeta_update(obj, old, errs);
            validate_node_update(jobj(obj, "spec"), jobj(old, "spec"), errs);
        }
        vmeta_create_core(obj, false, vname_dns_subdomain, errs);
    } else if (strcmp(kind, "Event") == 0) {
        if (old)
            vmeta_update(obj, old, errs);
        vmeta_create_core(obj, namespaced, vname_dns_subdomain, errs);
    } else if (strcmp(kind, "Lease") == 0) {
        if (old)
            vmeta_update(obj, old, errs);
        validate_lease(obj, errs);
    } else {
        return false;
    }
    return true;
}
