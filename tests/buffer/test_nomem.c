/* Allocation failure returns -ENOMEM and leaves the buffer exactly as it was. */
#include "buftest.h"

#include <gnet/ringbuf.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

/* A snapshot of a ring's observable state. */
typedef struct {
    size_t buffered, cap;
    unsigned char data[8192];
} ring_snap;

static void ring_take(const gn_ringbuf_t *rb, ring_snap *s)
{
    struct iovec iov[2];
    s->buffered = gn_ringbuf_buffered(rb);
    s->cap = gn_ringbuf_cap(rb);
    int cnt = gn_ringbuf_peek(rb, SIZE_MAX, iov);
    ck_assert_uint_eq(bt_iov_flatten(iov, cnt, s->data), s->buffered);
}

static void ring_same(const gn_ringbuf_t *rb, const ring_snap *s)
{
    ring_snap now;
    ring_take(rb, &now);
    ck_assert_uint_eq(now.buffered, s->buffered);
    ck_assert_uint_eq(now.cap, s->cap);
    ck_assert(memcmp(now.data, s->data, s->buffered) == 0);
}

/* Builds a full ring whose contents wrap (the malloc path of growth) or are
 * contiguous (the realloc path). */
static void ring_full(gn_ringbuf_t *rb, int wrapped)
{
    unsigned char data[1024];
    bt_pattern(data, sizeof(data), 5);
    ck_assert_int_eq(gn_ringbuf_init_cap(rb, 1024), 0);
    if (wrapped) {
        ck_assert_int_eq(gn_ringbuf_write(rb, data, 700), 0);
        ck_assert_int_eq(gn_ringbuf_discard(rb, 500), 500);
    }
    ck_assert_int_eq(gn_ringbuf_write(rb, data, gn_ringbuf_available(rb)), 0);
}

START_TEST(nomem_ringbuf_growth)
{
    bt_alloc_install();
    for (int wrapped = 0; wrapped < 2; wrapped++) {
        gn_ringbuf_t rb;
        ring_snap s;
        ring_full(&rb, wrapped);
        ring_take(&rb, &s);
        bt_alloc_fail_after(0);
        ck_assert_int_eq(gn_ringbuf_write(&rb, "x", 1), -ENOMEM);
        ring_same(&rb, &s);
        struct iovec v[2] = {{"ab", 2}, {"cd", 2}};
        ck_assert_int_eq(gn_ringbuf_writev(&rb, v, 2), -ENOMEM);
        ring_same(&rb, &s);
        ck_assert_int_eq(gn_ringbuf_reserve(&rb, 1), -ENOMEM);
        ring_same(&rb, &s);
        /* Operations that need no memory still work. */
        ck_assert_int_eq(gn_ringbuf_discard(&rb, 1), 1);
        ck_assert_int_eq(gn_ringbuf_write(&rb, "y", 1), 0);
        bt_alloc_fail_after(-1);
        ck_assert_int_eq(gn_ringbuf_write(&rb, "x", 1), 0);
        ck_assert_uint_eq(gn_ringbuf_cap(&rb), 2048);
        gn_ringbuf_release(&rb);
    }
    ck_assert_int_eq(bt_alloc_live(), 0);
}
END_TEST

START_TEST(nomem_ringbuf_first_allocation)
{
    bt_alloc_install();
    gn_ringbuf_t rb;
    bt_alloc_fail_after(0);
    ck_assert_int_eq(gn_ringbuf_init_cap(&rb, 100), -ENOMEM);
    ck_assert_uint_eq(gn_ringbuf_cap(&rb), 0);
    ck_assert(gn_ringbuf_empty(&rb));
    ck_assert_int_eq(gn_ringbuf_write(&rb, "x", 1), -ENOMEM);
    ck_assert(gn_ringbuf_empty(&rb));
    ck_assert_uint_eq(gn_ringbuf_cap(&rb), 0);

    /* read_fd must not consume from the fd when it cannot make room. */
    int p[2];
    ck_assert_int_eq(pipe2(p, O_NONBLOCK), 0);
    ck_assert_int_eq(write(p[1], "abc", 3), 3);
    ck_assert_int_eq(gn_ringbuf_read_fd(&rb, p[0], SIZE_MAX), -ENOMEM);
    bt_alloc_fail_after(-1);
    ck_assert_int_eq(gn_ringbuf_read_fd(&rb, p[0], SIZE_MAX), 3);
    gn_ringbuf_release(&rb);
    ck_assert_int_eq(bt_alloc_live(), 0);
    close(p[0]);
    close(p[1]);
}
END_TEST

TCase *gn_tc_nomem(void)
{
    TCase *tc = tcase_create("nomem");
    tcase_add_test(tc, nomem_ringbuf_growth);
    tcase_add_test(tc, nomem_ringbuf_first_allocation);
    return tc;
}
