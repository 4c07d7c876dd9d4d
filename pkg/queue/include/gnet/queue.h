/* gnet-queue: a lock-free Michael-Scott MPMC FIFO queue with safe memory
 * reclamation, an intrusive task queue built on it, and a lighter task queue
 * for a single consumer (gn_mpscq_t, at the end).
 *
 * Thread rule: every function here is thread-safe unless marked otherwise; each
 * states its progress guarantee (Concurrency Kit terms: "lock-free" means some
 * thread always completes its call in a finite number of steps, whatever the
 * others do; a thread may retry while others succeed). Functions that free a
 * queue are not thread-safe: the caller must ensure no other thread uses the
 * queue any more. No function is async-signal-safe.
 *
 * Errors: functions that can fail return 0 or a negative errno.
 *
 * Memory reclamation: hazard pointers (M. Michael, "Hazard Pointers: Safe Memory
 * Reclamation for Lock-Free Objects", IEEE TPDS 2004), H = 2 per thread.
 *  - Safety: a dequeuer publishes a hazard pointer to the head (and to its
 *    successor) and re-checks the head before reading either, so no thread ever
 *    reads a node that was freed or recycled; because a protected node cannot be
 *    recycled, a compare-and-swap on head, tail or next cannot succeed on a
 *    recycled node (no ABA).
 *  - Records: a thread takes a record (its hazard pointers, retired list and node
 *    cache) on its first call, with no registration; it is released by a
 *    pthread key destructor when the thread exits, or by gn_queue_thread_exit().
 *    Released records are reused by later threads, so the number of records is
 *    the largest number of threads that used queues at the same time.
 *  - Publication: on Linux a hazard pointer is a plain store; before each scan
 *    the reclaimer calls membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED), which
 *    puts a full barrier on every CPU running one of the process's threads.
 *    Where membarrier is missing or forbidden (and with the environment
 *    variable GNET_QUEUE_NO_MEMBARRIER=1) each publication is a seq_cst store
 *    (xchg on x86) instead. The choice is made once, at first use. A scan
 *    by a thread that is the only one holding a record skips the barrier
 *    and the hazard reads (no other thread can hold a hazard pointer).
 *  - Cost: per enqueue one publication and two CAS, per dequeue two
 *    publications and one CAS, no shared counter. A dequeued node is retired;
 *    every R = 2*H*N + 1024 retirements (N = records; + 64 without membarrier)
 *    a scan issues the barrier, reads all H*N hazard pointers and recycles every
 *    retired node not among them: O(1) amortized per node.
 *  - Bound: at any moment at most H*N retired nodes are unreclaimable; each
 *    thread holds at most R retired nodes. A thread pins at most the 2 nodes
 *    its hazard pointers last held, stalled in a call or idle between calls
 *    (operations leave their slots set for the next one to overwrite; thread
 *    exit clears them). An epoch scheme would pin everything retired.
 *  - Recycling: reclaimed nodes go to a per-thread cache (up to 2 magazines of
 *    64 nodes) backed by a global depot of 256 magazines (16384 nodes, 512 KiB;
 *    exchange-based, ABA-free); beyond that they are freed. In steady state no
 *    call allocates from the system; malloc is used only when queues grow.
 *  - Nodes are shared by all queues of the process: freeing a queue frees the
 *    nodes still linked in it and never waits for other threads.
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

/* Creates an empty queue in *out (NULL on failure). Returns 0, -EINVAL (out is
 * NULL) or -ENOMEM. Thread-safe; calls malloc. */
GN_EXPORT int gn_queue_new(gn_queue_t **out);

/* Frees the queue and every node it holds. Items still queued are not touched
 * (the queue never owns them): drain first if they need freeing. NULL is a no-op.
 * Not thread-safe: no other thread may use q during or after the call. */
GN_EXPORT void gn_queue_free(gn_queue_t *q);

/* Appends item at the tail. Returns 0, -EINVAL (q or item NULL) or -ENOMEM (a
 * new node or the thread's first record could not be allocated; nothing was
 * queued). The queue does not own item. Lock-free; allocation-free once the
 * thread's node cache or the depot has nodes. */
GN_EXPORT int gn_queue_enqueue(gn_queue_t *q, void *item);

/* Removes and returns the item at the head, or NULL when the queue is empty
 * (or q is NULL, or this is the thread's first call and its record could not be
 * allocated). Items from one producer come out in the order it enqueued them.
 * Lock-free; after the thread's first call it allocates only to grow the
 * thread's retired list when more threads start using queues (rare). */
GN_EXPORT void *gn_queue_dequeue(gn_queue_t *q);

/* True when the queue held no item at the moment of the check (NULL q counts
 * as empty). Lock-free: retries only while concurrent dequeues move the head.
 * Like every call, the thread's first one takes its record. */
GN_EXPORT bool gn_queue_empty(const gn_queue_t *q);

/* Number of items queued (0 for NULL q); exact when no other thread is using
 * the queue, approximate (a recent value) under concurrency: no shared counter
 * is kept, the length is read from sequence numbers in the head and tail nodes.
 * Lock-free (retries only while head or tail moves), like gn_queue_empty. */
GN_EXPORT size_t gn_queue_len(const gn_queue_t *q);

/* Releases the calling thread's hazard-pointer record now rather than at
 * thread exit: scans its retired nodes, gives its cached nodes to the global
 * depot and frees the record for other threads. Optional: a thread's record is
 * released automatically when the thread exits. Useful for pools that keep
 * threads alive but stop using queues. The thread may use queues again
 * afterwards (a record is taken again). Must not be called during a queue call
 * (e.g. from a signal handler). No-op when the thread holds no record. */
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

/* Creates an empty task queue in *out (NULL on failure). Returns 0, -EINVAL
 * (out is NULL) or -ENOMEM. Thread-safe. */
GN_EXPORT int gn_taskq_new(gn_taskq_t **out);

/* Frees the task queue. Tasks still queued are not run: for each, in FIFO
 * order, drop(task, udata) is called (if drop is not NULL) so the owner can free
 * task->arg; task points into the node and is valid only during the call. Then
 * every node is freed. NULL q is a no-op. Not thread-safe. */
GN_EXPORT void gn_taskq_free(gn_taskq_t *q, void (*drop)(gn_task_t *task, void *udata),
                             void *udata);

/* Appends the task {fn, arg}; arg may be NULL. Returns 0, -EINVAL (q or fn
 * NULL) or -ENOMEM (nothing was queued). Lock-free; allocation-free in steady
 * state, as gn_queue_enqueue. */
GN_EXPORT int gn_taskq_push(gn_taskq_t *q, gn_task_fn fn, void *arg);

/* Removes the task at the head into *out and returns true, or returns false
 * when the queue is empty, q or out is NULL (nothing is removed), or the
 * thread's first record could not be allocated. The task is not run: the
 * caller runs it. Lock-free. */
GN_EXPORT bool gn_taskq_pop(gn_taskq_t *q, gn_task_t *out);

/* As gn_queue_empty / gn_queue_len (lock-free; len approximate under
 * concurrency). */
GN_EXPORT bool gn_taskq_empty(const gn_taskq_t *q);
GN_EXPORT size_t gn_taskq_len(const gn_taskq_t *q);

/* ---- multi-producer, single-consumer task queue -------------------------- */

/* A FIFO of tasks for exactly one consumer thread and any number of producers,
 * e.g. the task queue of an event loop. Lighter than gn_taskq_t on both sides:
 * a push is one compare-and-swap on a shared stack top (no hazard pointer), and
 * the consumer takes everything pushed so far with one atomic exchange, then
 * pops from a private batch with no atomic read-modify-write at all.
 *
 * Thread rule: gn_mpscq_push may be called from any thread. gn_mpscq_pop,
 * gn_mpscq_collect and gn_mpscq_len are for the consumer: one thread at a time.
 * Another thread may take over as consumer once the previous one's calls
 * happen before its own (e.g. after a join, or a handoff through a mutex).
 * Two threads consuming concurrently is undefined behaviour (a data race on
 * the private batch: tasks may be lost, run twice, or memory corrupted); it is
 * not detected. gn_mpscq_empty may be called from any thread.
 *
 * Order: tasks pushed by one thread are popped in the order that thread pushed
 * them; tasks of different producers come out in the order their pushes took
 * effect (the queue is linearizable as a FIFO).
 *
 * Memory: no hazard pointers or retirement are needed, because only the
 * consumer ever unlinks a node and producers never read a node they did not
 * allocate. Nodes are the recycled nodes of the MPMC queues: a producer takes
 * one from its thread's cache, the consumer puts it back in its own cache, and
 * full magazines of 64 flow back to producers through the global depot. In
 * steady state neither side allocates from the system.
 *
 * Progress: push is lock-free (its CAS fails only because another push
 * succeeded); pop is wait-free, O(1) amortized (the exchange that takes the
 * stack reverses it, once per task). */
typedef struct gn_mpscq gn_mpscq_t;

/* Creates an empty queue in *out (NULL on failure). Returns 0, -EINVAL (out is
 * NULL) or -ENOMEM. Thread-safe; calls malloc. */
GN_EXPORT int gn_mpscq_new(gn_mpscq_t **out);

/* Frees the queue. Tasks still queued are not run: for each, in FIFO order,
 * drop(task, udata) is called (if drop is not NULL) so the owner can free
 * task->arg; task is valid only during the call. Every node is freed. NULL q is
 * a no-op. Not thread-safe: no other thread may push or pop during or after
 * the call. */
GN_EXPORT void gn_mpscq_free(gn_mpscq_t *q, void (*drop)(gn_task_t *task, void *udata),
                             void *udata);

/* Appends the task {fn, arg}; arg may be NULL and is not touched. Any thread.
 * Returns 0, -EINVAL (q or fn NULL) or -ENOMEM (a node or the thread's first
 * record could not be allocated; nothing was queued). Lock-free;
 * allocation-free once the thread's node cache or the depot has nodes. */
GN_EXPORT int gn_mpscq_push(gn_mpscq_t *q, gn_task_fn fn, void *arg);

/* Removes the oldest task into *out and returns true, or returns false when
 * the queue is empty or q or out is NULL (nothing is removed). The task is not
 * run: the caller runs it. Consumer thread only. Wait-free (O(1) amortized).
 * Allocates only on the thread's first call to a queue function (its record);
 * the node goes back to the thread's cache (to free() if that record could not
 * be allocated), so a pop never fails once a task is there. */
GN_EXPORT bool gn_mpscq_pop(gn_mpscq_t *q, gn_task_t *out);

/* Takes every task pushed so far into the consumer's private batch and returns
 * how many tasks the batch holds. The next that many gn_mpscq_pop calls return
 * exactly those tasks, whatever is pushed meanwhile: a snapshot, e.g. to run
 * the tasks queued at one moment and leave later ones for the next round.
 * Returns 0 for NULL q. Consumer thread only. Wait-free, O(tasks taken). */
GN_EXPORT size_t gn_mpscq_collect(gn_mpscq_t *q);

/* True when the queue held no task at the moment of the check (NULL q counts
 * as empty). Any thread: two relaxed loads, so from a producer it is a recent
 * answer, not a synchronizing one. Wait-free. */
GN_EXPORT bool gn_mpscq_empty(const gn_mpscq_t *q);

/* Number of tasks queued (0 for NULL q). Consumer thread only (it walks the
 * shared stack, which only the consumer may do safely). Approximate while
 * producers push: a recent value. O(tasks pushed since the last collect or
 * pop that took the stack). */
GN_EXPORT size_t gn_mpscq_len(const gn_mpscq_t *q);

#ifdef __cplusplus
}
#endif
#endif
