/* echo_epoll: a TCP echo server on a hand-written level-triggered epoll loop, the
 * practical limit the other servers are measured against: per echo one read and
 * one write, and no epoll_ctl unless a write was partial.
 *
 *   echo_epoll [-p PORT] [-f N]
 *
 * -f N flips a bit in every Nth read before echoing it: a faulty server for checking
 * that the load generator catches corruption. Rules in peer.h. */
#include "peer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct {
    int fd;
    char *pend; /* bytes a write did not take; reading stops until they are written */
    size_t plen, poff;
} econn_t;

static char rbuf[PEER_READ_MAX];
static int ep;
static long fault_every, reads;
static econn_t listener; /* its address tags the listening socket's events */

static void conn_close(econn_t *c)
{
    close(c->fd); /* also removes it from the epoll set */
    free(c->pend);
    free(c);
}

static bool set_events(econn_t *c, uint32_t events)
{
    struct epoll_event ev = {.events = events, .data.ptr = c};
    return epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev) == 0;
}

/* Writes buf; keeps what the socket does not take and switches to EPOLLOUT. */
static bool conn_echo(econn_t *c, const char *buf, size_t n)
{
    ssize_t w = send(c->fd, buf, n, MSG_NOSIGNAL);
    if (w < 0 && errno != EAGAIN)
        return false;
    size_t done = w < 0 ? 0 : (size_t)w;
    if (done == n)
        return true;
    c->plen = n - done;
    c->poff = 0;
    c->pend = malloc(c->plen);
    if (c->pend == NULL)
        return false;
    memcpy(c->pend, buf + done, c->plen);
    return set_events(c, EPOLLOUT);
}

static bool conn_flush(econn_t *c)
{
    ssize_t w = send(c->fd, c->pend + c->poff, c->plen - c->poff, MSG_NOSIGNAL);
    if (w < 0)
        return errno == EAGAIN;
    c->poff += (size_t)w;
    if (c->poff < c->plen)
        return true;
    free(c->pend);
    c->pend = NULL;
    return set_events(c, EPOLLIN);
}

static bool conn_read(econn_t *c)
{
    ssize_t n = recv(c->fd, rbuf, sizeof rbuf, 0);
    if (n < 0)
        return errno == EAGAIN || errno == EINTR;
    if (n == 0)
        return false; /* EOF with nothing queued (reading stops while something is) */
    if (fault_every > 0 && ++reads % fault_every == 0)
        rbuf[0] ^= 1;
    return conn_echo(c, rbuf, (size_t)n);
}

static void on_conn(econn_t *c, uint32_t events)
{
    bool ok = c->pend != NULL ? conn_flush(c) : conn_read(c);
    if (!ok)
        conn_close(c); /* EOF or error; a hang-up shows as one of them */
}

/* Out of descriptors, a spare one is given up to accept and drop the connection, so
 * that the listener does not stay readable forever. */
static void on_accept(int lfd)
{
    static int spare = -1;
    if (spare < 0)
        spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
    for (;;) {
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0 && (errno == EMFILE || errno == ENFILE) && spare >= 0) {
            close(spare);
            fd = accept(lfd, NULL, NULL);
            if (fd >= 0)
                close(fd);
            spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
            continue;
        }
        if (fd < 0)
            return; /* EAGAIN: all accepted; anything else: try on the next event */
        econn_t *c = calloc(1, sizeof *c);
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        if (c == NULL || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
            free(c);
            close(fd);
            continue;
        }
        c->fd = fd;
        peer_nodelay(fd);
    }
}

int main(int argc, char **argv)
{
    peer_opts_t o;
    peer_parse(argc, argv, "echo_epoll", true, &o);
    peer_prepare();
    fault_every = o.fault_every;
    listener.fd = peer_listen(o.port);
    ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &listener};
    if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, listener.fd, &ev) < 0) {
        perror("echo_epoll: epoll");
        return 1;
    }
    struct epoll_event evs[256];
    for (;;) {
        int n = epoll_wait(ep, evs, 256, -1);
        for (int i = 0; i < n; i++) {
            if (evs[i].data.ptr == &listener)
                on_accept(listener.fd);
            else
                on_conn(evs[i].data.ptr, evs[i].events);
        }
    }
}
