/* Listeners: accept until EAGAIN; the main reactor hands each connection to a
 * loop through that loop's high-priority task, a per-loop listener (reuse_port
 * or single loop) opens it in place. Out of descriptors, one of the engine's
 * reserve fds is given up to accept and drop the connection, so the listener
 * neither spins nor stops (see reserve.c for why that stays correct with
 * several acceptors). When even that is impossible (no reserve left, or
 * accept fails with ENOBUFS and the like), the listener is paused for
 * GN__ACCEPT_BACKOFF_MS by a timerfd instead of being polled in a busy loop. */
#include "engine_int.h"

#include <errno.h>
#include <sys/timerfd.h>
#include <unistd.h>

#define GN__ACCEPT_BACKOFF_MS 50

typedef enum { ACC_MORE, ACC_DONE, ACC_PAUSE } acc_next_t;

/* The loop whose thread is running: handoff tasks carry only the fd. */
static _Thread_local gn__loop_t *tls_loop;

static void set_tls_loop(gn__loop_t *l)
{
    tls_loop = l;
}

int gn__handoff_task(void *arg)
{
    gn__loop_t *l = tls_loop;
    (void)gn__conn_open(l, (int)((intptr_t)arg - 1));
    gn__loop_run_closes(l);
    return l->stopped ? GN_POLL_STOP : 0;
}

/* Drops one pending connection with a reserve fd; the dropped connection's
 * slot becomes the reserve. accept(2) reports EMFILE before it looks at the
 * queue, so EMFILE alone does not mean a connection is pending: EAGAIN here
 * ends the round. Another thread may take the freed slot first (the accept
 * fails again): the next round tries another reserve. With none left the
 * listener pauses. */
static acc_next_t emfile(gn__acceptor_t *a, int err)
{
    gn_engine_t *eng = a->eng;
    if (!a->emfile_logged) {
        GN__LOG(eng, GN_LOG_ERROR, "gnet: accept: %s; dropping new connections until fds free up",
                gn_strerror(err));
        a->emfile_logged = true;
    }
    int r = gn__reserves_take(&eng->reserves);
    if (r < 0)
        return ACC_PAUSE;
    close(r);
    int fd = gn_socket_accept(a->pa.fd, NULL);
    if (fd >= 0)
        gn__reserves_keep(&eng->reserves, fd);
    else
        (void)gn__reserves_refill(&eng->reserves);
    return fd == -EAGAIN ? ACC_DONE : ACC_MORE;
}

/* A connection accepted while the pool is short may hold the slot a
 * sibling's reserve just gave up: unless the reserves can be refilled from
 * free slots, it becomes the reserve (dropped, as under EMFILE anyway).
 * True when fd was taken for that. */
static bool fd_owed_to_reserves(gn__acceptor_t *a, int fd)
{
    gn__reserves_t *r = &a->eng->reserves;
    if (!gn__reserves_short(r) || gn__reserves_refill(r))
        return false;
    gn__reserves_keep(r, fd);
    return true;
}

static void dispatch(gn__acceptor_t *a, int fd, const gn_addr_t *peer)
{
    gn_engine_t *eng = a->eng;
    gn__loop_t *l = a->balance ? gn__lb_pick(eng, peer) : a->loop;
    atomic_fetch_add_explicit(&l->nconns, 1, memory_order_relaxed);
    gn__conn_apply_options(eng, fd, a->addr);
    if (l == a->loop) {
        (void)gn__conn_open(l, fd);
        return;
    }
    int rc = gn__engine_trigger(eng, l->poller, GN_PRIO_HIGH, gn__handoff_task,
                                (void *)(intptr_t)(fd + 1));
    if (rc < 0) {
        close(fd);
        atomic_fetch_sub_explicit(&l->nconns, 1, memory_order_relaxed);
    }
}

static acc_next_t accept_one(gn__acceptor_t *a)
{
    gn_engine_t *eng = a->eng;
    gn_addr_t peer;
    bool want_peer = a->balance && eng->o.lb == GN_LB_SOURCE_ADDR_HASH;
    int fd = gn_socket_accept(a->pa.fd, want_peer ? &peer : NULL);
    if (fd >= 0) {
        if (!fd_owed_to_reserves(a, fd))
            dispatch(a, fd, want_peer ? &peer : NULL);
        return ACC_MORE;
    }
    if (fd == -EMFILE || fd == -ENFILE)
        return emfile(a, fd);
    if (fd == -ECONNABORTED || fd == -EPROTO || fd == -EPERM)
        return ACC_MORE; /* that connection died in the queue: next */
    if (fd == -EAGAIN)
        return ACC_DONE;
    GN__LOG(eng, GN_LOG_WARN, "gnet: accept: %s; pausing the listener", gn_strerror(fd));
    return ACC_PAUSE;
}

/* Stops polling the listener and arms the backoff timer; the timer's
 * callback resumes it. */
static void pause_listener(gn__acceptor_t *a)
{
    struct itimerspec its = {.it_value = {.tv_nsec = GN__ACCEPT_BACKOFF_MS * 1000000L}};
    if (a->paused || a->backoff_pa.fd < 0 || timerfd_settime(a->backoff_pa.fd, 0, &its, NULL) < 0)
        return; /* no timer: keep polling (degraded, but never stuck) */
    if (gn_poller_delete(a->poller, &a->pa) == 0)
        a->paused = true;
}

static void pause_listener_retry(gn__acceptor_t *a)
{
    struct itimerspec its = {.it_value = {.tv_nsec = GN__ACCEPT_BACKOFF_MS * 1000000L}};
    (void)timerfd_settime(a->backoff_pa.fd, 0, &its, NULL);
}

static int backoff_io(int fd, gn_io_event_t ev, gn_io_flags_t flags, void *udata)
{
    (void)ev;
    (void)flags;
    gn__acceptor_t *a = udata;
    uint64_t expirations;
    if (read(fd, &expirations, sizeof expirations) < 0 || !a->paused || !a->registered)
        return 0;
    (void)gn__reserves_refill(&a->eng->reserves);
    if (gn_poller_add_read(a->poller, &a->pa, false) == 0)
        a->paused = false;
    else
        pause_listener_retry(a);
    return 0;
}

static int acceptor_io(int fd, gn_io_event_t ev, gn_io_flags_t flags, void *udata)
{
    (void)fd;
    (void)ev;
    (void)flags;
    gn__acceptor_t *a = udata;
    acc_next_t next = ACC_MORE;
    while (a->registered && !a->paused && next == ACC_MORE)
        next = accept_one(a);
    if (next == ACC_PAUSE)
        pause_listener(a);
    if (a->loop == NULL)
        return 0;
    gn__loop_run_closes(a->loop);
    return a->loop->stopped ? GN_POLL_STOP : 0;
}

static gn_socket_options_t listen_options(const gn_engine_t *eng, const gn_addr_t *addr)
{
    gn_socket_options_t so = {0};
    so.reuseaddr = eng->o.reuse_addr;
    so.reuseport = eng->o.reuse_port && addr->network != GN_NET_UNIX;
    return so;
}

/* Binds a listener for addr (an entry of eng->lis) and registers it on p. */
int gn__acceptor_open(gn__acceptor_t *a, gn_engine_t *eng, const gn_addr_t *addr, gn__loop_t *loop,
                      gn_poller_t *p, bool balance)
{
    gn_socket_options_t so = listen_options(eng, addr);
    a->eng = eng;
    a->loop = loop;
    a->addr = addr;
    a->balance = balance;
    int fd = gn_socket_listen(addr, &so);
    if (fd < 0)
        return fd;
    a->pa = (gn_poll_attachment_t){.fd = fd, .callback = acceptor_io, .udata = a};
    int rc = gn_poller_add_read(p, &a->pa, false);
    if (rc < 0) {
        close(fd);
        return rc;
    }
    a->registered = true;
    a->poller = p;
    a->backoff_pa = (gn_poll_attachment_t){.fd = -1, .callback = backoff_io, .udata = a};
    int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (tfd >= 0) {
        a->backoff_pa.fd = tfd;
        if (gn_poller_add_read(p, &a->backoff_pa, false) < 0) {
            close(tfd);
            a->backoff_pa.fd = -1;
        }
    }
    return 0;
}

void gn__acceptor_close(gn__acceptor_t *a, gn_poller_t *p)
{
    if (!a->registered)
        return;
    a->registered = false;
    if (!a->paused)
        (void)gn_poller_delete(p, &a->pa);
    close(a->pa.fd);
    if (a->backoff_pa.fd >= 0) {
        (void)gn_poller_delete(p, &a->backoff_pa);
        close(a->backoff_pa.fd);
        a->backoff_pa.fd = -1;
    }
}

void gn__loop_bind_thread(gn__loop_t *l)
{
    set_tls_loop(l);
}
