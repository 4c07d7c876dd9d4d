/* The kqueue backend (BSDs, macOS): same contract as poller_epoll.c. The
 * attachment pointer lives in kevent.udata; read and write are separate
 * filters, so one fd can yield two events per batch (both are invalidated on
 * delete). The wake-up is an EVFILT_USER event, or a pipe where that filter is
 * missing. Not run by this repository's CI (Linux); see the README. */
#include "poller_internal.h"

#ifdef GN__POLLER_KQUEUE

#include <errno.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

static int kev(gn_poller_t *p, struct kevent *ch, int n)
{
    return kevent(p->fd, ch, n, NULL, 0, NULL) == 0 ? 0 : -errno;
}

static int wake_setup(gn_poller_t *p)
{
    struct kevent ev;
#ifdef EVFILT_USER
    EV_SET(&ev, 0, EVFILT_USER, EV_ADD | EV_CLEAR, 0, 0, &p->wake_pa);
#else
    int fds[2];
    if (pipe(fds) != 0)
        return -errno;
    p->wake_fd = fds[0];
    p->wake_wfd = fds[1];
    for (int i = 0; i < 2; i++) {
        if (fcntl(fds[i], F_SETFL, O_NONBLOCK) != 0 || fcntl(fds[i], F_SETFD, FD_CLOEXEC) != 0)
            return -errno;
    }
    /* EV_CLEAR: each write is reported once; the pipe is drained only when full. */
    EV_SET(&ev, (uintptr_t)fds[0], EVFILT_READ, EV_ADD | EV_CLEAR, 0, 0, &p->wake_pa);
#endif
    return kev(p, &ev, 1);
}

int gn__backend_open(gn_poller_t *p)
{
    p->fd = kqueue();
    if (p->fd < 0)
        return -errno;
    if (fcntl(p->fd, F_SETFD, FD_CLOEXEC) != 0)
        return -errno;
    return wake_setup(p);
}

int gn__backend_close(gn_poller_t *p)
{
    int rc = 0;
    int fds[3] = {p->wake_wfd, p->wake_fd, p->fd};
    for (int i = 0; i < 3; i++) {
        if (fds[i] >= 0 && close(fds[i]) != 0 && rc == 0)
            rc = -errno;
    }
    p->fd = p->wake_fd = p->wake_wfd = -1;
    return rc;
}

/* Applies one filter change; deleting a filter that is not there is fine. */
static int filter(gn_poller_t *p, gn_poll_attachment_t *pa, short filt, bool on, bool et)
{
    struct kevent ev;
    unsigned short flags = on ? (unsigned short)(EV_ADD | (et ? EV_CLEAR : 0)) : EV_DELETE;
    EV_SET(&ev, (uintptr_t)pa->fd, filt, flags, 0, 0, pa);
    int rc = kev(p, &ev, 1);
    return !on && rc == -ENOENT ? 0 : rc;
}

/* kqueue has no "add only if absent": adding a registered fd updates it
 * instead of failing with -EEXIST as epoll does (see the README). A failed
 * write filter undoes the read filter so that a failed add leaves nothing. */
int gn__backend_add(gn_poller_t *p, gn_poll_attachment_t *pa, bool r, bool w, bool et)
{
    int rc = r ? filter(p, pa, EVFILT_READ, true, et) : 0;
    if (rc == 0 && w)
        rc = filter(p, pa, EVFILT_WRITE, true, et);
    if (rc != 0 && r)
        filter(p, pa, EVFILT_READ, false, et);
    return rc;
}

int gn__backend_mod(gn_poller_t *p, gn_poll_attachment_t *pa, bool r, bool w, bool et)
{
    int rc = filter(p, pa, EVFILT_READ, r, et);
    if (rc == 0)
        rc = filter(p, pa, EVFILT_WRITE, w, et);
    return rc;
}

int gn__backend_del(gn_poller_t *p, gn_poll_attachment_t *pa)
{
    int rc = filter(p, pa, EVFILT_READ, false, false);
    int rc2 = filter(p, pa, EVFILT_WRITE, false, false);
    return rc != 0 ? rc : rc2;
}

int gn__backend_wake(gn_poller_t *p)
{
#ifdef EVFILT_USER
    struct kevent ev;
    EV_SET(&ev, 0, EVFILT_USER, 0, NOTE_TRIGGER, 0, &p->wake_pa);
    return kev(p, &ev, 1);
#else
    char b = 0;
    for (;;) {
        if (write(p->wake_wfd, &b, 1) == 1)
            return 0;
        if (errno != EAGAIN)
            return -errno;
        char buf[256];
        while (read(p->wake_fd, buf, sizeof(buf)) > 0) {
        }
    }
#endif
}

int gn__backend_wait(gn_poller_t *p, int64_t timeout_ns)
{
    struct timespec ts = {.tv_sec = (time_t)(timeout_ns / 1000000000),
                          .tv_nsec = (long)(timeout_ns % 1000000000)};
    for (;;) {
        int n = kevent(p->fd, NULL, 0, p->events, p->ev_cap, timeout_ns < 0 ? NULL : &ts);
        /* A timed wait that ends early (EINTR) returns no events: the timer
         * phase finds nothing due and the next wait takes the rest. */
        if (n >= 0 || (errno == EINTR && timeout_ns > 0)) {
            p->ev_n = n > 0 ? n : 0;
            p->ev_next = 0;
            if (n > 0 || timeout_ns >= 0)
                return 0;
        } else if (errno != EINTR) {
            return -errno;
        }
    }
}

gn_poll_attachment_t *gn__event_attachment(const gn__event_t *ev)
{
    return (gn_poll_attachment_t *)ev->udata;
}

void gn__event_invalidate(gn__event_t *ev)
{
    ev->udata = 0;
}

/* Translates a kevent into the epoll-style GN_IO_* bits of the public API. */
static gn_io_event_t translate(const struct kevent *ev)
{
    gn_io_event_t e = ev->filter == EVFILT_WRITE ? GN_IO_WRITE : GN_IO_READ;
    if (ev->flags & EV_ERROR)
        return e | GN_IO_ERROR;
    if (ev->flags & EV_EOF)
        e |= (ev->fflags != 0 ? GN_IO_ERROR : 0) |
             (ev->filter == EVFILT_WRITE ? GN_IO_HUP : GN_IO_RDHUP);
    return e;
}

int gn__backend_dispatch(gn_poller_t *p)
{
    while (p->ev_next < p->ev_n) {
        struct kevent *ev = &p->events[p->ev_next++];
        gn_poll_attachment_t *pa = (gn_poll_attachment_t *)ev->udata;
        if (pa == &p->wake_pa) {
            p->chores = true;
            continue;
        }
        if (pa == NULL)
            continue;
        int rc = pa->callback(pa->fd, translate(ev), (gn_io_flags_t)ev->flags, pa->udata);
        if (rc == GN_POLL_STOP || rc < 0)
            return rc;
    }
    return 0;
}

#endif
