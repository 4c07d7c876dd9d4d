/* Encoding: iovecs in wire order, round trips through the decoder, and the
 * payloads that cannot be framed. */
#include "codectest.h"

#include <string.h>

static const char hello[] = "hello";

/* Concatenates the iovecs into out; returns the byte count. */
static size_t flatten(const struct iovec *iov, int cnt, unsigned char *out)
{
    size_t n = 0;
    for (int i = 0; i < cnt; i++) {
        memcpy(out + n, iov[i].iov_base, iov[i].iov_len);
        n += iov[i].iov_len;
    }
    return n;
}

/* Encodes payload with c, decodes the wire bytes with a second codec of the
 * same settings, expects want[0..wantlen). */
static void round_trip(const ct_cfg_t *cfg, const void *payload, size_t len, const void *want,
                       size_t wantlen)
{
    gn_codec_t c, d;
    ct_cfg_init(cfg, &c);
    ct_cfg_init(cfg, &d);
    unsigned char hdr[GN_CODEC_HEADER_MAX], wire[4096];
    struct iovec iov[2];
    int cnt = gn_codec_encode(&c, payload, len, hdr, sizeof(hdr), iov);
    ck_assert_int_ge(cnt, 0);
    size_t n = flatten(iov, cnt, wire);
    gn_codec_frame_t f;
    ck_assert_int_eq(gn_codec_decode(&d, wire, n, &f), 1);
    ck_assert_uint_eq(f.consumed, n);
    ck_assert_uint_eq(f.len, wantlen);
    ck_assert(memcmp(f.data, want, wantlen) == 0);
    gn_codec_release(&c);
    gn_codec_release(&d);
}

START_TEST(test_encode_wire)
{
    gn_codec_t c;
    struct iovec iov[2];
    unsigned char hdr[16];
    gn_codec_length_field_t o = {.max_frame_length = 1 << 20, .length_field_size = 4};
    ck_assert_int_eq(gn_codec_init_length_field(&c, &o), 0);
    ck_assert_uint_eq(gn_codec_header_len(&c), 4);
    ck_assert_int_eq(gn_codec_encode(&c, hello, 5, hdr, sizeof(hdr), iov), 2);
    ck_assert_ptr_eq(iov[0].iov_base, hdr);
    ck_assert_uint_eq(iov[0].iov_len, 4);
    ck_assert(memcmp(hdr, "\0\0\0\5", 4) == 0);
    ck_assert_ptr_eq(iov[1].iov_base, hello); /* the payload is not copied */
    ck_assert_uint_eq(iov[1].iov_len, 5);
    /* An empty payload is the header alone. */
    ck_assert_int_eq(gn_codec_encode(&c, NULL, 0, hdr, sizeof(hdr), iov), 1);
    ck_assert_ptr_eq(iov[1].iov_base, NULL);
    /* Little endian, 3 bytes, offset bytes zeroed. */
    o = (gn_codec_length_field_t){.max_frame_length = 1 << 20,
                                  .length_field_offset = 2,
                                  .length_field_size = 3,
                                  .little_endian = true};
    ck_assert_int_eq(gn_codec_init_length_field(&c, &o), 0);
    memset(hdr, 0xee, sizeof(hdr));
    ck_assert_int_eq(gn_codec_encode(&c, "abc", 3, hdr, sizeof(hdr), iov), 2);
    ck_assert(memcmp(hdr, "\0\0\3\0\0", 5) == 0);
    ck_assert_int_eq(hdr[5], 0xee);

    ck_assert_int_eq(gn_codec_init_line(&c, 10, GN_CODEC_CRLF), 0);
    ck_assert_uint_eq(gn_codec_header_len(&c), 0);
    ck_assert_int_eq(gn_codec_encode(&c, "hi", 2, NULL, 0, iov), 2);
    ck_assert_uint_eq(iov[1].iov_len, 2);
    ck_assert(memcmp(iov[1].iov_base, "\r\n", 2) == 0);
    ck_assert_int_eq(gn_codec_encode(&c, NULL, 0, NULL, 0, iov), 1);
    gn_codec_release(&c);
}
END_TEST

START_TEST(test_encode_round_trips)
{
    ct_cfg_t cfg = {.kind = CT_LENGTH,
                    .lf = {.max_frame_length = 100,
                           .length_field_offset = 1,
                           .length_field_size = 2,
                           .length_adjustment = 1,
                           .initial_bytes_to_strip = 3}};
    round_trip(&cfg, "\xfeHELLO", 6, "\xfeHELLO", 6);
    cfg.lf.length_includes_header = true;
    cfg.lf.length_adjustment = -5;
    round_trip(&cfg, "\xfeHELLO", 6, "\xfeHELLO", 6);
    cfg.lf = (gn_codec_length_field_t){.max_frame_length = 100, .length_field_size = 8};
    round_trip(&cfg, "x", 1, "\0\0\0\0\0\0\0\1x", 9);
    cfg = (ct_cfg_t){.kind = CT_LINE, .max = 5, .flags = GN_CODEC_CRLF};
    round_trip(&cfg, "ab\r", 3, "ab\r", 3);
    round_trip(&cfg, "", 0, "", 0);
    cfg = (ct_cfg_t){.kind = CT_DELIM, .max = 5, .delim = "ab", .dlen = 2};
    round_trip(&cfg, "xbxb", 4, "xbxb", 4);
    cfg = (ct_cfg_t){.kind = CT_FIXED, .max = 3};
    round_trip(&cfg, "xyz", 3, "xyz", 3);
}
END_TEST

START_TEST(test_encode_refused)
{
    gn_codec_t c;
    struct iovec iov[2];
    unsigned char hdr[16];
    ck_assert_int_eq(gn_codec_init_line(&c, 4, 0), 0);
    ck_assert_int_eq(gn_codec_encode(&c, "abcde", 5, NULL, 0, iov), GN_ECODEC_TOOLONG);
    ck_assert_int_eq(gn_codec_encode(&c, "a\nb", 3, NULL, 0, iov), GN_ECODEC_PAYLOAD);
    ck_assert_int_eq(gn_codec_init_delimiter(&c, "aa", 2, 8, 0), 0);
    /* "xa" + "aa" would decode as "x" and "a". */
    ck_assert_int_eq(gn_codec_encode(&c, "xa", 2, NULL, 0, iov), GN_ECODEC_PAYLOAD);
    ck_assert_int_eq(gn_codec_encode(&c, "aax", 3, NULL, 0, iov), GN_ECODEC_PAYLOAD);
    ck_assert_int_eq(gn_codec_encode(&c, "axb", 3, NULL, 0, iov), 2);
    ck_assert_int_eq(gn_codec_init_fixed(&c, 4), 0);
    ck_assert_int_eq(gn_codec_encode(&c, "abc", 3, NULL, 0, iov), GN_ECODEC_PAYLOAD);
    gn_codec_length_field_t o = {.max_frame_length = 300, .length_field_size = 1};
    ck_assert_int_eq(gn_codec_init_length_field(&c, &o), 0);
    static const unsigned char big[300];
    ck_assert_int_eq(gn_codec_encode(&c, big, 255, hdr, sizeof(hdr), iov), 2);
    ck_assert_int_eq(gn_codec_encode(&c, big, 256, hdr, sizeof(hdr), iov), GN_ECODEC_TOOLONG);
    ck_assert_int_eq(gn_codec_encode(&c, big, 299, hdr, sizeof(hdr), iov), GN_ECODEC_TOOLONG);
    ck_assert_int_eq(gn_codec_encode(&c, big, 1, hdr, 0, iov), -ENOBUFS);
    ck_assert_int_eq(gn_codec_encode(&c, big, 1, NULL, 16, iov), -EINVAL);
    /* The adjustment says 2 bytes after the field belong to the frame's header:
     * a payload shorter than that cannot be framed. */
    o.length_adjustment = 2;
    ck_assert_int_eq(gn_codec_init_length_field(&c, &o), 0);
    ck_assert_int_eq(gn_codec_encode(&c, "x", 1, hdr, sizeof(hdr), iov), GN_ECODEC_PAYLOAD);
    o = (gn_codec_length_field_t){
        .max_frame_length = 300, .length_field_size = 1, .initial_bytes_to_strip = 5};
    ck_assert_int_eq(gn_codec_init_length_field(&c, &o), 0);
    ck_assert_int_eq(gn_codec_encode(&c, "abc", 3, hdr, sizeof(hdr), iov), GN_ECODEC_PAYLOAD);
    gn_codec_release(&c);
}
END_TEST

TCase *ct_tc_encode(void)
{
    TCase *tc = tcase_create("encode");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_encode_wire);
    tcase_add_test(tc, test_encode_round_trips);
    tcase_add_test(tc, test_encode_refused);
    return tc;
}
