/* The length field codec: every example of netty's LengthFieldBasedFrameDecoder
 * documentation, then byte order, field sizes, corrupt values and too-long
 * frames. */
#include "codectest.h"

#include <string.h>

/* Decodes the n bytes at in as one frame and expects out[0..outlen). */
static void one_frame(const gn_codec_length_field_t *o, const void *in, size_t n, const void *out,
                      size_t outlen)
{
    gn_codec_t c;
    ck_assert_int_eq(gn_codec_init_length_field(&c, o), 0);
    gn_codec_frame_t f;
    /* Every strict prefix needs more bytes. */
    for (size_t k = 0; k < n; k++) {
        ck_assert_int_eq(gn_codec_decode(&c, in, k, &f), 0);
        ck_assert_uint_eq(f.consumed, 0);
    }
    ck_assert_int_eq(gn_codec_decode(&c, in, n, &f), 1);
    ck_assert_uint_eq(f.consumed, n);
    ck_assert_uint_eq(f.len, outlen);
    ck_assert(memcmp(f.data, out, outlen) == 0);
    gn_codec_release(&c);
}

#define HELLO "HELLO, WORLD"

START_TEST(test_netty_examples)
{
    /* 2 bytes length field at offset 0, do not strip header */
    gn_codec_length_field_t o = {.max_frame_length = 1024, .length_field_size = 2};
    one_frame(&o, "\x00\x0c" HELLO, 14, "\x00\x0c" HELLO, 14);
    /* 2 bytes length field at offset 0, strip header */
    o.initial_bytes_to_strip = 2;
    one_frame(&o, "\x00\x0c" HELLO, 14, HELLO, 12);
    /* 2 bytes length field at offset 0, do not strip header, the length field
     * represents the length of the whole message */
    o = (gn_codec_length_field_t){
        .max_frame_length = 1024, .length_field_size = 2, .length_adjustment = -2};
    one_frame(&o, "\x00\x0e" HELLO, 14, "\x00\x0e" HELLO, 14);
    o = (gn_codec_length_field_t){
        .max_frame_length = 1024, .length_field_size = 2, .length_includes_header = true};
    one_frame(&o, "\x00\x0e" HELLO, 14, "\x00\x0e" HELLO, 14);
    /* 3 bytes length field at the end of 5 bytes header, do not strip header */
    o = (gn_codec_length_field_t){
        .max_frame_length = 1024, .length_field_offset = 2, .length_field_size = 3};
    one_frame(&o, "\xca\xfe\x00\x00\x0c" HELLO, 17, "\xca\xfe\x00\x00\x0c" HELLO, 17);
    /* 3 bytes length field at the beginning of 5 bytes header, do not strip header */
    o = (gn_codec_length_field_t){
        .max_frame_length = 1024, .length_field_size = 3, .length_adjustment = 2};
    one_frame(&o, "\x00\x00\x0c\xca\xfe" HELLO, 17, "\x00\x00\x0c\xca\xfe" HELLO, 17);
    /* 2 bytes length field at offset 1 in the middle of 4 bytes header, strip
     * the first header field and the length field */
    o = (gn_codec_length_field_t){.max_frame_length = 1024,
                                  .length_field_offset = 1,
                                  .length_field_size = 2,
                                  .length_adjustment = 1,
                                  .initial_bytes_to_strip = 3};
    one_frame(&o, "\xca\x00\x0c\xfe" HELLO, 16, "\xfe" HELLO, 13);
    /* the same, the length field representing the whole message */
    o.length_adjustment = -3;
    one_frame(&o, "\xca\x00\x10\xfe" HELLO, 16, "\xfe" HELLO, 13);
}
END_TEST

START_TEST(test_byte_order_sizes)
{
    static const unsigned sizes[] = {1, 2, 3, 4, 8};
    for (size_t i = 0; i < 5; i++) {
        unsigned sz = sizes[i];
        for (int little = 0; little <= 1; little++) {
            gn_codec_length_field_t o = {.max_frame_length = 4096,
                                         .length_field_size = sz,
                                         .little_endian = little,
                                         .initial_bytes_to_strip = sz};
            unsigned char in[8 + 200];
            memset(in, 0, sz);
            in[little ? 0 : sz - 1] = 200;
            for (int k = 0; k < 200; k++)
                in[sz + (unsigned)k] = (unsigned char)k;
            one_frame(&o, in, sz + 200, in + sz, 200);
            if (sz >= 2) { /* 0x0100 = 256 bytes: the other order reads 1 */
                gn_codec_t c;
                ck_assert_int_eq(gn_codec_init_length_field(&c, &o), 0);
                memset(in, 0, sz);
                in[little ? 1 : sz - 2] = 1;
                gn_codec_frame_t f;
                ck_assert_int_eq(gn_codec_decode(&c, in, sz + 200, &f), 0);
                gn_codec_release(&c);
            }
        }
    }
}
END_TEST

START_TEST(test_corrupt)
{
    gn_codec_t c;
    gn_codec_frame_t f;
    /* Negative after the adjustment. */
    gn_codec_length_field_t o = {
        .max_frame_length = 100, .length_field_size = 1, .length_adjustment = -5};
    ck_assert_int_eq(gn_codec_init_length_field(&c, &o), 0);
    ck_assert_int_eq(gn_codec_decode(&c, "\x04xxxx", 5, &f), GN_ECODEC_CORRUPT);
    ck_assert_uint_eq(f.consumed, 0);
    ck_assert_int_eq(gn_codec_decode(&c, "\x05", 1, &f), 1); /* empty body is fine */
    ck_assert_uint_eq(f.consumed, 1);
    /* An 8-byte value above INT64_MAX, as netty's signed long. */
    o = (gn_codec_length_field_t){.max_frame_length = 100, .length_field_size = 8};
    ck_assert_int_eq(gn_codec_init_length_field(&c, &o), 0);
    ck_assert_int_eq(gn_codec_decode(&c, "\x80\0\0\0\0\0\0\0", 8, &f), GN_ECODEC_CORRUPT);
    ck_assert_int_eq(gn_codec_decode(&c, "\x7f\xff\xff\xff\xff\xff\xff\xff", 8, &f),
                     GN_ECODEC_TOOLONG);
    gn_codec_reset(&c);
    /* More bytes to strip than the frame has. */
    o = (gn_codec_length_field_t){
        .max_frame_length = 100, .length_field_size = 1, .initial_bytes_to_strip = 4};
    ck_assert_int_eq(gn_codec_init_length_field(&c, &o), 0);
    ck_assert_int_eq(gn_codec_decode(&c, "\x02xx", 3, &f), GN_ECODEC_CORRUPT);
    ck_assert_int_eq(gn_codec_decode(&c, "\x03xxx", 4, &f), 1);
    ck_assert_uint_eq(f.len, 0);
    gn_codec_release(&c);
}
END_TEST

/* A too-long frame is dropped as it arrives (never buffered whole), then
 * decoding resumes right after it. */
START_TEST(test_toolong_skip)
{
    gn_codec_t c;
    gn_codec_frame_t f;
    gn_codec_length_field_t o = {
        .max_frame_length = 10, .length_field_size = 2, .initial_bytes_to_strip = 2};
    ck_assert_int_eq(gn_codec_init_length_field(&c, &o), 0);
    ck_assert_int_eq(gn_codec_decode(&c, "\x00\x09", 2, &f), GN_ECODEC_TOOLONG);
    ck_assert_uint_eq(f.consumed, 2);
    ck_assert_int_eq(gn_codec_decode(&c, "abcd", 4, &f), 0);
    ck_assert_uint_eq(f.consumed, 4);
    ck_assert_int_eq(gn_codec_decode(&c, "efghi\x00\x02ok", 10, &f), 1);
    ck_assert_uint_eq(f.consumed, 9);
    ck_assert_uint_eq(f.len, 2);
    ck_assert(memcmp(f.data, "ok", 2) == 0);
    /* The largest frame that fits. */
    ck_assert_int_eq(gn_codec_decode(&c,
                                     "\x00\x08"
                                     "12345678",
                                     10, &f),
                     1);
    ck_assert_uint_eq(f.len, 8);
    /* The same skip through a ring: the codec drops the bytes itself. */
    gn_ringbuf_t rb = GN_RINGBUF_INIT;
    ck_assert_int_eq(gn_ringbuf_write(&rb, "\xff\xff", 2), 0);
    ck_assert_int_eq(gn_codec_decode_ringbuf(&c, &rb, &f), GN_ECODEC_TOOLONG);
    gn_ringbuf_discard(&rb, f.consumed);
    for (int i = 0; i < 100; i++) { /* 65535 bytes in pieces, memory stays small */
        char junk[700] = {0};
        ck_assert_int_eq(gn_ringbuf_write(&rb, junk, i < 99 ? 655 : 690), 0);
        ck_assert_int_eq(gn_codec_decode_ringbuf(&c, &rb, &f), 0);
        gn_ringbuf_discard(&rb, f.consumed);
        ck_assert_uint_le(gn_ringbuf_cap(&rb), 1024);
    }
    ck_assert_int_eq(gn_ringbuf_write(&rb, "\x00\x01!", 3), 0);
    ck_assert_int_eq(gn_codec_decode_ringbuf(&c, &rb, &f), 1);
    ck_assert_uint_eq(f.len, 1);
    ck_assert_int_eq(((const char *)f.data)[0], '!');
    gn_ringbuf_release(&rb);
    gn_codec_release(&c);
}
END_TEST

TCase *ct_tc_netty(void)
{
    TCase *tc = tcase_create("length_field");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_netty_examples);
    tcase_add_test(tc, test_byte_order_sizes);
    tcase_add_test(tc, test_corrupt);
    tcase_add_test(tc, test_toolong_skip);
    return tc;
}
