/* Event logs, the reference model and the stream drivers of the codec suite. */
#include "codectest.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

const char *const ct_variant_names[CT_NVARIANTS] = {"flat", "ring", "list", "mix", "iov"};

void ct_log_init(ct_log_t *l)
{
    memset(l, 0, sizeof(*l));
}

void ct_log_free(ct_log_t *l)
{
    free(l->ev);
    free(l->bytes);
    memset(l, 0, sizeof(*l));
}

void ct_log_add(ct_log_t *l, int rc, const void *p, size_t len)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->ev = realloc(l->ev, l->cap * sizeof(*l->ev));
        CT_CHECK(l->ev != NULL);
    }
    if (l->nbytes + len > l->bytes_cap) {
        l->bytes_cap = (l->nbytes + len) * 2 + 64;
        l->bytes = realloc(l->bytes, l->bytes_cap);
        CT_CHECK(l->bytes != NULL);
    }
    if (len > 0)
        memcpy(l->bytes + l->nbytes, p, len);
    l->ev[l->n++] = (ct_event_t){.rc = rc, .off = l->nbytes, .len = len};
    l->nbytes += len;
    if (rc == GN_ECODEC_CORRUPT)
        l->corrupt = 1;
}

void ct_log_expect_eq(const ct_log_t *got, const ct_log_t *want, const char *what)
{
    size_t n = got->n < want->n ? got->n : want->n;
    for (size_t i = 0; i < n; i++) {
        const ct_event_t *g = &got->ev[i], *w = &want->ev[i];
        if (g->rc != w->rc || g->len != w->len ||
            (g->len > 0 && memcmp(got->bytes + g->off, want->bytes + w->off, g->len) != 0))
            ck_abort_msg("%s: event %zu differs: rc %d len %zu, model rc %d len %zu", what, i,
                         g->rc, g->len, w->rc, w->len);
    }
    if (got->n != want->n)
        ck_abort_msg("%s: %zu events, model %zu", what, got->n, want->n);
}

void ct_cfg_init(const ct_cfg_t *cfg, gn_codec_t *c)
{
    int rc = -1;
    switch (cfg->kind) {
    case CT_LINE:
        rc = gn_codec_init_line(c, cfg->max, cfg->flags);
        break;
    case CT_DELIM:
        rc = gn_codec_init_delimiter(c, cfg->delim, cfg->dlen, cfg->max, cfg->flags);
        break;
    case CT_FIXED:
        rc = gn_codec_init_fixed(c, cfg->max);
        break;
    case CT_LENGTH:
        rc = gn_codec_init_length_field(c, &cfg->lf);
        break;
    }
    if (rc != 0)
        ck_abort_msg("codec init failed: %d", rc);
}

/* ---- the model ---------------------------------------------------------- */

static size_t find(const unsigned char *p, size_t n, size_t from, const unsigned char *d,
                   size_t dlen)
{
    for (size_t i = from; i + dlen <= n; i++)
        if (memcmp(p + i, d, dlen) == 0)
            return i;
    return SIZE_MAX;
}

static void model_delim(const ct_cfg_t *cfg, const unsigned char *p, size_t n, ct_log_t *out)
{
    const unsigned char *d = cfg->kind == CT_LINE ? (const unsigned char *)"\n" : cfg->delim;
    size_t dlen = cfg->kind == CT_LINE ? 1 : cfg->dlen;
    int crlf = cfg->kind == CT_LINE && (cfg->flags & GN_CODEC_CRLF);
    /* Bytes a frame may span before the delimiter is overdue. */
    size_t window = cfg->max + (cfg->kind == CT_LINE ? (size_t)crlf + 1 : dlen);
    size_t pos = 0;
    for (;;) {
        size_t at = find(p, n, pos, d, dlen);
        if (at == SIZE_MAX || at + dlen - pos > window) {
            /* No delimiter within the window: too long once the window is full. */
            if (n - pos >= window)
                ct_log_add(out, GN_ECODEC_TOOLONG, NULL, 0);
            if (at == SIZE_MAX)
                return;
            pos = at + dlen;
            continue;
        }
        size_t content = at - pos, dl = dlen;
        if (crlf && content > 0 && p[at - 1] == '\r') {
            content--;
            dl++;
        }
        if (content > cfg->max)
            ct_log_add(out, GN_ECODEC_TOOLONG, NULL, 0);
        else
            ct_log_add(out, 1, p + pos, content + ((cfg->flags & GN_CODEC_KEEP_DELIM) ? dl : 0));
        pos = at + dlen;
    }
}

__extension__ typedef __int128 ct_i128;
__extension__ typedef unsigned __int128 ct_u128;

static void model_length(const ct_cfg_t *cfg, const unsigned char *p, size_t n, ct_log_t *out)
{
    const gn_codec_length_field_t *o = &cfg->lf;
    size_t hdr = o->length_field_offset + o->length_field_size;
    size_t pos = 0;
    while (n - pos >= hdr) {
        ct_u128 v = 0;
        const unsigned char *f = p + pos + o->length_field_offset;
        for (unsigned i = 0; i < o->length_field_size; i++)
            v = (v << 8) | f[o->little_endian ? o->length_field_size - 1 - i : i];
        if (v > INT64_MAX) {
            ct_log_add(out, GN_ECODEC_CORRUPT, NULL, 0);
            return;
        }
        ct_i128 total =
            (ct_i128)v + o->length_adjustment + (o->length_includes_header ? 0 : (ct_i128)hdr);
        if (total < (ct_i128)hdr) {
            ct_log_add(out, GN_ECODEC_CORRUPT, NULL, 0);
            return;
        }
        if (total > (ct_i128)o->max_frame_length) {
            ct_log_add(out, GN_ECODEC_TOOLONG, NULL, 0);
            if (total > (ct_i128)(n - pos))
                return;
            pos += (size_t)total;
            continue;
        }
        if ((ct_i128)o->initial_bytes_to_strip > total) {
            ct_log_add(out, GN_ECODEC_CORRUPT, NULL, 0);
            return;
        }
        if (total > (ct_i128)(n - pos))
            return;
        size_t t = (size_t)total, s = o->initial_bytes_to_strip;
        ct_log_add(out, 1, p + pos + s, t - s);
        pos += t;
    }
}

void ct_model_decode(const ct_cfg_t *cfg, const unsigned char *p, size_t n, ct_log_t *out)
{
    switch (cfg->kind) {
    case CT_LINE:
    case CT_DELIM:
        model_delim(cfg, p, n, out);
        break;
    case CT_FIXED:
        for (size_t pos = 0; n - pos >= cfg->max; pos += cfg->max)
            ct_log_add(out, 1, p + pos, cfg->max);
        break;
    default:
        model_length(cfg, p, n, out);
        break;
    }
}

/* ---- drivers ------------------------------------------------------------- */

/* The buffers a driver may feed; only the one of its variant is used. */
typedef struct feed {
    int variant;
    unsigned char *flat; /* CT_FLAT: unconsumed bytes */
    size_t flat_len;
    gn_ringbuf_t ring;
    gn_listbuf_t list;
    gn_mixbuf_t mix;
} feed_t;

static void feed_put(feed_t *fd, const unsigned char *p, size_t n)
{
    switch (fd->variant) {
    case CT_FLAT:
    case CT_IOV:
        memcpy(fd->flat + fd->flat_len, p, n);
        fd->flat_len += n;
        break;
    case CT_RING:
        CT_CHECK(gn_ringbuf_write(&fd->ring, p, n) == 0);
        break;
    case CT_LIST:
        /* Blocks of at most 3 bytes, referenced: frames cross many blocks. */
        for (size_t i = 0; i < n; i += 3)
            CT_CHECK(gn_listbuf_append_ref(&fd->list, p + i, n - i < 3 ? n - i : 3, NULL, NULL) ==
                     0);
        break;
    default:
        CT_CHECK(gn_mixbuf_write(&fd->mix, p, n) == 0);
        break;
    }
}

static int feed_decode(feed_t *fd, gn_codec_t *c, gn_codec_frame_t *f)
{
    switch (fd->variant) {
    case CT_FLAT:
        return gn_codec_decode(c, fd->flat, fd->flat_len, f);
    case CT_IOV: {
        /* The bytes as 5-byte entries with an empty one between each. */
        struct iovec iov[2 * 4096 / 5 + 4];
        int cnt = 0;
        for (size_t at = 0; at < fd->flat_len; at += 5) {
            size_t k = fd->flat_len - at < 5 ? fd->flat_len - at : 5;
            iov[cnt++] = (struct iovec){.iov_base = fd->flat + at, .iov_len = k};
            iov[cnt++] = (struct iovec){0};
        }
        return gn_codec_decode_iov(c, iov, cnt, f);
    }
    case CT_RING:
        return gn_codec_decode_ringbuf(c, &fd->ring, f);
    case CT_LIST:
        return gn_codec_decode_listbuf(c, &fd->list, f);
    default:
        return gn_codec_decode_mixbuf(c, &fd->mix, f);
    }
}

static void feed_discard(feed_t *fd, size_t n)
{
    switch (fd->variant) {
    case CT_FLAT:
    case CT_IOV:
        CT_CHECK(n <= fd->flat_len);
        memmove(fd->flat, fd->flat + n, fd->flat_len - n);
        fd->flat_len -= n;
        break;
    case CT_RING:
        CT_CHECK(gn_ringbuf_discard(&fd->ring, n) == (ssize_t)n);
        break;
    case CT_LIST:
        CT_CHECK(gn_listbuf_discard(&fd->list, n) == (ssize_t)n);
        break;
    default:
        CT_CHECK(gn_mixbuf_discard(&fd->mix, n) == (ssize_t)n);
        break;
    }
}

/* Decodes until the codec needs more bytes (or the stream is corrupt). */
static void drain(feed_t *fd, gn_codec_t *c, ct_log_t *out)
{
    for (int guard = 0; guard < 1 << 20; guard++) {
        gn_codec_frame_t f;
        int rc = feed_decode(fd, c, &f);
        CT_CHECK(rc == 0 || rc == 1 || rc == GN_ECODEC_TOOLONG || rc == GN_ECODEC_CORRUPT);
        if (rc == GN_ECODEC_CORRUPT) {
            ct_log_add(out, rc, NULL, 0);
            return;
        }
        if (rc != 0)
            ct_log_add(out, rc, f.data, rc == 1 ? f.len : 0);
        feed_discard(fd, f.consumed);
        if (rc == 0)
            return;
    }
    ck_abort_msg("decoder made no progress");
}

void ct_drive(const ct_cfg_t *cfg, int variant, const unsigned char *p, size_t n,
              const size_t *cuts, size_t ncuts, ct_log_t *out)
{
    gn_codec_t c;
    ct_cfg_init(cfg, &c);
    feed_t fd = {.variant = variant};
    fd.flat = malloc(n + 1);
    CT_CHECK(fd.flat != NULL);
    /* A small ring whose head is moved forward, so frames wrap its end. */
    CT_CHECK(gn_ringbuf_init_cap(&fd.ring, 64) == 0);
    CT_CHECK(gn_ringbuf_write(&fd.ring, "0123456789abcdefghijklmnopqrstu", 31) == 0);
    CT_CHECK(gn_ringbuf_discard(&fd.ring, 31) == 31);
    gn_listbuf_init(&fd.list);
    gn_mixbuf_init(&fd.mix, 16);
    size_t at = 0;
    for (size_t i = 0; i <= ncuts && !out->corrupt; i++) {
        size_t end = i < ncuts ? cuts[i] : n;
        feed_put(&fd, p + at, end - at);
        at = end;
        drain(&fd, &c, out);
    }
    gn_codec_release(&c);
    gn_ringbuf_release(&fd.ring);
    gn_listbuf_release(&fd.list);
    gn_mixbuf_release(&fd.mix);
    free(fd.flat);
}
