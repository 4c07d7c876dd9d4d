/* Private declarations shared by the engine's source files. */
#ifndef GN_ENGINE_INT_H
#define GN_ENGINE_INT_H

#include <gnet/gnet.h>
#include <gnet/logging.h>
#include <gnet/mixbuf.h>
#include <gnet/netpoll.h>
#include <gnet/ringbuf.h>
#include <gnet/socket.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GN__MAX_LOOPS         256
#define GN__DEFAULT_BUFCAP    (64 * 1024)
#define GN__MIN_BUFCAP        1024
#define GN__MAX_BUFCAP        (64 * 1024 * 1024)
#define GN__SLOT_BITS         24
#define GN__MAX_SLOTS         (1u << GN__SLOT_BITS)
#define GN__DEFAULT_LINGER_MS 30000

typedef struct gn_loop gn__loop_t;

/* The layout of a gn_conn_id_t, named once: loop index in bits 56..63, slot
 * in bits 32..55 (GN__SLOT_BITS), generation in bits 0..31. */
#define GN__ID_LOOP_SHIFT 56
#define GN__ID_SLOT_SHIFT 32

static inline gn_conn_id_t gn__id_make(int loop, uint32_t slot, uint32_t gen)
{
    return ((uint64_t)(unsigned)loop << GN__ID_LOOP_SHIFT) | ((uint64_t)slot << GN__ID_SLOT_SHIFT) |
           gen;
}

static inline unsigned gn__id_loop(gn_conn_id_t id)
{
    return (unsigned)(id >> GN__ID_LOOP_SHIFT);
}

static inline uint32_t gn__id_slot(gn_conn_id_t id)
{
    return (uint32_t)(id >> GN__ID_SLOT_SHIFT) & (GN__MAX_SLOTS - 1);
}

static inline uint32_t gn__id_gen(gn_conn_id_t id)
{
    return (uint32_t)id;
}

/* Connection flags. */
enum {
    GN__C_OUT_ARMED = 1u << 0,  /* EPOLLOUT interest registered */
    GN__C_CLOSING = 1u << 1,    /* close requested; runs after the current callback */
    GN__C_CLOSED = 1u << 2,     /* on_close ran or is running: never write again */
    GN__C_DRAINING = 1u << 3,   /* closing: not reading, sending the outbound buffer */
    GN__C_PAUSED = 1u << 4,     /* gn_conn_pause_read: deliver no input */
    GN__C_RD_QUIET = 1u << 5,   /* read interest registered edge-triggered (or none) */
    GN__C_DRAIN_OWED = 1u << 6, /* output went above write_low_watermark: on_drain owed */
};

/* A connection. Lean on purpose: no addresses, buffers hold memory only while
 * they hold bytes. Lives on one loop; freed after on_close. */
struct gn_conn {
    gn_poll_attachment_t pa; /* fd, io callback, udata = this */
    gn__loop_t *loop;
    void *ctx;
    gn_conn_t *next_closing; /* the loop's deferred-close list */
    gn_ringbuf_t in;         /* unconsumed inbound bytes */
    gn_mixbuf_t *out;        /* unsent outbound bytes; NULL while none */
    uint32_t slot;
    uint32_t gen;
    uint32_t flags;
    int close_err;
    /* Idle timeout (idle.c): the deadline's timer while idle_ms != 0, and
     * the last inbound activity in units of 2^20 ns (about 1 ms). */
    uint32_t idle_ms;
    uint32_t last_rx;
    gn_timer_id_t idle_id;
};

/* One entry of a loop's connection table: the generation names the current
 * (or next) tenant, so a stale handle never matches. */
typedef struct gn__slot {
    gn_conn_t *conn;
    uint32_t gen;
    uint32_t next_free;
} gn__slot_t;

/* The engine's reserve descriptors for EMFILE, shared by its acceptors (see
 * reserve.c). Slots hold an fd or -1; count is how many hold one. */
typedef struct gn__reserves {
    int tmpl;   /* /dev/null, never given up: dup2 source for new reserves */
    int target; /* reserves opened at start: one per acceptor */
    bool inited;
    atomic_int count;
    atomic_int fd[GN__MAX_LOOPS];
} gn__reserves_t;

/* An acceptor: a listener fd registered on some poller; out of descriptors,
 * it uses the engine's reserves. loop is NULL for the main reactor. With
 * balance, accepted connections go to the load balancer's pick (the main
 * reactor's, and a unix listener's on loop 0 in the per-loop topology);
 * without, they open on loop. */
typedef struct gn__acceptor {
    gn_poll_attachment_t pa;
    gn_poll_attachment_t backoff_pa; /* timerfd that resumes a paused listener */
    gn_engine_t *eng;
    gn__loop_t *loop;
    const gn_addr_t *addr; /* the engine's entry for this listener */
    bool balance;
    gn_poller_t *poller;
    bool emfile_logged;
    bool registered; /* listener open */
    bool paused;     /* listener open but not polled (backoff) */
} gn__acceptor_t;

/* Connections whose close waits for their outbound buffer to drain, in the
 * order their drains began. Every drain lasts close_linger_ms, so that order
 * is also deadline order: one timerfd armed for the oldest entry is enough.
 * Entries name a connection by slot and generation, so one whose drain ended
 * early is recognised as stale and skipped, never dereferenced. */
typedef struct gn__drain_entry {
    uint32_t slot;
    uint32_t gen;
    int64_t deadline_ns; /* CLOCK_MONOTONIC */
} gn__drain_entry_t;

typedef struct gn__drainq {
    gn__drain_entry_t *v; /* ring of cap entries, len from head */
    uint32_t head, len, cap;
    uint32_t live;           /* connections draining now (len counts stale ones too) */
    gn_poll_attachment_t pa; /* timerfd, fd -1 until the first drain */
} gn__drainq_t;

/* A user timer of a loop (loop_api.c): the netpoll timer's udata, on the
 * loop's list so that the loop frees those still armed when it ends. */
typedef struct gn__loop_timer {
    struct gn__loop_timer *prev, *next;
    gn__loop_t *loop;
    gn_loop_timer_fn fn;
    void *udata;
    bool repeating;
} gn__loop_timer_t;

struct gn_loop {
    gn_engine_t *eng;
    int idx;
    gn_poller_t *poller;
    pthread_t thread;
    bool thread_started;
    gn__acceptor_t *accs; /* per-loop topology: one per listener (unused: registered false) */
    gn_poll_attachment_t stop_pa; /* the engine's stop eventfd (per-loop topology) */
    /* The current read: on_traffic of `cur` sees ring + view[voff..vlen). */
    gn_conn_t *cur;
    unsigned char *rbuf;
    size_t rcap;
    size_t vlen, voff;
    /* connection table (loop thread only) */
    gn__slot_t *slots;
    uint32_t nslots, free_head;
    atomic_size_t nconns; /* read by load balancers and count_connections */
    gn_conn_t *closing;   /* deferred closes */
    bool stopped;
    gn__drainq_t drains;
    /* ticker (loop 0): a netpoll timer while tick_armed */
    gn_timer_id_t tick_id;
    bool tick_armed;
    int64_t tick_delay;
    void *udata;               /* gn_loop_udata */
    void *open_ctx;            /* context of the connection being enrolled */
    gn__loop_timer_t *utimers; /* user timers still armed */
};

/* Where an engine is in its life (engine_lifecycle.c). */
typedef enum gn__state {
    GN__NEW,     /* listeners may be added */
    GN__RUNNING, /* started: threads may run */
    GN__DONE,    /* waited for (or failed to start): only free is left */
} gn__state_t;

/* A listen address and whether its unix path is ours to unlink. */
typedef struct gn__listen {
    gn_addr_t addr;
    bool bound;
} gn__listen_t;

struct gn_engine {
    gn_handler_t h;
    gn_options_t o; /* validated, defaults filled */
    gn__listen_t *lis;
    int nlis;
    gn_logger_t *log;
    gn_logger_t *own_log;
    int nloops;
    bool main_reactor;
    gn__loop_t *loops;
    gn_poller_t *main_poller;  /* main reactor only */
    gn__acceptor_t *main_accs; /* main reactor only: one per listener */
    gn_poll_attachment_t main_stop_pa;
    gn__reserves_t reserves; /* shared by every acceptor, released at teardown */
    atomic_uint rr;
    atomic_bool stop_requested;
    /* Written once by gn_engine_stop (async-signal-safe): readable from then
     * on, it stops the main reactor, or every loop of the per-loop topology. */
    int stop_fd;
    gn__state_t state;
    int run_rc; /* the first failure of a loop or the main reactor */
    /* Threads still running (loops, and the main reactor's own thread when
     * started by gn_engine_start), counted under mu; cv announces changes. */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int running;
    int loops_up; /* loop threads that reached their poll loop */
    bool booting; /* inside on_boot (gn_engine_wait is -EBUSY there) */
    bool main_thread_started;
    pthread_t main_thread;
    /* Main reactor only, touched only by the gn_run thread: the loops' stop
     * tasks were sent (see send_loop_stops in engine.c). */
    bool loop_stops_sent;
    /* Gate for cross-thread triggers: producers count themselves in, and the
     * pollers are closed only once closing is set and nobody is inside. */
    atomic_int inflight;
    atomic_bool closing;
};

/* options.c */
int gn__options_resolve(const gn_options_t *in, gn_options_t *out, gn_logger_t *log);

/* errors.c: nothing shared */

/* engine.c */
bool gn__engine_enter(gn_engine_t *eng);
void gn__engine_leave(gn_engine_t *eng);
void gn__engine_close_gate(gn_engine_t *eng);
int gn__engine_trigger(gn_engine_t *eng, gn_poller_t *p, gn_priority_t prio, gn_task_fn fn,
                       void *arg);
void gn__engine_request_stop(gn_engine_t *eng);
int gn__main_stop_io(int fd, gn_io_event_t ev, gn_io_flags_t flags, void *udata);
void gn__engine_send_loop_stops(gn_engine_t *eng);

/* engine_lifecycle.c: loop threads report in and out. */
void gn__engine_thread_up(gn_engine_t *eng);
void gn__engine_thread_done(gn_engine_t *eng);
void gn__apply_action(gn_engine_t *eng, gn_conn_t *c, gn_action_t a);

/* loop.c */
int gn__loop_init(gn__loop_t *l, gn_engine_t *eng, int idx);
void gn__loop_release(gn__loop_t *l);
int gn__loop_start(gn__loop_t *l);
int gn__loop_stop_task(void *arg);
int gn__loop_stop_io(int fd, gn_io_event_t ev, gn_io_flags_t flags, void *udata);
void gn__loop_task_drop(gn_task_t *t, void *udata);
void gn__loop_run_closes(gn__loop_t *l);

/* acceptor.c */
int gn__acceptor_open(gn__acceptor_t *a, gn_engine_t *eng, const gn_addr_t *addr, gn__loop_t *loop,
                      gn_poller_t *p, bool balance);
void gn__acceptor_close(gn__acceptor_t *a, gn_poller_t *p);
int gn__handoff_task(void *arg);
void gn__loop_bind_thread(gn__loop_t *l);

/* reserve.c: any thread; init and release while no acceptor runs */
void gn__reserves_init(gn__reserves_t *r, int n);
void gn__reserves_release(gn__reserves_t *r);
/* Takes a reserve out of the pool: its fd, or -1 when none is left. */
int gn__reserves_take(gn__reserves_t *r);
/* Turns fd (any descriptor the caller owns, e.g. a connection to drop) into
 * a reserve without freeing its slot; closes it when the pool is full. */
void gn__reserves_keep(gn__reserves_t *r, int fd);
/* True while some reserve is given up or lost. */
bool gn__reserves_short(gn__reserves_t *r);
/* Reopens missing reserves from free slots; false if a slot was lacking. */
bool gn__reserves_refill(gn__reserves_t *r);

/* lb.c */
gn__loop_t *gn__lb_pick(gn_engine_t *eng, const gn_addr_t *peer);

/* conn.c */
int gn__conn_open(gn__loop_t *l, int fd);
void gn__conn_apply_options(gn_engine_t *eng, int fd, const gn_addr_t *addr);
void gn__conn_close_now(gn_conn_t *c, int err);
void gn__conn_mark_close(gn_conn_t *c, int err);
gn_conn_t *gn__conn_lookup(gn__loop_t *l, gn_conn_id_t id);
gn_conn_t *gn__conn_at(gn__loop_t *l, uint32_t slot, uint32_t gen);
gn_conn_id_t gn__conn_make_id(int loop, uint32_t slot, uint32_t gen);
void gn__conn_free(gn_conn_t *c);

/* conn_close.c */
void gn__conn_mark_close(gn_conn_t *c, int err);
void gn__conn_drain_io(gn_conn_t *c, gn_io_event_t ev, gn_io_flags_t flags);
void gn__conn_finish(gn_conn_t *c, int err);
void gn__loop_close_all(gn__loop_t *l, int err);

/* conn_pause.c */
void gn__conn_paused_event(gn_conn_t *c, gn_io_event_t ev, gn_io_flags_t flags);

/* conn_drain.c */
void gn__drainq_init(gn__drainq_t *q);
int gn__drainq_add(gn__loop_t *l, gn_conn_t *c);
void gn__drainq_release(gn__loop_t *l);

/* conn_read.c */
void gn__conn_on_readable(gn_conn_t *c);
void gn__conn_traffic(gn_conn_t *c, size_t nread);

/* conn_write.c */
void gn__conn_on_writable(gn_conn_t *c);
int gn__conn_update_interest(gn_conn_t *c);
int gn__conn_flush_out(gn_conn_t *c);
bool gn__conn_out_empty(const gn_conn_t *c);
void gn__conn_out_release(gn_conn_t *c);

/* ticker.c */
int gn__ticker_start(gn__loop_t *l);
void gn__ticker_stop(gn__loop_t *l);

/* idle.c: activity is a store; arm at open, cancel at close. */
static inline uint32_t gn__idle_clock(gn__loop_t *l)
{
    return (uint32_t)(gn_poller_now(l->poller) >> 20);
}
static inline void gn__idle_touch(gn_conn_t *c)
{
    if (c->idle_ms != 0)
        c->last_rx = gn__idle_clock(c->loop);
}
void gn__idle_open(gn_conn_t *c);
void gn__idle_close(gn_conn_t *c);

/* loop_api.c */
int gn__exec_task(void *arg);
int gn__enroll_task(void *arg);
void gn__loop_api_drop(gn__loop_t *l, gn_task_t *t);
void gn__loop_timers_release(gn__loop_t *l);

/* async.c */
void gn__async_drop(gn_task_t *t);
int gn__async_wake_buffered(gn_conn_t *c);
bool gn__is_async_task(gn_task_fn fn);

#define GN__LOG(eng, level, ...) GN_LOGF((eng)->log, level, __VA_ARGS__)

#endif
