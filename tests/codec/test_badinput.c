/* Bad arguments and settings: clear error codes, nothing changed, no crash. */
#include "codectest.h"

#include <string.h>

START_TEST(test_bad_settings)
{
    gn_codec_t c;
    memset(&c, 0x5a, sizeof(c));
    gn_codec_t before = c;
    ck_assert_int_eq(gn_codec_init_line(NULL, 10, 0), -EINVAL);
    ck_assert_int_eq(gn_codec_init_line(&c, 0, 0), -EINVAL);
    ck_assert_int_eq(gn_codec_init_line(&c, 10, 0x80), -EINVAL);
    ck_assert_int_eq(gn_codec_init_delimiter(&c, NULL, 1, 10, 0), -EINVAL);
    ck_assert_int_eq(gn_codec_init_delimiter(&c, "x", 0, 10, 0), -EINVAL);
    ck_assert_int_eq(gn_codec_init_delimiter(&c, "x", GN_CODEC_DELIM_MAX + 1, 10, 0), -EINVAL);
    ck_assert_int_eq(gn_codec_init_delimiter(&c, "x", 1, 0, 0), -EINVAL);
    ck_assert_int_eq(gn_codec_init_delimiter(&c, "x", 1, 10, GN_CODEC_CRLF), -EINVAL);
    ck_assert_int_eq(gn_codec_init_fixed(&c, 0), -EINVAL);
    ck_assert_int_eq(gn_codec_init_length_field(&c, NULL), -EINVAL);
    gn_codec_length_field_t o = {.max_frame_length = 100, .length_field_size = 5};
    ck_assert_int_eq(gn_codec_init_length_field(&c, &o), -EINVAL);
    o.length_field_size = 0;
    ck_assert_int_eq(gn_codec_init_length_field(&c, &o), -EINVAL);
    o.length_field_size = 4;
    o.max_frame_length = 0;
    ck_assert_int_eq(gn_codec_init_length_field(&c, &o), -EINVAL);
    o.max_frame_length = 5;
    o.length_field_offset = 2; /* header 6 > max 5 */
    ck_assert_int_eq(gn_codec_init_length_field(&c, &o), -EINVAL);
    o.max_frame_length = SIZE_MAX;
    o.length_field_offset = SIZE_MAX - 2;
    ck_assert_int_eq(gn_codec_init_length_field(&c, &o), -EINVAL);
    o.length_field_offset = 0;
    o.length_adjustment = INT64_MIN;
    ck_assert_int_eq(gn_codec_init_length_field(&c, &o), -EINVAL);
    o.length_adjustment = INT64_MIN + 2;
    o.length_includes_header = true;
    ck_assert_int_eq(gn_codec_init_length_field(&c, &o), -EINVAL);
    ck_assert(memcmp(&c, &before, sizeof(c)) == 0); /* failed inits leave c alone */
}
END_TEST

START_TEST(test_bad_calls)
{
    gn_codec_t c, zero;
    memset(&zero, 0, sizeof(zero));
    gn_codec_frame_t f;
    gn_ringbuf_t rb = GN_RINGBUF_INIT;
    gn_listbuf_t lb = GN_LISTBUF_INIT;
    gn_mixbuf_t mb;
    gn_mixbuf_init(&mb, 64);
    struct iovec iov[2];
    ck_assert_int_eq(gn_codec_init_line(&c, 10, 0), 0);
    ck_assert_int_eq(gn_codec_decode(NULL, "a", 1, &f), -EINVAL);
    ck_assert_uint_eq(f.consumed, 0);
    ck_assert_int_eq(gn_codec_decode(&c, NULL, 1, &f), -EINVAL);
    ck_assert_int_eq(gn_codec_decode(&c, "a", 1, NULL), -EINVAL);
    ck_assert_int_eq(gn_codec_decode(&c, NULL, 0, &f), 0);
    ck_assert_int_eq(gn_codec_decode(&zero, "a\n", 2, &f), -EINVAL); /* never initialised */
    ck_assert_int_eq(gn_codec_decode_ringbuf(NULL, &rb, &f), -EINVAL);
    ck_assert_int_eq(gn_codec_decode_ringbuf(&c, NULL, &f), -EINVAL);
    ck_assert_int_eq(gn_codec_decode_ringbuf(&c, &rb, NULL), -EINVAL);
    ck_assert_int_eq(gn_codec_decode_ringbuf(&c, &rb, &f), 0);
    ck_assert_int_eq(gn_codec_decode_listbuf(&c, NULL, &f), -EINVAL);
    ck_assert_int_eq(gn_codec_decode_listbuf(&zero, &lb, &f), -EINVAL);
    ck_assert_int_eq(gn_codec_decode_listbuf(&c, &lb, &f), 0);
    ck_assert_int_eq(gn_codec_decode_mixbuf(&c, NULL, &f), -EINVAL);
    ck_assert_int_eq(gn_codec_decode_mixbuf(&c, &mb, &f), 0);
    struct iovec bad[2] = {{.iov_base = NULL, .iov_len = 1}, {0}};
    ck_assert_int_eq(gn_codec_decode_iov(&c, bad, 1, &f), -EINVAL);
    bad[0] = (struct iovec){.iov_base = "a", .iov_len = SIZE_MAX};
    bad[1] = (struct iovec){.iov_base = "b", .iov_len = 2};
    ck_assert_int_eq(gn_codec_decode_iov(&c, bad, 2, &f), -EINVAL);
    ck_assert_int_eq(gn_codec_decode_iov(&c, NULL, 1, &f), -EINVAL);
    ck_assert_int_eq(gn_codec_decode_iov(&c, bad, -1, &f), -EINVAL);
    ck_assert_int_eq(gn_codec_decode_iov(NULL, bad, 0, &f), -EINVAL);
    ck_assert_int_eq(gn_codec_decode_iov(&c, NULL, 0, &f), 0);
    ck_assert_int_eq(gn_codec_encode(NULL, "a", 1, NULL, 0, iov), -EINVAL);
    ck_assert_int_eq(gn_codec_encode(&c, "a", 1, NULL, 0, NULL), -EINVAL);
    ck_assert_int_eq(gn_codec_encode(&c, NULL, 1, NULL, 0, iov), -EINVAL);
    ck_assert_int_eq(gn_codec_encode(&zero, "a", 1, NULL, 0, iov), -EINVAL);
    ck_assert_uint_eq(gn_codec_header_len(NULL), 0);
    gn_codec_reset(NULL);
    gn_codec_release(NULL);
    gn_codec_release(&c);
    gn_codec_release(&c); /* twice is fine */
    gn_mixbuf_release(&mb);
}
END_TEST

START_TEST(test_strerror)
{
    ck_assert(strstr(gn_codec_strerror(GN_ECODEC_TOOLONG), "longer") != NULL);
    ck_assert(strstr(gn_codec_strerror(GN_ECODEC_CORRUPT), "corrupt") != NULL);
    ck_assert(strstr(gn_codec_strerror(GN_ECODEC_PAYLOAD), "payload") != NULL);
    ck_assert_str_eq(gn_codec_strerror(-ENOMEM), strerror(ENOMEM));
    ck_assert(strstr(gn_codec_strerror(-4299), "unknown") != NULL);
    ck_assert(strstr(gn_codec_strerror(7), "unknown") != NULL);
}
END_TEST

TCase *ct_tc_badinput(void)
{
    TCase *tc = tcase_create("badinput");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_bad_settings);
    tcase_add_test(tc, test_bad_calls);
    tcase_add_test(tc, test_strerror);
    return tc;
}
