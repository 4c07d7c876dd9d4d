/* Backpressure: pausing and resuming input, on_drain, and the pattern they
 * make (pause while the output is above a mark, resume in on_drain). */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static atomic_int G_drains;
static atomic_llong G_received;
static atomic_llong G_max_out;
static _Atomic gn_conn_id_t G_id;

/* Sends without blocking until the socket stays full for `quiet_ms`;
 * returns the bytes sent. */
static size_t send_until_blocked(int fd, size_t max, int quiet_ms)
{
    static char chunk[65536];
    size_t sent = 0;
    int fl = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    while (sent < max) {
        ssize_t w = send(fd, chunk, sizeof chunk, MSG_NOSIGNAL);
        if (w > 0) {
            sent += (size_t)w;
            continue;
        }
        ck_assert_int_eq(errno, EAGAIN);
        struct pollfd pfd = {.fd = fd, .events = POLLOUT};
        if (poll(&pfd, 1, quiet_ms) == 0)
            break; /* the server stopped reading */
    }
    fcntl(fd, F_SETFL, fl);
    return sent;
}

/* ---- pause with a flooding peer ---- */

#define PAUSE_AFTER (1 << 20)

static gn_action_t count_then_pause(gn_conn_t *c)
{
    size_t n;
    (void)gn_conn_next(c, SIZE_MAX, &n);
    atomic_store(&G_id, gn_conn_id(c));
    if (atomic_fetch_add(&G_received, (long long)n) + (long long)n >= PAUSE_AFTER &&
        gn_conn_context(c) == NULL) {
        gn_conn_set_context(c, c); /* once */
        ck_assert(!gn_conn_read_paused(c));
        ck_assert_int_eq(gn_conn_pause_read(c), 0);
        ck_assert_int_eq(gn_conn_pause_read(c), 0); /* idempotent */
        ck_assert(gn_conn_read_paused(c));
    }
    return GN_NONE;
}

static atomic_int G_cb_err;

static void cb_record(gn_conn_t *c, int err, void *udata)
{
    (void)udata;
    ck_assert_ptr_nonnull(c);
    atomic_store(&G_cb_err, err == 0 ? 1 : err);
}

START_TEST(test_pause_flooding_peer)
{
    srv_init("tcp", M_WRITE);
    S.h.on_traffic = count_then_pause;
    S.o.socket_recv_buffer = 65536;
    srv_start();
    int fd = cli_connect();
    int sz = 65536;
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
    /* The flood stops by itself: the server reads nothing once paused. */
    size_t sent = send_until_blocked(fd, 256u << 20, 500);
    ck_assert_uint_lt(sent, 64u << 20);
    long long got = atomic_load(&G_received);
    ck_assert_int_ge(got, PAUSE_AFTER);
    ck_assert_int_lt(got, (long long)sent); /* the rest waits in kernel buffers */
    msleep(50);
    ck_assert_int_eq(atomic_load(&G_received), got); /* nothing delivered while paused */
    /* Resume from another thread: everything arrives. */
    ck_assert_int_eq(
        gn_conn_async_resume_read(atomic_load(&S.eng), atomic_load(&G_id), cb_record, NULL), 0);
    ck_assert(wait_atomic(&G_cb_err, 1, 10000));
    ck_assert_int_eq(atomic_load(&G_cb_err), 1);
    for (int i = 0; i < 10000 && atomic_load(&G_received) < (long long)sent; i++)
        msleep(1);
    ck_assert_int_eq(atomic_load(&G_received), (long long)sent);
    close(fd);
    ck_assert(wait_atomic(&S.closes, 1, 10000));
    ck_assert_int_eq(atomic_load(&S.close_errs[err_slot(GN_EEOF)]), 1);
    srv_stop();
}
END_TEST

/* ---- on_drain: once per drain ---- */

static unsigned char G_resp[4u << 20];

static gn_action_t big_answer(gn_conn_t *c)
{
    size_t n;
    (void)gn_conn_next(c, SIZE_MAX, &n);
    for (size_t i = 0; i < n; i++)
        ck_assert_int_eq(gn_conn_write(c, G_resp, sizeof G_resp), (ssize_t)sizeof G_resp);
    return GN_NONE;
}

static gn_action_t count_drain(gn_conn_t *c)
{
    ck_assert_uint_le(gn_conn_outbound_buffered(c), S.o.write_low_watermark);
    atomic_fetch_add(&G_drains, 1);
    return GN_NONE;
}

START_TEST(test_on_drain_once)
{
    srv_init("tcp", M_WRITE);
    S.h.on_traffic = big_answer;
    S.h.on_drain = count_drain;
    S.o.write_low_watermark = _i ? 256u << 10 : 0;
    S.o.socket_send_buffer = 65536; /* most of each answer waits in the engine */
    srv_start();
    int fd = cli_connect();
    static unsigned char buf[sizeof G_resp];
    for (int round = 1; round <= 3; round++) {
        ck_assert_int_eq(write(fd, "x", 1), 1);
        ck_assert_uint_eq(cli_read_full(fd, buf, sizeof buf), sizeof buf);
        ck_assert(wait_atomic(&G_drains, round, 10000));
        msleep(20);
        ck_assert_int_eq(atomic_load(&G_drains), round); /* once, not per write event */
    }
    close(fd);
    srv_stop();
}
END_TEST

/* ---- the pattern: a pipelining client that never reads ---- */

#define REQ       1024
#define RESP      (16u << 10)
#define HIGH_MARK (1u << 20)

static gn_action_t answer_until_mark(gn_conn_t *c)
{
    while (gn_conn_inbound_buffered(c) >= REQ) {
        if (gn_conn_outbound_buffered(c) > HIGH_MARK) {
            ck_assert_int_eq(gn_conn_pause_read(c), 0);
            return GN_NONE; /* the rest waits in the inbound buffer */
        }
        (void)gn_conn_discard(c, REQ);
        ck_assert_int_eq(gn_conn_write(c, G_resp, RESP), (ssize_t)RESP);
        long long out = (long long)gn_conn_outbound_buffered(c);
        long long m = atomic_load(&G_max_out);
        while (out > m && !atomic_compare_exchange_weak(&G_max_out, &m, out))
            ;
    }
    return GN_NONE;
}

static gn_action_t resume_on_drain(gn_conn_t *c)
{
    atomic_fetch_add(&G_drains, 1);
    ck_assert_int_eq(gn_conn_resume_read(c), 0);
    return GN_NONE;
}

START_TEST(test_pipeline_never_reads)
{
    srv_init("tcp", M_WRITE);
    S.h.on_traffic = answer_until_mark;
    S.h.on_drain = resume_on_drain;
    S.o.write_low_watermark = 256u << 10;
    S.o.socket_recv_buffer = 65536;
    srv_start();
    int fd = cli_connect();
    int sz = 65536;
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
    /* Requests until the server stops reading them. */
    size_t sent = send_until_blocked(fd, 64u << 20, 500);
    sent -= sent % REQ;
    ck_assert_uint_lt(sent, 8u << 20); /* the server stopped reading early */
    long long max_out = atomic_load(&G_max_out);
    ck_assert_int_le(max_out, (long long)(HIGH_MARK + RESP)); /* memory flat */
    /* Now read: every request is answered (the paused input resumes). */
    size_t want = sent / REQ * RESP, got = 0;
    static unsigned char buf[1 << 20];
    while (got < want) {
        size_t k = want - got < sizeof buf ? want - got : sizeof buf;
        size_t r = cli_read_full(fd, buf, k);
        ck_assert_uint_eq(r, k);
        got += r;
    }
    ck_assert_int_le(atomic_load(&G_max_out), (long long)(HIGH_MARK + RESP));
    ck_assert_int_gt(atomic_load(&G_drains), 0);
    close(fd);
    srv_stop();
}
END_TEST

START_TEST(test_pause_bad_input)
{
    ck_assert_int_eq(gn_conn_pause_read(NULL), -EINVAL);
    ck_assert_int_eq(gn_conn_resume_read(NULL), -EINVAL);
    ck_assert(!gn_conn_read_paused(NULL));
    ck_assert_int_eq(gn_conn_async_pause_read(NULL, 1, NULL, NULL), -EINVAL);
    ck_assert_int_eq(gn_conn_async_resume_read(NULL, 1, NULL, NULL), -EINVAL);
}
END_TEST

void add_backpressure_tests(Suite *s);
void add_backpressure_tests(Suite *s)
{
    TCase *tc = tcase_create("backpressure");
    tcase_set_timeout(tc, gn_test_sanitized() ? 240 : 60);
    tcase_add_test(tc, test_pause_flooding_peer);
    tcase_add_loop_test(tc, test_on_drain_once, 0, 2);
    tcase_add_test(tc, test_pipeline_never_reads);
    tcase_add_test(tc, test_pause_bad_input);
    suite_add_tcase(s, tc);
}
