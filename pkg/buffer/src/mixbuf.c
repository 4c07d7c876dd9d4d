/* gn_mixbuf_t: a ring for the first max_static bytes, a list for the overflow
 * (see <gnet/mixbuf.h>). The stream is the ring's bytes followed by the list's. */
#include <gnet/mixbuf.h>

#include "internal.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>

/* True when n more bytes belong in the ring: only while the list is empty (or
 * they would overtake its bytes) and the ring stays within max_static. */
static bool fits_ring(const gn_mixbuf_t *mb, size_t n)
{
    return mb->list.bytes == 0 && n <= mb->max_static - mb->ring.len;
}

/* True when n more bytes would make the total uncountable in ssize_t. */
static bool too_big(const gn_mixbuf_t *mb, size_t n)
{
    return n > (size_t)SSIZE_MAX - mb->ring.len - mb->list.bytes;
}

/* After bytes left the list: in elastic mode a drained list keeps no spare. The
 * ring frees itself (its own elastic flag). */
static void settle(gn_mixbuf_t *mb)
{
    if (mb->elastic && mb->list.bytes == 0)
        gn_listbuf_shrink(&mb->list);
}

int gn_mixbuf_init(gn_mixbuf_t *mb, size_t max_static)
{
    if (mb == NULL || max_static == 0)
        return -EINVAL;
    memset(mb, 0, sizeof(*mb));
    mb->max_static = max_static;
    return 0;
}

void gn_mixbuf_release(gn_mixbuf_t *mb)
{
    if (mb == NULL)
        return;
    gn_ringbuf_release(&mb->ring);
    gn_listbuf_release(&mb->list);
}

void gn_mixbuf_reset(gn_mixbuf_t *mb)
{
    if (mb == NULL)
        return;
    gn_ringbuf_reset(&mb->ring);
    gn_listbuf_reset(&mb->list);
    settle(mb);
}

void gn_mixbuf_set_elastic(gn_mixbuf_t *mb, bool on)
{
    if (mb == NULL)
        return;
    mb->elastic = on;
    gn_ringbuf_set_elastic(&mb->ring, on);
    settle(mb);
}

void gn_mixbuf_shrink(gn_mixbuf_t *mb)
{
    if (mb == NULL)
        return;
    gn_ringbuf_shrink(&mb->ring);
    gn_listbuf_shrink(&mb->list);
}

int gn_mixbuf_write(gn_mixbuf_t *mb, const void *p, size_t n)
{
    if (mb == NULL || (p == NULL && n > 0))
        return -EINVAL;
    if (n == 0)
        return 0;
    if (fits_ring(mb, n)) {
        int rc = gn__ringbuf_reserve_max(&mb->ring, n, mb->max_static);
        return rc != 0 ? rc : gn_ringbuf_write(&mb->ring, p, n);
    }
    if (too_big(mb, n))
        return -ENOMEM;
    return gn_listbuf_push_back(&mb->list, p, n);
}

int gn_mixbuf_writev(gn_mixbuf_t *mb, const struct iovec *iov, int iovcnt)
{
    size_t total;
    if (mb == NULL)
        return -EINVAL;
    int rc = gn__iov_total(iov, iovcnt, &total);
    if (rc != 0 || total == 0)
        return rc;
    if (fits_ring(mb, total)) {
        rc = gn__ringbuf_reserve_max(&mb->ring, total, mb->max_static);
        return rc != 0 ? rc : gn_ringbuf_writev(&mb->ring, iov, iovcnt);
    }
    if (too_big(mb, total))
        return -ENOMEM;
    return gn__listbuf_append_iov(&mb->list, iov, total);
}

int gn_mixbuf_peek(const gn_mixbuf_t *mb, size_t n, struct iovec *iov, int iovcnt)
{
    struct iovec r[2];
    if (mb == NULL || iovcnt < 0 || (iov == NULL && iovcnt > 0))
        return -EINVAL;
    int rcnt = gn_ringbuf_peek(&mb->ring, n, r);
    int cnt = 0;
    size_t got = 0;
    for (; cnt < rcnt && cnt < iovcnt; cnt++) {
        iov[cnt] = r[cnt];
        got += r[cnt].iov_len;
    }
    /* Room left in iov means the whole ring part fitted, so the list bytes
     * follow without a gap. */
    if (got < n && cnt < iovcnt)
        cnt += gn_listbuf_peek(&mb->list, n - got, iov + cnt, iovcnt - cnt);
    return cnt;
}

/* Consumes n bytes (n <= buffered), ring first, copying them to p unless NULL. */
static void consume(gn_mixbuf_t *mb, unsigned char *p, size_t n)
{
    size_t k = n < mb->ring.len ? n : mb->ring.len;
    if (p != NULL)
        gn_ringbuf_read(&mb->ring, p, k);
    else
        gn_ringbuf_discard(&mb->ring, k);
    if (n > k) {
        if (p != NULL)
            gn_listbuf_read(&mb->list, p + k, n - k);
        else
            gn_listbuf_discard(&mb->list, n - k);
        settle(mb);
    }
}

ssize_t gn_mixbuf_discard(gn_mixbuf_t *mb, size_t n)
{
    if (mb == NULL)
        return -EINVAL;
    size_t total = mb->ring.len + mb->list.bytes;
    if (n > total)
        n = total;
    consume(mb, NULL, n);
    return (ssize_t)n;
}

ssize_t gn_mixbuf_read(gn_mixbuf_t *mb, void *p, size_t n)
{
    if (mb == NULL || (p == NULL && n > 0))
        return -EINVAL;
    size_t total = mb->ring.len + mb->list.bytes;
    if (n > total)
        n = total;
    consume(mb, p, n);
    return (ssize_t)n;
}

size_t gn_mixbuf_buffered(const gn_mixbuf_t *mb)
{
    return mb != NULL ? mb->ring.len + mb->list.bytes : 0;
}

bool gn_mixbuf_empty(const gn_mixbuf_t *mb)
{
    return mb == NULL || (mb->ring.len == 0 && mb->list.bytes == 0);
}

ssize_t gn_mixbuf_write_fd(gn_mixbuf_t *mb, int fd)
{
    struct iovec iov[GN__IOV_MAX];
    if (mb == NULL || fd < 0)
        return -EINVAL;
    if (gn_mixbuf_empty(mb))
        return 0;
    int cnt = gn_mixbuf_peek(mb, SIZE_MAX, iov, GN__IOV_MAX);
    ssize_t n = gn__writev_fd(fd, iov, cnt);
    if (n > 0)
        consume(mb, NULL, (size_t)n);
    return n;
}

ssize_t gn_mixbuf_read_fd(gn_mixbuf_t *mb, int fd, size_t max)
{
    if (mb == NULL || fd < 0)
        return -EINVAL;
    if (max == 0)
        return 0;
    if (mb->list.bytes == 0 && mb->ring.len < mb->max_static) {
        size_t room = mb->max_static - mb->ring.len;
        return gn__ringbuf_read_fd_max(&mb->ring, fd, max < room ? max : room, mb->max_static);
    }
    ssize_t n = gn_listbuf_read_fd(&mb->list, fd, max);
    settle(mb);
    return n;
}
