/* biglock.c — see biglock.h. A plain mutex plus a thread-local "held" flag. */
#include <pthread.h>
#include <stdlib.h>

#include "util/biglock.h"

static pthread_mutex_t biglock__mu = PTHREAD_MUTEX_INITIALIZER;
static __thread bool biglock__held;
static __thread bool thread__may_wait;

void biglock_lock(void)
{
    if (biglock__held)
        abort();
    pthread_mutex_lock(&biglock__mu);
    biglock__held = true;
}

void biglock_unlock(void)
{
    if (!biglock__held)
        abort();
    biglock__held = false;
    pthread_mutex_unlock(&biglock__mu);
}

bool biglock_held(void)
{
    return biglock__held;
}

int biglock_suspend(void)
{
    if (!biglock__held)
        return 0;
    biglock_unlock();
    return 1;
}

void biglock_resume(int held)
{
    if (held)
        biglock_lock();
}

void thread_set_may_wait(bool may)
{
    thread__may_wait = may;
}

bool thread_may_wait(void)
{
    return thread__may_wait;
}
