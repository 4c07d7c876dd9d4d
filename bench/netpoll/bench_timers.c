/* Benchmark of gnet-netpoll's timers:
 *   - add+cancel pairs: a timer armed and cancelled at once (the idle-timeout
 *     pattern of a connection that closes), and a re-arm (cancel a random live
 *     timer, add a new one) with 0 and 100,000 live timers, ns per pair;
 *   - firing: 100,000 timers due at once, ns per timer fired;
 *   - lateness of a one-shot timer on an idle poller, p50 and p99, with the
 *     nanosecond timeout (epoll_pwait2) and the millisecond fallback,
 *     interleaved.
 * `bench-netpoll timers-callgrind N` runs only N add+cancel pairs (100,000
 * live timers) for valgrind --tool=callgrind instruction counts. */
#include "bench_netpoll.h"
#include "poller_internal.h"

#include <gnet/netpoll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define REPEATS   5
#define PAIRS     2000000
#define LIVE      100000
#define LATE_RUNS 40

static uint64_t clock_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int nop_cb(gn_poller_t *p, gn_timer_id_t id, void *udata)
{
    return 0;
}

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Fills p with live timers 1..2 s out (ids in ids[]). */
static void fill(gn_poller_t *p, gn_timer_id_t *ids, long live, uint64_t *rng)
{
    for (long i = 0; i < live; i++) {
        uint64_t delay = 1000000000u + rng_next(rng) % 1000000000u;
        if (gn_poller_timer_add(p, delay, 0, nop_cb, NULL, &ids[i]) != 0)
            abort();
    }
}

typedef struct job {
    long live, pairs;
    bool rearm;
    double ns;
} job_t;

/* Runs the job inside polling, as loop code does (the clock is read once
 * per round there, not per add). */
static int job_cb(gn_poller_t *p, gn_timer_id_t unused, void *udata)
{
    job_t *j = udata;
    gn_timer_id_t *ids = calloc((size_t)j->live + 1, sizeof(*ids));
    uint64_t rng = 88172645463325252ull;
    fill(p, ids, j->live, &rng);
    uint64_t t0 = clock_ns();
    for (long i = 0; i < j->pairs; i++) {
        if (j->rearm) {
            /* Cancel a random live timer and add a new one in its place. */
            long k = (long)(rng_next(&rng) % (uint64_t)j->live);
            uint64_t delay = 1000000000u + rng_next(&rng) % 1000000000u;
            if (gn_poller_timer_cancel(p, ids[k]) != 0 ||
                gn_poller_timer_add(p, delay, 0, nop_cb, NULL, &ids[k]) != 0)
                abort();
        } else {
            gn_timer_id_t id;
            if (gn_poller_timer_add(p, 1500000000u, 0, nop_cb, NULL, &id) != 0 ||
                gn_poller_timer_cancel(p, id) != 0)
                abort();
        }
    }
    j->ns = (double)(clock_ns() - t0) / (double)j->pairs;
    free(ids);
    return GN_POLL_STOP;
}

static double run_job(long live, long pairs, bool rearm)
{
    gn_poller_t *p;
    if (gn_poller_open(&p) != 0)
        abort();
    job_t j = {.live = live, .pairs = pairs, .rearm = rearm};
    if (gn_poller_timer_add(p, 0, 0, job_cb, &j, NULL) != 0 || gn_poller_polling(p) != 0)
        abort();
    gn_poller_close(p);
    return j.ns;
}

/* ns per add immediately followed by its cancel, with live timers around. */
static double run_pairs(long live, long pairs)
{
    return run_job(live, pairs, false);
}

/* ns per re-arm of a random one of live timers. */
static double run_rearm(long live, long pairs)
{
    return run_job(live, pairs, true);
}

static long fired_left;

static int count_cb(gn_poller_t *p, gn_timer_id_t id, void *udata)
{
    return --fired_left == 0 ? GN_POLL_STOP : 0;
}

/* ns per timer fired: LIVE timers with random deadlines in the next 1 ms. */
static double run_fire(void)
{
    gn_poller_t *p;
    if (gn_poller_open(&p) != 0)
        abort();
    uint64_t rng = 88172645463325252ull;
    for (long i = 0; i < LIVE; i++) {
        if (gn_poller_timer_add(p, rng_next(&rng) % 1000000u, 0, count_cb, NULL, NULL) != 0)
            abort();
    }
    fired_left = LIVE;
    uint64_t t0 = clock_ns();
    if (gn_poller_polling(p) != 0)
        abort();
    double ns = (double)(clock_ns() - t0 - 1000000u) / LIVE; /* minus the 1 ms spread */
    gn_poller_close(p);
    return ns;
}

static uint64_t late_due;
static uint64_t late_ns;

static int late_cb(gn_poller_t *p, gn_timer_id_t id, void *udata)
{
    late_ns = clock_ns() - late_due;
    return GN_POLL_STOP;
}

/* How late a one-shot timer of delay_ns fires on an idle poller. */
static uint64_t run_late(bool ms_mode, uint64_t delay_ns)
{
    gn_poller_t *p;
    if (gn_poller_open(&p) != 0)
        abort();
    p->wait_ms = ms_mode;
    late_due = gn_poller_now(p) + delay_ns;
    if (gn_poller_timer_add(p, delay_ns, 0, late_cb, NULL, NULL) != 0 || gn_poller_polling(p) != 0)
        abort();
    gn_poller_close(p);
    return late_ns;
}

static double median(double *v, int n)
{
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && v[j] < v[j - 1]; j--) {
            double t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    return v[n / 2];
}

static void lateness(uint64_t delay_ns)
{
    uint64_t s[2][LATE_RUNS];
    for (int r = 0; r < LATE_RUNS; r++)
        for (int m = 0; m < 2; m++)
            s[m][r] = run_late(m == 1, delay_ns);
    for (int m = 0; m < 2; m++) {
        qsort(s[m], LATE_RUNS, sizeof(uint64_t), cmp_u64);
        printf("  %4.0f us timer, %-22s late by p50 %7.1f us, p99 %7.1f us\n",
               (double)delay_ns / 1e3, m == 0 ? "ns timeout (pwait2):" : "ms timeout (fallback):",
               (double)s[m][LATE_RUNS / 2] / 1e3, (double)s[m][LATE_RUNS * 99 / 100] / 1e3);
    }
}

void bench_timers(void)
{
    double pair0[REPEATS], pair[REPEATS], rearm[REPEATS], fire[REPEATS];
    for (int r = 0; r < REPEATS; r++) {
        pair0[r] = run_pairs(0, PAIRS);
        pair[r] = run_pairs(LIVE, PAIRS);
        rearm[r] = run_rearm(LIVE, PAIRS);
        fire[r] = run_fire();
    }
    printf("timers (median of %d interleaved runs):\n", REPEATS);
    printf("  add+cancel, no other timer:       %6.1f ns per pair\n", median(pair0, REPEATS));
    printf("  add+cancel, %d live timers:   %6.1f ns per pair\n", LIVE, median(pair, REPEATS));
    printf("  re-arm a random one of %d:    %6.1f ns per cancel+add\n", LIVE,
           median(rearm, REPEATS));
    printf("  fire %d due timers:           %6.1f ns per timer\n", LIVE, median(fire, REPEATS));
    printf("timer lateness on an idle poller (%d interleaved runs each):\n", LATE_RUNS);
    lateness(100000);
    lateness(2000000);
}

void bench_timers_callgrind(long pairs)
{
    printf("add+cancel, %d live timers: %.1f ns per pair (%ld pairs)\n", LIVE,
           run_pairs(LIVE, pairs), pairs);
}
