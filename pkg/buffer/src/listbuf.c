/* gn_listbuf_t: a FIFO of bytes as a singly linked list of blocks (see
 * <gnet/listbuf.h>). */
#include <gnet/listbuf.h>

#include "internal.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>

/* A block. Copy blocks carry their data in mem[] (cap > 0); referenced blocks
 * point at the caller's memory (cap == 0, never appended to). Buffered bytes are
 * data[off, end). */
typedef struct gn__lbnode {
    struct gn__lbnode *next;
    unsigned char *data;
    size_t off, end, cap;
    gn_listbuf_free_fn free_fn;
    void *udata;
    unsigned char mem[];
} gn__lbnode_t;

/* Free bytes at the end of a block; 0 for referenced blocks. */
static size_t room_of(const gn__lbnode_t *b)
{
    return b != NULL && b->cap > 0 ? b->cap - b->end : 0;
}

/* A fresh copy block of at least min data bytes, the spare when it is large
 * enough. Not linked in; NULL when out of memory. */
static gn__lbnode_t *block_new(gn_listbuf_t *lb, size_t min)
{
    gn__lbnode_t *b = lb->spare;
    if (b != NULL && b->cap >= min) {
        lb->spare = NULL;
        return b;
    }
    size_t cap = min > GN_LISTBUF_BLOCK ? min : GN_LISTBUF_BLOCK;
    if (cap > SIZE_MAX - sizeof(*b))
        return NULL;
    b = gn__malloc(sizeof(*b) + cap);
    if (b == NULL)
        return NULL;
    memset(b, 0, sizeof(*b));
    b->data = b->mem;
    b->cap = cap;
    return b;
}

/* Frees a block taken off the list, or keeps it as the spare. */
static void block_drop(gn_listbuf_t *lb, gn__lbnode_t *b)
{
    if (b->cap == 0) {
        if (b->free_fn != NULL)
            b->free_fn(b->data, b->udata);
    } else if (lb->spare == NULL && b->cap <= GN_LISTBUF_SPARE_MAX) {
        b->next = NULL;
        b->off = 0;
        b->end = 0;
        lb->spare = b;
        return;
    }
    gn__free(b);
}

static void link_back(gn_listbuf_t *lb, gn__lbnode_t *b)
{
    b->next = NULL;
    if (lb->tail != NULL)
        lb->tail->next = b;
    else
        lb->head = b;
    lb->tail = b;
    lb->nodes++;
}

/* Removes the head block (the list is not empty) and drops it. */
static void pop_head(gn_listbuf_t *lb)
{
    gn__lbnode_t *h = lb->head;
    lb->head = h->next;
    if (lb->head == NULL)
        lb->tail = NULL;
    lb->nodes--;
    block_drop(lb, h);
}

/* Copies the next n bytes of the iovec stream at *cur into dst. */
typedef struct {
    const struct iovec *iov;
    size_t off;
} iov_cursor;

static void cursor_copy(iov_cursor *cur, unsigned char *dst, size_t n)
{
    while (n > 0) {
        size_t left = cur->iov->iov_len - cur->off;
        if (left == 0) {
            cur->iov++;
            cur->off = 0;
            continue;
        }
        size_t k = left < n ? left : n;
        memcpy(dst, (const unsigned char *)cur->iov->iov_base + cur->off, k);
        cur->off += k;
        dst += k;
        n -= k;
    }
}

int gn__listbuf_append_iov(gn_listbuf_t *lb, const struct iovec *iov, size_t total)
{
    if (total > (size_t)SSIZE_MAX - lb->bytes)
        return -ENOMEM;
    gn__lbnode_t *t = lb->tail;
    size_t room = room_of(t);
    gn__lbnode_t *fresh = NULL;
    /* Allocate before copying anything, so failure leaves the buffer as it was. */
    if (total > room && (fresh = block_new(lb, total - room)) == NULL)
        return -ENOMEM;
    iov_cursor cur = {iov, 0};
    size_t first = total < room ? total : room;
    if (first > 0) {
        cursor_copy(&cur, t->data + t->end, first);
        t->end += first;
    }
    if (fresh != NULL) {
        cursor_copy(&cur, fresh->data, total - first);
        fresh->end = total - first;
        link_back(lb, fresh);
    }
    lb->bytes += total;
    return 0;
}

int gn_listbuf_init(gn_listbuf_t *lb)
{
    if (lb == NULL)
        return -EINVAL;
    memset(lb, 0, sizeof(*lb));
    return 0;
}

void gn_listbuf_reset(gn_listbuf_t *lb)
{
    if (lb == NULL)
        return;
    while (lb->head != NULL)
        pop_head(lb);
    lb->bytes = 0;
}

void gn_listbuf_shrink(gn_listbuf_t *lb)
{
    if (lb == NULL)
        return;
    gn__free(lb->spare);
    lb->spare = NULL;
}

void gn_listbuf_release(gn_listbuf_t *lb)
{
    gn_listbuf_reset(lb);
    gn_listbuf_shrink(lb);
}

int gn_listbuf_push_back(gn_listbuf_t *lb, const void *p, size_t n)
{
    if (lb == NULL || (p == NULL && n > 0))
        return -EINVAL;
    if (n == 0)
        return 0;
    struct iovec v = {(void *)(uintptr_t)p, n};
    return gn__listbuf_append_iov(lb, &v, n);
}

int gn_listbuf_writev(gn_listbuf_t *lb, const struct iovec *iov, int iovcnt)
{
    size_t total;
    if (lb == NULL)
        return -EINVAL;
    int rc = gn__iov_total(iov, iovcnt, &total);
    if (rc != 0 || total == 0)
        return rc;
    return gn__listbuf_append_iov(lb, iov, total);
}

int gn_listbuf_push_front(gn_listbuf_t *lb, const void *p, size_t n)
{
    if (lb == NULL || (p == NULL && n > 0))
        return -EINVAL;
    if (n == 0)
        return 0;
    if (n > (size_t)SSIZE_MAX - lb->bytes)
        return -ENOMEM;
    gn__lbnode_t *b = block_new(lb, n);
    if (b == NULL)
        return -ENOMEM;
    memcpy(b->data, p, n);
    b->end = n;
    b->next = lb->head;
    lb->head = b;
    if (lb->tail == NULL)
        lb->tail = b;
    lb->nodes++;
    lb->bytes += n;
    return 0;
}

int gn_listbuf_append_ref(gn_listbuf_t *lb, const void *p, size_t n, gn_listbuf_free_fn free_fn,
                          void *udata)
{
    if (lb == NULL || (p == NULL && n > 0))
        return -EINVAL;
    if (n == 0) {
        if (free_fn != NULL)
            free_fn((void *)(uintptr_t)p, udata);
        return 0;
    }
    if (n > (size_t)SSIZE_MAX - lb->bytes)
        return -ENOMEM;
    gn__lbnode_t *b = gn__malloc(sizeof(*b));
    if (b == NULL)
        return -ENOMEM;
    memset(b, 0, sizeof(*b));
    b->data = (unsigned char *)(uintptr_t)p;
    b->end = n;
    b->free_fn = free_fn;
    b->udata = udata;
    link_back(lb, b);
    lb->bytes += n;
    return 0;
}

int gn_listbuf_peek(const gn_listbuf_t *lb, size_t max_bytes, struct iovec *iov, int iovcnt)
{
    if (lb == NULL || iovcnt < 0 || (iov == NULL && iovcnt > 0))
        return -EINVAL;
    int cnt = 0;
    for (gn__lbnode_t *b = lb->head; b != NULL && cnt < iovcnt && max_bytes > 0; b = b->next) {
        size_t len = b->end - b->off;
        if (len > max_bytes)
            len = max_bytes;
        iov[cnt].iov_base = b->data + b->off;
        iov[cnt].iov_len = len;
        cnt++;
        max_bytes -= len;
    }
    return cnt;
}

/* Consumes n bytes (n <= bytes), copying them to p unless p is NULL. */
static void consume(gn_listbuf_t *lb, unsigned char *p, size_t n)
{
    lb->bytes -= n;
    while (n > 0) {
        gn__lbnode_t *h = lb->head;
        size_t len = h->end - h->off;
        size_t k = len < n ? len : n;
        if (p != NULL) {
            memcpy(p, h->data + h->off, k);
            p += k;
        }
        n -= k;
        if (k < len)
            h->off += k;
        else
            pop_head(lb);
    }
}

ssize_t gn_listbuf_discard(gn_listbuf_t *lb, size_t n)
{
    if (lb == NULL)
        return -EINVAL;
    if (n > lb->bytes)
        n = lb->bytes;
    consume(lb, NULL, n);
    return (ssize_t)n;
}

ssize_t gn_listbuf_read(gn_listbuf_t *lb, void *p, size_t n)
{
    if (lb == NULL || (p == NULL && n > 0))
        return -EINVAL;
    if (n > lb->bytes)
        n = lb->bytes;
    consume(lb, p, n);
    return (ssize_t)n;
}

size_t gn_listbuf_buffered(const gn_listbuf_t *lb)
{
    return lb != NULL ? lb->bytes : 0;
}

size_t gn_listbuf_nodes(const gn_listbuf_t *lb)
{
    return lb != NULL ? lb->nodes : 0;
}

bool gn_listbuf_empty(const gn_listbuf_t *lb)
{
    return lb == NULL || lb->bytes == 0;
}

ssize_t gn_listbuf_write_fd(gn_listbuf_t *lb, int fd)
{
    struct iovec iov[GN__IOV_MAX];
    if (lb == NULL || fd < 0)
        return -EINVAL;
    if (lb->bytes == 0)
        return 0;
    int cnt = gn_listbuf_peek(lb, SIZE_MAX, iov, GN__IOV_MAX);
    ssize_t n = gn__writev_fd(fd, iov, cnt);
    if (n > 0)
        consume(lb, NULL, (size_t)n);
    return n;
}

ssize_t gn_listbuf_read_fd(gn_listbuf_t *lb, int fd, size_t max)
{
    if (lb == NULL || fd < 0)
        return -EINVAL;
    if (max == 0)
        return 0;
    if (max > (size_t)SSIZE_MAX - lb->bytes)
        max = (size_t)SSIZE_MAX - lb->bytes;
    gn__lbnode_t *t = lb->tail;
    gn__lbnode_t *fresh = NULL;
    if (room_of(t) == 0) {
        if ((fresh = block_new(lb, GN_LISTBUF_BLOCK)) == NULL)
            return -ENOMEM;
        t = fresh;
    }
    size_t room = t->cap - t->end;
    struct iovec v = {t->data + t->end, room < max ? room : max};
    ssize_t n = gn__readv_fd(fd, &v, 1);
    if (n > 0) {
        t->end += (size_t)n;
        lb->bytes += (size_t)n;
        if (fresh != NULL)
            link_back(lb, fresh);
    } else if (fresh != NULL) {
        block_drop(lb, fresh);
    }
    return n;
}
