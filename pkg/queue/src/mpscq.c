/* gn_mpscq_t: a multi-producer, single-consumer task queue. Producers push
 * onto a lock-free LIFO stack (a CAS on its top); the one consumer takes the
 * whole stack with one exchange, reverses it into a private FIFO batch and pops
 * from that batch without further atomics on shared cache lines.
 *
 * Why no hazard pointers: a producer never dereferences a node it did not
 * allocate (it only copies the top pointer into its own node's next), and only
 * the consumer unlinks nodes, after it took them off the shared stack. So a node
 * the consumer recycles is referenced by nobody, and a push CAS that succeeds
 * on a top that was taken, recycled and pushed again is still correct: the new
 * node's next is the current top (a push-only Treiber stack has no ABA; only a
 * concurrent pop would).
 *
 * Nodes are the same gn__node_t as the MPMC queues' and come from the calling
 * thread's magazine (internal.h, nodepool.c): producers take from theirs, the
 * consumer gives to its own, full magazines travel through the global depot. */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>

struct gn_mpscq {
    /* Producers' line: every push CASes it. 128 bytes apart from the
     * consumer's fields so pops do not bounce it (nor its prefetch pair). */
    _Alignas(128) _Atomic(gn__node_t *) top;
    /* Consumer's batch, oldest first. head is atomic (relaxed) only so that
     * gn_mpscq_empty may read it from any thread; tail and n are private. */
    _Alignas(128) _Atomic(gn__node_t *) head;
    gn__node_t *tail;
    size_t n;
};

int gn_mpscq_new(gn_mpscq_t **out)
{
    if (out == NULL)
        return -EINVAL;
    *out = NULL;
    gn_mpscq_t *q = aligned_alloc(_Alignof(gn_mpscq_t), sizeof *q);
    if (q == NULL)
        return -ENOMEM;
    atomic_init(&q->top, NULL);
    atomic_init(&q->head, NULL);
    q->tail = NULL;
    q->n = 0;
    *out = q;
    return 0;
}

int gn_mpscq_push(gn_mpscq_t *q, gn_task_fn fn, void *arg)
{
    if (GN__UNLIKELY(q == NULL || fn == NULL))
        return -EINVAL;
    gn__hprec_t *r;
    gn__node_t *n = gn__node_take(&r);
    if (GN__UNLIKELY(n == NULL))
        return -ENOMEM;
    n->v.task.fn = fn;
    n->v.task.arg = arg;
    /* Relaxed load and relaxed failure: the top is only copied, never read
     * through, so nothing it points at needs to be visible here. */
    gn__node_t *top = atomic_load_explicit(&q->top, memory_order_relaxed);
    do
        atomic_store_explicit(&n->next, top, memory_order_relaxed);
    /* Release on success: publishes n's task and next to the consumer's acquire
     * exchange. Every write of top is a read-modify-write, so a push is in the
     * release sequence of every earlier push, and the one acquire exchange that
     * takes the stack synchronizes with all the pushes it takes. */
    while (!atomic_compare_exchange_weak_explicit(&q->top, &top, n, memory_order_release,
                                                  memory_order_relaxed));
    return 0;
}

/* Consumer: moves the shared stack behind the batch, oldest first. Returns the
 * batch's new size. The reversal is O(nodes taken), paid once per node. */
static size_t take_stack(gn_mpscq_t *q)
{
    /* The relaxed peek spares the exchange (a write to the producers' line)
     * when there is nothing to take. */
    if (atomic_load_explicit(&q->top, memory_order_relaxed) == NULL)
        return q->n;
    /* Acquire: pairs with the pushes' release CAS (see gn_mpscq_push), so the
     * tasks and links of every node taken are visible. */
    gn__node_t *s = atomic_exchange_explicit(&q->top, NULL, memory_order_acquire);
    gn__node_t *fifo = NULL, *last = s;
    size_t k = 0;
    while (s != NULL) {
        gn__node_t *next = atomic_load_explicit(&s->next, memory_order_relaxed);
        atomic_store_explicit(&s->next, fifo, memory_order_relaxed);
        fifo = s;
        s = next;
        k++;
    }
    if (q->tail != NULL)
        atomic_store_explicit(&q->tail->next, fifo, memory_order_relaxed);
    else
        atomic_store_explicit(&q->head, fifo, memory_order_relaxed);
    if (last != NULL)
        q->tail = last;
    q->n += k;
    return q->n;
}

size_t gn_mpscq_collect(gn_mpscq_t *q)
{
    return q == NULL ? 0 : take_stack(q);
}

bool gn_mpscq_pop(gn_mpscq_t *q, gn_task_t *out)
{
    if (GN__UNLIKELY(q == NULL || out == NULL))
        return false;
    gn__node_t *n = atomic_load_explicit(&q->head, memory_order_relaxed);
    if (n == NULL) {
        if (take_stack(q) == 0)
            return false;
        n = atomic_load_explicit(&q->head, memory_order_relaxed);
    }
    *out = n->v.task;
    gn__node_t *next = atomic_load_explicit(&n->next, memory_order_relaxed);
    atomic_store_explicit(&q->head, next, memory_order_relaxed);
    if (next == NULL)
        q->tail = NULL;
    q->n--;
    /* Nobody else references n (see the top of this file): it goes straight to
     * this thread's magazine, no retirement. Without a record (its first
     * allocation failed) it goes back to malloc, so a pop never fails for it. */
    gn__hprec_t *r = gn__hp_rec();
    if (GN__LIKELY(r != NULL))
        gn__node_put(r, n);
    else
        free(n);
    return true;
}

bool gn_mpscq_empty(const gn_mpscq_t *cq)
{
    if (cq == NULL)
        return true;
    gn_mpscq_t *q = (gn_mpscq_t *)cq; /* atomics are only read here */
    /* Relaxed: neither pointer is dereferenced. A caller that must order this
     * check against another variable brings its own fence, as the poller does. */
    return atomic_load_explicit(&q->head, memory_order_relaxed) == NULL &&
           atomic_load_explicit(&q->top, memory_order_relaxed) == NULL;
}

size_t gn_mpscq_len(const gn_mpscq_t *cq)
{
    if (cq == NULL)
        return 0;
    gn_mpscq_t *q = (gn_mpscq_t *)cq;
    /* Walking the stack is safe on the consumer thread only: nobody else can
     * unlink (and recycle) a node under it. Acquire makes the links visible. */
    size_t k = q->n;
    for (gn__node_t *s = atomic_load_explicit(&q->top, memory_order_acquire); s != NULL;
         s = atomic_load_explicit(&s->next, memory_order_relaxed))
        k++;
    return k;
}

void gn_mpscq_free(gn_mpscq_t *q, void (*drop)(gn_task_t *task, void *udata), void *udata)
{
    if (q == NULL)
        return;
    /* Everything into the batch first so drop sees the tasks in FIFO order. */
    take_stack(q);
    gn__node_free_list(atomic_load_explicit(&q->head, memory_order_relaxed), drop, udata);
    free(q);
}
