/* http_libuv: the example HTTP server's routes and parser (examples/http) on
 * libuv, written as libuv is normally used: uv_read_start with a 64 KiB
 * buffer, bytes of an incomplete request kept per connection, uv_try_write
 * first and uv_write (with a copy) for what the socket did not take, reading
 * stopped while more than PEER_QUEUE_MAX bytes are queued, and after
 * "Connection: close" uv_shutdown so that queued answers finish first.
 *
 *   http_libuv [-p PORT]
 *
 * Rules in peer.h. */
#include "common/outbuf.h"
#include "http/http_app.h"
#include "peer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#define FLUSH_AT ((size_t)64 << 10)

typedef struct {
    uv_tcp_t tcp; /* first: the handle libuv passes back is the connection */
    http_conn_state_t st;
    char *in;
    size_t ilen, icap;
    int reading;
    int closing;
} uconn_t;

typedef struct {
    uv_write_t req;
    uv_buf_t buf;
} wreq_t;

static char rbuf[PEER_READ_MAX];
static char out_storage[FLUSH_AT + 4096];
static outbuf_t out;
static uv_loop_t *loop;

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf);

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    *buf = uv_buf_init(rbuf, sizeof rbuf);
}

static void on_closed(uv_handle_t *h)
{
    uconn_t *c = (uconn_t *)h;
    free(c->in);
    free(c);
}

static void conn_close(uconn_t *c)
{
    if (!c->closing) {
        c->closing = 1;
        uv_close((uv_handle_t *)&c->tcp, on_closed);
    }
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
    conn_close((uconn_t *)req->handle);
    free(req);
}

static void on_written(uv_write_t *req, int status)
{
    wreq_t *w = (wreq_t *)req;
    uconn_t *c = (uconn_t *)req->handle;
    free(w->buf.base);
    free(w);
    if (status == 0 && !c->closing && !c->reading && c->tcp.write_queue_size < PEER_QUEUE_MAX) {
        c->reading = 1;
        uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
    }
}

/* uv_try_write, then a queued uv_write of a copy of the rest. */
static int send_out(uconn_t *c)
{
    uv_buf_t b = uv_buf_init(out.buf, (unsigned)out.len);
    int w = out.len > 0 ? uv_try_write((uv_stream_t *)&c->tcp, &b, 1) : 0;
    if (w == UV_EAGAIN)
        w = 0;
    if (w >= 0 && (size_t)w < out.len) {
        wreq_t *r = malloc(sizeof *r);
        char *copy = malloc(out.len - (size_t)w);
        if (r == NULL || copy == NULL) {
            free(r);
            free(copy);
            w = UV_ENOMEM;
        } else {
            memcpy(copy, out.buf + w, out.len - (size_t)w);
            r->buf = uv_buf_init(copy, (unsigned)(out.len - (size_t)w));
            w = uv_write(&r->req, (uv_stream_t *)&c->tcp, &r->buf, 1, on_written);
        }
    }
    outbuf_release(&out);
    return w < 0 ? w : 0;
}

static int keep(uconn_t *c, const char *p, size_t n)
{
    if (n > c->icap) {
        char *b = malloc(n);
        if (b == NULL)
            return UV_ENOMEM;
        free(c->in);
        c->in = b;
        c->icap = n;
    }
    memmove(c->in, p, n);
    c->ilen = n;
    return 0;
}

static void finish(uconn_t *c)
{
    uv_shutdown_t *req = malloc(sizeof *req);
    if (req == NULL || uv_shutdown(req, (uv_stream_t *)&c->tcp, on_shutdown) != 0) {
        free(req);
        conn_close(c);
    }
}

static void serve(uconn_t *c, const char *p, size_t n)
{
    bool close, more;
    size_t off = 0, used;
    do {
        more = http_app_serve(p + off, n - off, &out, FLUSH_AT, &c->st, &close, &used);
        off += used;
        if (send_out(c) < 0) {
            conn_close(c);
            return;
        }
    } while (more);
    if (close) {
        uv_read_stop((uv_stream_t *)&c->tcp);
        finish(c);
        return;
    }
    if (off < n && keep(c, p + off, n - off) < 0) {
        conn_close(c);
        return;
    }
    if (off == n)
        c->ilen = 0;
    if (c->tcp.write_queue_size >= PEER_QUEUE_MAX) {
        c->reading = 0;
        uv_read_stop((uv_stream_t *)&c->tcp);
    }
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    uconn_t *c = (uconn_t *)s;
    if (n < 0) {
        conn_close(c);
        return;
    }
    if (n == 0)
        return;
    if (c->ilen == 0) {
        serve(c, buf->base, (size_t)n);
        return;
    }
    if (c->ilen + (size_t)n > c->icap) {
        size_t cap = c->icap * 2 > c->ilen + (size_t)n ? c->icap * 2 : c->ilen + (size_t)n;
        char *b = realloc(c->in, cap);
        if (b == NULL) {
            conn_close(c);
            return;
        }
        c->in = b;
        c->icap = cap;
    }
    memcpy(c->in + c->ilen, buf->base, (size_t)n);
    c->ilen += (size_t)n;
    if (http_conn_need(c->st) <= c->ilen)
        serve(c, c->in, c->ilen);
}

static void on_connection(uv_stream_t *server, int status)
{
    if (status < 0)
        return;
    uconn_t *c = calloc(1, sizeof *c);
    if (c == NULL)
        return;
    uv_tcp_init(loop, &c->tcp);
    if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0) {
        conn_close(c);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    c->reading = 1;
    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
}

int main(int argc, char **argv)
{
    peer_opts_t o;
    peer_parse(argc, argv, "http_libuv", false, &o);
    peer_prepare();
    outbuf_init(&out, out_storage, sizeof out_storage);
    loop = uv_default_loop();
    int lfd = peer_listen(o.port);
    uv_tcp_t server;
    uv_tcp_init(loop, &server);
    if (uv_tcp_open(&server, lfd) != 0 ||
        uv_listen((uv_stream_t *)&server, PEER_BACKLOG, on_connection) != 0) {
        fprintf(stderr, "http_libuv: cannot listen on port %d\n", o.port);
        return 1;
    }
    return uv_run(loop, UV_RUN_DEFAULT);
}
