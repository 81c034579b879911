/* table_test.c — server-side printing: column definitions per kind, row cells for realistic
 * objects, and HumanDuration boundaries. Expected values follow upstream v1.32's
 * pkg/printers/internalversion/printers.go and apimachinery's duration.HumanDuration. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "machinery/table.h"

#define NOW ((time_t)1717243200) /* 2024-06-01T12:00:00Z */
#define SEC INT64_C(1000000000)

/* Parses JSON written with single quotes (no apostrophes inside strings). */
static json_t *J(const char *text)
{
    char *s = strdup(text);
    for (char *p = s; *p; p++)
        if (*p == '\'')
            *p = '"';
    json_error_t err;
    json_t *v = json_loads(s, JSON_DECODE_ANY, &err);
    if (v == NULL)
        fail_msg("bad test JSON at %d: %s\n%s", err.position, err.text, s);
    free(s);
    return v;
}

static void assert_json_eq(json_t *got, const char *want_text, const char *what)
{
    json_t *want = J(want_text);
    if (!json_equal(got, want)) {
        char *g = json_dumps(got, JSON_COMPACT);
        char *w = json_dumps(want, JSON_COMPACT);
        fail_msg("%s:\n  got  %s\n  want %s", what, g, w);
    }
    json_decref(want);
}

/* ---------------------------------------------------------------------------------------- */

static void test_human_duration(void **state)
{
    static const struct {
        int64_t ns;
        const char *want;
    } cases[] = {
        {-2 * SEC, "<invalid>"},
        {-1 * SEC - SEC / 2, "0s"},
        {-1 * SEC, "0s"},
        {0, "0s"},
        {SEC / 2, "0s"},
        {1 * SEC, "1s"},
        {70 * SEC, "70s"},
        {119 * SEC, "119s"},
        {120 * SEC, "2m"},
        {121 * SEC, "2m1s"},
        {190 * SEC, "3m10s"},
        {599 * SEC, "9m59s"},
        {600 * SEC, "10m"},
        {601 * SEC, "10m"},
        {70 * 60 * SEC, "70m"},
        {(3 * 3600 - 1) * SEC, "179m"},
        {3 * 3600 * SEC, "3h"},
        {(3 * 3600 + 60) * SEC, "3h1m"},
        {(8 * 3600 - 60) * SEC, "7h59m"},
        {8 * 3600 * SEC, "8h"},
        {47 * 3600 * SEC, "47h"},
        {(48 * 3600 - 1) * SEC, "47h"},
        {48 * 3600 * SEC, "2d"},
        {49 * 3600 * SEC, "2d1h"},
        {(8 * 24 - 1) * 3600 * SEC, "7d23h"},
        {8 * 24 * 3600 * SEC, "8d"},
        {(8 * 24 + 2) * 3600 * SEC, "8d"},
        {367 * 24 * 3600 * SEC, "367d"},
        {729 * 24 * 3600 * SEC, "729d"},
        {730 * 24 * 3600 * SEC, "2y"},
        {(365 * 2 * 24 + 25) * INT64_C(3600) * SEC, "2y1d"},
        {(365 * 8 * 24 - 24) * INT64_C(3600) * SEC, "7y364d"},
        {(365 * 8 * 24 + 2) * INT64_C(3600) * SEC, "8y"},
        {(365 * 100 * 24) * INT64_C(3600) * SEC, "100y"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *got = table_human_duration(cases[i].ns);
        if (strcmp(got, cases[i].want) != 0)
            fail_msg("HumanDuration(%lld ns) = %s, want %s", (long long)cases[i].ns, got,
                     cases[i].want);
        free(got);
    }
}

static void test_age(void **state)
{
    static const struct {
        const char *ts;
        const char *want;
    } cases[] = {
        {NULL, "<unknown>"},
        {"", "<unknown>"},
        {"yesterday", "<unknown>"},
        {"2024-06-01T11:59:00", "<unknown>"},   /* no zone */
        {"2024-02-30T00:00:00Z", "<unknown>"},  /* no such day */
        {"0001-01-01T00:00:00Z", "<unknown>"},  /* Go's zero time */
        {"2024-06-01T12:00:00Z", "0s"},
        {"2024-06-01T12:00:01Z", "0s"},         /* 1s in the future: tolerated */
        {"2024-06-01T12:00:05Z", "<invalid>"},
        {"2024-06-01T11:59:55Z", "5s"},
        {"2024-06-01T11:59:54.5Z", "5s"},       /* fraction truncates */
        {"2024-06-01T11:57:00Z", "3m"},
        {"2024-06-01T11:56:58Z", "3m2s"},
        {"2024-06-01T13:00:00+02:00", "60m"},   /* 11:00Z; under 3h prints minutes */
        {"2024-06-01T06:30:00-04:00", "90m"},   /* 10:30Z */
        {"2024-05-30T12:00:00Z", "2d"},
        {"2023-06-02T12:00:00Z", "365d"},
        {"2020-06-01T12:00:00Z", "4y1d"},       /* 1461 days, 2020 is a leap year */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *got = table_age(cases[i].ts, NOW);
        if (strcmp(got, cases[i].want) != 0)
            fail_msg("table_age(%s) = %s, want %s", cases[i].ts ? cases[i].ts : "NULL", got,
                     cases[i].want);
        free(got);
    }
}

/* ---------------------------------------------------------------------------------------- */
/* Columns                                                                                   */

static void test_columns_full_shape(void **state)
{
    json_t *cols = table_columns("", "ServiceAccount");
    assert_int_equal(json_array_size(cols), 3);
    /* every definition carries all five fields, like Go's TableColumnDefinition */
    for (size_t i = 0; i < json_array_size(cols); i++) {
        json_t *c = json_array_get(cols, i);
        assert_int_equal(json_object_size(c), 5);
        assert_true(json_is_string(json_object_get(c, "name")));
        assert_true(json_is_string(json_object_get(c, "type")));
        assert_true(json_is_string(json_object_get(c, "format")));
        assert_true(json_is_string(json_object_get(c, "description")));
        assert_true(json_is_integer(json_object_get(c, "priority")));
    }
    json_t *name = json_array_get(cols, 0);
    assert_string_equal(json_string_value(json_object_get(name, "name")), "Name");
    assert_string_equal(json_string_value(json_object_get(name, "type")), "string");
    assert_string_equal(json_string_value(json_object_get(name, "format")), "name");
    json_t *age = json_array_get(cols, 2);
    assert_string_equal(json_string_value(json_object_get(age, "format")), "");
    json_decref(cols);
}

/* "name:type:format:priority" for each column, joined with "|". */
static char *column_summary(json_t *cols)
{
    size_t cap = 4096, len = 0;
    char *out = calloc(1, cap);
    for (size_t i = 0; i < json_array_size(cols); i++) {
        json_t *c = json_array_get(cols, i);
        len += (size_t)snprintf(out + len, cap - len, "%s%s:%s:%s:%lld", i ? "|" : "",
                                json_string_value(json_object_get(c, "name")),
                                json_string_value(json_object_get(c, "type")),
                                json_string_value(json_object_get(c, "format")),
                                (long long)json_integer_value(json_object_get(c, "priority")));
        assert_true(len < cap);
    }
    return out;
}

static void test_columns_per_kind(void **state)
{
    static const struct {
        const char *group, *kind, *want;
    } cases[] = {
        {"", "Namespace", "Name:string:name:0|Status:string::0|Age:string::0"},
        {"", "ServiceAccount", "Name:string:name:0|Secrets:string::0|Age:string::0"},
        {"", "Secret", "Name:string:name:0|Type:string::0|Data:string::0|Age:string::0"},
        {"", "ConfigMap", "Name:string:name:0|Data:string::0|Age:string::0"},
        {"", "Pod",
         "Name:string:name:0|Ready:string::0|Status:string::0|Restarts:string::0|Age:string::0|"
         "IP:string::1|Node:string::1|Nominated Node:string::1|Readiness Gates:string::1"},
        {"", "Node",
         "Name:string:name:0|Status:string::0|Roles:string::0|Age:string::0|Version:string::0|"
         "Internal-IP:string::1|External-IP:string::1|OS-Image:string::1|"
         "Kernel-Version:string::1|Container-Runtime:string::1"},
        {"", "Event",
         "Last Seen:string::0|Type:string::0|Reason:string::0|Object:string::0|"
         "Subobject:string::1|Source:string::1|Message:string::0|First Seen:string::1|"
         "Count:string::1|Name:string:name:1"},
        {"events.k8s.io", "Event",
         "Last Seen:string::0|Type:string::0|Reason:string::0|Object:string::0|"
         "Subobject:string::1|Source:string::1|Message:string::0|First Seen:string::1|"
         "Count:string::1|Name:string:name:1"},
        {"batch", "Job",
         "Name:string:name:0|Status:string::0|Completions:string::0|Duration:string::0|"
         "Age:string::0|Containers:string::1|Images:string::1|Selector:string::1"},
        {"rbac.authorization.k8s.io", "RoleBinding",
         "Name:string:name:0|Role:string::0|Age:string::0|Users:string::1|Groups:string::1|"
         "ServiceAccounts:string::1"},
        {"rbac.authorization.k8s.io", "ClusterRoleBinding",
         "Name:string:name:0|Role:string::0|Age:string::0|Users:string::1|Groups:string::1|"
         "ServiceAccounts:string::1"},
        {"coordination.k8s.io", "Lease", "Name:string:name:0|Holder:string::0|Age:string::0"},
        /* no printer upstream: the default table convertor */
        {"rbac.authorization.k8s.io", "Role", "Name:string:name:0|Created At:date::0"},
        {"rbac.authorization.k8s.io", "ClusterRole", "Name:string:name:0|Created At:date::0"},
        {"example.com", "Widget", "Name:string:name:0|Created At:date::0"},
        {NULL, "Pod", /* NULL group means core */
         "Name:string:name:0|Ready:string::0|Status:string::0|Restarts:string::0|Age:string::0|"
         "IP:string::1|Node:string::1|Nominated Node:string::1|Readiness Gates:string::1"},
        {"batch", "Pod", "Name:string:name:0|Created At:date::0"}, /* group matters */
        {"", NULL, "Name:string:name:0|Created At:date::0"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *cols = table_columns(cases[i].group, cases[i].kind);
        char *got = column_summary(cols);
        if (strcmp(got, cases[i].want) != 0)
            fail_msg("columns %s/%s:\n  got  %s\n  want %s", cases[i].group ? cases[i].group : "-",
                     cases[i].kind ? cases[i].kind : "-", got, cases[i].want);
        free(got);
        json_decref(cols);
    }
}

/* Every kind's cells line up with its columns, even for an empty object. */
static void test_cells_count_matches_columns(void **state)
{
    static const char *const kinds[][2] = {
        {"", "Namespace"}, {"", "ServiceAccount"}, {"", "Secret"}, {"", "ConfigMap"},
        {"", "Pod"}, {"", "Node"}, {"", "Event"}, {"events.k8s.io", "Event"}, {"batch", "Job"},
        {"rbac.authorization.k8s.io", "RoleBinding"},
        {"rbac.authorization.k8s.io", "ClusterRoleBinding"}, {"coordination.k8s.io", "Lease"},
        {"rbac.authorization.k8s.io", "Role"}, {"x", "Y"},
    };
    json_t *empty = json_object();
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        json_t *cols = table_columns(kinds[i][0], kinds[i][1]);
        json_t *cells = table_cells(kinds[i][0], kinds[i][1], empty, NOW);
        if (json_array_size(cols) != json_array_size(cells))
            fail_msg("%s: %zu columns, %zu cells", kinds[i][1], json_array_size(cols),
                     json_array_size(cells));
        json_decref(cells);
        /* not an object at all: still one cell per column */
        cells = table_cells(kinds[i][0], kinds[i][1], NULL, NOW);
        assert_int_equal(json_array_size(cells), json_array_size(cols));
        json_decref(cells);
        json_decref(cols);
    }
    json_decref(empty);
}

/* ---------------------------------------------------------------------------------------- */
/* Cells                                                                                     */

struct cells_case {
    const char *name;
    const char *group, *kind;
    const char *obj;
    const char *want;
};

static void run_cells_cases(const struct cells_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        json_t *obj = J(cases[i].obj);
        json_t *cells = table_cells(cases[i].group, cases[i].kind, obj, NOW);
        assert_json_eq(cells, cases[i].want, cases[i].name);
        json_decref(cells);
        json_decref(obj);
    }
}

#define META(name) "'metadata':{'name':'" name "','creationTimestamp':'2024-06-01T11:50:00Z'}"
#define META_DELETING(name)                                                                  \
    "'metadata':{'name':'" name "','creationTimestamp':'2024-06-01T11:50:00Z',"              \
    "'deletionTimestamp':'2024-06-01T11:59:00Z'}"

static void test_cells_simple_kinds(void **state)
{
    static const struct cells_case cases[] = {
        {"namespace", "", "Namespace", "{" META("default") ",'status':{'phase':'Active'}}",
         "['default','Active','10m']"},
        {"terminating namespace", "", "Namespace",
         "{" META_DELETING("old") ",'status':{'phase':'Terminating'}}",
         "['old','Terminating','10m']"},
        {"namespace without timestamp", "", "Namespace", "{'metadata':{'name':'x'}}",
         "['x','','<unknown>']"},
        {"serviceaccount", "", "ServiceAccount",
         "{" META("builder") ",'secrets':[{'name':'a'},{'name':'b'}]}", "['builder',2,'10m']"},
        {"serviceaccount no secrets", "", "ServiceAccount", "{" META("default") "}",
         "['default',0,'10m']"},
        {"secret", "", "Secret",
         "{" META("tls") ",'type':'kubernetes.io/tls','data':{'tls.crt':'YQ==','tls.key':'Yg=='}}",
         "['tls','kubernetes.io/tls',2,'10m']"},
        {"configmap counts data and binaryData", "", "ConfigMap",
         "{" META("cfg") ",'data':{'a':'1','b':'2'},'binaryData':{'c':'AA=='}}",
         "['cfg',3,'10m']"},
        {"empty configmap", "", "ConfigMap", "{" META("empty") "}", "['empty',0,'10m']"},
        {"lease", "coordination.k8s.io", "Lease",
         "{" META("kube-controller-manager") ",'spec':{'holderIdentity':'host_1234'}}",
         "['kube-controller-manager','host_1234','10m']"},
        {"lease without holder", "coordination.k8s.io", "Lease", "{" META("l") ",'spec':{}}",
         "['l','','10m']"},
        {"role: default convertor", "rbac.authorization.k8s.io", "Role",
         "{'metadata':{'name':'reader','creationTimestamp':'2024-05-01T08:09:10Z'}}",
         "['reader','2024-05-01T08:09:10Z']"},
        {"clusterrole in another zone comes out in UTC", "rbac.authorization.k8s.io",
         "ClusterRole",
         "{'metadata':{'name':'admin','creationTimestamp':'2024-05-01T10:09:10.75+02:00'}}",
         "['admin','2024-05-01T08:09:10Z']"},
        {"unknown kind without timestamp", "example.com", "Widget", "{'metadata':{'name':'w'}}",
         "['w','0001-01-01T00:00:00Z']"},
    };
    run_cells_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_cells_pod(void **state)
{
    static const struct cells_case cases[] = {
        {"running 2/2 with 3 restarts", "", "Pod",
         "{" META("web") ",'spec':{'nodeName':'node-1','containers':[{'name':'app'},"
         "{'name':'proxy'}]},'status':{'phase':'Running','podIP':'10.0.0.5',"
         "'podIPs':[{'ip':'10.0.0.5'},{'ip':'fd00::5'}],"
         "'conditions':[{'type':'Ready','status':'True'}],'containerStatuses':["
         "{'name':'app','ready':true,'restartCount':3,'state':{'running':{'startedAt':"
         "'2024-06-01T11:55:00Z'}},'lastState':{'terminated':{'exitCode':1,'reason':'Error',"
         "'finishedAt':'2024-06-01T11:55:00Z'}}},"
         "{'name':'proxy','ready':true,'restartCount':0,'state':{'running':{}}}]}}",
         "['web','2/2','Running','3 (5m ago)','10m','10.0.0.5','node-1','<none>','<none>']"},
        {"restarts without a last termination time print bare", "", "Pod",
         "{" META("web") ",'spec':{'containers':[{'name':'app'}]},'status':{'phase':'Running',"
         "'containerStatuses':[{'name':'app','ready':true,'restartCount':2,"
         "'state':{'running':{}}}]}}",
         "['web','1/1','Running','2','10m','<none>','<none>','<none>','<none>']"},
        {"pending, not scheduled", "", "Pod",
         "{" META("p") ",'spec':{'containers':[{'name':'a'}]},'status':{'phase':'Pending'}}",
         "['p','0/1','Pending','0','10m','<none>','<none>','<none>','<none>']"},
        {"container creating", "", "Pod",
         "{" META("p") ",'spec':{'nodeName':'n1','containers':[{'name':'a'}]},"
         "'status':{'phase':'Pending','containerStatuses':[{'name':'a','ready':false,"
         "'restartCount':0,'state':{'waiting':{'reason':'ContainerCreating'}}}]}}",
         "['p','0/1','ContainerCreating','0','10m','<none>','n1','<none>','<none>']"},
        {"crash loop", "", "Pod",
         "{" META("c") ",'spec':{'containers':[{'name':'a'}]},'status':{'phase':'Running',"
         "'containerStatuses':[{'name':'a','ready':false,'restartCount':5,"
         "'state':{'waiting':{'reason':'CrashLoopBackOff','message':'back-off'}},"
         "'lastState':{'terminated':{'exitCode':1,'reason':'Error',"
         "'finishedAt':'2024-06-01T11:59:30Z'}}}]}}",
         "['c','0/1','CrashLoopBackOff','5 (30s ago)','10m','<none>','<none>','<none>','<none>']"},
        {"succeeded prints Completed", "", "Pod",
         "{" META("job-x") ",'spec':{'containers':[{'name':'a'}]},'status':{'phase':'Succeeded',"
         "'containerStatuses':[{'name':'a','ready':false,'restartCount':0,'state':{'terminated':"
         "{'exitCode':0,'reason':'Completed'}}}]}}",
         "['job-x','0/1','Completed','0','10m','<none>','<none>','<none>','<none>']"},
        {"failed prints Error", "", "Pod",
         "{" META("f") ",'spec':{'containers':[{'name':'a'}]},'status':{'phase':'Failed',"
         "'containerStatuses':[{'name':'a','state':{'terminated':{'exitCode':2,"
         "'reason':'Error'}}}]}}",
         "['f','0/1','Error','0','10m','<none>','<none>','<none>','<none>']"},
        {"terminated without reason: exit code", "", "Pod",
         "{" META("f") ",'spec':{'containers':[{'name':'a'}]},'status':{'phase':'Failed',"
         "'containerStatuses':[{'name':'a','state':{'terminated':{'exitCode':137}}}]}}",
         "['f','0/1','ExitCode:137','0','10m','<none>','<none>','<none>','<none>']"},
        {"terminated without reason: signal", "", "Pod",
         "{" META("f") ",'spec':{'containers':[{'name':'a'}]},'status':{'phase':'Failed',"
         "'containerStatuses':[{'name':'a','state':{'terminated':{'exitCode':0,"
         "'signal':9}}}]}}",
         "['f','0/1','Signal:9','0','10m','<none>','<none>','<none>','<none>']"},
        {"deleting running pod is Terminating", "", "Pod",
         "{" META_DELETING("t") ",'spec':{'containers':[{'name':'a'}]},'status':{'phase':"
         "'Running','containerStatuses':[{'name':'a','ready':true,'state':{'running':{}}}]}}",
         "['t','1/1','Terminating','0','10m','<none>','<none>','<none>','<none>']"},
        {"deleting succeeded pod keeps Completed", "", "Pod",
         "{" META_DELETING("t") ",'spec':{'containers':[{'name':'a'}]},'status':{'phase':"
         "'Succeeded','containerStatuses':[{'name':'a','state':{'terminated':{'exitCode':0,"
         "'reason':'Completed'}}}]}}",
         "['t','0/1','Completed','0','10m','<none>','<none>','<none>','<none>']"},
        {"deleting pod on a lost node is Unknown", "", "Pod",
         "{" META_DELETING("u") ",'spec':{'containers':[{'name':'a'}]},'status':{'phase':"
         "'Running','reason':'NodeLost'}}",
         "['u','0/1','Unknown','0','10m','<none>','<none>','<none>','<none>']"},
        {"status reason overrides phase", "", "Pod",
         "{" META("e") ",'spec':{'containers':[{'name':'a'}]},'status':{'phase':'Failed',"
         "'reason':'Evicted'}}",
         "['e','0/1','Evicted','0','10m','<none>','<none>','<none>','<none>']"},
        {"scheduling gated", "", "Pod",
         "{" META("g") ",'spec':{'containers':[{'name':'a'}]},'status':{'phase':'Pending',"
         "'conditions':[{'type':'PodScheduled','status':'False','reason':'SchedulingGated'}]}}",
         "['g','0/1','SchedulingGated','0','10m','<none>','<none>','<none>','<none>']"},
        {"first init container running", "", "Pod",
         "{" META("i") ",'spec':{'initContainers':[{'name':'i1'},{'name':'i2'}],"
         "'containers':[{'name':'a'}]},'status':{'phase':'Pending','initContainerStatuses':["
         "{'name':'i1','state':{'running':{}}},{'name':'i2','state':{'waiting':"
         "{'reason':'PodInitializing'}}}],'containerStatuses':[{'name':'a','state':{'waiting':"
         "{'reason':'PodInitializing'}}}]}}",
         "['i','0/1','Init:0/2','0','10m','<none>','<none>','<none>','<none>']"},
        {"second init container running", "", "Pod",
         "{" META("i") ",'spec':{'initContainers':[{'name':'i1'},{'name':'i2'}],"
         "'containers':[{'name':'a'}]},'status':{'phase':'Pending','initContainerStatuses':["
         "{'name':'i1','restartCount':1,'state':{'terminated':{'exitCode':0,'reason':'Completed'"
         "}},'lastState':{'terminated':{'exitCode':1,'finishedAt':'2024-06-01T11:58:00Z'}}},"
         "{'name':'i2','state':{'running':{}}}]}}",
         "['i','0/1','Init:1/2','1 (2m ago)','10m','<none>','<none>','<none>','<none>']"},
        {"init container crash loop", "", "Pod",
         "{" META("i") ",'spec':{'initContainers':[{'name':'i1'}],'containers':[{'name':'a'}]},"
         "'status':{'phase':'Pending','initContainerStatuses':[{'name':'i1','restartCount':4,"
         "'state':{'waiting':{'reason':'CrashLoopBackOff'}}}]}}",
         "['i','0/1','Init:CrashLoopBackOff','4','10m','<none>','<none>','<none>','<none>']"},
        {"init container failed without reason", "", "Pod",
         "{" META("i") ",'spec':{'initContainers':[{'name':'i1'}],'containers':[{'name':'a'}]},"
         "'status':{'phase':'Pending','initContainerStatuses':[{'name':'i1',"
         "'state':{'terminated':{'exitCode':3}}}]}}",
         "['i','0/1','Init:ExitCode:3','0','10m','<none>','<none>','<none>','<none>']"},
        {"init container failed with reason", "", "Pod",
         "{" META("i") ",'spec':{'initContainers':[{'name':'i1'}],'containers':[{'name':'a'}]},"
         "'status':{'phase':'Failed','initContainerStatuses':[{'name':'i1',"
         "'state':{'terminated':{'exitCode':1,'reason':'Error'}}}]}}",
         "['i','0/1','Init:Error','0','10m','<none>','<none>','<none>','<none>']"},
        {"sidecar counts toward ready and total", "", "Pod",
         "{" META("s") ",'spec':{'initContainers':[{'name':'log','restartPolicy':'Always'}],"
         "'containers':[{'name':'a'}]},'status':{'phase':'Running','conditions':[{'type':"
         "'Initialized','status':'True'},{'type':'Ready','status':'True'}],"
         "'initContainerStatuses':[{'name':'log','ready':true,'started':true,'restartCount':1,"
         "'state':{'running':{}},'lastState':{'terminated':{'exitCode':1,"
         "'finishedAt':'2024-06-01T11:59:00Z'}}}],"
         "'containerStatuses':[{'name':'a','ready':true,'restartCount':2,"
         "'state':{'running':{}},'lastState':{'terminated':{'exitCode':1,"
         "'finishedAt':'2024-06-01T11:58:00Z'}}}]}}",
         "['s','2/2','Running','3 (60s ago)','10m','<none>','<none>','<none>','<none>']"},
        {"last container completed, another running and ready", "", "Pod",
         "{" META("r") ",'spec':{'containers':[{'name':'a'},{'name':'b'}]},'status':{'phase':"
         "'Running','conditions':[{'type':'Ready','status':'True'}],'containerStatuses':["
         "{'name':'a','ready':true,'state':{'running':{}}},"
         "{'name':'b','ready':false,'state':{'terminated':{'exitCode':0,'reason':'Completed'}}}"
         "]}}",
         "['r','1/2','Running','0','10m','<none>','<none>','<none>','<none>']"},
        {"last container completed, another running, pod not ready", "", "Pod",
         "{" META("r") ",'spec':{'containers':[{'name':'a'},{'name':'b'}]},'status':{'phase':"
         "'Running','conditions':[{'type':'Ready','status':'False'}],'containerStatuses':["
         "{'name':'a','ready':true,'state':{'running':{}}},"
         "{'name':'b','ready':false,'state':{'terminated':{'exitCode':0,'reason':'Completed'}}}"
         "]}}",
         "['r','1/2','NotReady','0','10m','<none>','<none>','<none>','<none>']"},
        {"wide: nominated node and readiness gates", "", "Pod",
         "{" META("w") ",'spec':{'containers':[{'name':'a'}],'readinessGates':["
         "{'conditionType':'example.com/lb'},{'conditionType':'example.com/dns'}]},"
         "'status':{'phase':'Pending','nominatedNodeName':'node-9','conditions':["
         "{'type':'example.com/lb','status':'True'},{'type':'example.com/dns','status':'False'}"
         "]}}",
         "['w','0/1','Pending','0','10m','<none>','<none>','node-9','1/2']"},
    };
    run_cells_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_cells_node(void **state)
{
    static const struct cells_case cases[] = {
        {"ready control plane, cordoned", "", "Node",
         "{'metadata':{'name':'cp-1','creationTimestamp':'2024-05-30T12:00:00Z','labels':{"
         "'node-role.kubernetes.io/control-plane':'','kubernetes.io/role':'master',"
         "'node-role.kubernetes.io/':'x','kubernetes.io/hostname':'cp-1'}},"
         "'spec':{'unschedulable':true},'status':{'conditions':[{'type':'MemoryPressure',"
         "'status':'False'},{'type':'Ready','status':'True'}],'addresses':[{'type':'Hostname',"
         "'address':'cp-1'},{'type':'InternalIP','address':'192.168.1.10'},{'type':'InternalIP',"
         "'address':'192.168.1.11'},{'type':'ExternalIP','address':'203.0.113.7'}],"
         "'nodeInfo':{'kubeletVersion':'v1.32.0','osImage':'Debian GNU/Linux 12 (bookworm)',"
         "'kernelVersion':'6.1.0-18-amd64','containerRuntimeVersion':'containerd://1.7.13'}}}",
         "['cp-1','Ready,SchedulingDisabled','control-plane,master','2d','v1.32.0',"
         "'192.168.1.10','203.0.113.7','Debian GNU/Linux 12 (bookworm)','6.1.0-18-amd64',"
         "'containerd://1.7.13']"},
        {"not ready worker", "", "Node",
         "{" META("w1") ",'status':{'conditions':[{'type':'Ready','status':'Unknown'}]}}",
         "['w1','NotReady','<none>','10m','','<none>','<none>','<unknown>','<unknown>',"
         "'<unknown>']"},
        {"no conditions yet", "", "Node", "{" META("new") "}",
         "['new','Unknown','<none>','10m','','<none>','<none>','<unknown>','<unknown>',"
         "'<unknown>']"},
    };
    run_cells_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_cells_event(void **state)
{
    static const struct cells_case cases[] = {
        {"core event", "", "Event",
         "{'metadata':{'name':'web.17d','namespace':'default','creationTimestamp':"
         "'2024-06-01T11:50:00Z'},'involvedObject':{'kind':'Pod','name':'web',"
         "'fieldPath':'spec.containers{app}'},'reason':'BackOff','message':"
         "'  Back-off restarting failed container\\n','type':'Warning','source':{'component':"
         "'kubelet','host':'node-1'},'firstTimestamp':'2024-06-01T11:50:00Z',"
         "'lastTimestamp':'2024-06-01T11:59:00Z','count':7}",
         "['60s','Warning','BackOff','pod/web','spec.containers{app}','kubelet, node-1',"
         "'Back-off restarting failed container','10m',7,'web.17d']"},
        {"new-style event: eventTime, series, reporting controller", "", "Event",
         "{'metadata':{'name':'e2'},'involvedObject':{'kind':'Deployment','name':'api'},"
         "'reason':'ScalingReplicaSet','message':'Scaled up','type':'Normal',"
         "'eventTime':'2024-06-01T11:30:00.123456Z','series':{'count':4,"
         "'lastObservedTime':'2024-06-01T11:58:00.000001Z'},"
         "'reportingComponent':'deployment-controller','source':{}}",
         "['119s','Normal','ScalingReplicaSet','deployment/api','','deployment-controller',"
         "'Scaled up','29m',4,'e2']"},
        {"singleton event without count, no last timestamp, no object name", "", "Event",
         "{'metadata':{'name':'e3'},'involvedObject':{'kind':'Node'},'reason':'Starting',"
         "'type':'Normal','firstTimestamp':'2024-06-01T11:57:00Z','reportingComponent':'kubelet',"
         "'reportingInstance':'node-2'}",
         "['3m','Normal','Starting','node','','kubelet, node-2','','3m',1,'e3']"},
        {"events.k8s.io field names", "events.k8s.io", "Event",
         "{'metadata':{'name':'e4'},'regarding':{'kind':'Pod','name':'db','fieldPath':'x'},"
         "'reason':'Pulled','note':'Image pulled','type':'Normal','reportingController':"
         "'kubelet','reportingInstance':'node-3','deprecatedFirstTimestamp':"
         "'2024-06-01T11:40:00Z','deprecatedLastTimestamp':'2024-06-01T11:45:00Z',"
         "'deprecatedCount':2}",
         "['15m','Normal','Pulled','pod/db','x','kubelet, node-3','Image pulled','20m',2,'e4']"},
    };
    run_cells_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_cells_job(void **state)
{
    static const struct cells_case cases[] = {
        {"complete 1/1", "batch", "Job",
         "{" META("pi") ",'spec':{'completions':1,'parallelism':1,'selector':{'matchLabels':"
         "{'batch.kubernetes.io/controller-uid':'6b1f'}},'template':{'spec':{'containers':["
         "{'name':'pi','image':'perl:5.34.0'}]}}},'status':{'startTime':'2024-06-01T11:50:00Z',"
         "'completionTime':'2024-06-01T11:50:42Z','succeeded':1,'conditions':[{'type':"
         "'SuccessCriteriaMet','status':'True'},{'type':'Complete','status':'True'}]}}",
         "['pi','Complete','1/1','42s','10m','pi','perl:5.34.0',"
         "'batch.kubernetes.io/controller-uid=6b1f']"},
        {"running, parallel without completions", "batch", "Job",
         "{" META("work") ",'spec':{'parallelism':3,'template':{'spec':{'containers':["
         "{'name':'a','image':'busybox'},{'name':'b','image':'nginx:1.27'}]}}},"
         "'status':{'startTime':'2024-06-01T11:55:00Z','active':3}}",
         "['work','Running','0/1 of 3','5m','10m','a,b','busybox,nginx:1.27','<none>']"},
        {"not started", "batch", "Job", "{" META("new") ",'spec':{'completions':5}}",
         "['new','Running','0/5','','10m','','','<none>']"},
        {"failed", "batch", "Job",
         "{" META("bad") ",'spec':{'completions':1},'status':{'startTime':"
         "'2024-06-01T11:50:00Z','failed':7,'conditions':[{'type':'FailureTarget','status':"
         "'True'},{'type':'Failed','status':'True','reason':'BackoffLimitExceeded'}]}}",
         "['bad','Failed','0/1','10m','10m','','','<none>']"},
        {"failure target only", "batch", "Job",
         "{" META("ft") ",'spec':{'completions':1},'status':{'conditions':[{'type':"
         "'FailureTarget','status':'True'}]}}",
         "['ft','FailureTarget','0/1','','10m','','','<none>']"},
        {"suspended", "batch", "Job",
         "{" META("s") ",'spec':{'completions':2,'suspend':true},'status':{'conditions':["
         "{'type':'Suspended','status':'True'}]}}",
         "['s','Suspended','0/2','','10m','','','<none>']"},
        {"terminating wins over suspended", "batch", "Job",
         "{" META_DELETING("t") ",'spec':{'completions':2},'status':{'conditions':["
         "{'type':'Suspended','status':'True'}]}}",
         "['t','Terminating','0/2','','10m','','','<none>']"},
        {"false complete condition is not complete", "batch", "Job",
         "{" META("x") ",'spec':{'completions':1},'status':{'conditions':["
         "{'type':'Complete','status':'False'}]}}",
         "['x','Running','0/1','','10m','','','<none>']"},
        {"selector with expressions, sorted by key", "batch", "Job",
         "{" META("sel") ",'spec':{'completions':1,'selector':{'matchLabels':{'zz':'1','app':"
         "'web'},'matchExpressions':[{'key':'tier','operator':'In','values':['front','back']},"
         "{'key':'env','operator':'NotIn','values':['prod']},{'key':'canary','operator':"
         "'DoesNotExist'},{'key':'managed','operator':'Exists'}]}}}",
         "['sel','Running','0/1','','10m','','',"
         "'app=web,!canary,env notin (prod),managed,tier in (back,front),zz=1']"},
        {"selector with a bad operator", "batch", "Job",
         "{" META("bad") ",'spec':{'completions':1,'selector':{'matchExpressions':["
         "{'key':'a','operator':'Near','values':['b']}]}}}",
         "['bad','Running','0/1','','10m','','','<error>']"},
    };
    run_cells_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_cells_bindings(void **state)
{
    static const struct cells_case cases[] = {
        {"rolebinding with every subject kind", "rbac.authorization.k8s.io", "RoleBinding",
         "{" META("devs") ",'roleRef':{'apiGroup':'rbac.authorization.k8s.io','kind':"
         "'ClusterRole','name':'edit'},'subjects':[{'kind':'User','name':'alice'},"
         "{'kind':'Group','name':'devs'},{'kind':'ServiceAccount','name':'ci','namespace':"
         "'build'},{'kind':'User','name':'bob'},{'kind':'ServiceAccount','name':'default',"
         "'namespace':'default'}]}",
         "['devs','ClusterRole/edit','10m','alice, bob','devs','build/ci, default/default']"},
        {"rolebinding to a role, no subjects", "rbac.authorization.k8s.io", "RoleBinding",
         "{" META("r") ",'roleRef':{'kind':'Role','name':'reader'}}",
         "['r','Role/reader','10m','','','']"},
        {"clusterrolebinding", "rbac.authorization.k8s.io", "ClusterRoleBinding",
         "{" META("system:node-proxier") ",'roleRef':{'kind':'ClusterRole','name':"
         "'system:node-proxier'},'subjects':[{'kind':'ServiceAccount','name':'kube-proxy',"
         "'namespace':'kube-system'},{'kind':'Group','name':'system:nodes'}]}",
         "['system:node-proxier','ClusterRole/system:node-proxier','10m','','system:nodes',"
         "'kube-system/kube-proxy']"},
    };
    run_cells_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_human_duration),
        cmocka_unit_test(test_age),
        cmocka_unit_test(test_columns_full_shape),
        cmocka_unit_test(test_columns_per_kind),
        cmocka_unit_test(test_cells_count_matches_columns),
        cmocka_unit_test(test_cells_simple_kinds),
        cmocka_unit_test(test_cells_pod),
        cmocka_unit_test(test_cells_node),
        cmocka_unit_test(test_cells_event),
        cmocka_unit_test(test_cells_job),
        cmocka_unit_test(test_cells_bindings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
