/* biglock.h — the server's one lock around state that is not yet safe for several threads.
 *
 * With several request loops (`--workers N`) and a control thread, code that touches shared
 * server state which has no finer locking of its own runs with this lock held. Paths made
 * thread-safe on their own (token cache, RBAC snapshot, object cache reads, ...) run without
 * it; the goal is that the read path never takes it.
 *
 * A thread that holds it and must block on another thread (a store write waiting for its
 * group commit, a consistent-read barrier) suspends it for the wait, so the rest of the
 * server keeps running:
 *
 *     int held = biglock_suspend();   // 1 if this thread held it (and released it), else 0
 *     ... wait ...
 *     biglock_resume(held);           // takes it again only if suspend released it
 *
 * Lock order: biglock before any lock internal to a module (store, cache, ...). A thread
 * holding a module's internal lock never waits for the biglock; a module that must call
 * back into locked code from its own thread (the store's writer delivering events to the
 * sink) releases its internal locks first, then takes the biglock.
 *
 * Not recursive: biglock_lock() in a thread that already holds it is a bug (aborts). */
#ifndef ANZEN_UTIL_BIGLOCK_H
#define ANZEN_UTIL_BIGLOCK_H

#include <stdbool.h>

void biglock_lock(void);
void biglock_unlock(void);
/* Whether the calling thread holds it. */
bool biglock_held(void);
int biglock_suspend(void);
void biglock_resume(int held);

/* For entry points that may be reached with or without it held (a callback h2o runs from
 * inside a locked h2o_send, or straight from the event loop): takes it only if this thread
 * does not hold it; biglock_leave() undoes exactly that.
 *
 *     bool took = biglock_enter();  ...  biglock_leave(took); */
static inline bool biglock_enter(void)
{
    if (biglock_held())
        return false;
    biglock_lock();
    return true;
}

static inline void biglock_leave(bool took)
{
    if (took)
        biglock_unlock();
}

/* Whether the calling thread may sleep until another thread has done some work (upstream's
 * admission retries, for one): true on the write threads, which run one request each; false
 * on the request loops and the control loop, where a sleep would stall every request or the
 * very controller being waited for. Set once by the thread itself at its start. */
void thread_set_may_wait(bool may);
bool thread_may_wait(void);

#endif
