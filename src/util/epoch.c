/* epoch.c — see epoch.h.
 *
 * A global epoch counter; each reading thread owns a slot holding 0 (outside any read
 * section) or (epoch << 1) | 1 with the epoch it read when it entered. epoch_retire() tags a
 * callback with the epoch it then advances past; the callback may run once every slot is idle
 * or shows a newer epoch. A reader that could still hold the retired pointer loaded it before
 * the writer unpublished it, so it announced an epoch no newer than the tag (all accesses to
 * the counter, the slots and the caller's published pointer are sequentially consistent). */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "util/buf.h"
#include "util/epoch.h"

struct epoch_slot {
    _Atomic uint64_t state;    /* 0, or (epoch << 1) | 1 inside a read section */
    atomic_bool in_use;        /* owned by a live thread */
    struct epoch_slot *next;   /* immutable once pushed */
};

struct epoch_garbage {
    void (*fn)(void *arg);
    void *arg;
    uint64_t tag;              /* runs when every active slot's epoch is > tag */
    struct epoch_garbage *next;
};

static _Atomic uint64_t epoch__global = 1;
static _Atomic(struct epoch_slot *) epoch__slots;
static pthread_mutex_t epoch__mu = PTHREAD_MUTEX_INITIALIZER; /* guards the garbage list */
static struct epoch_garbage *epoch__garbage, **epoch__garbage_tail = &epoch__garbage;
static size_t epoch__waiting;
static pthread_once_t epoch__once = PTHREAD_ONCE_INIT;
static pthread_key_t epoch__key;
static __thread struct epoch_slot *epoch__mine;
static __thread unsigned epoch__depth;

static void slot_give_back(void *p)
{
    struct epoch_slot *s = p;
    epoch__mine = NULL; /* a later destructor that reads takes a slot again */
    atomic_store(&s->state, 0);
    atomic_store(&s->in_use, false);
}

static void make_key(void)
{
    pthread_key_create(&epoch__key, slot_give_back);
}

static struct epoch_slot *slot_take(void)
{
    pthread_once(&epoch__once, make_key);
    struct epoch_slot *s;
    for (s = atomic_load(&epoch__slots); s != NULL; s = s->next) {
        bool expect = false;
        if (!atomic_load(&s->in_use) && atomic_compare_exchange_strong(&s->in_use, &expect, true))
            break;
    }
    if (s == NULL) {
        s = xcalloc(1, sizeof(*s));
        atomic_init(&s->state, 0);
        atomic_init(&s->in_use, true);
        struct epoch_slot *head = atomic_load(&epoch__slots);
        do
            s->next = head;
        while (!atomic_compare_exchange_weak(&epoch__slots, &head, s));
    }
    pthread_setspecific(epoch__key, s);
    return s;
}

void epoch_enter(void)
{
    if (epoch__depth++ > 0)
        return;
    if (epoch__mine == NULL)
        epoch__mine = slot_take();
    atomic_store(&epoch__mine->state, (atomic_load(&epoch__global) << 1) | 1);
}

void epoch_exit(void)
{
    if (--epoch__depth > 0)
        return;
    atomic_store_explicit(&epoch__mine->state, 0, memory_order_release);
}

/* The oldest epoch a reader is in, or UINT64_MAX when no thread reads. */
static uint64_t oldest_reader(void)
{
    uint64_t min = UINT64_MAX;
    for (struct epoch_slot *s = atomic_load(&epoch__slots); s != NULL; s = s->next) {
        uint64_t st = atomic_load(&s->state);
        if ((st & 1) && (st >> 1) < min)
            min = st >> 1;
    }
    return min;
}

size_t epoch_poll(void)
{
    pthread_mutex_lock(&epoch__mu);
    uint64_t min = oldest_reader();
    struct epoch_garbage *ready = NULL, **ready_tail = &ready;
    /* the list is in tag order: the ready ones are a prefix */
    while (epoch__garbage != NULL && epoch__garbage->tag < min) {
        struct epoch_garbage *g = epoch__garbage;
        epoch__garbage = g->next;
        g->next = NULL;
        *ready_tail = g;
        ready_tail = &g->next;
        epoch__waiting--;
    }
    if (epoch__garbage == NULL)
        epoch__garbage_tail = &epoch__garbage;
    size_t left = epoch__waiting;
    pthread_mutex_unlock(&epoch__mu);
    while (ready != NULL) {
        struct epoch_garbage *g = ready;
        ready = g->next;
        g->fn(g->arg);
        free(g);
    }
    return left;
}

void epoch_retire(void (*fn)(void *arg), void *arg)
{
    struct epoch_garbage *g = xmalloc(sizeof(*g));
    g->fn = fn;
    g->arg = arg;
    g->next = NULL;
    pthread_mutex_lock(&epoch__mu);
    g->tag = atomic_fetch_add(&epoch__global, 1);
    *epoch__garbage_tail = g;
    epoch__garbage_tail = &g->next;
    epoch__waiting++;
    pthread_mutex_unlock(&epoch__mu);
    epoch_poll();
}

size_t epoch_slot_count(void)
{
    size_t n = 0;
    for (struct epoch_slot *s = atomic_load(&epoch__slots); s != NULL; s = s->next)
        n++;
    return n;
}

void epoch_drain(void)
{
    while (epoch_poll() > 0)
        sched_yield();
}
