/* job.c — the Job controller (upstream pkg/controller/job, the parts the seed needs): keeps
 * min(parallelism, completions - succeeded) pods running from spec.template, owned by the Job,
 * counts succeeded/failed pods, and marks the Job Complete (SuccessCriteriaMet, Complete) or
 * Failed (FailureTarget, Failed; BackoffLimitExceeded). Pods run through the same REST path
 * as client requests, so ServiceAccount admission applies to them. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "client/client.h"
#include "registry/rest.h"
#include "controllers/controllers.h"
#include "client/events.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/json.h"
#include "util/log.h"
#include "util/util.h"

struct job_work {
    struct apiserver *srv;
    char *ns;
    char *name;
};

#define JOB_MAX_CREATES_PER_SYNC 500
/* source.component of the Job controller's events, as upstream */
#define JOB_COMPONENT "job-controller"
/* its identity: system:serviceaccount:kube-system:job-controller */
#define JOB_USER client_controller_user(CONTROLLER_JOB)

/* True if obj has a controller ownerReference to uid. */
static bool controlled_by(json_t *obj, const char *uid)
{
    size_t i;
    json_t *ref;
    json_array_foreach(json_path(obj, "metadata.ownerReferences"), i, ref) {
        const char *u = json_str(ref, "uid");
        if (u && uid && strcmp(u, uid) == 0 && json_is_true(json_object_get(ref, "controller")))
            return true;
    }
    return false;
}

static struct api_call job_call(struct apiserver *srv, const char *kind, const char *group,
                                const char *ns, const char *name)
{
    struct api_call c = {.srv = srv, .res = resource_by_kind(group, kind), .ns = ns, .name = name,
                         .user = JOB_USER, .field_manager = "kube-controller-manager",
                         .validation = FIELD_VALIDATION_IGNORE, .internal = true};
    return c;
}

static bool has_condition(json_t *job, const char *type)
{
    size_t i;
    json_t *c;
    json_array_foreach(json_path(job, "status.conditions"), i, c) {
        const char *t = json_str(c, "type"), *s = json_str(c, "status");
        if (t && s && strcmp(t, type) == 0 && strcmp(s, "True") == 0)
            return true;
    }
    return false;
}

static void add_condition(json_t *status, const char *type, const char *reason, const char *message,
                          const char *now)
{
    json_t *conds = json_object_get(status, "conditions");
    if (!json_is_array(conds)) {
        conds = json_array();
        json_object_set_new(status, "conditions", conds);
    }
    json_t *c = json_pack("{s:s, s:s, s:s, s:s}", "type", type, "status", "True", "lastProbeTime",
                          now, "lastTransitionTime", now);
    if (reason)
        json_object_set_new(c, "reason", json_string(reason));
    if (message)
        json_object_set_new(c, "message", json_string(message));
    json_array_append_new(conds, c);
}

static json_int_t int_or(json_t *v, json_int_t dflt)
{
    return json_is_integer(v) ? json_integer_value(v) : dflt;
}

static void create_pod(struct apiserver *srv, json_t *job)
{
    const char *ns = json_path_str(job, "metadata.namespace");
    const char *name = json_path_str(job, "metadata.name");
    json_t *tmpl = json_path(job, "spec.template");
    json_t *pod = json_object();
    json_object_set_new(pod, "apiVersion", json_string("v1"));
    json_object_set_new(pod, "kind", json_string("Pod"));
    json_t *meta = json_object();
    char *gen = xasprintf("%s-", name);
    json_object_set_new(meta, "generateName", json_string(gen));
    free(gen);
    json_object_set_new(meta, "namespace", json_string(ns));
    json_t *labels = json_path(tmpl, "metadata.labels");
    if (labels)
        json_object_set(meta, "labels", labels);
    json_t *ann = json_path(tmpl, "metadata.annotations");
    if (ann)
        json_object_set(meta, "annotations", ann);
    json_t *ref = json_pack("{s:s, s:s, s:s, s:s, s:b, s:b}", "apiVersion", "batch/v1", "kind", "Job",
                            "name", name, "uid", json_path_str(job, "metadata.uid"), "controller", 1,
                            "blockOwnerDeletion", 1);
    json_object_set_new(meta, "ownerReferences", json_pack("[o]", ref));
    json_object_set_new(pod, "metadata", meta);
    json_t *spec = json_path(tmpl, "spec");
    json_object_set_new(pod, "spec", spec ? json_deep_copy(spec) : json_object());
    struct api_call c = job_call(srv, "Pod", "", ns, NULL);
    json_t *res = NULL, *st = NULL;
    if (client_call(&c, CLIENT_CREATE, &(struct client_args){.obj = pod}, &res, &st) != 0) {
        log_warn("job controller: creating a pod for %s/%s: %s", ns, name,
                 json_str(st, "message") ? json_str(st, "message") : "failed");
        event_record(srv, JOB_USER, JOB_COMPONENT, job, "Warning", "FailedCreate", "Error creating: %s",
                     json_str(st, "message") ? json_str(st, "message") : "failed");
    } else {
        event_record(srv, JOB_USER, JOB_COMPONENT, job, "Normal", "SuccessfulCreate", "Created pod: %s",
                     json_path_str(res, "metadata.name") ? json_path_str(res, "metadata.name") : "");
    }
    json_decref(res);
    json_decref(st);
    json_decref(pod);
}

/* Deletes one of the Job's active pods; true when it is gone. */
static bool delete_pod(struct apiserver *srv, json_t *job, const char *ns, const char *pod)
{
    struct api_call c = job_call(srv, "Pod", "", ns, pod);
    json_t *opts = json_pack("{s:s}", "propagationPolicy", "Background");
    json_t *res = NULL, *st = NULL;
    int rc = client_call(&c, CLIENT_DELETE, &(struct client_args){.delete_opts = opts}, &res, &st);
    if (rc == 0)
        event_record(srv, JOB_USER, JOB_COMPONENT, job, "Normal", "SuccessfulDelete", "Deleted pod: %s", pod);
    else if (rc != AZ_ENOTFOUND)
        event_record(srv, JOB_USER, JOB_COMPONENT, job, "Warning", "FailedDelete", "Error deleting: %s",
                     json_str(st, "message") ? json_str(st, "message") : "failed");
    json_decref(opts);
    json_decref(res);
    json_decref(st);
    return rc == 0 || rc == AZ_ENOTFOUND;
}

static void job_sync(struct apiserver *srv, const char *ns, const char *name)
{
    struct api_call jc = job_call(srv, "Job", "batch", ns, name);
    json_t *job = NULL, *st = NULL;
    if (rest_get(&jc, &job, &st) != 0) {
        json_decref(st);
        return;
    }
    if (json_path(job, "metadata.deletionTimestamp") || has_condition(job, "Complete") ||
        has_condition(job, "Failed") || json_is_true(json_path(job, "spec.suspend"))) {
        json_decref(job);
        return;
    }
    const char *uid = json_path_str(job, "metadata.uid");
    struct api_call pc = job_call(srv, "Pod", "", ns, NULL);
    /* the Job's pods are those it controls (ownerReference), whatever their labels */
    struct list_opts lo = {0};
    json_t *pods = NULL;
    json_int_t active = 0, succeeded = 0, failed = 0, ready = 0;
    json_t *active_names = json_array(); /* to delete when the Job finishes or shrinks */
    if (rest_list(&pc, &lo, &pods, &st) == 0) {
        size_t i;
        json_t *p;
        json_array_foreach(json_object_get(pods, "items"), i, p) {
            if (!controlled_by(p, uid))
                continue;
            const char *phase = json_path_str(p, "status.phase");
            if (phase && strcmp(phase, "Succeeded") == 0)
                succeeded++;
            else if (phase && strcmp(phase, "Failed") == 0)
                failed++;
            else if (json_path(p, "metadata.deletionTimestamp") == NULL) {
                active++;
                json_array_append_new(active_names, json_string(json_path_str(p, "metadata.name")
                                                                    ? json_path_str(p, "metadata.name") : ""));
                size_t k;
                json_t *cond;
                json_array_foreach(json_path(p, "status.conditions"), k, cond)
                    if (json_str(cond, "type") && strcmp(json_str(cond, "type"), "Ready") == 0 &&
                        json_str(cond, "status") && strcmp(json_str(cond, "status"), "True") == 0)
                        ready++;
            }
        }
    }
    json_decref(st);
    st = NULL;
    json_decref(pods);
    json_int_t completions = int_or(json_path(job, "spec.completions"), 1);
    json_int_t parallelism = int_or(json_path(job, "spec.parallelism"), 1);
    json_int_t backoff = int_or(json_path(job, "spec.backoffLimit"), 6);
    char now[32];
    time_rfc3339(clock_wall_s(), now);
    json_t *status = json_deep_copy(json_object_get(job, "status"));
    if (!json_is_object(status)) {
        json_decref(status);
        status = json_object();
    }
    if (json_object_get(status, "startTime") == NULL)
        json_object_set_new(status, "startTime", json_string(now));
    bool done = false;
    if (succeeded >= completions) {
        add_condition(status, "SuccessCriteriaMet", "CompletionsReached", "Reached expected number of succeeded pods", now);
        add_condition(status, "Complete", "CompletionsReached", "Reached expected number of succeeded pods", now);
        json_object_set_new(status, "completionTime", json_string(now));
        done = true;
    } else if (failed > backoff) {
        add_condition(status, "FailureTarget", "BackoffLimitExceeded", "Job has reached the specified backoff limit", now);
        add_condition(status, "Failed", "BackoffLimitExceeded", "Job has reached the specified backoff limit", now);
        done = true;
    }
    json_int_t want = parallelism;
    if (want > completions - succeeded)
        want = completions - succeeded;
    if (done || active > want) {
        /* a finished Job's active pods go, and so do pods beyond parallelism (upstream
         * deletes the extra ones it would not have created) */
        json_int_t extra = done ? active : active - want;
        for (json_int_t k = 0; k < extra; k++) {
            size_t at = json_array_size(active_names) - 1 - (size_t)k;
            const char *pn = json_string_value(json_array_get(active_names, at));
            if (pn != NULL && delete_pod(srv, job, ns, pn))
                active--;
        }
    } else {
        /* at most JOB_MAX_CREATES_PER_SYNC at a time; the pod events bring us back */
        for (json_int_t k = active, made = 0; k < want && made < JOB_MAX_CREATES_PER_SYNC; k++, made++) {
            create_pod(srv, job);
            active++;
        }
    }
    json_decref(active_names);
    if (done)
        active = 0;
    if (active)
        json_object_set_new(status, "active", json_integer(active));
    else
        json_object_del(status, "active");
    if (succeeded)
        json_object_set_new(status, "succeeded", json_integer(succeeded));
    if (failed)
        json_object_set_new(status, "failed", json_integer(failed));
    json_object_set_new(status, "ready", json_integer(ready));
    json_object_set_new(status, "terminating", json_integer(0));
    json_object_set_new(status, "uncountedTerminatedPods", json_object());
    if (!json_equal(status, json_object_get(job, "status"))) {
        json_object_set_new(job, "status", status);
        jc.subresource = "status";
        json_t *res = NULL;
        if (client_call(&jc, CLIENT_UPDATE, &(struct client_args){.obj = job}, &res, &st) != 0) {
            if (st)
                log_debug("job controller: status of %s/%s: %s", ns, name, json_str(st, "message"));
        } else if (done && succeeded >= completions) {
            event_record(srv, JOB_USER, JOB_COMPONENT, res, "Normal", "Completed", "Job completed");
        } else if (done) {
            event_record(srv, JOB_USER, JOB_COMPONENT, res, "Warning", "BackoffLimitExceeded",
                         "Job has reached the specified backoff limit");
        }
        json_decref(res);
        json_decref(st);
    } else {
        json_decref(status);
    }
    json_decref(job);
}

static void job_work_run(void *arg)
{
    struct job_work *w = arg;
    if (controllers_leading()) /* queued before the Lease was lost: the holder's job now */
        job_sync(w->srv, w->ns, w->name);
    free(w->ns);
    free(w->name);
    free(w);
}

static void enqueue(struct apiserver *srv, const char *ns, const char *name)
{
    struct job_work *w = xcalloc(1, sizeof(*w));
    w->srv = srv;
    w->ns = xstrdup(ns);
    w->name = xstrdup(name);
    srv->defer(srv, job_work_run, w);
}

static void on_job_event(void *arg, const struct watch_event *ev)
{
    if (!controllers_leading()) /* lost the controller Lease */
        return;
    if (ev->type == WATCH_DELETED)
        return;
    const char *ns = json_path_str(ev->obj, "metadata.namespace");
    const char *name = json_path_str(ev->obj, "metadata.name");
    /* status-only writes of our own don't need another sync */
    if (ev->type == WATCH_MODIFIED && ev->prev_obj &&
        json_equal(json_object_get(ev->obj, "spec"), json_object_get(ev->prev_obj, "spec")))
        return;
    if (ns && name)
        enqueue(arg, ns, name);
}

static void on_pod_event(void *arg, const struct watch_event *ev)
{
    if (!controllers_leading()) /* lost the controller Lease */
        return;
    size_t i;
    json_t *ref;
    json_array_foreach(json_path(ev->obj, "metadata.ownerReferences"), i, ref) {
        const char *kind = json_str(ref, "kind"), *name = json_str(ref, "name");
        if (kind && name && strcmp(kind, "Job") == 0 && json_is_true(json_object_get(ref, "controller"))) {
            const char *ns = json_path_str(ev->obj, "metadata.namespace");
            if (ns)
                enqueue(arg, ns, name);
        }
    }
}

void job_controller_start(struct apiserver *srv)
{
    struct watch_sub *sub;
    int64_t rev = watchcache_rev(srv->wc);
    watchcache_subscribe(srv->wc, "/registry/jobs/", rev, on_job_event, srv, &sub, NULL);
    watchcache_subscribe(srv->wc, "/registry/pods/", rev, on_pod_event, srv, &sub, NULL);
}

void job_controller_resync(struct apiserver *srv)
{
    /* every Job */
    struct api_call c = job_call(srv, "Job", "batch", NULL, NULL);
    struct list_opts lo = {0};
    json_t *list = NULL, *st = NULL;
    if (rest_list(&c, &lo, &list, &st) == 0) {
        size_t i;
        json_t *j;
        json_array_foreach(json_object_get(list, "items"), i, j)
            enqueue(srv, json_path_str(j, "metadata.namespace"), json_path_str(j, "metadata.name"));
    }
    json_decref(list);
    json_decref(st);
}
