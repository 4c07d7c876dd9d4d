/* http_server: an HTTP/1.1 server on the gnet engine.
 *
 *   http_server [-p PORT | -a ADDR] [-t LOOPS | -m] [-r] [-f FILE]
 *
 * Routes (examples/http/http_app.h): /plaintext, /json, /echo (returns the
 * request body), /static (FILE, read once at start). Keep-alive and pipelining:
 * every complete request in the bytes at hand is answered, the answers go out
 * with one write, and a request split across reads waits in the connection's
 * inbound buffer until it is complete. "Connection: close" (or HTTP/1.0
 * without keep-alive) closes the connection once the answer is written.
 * Malformed requests get 400, oversized ones 413/414/431 as soon as the limit
 * is crossed (a connection buffers at most one request of 8 KiB of headers
 * and 1 MiB of body), unsupported ones 501/505; each of those closes the
 * connection. SIGINT/SIGTERM stop the engine and the process exits 0.
 *
 * -p PORT listens on 127.0.0.1:PORT, -a any gnet address; -t N runs N loops,
 * -m one per CPU; -r gives each loop its own SO_REUSEPORT listener. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "common/stop_signals.h"
#include "http/http_app.h"

#include <gnet/gnet.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* Answers are gathered per loop and written when this much is pending (or at
 * the end of the batch), so a long pipeline does not grow one huge buffer. */
#define FLUSH_AT    ((size_t)64 << 10)
#define OUT_STORAGE (FLUSH_AT + ((size_t)4 << 10))

/* Each loop thread's answer buffer, on static storage: a batch that fits
 * allocates nothing, a larger one grows on the heap and frees it after. */
static _Thread_local char loop_storage[OUT_STORAGE];
static _Thread_local outbuf_t loop_out;

static outbuf_t *out_of_loop(void)
{
    if (loop_out.storage == NULL)
        outbuf_init(&loop_out, loop_storage, sizeof loop_storage);
    return &loop_out;
}

/* Per-connection state, kept in the context pointer itself (no allocation):
 * bit 0 says "100 Continue sent" for the request at the head of the inbound
 * bytes; the other bits hold that request's total length once its header
 * section was parsed (0 = not known yet), so that a large body is not parsed
 * again on every read until it is complete. */
typedef uintptr_t conn_state_t;
#define ST_CONTINUE_SENT ((conn_state_t)1)
#define ST_NEED(st)      ((size_t)((st) >> 1))

static int flush_out(gn_conn_t *c, outbuf_t *o)
{
    ssize_t w = o->len > 0 ? gn_conn_write(c, o->buf, o->len) : 0;
    outbuf_release(o);
    return w < 0 ? (int)w : 0;
}

/* The request at the head of the bytes is incomplete: remember how long it
 * will be and answer Expect: 100-continue once. */
static conn_state_t pending(const http_request_t *req, conn_state_t st, outbuf_t *o)
{
    if (req->header_bytes == 0)
        return 0;
    conn_state_t next = (conn_state_t)(req->header_bytes + req->content_length) << 1;
    if (req->expect_continue && !(st & ST_CONTINUE_SENT) && http_app_respond_continue(o) == 0)
        return next | ST_CONTINUE_SENT;
    return next | (st & ST_CONTINUE_SENT);
}

/* Answers every complete request in p[0..n). Returns the bytes consumed; sets
 * *close when the connection must close after the answers. */
static size_t serve(gn_conn_t *c, const char *p, size_t n, conn_state_t *st, bool *close)
{
    outbuf_t *o = out_of_loop();
    size_t off = 0;
    while (off < n && !*close) {
        http_request_t req;
        ssize_t r = http_parse_request(p + off, n - off, &http_app_limits, &req);
        if (r == HTTP_INCOMPLETE) {
            *st = pending(&req, off > 0 ? 0 : *st, o);
            break;
        }
        *st = 0;
        if (r < 0) {
            *close = true;
            if (http_app_respond_error(r, o) < 0)
                break;
            return n;
        }
        off += (size_t)r;
        *close = !req.keep_alive;
        if (http_app_respond(&req, o) < 0 || (o->len >= FLUSH_AT && flush_out(c, o) < 0))
            *close = true;
    }
    return off;
}

static gn_action_t on_traffic(gn_conn_t *c)
{
    conn_state_t st = (conn_state_t)gn_conn_context(c);
    if (ST_NEED(st) > 0 && gn_conn_inbound_buffered(c) < ST_NEED(st))
        return GN_NONE; /* the body of the request at the head is still arriving */
    size_t n;
    const char *p = gn_conn_peek(c, SIZE_MAX, &n);
    if (p == NULL)
        return GN_CLOSE; /* out of memory */
    bool close = false;
    size_t used = serve(c, p, n, &st, &close);
    gn_conn_set_context(c, (void *)st);
    (void)gn_conn_discard(c, used);
    if (flush_out(c, out_of_loop()) < 0)
        return GN_CLOSE;
    return close ? GN_CLOSE : GN_NONE;
}

static void raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static int usage(const char *argv0)
{
    fprintf(stderr, "usage: %s [-p PORT | -a ADDR] [-t LOOPS | -m] [-r] [-f FILE]\n", argv0);
    return 2;
}

int main(int argc, char **argv)
{
    char addr[512] = "tcp://127.0.0.1:8080";
    gn_options_t o = {0};
    int opt, rc;
    while ((opt = getopt(argc, argv, "a:p:t:mrf:")) != -1) {
        switch (opt) {
        case 'a':
            snprintf(addr, sizeof addr, "%s", optarg);
            break;
        case 'p':
            snprintf(addr, sizeof addr, "tcp://127.0.0.1:%s", optarg);
            break;
        case 't':
            o.num_event_loop = atoi(optarg);
            break;
        case 'm':
            o.multicore = true;
            break;
        case 'r':
            o.reuse_port = true;
            break;
        case 'f':
            if ((rc = http_app_load_file(optarg)) < 0) {
                fprintf(stderr, "http_server: %s: %s\n", optarg, strerror(-rc));
                return 1;
            }
            break;
        default:
            return usage(argv[0]);
        }
    }
    if (optind != argc)
        return usage(argv[0]);
    raise_nofile();
    if ((rc = stop_signals_install()) < 0) {
        fprintf(stderr, "http_server: signals: %s\n", strerror(-rc));
        return 1;
    }
    /* Backstops only: the parser refuses a request before it grows this big,
     * and a peer that pipelines without reading its answers is cut off. */
    o.max_inbound = HTTP_APP_MAX_HEADER_BYTES + HTTP_APP_MAX_BODY_BYTES + ((size_t)256 << 10);
    o.max_outbound = (size_t)64 << 20;
    gn_handler_t h = {.on_boot = stop_signals_booted, .on_traffic = on_traffic};
    rc = gn_run(&h, addr, &o);
    if (rc < 0) {
        fprintf(stderr, "http_server: %s: %s\n", addr, gn_strerror(rc));
        return 1;
    }
    return 0;
}
