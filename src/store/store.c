/* store.c — backend-independent helpers of the store interface (store.h): releasing the
 * key/value, list and event structures a backend fills. */
#include <stdlib.h>
#include <string.h>

#include "store/store.h"

void store_kv_release(struct store_kv *kv)
{
    if (kv == NULL)
        return;
    free(kv->key);
    free(kv->value);
    memset(kv, 0, sizeof(*kv));
}

void store_list_release(struct store_list *l)
{
    if (l == NULL)
        return;
    for (size_t i = 0; i < l->n; i++)
        store_kv_release(&l->items[i]);
    free(l->items);
    memset(l, 0, sizeof(*l));
}

void store_event_release(struct store_event *ev)
{
    if (ev == NULL)
        return;
    store_kv_release(&ev->kv);
    store_kv_release(&ev->prev);
}

void store_events_free(struct store_event *evs, size_t n)
{
    if (evs == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        store_event_release(&evs[i]);
    free(evs);
}
