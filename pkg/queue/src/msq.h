/* The Michael-Scott queue (PODC 1996) shared by gn_queue_t and gn_taskq_t,
 * guarded by hazard pointers. Push and pop are static inline so each public
 * entry point compiles to one function with no further calls on the fast path.
 *
 * Invariants: head points at a dummy node whose successors are the queued
 * items; tail points at the last node or at its predecessor (it lags by at most
 * one while an enqueue is between its two CASes) and never behind head. */
#ifndef GN_QUEUE_MSQ_H
#define GN_QUEUE_MSQ_H

#include "internal.h"

#include <stdbool.h>

/* head and tail 128 bytes apart: enqueuers and dequeuers do not share a cache
 * line, nor the adjacent line Intel's spatial prefetcher pulls in pairs. */
typedef struct gn__msq {
    _Alignas(128) _Atomic(gn__node_t *) head;
    _Alignas(128) _Atomic(gn__node_t *) tail;
} gn__msq_t;

/* Allocates an object of size bytes whose first member is a gn__msq_t (so it
 * has the core's alignment and size is a multiple of it) and initializes that
 * queue: the constructor of gn_queue_t and gn_taskq_t. NULL when out of memory. */
void *gn__msq_new(size_t size);
/* Frees the object gn__msq_new returned, given its core, with every node still
 * linked; drop, when not NULL, first sees each queued task, oldest first. Not
 * thread-safe. */
void gn__msq_free(gn__msq_t *q, void (*drop)(gn_task_t *task, void *udata), void *udata);
bool gn__msq_empty(const gn__msq_t *q);
size_t gn__msq_len(const gn__msq_t *q);

/* Links n (payload already set) after the last node. Lock-free: a CAS fails only
 * because another enqueue linked or swung the tail. asym: see gn__hp_publish. */
__attribute__((always_inline)) static inline void gn__msq_push_as(gn__msq_t *q, gn__hprec_t *r,
                                                                  gn__node_t *n, _Bool asym)
{
    atomic_store_explicit(&n->next, NULL, memory_order_relaxed);
    for (;;) {
        gn__node_t *t = gn__hp_protect(r, 0, &q->tail, asym);
        /* Acquire: if another enqueue linked a node, we may swing tail to it, and
         * later readers of tail need its contents. */
        gn__node_t *next = atomic_load_explicit(&t->next, memory_order_acquire);
        if (next != NULL) {
            /* Help the lagging enqueue. seq_cst on every CAS of head and tail keeps
             * them in the single order the hazard-pointer handshake relies on (on
             * x86 and with LSE on arm64 this costs nothing over acq_rel). */
            atomic_compare_exchange_strong_explicit(&q->tail, &t, next, memory_order_seq_cst,
                                                    memory_order_relaxed);
            continue;
        }
        n->seq = t->seq + 1;
        gn__node_t *expected = NULL;
        /* Release: publishes n's payload and seq to the dequeuer that reads it.
         * t is hazard-protected, so it cannot have been recycled: a NULL next
         * really is the end of this queue (no ABA). */
        if (atomic_compare_exchange_strong_explicit(&t->next, &expected, n, memory_order_release,
                                                    memory_order_relaxed)) {
            atomic_compare_exchange_strong_explicit(&q->tail, &t, n, memory_order_seq_cst,
                                                    memory_order_relaxed);
            return;
        }
    }
    /* The slot is left set (see gn__hp_clear): it pins t until this thread's
     * next operation. */
}

/* Unlinks the first item into *out, sets *old to the old dummy, which the
 * caller must retire (gn__hp_retire), never free: another dequeuer may still be
 * reading it, and returns true; false when the queue is empty. Lock-free. */
__attribute__((always_inline)) static inline _Bool
gn__msq_pop_as(gn__msq_t *q, gn__hprec_t *r, gn__payload_t *out, gn__node_t **old, _Bool asym)
{
    for (;;) {
        gn__node_t *h = gn__hp_protect(r, 0, &q->head, asym);
        /* Acquire: pairs with the release that linked next (its payload). */
        gn__node_t *next = atomic_load_explicit(&h->next, memory_order_acquire);
        /* h was head when protected and nothing follows it, so head cannot
         * have moved since: the queue was empty at the load of next. */
        if (next == NULL)
            return 0;
        /* Protect next, then re-check head: if head is still h, next is still
         * linked (it is retired only after head moves past it). */
        gn__hp_publish(r, 1, next, asym);
        if (atomic_load_explicit(&q->head, memory_order_seq_cst) != h)
            continue;
        /* Head must never pass tail, and tail is the last node or the one before
         * it. If next has a successor, tail is already at next or beyond (the
         * enqueue that linked it saw tail at next; acquire carries that over),
         * so the tail's cache line, which every enqueue writes, is not read. */
        if (atomic_load_explicit(&next->next, memory_order_acquire) == NULL) {
            gn__node_t *t = atomic_load_explicit(&q->tail, memory_order_acquire);
            if (h == t) {
                /* Tail lags behind a linked node: help it first. */
                atomic_compare_exchange_strong_explicit(&q->tail, &t, next, memory_order_seq_cst,
                                                        memory_order_relaxed);
                continue;
            }
        }
        /* Read before the CAS: once head moves, next becomes the dummy and its
         * payload may be overwritten by whoever recycles it after us. */
        *out = next->v;
        if (atomic_compare_exchange_strong_explicit(&q->head, &h, next, memory_order_seq_cst,
                                                    memory_order_relaxed)) {
            *old = h; /* both slots stay set, as in gn__msq_push_as */
            return 1;
        }
    }
}

/* The two above with the publication mode tested once per operation, each
 * branch a copy of the loop with the mode constant-folded. */
static inline void gn__msq_push(gn__msq_t *q, gn__hprec_t *r, gn__node_t *n)
{
    if (GN__LIKELY(gn__hp_asym))
        gn__msq_push_as(q, r, n, 1);
    else
        gn__msq_push_as(q, r, n, 0);
}

static inline _Bool gn__msq_pop(gn__msq_t *q, gn__hprec_t *r, gn__payload_t *out, gn__node_t **old)
{
    return GN__LIKELY(gn__hp_asym) ? gn__msq_pop_as(q, r, out, old, 1)
                                   : gn__msq_pop_as(q, r, out, old, 0);
}

/* The pushes' fast first step: a node from the calling thread's cache, or NULL
 * when the thread has no record yet or an empty cache (the caller then calls
 * gn__node_prime and retries). *rp is the record when a node is returned. */
static inline gn__node_t *gn__node_take_cached(gn__hprec_t **rp)
{
    gn__hprec_t *r = gn__hp_self;
    if (GN__UNLIKELY(r == NULL))
        return NULL;
    gn__node_t *n = r->cache;
    if (GN__UNLIKELY(n == NULL))
        return NULL;
    /* Relaxed: cached nodes are private to this thread. */
    r->cache = atomic_load_explicit(&n->next, memory_order_relaxed);
    r->ncache--;
    *rp = r;
    return n;
}

#endif
