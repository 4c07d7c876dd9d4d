/* gn_ringbuf_t unit tests: gnet's ring scenarios (growth sizes, wrap-around
 * peeks, reset when drained) plus elastic mode and zero-copy filling. */
#include "buftest.h"

#include <gnet/ringbuf.h>

#include <errno.h>
#include <stdint.h>
#include <string.h>

static void repeat(char *out, const char *unit, int times)
{
    size_t u = strlen(unit);
    for (int i = 0; i < times; i++)
        memcpy(out + (size_t)i * u, unit, u);
    out[(size_t)times * u] = '\0';
}

/* Flattens the whole ring with peek and compares it with want. */
static void assert_contents(const gn_ringbuf_t *rb, const void *want, size_t n)
{
    struct iovec iov[2];
    static unsigned char flat[1 << 16];
    ck_assert_uint_eq(gn_ringbuf_buffered(rb), n);
    int cnt = gn_ringbuf_peek(rb, SIZE_MAX, iov);
    ck_assert_int_ge(cnt, 0);
    ck_assert_uint_eq(bt_iov_flatten(iov, cnt, flat), n);
    ck_assert(memcmp(flat, want, n) == 0);
}

START_TEST(ring_write_grows_64_to_128)
{
    gn_ringbuf_t rb;
    char s[256];
    ck_assert_int_eq(gn_ringbuf_init_cap(&rb, 64), 0);
    ck_assert(gn_ringbuf_empty(&rb));
    ck_assert_uint_eq(gn_ringbuf_available(&rb), 64);

    repeat(s, "abcd", 4);
    ck_assert_int_eq(gn_ringbuf_write(&rb, s, 16), 0);
    ck_assert_uint_eq(gn_ringbuf_buffered(&rb), 16);
    ck_assert_uint_eq(gn_ringbuf_available(&rb), 48);

    repeat(s, "abcd", 12);
    ck_assert_int_eq(gn_ringbuf_write(&rb, s, 48), 0);
    ck_assert_uint_eq(gn_ringbuf_available(&rb), 0);
    ck_assert_uint_eq(gn_ringbuf_cap(&rb), 64);
    repeat(s, "abcd", 16);
    assert_contents(&rb, s, 64);

    /* One more write into the full ring doubles it. */
    ck_assert_int_eq(gn_ringbuf_write(&rb, "abcd", 4), 0);
    ck_assert_uint_eq(gn_ringbuf_cap(&rb), 128);
    ck_assert_uint_eq(gn_ringbuf_buffered(&rb), 68);
    ck_assert_uint_eq(gn_ringbuf_available(&rb), 60);
    repeat(s, "abcd", 17);
    assert_contents(&rb, s, 68);

    /* Data that wraps: 8 in, 5 out, 60 in. */
    gn_ringbuf_reset(&rb);
    ck_assert_uint_eq(gn_ringbuf_cap(&rb), 128);
    ck_assert_int_eq(gn_ringbuf_write(&rb, "abcdabcd", 8), 0);
    char out[8];
    ck_assert_int_eq(gn_ringbuf_read(&rb, out, 5), 5);
    ck_assert(memcmp(out, "abcda", 5) == 0);
    repeat(s, "abcd", 15);
    ck_assert_int_eq(gn_ringbuf_write(&rb, s, 60), 0);
    char want[80];
    memcpy(want, "bcd", 3);
    memcpy(want + 3, s, 60);
    assert_contents(&rb, want, 63);
    gn_ringbuf_release(&rb);
}
END_TEST

START_TEST(ring_zero_ring_allocates_default)
{
    gn_ringbuf_t rb = GN_RINGBUF_INIT;
    struct iovec iov[2];
    ck_assert_int_eq(gn_ringbuf_peek(&rb, 2, iov), 0);
    ck_assert_int_eq(gn_ringbuf_peek(&rb, SIZE_MAX, iov), 0);
    ck_assert_ptr_null(iov[0].iov_base);
    ck_assert_uint_eq(iov[0].iov_len + iov[1].iov_len, 0);
    ck_assert_uint_eq(gn_ringbuf_cap(&rb), 0);
    ck_assert_uint_eq(gn_ringbuf_available(&rb), 0);

    char s[64];
    repeat(s, "1234", 12);
    ck_assert_int_eq(gn_ringbuf_write(&rb, s, 48), 0);
    ck_assert_uint_eq(gn_ringbuf_cap(&rb), GN_RINGBUF_DEFAULT_CAP);
    assert_contents(&rb, s, 48);
    ck_assert_int_eq(gn_ringbuf_discard(&rb, 48), 48);
    ck_assert(gn_ringbuf_empty(&rb));
    ck_assert_uint_eq(gn_ringbuf_cap(&rb), GN_RINGBUF_DEFAULT_CAP);
    gn_ringbuf_release(&rb);
    ck_assert_uint_eq(gn_ringbuf_cap(&rb), 0);
}
END_TEST

START_TEST(ring_growth_sizes)
{
    static unsigned char data[8192];
    bt_pattern(data, sizeof(data), 0);
    gn_ringbuf_t rb;

    /* empty + 1025 -> 2048 */
    gn_ringbuf_init(&rb);
    ck_assert_int_eq(gn_ringbuf_write(&rb, data, 1025), 0);
    ck_assert_uint_eq(gn_ringbuf_cap(&rb), 2048);
    ck_assert_uint_eq(gn_ringbuf_available(&rb), 1023);
    assert_contents(&rb, data, 1025);
    gn_ringbuf_release(&rb);

    /* 1024 + 1536 -> 2048 */
    ck_assert_int_eq(gn_ringbuf_init_cap(&rb, 1024), 0);
    ck_assert_int_eq(gn_ringbuf_write(&rb, data, 1536), 0);
    ck_assert_uint_eq(gn_ringbuf_cap(&rb), 2048);
    ck_assert_uint_eq(gn_ringbuf_available(&rb), 512);
    assert_contents(&rb, data, 1536);

    /* 4096 full + 2049 -> 4096 * 1.25 * 1.25 = 6400 */
    gn_ringbuf_reset(&rb);
    ck_assert_int_eq(gn_ringbuf_write(&rb, data, 4096), 0);
    ck_assert_uint_eq(gn_ringbuf_cap(&rb), 4096);
    ck_assert_uint_eq(gn_ringbuf_available(&rb), 0);
    ck_assert_int_eq(gn_ringbuf_write(&rb, data + 4096, 2049), 0);
    ck_assert_uint_eq(gn_ringbuf_cap(&rb), 6400);
    ck_assert_uint_eq(gn_ringbuf_buffered(&rb), 6145);
    assert_contents(&rb, data, 6145);

    /* A write larger than twice the capacity gets exactly what it needs. */
    gn_ringbuf_release(&rb);
    ck_assert_int_eq(gn_ringbuf_init_cap(&rb, 100), 0);
    ck_assert_int_eq(gn_ringbuf_write(&rb, data, 1000), 0);
    ck_assert_uint_eq(gn_ringbuf_cap(&rb), 1000);
    gn_ringbuf_release(&rb);
}
END_TEST

/* gnet's WriteByte did not grow a full ring of 4 KiB or more: a 1-byte write
 * into a full 4096-byte ring must grow it (to 5120) and keep every byte. */
START_TEST(ring_single_byte_grows_full_large_ring)
{
    static unsigned char data[4097];
    bt_pattern(data, sizeof(data), 7);
    gn_ringbuf_t rb;
    ck_assert_int_eq(gn_ringbuf_init_cap(&rb, 4096), 0);
    /* Make the contents wrap: 3990 filler bytes consumed at the head. */
    static unsigned char filler[3990];
    ck_assert_int_eq(gn_ringbuf_write(&rb, filler, sizeof(filler)), 0);
    ck_assert_int_eq(gn_ringbuf_write(&rb, data, 10), 0);
    ck_assert_int_eq(gn_ringbuf_discard(&rb, sizeof(filler)), (ssize_t)sizeof(filler));
    ck_assert_int_eq(gn_ringbuf_write(&rb, data + 10, 4086), 0);
    ck_assert_uint_eq(gn_ringbuf_available(&rb), 0);
    struct iovec iov[2];
    ck_assert_int_eq(gn_ringbuf_peek(&rb, SIZE_MAX, iov), 2);
    ck_assert_int_eq(gn_ringbuf_write(&rb, data + 4096, 1), 0);
    ck_assert_uint_eq(gn_ringbuf_cap(&rb), 5120);
    assert_contents(&rb, data, 4097);
    gn_ringbuf_release(&rb);
}
END_TEST

START_TEST(ring_wraparound_peeks)
{
    gn_ringbuf_t rb;
    char s[256], t[64];
    repeat(s, "1234", 32);
    ck_assert_int_eq(gn_ringbuf_init_cap(&rb, 128), 0);
    ck_assert_int_eq(gn_ringbuf_write(&rb, s, 128), 0);
    ck_assert_uint_eq(gn_ringbuf_available(&rb), 0);

    struct iovec iov[2];
    ck_assert_int_eq(gn_ringbuf_peek(&rb, 64, iov), 1);
    ck_assert_uint_eq(iov[0].iov_len, 64);
    ck_assert_uint_eq(iov[1].iov_len, 0);
    ck_assert(memcmp(iov[0].iov_base, s, 64) == 0);
    unsigned char *base = iov[0].iov_base;
    ck_assert_int_eq(gn_ringbuf_discard(&rb, 64), 64);

    /* 64 left at offset 64; 16 more wrap to offset 0. */
    repeat(t, "abcd", 4);
    ck_assert_int_eq(gn_ringbuf_write(&rb, t, 16), 0);
    ck_assert_int_eq(gn_ringbuf_peek(&rb, 128, iov), 2);
    ck_assert_ptr_eq(iov[0].iov_base, base + 64);
    ck_assert_uint_eq(iov[0].iov_len, 64);
    ck_assert_ptr_eq(iov[1].iov_base, base);
    ck_assert_uint_eq(iov[1].iov_len, 16);
    ck_assert(memcmp(iov[1].iov_base, t, 16) == 0);

    ck_assert_int_eq(gn_ringbuf_peek(&rb, SIZE_MAX, iov), 2);
    ck_assert_uint_eq(iov[0].iov_len + iov[1].iov_len, 80);
    ck_assert_int_eq(gn_ringbuf_peek(&rb, 70, iov), 2);
    ck_assert_uint_eq(iov[0].iov_len, 64);
    ck_assert_uint_eq(iov[1].iov_len, 6);
    ck_assert_int_eq(gn_ringbuf_peek(&rb, 10, iov), 1);
    ck_assert_uint_eq(iov[0].iov_len, 10);
    ck_assert_int_eq(gn_ringbuf_peek(&rb, 0, iov), 0);

    /* Reading across the wrap point returns the bytes in order. */
    char out[80];
    ck_assert_int_eq(gn_ringbuf_read(&rb, out, 70), 70);
    ck_assert(memcmp(out, s, 64) == 0);
    ck_assert(memcmp(out + 64, t, 6) == 0);
    ck_assert_int_eq(gn_ringbuf_discard(&rb, 100), 10);
    ck_assert(gn_ringbuf_empty(&rb));
    ck_assert_int_eq(gn_ringbuf_discard(&rb, 1), 0);
    ck_assert_int_eq(gn_ringbuf_read(&rb, out, 1), 0);
    gn_ringbuf_release(&rb);
}
END_TEST

/* Once drained, positions restart at 0: a write of the full capacity is then one
 * contiguous block, with no growth. */
START_TEST(ring_reset_when_drained)
{
    static unsigned char data[1024];
    bt_pattern(data, sizeof(data), 3);
    gn_ringbuf_t rb;
    gn_ringbuf_init(&rb);
    ck_assert_int_eq(gn_ringbuf_write(&rb, data, 1000), 0);
    unsigned char out[1024];
    ck_assert_int_eq(gn_ringbuf_read(&rb, out, 600), 600);
    ck_assert_int_eq(gn_ringbuf_write(&rb, data, 500), 0); /* wraps */
    struct iovec iov[2];
    ck_assert_int_eq(gn_ringbuf_peek(&rb, SIZE_MAX, iov), 2);
    ck_assert_int_eq(gn_ringbuf_read(&rb, out, sizeof(out)), 900);
    ck_assert(gn_ringbuf_empty(&rb));

    ck_assert_int_eq(gn_ringbuf_write(&rb, data, 1024), 0);
    ck_assert_uint_eq(gn_ringbuf_cap(&rb), 1024);
    ck_assert_int_eq(gn_ringbuf_peek(&rb, SIZE_MAX, iov), 1);
    ck_assert(memcmp(iov[0].iov_base, data, 1024) == 0);

    /* The same through discard and through reset. */
    ck_assert_int_eq(gn_ringbuf_discard(&rb, 1000), 1000);
    ck_assert_int_eq(gn_ringbuf_write(&rb, data, 500), 0);
    ck_assert_int_eq(gn_ringbuf_discard(&rb, 524), 524);
    ck_assert_int_eq(gn_ringbuf_write(&rb, data, 1024), 0);
    ck_assert_int_eq(gn_ringbuf_peek(&rb, SIZE_MAX, iov), 1);
    ck_assert_int_eq(gn_ringbuf_discard(&rb, 1000), 1000);
    gn_ringbuf_reset(&rb);
    ck_assert(gn_ringbuf_empty(&rb));
    ck_assert_int_eq(gn_ringbuf_write(&rb, data, 1024), 0);
    ck_assert_int_eq(gn_ringbuf_peek(&rb, SIZE_MAX, iov), 1);
    ck_assert_uint_eq(gn_ringbuf_cap(&rb), 1024);
    gn_ringbuf_release(&rb);
}
END_TEST

START_TEST(ring_writev_and_reserve)
{
    gn_ringbuf_t rb;
    gn_ringbuf_init(&rb);
    struct iovec v[3] = {{"hello ", 6}, {NULL, 0}, {"world", 5}};
    ck_assert_int_eq(gn_ringbuf_writev(&rb, v, 3), 0);
    assert_contents(&rb, "hello world", 11);
    ck_assert_int_eq(gn_ringbuf_writev(&rb, v, 0), 0);
    ck_assert_uint_eq(gn_ringbuf_buffered(&rb), 11);

    ck_assert_int_eq(gn_ringbuf_reserve(&rb, 5000), 0);
    ck_assert_uint_ge(gn_ringbuf_available(&rb), 5000);
    size_t cap = gn_ringbuf_cap(&rb);
    ck_assert_int_eq(gn_ringbuf_reserve(&rb, 10), 0);
    ck_assert_uint_eq(gn_ringbuf_cap(&rb), cap);
    assert_contents(&rb, "hello world", 11);
    gn_ringbuf_release(&rb);
}
END_TEST

START_TEST(ring_space_and_commit)
{
    gn_ringbuf_t rb;
    struct iovec sp[2];
    ck_assert_int_eq(gn_ringbuf_init_cap(&rb, 16), 0);
    ck_assert_int_eq(gn_ringbuf_write(&rb, "0123456789", 10), 0);
    ck_assert_int_eq(gn_ringbuf_discard(&rb, 8), 8);
    /* Two buffered at 8..9; free space is 10..15 then 0..7. */
    ck_assert_int_eq(gn_ringbuf_space(&rb, sp), 2);
    ck_assert_uint_eq(sp[0].iov_len, 6);
    ck_assert_uint_eq(sp[1].iov_len, 8);
    memcpy(sp[0].iov_base, "abcdef", 6);
    memcpy(sp[1].iov_base, "gh", 2);
    ck_assert_int_eq(gn_ringbuf_commit(&rb, 8), 0);
    assert_contents(&rb, "89abcdefgh", 10);
    ck_assert_int_eq(gn_ringbuf_commit(&rb, 7), -EINVAL);
    ck_assert_int_eq(gn_ringbuf_commit(&rb, 6), 0);
    ck_assert_int_eq(gn_ringbuf_space(&rb, sp), 0);
    ck_assert_uint_eq(gn_ringbuf_available(&rb), 0);
    gn_ringbuf_release(&rb);
}
END_TEST

START_TEST(ring_elastic_and_shrink)
{
    gn_ringbuf_t rb;
    char out[100];
    gn_ringbuf_init(&rb);
    ck_assert_int_eq(gn_ringbuf_write(&rb, out, 100), 0);
    ck_assert_int_eq(gn_ringbuf_read(&rb, out, 100), 100);
    ck_assert_uint_eq(gn_ringbuf_cap(&rb), GN_RINGBUF_DEFAULT_CAP);
    gn_ringbuf_shrink(&rb);
    ck_assert_uint_eq(gn_ringbuf_cap(&rb), 0);

    /* Shrink leaves a non-empty ring alone. */
    ck_assert_int_eq(gn_ringbuf_write(&rb, "xy", 2), 0);
    gn_ringbuf_shrink(&rb);
    ck_assert_uint_eq(gn_ringbuf_cap(&rb), GN_RINGBUF_DEFAULT_CAP);
    assert_contents(&rb, "xy", 2);

    /* Elastic: every drain frees the memory. */
    gn_ringbuf_set_elastic(&rb, true);
    ck_assert_uint_eq(gn_ringbuf_cap(&rb), GN_RINGBUF_DEFAULT_CAP);
    ck_assert_int_eq(gn_ringbuf_read(&rb, out, 1), 1);
    ck_assert_uint_eq(gn_ringbuf_cap(&rb), GN_RINGBUF_DEFAULT_CAP);
    ck_assert_int_eq(gn_ringbuf_discard(&rb, 1), 1);
    ck_assert_uint_eq(gn_ringbuf_cap(&rb), 0);
    ck_assert_int_eq(gn_ringbuf_write(&rb, "abc", 3), 0);
    ck_assert_int_eq(gn_ringbuf_read(&rb, out, 10), 3);
    ck_assert_uint_eq(gn_ringbuf_cap(&rb), 0);
    ck_assert(memcmp(out, "abc", 3) == 0);
    ck_assert_int_eq(gn_ringbuf_write(&rb, "abc", 3), 0);
    gn_ringbuf_reset(&rb);
    ck_assert_uint_eq(gn_ringbuf_cap(&rb), 0);

    /* Turning it on frees an empty ring at once; off keeps memory on drain. */
    gn_ringbuf_set_elastic(&rb, false);
    ck_assert_int_eq(gn_ringbuf_write(&rb, "abc", 3), 0);
    ck_assert_int_eq(gn_ringbuf_discard(&rb, 3), 3);
    ck_assert_uint_eq(gn_ringbuf_cap(&rb), GN_RINGBUF_DEFAULT_CAP);
    gn_ringbuf_set_elastic(&rb, true);
    ck_assert_uint_eq(gn_ringbuf_cap(&rb), 0);
    gn_ringbuf_release(&rb);
}
END_TEST

TCase *gn_tc_ringbuf(void)
{
    TCase *tc = tcase_create("ringbuf");
    tcase_add_test(tc, ring_write_grows_64_to_128);
    tcase_add_test(tc, ring_zero_ring_allocates_default);
    tcase_add_test(tc, ring_growth_sizes);
    tcase_add_test(tc, ring_single_byte_grows_full_large_ring);
    tcase_add_test(tc, ring_wraparound_peeks);
    tcase_add_test(tc, ring_reset_when_drained);
    tcase_add_test(tc, ring_writev_and_reserve);
    tcase_add_test(tc, ring_space_and_commit);
    tcase_add_test(tc, ring_elastic_and_shrink);
    return tc;
}
