/* faulty.c — see faulty.h. Each call counts itself under the mutex and asks whether it is the
 * armed one; the inner store is called outside the lock. */
#include <pthread.h>
#include <stdlib.h>
#include "store/faulty.h"
#include "util/buf.h"

struct faulty {
    struct store base;    /* must be first: the struct store handed out */
    struct store *inner;  /* the wrapped backend, owned */
    pthread_mutex_t mu;   /* guards the fields below */
    unsigned ops;         /* operations the armed fault counts (0: none armed) */
    unsigned countdown;   /* calls among ops still to pass before the failing one */
    int err;              /* the code the failing call returns */
    bool sticky;          /* keep failing after the first injected fault */
    bool tripped;         /* a sticky fault has fired */
    unsigned calls[9];    /* calls per operation bit */
    unsigned injected;    /* faults returned */
};

static struct faulty *F(struct store *s)
{
    return (struct faulty *)s;
}

/* Counts a call of op; returns the error to inject, or 0 to pass it through. */
static int faulty_check(struct store *s, unsigned op)
{
    struct faulty *f = F(s);
    int rc = 0;
    pthread_mutex_lock(&f->mu);
    f->calls[__builtin_ctz(op)]++;
    if (f->ops & op) {
        if (f->tripped) {
            rc = f->err;
        } else if (--f->countdown == 0) {
            rc = f->err;
            if (f->sticky)
                f->tripped = true;
            else
                f->ops = 0;
        }
    }
    if (rc != 0)
        f->injected++;
    pthread_mutex_unlock(&f->mu);
    return rc;
}

static int faulty_get(struct store *s, const char *key, struct store_kv *ret)
{
    int rc = faulty_check(s, STORE_FAULTY_GET);
    return rc ? rc : store_get(F(s)->inner, key, ret);
}

static int faulty_list(struct store *s, const char *prefix, const char *start_after, int64_t at_rev,
                       size_t limit, struct store_list *ret)
{
    int rc = faulty_check(s, STORE_FAULTY_LIST);
    return rc ? rc : store_list(F(s)->inner, prefix, start_after, at_rev, limit, ret);
}

static int faulty_create(struct store *s, const char *key, const char *value, size_t len, int64_t *ret_rev)
{
    int rc = faulty_check(s, STORE_FAULTY_CREATE);
    return rc ? rc : store_create(F(s)->inner, key, value, len, ret_rev);
}

static int faulty_update(struct store *s, const char *key, const char *value, size_t len,
                         int64_t expected_rev, int64_t *ret_rev)
{
    int rc = faulty_check(s, STORE_FAULTY_UPDATE);
    return rc ? rc : store_update(F(s)->inner, key, value, len, expected_rev, ret_rev);
}

static int faulty_del(struct store *s, const char *key, int64_t expected_rev, int64_t *ret_rev,
                      struct store_kv *ret_prev)
{
    int rc = faulty_check(s, STORE_FAULTY_DELETE);
    return rc ? rc : store_delete(F(s)->inner, key, expected_rev, ret_rev, ret_prev);
}

static int64_t faulty_current_rev(struct store *s)
{
    return store_current_rev(F(s)->inner);
}

static int faulty_events_since(struct store *s, int64_t after_rev, size_t max, struct store_event **ret,
                               size_t *ret_n)
{
    int rc = faulty_check(s, STORE_FAULTY_EVENTS);
    return rc ? rc : store_events_since(F(s)->inner, after_rev, max, ret, ret_n);
}

static int faulty_compact(struct store *s, int64_t rev)
{
    int rc = faulty_check(s, STORE_FAULTY_COMPACT);
    return rc ? rc : store_compact(F(s)->inner, rev);
}

static void faulty_set_sink(struct store *s, store_sink_fn fn, void *arg)
{
    store_set_sink(F(s)->inner, fn, arg);
}

static void faulty_close(struct store *s)
{
    struct faulty *f = F(s);
    store_close(f->inner);
    pthread_mutex_destroy(&f->mu);
    free(f);
}

static int faulty_sync(struct store *s)
{
    int rc = faulty_check(s, STORE_FAULTY_SYNC);
    return rc ? rc : store_sync(F(s)->inner);
}

static int faulty_health(struct store *s, char **ret_reason)
{
    int rc = faulty_check(s, STORE_FAULTY_HEALTH);
    if (rc != 0) {
        if (ret_reason != NULL)
            *ret_reason = xstrdup("injected fault");
        return rc;
    }
    return store_health(F(s)->inner, ret_reason);
}

static const struct store_ops faulty_ops = {
    .version = STORE_OPS_VERSION,
    .name = "faulty",
    .get = faulty_get,
    .list = faulty_list,
    .create = faulty_create,
    .update = faulty_update,
    .del = faulty_del,
    .current_rev = faulty_current_rev,
    .events_since = faulty_events_since,
    .compact = faulty_compact,
    .set_sink = faulty_set_sink,
    .close = faulty_close,
    .sync = faulty_sync,
    .health = faulty_health,
};

struct store *store_faulty_wrap(struct store *inner)
{
    struct faulty *f = xcalloc(1, sizeof(*f));
    f->base.ops = &faulty_ops;
    f->inner = inner;
    pthread_mutex_init(&f->mu, NULL);
    return &f->base;
}

void store_faulty_arm(struct store *s, unsigned ops, unsigned nth, int err, bool sticky)
{
    struct faulty *f = F(s);
    pthread_mutex_lock(&f->mu);
    f->ops = nth == 0 ? 0 : ops;
    f->countdown = nth;
    f->err = err;
    f->sticky = sticky;
    f->tripped = false;
    pthread_mutex_unlock(&f->mu);
}

unsigned store_faulty_calls(struct store *s, unsigned ops)
{
    struct faulty *f = F(s);
    unsigned n = 0;
    pthread_mutex_lock(&f->mu);
    for (unsigned i = 0; i < sizeof(f->calls) / sizeof(f->calls[0]); i++)
        if (ops & (1u << i))
            n += f->calls[i];
    pthread_mutex_unlock(&f->mu);
    return n;
}

unsigned store_faulty_injected(struct store *s)
{
    struct faulty *f = F(s);
    pthread_mutex_lock(&f->mu);
    unsigned n = f->injected;
    pthread_mutex_unlock(&f->mu);
    return n;
}

struct store *store_faulty_inner(struct store *s)
{
    return F(s)->inner;
}
