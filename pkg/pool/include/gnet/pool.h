/* gnet-pool: a worker thread pool in the spirit of Go's ants.
 *
 * A pool owns up to `capacity` worker threads. Submitted tasks go into one shared
 * bounded queue; workers are reused and drain it, spinning briefly when it runs dry
 * before they park on a condition variable, so a busy pool pays no futex wake per
 * task. Queue slots are a fixed ring allocated once: submitting never allocates.
 * Idle workers exit after `expiry_ms` on their own (a timed park), so no purger
 * thread runs in the background.
 *
 * Thread rule: every function here is thread-safe unless marked otherwise.
 * Tasks run on worker threads; the pool never holds its lock while a task runs.
 *
 * Errors: functions that can fail return 0 or a negative errno.
 */
#ifndef GNET_POOL_H
#define GNET_POOL_H

#include <stdbool.h>
#include <stddef.h>

#ifndef GN_EXPORT
#define GN_EXPORT __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Largest accepted capacity and queue_size (bad input above them is -EINVAL). */
#define GN_POOL_MAX_CAP   65536u
#define GN_POOL_MAX_QUEUE (1u << 24)
/* queue_size used when the option is 0. */
#define GN_POOL_DEFAULT_QUEUE 4096u
/* queue_size for a pool without a waiting room, as in ants: a task is accepted
 * only when a worker can start it at once (see gn_pool_options_t). */
#define GN_POOL_NO_QUEUE 0xFFFFFFFFu

/* A task: fn(arg) runs once on some worker thread. */
typedef void (*gn_pool_fn)(void *arg);

/* Options for gn_pool_new. A zeroed struct (or NULL) means the defaults. */
typedef struct gn_pool_options {
    /* Maximum number of worker threads, i.e. of tasks running at once.
     * 0 = the number of online CPUs. */
    unsigned capacity;
    /* Tasks accepted but not yet started, held in the shared queue while every
     * worker is busy. 0 = GN_POOL_DEFAULT_QUEUE. A submit finding the queue full
     * waits (or fails, see nonblocking).
     * GN_POOL_NO_QUEUE: no waiting room (ants's behaviour). A task is accepted
     * only when an idle worker takes it or another worker can be started; when
     * all `capacity` workers are busy the pool counts as full, so a nonblocking
     * submit returns -EAGAIN and a blocking one waits until a worker finishes
     * its task. */
    unsigned queue_size;
    /* An idle worker exits after this many milliseconds without work. 0 = never. */
    unsigned expiry_ms;
    /* How many submitters may wait at once for queue space; one more gets
     * -EAGAIN. 0 = unlimited. Ignored when nonblocking. */
    unsigned max_blocking;
    /* Submit fails with -EAGAIN instead of waiting when the queue is full (with
     * GN_POOL_NO_QUEUE: when every worker is busy and capacity is reached). */
    bool nonblocking;
    /* Start all `capacity` workers in gn_pool_new instead of on demand. They still
     * expire after expiry_ms if it is set. */
    bool prealloc;
} gn_pool_options_t;

/* A worker pool. Opaque; heap-allocated. */
typedef struct gn_pool gn_pool_t;

/* Creates a pool in *out with opts (NULL = defaults). Any thread.
 * Returns 0, -EINVAL (out NULL, capacity or queue_size above the maxima and
 * not GN_POOL_NO_QUEUE), -ENOMEM, or -EAGAIN (prealloc could not start a
 * thread). */
GN_EXPORT int gn_pool_new(gn_pool_t **out, const gn_pool_options_t *opts);

/* Releases the pool (as gn_pool_release with no timeout), waits for every worker
 * thread to exit, and frees it. NULL and the default pool are no-ops. Not
 * thread-safe: no other thread may use p during or after the call, and it must
 * not be called from one of p's tasks. */
GN_EXPORT void gn_pool_free(gn_pool_t *p);

/* Queues fn(arg) to run once on a worker, starting a worker if none is idle and
 * fewer than capacity exist. When the queue is full it waits for space, unless the
 * pool is nonblocking or max_blocking submitters already wait. Any thread,
 * including the pool's own tasks (but a task that blocks here on a full queue
 * of its own pool can deadlock it if every worker does the same). Even a
 * nonblocking submit may wait briefly while another thread starts the pool's
 * only worker, so that its task is never queued for a worker that then fails
 * to start.
 * Returns 0, -EINVAL (p or fn NULL), -EAGAIN (queue full and not allowed to
 * wait, or no worker exists and no thread could be started), -ENOMEM (no worker
 * exists and none could be allocated), -ESHUTDOWN (released, also returned to
 * submitters waiting when release happens). On error fn is never called. */
GN_EXPORT int gn_pool_submit(gn_pool_t *p, gn_pool_fn fn, void *arg);

/* Changes the capacity at run time. Raising it starts workers for queued tasks
 * right away; lowering it makes surplus workers exit after their current task
 * (running tasks are never interrupted). Any thread.
 * Returns 0, -EINVAL (p NULL, capacity 0 or above GN_POOL_MAX_CAP), -ESHUTDOWN,
 * -ENOMEM (a GN_POOL_NO_QUEUE pool could not grow its hand-off slots to the
 * new capacity; the capacity is unchanged). */
GN_EXPORT int gn_pool_tune(gn_pool_t *p, unsigned capacity);

/* Stops taking work: later submits and submitters waiting now get -ESHUTDOWN.
 * Tasks already accepted (running or queued) still run. Waits up to timeout_ms
 * (negative = no limit, 0 = just check) for every worker to finish and exit.
 * May be called again, e.g. after -ETIMEDOUT, to keep waiting. Any thread except
 * the pool's own tasks. Returns 0, -EINVAL (p NULL), -ETIMEDOUT (tasks still
 * running at the deadline), -EDEADLK (called from one of p's tasks), -EPERM
 * (p is the default pool, which lives as long as the process). */
GN_EXPORT int gn_pool_release(gn_pool_t *p, long timeout_ms);

/* Snapshots; exact when the pool is quiet, recent values under concurrency. Any
 * thread; 0 for NULL p. */
/* Workers running a task now. */
GN_EXPORT unsigned gn_pool_running(const gn_pool_t *p);
/* Workers alive but idle (spinning or parked). */
GN_EXPORT unsigned gn_pool_free_workers(const gn_pool_t *p);
/* Worker threads alive, busy or idle (including ones being started). Unlike
 * running + free_workers read one after the other, this is one consistent value. */
GN_EXPORT unsigned gn_pool_workers(const gn_pool_t *p);
/* Submitters blocked waiting for queue space. */
GN_EXPORT unsigned gn_pool_waiting(const gn_pool_t *p);
/* Tasks accepted but not started yet. */
GN_EXPORT unsigned gn_pool_queued(const gn_pool_t *p);
/* Current capacity. */
GN_EXPORT unsigned gn_pool_cap(const gn_pool_t *p);

/* The process-wide default pool, created on first call (capacity 2 x online CPUs,
 * queue GN_POOL_DEFAULT_QUEUE, idle workers expire after 10 s). Any thread.
 * Returns NULL only if it could not be created (out of memory). It is never
 * freed: gn_pool_free ignores it and gn_pool_release returns -EPERM. */
GN_EXPORT gn_pool_t *gn_pool_default(void);

#ifdef __cplusplus
}
#endif
#endif
