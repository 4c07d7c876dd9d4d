/* Private to gnet-queue: the parts of gn_mpscq_t shared by mpscq.c (lanes,
 * chunks, the consumer) and mpscq_thread.c (per-thread lane numbers). It does
 * not depend on the MPMC queues' internal.h: the single-consumer queue has its
 * own memory (chunks owned by the queue), no hazard pointers, no node cache. */
#ifndef GN_MPSCQ_INTERNAL_H
#define GN_MPSCQ_INTERNAL_H

#include <gnet/queue.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define GN__MPSC_HIDDEN      __attribute__((visibility("hidden")))
#define GN__MPSC_LIKELY(x)   __builtin_expect(!!(x), 1)
#define GN__MPSC_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* Tasks per chunk: with its link a chunk is 1 KiB, 16 cache lines. */
#define GN__MPSC_SLOTS 63
/* Idle chunks a lane keeps for reuse before the consumer frees the ones it is
 * done with: 64 KiB per producer thread. A backlog of up to 4032 tasks then
 * never touches malloc, and a deeper one reuses what the consumer frees up. */
#define GN__MPSC_KEEP 64
/* The lane directory: block k holds GN__MPSC_DIR0 << k lane pointers, so 32
 * blocks cover every thread number a process can have. */
#define GN__MPSC_DIR0 64
#define GN__MPSC_DIRS 32

typedef struct gn__chunk {
    struct gn__chunk *next; /* the producer's next chunk, or a free-list link */
    void *unused_;          /* keeps the slots 16-byte aligned */
    gn_task_t slot[GN__MPSC_SLOTS];
} gn__chunk_t;

/* One producer thread's FIFO into one queue: a single-producer,
 * single-consumer list of chunks. Created on the thread's first push to the
 * queue, freed with the queue; when the thread exits, its number (and with it
 * this lane, tasks and all) passes to the next thread that takes the number. */
typedef struct gn__lane {
    /* The producer's line: its private write position and the published
     * count, which the consumer reads once per batch, not per task. */
    _Alignas(64) _Atomic uint64_t tail; /* tasks published (release) */
    gn__chunk_t *tchunk;                /* chunk being filled */
    unsigned tidx;                      /* next slot in tchunk */
    gn__chunk_t *free;                  /* producer's private idle chunks */

    /* Chunks the consumer is done with, handed back to the producer: the
     * consumer pushes (CAS), the producer takes the whole list (exchange),
     * so there is no ABA. nidle counts the lane's idle chunks (spare and
     * the producer's private ones); it only bounds the cache, so an
     * approximate value is fine. */
    _Alignas(64) _Atomic(gn__chunk_t *) spare;
    atomic_uint nidle;

    /* The consumer's line. head mirrors hpos for gn_mpscq_empty (any thread). */
    _Alignas(64) _Atomic uint64_t head;
    uint64_t hpos;         /* tasks consumed */
    uint64_t snap;         /* tail as of the consumer's last look (the batch bound) */
    gn__chunk_t *hchunk;   /* chunk holding task hpos */
    unsigned hidx;         /* its slot */
    struct gn__lane *next; /* in the queue's lane list; immutable once linked */
} gn__lane_t;

struct gn_mpscq {
    /* Every lane, newest first; push-only until the queue is freed. */
    _Atomic(gn__lane_t *) lanes;
    /* Lane of each thread number (see dir_slot in mpscq.c). */
    _Atomic(_Atomic(gn__lane_t *) *) dir[GN__MPSC_DIRS];
    /* The consumer's: where the next pop looks, and how many tasks the
     * lanes' snapshots hold in total (the batch). */
    _Alignas(64) gn__lane_t *cur;
    size_t nbatch;
};

/* The calling thread's lane number plus one; 0 until its first push. Numbers
 * are dense (a released number is reused first), so the directory stays as
 * small as the largest number of producer threads alive at one time. */
extern _Thread_local size_t gn__mpsc_tnum GN__MPSC_HIDDEN
    __attribute__((tls_model("initial-exec")));

/* Takes a number for the calling thread (released by a pthread key destructor
 * at thread exit) and returns it plus one, or 0 when an allocation failed. */
size_t gn__mpsc_thread_take(void) GN__MPSC_HIDDEN;

/* Chunks taken from malloc since the process started, and the number of
 * lanes of q (tests). */
size_t gn__mpsc_chunk_mallocs(void) GN__MPSC_HIDDEN;
size_t gn__mpsc_nlanes(const gn_mpscq_t *q) GN__MPSC_HIDDEN;

#endif
