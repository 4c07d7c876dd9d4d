/* Check suite for gnet-queue: FIFO order, exactly-once delivery under many
 * producers and consumers, teardown with items queued, thread churn (record
 * release and reuse), node recycling, what a hazard-pointer scan keeps and
 * recycles (white box), the task queue, and bad input. Worker
 * threads never call ck_assert (it is not thread-safe): they record failures in
 * atomics that the test thread asserts on. */
#include "gn_test.h"
#include "queue_test.h"
/* White box: the reclamation tests below drive hazard pointers and scans
 * directly (the suite is built with the library's private headers on the
 * include path and linked with its static archive). */
#include "msq.h"

#include <errno.h>
#include <gnet/queue.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

/* Internal counters of the library, from msq.h: gn__hp_nrecords (records ever
 * created), gn__node_mallocs (nodes ever taken from malloc), gn__hp_asym
 * (hazard pointers published with membarrier's help). */

TCase *gn_test_mpscq_tcase(void); /* the single-consumer task queue's tests */

/* Items carry (producer + 1) << 40 | sequence, so they are never NULL. */
#define ITEM(p, s) ((void *)(uintptr_t)(((uint64_t)(p) + 1) << 40 | (uint64_t)(s)))
#define ITEM_P(it) ((unsigned)(((uint64_t)(uintptr_t)(it) >> 40) - 1))
#define ITEM_S(it) ((uint64_t)(uintptr_t)(it) & ((1ULL << 40) - 1))

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Bounded wait for "no progress": a lost item must fail the test, not hang it. */
#define STALL_S 60.0

/* ---- bad input ------------------------------------------------------------ */

START_TEST(test_bad_input)
{
    gn_queue_t *q = NULL;
    ck_assert_int_eq(gn_queue_new(NULL), -EINVAL);
    ck_assert_int_eq(gn_queue_enqueue(NULL, &q), -EINVAL);
    ck_assert_ptr_null(gn_queue_dequeue(NULL));
    ck_assert(gn_queue_empty(NULL));
    ck_assert_uint_eq(gn_queue_len(NULL), 0);
    gn_queue_free(NULL);

    ck_assert_int_eq(gn_queue_new(&q), 0);
    ck_assert_int_eq(gn_queue_enqueue(q, NULL), -EINVAL);
    ck_assert(gn_queue_empty(q));
    gn_queue_free(q);

    gn_taskq_t *tq = NULL;
    gn_task_t t;
    ck_assert_int_eq(gn_taskq_new(NULL), -EINVAL);
    ck_assert_int_eq(gn_taskq_push(NULL, task_nop, NULL), -EINVAL);
    ck_assert(!gn_taskq_pop(NULL, &t));
    ck_assert(gn_taskq_empty(NULL));
    ck_assert_uint_eq(gn_taskq_len(NULL), 0);
    gn_taskq_free(NULL, NULL, NULL);

    ck_assert_int_eq(gn_taskq_new(&tq), 0);
    ck_assert_int_eq(gn_taskq_push(tq, NULL, &t), -EINVAL);
    ck_assert_int_eq(gn_taskq_push(tq, task_nop, NULL), 0);
    ck_assert(!gn_taskq_pop(tq, NULL)); /* NULL out: nothing is removed */
    ck_assert_uint_eq(gn_taskq_len(tq), 1);
    gn_taskq_free(tq, NULL, NULL);
}
END_TEST

/* ---- single thread -------------------------------------------------------- */

START_TEST(test_fifo_single_thread)
{
    gn_queue_t *q;
    ck_assert_int_eq(gn_queue_new(&q), 0);
    ck_assert(gn_queue_empty(q));
    ck_assert_ptr_null(gn_queue_dequeue(q));
    /* Several rounds so that recycled nodes are used, not only fresh ones. */
    for (int round = 0; round < 5; round++) {
        const uint64_t n = 10000;
        for (uint64_t i = 0; i < n; i++)
            ck_assert_int_eq(gn_queue_enqueue(q, ITEM(0, i)), 0);
        ck_assert_uint_eq(gn_queue_len(q), n);
        ck_assert(!gn_queue_empty(q));
        for (uint64_t i = 0; i < n; i++) {
            void *it = gn_queue_dequeue(q);
            ck_assert_ptr_eq(it, ITEM(0, i));
            ck_assert_uint_eq(gn_queue_len(q), n - i - 1);
        }
        ck_assert(gn_queue_empty(q));
        ck_assert_ptr_null(gn_queue_dequeue(q));
    }
    gn_queue_free(q);
}
END_TEST

/* Interleaved enqueues and dequeues on two queues: nodes move between them. */
START_TEST(test_two_queues_interleaved)
{
    gn_queue_t *a, *b;
    ck_assert_int_eq(gn_queue_new(&a), 0);
    ck_assert_int_eq(gn_queue_new(&b), 0);
    uint64_t na = 0, nb = 0, da = 0, db = 0, state = gn_test_seed("interleaved", 42);
    for (int i = 0; i < 200000; i++) {
        uint64_t x = gn_test_rand(&state) % 4;
        if (x == 0)
            ck_assert_int_eq(gn_queue_enqueue(a, ITEM(0, na++)), 0);
        else if (x == 1)
            ck_assert_int_eq(gn_queue_enqueue(b, ITEM(1, nb++)), 0);
        else if (x == 2 && da < na)
            ck_assert_ptr_eq(gn_queue_dequeue(a), ITEM(0, da++));
        else if (x == 3 && db < nb)
            ck_assert_ptr_eq(gn_queue_dequeue(b), ITEM(1, db++));
    }
    ck_assert_uint_eq(gn_queue_len(a), na - da);
    ck_assert_uint_eq(gn_queue_len(b), nb - db);
    gn_queue_free(a);
    gn_queue_free(b);
}
END_TEST

/* ---- many producers, many consumers -------------------------------------- */

struct mpmc {
    gn_queue_t *q;
    unsigned producers;
    uint64_t per_producer;
    _Atomic(uint64_t) *seen; /* one bit per item */
    atomic_uint_fast64_t consumed;
    atomic_uint_fast64_t sum;
    atomic_int dup, order, stalled, enq_err;
    atomic_uint next_id;
};

static void *mpmc_producer(void *arg)
{
    struct mpmc *m = arg;
    unsigned p = atomic_fetch_add(&m->next_id, 1);
    for (uint64_t s = 0; s < m->per_producer; s++) {
        /* Keep the queue (and memory) bounded when producers outrun consumers. */
        if ((s & 255) == 0)
            while (gn_queue_len(m->q) > (1u << 16))
                sched_yield();
        if (gn_queue_enqueue(m->q, ITEM(p, s)) != 0)
            atomic_store(&m->enq_err, 1);
    }
    return NULL;
}

/* Records item it; returns 0, or -1 when it was already seen. */
static int mark_seen(_Atomic(uint64_t) *seen, uint64_t idx)
{
    uint64_t bit = 1ULL << (idx & 63);
    return (atomic_fetch_or_explicit(&seen[idx >> 6], bit, memory_order_relaxed) & bit) ? -1 : 0;
}

static void *mpmc_consumer(void *arg)
{
    struct mpmc *m = arg;
    uint64_t total = m->producers * m->per_producer;
    int64_t last[64];
    for (unsigned i = 0; i < 64; i++)
        last[i] = -1;
    double idle_since = 0;
    while (atomic_load(&m->consumed) < total) {
        void *it = gn_queue_dequeue(m->q);
        if (it == NULL) {
            double t = now_s();
            if (idle_since == 0)
                idle_since = t;
            else if (t - idle_since > STALL_S) {
                atomic_store(&m->stalled, 1);
                break;
            }
            sched_yield();
            continue;
        }
        idle_since = 0;
        unsigned p = ITEM_P(it);
        uint64_t s = ITEM_S(it);
        if (p >= m->producers || s >= m->per_producer || (int64_t)s <= last[p])
            atomic_store(&m->order, 1);
        else if (mark_seen(m->seen, p * m->per_producer + s) != 0)
            atomic_store(&m->dup, 1);
        if (p < 64)
            last[p] = (int64_t)s;
        atomic_fetch_add(&m->sum, (uint64_t)(uintptr_t)it);
        atomic_fetch_add(&m->consumed, 1);
    }
    return NULL;
}

/* main_too: the test thread consumes as well, after starting the others. */
static void run_mpmc_ex(unsigned producers, unsigned consumers, uint64_t per_producer,
                        bool main_too)
{
    struct mpmc m = {.producers = producers, .per_producer = per_producer};
    uint64_t total = producers * per_producer;
    ck_assert_int_eq(gn_queue_new(&m.q), 0);
    m.seen = calloc(total / 64 + 1, sizeof *m.seen);
    ck_assert_ptr_nonnull(m.seen);
    pthread_t th[128];
    for (unsigned i = 0; i < consumers; i++)
        ck_assert_int_eq(pthread_create(&th[i], NULL, mpmc_consumer, &m), 0);
    for (unsigned i = 0; i < producers; i++)
        ck_assert_int_eq(pthread_create(&th[consumers + i], NULL, mpmc_producer, &m), 0);
    if (main_too)
        mpmc_consumer(&m);
    for (unsigned i = 0; i < producers + consumers; i++)
        pthread_join(th[i], NULL);

    uint64_t want = 0;
    for (unsigned p = 0; p < producers; p++)
        for (uint64_t s = 0; s < per_producer; s++)
            want += (uint64_t)(uintptr_t)ITEM(p, s);
    ck_assert_int_eq(atomic_load(&m.enq_err), 0);
    ck_assert_int_eq(atomic_load(&m.stalled), 0);
    ck_assert_int_eq(atomic_load(&m.order), 0);
    ck_assert_int_eq(atomic_load(&m.dup), 0);
    ck_assert_uint_eq(atomic_load(&m.consumed), total);
    ck_assert_uint_eq(atomic_load(&m.sum), want);
    for (uint64_t i = 0; i < total; i++)
        ck_assert(atomic_load(&m.seen[i >> 6]) >> (i & 63) & 1);
    ck_assert(gn_queue_empty(m.q));
    ck_assert_uint_eq(gn_queue_len(m.q), 0);
    gn_queue_free(m.q);
    free(m.seen);
}

static void run_mpmc(unsigned producers, unsigned consumers, uint64_t per_producer)
{
    run_mpmc_ex(producers, consumers, per_producer, false);
}

/* A thread whose scans ran alone (no other record taken: no membarrier, no
 * hazard reads) goes on consuming while producers and another consumer take
 * records, work and give them back. Under ASan or TSan a node recycled while
 * another thread still reads it would be reported. */
START_TEST(test_lone_scans_then_company)
{
    gn_queue_t *q;
    ck_assert_int_eq(gn_queue_new(&q), 0);
    size_t recs = gn__hp_nrecords();
    for (uintptr_t i = 1; i <= 20000; i++) { /* about 19 scans */
        ck_assert_int_eq(gn_queue_enqueue(q, (void *)i), 0);
        ck_assert_ptr_eq(gn_queue_dequeue(q), (void *)i);
    }
    ck_assert_uint_le(gn__hp_nrecords(), recs + 1);
    gn_queue_free(q);
    run_mpmc_ex(2, 1, (uint64_t)gn_test_scale(300000, 20), true);
}
END_TEST

/* ---- reclamation (white box) --------------------------------------------- */

/* Another thread protects the queue's head node as a dequeuer does and holds
 * it until told to clear it (state 2), then keeps its record until state 4. */
struct holder {
    gn_queue_t *q;
    gn__node_t *held;
    atomic_int state;
};

static void wait_state(atomic_int *state, int want)
{
    while (atomic_load(state) != want)
        sched_yield();
}

static void *hold_head(void *arg)
{
    struct holder *h = arg;
    gn__hprec_t *r = gn__hp_rec();
    if (r != NULL)
        h->held = gn__hp_protect(r, 0, &((gn__msq_t *)h->q)->head, gn__hp_asym);
    atomic_store(&h->state, 1);
    wait_state(&h->state, 2);
    if (r != NULL)
        gn__hp_clear(r, 0);
    atomic_store(&h->state, 3);
    wait_state(&h->state, 4);
    return NULL; /* the record is released at exit */
}

static bool is_retired(const gn__hprec_t *r, const gn__node_t *n)
{
    for (size_t i = 0; i < r->nretired; i++)
        if (r->retired[i] == n)
            return true;
    return false;
}

/* A scan keeps a retired node that another thread's hazard pointer holds, and
 * recycles it once the slot is cleared although the scanning thread's own
 * slots (left set by its dequeue) still point at it; with no other record
 * taken, a scan recycles everything. */
START_TEST(test_scan_keeps_protected_nodes)
{
    gn_queue_t *q;
    ck_assert_int_eq(gn_queue_new(&q), 0);
    ck_assert_int_eq(gn_queue_enqueue(q, ITEM(0, 0)), 0);
    struct holder h = {.q = q};
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, hold_head, &h), 0);
    wait_state(&h.state, 1);
    ck_assert_ptr_nonnull(h.held);

    ck_assert_ptr_eq(gn_queue_dequeue(q), ITEM(0, 0)); /* retires the held node */
    gn__hprec_t *r = gn__hp_self;
    ck_assert_ptr_nonnull(r);
    ck_assert(is_retired(r, h.held));
    ck_assert_ptr_eq(atomic_load(&r->hp[0]), h.held); /* own slot left set */
    gn__hp_scan(r);
    ck_assert(is_retired(r, h.held)); /* the other thread protects it */

    atomic_store(&h.state, 2);
    wait_state(&h.state, 3);
    gn__hp_scan(r);
    ck_assert(!is_retired(r, h.held)); /* cleared: recycled despite our own slot */

    atomic_store(&h.state, 4);
    pthread_join(t, NULL);
    /* The other record is released: a scan runs alone and recycles all. */
    ck_assert_int_eq(gn_queue_enqueue(q, ITEM(0, 1)), 0);
    ck_assert_ptr_eq(gn_queue_dequeue(q), ITEM(0, 1));
    ck_assert_uint_gt(r->nretired, 0);
    gn__hp_scan(r);
    ck_assert_uint_eq(r->nretired, 0);
    gn_queue_free(q);
}
END_TEST

START_TEST(test_mpmc_8x8)
{
    run_mpmc(8, 8, (uint64_t)gn_test_scale(1000000, 4));
    fprintf(stderr, "mpmc 8x8: hazard pointers published %s\n",
            gn__hp_asym ? "with membarrier" : "with seq_cst stores");
}
END_TEST

/* The same with seq_cst publication, the path of systems without membarrier
 * (each test runs in its own process, so the choice is made afresh). */
START_TEST(test_mpmc_8x8_symmetric)
{
    /* The mode is chosen at the first call of the process (CK_FORK=no reuses it). */
    bool fresh = gn__hp_nrecords() == 0;
    setenv("GNET_QUEUE_NO_MEMBARRIER", "1", 1);
    run_mpmc(8, 8, (uint64_t)gn_test_scale(250000, 20));
    if (fresh)
        ck_assert(!gn__hp_asym);
}
END_TEST

START_TEST(test_mpmc_1x1)
{
    run_mpmc(1, 1, (uint64_t)gn_test_scale(1000000, 20));
}
END_TEST

START_TEST(test_mpmc_1x4_4x1)
{
    run_mpmc(1, 4, (uint64_t)gn_test_scale(400000, 20));
    run_mpmc(4, 1, (uint64_t)gn_test_scale(100000, 20));
}
END_TEST

/* ---- teardown with items queued ------------------------------------------ */

START_TEST(test_free_with_items)
{
    gn_queue_t *q;
    ck_assert_int_eq(gn_queue_new(&q), 0);
    for (uint64_t i = 0; i < 10000; i++)
        ck_assert_int_eq(gn_queue_enqueue(q, ITEM(0, i)), 0);
    for (uint64_t i = 0; i < 3000; i++)
        ck_assert_ptr_eq(gn_queue_dequeue(q), ITEM(0, i));
    /* ASan's leak check (and valgrind) prove the 7000 queued nodes are freed. */
    gn_queue_free(q);

    /* A queue filled by other threads that have since exited. */
    ck_assert_int_eq(gn_queue_new(&q), 0);
    struct mpmc m = {.q = q, .producers = 4, .per_producer = 5000};
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(pthread_create(&th[i], NULL, mpmc_producer, &m), 0);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    ck_assert_uint_eq(gn_queue_len(q), 20000);
    gn_queue_free(q);
}
END_TEST

/* ---- threads that come and go -------------------------------------------- */

struct churn {
    gn_queue_t *q;
    uint64_t per_thread;
    unsigned threads_total;
    _Atomic(uint64_t) *seen;
    atomic_uint_fast64_t consumed;
    atomic_int dup, bad, stalled;
};

struct churn_arg {
    struct churn *c;
    unsigned id;
};

/* Enqueues its items; odd threads release their record half way through with
 * gn_queue_thread_exit() and take a new one on the next call; all rely on the
 * key destructor at exit. */
static void *churn_producer(void *arg)
{
    struct churn_arg *a = arg;
    for (uint64_t s = 0; s < a->c->per_thread; s++) {
        if (gn_queue_enqueue(a->c->q, ITEM(a->id, s)) != 0)
            atomic_store(&a->c->bad, 1);
        if ((a->id & 1) && s == a->c->per_thread / 2)
            gn_queue_thread_exit();
    }
    return NULL;
}

static void churn_take(struct churn *c, void *it)
{
    unsigned p = ITEM_P(it);
    uint64_t s = ITEM_S(it);
    if (p >= c->threads_total || s >= c->per_thread)
        atomic_store(&c->bad, 1);
    else if (mark_seen(c->seen, p * c->per_thread + s) != 0)
        atomic_store(&c->dup, 1);
    atomic_fetch_add(&c->consumed, 1);
}

/* Short-lived consumer: takes a few hundred items (or gives up when empty). */
static void *churn_consumer(void *arg)
{
    struct churn *c = arg;
    for (int i = 0, misses = 0; i < 500 && misses < 1000; i++) {
        void *it = gn_queue_dequeue(c->q);
        if (it == NULL) {
            misses++;
            sched_yield();
            continue;
        }
        churn_take(c, it);
    }
    return NULL;
}

/* Long-lived consumer: runs until every item has been counted. */
static void *churn_drain(void *arg)
{
    struct churn *c = arg;
    uint64_t total = c->threads_total * c->per_thread;
    double idle_since = 0;
    while (atomic_load(&c->consumed) < total) {
        void *it = gn_queue_dequeue(c->q);
        if (it != NULL) {
            idle_since = 0;
            churn_take(c, it);
            continue;
        }
        double t = now_s();
        if (idle_since == 0)
            idle_since = t;
        else if (t - idle_since > STALL_S) {
            atomic_store(&c->stalled, 1);
            break;
        }
        sched_yield();
    }
    return NULL;
}

START_TEST(test_threads_come_and_go)
{
    enum { PRODUCERS = 4, CONSUMERS = 2 };
    unsigned waves = (unsigned)gn_test_scale(150, 5);
    struct churn c = {.per_thread = 2000, .threads_total = waves * PRODUCERS};
    uint64_t total = c.threads_total * c.per_thread;
    ck_assert_int_eq(gn_queue_new(&c.q), 0);
    c.seen = calloc(total / 64 + 1, sizeof *c.seen);
    ck_assert_ptr_nonnull(c.seen);
    size_t recs_before = gn__hp_nrecords();

    pthread_t drain;
    ck_assert_int_eq(pthread_create(&drain, NULL, churn_drain, &c), 0);
    struct churn_arg args[PRODUCERS];
    for (unsigned w = 0; w < waves; w++) {
        pthread_t th[PRODUCERS + CONSUMERS];
        for (unsigned i = 0; i < PRODUCERS; i++) {
            args[i] = (struct churn_arg){&c, w * PRODUCERS + i};
            ck_assert_int_eq(pthread_create(&th[i], NULL, churn_producer, &args[i]), 0);
        }
        for (unsigned i = 0; i < CONSUMERS; i++)
            ck_assert_int_eq(pthread_create(&th[PRODUCERS + i], NULL, churn_consumer, &c), 0);
        for (unsigned i = 0; i < PRODUCERS + CONSUMERS; i++)
            pthread_join(th[i], NULL);
    }
    pthread_join(drain, NULL);

    ck_assert_int_eq(atomic_load(&c.stalled), 0);
    ck_assert_int_eq(atomic_load(&c.bad), 0);
    ck_assert_int_eq(atomic_load(&c.dup), 0);
    ck_assert_uint_eq(atomic_load(&c.consumed), total);
    for (uint64_t i = 0; i < total; i++)
        ck_assert(atomic_load(&c.seen[i >> 6]) >> (i & 63) & 1);
    /* Records are reused: at most one per thread alive at once (a wave, the
     * drainer; odd producers may briefly hold a second one while the released
     * one is free for others) -- never one per thread ever started. */
    size_t recs = gn__hp_nrecords() - recs_before;
    ck_assert_uint_le(recs, PRODUCERS + CONSUMERS + 1 + PRODUCERS);
    ck_assert(gn_queue_empty(c.q));
    gn_queue_free(c.q);
    free(c.seen);
}
END_TEST

START_TEST(test_thread_exit_then_reuse)
{
    size_t recs_before = gn__hp_nrecords();
    gn_queue_t *q;
    ck_assert_int_eq(gn_queue_new(&q), 0);
    for (uint64_t i = 0; i < 1000; i++) {
        ck_assert_int_eq(gn_queue_enqueue(q, ITEM(0, i)), 0);
        if (i % 100 == 0)
            gn_queue_thread_exit();
    }
    gn_queue_thread_exit();
    gn_queue_thread_exit(); /* twice in a row is harmless */
    for (uint64_t i = 0; i < 1000; i++) {
        ck_assert_ptr_eq(gn_queue_dequeue(q), ITEM(0, i));
        if (i % 97 == 0)
            gn_queue_thread_exit();
    }
    ck_assert(gn_queue_empty(q));
    gn_queue_free(q);
    /* The same record was taken back every time (19 releases, at most one new
     * record). */
    ck_assert_uint_le(gn__hp_nrecords(), recs_before + 1);
}
END_TEST

/* ---- node recycling ------------------------------------------------------- */

START_TEST(test_steady_state_no_malloc)
{
    gn_queue_t *q;
    ck_assert_int_eq(gn_queue_new(&q), 0);
    uint64_t seq = 0, got = 0;
    /* Warm up with one burst larger than the working set can ever be here: the
     * largest burst below (1000) plus a full retired list (at most ~1030 on one
     * thread) plus the thread's cache (128). */
    for (int i = 0; i < 4096; i++)
        ck_assert_int_eq(gn_queue_enqueue(q, ITEM(0, seq++)), 0);
    for (int i = 0; i < 4096; i++)
        ck_assert_ptr_eq(gn_queue_dequeue(q), ITEM(0, got++));
    /* Then bursts of 1 to 1000 items: every node comes from the recycler. */
    size_t before = gn__node_mallocs();
    for (int round = 0; round < 400; round++) {
        unsigned burst = 1 + (unsigned)(round * 37) % 1000;
        for (unsigned i = 0; i < burst; i++)
            ck_assert_int_eq(gn_queue_enqueue(q, ITEM(0, seq++)), 0);
        for (unsigned i = 0; i < burst; i++)
            ck_assert_ptr_eq(gn_queue_dequeue(q), ITEM(0, got++));
    }
    size_t mallocs = gn__node_mallocs() - before;
    gn_queue_free(q);
    ck_assert_uint_eq(mallocs, 0);
}
END_TEST

struct pingpong {
    gn_queue_t *q;
    uint64_t n;
    atomic_int bad;
};

static void *pp_producer(void *arg)
{
    struct pingpong *pp = arg;
    for (uint64_t s = 0; s < pp->n; s++) {
        while (gn_queue_len(pp->q) > 256)
            sched_yield();
        if (gn_queue_enqueue(pp->q, ITEM(0, s)) != 0)
            atomic_store(&pp->bad, 1);
    }
    return NULL;
}

static void *pp_consumer(void *arg)
{
    struct pingpong *pp = arg;
    double idle_since = 0;
    for (uint64_t s = 0; s < pp->n;) {
        void *it = gn_queue_dequeue(pp->q);
        if (it == NULL) {
            double t = now_s();
            if (idle_since == 0)
                idle_since = t;
            else if (t - idle_since > STALL_S) {
                atomic_store(&pp->bad, 1);
                return NULL;
            }
            sched_yield();
            continue;
        }
        idle_since = 0;
        if (it != ITEM(0, s))
            atomic_store(&pp->bad, 1);
        s++;
    }
    return NULL;
}

/* Nodes freed by the consumer reach the producer through the depot: across
 * threads too, the steady state takes (almost) nothing from malloc. */
START_TEST(test_cross_thread_recycling)
{
    struct pingpong pp = {.n = (uint64_t)gn_test_scale(400000, 10)};
    ck_assert_int_eq(gn_queue_new(&pp.q), 0);
    size_t mallocs[2];
    for (int phase = 0; phase < 2; phase++) {
        size_t before = gn__node_mallocs();
        pthread_t a, b;
        ck_assert_int_eq(pthread_create(&a, NULL, pp_producer, &pp), 0);
        ck_assert_int_eq(pthread_create(&b, NULL, pp_consumer, &pp), 0);
        pthread_join(a, NULL);
        pthread_join(b, NULL);
        mallocs[phase] = gn__node_mallocs() - before;
    }
    ck_assert_int_eq(atomic_load(&pp.bad), 0);
    /* Far fewer than one malloc per item: less than 1%. */
    ck_assert_uint_lt(mallocs[1], pp.n / 100);
    gn_queue_free(pp.q);
}
END_TEST

/* ---- task queue ----------------------------------------------------------- */

static atomic_int g_ran;

static int task_count(void *arg)
{
    atomic_fetch_add(&g_ran, (int)(intptr_t)arg);
    return (int)(intptr_t)arg;
}

START_TEST(test_taskq_fifo)
{
    gn_taskq_t *q;
    ck_assert_int_eq(gn_taskq_new(&q), 0);
    ck_assert(gn_taskq_empty(q));
    gn_task_t t;
    ck_assert(!gn_taskq_pop(q, &t));
    for (intptr_t i = 1; i <= 1000; i++)
        ck_assert_int_eq(gn_taskq_push(q, i % 2 ? task_count : task_nop, (void *)i), 0);
    ck_assert_uint_eq(gn_taskq_len(q), 1000);
    for (intptr_t i = 1; i <= 1000; i++) {
        ck_assert(gn_taskq_pop(q, &t));
        ck_assert(t.fn == (i % 2 ? task_count : task_nop));
        ck_assert_ptr_eq(t.arg, (void *)i);
        t.fn(t.arg);
    }
    ck_assert(!gn_taskq_pop(q, &t));
    ck_assert(gn_taskq_empty(q));
    ck_assert_int_eq(atomic_load(&g_ran), 500 * 500); /* sum of odd 1..999 */
    gn_taskq_free(q, NULL, NULL);
}
END_TEST

START_TEST(test_taskq_free_drops)
{
    gn_taskq_t *q;
    ck_assert_int_eq(gn_taskq_new(&q), 0);
    for (int i = 0; i < 1000; i++) {
        int *arg = malloc(sizeof *arg);
        ck_assert_ptr_nonnull(arg);
        *arg = i;
        ck_assert_int_eq(gn_taskq_push(q, task_nop, arg), 0);
    }
    gn_task_t t;
    for (int i = 0; i < 100; i++) {
        ck_assert(gn_taskq_pop(q, &t));
        ck_assert_int_eq(*(int *)t.arg, i);
        free(t.arg);
    }
    int drops = 0;
    /* Every remaining arg is freed by drop: ASan's leak check would see one miss. */
    gn_taskq_free(q, drop_in_order, &drops);
    ck_assert_int_eq(drops, 900);
}
END_TEST

struct tmpmc {
    gn_taskq_t *q;
    uint64_t per_producer;
    uint64_t total;
    atomic_uint_fast64_t popped;
    atomic_int bad;
    _Atomic(uint64_t) *seen;
    atomic_uint next_id;
};

static _Atomic(uint64_t) *g_task_seen;

static int task_mark(void *arg)
{
    return mark_seen(g_task_seen, (uint64_t)(uintptr_t)arg - 1);
}

static void *tmpmc_producer(void *arg)
{
    struct tmpmc *m = arg;
    uint64_t base = atomic_fetch_add(&m->next_id, 1) * m->per_producer;
    for (uint64_t s = 0; s < m->per_producer; s++)
        if (gn_taskq_push(m->q, task_mark, (void *)(uintptr_t)(base + s + 1)) != 0)
            atomic_store(&m->bad, 1);
    return NULL;
}

static void *tmpmc_consumer(void *arg)
{
    struct tmpmc *m = arg;
    double idle_since = 0;
    while (atomic_load(&m->popped) < m->total) {
        gn_task_t t;
        if (gn_taskq_pop(m->q, &t)) {
            idle_since = 0;
            if (t.fn(t.arg) != 0)
                atomic_store(&m->bad, 1); /* ran twice */
            atomic_fetch_add(&m->popped, 1);
            continue;
        }
        double now = now_s();
        if (idle_since == 0)
            idle_since = now;
        else if (now - idle_since > STALL_S) {
            atomic_store(&m->bad, 1);
            break;
        }
        sched_yield();
    }
    return NULL;
}

START_TEST(test_taskq_mpmc)
{
    enum { P = 4, C = 4 };
    struct tmpmc m = {.per_producer = (uint64_t)gn_test_scale(200000, 5)};
    m.total = P * m.per_producer;
    ck_assert_int_eq(gn_taskq_new(&m.q), 0);
    g_task_seen = calloc(m.total / 64 + 1, sizeof *g_task_seen);
    ck_assert_ptr_nonnull(g_task_seen);
    pthread_t th[P + C];
    for (int i = 0; i < C; i++)
        ck_assert_int_eq(pthread_create(&th[i], NULL, tmpmc_consumer, &m), 0);
    for (int i = 0; i < P; i++)
        ck_assert_int_eq(pthread_create(&th[C + i], NULL, tmpmc_producer, &m), 0);
    for (int i = 0; i < P + C; i++)
        pthread_join(th[i], NULL);
    ck_assert_int_eq(atomic_load(&m.bad), 0);
    ck_assert_uint_eq(atomic_load(&m.popped), m.total);
    for (uint64_t i = 0; i < m.total; i++)
        ck_assert(atomic_load(&g_task_seen[i >> 6]) >> (i & 63) & 1);
    gn_taskq_free(m.q, NULL, NULL);
    free(g_task_seen);
}
END_TEST

static Suite *queue_suite(void)
{
    Suite *s = suite_create("queue");
    TCase *basic = tcase_create("basic");
    tcase_add_test(basic, test_bad_input);
    tcase_add_test(basic, test_fifo_single_thread);
    tcase_add_test(basic, test_two_queues_interleaved);
    tcase_add_test(basic, test_free_with_items);
    tcase_add_test(basic, test_thread_exit_then_reuse);
    tcase_add_test(basic, test_steady_state_no_malloc);
    tcase_add_test(basic, test_scan_keeps_protected_nodes);
    suite_add_tcase(s, basic);

    TCase *conc = tcase_create("concurrent");
    tcase_add_test(conc, test_mpmc_1x1);
    tcase_add_test(conc, test_mpmc_1x4_4x1);
    tcase_add_test(conc, test_mpmc_8x8);
    tcase_add_test(conc, test_lone_scans_then_company);
    tcase_add_test(conc, test_mpmc_8x8_symmetric);
    tcase_add_test(conc, test_threads_come_and_go);
    tcase_add_test(conc, test_cross_thread_recycling);
    suite_add_tcase(s, conc);

    TCase *task = tcase_create("taskq");
    tcase_add_test(task, test_taskq_fifo);
    tcase_add_test(task, test_taskq_free_drops);
    tcase_add_test(task, test_taskq_mpmc);
    suite_add_tcase(s, task);

    suite_add_tcase(s, gn_test_mpscq_tcase()); /* test_mpscq.c */
    return s;
}

int main(void)
{
    return gn_test_run(queue_suite());
}
