/* Idle timeouts: only the idle connections close (GN_EIDLE_TIMEOUT), an
 * active one and one whose timeout was turned off stay open, a per-
 * connection timeout overrides the option, and bad values are refused. */
#include "gn_test.h"

#include <errno.h>
#include <gnet/gnet.h>
#include <poll.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

void add_idle_tests(Suite *s);

static atomic_int idle_closes, other_closes, set_rc_bad;

static gn_action_t idle_traffic(gn_conn_t *c)
{
    size_t n;
    const char *p = gn_conn_next(c, SIZE_MAX, &n);
    /* "off" turns the timeout off, "fast" sets 50 ms; anything else echoes. */
    if (n >= 3 && memcmp(p, "off", 3) == 0 && gn_conn_set_idle_timeout(c, 0) != 0)
        atomic_fetch_add(&set_rc_bad, 1);
    if (n >= 4 && memcmp(p, "fast", 4) == 0 && gn_conn_set_idle_timeout(c, 50) != 0)
        atomic_fetch_add(&set_rc_bad, 1);
    if (gn_conn_set_idle_timeout(c, -1) != -EINVAL)
        atomic_fetch_add(&set_rc_bad, 1);
    if (n > 0)
        (void)gn_conn_write(c, p, n);
    return GN_NONE;
}

static gn_action_t idle_close(gn_conn_t *c, int err)
{
    atomic_fetch_add(err == GN_EIDLE_TIMEOUT ? &idle_closes : &other_closes, 1);
    return GN_NONE;
}

static int dial(gn_engine_t *eng)
{
    gn_addr_t a;
    ck_assert_int_eq(gn_engine_listener_addr(eng, 0, &a), 0);
    int fd = socket(a.family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&a.ss, a.len), 0);
    return fd;
}

static void say(int fd, const char *msg)
{
    size_t n = strlen(msg);
    ck_assert_int_eq(write(fd, msg, n), (ssize_t)n);
    char buf[16];
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    ck_assert_int_eq(poll(&pfd, 1, 10000), 1);
    ck_assert_int_eq(read(fd, buf, sizeof buf), (ssize_t)n);
}

/* True when the server closed fd (EOF) within ms. */
static bool closed_within(int fd, int ms)
{
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    char b;
    return poll(&pfd, 1, ms) == 1 && read(fd, &b, 1) == 0;
}

static uint64_t ms_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

START_TEST(idle_timeout_closes_only_idle)
{
    gn_handler_t h = {.on_traffic = idle_traffic, .on_close = idle_close};
    gn_options_t o = {.num_event_loop = 2, .idle_timeout_ms = 400};
    gn_engine_t *eng;
    ck_assert_int_eq(gn_engine_new(&eng, &h, &o), 0);
    ck_assert_int_eq(gn_engine_listen(eng, "tcp://127.0.0.1:0"), 0);
    ck_assert_int_eq(gn_engine_start(eng), 0);
    uint64_t t0 = ms_now();
    int idle = dial(eng), active = dial(eng), off = dial(eng), fast = dial(eng);
    say(off, "off");
    say(fast, "fast");
    say(active, "x");
    /* The fast one goes well before the option's 400 ms. */
    ck_assert(closed_within(fast, 10000));
    uint64_t fast_ms = ms_now() - t0;
    /* Keep one busy for 1.2 s (three timeouts) with a byte every 20 ms. */
    while (ms_now() - t0 < 1200) {
        say(active, "x");
        usleep(20000);
    }
    ck_assert(closed_within(idle, 10000));
    ck_assert_uint_ge(ms_now() - t0, 400);
    ck_assert(!closed_within(active, 0));
    ck_assert(!closed_within(off, 0));
    say(active, "still here");
    say(off, "me too");
    ck_assert_int_eq(atomic_load(&idle_closes), 2);
    ck_assert_uint_ge(fast_ms, 50);
    ck_assert_uint_eq(gn_engine_count_connections(eng), 2);
    ck_assert_int_eq(gn_engine_stop(eng), 0);
    ck_assert_int_eq(gn_engine_wait(eng, 20000), 0);
    ck_assert_int_eq(atomic_load(&other_closes), 2); /* the stop */
    ck_assert_int_eq(atomic_load(&set_rc_bad), 0);
    gn_engine_free(eng);
    close(idle);
    close(active);
    close(off);
    close(fast);
}
END_TEST

START_TEST(idle_timeout_bad_option)
{
    gn_handler_t h = {.on_traffic = idle_traffic};
    gn_options_t o = {.idle_timeout_ms = -5};
    gn_engine_t *eng;
    ck_assert_int_eq(gn_engine_new(&eng, &h, &o), GN_EOPTION);
    ck_assert_int_eq(gn_conn_set_idle_timeout(NULL, 10), -EINVAL);
    ck_assert_str_eq(gn_strerror(GN_EIDLE_TIMEOUT), "no inbound bytes for the idle timeout");
}
END_TEST

void add_idle_tests(Suite *s)
{
    TCase *tc = tcase_create("idle");
    tcase_add_test(tc, idle_timeout_closes_only_idle);
    tcase_add_test(tc, idle_timeout_bad_option);
    suite_add_tcase(s, tc);
}
