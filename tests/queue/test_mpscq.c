/* Check tests for gn_mpscq_t, the single-consumer task queue: bad input, FIFO
 * and snapshot (collect) on one thread, running tasks in place (peek and
 * consume), exactly-once and per-producer FIFO with eight producers and with
 * producer threads that come and go, teardown with queued tasks, chunk
 * recycling with no malloc in steady state, and -ENOMEM. Worker threads never
 * call ck_assert: they record failures in atomics that the test thread
 * asserts on. */
#include "gn_test.h"
#include "queue_test.h"

#include <errno.h>
#include <gnet/queue.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/resource.h>
#include <time.h>

TCase *gn_test_mpscq_tcase(void);

size_t gn__mpsc_chunk_mallocs(void);         /* chunks ever taken from malloc (internal) */
size_t gn__mpsc_nlanes(const gn_mpscq_t *q); /* lanes of q (internal) */

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
    size_t n = 7;
    ck_assert_ptr_null(gn_mpscq_peek(NULL, &n));
    ck_assert_uint_eq(n, 0);
    ck_assert_int_eq(gn_mpscq_consume(NULL, 1), -EINVAL);
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
    ck_assert_ptr_null(gn_mpscq_peek(q, NULL));
    n = 7;
    ck_assert_ptr_null(gn_mpscq_peek(q, &n)); /* empty */
    ck_assert_uint_eq(n, 0);
    ck_assert_int_eq(gn_mpscq_consume(q, 0), 0);
    ck_assert_int_eq(gn_mpscq_push(q, task_nop, NULL), 0);
    ck_assert_ptr_nonnull(gn_mpscq_peek(q, &n));
    ck_assert_uint_eq(n, 1);
    ck_assert_int_eq(gn_mpscq_consume(q, 2), -EINVAL); /* more than peeked: nothing removed */
    ck_assert_uint_eq(gn_mpscq_len(q), 1);
    ck_assert_int_eq(gn_mpscq_consume(q, 1), 0);
    ck_assert(gn_mpscq_empty(q));
    ck_assert_int_eq(gn_mpscq_consume(q, 1), -EINVAL); /* nothing peeked */
    gn_mpscq_free(q, NULL, NULL);
}
END_TEST

/* Peek returns the oldest tasks in place, in runs that end at a chunk or at
 * the batch; consume removes them. Tasks pushed while a run is in use (as a
 * task that triggers another would) do not disturb it. */
START_TEST(test_mpscq_peek_consume)
{
    gn_mpscq_t *q;
    ck_assert_int_eq(gn_mpscq_new(&q), 0);
    uint64_t pushed = 0, got = 0;
    for (; pushed < 500; pushed++)
        ck_assert_int_eq(gn_mpscq_push(q, task_nop, ARG(0, pushed)), 0);
    size_t runs = 0;
    while (got < pushed) {
        size_t n = 0;
        const gn_task_t *t = gn_mpscq_peek(q, &n);
        ck_assert_ptr_nonnull(t);
        ck_assert_uint_ge(n, 1);
        runs++;
        /* Use the run while pushing more (the first 300 rounds only). */
        for (size_t i = 0; i < n; i++) {
            ck_assert_ptr_eq(t[i].arg, ARG(0, got + i));
            if (pushed < 800)
                ck_assert_int_eq(gn_mpscq_push(q, task_nop, ARG(0, pushed++)), 0);
        }
        /* Consume it in two steps: a stop in the middle of a run. */
        size_t first = n / 2;
        ck_assert_int_eq(gn_mpscq_consume(q, first), 0);
        got += first;
        if (n - first > 0) {
            size_t m = 0;
            t = gn_mpscq_peek(q, &m);
            ck_assert_uint_eq(m, n - first);
            ck_assert_ptr_eq(t[0].arg, ARG(0, got));
            ck_assert_int_eq(gn_mpscq_consume(q, m), 0);
            got += m;
        }
        ck_assert_uint_eq(gn_mpscq_len(q), pushed - got);
    }
    /* Runs end at chunk boundaries (63 tasks), so 800 tasks took several. */
    ck_assert_uint_ge(runs, 800 / 63);
    ck_assert(gn_mpscq_empty(q));
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

/* ---- producer threads that come and go ------------------------------------ */

enum { CHURN_WAVES = 40, CHURN_WIDTH = 4, CHURN_PRODUCERS = CHURN_WAVES * CHURN_WIDTH };

struct churn {
    gn_mpscq_t *q;
    uint64_t per_producer;
    atomic_int bad;
};

struct churn_arg {
    struct churn *c;
    unsigned id;
};

static void *churn_producer(void *arg)
{
    struct churn_arg *a = arg;
    for (uint64_t s = 0; s < a->c->per_producer; s++)
        if (gn_mpscq_push(a->c->q, task_nop, ARG(a->id, s)) != 0)
            atomic_store(&a->c->bad, 1);
    return NULL; /* exits with tasks still queued */
}

/* Pops what is there; checks exactly-once and FIFO per producer id. */
static uint64_t churn_drain(gn_mpscq_t *q, uint64_t *next, atomic_int *bad)
{
    uint64_t got = 0;
    gn_task_t t;
    while (gn_mpscq_pop(q, &t)) {
        unsigned p = ARG_P(t.arg);
        if (p >= CHURN_PRODUCERS || ARG_S(t.arg) != next[p])
            atomic_store(bad, 3);
        else
            next[p]++;
        got++;
    }
    return got;
}

/* 160 producer threads in waves of 4: each pushes and exits, most of its
 * tasks still queued. Every task arrives once, in order per thread; the lanes
 * of exited threads pass to the next ones, so the queue never holds more
 * lanes than threads alive at once. Tasks left by exited threads are dropped
 * by free (ASan checks that nothing leaks). */
START_TEST(test_mpscq_threads_come_and_go)
{
    struct churn c = {.per_producer = (uint64_t)gn_test_scale(3000, 10)};
    ck_assert_int_eq(gn_mpscq_new(&c.q), 0);
    static uint64_t next[CHURN_PRODUCERS];
    uint64_t got = 0;
    struct churn_arg args[CHURN_PRODUCERS];
    for (unsigned w = 0; w < CHURN_WAVES; w++) {
        pthread_t th[CHURN_WIDTH];
        for (unsigned i = 0; i < CHURN_WIDTH; i++) {
            args[w * CHURN_WIDTH + i] = (struct churn_arg){&c, w * CHURN_WIDTH + i};
            ck_assert_int_eq(
                pthread_create(&th[i], NULL, churn_producer, &args[w * CHURN_WIDTH + i]), 0);
        }
        if (w % 2 == 0) /* odd waves leave their tasks for later */
            got += churn_drain(c.q, next, &c.bad);
        for (unsigned i = 0; i < CHURN_WIDTH; i++)
            pthread_join(th[i], NULL);
        ck_assert_uint_le(gn__mpsc_nlanes(c.q), CHURN_WIDTH);
    }
    got += churn_drain(c.q, next, &c.bad);
    ck_assert_int_eq(atomic_load(&c.bad), 0);
    ck_assert_uint_eq(got, CHURN_PRODUCERS * c.per_producer);
    for (unsigned p = 0; p < CHURN_PRODUCERS; p++)
        ck_assert_uint_eq(next[p], c.per_producer);

    /* A last wave exits and the queue is freed with its tasks. */
    pthread_t th[CHURN_WIDTH];
    for (unsigned i = 0; i < CHURN_WIDTH; i++) {
        args[i] = (struct churn_arg){&c, i};
        ck_assert_int_eq(pthread_create(&th[i], NULL, churn_producer, &args[i]), 0);
    }
    for (unsigned i = 0; i < CHURN_WIDTH; i++)
        pthread_join(th[i], NULL);
    ck_assert_uint_eq(gn_mpscq_len(c.q), CHURN_WIDTH * c.per_producer);
    gn_mpscq_free(c.q, NULL, NULL);
}
END_TEST

/* ---- allocation failure ------------------------------------------------------ */

/* Under an address-space limit pushes end with -ENOMEM (nothing queued);
 * everything pushed before is intact and in order, and once the consumer has
 * made room pushes work again. Sanitizers reserve terabytes of shadow memory,
 * so this test only runs unsanitized. */
START_TEST(test_mpscq_enomem)
{
    if (gn_test_sanitized())
        return;
    gn_mpscq_t *q;
    ck_assert_int_eq(gn_mpscq_new(&q), 0);
    ck_assert_int_eq(gn_mpscq_push(q, task_nop, ARG(0, 0)), 0);
    gn_test_limit_address_space(16u << 20);
    uint64_t pushed = 1;
    int rc;
    while ((rc = gn_mpscq_push(q, task_nop, ARG(0, pushed))) == 0)
        pushed++;
    ck_assert_int_eq(rc, -ENOMEM);
    ck_assert_uint_gt(pushed, 1000);
    ck_assert_int_eq(gn_mpscq_push(q, task_nop, ARG(0, pushed)), -ENOMEM); /* still full */
    ck_assert_uint_eq(gn_mpscq_len(q), pushed);
    gn_task_t t;
    for (uint64_t i = 0; i < pushed; i++) {
        ck_assert(gn_mpscq_pop(q, &t));
        ck_assert_ptr_eq(t.arg, ARG(0, i));
    }
    ck_assert(!gn_mpscq_pop(q, &t));
    /* The consumer handed its chunks back: pushing works again. */
    for (uint64_t i = 0; i < 1000; i++)
        ck_assert_int_eq(gn_mpscq_push(q, task_nop, ARG(0, pushed + i)), 0);
    gn_mpscq_free(q, NULL, NULL);
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
    size_t before = gn__mpsc_chunk_mallocs();
    for (int round = 0; round < 400; round++) {
        unsigned burst = 1 + (unsigned)(round * 37) % 1000;
        for (unsigned i = 0; i < burst; i++)
            ck_assert_int_eq(gn_mpscq_push(q, task_nop, ARG(0, seq++)), 0);
        for (unsigned i = 0; i < burst; i++) {
            ck_assert(gn_mpscq_pop(q, &t));
            ck_assert_ptr_eq(t.arg, ARG(0, got++));
        }
    }
    size_t mallocs = gn__mpsc_chunk_mallocs() - before;
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
        size_t before = gn__mpsc_chunk_mallocs();
        pthread_t a, b;
        ck_assert_int_eq(pthread_create(&a, NULL, pp_producer, &pp), 0);
        ck_assert_int_eq(pthread_create(&b, NULL, pp_consumer, &pp), 0);
        pthread_join(a, NULL);
        pthread_join(b, NULL);
        mallocs[phase] = gn__mpsc_chunk_mallocs() - before;
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
    tcase_add_test(tc, test_mpscq_peek_consume);
    tcase_add_test(tc, test_mpscq_free_drops);
    tcase_add_test(tc, test_mpscq_steady_state_no_malloc);
    tcase_add_test(tc, test_mpscq_8_producers);
    tcase_add_test(tc, test_mpscq_cross_thread_recycling);
    tcase_add_test(tc, test_mpscq_threads_come_and_go);
    tcase_add_test(tc, test_mpscq_enomem);
    return tc;
}
