/* Install smoke test: a ring buffer and a mixed buffer round trip. */
#include <gnet/mixbuf.h>
#include <gnet/ringbuf.h>
#include <stdio.h>
#include <string.h>

int main(void)
{
    gn_ringbuf_t rb;
    gn_mixbuf_t mb;
    char out[64];
    if (gn_ringbuf_init(&rb) != 0 || gn_ringbuf_write(&rb, "hello ring", 10) != 0)
        return 1;
    if (gn_ringbuf_read(&rb, out, sizeof out) != 10 || memcmp(out, "hello ring", 10) != 0)
        return 1;
    gn_ringbuf_release(&rb);
    if (gn_mixbuf_init(&mb, 1024) != 0 || gn_mixbuf_write(&mb, "hello mix", 9) != 0)
        return 1;
    if (gn_mixbuf_read(&mb, out, sizeof out) != 9 || memcmp(out, "hello mix", 9) != 0)
        return 1;
    gn_mixbuf_release(&mb);
    puts("gnet-buffer: ok");
    return 0;
}
