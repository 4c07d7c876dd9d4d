/* Lossless close: a close with outbound bytes pending drains them before the
 * FIN, within the linger deadline; a drop is reported as GN_ELINGER and the
 * peer sees a reset, not a clean end of stream. */
#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BIG (24u << 20)

static unsigned char pattern_byte(size_t i)
{
    return (unsigned char)((i * 131u) ^ (i >> 13));
}

static unsigned char *pattern(size_t n)
{
    unsigned char *p = malloc(n);
    ck_assert_ptr_nonnull(p);
    for (size_t i = 0; i < n; i++)
        p[i] = pattern_byte(i);
    return p;
}

static unsigned char *G_big;
static size_t G_big_len;
static atomic_int G_requested; /* the handler asked for the close */
static _Atomic gn_conn_id_t G_id;

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* On the first bytes: write the whole big response, ask for the close. */
static gn_action_t big_then_close(gn_conn_t *c)
{
    size_t n;
    (void)gn_conn_next(c, SIZE_MAX, &n);
    if (n == 0 || gn_conn_context(c) != NULL)
        return GN_NONE;
    gn_conn_set_context(c, c);
    ck_assert_int_eq(gn_conn_write(c, G_big, G_big_len), (ssize_t)G_big_len);
    atomic_store(&G_id, gn_conn_id(c));
    atomic_store(&G_requested, 1);
    return GN_CLOSE;
}

/* A client whose receive buffer is small, so the server's buffer holds most
 * of the response when the close is asked for. */
static int small_rcvbuf_client(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(fd, 0);
    int sz = 256 << 10; /* before connect, so the window is small from the start */
    ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz), 0);
    struct sockaddr_in in = {.sin_family = AF_INET, .sin_port = htons((uint16_t)S.port)};
    in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&in, sizeof in), 0);
    return fd;
}

/* Reads until EOF or error. Returns bytes read; *end = 0 on EOF, else errno
 * (ETIMEDOUT when nothing came for 60 s). Checks the pattern when check. */
static size_t read_to_end(int fd, size_t slow_every, int *end, bool check)
{
    unsigned char buf[4096];
    size_t got = 0, reads = 0;
    for (;;) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        if (poll(&pfd, 1, 60000) <= 0) { /* generous: sanitized runs under load */
            *end = ETIMEDOUT;
            return got;
        }
        ssize_t r = read(fd, buf, sizeof buf);
        if (r == 0) {
            *end = 0;
            return got;
        }
        if (r < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            *end = errno;
            return got;
        }
        bool same = true; /* one assertion per read: Check's are costly */
        for (ssize_t i = 0; check && i < r; i++)
            same &= buf[i] == pattern_byte(got + (size_t)i);
        ck_assert_msg(same, "a byte after offset %zu differs", got);
        got += (size_t)r;
        if (slow_every > 0 && ++reads % slow_every == 0)
            msleep(1); /* a slow reader: pacing, not synchronisation */
    }
}

static void big_setup(size_t len)
{
    srv_init("tcp", M_WRITE);
    G_big_len = len;
    G_big = pattern(len);
    atomic_store(&G_requested, 0);
    S.h.on_traffic = big_then_close;
}

static void big_teardown(void)
{
    free(G_big);
    G_big = NULL;
}

START_TEST(test_close_slow_reader_24m)
{
    big_setup(BIG);
    S.o.socket_send_buffer = 16384;
    srv_start();
    int fd = small_rcvbuf_client();
    ck_assert_int_eq(write(fd, "GET", 3), 3);
    int end = -1;
    size_t got = read_to_end(fd, 32, &end, true);
    ck_assert_msg(got == BIG, "got %zu end %d closes %d", got, end, atomic_load(&S.closes));
    ck_assert_int_eq(end, 0); /* a clean FIN after every byte */
    close(fd);
    ck_assert(wait_atomic(&S.closes, 1, 10000));
    ck_assert_int_eq(atomic_load(&S.close_errs[0]), 1); /* on_close(c, 0) */
    srv_stop();
    big_teardown();
}
END_TEST

/* ---- 40,000 pipelined requests, the last one asks for the close ---- */

#define NREQ    40000
#define REQ_LEN 8
#define RSP_LEN 100

static gn_action_t pipelined_traffic(gn_conn_t *c)
{
    uintptr_t seq = (uintptr_t)gn_conn_context(c);
    gn_action_t a = GN_NONE;
    while (a == GN_NONE && gn_conn_inbound_buffered(c) >= REQ_LEN) {
        const char *req = gn_conn_next(c, REQ_LEN, NULL);
        ck_assert_ptr_nonnull(req);
        char rsp[RSP_LEN];
        memset(rsp, '.', sizeof rsp);
        int k = snprintf(rsp, sizeof rsp, "%08lu", (unsigned long)seq++);
        rsp[k] = ' ';
        rsp[RSP_LEN - 1] = '\n';
        ck_assert_int_eq(gn_conn_write(c, rsp, sizeof rsp), RSP_LEN);
        if (req[0] == 'C')
            a = GN_CLOSE;
    }
    gn_conn_set_context(c, (void *)seq);
    return a;
}

static void *pipeline_writer(void *arg)
{
    int fd = *(int *)arg;
    char *all = malloc((size_t)NREQ * REQ_LEN);
    for (int i = 0; i < NREQ; i++)
        memcpy(all + (size_t)i * REQ_LEN, i == NREQ - 1 ? "CLOSE..\n" : "GET....\n", REQ_LEN);
    size_t off = 0, total = (size_t)NREQ * REQ_LEN;
    while (off < total) {
        ssize_t w = send(fd, all + off, total - off, MSG_NOSIGNAL);
        if (w <= 0)
            break;
        off += (size_t)w;
    }
    free(all);
    return NULL;
}

START_TEST(test_close_pipelined_40k)
{
    srv_init(_i ? "unix" : "tcp", M_WRITE);
    S.h.on_traffic = pipelined_traffic;
    srv_start();
    int fd = _i ? cli_connect() : small_rcvbuf_client();
    pthread_t w;
    ck_assert_int_eq(pthread_create(&w, NULL, pipeline_writer, &fd), 0);
    msleep(100); /* let responses pile up in the server's buffer */
    static char buf[RSP_LEN];
    int answered = 0;
    while (cli_read_full(fd, buf, RSP_LEN) == RSP_LEN) {
        char want[16];
        snprintf(want, sizeof want, "%08d", answered);
        ck_assert_mem_eq(buf, want, 8);
        answered++;
    }
    pthread_join(w, NULL);
    ck_assert_int_eq(answered, NREQ);
    close(fd);
    ck_assert(wait_atomic(&S.closes, 1, 10000));
    ck_assert_int_eq(atomic_load(&S.close_errs[0]), 1);
    srv_stop();
}
END_TEST

/* ---- half-close: the peer's FIN after 12 MiB; all of it comes back ---- */

typedef struct half_arg {
    int fd;
    const unsigned char *p;
    size_t n;
} half_arg_t;

static void *half_writer(void *arg)
{
    half_arg_t *a = arg;
    size_t off = 0;
    while (off < a->n) {
        ssize_t w = send(a->fd, a->p + off, a->n - off, MSG_NOSIGNAL);
        if (w <= 0)
            break;
        off += (size_t)w;
    }
    shutdown(a->fd, SHUT_WR);
    return NULL;
}

START_TEST(test_half_close_echo_12m)
{
    srv_init(_i ? "unix" : "tcp", _i ? M_WRITEV : M_WRITE);
    srv_start();
    size_t n = 12u << 20;
    unsigned char *p = pattern(n);
    int fd = cli_connect();
    half_arg_t a = {.fd = fd, .p = p, .n = n};
    pthread_t w;
    ck_assert_int_eq(pthread_create(&w, NULL, half_writer, &a), 0);
    /* The server keeps reading while its output waits, so the writer ends
     * with most of the echo still in the server's buffer at the FIN. */
    pthread_join(w, NULL);
    int end = -1;
    size_t got = read_to_end(fd, 0, &end, true);
    ck_assert_msg(got == n && end == 0, "echoed %zu of %zu, end %d", got, n, end);
    close(fd);
    ck_assert(wait_atomic(&S.closes, 1, 10000));
    ck_assert_int_eq(atomic_load(&S.close_errs[err_slot(GN_EEOF)]), 1);
    srv_stop();
    free(p);
}
END_TEST

/* ---- drops: deadline, reset, stop, no linger ---- */

static atomic_int G_async_err;

static void record_err(gn_conn_t *c, int err, void *udata)
{
    (void)udata;
    ck_assert_ptr_null(c);
    atomic_store(&G_async_err, err);
}

START_TEST(test_linger_deadline)
{
    big_setup(8u << 20);
    S.o.close_linger_ms = 300;
    srv_start();
    int fd = small_rcvbuf_client();
    int64_t t0 = mono_ms();
    ck_assert_int_eq(write(fd, "GET", 3), 3);
    ck_assert(wait_atomic(&G_requested, 1, 10000));
    /* Draining: the handle resolves to nothing. */
    atomic_store(&G_async_err, 1);
    ck_assert_int_eq(
        gn_conn_async_write(atomic_load(&S.eng), atomic_load(&G_id), "x", 1, record_err, NULL), 0);
    ck_assert(wait_atomic(&S.closes, 1, 10000));
    ck_assert_int_ge(mono_ms() - t0, 300);
    ck_assert_int_eq(atomic_load(&S.close_errs[err_slot(GN_ELINGER)]), 1);
    for (int i = 0; i < 10000 && atomic_load(&G_async_err) == 1; i++)
        msleep(1);
    ck_assert_int_eq(atomic_load(&G_async_err), GN_ECLOSED);
    int end = -1;
    size_t got = read_to_end(fd, 0, &end, true);
    ck_assert_uint_lt(got, 8u << 20);
    ck_assert_int_eq(end, ECONNRESET); /* the peer learns that bytes were lost */
    close(fd);
    srv_stop();
    big_teardown();
}
END_TEST

START_TEST(test_reset_during_drain)
{
    big_setup(8u << 20);
    srv_start(); /* default linger: 30 s */
    int fd = small_rcvbuf_client();
    ck_assert_int_eq(write(fd, "GET", 3), 3);
    static char buf[65536];
    ck_assert_uint_eq(cli_read_full(fd, buf, sizeof buf), sizeof buf);
    ck_assert(wait_atomic(&G_requested, 1, 10000));
    struct linger lg = {1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(fd);
    ck_assert(wait_atomic(&S.closes, 1, 10000)); /* long before the deadline */
    ck_assert_int_eq(atomic_load(&S.close_errs[err_slot(GN_ELINGER)]), 1);
    ck_assert(wait_count(0, 5000));
    srv_stop();
    big_teardown();
}
END_TEST

START_TEST(test_stop_during_drain)
{
    big_setup(8u << 20);
    srv_start();
    int fd = small_rcvbuf_client();
    ck_assert_int_eq(write(fd, "GET", 3), 3);
    ck_assert(wait_atomic(&G_requested, 1, 10000));
    ck_assert_int_eq(atomic_load(&S.closes), 0); /* draining */
    ck_assert_uint_eq(gn_engine_count_connections(atomic_load(&S.eng)), 1);
    srv_stop();
    ck_assert_int_eq(atomic_load(&S.closes), 1);
    ck_assert_int_eq(atomic_load(&S.close_errs[err_slot(GN_ELINGER)]), 1);
    close(fd);
    big_teardown();
}
END_TEST

START_TEST(test_linger_none)
{
    big_setup(8u << 20);
    S.o.close_linger_ms = GN_CLOSE_LINGER_NONE;
    srv_start();
    int fd = small_rcvbuf_client();
    ck_assert_int_eq(write(fd, "GET", 3), 3);
    ck_assert(wait_atomic(&S.closes, 1, 10000));
    ck_assert_int_eq(atomic_load(&S.close_errs[err_slot(GN_ELINGER)]), 1);
    close(fd);
    srv_stop();
    big_teardown();
}
END_TEST

START_TEST(test_linger_bad_option)
{
    srv_init("tcp", M_WRITE);
    S.o.close_linger_ms = -2;
    ck_assert_int_eq(srv_run_sync(), GN_EOPTION);
    ck_assert_int_eq(atomic_load(&S.boots), 0);
}
END_TEST

/* ---- many drains at once: some finish, some hit the deadline ---- */

#define NDRAIN 16

typedef struct reader {
    pthread_t thr;
    int fd;
    size_t got;
    int end;
} reader_t;

static void *reader_main(void *arg)
{
    reader_t *r = arg;
    r->got = read_to_end(r->fd, 0, &r->end, true);
    return NULL;
}

START_TEST(test_many_drains)
{
    big_setup(2u << 20);
    S.o.socket_send_buffer = 65536; /* most of each response waits in the engine */
    S.o.close_linger_ms = gn_test_sanitized() ? 20000 : 3000;
    S.o.num_event_loop = 2;
    srv_start();
    reader_t r[NDRAIN];
    for (int i = 0; i < NDRAIN; i++) {
        r[i] = (reader_t){.fd = small_rcvbuf_client(), .end = -1};
        ck_assert_int_eq(write(r[i].fd, "GET", 3), 3);
    }
    /* Even clients read everything, at once; odd ones never read. */
    for (int i = 0; i < NDRAIN; i += 2)
        ck_assert_int_eq(pthread_create(&r[i].thr, NULL, reader_main, &r[i]), 0);
    for (int i = 0; i < NDRAIN; i += 2) {
        pthread_join(r[i].thr, NULL);
        ck_assert_uint_eq(r[i].got, 2u << 20);
        ck_assert_int_eq(r[i].end, 0);
    }
    ck_assert(wait_atomic(&S.closes, NDRAIN, 20000));
    ck_assert_int_eq(atomic_load(&S.close_errs[0]), NDRAIN / 2);
    ck_assert_int_eq(atomic_load(&S.close_errs[err_slot(GN_ELINGER)]), NDRAIN / 2);
    for (int i = 0; i < NDRAIN; i++)
        close(r[i].fd);
    srv_stop();
    big_teardown();
}
END_TEST

void add_close_tests(Suite *s);
void add_close_tests(Suite *s)
{
    TCase *tc = tcase_create("close");
    tcase_set_timeout(tc, gn_test_sanitized() ? 240 : 60);
    tcase_add_test(tc, test_close_slow_reader_24m);
    tcase_add_loop_test(tc, test_close_pipelined_40k, 0, 2);
    tcase_add_loop_test(tc, test_half_close_echo_12m, 0, 2);
    tcase_add_test(tc, test_linger_deadline);
    tcase_add_test(tc, test_reset_during_drain);
    tcase_add_test(tc, test_stop_during_drain);
    tcase_add_test(tc, test_linger_none);
    tcase_add_test(tc, test_linger_bad_option);
    tcase_add_test(tc, test_many_drains);
    suite_add_tcase(s, tc);
}
