/* gn_ringbuf_read_fd / gn_ringbuf_write_fd through socketpairs and pipes. */
#include "buftest.h"

#include <gnet/ringbuf.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Reads everything the peer has queued into rb; returns the bytes read. */
static size_t drain_into(gn_ringbuf_t *rb, int fd)
{
    size_t total = 0;
    for (;;) {
        ssize_t n = gn_ringbuf_read_fd(rb, fd, SIZE_MAX);
        if (n == -EAGAIN)
            return total;
        ck_assert_int_gt(n, 0);
        total += (size_t)n;
    }
}

/* 1 MiB through a socket with small kernel buffers: write_fd is partial, hits
 * EAGAIN, and what arrives on the other side is the exact stream. */
START_TEST(ring_fd_roundtrip_partial_writes)
{
    const size_t total = 1 << 20;
    unsigned char *data = malloc(total);
    ck_assert_ptr_nonnull(data);
    bt_pattern(data, total, 11);
    int sv[2];
    bt_socketpair(sv, 16384);

    gn_ringbuf_t out, in;
    gn_ringbuf_init(&out);
    gn_ringbuf_init(&in);
    /* Leave a consumed prefix so the outbound contents wrap. */
    ck_assert_int_eq(gn_ringbuf_init_cap(&out, 4096), 0);
    ck_assert_int_eq(gn_ringbuf_write(&out, data, 3000), 0);
    ck_assert_int_eq(gn_ringbuf_discard(&out, 2000), 2000);
    ck_assert_int_eq(gn_ringbuf_write(&out, data + 3000, total - 3000), 0);

    int partial = 0, eagain = 0;
    size_t sent = 0, got = 0;
    while (!gn_ringbuf_empty(&out)) {
        size_t before = gn_ringbuf_buffered(&out);
        ssize_t n = gn_ringbuf_write_fd(&out, sv[0]);
        if (n == -EAGAIN) {
            eagain++;
            got += drain_into(&in, sv[1]);
            continue;
        }
        ck_assert_int_gt(n, 0);
        partial += (size_t)n < before;
        sent += (size_t)n;
        ck_assert_uint_eq(gn_ringbuf_buffered(&out), before - (size_t)n);
    }
    got += drain_into(&in, sv[1]);
    ck_assert_uint_eq(sent, total - 2000);
    ck_assert_uint_eq(got, sent);
    ck_assert_int_gt(partial, 0);
    ck_assert_int_gt(eagain, 0);

    unsigned char *flat = malloc(total);
    ck_assert_ptr_nonnull(flat);
    ck_assert_int_eq(gn_ringbuf_read(&in, flat, total), (ssize_t)got);
    ck_assert(bt_pattern_ok(flat, got, 11 + 2000));
    free(flat);
    free(data);
    gn_ringbuf_release(&out);
    gn_ringbuf_release(&in);
    close(sv[0]);
    close(sv[1]);
}
END_TEST

/* read_fd honours max, grows an empty ring to the default capacity, and at end
 * of file leaves an empty ring empty (gnet's ReadFrom marked it full). */
START_TEST(ring_fd_read_max_and_eof)
{
    int sv[2];
    bt_socketpair(sv, 65536);
    unsigned char data[300];
    bt_pattern(data, sizeof(data), 0);
    ck_assert_int_eq(write(sv[0], data, sizeof(data)), (ssize_t)sizeof(data));

    gn_ringbuf_t rb = GN_RINGBUF_INIT;
    ck_assert_int_eq(gn_ringbuf_read_fd(&rb, sv[1], 0), 0);
    ck_assert_uint_eq(gn_ringbuf_cap(&rb), 0);
    ck_assert_int_eq(gn_ringbuf_read_fd(&rb, sv[1], 10), 10);
    ck_assert_uint_eq(gn_ringbuf_buffered(&rb), 10);
    ck_assert_uint_eq(gn_ringbuf_cap(&rb), GN_RINGBUF_DEFAULT_CAP);
    ck_assert_int_eq(gn_ringbuf_read_fd(&rb, sv[1], SIZE_MAX), 290);
    ck_assert_int_eq(gn_ringbuf_read_fd(&rb, sv[1], SIZE_MAX), -EAGAIN);
    unsigned char out[300];
    ck_assert_int_eq(gn_ringbuf_read(&rb, out, sizeof(out)), 300);
    ck_assert(memcmp(out, data, 300) == 0);

    close(sv[0]);
    ck_assert_int_eq(gn_ringbuf_read_fd(&rb, sv[1], SIZE_MAX), 0);
    ck_assert(gn_ringbuf_empty(&rb));
    ck_assert_uint_eq(gn_ringbuf_buffered(&rb), 0);
    ck_assert_uint_eq(gn_ringbuf_available(&rb), gn_ringbuf_cap(&rb));
    ck_assert_int_eq(gn_ringbuf_write(&rb, "z", 1), 0);
    ck_assert_int_eq(gn_ringbuf_read(&rb, out, 10), 1);
    ck_assert_int_eq(out[0], 'z');
    gn_ringbuf_release(&rb);
    close(sv[1]);
}
END_TEST

/* read_fd fills a wrapped free space with one readv (both iovecs). */
START_TEST(ring_fd_read_into_wrapped_space)
{
    int sv[2];
    bt_socketpair(sv, 65536);
    gn_ringbuf_t rb;
    ck_assert_int_eq(gn_ringbuf_init_cap(&rb, 1024), 0);
    unsigned char data[1024];
    bt_pattern(data, sizeof(data), 0);
    ck_assert_int_eq(gn_ringbuf_write(&rb, data, 900), 0);
    ck_assert_int_eq(gn_ringbuf_discard(&rb, 800), 800);
    /* 100 buffered at 800..899; free 900..1023 and 0..799: 924 bytes. */
    ck_assert_int_eq(write(sv[0], data + 900, 124), 124);
    ck_assert_int_eq(write(sv[0], data, 600), 600);
    ck_assert_int_eq(gn_ringbuf_read_fd(&rb, sv[1], SIZE_MAX), 724);
    ck_assert_uint_eq(gn_ringbuf_cap(&rb), 1024);
    unsigned char out[1024];
    ck_assert_int_eq(gn_ringbuf_read(&rb, out, sizeof(out)), 824);
    ck_assert(memcmp(out, data + 800, 224) == 0);
    ck_assert(memcmp(out + 224, data, 600) == 0);
    gn_ringbuf_release(&rb);
    close(sv[0]);
    close(sv[1]);
}
END_TEST

/* A socket whose peer is gone gives -EPIPE, not SIGPIPE (which would kill this
 * forked test); nothing is consumed. */
START_TEST(ring_fd_write_epipe_no_signal)
{
    int sv[2];
    bt_socketpair(sv, 65536);
    close(sv[1]);
    gn_ringbuf_t rb = GN_RINGBUF_INIT;
    ck_assert_int_eq(gn_ringbuf_write(&rb, "hello", 5), 0);
    ck_assert_int_eq(gn_ringbuf_write_fd(&rb, sv[0]), -EPIPE);
    ck_assert_uint_eq(gn_ringbuf_buffered(&rb), 5);
    gn_ringbuf_release(&rb);
    ck_assert_int_eq(gn_ringbuf_write_fd(&rb, sv[0]), 0);
    close(sv[0]);
}
END_TEST

/* Pipes are not sockets: write_fd falls back to writev. */
START_TEST(ring_fd_pipe)
{
    int p[2];
    ck_assert_int_eq(pipe2(p, O_NONBLOCK), 0);
    gn_ringbuf_t a = GN_RINGBUF_INIT, b = GN_RINGBUF_INIT;
    unsigned char data[5000];
    bt_pattern(data, sizeof(data), 99);
    ck_assert_int_eq(gn_ringbuf_write(&a, data, sizeof(data)), 0);
    ck_assert_int_eq(gn_ringbuf_write_fd(&a, p[1]), 5000);
    ck_assert(gn_ringbuf_empty(&a));
    ck_assert_uint_eq(drain_into(&b, p[0]), 5000);
    unsigned char out[5000];
    ck_assert_int_eq(gn_ringbuf_read(&b, out, sizeof(out)), 5000);
    ck_assert(memcmp(out, data, 5000) == 0);
    ck_assert_int_eq(gn_ringbuf_read_fd(&b, p[0], 100), -EAGAIN);
    gn_ringbuf_release(&a);
    gn_ringbuf_release(&b);
    close(p[0]);
    close(p[1]);
}
END_TEST

/* Elastic ring: a read_fd that finds nothing does not keep the room it made. */
START_TEST(ring_fd_elastic_eagain_frees)
{
    int sv[2];
    bt_socketpair(sv, 65536);
    gn_ringbuf_t rb = GN_RINGBUF_INIT;
    gn_ringbuf_set_elastic(&rb, true);
    ck_assert_int_eq(gn_ringbuf_read_fd(&rb, sv[1], SIZE_MAX), -EAGAIN);
    ck_assert_uint_eq(gn_ringbuf_cap(&rb), 0);
    ck_assert_int_eq(write(sv[0], "abc", 3), 3);
    ck_assert_int_eq(gn_ringbuf_read_fd(&rb, sv[1], SIZE_MAX), 3);
    ck_assert_int_eq(gn_ringbuf_write_fd(&rb, sv[1]), 3);
    ck_assert_uint_eq(gn_ringbuf_cap(&rb), 0);
    char out[4];
    ck_assert_int_eq(read(sv[0], out, sizeof(out)), 3);
    ck_assert(memcmp(out, "abc", 3) == 0);
    close(sv[0]);
    close(sv[1]);
}
END_TEST

TCase *gn_tc_ringbuf_fd(void)
{
    TCase *tc = tcase_create("ringbuf_fd");
    tcase_add_test(tc, ring_fd_roundtrip_partial_writes);
    tcase_add_test(tc, ring_fd_read_max_and_eof);
    tcase_add_test(tc, ring_fd_read_into_wrapped_space);
    tcase_add_test(tc, ring_fd_write_epipe_no_signal);
    tcase_add_test(tc, ring_fd_pipe);
    tcase_add_test(tc, ring_fd_elastic_eagain_frees);
    return tc;
}
