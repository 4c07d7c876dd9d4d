/* Benchmark for gnet-queue: enqueue+dequeue pairs per second with P producer and
 * C consumer threads (1/1, 2/2, 4/4; then P/1 for the single-consumer task queue
 * gn_mpscq against gn_taskq, the MPMC queue and the mutex queue), against a
 * pthread-mutex linked queue with a
 * malloc per node and, when Concurrency Kit is installed, ck_fifo_mpmc (nodes
 * preallocated, never reclaimed: its best case) and ck_hp_fifo (hazard pointers,
 * malloc + free per node). Every implementation runs in the same process,
 * interleaved, several times; the median is reported with ratios, because only
 * ratios mean anything on a shared machine. The single-thread comparison runs
 * twice: alone, then with an idle thread holding a gnet record (gnet's scans
 * skip their membarrier only while no other thread holds one).
 *
 *   bench-queue                 the comparison (about 15 s)
 *   bench-queue -n ITEMS        items per run (default 2000000)
 *   bench-queue -i NAME         run only one implementation (for perf)
 *   bench-queue -c P            run only the P/P configuration
 *   bench-queue -s              run only the single-thread comparison
 *   bench-queue -v              print every run, not only the medians
 *   bench-queue -w W            at most W items in flight (default 16384; 0 =
 *                               unbounded: producers run ahead, the queue grows
 *                               and every implementation pays for new memory)
 *   bench-queue --pairs N       N single-thread enqueue+dequeue pairs in
 *                               gnet_pairs(), for:
 *       valgrind --tool=callgrind --toggle-collect=gnet_pairs bench-queue --pairs 1000000
 *   bench-queue --pairs N --idle-thread
 *                               the same with an idle thread holding a record
 *   (instructions per pair = Ir / N)
 */
#include <gnet/queue.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef HAVE_CK
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpedantic"
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wsign-conversion"
#pragma GCC diagnostic ignored "-Wcast-qual"
#include <ck_fifo.h>
#include <ck_hp.h>
#include <ck_hp_fifo.h>
#pragma GCC diagnostic pop
#endif

/* ---- implementations ------------------------------------------------------ */

typedef struct impl {
    const char *name;
    void *(*create)(size_t items, unsigned producers);
    void (*destroy)(void *q);
    /* Per-thread state (producer index, or consumers after the producers). */
    void *(*thread_init)(void *q, unsigned idx, int producer);
    void (*thread_fini)(void *ctx);
    void (*enq)(void *ctx, void *q, void *v);
    void *(*deq)(void *ctx, void *q);
    unsigned sections; /* which comparisons it takes part in (S_*) */
} impl_t;

/* S_SINGLE: one thread; S_MPMC: P producers / P consumers; S_MPSC: P / 1. */
enum { S_SINGLE = 1, S_MPMC = 2, S_MPSC = 4, S_ALL = 7 };

static void die(const char *what)
{
    fprintf(stderr, "bench-queue: %s failed\n", what);
    exit(1);
}

/* gnet */
static void *gq_create(size_t items, unsigned producers)
{
    (void)items, (void)producers;
    gn_queue_t *q;
    if (gn_queue_new(&q) != 0)
        die("gn_queue_new");
    return q;
}
static void gq_destroy(void *q)
{
    gn_queue_free(q);
}
static void *gq_tinit(void *q, unsigned idx, int producer)
{
    (void)idx, (void)producer;
    return q;
}
static void gq_tfini(void *ctx)
{
    (void)ctx;
    gn_queue_thread_exit();
}
static void gq_enq(void *ctx, void *q, void *v)
{
    (void)ctx;
    if (gn_queue_enqueue(q, v) != 0)
        die("gn_queue_enqueue");
}
static void *gq_deq(void *ctx, void *q)
{
    (void)ctx;
    return gn_queue_dequeue(q);
}

/* gn_taskq and gn_mpscq: the item travels as the task's arg. */
static int bench_task(void *arg)
{
    return arg != NULL;
}
static void *tq_create(size_t items, unsigned producers)
{
    (void)items, (void)producers;
    gn_taskq_t *q;
    if (gn_taskq_new(&q) != 0)
        die("gn_taskq_new");
    return q;
}
static void tq_destroy(void *q)
{
    gn_taskq_free(q, NULL, NULL);
}
static void tq_enq(void *ctx, void *q, void *v)
{
    (void)ctx;
    if (gn_taskq_push(q, bench_task, v) != 0)
        die("gn_taskq_push");
}
static void *tq_deq(void *ctx, void *q)
{
    (void)ctx;
    gn_task_t t;
    return gn_taskq_pop(q, &t) ? t.arg : NULL;
}
static void *sq_create(size_t items, unsigned producers)
{
    (void)items, (void)producers;
    gn_mpscq_t *q;
    if (gn_mpscq_new(&q) != 0)
        die("gn_mpscq_new");
    return q;
}
static void sq_destroy(void *q)
{
    gn_mpscq_free(q, NULL, NULL);
}
static void sq_enq(void *ctx, void *q, void *v)
{
    (void)ctx;
    if (gn_mpscq_push(q, bench_task, v) != 0)
        die("gn_mpscq_push");
}
static void *sq_deq(void *ctx, void *q)
{
    (void)ctx;
    gn_task_t t;
    return gn_mpscq_pop(q, &t) ? t.arg : NULL;
}

/* pthread mutex + malloc per node */
struct mnode {
    struct mnode *next;
    void *v;
};
struct mq {
    pthread_mutex_t mu;
    struct mnode *head, *tail;
};
static void *mq_create(size_t items, unsigned producers)
{
    (void)items, (void)producers;
    struct mq *q = calloc(1, sizeof *q);
    if (q == NULL)
        die("calloc");
    pthread_mutex_init(&q->mu, NULL);
    return q;
}
static void mq_destroy(void *p)
{
    struct mq *q = p;
    for (struct mnode *n = q->head, *next; n != NULL; n = next) {
        next = n->next;
        free(n);
    }
    pthread_mutex_destroy(&q->mu);
    free(q);
}
static void mq_tfini(void *ctx)
{
    (void)ctx;
}
static void mq_enq(void *ctx, void *p, void *v)
{
    (void)ctx;
    struct mq *q = p;
    struct mnode *n = malloc(sizeof *n);
    if (n == NULL)
        die("malloc");
    n->next = NULL;
    n->v = v;
    pthread_mutex_lock(&q->mu);
    if (q->tail != NULL)
        q->tail->next = n;
    else
        q->head = n;
    q->tail = n;
    pthread_mutex_unlock(&q->mu);
}
static void *mq_deq(void *ctx, void *p)
{
    (void)ctx;
    struct mq *q = p;
    pthread_mutex_lock(&q->mu);
    struct mnode *n = q->head;
    if (n != NULL) {
        q->head = n->next;
        if (q->head == NULL)
            q->tail = NULL;
    }
    pthread_mutex_unlock(&q->mu);
    if (n == NULL)
        return NULL;
    void *v = n->v;
    free(n);
    return v;
}

#ifdef HAVE_CK
/* ck_fifo_mpmc: needs type-stable nodes (dequeued nodes may still be read), so
 * every enqueue uses a fresh node from a prefaulted per-producer arena that is
 * freed after the run. */
struct ckq {
    struct ck_fifo_mpmc fifo;
    ck_fifo_mpmc_entry_t *arena;
    size_t per_producer;
    ck_fifo_mpmc_entry_t stub;
};
struct ckctx {
    struct ckq *q;
    ck_fifo_mpmc_entry_t *next;
    ck_fifo_mpmc_entry_t *recycled; /* single-thread mode: last dequeue's garbage */
};
static void *ckq_create(size_t items, unsigned producers)
{
    struct ckq *q = aligned_alloc(64, (sizeof *q + 63) / 64 * 64);
    if (q == NULL)
        die("aligned_alloc");
    q->per_producer = items / producers + 1;
    q->arena = aligned_alloc(64, (q->per_producer * producers * sizeof *q->arena + 63) / 64 * 64);
    if (q->arena == NULL)
        die("aligned_alloc");
    memset(q->arena, 0, q->per_producer * producers * sizeof *q->arena);
    ck_fifo_mpmc_init(&q->fifo, &q->stub);
    return q;
}
static void ckq_destroy(void *p)
{
    struct ckq *q = p;
    free(q->arena);
    free(q);
}
static void *ckq_tinit(void *p, unsigned idx, int producer)
{
    struct ckctx *c = malloc(sizeof *c);
    if (c == NULL)
        die("malloc");
    c->q = p;
    c->next = producer ? c->q->arena + (size_t)idx * c->q->per_producer : NULL;
    c->recycled = NULL;
    return c;
}
static void ckq_tfini(void *ctx)
{
    free(ctx);
}
static void ckq_enq(void *ctx, void *q, void *v)
{
    struct ckctx *c = ctx;
    ck_fifo_mpmc_entry_t *e = c->recycled != NULL ? c->recycled : c->next++;
    c->recycled = NULL;
    ck_fifo_mpmc_enqueue(&((struct ckq *)q)->fifo, e, v);
}
/* A thread that both enqueues and dequeues reuses the garbage node it gets back,
 * as Concurrency Kit's own tests do (generation counters make that ABA-safe). */
static void *ckq_deq(void *ctx, void *q)
{
    struct ckctx *c = ctx;
    void *v;
    ck_fifo_mpmc_entry_t *garbage;
    if (!ck_fifo_mpmc_dequeue(&((struct ckq *)q)->fifo, &v, &garbage))
        return NULL;
    c->recycled = garbage;
    return v;
}

/* ck_hp_fifo: hazard pointers, malloc per node, free through ck_hp_free. */
struct hpq {
    ck_hp_t hp;
    struct ck_hp_fifo fifo;
};
struct hpctx {
    ck_hp_record_t rec;
    void *slots[CK_HP_FIFO_SLOTS_COUNT];
};
static void hp_destructor(void *p)
{
    free(p);
}
static void *hpq_create(size_t items, unsigned producers)
{
    (void)items, (void)producers;
    struct hpq *q = aligned_alloc(64, (sizeof *q + 63) / 64 * 64);
    ck_hp_fifo_entry_t *stub = malloc(sizeof *stub);
    if (q == NULL || stub == NULL)
        die("malloc");
    ck_hp_init(&q->hp, CK_HP_FIFO_SLOTS_COUNT, 64, hp_destructor);
    ck_hp_fifo_init(&q->fifo, stub);
    return q;
}
static void hpq_destroy(void *p)
{
    struct hpq *q = p;
    ck_hp_fifo_entry_t *stub;
    ck_hp_fifo_deinit(&q->fifo, &stub);
    while (stub != NULL) {
        ck_hp_fifo_entry_t *next = stub->next;
        free(stub);
        stub = next;
    }
    free(q);
}
static void *hpq_tinit(void *p, unsigned idx, int producer)
{
    (void)idx, (void)producer;
    struct hpq *q = p;
    struct hpctx *c = aligned_alloc(64, (sizeof *c + 63) / 64 * 64);
    if (c == NULL)
        die("aligned_alloc");
    memset(c, 0, sizeof *c);
    ck_hp_register(&q->hp, &c->rec, c->slots);
    return c;
}
static void hpq_tfini(void *ctx)
{
    struct hpctx *c = ctx;
    ck_hp_clear(&c->rec);
    ck_hp_purge(&c->rec); /* frees every pending node (waits for hazards) */
    ck_hp_unregister(&c->rec);
    /* Unregistered records stay on ck's subscriber list: leaked on purpose. */
}
static void hpq_enq(void *ctx, void *q, void *v)
{
    struct hpctx *c = ctx;
    ck_hp_fifo_entry_t *e = malloc(sizeof *e);
    if (e == NULL)
        die("malloc");
    ck_hp_fifo_enqueue_mpmc(&c->rec, &((struct hpq *)q)->fifo, e, v);
}
static void *hpq_deq(void *ctx, void *q)
{
    struct hpctx *c = ctx;
    void *v;
    ck_hp_fifo_entry_t *e = ck_hp_fifo_dequeue_mpmc(&c->rec, &((struct hpq *)q)->fifo, &v);
    if (e == NULL)
        return NULL;
    ck_hp_free(&c->rec, &e->hazard, e, e);
    return v;
}
#endif

/* "gnet" first (the MPMC ratios are against it), then gn_mpscq (IMPL_MPSCQ, the
 * single-consumer ratios' reference). gn_mpscq allows one consumer only, so it
 * stays out of the P/P comparison. */
static const impl_t impls[] = {
    {"gnet", gq_create, gq_destroy, gq_tinit, gq_tfini, gq_enq, gq_deq, S_ALL},
    {"gn_mpscq", sq_create, sq_destroy, gq_tinit, gq_tfini, sq_enq, sq_deq, S_SINGLE | S_MPSC},
    {"gn_taskq", tq_create, tq_destroy, gq_tinit, gq_tfini, tq_enq, tq_deq, S_SINGLE | S_MPSC},
    {"mutex+malloc", mq_create, mq_destroy, gq_tinit, mq_tfini, mq_enq, mq_deq, S_ALL},
#ifdef HAVE_CK
    {"ck_fifo_mpmc", ckq_create, ckq_destroy, ckq_tinit, ckq_tfini, ckq_enq, ckq_deq,
     S_SINGLE | S_MPMC},
    {"ck_hp_fifo", hpq_create, hpq_destroy, hpq_tinit, hpq_tfini, hpq_enq, hpq_deq,
     S_SINGLE | S_MPMC},
#endif
};
enum { NIMPL = sizeof impls / sizeof impls[0], IMPL_MPSCQ = 1 };

/* ---- the run --------------------------------------------------------------- */

struct run {
    const impl_t *im;
    void *q;
    unsigned producers, consumers;
    size_t per_producer, total;
    atomic_size_t consumed;
    atomic_size_t produced;
    size_t window; /* max items in flight; 0 = unbounded */
    atomic_uint ready;
    atomic_int go;
    atomic_uint next_idx;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void start_line(struct run *r)
{
    atomic_fetch_add(&r->ready, 1);
    while (!atomic_load_explicit(&r->go, memory_order_acquire))
        sched_yield();
}

static void *producer(void *arg)
{
    struct run *r = arg;
    unsigned idx = atomic_fetch_add(&r->next_idx, 1);
    void *ctx = r->im->thread_init(r->q, idx, 1);
    start_line(r);
    uintptr_t base = ((uintptr_t)idx << 40) + 1;
    for (size_t i = 0; i < r->per_producer; i++) {
        if (r->window != 0 && (i & 63) == 0) {
            /* Bounded queue: the steady state of a real producer/consumer pair. */
            size_t p = atomic_fetch_add_explicit(&r->produced, 64, memory_order_relaxed);
            while (p > atomic_load_explicit(&r->consumed, memory_order_relaxed) + r->window)
                sched_yield();
        }
        r->im->enq(ctx, r->q, (void *)(base + i));
    }
    r->im->thread_fini(ctx);
    return NULL;
}

/* Same waiting policy for every implementation: spin a little on empty, then
 * yield (there are more threads than cores at 2/2 and 4/4). */
static void *consumer(void *arg)
{
    struct run *r = arg;
    void *ctx = r->im->thread_init(r->q, 0, 0);
    start_line(r);
    size_t local = 0;
    unsigned misses = 0;
    while (atomic_load_explicit(&r->consumed, memory_order_relaxed) < r->total) {
        if (r->im->deq(ctx, r->q) != NULL) {
            misses = 0;
            if (++local == 256) {
                atomic_fetch_add_explicit(&r->consumed, local, memory_order_relaxed);
                local = 0;
            }
            continue;
        }
        if (local > 0) {
            atomic_fetch_add_explicit(&r->consumed, local, memory_order_relaxed);
            local = 0;
        }
        if (++misses > 64)
            sched_yield();
    }
    r->im->thread_fini(ctx);
    return NULL;
}

/* Returns pairs per second. */
static int g_verbose;

static double run_once(const impl_t *im, unsigned p, unsigned c, size_t items, size_t window)
{
    struct run r = {
        .im = im, .producers = p, .consumers = c, .per_producer = items / p, .window = window};
    r.total = r.per_producer * p;
    r.q = im->create(r.total, p);
    pthread_t th[16];
    for (unsigned i = 0; i < p; i++)
        if (pthread_create(&th[i], NULL, producer, &r) != 0)
            die("pthread_create");
    for (unsigned i = 0; i < c; i++)
        if (pthread_create(&th[p + i], NULL, consumer, &r) != 0)
            die("pthread_create");
    while (atomic_load(&r.ready) < p + c)
        sched_yield();
    double t0 = now_s();
    atomic_store_explicit(&r.go, 1, memory_order_release);
    for (unsigned i = 0; i < p + c; i++)
        pthread_join(th[i], NULL);
    double dt = now_s() - t0;
    im->destroy(r.q);
    if (g_verbose)
        printf("    %s %u/%u: %.2f M pairs/s\n", im->name, p, c, (double)r.total / dt / 1e6);
    return (double)r.total / dt;
}

/* One thread, enqueue then dequeue, n times: the uncontended cost of a pair. */
static double run_single(const impl_t *im, size_t n)
{
    void *q = im->create(n, 1);
    void *ctx = im->thread_init(q, 0, 1);
    double t0 = now_s();
    for (size_t i = 1; i <= n; i++) {
        im->enq(ctx, q, (void *)i);
        if (im->deq(ctx, q) != (void *)i)
            die("single-thread pair");
    }
    double dt = now_s() - t0;
    im->thread_fini(ctx);
    im->destroy(q);
    return (double)n / dt;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* A thread that takes a gnet hazard-pointer record (one enqueue and dequeue)
 * and keeps it, idle, until told to go. State: 0 starting, 1 holding, 2 go. */
static pthread_mutex_t g_by_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_by_cv = PTHREAD_COND_INITIALIZER;
static int g_by_state;

static void bystander_set(int state)
{
    pthread_mutex_lock(&g_by_mu);
    g_by_state = state;
    pthread_cond_broadcast(&g_by_cv);
    pthread_mutex_unlock(&g_by_mu);
}

static void bystander_wait(int state)
{
    pthread_mutex_lock(&g_by_mu);
    while (g_by_state != state)
        pthread_cond_wait(&g_by_cv, &g_by_mu);
    pthread_mutex_unlock(&g_by_mu);
}

static void *bystander(void *arg)
{
    if (gn_queue_enqueue(arg, (void *)1) != 0 || gn_queue_dequeue(arg) != (void *)1)
        die("bystander");
    bystander_set(1);
    bystander_wait(2);
    gn_queue_thread_exit();
    return NULL;
}

/* Starts the bystander on a queue of its own; bystander_stop ends it. */
static gn_queue_t *bystander_start(pthread_t *t)
{
    gn_queue_t *q;
    if (gn_queue_new(&q) != 0)
        die("gn_queue_new");
    if (pthread_create(t, NULL, bystander, q) != 0)
        die("pthread_create");
    bystander_wait(1);
    return q;
}

static void bystander_stop(pthread_t t, gn_queue_t *q)
{
    bystander_set(2);
    pthread_join(t, NULL);
    g_by_state = 0;
    gn_queue_free(q);
}

/* ---- single-thread pairs for callgrind ------------------------------------ */

__attribute__((noinline)) void gnet_pairs(gn_queue_t *q, size_t n);
__attribute__((noinline)) void gnet_pairs(gn_queue_t *q, size_t n)
{
    for (size_t i = 1; i <= n; i++) {
        if (gn_queue_enqueue(q, (void *)i) != 0 || gn_queue_dequeue(q) != (void *)i)
            die("pair");
    }
}

static int pairs_mode(size_t n, int idle_thread)
{
    pthread_t bt;
    gn_queue_t *bq = idle_thread ? bystander_start(&bt) : NULL;
    gn_queue_t *q;
    if (gn_queue_new(&q) != 0)
        die("gn_queue_new");
    gnet_pairs(q, 10000); /* warm: records, caches (collected too, 1% of N) */
    double t0 = now_s();
    gnet_pairs(q, n);
    double dt = now_s() - t0;
    printf("gnet single-thread: %zu pairs, %.1f ns/pair (run under callgrind for Ir)\n", n,
           dt * 1e9 / (double)n);
    gn_queue_free(q);
    if (bq != NULL)
        bystander_stop(bt, bq);
    return 0;
}

enum { REPS = 5 };

/* Prints each implementation's median and the ratio of impls[ref]'s median to
 * it; returns impls[ref]'s. */
static double print_medians(double res[NIMPL][REPS], unsigned ref)
{
    double med[NIMPL];
    for (unsigned i = 0; i < NIMPL; i++) {
        qsort(res[i], REPS, sizeof res[i][0], cmp_double);
        med[i] = res[i][REPS / 2];
    }
    for (unsigned i = 0; i < NIMPL; i++)
        if (med[i] > 0) /* 0: not run (-i, or not in this comparison) */
            printf("  %-14s %8.2f M pairs/s   %s/this = %.2fx\n", impls[i].name, med[i] / 1e6,
                   impls[ref].name, med[ref] > 0 ? med[ref] / med[i] : 0.0);
    return med[ref];
}

static int skip(const impl_t *im, const char *only, unsigned section)
{
    return !(im->sections & section) || (only != NULL && strcmp(only, im->name) != 0);
}

static void single_section(const char *title, const char *only, size_t items)
{
    double res[NIMPL][REPS];
    for (int rep = 0; rep < REPS; rep++)
        for (unsigned i = 0; i < NIMPL; i++)
            res[i][rep] = skip(&impls[i], only, S_SINGLE) ? 0 : run_single(&impls[i], items);
    printf("%s\n", title);
    print_medians(res, 0);
}

int main(int argc, char **argv)
{
    size_t items = 2000000;
    const char *only = NULL;
    unsigned only_cfg = 0;
    size_t window = 16384, pairs = 0;
    int idle_thread = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-w") == 0 && i + 1 < argc)
            window = strtoull(argv[++i], NULL, 0);
        if (strcmp(argv[i], "-v") == 0)
            g_verbose = 1;
        if (strcmp(argv[i], "-s") == 0)
            only_cfg = 1000; /* no P/P configuration: single thread only */
        if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
            only_cfg = (unsigned)atoi(argv[++i]);
        if (strcmp(argv[i], "-i") == 0 && i + 1 < argc)
            only = argv[++i];
        if (strcmp(argv[i], "--pairs") == 0 && i + 1 < argc)
            pairs = strtoull(argv[++i], NULL, 0);
        if (strcmp(argv[i], "--idle-thread") == 0)
            idle_thread = 1;
        if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
            items = strtoull(argv[++i], NULL, 0);
    }
    if (pairs != 0)
        return pairs_mode(pairs, idle_thread);
    static const unsigned cfg[][2] = {{1, 1}, {2, 2}, {4, 4}};
    printf("queue bench: %zu items per run, at most %zu in flight (0: unbounded), median of %d "
           "interleaved runs\n",
           items, window, REPS);
    double gnet_med[3] = {0};
    if (only_cfg == 0 || only_cfg == 1000) {
        single_section("single thread (enqueue then dequeue):", only, items);
        /* The same with another thread holding a gnet record: then gnet's scans
         * cannot skip the membarrier, as in any program where several threads
         * use queues (the row above is a process where only one does). */
        pthread_t bt;
        gn_queue_t *bq = bystander_start(&bt);
        single_section("single thread, an idle thread holding a gnet record:", only, items);
        bystander_stop(bt, bq);
    }
    for (unsigned k = 0; k < 3; k++) {
        if (only_cfg != 0 && cfg[k][0] != only_cfg)
            continue;
        double res[NIMPL][REPS];
        for (int rep = 0; rep < REPS; rep++)
            for (unsigned i = 0; i < NIMPL; i++)
                res[i][rep] = skip(&impls[i], only, S_MPMC)
                                  ? 0
                                  : run_once(&impls[i], cfg[k][0], cfg[k][1], items, window);
        printf("%u producers / %u consumers:\n", cfg[k][0], cfg[k][1]);
        gnet_med[k] = print_medians(res, 0);
    }
    /* The single-consumer comparison: P producers into one consumer. */
    for (unsigned k = 0; k < 3; k++) {
        if (only_cfg != 0 && cfg[k][0] != only_cfg)
            continue;
        double res[NIMPL][REPS];
        for (int rep = 0; rep < REPS; rep++)
            for (unsigned i = 0; i < NIMPL; i++)
                res[i][rep] = skip(&impls[i], only, S_MPSC)
                                  ? 0
                                  : run_once(&impls[i], cfg[k][0], 1, items, window);
        printf("%u producers / 1 consumer:\n", cfg[k][0]);
        print_medians(res, IMPL_MPSCQ);
    }
    if (only_cfg == 0)
        printf("gnet 4/4 vs its own 2/2: %.2fx\n", gnet_med[2] / gnet_med[1]);
    return 0;
}
