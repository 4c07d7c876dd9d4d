/* The backend-independent half of the poller: argument checks, the task
 * trigger and task phase, the polling loop and the event array sizing. */
#include "poller_internal.h"

#include <errno.h>
#include <stdlib.h>

/* ThreadSanitizer does not model atomic_thread_fence (GCC warns with -Wtsan),
 * so under TSan the trigger uses the equivalent always-RMW form it can check. */
#if defined(__SANITIZE_THREAD__)
#define GN__TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define GN__TSAN 1
#endif
#endif

static int poller_alloc_parts(gn_poller_t *p)
{
    p->ev_cap = GN__EVENTS_INIT;
    p->events = calloc((size_t)p->ev_cap, sizeof(*p->events));
    if (p->events == NULL)
        return -ENOMEM;
    int rc = gn_mpscq_new(&p->high);
    if (rc == 0)
        rc = gn_mpscq_new(&p->low);
    return rc;
}

static void poller_free_parts(gn_poller_t *p)
{
    gn_mpscq_free(p->high, p->drop, p->drop_udata);
    gn_mpscq_free(p->low, p->drop, p->drop_udata);
    gn__timers_release(&p->timers);
    free(p->events);
    free(p);
}

GN_EXPORT int gn_poller_open(gn_poller_t **out)
{
    if (out == NULL)
        return -EINVAL;
    *out = NULL;
    /* aligned_alloc: wake_pending is cache-line aligned. */
    gn_poller_t *p = aligned_alloc(_Alignof(gn_poller_t), sizeof(gn_poller_t));
    if (p == NULL)
        return -ENOMEM;
    *p = (gn_poller_t){.fd = -1, .wake_fd = -1, .wake_wfd = -1, .timers.free = UINT32_MAX};
    atomic_init(&p->wake_pending, 0);
    int rc = poller_alloc_parts(p);
    if (rc == 0)
        rc = gn__backend_open(p);
    if (rc != 0) {
        gn__backend_close(p);
        poller_free_parts(p);
        return rc;
    }
    *out = p;
    return 0;
}

GN_EXPORT int gn_poller_close(gn_poller_t *p)
{
    if (p == NULL)
        return -EINVAL;
    if (p->polling)
        return -EBUSY;
    int rc = gn__backend_close(p);
    poller_free_parts(p);
    return rc;
}

GN_EXPORT int gn_poller_set_task_drop(gn_poller_t *p, gn_task_drop_fn drop, void *udata)
{
    if (p == NULL)
        return -EINVAL;
    p->drop = drop;
    p->drop_udata = udata;
    return 0;
}

static bool attachment_ok(const gn_poller_t *p, const gn_poll_attachment_t *pa)
{
    return p != NULL && pa != NULL && pa->fd >= 0 && pa->callback != NULL;
}

GN_EXPORT int gn_poller_add_read(gn_poller_t *p, gn_poll_attachment_t *pa, bool edge_triggered)
{
    return attachment_ok(p, pa) ? gn__backend_add(p, pa, true, false, edge_triggered) : -EINVAL;
}

GN_EXPORT int gn_poller_add_write(gn_poller_t *p, gn_poll_attachment_t *pa, bool edge_triggered)
{
    return attachment_ok(p, pa) ? gn__backend_add(p, pa, false, true, edge_triggered) : -EINVAL;
}

GN_EXPORT int gn_poller_add_read_write(gn_poller_t *p, gn_poll_attachment_t *pa,
                                       bool edge_triggered)
{
    return attachment_ok(p, pa) ? gn__backend_add(p, pa, true, true, edge_triggered) : -EINVAL;
}

GN_EXPORT int gn_poller_mod_read(gn_poller_t *p, gn_poll_attachment_t *pa, bool edge_triggered)
{
    return attachment_ok(p, pa) ? gn__backend_mod(p, pa, true, false, edge_triggered) : -EINVAL;
}

GN_EXPORT int gn_poller_mod_read_write(gn_poller_t *p, gn_poll_attachment_t *pa,
                                       bool edge_triggered)
{
    return attachment_ok(p, pa) ? gn__backend_mod(p, pa, true, true, edge_triggered) : -EINVAL;
}

GN_EXPORT int gn_poller_mod_write(gn_poller_t *p, gn_poll_attachment_t *pa, bool edge_triggered)
{
    return attachment_ok(p, pa) ? gn__backend_mod(p, pa, false, true, edge_triggered) : -EINVAL;
}

GN_EXPORT int gn_poller_delete(gn_poller_t *p, gn_poll_attachment_t *pa)
{
    if (p == NULL || pa == NULL || pa->fd < 0)
        return -EINVAL;
    /* Only the undispatched rest of the batch can still name pa; this costs
     * nothing outside a batch and at most one pass over it inside. */
    for (int i = p->ev_next; i < p->ev_n; i++) {
        if (gn__event_attachment(&p->events[i]) == pa)
            gn__event_invalidate(&p->events[i]);
    }
    return gn__backend_del(p, pa);
}

/* Takes the in-flight flag if it is free and, if so, sends the one wake-up. */
static void wake_once(gn_poller_t *p)
{
    /* A failed wake-up (it cannot happen with a valid eventfd: a full counter
     * is reset) frees the flag so that the next trigger tries again; the task
     * itself stays queued, so trigger still reports success. */
    if (atomic_exchange(&p->wake_pending, 1) == 0 && gn__backend_wake(p) != 0)
        atomic_store(&p->wake_pending, 0);
}

/* A trigger that found no wake-up in flight (or any trigger under TSan). */
__attribute__((noinline)) static int trigger_wake(gn_poller_t *p)
{
    wake_once(p);
    return 0;
}

GN_EXPORT int gn_poller_trigger(gn_poller_t *p, gn_priority_t prio, gn_task_fn fn, void *arg)
{
    if (p == NULL || (prio != GN_PRIO_HIGH && prio != GN_PRIO_LOW))
        return -EINVAL;
    /* -EINVAL for a NULL fn, -ENOMEM; nothing queued then. */
    int rc = gn_mpscq_push(prio == GN_PRIO_HIGH ? p->high : p->low, fn, arg);
    if (rc != 0)
        return rc;
#ifndef GN__TSAN
    /* Pairs with the fence in rearm(): either this thread sees the flag
     * cleared and wakes, or the polling thread sees this task queued. Most
     * triggers find a wake-up in flight and stop at this read, which does
     * not write the flag's line. */
    atomic_thread_fence(memory_order_seq_cst);
    if (atomic_load_explicit(&p->wake_pending, memory_order_relaxed) != 0)
        return 0;
#endif
    return trigger_wake(p);
}

/* Runs at most max tasks of q; returns the first stopping code, else 0. The
 * polling thread is the queues' one consumer (gn_mpscq_peek's thread rule).
 * Tasks run in place, from the queue's memory, and leave it once they ran
 * (a stopping task too), so a stop leaves exactly the tasks after it queued. */
static int run_queue(gn_mpscq_t *q, size_t max)
{
    while (max > 0) {
        size_t n;
        const gn_task_t *t = gn_mpscq_peek(q, &n);
        if (t == NULL)
            return 0;
        if (n > max)
            n = max;
        for (size_t i = 0; i < n; i++) {
            int rc = t[i].fn(t[i].arg);
            if (rc == GN_POLL_STOP || rc < 0) {
                (void)gn_mpscq_consume(q, i + 1);
                return rc;
            }
        }
        (void)gn_mpscq_consume(q, n);
        max -= n;
    }
    return 0;
}

static bool tasks_queued(const gn_poller_t *p)
{
    return !gn_mpscq_empty(p->high) || !gn_mpscq_empty(p->low);
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ volatile("yield" ::: "memory");
#endif
}

/* Watches the queues for about GN__LINGER_NS while still holding the wake-up
 * flag, so producers keep skipping the eventfd; true when tasks arrived. A
 * producer that triggers again within that time (a stream of tasks slightly
 * slower than the loop) costs no eventfd write, no blocking wait and no
 * wake-up; an idle loop pays the spin once each time it runs out of work.
 * The queues are looked at every GN__LINGER_SPINS pauses only, and once tasks
 * show up it waits GN__LINGER_GATHER pauses more (about 1.6 us) before the
 * round that runs them: each look and each round reads the producers' lane
 * lines (their counts, the slot line being written), which costs a producer a
 * cache-line transfer at its next trigger's fence. Taking a stream in batches
 * of tens of tasks rather than one by one made a single producer about 30%
 * faster on the benchmark machine; a task that lands while the loop lingers
 * runs about 1.6 us later than it could, still well before a blocked loop
 * would have woken up. */
static bool linger(const gn_poller_t *p)
{
    uint64_t end = gn__mono_ns() + GN__LINGER_NS;
    do {
        for (int i = 0; i < GN__LINGER_SPINS; i++)
            cpu_relax();
        if (tasks_queued(p)) {
            for (int i = 0; i < GN__LINGER_GATHER; i++)
                cpu_relax();
            return true;
        }
    } while (gn__mono_ns() < end);
    return false;
}

/* Ends the wake-up in flight, then wakes again if tasks remain (the low cap,
 * a stop, tasks triggered by tasks, or producers that saw the flag set).
 * While the loop goes on (no stop), remaining tasks keep the wake-up in flight
 * instead: producers keep skipping the eventfd, and the poller schedules its
 * next task round itself after a non-blocking wait for I/O, one system call
 * instead of a wake-up's write and blocking wait. That keeps the polling
 * thread ahead of busy producers, so the queues stay short and their chunks
 * stay in cache. When the queues are empty it lingers (see linger) before it
 * gives the flag back. After a stop, a real wake-up makes the fd readable
 * again (nested loops) and lets the next gn_poller_polling resume the tasks. */
static void rearm(gn_poller_t *p, bool going_on)
{
    if (going_on && (tasks_queued(p) || linger(p))) {
        p->again = true;
        return;
    }
    atomic_exchange(&p->wake_pending, 0);
#ifndef GN__TSAN
    atomic_thread_fence(memory_order_seq_cst);
#endif
    if (tasks_queued(p))
        wake_once(p);
}

static int run_tasks(gn_poller_t *p)
{
    p->chores = false;
    /* A snapshot of the high queue (collect takes everything queued so far,
     * including tasks left by a stop): tasks that trigger high-priority tasks
     * cannot keep the loop away from I/O; theirs run next round. */
    int rc = run_queue(p->high, gn_mpscq_collect(p->high));
    if (rc == 0)
        rc = run_queue(p->low, GN_POLL_LOW_TASKS_PER_ROUND);
    rearm(p, rc == 0);
    return rc;
}

/* Grows the array after a full wait, shrinks it after a sparse one. A failed
 * growth keeps the current array: fewer events per wait, nothing lost. */
static void resize_events(gn_poller_t *p)
{
    int cap = p->ev_cap;
    if (p->ev_n == cap && cap < GN__EVENTS_MAX)
        cap *= 2;
    else if (p->ev_n > 0 && p->ev_n < cap / 2 && cap > GN__EVENTS_MIN)
        cap /= 2;
    /* The batch is over: forget its size so a later call cannot resize twice. */
    p->ev_n = p->ev_next = 0;
    if (cap == p->ev_cap)
        return;
    gn__event_t *ev = realloc(p->events, (size_t)cap * sizeof(*ev));
    if (ev == NULL)
        return;
    p->events = ev;
    p->ev_cap = cap;
}

/* A callback stopped the batch and left work behind; a loop nesting the
 * poller must see its fd readable to resume it.
 *
 * If the task phase is owed (the batch held the wake-up, dispatched or still
 * in its rest, or the poller scheduled this round itself), the poller holds
 * the in-flight flag but the wake-up is spent (edge-triggered: not reported
 * again) or was never written, so producers skip the eventfd and nothing
 * would make the fd readable although tasks wait. The phase moves to a fresh
 * wake-up written under the flag the poller holds: the wake-up of the rest is
 * invalidated and chores cleared, so the tasks run when the new one is
 * fetched (the wait after the rest, which does not block) and exactly one
 * wake-up stays in flight. Should the write fail, the phase stays in this
 * batch (a resume still runs it; only the fd stays quiet).
 *
 * If only the rest of the batch is left, take the flag like a producer. */
static int stopped_in_batch(gn_poller_t *p, int rc)
{
    bool owed = p->chores;
    for (int i = p->ev_next; i < p->ev_n; i++) {
        if (gn__event_attachment(&p->events[i]) == &p->wake_pa) {
            gn__event_invalidate(&p->events[i]);
            owed = true;
        }
    }
    if (owed)
        p->chores = gn__backend_wake(p) != 0;
    else if (p->ev_next < p->ev_n)
        wake_once(p);
    return rc;
}

static int poll_loop(gn_poller_t *p)
{
    for (;;) {
        /* Resumes a batch left by a stop: its rest, then its tasks. */
        int rc = gn__backend_dispatch(p);
        if (rc != 0)
            return stopped_in_batch(p, rc);
        if (p->chores) {
            rc = run_tasks(p);
            if (rc != 0)
                return rc;
        }
        rc = gn__timers_run(p);
        if (rc != 0)
            return rc;
        resize_events(p);
        rc = gn__backend_wait(p, p->again ? 0 : gn__timers_timeout(p));
        gn__timers_clock_stale(&p->timers);
        if (rc != 0)
            return rc;
        if (p->again) {
            p->again = false;
            p->chores = true;
        }
        p->round++;
    }
}

GN_EXPORT int gn_poller_polling(gn_poller_t *p)
{
    if (p == NULL)
        return -EINVAL;
    if (p->polling)
        return -EBUSY;
    p->polling = true;
    gn__timers_clock_stale(&p->timers);
    int rc = poll_loop(p);
    p->polling = false;
    return rc == GN_POLL_STOP ? 0 : rc;
}

GN_EXPORT int gn_poller_fd(const gn_poller_t *p)
{
    return p != NULL ? p->fd : -EINVAL;
}

GN_EXPORT uint64_t gn_poller_round(const gn_poller_t *p)
{
    return p != NULL ? p->round : 0;
}
