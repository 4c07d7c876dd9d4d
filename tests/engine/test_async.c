/* Cross-thread operations through connection handles. */
#include "harness.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAXC 64
static _Atomic gn_conn_id_t ids[MAXC];
static atomic_int nids;

static gn_action_t id_open(gn_conn_t *c)
{
    int i = atomic_fetch_add(&nids, 1);
    if (i < MAXC)
        atomic_store(&ids[i], gn_conn_id(c));
    atomic_fetch_add(&S.opens, 1);
    return GN_NONE;
}

typedef struct result {
    atomic_int calls;
    atomic_int err;
    atomic_int had_conn;
} result_t;

static void record(gn_conn_t *c, int err, void *udata)
{
    result_t *r = udata;
    atomic_store(&r->err, err);
    atomic_store(&r->had_conn, c != NULL);
    atomic_fetch_add(&r->calls, 1);
}

static atomic_int owned_frees;

static void owned_free(void *p)
{
    free(p);
    atomic_fetch_add(&owned_frees, 1);
}

START_TEST(test_async_write_and_closed_handle)
{
    srv_init("tcp", M_WRITE);
    S.h.on_open = id_open;
    S.o.num_event_loop = 2;
    srv_start();
    gn_engine_t *eng = atomic_load(&S.eng);
    int fd = cli_connect();
    ck_assert(wait_atomic(&S.opens, 1, 5000));
    gn_conn_id_t id = atomic_load(&ids[0]);
    ck_assert_uint_ne(id, GN_CONN_ID_NONE);
    result_t r = {0};
    char msg[] = "async!";
    ck_assert_int_eq(gn_conn_async_write(eng, id, msg, 6, record, &r), 0);
    memset(msg, 'x', sizeof msg); /* data was copied */
    char buf[6];
    ck_assert_uint_eq(cli_read_full(fd, buf, 6), 6);
    ck_assert_mem_eq(buf, "async!", 6);
    ck_assert(wait_atomic(&r.calls, 1, 5000));
    ck_assert_int_eq(atomic_load(&r.err), 0);
    ck_assert_int_eq(atomic_load(&r.had_conn), 1);
    /* a handed-over buffer is written, then given back to its free function */
    char *own = malloc(5);
    memcpy(own, "owned", 5);
    result_t ro = {0};
    ck_assert_int_eq(gn_conn_async_write_owned(eng, id, own, 5, owned_free, record, &ro), 0);
    char obuf[5];
    ck_assert_uint_eq(cli_read_full(fd, obuf, 5), 5);
    ck_assert_mem_eq(obuf, "owned", 5);
    ck_assert(wait_atomic(&ro.calls, 1, 5000));
    ck_assert_int_eq(atomic_load(&ro.err), 0);
    ck_assert_int_eq(atomic_load(&owned_frees), 1);
    /* the peer goes away; the handle goes stale */
    close(fd);
    ck_assert(wait_atomic(&S.closes, 1, 5000));
    result_t r2 = {0};
    struct iovec iov[2] = {{"ab", 2}, {"cd", 2}};
    ck_assert_int_eq(gn_conn_async_writev(eng, id, iov, 2, record, &r2), 0);
    ck_assert(wait_atomic(&r2.calls, 1, 5000));
    ck_assert_int_eq(atomic_load(&r2.err), GN_ECLOSED);
    ck_assert_int_eq(atomic_load(&r2.had_conn), 0);
    result_t r3 = {0};
    ck_assert_int_eq(gn_conn_async_write_owned(eng, id, malloc(8), 8, owned_free, record, &r3), 0);
    ck_assert(wait_atomic(&r3.calls, 1, 5000));
    ck_assert_int_eq(atomic_load(&r3.err), GN_ECLOSED);
    ck_assert_int_eq(atomic_load(&owned_frees), 2); /* freed even though not written */
    /* bad handles */
    ck_assert_int_eq(gn_conn_async_write(eng, GN_CONN_ID_NONE, "x", 1, NULL, NULL), -EINVAL);
    ck_assert_int_eq(gn_conn_async_write(eng, (gn_conn_id_t)200 << 56 | 1, "x", 1, NULL, NULL),
                     GN_ECLOSED);
    ck_assert_int_eq(gn_conn_async_write(NULL, id, "x", 1, NULL, NULL), -EINVAL);
    ck_assert_int_eq(gn_conn_async_write(eng, id, NULL, 1, NULL, NULL), -EINVAL);
    /* garbage on a valid loop: a slot past the table, a generation that never
     * was, every bit set but the loop's: reported, never dereferenced */
    gn_conn_id_t loop0 = id & ((gn_conn_id_t)0xff << 56);
    gn_conn_id_t junk[] = {loop0 | (gn_conn_id_t)0xffffff << 32 | 1,
                           (id & ~(gn_conn_id_t)0xffffffffu) | 0xfffffff0u,
                           loop0 | (((gn_conn_id_t)1 << 56) - 1), loop0 | (gn_conn_id_t)1 << 32};
    for (size_t k = 0; k < sizeof junk / sizeof junk[0]; k++) {
        result_t rj = {0};
        ck_assert_int_eq(gn_conn_async_wake(eng, junk[k], record, &rj), 0);
        ck_assert(wait_atomic(&rj.calls, 1, 5000));
        ck_assert_int_eq(atomic_load(&rj.err), GN_ECLOSED);
        ck_assert_int_eq(atomic_load(&rj.had_conn), 0);
    }
    srv_stop();
}
END_TEST

static atomic_int woken;

static gn_action_t wake_traffic(gn_conn_t *c)
{
    if (gn_conn_inbound_buffered(c) == 0) {
        atomic_fetch_add(&woken, 1);
        ck_assert_int_eq(gn_conn_write(c, "woke", 4), 4);
        return GN_NONE;
    }
    return echo_traffic(c);
}

START_TEST(test_wake_and_close_with_callback)
{
    srv_init(_i ? "unix" : "tcp", M_WRITE);
    S.h.on_open = id_open;
    S.h.on_traffic = wake_traffic;
    srv_start();
    gn_engine_t *eng = atomic_load(&S.eng);
    int fd = cli_connect();
    ck_assert(wait_atomic(&S.opens, 1, 5000));
    gn_conn_id_t id = atomic_load(&ids[0]);
    result_t r = {0};
    ck_assert_int_eq(gn_conn_async_wake(eng, id, record, &r), 0);
    char buf[4];
    ck_assert_uint_eq(cli_read_full(fd, buf, 4), 4);
    ck_assert_mem_eq(buf, "woke", 4);
    ck_assert(wait_atomic(&r.calls, 1, 5000));
    ck_assert_int_eq(atomic_load(&r.err), 0);
    ck_assert_int_eq(atomic_load(&woken), 1);
    /* write then close, from this thread: the write is delivered first */
    result_t w = {0}, cl = {0}, cl2 = {0};
    ck_assert_int_eq(gn_conn_async_write(eng, id, "last", 4, record, &w), 0);
    ck_assert_int_eq(gn_conn_async_close(eng, id, record, &cl), 0);
    ck_assert_int_eq(gn_conn_async_close(eng, id, record, &cl2), 0);
    ck_assert_uint_eq(cli_read_full(fd, buf, 4), 4);
    ck_assert_mem_eq(buf, "last", 4);
    ck_assert(cli_wait_eof(fd, 5000));
    ck_assert(wait_atomic(&cl2.calls, 1, 5000));
    ck_assert_int_eq(atomic_load(&w.err), 0);
    ck_assert_int_eq(atomic_load(&cl.err), 0);
    ck_assert_int_eq(atomic_load(&cl.had_conn), 0);
    ck_assert_int_eq(atomic_load(&cl2.err), GN_ECLOSED);
    ck_assert_int_eq(atomic_load(&S.close_errs[0]), 1);
    close(fd);
    srv_stop();
}
END_TEST

/* Thousands of async writes race closes (by the peer and by async_close);
 * every callback runs exactly once and nothing touches freed memory (the
 * point of running this under ASan and TSan). */
typedef struct racer {
    pthread_t thr;
    uint64_t seed;
    int n;
    atomic_int *submitted;
} racer_t;

static atomic_int race_cb, race_ok, race_closed, race_other;

static void race_done(gn_conn_t *c, int err, void *udata)
{
    (void)udata;
    (void)c; /* NULL after a successful async_close */
    if (err == 0) {
        atomic_fetch_add(&race_ok, 1);
    } else if (err == GN_ECLOSED || err == GN_ESHUTDOWN)
        atomic_fetch_add(&race_closed, 1);
    else
        atomic_fetch_add(&race_other, 1); /* e.g. -EPIPE when the peer just left */
    atomic_fetch_add(&race_cb, 1);
}

static void *racer_main(void *arg)
{
    racer_t *r = arg;
    gn_engine_t *eng = atomic_load(&S.eng);
    char msg[32];
    memset(msg, 'r', sizeof msg);
    for (int i = 0; i < r->n; i++) {
        int k = (int)(gn_test_rand(&r->seed) % (uint64_t)atomic_load(&nids));
        gn_conn_id_t id = atomic_load(&ids[k % MAXC]);
        int rc;
        if (gn_test_rand(&r->seed) % 64 == 0)
            rc = gn_conn_async_close(eng, id, race_done, NULL);
        else
            rc = gn_conn_async_write(eng, id, msg, 1 + (size_t)(gn_test_rand(&r->seed) % 32),
                                     race_done, NULL);
        ck_assert_int_eq(rc, 0);
        atomic_fetch_add(r->submitted, 1);
    }
    return NULL;
}

START_TEST(test_async_race_closes)
{
    srv_init("tcp", M_WRITE);
    S.h.on_open = id_open;
    S.o.num_event_loop = 2;
    srv_start();
    int fds[MAXC];
    for (int i = 0; i < MAXC; i++)
        fds[i] = cli_connect();
    ck_assert(wait_atomic(&S.opens, MAXC, 5000));
    atomic_int submitted = 0;
    racer_t rs[4];
    int per = (int)gn_test_scale(5000, 5);
    for (int i = 0; i < 4; i++) {
        rs[i] = (racer_t){.seed = 77 + (uint64_t)i, .n = per, .submitted = &submitted};
        ck_assert_int_eq(pthread_create(&rs[i].thr, NULL, racer_main, &rs[i]), 0);
    }
    /* meanwhile the peers hang up one by one (some with a reset) */
    for (int i = 0; i < MAXC; i += 2) {
        if (i % 4 == 0) {
            struct linger lg = {1, 0};
            setsockopt(fds[i], SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        }
        close(fds[i]);
        fds[i] = -1;
        msleep(1);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(rs[i].thr, NULL);
    ck_assert(wait_atomic(&race_cb, atomic_load(&submitted), 20000));
    ck_assert_int_eq(atomic_load(&race_cb), 4 * per);
    ck_assert_int_gt(atomic_load(&race_ok), 0);
    ck_assert_int_gt(atomic_load(&race_closed), 0);
    for (int i = 0; i < MAXC; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    ck_assert(wait_count(0, 5000));
    srv_stop();
    ck_assert_int_eq(atomic_load(&S.closes), MAXC);
}
END_TEST

/* Tasks queued when the engine stops report GN_ESHUTDOWN (never lost). */
START_TEST(test_async_across_stop)
{
    srv_init("tcp", M_WRITE);
    S.h.on_open = id_open;
    srv_start();
    int fd = cli_connect();
    ck_assert(wait_atomic(&S.opens, 1, 5000));
    gn_engine_t *eng = atomic_load(&S.eng);
    gn_conn_id_t id = atomic_load(&ids[0]);
    int n = 0, owned = 0;
    for (; n < 2000; n++) {
        int rc;
        if (n % 2) {
            char *p = malloc(1);
            *p = 'o';
            rc = gn_conn_async_write_owned(eng, id, p, 1, owned_free, race_done, NULL);
            if (rc != 0)
                free(p);
            else
                owned++;
        } else {
            rc = gn_conn_async_write(eng, id, "z", 1, race_done, NULL);
        }
        if (rc != 0)
            break;
    }
    ck_assert_int_eq(gn_engine_stop(eng), 0);
    srv_join();
    ck_assert_int_eq(atomic_load(&race_cb), n);
    ck_assert_int_eq(atomic_load(&owned_frees), owned);
    ck_assert_int_eq(atomic_load(&race_other), 0);
    close(fd);
}
END_TEST

void add_async_tests(Suite *s);
void add_async_tests(Suite *s)
{
    TCase *tc = tcase_create("async");
    tcase_set_timeout(tc, gn_test_sanitized() ? 180 : 30);
    tcase_add_test(tc, test_async_write_and_closed_handle);
    tcase_add_loop_test(tc, test_wake_and_close_with_callback, 0, 2);
    tcase_add_test(tc, test_async_race_closes);
    tcase_add_test(tc, test_async_across_stop);
    suite_add_tcase(s, tc);
}
