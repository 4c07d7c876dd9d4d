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
    l->tick_pa.fd = -1;
    gn__drainq_init(&l->drains);
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

/* Frees what init and the loop's life allocated. The loop thread has been
 * joined and no producer can trigger any more (engine gate closed). */
void gn__loop_release(gn__loop_t *l)
{
    if (l->poller != NULL) {
        gn__acceptor_close(&l->acc, l->poller);
        gn__ticker_stop(l);
        gn__drainq_release(l);
        (void)gn_poller_close(l->poller); /* drops queued tasks, see task_drop */
        l->poller = NULL;
    }
    gn__scratch_reset(l);
    free(l->slots);
    free(l->rbuf);
    free(l->scratch);
    l->slots = NULL;
    l->rbuf = NULL;
    l->scratch = NULL;
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
    }
}

/* Engine stop, on the loop thread: every connection gets on_close, then
 * polling ends. */
int gn__loop_stop_task(void *arg)
{
    gn__loop_t *l = arg;
    gn__acceptor_close(&l->acc, l->poller);
    gn__ticker_stop(l);
    gn__loop_close_all(l, GN_ESHUTDOWN);
    l->stopped = true;
    return GN_POLL_STOP;
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
    int rc = gn_poller_polling(l->poller);
    if (rc < 0)
        GN__LOG(l->eng, GN_LOG_ERROR, "gnet: loop %d stopped: %s", l->idx, gn_strerror(rc));
    if (!l->stopped) {
        /* Failed rather than stopped: take the engine down with it. */
        gn__engine_request_stop(l->eng);
        (void)gn__loop_stop_task(l);
    }
    gn_queue_thread_exit();
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
