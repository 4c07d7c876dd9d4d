/* gn_run: sets the engine up (logger, options, address, loops, listeners),
 * runs it until a stop, and tears it down in an order that lets every task
 * either run or be reported. */
#include "engine_int.h"

#include <errno.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
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
static void close_gate(gn_engine_t *eng)
{
    atomic_store(&eng->closing, true);
    while (atomic_load(&eng->inflight) != 0)
        sched_yield();
}

/* ---- stopping ---- */

/* Queues every loop's stop task. With a main reactor this runs on the
 * gn_run thread, the one that queues the handoff tasks: a loop's tasks from
 * one thread run in order (no order between threads), so every connection
 * handed to a loop before the stop is opened there and then closed by the
 * stop, and on_close reaches it. */
static void send_loop_stops(gn_engine_t *eng)
{
    for (int i = 0; i < eng->nloops; i++)
        if (eng->loops[i].poller != NULL)
            (void)gn_poller_trigger(eng->loops[i].poller, GN_PRIO_HIGH, gn__loop_stop_task,
                                    &eng->loops[i]);
}

static int main_stop_task(void *arg)
{
    gn_engine_t *eng = arg;
    gn__acceptor_close(&eng->main_acc, eng->main_poller);
    send_loop_stops(eng);
    eng->loop_stops_sent = true;
    return GN_POLL_STOP;
}

/* Inside the gate, so that the engine cannot be freed under the loop over
 * the pollers (the first stop task may end gn_run before the last trigger). */
static int stop(gn_engine_t *eng)
{
    if (!gn__engine_enter(eng))
        return GN_ESTOPPED;
    int rc = GN_ESTOPPED;
    if (!atomic_exchange(&eng->stop_requested, true)) {
        rc = 0;
        if (eng->main_poller != NULL)
            (void)gn_poller_trigger(eng->main_poller, GN_PRIO_HIGH, main_stop_task, eng);
        else
            send_loop_stops(eng);
    }
    gn__engine_leave(eng);
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
    if (eng == NULL)
        return 0;
    for (int i = 0; i < eng->nloops; i++)
        n += atomic_load_explicit(&eng->loops[i].nconns, memory_order_relaxed);
    return n;
}

int gn_engine_dup(const gn_engine_t *eng)
{
    if (eng == NULL)
        return -EINVAL;
    const gn__acceptor_t *a = eng->main_reactor ? &eng->main_acc : &eng->loops[0].acc;
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

/* ---- setup ---- */

static int setup_logger(gn_engine_t *eng, const gn_options_t *o)
{
    eng->log = gn_log_default();
    if (o == NULL)
        return 0;
    if (o->logger != NULL) {
        eng->log = o->logger;
        return 0;
    }
    if (o->log_path == NULL && o->log_level == GN_LOG_INFO)
        return 0;
    gn_logger_opts_t lo = {.level = o->log_level, .sink = GN_LOG_SINK_STDERR};
    if (o->log_path != NULL) {
        lo.sink = GN_LOG_SINK_FILE;
        lo.path = o->log_path;
    }
    int rc = gn_logger_new(&eng->own_log, &lo);
    if (rc < 0) {
        GN_LOG_ERRORF(eng->log, "gnet: cannot create logger: %s", gn_strerror(rc));
        return rc == -EINVAL ? GN_EOPTION : rc;
    }
    eng->log = eng->own_log;
    return 0;
}

static int setup_addr(gn_engine_t *eng, const char *addr)
{
    int rc = gn_addr_parse(addr, &eng->addr);
    if (rc < 0) {
        GN__LOG(eng, GN_LOG_ERROR, "gnet: bad address '%s': %s", addr, gn_strerror(rc));
        return rc;
    }
    if (eng->addr.socktype != SOCK_STREAM) {
        GN__LOG(eng, GN_LOG_ERROR, "gnet: unsupported scheme '%s' in '%s'",
                gn_addr_network_name(eng->addr.network), addr);
        return GN_EPROTO_UNSUPPORTED;
    }
    return 0;
}

/* With port 0, the first listener picks the port; the others (reuse_port)
 * must bind that same port. */
static void adopt_bound_port(gn_engine_t *eng, int fd)
{
    gn_addr_t bound;
    if (eng->addr.network == GN_NET_UNIX || gn_socket_local_addr(fd, &bound) < 0)
        return;
    in_port_t port = ((const struct sockaddr *)&bound.ss)->sa_family == AF_INET6
                         ? ((const struct sockaddr_in6 *)&bound.ss)->sin6_port
                         : ((const struct sockaddr_in *)&bound.ss)->sin_port;
    if (((const struct sockaddr *)&eng->addr.ss)->sa_family == AF_INET6)
        ((struct sockaddr_in6 *)&eng->addr.ss)->sin6_port = port;
    else
        ((struct sockaddr_in *)&eng->addr.ss)->sin_port = port;
}

static int setup_listeners(gn_engine_t *eng)
{
    int rc;
    gn__reserves_init(&eng->reserves, eng->main_reactor ? 1 : eng->nloops);
    if (eng->main_reactor) {
        rc = gn_poller_open(&eng->main_poller);
        if (rc == 0)
            rc = gn__acceptor_open(&eng->main_acc, eng, NULL, eng->main_poller);
        return rc;
    }
    for (int i = 0; i < eng->nloops; i++) {
        rc = gn__acceptor_open(&eng->loops[i].acc, eng, &eng->loops[i], eng->loops[i].poller);
        if (rc < 0)
            return rc;
        if (i == 0)
            adopt_bound_port(eng, eng->loops[0].acc.pa.fd);
    }
    return 0;
}

static int setup(gn_engine_t *eng, const char *addr, const gn_options_t *opts)
{
    int rc = setup_logger(eng, opts);
    if (rc == 0)
        rc = gn__options_resolve(opts, &eng->o, eng->log);
    if (rc == 0)
        rc = setup_addr(eng, addr);
    if (rc < 0)
        return rc;
    eng->nloops = eng->o.num_event_loop;
    /* Unix sockets cannot share a path: reuse_port means nothing there. */
    bool per_loop = eng->nloops == 1 || (eng->o.reuse_port && eng->addr.network != GN_NET_UNIX);
    eng->main_reactor = !per_loop;
    eng->loops = calloc((size_t)eng->nloops, sizeof *eng->loops);
    if (eng->loops == NULL)
        return -ENOMEM;
    for (int i = 0; i < eng->nloops; i++)
        if ((rc = gn__loop_init(&eng->loops[i], eng, i)) < 0)
            return rc;
    rc = setup_listeners(eng);
    if (rc < 0) {
        GN__LOG(eng, GN_LOG_ERROR, "gnet: cannot listen on '%s': %s", addr, gn_strerror(rc));
        return rc;
    }
    if (eng->o.ticker && eng->h.on_tick != NULL)
        rc = gn__ticker_start(&eng->loops[0]);
    return rc;
}

/* ---- teardown ---- */

static void unlink_unix_path(gn_engine_t *eng)
{
    const struct sockaddr_un *un = (const struct sockaddr_un *)&eng->addr.ss;
    if (eng->addr.network == GN_NET_UNIX && un->sun_path[0] != '\0')
        (void)unlink(un->sun_path);
}

static void teardown(gn_engine_t *eng)
{
    close_gate(eng);
    if (eng->loops != NULL)
        for (int i = 0; i < eng->nloops; i++)
            gn__loop_release(&eng->loops[i]);
    if (eng->main_poller != NULL) {
        gn__acceptor_close(&eng->main_acc, eng->main_poller);
        (void)gn_poller_close(eng->main_poller);
    }
    gn__reserves_release(&eng->reserves);
    if (eng->listened)
        unlink_unix_path(eng);
    free(eng->loops);
    gn_logger_free(eng->own_log);
    free(eng);
}

/* ---- run ---- */

static void join_loops(gn_engine_t *eng)
{
    for (int i = 0; i < eng->nloops; i++)
        if (eng->loops[i].thread_started)
            pthread_join(eng->loops[i].thread, NULL);
}

static int start_loops(gn_engine_t *eng)
{
    for (int i = 0; i < eng->nloops; i++) {
        int rc = gn__loop_start(&eng->loops[i]);
        if (rc < 0) {
            GN__LOG(eng, GN_LOG_ERROR, "gnet: cannot start loop %d: %s", i, gn_strerror(rc));
            return rc;
        }
    }
    return 0;
}

static int serve(gn_engine_t *eng)
{
    int rc = start_loops(eng);
    if (rc == 0 && eng->main_reactor) {
        rc = gn_poller_polling(eng->main_poller);
        if (rc < 0)
            GN__LOG(eng, GN_LOG_ERROR, "gnet: main reactor stopped: %s", gn_strerror(rc));
    }
    /* Loops stop on their own after a stop request; the main reactor (or a
     * failed start) asks for one in case it ended some other way. */
    if (rc < 0 || eng->main_reactor)
        gn__engine_request_stop(eng);
    /* The main reactor ended without running its stop task (an error, or a
     * failed start): stop the loops from here, still after every handoff. */
    if (eng->main_reactor && !eng->loop_stops_sent) {
        atomic_store(&eng->stop_requested, true);
        send_loop_stops(eng);
        eng->loop_stops_sent = true;
    }
    join_loops(eng);
    return rc;
}

int gn_run(const gn_handler_t *h, const char *addr, const gn_options_t *opts)
{
    if (h == NULL || addr == NULL)
        return -EINVAL;
    gn_engine_t *eng = calloc(1, sizeof *eng);
    if (eng == NULL)
        return -ENOMEM;
    eng->h = *h;
    int rc = setup(eng, addr, opts);
    if (rc < 0) {
        teardown(eng);
        return rc;
    }
    if (eng->h.on_boot != NULL && eng->h.on_boot(eng) == GN_SHUTDOWN) {
        teardown(eng);
        return 0;
    }
    rc = serve(eng);
    if (eng->h.on_shutdown != NULL)
        eng->h.on_shutdown(eng);
    teardown(eng);
    return rc < 0 && rc != GN_ESHUTDOWN ? rc : 0;
}
