/* The engine's life: new/listen/start/stop/wait/free, several listeners
 * (tcp4 + tcp6 + unix) in both topologies, three engines in a row with no
 * leaked thread, fd or port, a stop from a SIGINT handler, wait's timeout,
 * gn_rotate, on_boot's shutdown, and misuse. */
#include "gn_test.h"

#include <dirent.h>
#include <errno.h>
#include <gnet/gnet.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

void add_lifecycle_tests(Suite *s);

static atomic_int lc_opens, lc_closes, lc_shutdowns, lc_deadlk;
static atomic_int lc_loop_of[2];

static gn_action_t lc_traffic(gn_conn_t *c)
{
    size_t n;
    const void *p = gn_conn_next(c, SIZE_MAX, &n);
    if (n > 0)
        ck_assert_int_eq(gn_conn_write(c, p, n), (ssize_t)n);
    return GN_NONE;
}

static gn_action_t lc_open(gn_conn_t *c)
{
    atomic_fetch_add(&lc_opens, 1);
    /* The engine's own threads must not wait for it. */
    if (gn_engine_wait(gn_conn_engine(c), 0) == -EDEADLK)
        atomic_fetch_add(&lc_deadlk, 1);
    gn_conn_id_t id = gn_conn_id(c);
    atomic_fetch_add(&lc_loop_of[(id >> 56) & 1], 1);
    return GN_NONE;
}

static gn_action_t lc_close(gn_conn_t *c, int err)
{
    atomic_fetch_add(&lc_closes, 1);
    return GN_NONE;
}

static void lc_shutdown(gn_engine_t *eng)
{
    atomic_fetch_add(&lc_shutdowns, 1);
}

static gn_handler_t lc_handler(void)
{
    atomic_store(&lc_opens, 0);
    atomic_store(&lc_closes, 0);
    atomic_store(&lc_shutdowns, 0);
    atomic_store(&lc_deadlk, 0);
    atomic_store(&lc_loop_of[0], 0);
    atomic_store(&lc_loop_of[1], 0);
    return (gn_handler_t){.on_traffic = lc_traffic,
                          .on_open = lc_open,
                          .on_close = lc_close,
                          .on_shutdown = lc_shutdown};
}

/* A blocking client of listener i; checks one echo round trip. */
static int echo_once(gn_engine_t *eng, int i, const char *msg)
{
    gn_addr_t a;
    ck_assert_int_eq(gn_engine_listener_addr(eng, i, &a), 0);
    int fd = socket(a.family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(fd, 0);
    ck_assert_msg(connect(fd, (struct sockaddr *)&a.ss, a.len) == 0, "connect %d: %s", i,
                  strerror(errno));
    struct timeval tv = {.tv_sec = 10};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    size_t n = strlen(msg);
    ck_assert_int_eq(write(fd, msg, n), (ssize_t)n);
    char buf[64] = {0};
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        ck_assert_int_gt(r, 0);
        got += (size_t)r;
    }
    ck_assert_mem_eq(buf, msg, n);
    return fd;
}

static int count_dir(const char *path)
{
    DIR *d = opendir(path);
    ck_assert_ptr_nonnull(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static bool wait_value(atomic_int *v, int want, int ms)
{
    for (int i = 0; i < ms && atomic_load(v) < want; i++)
        usleep(1000);
    return atomic_load(v) >= want;
}

/* ---- three listeners ------------------------------------------------------- */

static void three_listeners(bool reuse_port)
{
    char dir[] = "/tmp/gn-lc-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char unix_url[128], path[96];
    snprintf(path, sizeof path, "%s/s", dir);
    snprintf(unix_url, sizeof unix_url, "unix://%s", path);
    gn_handler_t h = lc_handler();
    gn_options_t o = {.num_event_loop = 2, .reuse_port = reuse_port};
    gn_engine_t *eng;
    ck_assert_int_eq(gn_engine_new(&eng, &h, &o), 0);
    ck_assert_int_eq(gn_engine_listen(eng, "tcp4://127.0.0.1:0"), 0);
    ck_assert_int_eq(gn_engine_listen(eng, "tcp6://[::1]:0"), 0);
    ck_assert_int_eq(gn_engine_listen(eng, unix_url), 0);
    ck_assert_int_eq(gn_engine_num_listeners(eng), 3);
    ck_assert_int_eq(gn_engine_start(eng), 0);
    int fds[12];
    for (int k = 0; k < 12; k++)
        fds[k] = echo_once(eng, k % 3, "hello, listener");
    ck_assert(wait_value(&lc_opens, 12, 10000));
    ck_assert_uint_eq(gn_engine_count_connections(eng), 12);
    /* Both loops serve: balanced (main reactor, unix on loop 0) or by the
     * kernel's reuse-port hash (4 connections per TCP address). */
    ck_assert_int_gt(atomic_load(&lc_loop_of[0]), 0);
    ck_assert_int_gt(atomic_load(&lc_loop_of[1]), 0);
    ck_assert_int_eq(gn_engine_stop(eng), 0);
    ck_assert_int_eq(gn_engine_wait(eng, 20000), 0);
    ck_assert_int_eq(atomic_load(&lc_closes), 12);
    ck_assert_int_eq(atomic_load(&lc_shutdowns), 1);
    ck_assert_int_eq(atomic_load(&lc_deadlk), 12);
    struct stat st;
    ck_assert_int_eq(stat(path, &st), -1); /* the socket file is gone */
    gn_engine_free(eng);
    for (int k = 0; k < 12; k++)
        close(fds[k]);
    rmdir(dir);
}

START_TEST(three_listeners_main_reactor)
{
    three_listeners(false);
}
END_TEST

START_TEST(three_listeners_per_loop)
{
    three_listeners(true);
}
END_TEST

/* ---- three engines in a row -------------------------------------------------- */

START_TEST(three_engines_no_leaks)
{
    /* Baselines after the first engine: a sanitizer's runtime may start a
     * thread or open an fd lazily during the first one. */
    int fds0 = -1, threads0 = -1;
    char url[96] = "tcp4://127.0.0.1:0";
    for (int round = 0; round < 3; round++) {
        gn_handler_t h = lc_handler();
        gn_options_t o = {.num_event_loop = 2, .ticker = false};
        gn_engine_t *eng;
        ck_assert_int_eq(gn_engine_new(&eng, &h, &o), 0);
        ck_assert_int_eq(gn_engine_listen(eng, url), 0);
        ck_assert_int_eq(gn_engine_start(eng), 0);
        gn_addr_t a;
        ck_assert_int_eq(gn_engine_listener_addr(eng, 0, &a), 0);
        char text[64];
        ck_assert_int_gt(gn_addr_format(&a, text, sizeof text), 0);
        /* The next engine binds the very port this one got: it must be free. */
        snprintf(url, sizeof url, "tcp4://%s", text);
        int threads_running = count_dir("/proc/self/task");
        int fd = echo_once(eng, 0, "again");
        ck_assert_int_eq(gn_engine_stop(eng), 0);
        ck_assert_int_eq(gn_engine_stop(eng), GN_ESTOPPED);
        ck_assert_int_eq(gn_engine_wait(eng, 20000), 0);
        ck_assert_int_eq(gn_engine_wait(eng, 0), 0);
        ck_assert_int_eq(atomic_load(&lc_closes), 1);
        gn_engine_free(eng);
        close(fd);
        ck_assert_int_eq(threads_running - count_dir("/proc/self/task"), 3); /* 2 loops + main */
        if (round == 0) {
            fds0 = count_dir("/proc/self/fd");
            threads0 = count_dir("/proc/self/task");
        }
    }
    ck_assert_int_eq(count_dir("/proc/self/fd"), fds0);
    ck_assert_int_eq(count_dir("/proc/self/task"), threads0);
}
END_TEST

/* ---- stop from a signal handler ----------------------------------------------- */

static gn_engine_t *sig_eng;
static volatile sig_atomic_t sig_rc = 1, sig_calls;

static void on_sigint(int sig)
{
    sig_rc = gn_engine_stop(sig_eng);
    sig_calls++;
}

START_TEST(stop_from_sigint_handler)
{
    gn_handler_t h = lc_handler();
    gn_options_t o = {.num_event_loop = 2};
    ck_assert_int_eq(gn_engine_new(&sig_eng, &h, &o), 0);
    ck_assert_int_eq(gn_engine_listen(sig_eng, "tcp://127.0.0.1:0"), 0);
    ck_assert_int_eq(gn_engine_start(sig_eng), 0);
    int fd = echo_once(sig_eng, 0, "before the signal");
    struct sigaction sa = {.sa_handler = on_sigint};
    sigemptyset(&sa.sa_mask);
    ck_assert_int_eq(sigaction(SIGINT, &sa, NULL), 0);
    /* raise: the handler runs on this thread before raise returns. */
    errno = 1234;
    ck_assert_int_eq(raise(SIGINT), 0);
    ck_assert_int_eq(errno, 1234); /* the handler's stop kept errno */
    ck_assert_int_eq(gn_engine_wait(sig_eng, 20000), 0);
    ck_assert_int_eq(sig_calls, 1);
    ck_assert_int_eq(sig_rc, 0);
    ck_assert_int_eq(atomic_load(&lc_closes), 1);
    ck_assert_int_eq(raise(SIGINT), 0); /* a second one: already stopped */
    ck_assert_int_eq(sig_calls, 2);
    ck_assert_int_eq(sig_rc, GN_ESTOPPED);
    gn_engine_free(sig_eng);
    close(fd);
}
END_TEST

/* ---- wait, boot, rotate, misuse ----------------------------------------------------- */

START_TEST(wait_times_out_while_running)
{
    gn_handler_t h = lc_handler();
    gn_engine_t *eng;
    ck_assert_int_eq(gn_engine_new(&eng, &h, NULL), 0);
    ck_assert_int_eq(gn_engine_listen(eng, "tcp://127.0.0.1:0"), 0);
    ck_assert_int_eq(gn_engine_start(eng), 0);
    ck_assert_int_eq(gn_engine_wait(eng, 0), -ETIMEDOUT);
    ck_assert_int_eq(gn_engine_wait(eng, 30), -ETIMEDOUT);
    ck_assert_int_eq(atomic_load(&lc_shutdowns), 0);
    ck_assert_int_eq(gn_engine_stop(eng), 0);
    ck_assert_int_eq(gn_engine_wait(eng, -1), 0);
    ck_assert_int_eq(atomic_load(&lc_shutdowns), 1);
    gn_engine_free(eng);
}
END_TEST

/* free stops and waits for a running engine by itself. */
START_TEST(free_running_engine)
{
    gn_handler_t h = lc_handler();
    gn_options_t o = {.num_event_loop = 3};
    gn_engine_t *eng;
    ck_assert_int_eq(gn_engine_new(&eng, &h, &o), 0);
    ck_assert_int_eq(gn_engine_listen(eng, "tcp://127.0.0.1:0"), 0);
    ck_assert_int_eq(gn_engine_start(eng), 0);
    int fd = echo_once(eng, 0, "x");
    gn_engine_free(eng);
    ck_assert_int_eq(atomic_load(&lc_closes), 1);
    ck_assert_int_eq(atomic_load(&lc_shutdowns), 1);
    close(fd);
}
END_TEST

static gn_action_t boot_shutdown(gn_engine_t *eng)
{
    return GN_SHUTDOWN;
}

START_TEST(boot_shutdown_stops_at_once)
{
    gn_handler_t h = lc_handler();
    h.on_boot = boot_shutdown;
    gn_engine_t *eng;
    ck_assert_int_eq(gn_engine_new(&eng, &h, NULL), 0);
    ck_assert_int_eq(gn_engine_listen(eng, "tcp://127.0.0.1:0"), 0);
    ck_assert_int_eq(gn_engine_start(eng), 0);
    ck_assert_int_eq(gn_engine_wait(eng, 0), 0);
    ck_assert_int_eq(gn_engine_stop(eng), GN_ESTOPPED);
    ck_assert_int_eq(atomic_load(&lc_shutdowns), 0);
    gn_engine_free(eng);
    ck_assert_int_eq(gn_run(&h, "tcp://127.0.0.1:0", NULL), 0);
}
END_TEST

static _Atomic(gn_engine_t *) rot_eng;

static gn_action_t rot_boot(gn_engine_t *eng)
{
    atomic_store(&rot_eng, eng);
    return GN_NONE;
}

static void *rotate_thread(void *arg)
{
    static const char *const addrs[] = {"tcp4://127.0.0.1:0", "tcp4://127.0.0.1:0"};
    gn_handler_t *h = arg;
    gn_options_t o = {.num_event_loop = 2};
    return (void *)(intptr_t)gn_rotate(h, addrs, 2, &o);
}

START_TEST(rotate_serves_every_address)
{
    gn_handler_t h = lc_handler();
    h.on_boot = rot_boot;
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, rotate_thread, &h), 0);
    for (int i = 0; i < 10000 && atomic_load(&rot_eng) == NULL; i++)
        usleep(1000);
    gn_engine_t *eng = atomic_load(&rot_eng);
    ck_assert_ptr_nonnull(eng);
    /* on_boot runs before the loops start: wait for the listeners to serve. */
    ck_assert_int_eq(gn_engine_num_listeners(eng), 2);
    int a = echo_once(eng, 0, "first");
    int b = echo_once(eng, 1, "second");
    ck_assert_int_eq(gn_engine_stop(eng), 0);
    void *rc;
    ck_assert_int_eq(pthread_join(t, &rc), 0);
    ck_assert_int_eq((int)(intptr_t)rc, 0);
    ck_assert_int_eq(atomic_load(&lc_closes), 2);
    ck_assert_int_eq(atomic_load(&lc_shutdowns), 1);
    close(a);
    close(b);
}
END_TEST

START_TEST(lifecycle_misuse)
{
    gn_handler_t h = lc_handler();
    gn_engine_t *eng = (gn_engine_t *)1;
    ck_assert_int_eq(gn_engine_new(NULL, &h, NULL), -EINVAL);
    ck_assert_int_eq(gn_engine_new(&eng, NULL, NULL), -EINVAL);
    ck_assert_ptr_null(eng);
    gn_options_t bad = {.num_event_loop = -1};
    ck_assert_int_eq(gn_engine_new(&eng, &h, &bad), GN_EOPTION);
    ck_assert_int_eq(gn_engine_listen(NULL, "tcp://127.0.0.1:0"), -EINVAL);
    ck_assert_int_eq(gn_engine_start(NULL), -EINVAL);
    ck_assert_int_eq(gn_engine_wait(NULL, 0), -EINVAL);
    ck_assert_int_eq(gn_engine_stop(NULL), -EINVAL);
    gn_engine_free(NULL);
    const char *one[] = {NULL};
    ck_assert_int_eq(gn_rotate(&h, one, 1, NULL), -EINVAL);
    ck_assert_int_eq(gn_rotate(&h, one, 0, NULL), -EINVAL);
    ck_assert_int_eq(gn_rotate(NULL, one, 1, NULL), -EINVAL);

    ck_assert_int_eq(gn_engine_new(&eng, &h, NULL), 0);
    ck_assert_int_eq(gn_engine_listen(eng, NULL), -EINVAL);
    ck_assert_int_eq(gn_engine_listen(eng, "udp://127.0.0.1:0"), GN_EPROTO_UNSUPPORTED);
    ck_assert_int_lt(gn_engine_listen(eng, "tcp://300.1.1.1:1"), 0);
    ck_assert_int_lt(gn_engine_listen(eng, "nope://x"), 0);
    ck_assert_int_eq(gn_engine_num_listeners(eng), 0);
    ck_assert_int_eq(gn_engine_wait(eng, 0), -EINVAL); /* not started */
    ck_assert_int_eq(gn_engine_dup(eng), -EBADF);
    ck_assert_int_eq(gn_engine_listen(eng, "tcp://127.0.0.1:0"), 0);
    gn_addr_t a;
    ck_assert_int_eq(gn_engine_listener_addr(eng, 1, &a), -EINVAL);
    ck_assert_int_eq(gn_engine_listener_addr(eng, -1, &a), -EINVAL);
    ck_assert_int_eq(gn_engine_start(eng), 0);
    ck_assert_int_eq(gn_engine_start(eng), -EBUSY);
    ck_assert_int_eq(gn_engine_listen(eng, "tcp://127.0.0.1:0"), -EBUSY);
    int dfd = gn_engine_dup(eng);
    ck_assert_int_ge(dfd, 0);
    close(dfd);

    /* A second engine on the same port cannot bind: start fails cleanly. */
    ck_assert_int_eq(gn_engine_listener_addr(eng, 0, &a), 0);
    char text[64], url[80];
    ck_assert_int_gt(gn_addr_format(&a, text, sizeof text), 0);
    snprintf(url, sizeof url, "tcp4://%s", text);
    gn_engine_t *other;
    ck_assert_int_eq(gn_engine_new(&other, &h, NULL), 0);
    ck_assert_int_eq(gn_engine_listen(other, url), 0);
    ck_assert_int_eq(gn_engine_start(other), -EADDRINUSE);
    ck_assert_int_eq(gn_engine_stop(other), GN_ESTOPPED);
    gn_engine_free(other);

    ck_assert_int_eq(gn_engine_stop(eng), 0);
    ck_assert_int_eq(gn_engine_wait(eng, 20000), 0);
    gn_engine_free(eng);
}
END_TEST

/* An engine stopped before it started stops as soon as it runs; one with no
 * listener just runs its loops. */
START_TEST(stop_before_start_and_no_listener)
{
    gn_handler_t h = lc_handler();
    gn_engine_t *eng;
    ck_assert_int_eq(gn_engine_new(&eng, &h, NULL), 0);
    ck_assert_int_eq(gn_engine_stop(eng), 0);
    ck_assert_int_eq(gn_engine_start(eng), 0);
    ck_assert_int_eq(gn_engine_wait(eng, 20000), 0);
    ck_assert_int_eq(atomic_load(&lc_shutdowns), 1);
    gn_engine_free(eng);
}
END_TEST

void add_lifecycle_tests(Suite *s)
{
    TCase *tc = tcase_create("lifecycle");
    tcase_add_test(tc, three_listeners_main_reactor);
    tcase_add_test(tc, three_listeners_per_loop);
    tcase_add_test(tc, three_engines_no_leaks);
    tcase_add_test(tc, stop_from_sigint_handler);
    tcase_add_test(tc, wait_times_out_while_running);
    tcase_add_test(tc, free_running_engine);
    tcase_add_test(tc, boot_shutdown_stops_at_once);
    tcase_add_test(tc, rotate_serves_every_address);
    tcase_add_test(tc, lifecycle_misuse);
    tcase_add_test(tc, stop_before_start_and_no_listener);
    suite_add_tcase(s, tc);
}
