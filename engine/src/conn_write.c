/* The write path: straight to the socket while nothing is pending; the rest
 * goes to the outbound buffer and EPOLLOUT is armed once; when the buffer
 * drains, EPOLLOUT is dropped once. Interest changes only on those two state
 * changes, never per write. */
#include "engine_int.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* The outbound buffer exists only while it holds bytes: an idle connection
 * pays one pointer for it. */
static bool out_empty(const gn_conn_t *c)
{
    return c->out == NULL || gn_mixbuf_empty(c->out);
}

static void out_free(gn_conn_t *c)
{
    if (c->out == NULL)
        return;
    gn_mixbuf_release(c->out);
    free(c->out);
    c->out = NULL;
}

static int out_get(gn_conn_t *c)
{
    if (c->out != NULL)
        return 0;
    c->out = malloc(sizeof *c->out);
    if (c->out == NULL)
        return -ENOMEM;
    (void)gn_mixbuf_init(c->out, (size_t)c->loop->eng->o.write_buffer_cap);
    return 0;
}

void gn__conn_out_release(gn_conn_t *c)
{
    out_free(c);
}

/* One vectored send; MSG_NOSIGNAL so a closed peer is -EPIPE, not SIGPIPE. */
static ssize_t sock_writev(int fd, const struct iovec *iov, int iovcnt)
{
    struct msghdr msg = {.msg_iov = (struct iovec *)(uintptr_t)iov, .msg_iovlen = (size_t)iovcnt};
    ssize_t n;
    /* send(2) for the common single buffer: no msghdr/iovec to copy in. */
    do
        n = iovcnt == 1 ? send(fd, iov[0].iov_base, iov[0].iov_len, GN_MSG_NOSIGNAL)
                        : sendmsg(fd, &msg, GN_MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    if (n >= 0)
        return n;
    return errno == EWOULDBLOCK ? -EAGAIN : -errno;
}

/* Registers the interest the connection's state asks for, with one
 * epoll_ctl and only when it differs from the registered one:
 *   reading, nothing to send    read (level)
 *   reading, output pending     read + write
 *   paused, output pending      write only
 *   paused, nothing to send     read, edge-triggered: no wake-up while the
 *                               peer sends nothing new, errors still seen
 * A failure marks the connection to close with that error and returns it,
 * so a write can report it. */
int gn__conn_update_interest(gn_conn_t *c)
{
    uint32_t out = out_empty(c) ? 0 : GN__C_OUT_ARMED;
    uint32_t quiet = (c->flags & GN__C_PAUSED) != 0 ? GN__C_RD_QUIET : 0;
    uint32_t mask = GN__C_OUT_ARMED | GN__C_RD_QUIET;
    if ((c->flags & mask) == (out | quiet))
        return 0;
    gn_poller_t *p = c->loop->poller;
    int rc;
    if (quiet == 0)
        rc = out != 0 ? gn_poller_mod_read_write(p, &c->pa, false)
                      : gn_poller_mod_read(p, &c->pa, false);
    else
        rc = out != 0 ? gn_poller_mod_write(p, &c->pa, false) : gn_poller_mod_read(p, &c->pa, true);
    if (rc < 0) {
        gn__conn_mark_close(c, rc);
        return rc;
    }
    c->flags = (c->flags & ~mask) | out | quiet;
    return 0;
}

/* Sends what the outbound buffer holds with one vectored write; frees the
 * buffer once it drains. Returns 0, -EAGAIN or the socket's -errno. */
static int flush_some(gn_conn_t *c)
{
    if (c->out == NULL)
        return 0;
    ssize_t n = gn_mixbuf_write_fd(c->out, c->pa.fd);
    if (gn_mixbuf_empty(c->out))
        out_free(c);
    return n < 0 ? (n == -EWOULDBLOCK ? -EAGAIN : (int)n) : 0;
}

/* on_drain, once per time the buffer went above the watermark and came
 * back down to it. */
static void maybe_drained(gn_conn_t *c)
{
    gn__loop_t *l = c->loop;
    gn_engine_t *eng = l->eng;
    if ((c->flags & GN__C_DRAIN_OWED) == 0 ||
        gn_conn_outbound_buffered(c) > eng->o.write_low_watermark)
        return;
    c->flags &= ~(uint32_t)GN__C_DRAIN_OWED;
    if (eng->h.on_drain != NULL) {
        gn__apply_action(eng, c, eng->h.on_drain(c));
    }
}

void gn__conn_on_writable(gn_conn_t *c)
{
    if ((c->flags & (GN__C_CLOSING | GN__C_CLOSED)) != 0)
        return;
    int rc = flush_some(c);
    if (rc < 0 && rc != -EAGAIN) {
        gn__conn_mark_close(c, rc);
        return;
    }
    if (out_empty(c) && gn__conn_update_interest(c) < 0)
        return;
    maybe_drained(c);
}

int gn__conn_flush_out(gn_conn_t *c)
{
    return flush_some(c);
}

bool gn__conn_out_empty(const gn_conn_t *c)
{
    return out_empty(c);
}

/* Queues the bytes of iov after the first `skip` ones, all or nothing, with
 * gn_mixbuf_writev (one placement decision for the whole remainder). */
static int buffer_rest(gn_conn_t *c, const struct iovec *iov, int iovcnt, size_t skip)
{
    int i = 0;
    while (i < iovcnt && skip >= iov[i].iov_len)
        skip -= iov[i++].iov_len;
    if (skip == 0)
        return gn_mixbuf_writev(c->out, iov + i, iovcnt - i);
    /* The first entry was sent in part: a copy of the rest with it trimmed. */
    struct iovec small[16];
    int n = iovcnt - i;
    struct iovec *v = n <= 16 ? small : malloc((size_t)n * sizeof *v);
    if (v == NULL)
        return -ENOMEM;
    memcpy(v, iov + i, (size_t)n * sizeof *v);
    v[0].iov_base = (unsigned char *)v[0].iov_base + skip;
    v[0].iov_len -= skip;
    int rc = gn_mixbuf_writev(c->out, v, n);
    if (v != small)
        free(v);
    return rc;
}

static ssize_t fail(gn_conn_t *c, int err)
{
    gn__conn_mark_close(c, err);
    return err;
}

static ssize_t checked_total(const struct iovec *iov, int iovcnt)
{
    size_t total = 0;
    for (int i = 0; i < iovcnt; i++) {
        if (iov[i].iov_base == NULL && iov[i].iov_len > 0)
            return -EINVAL;
        if (iov[i].iov_len > (size_t)SSIZE_MAX - total)
            return -EINVAL;
        total += iov[i].iov_len;
    }
    return (ssize_t)total;
}

ssize_t gn_conn_writev(gn_conn_t *c, const struct iovec *iov, int iovcnt)
{
    if (c == NULL || iovcnt < 0 || iovcnt > IOV_MAX || (iov == NULL && iovcnt > 0))
        return -EINVAL;
    if ((c->flags & (GN__C_CLOSING | GN__C_CLOSED)) != 0)
        return GN_ECLOSED;
    ssize_t total = checked_total(iov, iovcnt);
    if (total <= 0)
        return total;
    size_t sent = 0;
    if (out_empty(c)) {
        ssize_t n = sock_writev(c->pa.fd, iov, iovcnt);
        if (n < 0 && n != -EAGAIN)
            return fail(c, (int)n);
        sent = n > 0 ? (size_t)n : 0;
    }
    if (sent == (size_t)total)
        return total;
    size_t max = c->loop->eng->o.max_outbound;
    if (max > 0 && gn_conn_outbound_buffered(c) + ((size_t)total - sent) > max)
        return fail(c, GN_EOUTBOUND_LIMIT);
    int rc = out_get(c);
    if (rc == 0)
        rc = buffer_rest(c, iov, iovcnt, sent);
    if (rc < 0)
        return fail(c, rc);
    if (gn_mixbuf_buffered(c->out) > c->loop->eng->o.write_low_watermark)
        c->flags |= GN__C_DRAIN_OWED;
    rc = gn__conn_update_interest(c);
    return rc < 0 ? rc : total;
}

ssize_t gn_conn_write(gn_conn_t *c, const void *p, size_t n)
{
    if (p == NULL && n > 0)
        return -EINVAL;
    struct iovec iov = {.iov_base = (void *)(uintptr_t)p, .iov_len = n};
    return gn_conn_writev(c, &iov, 1);
}

int gn_conn_flush(gn_conn_t *c)
{
    if (c == NULL)
        return -EINVAL;
    if ((c->flags & (GN__C_CLOSING | GN__C_CLOSED)) != 0)
        return GN_ECLOSED;
    int rc = flush_some(c);
    if (rc < 0 && rc != -EAGAIN)
        return (int)fail(c, rc);
    if (out_empty(c))
        (void)gn__conn_update_interest(c);
    return 0;
}

size_t gn_conn_outbound_buffered(const gn_conn_t *c)
{
    return c == NULL || c->out == NULL ? 0 : gn_mixbuf_buffered(c->out);
}
