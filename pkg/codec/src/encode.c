/* gn_codec_encode: the framing for a payload as iovecs, payload never copied. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem */
#endif
#include "internal.h"

#include <errno.h>
#include <string.h>

/* True when payload + delimiter holds the delimiter only at its end, so that
 * the frame decodes as exactly one frame. */
static int delim_only_at_end(const gn_codec_t *c, const unsigned char *p, size_t len)
{
    size_t dlen = c->dlen;
    if (len > 0 && memmem(p, len, c->delim, dlen) != NULL)
        return 0;
    /* An occurrence across the payload's end: check its last dlen - 1 bytes
     * followed by the delimiter. */
    unsigned char tail[2 * GN_CODEC_DELIM_MAX];
    size_t t = len < dlen - 1 ? len : dlen - 1;
    if (t > 0)
        memcpy(tail, p + len - t, t);
    memcpy(tail + t, c->delim, dlen);
    return memmem(tail, t + dlen, c->delim, dlen) == tail + t;
}

/* The length field's value for len payload bytes, or a GN_ECODEC_* code. */
static int length_value(const gn_codec_t *c, size_t len, uint64_t *val)
{
    const gn_codec_length_field_t *o = &c->lf;
    if (len > o->max_frame_length - c->hdr)
        return GN_ECODEC_TOOLONG;
    if (c->hdr + len < o->initial_bytes_to_strip)
        return GN_ECODEC_PAYLOAD;
    /* value = len - adj, computed without leaving uint64_t. */
    uint64_t v;
    if (c->adj >= 0) {
        if ((uint64_t)len < (uint64_t)c->adj)
            return GN_ECODEC_PAYLOAD;
        v = (uint64_t)len - (uint64_t)c->adj;
    } else {
        uint64_t neg = (uint64_t)(-(c->adj + 1)) + 1;
        if ((uint64_t)len > UINT64_MAX - neg)
            return GN_ECODEC_TOOLONG;
        v = (uint64_t)len + neg;
    }
    unsigned sz = o->length_field_size;
    uint64_t top = sz == 8 ? (uint64_t)INT64_MAX : (UINT64_C(1) << (8 * sz)) - 1;
    if (v > top)
        return GN_ECODEC_TOOLONG;
    *val = v;
    return 0;
}

static void write_field(unsigned char *p, uint64_t v, unsigned size, bool little)
{
    for (unsigned i = 0; i < size; i++) {
        unsigned char b = (unsigned char)(v >> (8 * i));
        p[little ? i : size - 1 - i] = b;
    }
}

static int encode_length(const gn_codec_t *c, size_t len, void *hdr, size_t hdr_cap,
                         struct iovec *h)
{
    if (hdr == NULL)
        return -EINVAL;
    if (hdr_cap < c->hdr)
        return -ENOBUFS;
    uint64_t v;
    int rc = length_value(c, len, &v);
    if (rc != 0)
        return rc;
    unsigned char *p = hdr;
    memset(p, 0, c->lf.length_field_offset);
    write_field(p + c->lf.length_field_offset, v, c->lf.length_field_size, c->lf.little_endian);
    *h = (struct iovec){.iov_base = hdr, .iov_len = c->hdr};
    return 0;
}

static void put(struct iovec *iov, int *n, const void *p, size_t len)
{
    if (len == 0)
        return;
    iov[*n] = (struct iovec){.iov_base = (void *)(uintptr_t)p, .iov_len = len};
    (*n)++;
}

int gn_codec_encode(const gn_codec_t *c, const void *payload, size_t len, void *hdr, size_t hdr_cap,
                    struct iovec iov[2])
{
    if (c == NULL || iov == NULL || (payload == NULL && len > 0) || c->kind == GN__CODEC_NONE)
        return -EINVAL;
    iov[0] = iov[1] = (struct iovec){0};
    int n = 0;
    switch (c->kind) {
    case GN__CODEC_FIXED:
        if (len != c->max)
            return GN_ECODEC_PAYLOAD;
        put(iov, &n, payload, len);
        return n;
    case GN__CODEC_LENGTH: {
        struct iovec h;
        int rc = encode_length(c, len, hdr, hdr_cap, &h);
        if (rc != 0)
            return rc;
        put(iov, &n, h.iov_base, h.iov_len);
        put(iov, &n, payload, len);
        return n;
    }
    default:
        break;
    }
    /* Line and delimiter: payload, then the delimiter. */
    if (len > c->max)
        return GN_ECODEC_TOOLONG;
    if (!delim_only_at_end(c, payload, len))
        return GN_ECODEC_PAYLOAD;
    put(iov, &n, payload, len);
    if (c->kind == GN__CODEC_LINE && (c->flags & GN_CODEC_CRLF))
        put(iov, &n, "\r\n", 2);
    else
        put(iov, &n, c->delim, c->dlen);
    return n;
}
