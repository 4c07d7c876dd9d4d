/* Install smoke test: two lines decoded from one buffer with the line codec. */
#include <gnet/codec.h>
#include <stdio.h>
#include <string.h>

int main(void)
{
    static const char in[] = "hello\nworld\n";
    gn_codec_t c;
    gn_codec_frame_t f;
    if (gn_codec_init_line(&c, 64, 0) != 0)
        return 1;
    if (gn_codec_decode(&c, in, sizeof in - 1, &f) != 1 || f.len != 5 ||
        memcmp(f.data, "hello", 5) != 0)
        return 1;
    size_t used = f.consumed;
    if (gn_codec_decode(&c, in + used, sizeof in - 1 - used, &f) != 1 || f.len != 5 ||
        memcmp(f.data, "world", 5) != 0)
        return 1;
    gn_codec_release(&c);
    puts("gnet-codec: ok");
    return 0;
}
