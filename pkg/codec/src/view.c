/* The segmented byte view the decoders read: plain memory, a ring's two
 * segments or list blocks look the same to them. */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Finds the segment holding offset off; *rel is off inside it. Segments are
 * few (two for a ring) or the caller walks them once per decode. */
static int seg_at(const gn__view_t *v, size_t off, size_t *rel)
{
    int i = 0;
    while (i < v->cnt - 1 && off >= v->iov[i].iov_len) {
        off -= v->iov[i].iov_len;
        i++;
    }
    *rel = off;
    return i;
}

void gn__view_copy(const gn__view_t *v, size_t off, void *dst, size_t n)
{
    unsigned char *out = dst;
    size_t rel;
    int i = seg_at(v, off, &rel);
    while (n > 0 && i < v->cnt) {
        size_t have = v->iov[i].iov_len - rel;
        size_t take = have < n ? have : n;
        if (take > 0) /* empty segments may have a NULL base */
            memcpy(out, (const unsigned char *)v->iov[i].iov_base + rel, take);
        out += take;
        n -= take;
        rel = 0;
        i++;
    }
}

/* True when the dlen bytes at offset off (off + dlen <= limit) equal d. */
static int view_match(const gn__view_t *v, size_t off, const unsigned char *d, size_t dlen)
{
    unsigned char tmp[GN_CODEC_DELIM_MAX];
    gn__view_copy(v, off, tmp, dlen);
    return memcmp(tmp, d, dlen) == 0;
}

size_t gn__view_find(const gn__view_t *v, size_t from, size_t end, size_t limit,
                     const unsigned char *d, size_t dlen)
{
    if (limit < dlen)
        return SIZE_MAX;
    if (end > limit - dlen + 1)
        end = limit - dlen + 1;
    size_t rel, base = from;
    int i = from < v->total ? seg_at(v, from, &rel) : v->cnt;
    /* memchr for the first byte inside each segment, then a full compare
     * (which may cross into the next segment). */
    for (; i < v->cnt && base < end; i++) {
        const unsigned char *seg = v->iov[i].iov_base;
        size_t seglen = v->iov[i].iov_len;
        if (seglen == 0) { /* its base may be NULL: no arithmetic on it */
            rel = 0;
            continue;
        }
        size_t stop = seglen - rel < end - base ? seglen : rel + (end - base);
        const unsigned char *q = seg + rel;
        while (q < seg + stop) {
            q = memchr(q, d[0], (size_t)(seg + stop - q));
            if (q == NULL)
                break;
            size_t at = base + (size_t)(q - (seg + rel));
            if (dlen == 1 || view_match(v, at, d, dlen))
                return at;
            q++;
        }
        base += stop - rel;
        rel = 0;
    }
    return SIZE_MAX;
}

/* Grows the codec's copy memory to n bytes (n is bounded by the frame maximum). */
static int copy_room(gn_codec_t *c, size_t n)
{
    if (n <= c->copy_cap)
        return 0;
    unsigned char *p = realloc(c->copy, n);
    if (p == NULL)
        return -ENOMEM;
    c->copy = p;
    c->copy_cap = n;
    return 0;
}

int gn__view_frame_slow(gn_codec_t *c, const gn__view_t *v, size_t off, size_t n,
                        gn_codec_frame_t *f)
{
    if (n == 0) {
        f->data = "";
        f->len = 0;
        return 0;
    }
    size_t rel;
    int i = seg_at(v, off, &rel);
    if (i < v->cnt && v->iov[i].iov_len - rel >= n) {
        f->data = (const unsigned char *)v->iov[i].iov_base + rel;
        f->len = n;
        return 0;
    }
    if (copy_room(c, n) != 0)
        return -ENOMEM;
    gn__view_copy(v, off, c->copy, n);
    f->data = c->copy;
    f->len = n;
    return 0;
}
