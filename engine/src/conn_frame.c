/* gn_conn_next_frame: a frame codec over the connection's readable bytes, the
 * inbound ring followed by the current read, without copying them first. */
#include "engine_int.h"

#include <errno.h>

int gn_conn_next_frame(gn_conn_t *c, gn_codec_t *codec, gn_codec_frame_t *f)
{
    if (c == NULL || codec == NULL || f == NULL) {
        if (f != NULL)
            *f = (gn_codec_frame_t){0};
        return -EINVAL;
    }
    /* The ring's one or two segments, then the unread part of the current
     * read; the codec sees them as one stream. Empty entries are left out so
     * the first one holds bytes (the codec's fast path looks there). */
    struct iovec ring[2], iov[3];
    int n = 0;
    int rc = gn_ringbuf_peek(&c->in, SIZE_MAX, ring);
    for (int i = 0; i < rc; i++)
        iov[n++] = ring[i];
    const gn__loop_t *l = c->loop;
    if (l->cur == c && l->vlen > l->voff)
        iov[n++] = (struct iovec){.iov_base = l->rbuf + l->voff, .iov_len = l->vlen - l->voff};
    rc = gn_codec_decode_iov(codec, iov, n, f);
    /* Frames point into the ring or the read buffer, which keep their bytes
     * until the callback returns (the ring is not elastic meanwhile). */
    if (f->consumed > 0)
        (void)gn_conn_discard(c, f->consumed);
    return rc;
}
