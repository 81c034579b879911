/* sqlite.c — the embedded store backend (struct store_ops over one SQLite file).
 *
 * The database is a log: every committed create, update and delete appends one row whose
 * rowid is the new global revision (the same design as k3s's kine). Reading "the state at
 * revision R" means, for each key, taking its newest row with id <= R and skipping it if that
 * row is a deletion. The in-memory revision counter is the only source of new ids, so
 * revisions are dense: exactly one per committed write. See docs/internals/store.md.
 *
 * FORMAT DETAILS (PRAGMA user_version = 1)
 *
 *   table kv — one row per committed write
 *   | column          | type    | meaning                                                   |
 *   |-----------------|---------|-----------------------------------------------------------|
 *   | id              | INTEGER | PRIMARY KEY (rowid); the revision of this write           |
 *   | name            | TEXT    | the key, e.g. /registry/pods/lab/test (bytes, no 0xFF)    |
 *   | created         | INTEGER | 1 if this write created the key (create), else 0          |
 *   | deleted         | INTEGER | 1 if this write deleted the key (tombstone), else 0       |
 *   | create_revision | INTEGER | revision that created the key (== id when created = 1)    |
 *   | prev_revision   | INTEGER | id of the previous row of this key, 0 if none             |
 *   | value           | BLOB    | the new value; NULL on a tombstone                        |
 *   | old_value       | BLOB    | the value before this write (update, delete); else NULL   |
 *
 *   index kv_name_id (name, id, deleted) — get (newest row of a key); list walks it in key
 *       order over the key range and decides "newest row <= R and not a tombstone" from the
 *       index alone (a seek per row for "no newer row <= R"), so superseded history rows never
 *       touch the table; only returned rows are read. events_since and compact walk the rowid.
 *
 *   table meta (name TEXT PRIMARY KEY, value INTEGER) WITHOUT ROWID
 *   | name        | value                                                                  |
 *   |-------------|------------------------------------------------------------------------|
 *   | compact_rev | revision of the last compaction; lists/events below it are AZ_EGONE    |
 *
 *   On open, current revision = max(MAX(kv.id), compact_rev): compaction only removes rows
 *   at or below compact_rev, so the newest revision is never lost.
 *
 * Compaction at R deletes every row with id <= R that is not the newest row of its key as of
 * R, and every tombstone with id <= R. The state at any revision >= R is thus unchanged.
 *
 * Durability: WAL journal, synchronous=FULL (the WAL is fsync'd at each COMMIT), so a write
 * is durable when it is acknowledged. Each write is one BEGIN IMMEDIATE transaction holding
 * its compare-and-swap check, on the write connection, under the write mutex; the event sink
 * is called after COMMIT with that mutex still held, so sink calls are in revision order.
 * Reads use a second connection under its own mutex (not blocked by a commit's fsync); each
 * list/events_since is one read transaction that reads compact_rev from its own snapshot, so
 * a concurrent compaction is either invisible to it or detected. Statements are prepared once
 * per connection. The file must be owned by one process.
 */
#include <limits.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"

#define SQ_SCHEMA_VERSION 1
/* Longest key accepted. Kubernetes keys are well under 512 bytes. */
#define SQ_MAX_KEY 4096
/* Upper bound used when the prefix has no successor: no valid key contains byte 0xFF. */
#define SQ_KEY_TOP "\xff"

enum sq_stmt {
    SQ_BEGIN,
    SQ_COMMIT,
    SQ_ROLLBACK,
    SQ_GET,
    SQ_INSERT,
    SQ_LIST_GE,
    SQ_LIST_GT,
    SQ_EVENTS,
    SQ_COMPACT,
    SQ_META_SET,
    SQ_BEGIN_READ,
    SQ_META_COMPACT,
    SQ__COUNT
};

static const char *const sq_sql[SQ__COUNT] = {
    [SQ_BEGIN] = "BEGIN IMMEDIATE",
    [SQ_COMMIT] = "COMMIT",
    [SQ_ROLLBACK] = "ROLLBACK",
    [SQ_GET] = "SELECT id, deleted, create_revision, value FROM kv WHERE name = ?1 "
               "ORDER BY id DESC LIMIT 1",
    [SQ_INSERT] = "INSERT INTO kv (id, name, created, deleted, create_revision, prev_revision, "
                  "value, old_value) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    /* ?1 lower bound, ?2 exclusive upper bound, ?3 revision, ?4 limit (-1: none) */
    [SQ_LIST_GE] = "SELECT k.id, k.name, k.create_revision, k.value FROM kv AS k "
                   "WHERE k.name >= ?1 AND k.name < ?2 AND k.id <= ?3 AND k.deleted = 0 "
                   "AND NOT EXISTS (SELECT 1 FROM kv AS n WHERE n.name = k.name "
                   "AND n.id > k.id AND n.id <= ?3) ORDER BY k.name LIMIT ?4",
    [SQ_LIST_GT] = "SELECT k.id, k.name, k.create_revision, k.value FROM kv AS k "
                   "WHERE k.name > ?1 AND k.name < ?2 AND k.id <= ?3 AND k.deleted = 0 "
                   "AND NOT EXISTS (SELECT 1 FROM kv AS n WHERE n.name = k.name "
                   "AND n.id > k.id AND n.id <= ?3) ORDER BY k.name LIMIT ?4",
    [SQ_EVENTS] = "SELECT id, name, created, deleted, create_revision, prev_revision, value, "
                  "old_value FROM kv WHERE id > ?1 ORDER BY id LIMIT ?2",
    [SQ_COMPACT] = "DELETE FROM kv WHERE id <= ?1 AND (deleted = 1 OR id < (SELECT MAX(n.id) "
                   "FROM kv AS n WHERE n.name = kv.name AND n.id <= ?1))",
    [SQ_META_SET] = "INSERT INTO meta (name, value) VALUES (?1, ?2) "
                    "ON CONFLICT(name) DO UPDATE SET value = excluded.value",
    [SQ_BEGIN_READ] = "BEGIN",
    [SQ_META_COMPACT] = "SELECT value FROM meta WHERE name = 'compact_rev'",
};

static const char sq_schema[] =
    "CREATE TABLE IF NOT EXISTS kv ("
    " id INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL,"
    " created INTEGER NOT NULL,"
    " deleted INTEGER NOT NULL,"
    " create_revision INTEGER NOT NULL,"
    " prev_revision INTEGER NOT NULL,"
    " value BLOB,"
    " old_value BLOB);"
    "CREATE INDEX IF NOT EXISTS kv_name_id ON kv (name, id, deleted);"
    "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;";

/* A connection and its statements, prepared once at open. */
struct sq_conn {
    sqlite3 *db;
    sqlite3_stmt *stmt[SQ__COUNT];
};

struct sqlite_store {
    struct store base;   /* must be first */
    pthread_mutex_t mu;  /* guards w, rev, compact_rev, sink; held across sink calls */
    pthread_mutex_t rmu; /* guards r; never taken while holding mu */
    struct sq_conn w;    /* writes, compaction */
    struct sq_conn r;    /* get, list, events_since: not blocked by a write's fsync */
    int64_t rev;         /* latest committed revision */
    int64_t compact_rev; /* revision of the last compaction (0: never) */
    store_sink_fn sink;  /* event sink, or NULL */
    void *sink_arg;
};

/* The newest row of a key, as read inside a write transaction. */
struct sq_row {
    int found;          /* a row exists (possibly a tombstone) */
    int64_t id;
    int deleted;
    int64_t create_rev;
    char *value;        /* malloc'd copy, NUL-terminated */
    size_t len;
};

static void *sq_xmalloc(size_t n)
{
    void *p = xmalloc(n == 0 ? 1 : n);
    return p;
}

static char *sq_xmemdup(const void *src, size_t n)
{
    char *p = sq_xmalloc(n + 1);
    if (n > 0)
        memcpy(p, src, n);
    p[n] = '\0';
    return p;
}

static struct sqlite_store *sq_of(struct store *s)
{
    return (struct sqlite_store *)s;
}

static int sq_err(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return AZ_EUNAVAILABLE;
    case SQLITE_CONSTRAINT:
        return AZ_ECONFLICT;
    default:
        return AZ_EIO;
    }
}

static int sq_valid_key(const char *key)
{
    if (key == NULL || key[0] == '\0')
        return 0;
    size_t n = strnlen(key, SQ_MAX_KEY + 1);
    if (n > SQ_MAX_KEY)
        return 0;
    return memchr(key, 0xff, n) == NULL;
}

/* Runs a statement that returns no rows. */
static int sq_exec_stmt(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : sq_err(rc);
}

static char *sq_column_copy(sqlite3_stmt *st, int col, size_t *ret_len)
{
    const void *p = sqlite3_column_blob(st, col);
    size_t n = (size_t)sqlite3_column_bytes(st, col);
    *ret_len = n;
    return sq_xmemdup(p, n);
}

static int sq_read_row(struct sq_conn *c, const char *key, struct sq_row *ret)
{
    sqlite3_stmt *st = c->stmt[SQ_GET];
    memset(ret, 0, sizeof(*ret));
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    int err = 0;
    if (rc == SQLITE_ROW) {
        ret->found = 1;
        ret->id = sqlite3_column_int64(st, 0);
        ret->deleted = sqlite3_column_int(st, 1);
        ret->create_rev = sqlite3_column_int64(st, 2);
        ret->value = sq_column_copy(st, 3, &ret->len);
    } else if (rc != SQLITE_DONE) {
        err = sq_err(rc);
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return err;
}

static int sq_get(struct store *s, const char *key, struct store_kv *ret)
{
    struct sqlite_store *ss = sq_of(s);
    if (!sq_valid_key(key))
        return AZ_ENOTFOUND;
    pthread_mutex_lock(&ss->rmu);
    struct sq_row row;
    int err = sq_read_row(&ss->r, key, &row);
    pthread_mutex_unlock(&ss->rmu);
    if (err != 0)
        return err;
    if (!row.found || row.deleted) {
        free(row.value);
        return AZ_ENOTFOUND;
    }
    ret->key = sq_xmemdup(key, strlen(key));
    ret->value = row.value;
    ret->len = row.len;
    ret->create_rev = row.create_rev;
    ret->mod_rev = row.id;
    return 0;
}

/* The smallest string greater than every string starting with prefix (no 0xFF keys exist). */
static char *sq_prefix_end(const char *prefix)
{
    size_t n = strlen(prefix);
    while (n > 0 && (unsigned char)prefix[n - 1] == 0xff)
        n--;
    if (n == 0)
        return sq_xmemdup(SQ_KEY_TOP, 1);
    char *end = sq_xmemdup(prefix, n);
    end[n - 1] = (char)((unsigned char)end[n - 1] + 1);
    return end;
}

/* Starts a read transaction on the read connection (rmu held) and reads the compaction
 * revision of its snapshot. Everything read until sq_read_end comes from that snapshot, so a
 * compaction committed meanwhile cannot remove rows from under the read. */
static int sq_read_begin(struct sqlite_store *ss, int64_t *ret_compact)
{
    int err = sq_exec_stmt(ss->r.stmt[SQ_BEGIN_READ]);
    if (err != 0)
        return err;
    sqlite3_stmt *st = ss->r.stmt[SQ_META_COMPACT];
    int rc = sqlite3_step(st);
    *ret_compact = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        sq_exec_stmt(ss->r.stmt[SQ_ROLLBACK]);
        return sq_err(rc);
    }
    return 0;
}

static void sq_read_end(struct sqlite_store *ss)
{
    if (sq_exec_stmt(ss->r.stmt[SQ_COMMIT]) != 0)
        sq_exec_stmt(ss->r.stmt[SQ_ROLLBACK]);
}

/* Runs a list query on the read connection (rmu held, inside a read transaction). */
static int sq_list_query(struct sqlite_store *ss, enum sq_stmt which, const char *lower,
                         const char *end, int64_t rev, size_t limit, struct store_list *ret)
{
    struct store_kv *items = NULL;
    size_t n = 0, cap = 0;
    int more = 0, err = 0;

    sqlite3_stmt *st = ss->r.stmt[which];
    sqlite3_bind_text(st, 1, lower, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, end, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, rev);
    sqlite3_bind_int64(st, 4, limit == 0 || limit >= (size_t)INT64_MAX ? -1 : (int64_t)limit + 1);
    for (;;) {
        int rc = sqlite3_step(st);
        if (rc == SQLITE_DONE)
            break;
        if (rc != SQLITE_ROW) {
            err = sq_err(rc);
            break;
        }
        if (limit != 0 && n == limit) {
            more = 1;
            break;
        }
        if (n == cap) {
            cap = cap == 0 ? 16 : cap * 2;
            items = xrealloc(items, cap * sizeof(*items));
        }
        struct store_kv *kv = &items[n++];
        kv->mod_rev = sqlite3_column_int64(st, 0);
        kv->key = sq_xmemdup(sqlite3_column_text(st, 1), (size_t)sqlite3_column_bytes(st, 1));
        kv->create_rev = sqlite3_column_int64(st, 2);
        kv->value = sq_column_copy(st, 3, &kv->len);
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (err != 0) {
        struct store_list tmp = {.items = items, .n = n};
        store_list_release(&tmp);
        return err;
    }
    ret->items = items;
    ret->n = n;
    ret->rev = rev;
    ret->more = more;
    return 0;
}

/* Reads the revisions under the write lock. */
static void sq_revs(struct sqlite_store *ss, int64_t *ret_rev, int64_t *ret_compact)
{
    pthread_mutex_lock(&ss->mu);
    *ret_rev = ss->rev;
    *ret_compact = ss->compact_rev;
    pthread_mutex_unlock(&ss->mu);
}

/* Reads run on their own connection, outside the write lock, in a read transaction whose
 * snapshot also gives the compaction revision it must respect. */
static int sq_list(struct store *s, const char *prefix, const char *start_after, int64_t at_rev,
                   size_t limit, struct store_list *ret)
{
    struct sqlite_store *ss = sq_of(s);
    if (prefix == NULL)
        prefix = "";
    if (strnlen(prefix, SQ_MAX_KEY + 1) > SQ_MAX_KEY || at_rev < 0)
        return AZ_EINVALID;
    if (start_after != NULL && strnlen(start_after, SQ_MAX_KEY + 1) > SQ_MAX_KEY)
        return AZ_EINVALID;

    int64_t cur, compact;
    sq_revs(ss, &cur, &compact);
    int64_t rev = at_rev == 0 ? cur : at_rev;
    if (rev < compact)
        return AZ_EGONE;
    if (rev > cur) /* a revision not reached yet (kube: "Too large resource version", 504) */
        return AZ_ETIMEOUT;

    char *end = sq_prefix_end(prefix);
    const char *lower = prefix;
    enum sq_stmt which = SQ_LIST_GE;
    if (start_after != NULL && strcmp(start_after, prefix) >= 0) {
        lower = start_after;
        which = SQ_LIST_GT;
    }

    pthread_mutex_lock(&ss->rmu);
    int err = sq_read_begin(ss, &compact);
    if (err == 0) {
        if (rev < compact) {
            /* compacted since we read the revision; the snapshot holds every write up to
             * compact (all committed before the compaction), so "current" can read there */
            if (at_rev == 0)
                rev = compact;
            else
                err = AZ_EGONE;
        }
        if (err == 0)
            err = sq_list_query(ss, which, lower, end, rev, limit, ret);
        sq_read_end(ss);
    }
    pthread_mutex_unlock(&ss->rmu);
    free(end);
    return err;
}

enum sq_op { SQ_OP_CREATE, SQ_OP_UPDATE, SQ_OP_DELETE };

/* One write transaction: read the key's newest row, check, append a row, commit, then call
 * the sink. ret_prev (delete only) receives the value before the write. */
static int sq_write(struct sqlite_store *ss, enum sq_op op, const char *key, const char *value,
                    size_t len, int64_t expected_rev, int64_t *ret_rev, struct store_kv *ret_prev)
{
    if (!sq_valid_key(key))
        return op == SQ_OP_CREATE ? AZ_EINVALID : AZ_ENOTFOUND;
    if (len > INT_MAX - 1)
        return AZ_ETOOLARGE;
    if (value == NULL)
        value = "";

    struct sq_row row = {0};
    int err, in_tx = 0;
    int64_t rev = 0;

    pthread_mutex_lock(&ss->mu);
    err = sq_exec_stmt(ss->w.stmt[SQ_BEGIN]);
    if (err != 0)
        goto out;
    in_tx = 1;
    err = sq_read_row(&ss->w, key, &row);
    if (err != 0)
        goto out;
    int live = row.found && !row.deleted;
    switch (op) {
    case SQ_OP_CREATE:
        if (live)
            err = AZ_EEXIST;
        break;
    case SQ_OP_UPDATE:
    case SQ_OP_DELETE:
        if (!live)
            err = AZ_ENOTFOUND;
        else if (expected_rev != 0 && expected_rev != row.id)
            err = AZ_ECONFLICT;
        break;
    }
    if (err != 0)
        goto out;

    rev = ss->rev + 1;
    int64_t create_rev = op == SQ_OP_CREATE ? rev : row.create_rev;
    sqlite3_stmt *st = ss->w.stmt[SQ_INSERT];
    sqlite3_bind_int64(st, 1, rev);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, op == SQ_OP_CREATE);
    sqlite3_bind_int(st, 4, op == SQ_OP_DELETE);
    sqlite3_bind_int64(st, 5, create_rev);
    sqlite3_bind_int64(st, 6, row.found ? row.id : 0);
    if (op == SQ_OP_DELETE)
        sqlite3_bind_null(st, 7);
    else
        sqlite3_bind_blob(st, 7, value, (int)len, SQLITE_STATIC);
    if (live)
        sqlite3_bind_blob(st, 8, row.value, (int)row.len, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 8);
    err = sq_exec_stmt(st);
    sqlite3_clear_bindings(st);
    if (err != 0)
        goto out;
    err = sq_exec_stmt(ss->w.stmt[SQ_COMMIT]);
    if (err != 0)
        goto out;
    in_tx = 0;
    ss->rev = rev;

    if (ss->sink != NULL) {
        struct store_event ev = {.rev = rev};
        ev.type = op == SQ_OP_DELETE ? STORE_EVENT_DELETE : STORE_EVENT_PUT;
        ev.kv.key = (char *)key;
        ev.kv.create_rev = create_rev;
        ev.kv.mod_rev = rev;
        if (op == SQ_OP_DELETE) {
            ev.kv.value = row.value;
            ev.kv.len = row.len;
        } else {
            ev.kv.value = (char *)value;
            ev.kv.len = len;
        }
        if (live) {
            ev.prev.key = (char *)key;
            ev.prev.value = row.value;
            ev.prev.len = row.len;
            ev.prev.create_rev = row.create_rev;
            ev.prev.mod_rev = row.id;
        }
        ss->sink(ss->sink_arg, &ev);
    }

out:
    if (in_tx)
        sq_exec_stmt(ss->w.stmt[SQ_ROLLBACK]);
    pthread_mutex_unlock(&ss->mu);
    if (err == 0) {
        *ret_rev = rev;
        if (ret_prev != NULL) {
            ret_prev->key = sq_xmemdup(key, strlen(key));
            ret_prev->value = row.value;
            ret_prev->len = row.len;
            ret_prev->create_rev = row.create_rev;
            ret_prev->mod_rev = row.id;
            row.value = NULL;
        }
    }
    free(row.value);
    return err;
}

static int sq_create(struct store *s, const char *key, const char *value, size_t len,
                     int64_t *ret_rev)
{
    return sq_write(sq_of(s), SQ_OP_CREATE, key, value, len, 0, ret_rev, NULL);
}

static int sq_update(struct store *s, const char *key, const char *value, size_t len,
                     int64_t expected_rev, int64_t *ret_rev)
{
    return sq_write(sq_of(s), SQ_OP_UPDATE, key, value, len, expected_rev, ret_rev, NULL);
}

static int sq_del(struct store *s, const char *key, int64_t expected_rev, int64_t *ret_rev,
                  struct store_kv *ret_prev)
{
    return sq_write(sq_of(s), SQ_OP_DELETE, key, NULL, 0, expected_rev, ret_rev, ret_prev);
}

static int64_t sq_current_rev(struct store *s)
{
    struct sqlite_store *ss = sq_of(s);
    pthread_mutex_lock(&ss->mu);
    int64_t rev = ss->rev;
    pthread_mutex_unlock(&ss->mu);
    return rev;
}

/* Fills ev from a row of SQ_EVENTS. */
static void sq_row_to_event(sqlite3_stmt *st, struct store_event *ev)
{
    memset(ev, 0, sizeof(*ev));
    int64_t id = sqlite3_column_int64(st, 0);
    size_t klen = (size_t)sqlite3_column_bytes(st, 1);
    const unsigned char *key = sqlite3_column_text(st, 1);
    int created = sqlite3_column_int(st, 2);
    int deleted = sqlite3_column_int(st, 3);
    int64_t create_rev = sqlite3_column_int64(st, 4);
    int64_t prev_rev = sqlite3_column_int64(st, 5);

    ev->rev = id;
    ev->type = deleted ? STORE_EVENT_DELETE : STORE_EVENT_PUT;
    ev->kv.key = sq_xmemdup(key, klen);
    ev->kv.create_rev = create_rev;
    ev->kv.mod_rev = id;
    ev->kv.value = sq_column_copy(st, deleted ? 7 : 6, &ev->kv.len);
    if (!created) {
        ev->prev.key = sq_xmemdup(key, klen);
        ev->prev.value = sq_column_copy(st, 7, &ev->prev.len);
        ev->prev.create_rev = create_rev;
        ev->prev.mod_rev = prev_rev;
    }
}

static int sq_events_since(struct store *s, int64_t after_rev, size_t max,
                           struct store_event **ret, size_t *ret_n)
{
    struct sqlite_store *ss = sq_of(s);
    struct store_event *evs = NULL;
    size_t n = 0, cap = 0;
    int64_t cur, compact;

    if (after_rev < 0)
        after_rev = 0;
    sq_revs(ss, &cur, &compact);
    if (after_rev < compact)
        return AZ_EGONE;
    pthread_mutex_lock(&ss->rmu);
    int err = sq_read_begin(ss, &compact);
    if (err != 0) {
        pthread_mutex_unlock(&ss->rmu);
        return err;
    }
    if (after_rev < compact) {
        sq_read_end(ss);
        pthread_mutex_unlock(&ss->rmu);
        return AZ_EGONE;
    }
    sqlite3_stmt *st = ss->r.stmt[SQ_EVENTS];
    sqlite3_bind_int64(st, 1, after_rev);
    sqlite3_bind_int64(st, 2, max == 0 || max >= (size_t)INT64_MAX ? -1 : (int64_t)max);
    for (;;) {
        int rc = sqlite3_step(st);
        if (rc == SQLITE_DONE)
            break;
        if (rc != SQLITE_ROW) {
            err = sq_err(rc);
            break;
        }
        if (n == cap) {
            cap = cap == 0 ? 16 : cap * 2;
            evs = xrealloc(evs, cap * sizeof(*evs));
        }
        sq_row_to_event(st, &evs[n++]);
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    sq_read_end(ss);
    pthread_mutex_unlock(&ss->rmu);
    if (err != 0) {
        store_events_free(evs, n);
        return err;
    }
    *ret = evs;
    *ret_n = n;
    return 0;
}

static int sq_compact(struct store *s, int64_t rev)
{
    struct sqlite_store *ss = sq_of(s);
    int err = 0;

    pthread_mutex_lock(&ss->mu);
    if (rev > ss->rev || rev < 0) {
        err = AZ_EINVALID;
        goto out;
    }
    if (rev <= ss->compact_rev)
        goto out;
    err = sq_exec_stmt(ss->w.stmt[SQ_BEGIN]);
    if (err != 0)
        goto out;
    sqlite3_bind_int64(ss->w.stmt[SQ_COMPACT], 1, rev);
    err = sq_exec_stmt(ss->w.stmt[SQ_COMPACT]);
    if (err == 0) {
        sqlite3_stmt *st = ss->w.stmt[SQ_META_SET];
        sqlite3_bind_text(st, 1, "compact_rev", -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, rev);
        err = sq_exec_stmt(st);
    }
    if (err == 0)
        err = sq_exec_stmt(ss->w.stmt[SQ_COMMIT]);
    if (err != 0)
        sq_exec_stmt(ss->w.stmt[SQ_ROLLBACK]);
    else
        ss->compact_rev = rev;
out:
    pthread_mutex_unlock(&ss->mu);
    return err;
}

static void sq_set_sink(struct store *s, store_sink_fn fn, void *arg)
{
    struct sqlite_store *ss = sq_of(s);
    pthread_mutex_lock(&ss->mu);
    ss->sink = fn;
    ss->sink_arg = arg;
    pthread_mutex_unlock(&ss->mu);
}

static void sq_conn_close(struct sq_conn *c)
{
    for (int i = 0; i < SQ__COUNT; i++)
        sqlite3_finalize(c->stmt[i]);
    sqlite3_close(c->db);
    memset(c, 0, sizeof(*c));
}

static void sq_close(struct store *s)
{
    struct sqlite_store *ss = sq_of(s);
    if (ss == NULL)
        return;
    sq_conn_close(&ss->r); /* the writer closes last: it checkpoints and removes the WAL */
    sq_conn_close(&ss->w);
    pthread_mutex_destroy(&ss->rmu);
    pthread_mutex_destroy(&ss->mu);
    free(ss);
}

static const struct store_ops sq_ops = {
    .version = STORE_OPS_VERSION,
    .name = "sqlite",
    .get = sq_get,
    .list = sq_list,
    .create = sq_create,
    .update = sq_update,
    .del = sq_del,
    .current_rev = sq_current_rev,
    .events_since = sq_events_since,
    .compact = sq_compact,
    .set_sink = sq_set_sink,
    .close = sq_close,
};

/* Runs a query returning one integer (0 if no row or NULL). */
static int sq_query_int(sqlite3 *db, const char *sql, int64_t *ret)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    rc = sqlite3_step(st);
    int64_t v = 0;
    if (rc == SQLITE_ROW) {
        v = sqlite3_column_int64(st, 0);
        rc = SQLITE_OK;
    } else if (rc == SQLITE_DONE) {
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_OK)
        *ret = v;
    return rc;
}

/* Frees a half-built store and returns err, with "what: message of connection c" (c may be
 * NULL) in *ret_errmsg. */
static int sq_fail(struct sqlite_store *ss, struct sq_conn *c, char **ret_errmsg, int err,
                   const char *what)
{
    if (ret_errmsg != NULL) {
        int n = c != NULL && c->db != NULL
                    ? asprintf(ret_errmsg, "sqlite store: %s: %s", what, sqlite3_errmsg(c->db))
                    : asprintf(ret_errmsg, "sqlite store: %s", what);
        if (n < 0)
            *ret_errmsg = NULL;
    }
    sq_close(&ss->base);
    return err;
}

/* Opens a connection with the per-connection settings (WAL is a property of the file). */
static int sq_conn_open(const char *path, struct sq_conn *c, int query_only)
{
    int rc = sqlite3_open_v2(path, &c->db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                             NULL);
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_extended_result_codes(c->db, 1);
    sqlite3_busy_timeout(c->db, 5000);
    rc = sqlite3_exec(c->db,
                      "PRAGMA synchronous=FULL; PRAGMA temp_store=MEMORY;"
                      "PRAGMA cache_size=-16384;",
                      NULL, NULL, NULL);
    if (rc == SQLITE_OK && query_only)
        rc = sqlite3_exec(c->db, "PRAGMA query_only=1", NULL, NULL, NULL);
    return rc;
}

static int sq_conn_prepare(struct sq_conn *c)
{
    for (int i = 0; i < SQ__COUNT; i++) {
        int rc = sqlite3_prepare_v3(c->db, sq_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
                                    &c->stmt[i], NULL);
        if (rc != SQLITE_OK)
            return rc;
    }
    return SQLITE_OK;
}

static int sq_journal_is_wal(sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    int wal = 0;
    if (sqlite3_prepare_v2(db, "PRAGMA journal_mode=WAL", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
        const unsigned char *m = sqlite3_column_text(st, 0);
        wal = m != NULL && strcmp((const char *)m, "wal") == 0;
    }
    sqlite3_finalize(st);
    return wal;
}

int store_sqlite_open(const char *path, struct store **ret, char **ret_errmsg)
{
    struct sqlite_store *ss = xcalloc(1, sizeof(*ss));
    ss->base.ops = &sq_ops;
    pthread_mutex_init(&ss->mu, NULL);
    pthread_mutex_init(&ss->rmu, NULL);
    struct sq_conn *w = &ss->w;

    int rc = sq_conn_open(path, w, 0);
    if (rc != SQLITE_OK)
        return sq_fail(ss, w, ret_errmsg, AZ_EIO, "open");
    int64_t version = 0;
    rc = sq_query_int(w->db, "PRAGMA user_version", &version);
    if (rc != SQLITE_OK)
        return sq_fail(ss, w, ret_errmsg, sq_err(rc), "read schema version");
    if (version > SQ_SCHEMA_VERSION)
        return sq_fail(ss, NULL, ret_errmsg, AZ_EIO, "schema version newer than this program");
    if (!sq_journal_is_wal(w->db))
        return sq_fail(ss, w, ret_errmsg, AZ_EIO, "cannot use the WAL journal");

    if (version == 0) {
        rc = sqlite3_exec(w->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
        if (rc == SQLITE_OK)
            rc = sqlite3_exec(w->db, sq_schema, NULL, NULL, NULL);
        if (rc == SQLITE_OK)
            rc = sqlite3_exec(w->db, "PRAGMA user_version=1; COMMIT", NULL, NULL, NULL);
        if (rc != SQLITE_OK) /* closing the connection rolls the transaction back */
            return sq_fail(ss, w, ret_errmsg, sq_err(rc), "create schema");
    }

    int64_t max_id = 0;
    rc = sq_query_int(w->db, "SELECT MAX(id) FROM kv", &max_id);
    if (rc == SQLITE_OK)
        rc = sq_query_int(w->db, "SELECT value FROM meta WHERE name = 'compact_rev'",
                          &ss->compact_rev);
    if (rc != SQLITE_OK)
        return sq_fail(ss, w, ret_errmsg, sq_err(rc), "read revision");
    ss->rev = max_id > ss->compact_rev ? max_id : ss->compact_rev;

    if (sq_conn_prepare(w) != SQLITE_OK)
        return sq_fail(ss, w, ret_errmsg, AZ_EIO, "prepare");
    rc = sq_conn_open(path, &ss->r, 1);
    if (rc == SQLITE_OK)
        rc = sq_conn_prepare(&ss->r);
    if (rc != SQLITE_OK)
        return sq_fail(ss, &ss->r, ret_errmsg, sq_err(rc), "open read connection");
    *ret = &ss->base;
    return 0;
}
