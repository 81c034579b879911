/* watchcache_test.c — tests of the watch cache (src/store/watchcache.c) fed by a real SQLite
 * store: backlog replay, live delivery, prefix filtering, the window (AZ_EGONE), unsubscribe,
 * event types and resourceVersion of delivered objects, and no loss or duplication when a
 * subscriber joins while another thread writes. */
#include <dirent.h>
#include <inttypes.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "store/store.h"
#include "store/watchcache.h"
#include "util/buf.h"
#include "util/err.h"
#include "test_store.h"

static int setup(void **state)
{
    return test_plain_store_setup(state, "wc");
}

/* What a subscriber saw, in order. */
#define REC_MAX 2048
struct rec {
    size_t n;
    int types[REC_MAX];
    int64_t revs[REC_MAX];
    char keys[REC_MAX][64];
    char rvs[REC_MAX][24];      /* obj metadata.resourceVersion */
    char prev_rvs[REC_MAX][24]; /* prev_obj metadata.resourceVersion, "" if no prev_obj */
    json_t *objs[REC_MAX];      /* kept with json_incref */
};

static void rec_cb(void *arg, const struct watch_event *ev)
{
    struct rec *r = arg;
    if (r->n >= REC_MAX)
        return;
    size_t i = r->n++;
    r->types[i] = ev->type;
    r->revs[i] = ev->rev;
    snprintf(r->keys[i], sizeof(r->keys[i]), "%s", ev->key);
    const char *rv = json_string_value(json_object_get(json_object_get(ev->obj, "metadata"),
                                                       "resourceVersion"));
    snprintf(r->rvs[i], sizeof(r->rvs[i]), "%s", rv != NULL ? rv : "(none)");
    r->prev_rvs[i][0] = '\0';
    if (ev->prev_obj != NULL) {
        rv = json_string_value(json_object_get(json_object_get(ev->prev_obj, "metadata"),
                                               "resourceVersion"));
        snprintf(r->prev_rvs[i], sizeof(r->prev_rvs[i]), "%s", rv != NULL ? rv : "(none)");
    }
    r->objs[i] = json_incref(ev->obj);
}

static struct rec *rec_new(void)
{
    struct rec *r = calloc(1, sizeof(*r));
    assert_non_null(r);
    return r;
}

static void rec_free(struct rec *r)
{
    for (size_t i = 0; i < r->n; i++)
        json_decref(r->objs[i]);
    free(r);
}

static int64_t put(struct store *s, const char *key, const char *json)
{
    int64_t rev = 0;
    struct store_kv kv = {0};
    if (store_get(s, key, &kv) == 0) {
        store_kv_release(&kv);
        assert_int_equal(store_update(s, key, json, strlen(json), 0, &rev), 0);
    } else {
        assert_int_equal(store_create(s, key, json, strlen(json), &rev), 0);
    }
    return rev;
}

static int64_t del(struct store *s, const char *key)
{
    int64_t rev = 0;
    assert_int_equal(store_delete(s, key, 0, &rev, NULL), 0);
    return rev;
}

static void test_live_events(void **state)
{
    struct test_plain_store *f = *state;
    struct watchcache *wc = watchcache_new(f->s, 100);
    assert_int_equal(watchcache_rev(wc), 0);
    struct rec *r = rec_new();
    struct watch_sub *sub = NULL;
    assert_int_equal(watchcache_subscribe(wc, "/registry/pods/", 0, rec_cb, r, &sub, NULL), 0);
    assert_int_equal(r->n, 0);

    put(f->s, "/registry/pods/lab/a", "{\"kind\":\"Pod\",\"metadata\":{\"name\":\"a\"}}");
    put(f->s, "/registry/pods/lab/a",
        "{\"kind\":\"Pod\",\"metadata\":{\"name\":\"a\",\"labels\":{\"x\":\"y\"}}}");
    del(f->s, "/registry/pods/lab/a");
    assert_int_equal(watchcache_rev(wc), 3);

    assert_int_equal(r->n, 3);
    assert_int_equal(r->types[0], WATCH_ADDED);
    assert_int_equal(r->types[1], WATCH_MODIFIED);
    assert_int_equal(r->types[2], WATCH_DELETED);
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(r->revs[i], (int64_t)i + 1);
        assert_string_equal(r->keys[i], "/registry/pods/lab/a");
    }
    assert_string_equal(r->rvs[0], "1");
    assert_string_equal(r->prev_rvs[0], "");
    assert_string_equal(r->rvs[1], "2");
    assert_string_equal(r->prev_rvs[1], "1");
    /* DELETE: the object as it was before deletion, resourceVersion = the delete revision */
    assert_string_equal(r->rvs[2], "3");
    assert_string_equal(r->prev_rvs[2], "2");
    json_t *labels = json_object_get(json_object_get(r->objs[2], "metadata"), "labels");
    assert_string_equal(json_string_value(json_object_get(labels, "x")), "y");
    assert_string_equal(json_string_value(json_object_get(r->objs[2], "kind")), "Pod");
    /* the stored value is untouched: no resourceVersion in the store */
    put(f->s, "/registry/pods/lab/b", "{\"metadata\":{}}");
    struct store_kv kv = {0};
    assert_int_equal(store_get(f->s, "/registry/pods/lab/b", &kv), 0);
    assert_null(strstr(kv.value, "resourceVersion"));
    store_kv_release(&kv);
    assert_int_equal(r->n, 4);
    assert_string_equal(r->rvs[3], "4");

    watchcache_unsubscribe(wc, sub);
    watchcache_free(wc);
    rec_free(r);
    /* the store no longer has a sink */
    put(f->s, "/registry/pods/lab/c", "{}");
}

static void test_backlog_replay(void **state)
{
    struct test_plain_store *f = *state;
    struct watchcache *wc = watchcache_new(f->s, 100);
    for (int i = 0; i < 5; i++) {
        char key[64];
        snprintf(key, sizeof(key), "/registry/secrets/ns/s%d", i);
        put(f->s, key, "{\"kind\":\"Secret\"}");
    }
    struct rec *r = rec_new();
    struct watch_sub *sub = NULL;
    assert_int_equal(watchcache_subscribe(wc, "/registry/secrets/", 2, rec_cb, r, &sub, NULL), 0);
    /* delivered before subscribe returned */
    assert_int_equal(r->n, 3);
    assert_int_equal(r->revs[0], 3);
    assert_string_equal(r->keys[0], "/registry/secrets/ns/s2");
    assert_string_equal(r->rvs[0], "3");
    assert_int_equal(r->revs[2], 5);
    /* then live, with no duplicate */
    put(f->s, "/registry/secrets/ns/s0", "{\"kind\":\"Secret\",\"data\":{}}");
    assert_int_equal(r->n, 4);
    assert_int_equal(r->revs[3], 6);
    assert_int_equal(r->types[3], WATCH_MODIFIED);

    /* from the window start (0 events skipped) and from the newest revision */
    struct rec *none = rec_new();
    struct watch_sub *s2 = NULL, *s3 = NULL;
    int64_t oldest = -1;
    assert_int_equal(watchcache_subscribe(wc, "", 0, rec_cb, none, &s3, &oldest), 0);
    assert_int_equal(none->n, 0);
    assert_int_equal(oldest, -1); /* untouched on success */
    assert_int_equal(watchcache_subscribe(wc, "", 6, rec_cb, none, &s2, NULL), 0);
    assert_int_equal(none->n, 0);
    watchcache_unsubscribe(wc, s2);
    /* the whole window (started at revision 0, when the cache was created) */
    struct rec *all2 = rec_new();
    assert_int_equal(watchcache_subscribe(wc, "/", 1, rec_cb, all2, &s2, NULL), 0);
    assert_int_equal(all2->n, 5);
    assert_int_equal(all2->revs[0], 2);
    watchcache_unsubscribe(wc, s2);

    watchcache_unsubscribe(wc, sub);
    watchcache_unsubscribe(wc, s3);
    watchcache_free(wc);
    rec_free(r);
    rec_free(all2);
    rec_free(none);
}

static void test_prefix_filter(void **state)
{
    struct test_plain_store *f = *state;
    struct watchcache *wc = watchcache_new(f->s, 100);
    struct rec *pods = rec_new(), *lab = rec_new(), *everything = rec_new();
    struct watch_sub *s1 = NULL, *s2 = NULL, *s3 = NULL;
    assert_int_equal(watchcache_subscribe(wc, "/registry/pods/", 0, rec_cb, pods, &s1, NULL), 0);
    assert_int_equal(watchcache_subscribe(wc, "/registry/pods/lab/", 0, rec_cb, lab, &s2, NULL), 0);
    assert_int_equal(watchcache_subscribe(wc, NULL, 0, rec_cb, everything, &s3, NULL), 0);

    put(f->s, "/registry/pods/lab/a", "{}");
    put(f->s, "/registry/pods/other/b", "{}");
    put(f->s, "/registry/podsecurity/x", "{}");
    put(f->s, "/registry/pods/lab2/c", "{}");
    put(f->s, "/registry/secrets/lab/d", "{}");

    assert_int_equal(pods->n, 3);
    assert_string_equal(pods->keys[0], "/registry/pods/lab/a");
    assert_string_equal(pods->keys[1], "/registry/pods/other/b");
    assert_string_equal(pods->keys[2], "/registry/pods/lab2/c");
    assert_int_equal(lab->n, 1);
    assert_int_equal(lab->revs[0], 1);
    assert_int_equal(everything->n, 5);

    /* the backlog is filtered the same way */
    struct rec *late = rec_new();
    struct watch_sub *s4 = NULL;
    assert_int_equal(watchcache_subscribe(wc, "/registry/pods/", 1, rec_cb, late, &s4, NULL), 0);
    assert_int_equal(late->n, 2);
    assert_int_equal(late->revs[0], 2);
    assert_int_equal(late->revs[1], 4);

    watchcache_unsubscribe(wc, s1);
    watchcache_unsubscribe(wc, s2);
    watchcache_unsubscribe(wc, s3);
    watchcache_unsubscribe(wc, s4);
    watchcache_free(wc);
    rec_free(pods);
    rec_free(lab);
    rec_free(everything);
    rec_free(late);
}

static void test_gone_when_too_old(void **state)
{
    struct test_plain_store *f = *state;
    struct watchcache *wc = watchcache_new(f->s, 3);
    for (int i = 0; i < 6; i++) {
        char key[64];
        snprintf(key, sizeof(key), "/r/k%d", i);
        put(f->s, key, "{}");
    }
    /* ring holds 4, 5, 6: valid from_rev >= 3 */
    struct rec *r = rec_new();
    struct watch_sub *sub = NULL;
    int64_t oldest = 0;
    assert_int_equal(watchcache_subscribe(wc, "/r/", 2, rec_cb, r, &sub, &oldest), AZ_EGONE);
    assert_int_equal(oldest, 3);
    assert_null(sub);
    assert_int_equal(r->n, 0);
    assert_int_equal(watchcache_subscribe(wc, "/r/", 1, rec_cb, r, &sub, NULL), AZ_EGONE);
    assert_int_equal(watchcache_subscribe(wc, "/r/", 3, rec_cb, r, &sub, &oldest), 0);
    assert_int_equal(r->n, 3);
    assert_int_equal(r->revs[0], 4);
    assert_int_equal(r->revs[2], 6);
    watchcache_unsubscribe(wc, sub);
    watchcache_free(wc);
    rec_free(r);
}

/* Freshness: beyond its 4 MiB floor the window keeps only events younger than 75 s
 * (upstream's eventFreshDuration); watchcache_expire drops the rest, and a watch from before
 * the new window gets AZ_EGONE. */
static uint64_t fake_clock_ms(void)
{
    return 1000000; /* the events' entry time: their age is what the test passes to expire */
}

static void test_stale_events_expire(void **state)
{
    struct test_plain_store *f = *state;
    watchcache_testing_set_clock(fake_clock_ms);
    struct watchcache *wc = watchcache_new(f->s, 100000);
    size_t vlen = 200 * 1024;
    char *v = malloc(vlen + 16);
    assert_non_null(v);
    memcpy(v, "{\"d\":\"", 6);
    memset(v + 6, 'x', vlen);
    memcpy(v + 6 + vlen, "\"}", 3);
    int64_t last = 0;
    for (int i = 0; i < 40; i++) /* 40 x 200 KB: 8 MB, over the floor, under the 32 MiB bound */
        last = put(f->s, "/r/big", v);
    uint64_t now = fake_clock_ms() + 75000;
    assert_int_equal(watchcache_expire(wc, now), 0); /* all 75 s old: still fresh */
    struct rec *r = rec_new();
    struct watch_sub *sub = NULL;
    int64_t oldest = 0;
    assert_int_equal(watchcache_subscribe(wc, "/r/", 1, rec_cb, r, &sub, NULL), 0);
    assert_int_equal(r->n, 39);
    watchcache_unsubscribe(wc, sub);
    rec_free(r);

    size_t dropped = watchcache_expire(wc, now + 1);
    assert_true(dropped >= 3 * 1024 * 1024);
    assert_true(dropped <= 5 * 1024 * 1024);
    r = rec_new();
    sub = NULL;
    assert_int_equal(watchcache_subscribe(wc, "/r/", 1, rec_cb, r, &sub, &oldest), AZ_EGONE);
    assert_true(oldest > 1);
    assert_int_equal(watchcache_subscribe(wc, "/r/", oldest, rec_cb, r, &sub, NULL), 0);
    /* what is left is the newest events, at most the floor */
    assert_true(r->n >= 18 && r->n <= 20);
    assert_int_equal(r->revs[r->n - 1], last);
    watchcache_unsubscribe(wc, sub);
    rec_free(r);
    /* at the floor: nothing more goes, however old */
    assert_int_equal(watchcache_expire(wc, now + 1000000), 0);
    watchcache_free(wc);
    watchcache_testing_set_clock(NULL);
    free(v);
}

static void test_window_after_startup(void **state)
{
    /* a cache created over an existing store starts its window at the current revision */
    struct test_plain_store *f = *state;
    for (int i = 0; i < 5; i++) {
        char key[64];
        snprintf(key, sizeof(key), "/r/k%d", i);
        put(f->s, key, "{}");
    }
    struct watchcache *wc = watchcache_new(f->s, 100);
    assert_int_equal(watchcache_rev(wc), 5);
    struct rec *r = rec_new();
    struct watch_sub *sub = NULL;
    int64_t oldest = 0;
    assert_int_equal(watchcache_subscribe(wc, "/r/", 4, rec_cb, r, &sub, &oldest), AZ_EGONE);
    assert_int_equal(oldest, 5);
    assert_int_equal(watchcache_subscribe(wc, "/r/", 5, rec_cb, r, &sub, NULL), 0);
    assert_int_equal(r->n, 0);
    put(f->s, "/r/k0", "{}");
    assert_int_equal(r->n, 1);
    assert_int_equal(r->revs[0], 6);
    assert_int_equal(r->types[0], WATCH_MODIFIED);
    assert_string_equal(r->prev_rvs[0], "1");
    watchcache_unsubscribe(wc, sub);
    watchcache_free(wc);
    rec_free(r);
}

static void test_unsubscribe_stops(void **state)
{
    struct test_plain_store *f = *state;
    struct watchcache *wc = watchcache_new(f->s, 10);
    struct rec *a = rec_new(), *b = rec_new();
    struct watch_sub *sa = NULL, *sb = NULL;
    assert_int_equal(watchcache_subscribe(wc, "/", 0, rec_cb, a, &sa, NULL), 0);
    assert_int_equal(watchcache_subscribe(wc, "/", 0, rec_cb, b, &sb, NULL), 0);
    put(f->s, "/x", "{}");
    assert_int_equal(a->n, 1);
    assert_int_equal(b->n, 1);
    watchcache_unsubscribe(wc, sa);
    put(f->s, "/y", "{}");
    del(f->s, "/x");
    assert_int_equal(a->n, 1);
    assert_int_equal(b->n, 3);
    assert_int_equal(b->types[2], WATCH_DELETED);
    watchcache_unsubscribe(wc, sb);
    put(f->s, "/z", "{}");
    assert_int_equal(b->n, 3);
    assert_int_equal(watchcache_rev(wc), 4);
    watchcache_free(wc);
    rec_free(a);
    rec_free(b);
}

/* A subscriber from a revision the cache has not reached yet (etcd: a list through this
 * replica read etcd's newer revision) gets only the events after it, never the ones its list
 * already showed. */
static void test_from_rev_ahead_of_cache(void **state)
{
    struct test_plain_store *f = *state;
    struct watchcache *wc = watchcache_new(f->s, 10);
    struct rec *a = rec_new();
    struct watch_sub *sa = NULL;
    int64_t now = watchcache_rev(wc);
    assert_int_equal(watchcache_subscribe(wc, "/", now + 2, rec_cb, a, &sa, NULL), 0);
    put(f->s, "/x", "{}");
    put(f->s, "/y", "{}");
    assert_int_equal(a->n, 0);
    int64_t r3 = put(f->s, "/z", "{}");
    assert_int_equal(a->n, 1);
    assert_int_equal(a->revs[0], r3);
    assert_string_equal(a->keys[0], "/z");
    watchcache_unsubscribe(wc, sa);
    watchcache_free(wc);
    rec_free(a);
}

static void test_non_json_value(void **state)
{
    /* a value that is not a JSON object still yields an object with the revision */
    struct test_plain_store *f = *state;
    struct watchcache *wc = watchcache_new(f->s, 10);
    struct rec *r = rec_new();
    struct watch_sub *sub = NULL;
    assert_int_equal(watchcache_subscribe(wc, "/", 0, rec_cb, r, &sub, NULL), 0);
    put(f->s, "/bad", "not json");
    put(f->s, "/arr", "[1,2]");
    assert_int_equal(r->n, 2);
    assert_true(json_is_object(r->objs[0]));
    assert_string_equal(r->rvs[0], "1");
    assert_string_equal(r->rvs[1], "2");
    watchcache_unsubscribe(wc, sub);
    watchcache_free(wc);
    rec_free(r);
}

struct writer {
    struct store *s;
    int n;
};

static void *writer_main(void *p)
{
    struct writer *w = p;
    for (int i = 0; i < w->n; i++) {
        char key[64];
        int64_t rev = 0;
        snprintf(key, sizeof(key), "/c/k%04d", i);
        if (store_create(w->s, key, "{}", 2, &rev) != 0)
            return (void *)1;
    }
    return NULL;
}

/* Subscribing from another thread while writes flow: every event after from_rev exactly once,
 * in order. */
static void test_concurrent_subscribe(void **state)
{
    struct test_plain_store *f = *state;
    struct watchcache *wc = watchcache_new(f->s, 1000);
    struct writer w = {.s = f->s, .n = 300};
    pthread_t th;
    pthread_create(&th, NULL, writer_main, &w);

    struct rec *r[4];
    struct watch_sub *subs[4];
    int64_t from[4];
    for (int i = 0; i < 4; i++) {
        r[i] = rec_new();
        while (watchcache_rev(wc) < 20 * (i + 1) && watchcache_rev(wc) < w.n)
            usleep(200);
        from[i] = watchcache_rev(wc) - 3 * i;
        if (from[i] < 0)
            from[i] = 0;
        if (from[i] == 0)
            from[i] = 1; /* 0 would mean "now" */
        assert_int_equal(watchcache_subscribe(wc, "/c/", from[i], rec_cb, r[i], &subs[i], NULL), 0);
    }
    void *res = NULL;
    pthread_join(th, &res);
    assert_null(res);
    for (int i = 0; i < 4; i++) {
        watchcache_unsubscribe(wc, subs[i]);
        assert_int_equal((int64_t)r[i]->n, w.n - from[i]);
        for (size_t j = 0; j < r[i]->n; j++)
            assert_int_equal(r[i]->revs[j], from[i] + 1 + (int64_t)j);
        rec_free(r[i]);
    }
    watchcache_free(wc);
}


/* The object map: loaded from the store at creation, kept current by the sink, listed in key
 * order by prefix with start_after and limit, remaining counted. */
static void test_object_map(void **state)
{
    struct test_plain_store *f = *state;
    put(f->s, "/registry/pods/a/p1", "{\"n\":1}");
    put(f->s, "/registry/pods/a/p2", "{\"n\":2}");
    put(f->s, "/registry/secrets/a/s", "{\"n\":3}");
    struct watchcache *wc = watchcache_new(f->s, 100);
    put(f->s, "/registry/pods/b/p3", "{\"n\":4}");
    put(f->s, "/registry/pods/a/p1", "{\"n\":5}");
    del(f->s, "/registry/pods/a/p2");
    put(f->s, "/registry/pods/a/p0", "{\"n\":7}");

    struct wc_item it;
    int64_t rev = 0;
    assert_int_equal(watchcache_get(wc, "/registry/pods/a/p1", &it, &rev), 0);
    assert_int_equal(rev, 7);
    assert_string_equal(it.value, "{\"n\":5}");
    assert_int_equal(it.len, 7);
    assert_int_equal(it.mod_rev, 5);
    assert_int_equal(it.create_rev, 1);
    watchcache_item_release(&it);
    assert_int_equal(watchcache_get(wc, "/registry/pods/a/p2", &it, NULL), AZ_ENOTFOUND);

    struct wc_list l;
    assert_int_equal(watchcache_list(wc, "/registry/pods/", NULL, 0, &l), 0);
    assert_int_equal(l.n, 3);
    assert_int_equal(l.rev, 7);
    assert_int_equal(l.remaining, 0);
    assert_string_equal(l.items[0].key, "/registry/pods/a/p0");
    assert_string_equal(l.items[1].key, "/registry/pods/a/p1");
    assert_string_equal(l.items[2].key, "/registry/pods/b/p3");
    /* items stay valid after the object changes (the old bytes are kept by the reference) */
    put(f->s, "/registry/pods/a/p0", "{\"n\":8}");
    del(f->s, "/registry/pods/b/p3");
    assert_string_equal(l.items[0].value, "{\"n\":7}");
    assert_string_equal(l.items[2].value, "{\"n\":4}");
    watchcache_list_release(&l);

    assert_int_equal(watchcache_list(wc, "/registry/pods/", NULL, 1, &l), 0);
    assert_int_equal(l.n, 1);
    assert_int_equal(l.remaining, 1);
    assert_string_equal(l.items[0].value, "{\"n\":8}");
    watchcache_list_release(&l);
    assert_int_equal(watchcache_list(wc, "/registry/pods/", "/registry/pods/a/p0", 0, &l), 0);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.items[0].key, "/registry/pods/a/p1");
    watchcache_list_release(&l);
    assert_int_equal(watchcache_list(wc, "/registry/pods/a/", "/registry/pods/a/p1", 0, &l), 0);
    assert_int_equal(l.n, 0);
    watchcache_list_release(&l);
    assert_int_equal(watchcache_list(wc, "/registry/zzz/", NULL, 5, &l), 0);
    assert_int_equal(l.n, 0);
    watchcache_list_release(&l);
    size_t bytes = 0;
    assert_int_equal(watchcache_objects(wc, &bytes), 3);
    assert_int_equal(bytes, 21);
    watchcache_free(wc);
}

/* A stand-in attrs_fn: attributes are the whole value, objects with "node:X" are indexed
 * under X ("node:" alone: under ""). */
static int test_attrs(const char *key, const char *value, size_t len, struct buf *attrs,
                      struct buf *index, json_t **tree)
{
    (void)key;
    buf_append(attrs, value, len);
    const char *n = strstr(value, "node:");
    if (n == NULL)
        return 0;
    buf_append(index, n + 5, strcspn(n + 5, ",}"));
    return 1;
}

static char *index_keys(struct watchcache *wc, const char *prefix, const char *node, const char *after)
{
    struct wc_list l;
    static char out[512];
    out[0] = '\0';
    assert_int_equal(watchcache_list_indexed(wc, prefix, node, after, 0, &l), 0);
    for (size_t i = 0; i < l.n; i++) {
        strncat(out, l.items[i].key + strlen("/registry/pods/"), sizeof(out) - strlen(out) - 2);
        strcat(out, " ");
        assert_non_null(l.items[i].attrs);
        assert_int_equal(l.items[i].attrs_len, l.items[i].len);
        assert_memory_equal(l.items[i].attrs, l.items[i].value, l.items[i].len);
    }
    watchcache_list_release(&l);
    return out;
}

/* The secondary index (pods by node) follows creates, updates that set or change the indexed
 * value (a bind), and deletes, loaded objects included; a cache without attrs_fn has none. */
static void test_index(void **state)
{
    struct test_plain_store *f = *state;
    put(f->s, "/registry/pods/a/p1", "{node:n1}");
    put(f->s, "/registry/pods/a/p2", "{node:}");
    put(f->s, "/registry/secrets/a/s", "{node:n1}");
    struct watchcache *plain = watchcache_new(f->s, 100);
    struct wc_list l;
    assert_int_equal(watchcache_list_indexed(plain, "/registry/pods/", "n1", NULL, 0, &l), AZ_EUNAVAILABLE);
    watchcache_free(plain);
    struct watchcache *wc = watchcache_new_attrs(f->s, 100, test_attrs);
    assert_string_equal(index_keys(wc, "/registry/pods/", "n1", NULL), "a/p1 ");
    assert_string_equal(index_keys(wc, "/registry/pods/", "", NULL), "a/p2 ");
    put(f->s, "/registry/pods/b/p3", "{node:n1}");
    put(f->s, "/registry/pods/a/p0", "{plain}");
    put(f->s, "/registry/pods/a/p2", "{node:n1}");   /* bound */
    assert_string_equal(index_keys(wc, "/registry/pods/", "n1", NULL), "a/p1 a/p2 b/p3 ");
    assert_string_equal(index_keys(wc, "/registry/pods/", "", NULL), "");
    assert_string_equal(index_keys(wc, "/registry/pods/a/", "n1", NULL), "a/p1 a/p2 ");
    assert_string_equal(index_keys(wc, "/registry/pods/", "n1", "/registry/pods/a/p1"), "a/p2 b/p3 ");
    put(f->s, "/registry/pods/a/p1", "{node:n2}");   /* moved */
    del(f->s, "/registry/pods/b/p3");
    assert_string_equal(index_keys(wc, "/registry/pods/", "n1", NULL), "a/p2 ");
    assert_string_equal(index_keys(wc, "/registry/pods/", "n2", NULL), "a/p1 ");
    put(f->s, "/registry/pods/a/p2", "{plain}");     /* no longer indexed */
    assert_string_equal(index_keys(wc, "/registry/pods/", "n1", NULL), "");
    struct wc_item it;
    assert_int_equal(watchcache_get(wc, "/registry/pods/a/p0", &it, NULL), 0);
    assert_memory_equal(it.attrs, "{plain}", 7);
    watchcache_item_release(&it);
    size_t bytes = 0, abytes = 0;
    assert_int_equal(watchcache_objects_attrs(wc, &bytes, &abytes), 4);
    assert_int_equal(abytes, bytes + 6); /* attributes = values, + "n2", "n1" (the secret) and NULs */
    watchcache_free(wc);
}

/* An attrs_fn that decodes the value and hands the tree over, marked so the test can tell
 * it is the one delivered. */
static int tree_attrs(const char *key, const char *value, size_t len, struct buf *attrs,
                      struct buf *index, json_t **tree)
{
    (void)key;
    (void)attrs;
    (void)index;
    json_t *obj = json_loadb(value, len, 0, NULL);
    if (tree != NULL && obj != NULL) {
        json_object_set_new(obj, "handedOver", json_true());
        *tree = obj;
    } else {
        json_decref(obj);
    }
    return 0;
}

/* The new version's tree from the attributes function is what the subscribers get (one
 * decode per event, with resourceVersion set), every subscriber the same object; a previous
 * version, and an event no subscriber takes, are decoded (or dropped) as before. */
static void test_attrs_tree_reused(void **state)
{
    struct test_plain_store *f = *state;
    struct watchcache *wc = watchcache_new_attrs(f->s, 100, tree_attrs);
    struct rec *a = rec_new(), *b = rec_new();
    struct watch_sub *s1 = NULL, *s2 = NULL;
    assert_int_equal(watchcache_subscribe(wc, "/registry/pods/", 0, rec_cb, a, &s1, NULL), 0);
    assert_int_equal(watchcache_subscribe(wc, "/registry/pods/", 0, rec_cb, b, &s2, NULL), 0);
    put(f->s, "/registry/secrets/x/s", "{\"metadata\":{\"name\":\"s\"}}"); /* no subscriber */
    int64_t r1 = put(f->s, "/registry/pods/x/p", "{\"metadata\":{\"name\":\"p\"}}");
    put(f->s, "/registry/pods/x/p", "{\"metadata\":{\"name\":\"p\"},\"spec\":{}}");
    assert_int_equal(a->n, 2);
    assert_int_equal(b->n, 2);
    for (size_t i = 0; i < 2; i++) {
        assert_ptr_equal(a->objs[i], b->objs[i]);
        assert_true(json_is_true(json_object_get(a->objs[i], "handedOver")));
        assert_string_equal(a->rvs[i], i == 0 ? "2" : "3");
    }
    char want[24];
    snprintf(want, sizeof(want), "%lld", (long long)r1);
    assert_string_equal(a->prev_rvs[1], want);
    assert_non_null(json_object_get(a->objs[1], "spec"));
    watchcache_unsubscribe(wc, s1);
    watchcache_unsubscribe(wc, s2);
    rec_free(a);
    rec_free(b);
    watchcache_free(wc);
}

/* Many keys in random order: the map stays sorted and complete. */
static void test_object_map_many(void **state)
{
    struct test_plain_store *f = *state;
    struct watchcache *wc = watchcache_new(f->s, 10);
    char key[64];
    for (unsigned i = 0; i < 500; i++) {
        snprintf(key, sizeof(key), "/registry/configmaps/ns/k%05u", (i * 7919u) % 500u);
        put(f->s, key, "{}");
    }
    for (unsigned i = 0; i < 500; i += 5) {
        snprintf(key, sizeof(key), "/registry/configmaps/ns/k%05u", i);
        del(f->s, key);
    }
    struct wc_list l;
    assert_int_equal(watchcache_list(wc, "/registry/configmaps/", NULL, 0, &l), 0);
    assert_int_equal(l.n, 400);
    for (size_t i = 1; i < l.n; i++)
        assert_true(strcmp(l.items[i - 1].key, l.items[i].key) < 0);
    watchcache_list_release(&l);
    watchcache_free(wc);
}

/* STORE_EVENT_RELIST (etcd after a compaction): the cache diffs the list against its map and
 * delivers each difference as an event at the list's revision. The sink is captured by
 * intercepting set_sink, so the test can hand it a list the store never produced. */
static store_sink_fn relist_sink;
static void *relist_sink_arg;
static const struct store_ops *relist_real_ops;

static void relist_set_sink(struct store *s, store_sink_fn fn, void *arg)
{
    relist_sink = fn;
    relist_sink_arg = arg;
    relist_real_ops->set_sink(s, fn, arg);
}

static void test_relist(void **state)
{
    struct test_plain_store *f = *state;
    put(f->s, "/registry/pods/a/p1", "{\"n\":1}");
    put(f->s, "/registry/pods/a/p2", "{\"n\":2}");
    put(f->s, "/registry/pods/a/p3", "{\"n\":3}"); /* rev 3 */
    struct store_ops ops = *f->s->ops;
    relist_real_ops = f->s->ops;
    ops.set_sink = relist_set_sink;
    f->s->ops = &ops;
    struct watchcache *wc = watchcache_new(f->s, 100);
    struct rec *r = rec_new();
    struct watch_sub *sub;
    assert_int_equal(watchcache_subscribe(wc, "/registry/pods/", 0, rec_cb, r, &sub, NULL), 0);

    /* at revision 9: p1 unchanged, p2 rewritten at 7, p3 deleted, p4 created at 8 */
    struct store_kv items[] = {
        {.key = "/registry/pods/a/p1", .value = "{\"n\":1}", .len = 7, .create_rev = 1, .mod_rev = 1},
        {.key = "/registry/pods/a/p2", .value = "{\"n\":5}", .len = 7, .create_rev = 2, .mod_rev = 7},
        {.key = "/registry/pods/a/p4", .value = "{\"n\":6}", .len = 7, .create_rev = 8, .mod_rev = 8},
    };
    struct store_list l = {.items = items, .n = 3, .rev = 9};
    struct store_event ev = {.type = STORE_EVENT_RELIST, .rev = 9, .list = &l};
    relist_sink(relist_sink_arg, &ev);

    assert_int_equal(r->n, 3);
    assert_int_equal(r->types[0], WATCH_MODIFIED);
    assert_string_equal(r->keys[0], "/registry/pods/a/p2");
    /* the event's object carries the event's revision (a client resuming from it is past
     * the whole re-list) */
    assert_string_equal(r->rvs[0], "9");
    assert_string_equal(r->prev_rvs[0], "2");
    assert_int_equal(r->types[1], WATCH_DELETED);
    assert_string_equal(r->keys[1], "/registry/pods/a/p3");
    assert_int_equal(r->types[2], WATCH_ADDED);
    assert_string_equal(r->keys[2], "/registry/pods/a/p4");
    assert_string_equal(r->rvs[2], "9");
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(r->revs[i], 9);
    assert_int_equal(watchcache_rev(wc), 9);

    struct wc_list wl;
    assert_int_equal(watchcache_list(wc, "/registry/pods/", NULL, 0, &wl), 0);
    assert_int_equal(wl.n, 3);
    assert_string_equal(wl.items[0].key, "/registry/pods/a/p1");
    assert_string_equal(wl.items[1].value, "{\"n\":5}");
    assert_string_equal(wl.items[2].key, "/registry/pods/a/p4");
    watchcache_list_release(&wl);
    struct wc_item it;
    assert_int_equal(watchcache_get(wc, "/registry/pods/a/p3", &it, NULL), AZ_ENOTFOUND);

    /* a watch resuming from before the re-list replays the differences */
    struct rec *r2 = rec_new();
    struct watch_sub *sub2;
    assert_int_equal(watchcache_subscribe(wc, "/registry/pods/", 3, rec_cb, r2, &sub2, NULL), 0);
    assert_int_equal(r2->n, 3);
    watchcache_unsubscribe(wc, sub2);
    watchcache_unsubscribe(wc, sub);
    watchcache_free(wc);
    f->s->ops = relist_real_ops;
    rec_free(r);
    rec_free(r2);
}

/* ---- readers on several threads while a writer commits ------------------------------------
 * Four threads get and list (plain, paged, filtered, indexed) from the cache while the test
 * thread commits through the real SQLite store: each step creates a key at a scattered
 * position and deletes the one created HAMMER_LIVE steps earlier (so chunks split, shrink
 * and vanish in the middle of the map), and updates a stable key with a counter. Every read
 * must look like one revision of the map: HAMMER_LIVE or HAMMER_LIVE + 1 keys, strictly in
 * order, no object newer than the read's revision, revisions and the counter never going
 * back. At the end the cache equals the store. */

#define HAMMER_LIVE 300
#define HAMMER_STEPS 1000

struct wc_hammer {
    struct watchcache *wc;
    int done;  /* __atomic */
    long bad, reads; /* __atomic */
};

static void hammer_fail(struct wc_hammer *h, const char *what)
{
    if (__atomic_fetch_add(&h->bad, 1, __ATOMIC_RELAXED) < 5)
        fprintf(stderr, "hammer: %s\n", what);
}

static int keep_odd(void *arg, const struct wc_item *it)
{
    (void)arg;
    return it->key[strlen(it->key) - 1] % 2 == 1;
}

/* Checks a list of the scattered keys (total: what the whole range held). */
static void hammer_check_list(struct wc_hammer *h, const struct wc_list *l, size_t total,
                              int64_t *last_rev)
{
    if (total != HAMMER_LIVE && total != HAMMER_LIVE + 1)
        hammer_fail(h, "a list saw a count no revision had");
    if (l->rev < *last_rev)
        hammer_fail(h, "the revision went back");
    *last_rev = l->rev;
    for (size_t i = 0; i < l->n; i++) {
        if (i > 0 && strcmp(l->items[i - 1].key, l->items[i].key) >= 0)
            hammer_fail(h, "keys out of order");
        if (l->items[i].mod_rev > l->rev || strncmp(l->items[i].key, "/registry/h/", 12) != 0)
            hammer_fail(h, "an item not of the list's revision or prefix");
    }
}

static void *hammer_reader(void *arg)
{
    struct wc_hammer *h = arg;
    int64_t last_rev = 0;
    long last_n = -1;
    for (unsigned round = 0; !__atomic_load_n(&h->done, __ATOMIC_ACQUIRE) || round < 20; round++) {
        struct wc_item it;
        int64_t rev = 0;
        if (watchcache_get(h->wc, "/registry/s/stable", &it, &rev) == 0) {
            long n = strtol(it.value + 5, NULL, 10); /* {"n":N} */
            if (n < last_n || it.mod_rev > rev || rev < last_rev)
                hammer_fail(h, "get went back in time");
            last_n = n;
            last_rev = rev;
            watchcache_item_release(&it);
        }
        struct wc_list l;
        assert_int_equal(watchcache_list(h->wc, "/registry/h/", NULL, 0, &l), 0);
        hammer_check_list(h, &l, l.n, &last_rev);
        watchcache_list_release(&l);
        /* a page from the middle: its items and what remains add up to one revision's */
        char after[64];
        snprintf(after, sizeof(after), "/registry/h/k%08x", round * 2654435761u);
        assert_int_equal(watchcache_list(h->wc, "/registry/h/", after, 50, &l), 0);
        for (size_t i = 0; i < l.n; i++)
            if (strcmp(l.items[i].key, after) <= 0)
                hammer_fail(h, "a page started before its continue key");
        hammer_check_list(h, &l, HAMMER_LIVE, &last_rev); /* count checked on full lists */
        watchcache_list_release(&l);
        assert_int_equal(watchcache_list_filtered(h->wc, "/registry/h/", NULL, keep_odd, NULL, &l), 0);
        for (size_t i = 0; i < l.n; i++)
            if (!keep_odd(NULL, &l.items[i]))
                hammer_fail(h, "the filter was not applied");
        hammer_check_list(h, &l, HAMMER_LIVE, &last_rev);
        watchcache_list_release(&l);
        assert_int_equal(watchcache_list_indexed(h->wc, "/registry/h/", "hammer", NULL, 0, &l), 0);
        hammer_check_list(h, &l, l.n, &last_rev);
        watchcache_list_release(&l);
        __atomic_fetch_add(&h->reads, 1, __ATOMIC_RELAXED);
    }
    return NULL;
}

/* Objects under /registry/h/ are indexed under "hammer". */
static int hammer_attrs(const char *key, const char *value, size_t len, struct buf *attrs,
                        struct buf *index, json_t **tree)
{
    (void)value;
    (void)len;
    (void)attrs;
    if (strncmp(key, "/registry/h/", 12) != 0)
        return 0;
    buf_append(index, "hammer", 6);
    return 1;
}

static void hammer_key(char *key, size_t size, unsigned i)
{
    snprintf(key, size, "/registry/h/k%08x", i * 2654435761u);
}

static void test_readers_while_writing(void **state)
{
    struct test_plain_store *f = *state;
    char key[64], val[64];
    for (unsigned i = 0; i < HAMMER_LIVE; i++) {
        hammer_key(key, sizeof(key), i);
        put(f->s, key, "{}");
    }
    put(f->s, "/registry/s/stable", "{\"n\":0}");
    struct wc_hammer h = {.wc = watchcache_new_attrs(f->s, 64, hammer_attrs)};
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, hammer_reader, &h), 0);
    for (unsigned i = HAMMER_LIVE; i < HAMMER_LIVE + HAMMER_STEPS; i++) {
        hammer_key(key, sizeof(key), i);
        put(f->s, key, "{}");
        hammer_key(key, sizeof(key), i - HAMMER_LIVE);
        del(f->s, key);
        snprintf(val, sizeof(val), "{\"n\":%u}", i);
        put(f->s, "/registry/s/stable", val);
    }
    __atomic_store_n(&h.done, 1, __ATOMIC_RELEASE);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(h.bad, 0);
    assert_true(h.reads >= 80);
    /* the cache now equals the store, in the map and in the index */
    struct store_list sl;
    assert_int_equal(store_list(f->s, "/registry/h/", NULL, 0, 0, &sl), 0);
    struct wc_list l, il;
    assert_int_equal(watchcache_list(h.wc, "/registry/h/", NULL, 0, &l), 0);
    assert_int_equal(watchcache_list_indexed(h.wc, "/registry/h/", "hammer", NULL, 0, &il), 0);
    assert_int_equal(l.n, HAMMER_LIVE);
    assert_int_equal(sl.n, HAMMER_LIVE);
    assert_int_equal(il.n, HAMMER_LIVE);
    assert_int_equal(l.rev, sl.rev);
    for (size_t i = 0; i < l.n; i++) {
        assert_string_equal(l.items[i].key, sl.items[i].key);
        assert_string_equal(il.items[i].key, sl.items[i].key);
        assert_int_equal(l.items[i].mod_rev, sl.items[i].mod_rev);
    }
    store_list_release(&sl);
    watchcache_list_release(&l);
    watchcache_list_release(&il);
    watchcache_free(h.wc);
}

/* The memo word readers keep with a version of an object: 0 at first, shared by every item of
 * that version (gets and list views), and 0 again for the next version, while an item of the
 * old version keeps seeing the old word. */
static void test_item_memo(void **state)
{
    struct test_plain_store *f = *state;
    put(f->s, "/registry/pods/a/p1", "{\"n\":1}");
    struct watchcache *wc = watchcache_new(f->s, 100);
    struct wc_item it, again, next;
    assert_int_equal(watchcache_get(wc, "/registry/pods/a/p1", &it, NULL), 0);
    assert_int_equal(watchcache_item_memo(&it), 0);
    watchcache_item_set_memo(&it, 42);
    assert_int_equal(watchcache_get(wc, "/registry/pods/a/p1", &again, NULL), 0);
    assert_int_equal(watchcache_item_memo(&again), 42);
    struct wc_list l;
    assert_int_equal(watchcache_list(wc, "/registry/pods/", NULL, 0, &l), 0);
    assert_int_equal(l.n, 1);
    assert_int_equal(watchcache_item_memo(&l.items[0]), 42);
    watchcache_list_release(&l);
    put(f->s, "/registry/pods/a/p1", "{\"n\":2}");
    assert_int_equal(watchcache_get(wc, "/registry/pods/a/p1", &next, NULL), 0);
    assert_string_equal(next.value, "{\"n\":2}");
    assert_int_equal(watchcache_item_memo(&next), 0);
    assert_int_equal(watchcache_item_memo(&it), 42);
    struct wc_item none = {0};
    assert_int_equal(watchcache_item_memo(&none), 0);
    watchcache_item_set_memo(&none, 7); /* no object behind it: ignored */
    watchcache_item_release(&next);
    watchcache_item_release(&again);
    watchcache_item_release(&it);
    watchcache_free(wc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_live_events, setup, test_plain_store_teardown),
        cmocka_unit_test_setup_teardown(test_backlog_replay, setup, test_plain_store_teardown),
        cmocka_unit_test_setup_teardown(test_prefix_filter, setup, test_plain_store_teardown),
        cmocka_unit_test_setup_teardown(test_gone_when_too_old, setup, test_plain_store_teardown),
        cmocka_unit_test_setup_teardown(test_window_after_startup, setup, test_plain_store_teardown),
        cmocka_unit_test_setup_teardown(test_stale_events_expire, setup, test_plain_store_teardown),
        cmocka_unit_test_setup_teardown(test_unsubscribe_stops, setup, test_plain_store_teardown),
        cmocka_unit_test_setup_teardown(test_non_json_value, setup, test_plain_store_teardown),
        cmocka_unit_test_setup_teardown(test_from_rev_ahead_of_cache, setup, test_plain_store_teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_subscribe, setup, test_plain_store_teardown),
        cmocka_unit_test_setup_teardown(test_object_map, setup, test_plain_store_teardown),
        cmocka_unit_test_setup_teardown(test_object_map_many, setup, test_plain_store_teardown),
        cmocka_unit_test_setup_teardown(test_relist, setup, test_plain_store_teardown),
        cmocka_unit_test_setup_teardown(test_index, setup, test_plain_store_teardown),
        cmocka_unit_test_setup_teardown(test_attrs_tree_reused, setup, test_plain_store_teardown),
        cmocka_unit_test_setup_teardown(test_readers_while_writing, setup, test_plain_store_teardown),
        cmocka_unit_test_setup_teardown(test_item_memo, setup, test_plain_store_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
