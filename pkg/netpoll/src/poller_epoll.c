/* The epoll backend: registrations, the eventfd wake-up and the per-event
 * dispatch. The attachment pointer lives in epoll_event.data.ptr. */
#include "poller_internal.h"

#ifdef GN__POLLER_EPOLL

#include <errno.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

/* The public GN_IO_* bits are the epoll bits, so events pass through as is. */
_Static_assert(GN_IO_READ == EPOLLIN && GN_IO_PRI == EPOLLPRI && GN_IO_WRITE == EPOLLOUT &&
                   GN_IO_ERROR == EPOLLERR && GN_IO_HUP == EPOLLHUP && GN_IO_RDHUP == EPOLLRDHUP,
               "GN_IO_* must equal the epoll bits");

static int ctl(gn_poller_t *p, int op, int fd, uint32_t events, void *ptr)
{
    struct epoll_event ev = {.events = events, .data.ptr = ptr};
    return epoll_ctl(p->fd, op, fd, &ev) == 0 ? 0 : -errno;
}

int gn__backend_open(gn_poller_t *p)
{
    p->fd = epoll_create1(EPOLL_CLOEXEC);
    if (p->fd < 0)
        return -errno;
    p->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (p->wake_fd < 0)
        return -errno;
    /* Edge-triggered: every write is reported once, so the polling thread
     * never has to read the counter back (one syscall less per wake-up). */
    return ctl(p, EPOLL_CTL_ADD, p->wake_fd, EPOLLIN | EPOLLET, &p->wake_pa);
}

int gn__backend_close(gn_poller_t *p)
{
    int rc = 0;
    if (p->wake_fd >= 0 && close(p->wake_fd) != 0)
        rc = -errno;
    if (p->fd >= 0 && close(p->fd) != 0 && rc == 0)
        rc = -errno;
    p->fd = p->wake_fd = -1;
    return rc;
}

static uint32_t interest(bool r, bool w, bool et)
{
    uint32_t ev = (r ? (uint32_t)EPOLLIN | EPOLLPRI : 0u) | (w ? (uint32_t)EPOLLOUT : 0u);
    return et ? ev | EPOLLET | EPOLLRDHUP : ev;
}

int gn__backend_add(gn_poller_t *p, gn_poll_attachment_t *pa, bool r, bool w, bool et)
{
    return ctl(p, EPOLL_CTL_ADD, pa->fd, interest(r, w, et), pa);
}

int gn__backend_mod(gn_poller_t *p, gn_poll_attachment_t *pa, bool r, bool w, bool et)
{
    return ctl(p, EPOLL_CTL_MOD, pa->fd, interest(r, w, et), pa);
}

int gn__backend_del(gn_poller_t *p, gn_poll_attachment_t *pa)
{
    return ctl(p, EPOLL_CTL_DEL, pa->fd, 0, NULL);
}

int gn__backend_wake(gn_poller_t *p)
{
    uint64_t one = 1;
    for (;;) {
        if (write(p->wake_fd, &one, sizeof(one)) == (ssize_t)sizeof(one))
            return 0;
        if (errno != EAGAIN)
            return -errno;
        /* The counter is full (after 2^64-2 wake-ups without a read): reset it. */
        uint64_t n;
        if (read(p->wake_fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
            return -errno;
    }
}

/* epoll_pwait2 (Linux 5.11, glibc 2.35) takes a nanosecond timeout; without
 * it the timeout is rounded up to whole milliseconds, so a timer fires up to
 * 1 ms late but never early. */
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 35))
#define GN__HAVE_PWAIT2 1
#endif

static int wait_timed(gn_poller_t *p, int64_t ns)
{
#ifdef GN__HAVE_PWAIT2
    if (!p->wait_ms) {
        struct timespec ts = {.tv_sec = ns / 1000000000, .tv_nsec = ns % 1000000000};
        int n = epoll_pwait2(p->fd, p->events, p->ev_cap, &ts, NULL);
        if (n >= 0 || errno != ENOSYS)
            return n;
        p->wait_ms = true; /* an older kernel: stay with milliseconds */
    }
#endif
    int64_t ms = (ns + 999999) / 1000000;
    return epoll_wait(p->fd, p->events, p->ev_cap, ms > INT32_MAX ? INT32_MAX : (int)ms);
}

int gn__backend_wait(gn_poller_t *p, int64_t timeout_ns)
{
    for (;;) {
        int n = timeout_ns > 0 ? wait_timed(p, timeout_ns)
                               : epoll_wait(p->fd, p->events, p->ev_cap, timeout_ns < 0 ? -1 : 0);
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
    return ev->data.ptr;
}

void gn__event_invalidate(gn__event_t *ev)
{
    ev->data.ptr = NULL;
}

int gn__backend_dispatch(gn_poller_t *p)
{
    while (p->ev_next < p->ev_n) {
        /* Advance first: a callback's gn_poller_delete scans from ev_next. */
        struct epoll_event *ev = &p->events[p->ev_next++];
        gn_poll_attachment_t *pa = ev->data.ptr;
        if (pa == &p->wake_pa) {
            p->chores = true;
            continue;
        }
        if (pa == NULL)
            continue;
        int rc = pa->callback(pa->fd, ev->events, 0, pa->udata);
        if (rc == GN_POLL_STOP || rc < 0)
            return rc;
    }
    return 0;
}

#endif
