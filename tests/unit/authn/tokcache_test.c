/* tokcache_test.c — authn/tokcache.c: hits need the whole key (prefix and token) equal, an
 * entry stops matching at its until and when an object it depends on is invalidated, inserts
 * replace the same key, full shards are swept; and a hammer of lookups, inserts,
 * invalidations and clears from several threads (run under ThreadSanitizer by
 * `make test-tsan`) in which every hit is the entry of the token looked up. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "authn/tokcache.h"
#include "util/buf.h"

#define AUD "https://kubernetes.default.svc.cluster.local"
static const char prefix[] = AUD "\0"; /* one audience + NUL: sizeof - 1 bytes */
#define PLEN (sizeof(prefix) - 1)

/* A token-shaped string: 900 bytes ending in a tail that depends on i. */
static char *make_token(unsigned i)
{
    char *t = xmalloc(901);
    memset(t, 'a', 900);
    t[900] = '\0';
    char tail[32];
    int n = snprintf(tail, sizeof(tail), ".sig%08u", i);
    memcpy(t + 900 - n, tail, (size_t)n);
    return t;
}

static struct tokcache_entry *put(struct tokcache *c, const char *tok, const char *user, int64_t until,
                                  const char *dep)
{
    size_t tl = strlen(tok);
    uint64_t h = tokcache_hash(c, prefix, PLEN, tok, tl);
    struct tokcache_entry *e = tokcache_entry_new(h, prefix, PLEN, tok, tl);
    e->user.name = xstrdup(user);
    e->until_ms = until;
    if (dep != NULL)
        assert_int_equal(tokcache_entry_add_dep(c, e, dep, strlen(dep)), 0);
    tokcache_insert(c, tokcache_entry_ref(e), 0);
    return e;
}

static struct tokcache_entry *get(struct tokcache *c, const char *pfx, size_t plen, const char *tok, int64_t now)
{
    size_t tl = strlen(tok);
    return tokcache_lookup(c, tokcache_hash(c, pfx, plen, tok, tl), pfx, plen, tok, tl, now);
}

static void test_hit_needs_whole_key(void **state)
{
    struct tokcache *c = tokcache_new(0);
    char *t1 = make_token(1);
    struct tokcache_entry *e = put(c, t1, "alice", 1000, NULL);
    struct tokcache_entry *h = get(c, prefix, PLEN, t1, 10);
    assert_ptr_equal(h, e); /* the entry itself, not a copy */
    assert_string_equal(h->user.name, "alice");
    tokcache_entry_unref(h);
    /* same tail (same hash), different byte in the middle: a miss */
    t1[100] = 'b';
    assert_null(get(c, prefix, PLEN, t1, 10));
    t1[100] = 'a';
    /* another audience prefix */
    static const char other[] = "api\0";
    assert_null(get(c, other, sizeof(other) - 1, t1, 10));
    /* a prefix of the token */
    char *shorter = xstrndup(t1, 899);
    assert_null(get(c, prefix, PLEN, shorter, 10));
    free(shorter);
    assert_int_equal(tokcache_size(c), 1);
    tokcache_entry_unref(e);
    free(t1);
    tokcache_free(c);
}

static void test_until(void **state)
{
    struct tokcache *c = tokcache_new(0);
    char *t = make_token(2);
    tokcache_entry_unref(put(c, t, "bob", 500, NULL));
    struct tokcache_entry *h = get(c, prefix, PLEN, t, 499);
    assert_non_null(h);
    tokcache_entry_unref(h);
    assert_null(get(c, prefix, PLEN, t, 500));
    assert_int_equal(tokcache_size(c), 0); /* dropped on the way */
    free(t);
    tokcache_free(c);
}

static void test_invalidate_dependency(void **state)
{
    struct tokcache *c = tokcache_new(0);
    char *t1 = make_token(3), *t2 = make_token(4);
    tokcache_entry_unref(put(c, t1, "pod-bound", 1000, "/registry/pods/lab/web"));
    tokcache_entry_unref(put(c, t2, "other", 1000, "/registry/pods/lab/db"));
    struct tokcache_entry *h = get(c, prefix, PLEN, t1, 1);
    assert_non_null(h);
    tokcache_entry_unref(h);
    tokcache_invalidate(c, "/registry/pods/lab/web", strlen("/registry/pods/lab/web"));
    assert_null(get(c, prefix, PLEN, t1, 1));
    /* the other pod's token is untouched (unless the two keys share a slot: 1 in 16384) */
    h = get(c, prefix, PLEN, t2, 1);
    assert_non_null(h);
    assert_string_equal(h->user.name, "other");
    tokcache_entry_unref(h);
    /* a dependency read after the change is current again */
    tokcache_entry_unref(put(c, t1, "pod-bound", 1000, "/registry/pods/lab/web"));
    h = get(c, prefix, PLEN, t1, 1);
    assert_non_null(h);
    tokcache_entry_unref(h);
    free(t1);
    free(t2);
    tokcache_free(c);
}

static void test_replace_and_sweep(void **state)
{
    struct tokcache *c = tokcache_new(64); /* 4 per shard */
    char *t = make_token(5);
    tokcache_entry_unref(put(c, t, "first", 1000, NULL));
    tokcache_entry_unref(put(c, t, "second", 1000, NULL));
    assert_int_equal(tokcache_size(c), 1);
    struct tokcache_entry *h = get(c, prefix, PLEN, t, 1);
    assert_string_equal(h->user.name, "second");
    /* a held reference survives the entry's removal */
    tokcache_clear(c);
    assert_int_equal(tokcache_size(c), 0);
    assert_string_equal(h->user.name, "second");
    tokcache_entry_unref(h);
    free(t);
    for (unsigned i = 0; i < 1000; i++) {
        char *ti = make_token(100 + i);
        tokcache_entry_unref(put(c, ti, "many", 1000, NULL));
        free(ti);
    }
    assert_true(tokcache_size(c) <= 64);
    tokcache_free(c);
}

/* ---- several threads ---- */

#define NTOKENS 64
#define NTHREADS 4
#define ITERATIONS 20000

static struct tokcache *hammer_cache;
static char *hammer_tokens[NTOKENS];
static char hammer_deps[NTOKENS][48];
static int hammer_errors[NTHREADS];

static void *hammer(void *arg)
{
    int id = (int)(intptr_t)arg;
    unsigned seed = (unsigned)id * 7919u + 1;
    for (int i = 0; i < ITERATIONS; i++) {
        seed = seed * 1103515245u + 12345u;
        unsigned k = (seed >> 8) % NTOKENS, op = (seed >> 20) % 16;
        const char *tok = hammer_tokens[k];
        if (op < 11) {
            struct tokcache_entry *e = get(hammer_cache, prefix, PLEN, tok, 1);
            if (e != NULL) {
                char want[32];
                snprintf(want, sizeof(want), "user-%u", k);
                if (strcmp(e->user.name, want) != 0 || strcmp(e->key + e->prefix_len, tok) != 0)
                    hammer_errors[id]++;
                tokcache_entry_unref(e);
            }
        } else if (op < 14) {
            char name[32];
            snprintf(name, sizeof(name), "user-%u", k);
            tokcache_entry_unref(put(hammer_cache, tok, name, 1000, hammer_deps[k]));
        } else if (op < 15) {
            tokcache_invalidate(hammer_cache, hammer_deps[k], strlen(hammer_deps[k]));
        } else if (i % 997 == 0) {
            tokcache_clear(hammer_cache);
        }
    }
    return NULL;
}

static void test_threads(void **state)
{
    hammer_cache = tokcache_new(128); /* small: inserts also sweep */
    for (unsigned k = 0; k < NTOKENS; k++) {
        hammer_tokens[k] = make_token(k);
        snprintf(hammer_deps[k], sizeof(hammer_deps[k]), "/registry/pods/ns/pod-%u", k % 8);
    }
    pthread_t th[NTHREADS];
    for (int i = 0; i < NTHREADS; i++)
        assert_int_equal(pthread_create(&th[i], NULL, hammer, (void *)(intptr_t)i), 0);
    for (int i = 0; i < NTHREADS; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < NTHREADS; i++)
        assert_int_equal(hammer_errors[i], 0);
    /* still consistent afterwards: a fresh insert hits, an invalidation misses */
    tokcache_entry_unref(put(hammer_cache, hammer_tokens[0], "user-0", 1000, hammer_deps[0]));
    struct tokcache_entry *e = get(hammer_cache, prefix, PLEN, hammer_tokens[0], 1);
    assert_non_null(e);
    tokcache_entry_unref(e);
    tokcache_invalidate(hammer_cache, hammer_deps[0], strlen(hammer_deps[0]));
    assert_null(get(hammer_cache, prefix, PLEN, hammer_tokens[0], 1));
    for (unsigned k = 0; k < NTOKENS; k++)
        free(hammer_tokens[k]);
    tokcache_free(hammer_cache);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hit_needs_whole_key),
        cmocka_unit_test(test_until),
        cmocka_unit_test(test_invalidate_dependency),
        cmocka_unit_test(test_replace_and_sweep),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
