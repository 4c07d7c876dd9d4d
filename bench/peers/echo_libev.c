/* echo_libev: the echo server on libev, one ev_io watcher per connection, the
 * same scheme as echo_epoll: read up to 64 KiB, write it at once, keep what the
 * socket did not take and watch for writability (not readability) until it is out.
 *
 *   echo_libev [-p PORT]
 *
 * Rules in peer.h. */
#include "peer.h"

#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct {
    ev_io io; /* first: the watcher libev passes back is the connection */
    char *pend;
    size_t plen, poff;
} vconn_t;

static char rbuf[PEER_READ_MAX];

static void conn_close(struct ev_loop *loop, vconn_t *c)
{
    ev_io_stop(loop, &c->io);
    close(c->io.fd);
    free(c->pend);
    free(c);
}

static void watch(struct ev_loop *loop, vconn_t *c, int events)
{
    ev_io_stop(loop, &c->io);
    ev_io_set(&c->io, c->io.fd, events);
    ev_io_start(loop, &c->io);
}

static int conn_echo(struct ev_loop *loop, vconn_t *c, size_t n)
{
    ssize_t w = send(c->io.fd, rbuf, n, MSG_NOSIGNAL);
    if (w < 0 && errno != EAGAIN)
        return 0;
    size_t done = w < 0 ? 0 : (size_t)w;
    if (done == n)
        return 1;
    c->plen = n - done;
    c->poff = 0;
    c->pend = malloc(c->plen);
    if (c->pend == NULL)
        return 0;
    memcpy(c->pend, rbuf + done, c->plen);
    watch(loop, c, EV_WRITE);
    return 1;
}

static int conn_flush(struct ev_loop *loop, vconn_t *c)
{
    ssize_t w = send(c->io.fd, c->pend + c->poff, c->plen - c->poff, MSG_NOSIGNAL);
    if (w < 0)
        return errno == EAGAIN;
    c->poff += (size_t)w;
    if (c->poff < c->plen)
        return 1;
    free(c->pend);
    c->pend = NULL;
    watch(loop, c, EV_READ);
    return 1;
}

static void on_conn(struct ev_loop *loop, ev_io *w, int revents)
{
    vconn_t *c = (vconn_t *)w;
    int ok;
    if (c->pend != NULL) {
        ok = conn_flush(loop, c);
    } else {
        ssize_t n = recv(w->fd, rbuf, sizeof rbuf, 0);
        ok = n > 0 ? conn_echo(loop, c, (size_t)n) : n < 0 && (errno == EAGAIN || errno == EINTR);
    }
    if (!ok)
        conn_close(loop, c); /* EOF (nothing is queued while reading) or an error */
}

/* Out of descriptors, a spare one is given up to accept and drop the connection. */
static void on_accept(struct ev_loop *loop, ev_io *w, int revents)
{
    static int spare = -1;
    if (spare < 0)
        spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
    for (;;) {
        int fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0 && (errno == EMFILE || errno == ENFILE) && spare >= 0) {
            close(spare);
            fd = accept(w->fd, NULL, NULL);
            if (fd >= 0)
                close(fd);
            spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
            continue;
        }
        if (fd < 0)
            return;
        vconn_t *c = calloc(1, sizeof *c);
        if (c == NULL) {
            close(fd);
            continue;
        }
        peer_nodelay(fd);
        ev_io_init(&c->io, on_conn, fd, EV_READ);
        ev_io_start(loop, &c->io);
    }
}

int main(int argc, char **argv)
{
    peer_opts_t o;
    ev_io accept_w;
    peer_parse(argc, argv, "echo_libev", false, &o);
    peer_prepare();
    int fd = peer_listen(o.port);
    struct ev_loop *loop = ev_default_loop(EVBACKEND_EPOLL);
    if (loop == NULL) {
        fprintf(stderr, "echo_libev: no epoll backend\n");
        return 1;
    }
    ev_io_init(&accept_w, on_accept, fd, EV_READ);
    ev_io_start(loop, &accept_w);
    ev_run(loop, 0);
    return 0;
}
