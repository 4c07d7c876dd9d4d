/* Randomized model tests: millions of random operations on each buffer type,
 * checked against a trivial model (a flat byte array) after every step. Every
 * byte that leaves a buffer (read, peek, write_fd) is compared with the model,
 * counters are compared after every step, and the whole contents periodically.
 * Allocation failures are injected at random: a failed call must leave the
 * buffer equal to the unchanged model. The seed is printed; replay a failure
 * with GN_TEST_SEED=<seed>. */
#include "buftest.h"

#include <gnet/listbuf.h>
#include <gnet/mixbuf.h>
#include <gnet/ringbuf.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The model: the buffered stream is m->buf[head, head + len). */
typedef struct {
    unsigned char *buf;
    size_t cap, head, len;
} model;

static void model_append(model *m, const unsigned char *p, size_t n)
{
    if (n == 0)
        return;
    if (m->head + m->len + n > m->cap) {
        if (m->len > 0)
            memmove(m->buf, m->buf + m->head, m->len);
        m->head = 0;
        if (m->len + n > m->cap) {
            m->cap = (m->len + n) * 2;
            m->buf = realloc(m->buf, m->cap);
            BT_CHECK(NULL != m->buf);
        }
    }
    memcpy(m->buf + m->head + m->len, p, n);
    m->len += n;
}

static void model_prepend(model *m, const unsigned char *p, size_t n)
{
    unsigned char *old = malloc(m->len + 1);
    BT_CHECK(NULL != old);
    if (m->len > 0)
        memcpy(old, m->buf + m->head, m->len);
    size_t len = m->len;
    m->len = 0;
    m->head = 0;
    model_append(m, p, n);
    model_append(m, old, len);
    free(old);
}

static void model_consume(model *m, size_t n)
{
    BT_LE(n, m->len);
    m->head += n;
    m->len -= n;
    if (m->len == 0)
        m->head = 0;
}

/* The operations shared by the three buffer types, behind one interface. */
typedef struct {
    int (*write)(void *b, const void *p, size_t n);
    int (*writev)(void *b, const struct iovec *iov, int cnt);
    ssize_t (*read)(void *b, void *p, size_t n);
    int (*peek)(void *b, size_t n, struct iovec *iov, int cnt);
    ssize_t (*discard)(void *b, size_t n);
    void (*reset)(void *b);
    void (*release)(void *b);
    void (*shrink)(void *b);
    size_t (*buffered)(void *b);
    ssize_t (*write_fd)(void *b, int fd);
    ssize_t (*read_fd)(void *b, int fd, size_t max);
    /* Type-specific operations and invariants. */
    /* data: SCRATCH random bytes to write from. */
    void (*special)(void *b, model *m, uint64_t *rng, const unsigned char *data, int inject);
    void (*invariants)(void *b, const model *m);
} buf_ops;

/* Per-run state. */
typedef struct {
    const buf_ops *ops;
    void *b;
    model m;
    uint64_t rng;
    unsigned char *scratch; /* SCRATCH bytes to read into */
    unsigned char *pool;    /* 2 * SCRATCH random bytes to write from */
    int pipe[2];
    int inject; /* inject allocation failures (single-threaded runs only) */
} run_state;

#define SCRATCH (1u << 17)

static size_t rand_len(uint64_t *rng)
{
    uint64_t r = gn_test_rand(rng);
    switch (r % 16) {
    case 0:
        return 0;
    case 1:
    case 2:
        return (size_t)(r >> 8) % 20000 + 1;
    case 3:
        return (size_t)(r >> 8) % 70000 + 1;
    default:
        return (size_t)(r >> 8) % 300 + 1;
    }
}

/* Random bytes, eight per generator step. */
static void fill_random(uint64_t *rng, unsigned char *p, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t r = gn_test_rand(rng);
        memcpy(p + i, &r, 8);
    }
    for (; i < n; i++)
        p[i] = (unsigned char)(gn_test_rand(rng) >> 56);
}

/* Compares the iovecs with the model's first bytes; returns their total. */
static size_t check_iov(const model *m, const struct iovec *iov, int cnt)
{
    size_t off = 0;
    for (int i = 0; i < cnt; i++) {
        BT_GT(iov[i].iov_len, 0);
        BT_LE(off + iov[i].iov_len, m->len);
        BT_CHECK(memcmp(iov[i].iov_base, m->buf + m->head + off, iov[i].iov_len) == 0);
        off += iov[i].iov_len;
    }
    return off;
}

static void check_all(run_state *s)
{
    struct iovec iov[1024];
    int cnt = s->ops->peek(s->b, SIZE_MAX, iov, 1024);
    BT_GE(cnt, 0);
    size_t got = check_iov(&s->m, iov, cnt);
    if (cnt < 1024)
        BT_EQ(got, s->m.len);
}

/* Arms a failure of the next allocation now and then; returns whether it did. */
static int maybe_fail(run_state *s)
{
    if (!s->inject || gn_test_rand(&s->rng) % 50 != 0)
        return 0;
    bt_alloc_fail_after(0);
    return 1;
}

static void disarm(run_state *s)
{
    if (s->inject)
        bt_alloc_fail_after(-1);
}

/* SCRATCH random bytes at a random offset of the pool: cheap random input. */
static const unsigned char *rand_data(run_state *s)
{
    return s->pool + gn_test_rand(&s->rng) % SCRATCH;
}

static void op_write(run_state *s)
{
    size_t n = rand_len(&s->rng);
    const unsigned char *p = rand_data(s);
    maybe_fail(s);
    int rc = s->ops->write(s->b, p, n);
    disarm(s);
    BT_CHECK(rc == 0 || rc == -ENOMEM);
    if (rc == 0)
        model_append(&s->m, p, n);
}

static void op_writev(run_state *s)
{
    struct iovec v[4];
    int cnt = (int)(gn_test_rand(&s->rng) % 5);
    for (int i = 0; i < cnt; i++) {
        v[i].iov_len = rand_len(&s->rng) / 4;
        v[i].iov_base = (void *)(uintptr_t)rand_data(s);
    }
    maybe_fail(s);
    int rc = s->ops->writev(s->b, v, cnt);
    disarm(s);
    BT_CHECK(rc == 0 || rc == -ENOMEM);
    for (int i = 0; rc == 0 && i < cnt; i++)
        model_append(&s->m, v[i].iov_base, v[i].iov_len);
}

static void op_read(run_state *s)
{
    size_t n = rand_len(&s->rng);
    ssize_t got = s->ops->read(s->b, s->scratch, n);
    BT_EQ(got, (ssize_t)(n < s->m.len ? n : s->m.len));
    BT_CHECK(got == 0 || memcmp(s->scratch, s->m.buf + s->m.head, (size_t)got) == 0);
    model_consume(&s->m, (size_t)got);
}

static void op_peek(run_state *s)
{
    struct iovec iov[8];
    size_t n = gn_test_rand(&s->rng) % 4 == 0 ? SIZE_MAX : rand_len(&s->rng);
    int want = (int)(gn_test_rand(&s->rng) % 8) + 1;
    int cnt = s->ops->peek(s->b, n, iov, want);
    BT_GE(cnt, 0);
    BT_LE(cnt, want);
    size_t got = check_iov(&s->m, iov, cnt);
    size_t expect = n < s->m.len ? n : s->m.len;
    BT_LE(got, expect);
    if (cnt < want)
        BT_EQ(got, expect);
}

static void op_discard(run_state *s)
{
    size_t n = rand_len(&s->rng);
    ssize_t got = s->ops->discard(s->b, n);
    BT_EQ(got, (ssize_t)(n < s->m.len ? n : s->m.len));
    model_consume(&s->m, (size_t)got);
}

static void op_write_fd(run_state *s)
{
    ssize_t n = s->ops->write_fd(s->b, s->pipe[1]);
    if (s->m.len == 0) {
        BT_EQ(n, 0);
        return;
    }
    BT_GT(n, 0); /* the pipe is drained after every write */
    for (size_t left = (size_t)n; left > 0;) {
        size_t k = left < SCRATCH ? left : SCRATCH;
        BT_EQ(read(s->pipe[0], s->scratch, k), (ssize_t)k);
        BT_CHECK(memcmp(s->scratch, s->m.buf + s->m.head, k) == 0);
        model_consume(&s->m, k);
        left -= k;
    }
}

static void op_read_fd(run_state *s)
{
    size_t n = rand_len(&s->rng) % 60000;
    const unsigned char *p = rand_data(s);
    if (n > 0)
        BT_EQ(write(s->pipe[1], p, n), (ssize_t)n);
    size_t done = 0;
    for (;;) {
        size_t max = gn_test_rand(&s->rng) % 3 == 0 ? SIZE_MAX : rand_len(&s->rng);
        int armed = maybe_fail(s);
        ssize_t r = s->ops->read_fd(s->b, s->pipe[0], max);
        disarm(s);
        if (r == -EAGAIN || (r == 0 && max == 0 && done == n))
            break;
        if (r == -ENOMEM && armed)
            continue;
        BT_GE(r, 0);
        BT_CHECK((size_t)r <= max);
        model_append(&s->m, p + done, (size_t)r);
        done += (size_t)r;
    }
    BT_EQ(done, n);
}

static void step(run_state *s)
{
    uint64_t r = gn_test_rand(&s->rng) % 1000;
    /* Keep the stream bounded: above 128 KiB, mostly consume. */
    if (s->m.len > (128u << 10) && r < 600)
        r = 600 + r % 200;
    if (r < 250)
        op_write(s);
    else if (r < 350)
        op_writev(s);
    else if (r < 550)
        op_peek(s);
    else if (r < 750)
        op_read(s);
    else if (r < 953)
        op_discard(s);
    else if (r < 960)
        op_write_fd(s);
    else if (r < 965)
        op_read_fd(s);
    else if (r < 967) {
        s->ops->reset(s->b);
        model_consume(&s->m, s->m.len);
    } else if (r < 968) {
        s->ops->release(s->b);
        model_consume(&s->m, s->m.len);
    } else if (r < 970)
        s->ops->shrink(s->b);
    else
        s->ops->special(s->b, &s->m, &s->rng, rand_data(s), s->inject);
}

/* Runs nops random operations on b, checking against the model; with inject,
 * some allocations fail (needs bt_alloc_install and a single thread). */
static void run_model(const buf_ops *ops, void *b, uint64_t seed, long nops, int inject)
{
    run_state s = {ops, b, {0}, seed, malloc(SCRATCH), malloc(2 * SCRATCH), {-1, -1}, inject};
    BT_CHECK(NULL != s.scratch && NULL != s.pool);
    fill_random(&s.rng, s.pool, 2 * SCRATCH);
    BT_EQ(pipe2(s.pipe, O_NONBLOCK), 0);
    /* Room for the largest write_fd (read back in one go) and read_fd. */
    BT_GE(fcntl(s.pipe[1], F_SETPIPE_SZ, 1 << 20), 0);
    for (long i = 0; i < nops; i++) {
        step(&s);
        BT_EQ(ops->buffered(b), s.m.len);
        ops->invariants(b, &s.m);
        if (i % 256 == 0 || s.m.len < 1024)
            check_all(&s);
    }
    check_all(&s);
    ops->release(b);
    BT_EQ(ops->buffered(b), 0);
    close(s.pipe[0]);
    close(s.pipe[1]);
    free(s.scratch);
    free(s.pool);
    free(s.m.buf);
}

/* ---- ring ---------------------------------------------------------------- */

static int ring_write(void *b, const void *p, size_t n)
{
    return gn_ringbuf_write(b, p, n);
}
static int ring_writev(void *b, const struct iovec *iov, int cnt)
{
    return gn_ringbuf_writev(b, iov, cnt);
}
static ssize_t ring_read(void *b, void *p, size_t n)
{
    return gn_ringbuf_read(b, p, n);
}
static int ring_peek(void *b, size_t n, struct iovec *iov, int cnt)
{
    struct iovec two[2];
    int got = gn_ringbuf_peek(b, n, two);
    BT_LE(got, 2);
    if (got > cnt)
        got = cnt;
    memcpy(iov, two, sizeof(two[0]) * (size_t)got);
    return got;
}
static ssize_t ring_discard(void *b, size_t n)
{
    return gn_ringbuf_discard(b, n);
}
static void ring_reset(void *b)
{
    gn_ringbuf_reset(b);
}
static void ring_release(void *b)
{
    gn_ringbuf_release(b);
}
static void ring_shrink(void *b)
{
    gn_ringbuf_shrink(b);
}
static size_t ring_buffered(void *b)
{
    return gn_ringbuf_buffered(b);
}
static ssize_t ring_write_fd(void *b, int fd)
{
    return gn_ringbuf_write_fd(b, fd);
}
static ssize_t ring_read_fd(void *b, int fd, size_t max)
{
    return gn_ringbuf_read_fd(b, fd, max);
}

/* Ring extras: reserve, zero-copy space/commit, elastic toggling. */
static void ring_special(void *b, model *m, uint64_t *rng, const unsigned char *data, int inject)
{
    uint64_t r = gn_test_rand(rng) % 3;
    if (r == 0) {
        size_t cap = gn_ringbuf_cap(b);
        size_t n = rand_len(rng);
        int rc = gn_ringbuf_reserve(b, n);
        BT_EQ(rc, 0);
        BT_GE(gn_ringbuf_available(b), n);
        BT_GE(gn_ringbuf_cap(b), cap);
    } else if (r == 1) {
        struct iovec sp[2];
        int cnt = gn_ringbuf_space(b, sp);
        size_t room = cnt > 0 ? sp[0].iov_len + (cnt > 1 ? sp[1].iov_len : 0) : 0;
        BT_EQ(room, gn_ringbuf_available(b));
        size_t most = room < SCRATCH ? room : SCRATCH;
        size_t n = (size_t)(gn_test_rand(rng) % (most + 1));
        size_t first = cnt > 0 && n > sp[0].iov_len ? sp[0].iov_len : n;
        if (first > 0)
            memcpy(sp[0].iov_base, data, first);
        if (n > first)
            memcpy(sp[1].iov_base, data + first, n - first);
        BT_EQ(gn_ringbuf_commit(b, n), 0);
        model_append(m, data, n);
    } else {
        gn_ringbuf_set_elastic(b, gn_test_rand(rng) % 2 == 0);
    }
}

static void ring_invariants(void *b, const model *m)
{
    gn_ringbuf_t *rb = b;
    BT_EQ(gn_ringbuf_available(rb) + m->len, gn_ringbuf_cap(rb));
    BT_CHECK(gn_ringbuf_empty(rb) == (m->len == 0));
    if (m->len == 0)
        BT_EQ(rb->r, 0); /* white-box: reset when drained */
}

static const buf_ops ring_ops = {
    ring_write,   ring_writev,  ring_read,       ring_peek,     ring_discard,
    ring_reset,   ring_release, ring_shrink,     ring_buffered, ring_write_fd,
    ring_read_fd, ring_special, ring_invariants,
};

/* ---- list ---------------------------------------------------------------- */

static int list_write(void *b, const void *p, size_t n)
{
    return gn_listbuf_push_back(b, p, n);
}
static int list_writev(void *b, const struct iovec *iov, int cnt)
{
    return gn_listbuf_writev(b, iov, cnt);
}
static ssize_t list_read(void *b, void *p, size_t n)
{
    return gn_listbuf_read(b, p, n);
}
static int list_peek(void *b, size_t n, struct iovec *iov, int cnt)
{
    return gn_listbuf_peek(b, n, iov, cnt);
}
static ssize_t list_discard(void *b, size_t n)
{
    return gn_listbuf_discard(b, n);
}
static void list_reset(void *b)
{
    gn_listbuf_reset(b);
}
static void list_release(void *b)
{
    gn_listbuf_release(b);
}
static void list_shrink(void *b)
{
    gn_listbuf_shrink(b);
}
static size_t list_buffered(void *b)
{
    return gn_listbuf_buffered(b);
}
static ssize_t list_write_fd(void *b, int fd)
{
    return gn_listbuf_write_fd(b, fd);
}
static ssize_t list_read_fd(void *b, int fd, size_t max)
{
    return gn_listbuf_read_fd(b, fd, max);
}

/* Heap copies handed over with append_ref; the counter finds leaks and double
 * frees of the callback (ASan finds them in the memory itself). */
typedef struct {
    long live;
} ref_counter;

static void ref_free(void *p, void *udata)
{
    ((ref_counter *)udata)->live--;
    free(p);
}

/* The list's ref counter lives next to it so the callbacks can find it. */
typedef struct {
    gn_listbuf_t lb;
    ref_counter refs;
} list_with_refs;

static void list_special(void *b, model *m, uint64_t *rng, const unsigned char *data, int inject)
{
    list_with_refs *l = b;
    size_t n = rand_len(rng) % 5000;
    if (gn_test_rand(rng) % 2 == 0) {
        int rc = gn_listbuf_push_front(&l->lb, data, n);
        BT_EQ(rc, 0);
        model_prepend(m, data, n);
        return;
    }
    unsigned char *copy = malloc(n + 1);
    BT_CHECK(NULL != copy);
    memcpy(copy, data, n);
    l->refs.live++;
    if (inject)
        bt_alloc_fail_after(gn_test_rand(rng) % 8 == 0 ? 0 : -1);
    int rc = gn_listbuf_append_ref(&l->lb, copy, n, ref_free, &l->refs);
    if (inject)
        bt_alloc_fail_after(-1);
    if (rc == -ENOMEM) {
        l->refs.live--; /* not taken: still ours */
        free(copy);
        return;
    }
    BT_EQ(rc, 0);
    model_append(m, data, n);
}

static void list_invariants(void *b, const model *m)
{
    list_with_refs *l = b;
    BT_CHECK(gn_listbuf_empty(&l->lb) == (m->len == 0));
    BT_CHECK((gn_listbuf_nodes(&l->lb) == 0) == (m->len == 0));
    BT_GE(l->refs.live, 0);
    BT_LE(l->refs.live, (long)gn_listbuf_nodes(&l->lb));
}

static const buf_ops list_ops = {
    list_write,   list_writev,  list_read,       list_peek,     list_discard,
    list_reset,   list_release, list_shrink,     list_buffered, list_write_fd,
    list_read_fd, list_special, list_invariants,
};

/* ---- mixed --------------------------------------------------------------- */

static int mix_write(void *b, const void *p, size_t n)
{
    return gn_mixbuf_write(b, p, n);
}
static int mix_writev(void *b, const struct iovec *iov, int cnt)
{
    return gn_mixbuf_writev(b, iov, cnt);
}
static ssize_t mix_read(void *b, void *p, size_t n)
{
    return gn_mixbuf_read(b, p, n);
}
static int mix_peek(void *b, size_t n, struct iovec *iov, int cnt)
{
    return gn_mixbuf_peek(b, n, iov, cnt);
}
static ssize_t mix_discard(void *b, size_t n)
{
    return gn_mixbuf_discard(b, n);
}
static void mix_reset(void *b)
{
    gn_mixbuf_reset(b);
}
static void mix_release(void *b)
{
    gn_mixbuf_release(b);
}
static void mix_shrink(void *b)
{
    gn_mixbuf_shrink(b);
}
static size_t mix_buffered(void *b)
{
    return gn_mixbuf_buffered(b);
}
static ssize_t mix_write_fd(void *b, int fd)
{
    return gn_mixbuf_write_fd(b, fd);
}
static ssize_t mix_read_fd(void *b, int fd, size_t max)
{
    return gn_mixbuf_read_fd(b, fd, max);
}

static void mix_special(void *b, model *m, uint64_t *rng, const unsigned char *data, int inject)
{
    (void)m;
    (void)inject;
    (void)data;
    gn_mixbuf_set_elastic(b, gn_test_rand(rng) % 2 == 0);
}

static void mix_invariants(void *b, const model *m)
{
    gn_mixbuf_t *mb = b;
    BT_CHECK(gn_mixbuf_empty(mb) == (m->len == 0));
    /* White-box: the ring never takes more than max_static. */
    BT_LE(gn_ringbuf_buffered(&mb->ring), mb->max_static);
    BT_EQ(gn_ringbuf_buffered(&mb->ring) + gn_listbuf_buffered(&mb->list), m->len);
    if (mb->elastic && m->len == 0)
        BT_EQ(gn_ringbuf_cap(&mb->ring), 0);
}

static const buf_ops mix_ops = {
    mix_write,  mix_writev,   mix_read,     mix_peek,    mix_discard, mix_reset,      mix_release,
    mix_shrink, mix_buffered, mix_write_fd, mix_read_fd, mix_special, mix_invariants,
};

/* ---- tests --------------------------------------------------------------- */

START_TEST(model_ringbuf)
{
    uint64_t seed = gn_test_seed("model_ringbuf", 0x9e3779b97f4a7c15ULL);
    bt_alloc_install();
    gn_ringbuf_t rb = GN_RINGBUF_INIT;
    run_model(&ring_ops, &rb, seed, gn_test_scale(4000000, 4), 1);
    BT_EQ(bt_alloc_live(), 0);
}
END_TEST

START_TEST(model_listbuf)
{
    uint64_t seed = gn_test_seed("model_listbuf", 0x2545f4914f6cdd1dULL);
    bt_alloc_install();
    list_with_refs l = {GN_LISTBUF_INIT, {0}};
    run_model(&list_ops, &l, seed, gn_test_scale(2000000, 4), 1);
    BT_EQ(l.refs.live, 0);
    BT_EQ(bt_alloc_live(), 0);
}
END_TEST

START_TEST(model_mixbuf)
{
    uint64_t seed = gn_test_seed("model_mixbuf", 0xd1b54a32d192ed03ULL);
    bt_alloc_install();
    /* Several ring limits: tiny (mostly list), medium, large (mostly ring). */
    static const size_t limits[] = {1, 700, 4096, 65536};
    for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
        gn_mixbuf_t mb;
        BT_EQ(gn_mixbuf_init(&mb, limits[i]), 0);
        run_model(&mix_ops, &mb, seed + i, gn_test_scale(1000000, 4), 1);
    }
    BT_EQ(bt_alloc_live(), 0);
}
END_TEST

/* Distinct buffers on distinct threads share no hidden state (TSan checks). */
static void *thread_model(void *arg)
{
    uint64_t seed = (uint64_t)(uintptr_t)arg;
    gn_mixbuf_t mb;
    gn_ringbuf_t rb = GN_RINGBUF_INIT;
    gn_mixbuf_init(&mb, 2048);
    run_model(&mix_ops, &mb, seed, gn_test_scale(100000, 4), 0);
    run_model(&ring_ops, &rb, seed + 1, gn_test_scale(100000, 4), 0);
    return NULL;
}

START_TEST(model_threads_independent_buffers)
{
    uint64_t seed = gn_test_seed("model_threads", 1234);
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        BT_EQ(
            pthread_create(&t[i], NULL, thread_model, (void *)(uintptr_t)(seed + (uint64_t)i * 10)),
            0);
    for (int i = 0; i < 4; i++)
        BT_EQ(pthread_join(t[i], NULL), 0);
}
END_TEST

TCase *gn_tc_model(void)
{
    TCase *tc = tcase_create("model");
    tcase_add_test(tc, model_ringbuf);
    tcase_add_test(tc, model_listbuf);
    tcase_add_test(tc, model_mixbuf);
    tcase_add_test(tc, model_threads_independent_buffers);
    return tc;
}
