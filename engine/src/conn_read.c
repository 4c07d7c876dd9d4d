/* The read path: one read per readiness event into the loop's shared buffer;
 * on_traffic sees the connection's inbound ring followed by those bytes; what
 * it leaves is copied into the ring. The reader calls below work on that pair. */
#include "engine_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static unsigned char gn__empty[1];

/* Bytes of the current read not consumed yet (only for the connection whose
 * on_traffic is running). */
static size_t view_len(const gn_conn_t *c)
{
    const gn__loop_t *l = c->loop;
    return l->cur == c ? l->vlen - l->voff : 0;
}

size_t gn_conn_inbound_buffered(const gn_conn_t *c)
{
    return c == NULL ? 0 : gn_ringbuf_buffered(&c->in) + view_len(c);
}

/* Scratch for a copied gn_conn_next/peek result. The first request of a
 * callback reuses the loop's cached block; later ones get their own blocks,
 * so earlier pointers stay valid until the callback returns. */
static unsigned char *scratch_get(gn__loop_t *l, size_t n)
{
    if (!l->scratch_used && n <= l->scratch_cap) {
        l->scratch_used = true;
        return l->scratch;
    }
    if (!l->scratch_used) {
        unsigned char *p = realloc(l->scratch, n);
        if (p == NULL)
            return NULL;
        l->scratch = p;
        l->scratch_cap = n;
        l->scratch_used = true;
        return p;
    }
    gn__scratch_block_t *b = malloc(sizeof *b + n);
    if (b == NULL)
        return NULL;
    b->next = l->extra;
    l->extra = b;
    return b->data;
}

void gn__scratch_reset(gn__loop_t *l)
{
    l->scratch_used = false;
    while (l->extra != NULL) {
        gn__scratch_block_t *b = l->extra;
        l->extra = b->next;
        free(b);
    }
    /* A huge one-off message should not pin its scratch for ever. */
    if (l->scratch_cap > l->rcap) {
        free(l->scratch);
        l->scratch = NULL;
        l->scratch_cap = 0;
    }
}

/* Returns a contiguous view of the first want bytes (ring, then view),
 * copying only when they straddle the ring's wrap or the ring/view seam. */
static const void *contiguous(gn_conn_t *c, size_t want)
{
    gn__loop_t *l = c->loop;
    size_t rlen = gn_ringbuf_buffered(&c->in);
    if (rlen == 0)
        return want == 0 ? (const void *)gn__empty : l->rbuf + l->voff;
    struct iovec iov[2];
    (void)gn_ringbuf_peek(&c->in, SIZE_MAX, iov);
    if (want <= iov[0].iov_len)
        return iov[0].iov_base;
    unsigned char *dst = scratch_get(l, want);
    if (dst == NULL)
        return NULL;
    size_t done = 0;
    for (int i = 0; i < 2 && done < want && iov[i].iov_len > 0; i++) {
        size_t k = iov[i].iov_len < want - done ? iov[i].iov_len : want - done;
        memcpy(dst + done, iov[i].iov_base, k);
        done += k;
    }
    if (done < want)
        memcpy(dst + done, l->rbuf + l->voff, want - done);
    return dst;
}

static size_t resolve_want(const gn_conn_t *c, size_t n, size_t *len)
{
    size_t total = gn_conn_inbound_buffered(c);
    size_t want = n == SIZE_MAX ? total : n;
    if (len != NULL)
        *len = 0;
    return want > total ? SIZE_MAX : want;
}

const void *gn_conn_peek(gn_conn_t *c, size_t n, size_t *len)
{
    if (c == NULL)
        return NULL;
    size_t want = resolve_want(c, n, len);
    if (want == SIZE_MAX)
        return NULL;
    const void *p = contiguous(c, want);
    if (p != NULL && len != NULL)
        *len = want;
    return p;
}

ssize_t gn_conn_discard(gn_conn_t *c, size_t n)
{
    if (c == NULL)
        return -EINVAL;
    /* Not elastic: the ring keeps its memory until the callback ends, so
     * pointers handed out earlier in this callback stay valid. */
    ssize_t d = gn_ringbuf_discard(&c->in, n);
    size_t done = d > 0 ? (size_t)d : 0;
    size_t v = view_len(c);
    size_t k = n - done < v ? n - done : v;
    c->loop->voff += k;
    return (ssize_t)(done + k);
}

const void *gn_conn_next(gn_conn_t *c, size_t n, size_t *len)
{
    size_t k = 0;
    const void *p = gn_conn_peek(c, n, &k);
    if (p != NULL)
        (void)gn_conn_discard(c, k);
    if (len != NULL)
        *len = k;
    return p;
}

ssize_t gn_conn_read(gn_conn_t *c, void *p, size_t n)
{
    if (c == NULL || (p == NULL && n > 0))
        return -EINVAL;
    ssize_t r = gn_ringbuf_read(&c->in, p, n);
    size_t done = r > 0 ? (size_t)r : 0;
    size_t v = view_len(c);
    size_t k = n - done < v ? n - done : v;
    if (k > 0) {
        memcpy((unsigned char *)p + done, c->loop->rbuf + c->loop->voff, k);
        c->loop->voff += k;
    }
    return (ssize_t)(done + k);
}

/* After on_traffic: keep what is left, enforce max_inbound, and give the
 * ring's memory back when it is empty so idle connections hold none. */
static void keep_leftover(gn_conn_t *c)
{
    gn__loop_t *l = c->loop;
    size_t v = view_len(c);
    l->cur = NULL;
    if ((c->flags & GN__C_CLOSING) == 0 && v > 0) {
        int rc = gn_ringbuf_write(&c->in, l->rbuf + l->voff, v);
        if (rc < 0)
            gn__conn_mark_close(c, rc);
    }
    size_t max = l->eng->o.max_inbound;
    if (max > 0 && gn_ringbuf_buffered(&c->in) > max)
        gn__conn_mark_close(c, GN_EINBOUND_LIMIT);
    if (gn_ringbuf_empty(&c->in))
        gn_ringbuf_shrink(&c->in);
}

/* Runs on_traffic with nread new bytes in the loop's read buffer (0 for a
 * wake-up), then keeps the leftover. */
void gn__conn_traffic(gn_conn_t *c, size_t nread)
{
    gn__loop_t *l = c->loop;
    gn_engine_t *eng = l->eng;
    l->cur = c;
    l->vlen = nread;
    l->voff = 0;
    gn_action_t a = GN_NONE;
    if (eng->h.on_traffic != NULL)
        a = eng->h.on_traffic(c);
    else
        l->voff = l->vlen; /* nobody reads: drop, as gnet does without a handler */
    keep_leftover(c);
    gn__scratch_reset(l);
    gn__apply_action(eng, c, a);
}

void gn__conn_on_readable(gn_conn_t *c)
{
    gn__loop_t *l = c->loop;
    ssize_t n;
    do
        n = read(c->pa.fd, l->rbuf, l->rcap);
    while (n < 0 && errno == EINTR);
    if (n > 0) {
        gn__conn_traffic(c, (size_t)n);
        return;
    }
    if (n == 0)
        gn__conn_mark_close(c, GN_EEOF);
    else if (errno != EAGAIN && errno != EWOULDBLOCK)
        gn__conn_mark_close(c, -errno);
}
