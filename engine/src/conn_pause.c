/* Backpressure: pausing and resuming a connection's input. A paused
 * connection reads nothing, so the kernel's receive buffer fills and TCP
 * flow control stops the peer; output still flushes and errors are still
 * seen (see gn__conn_update_interest for the interest each state asks for).
 * Loop thread only. */
#include "engine_int.h"

#include <errno.h>
#include <sys/socket.h>

static int check(const gn_conn_t *c)
{
    if (c == NULL)
        return -EINVAL;
    return (c->flags & (GN__C_CLOSING | GN__C_CLOSED)) != 0 ? GN_ECLOSED : 0;
}

int gn_conn_pause_read(gn_conn_t *c)
{
    int rc = check(c);
    if (rc < 0 || (c->flags & GN__C_PAUSED) != 0)
        return rc;
    c->flags |= GN__C_PAUSED;
    return gn__conn_update_interest(c);
}

int gn_conn_resume_read(gn_conn_t *c)
{
    int rc = check(c);
    if (rc < 0 || (c->flags & GN__C_PAUSED) == 0)
        return rc;
    c->flags &= ~(uint32_t)GN__C_PAUSED;
    rc = gn__conn_update_interest(c);
    /* Bytes the handler left while paused get an on_traffic of their own:
     * the peer may be waiting for their answer and send nothing new. */
    if (rc == 0 && !gn_ringbuf_empty(&c->in))
        rc = gn__async_wake_buffered(c);
    return rc;
}

bool gn_conn_read_paused(const gn_conn_t *c)
{
    return c != NULL && (c->flags & GN__C_PAUSED) != 0;
}

/* An input event while paused: only an error or hang-up matters (it closes
 * the connection with the socket's error); new bytes wait for the resume. */
void gn__conn_paused_event(gn_conn_t *c, gn_io_event_t ev, gn_io_flags_t flags)
{
    if (!gn_is_error_event(ev, flags))
        return;
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(c->pa.fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
        err = errno;
    gn__conn_mark_close(c, err != 0 ? -err : GN_EEOF);
}
