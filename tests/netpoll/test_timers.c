/* The poller's timers: deadline and insertion order, never early, cancel
 * (from inside callbacks too) and stale ids, 100,000 timers, a re-arm storm
 * that must not starve I/O, repeating timers, stop and resume, a poller used
 * for timers alone, the millisecond-timeout fallback, -ENOMEM and bad input. */
#include "gn_test.h"
#include "netpoll_test.h"
#include "poller_internal.h"

#include <errno.h>
#include <gnet/netpoll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MS 1000000ull

static uint64_t clock_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static gn_poller_t *open_poller(void)
{
    gn_poller_t *p = NULL;
    ck_assert_int_eq(gn_poller_open(&p), 0);
    return p;
}

/* ---- order and punctuality ------------------------------------------------- */

typedef struct fired {
    int order[16];
    int n;
    int stop_after;
    uint64_t due[16]; /* earliest allowed firing time, by tag */
    int early;
} fired_t;

static fired_t fr;

static int record_cb(gn_poller_t *p, gn_timer_id_t id, void *udata)
{
    int tag = (int)(intptr_t)udata;
    if (clock_ns() < fr.due[tag])
        fr.early++;
    fr.order[fr.n++] = tag;
    return fr.n == fr.stop_after ? GN_POLL_STOP : 0;
}

static void add_tagged(gn_poller_t *p, uint64_t delay, int tag)
{
    fr.due[tag] = gn_poller_now(p) + delay;
    gn_timer_id_t id = 0;
    ck_assert_int_eq(gn_poller_timer_add(p, delay, 0, record_cb, (void *)(intptr_t)tag, &id), 0);
    ck_assert_uint_ne(id, 0);
}

START_TEST(timer_order)
{
    gn_poller_t *p = open_poller();
    fr = (fired_t){.stop_after = 6};
    add_tagged(p, 30 * MS, 5);
    add_tagged(p, 10 * MS, 1);
    add_tagged(p, 20 * MS, 4);
    add_tagged(p, 0, 0);
    /* Equal delays from one round (polling not started: the clock is read per
     * call, so later adds are due no earlier) keep insertion order. */
    ck_assert_uint_eq(gn_poller_timer_count(p), 4);
    add_tagged(p, 15 * MS, 2);
    add_tagged(p, 15 * MS, 3);
    ck_assert_int_eq(gn_poller_polling(p), 0);
    ck_assert_int_eq(fr.n, 6);
    for (int i = 0; i < 6; i++)
        ck_assert_int_eq(fr.order[i], i);
    ck_assert_int_eq(fr.early, 0);
    ck_assert_uint_eq(gn_poller_timer_count(p), 0);
    ck_assert_int_eq(gn_poller_close(p), 0);
}
END_TEST

/* Timers armed in one round with one delay share the round's clock reading,
 * so they have one deadline and fire in the order they were added. */
static int add_batch_cb(gn_poller_t *p, gn_timer_id_t id, void *udata)
{
    for (int tag = 0; tag < 8; tag++)
        add_tagged(p, 2 * MS, tag);
    return 0;
}

START_TEST(equal_deadlines_keep_insertion_order)
{
    gn_poller_t *p = open_poller();
    fr = (fired_t){.stop_after = 8};
    ck_assert_int_eq(gn_poller_timer_add(p, 0, 0, add_batch_cb, NULL, NULL), 0);
    ck_assert_int_eq(gn_poller_polling(p), 0);
    for (int i = 0; i < 8; i++)
        ck_assert_int_eq(fr.order[i], i);
    ck_assert_int_eq(fr.early, 0);
    ck_assert_int_eq(gn_poller_close(p), 0);
}
END_TEST

/* ---- cancel ------------------------------------------------------------------ */

typedef struct cancel_state {
    gn_timer_id_t a, b, r, end;
    int a_runs, b_runs, r_runs;
    int self_cancel_rc;
} cancel_state_t;

static int a_cb(gn_poller_t *p, gn_timer_id_t id, void *udata)
{
    cancel_state_t *cs = udata;
    cs->a_runs++;
    ck_assert_uint_eq(id, cs->a);
    /* A one-shot timer has fired by the time its callback runs. */
    cs->self_cancel_rc = gn_poller_timer_cancel(p, id);
    ck_assert_int_eq(gn_poller_timer_cancel(p, cs->b), 0);
    return 0;
}

static int b_cb(gn_poller_t *p, gn_timer_id_t id, void *udata)
{
    ((cancel_state_t *)udata)->b_runs++;
    return 0;
}

static int r_cb(gn_poller_t *p, gn_timer_id_t id, void *udata)
{
    cancel_state_t *cs = udata;
    if (++cs->r_runs == 3)
        ck_assert_int_eq(gn_poller_timer_cancel(p, id), 0);
    return 0;
}

static int end_cb(gn_poller_t *p, gn_timer_id_t id, void *udata)
{
    return GN_POLL_STOP;
}

START_TEST(cancel_from_callback)
{
    gn_poller_t *p = open_poller();
    cancel_state_t cs = {0};
    ck_assert_int_eq(gn_poller_timer_add(p, 2 * MS, 0, a_cb, &cs, &cs.a), 0);
    ck_assert_int_eq(gn_poller_timer_add(p, 6 * MS, 0, b_cb, &cs, &cs.b), 0);
    ck_assert_int_eq(gn_poller_timer_add(p, 1 * MS, 1 * MS, r_cb, &cs, &cs.r), 0);
    ck_assert_int_eq(gn_poller_timer_add(p, 40 * MS, 0, end_cb, &cs, &cs.end), 0);
    ck_assert_int_eq(gn_poller_polling(p), 0);
    ck_assert_int_eq(cs.a_runs, 1);
    ck_assert_int_eq(cs.self_cancel_rc, -ENOENT);
    ck_assert_int_eq(cs.b_runs, 0);
    ck_assert_int_eq(cs.r_runs, 3);
    ck_assert_int_eq(gn_poller_timer_cancel(p, cs.r), -ENOENT);
    ck_assert_uint_eq(gn_poller_timer_count(p), 0);
    ck_assert_int_eq(gn_poller_close(p), 0);
}
END_TEST

START_TEST(stale_ids)
{
    gn_poller_t *p = open_poller();
    gn_timer_id_t a, b;
    ck_assert_int_eq(gn_poller_timer_add(p, 1000 * MS, 0, end_cb, NULL, &a), 0);
    ck_assert_int_eq(gn_poller_timer_cancel(p, a), 0);
    ck_assert_int_eq(gn_poller_timer_cancel(p, a), -ENOENT);
    /* b reuses a's slot with a new generation: a stays stale. */
    ck_assert_int_eq(gn_poller_timer_add(p, 1000 * MS, 0, end_cb, NULL, &b), 0);
    ck_assert_uint_ne(a, b);
    ck_assert_uint_eq((uint32_t)a, (uint32_t)b);
    ck_assert_int_eq(gn_poller_timer_cancel(p, a), -ENOENT);
    ck_assert_uint_eq(gn_poller_timer_count(p), 1);
    ck_assert_int_eq(gn_poller_timer_cancel(p, b), 0);
    ck_assert_int_eq(gn_poller_timer_cancel(p, 0), -ENOENT);
    ck_assert_int_eq(gn_poller_timer_cancel(p, UINT64_MAX), -ENOENT);
    ck_assert_int_eq(gn_poller_timer_cancel(p, (1ull << 32) | 12345u), -ENOENT);
    ck_assert_uint_eq(gn_poller_timer_count(p), 0);
    ck_assert_int_eq(gn_poller_close(p), 0);
}
END_TEST

/* ---- 100,000 timers ---------------------------------------------------------- */

typedef struct many {
    uint64_t *due;
    gn_timer_id_t *ids;
    long fired, expected, early, out_of_order;
    uint64_t last_due;
} many_t;

static many_t mt;

static int many_cb(gn_poller_t *p, gn_timer_id_t id, void *udata)
{
    long i = (long)(intptr_t)udata;
    if (clock_ns() < mt.due[i])
        mt.early++;
    if (mt.due[i] < mt.last_due)
        mt.out_of_order++;
    mt.last_due = mt.due[i];
    return ++mt.fired == mt.expected ? GN_POLL_STOP : 0;
}

/* Arms n timers with random delays from one callback (one clock reading, so
 * due[] is exact), then cancels a random half (some twice). */
static int many_setup_cb(gn_poller_t *p, gn_timer_id_t id, void *udata)
{
    long n = (long)(intptr_t)udata;
    uint64_t rng = gn_test_seed("hundred_thousand_timers", 11);
    uint64_t now = gn_poller_now(p);
    for (long i = 0; i < n; i++) {
        uint64_t delay = gn_test_rand(&rng) % (50 * MS);
        mt.due[i] = now + delay;
        ck_assert_int_eq(gn_poller_timer_add(p, delay, 0, many_cb, (void *)(intptr_t)i, &mt.ids[i]),
                         0);
    }
    ck_assert_uint_eq(gn_poller_now(p), now);
    ck_assert_uint_eq(gn_poller_timer_count(p), (size_t)n);
    long cancelled = 0;
    for (long k = 0; k < n; k++) {
        long i = (long)(gn_test_rand(&rng) % (uint64_t)n);
        int rc = gn_poller_timer_cancel(p, mt.ids[i]);
        ck_assert(rc == 0 || rc == -ENOENT);
        if (rc == 0) {
            cancelled++;
            mt.due[i] = UINT64_MAX; /* must not fire */
        }
    }
    ck_assert_int_gt(cancelled, n / 3);
    ck_assert_uint_eq(gn_poller_timer_count(p), (size_t)(n - cancelled));
    mt.expected = n - cancelled;
    return 0;
}

START_TEST(hundred_thousand_timers)
{
    const long n = 100000;
    gn_poller_t *p = open_poller();
    mt = (many_t){.due = calloc((size_t)n, sizeof(uint64_t)),
                  .ids = calloc((size_t)n, sizeof(gn_timer_id_t))};
    ck_assert_ptr_nonnull(mt.due);
    ck_assert_ptr_nonnull(mt.ids);
    ck_assert_int_eq(gn_poller_timer_add(p, 0, 0, many_setup_cb, (void *)(intptr_t)n, NULL), 0);
    ck_assert_int_eq(gn_poller_polling(p), 0);
    ck_assert_int_eq(mt.fired, mt.expected);
    ck_assert_int_eq(mt.early, 0); /* includes "a cancelled one fired" (due = max) */
    ck_assert_int_eq(mt.out_of_order, 0);
    ck_assert_uint_eq(gn_poller_timer_count(p), 0);
    free(mt.due);
    free(mt.ids);
    ck_assert_int_eq(gn_poller_close(p), 0);
}
END_TEST

/* ---- re-arm storm ------------------------------------------------------------ */

typedef struct storm {
    int sv[2];
    gn_poll_attachment_t pa;
    long rearms, limit, io_at;
    gn_timer_id_t rep;
} storm_t;

static int storm_cb(gn_poller_t *p, gn_timer_id_t id, void *udata)
{
    storm_t *st = udata;
    /* Churn: cancel and re-add a repeating timer many times per firing; the
     * slot is reused, nothing leaks. */
    for (int k = 0; k < 100; k++) {
        ck_assert_int_eq(gn_poller_timer_cancel(p, st->rep), 0);
        ck_assert_int_eq(gn_poller_timer_add(p, 1000 * MS, 1000 * MS, end_cb, NULL, &st->rep), 0);
    }
    if (++st->rearms == st->limit)
        return GN_POLL_STOP;
    return gn_poller_timer_add(p, 0, 0, storm_cb, st, NULL);
}

static int storm_io(int fd, gn_io_event_t ev, gn_io_flags_t flags, void *udata)
{
    storm_t *st = udata;
    char c;
    ck_assert_int_eq(read(fd, &c, 1), 1);
    st->io_at = st->rearms;
    return 0;
}

START_TEST(rearm_storm_does_not_starve_io)
{
    gn_poller_t *p = open_poller();
    storm_t st = {.limit = 2000, .io_at = -1};
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, st.sv), 0);
    st.pa = (gn_poll_attachment_t){.fd = st.sv[0], .callback = storm_io, .udata = &st};
    ck_assert_int_eq(gn_poller_add_read(p, &st.pa, false), 0);
    ck_assert_int_eq(gn_poller_timer_add(p, 1000 * MS, 1000 * MS, end_cb, NULL, &st.rep), 0);
    ck_assert_int_eq(gn_poller_timer_add(p, 0, 0, storm_cb, &st, NULL), 0);
    ck_assert_int_eq(write(st.sv[1], "x", 1), 1);
    uint64_t r0 = gn_poller_round(p);
    ck_assert_int_eq(gn_poller_polling(p), 0);
    /* Each re-added timer fires a round later, so I/O ran early in the storm. */
    ck_assert_int_ge(st.io_at, 0);
    ck_assert_int_lt(st.io_at, 10);
    ck_assert_uint_ge(gn_poller_round(p) - r0, (uint64_t)st.limit - 1);
    ck_assert_uint_eq(gn_poller_timer_count(p), 1);
    ck_assert_int_eq(gn_poller_delete(p, &st.pa), 0);
    close(st.sv[0]);
    close(st.sv[1]);
    ck_assert_int_eq(gn_poller_close(p), 0);
}
END_TEST

/* ---- repeating ------------------------------------------------------------------ */

typedef struct rep {
    uint64_t start, period, times[8];
    int n;
} rep_t;

static int rep_cb(gn_poller_t *p, gn_timer_id_t id, void *udata)
{
    rep_t *r = udata;
    r->times[r->n++] = clock_ns();
    if (r->n < 5)
        return 0;
    ck_assert_int_eq(gn_poller_timer_cancel(p, id), 0);
    return GN_POLL_STOP;
}

START_TEST(repeating_timer)
{
    gn_poller_t *p = open_poller();
    rep_t r = {.period = 3 * MS};
    r.start = gn_poller_now(p);
    ck_assert_int_eq(gn_poller_timer_add(p, 5 * MS, r.period, rep_cb, &r, NULL), 0);
    ck_assert_int_eq(gn_poller_polling(p), 0);
    ck_assert_int_eq(r.n, 5);
    /* The k-th firing is never earlier than delay + k periods. */
    for (int k = 0; k < 5; k++)
        ck_assert_uint_ge(r.times[k], r.start + 5 * MS + (uint64_t)k * r.period);
    ck_assert_uint_eq(gn_poller_timer_count(p), 0);
    ck_assert_int_eq(gn_poller_close(p), 0);
}
END_TEST

/* ---- stop and resume, timers alone, millisecond fallback --------------------------- */

START_TEST(stop_in_timer_then_resume)
{
    gn_poller_t *p = open_poller();
    fr = (fired_t){.stop_after = 1};
    add_tagged(p, 1 * MS, 0);
    add_tagged(p, 1 * MS, 1);
    add_tagged(p, 1 * MS, 2);
    ck_assert_int_eq(gn_poller_polling(p), 0);
    ck_assert_int_eq(fr.n, 1);
    fr.stop_after = 3;
    ck_assert_int_eq(gn_poller_polling(p), 0);
    ck_assert_int_eq(fr.n, 3);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(fr.order[i], i);
    ck_assert_int_eq(gn_poller_close(p), 0);
}
END_TEST

static int fail_cb(gn_poller_t *p, gn_timer_id_t id, void *udata)
{
    return -EPIPE;
}

START_TEST(timer_error_ends_polling)
{
    gn_poller_t *p = open_poller();
    ck_assert_int_eq(gn_poller_timer_add(p, 1 * MS, 0, fail_cb, NULL, NULL), 0);
    ck_assert_int_eq(gn_poller_polling(p), -EPIPE);
    ck_assert_int_eq(gn_poller_close(p), 0);
}
END_TEST

/* A poller with no fd registered sleeps until its timer (one blocking wait,
 * not a busy loop), in both timeout modes. */
static void timers_alone(bool ms_mode)
{
    gn_poller_t *p = open_poller();
    p->wait_ms = ms_mode;
    fr = (fired_t){.stop_after = 1};
    uint64_t t0 = clock_ns();
    add_tagged(p, 25 * MS, 0);
    ck_assert_int_eq(gn_poller_polling(p), 0);
    uint64_t took = clock_ns() - t0;
    ck_assert_int_eq(fr.early, 0);
    ck_assert_uint_ge(took, 25 * MS);
    /* At most a few waits (an interrupted one is retried), never a spin. */
    ck_assert_uint_le(gn_poller_round(p), 5);
    ck_assert_int_eq(gn_poller_close(p), 0);
}

START_TEST(poller_only_timers)
{
    timers_alone(false);
}
END_TEST

START_TEST(poller_only_timers_ms_timeout)
{
    timers_alone(true);
}
END_TEST

/* ---- bad input and -ENOMEM --------------------------------------------------------- */

START_TEST(timer_bad_input)
{
    gn_poller_t *p = open_poller();
    gn_timer_id_t id = 7;
    ck_assert_int_eq(gn_poller_timer_add(NULL, 0, 0, end_cb, NULL, &id), -EINVAL);
    ck_assert_int_eq(gn_poller_timer_add(p, 0, 0, NULL, NULL, &id), -EINVAL);
    ck_assert_uint_eq(id, 7);
    ck_assert_int_eq(gn_poller_timer_cancel(NULL, 1), -EINVAL);
    ck_assert_uint_eq(gn_poller_timer_count(NULL), 0);
    ck_assert_uint_eq(gn_poller_now(NULL), 0);
    /* The far future saturates instead of wrapping into the past. */
    ck_assert_int_eq(gn_poller_timer_add(p, UINT64_MAX, UINT64_MAX, end_cb, NULL, &id), 0);
    ck_assert_int_eq(gn_poller_timer_cancel(p, id), 0);
    ck_assert_int_eq(gn_poller_close(p), 0);
}
END_TEST

START_TEST(timer_enomem)
{
    if (gn_test_sanitized())
        return;
    gn_poller_t *p = open_poller();
    gn_timer_id_t first;
    ck_assert_int_eq(gn_poller_timer_add(p, 1000 * MS, 0, end_cb, NULL, &first), 0);
    gn_test_limit_address_space(16u << 20);
    long n = 1;
    int rc;
    while ((rc = gn_poller_timer_add(p, 1000 * MS, 0, end_cb, NULL, NULL)) == 0)
        n++;
    ck_assert_int_eq(rc, -ENOMEM);
    ck_assert_int_gt(n, 1000);
    ck_assert_uint_eq(gn_poller_timer_count(p), (size_t)n);
    ck_assert_int_eq(gn_poller_timer_cancel(p, first), 0);
    ck_assert_int_eq(gn_poller_timer_add(p, 1 * MS, 0, end_cb, NULL, NULL), 0);
    ck_assert_int_eq(gn_poller_polling(p), 0);
    ck_assert_int_eq(gn_poller_close(p), 0);
}
END_TEST

TCase *gn_netpoll_timer_tcase(void)
{
    TCase *tc = tcase_create("timers");
    tcase_add_test(tc, timer_order);
    tcase_add_test(tc, equal_deadlines_keep_insertion_order);
    tcase_add_test(tc, cancel_from_callback);
    tcase_add_test(tc, stale_ids);
    tcase_add_test(tc, hundred_thousand_timers);
    tcase_add_test(tc, rearm_storm_does_not_starve_io);
    tcase_add_test(tc, repeating_timer);
    tcase_add_test(tc, stop_in_timer_then_resume);
    tcase_add_test(tc, timer_error_ends_polling);
    tcase_add_test(tc, poller_only_timers);
    tcase_add_test(tc, poller_only_timers_ms_timeout);
    tcase_add_test(tc, timer_bad_input);
    tcase_add_test(tc, timer_enomem);
    return tc;
}
