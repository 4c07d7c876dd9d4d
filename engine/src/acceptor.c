/* Listeners: accept until EAGAIN; the main reactor hands each connection to a
 * loop through that loop's high-priority task, a per-loop listener (reuse_port
 * or single loop) opens it in place. Out of descriptors, a reserve fd is given
 * up to accept and drop the connection, so the listener neither spins nor
 * stops (the nginx/libuv trick). */
#include "engine_int.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

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

/* Returns true when a pending connection was dropped (more may wait).
 * accept(2) reports EMFILE before it looks at the queue, so EMFILE alone
 * does not mean a connection is pending: EAGAIN here ends the round. */
static bool emfile(gn__acceptor_t *a, int err)
{
    gn_engine_t *eng = a->eng;
    if (!a->emfile_logged) {
        GN__LOG(eng, GN_LOG_ERROR, "gnet: accept: %s; dropping new connections until fds free up",
                gn_strerror(err));
        a->emfile_logged = true;
    }
    int fd = -1;
    if (a->reserve_fd >= 0) {
        close(a->reserve_fd);
        fd = gn_socket_accept(a->pa.fd, NULL);
        if (fd >= 0)
            close(fd);
    }
    a->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    return fd >= 0 && a->reserve_fd >= 0;
}

static void dispatch(gn__acceptor_t *a, int fd, const gn_addr_t *peer)
{
    gn_engine_t *eng = a->eng;
    gn__loop_t *l = a->loop != NULL ? a->loop : gn__lb_pick(eng, peer);
    atomic_fetch_add_explicit(&l->nconns, 1, memory_order_relaxed);
    if (a->loop != NULL) {
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

/* Returns true to keep accepting. */
static bool accept_one(gn__acceptor_t *a)
{
    gn_engine_t *eng = a->eng;
    gn_addr_t peer;
    bool want_peer = a->loop == NULL && eng->o.lb == GN_LB_SOURCE_ADDR_HASH;
    int fd = gn_socket_accept(a->pa.fd, want_peer ? &peer : NULL);
    if (fd >= 0) {
        dispatch(a, fd, want_peer ? &peer : NULL);
        return true;
    }
    if (fd == -EMFILE || fd == -ENFILE)
        return emfile(a, fd);
    if (fd == -ECONNABORTED || fd == -EPROTO || fd == -EPERM)
        return true;
    if (fd != -EAGAIN)
        GN__LOG(eng, GN_LOG_WARN, "gnet: accept: %s", gn_strerror(fd));
    return false;
}

static int acceptor_io(int fd, gn_io_event_t ev, gn_io_flags_t flags, void *udata)
{
    (void)fd;
    (void)ev;
    (void)flags;
    gn__acceptor_t *a = udata;
    while (a->registered && accept_one(a)) {
    }
    if (a->loop == NULL)
        return 0;
    gn__loop_run_closes(a->loop);
    return a->loop->stopped ? GN_POLL_STOP : 0;
}

static gn_socket_options_t listen_options(const gn_engine_t *eng)
{
    gn_socket_options_t so = {0};
    so.reuseaddr = eng->o.reuse_addr;
    so.reuseport = eng->o.reuse_port && eng->addr.network != GN_NET_UNIX;
    return so;
}

/* Binds a listener for eng->addr and registers it on p. */
int gn__acceptor_open(gn__acceptor_t *a, gn_engine_t *eng, gn__loop_t *loop, gn_poller_t *p)
{
    gn_socket_options_t so = listen_options(eng);
    a->eng = eng;
    a->loop = loop;
    a->reserve_fd = -1;
    int fd = gn_socket_listen(&eng->addr, &so);
    if (fd < 0)
        return fd;
    eng->listened = true;
    a->pa = (gn_poll_attachment_t){.fd = fd, .callback = acceptor_io, .udata = a};
    int rc = gn_poller_add_read(p, &a->pa, false);
    if (rc < 0) {
        close(fd);
        return rc;
    }
    a->registered = true;
    a->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    return 0;
}

void gn__acceptor_close(gn__acceptor_t *a, gn_poller_t *p)
{
    if (!a->registered)
        return;
    a->registered = false;
    (void)gn_poller_delete(p, &a->pa);
    close(a->pa.fd);
    if (a->reserve_fd >= 0)
        close(a->reserve_fd);
    a->reserve_fd = -1;
}

void gn__loop_bind_thread(gn__loop_t *l)
{
    set_tls_loop(l);
}
