/* sched_test.c — the in-process scheduler's filters (src/node/node.c node_sched_filter):
 * NodeUnschedulable before TaintToleration, toleration matching as upstream's
 * ToleratesTaint (empty effect, Exists with and without key, Equal with value, the default
 * operator), NoExecute filtering, PreferNoSchedule ignored. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "node/node_int.h"

static char *filter(const char *node, const char *pod)
{
    json_t *n = json_loads(node, 0, NULL), *p = json_loads(pod, 0, NULL);
    assert_non_null(n);
    assert_non_null(p);
    char *r = node_sched_filter(n, p);
    json_decref(n);
    json_decref(p);
    return r;
}

static void expect(const char *node, const char *pod, const char *want)
{
    char *got = filter(node, pod);
    if (want == NULL)
        assert_null(got);
    else
        assert_string_equal(got ? got : "(fits)", want);
    free(got);
}

#define CORDONED "{\"spec\":{\"unschedulable\":true,\"taints\":[{\"key\":\"node.kubernetes.io/unschedulable\",\"effect\":\"NoSchedule\"}]}}"
#define TAINTED(e) "{\"spec\":{\"taints\":[{\"key\":\"dedicated\",\"value\":\"infra\",\"effect\":\"" e "\"}]}}"
#define POD(tols) "{\"spec\":{\"tolerations\":" tols "}}"

static void test_unschedulable(void **state)
{
    (void)state;
    expect("{\"spec\":{}}", "{\"spec\":{}}", NULL);
    expect(CORDONED, "{\"spec\":{}}", "node(s) were unschedulable");
    /* spec.unschedulable alone (before the taint controller ran) filters too */
    expect("{\"spec\":{\"unschedulable\":true}}", "{\"spec\":{}}", "node(s) were unschedulable");
    expect(CORDONED, POD("[{\"key\":\"node.kubernetes.io/unschedulable\",\"operator\":\"Exists\",\"effect\":\"NoSchedule\"}]"), NULL);
    expect(CORDONED, POD("[{\"operator\":\"Exists\"}]"), NULL);
    /* the wrong effect does not tolerate it */
    expect(CORDONED, POD("[{\"key\":\"node.kubernetes.io/unschedulable\",\"operator\":\"Exists\",\"effect\":\"NoExecute\"}]"),
           "node(s) were unschedulable");
}

static void test_taints(void **state)
{
    (void)state;
    expect(TAINTED("NoSchedule"), "{\"spec\":{}}", "node(s) had untolerated taint {dedicated: infra}");
    expect(TAINTED("NoExecute"), "{\"spec\":{}}", "node(s) had untolerated taint {dedicated: infra}");
    expect(TAINTED("PreferNoSchedule"), "{\"spec\":{}}", NULL);
    expect(TAINTED("NoSchedule"), POD("[{\"key\":\"dedicated\",\"operator\":\"Equal\",\"value\":\"infra\",\"effect\":\"NoSchedule\"}]"), NULL);
    expect(TAINTED("NoSchedule"), POD("[{\"key\":\"dedicated\",\"value\":\"infra\"}]"), NULL); /* Equal by default */
    expect(TAINTED("NoSchedule"), POD("[{\"key\":\"dedicated\",\"value\":\"other\"}]"),
           "node(s) had untolerated taint {dedicated: infra}");
    expect(TAINTED("NoSchedule"), POD("[{\"key\":\"dedicated\",\"operator\":\"Exists\"}]"), NULL);
    /* an empty key goes with Exists only */
    expect(TAINTED("NoSchedule"), POD("[{\"value\":\"infra\"}]"), "node(s) had untolerated taint {dedicated: infra}");
    expect(TAINTED("NoSchedule"), POD("[{\"key\":\"dedicated\",\"operator\":\"Bogus\"}]"),
           "node(s) had untolerated taint {dedicated: infra}");
    /* a taint without value prints as upstream's %s of "" */
    expect("{\"spec\":{\"taints\":[{\"key\":\"k\",\"effect\":\"NoSchedule\"}]}}", "{\"spec\":{}}",
           "node(s) had untolerated taint {k: }");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unschedulable),
        cmocka_unit_test(test_taints),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
