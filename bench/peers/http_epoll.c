/* http_epoll: the example HTTP server's routes and parser (examples/http) on a
 * hand-written level-triggered epoll loop: the practical limit http_server is
 * measured against. Per batch of requests one read and one write; bytes of an
 * incomplete request wait in a per-connection buffer; no epoll_ctl unless a
 * write was partial (then reading stops until the rest is written).
 *
 *   http_epoll [-p PORT]
 *
 * Rules in peer.h. */
#include "common/outbuf.h"
#include "http/http_app.h"
#include "peer.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define FLUSH_AT ((size_t)64 << 10)

typedef struct {
    int fd;
    http_conn_state_t st;
    char *in; /* bytes of an incomplete request, kept across reads */
    size_t ilen, icap;
    char *pend; /* bytes a write did not take */
    size_t plen, poff;
    bool close_after; /* close once pend is written */
} hconn_t;

static char rbuf[PEER_READ_MAX];
static char out_storage[FLUSH_AT + 4096];
static outbuf_t out;
static int ep;
static hconn_t listener;

static void conn_close(hconn_t *c)
{
    close(c->fd);
    free(c->in);
    free(c->pend);
    free(c);
}

static bool set_events(hconn_t *c, uint32_t events)
{
    struct epoll_event ev = {.events = events, .data.ptr = c};
    return epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev) == 0;
}

/* Sends out; keeps what the socket does not take and switches to EPOLLOUT. */
static bool send_out(hconn_t *c)
{
    ssize_t w = out.len > 0 ? send(c->fd, out.buf, out.len, MSG_NOSIGNAL) : 0;
    if (w < 0 && errno != EAGAIN)
        return false;
    size_t done = w < 0 ? 0 : (size_t)w;
    bool ok = true;
    if (done < out.len) {
        c->plen = out.len - done;
        c->poff = 0;
        c->pend = malloc(c->plen);
        ok = c->pend != NULL && set_events(c, EPOLLOUT);
        if (c->pend != NULL)
            memcpy(c->pend, out.buf + done, c->plen);
    }
    outbuf_release(&out);
    return ok;
}

static bool serve(hconn_t *c, const char *p, size_t n);

/* Writes pending bytes; once they are all out, reading resumes and requests
 * that arrived meanwhile (kept in c->in) are answered. */
static bool conn_flush(hconn_t *c)
{
    ssize_t w = send(c->fd, c->pend + c->poff, c->plen - c->poff, MSG_NOSIGNAL);
    if (w < 0)
        return errno == EAGAIN;
    c->poff += (size_t)w;
    if (c->poff < c->plen)
        return true;
    free(c->pend);
    c->pend = NULL;
    if (c->close_after || !set_events(c, EPOLLIN))
        return false;
    if (c->ilen > 0 && http_conn_need(c->st) <= c->ilen)
        return serve(c, c->in, c->ilen);
    return true;
}

/* Keeps p[0..n) (an incomplete request) for the next read. */
static bool keep(hconn_t *c, const char *p, size_t n)
{
    if (n > c->icap) {
        char *b = malloc(n);
        if (b == NULL)
            return false;
        free(c->in);
        c->in = b;
        c->icap = n;
    }
    memmove(c->in, p, n);
    c->ilen = n;
    return true;
}

/* Answers what p[0..n) completes; false when the connection must close now. */
static bool serve(hconn_t *c, const char *p, size_t n)
{
    bool close, more;
    size_t off = 0, used;
    do {
        more = http_app_serve(p + off, n - off, &out, FLUSH_AT, &c->st, &close, &used);
        off += used;
        if (!send_out(c))
            return false;
    } while (more && c->pend == NULL);
    if (close || c->pend != NULL) { /* a partial write stops reading, as in peer.h */
        c->close_after = close;
        if (off < n && !keep(c, p + off, n - off))
            return false;
        return !close || c->pend != NULL;
    }
    if (off < n)
        return keep(c, p + off, n - off);
    c->ilen = 0;
    if (c->icap > PEER_READ_MAX) { /* a large body passed: give its memory back */
        free(c->in);
        c->in = NULL;
        c->icap = 0;
    }
    return true;
}

static bool conn_read(hconn_t *c)
{
    ssize_t n = recv(c->fd, rbuf, sizeof rbuf, 0);
    if (n < 0)
        return errno == EAGAIN || errno == EINTR;
    if (n == 0)
        return false;
    if (c->ilen == 0)
        return serve(c, rbuf, (size_t)n); /* the usual case: no copy */
    if (c->ilen + (size_t)n > c->icap) {
        size_t cap = c->icap * 2 > c->ilen + (size_t)n ? c->icap * 2 : c->ilen + (size_t)n;
        char *b = realloc(c->in, cap);
        if (b == NULL)
            return false;
        c->in = b;
        c->icap = cap;
    }
    memcpy(c->in + c->ilen, rbuf, (size_t)n);
    c->ilen += (size_t)n;
    if (http_conn_need(c->st) > c->ilen)
        return true; /* a body is still arriving */
    return serve(c, c->in, c->ilen);
}

static void on_conn(hconn_t *c, uint32_t events)
{
    bool ok = c->pend != NULL ? conn_flush(c) : conn_read(c);
    if (!ok || (c->close_after && c->pend == NULL))
        conn_close(c);
}

static void on_accept(int lfd)
{
    for (;;) {
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return;
        hconn_t *c = calloc(1, sizeof *c);
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
    peer_parse(argc, argv, "http_epoll", false, &o);
    peer_prepare();
    outbuf_init(&out, out_storage, sizeof out_storage);
    listener.fd = peer_listen(o.port);
    ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &listener};
    if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, listener.fd, &ev) < 0) {
        perror("http_epoll: epoll");
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
