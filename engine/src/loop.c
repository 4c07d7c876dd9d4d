/* Event loops: one thread, one poller, one shared read buffer, one
 * connection table each. */
#include "engine_int.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int gn__loop_init(gn__loop_t *l, gn_engine_t *eng, int idx)
{
    memset(l, 0, sizeof *l);
    l->eng = eng;
    l->idx = idx;
    l->free_head = UINT32_MAX;
    gn__drainq_init(&l->drains);
    l->stop_pa.fd = -1;
    atomic_init(&l->nconns, 0);
    l->rcap = (size_t)eng->o.read_buffer_cap;
    l->rbuf = malloc(l->rcap);
    if (l->rbuf == NULL)
        return -ENOMEM;
    int rc = gn_poller_open(&l->poller);
    if (rc < 0)
        return rc;
    return gn_poller_set_task_drop(l->poller, gn__loop_task_drop, l);
}

/* Closes the loop's own listeners and forgets the stop eventfd (the engine
 * owns and closes it). Idempotent. */
static void close_listeners(gn__loop_t *l)
{
    for (int i = 0; l->accs != NULL && i < l->eng->nlis; i++)
        gn__acceptor_close(&l->accs[i], l->poller);
    if (l->stop_pa.fd >= 0)
        (void)gn_poller_delete(l->poller, &l->stop_pa);
    l->stop_pa.fd = -1;
}

/* Frees what init and the loop's life allocated. The loop thread has been
 * joined and no producer can trigger any more (engine gate closed). */
void gn__loop_release(gn__loop_t *l)
{
    if (l->poller != NULL) {
        close_listeners(l);
        gn__ticker_stop(l);
        gn__drainq_release(l);
        (void)gn_poller_close(l->poller); /* drops queued tasks, see task_drop */
        l->poller = NULL;
    }
    gn__loop_timers_release(l);
    free(l->accs);
    l->accs = NULL;
    free(l->slots);
    free(l->rbuf);
    l->slots = NULL;
    l->rbuf = NULL;
}

/* A task that never ran: a handed-off fd is closed, an async operation
 * reports GN_ESHUTDOWN through its callback. */
void gn__loop_task_drop(gn_task_t *t, void *udata)
{
    gn__loop_t *l = udata;
    if (t->fn == gn__handoff_task) {
        close((int)((intptr_t)t->arg - 1));
        atomic_fetch_sub_explicit(&l->nconns, 1, memory_order_relaxed);
    } else if (gn__is_async_task(t->fn)) {
        gn__async_drop(t);
    } else {
        gn__loop_api_drop(l, t);
    }
}

/* Engine stop, on the loop thread: every connection gets on_close, then
 * polling ends. */
int gn__loop_stop_task(void *arg)
{
    gn__loop_t *l = arg;
    close_listeners(l);
    gn__ticker_stop(l);
    gn__loop_close_all(l, GN_ESHUTDOWN);
    l->stopped = true;
    return GN_POLL_STOP;
}

/* The stop eventfd became readable (per-loop topology: every loop watches
 * it, level-triggered, and nobody reads it, so each loop sees it). */
int gn__loop_stop_io(int fd, gn_io_event_t ev, gn_io_flags_t flags, void *udata)
{
    return gn__loop_stop_task(udata);
}

static void pin_thread(gn__loop_t *l)
{
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    if (ncpu < 1)
        return;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET((size_t)(l->idx % ncpu), &set);
    int rc = pthread_setaffinity_np(pthread_self(), sizeof set, &set);
    if (rc != 0)
        GN__LOG(l->eng, GN_LOG_WARN, "gnet: loop %d: cannot pin to a CPU: %s", l->idx,
                gn_strerror(-rc));
}

static void *loop_main(void *arg)
{
    gn__loop_t *l = arg;
    char name[16];
    snprintf(name, sizeof name, "gnet-loop-%d", l->idx);
    (void)pthread_setname_np(pthread_self(), name);
    gn__loop_bind_thread(l);
    if (l->eng->o.lock_os_thread)
        pin_thread(l);
    gn_engine_t *eng = l->eng;
    if (eng->h.on_loop_start != NULL && eng->h.on_loop_start(l) == GN_SHUTDOWN)
        gn__engine_request_stop(eng);
    gn__engine_thread_up(eng);
    int rc = gn_poller_polling(l->poller);
    if (rc < 0)
        GN__LOG(l->eng, GN_LOG_ERROR, "gnet: loop %d stopped: %s", l->idx, gn_strerror(rc));
    if (!l->stopped) {
        /* Failed rather than stopped: take the engine down with it. */
        gn__engine_request_stop(l->eng);
        (void)gn__loop_stop_task(l);
    }
    if (eng->h.on_loop_stop != NULL)
        eng->h.on_loop_stop(l);
    gn_queue_thread_exit();
    gn__engine_thread_done(l->eng);
    return NULL;
}

int gn__loop_start(gn__loop_t *l)
{
    int rc = pthread_create(&l->thread, NULL, loop_main, l);
    if (rc != 0)
        return -rc;
    l->thread_started = true;
    return 0;
}
