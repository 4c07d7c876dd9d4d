/* Line, delimiter and fixed-length decoding over plain memory: frames, the
 * delimiter options, "need more", too-long frames and their skipping. */
#include "codectest.h"

#include <string.h>
#include <sys/resource.h>

/* Decodes s (a C string) with c, discarding as told; records the events. */
static void run(gn_codec_t *c, const char *s, ct_log_t *out)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    for (;;) {
        gn_codec_frame_t f;
        int rc = gn_codec_decode(c, p, n, &f);
        ck_assert_uint_le(f.consumed, n);
        if (rc == 1 || rc < 0)
            ct_log_add(out, rc, f.data, rc == 1 ? f.len : 0);
        p += f.consumed;
        n -= f.consumed;
        if (rc == 0 || rc == GN_ECODEC_CORRUPT || rc == -EINVAL)
            return;
    }
}

/* Expects the log to be exactly the frames/errors listed: a string is a frame,
 * NULL a GN_ECODEC_TOOLONG. */
static void expect(const ct_log_t *l, size_t n, const char *const *want)
{
    ck_assert_uint_eq(l->n, n);
    for (size_t i = 0; i < n; i++) {
        if (want[i] == NULL) {
            ck_assert_int_eq(l->ev[i].rc, GN_ECODEC_TOOLONG);
            continue;
        }
        ck_assert_int_eq(l->ev[i].rc, 1);
        ck_assert_uint_eq(l->ev[i].len, strlen(want[i]));
        ck_assert(memcmp(l->bytes + l->ev[i].off, want[i], l->ev[i].len) == 0);
    }
}

START_TEST(test_line_basic)
{
    gn_codec_t c;
    ck_assert_int_eq(gn_codec_init_line(&c, 8, 0), 0);
    ct_log_t l;
    ct_log_init(&l);
    run(&c, "ab\n\ncd\r\nefg", &l);
    const char *const want[] = {"ab", "", "cd\r"};
    expect(&l, 3, want);
    /* The unterminated "efg" waits: zero-copy frames point into the input. */
    const char *in = "hello\nrest";
    gn_codec_frame_t f;
    ck_assert_int_eq(gn_codec_decode(&c, in, strlen(in), &f), 1);
    ck_assert_ptr_eq(f.data, in);
    ck_assert_uint_eq(f.len, 5);
    ck_assert_uint_eq(f.consumed, 6);
    ck_assert_int_eq(gn_codec_decode(&c, in + 6, 4, &f), 0);
    ck_assert_uint_eq(f.consumed, 0);
    ct_log_free(&l);
    gn_codec_release(&c);
}
END_TEST

START_TEST(test_line_crlf_keep)
{
    gn_codec_t c;
    ct_log_t l;
    ck_assert_int_eq(gn_codec_init_line(&c, 8, GN_CODEC_CRLF), 0);
    ct_log_init(&l);
    run(&c, "ab\r\ncd\n\r\n\r\r\n", &l);
    const char *const want[] = {"ab", "cd", "", "\r"};
    expect(&l, 4, want);
    ct_log_free(&l);
    ck_assert_int_eq(gn_codec_init_line(&c, 8, GN_CODEC_CRLF | GN_CODEC_KEEP_DELIM), 0);
    ct_log_init(&l);
    run(&c, "ab\r\ncd\n", &l);
    const char *const want2[] = {"ab\r\n", "cd\n"};
    expect(&l, 2, want2);
    ct_log_free(&l);
    gn_codec_release(&c);
}
END_TEST

START_TEST(test_line_toolong)
{
    gn_codec_t c;
    ct_log_t l;
    ck_assert_int_eq(gn_codec_init_line(&c, 4, GN_CODEC_CRLF), 0);
    ct_log_init(&l);
    /* 4 bytes fit (also with \r\n), 5 do not; the long line is dropped whole,
     * including what arrives after the error was reported. */
    run(&c, "abcd\r\nabcde\nxy\nabcdefghijklmnop\nz\n", &l);
    const char *const want[] = {"abcd", NULL, "xy", NULL, "z"};
    expect(&l, 5, want);
    ct_log_free(&l);

    /* Fail fast: reported as soon as the window is full, memory untouched. */
    gn_codec_frame_t f;
    ck_assert_int_eq(gn_codec_init_line(&c, 4, 0), 0);
    ck_assert_int_eq(gn_codec_decode(&c, "abcd", 4, &f), 0);
    ck_assert_int_eq(gn_codec_decode(&c, "abcde", 5, &f), GN_ECODEC_TOOLONG);
    ck_assert_uint_eq(f.consumed, 5);
    ck_assert_int_eq(gn_codec_decode(&c, "fgh", 3, &f), 0);
    ck_assert_uint_eq(f.consumed, 3);
    ck_assert_int_eq(gn_codec_decode(&c, "i\nok\n", 5, &f), 1);
    ck_assert_uint_eq(f.len, 2);
    ck_assert(memcmp(f.data, "ok", 2) == 0);
    ck_assert_uint_eq(f.consumed, 5);
    /* Reset forgets the skip. */
    ck_assert_int_eq(gn_codec_decode(&c, "abcdefg", 7, &f), GN_ECODEC_TOOLONG);
    gn_codec_reset(&c);
    ck_assert_int_eq(gn_codec_decode(&c, "ab\n", 3, &f), 1);
    ck_assert_uint_eq(f.len, 2);
    gn_codec_release(&c);
}
END_TEST

START_TEST(test_delimiter)
{
    gn_codec_t c;
    ct_log_t l;
    ck_assert_int_eq(gn_codec_init_delimiter(&c, "||", 2, 5, 0), 0);
    ct_log_init(&l);
    run(&c, "a||b|c||||abcde||abcdef||x|||y||", &l);
    /* "x|||y": the first "||" ends "x", leaving "|y". */
    const char *const want[] = {"a", "b|c", "", "abcde", NULL, "x", "|y"};
    expect(&l, 7, want);
    ct_log_free(&l);

    ck_assert_int_eq(gn_codec_init_delimiter(&c, "\0\0", 2, 5, GN_CODEC_KEEP_DELIM), 0);
    gn_codec_frame_t f;
    ck_assert_int_eq(gn_codec_decode(&c, "ab\0\0cd", 6, &f), 1);
    ck_assert_uint_eq(f.len, 4);
    ck_assert_uint_eq(f.consumed, 4);
    /* A delimiter split across two calls, after a long frame is dropped. */
    ck_assert_int_eq(gn_codec_decode(&c, "abcdefg\0", 8, &f), GN_ECODEC_TOOLONG);
    ck_assert_uint_eq(f.consumed, 6);
    ck_assert_int_eq(gn_codec_decode(&c, "g\0", 2, &f), 0);
    ck_assert_uint_eq(f.consumed, 1);
    ck_assert_int_eq(gn_codec_decode(&c, "\0\0ok\0\0", 6, &f), 1);
    ck_assert_uint_eq(f.len, 4);
    ck_assert(memcmp(f.data, "ok\0\0", 4) == 0);
    ck_assert_uint_eq(f.consumed, 6);
    gn_codec_release(&c);
}
END_TEST

START_TEST(test_fixed)
{
    gn_codec_t c;
    ck_assert_int_eq(gn_codec_init_fixed(&c, 3), 0);
    ct_log_t l;
    ct_log_init(&l);
    run(&c, "abcdefgh", &l);
    const char *const want[] = {"abc", "def"};
    expect(&l, 2, want);
    ct_log_free(&l);
    gn_codec_release(&c);
}
END_TEST

/* A ring that wraps: the frame is copied into codec memory, bounded by the
 * frame; the ring is not consumed by the codec. */
START_TEST(test_ring_wrap_copy)
{
    gn_codec_t c;
    gn_ringbuf_t rb;
    ck_assert_int_eq(gn_codec_init_line(&c, 100, 0), 0);
    ck_assert_int_eq(gn_ringbuf_init_cap(&rb, 16), 0);
    ck_assert_int_eq(gn_ringbuf_write(&rb, "0123456789ab", 12), 0);
    ck_assert_int_eq(gn_ringbuf_discard(&rb, 12), 12);
    ck_assert_int_eq(gn_ringbuf_write(&rb, "abcdefgh\nxy", 11), 0);
    ck_assert_uint_eq(gn_ringbuf_cap(&rb), 16);
    gn_codec_frame_t f;
    ck_assert_int_eq(gn_codec_decode_ringbuf(&c, &rb, &f), 1);
    ck_assert_uint_eq(f.len, 8);
    ck_assert(memcmp(f.data, "abcdefgh", 8) == 0);
    ck_assert_uint_eq(gn_ringbuf_buffered(&rb), 11);
    ck_assert_uint_eq(f.consumed, 9);
    gn_ringbuf_discard(&rb, f.consumed);
    ck_assert_int_eq(gn_codec_decode_ringbuf(&c, &rb, &f), 0);
    gn_ringbuf_release(&rb);
    gn_codec_release(&c);
}
END_TEST

/* A too-long frame in a list buffer is skipped by the codec itself; what the
 * codec allocates stays bounded by the frame maximum, whatever is buffered. */
START_TEST(test_list_skip_bounded)
{
    gn_codec_t c;
    gn_listbuf_t lb;
    ck_assert_int_eq(gn_codec_init_line(&c, 64, 0), 0);
    gn_listbuf_init(&lb);
    static const char one = 'x';
    for (int i = 0; i < 100000; i++) /* 100000 one-byte blocks, no newline */
        ck_assert_int_eq(gn_listbuf_append_ref(&lb, &one, 1, NULL, NULL), 0);
    ck_assert_int_eq(gn_listbuf_append_ref(&lb, "\nhi\n", 4, NULL, NULL), 0);
    gn_codec_frame_t f;
    ck_assert_int_eq(gn_codec_decode_listbuf(&c, &lb, &f), GN_ECODEC_TOOLONG);
    gn_listbuf_discard(&lb, f.consumed);
    ck_assert_int_eq(gn_codec_decode_listbuf(&c, &lb, &f), 1);
    ck_assert_uint_eq(f.len, 2);
    ck_assert(memcmp(f.data, "hi", 2) == 0);
    gn_listbuf_discard(&lb, f.consumed);
    ck_assert(gn_listbuf_empty(&lb));
    ck_assert_uint_le(c.iov_cap, 128); /* private field, read to check the bound */
    ck_assert_uint_le(c.copy_cap, 64);
    gn_listbuf_release(&lb);
    gn_codec_release(&c);
}
END_TEST

/* A frame over many list blocks must be copied; when that copy cannot be
 * allocated the call says -ENOMEM, consumes nothing, and works once memory is
 * back. */
START_TEST(test_copy_nomem)
{
    if (gn_test_sanitized())
        return; /* sanitizers reserve terabytes of address space */
    enum { BLOCK = 1 << 20, BLOCKS = 64 };
    static unsigned char block[BLOCK];
    gn_codec_t c;
    ck_assert_int_eq(gn_codec_init_fixed(&c, (size_t)BLOCK * BLOCKS), 0);
    gn_listbuf_t lb = GN_LISTBUF_INIT;
    for (int i = 0; i < BLOCKS; i++)
        ck_assert_int_eq(gn_listbuf_append_ref(&lb, block, BLOCK, NULL, NULL), 0);
    struct rlimit old;
    ck_assert_int_eq(getrlimit(RLIMIT_AS, &old), 0);
    gn_test_limit_address_space(16 << 20);
    gn_codec_frame_t f;
    int rc = gn_codec_decode_listbuf(&c, &lb, &f);
    ck_assert_int_eq(setrlimit(RLIMIT_AS, &old), 0);
    ck_assert_int_eq(rc, -ENOMEM);
    ck_assert_uint_eq(f.consumed, 0);
    ck_assert_uint_eq(gn_listbuf_buffered(&lb), (size_t)BLOCK * BLOCKS);
    ck_assert_int_eq(gn_codec_decode_listbuf(&c, &lb, &f), 1);
    ck_assert_uint_eq(f.len, (size_t)BLOCK * BLOCKS);
    ck_assert_uint_eq(f.consumed, (size_t)BLOCK * BLOCKS);
    gn_listbuf_release(&lb);
    gn_codec_release(&c);
}
END_TEST

TCase *ct_tc_basic(void)
{
    TCase *tc = tcase_create("basic");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_line_basic);
    tcase_add_test(tc, test_line_crlf_keep);
    tcase_add_test(tc, test_line_toolong);
    tcase_add_test(tc, test_delimiter);
    tcase_add_test(tc, test_fixed);
    tcase_add_test(tc, test_ring_wrap_copy);
    tcase_add_test(tc, test_list_skip_bounded);
    tcase_add_test(tc, test_copy_nomem);
    return tc;
}
