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
 *    a scan issues the barrier, reads the other threads' H*(N-1) hazard
 *    pointers and recycles every retired node not among them: O(1) amortized
 *    per node.
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
/* A queued task: fn(arg), copied into the queue's node. */
typedef struct gn_task {
    gn_task_fn fn; /* the function to run */
    void *arg;     /* its argument */
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
 * e.g. the task queue of an event loop. Much lighter than gn_taskq_t on both
 * sides, because producers share nothing:
 *
 * Design: one lane per producer thread, a single-producer list of chunks of
 * 63 task slots (1 KiB). A push stores {fn, arg} in the next slot of the
 * thread's chunk and publishes it with one release store of the lane's count:
 * no read-modify-write, no node, and no cache line written by another
 * producer (a push is about ten instructions plus three dependent loads to
 * find the lane). The consumer reads every lane's count once (a snapshot,
 * the batch), then takes the tasks of the batch lane by lane from contiguous
 * memory, and can run them in place (gn_mpscq_peek / gn_mpscq_consume).
 *
 * Thread rule: gn_mpscq_push may be called from any thread. gn_mpscq_pop,
 * gn_mpscq_peek, gn_mpscq_consume, gn_mpscq_collect and gn_mpscq_len are for
 * the consumer: one thread at a time. Another thread may take over as
 * consumer once the previous one's calls happen before its own (e.g. after a
 * join, or a handoff through a mutex). Two threads consuming concurrently is
 * undefined behaviour (a data race on the consumer's state: tasks may be
 * lost, run twice, or memory corrupted); it is not detected. gn_mpscq_empty
 * may be called from any thread.
 *
 * Order: tasks pushed by one thread come out in the order that thread pushed
 * them. There is no order between threads, not even between causally related
 * pushes (thread A pushes X, then tells thread B, which pushes Y: Y may come
 * out first). Within a batch the lanes are served in turn, each up to its
 * snapshot, so no producer can starve another.
 *
 * Threads: a thread gets a lane number on its first push (the lowest free
 * one) and gives it back when it exits; a queue keeps the lane of each number
 * for its whole life. So a thread that exits leaves its queued tasks in place
 * (they are popped, or dropped by gn_mpscq_free, as any others), the next
 * thread that takes the number continues the lane, and a queue holds at most
 * as many lanes as producer threads were alive at one time. Each lane costs
 * about 1.2 KiB plus its chunks.
 *
 * Memory: the consumer hands the chunks it has read back to their lane's
 * producer, so in steady state neither side allocates. A lane keeps up to 64
 * idle chunks (64 KiB): a backlog of up to 4032 tasks never calls malloc; a
 * deeper one takes chunks from malloc (one per 63 tasks), and the consumer
 * frees those it reads beyond the 64 it keeps. A push allocates only then, on a thread's first push
 * to a queue (its lane, its lane number) and when the lane directory grows past 64, 192, 448...
 * threads.
 *
 * Progress: push is wait-free once the thread has its lane (one malloc, and
 * a lock-free search of the free lane numbers, on its first push to a queue).
 * Pop, peek and consume are wait-free, O(1) amortized; taking a snapshot is
 * O(lanes). */
typedef struct gn_mpscq gn_mpscq_t;

/* Creates an empty queue in *out (NULL on failure). Returns 0, -EINVAL (out is
 * NULL) or -ENOMEM. Thread-safe; calls malloc. */
GN_EXPORT int gn_mpscq_new(gn_mpscq_t **out);

/* Frees the queue. Tasks still queued are not run: for each, lane after lane
 * (in FIFO order per producer thread, including threads that have exited),
 * drop(task, udata) is called (if drop is not NULL) so the owner can free
 * task->arg; task is valid only during the call. Every lane and chunk is
 * freed. NULL q is a no-op. Not thread-safe: no other thread may push or pop
 * during or after the call. */
GN_EXPORT void gn_mpscq_free(gn_mpscq_t *q, void (*drop)(gn_task_t *task, void *udata),
                             void *udata);

/* Appends the task {fn, arg} to the calling thread's lane; arg may be NULL and
 * is not touched. Any thread. Returns 0, -EINVAL (q or fn NULL) or -ENOMEM
 * (the thread's lane, lane number or a chunk could not be allocated; nothing
 * was queued). Wait-free once the thread has its lane in q (see Progress);
 * allocation-free while the lane's backlog fits in its kept chunks. Costs no
 * fence: a consumer that must order a push against another variable (e.g. a
 * "sleeping" flag) needs a fence on both sides, as gnet-netpoll does. */
GN_EXPORT int gn_mpscq_push(gn_mpscq_t *q, gn_task_fn fn, void *arg);

/* Removes the oldest task of the batch into *out and returns true, or returns
 * false when the queue is empty or q or out is NULL (nothing is removed). When
 * the batch is used up it first takes a new snapshot of the lanes. The task
 * is not run: the caller runs it. Consumer thread only. Wait-free, O(1)
 * amortized; never allocates, so a pop never fails once a task is there. */
GN_EXPORT bool gn_mpscq_pop(gn_mpscq_t *q, gn_task_t *out);

/* The oldest tasks, in place: returns a pointer to the first and stores in *n
 * how many follow it contiguously in memory (at least 1), or returns NULL
 * with *n = 0 when the queue is empty (or q is NULL; NULL n: returns NULL).
 * They stay queued until gn_mpscq_consume removes them, so a consumer can run
 * them straight from the queue's memory, e.g. an event loop that runs each
 * task and removes it (and the ones before it) when the task stops the loop:
 *
 *     size_t n;
 *     const gn_task_t *t = gn_mpscq_peek(q, &n);
 *     for (size_t i = 0; i < n; i++)
 *         if (t[i].fn(t[i].arg) != 0) { gn_mpscq_consume(q, i + 1); return; }
 *     gn_mpscq_consume(q, n);
 *
 * Tasks pushed while they run (even by them, even from this thread) do not
 * move them. The pointer is valid until the next gn_mpscq_consume, pop,
 * collect or free. Same batch rule as gn_mpscq_pop: a snapshot taken by
 * gn_mpscq_collect is served first. Consumer thread only. Wait-free, O(1)
 * amortized. */
GN_EXPORT const gn_task_t *gn_mpscq_peek(gn_mpscq_t *q, size_t *n);

/* Removes the first k tasks the last gn_mpscq_peek returned (k at most its
 * *n; 0 is a no-op), with no other consumer call in between. Returns 0, or
 * -EINVAL (q NULL, or k more than that peek's tasks: nothing is removed).
 * Consumer thread only. Wait-free. */
GN_EXPORT int gn_mpscq_consume(gn_mpscq_t *q, size_t k);

/* Takes every task pushed so far into the consumer's batch and returns how
 * many tasks the batch holds. The next that many tasks popped (or peeked and
 * consumed) are exactly those, whatever is pushed meanwhile: a snapshot, e.g.
 * to run the tasks queued at one moment and leave later ones for the next
 * round. Returns 0 for NULL q. Consumer thread only. Wait-free, O(lanes). */
GN_EXPORT size_t gn_mpscq_collect(gn_mpscq_t *q);

/* True when the queue held no task at the moment of the check (NULL q counts
 * as empty). Any thread: relaxed loads of each lane's two counts, so from a
 * producer it is a recent answer, not a synchronizing one. Wait-free,
 * O(lanes). */
GN_EXPORT bool gn_mpscq_empty(const gn_mpscq_t *q);

/* Number of tasks queued (0 for NULL q), tasks peeked and not yet consumed
 * included. Consumer thread only. Approximate while producers push: a recent
 * value. Wait-free, O(lanes). */
GN_EXPORT size_t gn_mpscq_len(const gn_mpscq_t *q);

#ifdef __cplusplus
}
#endif
#endif
