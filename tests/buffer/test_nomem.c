/* Allocation failure returns -ENOMEM and leaves the buffer exactly as it was. */
#include "buftest.h"

#include <gnet/listbuf.h>
#include <gnet/mixbuf.h>
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

/* Flattens a list buffer (or the whole of a mixed buffer) for comparison. */
static size_t list_flat(const gn_listbuf_t *lb, unsigned char *out)
{
    struct iovec iov[64];
    int cnt = gn_listbuf_peek(lb, SIZE_MAX, iov, 64);
    ck_assert_int_lt(cnt, 64);
    return bt_iov_flatten(iov, cnt, out);
}

static size_t mix_flat(const gn_mixbuf_t *mb, unsigned char *out)
{
    struct iovec iov[64];
    int cnt = gn_mixbuf_peek(mb, SIZE_MAX, iov, 64);
    ck_assert_int_lt(cnt, 64);
    return bt_iov_flatten(iov, cnt, out);
}

static void never_called(void *p, void *udata)
{
    (void)p;
    (void)udata;
    ck_abort_msg("free_fn called after a failed append_ref");
}

START_TEST(nomem_listbuf)
{
    static unsigned char data[10000], before[20000], after[20000];
    bt_pattern(data, sizeof(data), 3);
    bt_alloc_install();
    gn_listbuf_t lb = GN_LISTBUF_INIT;
    /* A tail block with 96 bytes of room, so a push that needs a new block
     * must not fill that room before the allocation fails. */
    ck_assert_int_eq(gn_listbuf_push_back(&lb, data, 4000), 0);
    ck_assert_int_eq(gn_listbuf_discard(&lb, 10), 10);
    size_t n = list_flat(&lb, before);
    size_t nodes = gn_listbuf_nodes(&lb);

    bt_alloc_fail_after(0);
    ck_assert_int_eq(gn_listbuf_push_back(&lb, data, 500), -ENOMEM);
    struct iovec v[2] = {{data, 50}, {data + 50, 5000}};
    ck_assert_int_eq(gn_listbuf_writev(&lb, v, 2), -ENOMEM);
    ck_assert_int_eq(gn_listbuf_push_front(&lb, data, 10), -ENOMEM);
    ck_assert_int_eq(gn_listbuf_append_ref(&lb, data, 10, never_called, NULL), -ENOMEM);
    int p[2];
    ck_assert_int_eq(pipe2(p, O_NONBLOCK), 0);
    ck_assert_int_eq(gn_listbuf_push_back(&lb, data, 96), 0); /* fits: no allocation */
    ck_assert_int_eq(write(p[1], "abc", 3), 3);
    ck_assert_int_eq(gn_listbuf_read_fd(&lb, p[0], 10), -ENOMEM);
    ck_assert_int_eq(gn_listbuf_discard(&lb, 1), 1); /* still works */

    ck_assert_uint_eq(gn_listbuf_nodes(&lb), nodes);
    ck_assert_uint_eq(list_flat(&lb, after), n + 96 - 1);
    ck_assert(memcmp(after, before + 1, n - 1) == 0);
    ck_assert(memcmp(after + n - 1, data, 96) == 0);

    bt_alloc_fail_after(-1);
    ck_assert_int_eq(gn_listbuf_read_fd(&lb, p[0], 10), 3);
    gn_listbuf_release(&lb);
    ck_assert_int_eq(bt_alloc_live(), 0);
    close(p[0]);
    close(p[1]);
}
END_TEST

START_TEST(nomem_mixbuf)
{
    static unsigned char data[10000], before[20000], after[20000];
    bt_pattern(data, sizeof(data), 6);
    bt_alloc_install();
    for (int in_list = 0; in_list < 2; in_list++) {
        gn_mixbuf_t mb;
        gn_mixbuf_init(&mb, 2048);
        ck_assert_int_eq(gn_mixbuf_write(&mb, data, 1024), 0);
        if (in_list)
            ck_assert_int_eq(gn_mixbuf_write(&mb, data + 1024, GN_LISTBUF_BLOCK + 1500), 0);
        size_t n = mix_flat(&mb, before);
        bt_alloc_fail_after(0);
        /* Growing the ring past 1024 and a new list block both fail. */
        ck_assert_int_eq(gn_mixbuf_write(&mb, data, 600), -ENOMEM);
        ck_assert_int_eq(gn_mixbuf_write(&mb, data, 5000), -ENOMEM);
        struct iovec v[3] = {{data, 300}, {data, 0}, {data + 300, 300}};
        ck_assert_int_eq(gn_mixbuf_writev(&mb, v, 3), -ENOMEM);
        ck_assert_uint_eq(mix_flat(&mb, after), n);
        ck_assert(memcmp(after, before, n) == 0);
        bt_alloc_fail_after(-1);
        ck_assert_int_eq(gn_mixbuf_writev(&mb, v, 3), 0);
        ck_assert_uint_eq(gn_mixbuf_buffered(&mb), n + 600);
        gn_mixbuf_release(&mb);
    }
    ck_assert_int_eq(bt_alloc_live(), 0);
}
END_TEST

TCase *gn_tc_nomem(void)
{
    TCase *tc = tcase_create("nomem");
    tcase_add_test(tc, nomem_ringbuf_growth);
    tcase_add_test(tc, nomem_ringbuf_first_allocation);
    tcase_add_test(tc, nomem_listbuf);
    tcase_add_test(tc, nomem_mixbuf);
    return tc;
}
