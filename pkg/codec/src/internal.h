/* gnet-codec internals: the codec kinds and the byte view the decoders read. */
#ifndef GNET_CODEC_INTERNAL_H
#define GNET_CODEC_INTERNAL_H

#include <gnet/codec.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/uio.h>

enum {
    GN__CODEC_NONE = 0, /* a zeroed struct: never initialised */
    GN__CODEC_LINE,
    GN__CODEC_DELIM,
    GN__CODEC_FIXED,
    GN__CODEC_LENGTH,
};

/* Marks a skip that lasts up to the next delimiter (line and delimiter codecs);
 * a length field skip is a byte count below it. */
#define GN__CODEC_SKIP_TO_DELIM SIZE_MAX

/* The input of one decode call: the stream's unconsumed bytes as cnt >= 1
 * segments holding total bytes (one segment for plain memory, two for a ring,
 * one per block for lists). Segments may be empty. */
typedef struct gn__view {
    const struct iovec *iov;
    int cnt;
    size_t total;
} gn__view_t;

/* Copies n bytes at offset off of the view (off + n <= total) into dst. */
void gn__view_copy(const gn__view_t *v, size_t off, void *dst, size_t n);

/* Offset of the first occurrence of the dlen bytes at d that starts in
 * [from, end) and lies inside [0, limit) (limit <= total), or SIZE_MAX. */
size_t gn__view_find(const gn__view_t *v, size_t from, size_t end, size_t limit,
                     const unsigned char *d, size_t dlen);

int gn__view_frame_slow(gn_codec_t *c, const gn__view_t *v, size_t off, size_t n,
                        gn_codec_frame_t *f);

/* Points f->data at n bytes at offset off: into the view when they lie in one
 * segment, otherwise at a copy in the codec's memory. 0 or -ENOMEM. Inline for
 * the common case, a frame inside the first segment. A view has at least one
 * segment (an empty one when there are no bytes). */
static inline int gn__view_frame(gn_codec_t *c, const gn__view_t *v, size_t off, size_t n,
                                 gn_codec_frame_t *f)
{
    if (n > 0 && v->iov[0].iov_len >= off + n) {
        f->data = (const unsigned char *)v->iov[0].iov_base + off;
        f->len = n;
        return 0;
    }
    return gn__view_frame_slow(c, v, off, n, f);
}

static inline size_t gn__sat_add(size_t a, size_t b)
{
    return a > SIZE_MAX - b ? SIZE_MAX : a + b;
}

/* Most bytes a decode needs to see from a frame's start to decide about it
 * (frame, too long, corrupt); saturates at SIZE_MAX. */
static inline size_t gn__codec_bound(const gn_codec_t *c)
{
    switch (c->kind) {
    case GN__CODEC_LINE:
    case GN__CODEC_DELIM:
        /* max content bytes, an optional '\r' (line, CRLF), then the delimiter */
        return gn__sat_add(c->max, c->kind == GN__CODEC_LINE ? 1 + ((c->flags & GN_CODEC_CRLF) != 0)
                                                             : c->dlen);
    case GN__CODEC_FIXED:
        return c->max;
    default:
        return c->lf.max_frame_length;
    }
}

/* Loads a size-byte unsigned integer; the usual sizes are single loads. */
static inline uint64_t gn__load_field(const unsigned char *p, unsigned size, bool little)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    const bool swap = !little;
#else
    const bool swap = little;
#endif
    switch (size) {
    case 1:
        return p[0];
    case 2: {
        uint16_t x;
        memcpy(&x, p, 2);
        return swap ? __builtin_bswap16(x) : x;
    }
    case 4: {
        uint32_t x;
        memcpy(&x, p, 4);
        return swap ? __builtin_bswap32(x) : x;
    }
    case 8: {
        uint64_t x;
        memcpy(&x, p, 8);
        return swap ? __builtin_bswap64(x) : x;
    }
    default: {
        uint64_t x = 0;
        for (unsigned i = 0; i < size; i++)
            x = (x << 8) | p[little ? size - 1 - i : i];
        return x;
    }
    }
}

/* The length field decoder's common case, inline in every decode call: no
 * skip in progress and the whole frame inside the first segment p[0..n).
 * Returns 1 with *f set, or 0 (nothing changed) for every other case, which
 * the general decoder then handles, errors included. */
static inline int gn__length_fast(const gn_codec_t *c, const unsigned char *p, size_t n,
                                  gn_codec_frame_t *f)
{
    if (c->kind != GN__CODEC_LENGTH || c->skip != 0 || n < c->hdr)
        return 0;
    uint64_t val =
        gn__load_field(p + c->lf.length_field_offset, c->lf.length_field_size, c->lf.little_endian);
    /* adj is never INT64_MIN (init refuses it), so -adj is defined. */
    if (val > (uint64_t)INT64_MAX || (c->adj < 0 && val < (uint64_t)-c->adj))
        return 0;
    uint64_t rest = val + (uint64_t)c->adj; /* modular: exact when adj < 0 too */
    if (rest > c->lf.max_frame_length - c->hdr)
        return 0;
    size_t total = c->hdr + (size_t)rest, strip = c->lf.initial_bytes_to_strip;
    if (total > n || strip > total)
        return 0;
    f->data = p + strip;
    f->len = total - strip;
    f->consumed = total;
    return 1;
}

/* The decoders behind every gn_codec_decode* call: same return values, *f
 * always set. */
int gn__codec_decode_view(gn_codec_t *c, const gn__view_t *v, gn_codec_frame_t *f);

#endif
