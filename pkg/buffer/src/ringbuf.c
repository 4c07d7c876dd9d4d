/* gn_ringbuf_t: an auto-growing byte ring (see <gnet/ringbuf.h>).
 *
 * The state is (buf, cap, r, len) rather than read and write offsets: with a
 * length there is no full/empty ambiguity, so no "is empty" flag can go stale
 * (gnet's ReadFrom of an empty reader marked its ring full that way). The write
 * offset is derived as r + len, wrapped once. */
#include <gnet/ringbuf.h>

#include "internal.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>

#define GN__RINGBUF_ELASTIC 1u

/* The copy helpers below are the hot path of every write and read: force them
 * inline so a small write costs a couple of compares and memcpy, no calls. */
#define GN__HOT         static inline __attribute__((always_inline))
#define GN__UNLIKELY(x) __builtin_expect(!!(x), 0)

static size_t ceil_pow2(size_t n)
{
    size_t p = 1;
    while (p < n) {
        if (p > SIZE_MAX / 2)
            return n;
        p <<= 1;
    }
    return p;
}

/* The growth policy documented in the header; need > cap. */
static size_t next_cap(size_t cap, size_t need)
{
    if (cap == 0)
        return need <= GN_RINGBUF_DEFAULT_CAP ? GN_RINGBUF_DEFAULT_CAP : ceil_pow2(need);
    if (cap > SIZE_MAX / 2 || need > cap * 2)
        return need;
    if (cap < GN_RINGBUF_GROW_THRESHOLD)
        return cap * 2;
    size_t c = cap;
    while (c < need) {
        if (c > SIZE_MAX - c / 4)
            return need;
        c += c / 4;
    }
    return c;
}

static void free_mem(gn_ringbuf_t *rb)
{
    gn__free(rb->buf);
    rb->buf = NULL;
    rb->cap = 0;
    rb->r = 0;
    rb->len = 0;
}

/* Called whenever len reached 0: restart at offset 0 so the next write is
 * contiguous, and give the memory back in elastic mode. */
static void drained(gn_ringbuf_t *rb)
{
    rb->r = 0;
    if (rb->flags & GN__RINGBUF_ELASTIC)
        free_mem(rb);
}

/* Moves the contents into an allocation of newcap bytes. On failure nothing
 * changes. */
static int relocate(gn_ringbuf_t *rb, size_t newcap)
{
    unsigned char *nb;
    if (rb->len > 0 && rb->r + rb->len <= rb->cap) {
        /* Contiguous contents survive realloc at the same offset, and realloc
         * may extend in place. */
        nb = gn__realloc(rb->buf, newcap);
        if (nb == NULL)
            return -ENOMEM;
    } else {
        nb = gn__malloc(newcap);
        if (nb == NULL)
            return -ENOMEM;
        size_t first = rb->cap - rb->r < rb->len ? rb->cap - rb->r : rb->len;
        if (rb->len > 0) {
            memcpy(nb, rb->buf + rb->r, first);
            memcpy(nb + first, rb->buf, rb->len - first);
        }
        gn__free(rb->buf);
        rb->r = 0;
    }
    rb->buf = nb;
    rb->cap = newcap;
    return 0;
}

/* Makes room for n more bytes (n > cap - len), the new capacity following the
 * policy but kept within limit when len + n fits there. */
static int grow_max(gn_ringbuf_t *rb, size_t n, size_t limit)
{
    /* Counts are returned as ssize_t, so the ring never holds more than that. */
    if (n > (size_t)SSIZE_MAX - rb->len)
        return -ENOMEM;
    size_t need = rb->len + n;
    size_t cap = next_cap(rb->cap, need);
    if (cap > limit)
        cap = limit > need ? limit : need;
    return relocate(rb, cap);
}

static int grow(gn_ringbuf_t *rb, size_t n)
{
    return grow_max(rb, n, SIZE_MAX);
}

int gn__ringbuf_reserve_max(gn_ringbuf_t *rb, size_t n, size_t limit)
{
    return n <= rb->cap - rb->len ? 0 : grow_max(rb, n, limit);
}

/* Copies n bytes in at the tail; the room is there. */
GN__HOT void put(gn_ringbuf_t *rb, const unsigned char *p, size_t n)
{
    size_t w = rb->r + rb->len;
    if (w >= rb->cap)
        w -= rb->cap;
    size_t first = rb->cap - w < n ? rb->cap - w : n;
    memcpy(rb->buf + w, p, first);
    if (n > first)
        memcpy(rb->buf, p + first, n - first);
    rb->len += n;
}

/* Copies n buffered bytes (n <= len) out from the head without consuming. */
GN__HOT void get(const gn_ringbuf_t *rb, unsigned char *p, size_t n)
{
    size_t first = rb->cap - rb->r < n ? rb->cap - rb->r : n;
    memcpy(p, rb->buf + rb->r, first);
    if (n > first)
        memcpy(p + first, rb->buf, n - first);
}

/* Consumes n buffered bytes (n <= len). */
GN__HOT void consume(gn_ringbuf_t *rb, size_t n)
{
    rb->len -= n;
    rb->r += n;
    if (rb->r >= rb->cap)
        rb->r -= rb->cap;
    if (GN__UNLIKELY(rb->len == 0))
        drained(rb);
}

int gn_ringbuf_init(gn_ringbuf_t *rb)
{
    if (rb == NULL)
        return -EINVAL;
    memset(rb, 0, sizeof(*rb));
    return 0;
}

int gn_ringbuf_init_cap(gn_ringbuf_t *rb, size_t cap)
{
    if (rb == NULL)
        return -EINVAL;
    memset(rb, 0, sizeof(*rb));
    if (cap == 0)
        return 0;
    if (cap > (size_t)SSIZE_MAX)
        return -ENOMEM;
    rb->buf = gn__malloc(cap);
    if (rb->buf == NULL)
        return -ENOMEM;
    rb->cap = cap;
    return 0;
}

void gn_ringbuf_release(gn_ringbuf_t *rb)
{
    if (rb != NULL)
        free_mem(rb);
}

void gn_ringbuf_reset(gn_ringbuf_t *rb)
{
    if (rb == NULL)
        return;
    rb->len = 0;
    drained(rb);
}

void gn_ringbuf_set_elastic(gn_ringbuf_t *rb, bool on)
{
    if (rb == NULL)
        return;
    if (on)
        rb->flags |= GN__RINGBUF_ELASTIC;
    else
        rb->flags &= ~GN__RINGBUF_ELASTIC;
    if (on && rb->len == 0)
        free_mem(rb);
}

void gn_ringbuf_shrink(gn_ringbuf_t *rb)
{
    if (rb != NULL && rb->len == 0)
        free_mem(rb);
}

int gn_ringbuf_write(gn_ringbuf_t *rb, const void *p, size_t n)
{
    if (GN__UNLIKELY(rb == NULL || p == NULL || n == 0))
        return rb == NULL || (p == NULL && n > 0) ? -EINVAL : 0;
    if (GN__UNLIKELY(n > rb->cap - rb->len)) {
        int rc = grow(rb, n);
        if (rc != 0)
            return rc;
    }
    put(rb, p, n);
    return 0;
}

int gn_ringbuf_writev(gn_ringbuf_t *rb, const struct iovec *iov, int iovcnt)
{
    size_t total;
    if (rb == NULL)
        return -EINVAL;
    int rc = gn__iov_total(iov, iovcnt, &total);
    if (rc != 0)
        return rc;
    if (total > rb->cap - rb->len && (rc = grow(rb, total)) != 0)
        return rc;
    for (int i = 0; i < iovcnt; i++) {
        if (iov[i].iov_len > 0)
            put(rb, iov[i].iov_base, iov[i].iov_len);
    }
    return 0;
}

int gn_ringbuf_reserve(gn_ringbuf_t *rb, size_t n)
{
    return rb != NULL ? gn__ringbuf_reserve_max(rb, n, SIZE_MAX) : -EINVAL;
}

ssize_t gn_ringbuf_read(gn_ringbuf_t *rb, void *p, size_t n)
{
    if (GN__UNLIKELY(rb == NULL || p == NULL))
        return rb == NULL || n > 0 ? -EINVAL : 0;
    if (n > rb->len)
        n = rb->len;
    if (GN__UNLIKELY(n == 0))
        return 0;
    get(rb, p, n);
    consume(rb, n);
    return (ssize_t)n;
}

int gn_ringbuf_peek(const gn_ringbuf_t *rb, size_t n, struct iovec iov[2])
{
    if (rb == NULL || iov == NULL)
        return -EINVAL;
    if (n > rb->len)
        n = rb->len;
    size_t first = rb->cap - rb->r < n ? rb->cap - rb->r : n;
    iov[0].iov_base = first > 0 ? rb->buf + rb->r : NULL;
    iov[0].iov_len = first;
    iov[1].iov_base = n > first ? rb->buf : NULL;
    iov[1].iov_len = n - first;
    return (first > 0) + (n > first);
}

ssize_t gn_ringbuf_discard(gn_ringbuf_t *rb, size_t n)
{
    if (rb == NULL)
        return -EINVAL;
    if (n > rb->len)
        n = rb->len;
    if (n > 0)
        consume(rb, n);
    return (ssize_t)n;
}

int gn_ringbuf_space(const gn_ringbuf_t *rb, struct iovec iov[2])
{
    if (rb == NULL || iov == NULL)
        return -EINVAL;
    size_t w = rb->r + rb->len;
    if (w >= rb->cap)
        w -= rb->cap;
    size_t room = rb->cap - rb->len;
    size_t first = rb->cap - w < room ? rb->cap - w : room;
    iov[0].iov_base = first > 0 ? rb->buf + w : NULL;
    iov[0].iov_len = first;
    iov[1].iov_base = room > first ? rb->buf : NULL;
    iov[1].iov_len = room - first;
    return (first > 0) + (room > first);
}

int gn_ringbuf_commit(gn_ringbuf_t *rb, size_t n)
{
    if (rb == NULL || n > rb->cap - rb->len)
        return -EINVAL;
    rb->len += n;
    return 0;
}

size_t gn_ringbuf_buffered(const gn_ringbuf_t *rb)
{
    return rb != NULL ? rb->len : 0;
}

size_t gn_ringbuf_available(const gn_ringbuf_t *rb)
{
    return rb != NULL ? rb->cap - rb->len : 0;
}

size_t gn_ringbuf_cap(const gn_ringbuf_t *rb)
{
    return rb != NULL ? rb->cap : 0;
}

bool gn_ringbuf_empty(const gn_ringbuf_t *rb)
{
    return rb == NULL || rb->len == 0;
}

/* Limits the free-space iovecs to max bytes in total. */
static int clip_iov(struct iovec iov[2], int cnt, size_t max)
{
    if (iov[0].iov_len >= max) {
        iov[0].iov_len = max;
        return 1;
    }
    if (cnt == 2 && iov[0].iov_len + iov[1].iov_len > max)
        iov[1].iov_len = max - iov[0].iov_len;
    return cnt;
}

ssize_t gn__ringbuf_read_fd_max(gn_ringbuf_t *rb, int fd, size_t max, size_t limit)
{
    struct iovec iov[2];
    if (rb == NULL || fd < 0)
        return -EINVAL;
    if (max == 0)
        return 0;
    size_t want = max < GN_RINGBUF_MIN_READ ? max : GN_RINGBUF_MIN_READ;
    int rc = gn__ringbuf_reserve_max(rb, want, limit);
    if (rc != 0)
        return rc;
    int cnt = clip_iov(iov, gn_ringbuf_space(rb, iov), max);
    ssize_t n = gn__readv_fd(fd, iov, cnt);
    if (n > 0)
        rb->len += (size_t)n;
    else if (rb->len == 0)
        drained(rb); /* elastic: do not keep the room made for nothing */
    return n;
}

ssize_t gn_ringbuf_read_fd(gn_ringbuf_t *rb, int fd, size_t max)
{
    return gn__ringbuf_read_fd_max(rb, fd, max, SIZE_MAX);
}

ssize_t gn_ringbuf_write_fd(gn_ringbuf_t *rb, int fd)
{
    struct iovec iov[2];
    if (rb == NULL || fd < 0)
        return -EINVAL;
    if (rb->len == 0)
        return 0;
    int cnt = gn_ringbuf_peek(rb, SIZE_MAX, iov);
    ssize_t n = gn__writev_fd(fd, iov, cnt);
    if (n > 0)
        consume(rb, (size_t)n);
    return n;
}
