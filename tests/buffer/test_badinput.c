/* Bad input is a clear error, never a crash; zero-length operations are no-ops
 * that never allocate. */
#include "buftest.h"

#include <gnet/ringbuf.h>

#include <errno.h>
#include <stdint.h>

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

TCase *gn_tc_badinput(void)
{
    TCase *tc = tcase_create("badinput");
    tcase_add_test(tc, bad_ringbuf_null_and_zero);
    return tc;
}
