/* table.c — server-side printing (meta.k8s.io/v1 Table): the column definitions and the row
 * cells of each kind, as kube-apiserver v1.32 prints them (its printers live in
 * pkg/printers/internalversion/printers.go; kinds without a printer go through the generic
 * apiserver's default table convertor: Name + Created At).
 *
 * The API server always prints "wide": upstream's storage TableConvertor asks for Wide, so
 * cells for priority-1 columns are always present and kubectl hides them unless -o wide.
 *
 * PRINTERS (one const table_printer each, at the end of this file; the resource rows in
 * api/resource.c point at them; P1 = priority-1 column)
 *   group                      kind                columns (cell JSON type when not string)
 *   ""                         Namespace           Name Status Age
 *   ""                         ServiceAccount      Name Secrets(int) Age
 *   ""                         Secret              Name Type Data(int) Age
 *   ""                         ConfigMap           Name Data(int: data + binaryData) Age
 *   ""                         Pod                 Name Ready Status Restarts Age,
 *                                                  P1: IP Node "Nominated Node" "Readiness Gates"
 *   ""                         Node                Name Status Roles Age Version, P1:
 *                                                  Internal-IP External-IP OS-Image
 *                                                  Kernel-Version Container-Runtime
 *   "" and events.k8s.io       Event               "Last Seen" Type Reason Object, P1:
 *                                                  Subobject Source, Message, P1: "First
 *                                                  Seen" Count(int) Name
 *   batch                      Job                 Name Status Completions Duration Age,
 *                                                  P1: Containers Images Selector
 *   rbac.authorization.k8s.io  RoleBinding,        Name Role ("Kind/name") Age, P1: Users
 *                              ClusterRoleBinding  Groups ServiceAccounts ("ns/name", ", ")
 *   coordination.k8s.io        Lease               Name Holder Age
 *   rows without a printer (Role, ClusterRole, ...) Name "Created At" (RFC3339 UTC, type date)
 *
 * Ages are duration.HumanDuration(now - creationTimestamp), "<unknown>" when unset. Times are
 * handled as int64 nanoseconds since the epoch, so only years 1678..2261 are representable;
 * others count as unset. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "machinery/table.h"
#include "util/buf.h"
#include "util/json.h"
#include "util/text.h"
#include "util/util.h"

#define NS_PER_SEC INT64_C(1000000000)
#define TIME_NONE INT64_MIN          /* "no time": unset, unparseable or out of range */
#define TABLE_CELL_MAX (256u * 1024) /* cap on one joined string cell (names, images, ...) */

struct table_column {
    const char *name;        /* header, e.g. "Nominated Node" */
    const char *type;        /* OpenAPI type: "string", "integer", "date" */
    const char *format;      /* "name" for the object's name column, else "" */
    const char *description; /* short human text (kubectl does not print it) */
    int priority;            /* 0 = always shown, 1 = only with -o wide */
};


/* ---------------------------------------------------------------------------------------- */
/* Time                                                                                      */

/* RFC3339 to nanoseconds since the epoch; TIME_NONE for NULL or malformed input. */
static int64_t time_parse(const char *s)
{
    int64_t ns;
    return s != NULL && time_parse_rfc3339_ns(s, strlen(s), &ns) ? ns : TIME_NONE;
}

static int64_t time_at(json_t *obj, const char *path)
{
    return time_parse(json_path_str(obj, path));
}

/* a - b, saturating like Go's Time.Sub. */
static int64_t duration_between(int64_t a, int64_t b)
{
    int64_t d;
    if (__builtin_sub_overflow(a, b, &d))
        return a > b ? INT64_MAX : INT64_MIN;
    return d;
}

char *table_human_duration(int64_t d)
{
    int64_t secs = d / NS_PER_SEC; /* truncates toward zero, like Go's int(d.Seconds()) */
    if (secs < -1)
        return xstrdup("<invalid>");
    if (secs < 0)
        return xstrdup("0s");
    if (secs < 60 * 2)
        return xasprintf("%llds", (long long)secs);
    int64_t minutes = secs / 60;
    if (minutes < 10) {
        int64_t s = secs % 60;
        if (s == 0)
            return xasprintf("%lldm", (long long)minutes);
        return xasprintf("%lldm%llds", (long long)minutes, (long long)s);
    }
    if (minutes < 60 * 3)
        return xasprintf("%lldm", (long long)minutes);
    int64_t hours = minutes / 60;
    if (hours < 8) {
        int64_t m = minutes % 60;
        if (m == 0)
            return xasprintf("%lldh", (long long)hours);
        return xasprintf("%lldh%lldm", (long long)hours, (long long)m);
    }
    if (hours < 48)
        return xasprintf("%lldh", (long long)hours);
    if (hours < 24 * 8) {
        int64_t h = hours % 24;
        if (h == 0)
            return xasprintf("%lldd", (long long)(hours / 24));
        return xasprintf("%lldd%lldh", (long long)(hours / 24), (long long)h);
    }
    if (hours < 24 * 365 * 2)
        return xasprintf("%lldd", (long long)(hours / 24));
    if (hours < 24 * 365 * 8) {
        int64_t dy = (hours / 24) % 365;
        if (dy == 0)
            return xasprintf("%lldy", (long long)(hours / 24 / 365));
        return xasprintf("%lldy%lldd", (long long)(hours / 24 / 365), (long long)dy);
    }
    return xasprintf("%lldy", (long long)(hours / 24 / 365));
}

/* Upstream's translateTimestampSince: "<unknown>" for an unset time. */
static char *since(int64_t t, int64_t now_ns)
{
    if (t == TIME_NONE)
        return xstrdup("<unknown>");
    return table_human_duration(duration_between(now_ns, t));
}

char *table_age(const char *rfc3339, time_t now)
{
    return since(time_parse(rfc3339), (int64_t)now * NS_PER_SEC);
}

/* ---------------------------------------------------------------------------------------- */
/* Field and cell helpers                                                                    */

/* The string at path, "" when absent or not a string. */
static const char *str_at(json_t *obj, const char *path)
{
    const char *s = json_path_str(obj, path);
    return s ? s : "";
}

static long long int_at(json_t *obj, const char *path)
{
    json_t *v = json_path(obj, path);
    return json_is_integer(v) ? (long long)json_integer_value(v) : 0;
}

/* Whether path holds a non-null value (a Go pointer that is not nil). */
static bool has_at(json_t *obj, const char *path)
{
    json_t *v = json_path(obj, path);
    return v != NULL && !json_is_null(v);
}

/* Number of members of a JSON object or elements of an array (Go's len of a map/slice). */
static long long len_at(json_t *obj, const char *path)
{
    json_t *v = json_path(obj, path);
    if (json_is_object(v))
        return (long long)json_object_size(v);
    return (long long)json_array_size(v);
}

static void cell_str(json_t *cells, const char *s)
{
    json_t *v = json_string(s ? s : "");
    json_array_append_new(cells, v ? v : json_string(""));
}

static void cell_take(json_t *cells, char *s)
{
    cell_str(cells, s);
    free(s);
}

static void cell_int(json_t *cells, long long v)
{
    json_array_append_new(cells, json_integer((json_int_t)v));
}

static void cell_age(json_t *cells, json_t *obj, int64_t now_ns)
{
    cell_take(cells, since(time_at(obj, "metadata.creationTimestamp"), now_ns));
}

static void cell_name(json_t *cells, json_t *obj)
{
    cell_str(cells, str_at(obj, "metadata.name"));
}

/* buf_detach that is safe on a never-written buffer: always a NUL-terminated string. */
static char *buf_take(struct buf *b)
{
    buf_append(b, "", 0);
    return buf_detach(b, NULL);
}

/* Appends s to b, preceded by sep unless first is set. Over the cap the append is dropped
 * (buf leaves the contents unchanged). */
static void join_add(struct buf *b, const char *sep, const char *s, bool first)
{
    if (!first)
        buf_puts(b, sep);
    buf_puts(b, s);
}

/* The status of the first condition of type in conds, or NULL (upstream's hasJobCondition and
 * isPodInitializedConditionTrue look at the first match only). */
static const char *first_condition_status(json_t *conds, const char *type)
{
    size_t i;
    json_t *c;
    json_array_foreach(conds, i, c) {
        if (strcmp(str_at(c, "type"), type) == 0)
            return str_at(c, "status");
    }
    return NULL;
}

static bool first_condition_true(json_t *conds, const char *type)
{
    const char *st = first_condition_status(conds, type);
    return st != NULL && strcmp(st, "True") == 0;
}

/* Upstream's layoutContainerCells: names and images joined with ",". */
static void cells_containers(json_t *cells, json_t *containers)
{
    struct buf names, images;
    size_t i;
    json_t *c;
    buf_init(&names, TABLE_CELL_MAX);
    buf_init(&images, TABLE_CELL_MAX);
    json_array_foreach(containers, i, c) {
        join_add(&names, ",", str_at(c, "name"), i == 0);
        join_add(&images, ",", str_at(c, "image"), i == 0);
    }
    cell_take(cells, buf_take(&names));
    cell_take(cells, buf_take(&images));
}

/* One label selector requirement rendered like labels.Requirement.String(). */
struct requirement {
    const char *key;
    char *text;
};

static int cmp_requirement(const void *a, const void *b)
{
    const struct requirement *ra = a, *rb = b;
    int c = strcmp(ra->key, rb->key);
    if (c != 0)
        return c;
    return ra < rb ? -1 : ra > rb; /* keep input order for equal keys */
}

/* Renders one matchExpressions entry; NULL when upstream's conversion would fail. */
static char *requirement_text(json_t *expr)
{
    const char *key = str_at(expr, "key"), *op = str_at(expr, "operator");
    json_t *values = json_object_get(expr, "values");
    size_t n = json_array_size(values), i;
    json_t *v;

    if (key[0] == '\0')
        return NULL;
    if (strcmp(op, "Exists") == 0 || strcmp(op, "DoesNotExist") == 0) {
        if (n != 0)
            return NULL;
        return xasprintf("%s%s", op[0] == 'D' ? "!" : "", key);
    }
    if (strcmp(op, "In") != 0 && strcmp(op, "NotIn") != 0)
        return NULL;
    if (n == 0 || n > 4096)
        return NULL;
    const char **sorted = xcalloc(n, sizeof(*sorted));
    json_array_foreach(values, i, v) {
        if (!json_is_string(v)) {
            free(sorted);
            return NULL;
        }
        sorted[i] = json_string_value(v);
    }
    qsort(sorted, n, sizeof(*sorted), strp_cmp);
    struct buf b;
    buf_init(&b, TABLE_CELL_MAX);
    buf_printf(&b, "%s %s (", key, op[0] == 'I' ? "in" : "notin");
    for (i = 0; i < n; i++)
        join_add(&b, ",", sorted[i], i == 0);
    buf_putc(&b, ')');
    free(sorted);
    return buf_take(&b);
}

/* metav1.FormatLabelSelector: "<none>" for a nil or empty selector, "<error>" for one that
 * does not convert, else the requirements sorted by key and joined with ",". */
static char *format_label_selector(json_t *sel)
{
    json_t *labels = json_object_get(sel, "matchLabels");
    json_t *exprs = json_object_get(sel, "matchExpressions");
    size_t nlabels = json_is_object(labels) ? json_object_size(labels) : 0;
    size_t nexprs = json_array_size(exprs), n = 0, i;
    const char *key;
    json_t *v;
    char *out = NULL;

    if (!json_is_object(sel) || nlabels + nexprs == 0)
        return xstrdup("<none>");
    if (nlabels + nexprs > 4096)
        return xstrdup("<error>");
    struct requirement *reqs = xcalloc(nlabels + nexprs, sizeof(*reqs));
    if (nlabels > 0) {
        json_object_foreach(labels, key, v) {
            if (!json_is_string(v))
                goto out;
            reqs[n].key = key;
            reqs[n].text = xasprintf("%s=%s", key, json_string_value(v));
            n++;
        }
    }
    json_array_foreach(exprs, i, v) {
        char *text = requirement_text(v);
        if (text == NULL)
            goto out;
        reqs[n].key = str_at(v, "key");
        reqs[n].text = text;
        n++;
    }
    qsort(reqs, n, sizeof(*reqs), cmp_requirement);
    struct buf b;
    buf_init(&b, TABLE_CELL_MAX);
    for (i = 0; i < n; i++)
        join_add(&b, ",", reqs[i].text, i == 0);
    out = buf_take(&b);
out:
    for (i = 0; i < n; i++)
        free(reqs[i].text);
    free(reqs);
    return out ? out : xstrdup("<error>");
}

/* ---------------------------------------------------------------------------------------- */
/* Per-kind cells                                                                            */

static void namespace_cells(json_t *cells, json_t *obj, int64_t now_ns)
{
    cell_name(cells, obj);
    cell_str(cells, str_at(obj, "status.phase"));
    cell_age(cells, obj, now_ns);
}

static void serviceaccount_cells(json_t *cells, json_t *obj, int64_t now_ns)
{
    cell_name(cells, obj);
    cell_int(cells, len_at(obj, "secrets"));
    cell_age(cells, obj, now_ns);
}

static void secret_cells(json_t *cells, json_t *obj, int64_t now_ns)
{
    cell_name(cells, obj);
    cell_str(cells, str_at(obj, "type"));
    cell_int(cells, len_at(obj, "data"));
    cell_age(cells, obj, now_ns);
}

static void configmap_cells(json_t *cells, json_t *obj, int64_t now_ns)
{
    cell_name(cells, obj);
    cell_int(cells, len_at(obj, "data") + len_at(obj, "binaryData"));
    cell_age(cells, obj, now_ns);
}

static void lease_cells(json_t *cells, json_t *obj, int64_t now_ns)
{
    cell_name(cells, obj);
    cell_str(cells, str_at(obj, "spec.holderIdentity"));
    cell_age(cells, obj, now_ns);
}

/* Pod ------------------------------------------------------------------------------------ */

static void set_reason(char **reason, char *take)
{
    free(*reason);
    *reason = take;
}

/* Whether the init container called name has restartPolicy Always (a sidecar). */
static bool is_restartable_init(json_t *init_specs, const char *name)
{
    size_t i;
    json_t *c;
    json_array_foreach(init_specs, i, c) {
        if (strcmp(str_at(c, "name"), name) == 0)
            return strcmp(str_at(c, "restartPolicy"), "Always") == 0;
    }
    return false;
}

/* metav1.Time.Before on the latest-restart bookkeeping: an unset time is before all. */
static void keep_later(int64_t *latest, int64_t t)
{
    if (t != TIME_NONE && (*latest == TIME_NONE || *latest < t))
        *latest = t;
}

static bool any_condition_true(json_t *conds, const char *type)
{
    size_t i;
    json_t *c;
    json_array_foreach(conds, i, c) {
        if (strcmp(str_at(c, "type"), type) == 0 && strcmp(str_at(c, "status"), "True") == 0)
            return true;
    }
    return false;
}

static bool is_obj(json_t *obj, const char *path)
{
    return json_is_object(json_path(obj, path));
}

/* The STATUS, READY and RESTARTS logic of upstream's printPod. */
static void pod_cells(json_t *cells, json_t *pod, int64_t now_ns)
{
    json_t *init_specs = json_path(pod, "spec.initContainers");
    json_t *conds = json_path(pod, "status.conditions");
    json_t *init_statuses = json_path(pod, "status.initContainerStatuses");
    json_t *statuses = json_path(pod, "status.containerStatuses");
    const char *phase = str_at(pod, "status.phase");
    const char *status_reason = str_at(pod, "status.reason");
    long long restarts = 0, sidecar_restarts = 0;
    long long total = (long long)json_array_size(json_path(pod, "spec.containers"));
    long long ready = 0;
    int64_t last_restart = TIME_NONE, last_sidecar_restart = TIME_NONE;
    bool initializing = false;
    size_t i;
    json_t *c;

    char *reason = xstrdup(status_reason[0] ? status_reason : phase);
    json_array_foreach(conds, i, c) {
        if (strcmp(str_at(c, "type"), "PodScheduled") == 0 &&
            strcmp(str_at(c, "reason"), "SchedulingGated") == 0)
            set_reason(&reason, xstrdup("SchedulingGated"));
    }

    json_array_foreach(init_specs, i, c) {
        if (strcmp(str_at(c, "restartPolicy"), "Always") == 0)
            total++;
    }

    json_array_foreach(init_statuses, i, c) {
        bool sidecar = is_restartable_init(init_specs, str_at(c, "name"));
        int64_t finished = is_obj(c, "lastState.terminated")
                               ? time_at(c, "lastState.terminated.finishedAt")
                               : TIME_NONE;
        restarts += int_at(c, "restartCount");
        keep_later(&last_restart, finished);
        if (sidecar) {
            sidecar_restarts += int_at(c, "restartCount");
            keep_later(&last_sidecar_restart, finished);
        }
        bool terminated = is_obj(c, "state.terminated");
        const char *waiting_reason = str_at(c, "state.waiting.reason");
        if (terminated && int_at(c, "state.terminated.exitCode") == 0)
            continue;
        if (sidecar && json_is_true(json_object_get(c, "started"))) {
            if (json_is_true(json_object_get(c, "ready")))
                ready++;
            continue;
        }
        if (terminated) {
            const char *r = str_at(c, "state.terminated.reason");
            if (r[0] == '\0') {
                long long sig = int_at(c, "state.terminated.signal");
                if (sig != 0)
                    set_reason(&reason, xasprintf("Init:Signal:%lld", sig));
                else
                    set_reason(&reason, xasprintf("Init:ExitCode:%lld",
                                                  int_at(c, "state.terminated.exitCode")));
            } else {
                set_reason(&reason, xasprintf("Init:%s", r));
            }
        } else if (is_obj(c, "state.waiting") && waiting_reason[0] != '\0' &&
                   strcmp(waiting_reason, "PodInitializing") != 0) {
            set_reason(&reason, xasprintf("Init:%s", waiting_reason));
        } else {
            set_reason(&reason, xasprintf("Init:%zu/%zu", i, json_array_size(init_specs)));
        }
        initializing = true;
        break;
    }

    if (!initializing || first_condition_true(conds, "Initialized")) {
        bool has_running = false;
        restarts = sidecar_restarts;
        last_restart = last_sidecar_restart;
        for (i = json_array_size(statuses); i-- > 0;) {
            c = json_array_get(statuses, i);
            restarts += int_at(c, "restartCount");
            if (is_obj(c, "lastState.terminated"))
                keep_later(&last_restart, time_at(c, "lastState.terminated.finishedAt"));
            const char *waiting_reason = str_at(c, "state.waiting.reason");
            const char *term_reason = str_at(c, "state.terminated.reason");
            bool terminated = is_obj(c, "state.terminated");
            if (is_obj(c, "state.waiting") && waiting_reason[0] != '\0') {
                set_reason(&reason, xstrdup(waiting_reason));
            } else if (terminated && term_reason[0] != '\0') {
                set_reason(&reason, xstrdup(term_reason));
            } else if (terminated) {
                long long sig = int_at(c, "state.terminated.signal");
                if (sig != 0)
                    set_reason(&reason, xasprintf("Signal:%lld", sig));
                else
                    set_reason(&reason, xasprintf("ExitCode:%lld",
                                                  int_at(c, "state.terminated.exitCode")));
            } else if (json_is_true(json_object_get(c, "ready")) && is_obj(c, "state.running")) {
                has_running = true;
                ready++;
            }
        }
        /* a pod whose last container completed while another still runs is still running */
        if (strcmp(reason, "Completed") == 0 && has_running)
            set_reason(&reason, xstrdup(any_condition_true(conds, "Ready") ? "Running"
                                                                            : "NotReady"));
    }

    if (has_at(pod, "metadata.deletionTimestamp")) {
        if (strcmp(status_reason, "NodeLost") == 0)
            set_reason(&reason, xstrdup("Unknown"));
        else if (strcmp(phase, "Succeeded") != 0 && strcmp(phase, "Failed") != 0)
            set_reason(&reason, xstrdup("Terminating"));
    }

    cell_name(cells, pod);
    cell_take(cells, xasprintf("%lld/%lld", ready, total));
    cell_take(cells, reason);
    if (restarts != 0 && last_restart != TIME_NONE) {
        char *ago = since(last_restart, now_ns);
        cell_take(cells, xasprintf("%lld (%s ago)", restarts, ago));
        free(ago);
    } else {
        cell_take(cells, xasprintf("%lld", restarts));
    }
    cell_age(cells, pod, now_ns);

    /* wide */
    const char *ip = str_at(json_array_get(json_path(pod, "status.podIPs"), 0), "ip");
    const char *node = str_at(pod, "spec.nodeName");
    const char *nominated = str_at(pod, "status.nominatedNodeName");
    cell_str(cells, ip[0] ? ip : "<none>");
    cell_str(cells, node[0] ? node : "<none>");
    cell_str(cells, nominated[0] ? nominated : "<none>");
    json_t *gates = json_path(pod, "spec.readinessGates");
    if (json_array_size(gates) == 0) {
        cell_str(cells, "<none>");
    } else {
        long long true_count = 0;
        json_array_foreach(gates, i, c) {
            const char *st = first_condition_status(conds, str_at(c, "conditionType"));
            if (st != NULL && strcmp(st, "True") == 0)
                true_count++;
        }
        cell_take(cells, xasprintf("%lld/%zu", true_count, json_array_size(gates)));
    }
}

/* Node ----------------------------------------------------------------------------------- */

static void node_cells(json_t *cells, json_t *obj, int64_t now_ns)
{
    struct buf b;
    const char *ready = NULL;
    size_t ci;
    json_t *cond;
    /* upstream keys conditions by type in a map: the last Ready condition wins */
    json_array_foreach(json_path(obj, "status.conditions"), ci, cond) {
        if (strcmp(str_at(cond, "type"), "Ready") == 0)
            ready = str_at(cond, "status");
    }
    buf_init(&b, TABLE_CELL_MAX);
    if (ready == NULL)
        buf_puts(&b, "Unknown");
    else
        buf_puts(&b, strcmp(ready, "True") == 0 ? "Ready" : "NotReady");
    if (json_is_true(json_path(obj, "spec.unschedulable")))
        buf_puts(&b, ",SchedulingDisabled");
    cell_name(cells, obj);
    cell_take(cells, buf_take(&b));

    /* roles: node-role.kubernetes.io/<role> keys and kubernetes.io/role values, a sorted set */
    json_t *labels = json_path(obj, "metadata.labels");
    size_t nlabels = json_is_object(labels) ? json_object_size(labels) : 0, n = 0, i;
    const char **roles = xcalloc(nlabels ? nlabels : 1, sizeof(*roles));
    const char *key;
    json_t *v;
    static const char role_prefix[] = "node-role.kubernetes.io/";
    if (nlabels > 0) {
        json_object_foreach(labels, key, v) {
            if (strncmp(key, role_prefix, sizeof(role_prefix) - 1) == 0) {
                if (key[sizeof(role_prefix) - 1] != '\0')
                    roles[n++] = key + sizeof(role_prefix) - 1;
            } else if (strcmp(key, "kubernetes.io/role") == 0 && json_is_string(v) &&
                       json_string_length(v) > 0) {
                roles[n++] = json_string_value(v);
            }
        }
    }
    qsort(roles, n, sizeof(*roles), strp_cmp);
    buf_init(&b, TABLE_CELL_MAX);
    for (i = 0; i < n; i++) {
        if (i > 0 && strcmp(roles[i], roles[i - 1]) == 0)
            continue;
        join_add(&b, ",", roles[i], b.len == 0);
    }
    free(roles);
    if (b.len == 0)
        buf_puts(&b, "<none>");
    cell_take(cells, buf_take(&b));
    cell_age(cells, obj, now_ns);
    cell_str(cells, str_at(obj, "status.nodeInfo.kubeletVersion"));

    /* wide */
    const char *internal_ip = "<none>", *external_ip = "<none>";
    json_t *addrs = json_path(obj, "status.addresses");
    bool have_internal = false, have_external = false;
    json_array_foreach(addrs, i, v) {
        const char *type = str_at(v, "type");
        if (!have_internal && strcmp(type, "InternalIP") == 0) {
            internal_ip = str_at(v, "address");
            have_internal = true;
        } else if (!have_external && strcmp(type, "ExternalIP") == 0) {
            external_ip = str_at(v, "address");
            have_external = true;
        }
    }
    cell_str(cells, internal_ip);
    cell_str(cells, external_ip);
    static const char *const info[] = {"status.nodeInfo.osImage", "status.nodeInfo.kernelVersion",
                                       "status.nodeInfo.containerRuntimeVersion"};
    for (i = 0; i < sizeof(info) / sizeof(info[0]); i++) {
        const char *s = str_at(obj, info[i]);
        cell_str(cells, s[0] ? s : "<unknown>");
    }
}

/* Event ---------------------------------------------------------------------------------- */

/* Where the fields printEvent reads live in core/v1 and in events.k8s.io/v1 Events. */
struct event_fields {
    const char *first_timestamp;
    const char *last_timestamp;
    const char *count;
    const char *source;
    const char *regarding;
    const char *message;
    const char *reporting_controller;
};

static const struct event_fields event_fields_core = {
    "firstTimestamp", "lastTimestamp", "count", "source", "involvedObject", "message",
    "reportingComponent",
};

static const struct event_fields event_fields_events = {
    "deprecatedFirstTimestamp", "deprecatedLastTimestamp", "deprecatedCount", "deprecatedSource",
    "regarding", "note", "reportingController",
};

static bool is_go_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

static void event_cells_with(json_t *cells, json_t *obj, int64_t now_ns,
                             const struct event_fields *f)
{
    json_t *regarding = json_object_get(obj, f->regarding);
    json_t *source = json_object_get(obj, f->source);
    int64_t first_t = time_at(obj, f->first_timestamp);
    char *first = first_t != TIME_NONE ? since(first_t, now_ns)
                                       : since(time_at(obj, "eventTime"), now_ns);
    int64_t last_t = time_at(obj, f->last_timestamp);
    char *last = last_t != TIME_NONE ? since(last_t, now_ns) : xstrdup(first);
    long long count = int_at(obj, f->count);
    if (has_at(obj, "series")) {
        free(last);
        last = since(time_at(obj, "series.lastObservedTime"), now_ns);
        count = int_at(obj, "series.count");
    } else if (count == 0) {
        count = 1; /* singleton events carry no count in the new API */
    }

    const char *kind = str_at(regarding, "kind"), *name = str_at(regarding, "name");
    char *target = name[0] ? xasprintf("%s/%s", kind, name) : xstrdup(kind);
    for (char *p = target; *p && *p != '/'; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');

    const char *component = str_at(source, "component"), *host = str_at(source, "host");
    if (component[0] == '\0')
        component = str_at(obj, f->reporting_controller);
    if (host[0] == '\0')
        host = str_at(obj, "reportingInstance");
    char *src = host[0] ? xasprintf("%s, %s", component, host) : xstrdup(component);

    const char *msg = str_at(obj, f->message);
    size_t len = strlen(msg);
    while (len > 0 && is_go_space(msg[len - 1]))
        len--;
    while (len > 0 && is_go_space(*msg)) {
        msg++;
        len--;
    }

    cell_take(cells, last);
    cell_str(cells, str_at(obj, "type"));
    cell_str(cells, str_at(obj, "reason"));
    cell_take(cells, target);
    cell_str(cells, str_at(regarding, "fieldPath"));
    cell_take(cells, src);
    cell_take(cells, xstrndup(msg, len));
    cell_take(cells, first);
    cell_int(cells, count);
    cell_name(cells, obj);
}

static void event_cells(json_t *cells, json_t *obj, int64_t now_ns)
{
    event_cells_with(cells, obj, now_ns, &event_fields_core);
}

static void events_event_cells(json_t *cells, json_t *obj, int64_t now_ns)
{
    event_cells_with(cells, obj, now_ns, &event_fields_events);
}

/* Job ------------------------------------------------------------------------------------ */

static void job_cells(json_t *cells, json_t *obj, int64_t now_ns)
{
    json_t *conds = json_path(obj, "status.conditions");
    long long succeeded = int_at(obj, "status.succeeded");
    char *completions;
    if (has_at(obj, "spec.completions")) {
        completions = xasprintf("%lld/%lld", succeeded, int_at(obj, "spec.completions"));
    } else {
        long long parallelism = int_at(obj, "spec.parallelism");
        if (parallelism > 1)
            completions = xasprintf("%lld/1 of %lld", succeeded, parallelism);
        else
            completions = xasprintf("%lld/1", succeeded);
    }

    int64_t start = time_at(obj, "status.startTime");
    int64_t done = time_at(obj, "status.completionTime");
    char *duration;
    if (start == TIME_NONE)
        duration = xstrdup("");
    else if (done == TIME_NONE)
        duration = table_human_duration(duration_between(now_ns, start));
    else
        duration = table_human_duration(duration_between(done, start));

    const char *status;
    if (first_condition_true(conds, "Complete"))
        status = "Complete";
    else if (first_condition_true(conds, "Failed"))
        status = "Failed";
    else if (has_at(obj, "metadata.deletionTimestamp"))
        status = "Terminating";
    else if (first_condition_true(conds, "Suspended"))
        status = "Suspended";
    else if (first_condition_true(conds, "FailureTarget"))
        status = "FailureTarget";
    else
        status = "Running";

    cell_name(cells, obj);
    cell_str(cells, status);
    cell_take(cells, completions);
    cell_take(cells, duration);
    cell_age(cells, obj, now_ns);
    cells_containers(cells, json_path(obj, "spec.template.spec.containers"));
    cell_take(cells, format_label_selector(json_path(obj, "spec.selector")));
}

/* RBAC ----------------------------------------------------------------------------------- */

/* Role bindings of both scopes: roleRef as Kind/name, subjects split like
 * rbac.SubjectsStrings (service accounts as namespace/name), joined with ", ". */
static void binding_cells(json_t *cells, json_t *obj, int64_t now_ns)
{
    struct buf users, groups, sas;
    size_t i;
    json_t *s;
    buf_init(&users, TABLE_CELL_MAX);
    buf_init(&groups, TABLE_CELL_MAX);
    buf_init(&sas, TABLE_CELL_MAX);
    json_array_foreach(json_object_get(obj, "subjects"), i, s) {
        const char *kind = str_at(s, "kind");
        if (strcmp(kind, "ServiceAccount") == 0) {
            if (sas.len > 0)
                buf_puts(&sas, ", ");
            buf_printf(&sas, "%s/%s", str_at(s, "namespace"), str_at(s, "name"));
        } else if (strcmp(kind, "User") == 0) {
            join_add(&users, ", ", str_at(s, "name"), users.len == 0);
        } else if (strcmp(kind, "Group") == 0) {
            join_add(&groups, ", ", str_at(s, "name"), groups.len == 0);
        }
    }
    cell_name(cells, obj);
    cell_take(cells, xasprintf("%s/%s", str_at(obj, "roleRef.kind"), str_at(obj, "roleRef.name")));
    cell_age(cells, obj, now_ns);
    cell_take(cells, buf_take(&users));
    cell_take(cells, buf_take(&groups));
    cell_take(cells, buf_take(&sas));
}

/* Default -------------------------------------------------------------------------------- */

/* The default table convertor: name and creationTimestamp in UTC RFC3339 (Go's zero time
 * when unset). */
static void default_cells(json_t *cells, json_t *obj, int64_t now_ns)
{
    int64_t t = time_at(obj, "metadata.creationTimestamp");
    cell_name(cells, obj);
    if (t == TIME_NONE) {
        cell_str(cells, "0001-01-01T00:00:00Z");
        return;
    }
    time_t secs = (time_t)(t / NS_PER_SEC - (t % NS_PER_SEC < 0));
    struct tm tm;
    char out[64];
    gmtime_r(&secs, &tm);
    strftime(out, sizeof(out), "%Y-%m-%dT%H:%M:%SZ", &tm);
    cell_str(cells, out);
}

/* ---------------------------------------------------------------------------------------- */
/* The kind table                                                                            */

#define COL_NAME {"Name", "string", "name", "Name of the object.", 0}
#define COL_AGE {"Age", "string", "", "Time since the object was created.", 0}
#define COLS(a) (a), (sizeof(a) / sizeof((a)[0]))

static const struct table_column namespace_columns[] = {
    COL_NAME,
    {"Status", "string", "", "The phase of the namespace.", 0},
    COL_AGE,
};

static const struct table_column serviceaccount_columns[] = {
    COL_NAME,
    {"Secrets", "string", "", "Number of secrets listed in the service account.", 0},
    COL_AGE,
};

static const struct table_column secret_columns[] = {
    COL_NAME,
    {"Type", "string", "", "Type of the secret's data.", 0},
    {"Data", "string", "", "Number of data keys.", 0},
    COL_AGE,
};

static const struct table_column configmap_columns[] = {
    COL_NAME,
    {"Data", "string", "", "Number of data and binaryData keys.", 0},
    COL_AGE,
};

static const struct table_column pod_columns[] = {
    COL_NAME,
    {"Ready", "string", "", "Ready containers out of all containers.", 0},
    {"Status", "string", "", "Aggregate status of the pod's containers.", 0},
    {"Restarts", "string", "", "Container restarts and the time since the last one.", 0},
    COL_AGE,
    {"IP", "string", "", "The pod's first IP address.", 1},
    {"Node", "string", "", "The node the pod is bound to.", 1},
    {"Nominated Node", "string", "", "The node nominated by preemption.", 1},
    {"Readiness Gates", "string", "", "True readiness gate conditions out of all gates.", 1},
};

static const struct table_column node_columns[] = {
    COL_NAME,
    {"Status", "string", "", "Readiness and schedulability of the node.", 0},
    {"Roles", "string", "", "Roles from node-role.kubernetes.io labels.", 0},
    COL_AGE,
    {"Version", "string", "", "Kubelet version.", 0},
    {"Internal-IP", "string", "", "First InternalIP address.", 1},
    {"External-IP", "string", "", "First ExternalIP address.", 1},
    {"OS-Image", "string", "", "Operating system image.", 1},
    {"Kernel-Version", "string", "", "Kernel version.", 1},
    {"Container-Runtime", "string", "", "Container runtime version.", 1},
};

static const struct table_column event_columns[] = {
    {"Last Seen", "string", "", "Time since the event was last observed.", 0},
    {"Type", "string", "", "Type of the event (Normal, Warning).", 0},
    {"Reason", "string", "", "Short machine-readable reason.", 0},
    {"Object", "string", "", "The object the event is about.", 0},
    {"Subobject", "string", "", "Field path within the object.", 1},
    {"Source", "string", "", "Component and host that reported the event.", 1},
    {"Message", "string", "", "Human-readable description.", 0},
    {"First Seen", "string", "", "Time since the event was first observed.", 1},
    {"Count", "string", "", "Times the event was observed.", 1},
    {"Name", "string", "name", "Name of the object.", 1},
};

static const struct table_column job_columns[] = {
    COL_NAME,
    {"Status", "string", "", "Status of the job.", 0},
    {"Completions", "string", "", "Succeeded pods out of the wanted completions.", 0},
    {"Duration", "string", "", "Time the job took or has been running.", 0},
    COL_AGE,
    {"Containers", "string", "", "Names of the containers in the template.", 1},
    {"Images", "string", "", "Images of the containers in the template.", 1},
    {"Selector", "string", "", "Label selector for the job's pods.", 1},
};

static const struct table_column rolebinding_columns[] = {
    COL_NAME,
    {"Role", "string", "", "The bound role, as Kind/name.", 0},
    COL_AGE,
    {"Users", "string", "", "Users in the binding.", 1},
    {"Groups", "string", "", "Groups in the binding.", 1},
    {"ServiceAccounts", "string", "", "Service accounts in the binding, as namespace/name.", 1},
};

static const struct table_column lease_columns[] = {
    COL_NAME,
    {"Holder", "string", "", "Identity of the current holder.", 0},
    COL_AGE,
};

static const struct table_column default_columns[] = {
    COL_NAME,
    {"Created At", "date", "", "Time the object was created.", 0},
};

#define PRINTER(var, cols, fn) const struct table_printer var = {cols, sizeof(cols) / sizeof(cols[0]), fn}

PRINTER(table_namespace, namespace_columns, namespace_cells);
PRINTER(table_service_account, serviceaccount_columns, serviceaccount_cells);
PRINTER(table_secret, secret_columns, secret_cells);
PRINTER(table_config_map, configmap_columns, configmap_cells);
PRINTER(table_pod, pod_columns, pod_cells);
PRINTER(table_node, node_columns, node_cells);
PRINTER(table_event, event_columns, event_cells);
PRINTER(table_events_event, event_columns, events_event_cells);
PRINTER(table_job, job_columns, job_cells);
PRINTER(table_binding, rolebinding_columns, binding_cells);
PRINTER(table_lease, lease_columns, lease_cells);
static PRINTER(table_default, default_columns, default_cells);

json_t *table_columns(const struct table_printer *k)
{
    if (k == NULL)
        k = &table_default;
    json_t *cols = json_array();
    for (size_t i = 0; i < k->ncolumns; i++) {
        const struct table_column *c = &k->columns[i];
        json_array_append_new(cols, json_pack("{s:s, s:s, s:s, s:s, s:i}", "name", c->name,
                                              "type", c->type, "format", c->format,
                                              "description", c->description, "priority",
                                              c->priority));
    }
    return cols;
}

json_t *table_cells(const struct table_printer *k, json_t *obj, time_t now)
{
    if (k == NULL)
        k = &table_default;
    json_t *cells = json_array();
    k->cells(cells, obj, (int64_t)now * NS_PER_SEC);
    return cells;
}
