/* A stand-in for the BSDs' <sys/event.h>, modelled on FreeBSD's, so that the
 * kqueue backend can be compiled (never run) on Linux by check-kqueue.sh. Only
 * what poller_kqueue.c uses is declared. */
#ifndef GN_KQUEUE_STUB_EVENT_H
#define GN_KQUEUE_STUB_EVENT_H

#include <stdint.h>
#include <time.h>

struct kevent {
    uintptr_t ident;
    short filter;
    unsigned short flags;
    unsigned int fflags;
    int64_t data;
    void *udata;
    uint64_t ext[4];
};

#define EVFILT_READ  (-1)
#define EVFILT_WRITE (-2)
#ifndef GN_KQUEUE_STUB_NO_USER
#define EVFILT_USER (-11)
#endif
#define EV_ADD       0x0001
#define EV_DELETE    0x0002
#define EV_CLEAR     0x0020
#define EV_ERROR     0x4000
#define EV_EOF       0x8000
#define NOTE_TRIGGER 0x01000000

#define EV_SET(kevp_, a, b, c, d, e, f)                                                            \
    do {                                                                                           \
        *(kevp_) = (struct kevent){                                                                \
            .ident = (a),                                                                          \
            .filter = (b),                                                                         \
            .flags = (c),                                                                          \
            .fflags = (d),                                                                         \
            .data = (e),                                                                           \
            .udata = (f),                                                                          \
            .ext = {0},                                                                            \
        };                                                                                         \
    } while (0)

int kqueue(void);
int kevent(int kq, const struct kevent *changelist, int nchanges, struct kevent *eventlist,
           int nevents, const struct timespec *timeout);

#endif
