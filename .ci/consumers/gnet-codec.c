/* Install smoke test: a length-prefixed frame encoded, then decoded. */
#include <gnet/codec.h>
#include <stdio.h>
#include <string.h>

int main(void)
{
    gn_codec_t c;
    gn_codec_length_field_t o = {
        .max_frame_length = 64, .length_field_size = 2, .initial_bytes_to_strip = 2};
    if (gn_codec_init_length_field(&c, &o) != 0)
        return 1;
    unsigned char hdr[GN_CODEC_HEADER_MAX], wire[64];
    struct iovec iov[2];
    if (gn_codec_encode(&c, "hello codec", 11, hdr, sizeof hdr, iov) != 2)
        return 1;
    memcpy(wire, iov[0].iov_base, iov[0].iov_len);
    memcpy(wire + iov[0].iov_len, iov[1].iov_base, iov[1].iov_len);
    gn_codec_frame_t f;
    if (gn_codec_decode(&c, wire, 13, &f) != 1 || f.len != 11 ||
        memcmp(f.data, "hello codec", 11) != 0 || f.consumed != 13)
        return 1;
    if (gn_codec_decode(&c, wire, 1, &f) != 0 || strlen(gn_codec_strerror(GN_ECODEC_TOOLONG)) == 0)
        return 1;
    gn_codec_release(&c);
    puts("gnet-codec: ok");
    return 0;
}
