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
 * is durable when it is acknowledged.
 *
 * GROUP COMMIT. create/update/delete queue a request (on the caller's stack) and sleep. One
 * writer thread takes everything queued while its previous batch ran (at most SQ_BATCH_MAX
 * writes / SQ_BATCH_BYTES of values; a lone write goes alone at once, there is no timer) and
 * runs it as one BEGIN IMMEDIATE transaction on the write connection: each request is checked
 * (compare-and-swap against the newest row, which includes the batch's own earlier rows) and,
 * if it passes, appended with the next revision, in queue order; a request failing its check
 * fails alone. One COMMIT, one fsync. If any statement or the COMMIT fails, the transaction
 * is rolled back and every request of the batch gets the error. After the COMMIT the writer
 * delivers the batch's events to the sink in revision order, then publishes the new revision
 * (current_rev, lists at "now"), then wakes the callers: when a write returns, its event has
 * reached the sink and reads see it. Revisions are dense: the published revision is the only
 * source of ids and only the writer moves it.
 *
 * Reads use a second connection under its own mutex (not blocked by a commit's fsync); each
 * list/events_since is one read transaction that reads compact_rev from its own snapshot, so
 * a concurrent compaction is either invisible to it or detected. Compaction runs on the
 * caller's thread on the write connection, between batches. Statements are prepared once per
 * connection. The file must be owned by one process.
 *
 * LOCKS (a thread holding a lock may only take locks below it; the biglock comes first)
 *   biglock   util/biglock.h. Writers, compaction and close suspend it while they wait (for
 *             their batch, for wmu, for the writer to exit); the writer thread takes it only
 *             to deliver events, holding no other store lock at that moment.
 *   smu       sink, sink_arg; held by the writer across the sink calls of a batch.
 *   wmu       the write connection: a batch, or a compaction.
 *   rmu       the read connection.
 *   qmu       the queue, closing, each request's done flag (its cv waits on qmu).
 *   The revision and compaction revision are atomics: current_rev, get, list and
 *   events_since never wait for a commit, so a biglock holder calling them cannot deadlock
 *   against the writer. The sink runs with the biglock and smu held: it must not write to
 *   the store or set the sink (a read is fine).
 */
#include <limits.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "util/biglock.h"
#include "util/buf.h"
#include "util/err.h"

#define SQ_SCHEMA_VERSION 1
/* Longest key accepted. Kubernetes keys are well under 512 bytes. */
#define SQ_MAX_KEY 4096
/* Upper bound used when the prefix has no successor: no valid key contains byte 0xFF. */
#define SQ_KEY_TOP "\xff"
/* A batch holds at most this many writes and this many value bytes (a larger single write
 * still goes, alone). */
#define SQ_BATCH_MAX 256
#define SQ_BATCH_BYTES (4u << 20)

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

struct sq_req;

struct sqlite_store {
    struct store base;        /* must be first */
    pthread_mutex_t wmu;      /* guards w (the writer thread's batches, compaction) */
    pthread_mutex_t rmu;      /* guards r */
    pthread_mutex_t smu;      /* guards sink, sink_arg; held across sink calls */
    pthread_mutex_t qmu;      /* guards the queue, closing and every queued sq_req's done */
    pthread_cond_t qcv;       /* signalled when a write is queued or closing is set, and
                                 to close when the last caller has left */
    struct sq_conn w;         /* writes, compaction */
    struct sq_conn r;         /* get, list, events_since: not blocked by a write's fsync */
    _Atomic int64_t rev;      /* latest committed revision whose events reached the sink */
    _Atomic int64_t compact_rev; /* revision of the last compaction (0: never) */
    store_sink_fn sink;       /* event sink, or NULL */
    void *sink_arg;
    struct sq_req *qhead;     /* writes waiting for the next batch, FIFO */
    struct sq_req *qtail;
    int closing;              /* store_close has begun: no new writes queue */
    int callers;              /* threads in a write between queueing and leaving (qmu) */
    int writer_started;       /* writer is running (joined by close) */
    pthread_t writer;         /* the writer thread */
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

static int sq_query_int(sqlite3 *db, const char *sql, int64_t *ret);

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

/* Reads the revisions: compaction first, so that compact <= rev holds for the pair. */
static void sq_revs(struct sqlite_store *ss, int64_t *ret_rev, int64_t *ret_compact)
{
    *ret_compact = atomic_load(&ss->compact_rev);
    *ret_rev = atomic_load(&ss->rev);
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
    /* A revision newer than the published one may still be committed: the writer publishes a
     * batch's revision after delivering its events, and a list served from the object cache
     * in between hands out a continue token at a revision the database already has. The read
     * transaction's own newest row decides (below). */
    bool unpublished = rev > cur;

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
        int64_t newest = 0;
        if (err == 0 && unpublished && sq_query_int(ss->r.db, "SELECT MAX(id) FROM kv", &newest) != SQLITE_OK)
            err = AZ_EIO;
        /* not committed yet (kube: "Too large resource version", 504) */
        if (err == 0 && unpublished && rev > newest)
            err = AZ_ETIMEOUT;
        if (err == 0)
            err = sq_list_query(ss, which, lower, end, rev, limit, ret);
        sq_read_end(ss);
    }
    pthread_mutex_unlock(&ss->rmu);
    free(end);
    return err;
}

enum sq_op { SQ_OP_CREATE, SQ_OP_UPDATE, SQ_OP_DELETE };

/* One queued write. It lives on the stack of the calling thread, which sleeps on cv until
 * the writer thread sets done; the fields below done are the writer's answer. An
 * asynchronous create (async_done set) is malloc'd instead: the writer calls async_done
 * after the batch and frees it. */
struct sq_req {
    struct sq_req *next;     /* queue link (qmu) */
    store_write_done_fn async_done; /* create_async: the completion, or NULL (a sleeper) */
    void *async_arg;
    enum sq_op op;
    const char *key;         /* valid key, caller-owned until done */
    const char *value;       /* new value (create/update), caller-owned until done */
    size_t len;
    int64_t expected_rev;    /* update/delete CAS; 0: any */
    pthread_cond_t cv;       /* signalled (under qmu) when done is set */
    int done;                /* the writer has finished with this request (qmu) */
    int err;                 /* 0 or the AZ_* code */
    int applied;             /* inserted into the batch's transaction (writer only) */
    int64_t rev;             /* the write's revision when err == 0 */
    int64_t create_rev;      /* the key's create revision after the write */
    struct sq_row row;       /* the key's newest row before the write (value malloc'd) */
};

/* Checks a request against the key's newest row inside the batch's transaction (which sees
 * the batch's own earlier inserts) and, if it passes, appends its row with revision rev.
 * Returns 0 (applied), a CAS outcome in req->err with 0 returned (skipped alone), or a
 * negative SQLite-level error that fails the whole batch. */
static int sq_apply(struct sqlite_store *ss, struct sq_req *req, int64_t rev)
{
    int err = sq_read_row(&ss->w, req->key, &req->row);
    if (err != 0)
        return err;
    int live = req->row.found && !req->row.deleted;
    switch (req->op) {
    case SQ_OP_CREATE:
        if (live)
            req->err = AZ_EEXIST;
        break;
    case SQ_OP_UPDATE:
    case SQ_OP_DELETE:
        if (!live)
            req->err = AZ_ENOTFOUND;
        else if (req->expected_rev != 0 && req->expected_rev != req->row.id)
            req->err = AZ_ECONFLICT;
        break;
    }
    if (req->err != 0)
        return 0;

    req->create_rev = req->op == SQ_OP_CREATE ? rev : req->row.create_rev;
    sqlite3_stmt *st = ss->w.stmt[SQ_INSERT];
    sqlite3_bind_int64(st, 1, rev);
    sqlite3_bind_text(st, 2, req->key, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, req->op == SQ_OP_CREATE);
    sqlite3_bind_int(st, 4, req->op == SQ_OP_DELETE);
    sqlite3_bind_int64(st, 5, req->create_rev);
    sqlite3_bind_int64(st, 6, req->row.found ? req->row.id : 0);
    if (req->op == SQ_OP_DELETE)
        sqlite3_bind_null(st, 7);
    else
        sqlite3_bind_blob(st, 7, req->value, (int)req->len, SQLITE_STATIC);
    if (live)
        sqlite3_bind_blob(st, 8, req->row.value, (int)req->row.len, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 8);
    err = sq_exec_stmt(st);
    sqlite3_clear_bindings(st);
    if (err != 0)
        return err;
    req->rev = rev;
    req->applied = 1;
    return 0;
}

/* Runs a batch as one transaction on the write connection (wmu held): each request is
 * checked and applied in order; one COMMIT (one fsync of the WAL) makes them all durable.
 * Returns the number of applied writes, their revisions base+1 .. base+n; if anything fails
 * at the SQLite level (an insert, the COMMIT), nothing is applied and every request that
 * passed its check gets the error. */
static size_t sq_run_batch(struct sqlite_store *ss, struct sq_req *batch, int64_t base)
{
    int64_t next = base + 1;
    int err = sq_exec_stmt(ss->w.stmt[SQ_BEGIN]);
    for (struct sq_req *r = batch; r != NULL && err == 0; r = r->next) {
        err = sq_apply(ss, r, next);
        if (err == 0 && r->applied)
            next++;
    }
    if (err == 0 && next > base + 1)
        err = sq_exec_stmt(ss->w.stmt[SQ_COMMIT]);
    else if (err == 0)
        sq_exec_stmt(ss->w.stmt[SQ_ROLLBACK]); /* only CAS failures: nothing to commit */
    if (err == 0)
        return (size_t)(next - base - 1);
    /* a failed COMMIT may leave the transaction open (or SQLite rolled it back already) */
    sq_exec_stmt(ss->w.stmt[SQ_ROLLBACK]);
    for (struct sq_req *r = batch; r != NULL; r = r->next) {
        r->err = err;
        r->applied = 0;
        r->rev = 0;
    }
    return 0;
}

/* Passes the batch's applied writes to the sink, in revision order. Runs on the writer
 * thread with the biglock and smu held. */
static void sq_deliver(struct sqlite_store *ss, struct sq_req *batch)
{
    for (struct sq_req *r = batch; r != NULL && ss->sink != NULL; r = r->next) {
        if (!r->applied)
            continue;
        int live = r->row.found && !r->row.deleted;
        struct store_event ev = {.rev = r->rev};
        ev.type = r->op == SQ_OP_DELETE ? STORE_EVENT_DELETE : STORE_EVENT_PUT;
        ev.kv.key = (char *)r->key;
        ev.kv.create_rev = r->create_rev;
        ev.kv.mod_rev = r->rev;
        if (r->op == SQ_OP_DELETE) {
            ev.kv.value = r->row.value;
            ev.kv.len = r->row.len;
        } else {
            ev.kv.value = (char *)r->value;
            ev.kv.len = r->len;
        }
        if (live) {
            ev.prev.key = (char *)r->key;
            ev.prev.value = r->row.value;
            ev.prev.len = r->row.len;
            ev.prev.create_rev = r->row.create_rev;
            ev.prev.mod_rev = r->row.id;
        }
        ss->sink(ss->sink_arg, &ev);
    }
}

/* The writer thread: takes whatever queued while the previous batch ran (up to the caps),
 * commits it, delivers the events, publishes the revision and wakes the callers. Exits once
 * the store is closing and the queue is empty. */
static void *sq_writer_main(void *arg)
{
    struct sqlite_store *ss = arg;
    for (;;) {
        pthread_mutex_lock(&ss->qmu);
        while (ss->qhead == NULL && !ss->closing)
            pthread_cond_wait(&ss->qcv, &ss->qmu);
        if (ss->qhead == NULL) {
            pthread_mutex_unlock(&ss->qmu);
            break;
        }
        struct sq_req *batch = ss->qhead, *last = batch;
        size_t n = 1, bytes = batch->len;
        while (last->next != NULL && n < SQ_BATCH_MAX && bytes + last->next->len <= SQ_BATCH_BYTES) {
            last = last->next;
            n++;
            bytes += last->len;
        }
        ss->qhead = last->next;
        if (ss->qhead == NULL)
            ss->qtail = NULL;
        last->next = NULL;
        pthread_mutex_unlock(&ss->qmu);

        int64_t base = atomic_load(&ss->rev);
        pthread_mutex_lock(&ss->wmu);
        size_t applied = sq_run_batch(ss, batch, base);
        pthread_mutex_unlock(&ss->wmu);

        if (applied > 0) {
            /* the sink runs under the biglock (its state is shared with request threads);
             * no store lock that a biglock holder could wait for is held here but smu,
             * which set_sink takes without waiting for anything else */
            biglock_lock();
            pthread_mutex_lock(&ss->smu);
            sq_deliver(ss, batch);
            atomic_store(&ss->rev, base + (int64_t)applied);
            pthread_mutex_unlock(&ss->smu);
            biglock_unlock();
        }

        /* the asynchronous ones are the writer's own: kept aside, completed after the
         * sleepers are woken, outside qmu (a completion only queues work) */
        struct sq_req *async = NULL, **async_tail = &async;
        pthread_mutex_lock(&ss->qmu);
        for (struct sq_req *r = batch, *next; r != NULL; r = next) {
            next = r->next; /* r may be gone once done is seen */
            if (r->async_done != NULL) {
                r->next = NULL;
                *async_tail = r;
                async_tail = &r->next;
                continue;
            }
            r->done = 1;
            pthread_cond_signal(&r->cv);
        }
        pthread_mutex_unlock(&ss->qmu);
        for (struct sq_req *r = async, *next; r != NULL; r = next) {
            next = r->next;
            r->async_done(r->async_arg, r->err, r->err == 0 ? r->rev : 0);
            free(r->row.value);
            free(r);
        }
    }
    return NULL;
}

/* Appends req to the writer's queue and wakes the writer (qmu held, store not closing). */
static void sq_enqueue(struct sqlite_store *ss, struct sq_req *req)
{
    if (ss->qtail != NULL)
        ss->qtail->next = req;
    else
        ss->qhead = req;
    ss->qtail = req;
    pthread_cond_signal(&ss->qcv);
}

/* Queues a write for the writer thread and waits (biglock suspended) until its batch is
 * committed and delivered, or failed. ret_prev (delete only) receives the value before. */
static int sq_write(struct sqlite_store *ss, enum sq_op op, const char *key, const char *value,
                    size_t len, int64_t expected_rev, int64_t *ret_rev, struct store_kv *ret_prev)
{
    if (!sq_valid_key(key))
        return op == SQ_OP_CREATE ? AZ_EINVALID : AZ_ENOTFOUND;
    if (len > INT_MAX - 1)
        return AZ_ETOOLARGE;
    if (value == NULL)
        value = "";

    struct sq_req req = {.op = op, .key = key, .value = value, .len = op == SQ_OP_DELETE ? 0 : len,
                         .expected_rev = expected_rev};
    pthread_cond_init(&req.cv, NULL);
    int held = biglock_suspend();
    pthread_mutex_lock(&ss->qmu);
    if (ss->closing) {
        req.err = AZ_EUNAVAILABLE;
    } else {
        sq_enqueue(ss, &req);
        ss->callers++;
        while (!req.done)
            pthread_cond_wait(&req.cv, &ss->qmu);
        if (--ss->callers == 0 && ss->closing)
            pthread_cond_broadcast(&ss->qcv); /* close waits for the last caller to leave */
    }
    pthread_mutex_unlock(&ss->qmu);
    biglock_resume(held);
    pthread_cond_destroy(&req.cv);

    if (req.err == 0) {
        *ret_rev = req.rev;
        if (ret_prev != NULL) {
            ret_prev->key = sq_xmemdup(key, strlen(key));
            ret_prev->value = req.row.value;
            ret_prev->len = req.row.len;
            ret_prev->create_rev = req.row.create_rev;
            ret_prev->mod_rev = req.row.id;
            req.row.value = NULL;
        }
    }
    free(req.row.value);
    return req.err;
}

/* Queues a create for the writer thread and returns at once (1): the writer completes it
 * after its batch (store.h create_async). */
static int sq_create_async(struct store *s, const char *key, const char *value, size_t len,
                           store_write_done_fn done, void *arg)
{
    struct sqlite_store *ss = sq_of(s);
    if (!sq_valid_key(key))
        return AZ_EINVALID;
    if (len > INT_MAX - 1)
        return AZ_ETOOLARGE;
    struct sq_req *req = xcalloc(1, sizeof(*req));
    *req = (struct sq_req){.op = SQ_OP_CREATE, .key = key, .value = value ? value : "", .len = len,
                           .async_done = done, .async_arg = arg};
    pthread_mutex_lock(&ss->qmu);
    bool closing = ss->closing;
    if (!closing) {
        sq_enqueue(ss, req);
    }
    pthread_mutex_unlock(&ss->qmu);
    if (closing) {
        free(req);
        return AZ_EUNAVAILABLE;
    }
    return 1;
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
    return atomic_load(&sq_of(s)->rev);
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

/* Runs on the calling thread on the write connection, between batches (wmu; the biglock is
 * suspended while waiting for a batch to finish). */
static int sq_compact(struct store *s, int64_t rev)
{
    struct sqlite_store *ss = sq_of(s);
    int err = 0;

    int held = biglock_suspend();
    pthread_mutex_lock(&ss->wmu);
    int64_t compacted = atomic_load(&ss->compact_rev);
    if (rev > atomic_load(&ss->rev) || rev < 0) {
        err = AZ_EINVALID;
        goto out;
    }
    if (rev <= compacted)
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
        atomic_store(&ss->compact_rev, rev);
out:
    pthread_mutex_unlock(&ss->wmu);
    biglock_resume(held);
    return err;
}

/* Waits for a sink call in progress (smu) but never for the biglock: callable with it held. */
static void sq_set_sink(struct store *s, store_sink_fn fn, void *arg)
{
    struct sqlite_store *ss = sq_of(s);
    pthread_mutex_lock(&ss->smu);
    ss->sink = fn;
    ss->sink_arg = arg;
    pthread_mutex_unlock(&ss->smu);
}

static void sq_conn_close(struct sq_conn *c)
{
    for (int i = 0; i < SQ__COUNT; i++)
        sqlite3_finalize(c->stmt[i]);
    sqlite3_close(c->db);
    memset(c, 0, sizeof(*c));
}

/* Drains the queue (every write queued before close is committed or failed and answered;
 * one arriving after close began gets AZ_EUNAVAILABLE), stops the writer, waits until every
 * answered caller has left, then closes the connections. */
static void sq_close(struct store *s)
{
    struct sqlite_store *ss = sq_of(s);
    if (ss == NULL)
        return;
    if (ss->writer_started) {
        int held = biglock_suspend();
        pthread_mutex_lock(&ss->qmu);
        ss->closing = 1;
        pthread_cond_signal(&ss->qcv);
        pthread_mutex_unlock(&ss->qmu);
        pthread_join(ss->writer, NULL);
        pthread_mutex_lock(&ss->qmu);
        while (ss->callers > 0) /* woken, but still touching ss */
            pthread_cond_wait(&ss->qcv, &ss->qmu);
        pthread_mutex_unlock(&ss->qmu);
        biglock_resume(held);
    }
    sq_conn_close(&ss->r); /* the writer closes last: it checkpoints and removes the WAL */
    sq_conn_close(&ss->w);
    pthread_cond_destroy(&ss->qcv);
    pthread_mutex_destroy(&ss->qmu);
    pthread_mutex_destroy(&ss->smu);
    pthread_mutex_destroy(&ss->rmu);
    pthread_mutex_destroy(&ss->wmu);
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
    .create_async = sq_create_async,
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
        *ret_errmsg = c != NULL && c->db != NULL
                          ? xasprintf("sqlite store: %s: %s", what, sqlite3_errmsg(c->db))
                          : xasprintf("sqlite store: %s", what);
    }
    sq_close(&ss->base);
    return err;
}

#define SQ_SOFT_HEAP_LIMIT (8 * 1024 * 1024)

/* Opens a connection with the per-connection settings (WAL is a property of the file). */
static int sq_conn_open(const char *path, struct sq_conn *c, int query_only)
{
    /* Each connection may cache 16 MiB of pages, but past SQ_SOFT_HEAP_LIMIT of SQLite memory
     * in all (process-wide) the page caches recycle their least recently used pages instead
     * of growing: a burst of large writes (every version of a 20 KB object passes through
     * the writer's cache) otherwise leaves ~17 MB cached long after the load (issue 11). */
    sqlite3_soft_heap_limit64(SQ_SOFT_HEAP_LIMIT);
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
    pthread_mutex_init(&ss->wmu, NULL);
    pthread_mutex_init(&ss->rmu, NULL);
    pthread_mutex_init(&ss->smu, NULL);
    pthread_mutex_init(&ss->qmu, NULL);
    pthread_cond_init(&ss->qcv, NULL);
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

    int64_t max_id = 0, compacted = 0;
    rc = sq_query_int(w->db, "SELECT MAX(id) FROM kv", &max_id);
    if (rc == SQLITE_OK)
        rc = sq_query_int(w->db, "SELECT value FROM meta WHERE name = 'compact_rev'",
                          &compacted);
    if (rc != SQLITE_OK)
        return sq_fail(ss, w, ret_errmsg, sq_err(rc), "read revision");
    atomic_store(&ss->compact_rev, compacted);
    atomic_store(&ss->rev, max_id > compacted ? max_id : compacted);

    if (sq_conn_prepare(w) != SQLITE_OK)
        return sq_fail(ss, w, ret_errmsg, AZ_EIO, "prepare");
    rc = sq_conn_open(path, &ss->r, 1);
    if (rc == SQLITE_OK)
        rc = sq_conn_prepare(&ss->r);
    if (rc != SQLITE_OK)
        return sq_fail(ss, &ss->r, ret_errmsg, sq_err(rc), "open read connection");
    if (pthread_create(&ss->writer, NULL, sq_writer_main, ss) != 0)
        return sq_fail(ss, NULL, ret_errmsg, AZ_EIO, "start the writer thread");
    ss->writer_started = 1;
    *ret = &ss->base;
    return 0;
}
