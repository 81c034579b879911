/* epoch.h — epoch-based reclamation: readers on any thread use shared structures without a
 * lock while one writer replaces them and frees the old versions only once no reader can
 * still see them.
 *
 * Readers:
 *     epoch_enter();
 *     struct snap *s = atomic_load(&published);   // read s, take references, copy out
 *     epoch_exit();
 * A read section may nest; it must not block or call epoch_drain(). Keep it short: it
 * delays reclamation (never a writer).
 *
 * Writers (serialised by their own module):
 *     old = atomic_exchange(&published, new);     // unpublish first
 *     epoch_retire(free_snap, old);               // runs free_snap(old) once every read
 *                                                 // section that could have seen old ended
 * epoch_retire() never waits: it runs the callbacks whose grace period has passed (its own
 * and older ones, on the calling thread) and keeps the rest for a later epoch_retire(),
 * epoch_poll() or epoch_drain().
 *
 * THREADS: every function may be called from any thread without the biglock.
 * Each thread that enters a read section gets a slot, given back when the thread exits. */
#ifndef ANZEN_UTIL_EPOCH_H
#define ANZEN_UTIL_EPOCH_H

#include <stddef.h>

void epoch_enter(void);
void epoch_exit(void);

/* Schedules fn(arg) for when no read section that began before this call remains. */
void epoch_retire(void (*fn)(void *arg), void *arg);
/* Runs the callbacks whose grace period has passed; returns how many are still waiting. */
size_t epoch_poll(void);
/* Waits until every callback retired so far has run. Not from inside a read section. */
void epoch_drain(void);
/* Reader slots created so far (threads that ever read, less those reused; for tests). */
size_t epoch_slot_count(void);

#endif
