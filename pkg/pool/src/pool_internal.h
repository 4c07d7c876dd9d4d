/* Private state of gnet-pool's worker pool, shared by pool.c and worker.c. */
#ifndef GN_POOL_INTERNAL_H
#define GN_POOL_INTERNAL_H

#include <gnet/pool.h>
#include <pthread.h>
#include <stdbool.h>
#include <time.h>

/* Fields read without the lock (by spinning workers and the snapshot getters)
 * are written with these under the lock; relaxed is enough: the lock orders the
 * real hand-off, these are only hints and statistics. */
#define GN__LD(x)    __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define GN__ST(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

typedef struct gn__task {
    gn_pool_fn fn;
    void *arg;
} gn__task_t;

/* One worker thread; joined by whoever reaps the dead list. */
typedef struct gn__worker {
    pthread_t tid;
    struct gn__worker *next;
} gn__worker_t;

struct gn_pool {
    pthread_mutex_t lock;
    pthread_cond_t work_cv;  /* parked workers wait here for tasks */
    pthread_cond_t space_cv; /* blocked submitters wait here for queue room */
    pthread_cond_t done_cv;  /* release waits here for the last worker */
    pthread_cond_t start_cv; /* submitters and surplus workers wait here for starts */
    gn__task_t *ring;        /* queue_size slots */
    unsigned qsize, head, queued;
    unsigned cap, nworkers, idle, running, parked, waiting;
    /* Of nworkers, those still being started without the lock by start_workers:
     * their start may yet fail, so they cannot be counted on to run a task. */
    unsigned starting;
    unsigned wakes;   /* parked workers signalled but not yet back from the wait */
    bool space_woken; /* waiting submitters were woken and have not waited again */
    unsigned expiry_ms, max_blocking;
    bool nonblocking, closed, is_default;
    bool no_queue;      /* GN_POOL_NO_QUEUE: full whenever every worker is busy */
    gn__worker_t *dead; /* exited workers not joined yet */
};

/* Starts one worker thread for p; the caller has already counted it in
 * nworkers and idle. Called without the lock. Returns 0 or a negative errno. */
int gn__pool_spawn(gn_pool_t *p);

/* Joins and frees workers that have exited. Called without the lock. */
void gn__pool_reap(gn_pool_t *p);

/* True when the calling thread is one of p's workers. */
bool gn__pool_is_self(const gn_pool_t *p);

/* Absolute CLOCK_MONOTONIC time ms from now, for the pool's condvars. */
struct timespec gn__deadline(long ms);

#endif
