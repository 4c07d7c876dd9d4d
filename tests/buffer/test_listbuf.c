/* gn_listbuf_t unit tests: gnet's linked-list buffer scenarios, zero-copy
 * blocks, block sharing, the spare block, write_fd beyond IOV_MAX. */
#include "buftest.h"

#include <gnet/listbuf.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void assert_list(const gn_listbuf_t *lb, const unsigned char *want, size_t n)
{
    static struct iovec iov[4096];
    static unsigned char flat[1 << 20];
    ck_assert_uint_eq(gn_listbuf_buffered(lb), n);
    int cnt = gn_listbuf_peek(lb, SIZE_MAX, iov, 4096);
    ck_assert_int_ge(cnt, 0);
    ck_assert_uint_eq(bt_iov_flatten(iov, cnt, flat), n);
    ck_assert(memcmp(flat, want, n) == 0);
}

/* gnet's basic scenario: random-sized chunks pushed at both ends, then peeked,
 * discarded and read back in order. */
START_TEST(list_push_back_front_read)
{
    static unsigned char data[200000], want[200000], out[200000];
    uint64_t rng = 12345;
    bt_pattern(data, sizeof(data), 0);
    gn_listbuf_t lb = GN_LISTBUF_INIT;
    size_t off = 0, n = 0;
    /* Back pushes build want from data in order. */
    for (int i = 0; i < 100; i++) {
        size_t k = gn_test_rand(&rng) % 1500 + 1;
        ck_assert_int_eq(gn_listbuf_push_back(&lb, data + off, k), 0);
        memcpy(want + n, data + off, k);
        off += k;
        n += k;
    }
    /* Front pushes go before everything. */
    ck_assert_int_eq(gn_listbuf_push_front(&lb, "world", 5), 0);
    ck_assert_int_eq(gn_listbuf_push_front(&lb, "hello ", 6), 0);
    memmove(want + 11, want, n);
    memcpy(want, "hello world", 11);
    n += 11;
    assert_list(&lb, want, n);

    struct iovec iov[2];
    ck_assert_int_eq(gn_listbuf_peek(&lb, 8, iov, 2), 2);
    ck_assert_uint_eq(iov[0].iov_len, 6);
    ck_assert_uint_eq(iov[1].iov_len, 2);
    ck_assert_int_eq(gn_listbuf_peek(&lb, SIZE_MAX, iov, 1), 1);
    ck_assert_uint_eq(iov[0].iov_len, 6);
    ck_assert_int_eq(gn_listbuf_peek(&lb, 0, iov, 2), 0);
    ck_assert_int_eq(gn_listbuf_peek(&lb, 5, iov, 0), 0);

    ck_assert_int_eq(gn_listbuf_discard(&lb, 8), 8);
    ck_assert_int_eq(gn_listbuf_read(&lb, out, 1000), 1000);
    ck_assert(memcmp(out, want + 8, 1000) == 0);
    ck_assert_int_eq(gn_listbuf_read(&lb, out, sizeof(out)), (ssize_t)(n - 1008));
    ck_assert(memcmp(out, want + 1008, n - 1008) == 0);
    ck_assert(gn_listbuf_empty(&lb));
    ck_assert_uint_eq(gn_listbuf_nodes(&lb), 0);
    ck_assert_int_eq(gn_listbuf_read(&lb, out, 10), 0);
    ck_assert_int_eq(gn_listbuf_discard(&lb, 10), 0);
    gn_listbuf_release(&lb);
}
END_TEST

/* Small copies share a block; a large one gets a block of its own size. */
START_TEST(list_blocks_are_shared)
{
    gn_listbuf_t lb;
    gn_listbuf_init(&lb);
    unsigned char data[GN_LISTBUF_BLOCK * 3];
    bt_pattern(data, sizeof(data), 1);
    for (int i = 0; i < 64; i++)
        ck_assert_int_eq(gn_listbuf_push_back(&lb, data + i * 64, 64), 0);
    ck_assert_uint_eq(gn_listbuf_nodes(&lb), 1);
    ck_assert_int_eq(gn_listbuf_push_back(&lb, data + 4096, 1), 0);
    ck_assert_uint_eq(gn_listbuf_nodes(&lb), 2);
    ck_assert_int_eq(gn_listbuf_push_back(&lb, data + 4097, sizeof(data) - 4097), 0);
    ck_assert_uint_eq(gn_listbuf_nodes(&lb), 3);
    assert_list(&lb, data, sizeof(data));
    gn_listbuf_release(&lb);
}
END_TEST

typedef struct {
    int calls;
    void *last;
} free_log;

static void log_free(void *p, void *udata)
{
    free_log *l = udata;
    l->calls++;
    l->last = p;
}

/* Referenced blocks are not copied and their free_fn runs exactly once: when
 * consumed (not before), on reset and on release; also at once for n == 0. */
START_TEST(list_append_ref_ownership)
{
    static const char a[] = "zero-copy block A", b[] = "block B";
    free_log la = {0}, lb_ = {0}, lc = {0};
    gn_listbuf_t lb = GN_LISTBUF_INIT;
    ck_assert_int_eq(gn_listbuf_push_back(&lb, "head:", 5), 0);
    ck_assert_int_eq(gn_listbuf_append_ref(&lb, a, sizeof(a) - 1, log_free, &la), 0);
    ck_assert_int_eq(gn_listbuf_push_back(&lb, ":mid:", 5), 0);
    ck_assert_int_eq(gn_listbuf_append_ref(&lb, b, sizeof(b) - 1, log_free, &lb_), 0);
    ck_assert_uint_eq(gn_listbuf_nodes(&lb), 4);

    struct iovec iov[4];
    ck_assert_int_eq(gn_listbuf_peek(&lb, SIZE_MAX, iov, 4), 4);
    ck_assert_ptr_eq(iov[1].iov_base, a); /* not copied */
    ck_assert_uint_eq(iov[1].iov_len, sizeof(a) - 1);

    ck_assert_int_eq(gn_listbuf_discard(&lb, 5 + 3), 8);
    ck_assert_int_eq(la.calls, 0);
    ck_assert_int_eq(gn_listbuf_peek(&lb, SIZE_MAX, iov, 1), 1);
    ck_assert_ptr_eq(iov[0].iov_base, a + 3);
    char out[64];
    ck_assert_int_eq(gn_listbuf_read(&lb, out, sizeof(a) - 1 - 3), (ssize_t)(sizeof(a) - 4));
    ck_assert_int_eq(la.calls, 1);
    ck_assert_ptr_eq(la.last, a);
    ck_assert_int_eq(lb_.calls, 0);
    gn_listbuf_reset(&lb);
    ck_assert_int_eq(lb_.calls, 1);
    ck_assert_int_eq(la.calls, 1);

    ck_assert_int_eq(gn_listbuf_append_ref(&lb, b, sizeof(b) - 1, log_free, &lc), 0);
    ck_assert_int_eq(gn_listbuf_append_ref(&lb, b, sizeof(b) - 1, NULL, NULL), 0);
    gn_listbuf_release(&lb);
    ck_assert_int_eq(lc.calls, 1);

    free_log lz = {0};
    ck_assert_int_eq(gn_listbuf_append_ref(&lb, b, 0, log_free, &lz), 0);
    ck_assert_int_eq(lz.calls, 1);
    ck_assert(gn_listbuf_empty(&lb));
    ck_assert_uint_eq(gn_listbuf_nodes(&lb), 0);
}
END_TEST

static void free_heap(void *p, void *udata)
{
    (void)udata;
    free(p);
}

/* A steady push/consume cycle reuses the spare block: no allocation per op. */
START_TEST(list_spare_block_avoids_malloc)
{
    bt_alloc_install();
    gn_listbuf_t lb = GN_LISTBUF_INIT;
    unsigned char buf[512];
    ck_assert_int_eq(gn_listbuf_push_back(&lb, buf, 512), 0);
    ck_assert_int_eq(gn_listbuf_read(&lb, buf, 512), 512);
    long calls = bt_alloc_calls();
    for (int i = 0; i < 1000; i++) {
        ck_assert_int_eq(gn_listbuf_push_back(&lb, buf, 512), 0);
        ck_assert_int_eq(gn_listbuf_read(&lb, buf, 512), 512);
    }
    ck_assert_int_eq(bt_alloc_calls(), calls);
    ck_assert_int_eq(bt_alloc_live(), 1);
    gn_listbuf_shrink(&lb);
    ck_assert_int_eq(bt_alloc_live(), 0);
    /* A heap block handed over with append_ref is freed by its free_fn. */
    void *heap = malloc(100);
    ck_assert_int_eq(gn_listbuf_append_ref(&lb, heap, 100, free_heap, NULL), 0);
    gn_listbuf_release(&lb);
    ck_assert_int_eq(bt_alloc_live(), 0);
}
END_TEST

/* More blocks than IOV_MAX: write_fd sends at most 1024 per call and the rest
 * goes out on the following calls, in order. */
START_TEST(list_write_fd_beyond_iov_max)
{
    enum { NBLK = 2500, BLK = 7 };
    static unsigned char data[NBLK * BLK], got[NBLK * BLK];
    bt_pattern(data, sizeof(data), 42);
    int p[2];
    ck_assert_int_eq(pipe2(p, O_NONBLOCK), 0);
    gn_listbuf_t lb = GN_LISTBUF_INIT;
    for (int i = 0; i < NBLK; i++)
        ck_assert_int_eq(gn_listbuf_append_ref(&lb, data + i * BLK, BLK, NULL, NULL), 0);
    ck_assert_uint_eq(gn_listbuf_nodes(&lb), NBLK);
    size_t total = 0;
    int calls = 0;
    while (!gn_listbuf_empty(&lb)) {
        ssize_t n = gn_listbuf_write_fd(&lb, p[1]);
        ck_assert_int_gt(n, 0);
        ck_assert_int_le(n, 1024 * BLK);
        ck_assert_int_eq(read(p[0], got + total, (size_t)n), n);
        total += (size_t)n;
        calls++;
    }
    ck_assert_int_ge(calls, 3);
    ck_assert_uint_eq(total, sizeof(data));
    ck_assert(memcmp(got, data, sizeof(data)) == 0);
    gn_listbuf_release(&lb);
    close(p[0]);
    close(p[1]);
}
END_TEST

/* Partial writes through a socket, then read_fd on the other side. */
START_TEST(list_fd_roundtrip_partial)
{
    const size_t total = 600000;
    unsigned char *data = malloc(total);
    ck_assert_ptr_nonnull(data);
    bt_pattern(data, total, 9);
    int sv[2];
    bt_socketpair(sv, 8192);
    gn_listbuf_t out = GN_LISTBUF_INIT, in = GN_LISTBUF_INIT;
    ck_assert_int_eq(gn_listbuf_push_back(&out, data, 1000), 0);
    ck_assert_int_eq(gn_listbuf_append_ref(&out, data + 1000, 300000, NULL, NULL), 0);
    ck_assert_int_eq(gn_listbuf_push_back(&out, data + 301000, total - 301000), 0);
    int partial = 0;
    while (!gn_listbuf_empty(&out)) {
        size_t before = gn_listbuf_buffered(&out);
        ssize_t n = gn_listbuf_write_fd(&out, sv[0]);
        if (n == -EAGAIN) {
            ssize_t r;
            while ((r = gn_listbuf_read_fd(&in, sv[1], SIZE_MAX)) > 0)
                ;
            ck_assert_int_eq(r, -EAGAIN);
            continue;
        }
        ck_assert_int_gt(n, 0);
        partial += (size_t)n < before;
    }
    ssize_t r;
    while ((r = gn_listbuf_read_fd(&in, sv[1], 1000)) > 0)
        ck_assert_int_le(r, 1000);
    ck_assert_int_gt(partial, 0);
    assert_list(&in, data, total);
    close(sv[0]);
    ck_assert_int_eq(gn_listbuf_read_fd(&in, sv[1], SIZE_MAX), 0);
    ck_assert_int_eq(gn_listbuf_read_fd(&in, sv[1], 0), 0);
    assert_list(&in, data, total);
    gn_listbuf_release(&in);
    gn_listbuf_release(&out);
    close(sv[1]);
    free(data);
}
END_TEST

TCase *gn_tc_listbuf(void)
{
    TCase *tc = tcase_create("listbuf");
    tcase_add_test(tc, list_push_back_front_read);
    tcase_add_test(tc, list_blocks_are_shared);
    tcase_add_test(tc, list_append_ref_ownership);
    tcase_add_test(tc, list_spare_block_avoids_malloc);
    tcase_add_test(tc, list_write_fd_beyond_iov_max);
    tcase_add_test(tc, list_fd_roundtrip_partial);
    return tc;
}
