/* Large messages: a frame split over thousands of reads, read by a handler
 * that peeks all on every call and returns until the frame is complete. */
#include "harness.h"

#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define FRAME (32u << 20)

static atomic_int G_calls, G_frames;
static atomic_uint G_sum;

static uint32_t sum_bytes(const unsigned char *p, size_t n)
{
    uint32_t s = 0;
    for (size_t i = 0; i < n; i++)
        s = s * 31u + p[i];
    return s;
}

/* Frames: 8-byte little-endian length, then the payload; each complete
 * frame is answered with its checksum. */
static gn_action_t frame_traffic(gn_conn_t *c)
{
    atomic_fetch_add(&G_calls, 1);
    for (;;) {
        size_t n;
        const unsigned char *p = gn_conn_peek(c, SIZE_MAX, &n);
        ck_assert_ptr_nonnull(p);
        if (n < 8)
            return GN_NONE;
        uint64_t len = 0;
        for (int i = 7; i >= 0; i--)
            len = len << 8 | p[i];
        if (n - 8 < len)
            return GN_NONE; /* incomplete: wait for more */
        uint32_t s = sum_bytes(p + 8, (size_t)len);
        atomic_store(&G_sum, s);
        atomic_fetch_add(&G_frames, 1);
        ck_assert_int_eq(gn_conn_discard(c, 8 + (size_t)len), (ssize_t)(8 + len));
        ck_assert_int_eq(gn_conn_write(c, &s, sizeof s), (ssize_t)sizeof s);
    }
}

/* Sends one frame of len bytes in pieces of `piece` bytes (the last one
 * followed by `tail` bytes of the next frame's header, when tail > 0). */
static uint32_t send_frame(int fd, size_t len, size_t piece, const unsigned char *extra,
                           size_t nextra)
{
    unsigned char *f = malloc(8 + len + nextra);
    ck_assert_ptr_nonnull(f);
    for (int i = 0; i < 8; i++)
        f[i] = (unsigned char)((uint64_t)len >> (8 * i));
    uint64_t st = len | 1;
    for (size_t i = 0; i < len; i++)
        f[8 + i] = (unsigned char)(gn_test_rand(&st) >> 56);
    if (nextra > 0)
        memcpy(f + 8 + len, extra, nextra);
    uint32_t s = sum_bytes(f + 8, len);
    size_t off = 0, total = 8 + len + nextra;
    while (off < total) {
        size_t k = total - off < piece ? total - off : piece;
        ssize_t w = send(fd, f + off, k, MSG_NOSIGNAL);
        ck_assert_int_gt(w, 0);
        off += (size_t)w;
    }
    free(f);
    return s;
}

/* A 4-byte answer; generous waits, as a sanitized server under load may
 * take long over a frame this size. */
static uint32_t read_answer(int fd)
{
    uint32_t v = 0;
    size_t got = 0;
    while (got < sizeof v) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        ck_assert_int_eq(poll(&pfd, 1, 120000), 1);
        ssize_t r = read(fd, (char *)&v + got, sizeof v - got);
        ck_assert_int_gt(r, 0);
        got += (size_t)r;
    }
    return v;
}

START_TEST(test_large_frame_split)
{
    srv_init(_i ? "unix" : "tcp", M_WRITE);
    S.h.on_traffic = frame_traffic;
    S.o.read_buffer_cap = 4096; /* thousands of reads for the frame */
    srv_start();
    int fd = cli_connect();
    /* A small frame first, then the big one with the start of a third. */
    uint32_t s1 = send_frame(fd, 100, 7, NULL, 0);
    ck_assert_uint_eq(read_answer(fd), s1);
    const unsigned char next_hdr[3] = {5, 0, 0};
    uint32_t s2 = send_frame(fd, FRAME, 4096, next_hdr, sizeof next_hdr);
    ck_assert_uint_eq(read_answer(fd), s2);
    ck_assert_int_eq(atomic_load(&G_frames), 2);
    ck_assert_int_gt(atomic_load(&G_calls), 1000); /* it really was split */
    /* The rest of the third frame's header and its 5 bytes. */
    const unsigned char rest[10] = {0, 0, 0, 0, 0, 'a', 'b', 'c', 'd', 'e'};
    ck_assert_int_eq(send(fd, rest, sizeof rest, MSG_NOSIGNAL), (ssize_t)sizeof rest);
    ck_assert_uint_eq(read_answer(fd), sum_bytes((const unsigned char *)"abcde", 5));
    close(fd);
    ck_assert(wait_atomic(&S.closes, 1, 10000));
    srv_stop();
}
END_TEST

void add_large_tests(Suite *s);
void add_large_tests(Suite *s)
{
    TCase *tc = tcase_create("large");
    tcase_set_timeout(tc, gn_test_sanitized() ? 400 : 120);
    tcase_add_loop_test(tc, test_large_frame_split, 0, 2);
    suite_add_tcase(s, tc);
}
