/* The public event-loop object: accessors, per-loop udata, functions
 * executed on a loop from any thread, user timers on the loop's poller, and
 * the enrolment of already connected fds as connections. */
#include "engine_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---- accessors ---- */

gn_loop_t *gn_engine_loop(const gn_engine_t *eng, int i)
{
    if (eng == NULL || eng->loops == NULL || i < 0 || i >= eng->nloops)
        return NULL;
    return &eng->loops[i];
}

gn_loop_t *gn_conn_loop(const gn_conn_t *c)
{
    return c == NULL ? NULL : c->loop;
}

gn_engine_t *gn_loop_engine(const gn_loop_t *loop)
{
    return loop == NULL ? NULL : loop->eng;
}

int gn_loop_index(const gn_loop_t *loop)
{
    return loop == NULL ? -EINVAL : loop->idx;
}

size_t gn_loop_count_connections(const gn_loop_t *loop)
{
    return loop == NULL ? 0 : atomic_load_explicit(&loop->nconns, memory_order_relaxed);
}

void *gn_loop_udata(const gn_loop_t *loop)
{
    return loop == NULL ? NULL : loop->udata;
}

void gn_loop_set_udata(gn_loop_t *loop, void *udata)
{
    if (loop != NULL)
        loop->udata = udata;
}

/* After user code on the loop: closes it asked for, and the loop's stop. */
static int after_user_code(gn__loop_t *l)
{
    gn__loop_run_closes(l);
    return l->stopped ? GN_POLL_STOP : 0;
}

/* ---- execute ---- */

typedef struct exec {
    gn__loop_t *loop;
    gn_loop_fn fn;
    void *arg;
} exec_t;

int gn__exec_task(void *arg)
{
    exec_t e = *(exec_t *)arg;
    free(arg);
    e.fn(e.loop, e.arg);
    return after_user_code(e.loop);
}

int gn_loop_execute(gn_loop_t *loop, gn_loop_fn fn, void *arg)
{
    if (loop == NULL || fn == NULL)
        return -EINVAL;
    exec_t *e = malloc(sizeof *e);
    if (e == NULL)
        return -ENOMEM;
    *e = (exec_t){.loop = loop, .fn = fn, .arg = arg};
    int rc = gn__engine_trigger(loop->eng, loop->poller, GN_PRIO_LOW, gn__exec_task, e);
    if (rc < 0)
        free(e);
    return rc;
}

/* ---- timers ---- */

static void timer_unlink(gn__loop_timer_t *t)
{
    if (t->prev != NULL)
        t->prev->next = t->next;
    else
        t->loop->utimers = t->next;
    if (t->next != NULL)
        t->next->prev = t->prev;
    free(t);
}

/* A repeating timer may be cancelled (and freed) by its own callback, so t
 * is not touched after the call unless it is a one-shot one, which its
 * callback cannot cancel (its id is already stale). */
static int timer_fire(gn_poller_t *p, gn_timer_id_t id, void *udata)
{
    gn__loop_timer_t *t = udata;
    gn__loop_t *l = t->loop;
    bool repeating = t->repeating;
    gn_action_t a = t->fn(l, id, t->udata);
    if (!repeating)
        timer_unlink(t);
    if (a == GN_SHUTDOWN)
        gn__engine_request_stop(l->eng);
    return after_user_code(l);
}

int gn_loop_timer_add(gn_loop_t *loop, uint64_t delay_ns, uint64_t period_ns, gn_loop_timer_fn fn,
                      void *udata, uint64_t *id)
{
    if (loop == NULL || fn == NULL)
        return -EINVAL;
    gn__loop_timer_t *t = malloc(sizeof *t);
    if (t == NULL)
        return -ENOMEM;
    *t = (gn__loop_timer_t){
        .loop = loop, .fn = fn, .udata = udata, .repeating = period_ns != 0, .next = loop->utimers};
    int rc = gn_poller_timer_add(loop->poller, delay_ns, period_ns, timer_fire, t, id);
    if (rc < 0) {
        free(t);
        return rc;
    }
    if (loop->utimers != NULL)
        loop->utimers->prev = t;
    loop->utimers = t;
    return 0;
}

int gn_loop_timer_cancel(gn_loop_t *loop, uint64_t id)
{
    if (loop == NULL)
        return -EINVAL;
    gn__loop_timer_t *t = gn_poller_timer_udata(loop->poller, id);
    int rc = gn_poller_timer_cancel(loop->poller, id);
    if (rc == 0)
        timer_unlink(t);
    return rc;
}

/* The loop's poller is closed (its timers with it): free what is left. */
void gn__loop_timers_release(gn__loop_t *l)
{
    while (l->utimers != NULL)
        timer_unlink(l->utimers);
}

/* ---- enroll ---- */

typedef struct enroll {
    gn__loop_t *loop;
    int fd;
    void *ctx;
} enroll_t;

int gn__enroll_task(void *arg)
{
    enroll_t e = *(enroll_t *)arg;
    free(arg);
    e.loop->open_ctx = e.ctx;
    (void)gn__conn_open(e.loop, e.fd);
    e.loop->open_ctx = NULL;
    return after_user_code(e.loop);
}

/* A connected stream socket, made non-blocking, with the engine's options. */
static int enroll_prepare(gn_engine_t *eng, int fd)
{
    int type;
    socklen_t len = sizeof type;
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0)
        return -errno;
    if (type != SOCK_STREAM)
        return GN_EPROTO_UNSUPPORTED;
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
        return -errno;
    gn_addr_t local;
    if (gn_socket_local_addr(fd, &local) == 0)
        gn__conn_apply_options(eng, fd, &local);
    return 0;
}

static int enroll_on(gn__loop_t *l, int fd, void *ctx)
{
    enroll_t *e = malloc(sizeof *e);
    if (e == NULL)
        return -ENOMEM;
    *e = (enroll_t){.loop = l, .fd = fd, .ctx = ctx};
    /* Counted now, as an accepted connection is, for the balancers. */
    atomic_fetch_add_explicit(&l->nconns, 1, memory_order_relaxed);
    int rc = gn__engine_trigger(l->eng, l->poller, GN_PRIO_HIGH, gn__enroll_task, e);
    if (rc < 0) {
        atomic_fetch_sub_explicit(&l->nconns, 1, memory_order_relaxed);
        free(e);
    }
    return rc;
}

int gn_loop_enroll(gn_loop_t *loop, int fd, void *ctx)
{
    if (loop == NULL || fd < 0)
        return -EINVAL;
    int rc = enroll_prepare(loop->eng, fd);
    return rc < 0 ? rc : enroll_on(loop, fd, ctx);
}

int gn_engine_enroll(gn_engine_t *eng, int fd, void *ctx)
{
    if (eng == NULL || eng->loops == NULL || fd < 0)
        return -EINVAL;
    int rc = enroll_prepare(eng, fd);
    if (rc < 0)
        return rc;
    gn_addr_t peer;
    bool hash = eng->o.lb == GN_LB_SOURCE_ADDR_HASH && gn_socket_peer_addr(fd, &peer) == 0;
    return enroll_on(gn__lb_pick(eng, hash ? &peer : NULL), fd, ctx);
}

/* ---- tasks that never ran ---- */

/* Called by the loop's drop hook (gn_poller_close at teardown, on the
 * waiting thread): an executed function learns that it did not run; an
 * enrolled fd is closed. */
void gn__loop_api_drop(gn__loop_t *l, gn_task_t *t)
{
    if (t->fn == gn__exec_task) {
        exec_t *e = t->arg;
        e->fn(NULL, e->arg);
        free(e);
    } else if (t->fn == gn__enroll_task) {
        enroll_t *e = t->arg;
        close(e->fd);
        atomic_fetch_sub_explicit(&l->nconns, 1, memory_order_relaxed);
        free(e);
    }
}
