/* Bad input is a clear error, never a crash; zero-length operations are no-ops
 * that never allocate. */
#include "buftest.h"

#include <gnet/listbuf.h>
#include <gnet/mixbuf.h>
#include <gnet/ringbuf.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

START_TEST(bad_ringbuf_null_and_zero)
{
    struct iovec iov[2];
    char c = 'x';
    ck_assert_int_eq(gn_ringbuf_init(NULL), -EINVAL);
    ck_assert_int_eq(gn_ringbuf_init_cap(NULL, 10), -EINVAL);
    gn_ringbuf_release(NULL);
    gn_ringbuf_reset(NULL);
    gn_ringbuf_shrink(NULL);
    gn_ringbuf_set_elastic(NULL, true);
    ck_assert_int_eq(gn_ringbuf_write(NULL, &c, 1), -EINVAL);
    ck_assert_int_eq(gn_ringbuf_writev(NULL, iov, 1), -EINVAL);
    ck_assert_int_eq(gn_ringbuf_reserve(NULL, 1), -EINVAL);
    ck_assert_int_eq(gn_ringbuf_read(NULL, &c, 1), -EINVAL);
    ck_assert_int_eq(gn_ringbuf_peek(NULL, 1, iov), -EINVAL);
    ck_assert_int_eq(gn_ringbuf_discard(NULL, 1), -EINVAL);
    ck_assert_int_eq(gn_ringbuf_space(NULL, iov), -EINVAL);
    ck_assert_int_eq(gn_ringbuf_commit(NULL, 0), -EINVAL);
    ck_assert_uint_eq(gn_ringbuf_buffered(NULL), 0);
    ck_assert_uint_eq(gn_ringbuf_available(NULL), 0);
    ck_assert_uint_eq(gn_ringbuf_cap(NULL), 0);
    ck_assert(gn_ringbuf_empty(NULL));
    ck_assert_int_eq(gn_ringbuf_read_fd(NULL, 0, 1), -EINVAL);
    ck_assert_int_eq(gn_ringbuf_write_fd(NULL, 1), -EINVAL);

    /* Zero-length operations on a fresh ring: no error and no allocation. */
    gn_ringbuf_t rb = GN_RINGBUF_INIT;
    ck_assert_int_eq(gn_ringbuf_write(&rb, NULL, 0), 0);
    ck_assert_int_eq(gn_ringbuf_write(&rb, &c, 0), 0);
    ck_assert_int_eq(gn_ringbuf_writev(&rb, NULL, 0), 0);
    ck_assert_int_eq(gn_ringbuf_reserve(&rb, 0), 0);
    ck_assert_int_eq(gn_ringbuf_read(&rb, NULL, 0), 0);
    ck_assert_int_eq(gn_ringbuf_discard(&rb, 0), 0);
    ck_assert_int_eq(gn_ringbuf_commit(&rb, 0), 0);
    ck_assert_int_eq(gn_ringbuf_space(&rb, iov), 0);
    ck_assert_int_eq(gn_ringbuf_write_fd(&rb, 1), 0);
    ck_assert_uint_eq(gn_ringbuf_cap(&rb), 0);

    /* Bad pointers with a non-zero length, bad vectors, bad fds. */
    ck_assert_int_eq(gn_ringbuf_write(&rb, NULL, 1), -EINVAL);
    ck_assert_int_eq(gn_ringbuf_read(&rb, NULL, 1), -EINVAL);
    ck_assert_int_eq(gn_ringbuf_peek(&rb, 1, NULL), -EINVAL);
    ck_assert_int_eq(gn_ringbuf_space(&rb, NULL), -EINVAL);
    ck_assert_int_eq(gn_ringbuf_writev(&rb, NULL, 1), -EINVAL);
    ck_assert_int_eq(gn_ringbuf_writev(&rb, iov, -1), -EINVAL);
    struct iovec bad[2] = {{&c, 1}, {NULL, 1}};
    ck_assert_int_eq(gn_ringbuf_writev(&rb, bad, 2), -EINVAL);
    struct iovec huge[2] = {{&c, SIZE_MAX}, {&c, 2}};
    ck_assert_int_eq(gn_ringbuf_writev(&rb, huge, 2), -EINVAL);
    ck_assert_int_eq(gn_ringbuf_read_fd(&rb, -1, 10), -EINVAL);
    ck_assert_int_eq(gn_ringbuf_write(&rb, "ab", 2), 0);
    ck_assert_int_eq(gn_ringbuf_write_fd(&rb, -1), -EINVAL);
    ck_assert_int_eq(gn_ringbuf_commit(&rb, gn_ringbuf_available(&rb) + 1), -EINVAL);
    /* A write whose size cannot be counted in ssize_t fails without change. */
    ck_assert_int_eq(gn_ringbuf_write(&rb, &c, SIZE_MAX), -ENOMEM);
    ck_assert_int_eq(gn_ringbuf_reserve(&rb, SIZE_MAX - 1), -ENOMEM);
    ck_assert_uint_eq(gn_ringbuf_buffered(&rb), 2);
    ck_assert_uint_eq(gn_ringbuf_cap(&rb), GN_RINGBUF_DEFAULT_CAP);
    gn_ringbuf_release(&rb);
}
END_TEST

static void count_free(void *p, void *udata)
{
    (void)p;
    ++*(int *)udata;
}

START_TEST(bad_listbuf_null_and_zero)
{
    struct iovec iov[2];
    char c = 'x';
    int freed = 0;
    ck_assert_int_eq(gn_listbuf_init(NULL), -EINVAL);
    gn_listbuf_release(NULL);
    gn_listbuf_reset(NULL);
    gn_listbuf_shrink(NULL);
    ck_assert_int_eq(gn_listbuf_push_back(NULL, &c, 1), -EINVAL);
    ck_assert_int_eq(gn_listbuf_push_front(NULL, &c, 1), -EINVAL);
    ck_assert_int_eq(gn_listbuf_writev(NULL, iov, 1), -EINVAL);
    ck_assert_int_eq(gn_listbuf_append_ref(NULL, &c, 1, count_free, &freed), -EINVAL);
    ck_assert_int_eq(gn_listbuf_peek(NULL, 1, iov, 2), -EINVAL);
    ck_assert_int_eq(gn_listbuf_discard(NULL, 1), -EINVAL);
    ck_assert_int_eq(gn_listbuf_read(NULL, &c, 1), -EINVAL);
    ck_assert_uint_eq(gn_listbuf_buffered(NULL), 0);
    ck_assert_uint_eq(gn_listbuf_nodes(NULL), 0);
    ck_assert(gn_listbuf_empty(NULL));
    ck_assert_int_eq(gn_listbuf_write_fd(NULL, 1), -EINVAL);
    ck_assert_int_eq(gn_listbuf_read_fd(NULL, 0, 1), -EINVAL);
    ck_assert_int_eq(freed, 0); /* failed calls never call back */

    bt_alloc_install();
    gn_listbuf_t lb = GN_LISTBUF_INIT;
    ck_assert_int_eq(gn_listbuf_push_back(&lb, NULL, 0), 0);
    ck_assert_int_eq(gn_listbuf_push_front(&lb, NULL, 0), 0);
    ck_assert_int_eq(gn_listbuf_writev(&lb, NULL, 0), 0);
    struct iovec empty[2] = {{NULL, 0}, {&c, 0}};
    ck_assert_int_eq(gn_listbuf_writev(&lb, empty, 2), 0);
    ck_assert_int_eq(gn_listbuf_append_ref(&lb, NULL, 0, NULL, NULL), 0);
    ck_assert_int_eq(gn_listbuf_read(&lb, NULL, 0), 0);
    ck_assert_int_eq(gn_listbuf_discard(&lb, 0), 0);
    ck_assert_int_eq(gn_listbuf_peek(&lb, SIZE_MAX, NULL, 0), 0);
    ck_assert_int_eq(gn_listbuf_write_fd(&lb, 1), 0);
    ck_assert_int_eq(gn_listbuf_read_fd(&lb, 0, 0), 0);
    ck_assert_int_eq(bt_alloc_calls(), 0);
    ck_assert_uint_eq(gn_listbuf_nodes(&lb), 0);

    ck_assert_int_eq(gn_listbuf_push_back(&lb, NULL, 1), -EINVAL);
    ck_assert_int_eq(gn_listbuf_push_front(&lb, NULL, 1), -EINVAL);
    ck_assert_int_eq(gn_listbuf_append_ref(&lb, NULL, 1, count_free, &freed), -EINVAL);
    ck_assert_int_eq(freed, 0);
    ck_assert_int_eq(gn_listbuf_read(&lb, NULL, 1), -EINVAL);
    ck_assert_int_eq(gn_listbuf_peek(&lb, 1, NULL, 1), -EINVAL);
    ck_assert_int_eq(gn_listbuf_peek(&lb, 1, iov, -1), -EINVAL);
    ck_assert_int_eq(gn_listbuf_writev(&lb, NULL, 1), -EINVAL);
    ck_assert_int_eq(gn_listbuf_writev(&lb, iov, -1), -EINVAL);
    struct iovec bad[2] = {{&c, 1}, {NULL, 1}};
    ck_assert_int_eq(gn_listbuf_writev(&lb, bad, 2), -EINVAL);
    ck_assert_int_eq(gn_listbuf_write_fd(&lb, -1), -EINVAL);
    ck_assert_int_eq(gn_listbuf_read_fd(&lb, -1, 1), -EINVAL);
    ck_assert(gn_listbuf_empty(&lb));
    ck_assert_int_eq(bt_alloc_calls(), 0);
}
END_TEST

START_TEST(bad_mixbuf_null_and_zero)
{
    struct iovec iov[2];
    char c = 'x';
    gn_mixbuf_t mb;
    ck_assert_int_eq(gn_mixbuf_init(NULL, 10), -EINVAL);
    ck_assert_int_eq(gn_mixbuf_init(&mb, 0), -EINVAL);
    gn_mixbuf_release(NULL);
    gn_mixbuf_reset(NULL);
    gn_mixbuf_shrink(NULL);
    gn_mixbuf_set_elastic(NULL, true);
    ck_assert_int_eq(gn_mixbuf_write(NULL, &c, 1), -EINVAL);
    ck_assert_int_eq(gn_mixbuf_writev(NULL, iov, 1), -EINVAL);
    ck_assert_int_eq(gn_mixbuf_peek(NULL, 1, iov, 2), -EINVAL);
    ck_assert_int_eq(gn_mixbuf_discard(NULL, 1), -EINVAL);
    ck_assert_int_eq(gn_mixbuf_read(NULL, &c, 1), -EINVAL);
    ck_assert_uint_eq(gn_mixbuf_buffered(NULL), 0);
    ck_assert(gn_mixbuf_empty(NULL));
    ck_assert_int_eq(gn_mixbuf_write_fd(NULL, 1), -EINVAL);
    ck_assert_int_eq(gn_mixbuf_read_fd(NULL, 0, 1), -EINVAL);

    bt_alloc_install();
    ck_assert_int_eq(gn_mixbuf_init(&mb, 100), 0);
    ck_assert_int_eq(gn_mixbuf_write(&mb, NULL, 0), 0);
    ck_assert_int_eq(gn_mixbuf_writev(&mb, NULL, 0), 0);
    ck_assert_int_eq(gn_mixbuf_read(&mb, NULL, 0), 0);
    ck_assert_int_eq(gn_mixbuf_discard(&mb, 0), 0);
    ck_assert_int_eq(gn_mixbuf_peek(&mb, SIZE_MAX, NULL, 0), 0);
    ck_assert_int_eq(gn_mixbuf_peek(&mb, SIZE_MAX, iov, 2), 0);
    ck_assert_int_eq(gn_mixbuf_write_fd(&mb, 1), 0);
    ck_assert_int_eq(gn_mixbuf_read_fd(&mb, 0, 0), 0);
    ck_assert_int_eq(bt_alloc_calls(), 0);

    ck_assert_int_eq(gn_mixbuf_write(&mb, NULL, 1), -EINVAL);
    ck_assert_int_eq(gn_mixbuf_read(&mb, NULL, 1), -EINVAL);
    ck_assert_int_eq(gn_mixbuf_peek(&mb, 1, NULL, 1), -EINVAL);
    ck_assert_int_eq(gn_mixbuf_peek(&mb, 1, iov, -1), -EINVAL);
    ck_assert_int_eq(gn_mixbuf_writev(&mb, NULL, 1), -EINVAL);
    ck_assert_int_eq(gn_mixbuf_writev(&mb, iov, -2), -EINVAL);
    struct iovec bad[2] = {{&c, 1}, {NULL, 1}};
    ck_assert_int_eq(gn_mixbuf_writev(&mb, bad, 2), -EINVAL);
    ck_assert_int_eq(gn_mixbuf_write_fd(&mb, -1), -EINVAL);
    ck_assert_int_eq(gn_mixbuf_read_fd(&mb, -1, 1), -EINVAL);
    ck_assert_int_eq(gn_mixbuf_write(&mb, &c, SIZE_MAX), -ENOMEM);
    ck_assert(gn_mixbuf_empty(&mb));
    ck_assert_int_eq(bt_alloc_calls(), 0);
}
END_TEST

START_TEST(bad_allocator_hook)
{
    ck_assert_int_eq(gn_buffer_set_allocator(malloc, NULL, free), -EINVAL);
    ck_assert_int_eq(gn_buffer_set_allocator(NULL, realloc, NULL), -EINVAL);
    /* The failed calls changed nothing: the libc allocator is still in use. */
    bt_alloc_install();
    gn_ringbuf_t rb = GN_RINGBUF_INIT;
    ck_assert_int_eq(gn_ringbuf_write(&rb, "a", 1), 0);
    ck_assert_int_eq(bt_alloc_live(), 1);
    gn_ringbuf_release(&rb);
    ck_assert_int_eq(gn_buffer_set_allocator(NULL, NULL, NULL), 0);
    ck_assert_int_eq(gn_ringbuf_write(&rb, "a", 1), 0);
    ck_assert_int_eq(bt_alloc_live(), 0);
    gn_ringbuf_release(&rb);
}
END_TEST

TCase *gn_tc_badinput(void)
{
    TCase *tc = tcase_create("badinput");
    tcase_add_test(tc, bad_ringbuf_null_and_zero);
    tcase_add_test(tc, bad_listbuf_null_and_zero);
    tcase_add_test(tc, bad_mixbuf_null_and_zero);
    tcase_add_test(tc, bad_allocator_hook);
    return tc;
}
