/* The four decoders over a view, and gn_codec_decode over plain memory.
 *
 * Every decoder starts at the view's first byte, first finishes skipping a
 * too-long frame if one is being dropped, then looks at no more than
 * gn__codec_bound bytes of the next frame: that is what keeps a too-long frame
 * from ever being buffered whole. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem */
#endif
#include "internal.h"

#include <errno.h>
#include <string.h>

/* Sets *f for "no frame" and returns rc. */
static int no_frame(gn_codec_frame_t *f, size_t consumed, int rc)
{
    f->data = NULL;
    f->len = 0;
    f->consumed = consumed;
    return rc;
}

/* The line and delimiter codecs' common case: no skip, and the delimiter
 * found inside the first segment within the frame bound. Returns 1 with *f
 * set, or 0 for the general path (nothing changed). */
static int delim_fast(gn_codec_t *c, const gn__view_t *v, gn_codec_frame_t *f)
{
    const unsigned char *p = v->iov[0].iov_base;
    size_t n = v->iov[0].iov_len, bound = gn__codec_bound(c), dlen = c->dlen;
    if (c->skip != 0 || n == 0)
        return 0;
    size_t limit = n < bound ? n : bound;
    if (c->scanned + dlen > limit)
        return 0;
    const unsigned char *q = dlen == 1 ? memchr(p + c->scanned, c->delim[0], limit - c->scanned)
                                       : memmem(p + c->scanned, limit - c->scanned, c->delim, dlen);
    if (q == NULL)
        return 0;
    size_t at = (size_t)(q - p), content = at, strip = dlen;
    if (c->kind == GN__CODEC_LINE && (c->flags & GN_CODEC_CRLF) && at > 0 && p[at - 1] == '\r') {
        content--;
        strip++;
    }
    if (content > c->max)
        return 0;
    c->scanned = 0;
    f->data = p;
    f->len = (c->flags & GN_CODEC_KEEP_DELIM) ? content + strip : content;
    f->consumed = at + dlen;
    return 1;
}

/* Line and delimiter codecs from offset s (the frame's start). */
static int decode_delim(gn_codec_t *c, const gn__view_t *v, size_t s, gn_codec_frame_t *f)
{
    size_t dlen = c->dlen, n = v->total;
    size_t limit = gn__sat_add(s, gn__codec_bound(c));
    if (limit > n)
        limit = n;
    size_t from = s + c->scanned;
    size_t at = gn__view_find(v, from, SIZE_MAX, limit, c->delim, dlen);
    if (at == SIZE_MAX) {
        size_t visible = limit - s;
        if (limit == n && n - s <= gn__codec_bound(c) - 1) {
            /* No delimiter yet and the frame may still fit: wait, and remember
             * where no delimiter can start. */
            c->scanned = visible >= dlen ? visible - dlen + 1 : 0;
            return no_frame(f, s, 0);
        }
        /* Fail fast: drop what cannot begin a delimiter, skip to the next one. */
        c->scanned = 0;
        c->skip = GN__CODEC_SKIP_TO_DELIM;
        return no_frame(f, s + visible - (dlen - 1), GN_ECODEC_TOOLONG);
    }
    c->scanned = 0;
    size_t content = at - s;
    size_t strip = dlen;
    if (c->kind == GN__CODEC_LINE && (c->flags & GN_CODEC_CRLF) && content > 0) {
        unsigned char cr;
        gn__view_copy(v, at - 1, &cr, 1);
        if (cr == '\r') {
            content--;
            strip++;
        }
    }
    if (content > c->max)
        return no_frame(f, at + dlen, GN_ECODEC_TOOLONG);
    size_t keep = (c->flags & GN_CODEC_KEEP_DELIM) ? content + strip : content;
    if (gn__view_frame(c, v, s, keep, f) != 0)
        return no_frame(f, s, -ENOMEM);
    f->consumed = at + dlen;
    return 1;
}

/* Skips up to the next delimiter; returns the offset after it, or SIZE_MAX
 * when there is none yet (*drop: the bytes that may go). */
static size_t skip_to_delim(gn_codec_t *c, const gn__view_t *v, size_t *drop)
{
    size_t at = gn__view_find(v, c->scanned, SIZE_MAX, v->total, c->delim, c->dlen);
    if (at != SIZE_MAX) {
        c->skip = 0;
        c->scanned = 0;
        return at + c->dlen;
    }
    /* Keep the last dlen - 1 bytes: a delimiter may begin there. */
    *drop = v->total >= c->dlen ? v->total - c->dlen + 1 : 0;
    c->scanned = 0;
    return SIZE_MAX;
}

/* Reads the size-byte unsigned field at off. */
static inline uint64_t read_field(const gn__view_t *v, size_t off, unsigned size, bool little)
{
    if (v->iov[0].iov_len >= off + size) /* the usual case: no copy */
        return gn__load_field((const unsigned char *)v->iov[0].iov_base + off, size, little);
    unsigned char b[8];
    gn__view_copy(v, off, b, size);
    return gn__load_field(b, size, little);
}

/* Length field codec from offset s. */
static int decode_length(gn_codec_t *c, const gn__view_t *v, size_t s, gn_codec_frame_t *f)
{
    const gn_codec_length_field_t *o = &c->lf;
    size_t avail = v->total - s;
    if (avail < c->hdr)
        return no_frame(f, s, 0);
    uint64_t val =
        read_field(v, s + o->length_field_offset, o->length_field_size, o->little_endian);
    if (val > (uint64_t)INT64_MAX)
        return no_frame(f, s, GN_ECODEC_CORRUPT);
    /* rest = val + adj, the bytes after the length field; negative is corrupt.
     * val <= INT64_MAX and |adj| <= INT64_MAX keep this inside uint64_t. */
    uint64_t rest;
    if (c->adj >= 0) {
        rest = val + (uint64_t)c->adj;
    } else {
        uint64_t neg = (uint64_t)(-(c->adj + 1)) + 1;
        if (val < neg)
            return no_frame(f, s, GN_ECODEC_CORRUPT);
        rest = val - neg;
    }
    size_t max = o->max_frame_length;
    if (rest > max - c->hdr) {
        /* Drop the whole frame: what is here now, the rest on later calls. */
        size_t total = rest > SIZE_MAX - 1 - c->hdr ? SIZE_MAX - 1 : c->hdr + (size_t)rest;
        size_t now = avail < total ? avail : total;
        c->skip = total - now;
        return no_frame(f, s + now, GN_ECODEC_TOOLONG);
    }
    size_t total = c->hdr + (size_t)rest;
    if (o->initial_bytes_to_strip > total)
        return no_frame(f, s, GN_ECODEC_CORRUPT);
    if (avail < total)
        return no_frame(f, s, 0);
    size_t strip = o->initial_bytes_to_strip;
    if (gn__view_frame(c, v, s + strip, total - strip, f) != 0)
        return no_frame(f, s, -ENOMEM);
    f->consumed = s + total;
    return 1;
}

int gn__codec_decode_view(gn_codec_t *c, const gn__view_t *v, gn_codec_frame_t *f)
{
    if (gn__length_fast(c, v->iov[0].iov_base, v->iov[0].iov_len, f))
        return 1;
    size_t s = 0;
    if (c->skip == GN__CODEC_SKIP_TO_DELIM) {
        size_t drop = 0;
        s = skip_to_delim(c, v, &drop);
        if (s == SIZE_MAX)
            return no_frame(f, drop, 0);
    } else if (c->skip > 0) {
        s = c->skip < v->total ? c->skip : v->total;
        c->skip -= s;
        if (c->skip > 0)
            return no_frame(f, s, 0);
    }
    switch (c->kind) {
    case GN__CODEC_LINE:
    case GN__CODEC_DELIM:
        if (s == 0 && delim_fast(c, v, f))
            return 1;
        return decode_delim(c, v, s, f);
    case GN__CODEC_FIXED:
        if (v->total - s < c->max)
            return no_frame(f, s, 0);
        if (gn__view_frame(c, v, s, c->max, f) != 0)
            return no_frame(f, s, -ENOMEM);
        f->consumed = s + c->max;
        return 1;
    default:
        return decode_length(c, v, s, f);
    }
}

int gn_codec_decode(gn_codec_t *c, const void *p, size_t n, gn_codec_frame_t *f)
{
    if (c == NULL || f == NULL || (p == NULL && n > 0) || c->kind == GN__CODEC_NONE) {
        if (f != NULL)
            no_frame(f, 0, 0);
        return -EINVAL;
    }
    if (gn__length_fast(c, p, n, f))
        return 1;
    struct iovec iov = {.iov_base = (void *)(uintptr_t)p, .iov_len = n};
    gn__view_t v = {.iov = &iov, .cnt = 1, .total = n};
    return gn__codec_decode_view(c, &v, f);
}

int gn_codec_decode_iov(gn_codec_t *c, const struct iovec *iov, int iovcnt, gn_codec_frame_t *f)
{
    if (f != NULL)
        no_frame(f, 0, 0);
    if (c == NULL || f == NULL || iovcnt < 0 || (iov == NULL && iovcnt > 0) ||
        c->kind == GN__CODEC_NONE)
        return -EINVAL;
    size_t total = 0;
    for (int i = 0; i < iovcnt; i++) {
        if ((iov[i].iov_base == NULL && iov[i].iov_len > 0) || iov[i].iov_len > SIZE_MAX - total)
            return -EINVAL;
        total += iov[i].iov_len;
    }
    static const struct iovec empty = {0};
    gn__view_t v = {
        .iov = iovcnt > 0 ? iov : &empty, .cnt = iovcnt > 0 ? iovcnt : 1, .total = total};
    return gn__codec_decode_view(c, &v, f);
}
