/* Closing without losing what writes accepted. A close is requested
 * (GN_CLOSE, gn_conn_close, gn_conn_async_close, the peer's EOF, an error or
 * a limit) and runs after the current callback, so user code that still holds
 * the pointer never sees freed memory. With output pending the connection
 * first drains: write interest only, the buffer sent as the socket takes it,
 * bounded by close_linger_ms (conn_drain.c). on_close runs when the drain
 * ends, so its err says whether every byte reached the socket. Everything
 * here runs on the connection's loop thread. */
#include "engine_int.h"

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

/* How the fd goes once on_close has run. */
typedef enum {
    FD_CLOSE,    /* nothing was pending: close(2), the kernel sends its FIN */
    FD_GRACEFUL, /* a drain emptied the buffer: FIN after the bytes, then close */
    FD_ABORT,    /* bytes were dropped: RST, so the peer sees an error, not a clean end */
} fd_end_t;

/* Defers the close to the end of the current callback. */
void gn__conn_mark_close(gn_conn_t *c, int err)
{
    if ((c->flags & (GN__C_CLOSING | GN__C_CLOSED)) != 0)
        return;
    c->flags |= GN__C_CLOSING;
    c->close_err = err;
    c->next_closing = c->loop->closing;
    c->loop->closing = c;
}

/* Closes whose cause leaves the socket able and allowed to send: not a
 * broken socket (a negative errno other than -ENOMEM), not the outbound cap
 * (the peer does not read), not an engine stop. */
static bool may_drain(int err)
{
    if (err == GN_EOUTBOUND_LIMIT || err == GN_ESHUTDOWN)
        return false;
    if (err <= -4000)
        return true; /* GN_EEOF, GN_EINBOUND_LIMIT */
    return err >= 0 || err == -ENOMEM;
}

/* The error on_close gets when the close drops bytes: GN_ELINGER, unless the
 * cause already says why (a socket error, the outbound cap, a stop). */
static int drop_err(int err)
{
    return may_drain(err) ? GN_ELINGER : err;
}

/* After a drain: FIN after the bytes, then read away what the peer sent
 * meanwhile, because closing a socket with unread input makes the kernel
 * answer with RST, which discards what its send queue still holds. Bounded:
 * a peer that keeps sending gets its RST. The loop's read buffer is free
 * here unless an on_traffic is running (then nothing is read). */
static void end_graceful(gn_conn_t *c)
{
    gn__loop_t *l = c->loop;
    (void)shutdown(c->pa.fd, SHUT_WR);
    for (int i = 0; i < 16 && l->cur == NULL; i++)
        if (read(c->pa.fd, l->rbuf, l->rcap) <= 0)
            break;
}

static void end_abort(gn_conn_t *c)
{
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    (void)setsockopt(c->pa.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
}

/* Deregisters, tells the user, ends the fd as asked, frees. */
static void finish(gn_conn_t *c, int err, fd_end_t how)
{
    gn__loop_t *l = c->loop;
    gn_engine_t *eng = l->eng;
    if ((c->flags & GN__C_DRAINING) != 0)
        l->drains.live--;
    c->flags = (c->flags & ~(uint32_t)GN__C_DRAINING) | GN__C_CLOSED;
    (void)gn_poller_delete(l->poller, &c->pa);
    if (eng->h.on_close != NULL) {
        gn_action_t a = eng->h.on_close(c, err);
        if (a == GN_SHUTDOWN)
            gn__engine_request_stop(eng);
    }
    if (how == FD_GRACEFUL)
        end_graceful(c);
    else if (how == FD_ABORT)
        end_abort(c);
    close(c->pa.fd);
    gn__conn_free(c);
}

/* A drain that cannot finish: the rest is dropped and reported. */
void gn__conn_finish(gn_conn_t *c, int err)
{
    if ((c->flags & GN__C_CLOSED) == 0)
        finish(c, err, gn__conn_out_empty(c) ? FD_CLOSE : FD_ABORT);
}

static bool socket_broken(int err)
{
    return err == -EPIPE || err == -ECONNRESET;
}

/* Stops reading and waits for the socket to take the rest. */
static void start_drain(gn_conn_t *c)
{
    gn__loop_t *l = c->loop;
    int rc = gn_poller_mod_write(l->poller, &c->pa, false);
    if (rc == 0)
        rc = gn__drainq_add(l, c);
    if (rc < 0) {
        GN__LOG(l->eng, GN_LOG_WARN, "gnet: fd %d: cannot drain before closing: %s", c->pa.fd,
                gn_strerror(rc));
        finish(c, GN_ELINGER, FD_ABORT);
    }
}

/* The close itself: at once when nothing is pending (the common case: no
 * extra system call), else after one send attempt, else by a drain. */
static void close_begin(gn_conn_t *c)
{
    int err = c->close_err;
    if (gn__conn_out_empty(c)) {
        finish(c, err, FD_CLOSE);
        return;
    }
    int rc = socket_broken(err) ? err : gn__conn_flush_out(c);
    if (gn__conn_out_empty(c))
        finish(c, err, FD_GRACEFUL);
    else if (!may_drain(err) || (rc < 0 && rc != -EAGAIN))
        finish(c, drop_err(err), FD_ABORT);
    else if (c->loop->eng->o.close_linger_ms == GN_CLOSE_LINGER_NONE)
        finish(c, GN_ELINGER, FD_ABORT);
    else
        start_drain(c);
}

void gn__loop_run_closes(gn__loop_t *l)
{
    while (l->closing != NULL) {
        gn_conn_t *c = l->closing;
        l->closing = c->next_closing;
        if ((c->flags & GN__C_CLOSED) == 0)
            close_begin(c);
    }
}

/* A draining connection's socket is writable (or failed). */
void gn__conn_drain_io(gn_conn_t *c, gn_io_event_t ev, gn_io_flags_t flags)
{
    gn__loop_t *l = c->loop; /* c may be freed below */
    int rc = gn__conn_flush_out(c);
    if (gn__conn_out_empty(c))
        finish(c, c->close_err, FD_GRACEFUL);
    else if ((rc < 0 && rc != -EAGAIN) || gn_is_error_event(ev, flags))
        finish(c, GN_ELINGER, FD_ABORT);
    gn__loop_run_closes(l);
}

/* Engine stop: every connection of the loop gets on_close now. An open one
 * gets err (GN_ESHUTDOWN) after one send attempt; one that was closing or
 * draining its own err, or GN_ELINGER if its bytes could not all be sent.
 * Safe against on_close callbacks closing others. */
void gn__loop_close_all(gn__loop_t *l, int err)
{
    for (uint32_t i = 0; i < l->nslots; i++) {
        gn_conn_t *c = l->slots[i].conn;
        if (c == NULL)
            continue;
        bool closing = (c->flags & GN__C_CLOSING) != 0;
        int e = closing ? c->close_err : err;
        if (!gn__conn_out_empty(c) && !socket_broken(e))
            (void)gn__conn_flush_out(c);
        if (gn__conn_out_empty(c))
            finish(c, e, closing ? FD_GRACEFUL : FD_CLOSE);
        else
            finish(c, closing ? drop_err(e) : e, FD_ABORT);
    }
    l->closing = NULL;
}
