/* The event-loop API: on_loop_start/on_loop_stop and per-loop udata,
 * gn_loop_execute from 8 threads (once each, on the right thread, in order
 * per thread) and when dropped by a stop, loop timers (repeating, cancel in
 * callback, GN_SHUTDOWN), enrolling a socketpair end and a connected TCP fd,
 * accessors and bad input. */
#include "gn_test.h"

#include <arpa/inet.h>
#include <errno.h>
#include <gnet/gnet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

void add_loop_tests(Suite *s);

#define NLOOPS 3

typedef struct loop_state {
    int index;
    pthread_t thread;
    int ticks;
    uint64_t rep_id;
} loop_state_t;

static atomic_int starts, stops, opens_ok, opens_bad, closes;
static bool queue_in_stop; /* hook_stop queues a function that can never run */
static void dropped_fn(gn_loop_t *loop, void *arg);
static pthread_t loop_threads[NLOOPS];
static gn_engine_t *cur_eng;

static gn_action_t echo(gn_conn_t *c)
{
    size_t n;
    const void *p = gn_conn_next(c, SIZE_MAX, &n);
    if (n > 0)
        ck_assert_int_eq(gn_conn_write(c, p, n), (ssize_t)n);
    return GN_NONE;
}

static gn_action_t hook_start(gn_loop_t *loop)
{
    loop_state_t *st = calloc(1, sizeof *st);
    ck_assert_ptr_nonnull(st);
    st->index = gn_loop_index(loop);
    st->thread = pthread_self();
    loop_threads[st->index] = st->thread;
    ck_assert_ptr_eq(gn_engine_loop(gn_loop_engine(loop), st->index), loop);
    ck_assert_ptr_null(gn_loop_udata(loop));
    gn_loop_set_udata(loop, st);
    atomic_fetch_add(&starts, 1);
    return GN_NONE;
}

static void hook_stop(gn_loop_t *loop)
{
    loop_state_t *st = gn_loop_udata(loop);
    ck_assert(pthread_equal(st->thread, pthread_self()));
    ck_assert_uint_eq(gn_loop_count_connections(loop), 0);
    free(st);
    gn_loop_set_udata(loop, NULL);
    if (queue_in_stop)
        ck_assert_int_eq(gn_loop_execute(loop, dropped_fn, "free me"), 0);
    atomic_fetch_add(&stops, 1);
}

/* on_open checks the loop it runs on, and an enrolled connection's context. */
static gn_action_t check_open(gn_conn_t *c)
{
    loop_state_t *st = gn_loop_udata(gn_conn_loop(c));
    bool ok = st != NULL && pthread_equal(st->thread, pthread_self());
    void *ctx = gn_conn_context(c);
    if (ctx != NULL && strcmp(ctx, "enrolled") != 0)
        ok = false;
    atomic_fetch_add(ok ? &opens_ok : &opens_bad, 1);
    return GN_NONE;
}

static gn_action_t count_close(gn_conn_t *c, int err)
{
    atomic_fetch_add(&closes, 1);
    return GN_NONE;
}

static gn_engine_t *start_engine(int nloops, const char *addr)
{
    atomic_store(&starts, 0);
    atomic_store(&stops, 0);
    atomic_store(&opens_ok, 0);
    atomic_store(&opens_bad, 0);
    atomic_store(&closes, 0);
    gn_handler_t h = {.on_traffic = echo,
                      .on_open = check_open,
                      .on_close = count_close,
                      .on_loop_start = hook_start,
                      .on_loop_stop = hook_stop};
    gn_options_t o = {.num_event_loop = nloops};
    gn_engine_t *eng;
    ck_assert_int_eq(gn_engine_new(&eng, &h, &o), 0);
    if (addr != NULL)
        ck_assert_int_eq(gn_engine_listen(eng, addr), 0);
    ck_assert_int_eq(gn_engine_start(eng), 0);
    /* The hooks ran before start returned. */
    ck_assert_int_eq(atomic_load(&starts), nloops);
    cur_eng = eng;
    return eng;
}

static void stop_engine(gn_engine_t *eng, int nloops)
{
    ck_assert_int_eq(gn_engine_stop(eng), 0);
    ck_assert_int_eq(gn_engine_wait(eng, 20000), 0);
    ck_assert_int_eq(atomic_load(&stops), nloops);
    gn_engine_free(eng);
}

static bool wait_for(atomic_int *v, int want)
{
    for (int i = 0; i < 20000 && atomic_load(v) < want; i++)
        usleep(1000);
    return atomic_load(v) >= want;
}

static void echo_check(int fd, const char *msg)
{
    size_t n = strlen(msg);
    ck_assert_int_eq(write(fd, msg, n), (ssize_t)n);
    struct timeval tv = {.tv_sec = 10};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char buf[64] = {0};
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        ck_assert_int_gt(r, 0);
        got += (size_t)r;
    }
    ck_assert_mem_eq(buf, msg, n);
}

/* ---- hooks, udata, accessors ----------------------------------------------------- */

START_TEST(loop_hooks_udata_and_accessors)
{
    gn_engine_t *eng = start_engine(NLOOPS, "tcp://127.0.0.1:0");
    ck_assert_ptr_null(gn_engine_loop(eng, -1));
    ck_assert_ptr_null(gn_engine_loop(eng, NLOOPS));
    ck_assert_ptr_null(gn_engine_loop(NULL, 0));
    ck_assert_int_eq(gn_loop_index(NULL), -EINVAL);
    ck_assert_ptr_null(gn_loop_udata(NULL));
    ck_assert_ptr_null(gn_loop_engine(NULL));
    ck_assert_ptr_null(gn_conn_loop(NULL));
    ck_assert_uint_eq(gn_loop_count_connections(NULL), 0);
    gn_loop_set_udata(NULL, NULL);
    for (int i = 0; i < NLOOPS; i++) {
        ck_assert_int_eq(gn_loop_index(gn_engine_loop(eng, i)), i);
        ck_assert_ptr_eq(gn_loop_engine(gn_engine_loop(eng, i)), eng);
    }
    gn_addr_t a;
    ck_assert_int_eq(gn_engine_listener_addr(eng, 0, &a), 0);
    int fds[6];
    for (int k = 0; k < 6; k++) {
        fds[k] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        ck_assert_int_eq(connect(fds[k], (struct sockaddr *)&a.ss, a.len), 0);
        echo_check(fds[k], "ping");
    }
    ck_assert(wait_for(&opens_ok, 6));
    size_t total = 0;
    for (int i = 0; i < NLOOPS; i++)
        total += gn_loop_count_connections(gn_engine_loop(eng, i));
    ck_assert_uint_eq(total, 6);
    stop_engine(eng, NLOOPS);
    ck_assert_int_eq(atomic_load(&opens_bad), 0);
    ck_assert_int_eq(atomic_load(&closes), 6);
    for (int k = 0; k < 6; k++)
        close(fds[k]);
}
END_TEST

/* ---- execute ------------------------------------------------------------------------ */

#define EXEC_THREADS 8
#define EXEC_EACH    2000

static atomic_int exec_runs, exec_wrong_thread, exec_out_of_order;
static int exec_last[EXEC_THREADS]; /* last sequence seen per producer (its loop only) */

static void exec_fn(gn_loop_t *loop, void *arg)
{
    ck_assert_ptr_nonnull(loop);
    uintptr_t v = (uintptr_t)arg;
    int producer = (int)(v >> 20), seq = (int)(v & 0xfffff);
    if (!pthread_equal(loop_threads[gn_loop_index(loop)], pthread_self()))
        atomic_fetch_add(&exec_wrong_thread, 1);
    /* Each producer targets one loop, so only that loop touches its slot. */
    if (seq != exec_last[producer] + 1)
        atomic_fetch_add(&exec_out_of_order, 1);
    exec_last[producer] = seq;
    atomic_fetch_add(&exec_runs, 1);
}

static void *exec_producer(void *arg)
{
    int id = (int)(intptr_t)arg;
    gn_loop_t *loop = gn_engine_loop(cur_eng, id % NLOOPS);
    for (int seq = 0; seq < EXEC_EACH; seq++) {
        void *v = (void *)(((uintptr_t)id << 20) | (uintptr_t)seq);
        int rc;
        while ((rc = gn_loop_execute(loop, exec_fn, v)) == -ENOMEM)
            usleep(100);
        ck_assert_int_eq(rc, 0);
    }
    return NULL;
}

START_TEST(execute_from_eight_threads)
{
    gn_engine_t *eng = start_engine(NLOOPS, NULL);
    for (int i = 0; i < EXEC_THREADS; i++)
        exec_last[i] = -1;
    pthread_t t[EXEC_THREADS];
    for (int i = 0; i < EXEC_THREADS; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, exec_producer, (void *)(intptr_t)i), 0);
    for (int i = 0; i < EXEC_THREADS; i++)
        pthread_join(t[i], NULL);
    ck_assert(wait_for(&exec_runs, EXEC_THREADS * EXEC_EACH));
    ck_assert_int_eq(atomic_load(&exec_wrong_thread), 0);
    ck_assert_int_eq(atomic_load(&exec_out_of_order), 0);
    for (int i = 0; i < EXEC_THREADS; i++)
        ck_assert_int_eq(exec_last[i], EXEC_EACH - 1);
    ck_assert_int_eq(gn_loop_execute(NULL, exec_fn, NULL), -EINVAL);
    ck_assert_int_eq(gn_loop_execute(gn_engine_loop(eng, 0), NULL, NULL), -EINVAL);
    gn_loop_t *loop0 = gn_engine_loop(eng, 0);
    ck_assert_int_eq(gn_engine_stop(eng), 0);
    ck_assert_int_eq(gn_engine_wait(eng, 20000), 0);
    ck_assert_int_eq(gn_loop_execute(loop0, exec_fn, NULL), GN_ESHUTDOWN);
    gn_engine_free(eng);
    ck_assert_int_eq(atomic_load(&exec_runs), EXEC_THREADS * EXEC_EACH);
}
END_TEST

static atomic_int dropped_calls;
static pthread_t waiter;

static void dropped_fn(gn_loop_t *loop, void *arg)
{
    /* Dropped by the stop: called once, with no loop, on the waiting thread. */
    ck_assert_ptr_null(loop);
    ck_assert(pthread_equal(waiter, pthread_self()));
    ck_assert_str_eq(arg, "free me");
    atomic_fetch_add(&dropped_calls, 1);
}

/* Queued from on_loop_stop, after the loop's last round: it can only be
 * dropped, by gn_engine_wait's teardown. */
START_TEST(execute_dropped_by_stop)
{
    queue_in_stop = true;
    waiter = pthread_self();
    gn_engine_t *eng = start_engine(2, NULL);
    ck_assert_int_eq(gn_engine_stop(eng), 0);
    ck_assert_int_eq(gn_engine_wait(eng, 20000), 0);
    ck_assert_int_eq(atomic_load(&dropped_calls), 2);
    gn_engine_free(eng);
}
END_TEST

/* ---- timers -------------------------------------------------------------------------- */

static atomic_int timer_loops_done, oneshot_runs, never_runs;

static gn_action_t never_fn(gn_loop_t *loop, uint64_t id, void *udata)
{
    atomic_fetch_add(&never_runs, 1);
    return GN_NONE;
}

static gn_action_t rep_fn(gn_loop_t *loop, uint64_t id, void *udata)
{
    loop_state_t *st = gn_loop_udata(loop);
    ck_assert(pthread_equal(st->thread, pthread_self()));
    ck_assert_uint_eq(id, st->rep_id);
    if (++st->ticks == 5) {
        ck_assert_int_eq(gn_loop_timer_cancel(loop, id), 0);
        atomic_fetch_add(&timer_loops_done, 1);
    }
    return GN_NONE;
}

static gn_action_t oneshot_fn(gn_loop_t *loop, uint64_t id, void *udata)
{
    /* A one-shot timer has fired: its id is stale in its own callback. */
    ck_assert_int_eq(gn_loop_timer_cancel(loop, id), -ENOENT);
    ck_assert_int_eq(gn_loop_timer_cancel(loop, *(uint64_t *)udata), 0);
    atomic_fetch_add(&oneshot_runs, 1);
    return GN_NONE;
}

static void arm_timers(gn_loop_t *loop, void *arg)
{
    loop_state_t *st = gn_loop_udata(loop);
    static uint64_t victim[NLOOPS];
    int i = gn_loop_index(loop);
    ck_assert_int_eq(gn_loop_timer_add(loop, 2000000, 2000000, rep_fn, NULL, &st->rep_id), 0);
    ck_assert_int_eq(gn_loop_timer_add(loop, 50000000, 0, never_fn, NULL, &victim[i]), 0);
    ck_assert_int_eq(gn_loop_timer_add(loop, 1000000, 0, oneshot_fn, &victim[i], NULL), 0);
    /* Left armed: freed when the loop ends. */
    ck_assert_int_eq(gn_loop_timer_add(loop, 3600ull * 1000000000ull, 0, never_fn, NULL, NULL), 0);
    ck_assert_int_eq(gn_loop_timer_add(NULL, 0, 0, never_fn, NULL, NULL), -EINVAL);
    ck_assert_int_eq(gn_loop_timer_add(loop, 0, 0, NULL, NULL, NULL), -EINVAL);
    ck_assert_int_eq(gn_loop_timer_cancel(NULL, 1), -EINVAL);
    ck_assert_int_eq(gn_loop_timer_cancel(loop, 0), -ENOENT);
}

START_TEST(loop_timers)
{
    gn_engine_t *eng = start_engine(NLOOPS, NULL);
    for (int i = 0; i < NLOOPS; i++)
        ck_assert_int_eq(gn_loop_execute(gn_engine_loop(eng, i), arm_timers, NULL), 0);
    ck_assert(wait_for(&timer_loops_done, NLOOPS));
    ck_assert(wait_for(&oneshot_runs, NLOOPS));
    stop_engine(eng, NLOOPS);
    ck_assert_int_eq(atomic_load(&never_runs), 0);
}
END_TEST

static gn_action_t shutdown_fn(gn_loop_t *loop, uint64_t id, void *udata)
{
    return GN_SHUTDOWN;
}

static void arm_shutdown(gn_loop_t *loop, void *arg)
{
    ck_assert_int_eq(gn_loop_timer_add(loop, 1000000, 0, shutdown_fn, NULL, NULL), 0);
}

START_TEST(loop_timer_shutdown)
{
    gn_engine_t *eng = start_engine(2, NULL);
    ck_assert_int_eq(gn_loop_execute(gn_engine_loop(eng, 1), arm_shutdown, NULL), 0);
    ck_assert_int_eq(gn_engine_wait(eng, 20000), 0);
    ck_assert_int_eq(atomic_load(&stops), 2);
    gn_engine_free(eng);
}
END_TEST

/* ---- enroll ------------------------------------------------------------------------------- */

START_TEST(enroll_socketpair_and_tcp)
{
    gn_engine_t *eng = start_engine(2, NULL);
    static char ctx[] = "enrolled";
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    ck_assert_int_eq(gn_engine_enroll(eng, sv[0], ctx), 0);
    echo_check(sv[1], "over a socketpair");

    /* A connected TCP pair made by hand; the accepted end joins loop 1. */
    int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in in = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof in;
    ck_assert_int_eq(bind(l, (struct sockaddr *)&in, sizeof in), 0);
    ck_assert_int_eq(listen(l, 4), 0);
    ck_assert_int_eq(getsockname(l, (struct sockaddr *)&in, &len), 0);
    int cli = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_eq(connect(cli, (struct sockaddr *)&in, sizeof in), 0);
    int srv = accept(l, NULL, NULL);
    ck_assert_int_ge(srv, 0);
    close(l);
    ck_assert_int_eq(gn_loop_enroll(gn_engine_loop(eng, 1), srv, ctx), 0);
    echo_check(cli, "over tcp");
    ck_assert(wait_for(&opens_ok, 2));
    ck_assert_uint_eq(gn_loop_count_connections(gn_engine_loop(eng, 1)) +
                          gn_loop_count_connections(gn_engine_loop(eng, 0)),
                      2);

    /* Bad input: the fd stays the caller's. */
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    ck_assert_int_eq(gn_engine_enroll(eng, p[0], NULL), -ENOTSOCK);
    int u = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ck_assert_int_eq(gn_engine_enroll(eng, u, NULL), GN_EPROTO_UNSUPPORTED);
    ck_assert_int_eq(gn_engine_enroll(eng, -1, NULL), -EINVAL);
    ck_assert_int_eq(gn_engine_enroll(NULL, sv[1], NULL), -EINVAL);
    ck_assert_int_eq(gn_loop_enroll(NULL, sv[1], NULL), -EINVAL);
    close(p[0]);
    close(p[1]);
    close(u);

    stop_engine(eng, 2);
    ck_assert_int_eq(atomic_load(&opens_bad), 0);
    ck_assert_int_eq(atomic_load(&closes), 2);
    close(sv[1]);
    close(cli);
}
END_TEST

void add_loop_tests(Suite *s)
{
    TCase *tc = tcase_create("loop");
    tcase_add_test(tc, loop_hooks_udata_and_accessors);
    tcase_add_test(tc, execute_from_eight_threads);
    tcase_add_test(tc, execute_dropped_by_stop);
    tcase_add_test(tc, loop_timers);
    tcase_add_test(tc, loop_timer_shutdown);
    tcase_add_test(tc, enroll_socketpair_and_tcp);
    suite_add_tcase(s, tc);
}
