/* gnet-netpoll: an event poller (epoll on Linux, kqueue on the BSDs and macOS)
 * with attachment callbacks and a thread-safe, two-priority task trigger; the
 * building block of a custom event loop, as gnet's pkg/netpoll.
 *
 *     gn_poller_t *p;
 *     gn_poller_open(&p);
 *     gn_poll_attachment_t pa = {.fd = sock, .callback = on_io, .udata = conn};
 *     gn_poller_add_read(p, &pa, false);
 *     gn_poller_polling(p);          // runs until a callback or task returns GN_POLL_STOP
 *     gn_poller_close(p);
 *
 * Thread rule: a poller and its registrations belong to one thread, the
 * polling thread (the one that calls gn_poller_polling; before the first call,
 * the thread that opened it). Every function here must be called on that
 * thread, except gn_poller_trigger, which is safe from any thread at any time
 * while the poller is open (it is not async-signal-safe: do not call it from a
 * signal handler). Ownership may move to another thread when the handoff is
 * synchronized (pthread_create, pthread_join, a mutex): e.g. open and register
 * on the main thread, then poll on a loop thread, then close after joining it.
 * Callbacks and tasks run on the polling thread, inside
 * gn_poller_polling, and may call any function here except gn_poller_polling
 * and gn_poller_close (both return -EBUSY there).
 *
 * Dispatch: the attachment's address is stored in the kernel event
 * (epoll_event.data.ptr / kevent.udata), so each event costs one indirect call
 * and no fd lookup. An attachment must therefore stay alive and unmoved from
 * the moment it is added until gn_poller_delete returns for it (closing the fd
 * is not enough: delete first, then close the fd and free the attachment).
 *
 * Timers: gn_poller_timer_add arms one-shot and repeating timers that fire on
 * the polling thread between rounds; the wait's timeout follows the earliest.
 *
 * Stale events: a callback may delete (then close and free) any attachment,
 * including one whose event is still pending in the batch being dispatched;
 * gn_poller_delete invalidates such pending events, so they are never delivered.
 * A mod does not filter pending events: callbacks must tolerate an event the
 * attachment is no longer interested in (as with any level-triggered poller).
 *
 * Errors: functions that can fail return 0 or a negative errno. Bad input
 * (NULL poller or attachment, negative fd, NULL callback, unknown priority)
 * is -EINVAL.
 */
#ifndef GNET_NETPOLL_H
#define GNET_NETPOLL_H

#include <gnet/queue.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifndef GN_EXPORT
#define GN_EXPORT __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- events -------------------------------------------------------------- */

/* The events of one readiness report, as a set of GN_IO_* bits. On Linux these
 * are the epoll bits themselves (passed through untouched); the kqueue backend
 * translates each kevent into the same bits, so portable code tests them with
 * gn_is_*_event or the GN_IO_* constants only. */
typedef uint32_t gn_io_event_t;

/* Backend-specific extra flags: the kevent flags (EV_EOF, EV_ERROR...) on
 * kqueue, always 0 on epoll. Informational; the GN_IO_* bits already say it. */
typedef uint16_t gn_io_flags_t;

#define GN_IO_READ  0x0001u /* readable (EPOLLIN / EVFILT_READ) */
#define GN_IO_PRI   0x0002u /* urgent data (EPOLLPRI), counts as readable */
#define GN_IO_WRITE 0x0004u /* writable (EPOLLOUT / EVFILT_WRITE) */
#define GN_IO_ERROR 0x0008u /* error on the fd (EPOLLERR / EV_ERROR or EV_EOF with an error) */
#define GN_IO_HUP   0x0010u /* hang-up: both directions closed (EPOLLHUP) */
#define GN_IO_RDHUP 0x2000u /* peer shut down its writing side (EPOLLRDHUP / EV_EOF on read) */

/* True when ev reports readable data (GN_IO_READ or GN_IO_PRI). */
static inline bool gn_is_read_event(gn_io_event_t ev)
{
    return (ev & (GN_IO_READ | GN_IO_PRI)) != 0;
}

/* True when ev reports that the fd is writable. */
static inline bool gn_is_write_event(gn_io_event_t ev)
{
    return (ev & GN_IO_WRITE) != 0;
}

/* True when ev reports an error or a hang-up (GN_IO_ERROR or GN_IO_HUP): the
 * connection is unusable; read it once to collect the error or the remaining
 * bytes, then delete and close it. A half-close by the peer (GN_IO_RDHUP alone)
 * is not an error: it comes with GN_IO_READ and a later read returns 0. flags is
 * accepted for gnet compatibility and not needed. */
static inline bool gn_is_error_event(gn_io_event_t ev, gn_io_flags_t flags)
{
    (void)flags;
    return (ev & (GN_IO_ERROR | GN_IO_HUP)) != 0;
}

/* ---- attachments --------------------------------------------------------- */

/* Return this from a callback or a task to make gn_poller_polling return 0. */
#define GN_POLL_STOP 1

/* Called on the polling thread for each readiness report of the attachment's
 * fd. Return 0 to keep polling, GN_POLL_STOP to make gn_poller_polling return 0
 * after this callback, or a negative errno to make it return that value. Other
 * positive values are reserved and treated as 0. The callback may register,
 * modify and delete any attachment, including its own (and then close its fd
 * and free it), and trigger tasks. */
typedef int (*gn_poll_cb)(int fd, gn_io_event_t ev, gn_io_flags_t flags, void *udata);

/* A registration: the fd, the callback and its argument. Owned by the caller,
 * which fills it before adding it and keeps it alive and at the same address
 * until it is deleted. fd and callback may be changed only while it is not
 * registered; udata may be changed at any time on the polling thread. */
typedef struct gn_poll_attachment {
    int fd;              /* the file descriptor to watch */
    gn_poll_cb callback; /* called on the polling thread for each report */
    void *udata;         /* passed to callback */
} gn_poll_attachment_t;

/* ---- poller -------------------------------------------------------------- */

/* An epoll (or kqueue) instance with its wake-up fd, its two task queues and
 * its event array. Opaque; heap-allocated. */
typedef struct gn_poller gn_poller_t;

/* Task priorities for gn_poller_trigger. */
typedef enum gn_priority {
    GN_PRIO_HIGH = 0, /* every such task queued when a round's task phase starts runs in it */
    GN_PRIO_LOW = 1,  /* at most GN_POLL_LOW_TASKS_PER_ROUND per round, so I/O is never starved */
} gn_priority_t;

/* The most low-priority tasks run in one round; when more remain the poller
 * schedules another round itself (a non-blocking wait for I/O, whose callbacks
 * run first, then tasks), so they run in the next rounds after that round's I/O. */
#define GN_POLL_LOW_TASKS_PER_ROUND 256

/* Creates a poller in *out: the epoll (kqueue) fd and the wake-up eventfd are
 * close-on-exec. The calling thread owns it until it calls gn_poller_polling.
 * Returns 0, -EINVAL (out is NULL), -ENOMEM, or the negative errno of
 * epoll_create1/eventfd/kqueue (e.g. -EMFILE). */
GN_EXPORT int gn_poller_open(gn_poller_t **out);

/* Closes the poller's fds and frees it. Registered fds are not closed (the
 * caller owns them and their attachments). Tasks still queued are not run: for
 * each, the drop hook set with gn_poller_set_task_drop is called (if any) so
 * the owner can free its arg; without a hook their args are simply forgotten
 * (the queues' lanes and chunks are always freed). Requires that polling is not
 * in progress and that no other thread triggers tasks on p during or after the
 * call (join or stop the producers first). Returns 0, -EINVAL (p NULL), -EBUSY
 * (called from a callback or task: nothing is freed), or the negative errno of
 * close(2) on the poller fd (the poller is freed anyway). */
GN_EXPORT int gn_poller_close(gn_poller_t *p);

/* Called by gn_poller_close for each task that was queued and never run, on the
 * closing thread, high-priority tasks first, in FIFO order per producer. */
typedef void (*gn_task_drop_fn)(gn_task_t *task, void *udata);

/* Sets (or, with NULL, clears) the hook gn_poller_close calls for each task that
 * did not run. Polling thread. Returns 0 or -EINVAL (p NULL). */
GN_EXPORT int gn_poller_set_task_drop(gn_poller_t *p, gn_task_drop_fn drop, void *udata);

/* Registers pa->fd for readability (add_read), writability (add_write) or both
 * (add_read_write). Level-triggered unless edge_triggered, which adds
 * EPOLLET|EPOLLRDHUP (EV_CLEAR on kqueue): an edge-triggered fd is reported once
 * per change of state, so the callback must read (or write) until EAGAIN.
 * pa must stay alive and unmoved until gn_poller_delete(p, pa). Polling thread.
 * Returns 0, -EINVAL (p or pa NULL, pa->fd negative, pa->callback NULL) or the
 * negative errno of epoll_ctl/kevent: -EEXIST (fd already registered), -EBADF,
 * -EPERM (fd does not support polling, e.g. a regular file), -ENOMEM, -ENOSPC. */
GN_EXPORT int gn_poller_add_read(gn_poller_t *p, gn_poll_attachment_t *pa, bool edge_triggered);
GN_EXPORT int gn_poller_add_write(gn_poller_t *p, gn_poll_attachment_t *pa, bool edge_triggered);
GN_EXPORT int gn_poller_add_read_write(gn_poller_t *p, gn_poll_attachment_t *pa,
                                       bool edge_triggered);

/* Changes the interest of a registered attachment to readability only, to both,
 * or to writability only, with the given trigger mode. Polling thread. Returns
 * 0, -EINVAL (as for add) or the negative errno of epoll_ctl/kevent (-ENOENT:
 * pa->fd is not registered). */
GN_EXPORT int gn_poller_mod_read(gn_poller_t *p, gn_poll_attachment_t *pa, bool edge_triggered);
GN_EXPORT int gn_poller_mod_read_write(gn_poller_t *p, gn_poll_attachment_t *pa,
                                       bool edge_triggered);
GN_EXPORT int gn_poller_mod_write(gn_poller_t *p, gn_poll_attachment_t *pa, bool edge_triggered);

/* Unregisters pa->fd and invalidates every event for pa still pending in the
 * batch being dispatched, so pa may be freed (and its fd closed) as soon as
 * this returns, even from inside a callback. Polling thread. Returns 0, -EINVAL
 * (p or pa NULL, pa->fd negative) or the negative errno of epoll_ctl/kevent
 * (-ENOENT: not registered; -EBADF: fd already closed). Pending events are
 * invalidated even when the kernel call fails. */
GN_EXPORT int gn_poller_delete(gn_poller_t *p, gn_poll_attachment_t *pa);

/* Queues fn(arg) to run on the polling thread and wakes the poller (at most one
 * wake-up is in flight at a time, whatever the number of producers). Tasks of
 * one priority from one thread run in the order they were triggered, each
 * exactly once, after the I/O callbacks of the round that picks them up; there
 * is no order between threads, even for causally related triggers (each
 * thread has its own lane in the task queue, see gn_mpscq_t). fn's return
 * value means what a callback's does (0, GN_POLL_STOP or a negative errno);
 * after a stop, the remaining tasks run when polling resumes. Thread-safe:
 * any thread, including the polling thread and tasks; a thread that exits
 * leaves its queued tasks to run (or be dropped at close) as any others.
 * Cost: a push into the thread's lane (plain stores and one release store),
 * one full fence and one read of the in-flight flag; an eventfd write only
 * when no wake-up is in flight. Wait-free and allocation-free once the thread
 * has triggered on p before (its first trigger per priority allocates its
 * lane) while its backlog stays under 4032 tasks. arg is not touched: if the
 * poller is closed before the task runs, see gn_poller_close. Returns 0,
 * -EINVAL (p or fn NULL, unknown prio) or -ENOMEM; on failure the task is
 * not queued and fn is never called. */
GN_EXPORT int gn_poller_trigger(gn_poller_t *p, gn_priority_t prio, gn_task_fn fn, void *arg);

/* Waits for events and dispatches them until a callback or a task returns
 * GN_POLL_STOP (returns 0) or a negative errno (returns it). Each round: wait
 * (EINTR is retried), call the callback of every event of the batch, then run
 * the tasks (all high-priority ones queued when the task phase starts, then at
 * most GN_POLL_LOW_TASKS_PER_ROUND low-priority ones), then the due timers
 * (see gn_poller_timer_add). When the task phase
 * empties the queues, the thread watches them for up to about 3 us (spinning,
 * the wake-up still in flight) before it blocks, so a steady stream of
 * triggers costs no eventfd write and no sleep per task; tasks that show up
 * meanwhile run about 1.6 us later, as a batch. The spin happens after every
 * task phase that empties the queues, busy loop or not, and does not look for
 * I/O: events that become ready meanwhile are dispatched when it ends (a few
 * us later). A loop that runs no tasks never spins. After a stop,
 * calling it again resumes where it stopped: the rest of the batch first, then
 * the tasks.
 * To stop it from another thread, trigger a task that returns GN_POLL_STOP.
 * The calling thread becomes the polling thread. Returns 0, a callback's or
 * task's negative errno, -EINVAL (p NULL), -EBUSY (already polling: called
 * from a callback or task), or the negative errno of epoll_wait/kevent. */
GN_EXPORT int gn_poller_polling(gn_poller_t *p);

/* The epoll (or kqueue) fd, e.g. to nest the poller in another loop: it becomes
 * readable when events are pending, and after a stop that left work behind
 * (the rest of a batch, or tasks), so the nesting loop knows to call
 * gn_poller_polling again. Owned by the poller: do not close it. Returns the
 * fd or -EINVAL (p NULL). */
GN_EXPORT int gn_poller_fd(const gn_poller_t *p);

/* The number of the current round: 0 before the first wait, then incremented
 * each time a wait returns: a blocking wait that returned events or reached
 * the earliest timer's deadline, or the non-blocking one the poller makes
 * when tasks or due timers remain after a round. Useful to group the
 * callbacks, tasks and timers of one round (metrics, tests). Polling
 * thread. Returns 0 when p is NULL. */
GN_EXPORT uint64_t gn_poller_round(const gn_poller_t *p);

/* ---- timers ---------------------------------------------------------------- */

/* Names a timer: gn_poller_timer_add stores it, gn_poller_timer_cancel takes
 * it. A slot index and that slot's generation, so an id whose timer fired
 * (one-shot) or was cancelled is recognised as stale, even after its slot was
 * reused (until the slot's 32-bit generation wraps). 0 never names a timer. */
typedef uint64_t gn_timer_id_t;

/* Called on the polling thread when a timer is due, with the timer's id and
 * udata. Returns what an I/O callback does: 0, GN_POLL_STOP (gn_poller_polling
 * returns 0 after it; due timers left fire when polling resumes) or a negative
 * errno (gn_poller_polling returns it). It may add and cancel timers, its own
 * included, and call anything an I/O callback may. */
typedef int (*gn_timer_cb)(gn_poller_t *p, gn_timer_id_t id, void *udata);

/* Arms a timer that calls cb(p, id, udata) delay_ns from now (gn_poller_now),
 * then, when period_ns is non-zero, every period_ns after that (a repeating
 * timer that fell behind skips the ticks it missed, it does not fire them in
 * a burst). Timers fire in the timer phase, after each round's I/O callbacks
 * and tasks and before the next wait, in deadline order, equal deadlines in
 * the order they were added; none fires early. A timer added or re-armed by a
 * timer callback fires in a later round at the earliest, so a callback that
 * re-adds itself with delay 0 cannot keep the loop from I/O. The wait blocks
 * no longer than the earliest timer (epoll_pwait2's nanosecond timeout where
 * the kernel has it, else a millisecond timeout rounded up).
 * Cost: no system call; O(log n) in the number n of live timers (a 4-ary
 * heap), with an occasional doubling of the timer arrays. *id (if id is not
 * NULL) receives the timer's id. Polling thread. Returns 0, -EINVAL (p or cb
 * NULL) or -ENOMEM (nothing armed then; cb is never called). */
GN_EXPORT int gn_poller_timer_add(gn_poller_t *p, uint64_t delay_ns, uint64_t period_ns,
                                  gn_timer_cb cb, void *udata, gn_timer_id_t *id);

/* Disarms a live timer: its callback is not called again. O(log n), no system
 * call. From its own callback: a repeating timer is re-armed before its
 * callback runs, so cancelling it there stops it; a one-shot timer has
 * already fired then (-ENOENT). Polling thread. Returns 0, -EINVAL (p NULL)
 * or -ENOENT (id names no live timer: 0, fired, cancelled, or unknown). */
GN_EXPORT int gn_poller_timer_cancel(gn_poller_t *p, gn_timer_id_t id);

/* The udata a live timer was armed with, or NULL (p NULL, or id names no
 * live timer). O(1). Polling thread. */
GN_EXPORT void *gn_poller_timer_udata(const gn_poller_t *p, gn_timer_id_t id);

/* The poller's clock, CLOCK_MONOTONIC in nanoseconds, as timers see it: read
 * at most once per round, at the first use after the round's wait returned
 * (a timer add, the timer phase, this call), so every timer added in one
 * round counts from the same instant. Outside polling it is read at each
 * call. Polling thread. Returns 0 when p is NULL. */
GN_EXPORT uint64_t gn_poller_now(gn_poller_t *p);

/* The number of live timers (armed and not yet fired or cancelled; a
 * repeating timer stays live until cancelled). Polling thread. Returns 0 when
 * p is NULL. */
GN_EXPORT size_t gn_poller_timer_count(const gn_poller_t *p);

#ifdef __cplusplus
}
#endif
#endif
