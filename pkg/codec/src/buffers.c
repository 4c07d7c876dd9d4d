/* Decoding from the gnet-buffer types: a view over their peeked segments.
 *
 * A ring shows all its bytes as two segments, so it is decoded in place. List
 * and mixed buffers can hold any number of blocks; they are peeked only as far
 * as one frame can reach (gn__codec_bound) after a skip is done, so the iovec
 * array a codec keeps for them is bounded by the frame maximum. */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>

int gn_codec_decode_ringbuf(gn_codec_t *c, gn_ringbuf_t *rb, gn_codec_frame_t *f)
{
    if (c == NULL || rb == NULL || f == NULL || c->kind == GN__CODEC_NONE) {
        if (f != NULL)
            *f = (gn_codec_frame_t){0};
        return -EINVAL;
    }
    struct iovec iov[2];
    gn_ringbuf_peek(rb, SIZE_MAX, iov); /* unused entries are {NULL, 0} */
    /* Small frames from a ring: the case this library is tuned for. */
    if (gn__length_fast(c, iov[0].iov_base, iov[0].iov_len, f))
        return 1;
    gn__view_t v = {.iov = iov, .cnt = 2, .total = iov[0].iov_len + iov[1].iov_len};
    return gn__codec_decode_view(c, &v, f);
}

/* Which buffer a list view reads. */
typedef struct seq {
    gn_listbuf_t *lb;
    gn_mixbuf_t *mb;
} seq_t;

static size_t seq_buffered(const seq_t *s)
{
    return s->lb != NULL ? gn_listbuf_buffered(s->lb) : gn_mixbuf_buffered(s->mb);
}

static void seq_discard(const seq_t *s, size_t n)
{
    if (s->lb != NULL)
        gn_listbuf_discard(s->lb, n);
    else
        gn_mixbuf_discard(s->mb, n);
}

static int seq_peek(const seq_t *s, size_t n, struct iovec *iov, int cnt)
{
    return s->lb != NULL ? gn_listbuf_peek(s->lb, n, iov, cnt) : gn_mixbuf_peek(s->mb, n, iov, cnt);
}

/* Points v at the first n bytes, growing the codec's iovec array until it
 * covers them. 0 or -ENOMEM. */
static int seq_view(gn_codec_t *c, const seq_t *s, size_t n, struct iovec *stack, int stack_cnt,
                    gn__view_t *v)
{
    struct iovec *iov = stack;
    int cap = stack_cnt;
    for (;;) {
        int cnt = seq_peek(s, n, iov, cap);
        size_t got = 0;
        for (int i = 0; i < cnt; i++)
            got += iov[i].iov_len;
        if (got >= n || cnt < cap) {
            if (cnt == 0) /* a view has at least one segment */
                iov[cnt++] = (struct iovec){0};
            *v = (gn__view_t){.iov = iov, .cnt = cnt, .total = got};
            return 0;
        }
        size_t want = (size_t)cap * 2;
        if (want > c->iov_cap) {
            struct iovec *p = realloc(c->iov, want * sizeof(*p));
            if (p == NULL)
                return -ENOMEM;
            c->iov = p;
            c->iov_cap = want;
        }
        iov = c->iov;
        cap = (int)c->iov_cap;
    }
}

static int decode_seq(gn_codec_t *c, const seq_t *s, gn_codec_frame_t *f)
{
    struct iovec stack[16];
    size_t bound = gn__codec_bound(c);
    for (;;) {
        /* A counted skip needs no look at the bytes: drop them at once. */
        if (c->skip != GN__CODEC_SKIP_TO_DELIM && c->skip > 0) {
            size_t have = seq_buffered(s);
            size_t drop = c->skip < have ? c->skip : have;
            seq_discard(s, drop);
            c->skip -= drop;
        }
        size_t buffered = seq_buffered(s);
        size_t n = buffered < bound ? buffered : bound;
        gn__view_t v;
        if (seq_view(c, s, n, stack, 16, &v) != 0)
            return -ENOMEM;
        int rc = gn__codec_decode_view(c, &v, f);
        /* A skip ended inside the view (or goes on past it) and the bytes left
         * in the view were too few to decide: drop the skipped part, look
         * again. */
        if (rc == 0 && f->consumed > 0 && v.total < buffered) {
            seq_discard(s, f->consumed);
            continue;
        }
        return rc;
    }
}

int gn_codec_decode_listbuf(gn_codec_t *c, gn_listbuf_t *lb, gn_codec_frame_t *f)
{
    if (f != NULL)
        *f = (gn_codec_frame_t){0};
    if (c == NULL || lb == NULL || f == NULL || c->kind == GN__CODEC_NONE)
        return -EINVAL;
    seq_t s = {.lb = lb};
    return decode_seq(c, &s, f);
}

int gn_codec_decode_mixbuf(gn_codec_t *c, gn_mixbuf_t *mb, gn_codec_frame_t *f)
{
    if (f != NULL)
        *f = (gn_codec_frame_t){0};
    if (c == NULL || mb == NULL || f == NULL || c->kind == GN__CODEC_NONE)
        return -EINVAL;
    seq_t s = {.mb = mb};
    return decode_seq(c, &s, f);
}
