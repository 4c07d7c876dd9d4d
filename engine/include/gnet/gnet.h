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
 * Model. gn_run starts N event loops, each a thread with its own poller, and
 * blocks until the engine stops. Two topologies: a main reactor (the thread
 * that called gn_run) accepts connections and hands each to a loop chosen by
 * the load balancer; or, with reuse_port (and always with a single loop), each
 * loop has its own listener and accepts by itself. A connection belongs to
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
 * as GN_ECLOSED, never dereferenced. A gn_engine_t * is valid from on_boot
 * until gn_run returns.
 *
 * Errors: functions that can fail return 0 (or a non-negative count) or a
 * negative code: a negative errno, a GN_EADDR_* code of <gnet/socket.h>
 * (-4100..-4199), a GN_ECODEC_* code of <gnet/codec.h> (-4200..-4299) or one
 * of the GN_E* engine codes below (-4000..-4099). gn_strerror() describes
 * them all.
 *
 * Not yet supported (next issue; the API leaves room for them): UDP, several
 * listen addresses (gn_rotate), the client side (dialing connections into a
 * loop), edge-triggered mode. Setting edge_triggered returns GN_EUNSUPPORTED.
 */
#ifndef GNET_GNET_H
#define GNET_GNET_H

#include <gnet/codec.h>
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
#define GN_ESHORTBUF          (-4005) /* fewer bytes buffered than asked for; none consumed */
#define GN_EEOF               (-4006) /* the peer closed its side (read returned 0) */
#define GN_EINBOUND_LIMIT     (-4007) /* unconsumed inbound bytes exceeded max_inbound */
#define GN_EOUTBOUND_LIMIT    (-4008) /* unsent outbound bytes exceeded max_outbound */
#define GN_EUNSUPPORTED       (-4009) /* feature not supported yet (edge_triggered) */

/* Text for an engine code, a GN_EADDR_* or GN_ECODEC_* code or a negative errno; a generic
 * text for anything else. Static string. Any thread. */
GN_EXPORT const char *gn_strerror(int err);

/* ---- types --------------------------------------------------------------- */

/* An engine: its loops, listeners and options. Opaque; created by gn_run. */
typedef struct gn_engine gn_engine_t;
/* A connection, owned by its loop. Opaque; valid until on_close returns. */
typedef struct gn_conn gn_conn_t;

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
 * on_boot and on_shutdown run on the thread that called gn_run; on_tick runs
 * on loop 0's thread. The engine holds no lock while it calls them. */
typedef struct gn_handler {
    /* Listeners are bound, loops not started yet. GN_SHUTDOWN makes gn_run
     * return 0 at once (on_shutdown is not called). */
    gn_action_t (*on_boot)(gn_engine_t *eng);
    /* Every connection is closed, loops have stopped; gn_run returns next. */
    void (*on_shutdown)(gn_engine_t *eng);
    /* A new connection. May write a greeting with gn_conn_write. */
    gn_action_t (*on_open)(gn_conn_t *c);
    /* The connection is closing: err is 0 for a local close (GN_CLOSE,
     * gn_conn_close), GN_EEOF when the peer closed, GN_ESHUTDOWN when the
     * engine stops, GN_EINBOUND_LIMIT / GN_EOUTBOUND_LIMIT, or the negative
     * errno of a failed read or write (-ECONNRESET, -EPIPE...). The fd is still
     * open; writes fail with GN_ECLOSED. GN_CLOSE is meaningless here. */
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
    void *udata; /* the caller's pointer, returned by gn_engine_udata */
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
    /* Logging: logger wins (not owned; must outlive gn_run); else log_path
     * opens a file logger (owned by the engine); else the process default
     * logger. log_level applies to the logger the engine creates only. */
    gn_logger_t *logger;
    const char *log_path;
    gn_log_level_t log_level;
    bool edge_triggered;         /* not supported yet: GN_EUNSUPPORTED */
    int edge_triggered_io_chunk; /* reserved for edge_triggered; must be >= 0 */
} gn_options_t;

/* ---- engine -------------------------------------------------------------- */

/* Serves addr ("tcp://host:port", "tcp4://", "tcp6://", "unix://path") with
 * handler h until the engine stops (gn_engine_stop or GN_SHUTDOWN). h is copied;
 * opts may be NULL. Blocks the calling thread (which runs the main reactor in
 * that topology). Returns 0 after a stop; on setup failure a negative code
 * and no callback has run: -EINVAL (h or addr NULL), GN_EOPTION,
 * GN_EUNSUPPORTED, a GN_EADDR_* code (malformed address),
 * GN_EPROTO_UNSUPPORTED (udp), the -errno of bind/listen (-EADDRINUSE...),
 * -ENOMEM. If a loop thread cannot be started (after on_boot) the engine
 * stops as after gn_engine_stop and gn_run returns that -errno (-EAGAIN). */
GN_EXPORT int gn_run(const gn_handler_t *h, const char *addr, const gn_options_t *opts);

/* Asks the engine to stop: each loop closes its connections (on_close with
 * GN_ESHUTDOWN), then on_shutdown runs and gn_run returns 0. Any thread,
 * including callbacks; returns at once. Returns 0, -EINVAL (eng NULL) or
 * GN_ESTOPPED (a stop was already requested). */
GN_EXPORT int gn_engine_stop(gn_engine_t *eng);

/* Connections open right now, over all loops (a recent value). Any thread. */
GN_EXPORT size_t gn_engine_count_connections(const gn_engine_t *eng);

/* A close-on-exec duplicate of the (first) listener fd; the caller owns it.
 * Any thread, from on_boot until a stop is requested: the stop closes the
 * listener, after which the call may fail (-EBADF) or, if the number was
 * reused meanwhile, duplicate an unrelated fd. Returns the fd, -EINVAL or
 * -errno. */
GN_EXPORT int gn_engine_dup(const gn_engine_t *eng);

/* The handler's udata. Any thread. */
GN_EXPORT void *gn_engine_udata(const gn_engine_t *eng);

/* Number of event loops. Any thread. */
GN_EXPORT int gn_engine_num_loops(const gn_engine_t *eng);

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
 * of the current read (inside on_traffic). Bytes not consumed when on_traffic
 * returns are copied into the inbound ring. Pointers returned by next and
 * peek stay valid until the callback returns (and no later than on_close). */

/* Bytes readable now (ring + current read). */
GN_EXPORT size_t gn_conn_inbound_buffered(const gn_conn_t *c);

/* Consumes the next n bytes (all of them with n == SIZE_MAX) and returns a
 * contiguous pointer to them, storing their count in *len (len may be NULL).
 * Zero-copy when the bytes are contiguous, else copied into loop scratch.
 * Returns NULL with *len = 0 when fewer than n bytes are buffered
 * (GN_ESHORTBUF: nothing consumed), on c NULL, or when out of memory (nothing
 * consumed). With nothing buffered and n == SIZE_MAX it returns a non-NULL
 * pointer and *len = 0. */
GN_EXPORT const void *gn_conn_next(gn_conn_t *c, size_t n, size_t *len);

/* As gn_conn_next, without consuming. */
GN_EXPORT const void *gn_conn_peek(gn_conn_t *c, size_t n, size_t *len);

/* Consumes up to n bytes without copying. Returns the number consumed or
 * -EINVAL. */
GN_EXPORT ssize_t gn_conn_discard(gn_conn_t *c, size_t n);

/* Copies up to n bytes into p and consumes them. Returns the count (0 when
 * nothing is buffered) or -EINVAL. */
GN_EXPORT ssize_t gn_conn_read(gn_conn_t *c, void *p, size_t n);

/* Decodes the next frame of the readable bytes with codec (<gnet/codec.h>; one
 * codec per connection, kept for instance in its context) and consumes the
 * bytes the codec says to: the frame, and bytes of a too-long frame being
 * skipped. Returns 1 with f->data / f->len set, 0 when more bytes are needed,
 * GN_ECODEC_TOOLONG (the frame is dropped as it arrives; decode on or close),
 * GN_ECODEC_CORRUPT (close the connection), -ENOMEM (a frame that is not
 * contiguous could not be copied; nothing but skipped bytes consumed) or
 * -EINVAL (c, codec or f NULL). f->consumed tells what was consumed. The frame
 * is zero-copy when its bytes are contiguous (within the current read, or
 * within the inbound ring) and otherwise copied into the codec's memory; f->data
 * stays valid until the callback returns and no longer than the next call with
 * the same codec. Set max_inbound to at least the codec's largest frame. */
GN_EXPORT int gn_conn_next_frame(gn_conn_t *c, gn_codec_t *codec, gn_codec_frame_t *f);

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

/* Bytes waiting in the outbound buffer. */
GN_EXPORT size_t gn_conn_outbound_buffered(const gn_conn_t *c);

/* Closes the connection after the current callback returns (on_close with
 * err 0, one best-effort flush of the outbound buffer, then close(2)).
 * Idempotent. Returns 0, GN_ECLOSED (already closing) or -EINVAL. */
GN_EXPORT int gn_conn_close(gn_conn_t *c);

/* ---- connection: any thread ---------------------------------------------- *
 * These queue a task on the connection's loop and return at once. The task
 * looks the handle up on the loop thread; when it completes, cb (if not NULL)
 * runs on that loop thread as cb(c, err, udata), c being the connection (NULL
 * when it is gone) and err 0 on success, GN_ECLOSED when the handle names a
 * closed connection, or the error of the operation. If the engine stops
 * before the task runs, cb gets (NULL, GN_ESHUTDOWN) on the thread running
 * gn_run. When one of these functions returns an error, cb is never called.
 * eng must be the connection's engine and still running (see gn_run): calls
 * after gn_run returned are undefined behaviour.
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
 * NULL) exactly once, before cb, on that thread (on the gn_run thread if the
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

/* Closes the connection (on_close err 0); cb then gets (NULL, 0), or
 * (NULL, GN_ECLOSED) when it was already closed. */
GN_EXPORT int gn_conn_async_close(gn_engine_t *eng, gn_conn_id_t id, gn_async_cb cb, void *udata);

#ifdef __cplusplus
}
#endif
#endif
