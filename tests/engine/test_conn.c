/* Callbacks, actions, the reader calls, stopping, bad input. */
#include "harness.h"

#include <gnet/queue.h>

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---- greeting and close actions ---- */

static gn_action_t greet_open(gn_conn_t *c)
{
    atomic_fetch_add(&S.opens, 1);
    ck_assert_int_eq(gn_conn_write(c, "hello\n", 6), 6);
    return GN_NONE;
}

START_TEST(test_open_greeting)
{
    srv_init(_i ? "unix" : "tcp", M_WRITE);
    S.h.on_open = greet_open;
    srv_start();
    int fd = cli_connect();
    char buf[6];
    ck_assert_uint_eq(cli_read_full(fd, buf, 6), 6);
    ck_assert_mem_eq(buf, "hello\n", 6);
    ck_assert_int_eq(write(fd, "abc", 3), 3); /* still echoes after the greeting */
    ck_assert_uint_eq(cli_read_full(fd, buf, 3), 3);
    ck_assert_mem_eq(buf, "abc", 3);
    close(fd);
    srv_stop();
}
END_TEST

static gn_action_t close_open(gn_conn_t *c)
{
    atomic_fetch_add(&S.opens, 1);
    ck_assert_int_eq(gn_conn_write(c, "bye", 3), 3);
    return GN_CLOSE;
}

START_TEST(test_close_from_open)
{
    srv_init("tcp", M_WRITE);
    S.h.on_open = close_open;
    srv_start();
    int fd = cli_connect();
    char buf[3];
    ck_assert_uint_eq(cli_read_full(fd, buf, 3), 3); /* flushed before the close */
    ck_assert(cli_wait_eof(fd, 5000));
    close(fd);
    ck_assert(wait_atomic(&S.closes, 1, 5000));
    ck_assert_int_eq(atomic_load(&S.close_errs[0]), 1); /* local close: err 0 */
    srv_stop();
}
END_TEST

static gn_action_t close_traffic(gn_conn_t *c)
{
    echo_traffic(c);
    return GN_CLOSE;
}

START_TEST(test_close_from_traffic)
{
    srv_init(_i ? "unix" : "tcp", M_WRITE);
    S.h.on_traffic = close_traffic;
    srv_start();
    int fd = cli_connect();
    char buf[5];
    ck_assert_int_eq(write(fd, "12345", 5), 5);
    ck_assert_uint_eq(cli_read_full(fd, buf, 5), 5); /* echo delivered */
    ck_assert_mem_eq(buf, "12345", 5);
    ck_assert(cli_wait_eof(fd, 5000));
    close(fd);
    ck_assert(wait_atomic(&S.closes, 1, 5000));
    ck_assert_int_eq(atomic_load(&S.close_errs[0]), 1);
    ck_assert(wait_count(0, 5000));
    srv_stop();
}
END_TEST

/* gn_conn_close is idempotent; the second call says it is already closing. */
static gn_action_t double_close(gn_conn_t *c)
{
    ck_assert_int_eq(gn_conn_close(c), 0);
    ck_assert_int_eq(gn_conn_close(c), GN_ECLOSED);
    ck_assert_int_eq(gn_conn_write(c, "x", 1), GN_ECLOSED);
    return GN_CLOSE;
}

START_TEST(test_close_idempotent)
{
    srv_init("tcp", M_WRITE);
    S.h.on_traffic = double_close;
    srv_start();
    int fd = cli_connect();
    ck_assert_int_eq(write(fd, "x", 1), 1);
    ck_assert(cli_wait_eof(fd, 5000));
    close(fd);
    ck_assert(wait_atomic(&S.closes, 1, 5000));
    msleep(50);
    ck_assert_int_eq(atomic_load(&S.closes), 1);
    srv_stop();
}
END_TEST

/* ---- shutdown from callbacks ---- */

static gn_action_t shutdown_open(gn_conn_t *c)
{
    (void)c;
    atomic_fetch_add(&S.opens, 1);
    return GN_SHUTDOWN;
}

static gn_action_t shutdown_traffic(gn_conn_t *c)
{
    echo_traffic(c);
    return GN_SHUTDOWN;
}

static gn_action_t shutdown_tick(gn_engine_t *eng, int64_t *delay)
{
    (void)eng;
    *delay = 10 * GN_MILLISECOND;
    return atomic_fetch_add(&S.ticks, 1) + 1 >= 3 ? GN_SHUTDOWN : GN_NONE;
}

static void second_stop_shutdown(gn_engine_t *eng)
{
    ck_assert_uint_eq(gn_engine_count_connections(eng), 0);
    ck_assert_int_eq(gn_engine_stop(eng), GN_ESTOPPED);
    atomic_fetch_add(&S.shutdowns, 1);
}

/* _i: 0 on_open, 1 on_traffic, 2 on_tick; with 2 loops. */
START_TEST(test_shutdown_action)
{
    srv_init("tcp", M_WRITE);
    S.o.num_event_loop = 2;
    S.h.on_shutdown = second_stop_shutdown;
    if (_i == 0)
        S.h.on_open = shutdown_open;
    else if (_i == 1)
        S.h.on_traffic = shutdown_traffic;
    else {
        S.h.on_tick = shutdown_tick;
        S.o.ticker = true;
    }
    srv_start();
    int fd = -1;
    if (_i < 2) {
        fd = cli_connect();
        ck_assert_int_eq(write(fd, "x", 1), 1);
        ck_assert(cli_wait_eof(fd, 5000));
    }
    srv_join();
    if (fd >= 0)
        close(fd);
    ck_assert_int_eq(atomic_load(&S.shutdowns), 1);
    ck_assert_int_eq(atomic_load(&S.closes), _i < 2 ? 1 : 0);
}
END_TEST

/* on_close that writes, closes and returns GN_SHUTDOWN: the writes and the
 * close say GN_ECLOSED, the engine stops, the other connection gets
 * GN_ESHUTDOWN, and every connection is closed exactly once. */
static atomic_int busy_close_eof, busy_close_shutdown;

static gn_action_t busy_close(gn_conn_t *c, int err)
{
    atomic_fetch_add(&S.closes, 1);
    ck_assert_int_eq(gn_conn_write(c, "x", 1), GN_ECLOSED);
    struct iovec iov = {"y", 1};
    ck_assert_int_eq(gn_conn_writev(c, &iov, 1), GN_ECLOSED);
    ck_assert_int_eq(gn_conn_flush(c), GN_ECLOSED);
    ck_assert_int_eq(gn_conn_close(c), GN_ECLOSED);
    if (err == GN_EEOF) {
        atomic_fetch_add(&busy_close_eof, 1);
        return GN_SHUTDOWN;
    }
    ck_assert_int_eq(err, GN_ESHUTDOWN);
    atomic_fetch_add(&busy_close_shutdown, 1);
    return GN_SHUTDOWN; /* a second stop from on_close: ignored */
}

START_TEST(test_shutdown_from_close)
{
    srv_init("tcp", M_WRITE);
    S.h.on_close = busy_close;
    S.h.on_shutdown = second_stop_shutdown;
    srv_start();
    int keep = cli_connect(), fd = cli_connect();
    ck_assert(wait_count(2, 5000));
    close(fd);
    ck_assert(cli_wait_eof(keep, 5000));
    srv_join();
    close(keep);
    ck_assert_int_eq(atomic_load(&busy_close_eof), 1);
    ck_assert_int_eq(atomic_load(&busy_close_shutdown), 1);
    ck_assert_int_eq(atomic_load(&S.closes), 2);
    ck_assert_int_eq(atomic_load(&S.shutdowns), 1);
}
END_TEST

/* ---- a stop queued while handoffs wait ---- */

/* Both loops are held inside on_traffic while the main reactor accepts 20
 * more connections and queues their handoffs; then this thread stops the
 * engine. Every accepted connection must still be opened and get on_close
 * (GN_ESHUTDOWN), and none may be left counted at on_shutdown. This thread
 * takes a task-queue lane before the server's threads do, so a stop queued
 * from here would be looked at before the handoffs: the test passes only
 * because the loops' stops travel behind the handoffs, from the main
 * reactor's thread (tasks from different threads have no order). */
enum { HOLD_LOOPS = 2 };
static atomic_int hold_held;     /* loops held so far */
static atomic_bool hold_release; /* set: held loops go on */
static atomic_bool hold_loop[HOLD_LOOPS];

static gn_action_t hold_traffic(gn_conn_t *c)
{
    unsigned loop = (unsigned)(gn_conn_id(c) >> 56);
    ck_assert_uint_lt(loop, HOLD_LOOPS);
    if (!atomic_exchange(&hold_loop[loop], true)) {
        atomic_fetch_add(&hold_held, 1);
        while (!atomic_load(&hold_release))
            sched_yield();
    }
    size_t n;
    (void)gn_conn_next(c, SIZE_MAX, &n);
    return GN_NONE;
}

static int lane_task(void *arg)
{
    (void)arg;
    return 0;
}

START_TEST(test_stop_behind_handoffs)
{
    gn_mpscq_t *q;
    ck_assert_int_eq(gn_mpscq_new(&q), 0);
    ck_assert_int_eq(gn_mpscq_push(q, lane_task, NULL), 0);
    gn_mpscq_free(q, NULL, NULL);

    srv_init("tcp", M_WRITE);
    S.o.num_event_loop = HOLD_LOOPS;
    S.o.lb = GN_LB_ROUND_ROBIN;
    S.h.on_traffic = hold_traffic;
    S.h.on_shutdown = second_stop_shutdown;
    srv_start();
    enum { N = HOLD_LOOPS + 20 };
    int fds[N];
    for (int i = 0; i < HOLD_LOOPS; i++) {
        fds[i] = cli_connect();
        ck_assert_int_eq(write(fds[i], "x", 1), 1);
    }
    ck_assert(wait_atomic(&hold_held, HOLD_LOOPS, 5000));
    for (int i = HOLD_LOOPS; i < N; i++)
        fds[i] = cli_connect();
    ck_assert_msg(wait_count(N, 5000), "count %zu",
                  gn_engine_count_connections(atomic_load(&S.eng)));
    ck_assert_int_eq(gn_engine_stop(atomic_load(&S.eng)), 0);
    atomic_store(&hold_release, true);
    for (int i = 0; i < N; i++) {
        ck_assert(cli_wait_eof(fds[i], 5000));
        close(fds[i]);
    }
    srv_join();
    ck_assert_int_eq(atomic_load(&S.opens), N);
    ck_assert_int_eq(atomic_load(&S.closes), N);
    ck_assert_int_eq(atomic_load(&S.close_errs[err_slot(GN_ESHUTDOWN)]), N);
    ck_assert_int_eq(atomic_load(&S.shutdowns), 1);
}
END_TEST

/* ---- stop from another thread with 100 idle clients ---- */

START_TEST(test_stop_with_clients)
{
    srv_init("tcp", M_WRITE);
    S.o.num_event_loop = 4;
    S.h.on_shutdown = second_stop_shutdown;
    srv_start();
    int fds[100];
    for (int i = 0; i < 100; i++)
        fds[i] = cli_connect();
    ck_assert_msg(wait_count(100, 5000), "count %zu",
                  gn_engine_count_connections(atomic_load(&S.eng)));
    ck_assert_int_eq(gn_engine_stop(atomic_load(&S.eng)), 0);
    for (int i = 0; i < 100; i++) {
        ck_assert(cli_wait_eof(fds[i], 5000));
        close(fds[i]);
    }
    srv_join();
    ck_assert_int_eq(atomic_load(&S.closes), 100);
    ck_assert_int_eq(atomic_load(&S.close_errs[err_slot(GN_ESHUTDOWN)]), 100);
    ck_assert_int_eq(atomic_load(&S.shutdowns), 1);
}
END_TEST

/* ---- reader calls with a 1-byte-at-a-time client ---- */

/* Frames: 2-byte big-endian length, then that many bytes; each frame is
 * answered with its body. Exercises peek/next/read/discard and short reads. */
static gn_action_t frame_traffic(gn_conn_t *c)
{
    for (;;) {
        size_t have = gn_conn_inbound_buffered(c), n = 0;
        const unsigned char *h = gn_conn_peek(c, 2, &n);
        if (h == NULL) {
            ck_assert_uint_lt(have, 2);
            ck_assert_uint_eq(n, 0);
            return GN_NONE;
        }
        size_t len = (size_t)h[0] << 8 | h[1];
        const unsigned char *f = gn_conn_next(c, 2 + len, &n);
        if (f == NULL) {
            ck_assert_uint_eq(gn_conn_inbound_buffered(c), have); /* nothing consumed */
            return GN_NONE;
        }
        ck_assert_uint_eq(n, 2 + len);
        ck_assert_uint_eq(gn_conn_inbound_buffered(c), have - 2 - len);
        ck_assert_int_eq(f[0], h[0]); /* the peeked pointer is still valid */
        ck_assert_int_eq(gn_conn_write(c, f + 2, len), (ssize_t)len);
    }
}

static gn_action_t read_traffic(gn_conn_t *c)
{
    for (;;) {
        unsigned char hdr[2], body[1024];
        size_t n = 0;
        if (gn_conn_peek(c, 2, &n) == NULL)
            return GN_NONE;
        ck_assert_int_eq(gn_conn_read(c, hdr, 0), 0);
        const unsigned char *h = gn_conn_peek(c, 2, NULL);
        size_t len = (size_t)h[0] << 8 | h[1];
        if (gn_conn_inbound_buffered(c) < 2 + len)
            return GN_NONE;
        ck_assert_int_eq(gn_conn_discard(c, 1), 1);
        ck_assert_int_eq(gn_conn_read(c, hdr, 1), 1);
        ck_assert_int_eq(gn_conn_read(c, body, len), (ssize_t)len);
        ck_assert_int_eq(gn_conn_write(c, body, len), (ssize_t)len);
    }
}

START_TEST(test_one_byte_client)
{
    srv_init("tcp", M_WRITE);
    S.h.on_traffic = _i ? read_traffic : frame_traffic;
    srv_start();
    int fd = cli_connect();
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    uint64_t st = 42;
    int frames = (int)gn_test_scale(40, 4);
    for (int f = 0; f < frames; f++) {
        size_t len = 1 + (size_t)(gn_test_rand(&st) % 700);
        unsigned char msg[2 + 1024], back[1024];
        msg[0] = (unsigned char)(len >> 8);
        msg[1] = (unsigned char)len;
        for (size_t i = 0; i < len; i++)
            msg[2 + i] = (unsigned char)gn_test_rand(&st);
        for (size_t i = 0; i < 2 + len; i++)
            ck_assert_int_eq(write(fd, msg + i, 1), 1);
        ck_assert_uint_eq(cli_read_full(fd, back, len), len);
        ck_assert_mem_eq(back, msg + 2, len);
    }
    close(fd);
    srv_stop();
}
END_TEST

/* Bytes kept across reads, then partly consumed (the head moves into the
 * ring, the new bytes pass its first allocation's end): gn_conn_peek in
 * on_close still sees them as one run, in order. */
static atomic_int wrap_phase, wrap_checked;

static unsigned char wrap_byte(size_t i)
{
    return (unsigned char)(i % 251);
}

static gn_action_t wrap_traffic(gn_conn_t *c)
{
    size_t have = gn_conn_inbound_buffered(c);
    if (atomic_load(&wrap_phase) == 0 && have >= 1000) {
        atomic_store(&wrap_phase, 1); /* all 1000 kept: the ring is [0, 1000) of 1024 */
        ck_assert_int_eq(gn_conn_write(c, "k", 1), 1);
    } else if (atomic_load(&wrap_phase) == 1 && have >= 1100) {
        /* Head to 900; the 100 new bytes are kept at 1000 and wrap to 76. */
        ck_assert_int_eq(gn_conn_discard(c, 900), 900);
        atomic_store(&wrap_phase, 2);
        ck_assert_int_eq(gn_conn_write(c, "k", 1), 1);
    }
    return GN_NONE;
}

static gn_action_t wrap_close(gn_conn_t *c, int err)
{
    (void)err;
    for (int k = 0; k < 3; k++) {
        size_t n = 0;
        const unsigned char *p = gn_conn_peek(c, SIZE_MAX, &n);
        ck_assert_ptr_nonnull(p);
        ck_assert_uint_eq(n, 200);
        for (size_t i = 0; i < n; i++)
            ck_assert_int_eq(p[i], wrap_byte(900 + i));
    }
    atomic_store(&wrap_checked, 1);
    return GN_NONE;
}

START_TEST(test_peek_in_close_wrapped)
{
    srv_init("tcp", M_WRITE);
    S.h.on_traffic = wrap_traffic;
    S.h.on_close = wrap_close;
    srv_start();
    int fd = cli_connect();
    unsigned char msg[1100], ack;
    for (size_t i = 0; i < sizeof msg; i++)
        msg[i] = wrap_byte(i);
    ck_assert_int_eq(write(fd, msg, 1000), 1000);
    ck_assert_uint_eq(cli_read_full(fd, &ack, 1), 1);
    ck_assert_int_eq(write(fd, msg + 1000, 100), 100);
    ck_assert_uint_eq(cli_read_full(fd, &ack, 1), 1);
    close(fd);
    ck_assert(wait_atomic(&wrap_checked, 1, 5000));
    srv_stop();
}
END_TEST

/* ---- bad input ---- */

static const struct {
    const char *addr;
    int want;
} bad_addrs[] = {
    {"foo://127.0.0.1:1", GN_EADDR_SCHEME},       {"127.0.0.1:80", GN_EADDR_NOSCHEME},
    {"tcp://127.0.0.1:99999", GN_EADDR_PORT},     {"", GN_EADDR_EMPTY},
    {"udp://127.0.0.1:0", GN_EPROTO_UNSUPPORTED},
};

START_TEST(test_bad_addresses)
{
    gn_handler_t h = {0};
    h.on_boot = (gn_action_t(*)(gn_engine_t *))abort; /* must never run */
    for (size_t i = 0; i < sizeof bad_addrs / sizeof bad_addrs[0]; i++) {
        int rc = gn_run(&h, bad_addrs[i].addr, NULL);
        ck_assert_msg(rc == bad_addrs[i].want, "%s: %d (%s), want %d", bad_addrs[i].addr, rc,
                      gn_strerror(rc), bad_addrs[i].want);
        ck_assert_str_ne(gn_strerror(rc), "");
    }
    ck_assert_int_eq(gn_run(NULL, "tcp://127.0.0.1:0", NULL), -EINVAL);
    ck_assert_int_eq(gn_run(&h, NULL, NULL), -EINVAL);
    /* bind failure: the port is taken by a live listener */
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in in = {.sin_family = AF_INET};
    in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof in;
    ck_assert_int_eq(bind(l, (struct sockaddr *)&in, sizeof in), 0);
    ck_assert_int_eq(listen(l, 1), 0);
    ck_assert_int_eq(getsockname(l, (struct sockaddr *)&in, &len), 0);
    char addr[64];
    snprintf(addr, sizeof addr, "tcp://127.0.0.1:%d", ntohs(in.sin_port));
    ck_assert_int_eq(gn_run(&h, addr, NULL), -EADDRINUSE);
    close(l);
}
END_TEST

START_TEST(test_bad_options)
{
    gn_handler_t h = {0};
    h.on_boot = (gn_action_t(*)(gn_engine_t *))abort;
    gn_options_t o[] = {
        {.num_event_loop = -1},
        {.read_buffer_cap = -1},
        {.read_buffer_cap = 100},
        {.write_buffer_cap = 1 << 30},
        {.lb = (gn_lb_t)7},
        {.tcp_keepalive_s = -5},
        {.tcp_keepalive_cnt = 1000},
        {.socket_recv_buffer = -1},
        {.tcp_nodelay = (gn_nodelay_t)9},
        {.log_level = (gn_log_level_t)9},
    };
    for (size_t i = 0; i < sizeof o / sizeof o[0]; i++)
        ck_assert_msg(gn_run(&h, "tcp://127.0.0.1:0", &o[i]) == GN_EOPTION, "option set %zu", i);
    ck_assert_int_eq(gn_engine_stop(NULL), -EINVAL);
    ck_assert_uint_eq(gn_engine_count_connections(NULL), 0);
    ck_assert_str_eq(gn_strerror(GN_ECLOSED), "connection closed");
    ck_assert_str_ne(gn_strerror(-ECONNRESET), "");
    ck_assert_str_ne(gn_strerror(GN_EADDR_PORT), "");
}
END_TEST

/* The logger options: log_path makes the engine log to that file. */
START_TEST(test_log_path)
{
    char dir[] = "/tmp/gnet-log-XXXXXX", path[64];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/gnet.log", dir);
    gn_handler_t h = {0};
    gn_options_t o = {.log_path = path, .read_buffer_cap = 7};
    ck_assert_int_eq(gn_run(&h, "tcp://127.0.0.1:0", &o), GN_EOPTION);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    char line[512] = "";
    ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
    fclose(f);
    ck_assert_ptr_nonnull(strstr(line, "read_buffer_cap"));
    unlink(path);
    rmdir(dir);
}
END_TEST

/* The logger option: a user logger receives the engine's lines. */
static atomic_int sink_lines, sink_named;

static void sink(gn_log_level_t level, const char *file, int line, const char *msg, size_t len,
                 void *udata)
{
    (void)level, (void)file, (void)line, (void)len, (void)udata;
    atomic_fetch_add(&sink_lines, 1);
    if (strstr(msg, "num_event_loop") != NULL)
        atomic_fetch_add(&sink_named, 1);
}

START_TEST(test_user_logger)
{
    gn_logger_t *lg;
    gn_logger_opts_t lo = {.sink = GN_LOG_SINK_FUNC, .fn = sink};
    ck_assert_int_eq(gn_logger_new(&lg, &lo), 0);
    gn_handler_t h = {0};
    gn_options_t o = {.logger = lg, .num_event_loop = -3};
    ck_assert_int_eq(gn_run(&h, "tcp://127.0.0.1:0", &o), GN_EOPTION);
    ck_assert_int_eq(atomic_load(&sink_named), 1);
    ck_assert_int_ge(atomic_load(&sink_lines), 1);
    gn_logger_free(lg);
}
END_TEST

/* ---- ticker ---- */

static gn_action_t count_tick(gn_engine_t *eng, int64_t *delay)
{
    ck_assert_ptr_eq(eng, atomic_load(&S.eng));
    *delay = 10 * GN_MILLISECOND;
    if (atomic_fetch_add(&S.ticks, 1) + 1 == 25)
        ck_assert_int_eq(gn_engine_stop(eng), 0);
    return GN_NONE;
}

START_TEST(test_ticker)
{
    srv_init("tcp", M_WRITE);
    S.h.on_tick = count_tick;
    S.o.ticker = true;
    S.o.num_event_loop = 2;
    srv_start();
    srv_join();
    /* A tick may still run between the stop request and its arrival at loop 0. */
    ck_assert_int_ge(atomic_load(&S.ticks), 25);
    ck_assert_int_le(atomic_load(&S.ticks), 30);
}
END_TEST

/* ---- socket options on accepted connections ---- */

static atomic_int opt_nodelay, opt_keepalive, opt_cpus;

static gn_action_t opts_open(gn_conn_t *c)
{
    int v = 0;
    socklen_t len = sizeof v;
    getsockopt(gn_conn_fd(c), IPPROTO_TCP, TCP_NODELAY, &v, &len);
    atomic_store(&opt_nodelay, v);
    len = sizeof v;
    getsockopt(gn_conn_fd(c), SOL_SOCKET, SO_KEEPALIVE, &v, &len);
    atomic_store(&opt_keepalive, v);
    cpu_set_t set;
    CPU_ZERO(&set);
    pthread_getaffinity_np(pthread_self(), sizeof set, &set);
    atomic_store(&opt_cpus, CPU_COUNT(&set));
    gn_addr_t peer;
    ck_assert_int_eq(gn_conn_peer_addr(c, &peer), 0);
    ck_assert_int_eq(gn_conn_local_addr(c, &peer), 0);
    atomic_fetch_add(&S.opens, 1);
    return GN_NONE;
}

/* _i 0: defaults (nodelay on, no keepalive); 1: nodelay off, keepalive,
 * buffers, lock_os_thread. */
START_TEST(test_socket_options)
{
    srv_init("tcp", M_WRITE);
    S.h.on_open = opts_open;
    if (_i == 1) {
        S.o.tcp_nodelay = GN_NODELAY_OFF;
        S.o.tcp_keepalive_s = 30;
        S.o.tcp_keepalive_intvl_s = 5;
        S.o.tcp_keepalive_cnt = 3;
        S.o.socket_recv_buffer = 65536;
        S.o.socket_send_buffer = 65536;
        S.o.lock_os_thread = true;
    }
    srv_start();
    int fd = cli_connect();
    ck_assert(wait_atomic(&S.opens, 1, 5000));
    ck_assert_int_eq(atomic_load(&opt_nodelay) != 0, _i == 0);
    ck_assert_int_eq(atomic_load(&opt_keepalive) != 0, _i == 1);
    if (_i == 1)
        ck_assert_int_eq(atomic_load(&opt_cpus), 1);
    close(fd);
    srv_stop();
}
END_TEST

void add_conn_tests(Suite *s);
void add_conn_tests(Suite *s)
{
    TCase *tc = tcase_create("conn");
    tcase_set_timeout(tc, gn_test_sanitized() ? 120 : 30);
    tcase_add_loop_test(tc, test_open_greeting, 0, 2);
    tcase_add_test(tc, test_close_from_open);
    tcase_add_loop_test(tc, test_close_from_traffic, 0, 2);
    tcase_add_test(tc, test_close_idempotent);
    tcase_add_loop_test(tc, test_shutdown_action, 0, 3);
    tcase_add_test(tc, test_shutdown_from_close);
    tcase_add_test(tc, test_stop_with_clients);
    tcase_add_test(tc, test_stop_behind_handoffs);
    tcase_add_loop_test(tc, test_one_byte_client, 0, 2);
    tcase_add_test(tc, test_peek_in_close_wrapped);
    tcase_add_test(tc, test_bad_addresses);
    tcase_add_test(tc, test_bad_options);
    tcase_add_test(tc, test_log_path);
    tcase_add_test(tc, test_user_logger);
    tcase_add_test(tc, test_ticker);
    tcase_add_loop_test(tc, test_socket_options, 0, 2);
    suite_add_tcase(s, tc);
}
