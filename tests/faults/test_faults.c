/* Allocation failures across the engine: each scenario runs with the n-th
 * allocation failing, for n = 1, 2, ... until a run reaches the end without
 * meeting the armed allocation (no failure left to inject). Every run: no
 * crash, no hang, no leak (ASan at exit under SAN=address), any connection
 * cut short is reported to on_close with -ENOMEM (or never opened), bytes
 * that arrive are the right ones, and once injection stops the engine
 * serves a new connection. */
#include "gn_test.h"
#include "inject.h"

#include <gnet/gnet.h>
#include <gnet/pool.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { M_ECHO, M_RECORDS, M_BIG, M_ASYNC, M_CLOSE };
#define RECORD 7
#define BIG    (256 * 1024)

typedef struct fault_srv {
    gn_handler_t h;
    gn_options_t o;
    int mode;
    int port;
    pthread_t thr;
    int rc;
    atomic_int done, booted;
    _Atomic(gn_engine_t *) eng;
    atomic_int opens, closes, nomem, other;
    atomic_int last_other;
    gn_pool_t *pool;
} fault_srv_t;

static fault_srv_t F;
static long cur_n; /* the allocation armed to fail, for messages */
static unsigned char big[BIG];

static unsigned char pat(size_t i)
{
    return (unsigned char)(i * 31 + (i >> 7));
}

/* An error the scenario does not expect, seen off the test thread (where
 * Check's asserts would allocate): checked by check_closed. */
static void unexpected(int err)
{
    atomic_fetch_add(&F.other, 1);
    atomic_store(&F.last_other, err);
}

static gn_action_t on_boot(gn_engine_t *eng)
{
    struct sockaddr_in in;
    socklen_t len = sizeof in;
    int fd = gn_engine_dup(eng);
    if (fd >= 0) {
        getsockname(fd, (struct sockaddr *)&in, &len);
        close(fd);
        F.port = ntohs(in.sin_port);
    }
    atomic_store(&F.eng, eng);
    atomic_store(&F.booted, 1);
    return GN_NONE;
}

static gn_action_t on_open(gn_conn_t *c)
{
    (void)c;
    atomic_fetch_add(&F.opens, 1);
    return GN_NONE;
}

static gn_action_t on_close(gn_conn_t *c, int err)
{
    (void)c;
    if (err == -ENOMEM)
        atomic_fetch_add(&F.nomem, 1);
    else if (err != 0 && err != GN_EEOF && err != GN_ESHUTDOWN && err != -ECONNRESET &&
             err != -EPIPE)
        unexpected(err);
    atomic_fetch_add(&F.closes, 1);
    return GN_NONE;
}

/* With n == SIZE_MAX, gn_conn_next/peek return NULL only when out of memory
 * (the bytes stay buffered): the handlers then close the connection. */

/* A failed write closes the connection with the error it returned. */
static gn_action_t wrote(gn_conn_t *c, ssize_t rc)
{
    (void)c;
    if (rc >= 0)
        return GN_NONE;
    if (rc != -ENOMEM && rc != GN_ECLOSED && rc != -EPIPE && rc != -ECONNRESET)
        unexpected((int)rc);
    return GN_CLOSE;
}

typedef struct async_job {
    gn_engine_t *eng;
    gn_conn_id_t id;
    size_t n;
    unsigned char data[4096];
} async_job_t;

static void async_done(gn_conn_t *c, int err, void *udata)
{
    (void)udata;
    if (err != 0 && err != -ENOMEM && err != GN_ECLOSED && err != GN_ESHUTDOWN && err != -EPIPE &&
        err != -ECONNRESET)
        unexpected(err);
    if (err == -ENOMEM && c != NULL)
        (void)gn_conn_close(c);
}

static void async_task(void *arg)
{
    async_job_t *j = arg;
    int rc = gn_conn_async_write(j->eng, j->id, j->data, j->n, async_done, NULL);
    if (rc != 0 && rc != -ENOMEM && rc != GN_ESHUTDOWN)
        unexpected(rc);
    if (rc == -ENOMEM)
        (void)gn_conn_async_close(j->eng, j->id, NULL, NULL);
    free(j);
}

static gn_action_t traffic_async(gn_conn_t *c)
{
    size_t n;
    const void *p = gn_conn_peek(c, SIZE_MAX, &n);
    if (p == NULL)
        return GN_CLOSE;
    n = n < sizeof((async_job_t *)0)->data ? n : sizeof((async_job_t *)0)->data;
    async_job_t *j = malloc(sizeof *j);
    if (j == NULL)
        return GN_CLOSE; /* the handler's own allocation, failed on purpose */
    *j = (async_job_t){.eng = gn_conn_engine(c), .id = gn_conn_id(c), .n = n};
    memcpy(j->data, p, n);
    (void)gn_conn_discard(c, n);
    if (gn_pool_submit(F.pool, async_task, j) != 0) {
        free(j);
        return GN_CLOSE;
    }
    return GN_NONE;
}

static gn_action_t on_traffic(gn_conn_t *c)
{
    size_t n;
    const void *p;
    switch (F.mode) {
    case M_RECORDS: /* whole records only: the rest waits in the inbound ring */
        p = gn_conn_peek(c, SIZE_MAX, &n);
        if (p == NULL)
            return GN_CLOSE; /* out of memory for the contiguous copy */
        n -= n % RECORD;
        if (n == 0)
            return GN_NONE;
        if (wrote(c, gn_conn_write(c, p, n)) != GN_NONE)
            return GN_CLOSE;
        (void)gn_conn_discard(c, n);
        return GN_NONE;
    case M_BIG: /* each byte asks for BIG bytes back: the outbound buffer fills */
        if (gn_conn_next(c, SIZE_MAX, &n) == NULL)
            return GN_CLOSE;
        for (size_t i = 0; i < n; i++)
            if (wrote(c, gn_conn_write(c, big, BIG)) != GN_NONE)
                return GN_CLOSE;
        return GN_NONE;
    case M_ASYNC:
        return traffic_async(c);
    default:
        p = gn_conn_next(c, SIZE_MAX, &n);
        if (p == NULL)
            return GN_CLOSE;
        if (wrote(c, gn_conn_write(c, p, n)) != GN_NONE)
            return GN_CLOSE;
        return F.mode == M_CLOSE ? GN_CLOSE : GN_NONE;
    }
}

static void *run_thread(void *arg)
{
    (void)arg;
    F.rc = gn_run(&F.h, "tcp://127.0.0.1:0", &F.o);
    atomic_store(&F.done, 1);
    return NULL;
}

static bool wait_flag(atomic_int *v, int want, int ms)
{
    for (int i = 0; i < ms; i++) {
        if (atomic_load(v) >= want)
            return true;
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    return atomic_load(v) >= want;
}

static void srv_reset(int mode, int loops)
{
    gn_pool_t *pool = F.pool;
    memset(&F, 0, sizeof F);
    F.pool = pool;
    F.mode = mode;
    F.h = (gn_handler_t){
        .on_boot = on_boot, .on_open = on_open, .on_close = on_close, .on_traffic = on_traffic};
    F.o.num_event_loop = loops;
    F.o.socket_send_buffer = mode == M_BIG ? 4096 : 0;
}

/* Starts the engine; false when gn_run failed (then F.rc says why). */
static bool srv_start(void)
{
    ck_assert_int_eq(pthread_create(&F.thr, NULL, run_thread, NULL), 0);
    for (int i = 0; i < 10000; i++) {
        if (atomic_load(&F.booted) || atomic_load(&F.done))
            break;
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    if (atomic_load(&F.booted))
        return true;
    ck_assert_msg(atomic_load(&F.done), "gn_run neither booted nor returned");
    pthread_join(F.thr, NULL);
    return false;
}

/* Stops the engine; the join is bounded: a lost stop fails the test. */
static void srv_stop(void)
{
    ck_assert_int_eq(gn_engine_stop(atomic_load(&F.eng)), 0);
    ck_assert_msg(wait_flag(&F.done, 1, 10000), "gn_run did not return after gn_engine_stop");
    pthread_join(F.thr, NULL);
    ck_assert_int_eq(F.rc, 0);
}

static int cli_connect(void)
{
    struct sockaddr_in in = {.sin_family = AF_INET, .sin_port = htons((uint16_t)F.port)};
    in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&in, sizeof in), 0);
    return fd;
}

enum { C_OK, C_CUT }; /* all bytes verified / peer closed early */

/* Reads n bytes that must equal want[0..n) (want NULL: the BIG pattern,
 * repeated); returns C_CUT at an early EOF or reset. A timeout (a hang) or a
 * wrong byte fails the test. */
static int cli_expect(int fd, const unsigned char *want, size_t n)
{
    unsigned char buf[8192];
    size_t got = 0;
    while (got < n) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        ck_assert_msg(poll(&pfd, 1, 10000) == 1,
                      "no reply and no close for 10 s (mode %d, allocation %ld failed)", F.mode,
                      cur_n);
        size_t k = n - got < sizeof buf ? n - got : sizeof buf;
        ssize_t r = read(fd, buf, k);
        if (r <= 0)
            return C_CUT;
        for (ssize_t i = 0; i < r; i++) {
            unsigned char w = want != NULL ? want[got + (size_t)i] : big[(got + (size_t)i) % BIG];
            ck_assert_msg(buf[i] == w, "wrong byte at %zu", got + (size_t)i);
        }
        got += (size_t)r;
    }
    return C_OK;
}

/* One client's exchange in the scenario's mode. */
static int exchange(void)
{
    unsigned char msg[3000];
    for (size_t i = 0; i < sizeof msg; i++)
        msg[i] = pat(i);
    int fd = cli_connect();
    int res = C_OK;
    if (F.mode == M_BIG) {
        if (send(fd, "xy", 2, MSG_NOSIGNAL) != 2)
            res = C_CUT;
        else
            res = cli_expect(fd, NULL, 2 * (size_t)BIG);
    } else if (F.mode == M_RECORDS) {
        /* Odd chunk sizes, so records straddle reads and wait in the ring. */
        size_t off = 0, total = 100 * RECORD;
        while (res == C_OK && off < total) {
            size_t k = off + 11 <= total ? 11 : total - off;
            if (send(fd, msg + off, k, MSG_NOSIGNAL) != (ssize_t)k)
                res = C_CUT;
            off += k;
        }
        if (res == C_OK)
            res = cli_expect(fd, msg, total);
    } else {
        if (send(fd, msg, sizeof msg, MSG_NOSIGNAL) != (ssize_t)sizeof msg)
            res = C_CUT;
        else
            res = cli_expect(fd, msg, sizeof msg);
    }
    close(fd);
    return res;
}

/* After a run: every connection the engine opened was closed, a cut one
 * for a reason we accept. */
static void check_closed(bool injected, int res, int nomem_before)
{
    ck_assert_msg(wait_flag(&F.closes, atomic_load(&F.opens), 10000), "opens %d, closes %d",
                  atomic_load(&F.opens), atomic_load(&F.closes));
    ck_assert_msg(atomic_load(&F.other) == 0, "on_close err %d", atomic_load(&F.last_other));
    if (!injected) {
        ck_assert_int_eq(res, C_OK);
        ck_assert_int_eq(atomic_load(&F.nomem), nomem_before);
    }
}

/* The scenario with the n-th allocation after the engine started failing.
 * Returns whether that allocation was reached. */
static bool run_traffic(int mode, int loops, long n)
{
    srv_reset(mode, loops);
    ck_assert(srv_start());
    cur_n = n;
    inj_arm(n);
    int res = exchange();
    bool injected = inj_disarm();
    check_closed(injected, res, 0);
    /* The engine keeps serving. */
    int opens = atomic_load(&F.opens);
    ck_assert_int_eq(exchange(), C_OK);
    ck_assert_int_gt(atomic_load(&F.opens), opens);
    check_closed(false, C_OK, atomic_load(&F.nomem));
    srv_stop();
    return injected;
}

static void every_n(int mode, int loops)
{
    long n = getenv("GN_FAULTS_FIRST") != NULL ? atol(getenv("GN_FAULTS_FIRST")) : 1;
    while (run_traffic(mode, loops, n))
        ck_assert_msg(++n < 5000, "scenario never ran out of allocations");
    fprintf(stderr, "mode %d, %d loop(s): %ld allocation sites injected\n", mode, loops, n - 1);
}

START_TEST(inject_accept_echo)
{
    every_n(M_ECHO, _i + 1);
}
END_TEST

START_TEST(inject_read_into_ring)
{
    every_n(M_RECORDS, _i + 1);
}
END_TEST

START_TEST(inject_partial_write)
{
    every_n(M_BIG, _i + 1);
}
END_TEST

START_TEST(inject_async_write)
{
    gn_pool_options_t po = {.capacity = 1, .prealloc = true};
    ck_assert_int_eq(gn_pool_new(&F.pool, &po), 0);
    every_n(M_ASYNC, _i + 1);
    gn_pool_free(F.pool);
    F.pool = NULL;
}
END_TEST

START_TEST(inject_close_with_output)
{
    every_n(M_CLOSE, _i + 1);
}
END_TEST

/* Engine start: gn_run either fails with -ENOMEM (nothing leaks, on_boot
 * never ran) or runs and serves. */
START_TEST(inject_start)
{
    long n = 1;
    for (;; n++) {
        srv_reset(M_ECHO, _i + 1);
        inj_arm(n);
        bool up = srv_start();
        bool injected = inj_disarm();
        if (!up) {
            ck_assert(injected);
            ck_assert_int_eq(F.rc, -ENOMEM);
            continue;
        }
        ck_assert_int_eq(exchange(), C_OK);
        srv_stop();
        if (!injected)
            break;
        ck_assert_int_lt(n, 5000);
    }
    fprintf(stderr, "start, %d loop(s): %ld allocation sites injected\n", _i + 1, n - 1);
}
END_TEST

static atomic_int stop_rc;

static void *stop_from_new_thread(void *arg)
{
    (void)arg;
    atomic_store(&stop_rc, gn_engine_stop(atomic_load(&F.eng)));
    return NULL;
}

/* gn_engine_stop from a thread that never touched the engine (its task
 * lanes are not allocated yet): the stop must not be lost to -ENOMEM. */
START_TEST(inject_stop)
{
    long n = 1;
    for (;; n++) {
        srv_reset(M_ECHO, _i + 1);
        ck_assert(srv_start());
        ck_assert_int_eq(exchange(), C_OK);
        inj_arm(n);
        pthread_t t;
        ck_assert_int_eq(pthread_create(&t, NULL, stop_from_new_thread, NULL), 0);
        pthread_join(t, NULL);
        ck_assert_int_eq(atomic_load(&stop_rc), 0);
        ck_assert_msg(wait_flag(&F.done, 1, 10000), "stop lost (allocation %ld failed)", n);
        bool injected = inj_disarm();
        pthread_join(F.thr, NULL);
        ck_assert_int_eq(F.rc, 0);
        if (!injected)
            break;
        ck_assert_int_lt(n, 5000);
    }
    fprintf(stderr, "stop, %d loop(s): %ld allocation sites injected\n", _i + 1, n - 1);
}
END_TEST

static void add_case(Suite *s, const char *name, const TTest *t)
{
    TCase *tc = tcase_create(name);
    tcase_set_timeout(tc, gn_test_sanitized() ? 600 : 180);
    tcase_add_loop_test(tc, t, 0, 2);
    suite_add_tcase(s, tc);
}

int main(void)
{
    for (size_t i = 0; i < BIG; i++)
        big[i] = pat(i);
    Suite *s = suite_create("faults");
    /* One case per scenario (CK_RUN_CASE=async runs one). Loop 0: 1 loop,
     * the per-loop listener; loop 1: 2 loops, main reactor and handoffs. */
    add_case(s, "start", inject_start);
    add_case(s, "accept", inject_accept_echo);
    add_case(s, "ring", inject_read_into_ring);
    add_case(s, "partial_write", inject_partial_write);
    add_case(s, "async", inject_async_write);
    add_case(s, "close", inject_close_with_output);
    add_case(s, "stop", inject_stop);
    return gn_test_run(s);
}
