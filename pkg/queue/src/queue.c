/* gn_queue_t: the Michael-Scott queue carrying one pointer per node. */
#include "msq.h"

#include <errno.h>
#include <stddef.h>

struct gn_queue {
    gn__msq_t core;
};
_Static_assert(offsetof(gn_queue_t, core) == 0, "gn__msq_new allocates the core at offset 0");

int gn_queue_new(gn_queue_t **out)
{
    if (out == NULL)
        return -EINVAL;
    *out = gn__msq_new(sizeof(gn_queue_t));
    return *out != NULL ? 0 : -ENOMEM;
}

void gn_queue_free(gn_queue_t *q)
{
    if (q == NULL)
        return;
    gn__msq_free(&q->core, NULL, NULL);
}

/* First call on this thread, or an empty node cache: take the record and a
 * node, then retry (the fast path then succeeds). Kept out of line so that the
 * fast path makes no call and needs no stack frame. */
__attribute__((noinline, cold)) static int enqueue_slow(gn_queue_t *q, void *item)
{
    if (!gn__node_prime())
        return -ENOMEM;
    return gn_queue_enqueue(q, item);
}

int gn_queue_enqueue(gn_queue_t *q, void *item)
{
    if (GN__UNLIKELY(q == NULL || item == NULL))
        return -EINVAL;
    gn__hprec_t *r;
    gn__node_t *n = gn__node_take_cached(&r);
    if (GN__UNLIKELY(n == NULL))
        return enqueue_slow(q, item);
    n->v.item = item;
    gn__msq_push(&q->core, r, n);
    return 0;
}

__attribute__((noinline, cold)) static void *dequeue_slow(gn_queue_t *q)
{
    return gn__hp_acquire() != NULL ? gn_queue_dequeue(q) : NULL;
}

void *gn_queue_dequeue(gn_queue_t *q)
{
    if (GN__UNLIKELY(q == NULL))
        return NULL;
    gn__hprec_t *r = gn__hp_self;
    if (GN__UNLIKELY(r == NULL))
        return dequeue_slow(q);
    gn__payload_t v;
    gn__node_t *old;
    if (!gn__msq_pop(&q->core, r, &v, &old))
        return NULL;
    if (gn__hp_retire(r, old))
        return gn__hp_scan_pass(r, v.item);
    return v.item;
}

bool gn_queue_empty(const gn_queue_t *q)
{
    return q == NULL || gn__msq_empty(&q->core);
}

size_t gn_queue_len(const gn_queue_t *q)
{
    return q == NULL ? 0 : gn__msq_len(&q->core);
}
