/* gnet-buffer microbenchmark: write + read throughput of one chunk per iteration
 * through gn_ringbuf_t, gn_listbuf_t and gn_mixbuf_t, next to two plain memcpy
 * calls of the same sizes (the physical limit: every buffer copies each byte in
 * and out once) and libevent's evbuffer (add + remove) when built with it.
 *
 * Two modes: "drained" (the buffer is empty after each iteration, the engine's
 * common case) and "backlog" (half a chunk always stays buffered, so positions
 * never reset and the ring wraps). Every implementation is measured in the same
 * run, interleaved, and the median of several short runs is reported; on a
 * shared machine only the ratios mean anything.
 *
 *   make bench-buffer      (or $(BUILD)/bench/bench-buffer [rounds] [ms-per-run])
 */
#include <gnet/listbuf.h>
#include <gnet/mixbuf.h>
#include <gnet/ringbuf.h>

#ifdef HAVE_LIBEVENT
#include <event2/buffer.h>
#endif

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_CHUNK  (64 * 1024)
#define MAX_ROUNDS 15

static unsigned char g_src[MAX_CHUNK], g_mid[2 * MAX_CHUNK], g_dst[MAX_CHUNK];

/* Keeps the compiler from proving the copies useless. */
static void clobber(void *p)
{
    __asm__ __volatile__("" : : "r"(p) : "memory");
}

static double now_sec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void die(const char *what)
{
    fprintf(stderr, "bench-buffer: %s failed\n", what);
    exit(1);
}

/* One implementation: setup makes an empty buffer holding `backlog` bytes,
 * step writes and reads one chunk, teardown frees. */
typedef struct {
    const char *name;
    void (*setup)(size_t backlog);
    void (*step)(size_t chunk);
    void (*teardown)(void);
} impl;

/* ---- memcpy ---- */
static void memcpy_setup(size_t backlog)
{
    (void)backlog;
}
static void memcpy_step(size_t chunk)
{
    memcpy(g_mid, g_src, chunk);
    clobber(g_mid);
    memcpy(g_dst, g_mid, chunk);
    clobber(g_dst);
}
static void memcpy_teardown(void) {}

/* ---- ringbuf ---- */
static gn_ringbuf_t g_ring;
static void ring_setup(size_t backlog)
{
    gn_ringbuf_init(&g_ring);
    if (gn_ringbuf_write(&g_ring, g_src, backlog) != 0)
        die("gn_ringbuf_write");
}
static void ring_step(size_t chunk)
{
    if (gn_ringbuf_write(&g_ring, g_src, chunk) != 0 ||
        gn_ringbuf_read(&g_ring, g_dst, chunk) != (ssize_t)chunk)
        die("ringbuf step");
    clobber(g_dst);
}
static void ring_teardown(void)
{
    gn_ringbuf_release(&g_ring);
}

/* ---- listbuf ---- */
static gn_listbuf_t g_list;
static void list_setup(size_t backlog)
{
    gn_listbuf_init(&g_list);
    if (gn_listbuf_push_back(&g_list, g_src, backlog) != 0)
        die("gn_listbuf_push_back");
}
static void list_step(size_t chunk)
{
    if (gn_listbuf_push_back(&g_list, g_src, chunk) != 0 ||
        gn_listbuf_read(&g_list, g_dst, chunk) != (ssize_t)chunk)
        die("listbuf step");
    clobber(g_dst);
}
static void list_teardown(void)
{
    gn_listbuf_release(&g_list);
}

/* ---- mixbuf (64 KiB ring, as the engine's outbound buffer) ---- */
static gn_mixbuf_t g_mix;
static void mix_setup(size_t backlog)
{
    gn_mixbuf_init(&g_mix, 64 * 1024);
    if (gn_mixbuf_write(&g_mix, g_src, backlog) != 0)
        die("gn_mixbuf_write");
}
static void mix_step(size_t chunk)
{
    if (gn_mixbuf_write(&g_mix, g_src, chunk) != 0 ||
        gn_mixbuf_read(&g_mix, g_dst, chunk) != (ssize_t)chunk)
        die("mixbuf step");
    clobber(g_dst);
}
static void mix_teardown(void)
{
    gn_mixbuf_release(&g_mix);
}

#ifdef HAVE_LIBEVENT
/* ---- libevent evbuffer ---- */
static struct evbuffer *g_evb;
static void evb_setup(size_t backlog)
{
    g_evb = evbuffer_new();
    if (g_evb == NULL || evbuffer_add(g_evb, g_src, backlog) != 0)
        die("evbuffer_add");
}
static void evb_step(size_t chunk)
{
    if (evbuffer_add(g_evb, g_src, chunk) != 0 ||
        evbuffer_remove(g_evb, g_dst, chunk) != (int)chunk)
        die("evbuffer step");
    clobber(g_dst);
}
static void evb_teardown(void)
{
    evbuffer_free(g_evb);
}
#endif

static const impl g_impls[] = {
    {"memcpy", memcpy_setup, memcpy_step, memcpy_teardown},
    {"ringbuf", ring_setup, ring_step, ring_teardown},
    {"listbuf", list_setup, list_step, list_teardown},
    {"mixbuf", mix_setup, mix_step, mix_teardown},
#ifdef HAVE_LIBEVENT
    {"evbuffer", evb_setup, evb_step, evb_teardown},
#endif
};
#define NIMPL (sizeof(g_impls) / sizeof(g_impls[0]))

/* Bytes per second through one implementation for about `secs`. */
static double measure(const impl *im, size_t chunk, size_t backlog, double secs)
{
    im->setup(backlog);
    for (int i = 0; i < 64; i++) /* warm up: first allocation, caches */
        im->step(chunk);
    uint64_t iters = 0, batch = 16;
    double t0 = now_sec(), t;
    do {
        for (uint64_t i = 0; i < batch; i++)
            im->step(chunk);
        iters += batch;
        if (batch < (1u << 20))
            batch *= 2;
        t = now_sec();
    } while (t - t0 < secs);
    im->teardown();
    return (double)iters * (double)chunk / (t - t0);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void print_header(void)
{
    printf("%8s", "chunk");
    for (size_t i = 0; i < NIMPL; i++)
        printf(" %9s", g_impls[i].name);
    printf("  | ring/memcpy mix/memcpy");
#ifdef HAVE_LIBEVENT
    printf(" ring/evbuf list/evbuf mix/evbuf");
#endif
    printf("\n");
}

static void run_mode(const char *mode, int half_backlog, int rounds, double secs)
{
    static const size_t chunks[] = {64, 512, 4096, 65536};
    printf("\nmode: %s (GB/s of bytes written and read back; median of %d)\n", mode, rounds);
    print_header();
    for (size_t c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
        size_t chunk = chunks[c];
        size_t backlog = half_backlog ? chunk / 2 : 0;
        double runs[NIMPL][MAX_ROUNDS], med[NIMPL];
        /* Interleave implementations so a burst of load hits all of them. */
        for (int r = 0; r < rounds; r++)
            for (size_t i = 0; i < NIMPL; i++)
                runs[i][r] = measure(&g_impls[i], chunk, backlog, secs);
        printf("%8zu", chunk);
        for (size_t i = 0; i < NIMPL; i++) {
            qsort(runs[i], (size_t)rounds, sizeof(double), cmp_double);
            med[i] = runs[i][rounds / 2];
            printf(" %9.2f", med[i] / 1e9);
        }
        printf("  | %11.2f %10.2f", med[1] / med[0], med[3] / med[0]);
#ifdef HAVE_LIBEVENT
        printf(" %10.2f %10.2f %9.2f", med[1] / med[4], med[2] / med[4], med[3] / med[4]);
#endif
        printf("\n");
        fflush(stdout);
    }
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 5;
    double ms = argc > 2 ? atof(argv[2]) : 60;
    if (rounds < 1 || rounds > MAX_ROUNDS || ms <= 0) {
        fprintf(stderr, "usage: %s [rounds 1..%d] [ms per run]\n", argv[0], MAX_ROUNDS);
        return 2;
    }
    for (size_t i = 0; i < sizeof(g_src); i++)
        g_src[i] = (unsigned char)(i * 131u);
    printf("gnet-buffer: write + read of one chunk per iteration, %d rounds of %.0f ms "
           "per cell, interleaved\n",
           rounds, ms);
#ifndef HAVE_LIBEVENT
    printf("(libevent not found at build time: no evbuffer column)\n");
#endif
    run_mode("drained: the buffer is empty after every iteration", 0, rounds, ms / 1e3);
    run_mode("backlog: half a chunk stays buffered, the ring wraps", 1, rounds, ms / 1e3);
    return 0;
}
