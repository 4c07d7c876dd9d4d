/* gnet: an event-driven networking engine (Go's gnet, in C11), composed of the
 * gnet-c libraries: netpoll (reactors), buffer (inbound ring, outbound buffer),
 * queue (cross-thread tasks), socket (addresses, listeners), logging.
 *
 *     static gn_action_t on_traffic(gn_conn_t *c) {
 *         size_t n; const void *p = gn_conn_next(c, SIZE_MAX, &n);
 *         gn_conn_write(c, p, n);
 *         return GN_NONE;
 *     }
 *     int main(void) {
 *         gn_handler_t h = { .on_traffic = on_traffic };
 *         gn_options_t o = { .multicore = true };
 *         return gn_run(&h, "tcp://0.0.0.0:9000", &o) < 0;
 *     }
 *
 * Model. An engine (gn_engine_new, gn_engine_listen for each address,
 * gn_engine_start, gn_engine_stop, gn_engine_wait, gn_engine_free; gn_run and
 * gn_rotate do it all and block) runs N event loops, each a thread with its
 * own poller. Two topologies: a main reactor (its own thread, or the thread
 * that called gn_run) accepts connections on every listener and hands each to
 * a loop chosen by the load balancer; or, with reuse_port and a TCP listener
 * (and always with a single loop), each loop has its own listeners and
 * accepts by itself (a unix path cannot be shared: loop 0 listens on it and
 * balances its connections over the loops). A connection belongs to
 * one loop for its whole life: every callback about it runs on that loop's
 * thread, level-triggered, one read per readiness event.
 *
 * Thread rule: nothing here is thread-safe unless marked. Functions taking a
 * gn_conn_t * must be called on the connection's loop thread (inside a
 * callback of that loop, or a loop task). Functions marked "any thread" take
 * an engine and a connection handle (gn_conn_id_t) instead: they queue a task
 * to the owning loop and never touch the connection from the calling thread.
 *
 * Pointer validity: a gn_conn_t * is valid on its loop thread from on_open
 * until on_close returns; after that the memory is freed. Code that must refer
 * to a connection later, or from another thread, keeps its gn_conn_id_t: a
 * handle to a closed connection is detected (generation check) and reported
 * as GN_ECLOSED, never dereferenced. A gn_engine_t * is valid from
 * gn_engine_new until gn_engine_free (inside gn_run: from on_boot until
 * gn_run returns).
 *
 * Errors: functions that can fail return 0 (or a non-negative count) or a
 * negative code: a negative errno, a GN_EADDR_* code of <gnet/socket.h>
 * (-4100..-4199) or one of the GN_E* engine codes below (-4000..-4099).
 * gn_strerror() describes all three.
 *
 * Not supported: UDP, the client side (dialing connections into a loop),
 * edge-triggered mode.
 */
#ifndef GNET_GNET_H
#define GNET_GNET_H

#include <gnet/logging.h>
#include <gnet/socket.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#ifndef GN_EXPORT
#define GN_EXPORT __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- error codes (range -4000..-4099) ------------------------------------ */

#define GN_EOPTION            (-4000) /* an option has an invalid value */
#define GN_EPROTO_UNSUPPORTED (-4001) /* address scheme valid but not served (udp) */
#define GN_ECLOSED            (-4002) /* the connection is closed (or the handle is stale) */
#define GN_ESHUTDOWN          (-4003) /* the engine is shutting down */
#define GN_ESTOPPED           (-4004) /* gn_engine_stop was already called */
#define GN_ESHORTBUF          (-4005) /* reserved: fewer bytes buffered than asked for */
#define GN_EEOF               (-4006) /* the peer closed its side (read returned 0) */
#define GN_EINBOUND_LIMIT     (-4007) /* unconsumed inbound bytes exceeded max_inbound */
#define GN_EOUTBOUND_LIMIT    (-4008) /* unsent outbound bytes exceeded max_outbound */
#define GN_EUNSUPPORTED       (-4009) /* reserved: a feature the engine does not provide */
#define GN_ELINGER            (-4010) /* a close dropped unsent outbound bytes (deadline, reset) */
#define GN_EIDLE_TIMEOUT      (-4011) /* no inbound bytes for the idle timeout */

/* Text for an engine code, a GN_EADDR_* code or a negative errno; a generic
 * text for anything else. Static string. Any thread. */
GN_EXPORT const char *gn_strerror(int err);

/* ---- types --------------------------------------------------------------- */

/* An engine: its loops, listeners and options. Opaque; created by
 * gn_engine_new (or inside gn_run). */
typedef struct gn_engine gn_engine_t;
/* A connection, owned by its loop. Opaque; valid until on_close returns. */
typedef struct gn_conn gn_conn_t;
/* An event loop of an engine: a thread with its poller and connections. */
typedef struct gn_loop gn_loop_t;

/* A connection handle, usable from any thread: loop index (8 bits), slot in
 * that loop's table (24 bits) and generation (32 bits). 0 is never a valid
 * handle. Compare handles with ==. */
typedef uint64_t gn_conn_id_t;
#define GN_CONN_ID_NONE ((gn_conn_id_t)0)

/* What a callback asks the engine to do next. An unknown value is GN_NONE. */
typedef enum gn_action {
    GN_NONE = 0,     /* carry on */
    GN_CLOSE = 1,    /* close this connection (after the callback returns) */
    GN_SHUTDOWN = 2, /* stop the engine, as gn_engine_stop */
} gn_action_t;

/* Load balancers of the main-reactor topology. */
typedef enum gn_lb {
    GN_LB_ROUND_ROBIN = 0,       /* next loop in turn */
    GN_LB_LEAST_CONNECTIONS = 1, /* loop with the fewest open connections */
    GN_LB_SOURCE_ADDR_HASH = 2,  /* FNV-1a of the peer address (ip and port), as gnet */
} gn_lb_t;

/* TCP_NODELAY: on unless asked otherwise (gnet's default). */
typedef enum gn_nodelay {
    GN_NODELAY_DEFAULT = 0, /* on */
    GN_NODELAY_ON = 1,
    GN_NODELAY_OFF = 2,
} gn_nodelay_t;

/* One nanosecond-based unit for on_tick delays. */
#define GN_MILLISECOND ((int64_t)1000000)
#define GN_SECOND      ((int64_t)1000000000)

/* Event callbacks. Any may be NULL. udata is handed back through
 * gn_engine_udata(). Callbacks about a connection run on its loop thread;
 * on_boot runs on the thread that calls gn_engine_start (gn_run's), and
 * on_shutdown on the one whose gn_engine_wait (or gn_engine_free) sees the
 * loops end (gn_run's); on_tick runs on loop 0's thread. The engine holds no
 * lock while it calls them. */
typedef struct gn_handler {
    /* Listeners are bound, loops not started yet. GN_SHUTDOWN makes
     * gn_engine_start (gn_run) return 0 at once with the engine stopped
     * (on_shutdown is not called). */
    gn_action_t (*on_boot)(gn_engine_t *eng);
    /* Every connection is closed, loops have stopped (gn_engine_wait; gn_run returns next). */
    void (*on_shutdown)(gn_engine_t *eng);
    /* A new connection. May write a greeting with gn_conn_write. */
    gn_action_t (*on_open)(gn_conn_t *c);
    /* The connection is closing: err is 0 for a local close (GN_CLOSE,
     * gn_conn_close), GN_EEOF when the peer closed, GN_ESHUTDOWN when the
     * engine stops, GN_EINBOUND_LIMIT / GN_EOUTBOUND_LIMIT, GN_EIDLE_TIMEOUT
     * (idle_timeout_ms, gn_conn_set_idle_timeout), GN_ELINGER when
     * the close had to drop outbound bytes a write accepted (linger deadline,
     * peer reset during the drain, engine stop during the drain), or the
     * negative errno of a failed read or write (-ECONNRESET, -EPIPE...).
     * A close with outbound bytes pending drains them first (see
     * gn_conn_close): on_close runs when the drain ends, so err tells whether
     * every byte reached the socket. The fd is still open; writes fail with
     * GN_ECLOSED. GN_CLOSE is meaningless here. */
    gn_action_t (*on_close)(gn_conn_t *c, int err);
    /* Bytes arrived (or gn_conn_async_wake asked for a call). Read them with
     * gn_conn_next/peek/read/discard; what is left stays buffered for the
     * next call. */
    gn_action_t (*on_traffic)(gn_conn_t *c);
    /* Runs first right after the loops start (options.ticker), then again
     * after the delay (nanoseconds) it stores in *delay_ns. The delay holds
     * its previous value on entry (initially 1 s); a negative delay stops the
     * ticker. */
    gn_action_t (*on_tick)(gn_engine_t *eng, int64_t *delay_ns);
    /* The outbound buffer, after holding more than write_low_watermark bytes,
     * went down to it (to empty with the default 0): once per such drain, from
     * the writable event that sent the bytes (never from inside a write or
     * flush call). The place to resume a producer paused on the buffer's
     * size. GN_CLOSE closes the connection. */
    gn_action_t (*on_drain)(gn_conn_t *c);
    void *udata; /* the caller's pointer, returned by gn_engine_udata */
    /* On each loop's own thread when it starts: before gn_engine_start
     * returns and before any of its connections opens. For per-loop state
     * without thread-locals: gn_loop_set_udata. GN_SHUTDOWN stops the engine. */
    gn_action_t (*on_loop_start)(gn_loop_t *loop);
    /* On each loop's own thread when it ends, after its last on_close: the
     * place to free what on_loop_start set up. */
    void (*on_loop_stop)(gn_loop_t *loop);
} gn_handler_t;

/* Options. A zeroed struct (or NULL) means gnet's defaults. Values out of
 * range make gn_run fail with GN_EOPTION (the log says which). */
typedef struct gn_options {
    bool multicore;     /* one loop per online CPU (default: 1 loop) */
    int num_event_loop; /* loops; wins over multicore; 1..256, 0 = unset */
    gn_lb_t lb;         /* main-reactor load balancer */
    bool reuse_addr;    /* SO_REUSEADDR (TCP listeners always get it) */
    bool reuse_port;    /* one SO_REUSEPORT listener per loop (TCP only; ignored for unix) */
    /* Size of each loop's shared read buffer: at most this many bytes per
     * read. 0 = 64 KiB; 1 KiB..64 MiB, rounded up to a power of two. */
    int read_buffer_cap;
    /* Outbound buffer: bytes kept in its ring (the static part of gnet's
     * elastic buffer) before overflow goes to list blocks. 0 = 64 KiB; same
     * rules as read_buffer_cap. */
    int write_buffer_cap;
    bool lock_os_thread;       /* pin loop i to CPU i % ncpu */
    bool ticker;               /* call on_tick (needs on_tick) */
    int tcp_keepalive_s;       /* SO_KEEPALIVE idle seconds on accepted TCP sockets; 0 = off */
    int tcp_keepalive_intvl_s; /* probe interval; 0 = kernel default (needs tcp_keepalive_s) */
    int tcp_keepalive_cnt;     /* probe count; 0 = kernel default */
    gn_nodelay_t tcp_nodelay;  /* TCP_NODELAY on accepted TCP sockets (see gn_nodelay_t) */
    int socket_recv_buffer;    /* SO_RCVBUF of accepted sockets; 0 = kernel default */
    int socket_send_buffer;    /* SO_SNDBUF of accepted sockets; 0 = kernel default */
    /* Unconsumed inbound bytes a connection may hold; more closes it with
     * GN_EINBOUND_LIMIT. 0 = unlimited. */
    size_t max_inbound;
    /* Unsent outbound bytes a connection may hold; a write that would exceed
     * it fails with GN_EOUTBOUND_LIMIT and closes the connection. 0 = unlimited. */
    size_t max_outbound;
    /* How long a close may wait for the outbound buffer to drain (see
     * gn_conn_close), in milliseconds. 0 = 30000 (30 s);
     * GN_CLOSE_LINGER_NONE = no drain: one attempt to send, then whatever is
     * left is dropped (on_close gets GN_ELINGER). Other negative values are
     * GN_EOPTION. */
    int close_linger_ms;
    /* on_drain runs when the outbound buffer goes from above this many bytes
     * down to it. 0 = when it empties. */
    size_t write_low_watermark;
    /* Logging: logger wins (not owned; must outlive gn_run); else log_path
     * opens a file logger (owned by the engine); else the process default
     * logger. log_level applies to the logger the engine creates only. */
    gn_logger_t *logger;
    const char *log_path;
    gn_log_level_t log_level;
    /* The names edge_triggered and edge_triggered_io_chunk (gnet's options)
     * are reserved for an edge-triggered mode. */
    /* Closes a connection that received no byte for this many milliseconds
     * (on_close with GN_EIDLE_TIMEOUT); 0 = never. Per connection:
     * gn_conn_set_idle_timeout. 0..2^31-1. */
    int idle_timeout_ms;
} gn_options_t;

/* close_linger_ms: close without waiting for the outbound buffer to drain. */
#define GN_CLOSE_LINGER_NONE (-1)

/* ---- engine -------------------------------------------------------------- *
 * Life: gn_engine_new -> gn_engine_listen (any number) -> gn_engine_start ->
 * gn_engine_stop (any thread, a signal handler too) -> gn_engine_wait ->
 * gn_engine_free. new, listen, start, wait and free are the owner's calls:
 * one thread at a time, never a loop thread (callbacks). Engines are
 * independent: several may run in one process, one after another or at once. */

/* Creates an engine with handler h (copied) and options opts (NULL: the
 * defaults; the logger is set up and the options validated here). Nothing
 * runs yet. Returns 0 with *out set, -EINVAL (out or h NULL), GN_EOPTION,
 * -ENOMEM or the -errno of eventfd (-EMFILE). */
GN_EXPORT int gn_engine_new(gn_engine_t **out, const gn_handler_t *h, const gn_options_t *opts);

/* Adds a listen address ("tcp://host:port", "tcp4://", "tcp6://",
 * "unix://path"), bound by gn_engine_start; any number, mixed. Port 0 lets
 * the kernel pick (gn_engine_listener_addr tells which). Before start only.
 * Returns 0, -EINVAL (NULL), -EBUSY (already started), a GN_EADDR_* code
 * (malformed address), GN_EPROTO_UNSUPPORTED (udp) or -ENOMEM. */
GN_EXPORT int gn_engine_listen(gn_engine_t *eng, const char *addr);

/* Binds every listener, calls on_boot, starts the loops (and the main
 * reactor's thread) and returns once every loop runs. With no listener the
 * loops run and accept nothing. A stop requested before start makes the
 * engine stop as soon as it runs. Returns 0 (also when on_boot returned
 * GN_SHUTDOWN: the engine is then stopped), -EINVAL, -EBUSY (started
 * before), -ENOMEM, the -errno of bind/listen (-EADDRINUSE...; no callback
 * ran, nothing runs), or the -errno of a thread that could not be started
 * (-EAGAIN: what had started was stopped and waited for, on_shutdown ran).
 * After a failure only gn_engine_free is left to call. */
GN_EXPORT int gn_engine_start(gn_engine_t *eng);

/* Asks the engine to stop: listeners close, each loop closes its
 * connections at once, after one attempt to send what they hold (on_close
 * with GN_ESHUTDOWN; one that was draining gets GN_ELINGER unless that
 * attempt emptied its buffer), then the loops end;
 * gn_engine_wait then runs on_shutdown. Any thread, including callbacks,
 * and async-signal-safe (a SIGINT handler may call it): lock-free atomics
 * and one write(2) to an eventfd, errno preserved; returns at once. Returns
 * 0, -EINVAL (eng NULL), GN_ESTOPPED (a stop was already requested, or the
 * engine is torn down) or the -errno of the write. */
GN_EXPORT int gn_engine_stop(gn_engine_t *eng);

/* Waits until the loops (and the main reactor) ended, up to timeout_ms
 * (negative: no limit; 0: just look), then joins them, calls on_shutdown on
 * this thread and releases the listeners (a unix socket's file is removed),
 * pollers and connections; tasks that never ran are reported here (async
 * callbacks get GN_ESHUTDOWN on this thread). Does not stop the engine:
 * call gn_engine_stop first (or let GN_SHUTDOWN do it). Returns 0 once
 * stopped (again at each later call), -ETIMEDOUT (still running: call again),
 * -EINVAL (NULL, or never started), -EDEADLK (called on one of the engine's
 * own threads), -EBUSY (from on_boot), or the main reactor's -errno if it
 * failed. */
GN_EXPORT int gn_engine_wait(gn_engine_t *eng, int timeout_ms);

/* Frees the engine; a running one is stopped and waited for first. eng may
 * be NULL. Not from the engine's own threads (ignored there). eng is invalid
 * afterwards, for every thread. */
GN_EXPORT void gn_engine_free(gn_engine_t *eng);

/* Number of listen addresses given to gn_engine_listen. Any thread. */
GN_EXPORT int gn_engine_num_listeners(const gn_engine_t *eng);

/* The i-th listen address; after gn_engine_start, with the port the kernel
 * picked for port 0. Any thread after gn_engine_start returned (before it,
 * the owner's thread). Returns 0, or -EINVAL (NULL, i out of range). */
GN_EXPORT int gn_engine_listener_addr(const gn_engine_t *eng, int i, gn_addr_t *out);

/* Serves addr ("tcp://host:port", "tcp4://", "tcp6://", "unix://path") with
 * handler h until the engine stops (gn_engine_stop or GN_SHUTDOWN). h is copied;
 * opts may be NULL. Blocks the calling thread (which runs the main reactor in
 * that topology). Returns 0 after a stop; on setup failure a negative code
 * and no callback has run: -EINVAL (h or addr NULL), GN_EOPTION,
 * a GN_EADDR_* code (malformed address),
 * GN_EPROTO_UNSUPPORTED (udp), the -errno of bind/listen (-EADDRINUSE...),
 * -ENOMEM. If a loop thread cannot be started (after on_boot) the engine
 * stops as after gn_engine_stop and gn_run returns that -errno (-EAGAIN).
 * The same as gn_engine_new, gn_engine_listen, gn_engine_start with the main
 * reactor on this thread, gn_engine_wait and gn_engine_free. */
GN_EXPORT int gn_run(const gn_handler_t *h, const char *addr, const gn_options_t *opts);

/* gn_run with the n addresses of addrs (gnet's Rotate): one engine, every
 * listener served by its loops. -EINVAL also for n <= 0 or a NULL entry. */
GN_EXPORT int gn_rotate(const gn_handler_t *h, const char *const *addrs, int n,
                        const gn_options_t *opts);

/* Connections open right now, over all loops (a recent value). Any thread. */
GN_EXPORT size_t gn_engine_count_connections(const gn_engine_t *eng);

/* A close-on-exec duplicate of the first listener's fd (the main reactor's,
 * or loop 0's); the caller owns it. Any thread, from on_boot until a stop is
 * requested: the stop closes the listener, after which the call may fail
 * (-EBADF) or, if the number was reused meanwhile, duplicate an unrelated fd.
 * Returns the fd, -EINVAL, -EBADF (no listener, not running) or -errno. */
GN_EXPORT int gn_engine_dup(const gn_engine_t *eng);

/* The handler's udata. Any thread. */
GN_EXPORT void *gn_engine_udata(const gn_engine_t *eng);

/* Number of event loops. Any thread. */
GN_EXPORT int gn_engine_num_loops(const gn_engine_t *eng);

/* ---- event loops -------------------------------------------------------------- *
 * A gn_loop_t * is valid from gn_engine_start until gn_engine_wait returned
 * 0 (inside gn_run, until it returns). Functions marked "loop thread" must
 * run on that loop's thread (its callbacks, timers, executed functions). */

/* Loop i (0 <= i < gn_engine_num_loops) or NULL. Any thread, after start. */
GN_EXPORT gn_loop_t *gn_engine_loop(const gn_engine_t *eng, int i);
/* The loop a connection belongs to (NULL for NULL). Loop thread. */
GN_EXPORT gn_loop_t *gn_conn_loop(const gn_conn_t *c);
/* The loop's engine, its index (-EINVAL for NULL) and the connections open
 * on it now (a recent value from another thread). Any thread. */
GN_EXPORT gn_engine_t *gn_loop_engine(const gn_loop_t *loop);
GN_EXPORT int gn_loop_index(const gn_loop_t *loop);
GN_EXPORT size_t gn_loop_count_connections(const gn_loop_t *loop);
/* A user pointer kept with the loop (NULL initially), typically per-loop
 * scratch or state set in on_loop_start. Loop thread (or the owner's thread
 * before start / after wait). */
GN_EXPORT void *gn_loop_udata(const gn_loop_t *loop);
GN_EXPORT void gn_loop_set_udata(gn_loop_t *loop, void *udata);

/* A function executed on a loop's thread. loop is NULL when the engine
 * stopped before it could run: then it is called once on the thread in
 * gn_engine_wait, so arg can be freed. */
typedef void (*gn_loop_fn)(gn_loop_t *loop, void *arg);

/* Runs fn(loop, arg) on the loop's thread, after the I/O of its current
 * round, exactly once (gnet's Execute). Calls from one thread run in order.
 * Any thread (not a signal handler). Returns 0, -EINVAL (NULL), -ENOMEM or
 * GN_ESHUTDOWN (the engine is torn down); on error fn is never called. */
GN_EXPORT int gn_loop_execute(gn_loop_t *loop, gn_loop_fn fn, void *arg);

/* A loop timer's callback, on the loop's thread; GN_SHUTDOWN stops the
 * engine (GN_CLOSE means nothing here). id is the timer's. */
typedef gn_action_t (*gn_loop_timer_fn)(gn_loop_t *loop, uint64_t id, void *udata);

/* Arms a timer on the loop (gnet-netpoll's timers): fn(loop, id, udata)
 * after delay_ns, then every period_ns when period_ns is not 0, between
 * rounds of I/O, never early. One allocation per timer, no system call;
 * O(log n). A repeating timer runs until cancelled or the loop stops;
 * timers still armed when the loop ends are dropped (fn not called). *id (if
 * not NULL) receives its id. Loop thread. Returns 0, -EINVAL (loop or fn
 * NULL) or -ENOMEM (not armed). */
GN_EXPORT int gn_loop_timer_add(gn_loop_t *loop, uint64_t delay_ns, uint64_t period_ns,
                                gn_loop_timer_fn fn, void *udata, uint64_t *id);

/* Disarms a loop timer (also from its own callback: a repeating one stops).
 * Loop thread. Returns 0, -EINVAL (loop NULL) or -ENOENT (fired, cancelled
 * or unknown id). */
GN_EXPORT int gn_loop_timer_cancel(gn_loop_t *loop, uint64_t id);

/* Adopts fd, an already connected stream socket (TCP or unix, e.g. a
 * socketpair end), as a connection of the loop: on_open runs there with
 * gn_conn_context(c) == ctx, then it is served like an accepted one. fd is
 * made non-blocking; the engine's socket options apply. On success the
 * engine owns fd (closed by the connection's close, or by the stop if that
 * comes first: no callback then). Any thread, after gn_engine_start.
 * Returns 0, -EINVAL (NULL loop, negative fd), -ENOTSOCK / GN_EPROTO_UNSUPPORTED
 * (not a stream socket), -ENOMEM or GN_ESHUTDOWN; on error fd stays the
 * caller's. */
GN_EXPORT int gn_loop_enroll(gn_loop_t *loop, int fd, void *ctx);

/* As gn_loop_enroll, on the loop the load balancer picks (round-robin and
 * least-connections as for accepted connections; the source-address hash
 * uses the peer's address). Any thread, after gn_engine_start. */
GN_EXPORT int gn_engine_enroll(gn_engine_t *eng, int fd, void *ctx);

/* ---- connection: identity (loop thread) ---------------------------------- */

/* The connection's handle, for later or cross-thread use. */
GN_EXPORT gn_conn_id_t gn_conn_id(const gn_conn_t *c);
/* The engine that owns the connection. */
GN_EXPORT gn_engine_t *gn_conn_engine(const gn_conn_t *c);
/* The socket fd (owned by the engine: do not close it). -EINVAL for NULL. */
GN_EXPORT int gn_conn_fd(const gn_conn_t *c);
/* A user pointer kept with the connection (NULL initially). */
GN_EXPORT void *gn_conn_context(const gn_conn_t *c);
GN_EXPORT void gn_conn_set_context(gn_conn_t *c, void *ctx);
/* The peer's / own address, queried from the socket on demand (the
 * connection stores none). Returns 0, -EINVAL or -errno. */
GN_EXPORT int gn_conn_peer_addr(const gn_conn_t *c, gn_addr_t *out);
GN_EXPORT int gn_conn_local_addr(const gn_conn_t *c, gn_addr_t *out);

/* ---- connection: reading (loop thread) ----------------------------------- *
 * The readable bytes are the connection's inbound ring followed by the bytes
 * of the current read (inside on_traffic). With the ring empty (the common
 * case) a read goes to the loop's shared buffer and on_traffic sees it in
 * place; bytes not consumed when on_traffic returns are copied into the ring.
 * With bytes already in the ring (an incomplete message), the next reads go
 * straight after them in the ring, which is kept one contiguous run: peeking
 * at everything buffered on every call, the usual parser pattern, costs
 * O(bytes) for a message of any size and never copies. Pointers returned by
 * next and peek stay valid until the callback returns (and no later than
 * on_close). */

/* Bytes readable now (ring + current read). */
GN_EXPORT size_t gn_conn_inbound_buffered(const gn_conn_t *c);

/* Consumes the next n bytes (all of them with n == SIZE_MAX) and returns a
 * pointer to them, storing their count in *len (len may be NULL). Never a
 * copy: the readable bytes are always one contiguous run (see above).
 * Returns NULL with *len = 0, consuming nothing, in two cases only: c is
 * NULL, or fewer than n bytes are buffered (gn_conn_inbound_buffered says
 * how many are). With nothing buffered and n == SIZE_MAX it returns a
 * non-NULL pointer and *len = 0. */
GN_EXPORT const void *gn_conn_next(gn_conn_t *c, size_t n, size_t *len);

/* As gn_conn_next, without consuming. */
GN_EXPORT const void *gn_conn_peek(gn_conn_t *c, size_t n, size_t *len);

/* Consumes up to n bytes without copying. Returns the number consumed or
 * -EINVAL. */
GN_EXPORT ssize_t gn_conn_discard(gn_conn_t *c, size_t n);

/* Copies up to n bytes into p and consumes them. Returns the count (0 when
 * nothing is buffered) or -EINVAL. */
GN_EXPORT ssize_t gn_conn_read(gn_conn_t *c, void *p, size_t n);

/* ---- connection: writing (loop thread) ----------------------------------- *
 * With nothing pending the bytes go to the socket at once; what the socket
 * does not take is copied to the outbound buffer and sent when the socket is
 * writable, in order. The caller may reuse its buffer when the call returns. */

/* Writes n bytes from p. Returns n (all accepted: sent or buffered), or
 * GN_ECLOSED (closed or closing), GN_EOUTBOUND_LIMIT, -ENOMEM, or the -errno
 * of the socket (-EPIPE, -ECONNRESET): on such an error the connection is
 * closed after the current callback returns, with that error. -EINVAL for
 * bad arguments. */
GN_EXPORT ssize_t gn_conn_write(gn_conn_t *c, const void *p, size_t n);

/* As gn_conn_write for iovcnt buffers, in order, with one writev. iovcnt is
 * 0..IOV_MAX. Returns the total accepted or an error as gn_conn_write. */
GN_EXPORT ssize_t gn_conn_writev(gn_conn_t *c, const struct iovec *iov, int iovcnt);

/* Tries to send the outbound buffer now (otherwise it goes when the socket
 * is writable). Returns 0 (sent, or the socket is full), GN_ECLOSED, or the
 * -errno of the socket (the connection then closes after the callback). */
GN_EXPORT int gn_conn_flush(gn_conn_t *c);

/* Sets the connection's idle timeout: with no inbound byte for ms
 * milliseconds it is closed with GN_EIDLE_TIMEOUT (0 turns it off). The
 * count starts now. Reads only store a timestamp (the poller's clock, read
 * once per round): no system call, no timer operation per read; the timer
 * (one gnet-netpoll timer, O(log n)) fires at the deadline and re-arms for
 * what is left when bytes came meanwhile, so the close happens up to 1 ms
 * after the exact deadline. Returns 0, -EINVAL (c NULL, ms negative),
 * GN_ECLOSED or -ENOMEM (the timeout is then off). */
GN_EXPORT int gn_conn_set_idle_timeout(gn_conn_t *c, int ms);

/* Bytes waiting in the outbound buffer. */
GN_EXPORT size_t gn_conn_outbound_buffered(const gn_conn_t *c);

/* Closes the connection after the current callback returns, without losing
 * what writes accepted. With the outbound buffer empty: on_close(c, 0), then
 * close(2). Otherwise the connection drains first: reading stops (bytes that
 * arrive are not delivered), the buffer is sent as the socket takes it, and
 * once it is empty the engine calls shutdown(SHUT_WR), on_close(c, 0) and
 * close(2). A drain ends early, with on_close(c, GN_ELINGER) and the rest
 * dropped, when close_linger_ms passes, the peer resets, or the engine stops.
 * Meanwhile the connection counts as open (gn_engine_count_connections), its
 * handle resolves to nothing (async calls report GN_ECLOSED) and nothing
 * calls back into user code for it. The same applies to GN_CLOSE, to
 * gn_conn_async_close and to a peer's EOF (err GN_EEOF): on_traffic has run
 * for every byte before the FIN, and its writes are delivered. Idempotent.
 * Returns 0, GN_ECLOSED (already closing) or -EINVAL. */
GN_EXPORT int gn_conn_close(gn_conn_t *c);

/* ---- connection: backpressure (loop thread) ------------------------------ *
 * A producer stops reading one connection while another's output is full,
 * and a server stops reading a client that sends requests without reading
 * the answers:
 *
 *     if (gn_conn_outbound_buffered(c) > HIGH_MARK) gn_conn_pause_read(c);
 *     ... on_drain(c): gn_conn_resume_read(c);
 *
 * Interest changes only when the paused state changes. */

/* Stops delivering input: no read and no on_traffic for new bytes until
 * gn_conn_resume_read (the kernel's receive buffer fills and TCP flow control
 * stops the peer). Output still flushes, errors and the peer's reset are
 * still seen. Idempotent. Returns 0, GN_ECLOSED (closed or closing) or
 * -EINVAL. */
GN_EXPORT int gn_conn_pause_read(gn_conn_t *c);

/* Reads again. When the inbound buffer already holds bytes, on_traffic runs
 * for them soon after (from a loop task, not from inside this call), so
 * input the handler left while paused is not stranded. Idempotent. Returns
 * 0, GN_ECLOSED or -EINVAL. */
GN_EXPORT int gn_conn_resume_read(gn_conn_t *c);

/* True while reading is paused. */
GN_EXPORT bool gn_conn_read_paused(const gn_conn_t *c);

/* ---- connection: any thread ---------------------------------------------- *
 * These queue a task on the connection's loop and return at once. The task
 * looks the handle up on the loop thread; when it completes, cb (if not NULL)
 * runs on that loop thread as cb(c, err, udata), c being the connection (NULL
 * when it is gone) and err 0 on success, GN_ECLOSED when the handle names a
 * closed connection, or the error of the operation. If the engine stops
 * before the task runs, cb gets (NULL, GN_ESHUTDOWN) on the thread in
 * gn_engine_wait (gn_run's). When one of these functions returns an error, cb
 * is never called. eng must be the connection's engine, not freed: once the
 * engine is torn down (gn_engine_wait returned 0) they return GN_ESHUTDOWN;
 * calls after gn_engine_free (gn_run returned) are undefined behaviour.
 * Order: calls made from one thread run in the order they were made. Calls
 * from different threads have no order between them, even when causally
 * related (A's async_write, then A signals B, then B's async_close may run
 * the close first: the write's cb then gets GN_ECLOSED). To order such
 * calls, make them from one thread, or make the second from the first's cb. */
/* Completion of an async call, on the connection's loop thread: c is the
 * connection (NULL when it is gone), err 0 or the error (see above). */
typedef void (*gn_async_cb)(gn_conn_t *c, int err, void *udata);

/* Writes a copy of n bytes of p (the caller may reuse p at once). Returns 0,
 * -EINVAL, -ENOMEM, GN_ECLOSED (bad loop index in id) or GN_ESHUTDOWN. */
GN_EXPORT int gn_conn_async_write(gn_engine_t *eng, gn_conn_id_t id, const void *p, size_t n,
                                  gn_async_cb cb, void *udata);

/* As gn_conn_async_write, without the copy: p is handed over. The engine
 * reads it on the loop thread and then calls free_fn(p) (if free_fn is not
 * NULL) exactly once, before cb, on that thread (on the gn_engine_wait thread if the
 * engine stopped first). The caller must not touch p after a successful
 * call; when the call fails, free_fn is not called and p stays the
 * caller's. Bytes the socket does not take at once are copied into the
 * outbound buffer, so p is never kept beyond the task. */
GN_EXPORT int gn_conn_async_write_owned(gn_engine_t *eng, gn_conn_id_t id, void *p, size_t n,
                                        void (*free_fn)(void *p), gn_async_cb cb, void *udata);

/* As gn_conn_async_write with the iovcnt buffers of iov, copied into one. */
GN_EXPORT int gn_conn_async_writev(gn_engine_t *eng, gn_conn_id_t id, const struct iovec *iov,
                                   int iovcnt, gn_async_cb cb, void *udata);

/* Calls on_traffic for the connection with no new bytes (gnet's Wake). */
GN_EXPORT int gn_conn_async_wake(gn_engine_t *eng, gn_conn_id_t id, gn_async_cb cb, void *udata);

/* gn_conn_pause_read / gn_conn_resume_read from any thread; cb gets (c, 0). */
GN_EXPORT int gn_conn_async_pause_read(gn_engine_t *eng, gn_conn_id_t id, gn_async_cb cb,
                                       void *udata);
GN_EXPORT int gn_conn_async_resume_read(gn_engine_t *eng, gn_conn_id_t id, gn_async_cb cb,
                                        void *udata);

/* Closes the connection as gn_conn_close does (a drain first if output is
 * pending; on_close says how it ended). cb gets (NULL, 0) once the close has
 * begun, or (NULL, GN_ECLOSED) when the connection was already closed or
 * closing. */
GN_EXPORT int gn_conn_async_close(gn_engine_t *eng, gn_conn_id_t id, gn_async_cb cb, void *udata);

#ifdef __cplusplus
}
#endif
#endif
