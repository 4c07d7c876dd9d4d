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

/* The first want bytes as one pointer, never a copy: the readable bytes are
 * always one run. A read goes to the loop's buffer only while the ring is
 * empty (and the handler cannot add to the ring), and otherwise straight
 * after the ring's bytes, which ring_tail keeps contiguous; what on_traffic
 * leaves is written into an empty ring, at its start. */
static const void *contiguous(gn_conn_t *c, size_t want)
{
    gn__loop_t *l = c->loop;
    if (gn_ringbuf_empty(&c->in))
        return want == 0 ? (const void *)gn__empty : l->rbuf + l->voff;
    struct iovec iov[2];
    (void)gn_ringbuf_peek(&c->in, SIZE_MAX, iov);
    return want <= iov[0].iov_len ? iov[0].iov_base : NULL;
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
    gn__apply_action(eng, c, a);
}

/* Moves the ring's bytes to offset 0 of an allocation with at least `room`
 * free bytes after them. Few bytes in a large enough ring move within it
 * (through the loop's read buffer, which is idle between reads); otherwise a
 * new allocation of 1.5 x (bytes + room) takes them. This happens only after
 * the handler consumed part of the bytes (the ring then starts further in);
 * plain growth goes through ring_grow. */
static int ring_linearize(gn_conn_t *c, size_t room)
{
    gn__loop_t *l = c->loop;
    gn_ringbuf_t *rb = &c->in;
    struct iovec d[2];
    int nd = gn_ringbuf_peek(rb, SIZE_MAX, d);
    size_t len = gn_ringbuf_buffered(rb);
    if (len <= l->rcap && gn_ringbuf_cap(rb) >= len + room) {
        size_t off = 0;
        for (int i = 0; i < nd; i++) {
            memcpy(l->rbuf + off, d[i].iov_base, d[i].iov_len);
            off += d[i].iov_len;
        }
        gn_ringbuf_reset(rb);
        return gn_ringbuf_write(rb, l->rbuf, len); /* fits: cannot fail */
    }
    if (len > (SIZE_MAX / 2 - room) / 2)
        return -ENOMEM;
    size_t cap = len + room;
    gn_ringbuf_t nr;
    int rc = gn_ringbuf_init_cap(&nr, cap + cap / 2);
    if (rc == 0)
        rc = gn_ringbuf_writev(&nr, d, nd);
    if (rc < 0) {
        gn_ringbuf_release(&nr);
        return rc;
    }
    gn_ringbuf_release(rb);
    *rb = nr;
    return 0;
}

/* The free space right after the ring's bytes, at least `room` long. When
 * the bytes start the allocation and all the free space follows them, the
 * ring grows by its own policy (x1.25): contiguous contents are kept by
 * realloc, which moves large blocks by remapping pages, not copying them,
 * so a growing message is neither copied again nor faulted in again. */
static int ring_tail(gn_conn_t *c, size_t room, struct iovec *tail)
{
    struct iovec d[2], sp[2];
    for (int pass = 0; pass < 3; pass++) {
        int nd = gn_ringbuf_peek(&c->in, SIZE_MAX, d);
        int ns = gn_ringbuf_space(&c->in, sp);
        bool after =
            nd == 1 && ns > 0 &&
            (unsigned char *)sp[0].iov_base == (unsigned char *)d[0].iov_base + d[0].iov_len;
        if (after && sp[0].iov_len >= room) {
            *tail = sp[0];
            return 0;
        }
        int rc = after && ns == 1 ? gn_ringbuf_reserve(&c->in, room) : ring_linearize(c, room);
        if (rc < 0)
            return rc;
    }
    return -ENOMEM;
}

/* With bytes already waiting (a message still incomplete), the read goes
 * straight after them in the ring rather than into the loop's buffer, so the
 * readable bytes stay one contiguous run: a handler that peeks all on every
 * read costs O(bytes) for the message, not O(bytes^2), and never copies. */
static ssize_t read_into_ring(gn_conn_t *c)
{
    struct iovec tail;
    int rc = ring_tail(c, c->loop->rcap, &tail);
    if (rc < 0)
        return rc;
    size_t max = c->loop->rcap; /* read_buffer_cap bounds every read */
    ssize_t n;
    do
        n = read(c->pa.fd, tail.iov_base, tail.iov_len < max ? tail.iov_len : max);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return errno == EWOULDBLOCK ? -EAGAIN : -errno;
    (void)gn_ringbuf_commit(&c->in, (size_t)n);
    return n;
}

void gn__conn_on_readable(gn_conn_t *c)
{
    gn__loop_t *l = c->loop;
    ssize_t n;
    if (!gn_ringbuf_empty(&c->in)) {
        n = read_into_ring(c);
        if (n > 0)
            gn__conn_traffic(c, 0);
        else if (n == 0)
            gn__conn_mark_close(c, GN_EEOF);
        else if (n != -EAGAIN)
            gn__conn_mark_close(c, (int)n);
        return;
    }
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
