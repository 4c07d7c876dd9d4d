/* gnet-queue: a lock-free Michael-Scott MPMC FIFO queue with safe memory
 * reclamation, and an intrusive task queue built on it.
 *
 * Thread rule: every function here is thread-safe unless marked otherwise; each
 * states its progress guarantee. Functions that free a queue are not: the caller
 * must ensure no other thread uses the queue any more.
 *
 * Errors: functions that can fail return 0 or a negative errno.
 */
#ifndef GNET_QUEUE_H
#define GNET_QUEUE_H

#include <stdbool.h>
#include <stddef.h>

#ifndef GN_EXPORT
#define GN_EXPORT __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- pointer queue ------------------------------------------------------- */

/* An unbounded MPMC FIFO of non-NULL pointers. Opaque; heap-allocated. */
typedef struct gn_queue gn_queue_t;

/* Creates an empty queue in *out. Returns 0, -EINVAL (out is NULL) or -ENOMEM. */
GN_EXPORT int gn_queue_new(gn_queue_t **out);

/* Frees the queue and every node it holds. Items still queued are not touched
 * (the queue never owns them): drain first if they need freeing. NULL is a no-op.
 * Not thread-safe: no other thread may use q during or after the call. */
GN_EXPORT void gn_queue_free(gn_queue_t *q);

/* Appends item at the tail. Returns 0, -EINVAL (q or item NULL) or -ENOMEM.
 * Lock-free. */
GN_EXPORT int gn_queue_enqueue(gn_queue_t *q, void *item);

/* Removes and returns the item at the head, or NULL when the queue is empty
 * (or q is NULL). Lock-free. */
GN_EXPORT void *gn_queue_dequeue(gn_queue_t *q);

/* True when the queue held no item at the moment of the check. Wait-free. */
GN_EXPORT bool gn_queue_empty(const gn_queue_t *q);

/* Number of items queued; exact when no other thread is using the queue,
 * approximate (a recent value) under concurrency. Wait-free. */
GN_EXPORT size_t gn_queue_len(const gn_queue_t *q);

/* Releases the calling thread's reclamation record (hazard pointers / epoch
 * state and its cached nodes) now rather than at thread exit. Optional: a
 * thread's record is released automatically when the thread exits. Useful for
 * pools that keep threads alive but stop using queues. The thread may use
 * queues again afterwards (a new record is taken). */
GN_EXPORT void gn_queue_thread_exit(void);

/* ---- task queue ---------------------------------------------------------- */

/* A task is a function and its argument. What the return value means is up to
 * the consumer (the poller uses it as a stop code). */
typedef int (*gn_task_fn)(void *arg);
typedef struct gn_task {
    gn_task_fn fn;
    void *arg;
} gn_task_t;

/* An MPMC FIFO of tasks that stores {fn, arg} inside its own recycled nodes, so
 * pushing a task costs no allocation in steady state. Opaque; heap-allocated. */
typedef struct gn_taskq gn_taskq_t;

/* Creates an empty task queue. Returns 0, -EINVAL or -ENOMEM. */
GN_EXPORT int gn_taskq_new(gn_taskq_t **out);

/* Frees the task queue. Tasks still queued are not run: for each, drop(task,
 * udata) is called (if drop is not NULL) so the owner can free task->arg; then
 * every node is freed. NULL q is a no-op. Not thread-safe. */
GN_EXPORT void gn_taskq_free(gn_taskq_t *q, void (*drop)(gn_task_t *task, void *udata),
                             void *udata);

/* Appends the task {fn, arg}. Returns 0, -EINVAL (q or fn NULL) or -ENOMEM.
 * Lock-free. */
GN_EXPORT int gn_taskq_push(gn_taskq_t *q, gn_task_fn fn, void *arg);

/* Removes the task at the head into *out and returns true, or returns false
 * when the queue is empty. Lock-free. */
GN_EXPORT bool gn_taskq_pop(gn_taskq_t *q, gn_task_t *out);

/* As gn_queue_empty / gn_queue_len. */
GN_EXPORT bool gn_taskq_empty(const gn_taskq_t *q);
GN_EXPORT size_t gn_taskq_len(const gn_taskq_t *q);

#ifdef __cplusplus
}
#endif
#endif
