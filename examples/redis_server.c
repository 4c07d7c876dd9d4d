/* redis_server: a RESP2 server on the gnet engine that redis-cli and
 * redis-benchmark talk to.
 *
 *   redis_server [-p PORT | -a ADDR] [-t LOOPS | -m] [-r]
 *
 * Commands (examples/resp/commands.h): PING ECHO SET(EX/PX/NX/XX) GET DEL
 * EXISTS INCR MSET MGET COMMAND CONFIG QUIT, multibulk or inline. Pipelining:
 * every complete command in the bytes at hand is answered, the answers go
 * out with one write; a command split across reads waits in the connection's
 * inbound buffer, and a large value is not parsed again until all its bytes
 * are there (linear time). A framing error gets Redis's "-ERR Protocol
 * error: ..." and closes the connection; bulk strings are limited to 64 MiB.
 * Expired keys vanish when touched and through a sweep every 100 ms.
 * SIGINT/SIGTERM stop the engine and the process exits 0.
 *
 * -p PORT listens on 127.0.0.1:PORT, -a any gnet address; -t N runs N loops
 * (they share one keyspace), -m one per CPU; -r gives each loop its own
 * SO_REUSEPORT listener. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "common/cli.h"
#include "common/stop_signals.h"
#include "resp/commands.h"
#include "resp/reply.h"

#include <gnet/gnet.h>

#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_BULK    ((size_t)64 << 20)
#define FLUSH_AT    ((size_t)64 << 10)
#define OUT_STORAGE (FLUSH_AT + ((size_t)4 << 10))
#define SWEEP_EVERY (100 * GN_MILLISECOND)
#define SWEEP_KEYS  1000

static store_t *keyspace;

/* Each loop thread's answer buffer and command (argv of up to RESP_MAX_ARGS
 * arguments): static, so a usual batch allocates nothing. */
static _Thread_local char loop_storage[OUT_STORAGE];
static _Thread_local outbuf_t loop_out;
static _Thread_local resp_cmd_t loop_cmd;

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

/* Answers every complete command in p[0..n). Returns the bytes consumed and
 * stores in *need the length the command at the head must reach before it is
 * worth parsing again (0 = any new byte may complete it). */
static size_t serve(gn_conn_t *c, const char *p, size_t n, size_t *need, bool *close)
{
    outbuf_t *o = out_of_loop();
    resp_cmd_t *cmd = &loop_cmd;
    size_t off = 0;
    *need = 0;
    while (off < n && !*close) {
        ssize_t r = resp_parse(p + off, n - off, MAX_BULK, cmd);
        if (r == RESP_INCOMPLETE) {
            *need = cmd->need;
            break;
        }
        if (r < 0) {
            char msg[96];
            *close = true;
            (void)reply_error(o, resp_strerror(r, cmd, msg, sizeof msg));
            return n;
        }
        off += (size_t)r;
        if (cmd->argc > 0 && resp_exec(keyspace, cmd, o, close) < 0)
            *close = true;
        if (o->len >= FLUSH_AT && flush_out(c, o) < 0)
            *close = true;
    }
    return off;
}

static gn_action_t on_traffic(gn_conn_t *c)
{
    size_t need = (size_t)(uintptr_t)gn_conn_context(c);
    if (need > 0 && gn_conn_inbound_buffered(c) < need)
        return GN_NONE; /* a large value is still arriving */
    size_t n;
    const char *p = gn_conn_peek(c, SIZE_MAX, &n);
    if (p == NULL)
        return GN_CLOSE; /* out of memory */
    bool close = false;
    size_t used = serve(c, p, n, &need, &close);
    gn_conn_set_context(c, (void *)(uintptr_t)need);
    (void)gn_conn_discard(c, used);
    if (flush_out(c, out_of_loop()) < 0)
        return GN_CLOSE;
    return close ? GN_CLOSE : GN_NONE;
}

static gn_action_t on_tick(gn_engine_t *eng, int64_t *delay_ns)
{
    (void)store_sweep(keyspace, SWEEP_KEYS);
    *delay_ns = SWEEP_EVERY;
    return GN_NONE;
}

static int usage(const char *argv0)
{
    fprintf(stderr, "usage: %s [-p PORT | -a ADDR] [-t LOOPS | -m] [-r]\n", argv0);
    return 2;
}

int main(int argc, char **argv)
{
    char addr[512] = "tcp://127.0.0.1:6379";
    gn_options_t o = {0};
    int opt, rc;
    while ((opt = getopt(argc, argv, "a:p:t:mr")) != -1) {
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
        default:
            return usage(argv[0]);
        }
    }
    if (optind != argc)
        return usage(argv[0]);
    cli_raise_nofile();
    /* Large values come and go (SET replaces, DEL frees): glibc would map and
     * unmap each one, so every SET of a big value paid a page fault per 4 KiB
     * of it. Keeping freed memory in the heap for reuse, as Redis's jemalloc
     * does, makes that cost a copy. */
    (void)mallopt(M_MMAP_MAX, 0);
    (void)mallopt(M_TRIM_THRESHOLD, 256 << 20);
    if ((rc = stop_signals_install()) < 0 || (rc = store_new(&keyspace)) < 0) {
        fprintf(stderr, "redis_server: %s\n", strerror(-rc));
        return 1;
    }
    /* Backstops: one command holds at most a bulk string plus its header, and
     * a peer that pipelines without reading its answers is cut off. */
    o.max_inbound = MAX_BULK + ((size_t)1 << 20);
    o.max_outbound = (size_t)256 << 20;
    o.ticker = true;
    gn_handler_t h = {.on_boot = stop_signals_booted, .on_traffic = on_traffic, .on_tick = on_tick};
    rc = gn_run(&h, addr, &o);
    store_free(keyspace);
    if (rc < 0) {
        fprintf(stderr, "redis_server: %s: %s\n", addr, gn_strerror(rc));
        return 1;
    }
    return 0;
}
