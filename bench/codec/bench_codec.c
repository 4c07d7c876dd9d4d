/* gnet-codec microbenchmark: decoding a stream of 64-byte length-prefixed
 * frames (4-byte big-endian length + 60 bytes) from a gn_ringbuf_t, the
 * engine's inbound buffer, with gn_codec_decode_ringbuf + gn_ringbuf_discard per
 * frame; next to the same frames decoded from plain memory (gn_codec_decode),
 * a hand-written loop that reads the length and skips (the floor for this
 * framing), and 64-byte lines from the ring with the line codec.
 *
 * The ring is filled with 1024 frames (64 KiB, the ring keeps its memory),
 * then all of them are decoded; only the decoding is timed. Each variant runs
 * interleaved with the others, several rounds; the median ns per frame is
 * printed. On a shared machine only the ratios mean anything.
 *
 *   make bench-codec        (or $(BUILD)/bench/bench-codec [rounds] [batches-per-round])
 *
 * Instructions per frame: the "fixed" mode decodes a fixed number of batches
 * with one variant, for callgrind (frames = batches * 1024):
 *   valgrind --tool=callgrind --toggle-collect=decode_ring_batch \
 *       build/bench/bench-codec fixed ring 200
 */
#include <gnet/codec.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FRAMES     1024
#define FRAME_SIZE 64
#define MAX_ROUNDS 31

static unsigned char g_wire[FRAMES * FRAME_SIZE], g_lines[FRAMES * FRAME_SIZE];
static gn_ringbuf_t g_ring;
static gn_codec_t g_lf, g_line;
static volatile size_t g_sink;

static double now_sec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void die(const char *what)
{
    fprintf(stderr, "bench-codec: %s failed\n", what);
    exit(1);
}

static void make_streams(void)
{
    gn_codec_length_field_t o = {
        .max_frame_length = 1 << 16, .length_field_size = 4, .initial_bytes_to_strip = 4};
    if (gn_codec_init_length_field(&g_lf, &o) != 0 || gn_codec_init_line(&g_line, 1024, 0) != 0)
        die("codec init");
    unsigned char payload[FRAME_SIZE], hdr[GN_CODEC_HEADER_MAX];
    for (size_t i = 0; i < FRAMES; i++) {
        for (size_t j = 0; j < FRAME_SIZE; j++)
            payload[j] = (unsigned char)('a' + (i + j) % 26);
        struct iovec iov[2];
        if (gn_codec_encode(&g_lf, payload, FRAME_SIZE - 4, hdr, sizeof(hdr), iov) != 2)
            die("encode");
        memcpy(g_wire + i * FRAME_SIZE, hdr, 4);
        memcpy(g_wire + i * FRAME_SIZE + 4, payload, FRAME_SIZE - 4);
        memcpy(g_lines + i * FRAME_SIZE, payload, FRAME_SIZE - 1);
        g_lines[i * FRAME_SIZE + FRAME_SIZE - 1] = '\n';
    }
    if (gn_ringbuf_init_cap(&g_ring, sizeof(g_wire)) != 0)
        die("ring init");
}

/* Decodes every frame buffered in the ring; returns the count. */
__attribute__((noinline)) size_t decode_ring_batch(gn_codec_t *c);
__attribute__((noinline)) size_t decode_ring_batch(gn_codec_t *c)
{
    size_t n = 0, bytes = 0;
    gn_codec_frame_t f;
    while (gn_codec_decode_ringbuf(c, &g_ring, &f) == 1) {
        bytes += f.len;
        gn_ringbuf_discard(&g_ring, f.consumed);
        n++;
    }
    g_sink += bytes;
    return n;
}

__attribute__((noinline)) size_t decode_flat_batch(void);
__attribute__((noinline)) size_t decode_flat_batch(void)
{
    const unsigned char *p = g_wire;
    size_t left = sizeof(g_wire), n = 0, bytes = 0;
    gn_codec_frame_t f;
    while (gn_codec_decode(&g_lf, p, left, &f) == 1) {
        bytes += f.len;
        p += f.consumed;
        left -= f.consumed;
        n++;
    }
    g_sink += bytes;
    return n;
}

/* The floor: read a 4-byte big-endian length, check it, step over. */
__attribute__((noinline)) size_t decode_hand_batch(void);
__attribute__((noinline)) size_t decode_hand_batch(void)
{
    const unsigned char *p = g_wire;
    size_t left = sizeof(g_wire), n = 0, bytes = 0;
    while (left >= 4) {
        size_t len = (size_t)p[0] << 24 | (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3];
        if (len > left - 4)
            break;
        bytes += len;
        p += 4 + len;
        left -= 4 + len;
        n++;
    }
    g_sink += bytes;
    return n;
}

static void fill(const unsigned char *src)
{
    if (gn_ringbuf_write(&g_ring, src, sizeof(g_wire)) != 0)
        die("ring write");
}

enum { V_RING, V_FLAT, V_HAND, V_LINE, V_COUNT };
static const char *const names[V_COUNT] = {"length field, ring", "length field, memory",
                                           "hand-written loop, memory", "line, ring"};

/* One batch of variant v; returns its decoding time in seconds. */
static double run_batch(int v)
{
    size_t n = 0;
    double t0 = 0, t1 = 0;
    switch (v) {
    case V_RING:
        fill(g_wire);
        t0 = now_sec();
        n = decode_ring_batch(&g_lf);
        t1 = now_sec();
        break;
    case V_LINE:
        fill(g_lines);
        t0 = now_sec();
        n = decode_ring_batch(&g_line);
        t1 = now_sec();
        break;
    case V_FLAT:
        t0 = now_sec();
        n = decode_flat_batch();
        t1 = now_sec();
        break;
    default:
        t0 = now_sec();
        n = decode_hand_batch();
        t1 = now_sec();
        break;
    }
    if (n != FRAMES)
        die("frame count");
    return t1 - t0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int variant_named(const char *s)
{
    static const char *const keys[V_COUNT] = {"ring", "flat", "hand", "line"};
    for (int v = 0; v < V_COUNT; v++)
        if (strcmp(s, keys[v]) == 0)
            return v;
    die("variant name (ring, flat, hand, line)");
    return 0;
}

int main(int argc, char **argv)
{
    make_streams();
    if (argc >= 4 && strcmp(argv[1], "fixed") == 0) {
        int v = variant_named(argv[2]);
        long batches = atol(argv[3]);
        for (long b = 0; b < batches; b++)
            run_batch(v);
        printf("%s: %ld frames decoded\n", names[v], batches * FRAMES);
        return 0;
    }
    int rounds = argc > 1 ? atoi(argv[1]) : 15;
    long batches = argc > 2 ? atol(argv[2]) : 200;
    if (rounds < 1 || rounds > MAX_ROUNDS || batches < 1)
        die("arguments: [rounds 1..31] [batches]");
    double res[V_COUNT][MAX_ROUNDS];
    for (int r = 0; r < rounds; r++) {
        for (int v = 0; v < V_COUNT; v++) {
            double t = 0;
            for (long b = 0; b < batches; b++)
                t += run_batch(v);
            res[v][r] = t * 1e9 / ((double)batches * FRAMES);
        }
    }
    printf("gnet-codec: 64-byte frames, %d rounds x %ld batches of %d, median ns/frame\n", rounds,
           batches, FRAMES);
    double base = 0;
    for (int v = 0; v < V_COUNT; v++) {
        qsort(res[v], (size_t)rounds, sizeof(double), cmp_double);
        double med = res[v][rounds / 2];
        if (v == V_HAND)
            base = med;
        printf("  %-28s %6.2f ns/frame  (min %.2f, max %.2f)\n", names[v], med, res[v][0],
               res[v][rounds - 1]);
    }
    printf("  ratio ring / hand-written: %.2f\n", res[V_RING][rounds / 2] / base);
    gn_ringbuf_release(&g_ring);
    gn_codec_release(&g_lf);
    gn_codec_release(&g_line);
    return 0;
}
