/* echo_libuv: the echo server on libuv, written as libuv is normally used:
 * uv_read_start with a 64 KiB buffer, uv_try_write first, uv_write (with a copy)
 * only for what the socket did not take, reading stopped while more than
 * PEER_QUEUE_MAX bytes are queued, uv_shutdown after EOF so queued writes finish.
 *
 *   echo_libuv [-p PORT]
 *
 * Rules in peer.h. */
#include "peer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

typedef struct {
    uv_tcp_t tcp; /* first: the handle libuv passes back is the connection */
    int reading;  /* uv_read_start is in effect */
    int eof;
} uconn_t;

typedef struct {
    uv_write_t req;
    uv_buf_t buf; /* the copy of the bytes uv_try_write did not take */
} wreq_t;

static char rbuf[PEER_READ_MAX]; /* one loop, and libuv reads into it synchronously */

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf);

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    *buf = uv_buf_init(rbuf, sizeof rbuf);
}

static void on_closed(uv_handle_t *h)
{
    free(h);
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
    uv_close((uv_handle_t *)req->handle, on_closed);
    free(req);
}

static void on_written(uv_write_t *req, int status)
{
    wreq_t *w = (wreq_t *)req;
    uv_stream_t *s = req->handle;
    free(w->buf.base);
    free(w);
    uconn_t *c = (uconn_t *)s;
    if (status == 0 && !uv_is_closing((uv_handle_t *)s) && !c->reading && !c->eof &&
        s->write_queue_size < PEER_QUEUE_MAX) {
        c->reading = 1;
        uv_read_start(s, on_alloc, on_read);
    }
}

/* Queues what uv_try_write left; 0 when the connection must close. */
static int queue_rest(uv_stream_t *s, const char *p, size_t n)
{
    wreq_t *w = malloc(sizeof *w);
    char *copy = malloc(n);
    if (w == NULL || copy == NULL) {
        free(w);
        free(copy);
        return 0;
    }
    memcpy(copy, p, n);
    w->buf = uv_buf_init(copy, (unsigned)n);
    if (uv_write(&w->req, s, &w->buf, 1, on_written) < 0) {
        free(copy);
        free(w);
        return 0;
    }
    if (s->write_queue_size >= PEER_QUEUE_MAX) {
        ((uconn_t *)s)->reading = 0;
        uv_read_stop(s);
    }
    return 1;
}

static void close_conn(uv_stream_t *s)
{
    if (!uv_is_closing((uv_handle_t *)s))
        uv_close((uv_handle_t *)s, on_closed);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    if (n == UV_EOF) {
        uv_shutdown_t *req = malloc(sizeof *req);
        ((uconn_t *)s)->reading = 0;
        ((uconn_t *)s)->eof = 1;
        uv_read_stop(s);
        if (req == NULL || uv_shutdown(req, s, on_shutdown) < 0) {
            free(req);
            close_conn(s);
        }
        return;
    }
    if (n < 0) {
        close_conn(s);
        return;
    }
    if (n == 0)
        return; /* libuv's EAGAIN: nothing was read */
    size_t done = 0;
    if (s->write_queue_size == 0) { /* try_write only when nothing is queued before it */
        uv_buf_t b = uv_buf_init(buf->base, (unsigned)n);
        int w = uv_try_write(s, &b, 1);
        if (w < 0 && w != UV_EAGAIN) {
            close_conn(s);
            return;
        }
        done = w < 0 ? 0 : (size_t)w;
    }
    if (done < (size_t)n && !queue_rest(s, buf->base + done, (size_t)n - done))
        close_conn(s);
}

static void on_connection(uv_stream_t *server, int status)
{
    if (status < 0)
        return;
    uconn_t *c = calloc(1, sizeof *c);
    if (c == NULL || uv_tcp_init(server->loop, &c->tcp) < 0) {
        free(c);
        return;
    }
    if (uv_accept(server, (uv_stream_t *)&c->tcp) < 0) {
        uv_close((uv_handle_t *)&c->tcp, on_closed);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    c->reading = 1;
    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
}

int main(int argc, char **argv)
{
    peer_opts_t o;
    uv_tcp_t server;
    peer_parse(argc, argv, "echo_libuv", false, &o);
    peer_prepare();
    int fd = peer_listen(o.port);
    uv_loop_t *loop = uv_default_loop();
    int rc = uv_tcp_init(loop, &server);
    if (rc == 0)
        rc = uv_tcp_open(&server, fd);
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)&server, PEER_BACKLOG, on_connection);
    if (rc < 0) {
        fprintf(stderr, "echo_libuv: %s\n", uv_strerror(rc));
        return 1;
    }
    return uv_run(loop, UV_RUN_DEFAULT);
}
