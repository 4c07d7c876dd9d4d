/* libFuzzer target for gnet-codec. The first bytes of the input choose a codec
 * and its settings, the next ones where the stream is cut, the rest is the
 * stream. The stream is decoded from plain memory in one piece, then from a
 * ring, a list, a mixed buffer and an iovec array fed in the chosen pieces; every decoder must
 * give the same frames and errors, stay within the frame bounds, make
 * progress, and never read outside its input (ASan). Frames are re-encoded and
 * must decode back to themselves where the framing allows it.
 *
 *   clang -g -O1 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined -Ipkg/codec/include \
 *       -Ipkg/buffer/include -Ipkg/codec/src tests/fuzz/fuzz_codec.c \
 *       pkg/codec/src/[a-z]*.c pkg/buffer/src/[a-z]*.c -o fuzz_codec
 *   ./fuzz_codec -max_total_time=60
 */
#include <gnet/codec.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_EVENTS 4096

typedef struct {
    int rc[MAX_EVENTS];
    uint64_t hash[MAX_EVENTS]; /* FNV-1a of each frame's bytes */
    size_t n;
} events_t;

static uint64_t fnv(const void *p, size_t n)
{
    const unsigned char *b = p;
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211ull;
    return h;
}

static void fail(const char *what)
{
    fprintf(stderr, "fuzz_codec: %s\n", what);
    abort();
}

/* Reads settings from the input's first bytes; returns the bytes used, or 0
 * when the settings are refused (fine: nothing to test). *bound is the most a
 * frame may hold. */
static size_t make_codec(const uint8_t *d, size_t n, gn_codec_t *c, size_t *bound)
{
    if (n < 8)
        return 0;
    size_t max = 1 + d[1] % 64;
    int rc = -1;
    switch (d[0] % 4) {
    case 0:
        rc = gn_codec_init_line(c, max, d[2] % 4);
        *bound = max + 2;
        break;
    case 1:
        rc = gn_codec_init_delimiter(c, d + 3, 1 + d[2] % 4, max, d[7] % 2);
        *bound = max + 4;
        break;
    case 2:
        rc = gn_codec_init_fixed(c, max);
        *bound = max;
        break;
    default: {
        static const unsigned sizes[] = {1, 2, 3, 4, 8, 5}; /* 5 is refused */
        gn_codec_length_field_t o = {.length_field_size = sizes[d[2] % 6],
                                     .length_field_offset = d[3] % 4,
                                     .length_adjustment = (int8_t)d[4],
                                     .initial_bytes_to_strip = d[5] % 16,
                                     .length_includes_header = (d[6] & 1) != 0,
                                     .little_endian = (d[6] & 2) != 0,
                                     .max_frame_length = max + d[7] % 8};
        rc = gn_codec_init_length_field(c, &o);
        *bound = o.max_frame_length;
        break;
    }
    }
    return rc == 0 ? 8 : 0;
}

static void record(events_t *e, int rc, const gn_codec_frame_t *f)
{
    if (e->n == MAX_EVENTS)
        return;
    e->rc[e->n] = rc;
    e->hash[e->n] = rc == 1 ? fnv(f->data, f->len) ^ f->len : 0;
    e->n++;
}

/* Checks one decode result; returns 1 to go on decoding. */
static int check(int rc, const gn_codec_frame_t *f, size_t avail, size_t bound, events_t *e)
{
    if (rc != 1 && rc != 0 && rc != GN_ECODEC_TOOLONG && rc != GN_ECODEC_CORRUPT)
        fail("unexpected return code");
    if (f->consumed > avail)
        fail("consumed more than the input");
    if (rc == 1 && f->len > bound)
        fail("frame longer than the bound");
    if (rc != 0)
        record(e, rc, f);
    return rc == 1 || rc == GN_ECODEC_TOOLONG;
}

static void decode_flat(gn_codec_t *c, const uint8_t *p, size_t n, size_t bound, events_t *e)
{
    for (size_t guard = 0, limit = n + 1; guard <= limit; guard++) {
        gn_codec_frame_t f;
        int rc = gn_codec_decode(c, p, n, &f);
        int more = check(rc, &f, n, bound, e);
        p += f.consumed;
        n -= f.consumed;
        if (!more)
            return;
    }
    fail("no progress (memory)");
}

enum { RING, LIST, MIX };

typedef struct {
    int kind;
    gn_ringbuf_t ring;
    gn_listbuf_t list;
    gn_mixbuf_t mix;
} buf_t;

static size_t buf_len(buf_t *b)
{
    return b->kind == RING   ? gn_ringbuf_buffered(&b->ring)
           : b->kind == LIST ? gn_listbuf_buffered(&b->list)
                             : gn_mixbuf_buffered(&b->mix);
}

static void drain(gn_codec_t *c, buf_t *b, size_t bound, events_t *e)
{
    for (size_t guard = 0, limit = buf_len(b) + 1; guard <= limit; guard++) {
        gn_codec_frame_t f;
        size_t avail = buf_len(b);
        int rc = b->kind == RING   ? gn_codec_decode_ringbuf(c, &b->ring, &f)
                 : b->kind == LIST ? gn_codec_decode_listbuf(c, &b->list, &f)
                                   : gn_codec_decode_mixbuf(c, &b->mix, &f);
        int more = check(rc, &f, avail, bound, e);
        if (b->kind == RING)
            gn_ringbuf_discard(&b->ring, f.consumed);
        else if (b->kind == LIST)
            gn_listbuf_discard(&b->list, f.consumed);
        else
            gn_mixbuf_discard(&b->mix, f.consumed);
        if (!more)
            return;
    }
    fail("no progress (buffer)");
}

static void decode_buf(gn_codec_t *c, int kind, const uint8_t *cuts, size_t ncuts, const uint8_t *p,
                       size_t n, size_t bound, events_t *e)
{
    buf_t b = {.kind = kind};
    gn_ringbuf_init_cap(&b.ring, 32);
    gn_listbuf_init(&b.list);
    gn_mixbuf_init(&b.mix, 8);
    size_t at = 0, i = 0;
    while (at < n && (e->n == 0 || e->rc[e->n - 1] != GN_ECODEC_CORRUPT)) {
        size_t piece = i < ncuts ? 1 + cuts[i++] % 16 : n - at;
        if (piece > n - at)
            piece = n - at;
        if (kind == RING)
            gn_ringbuf_write(&b.ring, p + at, piece);
        else if (kind == LIST)
            for (size_t k = 0; k < piece; k += 2) /* referenced 2-byte blocks */
                gn_listbuf_append_ref(&b.list, p + at + k, piece - k < 2 ? 1 : 2, NULL, NULL);
        else
            gn_mixbuf_write(&b.mix, p + at, piece);
        at += piece;
        drain(c, &b, bound, e);
    }
    gn_ringbuf_release(&b.ring);
    gn_listbuf_release(&b.list);
    gn_mixbuf_release(&b.mix);
}

/* The unconsumed bytes as 3-byte iovecs (and empty ones), pieces as above. */
static void decode_iovs(gn_codec_t *c, const uint8_t *cuts, size_t ncuts, const uint8_t *p,
                        size_t n, size_t bound, events_t *e)
{
    static struct iovec iov[2 * 4096];
    size_t head = 0, at = 0, i = 0;
    while (at < n && (e->n == 0 || e->rc[e->n - 1] != GN_ECODEC_CORRUPT)) {
        size_t piece = i < ncuts ? 1 + cuts[i++] % 16 : n - at;
        at += piece < n - at ? piece : n - at;
        for (size_t guard = 0, limit = at - head + 1; guard <= limit; guard++) {
            int cnt = 0;
            for (size_t k = head; k < at && cnt < 2 * 4096 - 1; k += 3) {
                iov[cnt++] = (struct iovec){(void *)(uintptr_t)(p + k), at - k < 3 ? at - k : 3};
                iov[cnt++] = (struct iovec){0};
            }
            gn_codec_frame_t f;
            int rc = gn_codec_decode_iov(c, iov, cnt, &f);
            int more = check(rc, &f, at - head, bound, e);
            head += f.consumed;
            if (!more)
                break;
        }
    }
}

/* A frame re-encoded decodes to itself (not meaningful with a kept delimiter or
 * a stripped length field, which change what the frame holds). */
static void round_trip(const gn_codec_t *settings, const uint8_t *d, size_t n)
{
    gn_codec_t c = *settings, back = *settings;
    c.copy = back.copy = NULL;
    c.copy_cap = back.copy_cap = 0;
    c.iov = back.iov = NULL;
    c.iov_cap = back.iov_cap = 0;
    gn_codec_reset(&back);
    unsigned char hdr[GN_CODEC_HEADER_MAX], wire[4096];
    struct iovec iov[2];
    int cnt = gn_codec_encode(&c, d, n, hdr, sizeof(hdr), iov);
    if (cnt < 0)
        return;
    size_t w = 0;
    for (int i = 0; i < cnt; i++) {
        if (w + iov[i].iov_len > sizeof(wire))
            return;
        memcpy(wire + w, iov[i].iov_base, iov[i].iov_len);
        w += iov[i].iov_len;
    }
    gn_codec_frame_t f;
    if (gn_codec_decode(&back, wire, w, &f) != 1 || f.consumed != w)
        fail("encoded frame does not decode");
    gn_codec_release(&back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gn_codec_t c;
    size_t bound = 0;
    size_t used = make_codec(data, size, &c, &bound);
    if (used == 0)
        return 0;
    data += used;
    size -= used;
    size_t ncuts = size > 0 ? data[0] % 32 : 0;
    if (ncuts + 1 > size)
        ncuts = size > 0 ? size - 1 : 0;
    const uint8_t *cuts = data + (size > 0);
    const uint8_t *p = cuts + ncuts;
    size_t n = size - (size_t)(p - data);

    static events_t want, got;
    want.n = 0;
    gn_codec_t fresh = c;
    decode_flat(&fresh, p, n, bound, &want);
    gn_codec_release(&fresh);
    for (int kind = RING; kind <= MIX; kind++) {
        gn_codec_t k = c;
        got.n = 0;
        decode_buf(&k, kind, cuts, ncuts, p, n, bound, &got);
        gn_codec_release(&k);
        if (got.n != want.n || memcmp(got.rc, want.rc, want.n * sizeof(int)) != 0 ||
            memcmp(got.hash, want.hash, want.n * sizeof(uint64_t)) != 0)
            fail("buffer decoding differs from memory decoding");
    }
    gn_codec_t k = c;
    got.n = 0;
    if (n <= 4096 * 3 - 3) {
        decode_iovs(&k, cuts, ncuts, p, n, bound, &got);
        if (got.n != want.n || memcmp(got.rc, want.rc, want.n * sizeof(int)) != 0 ||
            memcmp(got.hash, want.hash, want.n * sizeof(uint64_t)) != 0)
            fail("iovec decoding differs from memory decoding");
    }
    gn_codec_release(&k);
    round_trip(&c, p, n < 64 ? n : 64);
    gn_codec_release(&c);
    return 0;
}
