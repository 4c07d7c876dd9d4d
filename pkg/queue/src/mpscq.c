/* gn_mpscq_t: a multi-producer, single-consumer task queue made of one lane
 * per producer thread. A lane is a single-producer, single-consumer list of
 * chunks of 63 task slots: the producer fills the slots of its chunk with
 * plain stores and publishes each task with one release store of its lane's
 * count, on a cache line no other producer writes. Producers share nothing,
 * so a push has no read-modify-write and no contended line, and the consumer
 * reads tasks from contiguous arrays (no per-task node, no list reversal).
 *
 * The consumer works in batches: it reads every lane's count once (the
 * snapshot), then pops up to those counts, lane after lane, without touching
 * the producers' lines again. A lane's chunks are recycled within the lane:
 * the consumer hands finished chunks back to its producer, so the steady
 * state allocates nothing.
 *
 * Lanes belong to the queue, found through a directory indexed by the
 * thread's lane number (mpscq_thread.c). A thread that exits leaves its lanes
 * and their tasks in place; the next thread to take its number continues
 * them, so lanes never outnumber the producer threads alive at one time, and
 * freeing the queue frees every lane. */
#include "mpscq_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static atomic_size_t g_chunk_mallocs;

size_t gn__mpsc_chunk_mallocs(void)
{
    return atomic_load_explicit(&g_chunk_mallocs, memory_order_relaxed);
}

size_t gn__mpsc_nlanes(const gn_mpscq_t *q)
{
    size_t n = 0;
    for (gn__lane_t *l = atomic_load_explicit(&((gn_mpscq_t *)q)->lanes, memory_order_acquire);
         l != NULL; l = l->next)
        n++;
    return n;
}

int gn_mpscq_new(gn_mpscq_t **out)
{
    if (out == NULL)
        return -EINVAL;
    *out = NULL;
    gn_mpscq_t *q = aligned_alloc(_Alignof(gn_mpscq_t), sizeof *q);
    if (q == NULL)
        return -ENOMEM;
    atomic_init(&q->lanes, NULL);
    for (int k = 0; k < GN__MPSC_DIRS; k++)
        atomic_init(&q->dir[k], NULL);
    q->cur = NULL;
    q->nbatch = 0;
    *out = q;
    return 0;
}

/* ---- chunks ---------------------------------------------------------------- */

static gn__chunk_t *chunk_alloc(void)
{
    gn__chunk_t *c = malloc(sizeof *c); /* 16-byte aligned is enough for the slots */
    if (c != NULL)
        atomic_fetch_add_explicit(&g_chunk_mallocs, 1, memory_order_relaxed);
    return c;
}

/* Producer: an idle chunk of its lane, or a new one; NULL when malloc fails. */
static gn__chunk_t *chunk_get(gn__lane_t *l)
{
    gn__chunk_t *c = l->free;
    if (c == NULL && atomic_load_explicit(&l->spare, memory_order_relaxed) != NULL)
        /* Acquire: the consumer's link writes (chunk_put) are visible. */
        c = atomic_exchange_explicit(&l->spare, NULL, memory_order_acquire);
    if (c == NULL)
        return chunk_alloc();
    l->free = c->next;
    atomic_fetch_sub_explicit(&l->nidle, 1, memory_order_relaxed);
    return c;
}

/* Consumer: gives back a chunk it has read to the end. The lane keeps up to
 * GN__MPSC_KEEP idle chunks, whatever its backlog: a producer far ahead of
 * the consumer reuses the chunks the consumer frees up instead of taking
 * fresh memory. Beyond that, burst memory goes back to malloc. */
static void chunk_put(gn__lane_t *l, gn__chunk_t *c)
{
    if (atomic_load_explicit(&l->nidle, memory_order_relaxed) >= GN__MPSC_KEEP) {
        free(c);
        return;
    }
    atomic_fetch_add_explicit(&l->nidle, 1, memory_order_relaxed);
    c->next = atomic_load_explicit(&l->spare, memory_order_relaxed);
    /* Release: pairs with the producer's exchange in chunk_get. Only the
     * consumer pushes, and the producer only takes the whole list, so the
     * CAS fails only when the producer took it meanwhile. */
    while (!atomic_compare_exchange_weak_explicit(&l->spare, &c->next, c, memory_order_release,
                                                  memory_order_relaxed))
        ;
}

/* ---- lanes ----------------------------------------------------------------- */

/* Where the lane of thread number num (1-based) lives: block k holds
 * GN__MPSC_DIR0 << k entries and starts at number GN__MPSC_DIR0 * (2^k - 1). */
static _Atomic(gn__lane_t *) *dir_slot(gn_mpscq_t *q, size_t num, int create)
{
    size_t i = num - 1;
    size_t j = i / GN__MPSC_DIR0 + 1;
    int k = 63 - __builtin_clzll((unsigned long long)j);
    size_t off = i - GN__MPSC_DIR0 * (((size_t)1 << k) - 1);
    /* Acquire: the block's zeroed entries are visible. */
    _Atomic(gn__lane_t *) *blk = atomic_load_explicit(&q->dir[k], memory_order_acquire);
    if (blk == NULL && create) {
        size_t n = (size_t)GN__MPSC_DIR0 << k;
        _Atomic(gn__lane_t *) *fresh = calloc(n, sizeof *fresh);
        if (fresh == NULL)
            return NULL;
        for (size_t e = 0; e < n; e++)
            atomic_init(&fresh[e], NULL);
        if (atomic_compare_exchange_strong_explicit(&q->dir[k], &blk, fresh, memory_order_acq_rel,
                                                    memory_order_acquire))
            blk = fresh;
        else
            free(fresh); /* another thread installed the block first */
    }
    return blk == NULL ? NULL : &blk[off];
}

/* The calling thread's first push to q (or the first since its number's lane
 * was never used on q): a lane with one chunk, published in the directory and
 * in the lane list. NULL when an allocation failed. */
static gn__lane_t *lane_create(gn_mpscq_t *q, _Atomic(gn__lane_t *) *slot)
{
    gn__lane_t *l = aligned_alloc(_Alignof(gn__lane_t), sizeof *l);
    if (l == NULL)
        return NULL;
    memset(l, 0, sizeof *l);
    atomic_init(&l->tail, 0);
    atomic_init(&l->spare, NULL);
    atomic_init(&l->nidle, 0);
    atomic_init(&l->head, 0);
    l->tchunk = chunk_alloc();
    if (l->tchunk == NULL) {
        free(l);
        return NULL;
    }
    l->hchunk = l->tchunk;
    /* Only threads holding this number write the slot, one after the other. */
    atomic_store_explicit(slot, l, memory_order_release);
    l->next = atomic_load_explicit(&q->lanes, memory_order_relaxed);
    /* Release: the consumer that finds l in the list sees it initialized. */
    while (!atomic_compare_exchange_weak_explicit(&q->lanes, &l->next, l, memory_order_release,
                                                  memory_order_relaxed))
        ;
    return l;
}

static gn__lane_t *lane_slow(gn_mpscq_t *q)
{
    size_t num = gn__mpsc_tnum;
    if (num == 0 && (num = gn__mpsc_thread_take()) == 0)
        return NULL;
    _Atomic(gn__lane_t *) *slot = dir_slot(q, num, 1);
    if (slot == NULL)
        return NULL;
    gn__lane_t *l = atomic_load_explicit(slot, memory_order_acquire);
    return l != NULL ? l : lane_create(q, slot);
}

/* Stores the task in the lane's free slot (there must be one) and publishes
 * it. Release: the task (and a new chunk's link) before the count. */
static inline void lane_put(gn__lane_t *l, gn_task_fn fn, void *arg)
{
    l->tchunk->slot[l->tidx++] = (gn_task_t){fn, arg};
    uint64_t t = atomic_load_explicit(&l->tail, memory_order_relaxed);
    atomic_store_explicit(&l->tail, t + 1, memory_order_release);
}

/* The slow path of a push: the thread's first push to q, a full chunk, or
 * bad input. Kept out of line so that the fast path needs no stack frame. */
__attribute__((noinline)) static int push_slow(gn_mpscq_t *q, gn_task_fn fn, void *arg)
{
    if (q == NULL || fn == NULL)
        return -EINVAL;
    gn__lane_t *l = lane_slow(q);
    if (l == NULL)
        return -ENOMEM;
    if (l->tidx == GN__MPSC_SLOTS) {
        gn__chunk_t *c = chunk_get(l);
        if (c == NULL)
            return -ENOMEM;
        /* Published with the task below: the consumer follows the link only
         * after it has seen a count past this chunk. */
        l->tchunk->next = c;
        l->tchunk = c;
        l->tidx = 0;
    }
    lane_put(l, fn, arg);
    return 0;
}

int gn_mpscq_push(gn_mpscq_t *q, gn_task_fn fn, void *arg)
{
    /* The fast path: the thread has a lane in q (found in three dependent
     * loads when fewer than 64 producer threads are alive) with a free slot. */
    size_t num = gn__mpsc_tnum;
    if (GN__MPSC_LIKELY(q != NULL && fn != NULL && num - 1 < GN__MPSC_DIR0)) {
        /* Acquire for the block: another thread may have installed it, and
         * its entries' initialisation must be visible (free on x86). Relaxed
         * for the lane: this thread (or the previous holder of its number,
         * whose release handed it over) installed it. */
        _Atomic(gn__lane_t *) *blk = atomic_load_explicit(&q->dir[0], memory_order_acquire);
        gn__lane_t *l = GN__MPSC_LIKELY(blk != NULL)
                            ? atomic_load_explicit(&blk[num - 1], memory_order_relaxed)
                            : NULL;
        if (GN__MPSC_LIKELY(l != NULL && l->tidx < GN__MPSC_SLOTS)) {
            lane_put(l, fn, arg);
            return 0;
        }
    }
    return push_slow(q, fn, arg);
}

/* ---- consumer -------------------------------------------------------------- */

/* Snapshots every lane's count: the batch becomes every task published so
 * far. Returns its size. O(lanes). */
static size_t refresh(gn_mpscq_t *q)
{
    size_t n = 0;
    for (gn__lane_t *l = atomic_load_explicit(&q->lanes, memory_order_acquire); l != NULL;
         l = l->next) {
        /* Acquire: pairs with the push's release; the tasks are visible. */
        l->snap = atomic_load_explicit(&l->tail, memory_order_acquire);
        n += (size_t)(l->snap - l->hpos);
    }
    q->nbatch = n;
    return n;
}

size_t gn_mpscq_collect(gn_mpscq_t *q)
{
    return q == NULL ? 0 : refresh(q);
}

/* Removes k tasks from the front of lane l, which holds them contiguously
 * (in one chunk and in the snapshot). */
static inline void advance(gn_mpscq_t *q, gn__lane_t *l, size_t k)
{
    l->hidx += (unsigned)k;
    l->hpos += k;
    atomic_store_explicit(&l->head, l->hpos, memory_order_relaxed);
    q->nbatch -= k;
    /* Round robin between lanes, one snapshot's worth at a time; NULL: the
     * next look starts over at the head of the list. */
    q->cur = l->hpos == l->snap ? l->next : l;
}

/* The lane holding the oldest task of the batch (taking a new snapshot when
 * the batch is empty), its chunk moved on when it was read to the end; NULL
 * when the queue is empty. q->cur is left on it. */
static gn__lane_t *front(gn_mpscq_t *q)
{
    if (q->nbatch == 0 && refresh(q) == 0)
        return NULL;
    /* Acquire: a lane created since the last refresh is seen initialized. */
    gn__lane_t *head = atomic_load_explicit(&q->lanes, memory_order_acquire);
    gn__lane_t *l = q->cur != NULL ? q->cur : head;
    /* The batch is not empty, so one turn of the list finds a lane with
     * tasks in its snapshot. */
    while (l->hpos == l->snap)
        l = l->next != NULL ? l->next : head;
    q->cur = l;
    if (l->hidx == GN__MPSC_SLOTS) {
        /* The producer linked the next chunk before publishing this task. */
        gn__chunk_t *done = l->hchunk;
        l->hchunk = done->next;
        l->hidx = 0;
        chunk_put(l, done);
    }
    return l;
}

/* How many tasks from hpos on sit contiguously in l's chunk and snapshot. */
static inline size_t run_length(const gn__lane_t *l)
{
    size_t in_chunk = GN__MPSC_SLOTS - l->hidx;
    size_t in_snap = (size_t)(l->snap - l->hpos);
    return in_chunk < in_snap ? in_chunk : in_snap;
}

/* The slow path of a pop: an empty batch, a lane whose snapshot is consumed,
 * a chunk read to its end, or bad input. */
__attribute__((noinline)) static bool pop_slow(gn_mpscq_t *q, gn_task_t *out)
{
    if (q == NULL || out == NULL)
        return false;
    gn__lane_t *l = front(q);
    if (l == NULL)
        return false;
    *out = l->hchunk->slot[l->hidx];
    advance(q, l, 1);
    return true;
}

bool gn_mpscq_pop(gn_mpscq_t *q, gn_task_t *out)
{
    if (GN__MPSC_LIKELY(q != NULL && out != NULL && q->nbatch != 0)) {
        gn__lane_t *l = q->cur;
        if (GN__MPSC_LIKELY(l != NULL && l->hpos != l->snap && l->hidx < GN__MPSC_SLOTS)) {
            *out = l->hchunk->slot[l->hidx];
            advance(q, l, 1);
            return true;
        }
    }
    return pop_slow(q, out);
}

const gn_task_t *gn_mpscq_peek(gn_mpscq_t *q, size_t *n)
{
    if (n == NULL)
        return NULL;
    gn__lane_t *l = q != NULL ? front(q) : NULL;
    if (l == NULL) {
        *n = 0;
        return NULL;
    }
    *n = run_length(l);
    return &l->hchunk->slot[l->hidx];
}

int gn_mpscq_consume(gn_mpscq_t *q, size_t k)
{
    if (q == NULL)
        return -EINVAL;
    gn__lane_t *l = q->cur;
    /* Only what the last peek returned: q->cur still names its lane, whose
     * chunk was moved on by that peek if needed. */
    if (k == 0)
        return 0;
    if (l == NULL || l->hidx == GN__MPSC_SLOTS || k > run_length(l))
        return -EINVAL;
    advance(q, l, k);
    return 0;
}

bool gn_mpscq_empty(const gn_mpscq_t *cq)
{
    if (cq == NULL)
        return true;
    gn_mpscq_t *q = (gn_mpscq_t *)cq; /* atomics are only read here */
    /* Relaxed: a caller that must order this check against another variable
     * brings its own fence, as the poller does. */
    for (gn__lane_t *l = atomic_load_explicit(&q->lanes, memory_order_acquire); l != NULL;
         l = l->next) {
        if (atomic_load_explicit(&l->tail, memory_order_relaxed) !=
            atomic_load_explicit(&l->head, memory_order_relaxed))
            return false;
    }
    return true;
}

size_t gn_mpscq_len(const gn_mpscq_t *cq)
{
    if (cq == NULL)
        return 0;
    gn_mpscq_t *q = (gn_mpscq_t *)cq;
    size_t n = 0;
    for (gn__lane_t *l = atomic_load_explicit(&q->lanes, memory_order_acquire); l != NULL;
         l = l->next)
        n += (size_t)(atomic_load_explicit(&l->tail, memory_order_relaxed) - l->hpos);
    return n;
}

/* ---- teardown -------------------------------------------------------------- */

static void free_list(gn__chunk_t *c)
{
    while (c != NULL) {
        gn__chunk_t *next = c->next;
        free(c);
        c = next;
    }
}

/* Drops the lane's unconsumed tasks in FIFO order, then frees its chunks: the
 * ones in use (hchunk up to tchunk), the producer's idle ones and the spares. */
static void lane_free(gn__lane_t *l, void (*drop)(gn_task_t *task, void *udata), void *udata)
{
    uint64_t tail = atomic_load_explicit(&l->tail, memory_order_acquire);
    gn__chunk_t *c = l->hchunk;
    unsigned i = l->hidx;
    for (uint64_t k = l->hpos; k < tail; k++) {
        if (i == GN__MPSC_SLOTS) {
            c = c->next;
            i = 0;
        }
        if (drop != NULL)
            drop(&c->slot[i], udata);
        i++;
    }
    for (c = l->hchunk; c != l->tchunk;) {
        gn__chunk_t *next = c->next;
        free(c);
        c = next;
    }
    free(l->tchunk);
    free_list(l->free);
    free_list(atomic_load_explicit(&l->spare, memory_order_acquire));
    free(l);
}

void gn_mpscq_free(gn_mpscq_t *q, void (*drop)(gn_task_t *task, void *udata), void *udata)
{
    if (q == NULL)
        return;
    gn__lane_t *l = atomic_load_explicit(&q->lanes, memory_order_acquire);
    while (l != NULL) {
        gn__lane_t *next = l->next;
        lane_free(l, drop, udata);
        l = next;
    }
    for (int k = 0; k < GN__MPSC_DIRS; k++)
        free(atomic_load_explicit(&q->dir[k], memory_order_relaxed));
    free(q);
}
