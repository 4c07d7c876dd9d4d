/* gn_mixbuf_t unit tests: gnet's elastic buffer scenarios and the two gnet bugs
 * that must not come back (Peek with ring > n > list, WriteTo with an empty
 * ring), order across the ring/list split, fd round-trips, elastic mode. */
#include "buftest.h"

#include <gnet/mixbuf.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void assert_mix(const gn_mixbuf_t *mb, const unsigned char *want, size_t n)
{
    static struct iovec iov[1024];
    static unsigned char flat[1 << 21];
    ck_assert_uint_eq(gn_mixbuf_buffered(mb), n);
    int cnt = gn_mixbuf_peek(mb, SIZE_MAX, iov, 1024);
    ck_assert_int_ge(cnt, 0);
    ck_assert_uint_eq(bt_iov_flatten(iov, cnt, flat), n);
    ck_assert(memcmp(flat, want, n) == 0);
}

/* Ring holds 60 (more than n = 30), list holds 20 (less than n). gnet returned
 * the wrong bytes here; the prefix must be exactly the first 30 ring bytes. */
START_TEST(mix_peek_ring_more_than_n_list_less)
{
    unsigned char data[100];
    bt_pattern(data, sizeof(data), 0);
    gn_mixbuf_t mb;
    ck_assert_int_eq(gn_mixbuf_init(&mb, 64), 0);
    ck_assert_int_eq(gn_mixbuf_write(&mb, data, 60), 0);
    ck_assert_int_eq(gn_mixbuf_write(&mb, data + 60, 20), 0); /* 80 > 64: list */
    ck_assert_uint_eq(gn_listbuf_buffered(&mb.list), 20);     /* white-box: the split */

    struct iovec iov[4];
    unsigned char flat[100];
    int cnt = gn_mixbuf_peek(&mb, 30, iov, 4);
    ck_assert_int_eq(cnt, 1);
    ck_assert_uint_eq(bt_iov_flatten(iov, cnt, flat), 30);
    ck_assert(memcmp(flat, data, 30) == 0);

    cnt = gn_mixbuf_peek(&mb, 70, iov, 4);
    ck_assert_int_eq(cnt, 2);
    ck_assert_uint_eq(bt_iov_flatten(iov, cnt, flat), 70);
    ck_assert(memcmp(flat, data, 70) == 0);

    cnt = gn_mixbuf_peek(&mb, SIZE_MAX, iov, 4);
    ck_assert_uint_eq(bt_iov_flatten(iov, cnt, flat), 80);
    ck_assert(memcmp(flat, data, 80) == 0);

    /* Discard across the split, then read the rest. */
    ck_assert_int_eq(gn_mixbuf_discard(&mb, 65), 65);
    ck_assert_int_eq(gn_mixbuf_read(&mb, flat, sizeof(flat)), 15);
    ck_assert(memcmp(flat, data + 65, 15) == 0);
    ck_assert(gn_mixbuf_empty(&mb));
    gn_mixbuf_release(&mb);
}
END_TEST

/* With the ring drained and bytes in the list, write_fd must send the list
 * (gnet's WriteTo sent nothing). */
START_TEST(mix_write_fd_with_empty_ring)
{
    unsigned char data[100], got[100];
    bt_pattern(data, sizeof(data), 4);
    int p[2];
    ck_assert_int_eq(pipe2(p, O_NONBLOCK), 0);
    gn_mixbuf_t mb;
    gn_mixbuf_init(&mb, 64);
    ck_assert_int_eq(gn_mixbuf_write(&mb, data, 60), 0);
    ck_assert_int_eq(gn_mixbuf_write(&mb, data + 60, 40), 0);
    ck_assert_int_eq(gn_mixbuf_discard(&mb, 60), 60);
    ck_assert(gn_ringbuf_empty(&mb.ring));
    ck_assert_int_eq(gn_mixbuf_write_fd(&mb, p[1]), 40);
    ck_assert_int_eq(read(p[0], got, sizeof(got)), 40);
    ck_assert(memcmp(got, data + 60, 40) == 0);
    ck_assert(gn_mixbuf_empty(&mb));
    ck_assert_int_eq(gn_mixbuf_write_fd(&mb, p[1]), 0);
    gn_mixbuf_release(&mb);
    close(p[0]);
    close(p[1]);
}
END_TEST

/* Once the list holds data, small writes follow it even though the ring has
 * room again; when the list drains, writes go back to the ring. */
START_TEST(mix_order_across_split)
{
    unsigned char data[400], want[400];
    bt_pattern(data, sizeof(data), 8);
    gn_mixbuf_t mb;
    gn_mixbuf_init(&mb, 100);
    ck_assert_int_eq(gn_mixbuf_write(&mb, data, 90), 0);
    ck_assert_int_eq(gn_mixbuf_write(&mb, data + 90, 50), 0); /* list */
    ck_assert_int_eq(gn_mixbuf_discard(&mb, 80), 80);         /* ring: 10 left */
    ck_assert_int_eq(gn_mixbuf_write(&mb, data + 140, 5), 0); /* still list */
    ck_assert_uint_eq(gn_listbuf_buffered(&mb.list), 55);
    struct iovec v[2] = {{data + 145, 20}, {data + 165, 15}};
    ck_assert_int_eq(gn_mixbuf_writev(&mb, v, 2), 0);
    ck_assert_uint_eq(gn_listbuf_buffered(&mb.list), 90);
    memcpy(want, data + 80, 100);
    assert_mix(&mb, want, 100);

    ck_assert_int_eq(gn_mixbuf_discard(&mb, 100), 100);
    ck_assert_int_eq(gn_mixbuf_write(&mb, data, 30), 0);
    ck_assert_uint_eq(gn_ringbuf_buffered(&mb.ring), 30);
    ck_assert_int_eq(gn_mixbuf_writev(&mb, v, 2), 0);
    ck_assert_uint_eq(gn_ringbuf_buffered(&mb.ring), 65);
    ck_assert(gn_listbuf_empty(&mb.list));
    memcpy(want, data, 30);
    memcpy(want + 30, data + 145, 35);
    assert_mix(&mb, want, 65);
    gn_mixbuf_release(&mb);
}
END_TEST

/* With a wrapped ring and too few iovecs, peek returns a prefix, never a gap. */
START_TEST(mix_peek_short_iov_array)
{
    unsigned char data[1100], flat[200];
    bt_pattern(data, sizeof(data), 2);
    gn_mixbuf_t mb;
    gn_mixbuf_init(&mb, 1024);
    ck_assert_int_eq(gn_ringbuf_reserve(&mb.ring, 1), 0); /* ring cap 1024 */
    unsigned char filler[1000] = {0};
    ck_assert_int_eq(gn_mixbuf_write(&mb, filler, 1000), 0);
    ck_assert_int_eq(gn_mixbuf_write(&mb, data, 20), 0);
    ck_assert_int_eq(gn_mixbuf_discard(&mb, 1000), 1000);
    ck_assert_int_eq(gn_mixbuf_write(&mb, data + 20, 80), 0);    /* wraps */
    ck_assert_int_eq(gn_mixbuf_write(&mb, data + 100, 1000), 0); /* list */
    struct iovec iov[3];
    int cnt = gn_mixbuf_peek(&mb, SIZE_MAX, iov, 1);
    ck_assert_int_eq(cnt, 1);
    ck_assert_uint_eq(iov[0].iov_len, 24);
    ck_assert(memcmp(iov[0].iov_base, data, 24) == 0);
    cnt = gn_mixbuf_peek(&mb, SIZE_MAX, iov, 2);
    ck_assert_int_eq(cnt, 2);
    ck_assert_uint_eq(bt_iov_flatten(iov, cnt, flat), 100);
    ck_assert(memcmp(flat, data, 100) == 0);
    cnt = gn_mixbuf_peek(&mb, 150, iov, 3);
    ck_assert_int_eq(cnt, 3);
    ck_assert_uint_eq(iov[2].iov_len, 50);
    ck_assert(memcmp(iov[2].iov_base, data + 100, 50) == 0);
    gn_mixbuf_release(&mb);
}
END_TEST

/* A large mixed stream through a socket with partial writes; read_fd on the far
 * side fills the ring up to max_static, then the list. */
START_TEST(mix_fd_roundtrip_partial)
{
    const size_t total = 1 << 20;
    unsigned char *data = malloc(total);
    ck_assert_ptr_nonnull(data);
    bt_pattern(data, total, 77);
    int sv[2];
    bt_socketpair(sv, 16384);
    gn_mixbuf_t out, in;
    gn_mixbuf_init(&out, 64 * 1024);
    gn_mixbuf_init(&in, 32 * 1024);
    size_t queued = 0;
    while (queued < total) {
        size_t k = queued % 7 == 0 ? 50000 : 3000;
        if (k > total - queued)
            k = total - queued;
        ck_assert_int_eq(gn_mixbuf_write(&out, data + queued, k), 0);
        queued += k;
    }
    ck_assert(!gn_listbuf_empty(&out.list));
    int partial = 0;
    while (!gn_mixbuf_empty(&out)) {
        size_t before = gn_mixbuf_buffered(&out);
        ssize_t n = gn_mixbuf_write_fd(&out, sv[0]);
        if (n == -EAGAIN) {
            ssize_t r;
            while ((r = gn_mixbuf_read_fd(&in, sv[1], SIZE_MAX)) > 0)
                ;
            ck_assert_int_eq(r, -EAGAIN);
            continue;
        }
        ck_assert_int_gt(n, 0);
        partial += (size_t)n < before;
    }
    while (gn_mixbuf_read_fd(&in, sv[1], SIZE_MAX) > 0)
        ;
    ck_assert_int_gt(partial, 0);
    ck_assert_uint_le(gn_ringbuf_buffered(&in.ring), 32 * 1024);
    ck_assert(!gn_listbuf_empty(&in.list));
    assert_mix(&in, data, total);
    gn_mixbuf_release(&out);
    gn_mixbuf_release(&in);
    close(sv[0]);
    close(sv[1]);
    free(data);
}
END_TEST

/* Elastic: a drained buffer holds no memory at all. */
START_TEST(mix_elastic_holds_nothing_when_idle)
{
    bt_alloc_install();
    unsigned char data[5000];
    bt_pattern(data, sizeof(data), 1);
    gn_mixbuf_t mb;
    gn_mixbuf_init(&mb, 1024);
    gn_mixbuf_set_elastic(&mb, true);
    ck_assert_int_eq(gn_mixbuf_write(&mb, data, 1000), 0);
    ck_assert_int_eq(gn_mixbuf_write(&mb, data + 1000, 4000), 0);
    ck_assert_int_gt(bt_alloc_live(), 1);
    unsigned char out[5000];
    ck_assert_int_eq(gn_mixbuf_read(&mb, out, 3000), 3000);
    ck_assert_int_eq(gn_mixbuf_read(&mb, out + 3000, 3000), 2000);
    ck_assert(memcmp(out, data, 5000) == 0);
    ck_assert_int_eq(bt_alloc_live(), 0);

    /* Not elastic: memory stays until shrink. */
    gn_mixbuf_set_elastic(&mb, false);
    ck_assert_int_eq(gn_mixbuf_write(&mb, data, 1000), 0);
    ck_assert_int_eq(gn_mixbuf_write(&mb, data, 100), 0);
    ck_assert_int_eq(gn_mixbuf_discard(&mb, SIZE_MAX), 1100);
    ck_assert_int_eq(bt_alloc_live(), 2);
    gn_mixbuf_shrink(&mb);
    ck_assert_int_eq(bt_alloc_live(), 0);
    ck_assert_int_eq(gn_mixbuf_write(&mb, data, 10), 0);
    gn_mixbuf_reset(&mb);
    ck_assert(gn_mixbuf_empty(&mb));
    gn_mixbuf_release(&mb);
    ck_assert_int_eq(bt_alloc_live(), 0);
}
END_TEST

/* The ring's allocation, not only its contents, stays within max_static,
 * whichever call fills it (write, writev, read_fd): the growth policy's steps
 * (x2, x1.25) would otherwise overshoot it (64 KiB would end at 74501). */
START_TEST(mix_ring_cap_within_max_static)
{
    static const size_t limits[] = {100, 1500, 5000, 32 * 1024, 64 * 1024};
    unsigned char data[1000];
    bt_pattern(data, sizeof(data), 5);
    for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
        gn_mixbuf_t mb;
        gn_mixbuf_init(&mb, limits[i]);
        while (gn_listbuf_empty(&mb.list)) {
            size_t k = 1 + gn_mixbuf_buffered(&mb) % 999;
            if (gn_mixbuf_buffered(&mb) % 2 == 0) {
                ck_assert_int_eq(gn_mixbuf_write(&mb, data, k), 0);
            } else {
                struct iovec v[2] = {{data, k / 2}, {data, k - k / 2}};
                ck_assert_int_eq(gn_mixbuf_writev(&mb, v, 2), 0);
            }
            ck_assert_uint_le(gn_ringbuf_cap(&mb.ring), limits[i]);
        }
        gn_mixbuf_release(&mb);

        int sv[2];
        bt_socketpair(sv, 4096);
        gn_mixbuf_init(&mb, limits[i]);
        while (gn_listbuf_empty(&mb.list)) {
            ck_assert_int_eq(write(sv[0], data, 700), 700);
            /* The ring takes what fits, the list the rest on the next call. */
            for (size_t got = 0; got < 700;) {
                ssize_t r = gn_mixbuf_read_fd(&mb, sv[1], SIZE_MAX);
                ck_assert_int_gt(r, 0);
                got += (size_t)r;
                ck_assert_uint_le(gn_ringbuf_cap(&mb.ring), limits[i]);
            }
        }
        gn_mixbuf_release(&mb);
        close(sv[0]);
        close(sv[1]);
    }
}
END_TEST

TCase *gn_tc_mixbuf(void)
{
    TCase *tc = tcase_create("mixbuf");
    tcase_add_test(tc, mix_peek_ring_more_than_n_list_less);
    tcase_add_test(tc, mix_write_fd_with_empty_ring);
    tcase_add_test(tc, mix_order_across_split);
    tcase_add_test(tc, mix_peek_short_iov_array);
    tcase_add_test(tc, mix_fd_roundtrip_partial);
    tcase_add_test(tc, mix_elastic_holds_nothing_when_idle);
    tcase_add_test(tc, mix_ring_cap_within_max_static);
    return tc;
}
