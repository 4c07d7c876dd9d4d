/* Node recycling: a per-thread cache of free nodes (one magazine plus a spare,
 * Bonwick-style) in front of a bounded global depot of full magazines. Nodes reach
 * the cache only after a hazard-pointer scan found them unreferenced, so a node
 * handed out here is never read by another thread.
 *
 * The depot is an array of slots, each empty or holding one magazine. A thread
 * takes a magazine with an atomic exchange and gives one with a compare-and-swap
 * from NULL. Neither compares a pointer that could have been recycled in the
 * meantime, so the depot has no ABA problem (unlike a Treiber stack, whose pop
 * compares the top and trusts top->next), and both are wait-free: each visits
 * at most GN__DEPOT slots. */
#include "internal.h"

#include <stdlib.h>

static _Atomic(gn__node_t *) g_depot[GN__DEPOT];
/* Magazines in the depot (exact once every take and give has finished), and
 * where the last give or take happened. Both are hints that keep the depot's
 * operations O(1) in the usual case: an empty depot is not scanned, a full one
 * is not scanned, and the slots fill and empty like a stack around g_top. */
static atomic_uint g_count;
static atomic_uint g_top;
static atomic_size_t g_mallocs;

/* Nodes taken from malloc since the process started: a test watches it to prove
 * that the steady state allocates nothing. */
size_t gn__node_mallocs(void)
{
    return atomic_load_explicit(&g_mallocs, memory_order_relaxed);
}

void gn__node_free_list(gn__node_t *n, void (*drop)(gn_task_t *task, void *udata), void *udata)
{
    while (n != NULL) {
        gn__node_t *next = atomic_load_explicit(&n->next, memory_order_relaxed);
        if (drop != NULL)
            drop(&n->v.task, udata);
        free(n);
        n = next;
    }
}

/* Takes a magazine, scanning down from the top hint. Acquire pairs with
 * depot_give's release: the giver's writes to the nodes (links, count) happen
 * before the taker reads them. Relaxed hints: they only choose where to look. */
static gn__node_t *depot_take(void)
{
    if (atomic_load_explicit(&g_count, memory_order_relaxed) == 0)
        return NULL;
    unsigned top = atomic_load_explicit(&g_top, memory_order_relaxed);
    for (unsigned i = 1; i <= GN__DEPOT; i++) {
        unsigned s = (top - i) % GN__DEPOT;
        if (atomic_load_explicit(&g_depot[s], memory_order_relaxed) == NULL)
            continue;
        gn__node_t *m = atomic_exchange_explicit(&g_depot[s], NULL, memory_order_acquire);
        if (m != NULL) {
            atomic_fetch_sub_explicit(&g_count, 1, memory_order_relaxed);
            atomic_store_explicit(&g_top, s, memory_order_relaxed);
            return m;
        }
    }
    return NULL;
}

/* Gives magazine m (its first node's seq holds the count) to the depot, or back
 * to malloc when the depot is full. */
static void depot_give(gn__node_t *m)
{
    if (atomic_load_explicit(&g_count, memory_order_relaxed) < GN__DEPOT) {
        unsigned top = atomic_load_explicit(&g_top, memory_order_relaxed);
        for (unsigned i = 0; i < GN__DEPOT; i++) {
            unsigned s = (top + i) % GN__DEPOT;
            gn__node_t *empty = NULL;
            if (atomic_load_explicit(&g_depot[s], memory_order_relaxed) == NULL &&
                atomic_compare_exchange_strong_explicit(
                    &g_depot[s], &empty, m, memory_order_release, memory_order_relaxed)) {
                atomic_fetch_add_explicit(&g_count, 1, memory_order_relaxed);
                atomic_store_explicit(&g_top, s + 1, memory_order_relaxed);
                return;
            }
        }
    }
    gn__node_free_list(m, NULL, NULL);
}

/* Fresh nodes when the depot is empty: a magazine at a time so that growth
 * does not come back here for every node. */
static void refill_from_malloc(gn__hprec_t *r)
{
    size_t got = 0;
    for (; got < GN__MAG; got++) {
        gn__node_t *n = malloc(sizeof *n);
        if (n == NULL)
            break;
        atomic_init(&n->next, r->cache);
        r->cache = n;
    }
    r->ncache += got;
    atomic_fetch_add_explicit(&g_mallocs, got, memory_order_relaxed);
}

gn__node_t *gn__node_refill(gn__hprec_t *r)
{
    if (r->spare != NULL) {
        r->cache = r->spare;
        r->ncache = GN__MAG;
        r->spare = NULL;
    } else {
        gn__node_t *m = depot_take();
        if (m != NULL) {
            r->cache = m;
            r->ncache = m->seq;
        } else {
            refill_from_malloc(r);
        }
    }
    gn__node_t *n = r->cache;
    if (n == NULL)
        return NULL;
    r->cache = atomic_load_explicit(&n->next, memory_order_relaxed);
    r->ncache--;
    return n;
}

/* The cache is a full magazine: it becomes the spare, and the old spare (if
 * any) goes to the depot for threads that enqueue more than they dequeue. */
void gn__node_overflow(gn__hprec_t *r)
{
    if (r->spare != NULL) {
        r->spare->seq = GN__MAG;
        depot_give(r->spare);
    }
    r->spare = r->cache;
    r->cache = NULL;
    r->ncache = 0;
}

/* At record release: cached nodes go to the depot so other threads use them. */
void gn__node_flush(gn__hprec_t *r)
{
    if (r->spare != NULL) {
        r->spare->seq = GN__MAG;
        depot_give(r->spare);
        r->spare = NULL;
    }
    if (r->cache != NULL) {
        r->cache->seq = r->ncache;
        depot_give(r->cache);
        r->cache = NULL;
        r->ncache = 0;
    }
}

_Bool gn__node_prime(void)
{
    gn__hprec_t *r;
    gn__node_t *n = gn__node_take(&r);
    if (n == NULL)
        return 0;
    /* Back on the (possibly just refilled) cache, where the retried fast path
     * finds it: the cache held fewer than GN__MAG nodes after the take. */
    gn__node_put(r, n);
    return 1;
}
