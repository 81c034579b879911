/* faulty.h — a store that fails on request, for tests (SQLite's faultsim, curl's torture mode).
 *
 * store_faulty_wrap puts a struct store in front of any backend: every call goes to the inner
 * store unchanged, except the call a test armed to fail, which returns the chosen AZ_* code
 * without reaching the inner store (so nothing is written, and no event reaches the sink).
 * Closing the wrapper closes the inner store. Not wired into `anzen serve`. Thread-safe. */
#ifndef ANZEN_STORE_FAULTY_H
#define ANZEN_STORE_FAULTY_H

#include <stdbool.h>
#include "store/store.h"

/* The operations a fault can be armed for (a bit mask). */
enum store_faulty_op {
    STORE_FAULTY_GET = 1 << 0,
    STORE_FAULTY_LIST = 1 << 1,
    STORE_FAULTY_CREATE = 1 << 2,
    STORE_FAULTY_UPDATE = 1 << 3,
    STORE_FAULTY_DELETE = 1 << 4,
    STORE_FAULTY_EVENTS = 1 << 5,  /* events_since */
    STORE_FAULTY_COMPACT = 1 << 6,
    STORE_FAULTY_SYNC = 1 << 7,
    STORE_FAULTY_HEALTH = 1 << 8,
    STORE_FAULTY_READS = STORE_FAULTY_GET | STORE_FAULTY_LIST | STORE_FAULTY_EVENTS | STORE_FAULTY_SYNC,
    STORE_FAULTY_WRITES = STORE_FAULTY_CREATE | STORE_FAULTY_UPDATE | STORE_FAULTY_DELETE,
    STORE_FAULTY_ALL = (1 << 9) - 1,
};

/* Wraps inner (ownership passes to the wrapper); no fault armed. */
struct store *store_faulty_wrap(struct store *inner);
/* Arms a fault: the nth call (1 = the next one) counted from now among the operations in ops
 * returns err (a negative AZ_* code). With sticky, that call and every later one in ops fail;
 * otherwise only that one. nth == 0 disarms. s must come from store_faulty_wrap. */
void store_faulty_arm(struct store *s, unsigned ops, unsigned nth, int err, bool sticky);
/* Calls made to the operations in ops since the wrapper was created, and faults injected. */
unsigned store_faulty_calls(struct store *s, unsigned ops);
unsigned store_faulty_injected(struct store *s);
/* The wrapped store (for checking what really got stored). */
struct store *store_faulty_inner(struct store *s);

#endif
