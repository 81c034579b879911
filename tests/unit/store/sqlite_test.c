/* sqlite_test.c — tests of the SQLite store backend (src/store/sqlite.c) on a real file in a
 * fresh temporary directory per test: CRUD with compare-and-swap, prefix lists with
 * pagination and at past revisions, persistence across reopen, compaction, events, sink
 * order under concurrent writers, and durability of acknowledged writes across SIGKILL (one
 * writer, and 16 whose writes share commits). Group commit itself: sqlite_group_test.c. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "store/store.h"
#include "util/err.h"
#include "test_store.h"

static struct store *open_store(const char *path)
{
    struct store *s = NULL;
    char *msg = NULL;
    int err = store_sqlite_open(path, &s, &msg);
    if (err != 0)
        fprintf(stderr, "open: %s\n", msg != NULL ? msg : "?");
    assert_int_equal(err, 0);
    assert_non_null(s);
    return s;
}

static int setup(void **state)
{
    return test_plain_store_setup(state, "store");
}

static int64_t create_str(struct store *s, const char *key, const char *value)
{
    int64_t rev = -1;
    assert_int_equal(store_create(s, key, value, strlen(value), &rev), 0);
    return rev;
}

static void assert_kv(struct store *s, const char *key, const char *value, int64_t create_rev,
                      int64_t mod_rev)
{
    struct store_kv kv = {0};
    assert_int_equal(store_get(s, key, &kv), 0);
    assert_string_equal(kv.key, key);
    assert_int_equal(kv.len, strlen(value));
    assert_memory_equal(kv.value, value, kv.len);
    assert_int_equal(kv.value[kv.len], '\0');
    assert_int_equal(kv.create_rev, create_rev);
    assert_int_equal(kv.mod_rev, mod_rev);
    store_kv_release(&kv);
}

static void test_create_get(void **state)
{
    struct test_plain_store *f = *state;
    struct store *s = f->s;
    assert_int_equal(store_current_rev(s), 0);
    assert_int_equal(create_str(s, "/registry/pods/lab/a", "{\"a\":1}"), 1);
    assert_int_equal(create_str(s, "/registry/pods/lab/b", "{\"b\":2}"), 2);
    assert_int_equal(store_current_rev(s), 2);
    assert_kv(s, "/registry/pods/lab/a", "{\"a\":1}", 1, 1);
    assert_kv(s, "/registry/pods/lab/b", "{\"b\":2}", 2, 2);

    int64_t rev = 77;
    assert_int_equal(store_create(s, "/registry/pods/lab/a", "x", 1, &rev), AZ_EEXIST);
    assert_int_equal(rev, 77); /* untouched on failure */
    assert_int_equal(store_current_rev(s), 2);

    struct store_kv kv = {0};
    assert_int_equal(store_get(s, "/registry/pods/lab/zz", &kv), AZ_ENOTFOUND);
    assert_null(kv.key);
    /* a prefix of an existing key is not that key */
    assert_int_equal(store_get(s, "/registry/pods/lab/", &kv), AZ_ENOTFOUND);

    /* values are opaque bytes, embedded NUL included */
    const char bin[] = {'a', '\0', 'b', (char)0xfe};
    assert_int_equal(store_create(s, "/registry/secrets/ns/bin", bin, sizeof(bin), &rev), 0);
    assert_int_equal(rev, 3);
    assert_int_equal(store_get(s, "/registry/secrets/ns/bin", &kv), 0);
    assert_int_equal(kv.len, sizeof(bin));
    assert_memory_equal(kv.value, bin, sizeof(bin));
    store_kv_release(&kv);

    /* empty value */
    assert_int_equal(store_create(s, "/registry/x/empty", NULL, 0, &rev), 0);
    assert_kv(s, "/registry/x/empty", "", 4, 4);
    /* invalid keys */
    assert_int_equal(store_create(s, "", "x", 1, &rev), AZ_EINVALID);
    assert_int_equal(store_current_rev(s), 4);
}

static void test_update_cas(void **state)
{
    struct test_plain_store *f = *state;
    struct store *s = f->s;
    const char *k = "/registry/configmaps/ns/cm";
    assert_int_equal(create_str(s, k, "v1"), 1);

    int64_t rev = -1;
    assert_int_equal(store_update(s, k, "v2", 2, 5, &rev), AZ_ECONFLICT);
    assert_int_equal(rev, -1);
    assert_int_equal(store_current_rev(s), 1);
    assert_kv(s, k, "v1", 1, 1);

    assert_int_equal(store_update(s, k, "v2", 2, 1, &rev), 0);
    assert_int_equal(rev, 2);
    assert_kv(s, k, "v2", 1, 2);
    /* the old expected revision is now stale */
    assert_int_equal(store_update(s, k, "v3", 2, 1, &rev), AZ_ECONFLICT);
    /* expected 0 = unconditional */
    assert_int_equal(store_update(s, k, "v3", 2, 0, &rev), 0);
    assert_int_equal(rev, 3);
    assert_kv(s, k, "v3", 1, 3);

    assert_int_equal(store_update(s, "/registry/configmaps/ns/none", "x", 1, 0, &rev),
                     AZ_ENOTFOUND);
    assert_int_equal(store_current_rev(s), 3);
}

static void test_delete_cas(void **state)
{
    struct test_plain_store *f = *state;
    struct store *s = f->s;
    const char *k = "/registry/pods/lab/test";
    assert_int_equal(create_str(s, k, "{\"v\":1}"), 1);
    int64_t rev = 0;
    assert_int_equal(store_update(s, k, "{\"v\":2}", 7, 1, &rev), 0);
    assert_int_equal(rev, 2);

    struct store_kv prev = {0};
    assert_int_equal(store_delete(s, k, 1, &rev, &prev), AZ_ECONFLICT);
    assert_null(prev.key);
    assert_kv(s, k, "{\"v\":2}", 1, 2);

    assert_int_equal(store_delete(s, k, 2, &rev, &prev), 0);
    assert_int_equal(rev, 3);
    assert_string_equal(prev.key, k);
    assert_int_equal(prev.len, 7);
    assert_memory_equal(prev.value, "{\"v\":2}", 7);
    assert_int_equal(prev.create_rev, 1);
    assert_int_equal(prev.mod_rev, 2);
    store_kv_release(&prev);

    struct store_kv kv = {0};
    assert_int_equal(store_get(s, k, &kv), AZ_ENOTFOUND);
    assert_int_equal(store_delete(s, k, 0, &rev, NULL), AZ_ENOTFOUND);
    assert_int_equal(store_update(s, k, "x", 1, 0, &rev), AZ_ENOTFOUND);
    assert_int_equal(store_current_rev(s), 3);

    /* re-create after delete: a new life with a new create revision */
    assert_int_equal(create_str(s, k, "{\"v\":3}"), 4);
    assert_kv(s, k, "{\"v\":3}", 4, 4);
    /* unconditional delete, no ret_prev */
    assert_int_equal(store_delete(s, k, 0, &rev, NULL), 0);
    assert_int_equal(rev, 5);
}

static void assert_list_keys(const struct store_list *l, const char *const *keys, size_t n)
{
    assert_int_equal(l->n, n);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(l->items[i].key, keys[i]);
}

static void test_list_prefix_pagination(void **state)
{
    struct test_plain_store *f = *state;
    struct store *s = f->s;
    /* created out of order on purpose */
    create_str(s, "/registry/pods/lab/c", "c");
    create_str(s, "/registry/pods/lab/a", "a");
    create_str(s, "/registry/pods/kube-system/z", "z");
    create_str(s, "/registry/pods/lab/b", "b");
    create_str(s, "/registry/podsecurity/x", "x");   /* shares "/registry/pods" */
    create_str(s, "/registry/pods0", "zero");        /* the prefix's successor byte */
    create_str(s, "/registry/pods/lab/d", "d");
    int64_t rev = 0;
    assert_int_equal(store_delete(s, "/registry/pods/lab/d", 0, &rev, NULL), 0);
    assert_int_equal(rev, 8);

    struct store_list l = {0};
    assert_int_equal(store_list(s, "/registry/pods/", NULL, 0, 0, &l), 0);
    const char *all[] = {"/registry/pods/kube-system/z", "/registry/pods/lab/a",
                         "/registry/pods/lab/b", "/registry/pods/lab/c"};
    assert_list_keys(&l, all, 4);
    assert_int_equal(l.rev, 8);
    assert_int_equal(l.more, 0);
    assert_memory_equal(l.items[1].value, "a", 1);
    assert_int_equal(l.items[1].create_rev, 2);
    assert_int_equal(l.items[1].mod_rev, 2);
    store_list_release(&l);

    assert_int_equal(store_list(s, "/registry/pods/lab/", NULL, 0, 0, &l), 0);
    assert_list_keys(&l, all + 1, 3);
    store_list_release(&l);

    /* pages of 2 */
    assert_int_equal(store_list(s, "/registry/pods/", NULL, 0, 2, &l), 0);
    assert_list_keys(&l, all, 2);
    assert_int_equal(l.more, 1);
    char *last = strdup(l.items[1].key);
    store_list_release(&l);
    assert_int_equal(store_list(s, "/registry/pods/", last, 0, 2, &l), 0);
    free(last);
    assert_list_keys(&l, all + 2, 2);
    assert_int_equal(l.more, 0); /* exactly the limit left: no more */
    store_list_release(&l);

    /* limit larger than the result */
    assert_int_equal(store_list(s, "/registry/pods/", "/registry/pods/lab/a", 0, 10, &l), 0);
    assert_list_keys(&l, all + 2, 2);
    assert_int_equal(l.more, 0);
    store_list_release(&l);

    /* start_after that is not a key, and one before the prefix */
    assert_int_equal(store_list(s, "/registry/pods/", "/registry/pods/lab/aa", 0, 1, &l), 0);
    assert_list_keys(&l, all + 2, 1);
    assert_int_equal(l.more, 1);
    store_list_release(&l);
    assert_int_equal(store_list(s, "/registry/pods/", "/registry/a", 0, 0, &l), 0);
    assert_list_keys(&l, all, 4);
    store_list_release(&l);
    /* start_after past the prefix range */
    assert_int_equal(store_list(s, "/registry/pods/", "/registry/q", 0, 0, &l), 0);
    assert_int_equal(l.n, 0);
    assert_null(l.items);
    store_list_release(&l);

    /* empty prefix lists everything live */
    assert_int_equal(store_list(s, "", NULL, 0, 0, &l), 0);
    assert_int_equal(l.n, 6);
    assert_string_equal(l.items[5].key, "/registry/podsecurity/x");
    store_list_release(&l);

    /* an empty result */
    assert_int_equal(store_list(s, "/registry/nothing/", NULL, 0, 5, &l), 0);
    assert_int_equal(l.n, 0);
    assert_int_equal(l.more, 0);
    assert_int_equal(l.rev, 8);
    store_list_release(&l);
}

static void test_list_historical(void **state)
{
    struct test_plain_store *f = *state;
    struct store *s = f->s;
    int64_t rev = 0;
    create_str(s, "/r/a", "a1");                                         /* 1 */
    create_str(s, "/r/b", "b1");                                         /* 2 */
    assert_int_equal(store_update(s, "/r/a", "a2", 2, 0, &rev), 0);      /* 3 */
    assert_int_equal(store_delete(s, "/r/b", 0, &rev, NULL), 0);         /* 4 */
    create_str(s, "/r/c", "c1");                                         /* 5 */
    assert_int_equal(store_update(s, "/r/a", "a3", 2, 0, &rev), 0);      /* 6 */

    struct store_list l = {0};
    assert_int_equal(store_list(s, "/r/", NULL, 1, 0, &l), 0);
    const char *k1[] = {"/r/a"};
    assert_list_keys(&l, k1, 1);
    assert_int_equal(l.rev, 1);
    store_list_release(&l);

    assert_int_equal(store_list(s, "/r/", NULL, 2, 0, &l), 0);
    const char *k2[] = {"/r/a", "/r/b"};
    assert_list_keys(&l, k2, 2);
    assert_memory_equal(l.items[0].value, "a1", 2);
    assert_int_equal(l.items[0].mod_rev, 1);
    store_list_release(&l);

    assert_int_equal(store_list(s, "/r/", NULL, 3, 0, &l), 0);
    assert_list_keys(&l, k2, 2);
    assert_memory_equal(l.items[0].value, "a2", 2);
    assert_int_equal(l.items[0].mod_rev, 3);
    assert_int_equal(l.items[0].create_rev, 1);
    store_list_release(&l);

    assert_int_equal(store_list(s, "/r/", NULL, 4, 0, &l), 0);
    assert_list_keys(&l, k1, 1);
    store_list_release(&l);

    assert_int_equal(store_list(s, "/r/", NULL, 5, 0, &l), 0);
    const char *k5[] = {"/r/a", "/r/c"};
    assert_list_keys(&l, k5, 2);
    assert_memory_equal(l.items[0].value, "a2", 2);
    store_list_release(&l);

    /* historical + pagination */
    assert_int_equal(store_list(s, "/r/", NULL, 3, 1, &l), 0);
    assert_list_keys(&l, k1, 1);
    assert_int_equal(l.more, 1);
    assert_int_equal(l.rev, 3);
    store_list_release(&l);
    assert_int_equal(store_list(s, "/r/", "/r/a", 3, 1, &l), 0);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.items[0].key, "/r/b");
    assert_int_equal(l.more, 0);
    store_list_release(&l);

    assert_int_equal(store_list(s, "/r/", NULL, 0, 0, &l), 0);
    assert_list_keys(&l, k5, 2);
    assert_memory_equal(l.items[0].value, "a3", 2);
    assert_int_equal(l.rev, 6);
    store_list_release(&l);

    /* a revision not reached yet */
    assert_int_equal(store_list(s, "/r/", NULL, 7, 0, &l), AZ_ETIMEOUT);
}

static void test_restart_persistence(void **state)
{
    struct test_plain_store *f = *state;
    int64_t rev = 0;
    for (int i = 0; i < 20; i++) {
        char key[64];
        snprintf(key, sizeof(key), "/registry/pods/ns/p%02d", i);
        assert_int_equal(create_str(f->s, key, key), i + 1);
    }
    assert_int_equal(store_update(f->s, "/registry/pods/ns/p03", "new", 3, 4, &rev), 0);
    assert_int_equal(store_delete(f->s, "/registry/pods/ns/p05", 0, &rev, NULL), 0);
    assert_int_equal(rev, 22);
    store_close(f->s);

    f->s = open_store(f->ts.path);
    assert_int_equal(store_current_rev(f->s), 22);
    struct store_list l = {0};
    assert_int_equal(store_list(f->s, "/registry/pods/", NULL, 0, 0, &l), 0);
    assert_int_equal(l.n, 19);
    store_list_release(&l);
    assert_kv(f->s, "/registry/pods/ns/p03", "new", 4, 21);
    assert_kv(f->s, "/registry/pods/ns/p19", "/registry/pods/ns/p19", 20, 20);
    struct store_kv kv = {0};
    assert_int_equal(store_get(f->s, "/registry/pods/ns/p05", &kv), AZ_ENOTFOUND);
    /* the revision continues */
    assert_int_equal(create_str(f->s, "/registry/pods/ns/after", "x"), 23);
    /* history survived too */
    assert_int_equal(store_list(f->s, "/registry/pods/", NULL, 20, 0, &l), 0);
    assert_int_equal(l.n, 20);
    store_list_release(&l);
}

static int64_t count_rows(const char *path)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM kv", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

static void test_compact(void **state)
{
    struct test_plain_store *f = *state;
    struct store *s = f->s;
    int64_t rev = 0;
    create_str(s, "/r/a", "a1");                                     /* 1 */
    create_str(s, "/r/b", "b1");                                     /* 2 */
    for (int i = 0; i < 5; i++)                                      /* 3..7 */
        assert_int_equal(store_update(s, "/r/a", "ax", 2, 0, &rev), 0);
    assert_int_equal(store_delete(s, "/r/b", 0, &rev, NULL), 0);     /* 8 */
    create_str(s, "/r/c", "c1");                                     /* 9 */
    create_str(s, "/r/d", "d1");                                     /* 10 */
    assert_int_equal(store_delete(s, "/r/d", 0, &rev, NULL), 0);     /* 11 */
    assert_int_equal(store_update(s, "/r/c", "c2", 2, 0, &rev), 0);  /* 12 */
    assert_int_equal(count_rows(f->ts.path), 12);

    assert_int_equal(store_compact(s, 13), AZ_EINVALID); /* future */
    assert_int_equal(store_compact(s, 10), 0);
    /* kept: a@7 (latest <= 10), c@9, d@10 (deleted later, at 11), d tombstone@11, c@12 */
    assert_int_equal(count_rows(f->ts.path), 5);

    struct store_list l = {0};
    assert_int_equal(store_list(s, "/r/", NULL, 9, 0, &l), AZ_EGONE);
    struct store_event *evs = NULL;
    size_t n = 0;
    assert_int_equal(store_events_since(s, 9, 0, &evs, &n), AZ_EGONE);

    /* the state at the compaction revision is intact */
    assert_int_equal(store_list(s, "/r/", NULL, 10, 0, &l), 0);
    const char *k10[] = {"/r/a", "/r/c", "/r/d"};
    assert_list_keys(&l, k10, 3);
    assert_int_equal(l.items[0].mod_rev, 7);
    store_list_release(&l);
    assert_int_equal(store_list(s, "/r/", NULL, 0, 0, &l), 0);
    const char *know[] = {"/r/a", "/r/c"};
    assert_list_keys(&l, know, 2);
    assert_memory_equal(l.items[1].value, "c2", 2);
    assert_int_equal(l.items[1].create_rev, 9);
    store_list_release(&l);

    assert_int_equal(store_events_since(s, 10, 0, &evs, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(evs[0].rev, 11);
    assert_int_equal(evs[0].type, STORE_EVENT_DELETE);
    assert_int_equal(evs[1].rev, 12);
    store_events_free(evs, n);

    /* compacting at an older revision is a no-op; at the current one drops tombstones */
    assert_int_equal(store_compact(s, 5), 0);
    assert_int_equal(store_compact(s, 12), 0);
    assert_int_equal(count_rows(f->ts.path), 2);
    assert_int_equal(store_list(s, "/r/", NULL, 11, 0, &l), AZ_EGONE);

    /* compact revision and current revision survive restart */
    store_close(f->s);
    f->s = s = open_store(f->ts.path);
    assert_int_equal(store_current_rev(s), 12);
    assert_int_equal(store_list(s, "/r/", NULL, 11, 0, &l), AZ_EGONE);
    assert_int_equal(store_events_since(s, 11, 0, &evs, &n), AZ_EGONE);
    assert_int_equal(store_list(s, "/r/", NULL, 12, 0, &l), 0);
    assert_list_keys(&l, know, 2);
    store_list_release(&l);
    assert_int_equal(create_str(s, "/r/e", "e"), 13);
}

static void test_compact_current_tombstone_restart(void **state)
{
    /* the newest row is a tombstone removed by compaction: the revision must not go back */
    struct test_plain_store *f = *state;
    int64_t rev = 0;
    create_str(f->s, "/r/a", "a");
    create_str(f->s, "/r/b", "b");
    assert_int_equal(store_delete(f->s, "/r/b", 0, &rev, NULL), 0);
    assert_int_equal(store_compact(f->s, 3), 0);
    assert_int_equal(count_rows(f->ts.path), 1);
    store_close(f->s);
    f->s = open_store(f->ts.path);
    assert_int_equal(store_current_rev(f->s), 3);
    assert_int_equal(create_str(f->s, "/r/b", "b2"), 4);
}

static void test_events_since(void **state)
{
    struct test_plain_store *f = *state;
    struct store *s = f->s;
    int64_t rev = 0;
    create_str(s, "/r/a", "a1");                                     /* 1 */
    assert_int_equal(store_update(s, "/r/a", "a2", 2, 1, &rev), 0);  /* 2 */
    assert_int_equal(store_delete(s, "/r/a", 2, &rev, NULL), 0);     /* 3 */
    create_str(s, "/r/a", "a3");                                     /* 4 */

    struct store_event *evs = NULL;
    size_t n = 0;
    assert_int_equal(store_events_since(s, 0, 0, &evs, &n), 0);
    assert_int_equal(n, 4);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(evs[i].rev, (int64_t)i + 1);
        assert_string_equal(evs[i].kv.key, "/r/a");
        assert_int_equal(evs[i].kv.mod_rev, (int64_t)i + 1);
    }
    /* create */
    assert_int_equal(evs[0].type, STORE_EVENT_PUT);
    assert_int_equal(evs[0].kv.create_rev, 1);
    assert_memory_equal(evs[0].kv.value, "a1", 2);
    assert_null(evs[0].prev.key);
    /* update */
    assert_int_equal(evs[1].type, STORE_EVENT_PUT);
    assert_int_equal(evs[1].kv.create_rev, 1);
    assert_memory_equal(evs[1].kv.value, "a2", 2);
    assert_string_equal(evs[1].prev.key, "/r/a");
    assert_memory_equal(evs[1].prev.value, "a1", 2);
    assert_int_equal(evs[1].prev.mod_rev, 1);
    /* delete: kv carries the value before deletion */
    assert_int_equal(evs[2].type, STORE_EVENT_DELETE);
    assert_int_equal(evs[2].kv.len, 2);
    assert_memory_equal(evs[2].kv.value, "a2", 2);
    assert_int_equal(evs[2].kv.create_rev, 1);
    assert_memory_equal(evs[2].prev.value, "a2", 2);
    assert_int_equal(evs[2].prev.mod_rev, 2);
    /* re-create */
    assert_int_equal(evs[3].type, STORE_EVENT_PUT);
    assert_int_equal(evs[3].kv.create_rev, 4);
    assert_null(evs[3].prev.key);
    store_events_free(evs, n);

    assert_int_equal(store_events_since(s, 1, 2, &evs, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(evs[0].rev, 2);
    assert_int_equal(evs[1].rev, 3);
    store_events_free(evs, n);

    assert_int_equal(store_events_since(s, 4, 0, &evs, &n), 0);
    assert_int_equal(n, 0);
    store_events_free(evs, n);
}

/* Sink recorder: revisions and types in call order. */
struct recorder {
    pthread_mutex_t mu;
    int64_t revs[4096];
    int types[4096];
    char keys[4096][48];
    size_t n;
};

static void record_sink(void *arg, const struct store_event *ev)
{
    struct recorder *r = arg;
    pthread_mutex_lock(&r->mu);
    if (r->n < 4096) {
        r->revs[r->n] = ev->rev;
        r->types[r->n] = ev->type;
        snprintf(r->keys[r->n], sizeof(r->keys[0]), "%s", ev->kv.key);
        r->n++;
    }
    pthread_mutex_unlock(&r->mu);
}

struct writer_arg {
    struct store *s;
    int id;
    int n;
};

static void *writer_main(void *p)
{
    struct writer_arg *w = p;
    for (int i = 0; i < w->n; i++) {
        char key[48];
        int64_t rev = 0;
        snprintf(key, sizeof(key), "/t/w%d/k%03d", w->id, i);
        if (store_create(w->s, key, "{}", 2, &rev) != 0)
            return (void *)1;
        if (store_update(w->s, key, "{\"u\":1}", 7, rev, &rev) != 0)
            return (void *)1;
        /* read-your-writes (reads use another connection) */
        struct store_kv kv = {0};
        if (store_get(w->s, key, &kv) != 0)
            return (void *)2;
        int ok = kv.mod_rev == rev && kv.len == 7;
        store_kv_release(&kv);
        if (!ok)
            return (void *)3;
    }
    return NULL;
}

struct reader_arg {
    struct store *s;
    atomic_int stop;
    long lists;
    int failed;     /* 0 or the first failing check */
};

/* Lists while writers write and a compactor compacts: every list succeeds and is a sorted
 * snapshot no newer than its revision. */
static void *reader_main(void *p)
{
    struct reader_arg *r = p;
    while (!atomic_load(&r->stop)) {
        struct store_list l = {0};
        int err = store_list(r->s, "/t/", NULL, 0, 0, &l);
        if (err != 0) {
            r->failed = 100 - err;
            return NULL;
        }
        for (size_t i = 0; i < l.n; i++) {
            if (l.items[i].mod_rev > l.rev || l.items[i].create_rev > l.items[i].mod_rev)
                r->failed = 1;
            if (i > 0 && strcmp(l.items[i - 1].key, l.items[i].key) >= 0)
                r->failed = 2;
        }
        store_list_release(&l);
        r->lists++;
        if (r->failed)
            return NULL;
    }
    return NULL;
}

static void test_concurrent_read_write_compact(void **state)
{
    struct test_plain_store *f = *state;
    pthread_t wt[2], rt;
    struct writer_arg wa[2];
    struct reader_arg ra = {.s = f->s};
    pthread_create(&rt, NULL, reader_main, &ra);
    for (int i = 0; i < 2; i++) {
        wa[i] = (struct writer_arg){.s = f->s, .id = i, .n = 60};
        pthread_create(&wt[i], NULL, writer_main, &wa[i]);
    }
    /* compact repeatedly at the current revision while everything runs */
    for (int i = 0; i < 20; i++) {
        assert_int_equal(store_compact(f->s, store_current_rev(f->s)), 0);
        usleep(2000);
    }
    for (int i = 0; i < 2; i++) {
        void *res = NULL;
        pthread_join(wt[i], &res);
        assert_null(res);
    }
    atomic_store(&ra.stop, 1);
    pthread_join(rt, NULL);
    assert_int_equal(ra.failed, 0);
    assert_true(ra.lists > 0);
    assert_int_equal(store_current_rev(f->s), 2 * 60 * 2);
    struct store_list l = {0};
    assert_int_equal(store_list(f->s, "/t/", NULL, 0, 0, &l), 0);
    assert_int_equal(l.n, 120);
    for (size_t i = 0; i < l.n; i++)
        assert_memory_equal(l.items[i].value, "{\"u\":1}", 7);
    store_list_release(&l);
}

/* A list at a revision the object cache already has while the writer delivers it (the cache
 * hands out continue tokens at its revision): the batch is committed, so the list reads it,
 * although the published revision is still the previous one. */
struct list_in_sink {
    struct store *s;
    int rc;
    size_t n;
    int64_t rev, published;
};

static void list_in_sink(void *arg, const struct store_event *ev)
{
    struct list_in_sink *a = arg;
    struct store_list l;
    a->published = store_current_rev(a->s);
    a->rc = store_list(a->s, "/d/", NULL, ev->rev, 0, &l);
    if (a->rc == 0) {
        a->n = l.n;
        a->rev = l.rev;
        store_list_release(&l);
    }
}

static void test_list_at_delivered_rev(void **state)
{
    struct test_plain_store *f = *state;
    create_str(f->s, "/d/a", "1");
    struct list_in_sink a = {.s = f->s, .rc = -1};
    f->s->ops->set_sink(f->s, list_in_sink, &a);
    create_str(f->s, "/d/b", "2");
    f->s->ops->set_sink(f->s, NULL, NULL);
    assert_int_equal(a.published, 1); /* the sink ran before the revision was published */
    assert_int_equal(a.rc, 0);
    assert_int_equal(a.n, 2);
    assert_int_equal(a.rev, 2);
    /* a revision not committed at all is still "too large" */
    struct store_list l;
    assert_int_equal(store_list(f->s, "/d/", NULL, 3, 0, &l), AZ_ETIMEOUT);
}

static void test_sink_order(void **state)
{
    struct test_plain_store *f = *state;
    struct recorder *r = calloc(1, sizeof(*r));
    pthread_mutex_init(&r->mu, NULL);
    f->s->ops->set_sink(f->s, record_sink, r);

    int64_t rev = 0;
    create_str(f->s, "/r/a", "1");
    assert_int_equal(store_update(f->s, "/r/a", "2", 1, 0, &rev), 0);
    assert_int_equal(store_delete(f->s, "/r/a", 0, &rev, NULL), 0);
    /* failed writes produce no event */
    assert_int_equal(store_update(f->s, "/r/a", "2", 1, 0, &rev), AZ_ENOTFOUND);
    assert_int_equal(r->n, 3);
    assert_int_equal(r->types[0], STORE_EVENT_PUT);
    assert_int_equal(r->types[2], STORE_EVENT_DELETE);

    /* three threads writing concurrently: every revision once, in order */
    pthread_t th[3];
    struct writer_arg wa[3];
    for (int i = 0; i < 3; i++) {
        wa[i] = (struct writer_arg){.s = f->s, .id = i, .n = 40};
        pthread_create(&th[i], NULL, writer_main, &wa[i]);
    }
    for (int i = 0; i < 3; i++) {
        void *res = NULL;
        pthread_join(th[i], &res);
        assert_null(res);
    }
    assert_int_equal(store_current_rev(f->s), 3 + 3 * 40 * 2);
    assert_int_equal(r->n, 3 + 3 * 40 * 2);
    for (size_t i = 0; i < r->n; i++)
        assert_int_equal(r->revs[i], (int64_t)i + 1);

    /* the sink's view agrees with the log */
    struct store_event *evs = NULL;
    size_t n = 0;
    assert_int_equal(store_events_since(f->s, 0, 0, &evs, &n), 0);
    assert_int_equal(n, r->n);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(evs[i].type, r->types[i]);
        assert_string_equal(evs[i].kv.key, r->keys[i]);
    }
    store_events_free(evs, n);

    f->s->ops->set_sink(f->s, NULL, NULL);
    create_str(f->s, "/r/after", "x");
    assert_int_equal(r->n, 3 + 3 * 40 * 2);
    pthread_mutex_destroy(&r->mu);
    free(r);
}

struct crash_writer {
    struct store *s;
    int id;
    int fd; /* acknowledged keys, one line each (a write of < PIPE_BUF bytes is atomic) */
};

static void *crash_writer_main(void *arg)
{
    struct crash_writer *w = arg;
    for (int i = 0; i < 100000; i++) {
        char key[64], line[72];
        int64_t rev = 0;
        snprintf(key, sizeof(key), "/registry/pods/crash/w%02d-%06d", w->id, i);
        if (store_create(w->s, key, "{\"kind\":\"Pod\"}", 14, &rev) != 0)
            _exit(3);
        int n = snprintf(line, sizeof(line), "%s\n", key);
        if (write(w->fd, line, (size_t)n) != n)
            _exit(4);
    }
    return NULL;
}

/* Child: nwriters threads create keys until killed, writing each acknowledged key to fd. */
static void crash_child(const char *path, int fd, int nwriters)
{
    struct store *s = NULL;
    if (store_sqlite_open(path, &s, NULL) != 0)
        _exit(2);
    struct crash_writer w[16];
    pthread_t th[16];
    for (int i = 0; i < nwriters && i < 16; i++) {
        w[i] = (struct crash_writer){.s = s, .id = i, .fd = fd};
        if (pthread_create(&th[i], NULL, crash_writer_main, &w[i]) != 0)
            _exit(5);
    }
    for (int i = 0; i < nwriters && i < 16; i++)
        pthread_join(th[i], NULL);
    _exit(0);
}

/* kill -9 of a process whose nwriters threads create keys (their writes share commits): every
 * acknowledged create is there after reopening, and revisions stay dense. */
static void run_crash(struct test_plain_store *f, int nwriters, int kill_after)
{
    create_str(f->s, "/registry/pods/crash/before", "{}");
    store_close(f->s); /* no thread of the store runs when forking */
    f->s = NULL;

    int fds[2];
    assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        crash_child(f->ts.path, fds[1], nwriters);
    }
    close(fds[1]);
    char *buf = test_store_acks_until_kill(fds[0], pid, kill_after);
    assert_non_null(buf);

    f->s = open_store(f->ts.path);
    size_t checked = 0;
    for (char *line = buf, *nl; (nl = strchr(line, '\n')) != NULL; line = nl + 1) {
        *nl = '\0';
        struct store_kv kv = {0};
        assert_int_equal(store_get(f->s, line, &kv), 0);
        assert_memory_equal(kv.value, "{\"kind\":\"Pod\"}", 14);
        store_kv_release(&kv);
        checked++;
    }
    free(buf);
    assert_true(checked >= (size_t)kill_after);
    /* revisions stay dense: the key before, every acknowledged create, and at most one more
     * per writer (committed before its ack reached the pipe) */
    int64_t cur = store_current_rev(f->s);
    assert_true(cur >= (int64_t)checked + 1 && cur <= (int64_t)checked + 1 + nwriters);
    struct store_list l = {0};
    assert_int_equal(store_list(f->s, "/registry/pods/crash/", NULL, 0, 0, &l), 0);
    assert_int_equal((int64_t)l.n, cur);
    store_list_release(&l);
}

static void test_crash_durability(void **state)
{
    run_crash(*state, 1, 60);
}

static void test_crash_many_writers(void **state)
{
    run_crash(*state, 16, 400);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create_get, setup, test_plain_store_teardown),
        cmocka_unit_test_setup_teardown(test_update_cas, setup, test_plain_store_teardown),
        cmocka_unit_test_setup_teardown(test_delete_cas, setup, test_plain_store_teardown),
        cmocka_unit_test_setup_teardown(test_list_prefix_pagination, setup, test_plain_store_teardown),
        cmocka_unit_test_setup_teardown(test_list_historical, setup, test_plain_store_teardown),
        cmocka_unit_test_setup_teardown(test_restart_persistence, setup, test_plain_store_teardown),
        cmocka_unit_test_setup_teardown(test_compact, setup, test_plain_store_teardown),
        cmocka_unit_test_setup_teardown(test_compact_current_tombstone_restart, setup, test_plain_store_teardown),
        cmocka_unit_test_setup_teardown(test_events_since, setup, test_plain_store_teardown),
        cmocka_unit_test_setup_teardown(test_sink_order, setup, test_plain_store_teardown),
        cmocka_unit_test_setup_teardown(test_list_at_delivered_rev, setup, test_plain_store_teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_read_write_compact, setup, test_plain_store_teardown),
        cmocka_unit_test_setup_teardown(test_crash_durability, setup, test_plain_store_teardown),
        cmocka_unit_test_setup_teardown(test_crash_many_writers, setup, test_plain_store_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
