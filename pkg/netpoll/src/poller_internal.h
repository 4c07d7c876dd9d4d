/* Private to gnet-netpoll: the poller object shared by poller.c (tasks, the
 * polling loop, argument checks) and one backend file (poller_epoll.c or
 * poller_kqueue.c), which owns the kernel calls and the per-event dispatch. */
#ifndef GN_POLLER_INTERNAL_H
#define GN_POLLER_INTERNAL_H

#include <gnet/netpoll.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* GN_NETPOLL_KQUEUE forces the kqueue backend, e.g. to compile it on Linux
 * against a stub <sys/event.h> (tools/check-kqueue.sh) or libkqueue. */
#if defined(GN_NETPOLL_KQUEUE) || defined(__APPLE__) || defined(__FreeBSD__) ||                    \
    defined(__NetBSD__) || defined(__OpenBSD__) || defined(__DragonFly__)
#include <sys/types.h>

/* After sys/types.h (kept in its own block so include sorting cannot move it):
 * the BSDs' sys/event.h needs its types. */
#include <sys/event.h>
#define GN__POLLER_KQUEUE 1
typedef struct kevent gn__event_t;
#elif defined(__linux__)
#include <sys/epoll.h>
#define GN__POLLER_EPOLL 1
typedef struct epoll_event gn__event_t;
#else
#error "gnet-netpoll supports Linux (epoll) and the BSDs/macOS (kqueue) only"
#endif

/* Event array bounds, as gnet's: it doubles when a wait fills it and halves
 * when a wait uses less than half of it. */
#define GN__EVENTS_INIT 128
#define GN__EVENTS_MIN  32
#define GN__EVENTS_MAX  1024

/* How long the polling thread keeps looking at its queues after the task
 * phase emptied them, before it gives the wake-up back and blocks, and how
 * many pause instructions (about 25 ns each on the benchmark machine) it
 * waits between two looks. */
#ifndef GN__LINGER_NS
#define GN__LINGER_NS 3000
#endif
#ifndef GN__LINGER_SPINS
#define GN__LINGER_SPINS 16
#endif
/* Pauses between the first sight of new tasks and the round that runs them
 * (see linger in poller.c). */
#ifndef GN__LINGER_GATHER
#define GN__LINGER_GATHER 64
#endif

/* One timer slot. Free slots are chained through pos. */
typedef struct gn__timer_slot {
    gn_timer_cb cb;
    void *udata;
    uint64_t period; /* 0: one-shot */
    uint32_t gen;    /* bumped when the slot is freed: stale ids stop matching */
    uint32_t pos;    /* heap index while live, next free slot while free */
} gn__timer_slot_t;

/* A heap entry carries its key, so sifting reads no slot. seq breaks ties
 * between equal deadlines in insertion order (compared modulo 2^32). */
typedef struct gn__timer_ent {
    uint64_t when;
    uint32_t seq;
    uint32_t slot;
} gn__timer_ent_t;

/* The timers of a poller: a 4-ary min-heap of entries plus the slots the ids
 * name (see timer.c). */
typedef struct gn__timers {
    gn__timer_ent_t *heap;
    gn__timer_slot_t *slots;
    uint32_t n;     /* live timers = heap entries */
    uint32_t cap;   /* capacity of both arrays */
    uint32_t used;  /* slots ever handed out (the rest are untouched) */
    uint32_t free;  /* head of the free chain, UINT32_MAX when empty */
    uint32_t seq;   /* next insertion number */
    bool firing;    /* inside the timer phase */
    bool now_valid; /* now was read since the last wait */
    uint64_t now;   /* the cached clock (gn_poller_now) */
} gn__timers_t;

struct gn_poller {
    int fd;       /* epoll or kqueue fd */
    int wake_fd;  /* eventfd (epoll), read end of the wake pipe (kqueue without EVFILT_USER) */
    int wake_wfd; /* write end of the wake pipe, or -1 */
    /* Marker whose address tags the wake-up event; never called. */
    gn_poll_attachment_t wake_pa;

    /* The current batch: events[ev_next..ev_n) are fetched but not dispatched
     * yet. gn_poller_delete clears the attachment of those that name it. */
    gn__event_t *events;
    int ev_cap;
    int ev_n;
    int ev_next;

    bool chores; /* the batch held a wake-up: run tasks after it */
    /* Tasks remained after the task phase: the next wait does not block and
     * the round after it runs tasks, while the wake-up stays in flight. */
    bool again;
    bool polling; /* inside gn_poller_polling (re-entrancy and close guard) */
    bool wait_ms; /* epoll_pwait2 is missing (or disabled): millisecond timeouts */
    uint64_t round;
    gn__timers_t timers;

    /* Single-consumer task queues: the polling thread is their consumer
     * (gn_poller_close, which drops what is left, runs when polling is not). */
    gn_mpscq_t *high;
    gn_mpscq_t *low;
    gn_task_drop_fn drop;
    void *drop_udata;

    /* 1 while a wake-up is in flight (written and not yet consumed by the
     * task phase). On its own cache line: producers read it on every
     * trigger, and the fields above belong to the polling thread. */
    _Alignas(64) atomic_int wake_pending;
    char pad_[64 - sizeof(atomic_int)];
};

/* Backend: creates the kernel objects (fd, wake-up) of a zeroed poller. */
int gn__backend_open(gn_poller_t *p);
/* Backend: closes them; returns 0 or the first close(2) error. */
int gn__backend_close(gn_poller_t *p);
/* Backend: the registration operations; r and w select the interest. */
int gn__backend_add(gn_poller_t *p, gn_poll_attachment_t *pa, bool r, bool w, bool et);
int gn__backend_mod(gn_poller_t *p, gn_poll_attachment_t *pa, bool r, bool w, bool et);
int gn__backend_del(gn_poller_t *p, gn_poll_attachment_t *pa);
/* Backend: one wake-up write (the caller holds the in-flight flag). */
int gn__backend_wake(gn_poller_t *p);
/* Backend: fills the batch; with timeout_ns < 0 blocks until events arrive
 * (EINTR retried), with 0 only collects those already pending (maybe none),
 * otherwise waits at most about timeout_ns (never less, unless interrupted). */
int gn__backend_wait(gn_poller_t *p, int64_t timeout_ns);

/* Timers (timer.c): frees the arrays; fires the due timers (the timer
 * phase), returning the first stopping code or 0; the wait's timeout for the
 * earliest timer (-1: none, 0: one is due); marks the clock stale after a wait. */
void gn__timers_release(gn__timers_t *t);
int gn__timers_run(gn_poller_t *p);
int64_t gn__timers_timeout(gn_poller_t *p);
static inline void gn__timers_clock_stale(gn__timers_t *t)
{
    t->now_valid = false;
}
/* The monotonic clock in nanoseconds. */
uint64_t gn__mono_ns(void);
/* Backend: dispatches events[ev_next..ev_n); returns 0 when the batch is done,
 * or the stopping callback's code with ev_next past that event. */
int gn__backend_dispatch(gn_poller_t *p);
/* Backend: the attachment an event names (NULL once invalidated). */
gn_poll_attachment_t *gn__event_attachment(const gn__event_t *ev);
void gn__event_invalidate(gn__event_t *ev);

#endif
