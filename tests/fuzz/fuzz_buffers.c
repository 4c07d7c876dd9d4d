/* Every buffer type (ring, list, mixed) against a flat model. The input is a
 * byte-coded sequence of operations: the first byte picks the buffer type,
 * then each operation is one opcode byte plus its arguments. Every byte that
 * leaves the buffer (read, peek, write_fd through a pipe) is compared with the
 * model, and the counts after every step. An opcode's top bit makes one of
 * the next allocations fail: the call must then return -ENOMEM and leave the
 * buffer exactly as it was ("unchanged on -ENOMEM"), or succeed without it. */
#include "support/fuzz.h"

#include <gnet/listbuf.h>
#include <gnet/mixbuf.h>
#include <gnet/ringbuf.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MODEL_MAX (1u << 20)
#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c))                                                                                  \
            abort();                                                                               \
    } while (0)

static uint8_t model[MODEL_MAX];
static size_t mlen;
static uint8_t src[1 << 16], tmp[1 << 17];
static int pipefd[2] = {-1, -1};

enum { T_RING, T_LIST, T_MIX, T_COUNT };

typedef struct buf {
    int type;
    gn_ringbuf_t rb;
    gn_listbuf_t lb;
    gn_mixbuf_t mb;
} buf_t;

static void fill_src(size_t n, uint8_t seed)
{
    for (size_t i = 0; i < n; i++)
        src[i] = (uint8_t)(seed + i * 7 + (i >> 8));
}

static void model_push(const uint8_t *p, size_t n)
{
    memcpy(model + mlen, p, n);
    mlen += n;
}

static void model_pop(size_t n)
{
    CHECK(n <= mlen);
    memmove(model, model + n, mlen - n);
    mlen -= n;
}

static size_t buffered(buf_t *b)
{
    switch (b->type) {
    case T_RING:
        return gn_ringbuf_buffered(&b->rb);
    case T_LIST:
        return gn_listbuf_buffered(&b->lb);
    default:
        return gn_mixbuf_buffered(&b->mb);
    }
}

/* Compares the prefix the iovecs of a peek cover with the model. */
static void check_contents(buf_t *b, size_t n)
{
    struct iovec iov[64];
    int cnt;
    if (b->type == T_RING)
        cnt = gn_ringbuf_peek(&b->rb, n, iov);
    else if (b->type == T_LIST)
        cnt = gn_listbuf_peek(&b->lb, n, iov, 64);
    else
        cnt = gn_mixbuf_peek(&b->mb, n, iov, 64);
    CHECK(cnt >= 0);
    size_t off = 0;
    for (int i = 0; i < cnt; i++) {
        CHECK(off + iov[i].iov_len <= mlen);
        CHECK(memcmp(iov[i].iov_base, model + off, iov[i].iov_len) == 0);
        off += iov[i].iov_len;
    }
    CHECK(off <= n);
    if (b->type == T_RING)
        CHECK(off == (n < mlen ? n : mlen));
}

static int do_write(buf_t *b, const void *p, size_t n)
{
    switch (b->type) {
    case T_RING:
        return gn_ringbuf_write(&b->rb, p, n);
    case T_LIST:
        return gn_listbuf_push_back(&b->lb, p, n);
    default:
        return gn_mixbuf_write(&b->mb, p, n);
    }
}

static int do_writev(buf_t *b, const struct iovec *iov, int cnt)
{
    switch (b->type) {
    case T_RING:
        return gn_ringbuf_writev(&b->rb, iov, cnt);
    case T_LIST:
        return gn_listbuf_writev(&b->lb, iov, cnt);
    default:
        return gn_mixbuf_writev(&b->mb, iov, cnt);
    }
}

static ssize_t do_read(buf_t *b, void *p, size_t n)
{
    switch (b->type) {
    case T_RING:
        return gn_ringbuf_read(&b->rb, p, n);
    case T_LIST:
        return gn_listbuf_read(&b->lb, p, n);
    default:
        return gn_mixbuf_read(&b->mb, p, n);
    }
}

static ssize_t do_discard(buf_t *b, size_t n)
{
    switch (b->type) {
    case T_RING:
        return gn_ringbuf_discard(&b->rb, n);
    case T_LIST:
        return gn_listbuf_discard(&b->lb, n);
    default:
        return gn_mixbuf_discard(&b->mb, n);
    }
}

static ssize_t do_write_fd(buf_t *b, int fd)
{
    switch (b->type) {
    case T_RING:
        return gn_ringbuf_write_fd(&b->rb, fd);
    case T_LIST:
        return gn_listbuf_write_fd(&b->lb, fd);
    default:
        return gn_mixbuf_write_fd(&b->mb, fd);
    }
}

static ssize_t do_read_fd(buf_t *b, int fd, size_t max)
{
    switch (b->type) {
    case T_RING:
        return gn_ringbuf_read_fd(&b->rb, fd, max);
    case T_LIST:
        return gn_listbuf_read_fd(&b->lb, fd, max);
    default:
        return gn_mixbuf_read_fd(&b->mb, fd, max);
    }
}

static void drain_pipe(void)
{
    while (read(pipefd[0], tmp, sizeof tmp) > 0) {
    }
}

/* The result of a call that may allocate: applied to the model on success,
 * nothing at all on -ENOMEM (checked by the caller's content comparison). */
static bool ok_or_nomem(int rc, bool injected)
{
    if (rc == -ENOMEM) {
        CHECK(injected);
        return false;
    }
    CHECK(rc == 0);
    return true;
}

static void op_write(buf_t *b, fuzz_in_t *in, bool inj)
{
    size_t n = fuzz_u16(in) % 20000;
    if (mlen + n > MODEL_MAX)
        return;
    fill_src(n, fuzz_u8(in));
    if (ok_or_nomem(do_write(b, src, n), inj))
        model_push(src, n);
}

static void op_writev(buf_t *b, fuzz_in_t *in, bool inj)
{
    struct iovec iov[8];
    int cnt = fuzz_u8(in) % 9;
    size_t total = 0;
    fill_src(sizeof src, fuzz_u8(in));
    for (int i = 0; i < cnt; i++) {
        size_t n = fuzz_u16(in) % 6000;
        iov[i] = (struct iovec){.iov_base = src + total, .iov_len = n};
        total += n;
    }
    if (mlen + total > MODEL_MAX)
        return;
    if (ok_or_nomem(do_writev(b, iov, cnt), inj))
        model_push(src, total);
}

static void op_read(buf_t *b, fuzz_in_t *in, bool discard)
{
    size_t n = fuzz_u16(in) % 30000;
    ssize_t r = discard ? do_discard(b, n) : do_read(b, tmp, n);
    CHECK(r >= 0 && (size_t)r == (n < mlen ? n : mlen));
    if (!discard)
        CHECK(memcmp(tmp, model, (size_t)r) == 0);
    model_pop((size_t)r);
}

static void op_write_fd(buf_t *b)
{
    ssize_t w = do_write_fd(b, pipefd[1]);
    if (w == -EAGAIN || (mlen == 0 && w == 0))
        return;
    CHECK(w >= 0 && (size_t)w <= mlen);
    size_t got = 0;
    while (got < (size_t)w) {
        ssize_t r = read(pipefd[0], tmp + got, (size_t)w - got);
        CHECK(r > 0);
        got += (size_t)r;
    }
    CHECK(memcmp(tmp, model, got) == 0);
    model_pop(got);
}

static void op_read_fd(buf_t *b, fuzz_in_t *in, bool inj)
{
    size_t n = 1 + fuzz_u16(in) % 4096, max = 1 + fuzz_u16(in) % 8192;
    if (mlen + n > MODEL_MAX)
        return;
    fill_src(n, fuzz_u8(in));
    CHECK(write(pipefd[1], src, n) == (ssize_t)n);
    ssize_t r = do_read_fd(b, pipefd[0], max);
    if (r == -ENOMEM) {
        CHECK(inj);
    } else {
        CHECK(r > 0 && (size_t)r <= (n < max ? n : max));
        model_push(src, (size_t)r);
    }
    drain_pipe();
}

/* Operations of one type only. */
static void op_special(buf_t *b, fuzz_in_t *in, bool inj)
{
    uint8_t which = fuzz_u8(in) % 4;
    size_t n = fuzz_u16(in) % 9000;
    if (b->type == T_RING && which == 0) {
        size_t cap = gn_ringbuf_cap(&b->rb);
        int rc = gn_ringbuf_reserve(&b->rb, n);
        if (!ok_or_nomem(rc, inj))
            CHECK(gn_ringbuf_cap(&b->rb) == cap);
        else
            CHECK(gn_ringbuf_available(&b->rb) >= n);
    } else if (b->type == T_RING && which == 1) {
        struct iovec sp[2];
        CHECK(gn_ringbuf_space(&b->rb, sp) >= 0);
        size_t room = sp[0].iov_len + sp[1].iov_len, k = n < room ? n : room;
        if (mlen + k > MODEL_MAX)
            return;
        fill_src(k, (uint8_t)n);
        size_t a = k < sp[0].iov_len ? k : sp[0].iov_len;
        if (a > 0)
            memcpy(sp[0].iov_base, src, a);
        if (k > a)
            memcpy(sp[1].iov_base, src + a, k - a);
        CHECK(gn_ringbuf_commit(&b->rb, k) == 0);
        model_push(src, k);
    } else if (b->type == T_LIST && which == 0) {
        if (mlen + n > MODEL_MAX)
            return;
        fill_src(n, (uint8_t)n);
        if (ok_or_nomem(gn_listbuf_push_front(&b->lb, src, n), inj)) {
            memmove(model + n, model, mlen);
            memcpy(model, src, n);
            mlen += n;
        }
    } else if (b->type == T_LIST && which == 1) {
        /* A referenced static block: free_fn NULL, the bytes must stay put. */
        static uint8_t ref[9000];
        if (mlen + n > MODEL_MAX)
            return;
        for (size_t i = 0; i < n; i++)
            ref[i] = (uint8_t)(i * 13);
        if (ok_or_nomem(gn_listbuf_append_ref(&b->lb, ref, n, NULL, NULL), inj))
            model_push(ref, n);
    } else if (which == 2) {
        if (b->type == T_RING)
            gn_ringbuf_set_elastic(&b->rb, n & 1);
        else if (b->type == T_MIX)
            gn_mixbuf_set_elastic(&b->mb, n & 1);
    } else if (which == 3) {
        if (b->type == T_RING)
            gn_ringbuf_shrink(&b->rb);
        else if (b->type == T_LIST)
            gn_listbuf_shrink(&b->lb);
        else
            gn_mixbuf_shrink(&b->mb);
    }
}

static void op_reset(buf_t *b)
{
    if (b->type == T_RING)
        gn_ringbuf_reset(&b->rb);
    else if (b->type == T_LIST)
        gn_listbuf_reset(&b->lb);
    else
        gn_mixbuf_reset(&b->mb);
    mlen = 0;
}

static void step(buf_t *b, fuzz_in_t *in)
{
    uint8_t op = fuzz_u8(in);
    bool inj = op & 0x80;
    if (inj)
        fuzz_alloc_fail_at(1 + (op >> 5 & 3), false);
    switch (op & 15) {
    case 0:
    case 1:
        op_write(b, in, inj);
        break;
    case 2:
        op_writev(b, in, inj);
        break;
    case 3:
    case 4:
        op_read(b, in, false);
        break;
    case 5:
        op_read(b, in, true);
        break;
    case 6:
        check_contents(b, fuzz_u16(in));
        break;
    case 7:
        op_write_fd(b);
        break;
    case 8:
        op_read_fd(b, in, inj);
        break;
    case 9:
    case 10:
        op_special(b, in, inj);
        break;
    case 11:
        if ((fuzz_u8(in) & 7) == 0)
            op_reset(b);
        break;
    default:
        check_contents(b, SIZE_MAX);
        break;
    }
    if (fuzz_alloc_disarm())
        check_contents(b, SIZE_MAX); /* a failed call changed nothing */
    CHECK(buffered(b) == mlen);
}

static void setup_pipe(void)
{
    if (pipefd[0] >= 0)
        return;
    CHECK(pipe2(pipefd, O_NONBLOCK | O_CLOEXEC) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    setup_pipe();
    fuzz_in_t in = {data, size};
    buf_t b = {.type = fuzz_u8(&in) % T_COUNT};
    if (b.type == T_RING)
        CHECK(gn_ringbuf_init(&b.rb) == 0);
    else if (b.type == T_LIST)
        CHECK(gn_listbuf_init(&b.lb) == 0);
    else
        CHECK(gn_mixbuf_init(&b.mb, 1024u << (fuzz_u8(&in) % 8)) == 0);
    mlen = 0;
    while (in.n > 0)
        step(&b, &in);
    check_contents(&b, SIZE_MAX);
    if (b.type == T_RING)
        gn_ringbuf_release(&b.rb);
    else if (b.type == T_LIST)
        gn_listbuf_release(&b.lb);
    else
        gn_mixbuf_release(&b.mb);
    return 0;
}
