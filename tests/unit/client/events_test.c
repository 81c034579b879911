/* events_test.c — the event correlator (src/controllers/events.c): client-go's spam filter
 * (burst 25 per source+object, one token per 5 minutes), identical events counted into one
 * Event (count, firstTimestamp kept, lastTimestamp moved), similar events aggregated from the
 * 10th distinct message on, the 10-minute aggregation window, and the Event's fields. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "client/events.h"
#include "util/json.h"

#define SEC 1000000000LL
#define T0 (1700000000LL * SEC)

static json_t *job(const char *name)
{
    return json_pack("{s:s, s:s, s:{s:s, s:s, s:s, s:s}}", "kind", "Job", "apiVersion", "batch/v1",
                     "metadata", "name", name, "namespace", "ns1", "uid", "u-1", "resourceVersion", "7");
}

/* Correlates and, for a create, records it as written (as the recorder does on success). */
static enum event_action rec(struct event_correlator *c, json_t *obj, const char *reason,
                             const char *msg, int64_t now, json_t **ret)
{
    json_t *ev = NULL;
    enum event_action a = event_correlate(c, "job-controller", "", obj, "Normal", reason, msg, now, &ev);
    if (a != EVENT_DROP)
        event_correlator_written(c, ev);
    if (ret)
        *ret = ev;
    else
        json_decref(ev);
    return a;
}

static void test_event_fields(void **state)
{
    (void)state;
    struct event_correlator *c = event_correlator_new();
    json_t *o = job("j1"), *ev;
    assert_int_equal(rec(c, o, "SuccessfulCreate", "Created pod: j1-abc", T0, &ev), EVENT_CREATE);
    assert_string_equal(json_path_str(ev, "metadata.name"), "j1.17979cfe362a0000");
    assert_string_equal(json_path_str(ev, "metadata.namespace"), "ns1");
    assert_string_equal(json_path_str(ev, "involvedObject.kind"), "Job");
    assert_string_equal(json_path_str(ev, "involvedObject.apiVersion"), "batch/v1");
    assert_string_equal(json_path_str(ev, "involvedObject.uid"), "u-1");
    assert_string_equal(json_path_str(ev, "involvedObject.resourceVersion"), "7");
    assert_string_equal(json_str(ev, "reason"), "SuccessfulCreate");
    assert_string_equal(json_str(ev, "message"), "Created pod: j1-abc");
    assert_string_equal(json_path_str(ev, "source.component"), "job-controller");
    assert_string_equal(json_str(ev, "reportingComponent"), "job-controller");
    assert_string_equal(json_str(ev, "firstTimestamp"), "2023-11-14T22:13:20Z");
    assert_int_equal(json_integer_value(json_object_get(ev, "count")), 1);
    assert_true(json_is_null(json_object_get(ev, "eventTime")));
    json_decref(ev);
    /* a cluster-scoped object's events go to "default" */
    json_t *node = json_pack("{s:s, s:s, s:{s:s}}", "kind", "Node", "apiVersion", "v1", "metadata", "name", "n1");
    assert_int_equal(rec(c, node, "NodeNotReady", "x", T0, &ev), EVENT_CREATE);
    assert_string_equal(json_path_str(ev, "metadata.namespace"), "default");
    json_decref(ev);
    json_decref(node);
    json_decref(o);
    event_correlator_free(c);
}

static void test_identical_events_counted(void **state)
{
    (void)state;
    struct event_correlator *c = event_correlator_new();
    json_t *o = job("j1"), *ev;
    assert_int_equal(rec(c, o, "R", "same", T0, &ev), EVENT_CREATE);
    char *name = strdup(json_path_str(ev, "metadata.name"));
    json_decref(ev);
    assert_int_equal(rec(c, o, "R", "same", T0 + 5 * SEC, &ev), EVENT_UPDATE);
    assert_string_equal(json_path_str(ev, "metadata.name"), name);
    assert_int_equal(json_integer_value(json_object_get(ev, "count")), 2);
    assert_string_equal(json_str(ev, "firstTimestamp"), "2023-11-14T22:13:20Z");
    assert_string_equal(json_str(ev, "lastTimestamp"), "2023-11-14T22:13:25Z");
    json_decref(ev);
    assert_int_equal(rec(c, o, "R", "same", T0 + 6 * SEC, &ev), EVENT_UPDATE);
    assert_int_equal(json_integer_value(json_object_get(ev, "count")), 3);
    json_decref(ev);
    /* another message is another Event */
    assert_int_equal(rec(c, o, "R", "other", T0 + 7 * SEC, &ev), EVENT_CREATE);
    assert_string_not_equal(json_path_str(ev, "metadata.name"), name);
    json_decref(ev);
    free(name);
    json_decref(o);
    event_correlator_free(c);
}

static void test_spam_filter(void **state)
{
    (void)state;
    struct event_correlator *c = event_correlator_new();
    json_t *o = job("j1"), *o2 = job("j2");
    for (int i = 0; i < EVENT_SPAM_BURST; i++)
        assert_int_not_equal(rec(c, o, "R", "m", T0, NULL), EVENT_DROP);
    assert_int_equal(rec(c, o, "R", "m", T0, NULL), EVENT_DROP);
    assert_int_equal(rec(c, o, "Other", "m", T0 + 299 * SEC, NULL), EVENT_DROP);
    /* another object has its own bucket */
    assert_int_equal(rec(c, o2, "R", "m", T0, NULL), EVENT_CREATE);
    /* one token per 5 minutes */
    assert_int_not_equal(rec(c, o, "R", "m", T0 + 300 * SEC, NULL), EVENT_DROP);
    assert_int_equal(rec(c, o, "R", "m", T0 + 301 * SEC, NULL), EVENT_DROP);
    assert_int_not_equal(rec(c, o, "R", "m", T0 + 600 * SEC, NULL), EVENT_DROP);
    json_decref(o);
    json_decref(o2);
    event_correlator_free(c);
}

static void test_aggregation(void **state)
{
    (void)state;
    struct event_correlator *c = event_correlator_new();
    json_t *o = job("j1"), *ev;
    char msg[32];
    for (int i = 0; i < EVENT_AGGREGATE_MAX - 1; i++) {
        snprintf(msg, sizeof(msg), "Created pod: p%d", i);
        assert_int_equal(rec(c, o, "SuccessfulCreate", msg, T0 + i * SEC, &ev), EVENT_CREATE);
        assert_string_equal(json_str(ev, "message"), msg);
        json_decref(ev);
    }
    assert_int_equal(rec(c, o, "SuccessfulCreate", "Created pod: p9", T0 + 10 * SEC, &ev), EVENT_CREATE);
    assert_string_equal(json_str(ev, "message"), "(combined from similar events): Created pod: p9");
    char *name = strdup(json_path_str(ev, "metadata.name"));
    json_decref(ev);
    assert_int_equal(rec(c, o, "SuccessfulCreate", "Created pod: p10", T0 + 11 * SEC, &ev), EVENT_UPDATE);
    assert_string_equal(json_path_str(ev, "metadata.name"), name);
    assert_string_equal(json_str(ev, "message"), "(combined from similar events): Created pod: p10");
    assert_int_equal(json_integer_value(json_object_get(ev, "count")), 2);
    json_decref(ev);
    free(name);
    /* another reason is not similar */
    assert_int_equal(rec(c, o, "Completed", "Job completed", T0 + 12 * SEC, &ev), EVENT_CREATE);
    assert_string_equal(json_str(ev, "message"), "Job completed");
    json_decref(ev);
    json_decref(o);
    event_correlator_free(c);
}

static void test_aggregation_window(void **state)
{
    (void)state;
    struct event_correlator *c = event_correlator_new();
    json_t *o = job("j1"), *ev;
    char msg[32];
    for (int i = 0; i < EVENT_AGGREGATE_MAX - 1; i++) {
        snprintf(msg, sizeof(msg), "m%d", i);
        rec(c, o, "R", msg, T0, NULL);
    }
    /* more than 10 minutes later the similar messages seen before no longer count */
    assert_int_equal(rec(c, o, "R", "m-late", T0 + (EVENT_AGGREGATE_INTERVAL_SECONDS + 1) * SEC, &ev), EVENT_CREATE);
    assert_string_equal(json_str(ev, "message"), "m-late");
    json_decref(ev);
    json_decref(o);
    event_correlator_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_event_fields),
        cmocka_unit_test(test_identical_events_counted),
        cmocka_unit_test(test_spam_filter),
        cmocka_unit_test(test_aggregation),
        cmocka_unit_test(test_aggregation_window),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
