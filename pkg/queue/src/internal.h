/* Private to gnet-queue: nodes, per-thread hazard-pointer records and the node
 * caches. The hot-path helpers are static inline so that an enqueue or a dequeue
 * costs one call into the library. */
#ifndef GN_QUEUE_INTERNAL_H
#define GN_QUEUE_INTERNAL_H

#include <gnet/queue.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* On declarations too (not only via -fvisibility=hidden on definitions), so that
 * position-independent code reaches these globals without a GOT load. */
#define GN__HIDDEN      __attribute__((visibility("hidden")))
#define GN__LIKELY(x)   __builtin_expect(!!(x), 1)
#define GN__UNLIKELY(x) __builtin_expect(!!(x), 0)

/* Hazard pointers per thread: a dequeue needs two (the head and its successor). */
#define GN__HP_SLOTS 2
/* Nodes per magazine: a thread's cache holds up to one full magazine plus one
 * spare; full magazines move to and from the global depot as a unit. */
#define GN__MAG 64
/* Magazines in the global depot: up to GN__DEPOT * GN__MAG = 16384 idle nodes
 * (512 KiB) are kept for reuse; beyond that they go back to malloc, so a burst
 * cannot pin memory forever. Large enough for the swings of a queue that holds
 * thousands of items while threads are descheduled. */
#define GN__DEPOT 256
/* Retired nodes a thread collects before it scans, on top of 2 * GN__HP_SLOTS
 * per thread (Michael 2004: R = H*N + Omega(H*N) makes a scan reclaim at least
 * half of what it looks at). */
#define GN__RETIRE_MIN 64
/* With asymmetric publication a scan costs a membarrier system call (a few
 * microseconds), so scans are spread over more nodes. */
#define GN__RETIRE_MIN_ASYM 1024

/* What a node carries: a pointer (gn_queue_t) or a task (gn_taskq_t). */
typedef union gn__payload {
    void *item;
    gn_task_t task;
} gn__payload_t;

typedef struct gn__node {
    _Atomic(struct gn__node *) next;
    /* Position in the queue: a node's seq is its predecessor's plus one, so the
     * length is tail->seq - head->seq without a shared counter. In an idle
     * magazine the first node's seq holds the magazine's node count. */
    size_t seq;
    gn__payload_t v;
} gn__node_t;

/* One per thread that uses a queue, taken on first use and released at thread
 * exit (pthread key destructor) or by gn_queue_thread_exit(). Records are never
 * freed: a released record is reused by the next thread that needs one, with
 * whatever retired nodes it still holds. */
typedef struct gn__hprec {
    /* Written by the owner on every operation, read by scanning threads. */
    _Alignas(64) _Atomic(gn__node_t *) hp[GN__HP_SLOTS];
    /* Read by every scan and acquisition; written rarely. */
    _Alignas(64) atomic_int active;
    struct gn__hprec *next; /* immutable once published */
    /* Owner only. */
    _Alignas(64) gn__node_t *cache; /* LIFO of free nodes, ncache of them */
    size_t ncache;
    gn__node_t *spare; /* a full magazine (GN__MAG nodes) or NULL */
    gn__node_t **retired;
    size_t nretired, rthresh, rcap;
    gn__node_t **plist; /* hazard pointers collected by a scan */
    size_t pcap;
} gn__hprec_t;

/* The calling thread's record, NULL until its first queue operation. The
 * initial-exec model makes this one instruction instead of a __tls_get_addr
 * call; it costs 8 bytes of static TLS. */
extern _Thread_local gn__hprec_t *gn__hp_self GN__HIDDEN __attribute__((tls_model("initial-exec")));

gn__hprec_t *gn__hp_acquire(void);
void gn__hp_release(gn__hprec_t *r);
void gn__hp_scan(gn__hprec_t *r);
size_t gn__hp_nrecords(void);

gn__node_t *gn__node_refill(gn__hprec_t *r);
void gn__node_overflow(gn__hprec_t *r);
void gn__node_flush(gn__hprec_t *r);
/* Frees a NULL-terminated list of nodes, oldest first; when drop is not NULL it
 * first sees each node's task (the task queues' free functions). */
void gn__node_free_list(gn__node_t *n, void (*drop)(gn_task_t *task, void *udata), void *udata);
size_t gn__node_mallocs(void);

/* The calling thread's record; NULL only when a first-time allocation fails. */
static inline gn__hprec_t *gn__hp_rec(void)
{
    gn__hprec_t *r = gn__hp_self;
    if (GN__UNLIKELY(r == NULL))
        r = gn__hp_acquire();
    return r;
}

/* How hazard pointers are published, chosen once per process (gn__hp_acquire
 * runs the choice under pthread_once, so every owner sees the final value):
 *  - asymmetric (Linux membarrier, registered): a release store plus a
 *    compiler barrier. A scan first calls membarrier(PRIVATE_EXPEDITED), which runs a full
 *    memory barrier on every CPU currently running one of our threads, so any
 *    publication that preceded a validating load is visible to the scan's reads.
 *    Readers pay no fence; each scan pays one system call.
 *  - symmetric (other systems, membarrier unavailable, or
 *    GNET_QUEUE_NO_MEMBARRIER=1): a seq_cst store (xchg on x86), the
 *    store-then-load (Dekker) handshake with the reclaimer's "unlink, then read
 *    hazard pointers", which acquire/release cannot order. */
extern _Bool gn__hp_asym GN__HIDDEN;

/* asym is gn__hp_asym, read once per operation by the caller (so that a queue
 * operation tests it once, not at every publication: the compiler barrier below
 * would make it reload a global each time). */
__attribute__((always_inline)) static inline void gn__hp_publish(gn__hprec_t *r, int i,
                                                                 gn__node_t *p, _Bool asym)
{
    if (asym) {
        /* Release, not relaxed: a scan that reads this value (rather than the
         * clear before it) must also see the owner's reads of the node it
         * protected before; on x86 it is the same plain store. */
        atomic_store_explicit(&r->hp[i], p, memory_order_release);
        /* Keeps the compiler from sinking the store below the validating load;
         * the CPU's reordering is undone by the scanner's membarrier. */
        atomic_signal_fence(memory_order_seq_cst);
    } else {
        atomic_store_explicit(&r->hp[i], p, memory_order_seq_cst);
    }
}

/* Publishes *src in hazard slot i and returns it once it is safe to dereference:
 * the re-read proves src still pointed at the node after the hazard pointer became
 * visible (see gn__hp_publish), so any scan that could free the node sees the
 * hazard pointer. The first read may be relaxed because the re-read (seq_cst, so
 * also acquire) is what synchronizes with the node's publisher. */
__attribute__((always_inline)) static inline gn__node_t *
gn__hp_protect(gn__hprec_t *r, int i, _Atomic(gn__node_t *) *src, _Bool asym)
{
    gn__node_t *p = atomic_load_explicit(src, memory_order_relaxed);
    for (;;) {
        gn__hp_publish(r, i, p, asym);
        gn__node_t *again = atomic_load_explicit(src, memory_order_seq_cst);
        if (GN__LIKELY(again == p))
            return p;
        p = again;
    }
}

/* Release: the owner's reads of the node happen before a scanner that sees the
 * cleared slot hands the node out for reuse. The queue operations themselves do
 * not clear their slots when they finish (the next operation overwrites them; a
 * slot left set pins one node, within the H*N bound); the queries and the
 * record's release do. */
static inline void gn__hp_clear(gn__hprec_t *r, int i)
{
    atomic_store_explicit(&r->hp[i], NULL, memory_order_release);
}

/* A free node from the thread's cache; NULL only when malloc fails. */
static inline gn__node_t *gn__node_get(gn__hprec_t *r)
{
    gn__node_t *n = r->cache;
    if (GN__LIKELY(n != NULL)) {
        /* Relaxed: cached nodes are private to this thread. */
        r->cache = atomic_load_explicit(&n->next, memory_order_relaxed);
        r->ncache--;
        return n;
    }
    return gn__node_refill(r);
}

/* The first step of every push: the calling thread's record in *rp and a free
 * node from its cache. NULL (nothing taken) when the thread's first record or
 * a node could not be allocated; the caller reports -ENOMEM. */
static inline gn__node_t *gn__node_take(gn__hprec_t **rp)
{
    gn__hprec_t *r = gn__hp_rec();
    *rp = r;
    return GN__LIKELY(r != NULL) ? gn__node_get(r) : NULL;
}

/* Returns a node that no thread references to the thread's cache. */
static inline void gn__node_put(gn__hprec_t *r, gn__node_t *n)
{
    if (GN__UNLIKELY(r->ncache == GN__MAG))
        gn__node_overflow(r);
    atomic_store_explicit(&n->next, r->cache, memory_order_relaxed);
    r->cache = n;
    r->ncache++;
}

/* Hands an unlinked node to the reclaimer; it is reused once no hazard pointer
 * holds it. Never fails: the retired array always has room (see gn__hp_scan).
 * Returns true when the caller must now call gn__hp_scan (or gn__hp_scan_pass),
 * which it may do only once it no longer needs its own hazard pointers: a scan
 * does not look at its caller's slots. */
static inline _Bool gn__hp_retire(gn__hprec_t *r, gn__node_t *n)
{
    r->retired[r->nretired++] = n;
    return GN__UNLIKELY(r->nretired >= r->rthresh);
}

/* gn__hp_scan(r), then returns pass: a dequeue that ends with a scan ends in a
 * tail call, so its fast path needs no stack frame. */
void *gn__hp_scan_pass(gn__hprec_t *r, void *pass);

/* Slow path of a push's first step: takes the thread's record and gives it at
 * least one cached node, so that the fast path (gn__hp_self set, cache not
 * empty) succeeds when the push is retried. False when an allocation failed. */
_Bool gn__node_prime(void);

#endif
