/* gn_conn_next_frame: a frame codec over the connection's readable bytes.
 * They are always one contiguous run (see conn_read.c), so the codec decodes
 * them in place and the frame is a view into them. */
#include "engine_int.h"

#include <errno.h>

int gn_conn_next_frame(gn_conn_t *c, gn_codec_t *codec, gn_codec_frame_t *f)
{
    if (c == NULL || codec == NULL || f == NULL) {
        if (f != NULL)
            *f = (gn_codec_frame_t){0};
        return -EINVAL;
    }
    size_t n = 0;
    const void *p = gn_conn_peek(c, SIZE_MAX, &n);
    int rc = gn_codec_decode(codec, p, n, f);
    /* The frame points into the readable bytes, which keep their memory
     * until the callback returns even once consumed. */
    if (f->consumed > 0)
        (void)gn_conn_discard(c, f->consumed);
    return rc;
}
