/* gnet-buffer: gn_mixbuf_t, an elastic mixed buffer: a ring for the first
 * max_static bytes, a linked list for the overflow.
 *
 * This is what the engine uses for outbound data: the usual small backlog lives
 * in one contiguous ring (cheap, no per-write allocation), while a burst beyond
 * max_static goes to list blocks so the ring never grows past that size and
 * large writes are never copied twice. Bytes always come out in the order they
 * went in: once the list holds data, every write goes to the list until it
 * drains. Peek, discard, read and write_fd see one stream whatever the split
 * between ring and list (gnet's elastic Peek lost bytes when the ring held more
 * than n and the list less, and its WriteTo skipped the list when the ring was
 * empty; neither happens here).
 *
 * The ring follows the growth policy of <gnet/ringbuf.h>, except that its
 * allocation never passes max_static (a step that would is cut there); the list
 * the block policy of <gnet/listbuf.h>. In elastic mode (gn_mixbuf_set_elastic)
 * the buffer frees all its memory whenever it drains, so an idle owner holds
 * none.
 *
 * Thread rule: a mixed buffer is a single-threaded object; nothing here is
 * thread-safe. Distinct buffers may be used on distinct threads.
 *
 * Errors: functions that can fail return 0 or a non-negative count, or a negative
 * errno: -EINVAL for bad arguments, -ENOMEM when memory runs out (the buffer is
 * left exactly as it was), -errno from the kernel for the fd functions.
 * Zero-length operations are no-ops and never allocate.
 */
#ifndef GNET_MIXBUF_H
#define GNET_MIXBUF_H

#include <gnet/listbuf.h>
#include <gnet/ringbuf.h>

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/uio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Public so it can be embedded (a connection holds one without an extra
 * allocation); every field is private. */
typedef struct gn_mixbuf {
    gn_ringbuf_t ring; /* private: the first bytes, up to max_static */
    gn_listbuf_t list; /* private: the overflow, after the ring's bytes */
    size_t max_static; /* private: most bytes the ring takes */
    unsigned elastic;  /* private: free memory when drained */
} gn_mixbuf_t;

/* Initialises an empty buffer whose ring takes at most max_static bytes (64 KiB
 * is a good outbound size). Allocates nothing. Returns 0, or -EINVAL (mb NULL or
 * max_static 0). */
GN_EXPORT int gn_mixbuf_init(gn_mixbuf_t *mb, size_t max_static);

/* Drops every buffered byte and frees all memory. The buffer stays usable (same
 * max_static and elastic setting). NULL is a no-op. */
GN_EXPORT void gn_mixbuf_release(gn_mixbuf_t *mb);

/* Drops every buffered byte, keeping memory (freed in elastic mode). NULL is a
 * no-op. */
GN_EXPORT void gn_mixbuf_reset(gn_mixbuf_t *mb);

/* Elastic mode on or off (off by default): when on, the buffer frees its memory
 * every time it drains, and at once if it is empty. NULL is a no-op. */
GN_EXPORT void gn_mixbuf_set_elastic(gn_mixbuf_t *mb, bool on);

/* Frees what memory an empty ring and the list's spare block hold; buffered
 * data is untouched. NULL is a no-op. */
GN_EXPORT void gn_mixbuf_shrink(gn_mixbuf_t *mb);

/* Appends a copy of n bytes from p: to the ring if the list is empty and the
 * ring stays within max_static, to the list otherwise. p must not point into
 * this buffer's ring (growth frees it before copying). Returns 0, -EINVAL (mb
 * NULL, p NULL with n > 0) or -ENOMEM (nothing appended). */
GN_EXPORT int gn_mixbuf_write(gn_mixbuf_t *mb, const void *p, size_t n);

/* Appends copies of the iovcnt buffers of iov, all or nothing, in one place (ring
 * or list, as gn_mixbuf_write decides for their total). As there, no iov_base
 * may point into this buffer's ring. Returns 0, -EINVAL (mb
 * NULL, iov NULL with iovcnt > 0, iovcnt < 0, iov_base NULL with iov_len > 0,
 * lengths that overflow) or -ENOMEM. */
GN_EXPORT int gn_mixbuf_writev(gn_mixbuf_t *mb, const struct iovec *iov, int iovcnt);

/* Fills up to iovcnt iovecs with the first min(n, buffered) bytes (n == SIZE_MAX:
 * all), ring first then list, without copying or consuming; when iovcnt is too
 * small the iovecs cover a shorter prefix of the stream, never a gap. Returns the
 * number filled (0 when empty, n == 0 or iovcnt == 0) or -EINVAL (mb NULL, iov
 * NULL with iovcnt > 0, iovcnt < 0). The pointers stay valid until the next call
 * that changes the buffer. */
GN_EXPORT int gn_mixbuf_peek(const gn_mixbuf_t *mb, size_t n, struct iovec *iov, int iovcnt);

/* Consumes up to n bytes. Returns the number discarded or -EINVAL (mb NULL). */
GN_EXPORT ssize_t gn_mixbuf_discard(gn_mixbuf_t *mb, size_t n);

/* Copies up to n bytes into p and consumes them. Returns the number copied or
 * -EINVAL (mb NULL, or p NULL with n > 0). */
GN_EXPORT ssize_t gn_mixbuf_read(gn_mixbuf_t *mb, void *p, size_t n);

/* Bytes buffered, ring and list together (0 for NULL). */
GN_EXPORT size_t gn_mixbuf_buffered(const gn_mixbuf_t *mb);
/* True when nothing is buffered (also for NULL). */
GN_EXPORT bool gn_mixbuf_empty(const gn_mixbuf_t *mb);

/* Writes buffered bytes to fd with one vectored write over ring and list (at
 * most 1024 iovecs) and consumes what was written; a partial write leaves the
 * rest buffered. Sockets are written with MSG_NOSIGNAL (-EPIPE rather than
 * SIGPIPE), other fds with writev. Retries on EINTR. Returns the number of bytes
 * written (0 when empty) or a negative errno (-EAGAIN passes through; -EINVAL
 * for mb NULL or fd < 0). */
GN_EXPORT ssize_t gn_mixbuf_write_fd(gn_mixbuf_t *mb, int fd);

/* Reads at most max bytes from fd and appends them: into the ring while the list
 * is empty and the ring is below max_static, into the list otherwise. Retries on
 * EINTR. Returns the number of bytes read, 0 at end of file or when max == 0, or
 * a negative errno (-EAGAIN passes through; -EINVAL for mb NULL or fd < 0;
 * -ENOMEM with nothing read). */
GN_EXPORT ssize_t gn_mixbuf_read_fd(gn_mixbuf_t *mb, int fd, size_t max);

#ifdef __cplusplus
}
#endif
#endif
