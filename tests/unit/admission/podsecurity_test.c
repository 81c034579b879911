/* podsecurity_test.c — tests of Pod Security Admission (src/admission/podsecurity*.c,
 * spec/12): every baseline and restricted check with a violating and a passing pod and the
 * exact upstream text, check order and the restricted override of hostPathVolumes, version
 * gates (v1.x), the namespace label parsing (fallbacks, 422 texts, warn raised to enforce),
 * and the plugin through rest_create/rest_update on a real SQLite store: the 403 for the
 * seed's hostPath pod, warn-mode warnings, Job templates warned but not enforced, privileged
 * namespaces, namespace label validation and the existing-pods warnings. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "registry/admission.h"
#include "admission/podsecurity.h"
#include "registry/rest.h"
#include "machinery/status.h"
#include "controllers/controllers.h"
#include "registry/loopback.h"
#include "store/store.h"
#include "store/watchcache.h"
#include "util/json.h"
#include "test_store.h"

static const struct psa_level_version BASELINE = {PSA_BASELINE, PSA_MINOR_LATEST};
static const struct psa_level_version RESTRICTED = {PSA_RESTRICTED, PSA_MINOR_LATEST};

/* A container that passes every restricted check. */
#define OKC(name) "{\"name\":\"" name "\",\"image\":\"x\",\"securityContext\":{\"allowPrivilegeEscalation\":false," \
                  "\"capabilities\":{\"drop\":[\"ALL\"]}}}"
/* Pod-level securityContext that passes the restricted checks. */
#define OKPSC "\"runAsNonRoot\":true,\"seccompProfile\":{\"type\":\"RuntimeDefault\"}"

struct check_case {
    const char *what;
    struct psa_level_version lv;
    const char *meta;   /* metadata JSON or NULL */
    const char *spec;   /* spec JSON */
    const char *want;   /* expected list, NULL = allowed */
};

static const struct check_case cases[] = {
    /* hostNamespaces */
    {"hostNamespaces bad", {PSA_BASELINE, PSA_MINOR_LATEST}, NULL,
     "{\"hostNetwork\":true,\"hostPID\":true,\"containers\":[{\"name\":\"a\"}]}",
     "host namespaces (hostNetwork=true, hostPID=true)"},
    {"hostNamespaces ipc", {PSA_BASELINE, PSA_MINOR_LATEST}, NULL,
     "{\"hostIPC\":true,\"containers\":[{\"name\":\"a\"}]}", "host namespaces (hostIPC=true)"},
    {"hostNamespaces ok", {PSA_BASELINE, PSA_MINOR_LATEST}, NULL,
     "{\"hostNetwork\":false,\"containers\":[{\"name\":\"a\"}]}", NULL},
    /* privileged */
    {"privileged bad", {PSA_BASELINE, PSA_MINOR_LATEST}, NULL,
     "{\"containers\":[{\"name\":\"a\",\"securityContext\":{\"privileged\":true}}]}",
     "privileged (container \"a\" must not set securityContext.privileged=true)"},
    {"privileged two", {PSA_BASELINE, PSA_MINOR_LATEST}, NULL,
     "{\"initContainers\":[{\"name\":\"i\",\"securityContext\":{\"privileged\":true}}],"
     "\"containers\":[{\"name\":\"a\",\"securityContext\":{\"privileged\":true}}]}",
     "privileged (containers \"i\", \"a\" must not set securityContext.privileged=true)"},
    {"privileged ok", {PSA_BASELINE, PSA_MINOR_LATEST}, NULL,
     "{\"containers\":[{\"name\":\"a\",\"securityContext\":{\"privileged\":false}}]}", NULL},
    /* capabilities_baseline */
    {"capabilities_baseline bad", {PSA_BASELINE, PSA_MINOR_LATEST}, NULL,
     "{\"containers\":[{\"name\":\"a\",\"securityContext\":{\"capabilities\":{\"add\":[\"SYS_ADMIN\",\"CHOWN\",\"NET_ADMIN\"]}}}]}",
     "non-default capabilities (container \"a\" must not include \"NET_ADMIN\", \"SYS_ADMIN\" in securityContext.capabilities.add)"},
    {"capabilities_baseline ok", {PSA_BASELINE, PSA_MINOR_LATEST}, NULL,
     "{\"containers\":[{\"name\":\"a\",\"securityContext\":{\"capabilities\":{\"add\":[\"CHOWN\",\"NET_BIND_SERVICE\"]}}}]}",
     NULL},
    /* hostPathVolumes */
    {"hostPathVolumes bad", {PSA_BASELINE, PSA_MINOR_LATEST}, NULL,
     "{\"containers\":[{\"name\":\"main\"}],\"volumes\":[{\"name\":\"host\",\"hostPath\":{\"path\":\"/\"}}]}",
     "hostPath volumes (volume \"host\")"},
    {"hostPathVolumes two", {PSA_BASELINE, PSA_MINOR_LATEST}, NULL,
     "{\"containers\":[{\"name\":\"main\"}],\"volumes\":[{\"name\":\"b\",\"hostPath\":{\"path\":\"/\"}},"
     "{\"name\":\"e\",\"emptyDir\":{}},{\"name\":\"a\",\"hostPath\":{\"path\":\"/x\"}}]}",
     "hostPath volumes (volumes \"b\", \"a\")"},
    {"hostPathVolumes ok", {PSA_BASELINE, PSA_MINOR_LATEST}, NULL,
     "{\"containers\":[{\"name\":\"main\"}],\"volumes\":[{\"name\":\"e\",\"emptyDir\":{}}]}", NULL},
    /* hostPorts */
    {"hostPorts one", {PSA_BASELINE, PSA_MINOR_LATEST}, NULL,
     "{\"containers\":[{\"name\":\"a\",\"ports\":[{\"containerPort\":80,\"hostPort\":8080}]}]}",
     "hostPort (container \"a\" uses hostPort 8080)"},
    {"hostPorts two", {PSA_BASELINE, PSA_MINOR_LATEST}, NULL,
     "{\"containers\":[{\"name\":\"a\",\"ports\":[{\"containerPort\":80,\"hostPort\":80}]},"
     "{\"name\":\"b\",\"ports\":[{\"containerPort\":443,\"hostPort\":443}]}]}",
     "hostPort (containers \"a\", \"b\" use hostPorts 443, 80)"},
    {"hostPorts ok", {PSA_BASELINE, PSA_MINOR_LATEST}, NULL,
     "{\"containers\":[{\"name\":\"a\",\"ports\":[{\"containerPort\":80,\"hostPort\":0}]}]}", NULL},
    /* appArmorProfile */
    {"appArmor fields", {PSA_BASELINE, PSA_MINOR_LATEST}, NULL,
     "{\"securityContext\":{\"appArmorProfile\":{\"type\":\"Unconfined\"}},"
     "\"containers\":[{\"name\":\"a\",\"securityContext\":{\"appArmorProfile\":{\"type\":\"Unconfined\"}}}]}",
     "forbidden AppArmor profile (pod and container \"a\" must not set AppArmor profile type to \"Unconfined\")"},
    {"appArmor annotation", {PSA_BASELINE, PSA_MINOR_LATEST},
     "{\"annotations\":{\"container.apparmor.security.beta.kubernetes.io/a\":\"unconfined\"}}",
     "{\"containers\":[{\"name\":\"a\"}]}",
     "forbidden AppArmor profile (annotation must not set AppArmor profile type to "
     "\"container.apparmor.security.beta.kubernetes.io/a=\"unconfined\"\")"},
    {"appArmor ok", {PSA_BASELINE, PSA_MINOR_LATEST},
     "{\"annotations\":{\"container.apparmor.security.beta.kubernetes.io/a\":\"localhost/prof\"}}",
     "{\"securityContext\":{\"appArmorProfile\":{\"type\":\"RuntimeDefault\"}},"
     "\"containers\":[{\"name\":\"a\",\"securityContext\":{\"appArmorProfile\":{\"type\":\"Localhost\",\"localhostProfile\":\"p\"}}}]}",
     NULL},
    /* procMount */
    {"procMount bad", {PSA_BASELINE, PSA_MINOR_LATEST}, NULL,
     "{\"containers\":[{\"name\":\"a\",\"securityContext\":{\"procMount\":\"Unmasked\"}}]}",
     "procMount (container \"a\" must not set securityContext.procMount to \"Unmasked\")"},
    {"procMount ok", {PSA_BASELINE, PSA_MINOR_LATEST}, NULL,
     "{\"containers\":[{\"name\":\"a\",\"securityContext\":{\"procMount\":\"Default\"}}]}", NULL},
    /* seLinuxOptions */
    {"seLinux bad", {PSA_BASELINE, PSA_MINOR_LATEST}, NULL,
     "{\"securityContext\":{\"seLinuxOptions\":{\"type\":\"spc_t\",\"user\":\"u\",\"role\":\"r\"}},"
     "\"containers\":[{\"name\":\"a\",\"securityContext\":{\"seLinuxOptions\":{\"type\":\"other_t\"}}}]}",
     "seLinuxOptions (pod and container \"a\" set forbidden securityContext.seLinuxOptions: "
     "types \"other_t\", \"spc_t\"; user may not be set; role may not be set)"},
    {"seLinux engine_t latest", {PSA_BASELINE, PSA_MINOR_LATEST}, NULL,
     "{\"containers\":[{\"name\":\"a\",\"securityContext\":{\"seLinuxOptions\":{\"type\":\"container_engine_t\"}}}]}",
     NULL},
    {"seLinux engine_t v1.30", {PSA_BASELINE, 30}, NULL,
     "{\"containers\":[{\"name\":\"a\",\"securityContext\":{\"seLinuxOptions\":{\"type\":\"container_engine_t\"}}}]}",
     "seLinuxOptions (container \"a\" set forbidden securityContext.seLinuxOptions: type \"container_engine_t\")"},
    {"seLinux ok", {PSA_BASELINE, PSA_MINOR_LATEST}, NULL,
     "{\"securityContext\":{\"seLinuxOptions\":{\"type\":\"container_t\",\"level\":\"s0:c1\"}},\"containers\":[{\"name\":\"a\"}]}",
     NULL},
    /* seccompProfile_baseline */
    {"seccomp baseline bad", {PSA_BASELINE, PSA_MINOR_LATEST}, NULL,
     "{\"securityContext\":{\"seccompProfile\":{\"type\":\"Unconfined\"}},\"containers\":[{\"name\":\"a\"}]}",
     "seccompProfile (pod must not set securityContext.seccompProfile.type to \"Unconfined\")"},
    {"seccomp baseline unset ok", {PSA_BASELINE, PSA_MINOR_LATEST}, NULL,
     "{\"containers\":[{\"name\":\"a\",\"securityContext\":{\"seccompProfile\":{\"type\":\"Localhost\"}}}]}", NULL},
    {"seccomp baseline v1.18 annotation", {PSA_BASELINE, 18},
     "{\"annotations\":{\"seccomp.security.alpha.kubernetes.io/pod\":\"unconfined\"}}",
     "{\"containers\":[{\"name\":\"a\"}]}",
     "seccompProfile (forbidden annotation seccomp.security.alpha.kubernetes.io/pod=\"unconfined\")"},
    /* sysctls */
    {"sysctls bad", {PSA_BASELINE, PSA_MINOR_LATEST}, NULL,
     "{\"securityContext\":{\"sysctls\":[{\"name\":\"kernel.msgmax\",\"value\":\"1\"},"
     "{\"name\":\"net.ipv4.tcp_rmem\",\"value\":\"1 2 3\"},{\"name\":\"net.core.somaxconn\",\"value\":\"1\"}]},"
     "\"containers\":[{\"name\":\"a\"}]}",
     "forbidden sysctls (kernel.msgmax, net.core.somaxconn)"},
    {"sysctls tcp_rmem v1.31", {PSA_BASELINE, 31}, NULL,
     "{\"securityContext\":{\"sysctls\":[{\"name\":\"net.ipv4.tcp_rmem\",\"value\":\"1 2 3\"}]},\"containers\":[{\"name\":\"a\"}]}",
     "forbidden sysctls (net.ipv4.tcp_rmem)"},
    {"sysctls ok", {PSA_BASELINE, PSA_MINOR_LATEST}, NULL,
     "{\"securityContext\":{\"sysctls\":[{\"name\":\"net.ipv4.ip_local_port_range\",\"value\":\"1 2\"},"
     "{\"name\":\"net.ipv4.tcp_wmem\",\"value\":\"1 2 3\"}]},\"containers\":[{\"name\":\"a\"}]}",
     NULL},
    /* windowsHostProcess */
    {"hostProcess bad", {PSA_BASELINE, PSA_MINOR_LATEST}, NULL,
     "{\"securityContext\":{\"windowsOptions\":{\"hostProcess\":true}},"
     "\"containers\":[{\"name\":\"a\",\"securityContext\":{\"windowsOptions\":{\"hostProcess\":true}}}]}",
     "hostProcess (pod and container \"a\" must not set securityContext.windowsOptions.hostProcess=true)"},
    {"hostProcess ok", {PSA_BASELINE, PSA_MINOR_LATEST}, NULL,
     "{\"securityContext\":{\"windowsOptions\":{\"hostProcess\":false}},\"containers\":[{\"name\":\"a\"}]}", NULL},
    /* several baseline failures in check order */
    {"baseline order", {PSA_BASELINE, PSA_MINOR_LATEST}, NULL,
     "{\"hostPID\":true,\"containers\":[{\"name\":\"a\",\"securityContext\":{\"privileged\":true,"
     "\"capabilities\":{\"add\":[\"NET_ADMIN\"]}},\"ports\":[{\"containerPort\":1,\"hostPort\":1}]}],"
     "\"volumes\":[{\"name\":\"h\",\"hostPath\":{\"path\":\"/\"}}]}",
     "non-default capabilities (container \"a\" must not include \"NET_ADMIN\" in securityContext.capabilities.add), "
     "host namespaces (hostPID=true), hostPath volumes (volume \"h\"), hostPort (container \"a\" uses hostPort 1), "
     "privileged (container \"a\" must not set securityContext.privileged=true)"},
    /* baseline ignores restricted-only problems */
    {"baseline plain pod", {PSA_BASELINE, PSA_MINOR_LATEST}, NULL,
     "{\"containers\":[{\"name\":\"nginx\",\"image\":\"nginx\"}]}", NULL},

    /* restricted: the worked example of spec/12 §12.5 */
    {"restricted nginx", {PSA_RESTRICTED, PSA_MINOR_LATEST}, NULL,
     "{\"containers\":[{\"name\":\"nginx\",\"image\":\"nginx\"}]}",
     "allowPrivilegeEscalation != false (container \"nginx\" must set securityContext.allowPrivilegeEscalation=false), "
     "unrestricted capabilities (container \"nginx\" must set securityContext.capabilities.drop=[\"ALL\"]), "
     "runAsNonRoot != true (pod or container \"nginx\" must set securityContext.runAsNonRoot=true), "
     "seccompProfile (pod or container \"nginx\" must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\")"},
    {"restricted compliant", {PSA_RESTRICTED, PSA_MINOR_LATEST}, NULL,
     "{\"securityContext\":{" OKPSC "},\"containers\":[" OKC("a") "],"
     "\"volumes\":[{\"name\":\"c\",\"configMap\":{\"name\":\"x\"}},{\"name\":\"p\",\"projected\":{\"sources\":[]}}]}",
     NULL},
    {"restrictedVolumes replaces hostPath", {PSA_RESTRICTED, PSA_MINOR_LATEST}, NULL,
     "{\"securityContext\":{" OKPSC "},\"containers\":[" OKC("main") "],"
     "\"volumes\":[{\"name\":\"host\",\"hostPath\":{\"path\":\"/\"}}]}",
     "restricted volume types (volume \"host\" uses restricted volume type \"hostPath\")"},
    {"restrictedVolumes two", {PSA_RESTRICTED, PSA_MINOR_LATEST}, NULL,
     "{\"securityContext\":{" OKPSC "},\"containers\":[" OKC("main") "],"
     "\"volumes\":[{\"name\":\"a\",\"nfs\":{\"server\":\"s\",\"path\":\"/\"}},{\"name\":\"b\",\"hostPath\":{\"path\":\"/\"}}]}",
     "restricted volume types (volumes \"a\", \"b\" use restricted volume types \"hostPath\", \"nfs\")"},
    {"allowPrivilegeEscalation true", {PSA_RESTRICTED, PSA_MINOR_LATEST}, NULL,
     "{\"securityContext\":{" OKPSC "},\"containers\":[{\"name\":\"a\",\"securityContext\":{\"allowPrivilegeEscalation\":true,"
     "\"capabilities\":{\"drop\":[\"ALL\"]}}}]}",
     "allowPrivilegeEscalation != false (container \"a\" must set securityContext.allowPrivilegeEscalation=false)"},
    {"capabilities_restricted both", {PSA_RESTRICTED, PSA_MINOR_LATEST}, NULL,
     "{\"securityContext\":{" OKPSC "},\"containers\":[{\"name\":\"a\",\"securityContext\":{\"allowPrivilegeEscalation\":false,"
     "\"capabilities\":{\"add\":[\"SYS_ADMIN\",\"NET_BIND_SERVICE\"],\"drop\":[\"NET_RAW\"]}}}]}",
     /* capabilities_baseline also runs at restricted (only hostPathVolumes is overridden) */
     "non-default capabilities (container \"a\" must not include \"SYS_ADMIN\" in securityContext.capabilities.add), "
     "unrestricted capabilities (container \"a\" must set securityContext.capabilities.drop=[\"ALL\"]; "
     "container \"a\" must not include \"SYS_ADMIN\" in securityContext.capabilities.add)"},
    {"capabilities_restricted net_bind ok", {PSA_RESTRICTED, PSA_MINOR_LATEST}, NULL,
     "{\"securityContext\":{" OKPSC "},\"containers\":[{\"name\":\"a\",\"securityContext\":{\"allowPrivilegeEscalation\":false,"
     "\"capabilities\":{\"add\":[\"NET_BIND_SERVICE\"],\"drop\":[\"ALL\"]}}}]}",
     NULL},
    {"runAsNonRoot false", {PSA_RESTRICTED, PSA_MINOR_LATEST}, NULL,
     "{\"securityContext\":{\"runAsNonRoot\":false,\"seccompProfile\":{\"type\":\"RuntimeDefault\"}},"
     "\"containers\":[{\"name\":\"a\",\"securityContext\":{\"runAsNonRoot\":false,\"allowPrivilegeEscalation\":false,"
     "\"capabilities\":{\"drop\":[\"ALL\"]}}}]}",
     "runAsNonRoot != true (pod and container \"a\" must not set securityContext.runAsNonRoot=false)"},
    {"runAsNonRoot per container ok", {PSA_RESTRICTED, PSA_MINOR_LATEST}, NULL,
     "{\"securityContext\":{\"seccompProfile\":{\"type\":\"RuntimeDefault\"}},"
     "\"containers\":[{\"name\":\"a\",\"securityContext\":{\"runAsNonRoot\":true,\"allowPrivilegeEscalation\":false,"
     "\"capabilities\":{\"drop\":[\"ALL\"]}}}]}",
     NULL},
    {"runAsUser 0", {PSA_RESTRICTED, PSA_MINOR_LATEST}, NULL,
     "{\"securityContext\":{" OKPSC ",\"runAsUser\":0},\"containers\":[{\"name\":\"a\",\"securityContext\":{"
     "\"runAsUser\":0,\"allowPrivilegeEscalation\":false,\"capabilities\":{\"drop\":[\"ALL\"]}}}]}",
     "runAsUser=0 (pod and container \"a\" must not set runAsUser=0)"},
    {"runAsUser 0 before v1.23", {PSA_RESTRICTED, 22}, NULL,
     "{\"securityContext\":{" OKPSC ",\"runAsUser\":0},\"containers\":[" OKC("a") "]}", NULL},
    {"runAsUser 1000 ok", {PSA_RESTRICTED, PSA_MINOR_LATEST}, NULL,
     "{\"securityContext\":{" OKPSC ",\"runAsUser\":1000},\"containers\":[" OKC("a") "]}", NULL},
    {"seccomp restricted explicit", {PSA_RESTRICTED, PSA_MINOR_LATEST}, NULL,
     "{\"securityContext\":{\"runAsNonRoot\":true},\"containers\":[{\"name\":\"a\",\"securityContext\":{"
     "\"seccompProfile\":{\"type\":\"Unconfined\"},\"allowPrivilegeEscalation\":false,\"capabilities\":{\"drop\":[\"ALL\"]}}},"
     OKC("b") "]}",
     /* reported by seccompProfile_baseline and again by seccompProfile_restricted */
     "seccompProfile (container \"a\" must not set securityContext.seccompProfile.type to \"Unconfined\"), "
     "seccompProfile (container \"a\" must not set securityContext.seccompProfile.type to \"Unconfined\")"},
    {"seccomp restricted container-level ok", {PSA_RESTRICTED, PSA_MINOR_LATEST}, NULL,
     "{\"securityContext\":{\"runAsNonRoot\":true},\"containers\":[{\"name\":\"a\",\"securityContext\":{"
     "\"seccompProfile\":{\"type\":\"RuntimeDefault\"},\"allowPrivilegeEscalation\":false,\"capabilities\":{\"drop\":[\"ALL\"]}}}]}",
     NULL},
    {"restricted windows pod", {PSA_RESTRICTED, PSA_MINOR_LATEST}, NULL,
     "{\"os\":{\"name\":\"windows\"},\"securityContext\":{\"runAsNonRoot\":true},\"containers\":[{\"name\":\"w\"}]}", NULL},
    {"restricted ephemeral container", {PSA_RESTRICTED, PSA_MINOR_LATEST}, NULL,
     "{\"securityContext\":{" OKPSC "},\"containers\":[" OKC("a") "],\"ephemeralContainers\":[{\"name\":\"dbg\"}]}",
     "allowPrivilegeEscalation != false (container \"dbg\" must set securityContext.allowPrivilegeEscalation=false), "
     "unrestricted capabilities (container \"dbg\" must set securityContext.capabilities.drop=[\"ALL\"])"},
    {"privileged level allows all", {PSA_PRIVILEGED, PSA_MINOR_LATEST}, NULL,
     "{\"hostPID\":true,\"containers\":[{\"name\":\"a\",\"securityContext\":{\"privileged\":true}}]}", NULL},
};

static json_t *parse(const char *s)
{
    if (s == NULL)
        return NULL;
    json_error_t err;
    json_t *v = json_loads(s, 0, &err);
    if (v == NULL)
        fail_msg("bad JSON in test (%s): %s", err.text, s);
    return v;
}

static void test_checks_table(void **state)
{
    int failures = 0;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct check_case *tc = &cases[i];
        json_t *meta = parse(tc->meta), *spec = parse(tc->spec);
        char *detail = NULL;
        bool allowed = psa_evaluate_pod(&tc->lv, meta, spec, &detail, NULL);
        if (tc->want == NULL && !allowed) {
            print_error("case %zu \"%s\": want allowed, got %s\n", i, tc->what, detail);
            failures++;
        } else if (tc->want != NULL && (allowed || strcmp(detail, tc->want) != 0)) {
            print_error("case %zu \"%s\":\n  want %s\n  got  %s\n", i, tc->what, tc->want,
                        allowed ? "(allowed)" : detail);
            failures++;
        }
        free(detail);
        json_decref(meta);
        json_decref(spec);
    }
    assert_int_equal(failures, 0);
}

static void test_reasons_only(void **state)
{
    json_t *spec = parse("{\"containers\":[{\"name\":\"main\"}],\"volumes\":[{\"name\":\"host\",\"hostPath\":{\"path\":\"/\"}}]}");
    char *detail = NULL, *reasons = NULL;
    assert_false(psa_evaluate_pod(&RESTRICTED, NULL, spec, &detail, &reasons));
    assert_string_equal(reasons, "allowPrivilegeEscalation != false, unrestricted capabilities, restricted volume types, "
                                 "runAsNonRoot != true, seccompProfile");
    free(detail);
    free(reasons);
    detail = reasons = NULL;
    assert_false(psa_evaluate_pod(&BASELINE, NULL, spec, &detail, &reasons));
    assert_string_equal(reasons, "hostPath volumes");
    assert_string_equal(detail, "hostPath volumes (volume \"host\")");
    free(detail);
    free(reasons);
    json_decref(spec);
}

/* ---- labels ---------------------------------------------------------------------------- */

static char *policy_string(const struct psa_policy *p)
{
    char *e = psa_level_version_string(&p->enforce), *a = psa_level_version_string(&p->audit),
         *w = psa_level_version_string(&p->warn);
    char *s = xasprintf("%s %s %s", e, a, w);
    free(e);
    free(a);
    free(w);
    return s;
}

static void expect_policy(const char *labels_json, const char *want, const char *want_errs)
{
    json_t *labels = parse(labels_json);
    struct field_errors fe;
    field_errors_init(&fe);
    struct psa_policy p;
    int n = psa_policy_from_labels(labels, &p, &fe);
    char *got = policy_string(&p);
    assert_string_equal(got, want);
    assert_int_equal((size_t)n, fe.n);
    if (want_errs == NULL) {
        assert_int_equal(fe.n, 0);
    } else {
        char *agg = field_errors_aggregate(&fe);
        assert_string_equal(agg, want_errs);
        free(agg);
    }
    free(got);
    field_errors_release(&fe);
    json_decref(labels);
}

static void test_labels(void **state)
{
    expect_policy(NULL, "privileged:latest privileged:latest privileged:latest", NULL);
    expect_policy("{}", "privileged:latest privileged:latest privileged:latest", NULL);
    expect_policy("{\"pod-security.kubernetes.io/enforce\":\"baseline\"}",
                  "baseline:latest privileged:latest baseline:latest", NULL);
    expect_policy("{\"pod-security.kubernetes.io/enforce\":\"restricted\",\"pod-security.kubernetes.io/enforce-version\":\"v1.30\"}",
                  "restricted:v1.30 privileged:latest restricted:v1.30", NULL);
    expect_policy("{\"pod-security.kubernetes.io/enforce\":\"restricted\",\"pod-security.kubernetes.io/enforce-version\":\"v1.30\","
                  "\"pod-security.kubernetes.io/warn-version\":\"v1.29\"}",
                  "restricted:v1.30 privileged:latest restricted:v1.29", NULL);
    expect_policy("{\"pod-security.kubernetes.io/enforce\":\"baseline\",\"pod-security.kubernetes.io/warn\":\"privileged\"}",
                  "baseline:latest privileged:latest privileged:latest", NULL);
    expect_policy("{\"pod-security.kubernetes.io/enforce\":\"baseline\",\"pod-security.kubernetes.io/warn\":\"restricted\","
                  "\"pod-security.kubernetes.io/audit\":\"restricted\",\"pod-security.kubernetes.io/audit-version\":\"v1.0\"}",
                  "baseline:latest restricted:v1.0 restricted:latest", NULL);
    expect_policy("{\"pod-security.kubernetes.io/enforce\":\"bogus\"}",
                  "restricted:latest privileged:latest restricted:latest",
                  "metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: \"bogus\": "
                  "must be one of privileged, baseline, restricted");
    expect_policy("{\"pod-security.kubernetes.io/warn\":\"Baseline\",\"pod-security.kubernetes.io/audit\":\"x\"}",
                  "privileged:latest privileged:latest privileged:latest",
                  "[metadata.labels[pod-security.kubernetes.io/audit]: Invalid value: \"x\": must be one of privileged, "
                  "baseline, restricted, metadata.labels[pod-security.kubernetes.io/warn]: Invalid value: \"Baseline\": "
                  "must be one of privileged, baseline, restricted]");
    expect_policy("{\"pod-security.kubernetes.io/enforce\":\"baseline\",\"pod-security.kubernetes.io/enforce-version\":\"v1.032\"}",
                  "baseline:latest privileged:latest baseline:latest",
                  "metadata.labels[pod-security.kubernetes.io/enforce-version]: Invalid value: \"v1.032\": "
                  "must be \"latest\" or \"v1.x\"");
    expect_policy("{\"pod-security.kubernetes.io/warn\":\"baseline\",\"pod-security.kubernetes.io/warn-version\":\"v2.1\"}",
                  "privileged:latest privileged:latest baseline:latest",
                  "metadata.labels[pod-security.kubernetes.io/warn-version]: Invalid value: \"v2.1\": "
                  "must be \"latest\" or \"v1.x\"");
    expect_policy("{\"pod-security.kubernetes.io/enforce\":\"baseline\",\"pod-security.kubernetes.io/enforce-version\":\"v1.0\"}",
                  "baseline:v1.0 privileged:latest baseline:v1.0", NULL);
    expect_policy("{\"other\":\"label\"}", "privileged:latest privileged:latest privileged:latest", NULL);
}

/* ---- the plugin on a real store ---------------------------------------------------------- */

/* rest_create of kind in ns; returns rc, with *ret_msg the Status message (or NULL) and the
 * warnings in *ret_warnings (new array) when not NULL. */
static int create(struct test_apiserver *f, const char *group, const char *kind, const char *ns, const char *json,
                  char **ret_msg, json_t **ret_warnings)
{
    json_t *obj = parse(json);
    json_t *warnings = json_array();
    struct api_call c = {.srv = &f->srv, .res = resource_by_kind(group, kind), .ns = ns,
                         .user = apiserver_loopback_user(), .field_manager = "test",
                         .validation = FIELD_VALIDATION_STRICT, .warnings = warnings};
    assert_non_null(c.res);
    json_t *res = NULL, *st = NULL;
    int code = 0;
    int rc = rest_create(&c, obj, &res, &code, &st);
    *ret_msg = st != NULL ? xstrdup(json_str(st, "message")) : NULL;
    if (st != NULL && rc < 0)
        assert_int_equal(status_code(st), rc == AZ_EFORBIDDEN ? 403 : status_code(st));
    json_decref(st);
    json_decref(res);
    json_decref(obj);
    if (ret_warnings != NULL)
        *ret_warnings = warnings;
    else
        json_decref(warnings);
    return rc;
}

static void must_create(struct test_apiserver *f, const char *group, const char *kind, const char *ns, const char *json)
{
    char *msg = NULL;
    int rc = create(f, group, kind, ns, json, &msg, NULL);
    if (rc != 0)
        fail_msg("create %s: %s", kind, msg);
    free(msg);
}

static int setup(void **state)
{
    if (test_apiserver_setup(state, "psa", false) != 0)
        return -1;
    struct test_apiserver *f = *state;
    static const struct admission_plugin *chain[1];
    chain[0] = podsecurity_admission();
    f->srv.admission = chain;
    f->srv.nadmission = 1;
    return 0;
}

#define NS(name, labels) "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"" name "\",\"labels\":" labels "}}"
#define HOSTPATH_POD(name) \
    "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"" name "\"},\"spec\":{\"restartPolicy\":\"Never\"," \
    "\"containers\":[{\"name\":\"main\",\"image\":\"alpine:latest\",\"volumeMounts\":[{\"mountPath\":\"/host\",\"name\":\"host\"}]}]," \
    "\"volumes\":[{\"name\":\"host\",\"hostPath\":{\"path\":\"/\"}}]}}"
#define PLAIN_POD(name) \
    "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"" name "\"},\"spec\":{\"containers\":[{\"name\":\"nginx\",\"image\":\"nginx\"}]}}"

static void test_enforce_baseline(void **state)
{
    struct test_apiserver *f = *state;
    must_create(f, "", "Namespace", NULL, NS("guarded", "{\"pod-security.kubernetes.io/enforce\":\"baseline\"}"));
    char *msg = NULL;
    json_t *warnings = NULL;
    assert_int_equal(create(f, "", "Pod", "guarded", HOSTPATH_POD("escape"), &msg, &warnings), AZ_EFORBIDDEN);
    assert_string_equal(msg, "pods \"escape\" is forbidden: violates PodSecurity \"baseline:latest\": "
                             "hostPath volumes (volume \"host\")");
    assert_int_equal(json_array_size(warnings), 0); /* no warning on a rejected request */
    free(msg);
    json_decref(warnings);
    /* a plain pod passes baseline: created, no warning (warn follows enforce = baseline) */
    assert_int_equal(create(f, "", "Pod", "guarded", PLAIN_POD("web"), &msg, &warnings), 0);
    assert_int_equal(json_array_size(warnings), 0);
    json_decref(warnings);
    free(msg);
}

static void test_privileged_namespace(void **state)
{
    struct test_apiserver *f = *state;
    must_create(f, "", "Namespace", NULL, NS("open", "{\"pod-security.kubernetes.io/enforce\":\"privileged\"}"));
    char *msg = NULL;
    json_t *warnings = NULL;
    assert_int_equal(create(f, "", "Pod", "open", HOSTPATH_POD("escape"), &msg, &warnings), 0);
    assert_int_equal(json_array_size(warnings), 0);
    json_decref(warnings);
    free(msg);
    must_create(f, "", "Namespace", NULL, NS("nolabels", "{}"));
    assert_int_equal(create(f, "", "Pod", "nolabels", HOSTPATH_POD("escape"), &msg, &warnings), 0);
    assert_int_equal(json_array_size(warnings), 0);
    json_decref(warnings);
    free(msg);
}

static void test_warn_mode(void **state)
{
    struct test_apiserver *f = *state;
    must_create(f, "", "Namespace", NULL, NS("soft", "{\"pod-security.kubernetes.io/warn\":\"restricted\"}"));
    char *msg = NULL;
    json_t *warnings = NULL;
    assert_int_equal(create(f, "", "Pod", "soft", PLAIN_POD("nginx"), &msg, &warnings), 0);
    assert_int_equal(json_array_size(warnings), 1);
    assert_string_equal(json_string_value(json_array_get(warnings, 0)),
                        "would violate PodSecurity \"restricted:latest\": allowPrivilegeEscalation != false "
                        "(container \"nginx\" must set securityContext.allowPrivilegeEscalation=false), "
                        "unrestricted capabilities (container \"nginx\" must set securityContext.capabilities.drop=[\"ALL\"]), "
                        "runAsNonRoot != true (pod or container \"nginx\" must set securityContext.runAsNonRoot=true), "
                        "seccompProfile (pod or container \"nginx\" must set securityContext.seccompProfile.type to "
                        "\"RuntimeDefault\" or \"Localhost\")");
    json_decref(warnings);
    free(msg);
}

#define HOSTPATH_JOB(name) \
    "{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"metadata\":{\"name\":\"" name "\"},\"spec\":{\"template\":{\"spec\":{" \
    "\"restartPolicy\":\"Never\",\"containers\":[{\"name\":\"main\",\"image\":\"alpine\"}]," \
    "\"volumes\":[{\"name\":\"host\",\"hostPath\":{\"path\":\"/\"}}]}}}}"

static void test_job_template_warns_only(void **state)
{
    struct test_apiserver *f = *state;
    must_create(f, "", "Namespace", NULL, NS("jobs", "{\"pod-security.kubernetes.io/enforce\":\"baseline\"}"));
    char *msg = NULL;
    json_t *warnings = NULL;
    assert_int_equal(create(f, "batch", "Job", "jobs", HOSTPATH_JOB("j"), &msg, &warnings), 0);
    assert_int_equal(json_array_size(warnings), 1);
    assert_string_equal(json_string_value(json_array_get(warnings, 0)),
                        "would violate PodSecurity \"baseline:latest\": hostPath volumes (volume \"host\")");
    json_decref(warnings);
    free(msg);
}

static void test_namespace_label_validation(void **state)
{
    struct test_apiserver *f = *state;
    char *msg = NULL;
    assert_int_equal(create(f, "", "Namespace", NULL, NS("bad", "{\"pod-security.kubernetes.io/enforce\":\"strict\"}"),
                            &msg, NULL),
                     AZ_EINVALID);
    assert_string_equal(msg, "Namespace \"bad\" is invalid: metadata.labels[pod-security.kubernetes.io/enforce]: "
                             "Invalid value: \"strict\": must be one of privileged, baseline, restricted");
    free(msg);
}

static int update_ns_labels(struct test_apiserver *f, const char *name, const char *labels, char **ret_msg,
                            json_t **ret_warnings)
{
    const struct resource_def *r = resource_by_kind("", "Namespace");
    struct api_call gc = {.srv = &f->srv, .res = r, .name = name, .user = apiserver_loopback_user(), .internal = true};
    json_t *ns = NULL, *st = NULL;
    assert_int_equal(rest_get(&gc, &ns, &st), 0);
    json_object_set_new(json_object_get(ns, "metadata"), "labels", parse(labels));
    json_t *warnings = json_array();
    struct api_call c = {.srv = &f->srv, .res = r, .name = name, .user = apiserver_loopback_user(),
                         .field_manager = "test", .validation = FIELD_VALIDATION_STRICT, .warnings = warnings};
    json_t *res = NULL;
    int code = 0;
    int rc = rest_update(&c, ns, &res, &code, &st);
    *ret_msg = st != NULL ? xstrdup(json_str(st, "message")) : NULL;
    json_decref(st);
    json_decref(res);
    json_decref(ns);
    *ret_warnings = warnings;
    return rc;
}

static void test_namespace_tighten_warnings(void **state)
{
    struct test_apiserver *f = *state;
    must_create(f, "", "Namespace", NULL, NS("lab", "{}"));
    must_create(f, "", "Pod", "lab", HOSTPATH_POD("escape"));
    must_create(f, "", "Pod", "lab", HOSTPATH_POD("b-escape"));
    must_create(f, "", "Pod", "lab", HOSTPATH_POD("c-escape"));
    must_create(f, "", "Pod", "lab",
                "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"hostnet\"},\"spec\":{\"hostNetwork\":true,"
                "\"containers\":[{\"name\":\"c\",\"image\":\"x\"}]}}");
    must_create(f, "", "Pod", "lab", PLAIN_POD("fine"));
    char *msg = NULL;
    json_t *w = NULL;
    assert_int_equal(update_ns_labels(f, "lab", "{\"pod-security.kubernetes.io/enforce\":\"baseline\"}", &msg, &w), 0);
    char *got = json_dumps(w, JSON_COMPACT);
    assert_string_equal(got, "[\"existing pods in namespace \\\"lab\\\" violate the new PodSecurity enforce level "
                             "\\\"baseline:latest\\\"\",\"b-escape (and 2 other pods): hostPath volumes\","
                             "\"hostnet: host namespaces\"]");
    free(got);
    free(msg);
    json_decref(w);
    /* relaxing the level warns nothing */
    assert_int_equal(update_ns_labels(f, "lab", "{\"pod-security.kubernetes.io/enforce\":\"privileged\"}", &msg, &w), 0);
    assert_int_equal(json_array_size(w), 0);
    free(msg);
    json_decref(w);
    /* a bad value on update is rejected */
    assert_int_equal(update_ns_labels(f, "lab", "{\"pod-security.kubernetes.io/warn-version\":\"1.30\"}", &msg, &w),
                     AZ_EINVALID);
    assert_string_equal(msg, "Namespace \"lab\" is invalid: metadata.labels[pod-security.kubernetes.io/warn-version]: "
                             "Invalid value: \"1.30\": must be \"latest\" or \"v1.x\"");
    free(msg);
    json_decref(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checks_table),
        cmocka_unit_test(test_reasons_only),
        cmocka_unit_test(test_labels),
        cmocka_unit_test_setup_teardown(test_enforce_baseline, setup, test_apiserver_teardown),
        cmocka_unit_test_setup_teardown(test_privileged_namespace, setup, test_apiserver_teardown),
        cmocka_unit_test_setup_teardown(test_warn_mode, setup, test_apiserver_teardown),
        cmocka_unit_test_setup_teardown(test_job_template_warns_only, setup, test_apiserver_teardown),
        cmocka_unit_test_setup_teardown(test_namespace_label_validation, setup, test_apiserver_teardown),
        cmocka_unit_test_setup_teardown(test_namespace_tighten_warnings, setup, test_apiserver_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
