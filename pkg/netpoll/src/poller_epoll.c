/* The epoll backend: registrations, the eventfd wake-up and the per-event
 * dispatch. The attachment pointer lives in epoll_event.data.ptr. */
#include "poller_internal.h"

#ifdef GN__POLLER_EPOLL

#include <errno.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
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

int gn__backend_wait(gn_poller_t *p, bool block)
{
    for (;;) {
        int n = epoll_wait(p->fd, p->events, p->ev_cap, block ? -1 : 0);
        if (n > 0 || (n == 0 && !block)) {
            p->ev_n = n;
            p->ev_next = 0;
            return 0;
        }
        if (n < 0 && errno != EINTR)
            return -errno;
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
