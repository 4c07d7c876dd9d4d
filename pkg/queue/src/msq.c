/* Setup, teardown and the read-only queries of the Michael-Scott queue. */
#include "msq.h"

#include <stdlib.h>

void *gn__msq_new(size_t size)
{
    gn__msq_t *q = aligned_alloc(_Alignof(gn__msq_t), size);
    if (q == NULL)
        return NULL;
    /* The first dummy comes from malloc rather than a thread cache so that
     * creating a queue does not take a hazard-pointer record. */
    gn__node_t *dummy = malloc(sizeof *dummy);
    if (dummy == NULL) {
        free(q);
        return NULL;
    }
    atomic_init(&dummy->next, NULL);
    dummy->seq = 0;
    atomic_init(&q->head, dummy);
    atomic_init(&q->tail, dummy);
    return q;
}

/* Not thread-safe: nobody else uses q, so plain traversal is enough. Every node
 * still linked is freed; nodes already retired belong to their threads' records
 * and are recycled there (they no longer refer to q). */
void gn__msq_free(gn__msq_t *q, void (*drop)(gn_task_t *task, void *udata), void *udata)
{
    gn__node_t *dummy = atomic_load_explicit(&q->head, memory_order_acquire);
    /* The dummy's payload is stale: only its successors are queued. */
    gn__node_free_list(atomic_load_explicit(&dummy->next, memory_order_acquire), drop, udata);
    free(dummy);
    free(q);
}

bool gn__msq_empty(const gn__msq_t *cq)
{
    gn__msq_t *q = (gn__msq_t *)cq; /* atomics are read-only here */
    gn__hprec_t *r = gn__hp_rec();
    if (r == NULL) /* no record: fall back to an unprotected, cautious answer */
        return atomic_load_explicit(&q->head, memory_order_acquire) ==
               atomic_load_explicit(&q->tail, memory_order_acquire);
    gn__node_t *h = gn__hp_protect(r, 0, &q->head, gn__hp_asym);
    bool empty = atomic_load_explicit(&h->next, memory_order_acquire) == NULL;
    gn__hp_clear(r, 0);
    return empty;
}

size_t gn__msq_len(const gn__msq_t *cq)
{
    gn__msq_t *q = (gn__msq_t *)cq;
    gn__hprec_t *r = gn__hp_rec();
    if (r == NULL)
        return 0;
    gn__node_t *h = gn__hp_protect(r, 0, &q->head, gn__hp_asym);
    /* Protected after head, so t is at or beyond h (tail never lags head). */
    gn__node_t *t = gn__hp_protect(r, 1, &q->tail, gn__hp_asym);
    size_t hs = h->seq, ts = t->seq;
    gn__hp_clear(r, 0);
    gn__hp_clear(r, 1);
    return ts >= hs ? ts - hs : 0;
}
