/* Check tests for gn_mpscq_t, the single-consumer task queue: bad input, FIFO
 * and snapshot (collect) on one thread, exactly-once and per-producer FIFO with
 * eight producers, teardown with queued tasks, and node recycling with no
 * malloc in steady state. Worker threads never call ck_assert: they record
 * failures in atomics that the test thread asserts on. */
#include "gn_test.h"
#include "queue_test.h"

#include <errno.h>
#include <gnet/queue.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <time.h>

TCase *gn_test_mpscq_tcase(void);

size_t gn__node_mallocs(void); /* nodes ever taken from malloc (internal) */

/* Tasks carry (producer + 1) << 40 | sequence in arg, so arg is never NULL. */
#define ARG(p, s) ((void *)(uintptr_t)(((uint64_t)(p) + 1) << 40 | (uint64_t)(s)))
#define ARG_P(a)  ((unsigned)(((uint64_t)(uintptr_t)(a) >> 40) - 1))
#define ARG_S(a)  ((uint64_t)(uintptr_t)(a) & ((1ULL << 40) - 1))

/* Bounded wait for "no progress": a lost task must fail the test, not hang it. */
#define STALL_S 60.0

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int other(void *arg)
{
    (void)arg;
    return 1;
}

START_TEST(test_mpscq_bad_input)
{
    gn_mpscq_t *q = NULL;
    gn_task_t t;
    ck_assert_int_eq(gn_mpscq_new(NULL), -EINVAL);
    ck_assert_int_eq(gn_mpscq_push(NULL, task_nop, NULL), -EINVAL);
    ck_assert(!gn_mpscq_pop(NULL, &t));
    ck_assert_uint_eq(gn_mpscq_collect(NULL), 0);
    ck_assert(gn_mpscq_empty(NULL));
    ck_assert_uint_eq(gn_mpscq_len(NULL), 0);
    gn_mpscq_free(NULL, NULL, NULL);

    ck_assert_int_eq(gn_mpscq_new(&q), 0);
    ck_assert_int_eq(gn_mpscq_push(q, NULL, &t), -EINVAL);
    ck_assert(gn_mpscq_empty(q));
    ck_assert_int_eq(gn_mpscq_push(q, task_nop, NULL), 0); /* NULL arg is fine */
    ck_assert(!gn_mpscq_pop(q, NULL));                     /* NULL out: nothing removed */
    ck_assert_uint_eq(gn_mpscq_len(q), 1);
    ck_assert(gn_mpscq_pop(q, &t));
    ck_assert(t.fn == task_nop && t.arg == NULL);
    ck_assert(!gn_mpscq_pop(q, &t));
    gn_mpscq_free(q, NULL, NULL);
}
END_TEST

/* FIFO across the batch/stack boundary, and collect as a snapshot: tasks
 * pushed after it are popped only after the snapshot's. */
START_TEST(test_mpscq_fifo_and_collect)
{
    gn_mpscq_t *q;
    gn_task_t t;
    ck_assert_int_eq(gn_mpscq_new(&q), 0);
    uint64_t pushed = 0, popped = 0;
    for (int round = 0; round < 50; round++) {
        unsigned burst = 1 + (unsigned)(round * 37) % 300;
        for (unsigned i = 0; i < burst; i++, pushed++)
            ck_assert_int_eq(gn_mpscq_push(q, pushed % 2 ? other : task_nop, ARG(0, pushed)), 0);
        ck_assert(!gn_mpscq_empty(q));
        ck_assert_uint_eq(gn_mpscq_len(q), pushed - popped);
        /* Pop half, leaving the rest in the private batch behind new pushes. */
        for (unsigned i = 0; i < burst / 2; i++, popped++) {
            ck_assert(gn_mpscq_pop(q, &t));
            ck_assert_ptr_eq(t.arg, ARG(0, popped));
            ck_assert(t.fn == (popped % 2 ? other : task_nop));
        }
    }
    size_t snap = gn_mpscq_collect(q);
    ck_assert_uint_eq(snap, pushed - popped);
    ck_assert_int_eq(gn_mpscq_push(q, task_nop, ARG(1, 0)), 0);
    for (size_t i = 0; i < snap; i++, popped++) {
        ck_assert(gn_mpscq_pop(q, &t));
        ck_assert_ptr_eq(t.arg, ARG(0, popped));
    }
    ck_assert_uint_eq(gn_mpscq_len(q), 1);
    ck_assert(gn_mpscq_pop(q, &t));
    ck_assert_ptr_eq(t.arg, ARG(1, 0));
    ck_assert(!gn_mpscq_pop(q, &t));
    ck_assert(gn_mpscq_empty(q));
    ck_assert_uint_eq(gn_mpscq_len(q), 0);
    gn_mpscq_free(q, NULL, NULL);
}
END_TEST

/* ---- eight producers, one consumer ------------------------------------------ */

enum { MP_PRODUCERS = 8 };

struct mpsc {
    gn_mpscq_t *q;
    uint64_t per_producer;
    atomic_uint next_id;
    atomic_int bad;
};

static void *mpsc_producer(void *arg)
{
    struct mpsc *m = arg;
    unsigned id = atomic_fetch_add(&m->next_id, 1);
    for (uint64_t s = 0; s < m->per_producer; s++) {
        if (gn_mpscq_push(m->q, task_nop, ARG(id, s)) != 0)
            atomic_store(&m->bad, 1);
        /* Yield now and then so that under TSan (one thread at a time) the
         * consumer interleaves with producers instead of draining at the end. */
        if ((s & 1023) == 0)
            sched_yield();
    }
    return NULL;
}

/* Each producer's sequence must arrive complete and in order: exactly once
 * and FIFO per producer, checked with one counter per producer. */
static void *mpsc_consumer(void *arg)
{
    struct mpsc *m = arg;
    uint64_t next[MP_PRODUCERS] = {0};
    uint64_t total = MP_PRODUCERS * m->per_producer, got = 0;
    double idle_since = 0;
    while (got < total) {
        gn_task_t t;
        if (!gn_mpscq_pop(m->q, &t)) {
            double now = now_s();
            if (idle_since == 0)
                idle_since = now;
            else if (now - idle_since > STALL_S) {
                atomic_store(&m->bad, 2);
                return NULL;
            }
            sched_yield();
            continue;
        }
        idle_since = 0;
        unsigned p = ARG_P(t.arg);
        if (t.fn != task_nop || p >= MP_PRODUCERS || ARG_S(t.arg) != next[p]) {
            atomic_store(&m->bad, 3);
            return NULL;
        }
        next[p]++;
        got++;
    }
    return NULL;
}

START_TEST(test_mpscq_8_producers)
{
    struct mpsc m = {.per_producer = (uint64_t)gn_test_scale(1000000, 20)};
    ck_assert_int_eq(gn_mpscq_new(&m.q), 0);
    pthread_t c, p[MP_PRODUCERS];
    ck_assert_int_eq(pthread_create(&c, NULL, mpsc_consumer, &m), 0);
    for (int i = 0; i < MP_PRODUCERS; i++)
        ck_assert_int_eq(pthread_create(&p[i], NULL, mpsc_producer, &m), 0);
    for (int i = 0; i < MP_PRODUCERS; i++)
        pthread_join(p[i], NULL);
    pthread_join(c, NULL);
    ck_assert_int_eq(atomic_load(&m.bad), 0);
    ck_assert(gn_mpscq_empty(m.q));
    gn_mpscq_free(m.q, NULL, NULL);
}
END_TEST

/* ---- teardown -------------------------------------------------------------- */

static void push_int(gn_mpscq_t *q, int v)
{
    int *arg = malloc(sizeof *arg);
    ck_assert_ptr_nonnull(arg);
    *arg = v;
    ck_assert_int_eq(gn_mpscq_push(q, task_nop, arg), 0);
}

/* Tasks left both in the consumer's batch and on the shared stack are all
 * dropped, in FIFO order; ASan's leak check catches any arg or node missed. */
START_TEST(test_mpscq_free_drops)
{
    gn_mpscq_t *q;
    ck_assert_int_eq(gn_mpscq_new(&q), 0);
    for (int i = 0; i < 500; i++)
        push_int(q, i);
    gn_task_t t;
    for (int i = 0; i < 100; i++) {
        ck_assert(gn_mpscq_pop(q, &t));
        ck_assert_int_eq(*(int *)t.arg, i);
        free(t.arg);
    }
    for (int i = 500; i < 1000; i++) /* onto the stack, behind the batch */
        push_int(q, i);
    int drops = 0;
    gn_mpscq_free(q, drop_in_order, &drops);
    ck_assert_int_eq(drops, 900);

    /* Without a drop hook the nodes are still freed (the args are the caller's). */
    static int keep;
    ck_assert_int_eq(gn_mpscq_new(&q), 0);
    for (int i = 0; i < 300; i++)
        ck_assert_int_eq(gn_mpscq_push(q, task_nop, &keep), 0);
    gn_mpscq_free(q, NULL, NULL);
}
END_TEST

/* ---- node recycling -------------------------------------------------------- */

START_TEST(test_mpscq_steady_state_no_malloc)
{
    gn_mpscq_t *q;
    gn_task_t t;
    ck_assert_int_eq(gn_mpscq_new(&q), 0);
    uint64_t seq = 0, got = 0;
    /* Warm up past the largest burst below plus the thread's cache. */
    for (int i = 0; i < 2048; i++)
        ck_assert_int_eq(gn_mpscq_push(q, task_nop, ARG(0, seq++)), 0);
    while (gn_mpscq_pop(q, &t))
        got++;
    size_t before = gn__node_mallocs();
    for (int round = 0; round < 400; round++) {
        unsigned burst = 1 + (unsigned)(round * 37) % 1000;
        for (unsigned i = 0; i < burst; i++)
            ck_assert_int_eq(gn_mpscq_push(q, task_nop, ARG(0, seq++)), 0);
        for (unsigned i = 0; i < burst; i++) {
            ck_assert(gn_mpscq_pop(q, &t));
            ck_assert_ptr_eq(t.arg, ARG(0, got++));
        }
    }
    size_t mallocs = gn__node_mallocs() - before;
    gn_mpscq_free(q, NULL, NULL);
    ck_assert_uint_eq(mallocs, 0);
}
END_TEST

struct pingpong {
    gn_mpscq_t *q;
    uint64_t n;
    atomic_uint_fast64_t popped;
    atomic_int bad;
};

static void *pp_producer(void *arg)
{
    struct pingpong *pp = arg;
    for (uint64_t s = 0; s < pp->n; s++) {
        /* Bound the number in flight (len is the consumer's, so count here). */
        while (s - atomic_load(&pp->popped) > 256)
            sched_yield();
        if (gn_mpscq_push(pp->q, task_nop, ARG(0, s)) != 0)
            atomic_store(&pp->bad, 1);
    }
    return NULL;
}

static void *pp_consumer(void *arg)
{
    struct pingpong *pp = arg;
    double idle_since = 0;
    for (uint64_t s = 0; s < pp->n;) {
        gn_task_t t;
        if (!gn_mpscq_pop(pp->q, &t)) {
            double now = now_s();
            if (idle_since == 0)
                idle_since = now;
            else if (now - idle_since > STALL_S) {
                atomic_store(&pp->bad, 1);
                return NULL;
            }
            sched_yield();
            continue;
        }
        idle_since = 0;
        if (t.arg != ARG(0, s))
            atomic_store(&pp->bad, 1);
        s++;
        atomic_store(&pp->popped, s);
    }
    return NULL;
}

/* Nodes the consumer frees reach the producer through the depot: across
 * threads too, the steady state takes (almost) nothing from malloc. */
START_TEST(test_mpscq_cross_thread_recycling)
{
    struct pingpong pp = {.n = (uint64_t)gn_test_scale(400000, 10)};
    ck_assert_int_eq(gn_mpscq_new(&pp.q), 0);
    size_t mallocs[2];
    for (int phase = 0; phase < 2; phase++) {
        atomic_store(&pp.popped, 0);
        size_t before = gn__node_mallocs();
        pthread_t a, b;
        ck_assert_int_eq(pthread_create(&a, NULL, pp_producer, &pp), 0);
        ck_assert_int_eq(pthread_create(&b, NULL, pp_consumer, &pp), 0);
        pthread_join(a, NULL);
        pthread_join(b, NULL);
        mallocs[phase] = gn__node_mallocs() - before;
    }
    ck_assert_int_eq(atomic_load(&pp.bad), 0);
    /* Far fewer than one malloc per task: less than 1%. */
    ck_assert_uint_lt(mallocs[1], pp.n / 100);
    gn_mpscq_free(pp.q, NULL, NULL);
}
END_TEST

TCase *gn_test_mpscq_tcase(void)
{
    TCase *tc = tcase_create("mpscq");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_mpscq_bad_input);
    tcase_add_test(tc, test_mpscq_fifo_and_collect);
    tcase_add_test(tc, test_mpscq_free_drops);
    tcase_add_test(tc, test_mpscq_steady_state_no_malloc);
    tcase_add_test(tc, test_mpscq_8_producers);
    tcase_add_test(tc, test_mpscq_cross_thread_recycling);
    return tc;
}
