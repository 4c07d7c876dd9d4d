/* The engine's life: gn_engine_new (logger, options, stop eventfd),
 * gn_engine_listen (addresses), gn_engine_start (loops, listeners, on_boot,
 * threads), gn_engine_wait (join, on_shutdown, teardown in an order that
 * lets every task either run or be reported), gn_engine_free; gn_run and
 * gn_rotate are these calls in a row, with the main reactor on the caller's
 * thread. */
#include "engine_int.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* The engine whose loop or main-reactor thread this is (gn_engine_wait from
 * there would wait for itself). */
static _Thread_local gn_engine_t *tls_engine;

/* ---- threads reporting in and out ---- */

void gn__engine_thread_up(gn_engine_t *eng)
{
    tls_engine = eng;
    pthread_mutex_lock(&eng->mu);
    eng->loops_up++;
    pthread_cond_broadcast(&eng->cv);
    pthread_mutex_unlock(&eng->mu);
}

/* The thread's last touch of the engine: the waiter may tear it down next. */
void gn__engine_thread_done(gn_engine_t *eng)
{
    pthread_mutex_lock(&eng->mu);
    eng->running--;
    pthread_cond_broadcast(&eng->cv);
    pthread_mutex_unlock(&eng->mu);
}

/* ---- new ---- */

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

static int init_sync(gn_engine_t *eng)
{
    pthread_condattr_t ca;
    if (pthread_condattr_init(&ca) != 0)
        return -ENOMEM;
    (void)pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    int rc = pthread_cond_init(&eng->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (rc != 0)
        return -rc;
    rc = pthread_mutex_init(&eng->mu, NULL);
    if (rc != 0) {
        pthread_cond_destroy(&eng->cv);
        return -rc;
    }
    return 0;
}

static void free_engine(gn_engine_t *eng, bool sync)
{
    if (eng->stop_fd >= 0)
        close(eng->stop_fd);
    if (sync) {
        pthread_cond_destroy(&eng->cv);
        pthread_mutex_destroy(&eng->mu);
    }
    free(eng->lis);
    free(eng->main_accs);
    free(eng->loops);
    gn_logger_free(eng->own_log);
    free(eng);
}

int gn_engine_new(gn_engine_t **out, const gn_handler_t *h, const gn_options_t *opts)
{
    if (out == NULL)
        return -EINVAL;
    *out = NULL;
    if (h == NULL)
        return -EINVAL;
    gn_engine_t *eng = calloc(1, sizeof *eng);
    if (eng == NULL)
        return -ENOMEM;
    eng->h = *h;
    eng->stop_fd = -1;
    eng->state = GN__NEW;
    int rc = init_sync(eng);
    if (rc < 0) {
        free_engine(eng, false);
        return rc;
    }
    rc = setup_logger(eng, opts);
    if (rc == 0)
        rc = gn__options_resolve(opts, &eng->o, eng->log);
    if (rc == 0) {
        eng->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        rc = eng->stop_fd < 0 ? -errno : 0;
    }
    if (rc < 0) {
        free_engine(eng, true);
        return rc;
    }
    *out = eng;
    return 0;
}

/* ---- listen ---- */

int gn_engine_listen(gn_engine_t *eng, const char *addr)
{
    if (eng == NULL || addr == NULL)
        return -EINVAL;
    if (eng->state != GN__NEW)
        return -EBUSY;
    gn_addr_t a;
    int rc = gn_addr_parse(addr, &a);
    if (rc < 0) {
        GN__LOG(eng, GN_LOG_ERROR, "gnet: bad address '%s': %s", addr, gn_strerror(rc));
        return rc;
    }
    if (a.socktype != SOCK_STREAM) {
        GN__LOG(eng, GN_LOG_ERROR, "gnet: unsupported scheme '%s' in '%s'",
                gn_addr_network_name(a.network), addr);
        return GN_EPROTO_UNSUPPORTED;
    }
    gn__listen_t *lis = realloc(eng->lis, (size_t)(eng->nlis + 1) * sizeof *lis);
    if (lis == NULL)
        return -ENOMEM;
    eng->lis = lis;
    lis[eng->nlis++] = (gn__listen_t){.addr = a};
    return 0;
}

int gn_engine_num_listeners(const gn_engine_t *eng)
{
    return eng == NULL ? 0 : eng->nlis;
}

int gn_engine_listener_addr(const gn_engine_t *eng, int i, gn_addr_t *out)
{
    if (eng == NULL || out == NULL || i < 0 || i >= eng->nlis)
        return -EINVAL;
    *out = eng->lis[i].addr;
    return 0;
}

/* ---- start ---- */

/* With port 0, the first listener of an address picks the port; the
 * others (reuse_port) must bind that same port, and the engine reports it. */
static void adopt_bound_port(gn_addr_t *addr, int fd)
{
    gn_addr_t bound;
    if (addr->network == GN_NET_UNIX || gn_socket_local_addr(fd, &bound) < 0)
        return;
    in_port_t port = ((const struct sockaddr *)&bound.ss)->sa_family == AF_INET6
                         ? ((const struct sockaddr_in6 *)&bound.ss)->sin6_port
                         : ((const struct sockaddr_in *)&bound.ss)->sin_port;
    if (((const struct sockaddr *)&addr->ss)->sa_family == AF_INET6)
        ((struct sockaddr_in6 *)&addr->ss)->sin6_port = port;
    else
        ((struct sockaddr_in *)&addr->ss)->sin_port = port;
}

static int open_listener(gn_engine_t *eng, gn__acceptor_t *a, int i, gn__loop_t *l, gn_poller_t *p,
                         bool balance)
{
    gn__listen_t *li = &eng->lis[i];
    int rc = gn__acceptor_open(a, eng, &li->addr, l, p, balance);
    if (rc < 0) {
        char text[128];
        if (gn_addr_format(&li->addr, text, sizeof text) < 0)
            text[0] = '\0';
        GN__LOG(eng, GN_LOG_ERROR, "gnet: cannot listen on %s://%s: %s",
                gn_addr_network_name(li->addr.network), text, gn_strerror(rc));
        return rc;
    }
    if (!li->bound)
        adopt_bound_port(&li->addr, a->pa.fd);
    li->bound = true;
    return 0;
}

static int setup_main_reactor(gn_engine_t *eng)
{
    int rc = gn_poller_open(&eng->main_poller);
    if (rc < 0)
        return rc;
    eng->main_stop_pa =
        (gn_poll_attachment_t){.fd = eng->stop_fd, .callback = gn__main_stop_io, .udata = eng};
    rc = gn_poller_add_read(eng->main_poller, &eng->main_stop_pa, false);
    if (rc < 0)
        return rc;
    eng->main_accs = calloc((size_t)eng->nlis + 1, sizeof *eng->main_accs);
    if (eng->main_accs == NULL)
        return -ENOMEM;
    for (int i = 0; i < eng->nlis && rc == 0; i++)
        rc = open_listener(eng, &eng->main_accs[i], i, NULL, eng->main_poller, true);
    return rc;
}

/* Per-loop topology: every loop binds each TCP address (SO_REUSEPORT); a
 * unix path cannot be shared, so loop 0 alone listens on it and balances
 * its connections over the loops. */
static int setup_per_loop(gn_engine_t *eng)
{
    for (int k = 0; k < eng->nloops; k++) {
        gn__loop_t *l = &eng->loops[k];
        l->stop_pa =
            (gn_poll_attachment_t){.fd = eng->stop_fd, .callback = gn__loop_stop_io, .udata = l};
        int rc = gn_poller_add_read(l->poller, &l->stop_pa, false);
        if (rc < 0) {
            l->stop_pa.fd = -1;
            return rc;
        }
        l->accs = calloc((size_t)eng->nlis + 1, sizeof *l->accs);
        if (l->accs == NULL)
            return -ENOMEM;
        for (int i = 0; i < eng->nlis; i++) {
            bool unix_path = eng->lis[i].addr.network == GN_NET_UNIX;
            if (unix_path && k > 0)
                continue;
            rc = open_listener(eng, &l->accs[i], i, l, l->poller, unix_path && eng->nloops > 1);
            if (rc < 0)
                return rc;
        }
    }
    return 0;
}

/* One loop, or reuse_port with a TCP address: loops accept by themselves. */
static bool per_loop_topology(const gn_engine_t *eng)
{
    if (eng->nloops == 1)
        return true;
    if (!eng->o.reuse_port)
        return false;
    for (int i = 0; i < eng->nlis; i++)
        if (eng->lis[i].addr.network != GN_NET_UNIX)
            return true;
    return false;
}

static int setup(gn_engine_t *eng)
{
    eng->nloops = eng->o.num_event_loop;
    eng->main_reactor = !per_loop_topology(eng);
    eng->loops = calloc((size_t)eng->nloops, sizeof *eng->loops);
    if (eng->loops == NULL)
        return -ENOMEM;
    int rc = 0;
    for (int i = 0; i < eng->nloops && rc == 0; i++)
        rc = gn__loop_init(&eng->loops[i], eng, i);
    /* One EMFILE reserve per acceptor (reserve.c caps the pool). */
    gn__reserves_init(&eng->reserves, eng->main_reactor ? eng->nlis : eng->nloops * eng->nlis);
    if (rc == 0)
        rc = eng->main_reactor ? setup_main_reactor(eng) : setup_per_loop(eng);
    if (rc == 0 && eng->o.ticker && eng->h.on_tick != NULL)
        rc = gn__ticker_start(&eng->loops[0]);
    return rc;
}

static void unlink_unix_paths(gn_engine_t *eng)
{
    for (int i = 0; i < eng->nlis; i++) {
        const struct sockaddr_un *un = (const struct sockaddr_un *)&eng->lis[i].addr.ss;
        if (eng->lis[i].bound && eng->lis[i].addr.network == GN_NET_UNIX && un->sun_path[0] != '\0')
            (void)unlink(un->sun_path);
    }
}

/* Everything but the engine's memory: after this, queries and stops still
 * work (stops return GN_ESTOPPED) until gn_engine_free. */
static void teardown(gn_engine_t *eng)
{
    gn__engine_close_gate(eng);
    if (eng->loops != NULL)
        for (int i = 0; i < eng->nloops; i++)
            gn__loop_release(&eng->loops[i]);
    if (eng->main_poller != NULL) {
        for (int i = 0; eng->main_accs != NULL && i < eng->nlis; i++)
            gn__acceptor_close(&eng->main_accs[i], eng->main_poller);
        (void)gn_poller_close(eng->main_poller);
        eng->main_poller = NULL;
    }
    gn__reserves_release(&eng->reserves);
    unlink_unix_paths(eng);
    eng->state = GN__DONE;
}

/* The main reactor's run, on whichever thread hosts it. It ends after its
 * stop (which sent the loops' stops) or on an error, and then stops the
 * loops itself, still behind every handoff it queued. */
static void main_reactor_run(gn_engine_t *eng)
{
    int rc = gn__engine_prealloc_loop_stops(eng);
    if (rc == 0)
        rc = gn_poller_polling(eng->main_poller);
    if (rc < 0) {
        GN__LOG(eng, GN_LOG_ERROR, "gnet: main reactor stopped: %s", gn_strerror(rc));
        eng->run_rc = rc;
    }
    gn__engine_request_stop(eng);
    if (!eng->loop_stops_sent)
        gn__engine_send_loop_stops(eng);
}

static void *main_thread(void *arg)
{
    gn_engine_t *eng = arg;
    tls_engine = eng;
    (void)pthread_setname_np(pthread_self(), "gnet-main");
    main_reactor_run(eng);
    gn_queue_thread_exit();
    gn__engine_thread_done(eng);
    return NULL;
}

static int spawn(gn_engine_t *eng, int (*start)(gn__loop_t *), gn__loop_t *l)
{
    pthread_mutex_lock(&eng->mu);
    eng->running++;
    pthread_mutex_unlock(&eng->mu);
    int rc = l != NULL ? start(l) : -pthread_create(&eng->main_thread, NULL, main_thread, eng);
    if (rc < 0) {
        pthread_mutex_lock(&eng->mu);
        eng->running--;
        pthread_mutex_unlock(&eng->mu);
    }
    return rc;
}

/* Starts every loop and waits until each reached its poll loop. */
static int start_loops(gn_engine_t *eng)
{
    for (int i = 0; i < eng->nloops; i++) {
        int rc = spawn(eng, gn__loop_start, &eng->loops[i]);
        if (rc < 0) {
            GN__LOG(eng, GN_LOG_ERROR, "gnet: cannot start loop %d: %s", i, gn_strerror(rc));
            return rc;
        }
    }
    pthread_mutex_lock(&eng->mu);
    while (eng->loops_up < eng->nloops)
        pthread_cond_wait(&eng->cv, &eng->mu);
    pthread_mutex_unlock(&eng->mu);
    return 0;
}

static int wait_done(gn_engine_t *eng, int timeout_ms);

/* A thread could not be started: stop what runs and wait for it. */
static int start_failed(gn_engine_t *eng, int rc)
{
    gn__engine_request_stop(eng);
    if (eng->main_reactor && !eng->loop_stops_sent)
        gn__engine_send_loop_stops(eng);
    (void)wait_done(eng, -1);
    return rc;
}

/* Sets up, boots and starts the loops; the main reactor gets its own
 * thread unless inline (gn_run hosts it on the calling thread). */
static int start(gn_engine_t *eng, bool inline_main)
{
    if (eng == NULL)
        return -EINVAL;
    if (eng->state != GN__NEW)
        return -EBUSY;
    eng->state = GN__RUNNING;
    int rc = setup(eng);
    /* Hosted by this thread, the main reactor gets its stop lanes now, so
     * that running out of memory shows as a failed start, never later. */
    if (rc == 0 && inline_main && eng->main_reactor)
        rc = gn__engine_prealloc_loop_stops(eng);
    if (rc < 0) {
        teardown(eng);
        return rc;
    }
    eng->booting = true;
    gn_action_t a = eng->h.on_boot != NULL ? eng->h.on_boot(eng) : GN_NONE;
    eng->booting = false;
    if (a == GN_SHUTDOWN) {
        atomic_store(&eng->stop_requested, true);
        teardown(eng);
        return 0;
    }
    rc = start_loops(eng);
    if (rc == 0 && eng->main_reactor && !inline_main)
        rc = spawn(eng, NULL, NULL);
    if (rc < 0)
        return start_failed(eng, rc);
    eng->main_thread_started = eng->main_reactor && !inline_main;
    return 0;
}

int gn_engine_start(gn_engine_t *eng)
{
    return start(eng, false);
}

/* ---- wait ---- */

static bool wait_threads(gn_engine_t *eng, int timeout_ms)
{
    struct timespec end;
    clock_gettime(CLOCK_MONOTONIC, &end);
    end.tv_sec += timeout_ms / 1000;
    end.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (end.tv_nsec >= 1000000000L) {
        end.tv_sec++;
        end.tv_nsec -= 1000000000L;
    }
    bool done = true;
    pthread_mutex_lock(&eng->mu);
    while (eng->running > 0 && done) {
        if (timeout_ms < 0)
            pthread_cond_wait(&eng->cv, &eng->mu);
        else if (pthread_cond_timedwait(&eng->cv, &eng->mu, &end) == ETIMEDOUT)
            done = eng->running == 0;
    }
    pthread_mutex_unlock(&eng->mu);
    return done;
}

static int wait_done(gn_engine_t *eng, int timeout_ms)
{
    if (!wait_threads(eng, timeout_ms))
        return -ETIMEDOUT;
    for (int i = 0; i < eng->nloops; i++)
        if (eng->loops[i].thread_started)
            pthread_join(eng->loops[i].thread, NULL);
    if (eng->main_thread_started)
        pthread_join(eng->main_thread, NULL);
    if (eng->h.on_shutdown != NULL)
        eng->h.on_shutdown(eng);
    teardown(eng);
    return eng->run_rc;
}

int gn_engine_wait(gn_engine_t *eng, int timeout_ms)
{
    if (eng == NULL)
        return -EINVAL;
    if (tls_engine == eng)
        return -EDEADLK;
    if (eng->state == GN__NEW)
        return -EINVAL;
    if (eng->booting)
        return -EBUSY;
    if (eng->state == GN__DONE)
        return eng->run_rc;
    return wait_done(eng, timeout_ms);
}

void gn_engine_free(gn_engine_t *eng)
{
    if (eng == NULL || tls_engine == eng)
        return;
    if (eng->state == GN__RUNNING) {
        (void)gn_engine_stop(eng);
        (void)wait_done(eng, -1);
    }
    free_engine(eng, true);
}

/* ---- blocking wrappers ---- */

int gn_rotate(const gn_handler_t *h, const char *const *addrs, int n, const gn_options_t *opts)
{
    if (h == NULL || addrs == NULL || n <= 0)
        return -EINVAL;
    for (int i = 0; i < n; i++)
        if (addrs[i] == NULL)
            return -EINVAL;
    gn_engine_t *eng;
    int rc = gn_engine_new(&eng, h, opts);
    if (rc < 0)
        return rc;
    for (int i = 0; i < n && rc == 0; i++)
        rc = gn_engine_listen(eng, addrs[i]);
    if (rc == 0)
        rc = start(eng, true);
    if (rc == 0 && eng->state == GN__RUNNING) {
        if (eng->main_reactor)
            main_reactor_run(eng);
        rc = wait_done(eng, -1);
    }
    gn_engine_free(eng);
    return rc < 0 && rc != GN_ESHUTDOWN ? rc : 0;
}

int gn_run(const gn_handler_t *h, const char *addr, const gn_options_t *opts)
{
    if (h == NULL || addr == NULL)
        return -EINVAL;
    return gn_rotate(h, &addr, 1, opts);
}
