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
#include "common/cli.h"
#include "common/stop_signals.h"
#include "http/http_app.h"

#include <gnet/gnet.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

static int flush_out(gn_conn_t *c, outbuf_t *o)
{
    ssize_t w = o->len > 0 ? gn_conn_write(c, o->buf, o->len) : 0;
    outbuf_release(o);
    return w < 0 ? (int)w : 0;
}

/* The connection's http_conn_state_t lives in its context pointer (no
 * allocation per connection). */
static gn_action_t on_traffic(gn_conn_t *c)
{
    http_conn_state_t st = (http_conn_state_t)gn_conn_context(c);
    if (http_conn_need(st) > 0 && gn_conn_inbound_buffered(c) < http_conn_need(st))
        return GN_NONE; /* the body of the request at the head is still arriving */
    size_t n;
    const char *p = gn_conn_peek(c, SIZE_MAX, &n);
    if (p == NULL)
        return GN_CLOSE; /* out of memory */
    outbuf_t *o = out_of_loop();
    bool close, more;
    size_t off = 0, used;
    do {
        more = http_app_serve(p + off, n - off, o, FLUSH_AT, &st, &close, &used);
        off += used;
        if (flush_out(c, o) < 0)
            return GN_CLOSE;
    } while (more);
    gn_conn_set_context(c, (void *)st);
    (void)gn_conn_discard(c, off);
    return close ? GN_CLOSE : GN_NONE;
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
    cli_raise_nofile();
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
