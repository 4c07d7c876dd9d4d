/* gnet-pool benchmark.
 *
 * 1. Tiny-task throughput: N tasks that bump a counter, submitted from 1 and 2
 *    threads into pools of 1 and 2 workers: gnet-pool, GLib's GThreadPool (when
 *    built with HAVE_GLIB) and a naive mutex+condvar pool with a malloc'd node per
 *    task. The clock stops when the last task has run.
 * 2. Byte pool: get+put pairs per second at 512 B, 4 KiB, 64 KiB and 256 KiB,
 *    one at a time and in batches of 64, against malloc+free.
 *
 * Every measurement is repeated (interleaved) and the median is printed, with the
 * ratio against the peers of the same run: on a shared machine only those mean
 * anything. Usage: bench-pool [tasks-per-run] (default 300000).
 */
#include <gnet/bytepool.h>
#include <gnet/pool.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef HAVE_GLIB
#include <glib.h>
#endif

#define REPS 5

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v)
{
    double s[REPS];
    memcpy(s, v, sizeof s);
    qsort(s, REPS, sizeof s[0], cmp_double);
    return s[REPS / 2];
}

/* ---- tiny tasks ----------------------------------------------------------- */

static atomic_long counter;

static void tiny(void *arg)
{
    (void)arg;
    atomic_fetch_add_explicit(&counter, 1, memory_order_relaxed);
}

static void wait_counter(long n)
{
    while (atomic_load_explicit(&counter, memory_order_acquire) < n)
        sched_yield();
}

/* A naive pool: one mutex, one condvar, a linked list with a malloc per task. */
typedef struct naive_node {
    struct naive_node *next;
    void (*fn)(void *);
    void *arg;
} naive_node_t;

typedef struct naive {
    pthread_mutex_t lock;
    pthread_cond_t cv;
    naive_node_t *head, *tail;
    int stop, nthreads;
    pthread_t threads[8];
} naive_t;

static void *naive_worker(void *arg)
{
    naive_t *p = arg;
    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (p->head == NULL && !p->stop)
            pthread_cond_wait(&p->cv, &p->lock);
        if (p->head == NULL)
            break;
        naive_node_t *n = p->head;
        p->head = n->next;
        if (p->head == NULL)
            p->tail = NULL;
        pthread_mutex_unlock(&p->lock);
        n->fn(n->arg);
        free(n);
        pthread_mutex_lock(&p->lock);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

static void naive_start(naive_t *p, int workers)
{
    memset(p, 0, sizeof *p);
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->cv, NULL);
    p->nthreads = workers;
    for (int i = 0; i < workers; i++)
        pthread_create(&p->threads[i], NULL, naive_worker, p);
}

static void naive_submit(naive_t *p, void (*fn)(void *), void *arg)
{
    naive_node_t *n = malloc(sizeof *n);
    n->next = NULL;
    n->fn = fn;
    n->arg = arg;
    pthread_mutex_lock(&p->lock);
    if (p->tail != NULL)
        p->tail->next = n;
    else
        p->head = n;
    p->tail = n;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->lock);
}

static void naive_stop(naive_t *p)
{
    pthread_mutex_lock(&p->lock);
    p->stop = 1;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->lock);
    for (int i = 0; i < p->nthreads; i++)
        pthread_join(p->threads[i], NULL);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->lock);
}

enum impl { GNET, NAIVE, GLIB, NIMPL };
static const char *impl_name[NIMPL] = {"gnet-pool", "naive", "GThreadPool"};

typedef struct run {
    enum impl impl;
    void *pool;
    long n;
    pthread_barrier_t *start;
} run_t;

#ifdef HAVE_GLIB
static void glib_tiny(gpointer data, gpointer udata)
{
    (void)data;
    (void)udata;
    atomic_fetch_add_explicit(&counter, 1, memory_order_relaxed);
}
#endif

static void *submitter(void *arg)
{
    run_t *r = arg;
    pthread_barrier_wait(r->start);
    for (long i = 0; i < r->n; i++) {
        switch (r->impl) {
        case GNET:
            gn_pool_submit(r->pool, tiny, NULL);
            break;
        case NAIVE:
            naive_submit(r->pool, tiny, NULL);
            break;
        case GLIB:
#ifdef HAVE_GLIB
            g_thread_pool_push(r->pool, GINT_TO_POINTER(1), NULL);
#endif
            break;
        default:
            break;
        }
    }
    return NULL;
}

static void *make_pool(enum impl impl, int workers)
{
    if (impl == GNET) {
        /* The peers' queues are unbounded: give this one room for a whole run. */
        gn_pool_options_t o = {
            .capacity = (unsigned)workers, .queue_size = 1u << 16, .prealloc = true};
        gn_pool_t *p = NULL;
        return gn_pool_new(&p, &o) == 0 ? p : NULL;
    }
    if (impl == NAIVE) {
        naive_t *p = malloc(sizeof *p);
        naive_start(p, workers);
        return p;
    }
#ifdef HAVE_GLIB
    return g_thread_pool_new(glib_tiny, NULL, workers, TRUE, NULL);
#else
    return NULL;
#endif
}

static void free_pool(enum impl impl, void *pool)
{
    if (impl == GNET) {
        gn_pool_free(pool);
    } else if (impl == NAIVE) {
        naive_stop(pool);
        free(pool);
    } else {
#ifdef HAVE_GLIB
        g_thread_pool_free(pool, FALSE, TRUE);
#endif
    }
}

/* Tasks per second for one configuration. */
static double tasks_run(enum impl impl, int workers, int subs, long n)
{
    void *pool = make_pool(impl, workers);
    if (pool == NULL)
        return 0;
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, (unsigned)subs + 1);
    pthread_t t[2];
    run_t r = {impl, pool, n / subs, &start};
    atomic_store(&counter, 0);
    for (int i = 0; i < subs; i++)
        pthread_create(&t[i], NULL, submitter, &r);
    pthread_barrier_wait(&start);
    double t0 = now_s();
    wait_counter(r.n * subs);
    double dt = now_s() - t0;
    for (int i = 0; i < subs; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&start);
    free_pool(impl, pool);
    return (double)(r.n * subs) / dt;
}

static int nimpl(void)
{
#ifdef HAVE_GLIB
    return NIMPL;
#else
    return NIMPL - 1;
#endif
}

static void bench_tasks(long n)
{
    printf("tiny tasks, %ld per run, median of %d (M tasks/s; ratio = gnet-pool / peer)\n", n,
           REPS);
    printf("  %-7s %-7s %10s %10s %12s %10s %12s\n", "submit", "workers", "gnet-pool", "naive",
           "GThreadPool", "/naive", "/GThreadPool");
    for (int subs = 1; subs <= 2; subs++) {
        for (int workers = 1; workers <= 2; workers++) {
            double v[NIMPL][REPS] = {{0}}, m[NIMPL] = {0};
            for (int rep = 0; rep < REPS; rep++)
                for (int i = 0; i < nimpl(); i++)
                    v[i][rep] = tasks_run((enum impl)i, workers, subs, n);
            for (int i = 0; i < nimpl(); i++)
                m[i] = median(v[i]);
            printf("  %-7d %-7d %10.2f %10.2f %12.2f %9.2fx", subs, workers, m[GNET] / 1e6,
                   m[NAIVE] / 1e6, m[GLIB] / 1e6, m[GNET] / m[NAIVE]);
            if (m[GLIB] > 0)
                printf(" %11.2fx\n", m[GNET] / m[GLIB]);
            else
                printf(" %12s\n", "n/a");
        }
    }
    (void)impl_name;
}

/* ---- byte pool ------------------------------------------------------------ */

static void *volatile sink;

enum { BATCH = 64 };

static void *alloc_one(int pooled, size_t n)
{
    void *p = pooled ? gn_bytes_get(n) : malloc(n);
    ((volatile char *)p)[0] = 1; /* touch it so neither can be optimized away */
    sink = p;
    return p;
}

static void free_one(int pooled, void *p)
{
    if (pooled)
        gn_bytes_put(p);
    else
        free(p);
}

/* Pairs per second over about 0.15 s. */
static double bytes_run(int pooled, size_t n, int batch)
{
    void *b[BATCH];
    long pairs = 0;
    double t0 = now_s(), t1;
    do {
        for (int r = 0; r < 256; r++) {
            for (int i = 0; i < batch; i++)
                b[i] = alloc_one(pooled, n);
            for (int i = 0; i < batch; i++)
                free_one(pooled, b[i]);
        }
        pairs += 256L * batch;
        t1 = now_s();
    } while (t1 - t0 < 0.15);
    return (double)pairs / (t1 - t0);
}

/* A fixed number of pairs for callgrind (GN_BENCH_BYTES=size:batch): warm up with
 * two rounds, then count the instructions of bytes_fixed alone with
 * valgrind --tool=callgrind --toggle-collect=bytes_fixed: per pair = Ir / pairs. */
__attribute__((noinline)) static void bytes_fixed(size_t n, int batch, long rounds)
{
    void *b[BATCH];
    for (long r = 0; r < rounds; r++) {
        for (int i = 0; i < batch; i++)
            b[i] = alloc_one(1, n);
        for (int i = 0; i < batch; i++)
            free_one(1, b[i]);
    }
}

static void bench_bytes_fixed(const char *spec, long pairs)
{
    size_t n = (size_t)strtoul(spec, NULL, 0);
    const char *colon = strchr(spec, ':');
    int batch = colon != NULL ? atoi(colon + 1) : 1;
    if (n == 0 || batch < 1 || batch > BATCH) {
        fprintf(stderr, "GN_BENCH_BYTES=size[:batch], batch 1..%d\n", BATCH);
        exit(2);
    }
    long rounds = pairs / batch > 0 ? pairs / batch : 1;
    bytes_fixed(n, batch, 2);
    double t0 = now_s();
    bytes_fixed(n, batch, rounds);
    double ns = (now_s() - t0) * 1e9 / (double)(rounds * batch);
    printf("bytes %zu batch %d: %ld pairs, %.1f ns per pair\n", n, batch, rounds * batch, ns);
}

static void bench_bytes(void)
{
    static const size_t sizes[] = {512, 4096, 65536, 262144};
    printf("\nbyte pool get+put pairs, median of %d (ns per pair; ratio = malloc / gnet)\n", REPS);
    printf("  %-8s %-6s %10s %12s %8s\n", "size", "batch", "gn_bytes", "malloc+free", "ratio");
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        for (int batch = 1; batch <= BATCH; batch += BATCH - 1) {
            double g[REPS], m[REPS];
            bytes_run(1, sizes[s], batch); /* warm the caches */
            for (int rep = 0; rep < REPS; rep++) {
                g[rep] = bytes_run(1, sizes[s], batch);
                m[rep] = bytes_run(0, sizes[s], batch);
            }
            double gns = 1e9 / median(g), mns = 1e9 / median(m);
            printf("  %-8zu %-6d %10.1f %12.1f %7.1fx\n", sizes[s], batch, gns, mns, mns / gns);
        }
    }
    gn_bytes_trim();
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 300000;
    const char *only = getenv("GN_BENCH_ONLY");
    if (n <= 0)
        n = 300000;
    /* GN_BENCH_ONLY=gnet|naive|glib runs just that pool, 1 submitter x 1 worker
     * (for callgrind: instructions per task = total / n); GN_BENCH_ONLY=bytes
     * runs just the byte pool table (for strace). */
    const char *bytes = getenv("GN_BENCH_BYTES");
    if (bytes != NULL) {
        bench_bytes_fixed(bytes, n);
        return 0;
    }
    if (only != NULL && strcmp(only, "bytes") == 0) {
        bench_bytes();
        return 0;
    }
    if (only != NULL) {
        enum impl i = strcmp(only, "glib") == 0 ? GLIB : strcmp(only, "naive") == 0 ? NAIVE : GNET;
        printf("%s: %.2f M tasks/s\n", only, tasks_run(i, 1, 1, n) / 1e6);
        return 0;
    }
    bench_tasks(n);
    bench_bytes();
    return 0;
}
