/* The engine's cross-thread gate, its stop (async-signal-safe) and its
 * queries; engine_lifecycle.c creates, starts, waits for and frees it. */
#include "engine_int.h"

#include <errno.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

/* ---- cross-thread gate ---- */

/* A thread that may touch the engine from outside its loops counts itself
 * in; teardown waits until nobody is inside before it frees anything. */
bool gn__engine_enter(gn_engine_t *eng)
{
    atomic_fetch_add(&eng->inflight, 1);
    if (!atomic_load(&eng->closing))
        return true;
    atomic_fetch_sub(&eng->inflight, 1);
    return false;
}

void gn__engine_leave(gn_engine_t *eng)
{
    atomic_fetch_sub(&eng->inflight, 1);
}

int gn__engine_trigger(gn_engine_t *eng, gn_poller_t *p, gn_priority_t prio, gn_task_fn fn,
                       void *arg)
{
    if (!gn__engine_enter(eng))
        return GN_ESHUTDOWN;
    int rc = gn_poller_trigger(p, prio, fn, arg);
    gn__engine_leave(eng);
    return rc;
}

/* After this, no thread is inside gn_poller_trigger and none will enter. */
void gn__engine_close_gate(gn_engine_t *eng)
{
    atomic_store(&eng->closing, true);
    while (atomic_load(&eng->inflight) != 0)
        sched_yield();
}

/* ---- stopping ---- */

/* A lost stop task would leave the loop running: a failed queueing (only
 * -ENOMEM once the lane exists, see gn__engine_prealloc_loop_stops: a
 * backlog past a chunk) is retried while the loops free memory, for up to
 * about a second before it is logged. */
static void send_stop(gn_engine_t *eng, gn__loop_t *l)
{
    for (int tries = 0; tries < 1000; tries++) {
        if (gn_poller_trigger(l->poller, GN_PRIO_HIGH, gn__loop_stop_task, l) == 0)
            return;
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
    }
    GN__LOG(eng, GN_LOG_ERROR, "gnet: cannot queue the stop of loop %d: out of memory", l->idx);
}

/* Queues every loop's stop task. With a main reactor this runs on its
 * thread, the one that queues the handoff tasks: a loop's tasks from one
 * thread run in order (no order between threads), so every connection
 * handed to a loop before the stop is opened there and then closed by the
 * stop, and on_close reaches it. */
void gn__engine_send_loop_stops(gn_engine_t *eng)
{
    for (int i = 0; i < eng->nloops; i++)
        if (eng->loops[i].poller != NULL)
            send_stop(eng, &eng->loops[i]);
    eng->loop_stops_sent = true;
}

static int noop_task(void *arg)
{
    (void)arg;
    return 0;
}

/* A thread's first task on a poller allocates its lane there: the main
 * reactor queues one no-op on every loop before it polls, so that the stops
 * it sends at the end find their lanes and need no memory. */
int gn__engine_prealloc_loop_stops(gn_engine_t *eng)
{
    for (int i = 0; i < eng->nloops; i++) {
        int rc = gn_poller_trigger(eng->loops[i].poller, GN_PRIO_HIGH, noop_task, NULL);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* The stop eventfd became readable on the main reactor: close its
 * listeners, then stop the loops behind every handoff already queued. */
int gn__main_stop_io(int fd, gn_io_event_t ev, gn_io_flags_t flags, void *udata)
{
    gn_engine_t *eng = udata;
    (void)gn_poller_delete(eng->main_poller, &eng->main_stop_pa);
    for (int i = 0; i < eng->nlis; i++)
        gn__acceptor_close(&eng->main_accs[i], eng->main_poller);
    gn__engine_send_loop_stops(eng);
    return GN_POLL_STOP;
}

_Static_assert(ATOMIC_BOOL_LOCK_FREE == 2 && ATOMIC_INT_LOCK_FREE == 2,
               "gn_engine_stop needs lock-free atomics to be async-signal-safe");

/* Async-signal-safe: lock-free atomics and one write(2), errno preserved.
 * Inside the gate, so that the stop fd cannot be closed under the write.
 * The eventfd stays readable (nobody reads it): every poller watching it
 * sees the stop, however many there are. */
static int stop(gn_engine_t *eng)
{
    int saved_errno = errno;
    if (!gn__engine_enter(eng))
        return GN_ESTOPPED;
    int rc = GN_ESTOPPED;
    if (!atomic_exchange(&eng->stop_requested, true)) {
        uint64_t one = 1;
        rc = write(eng->stop_fd, &one, sizeof one) == (ssize_t)sizeof one ? 0 : -errno;
    }
    gn__engine_leave(eng);
    errno = saved_errno;
    return rc;
}

void gn__engine_request_stop(gn_engine_t *eng)
{
    (void)stop(eng);
}

int gn_engine_stop(gn_engine_t *eng)
{
    return eng == NULL ? -EINVAL : stop(eng);
}

void gn__apply_action(gn_engine_t *eng, gn_conn_t *c, gn_action_t a)
{
    if (a == GN_CLOSE && c != NULL)
        gn__conn_mark_close(c, 0);
    else if (a == GN_SHUTDOWN)
        gn__engine_request_stop(eng);
}

/* ---- queries ---- */

size_t gn_engine_count_connections(const gn_engine_t *eng)
{
    size_t n = 0;
    if (eng == NULL || eng->loops == NULL)
        return 0;
    for (int i = 0; i < eng->nloops; i++)
        n += atomic_load_explicit(&eng->loops[i].nconns, memory_order_relaxed);
    return n;
}

int gn_engine_dup(const gn_engine_t *eng)
{
    if (eng == NULL)
        return -EINVAL;
    if (eng->state != GN__RUNNING || eng->nlis == 0)
        return -EBADF;
    const gn__acceptor_t *a = eng->main_reactor ? &eng->main_accs[0] : &eng->loops[0].accs[0];
    return gn_socket_dup(a->pa.fd);
}

void *gn_engine_udata(const gn_engine_t *eng)
{
    return eng == NULL ? NULL : eng->h.udata;
}

int gn_engine_num_loops(const gn_engine_t *eng)
{
    return eng == NULL ? 0 : eng->nloops;
}
