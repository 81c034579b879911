/* test_store.h — a real SQLite store (optionally behind the failing wrapper, store/faulty.h)
 * and watch cache in a fresh temporary directory, for unit tests that go through the REST
 * layer or the store itself, and the one cmocka fixture of the REST-layer tests
 * (struct test_apiserver). Header-only (static inline functions). The functions that
 * return int return 0 or -1 (a fixture's setup fails with it). */
#ifndef ANZEN_TEST_STORE_H
#define ANZEN_TEST_STORE_H

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "registry/apiserver.h"
#include "registry/rest.h"
#include "store/faulty.h"
#include "store/store.h"
#include "store/watchcache.h"

struct test_store {
    char dir[64];   /* the temporary directory */
    char path[128]; /* dir/state.db */
};

/* Creates a new directory under /tmp named after tag; sets ts->dir and ts->path. */
static inline int test_store_mkdir(struct test_store *ts, const char *tag)
{
    snprintf(ts->dir, sizeof(ts->dir), "/tmp/anzen-%s-XXXXXX", tag);
    if (mkdtemp(ts->dir) == NULL)
        return -1;
    snprintf(ts->path, sizeof(ts->path), "%s/state.db", ts->dir);
    return 0;
}

/* Removes ts->dir and the files in it. */
static inline void test_store_rmdir(struct test_store *ts)
{
    DIR *d = opendir(ts->dir);
    if (d != NULL) {
        struct dirent *de;
        while ((de = readdir(d)) != NULL) {
            if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                continue;
            char p[512];
            snprintf(p, sizeof(p), "%s/%s", ts->dir, de->d_name);
            unlink(p);
        }
        closedir(d);
    }
    rmdir(ts->dir);
}

/* A new directory named after tag and the SQLite store in it (no watch cache); a failure to
 * open the store is printed on stderr. */
static inline int test_store_open_plain(struct test_store *ts, struct store **ret, const char *tag)
{
    if (test_store_mkdir(ts, tag) != 0)
        return -1;
    char *msg = NULL;
    if (store_sqlite_open(ts->path, ret, &msg) != 0) {
        fprintf(stderr, "open %s: %s\n", ts->path, msg != NULL ? msg : "?");
        free(msg);
        return -1;
    }
    return 0;
}

/* Opens srv->store and srv->wc in a new directory under /tmp named after tag. */
static inline int test_store_open(struct test_store *ts, struct apiserver *srv, const char *tag)
{
    if (test_store_open_plain(ts, &srv->store, tag) != 0)
        return -1;
    srv->wc = watchcache_new_attrs(srv->store, 10000, rest_cache_attrs);
    return 0;
}

/* Like test_store_open, with srv->store the failing wrapper over SQLite (store_faulty_arm). */
static inline int test_store_open_faulty(struct test_store *ts, struct apiserver *srv, const char *tag)
{
    struct store *inner = NULL;
    if (test_store_open_plain(ts, &inner, tag) != 0)
        return -1;
    srv->store = store_faulty_wrap(inner);
    srv->wc = watchcache_new_attrs(srv->store, 10000, rest_cache_attrs);
    return 0;
}

/* An apiserver.defer that drops the work: no controllers run in unit tests of the REST layer. */
static inline void test_store_no_defer(struct apiserver *srv, void (*fn)(void *), void *arg)
{
    (void)srv;
    (void)fn;
    (void)arg;
}

/* Closes what test_store_open(_faulty) opened and removes the directory. */
static inline void test_store_close(struct test_store *ts, struct apiserver *srv)
{
    watchcache_free(srv->wc);
    store_close(srv->store);
    test_store_rmdir(ts);
}

/* The fixture of the unit tests of the store itself: a SQLite store (no watch cache) in a fresh
 * directory. */
struct test_plain_store {
    struct test_store ts;
    struct store *s;
};

/* cmocka set-up: a new test_plain_store in *state, its directory named after tag. */
static inline int test_plain_store_setup(void **state, const char *tag)
{
    struct test_plain_store *f = calloc(1, sizeof(*f));
    if (f == NULL)
        return -1;
    if (test_store_open_plain(&f->ts, &f->s, tag) != 0) {
        test_store_rmdir(&f->ts);
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

/* cmocka teardown of test_plain_store_setup: closes the store (if the test left one open),
 * removes the directory, frees. */
static inline int test_plain_store_teardown(void **state)
{
    struct test_plain_store *f = *state;
    if (f->s != NULL)
        store_close(f->s);
    test_store_rmdir(&f->ts);
    free(f);
    return 0;
}

/* The fixture of the unit tests that call the REST layer (rest_create & co.): a store and
 * watch cache in a fresh directory with an apiserver over them, whose defer drops the work
 * (test_store_no_defer). A test's own set-up adds what differs (admission chain, seeds). */
struct test_apiserver {
    struct test_store ts;
    struct apiserver srv;
};

/* cmocka set-up: a new test_apiserver in *state, its directory named after tag, its store the
 * failing wrapper over SQLite (store_faulty_arm) when faulty. */
static inline int test_apiserver_setup(void **state, const char *tag, bool faulty)
{
    struct test_apiserver *f = calloc(1, sizeof(*f));
    if (f == NULL)
        return -1;
    if ((faulty ? test_store_open_faulty(&f->ts, &f->srv, tag) : test_store_open(&f->ts, &f->srv, tag)) != 0) {
        test_store_rmdir(&f->ts);
        free(f);
        return -1;
    }
    f->srv.defer = test_store_no_defer;
    *state = f;
    return 0;
}

/* cmocka teardown of test_apiserver_setup: closes the store, removes the directory, frees. */
static inline int test_apiserver_teardown(void **state)
{
    struct test_apiserver *f = *state;
    test_store_close(&f->ts, &f->srv);
    free(f);
    return 0;
}

/* For kill -9 tests: reads the lines (acknowledged keys) child pid writes to fd until EOF,
 * sends it SIGKILL once kill_after lines have arrived, closes fd and reaps the child.
 * Returns the malloc'd NUL-terminated text, or NULL if the child did not die of that
 * SIGKILL or wrote more than 16 MB. */
static inline char *test_store_acks_until_kill(int fd, pid_t pid, int kill_after)
{
    size_t cap = 16u << 20, len = 0;
    char *buf = malloc(cap);
    int lines = 0, killed = 0, status = 0;
    for (;;) {
        ssize_t r = read(fd, buf + len, cap - len - 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        for (ssize_t i = 0; i < r; i++)
            if (buf[len + (size_t)i] == '\n')
                lines++;
        len += (size_t)r;
        if (!killed && lines >= kill_after) {
            kill(pid, SIGKILL);
            killed = 1;
        }
        if (len >= cap - 1)
            break;
    }
    buf[len] = '\0';
    close(fd);
    if (!killed)
        kill(pid, SIGKILL);
    if (waitpid(pid, &status, 0) != pid || !WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL ||
        len >= cap - 1) {
        free(buf);
        return NULL;
    }
    return buf;
}

#endif
