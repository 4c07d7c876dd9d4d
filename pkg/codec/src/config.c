/* Codec settings: the four inits, reset and release. */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Writes a fresh codec of the given kind over *c. */
static void setup(gn_codec_t *c, unsigned kind, size_t max, unsigned flags)
{
    memset(c, 0, sizeof(*c));
    c->kind = kind;
    c->max = max;
    c->flags = flags;
}

int gn_codec_init_line(gn_codec_t *c, size_t max_len, unsigned flags)
{
    if (c == NULL || max_len == 0 || (flags & ~(GN_CODEC_KEEP_DELIM | GN_CODEC_CRLF)) != 0)
        return -EINVAL;
    setup(c, GN__CODEC_LINE, max_len, flags);
    c->delim[0] = '\n';
    c->dlen = 1;
    return 0;
}

int gn_codec_init_delimiter(gn_codec_t *c, const void *delim, size_t dlen, size_t max_len,
                            unsigned flags)
{
    if (c == NULL || delim == NULL || dlen == 0 || dlen > GN_CODEC_DELIM_MAX || max_len == 0 ||
        (flags & ~GN_CODEC_KEEP_DELIM) != 0)
        return -EINVAL;
    setup(c, GN__CODEC_DELIM, max_len, flags);
    memcpy(c->delim, delim, dlen);
    c->dlen = dlen;
    return 0;
}

int gn_codec_init_fixed(gn_codec_t *c, size_t frame_len)
{
    if (c == NULL || frame_len == 0)
        return -EINVAL;
    setup(c, GN__CODEC_FIXED, frame_len, 0);
    return 0;
}

/* The adjustment with the header folded in (length_includes_header), or -EINVAL
 * when it does not fit int64_t. */
static int effective_adjustment(const gn_codec_length_field_t *o, size_t hdr, int64_t *adj)
{
    if (!o->length_includes_header) {
        *adj = o->length_adjustment;
        return 0;
    }
    if (hdr > (uint64_t)INT64_MAX || o->length_adjustment < INT64_MIN + (int64_t)hdr)
        return -EINVAL;
    *adj = o->length_adjustment - (int64_t)hdr;
    return 0;
}

int gn_codec_init_length_field(gn_codec_t *c, const gn_codec_length_field_t *o)
{
    if (c == NULL || o == NULL)
        return -EINVAL;
    unsigned sz = o->length_field_size;
    if (sz != 1 && sz != 2 && sz != 3 && sz != 4 && sz != 8)
        return -EINVAL;
    if (o->length_field_offset > SIZE_MAX - sz || o->max_frame_length == 0)
        return -EINVAL;
    size_t hdr = o->length_field_offset + sz;
    int64_t adj;
    if (o->max_frame_length < hdr || effective_adjustment(o, hdr, &adj) != 0)
        return -EINVAL;
    /* INT64_MIN cannot be negated; no real framing needs it. */
    if (adj == INT64_MIN)
        return -EINVAL;
    setup(c, GN__CODEC_LENGTH, 0, 0);
    c->lf = *o;
    c->adj = adj;
    c->hdr = hdr;
    return 0;
}

void gn_codec_reset(gn_codec_t *c)
{
    if (c == NULL)
        return;
    c->skip = 0;
    c->scanned = 0;
}

void gn_codec_release(gn_codec_t *c)
{
    if (c == NULL)
        return;
    free(c->copy);
    free(c->iov);
    c->copy = NULL;
    c->copy_cap = 0;
    c->iov = NULL;
    c->iov_cap = 0;
    gn_codec_reset(c);
}

size_t gn_codec_header_len(const gn_codec_t *c)
{
    return c != NULL && c->kind == GN__CODEC_LENGTH ? c->hdr : 0;
}
