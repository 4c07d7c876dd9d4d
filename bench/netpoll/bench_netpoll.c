/* Benchmark of gnet-netpoll's task trigger against libuv's cross-thread path
 * (uv_async_send plus a mutex-protected task vector, the usual libuv idiom):
 *   - throughput: tasks/s from 1 and 2 producer threads into one polling thread;
 *   - wake-up latency: one task at a time into an idle (blocked) poller, time
 *     from trigger to the task running, p50 and p99.
 * Runs are interleaved and repeated; the medians and the ratios are printed.
 * On a shared machine only the ratios of one run mean anything. The timer
 * benchmark (bench_timers.c) follows; `bench-netpoll timers` runs it alone. */
#include "bench_netpoll.h"

#include <gnet/netpoll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef HAVE_LIBUV
#include <uv.h>
#endif

#define REPEATS     5
#define LAT_SAMPLES 20000

static long tasks_total = 2000000;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t now_ns(void)
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

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* ---- a generic harness: start the consumer, run producers, time it ------- */

typedef struct impl {
    const char *name;
    void (*setup)(void);
    void *(*consumer)(void *);
    void (*submit)(uint64_t arg); /* from a producer */
    void (*teardown)(void);
} impl_t;

static const impl_t *cur;
static long per_producer;
static long n_producers;
static atomic_int go;
static long done; /* consumer thread only */

static void *producer(void *arg)
{
    (void)arg;
    while (!atomic_load(&go))
        sched_yield();
    for (long i = 0; i < per_producer; i++)
        cur->submit(0);
    return NULL;
}

static double run_throughput(const impl_t *im, int producers)
{
    cur = im;
    per_producer = tasks_total / producers;
    n_producers = producers;
    done = 0;
    atomic_store(&go, 0);
    im->setup();
    pthread_t cons, prod[2];
    pthread_create(&cons, NULL, im->consumer, NULL);
    for (int i = 0; i < producers; i++)
        pthread_create(&prod[i], NULL, producer, NULL);
    double t0 = now_s();
    atomic_store(&go, 1);
    for (int i = 0; i < producers; i++)
        pthread_join(prod[i], NULL);
    pthread_join(cons, NULL);
    double t = now_s() - t0;
    im->teardown();
    return (double)(per_producer * producers) / t;
}

/* Latency: the consumer runs each task into an idle loop; the task stores the
 * delay and acknowledges, and the producer waits for the acknowledgment. The
 * samples of the interleaved runs of one implementation are pooled. */
#define LAT_CHUNK (LAT_SAMPLES / REPEATS)
static uint64_t *lat;
static _Atomic uint64_t sent_at;
static atomic_int acked;
static long lat_n;

static void lat_run_task(void)
{
    lat[lat_n++] = now_ns() - atomic_load(&sent_at);
    atomic_store(&acked, 1);
}

static void run_latency(const impl_t *im, uint64_t *samples)
{
    cur = im;
    per_producer = LAT_CHUNK;
    n_producers = 1;
    done = 0;
    lat = samples;
    lat_n = 0;
    im->setup();
    pthread_t cons;
    pthread_create(&cons, NULL, im->consumer, NULL);
    for (long i = 0; i < LAT_CHUNK; i++) {
        /* Let the consumer go back to sleep so that each sample is a wake-up. */
        struct timespec pause = {0, 20000};
        nanosleep(&pause, NULL);
        atomic_store(&acked, 0);
        atomic_store(&sent_at, now_ns());
        im->submit(1);
        while (!atomic_load(&acked))
            sched_yield();
    }
    pthread_join(cons, NULL);
    im->teardown();
}

/* ---- gnet-netpoll ------------------------------------------------------------ */

static gn_poller_t *poller;
static long expected;

static int gn_task(void *arg)
{
    if (arg != NULL)
        lat_run_task();
    return ++done == expected ? GN_POLL_STOP : 0;
}

static void gn_setup(void)
{
    if (gn_poller_open(&poller) != 0)
        abort();
    expected = per_producer * n_producers;
}

static void *gn_consumer(void *arg)
{
    (void)arg;
    if (gn_poller_polling(poller) != 0)
        abort();
    return NULL;
}

static void gn_submit(uint64_t lat_task)
{
    if (gn_poller_trigger(poller, GN_PRIO_LOW, gn_task, lat_task ? (void *)1 : NULL) != 0)
        abort();
}

static void gn_teardown(void)
{
    gn_poller_close(poller);
}

static const impl_t gn_impl = {"gnet-netpoll", gn_setup, gn_consumer, gn_submit, gn_teardown};

#ifdef HAVE_LIBUV
/* ---- libuv: uv_async_send + a mutex-protected vector --------------------------- */

typedef struct uv_task {
    int (*fn)(void *);
    void *arg;
} uv_task_t;

static uv_loop_t uvloop;
static uv_async_t uvasync;
static uv_mutex_t uvmu;
static uv_task_t *pending, *spare;
static size_t pending_n, pending_cap, spare_cap;

static int uv_task_fn(void *arg)
{
    if (arg != NULL)
        lat_run_task();
    return ++done == expected;
}

static void uv_on_async(uv_async_t *h)
{
    /* Swap the vectors under the lock, run the tasks outside it. */
    uv_mutex_lock(&uvmu);
    uv_task_t *run = pending;
    size_t n = pending_n, cap = pending_cap;
    pending = spare;
    pending_cap = spare_cap;
    pending_n = 0;
    uv_mutex_unlock(&uvmu);
    int stop = 0;
    for (size_t i = 0; i < n; i++)
        stop |= run[i].fn(run[i].arg);
    spare = run;
    spare_cap = cap;
    if (stop)
        uv_close((uv_handle_t *)h, NULL);
}

static void uv_setup(void)
{
    expected = per_producer * n_producers;
    uv_loop_init(&uvloop);
    uv_async_init(&uvloop, &uvasync, uv_on_async);
    uv_mutex_init(&uvmu);
    pending = spare = NULL;
    pending_n = pending_cap = spare_cap = 0;
}

static void *uv_consumer(void *arg)
{
    (void)arg;
    uv_run(&uvloop, UV_RUN_DEFAULT);
    return NULL;
}

static void uv_submit(uint64_t lat_task)
{
    uv_mutex_lock(&uvmu);
    if (pending_n == pending_cap) {
        pending_cap = pending_cap ? pending_cap * 2 : 1024;
        pending = realloc(pending, pending_cap * sizeof(*pending));
        if (pending == NULL)
            abort();
    }
    pending[pending_n++] = (uv_task_t){uv_task_fn, lat_task ? (void *)1 : NULL};
    uv_mutex_unlock(&uvmu);
    uv_async_send(&uvasync);
}

static void uv_teardown(void)
{
    uv_loop_close(&uvloop);
    uv_mutex_destroy(&uvmu);
    free(pending);
    free(spare);
}

static const impl_t uv_impl = {"uv async+vector", uv_setup, uv_consumer, uv_submit, uv_teardown};

/* The common idiom: each task is a heap node on a mutex-protected intrusive
 * list (as libuv's own work requests), malloc'd by the producer and freed by
 * the loop after it runs. */
typedef struct uv_node {
    struct uv_node *next;
    int (*fn)(void *);
    void *arg;
} uv_node_t;

static uv_node_t *list_head, **list_tail;

static void uvl_on_async(uv_async_t *h)
{
    uv_mutex_lock(&uvmu);
    uv_node_t *n = list_head;
    list_head = NULL;
    list_tail = &list_head;
    uv_mutex_unlock(&uvmu);
    int stop = 0;
    while (n != NULL) {
        uv_node_t *next = n->next;
        stop |= n->fn(n->arg);
        free(n);
        n = next;
    }
    if (stop)
        uv_close((uv_handle_t *)h, NULL);
}

static void uvl_setup(void)
{
    expected = per_producer * n_producers;
    uv_loop_init(&uvloop);
    uv_async_init(&uvloop, &uvasync, uvl_on_async);
    uv_mutex_init(&uvmu);
    list_head = NULL;
    list_tail = &list_head;
}

static void uvl_submit(uint64_t lat_task)
{
    uv_node_t *n = malloc(sizeof(*n));
    if (n == NULL)
        abort();
    *n = (uv_node_t){NULL, uv_task_fn, lat_task ? (void *)1 : NULL};
    uv_mutex_lock(&uvmu);
    *list_tail = n;
    list_tail = &n->next;
    uv_mutex_unlock(&uvmu);
    uv_async_send(&uvasync);
}

static void uvl_teardown(void)
{
    uv_loop_close(&uvloop);
    uv_mutex_destroy(&uvmu);
}

static const impl_t uvl_impl = {"uv async+list", uvl_setup, uv_consumer, uvl_submit, uvl_teardown};
#endif

/* ---- main ------------------------------------------------------------------------ */

#define MAX_IMPLS 3

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "timers") == 0) {
        bench_timers();
        return 0;
    }
    if (argc > 2 && strcmp(argv[1], "timers-callgrind") == 0) {
        bench_timers_callgrind(atol(argv[2]));
        return 0;
    }
    if (argc > 1)
        tasks_total = atol(argv[1]);
    const impl_t *impls[MAX_IMPLS] = {&gn_impl};
    int nimpl = 1;
#ifdef HAVE_LIBUV
    impls[nimpl++] = &uvl_impl;
    impls[nimpl++] = &uv_impl;
#else
    printf("libuv not found at build time: gnet-netpoll numbers only\n");
#endif
    printf("trigger throughput: %ld tasks per run, median of %d interleaved runs\n", tasks_total,
           REPEATS);
    static double tput[MAX_IMPLS][3][REPEATS];
    for (int r = 0; r < REPEATS; r++)
        for (int np = 1; np <= 2; np++)
            for (int i = 0; i < nimpl; i++)
                tput[i][np][r] = run_throughput(impls[i], np);
    double med[MAX_IMPLS][3];
    for (int i = 0; i < nimpl; i++) {
        for (int np = 1; np <= 2; np++) {
            qsort(tput[i][np], REPEATS, sizeof(double), cmp_double);
            med[i][np] = tput[i][np][REPEATS / 2];
            printf("  %-16s %d producer(s): %7.2f M tasks/s\n", impls[i]->name, np,
                   med[i][np] / 1e6);
        }
    }
    static uint64_t samples[MAX_IMPLS][LAT_SAMPLES];
    for (int r = 0; r < REPEATS; r++)
        for (int i = 0; i < nimpl; i++)
            run_latency(impls[i], samples[i] + r * LAT_CHUNK);
    uint64_t p50[MAX_IMPLS], p99[MAX_IMPLS];
    printf("wake-up latency (idle loop, %d samples from %d interleaved runs):\n",
           LAT_CHUNK * REPEATS, REPEATS);
    for (int i = 0; i < nimpl; i++) {
        qsort(samples[i], LAT_CHUNK * REPEATS, sizeof(uint64_t), cmp_u64);
        p50[i] = samples[i][LAT_CHUNK * REPEATS / 2];
        p99[i] = samples[i][LAT_CHUNK * REPEATS * 99 / 100];
        printf("  %-16s p50 %6.1f us  p99 %6.1f us\n", impls[i]->name, (double)p50[i] / 1e3,
               (double)p99[i] / 1e3);
    }
    for (int i = 1; i < nimpl; i++) {
        printf("gnet-netpoll / %s: throughput %.2fx (1 producer), %.2fx (2 producers); "
               "latency p50 %.2fx, p99 %.2fx (below 1 is faster)\n",
               impls[i]->name, med[0][1] / med[i][1], med[0][2] / med[i][2],
               (double)p50[0] / (double)p50[i], (double)p99[0] / (double)p99[i]);
    }
    bench_timers();
    return 0;
}
