/* test_store.h — a real SQLite store and watch cache in a fresh temporary directory for unit
 * tests that go through the REST layer. Header-only (static functions): include it from one
 * test program. */
#ifndef ANZEN_TEST_STORE_H
#define ANZEN_TEST_STORE_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "registry/apiserver.h"
#include "store/store.h"
#include "store/watchcache.h"

struct test_store {
    char dir[64];
    char path[128];
};

/* Opens srv->store and srv->wc in a new directory under /tmp named after tag. 0 or -1. */
static int test_store_open(struct test_store *ts, struct apiserver *srv, const char *tag)
{
    snprintf(ts->dir, sizeof(ts->dir), "/tmp/anzen-%s-XXXXXX", tag);
    if (mkdtemp(ts->dir) == NULL)
        return -1;
    snprintf(ts->path, sizeof(ts->path), "%s/state.db", ts->dir);
    if (store_sqlite_open(ts->path, &srv->store, NULL) != 0)
        return -1;
    srv->wc = watchcache_new(srv->store, 10000);
    return 0;
}

/* Closes what test_store_open opened and removes the directory. */
static void test_store_close(struct test_store *ts, struct apiserver *srv)
{
    watchcache_free(srv->wc);
    store_close(srv->store);
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

#endif
