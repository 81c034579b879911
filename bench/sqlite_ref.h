/* sqlite_ref.h — the durable-write reference of the benches: plain SQLite single-row commits
 * per second (WAL, synchronous=FULL: one fsync each, as anzen's store without group commit),
 * on a new file in a given directory, so the figure is for the same file system as the thing
 * measured beside it. Header-only (static), for store_bench and api_bench. */
#ifndef ANZEN_BENCH_SQLITE_REF_H
#define ANZEN_BENCH_SQLITE_REF_H

#include <sqlite3.h>
#include <stdio.h>
#include <time.h>

/* n single-row transactions of a len-byte value into path (created); commits/s, or 0 with a
 * message on stderr. */
static double sqlite_ref_commit_rate(const char *path, long n, const char *value, size_t len)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    double rate = 0;
    if (sqlite3_open(path, &db) != SQLITE_OK ||
        sqlite3_exec(db,
                     "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                     "CREATE TABLE kv (id INTEGER PRIMARY KEY, name TEXT NOT NULL, value BLOB);"
                     "CREATE INDEX kv_name ON kv (name, id);",
                     NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "INSERT INTO kv (name, value) VALUES (?1, ?2)", -1, &st, NULL) !=
            SQLITE_OK) {
        fprintf(stderr, "reference: %s\n", db != NULL ? sqlite3_errmsg(db) : "open failed");
        goto out;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (long i = 0; i < n; i++) {
        char key[64];
        snprintf(key, sizeof(key), "/registry/pods/ns%02ld/pod-%06ld", i % 10, i);
        sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
        sqlite3_bind_blob(st, 2, value, (int)len, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE) {
            fprintf(stderr, "reference: %s\n", sqlite3_errmsg(db));
            goto out;
        }
        sqlite3_reset(st);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    rate = secs > 0 ? (double)n / secs : 0;
out:
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rate;
}

#endif
