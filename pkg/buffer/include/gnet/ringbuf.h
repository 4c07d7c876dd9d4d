/* gnet-buffer: gn_ringbuf_t, an auto-growing byte ring.
 *
 * A ring holds a FIFO of bytes in one contiguous allocation. Writes append at the
 * tail and grow the allocation when needed; reads, peeks and discards consume at
 * the head. When the ring is drained its positions go back to 0, so the next
 * write lands contiguously. It is meant for inbound data: bytes a parser could not
 * consume yet, read straight from a socket with gn_ringbuf_read_fd().
 *
 * Growth policy (as gnet's elastic ring): the first allocation is 1 KiB, or the
 * next power of two when the first write is larger; below 4 KiB the capacity
 * doubles; from 4 KiB on it grows in x1.25 steps; it is never smaller than what
 * the write needs (a write larger than twice the capacity gets exactly what it
 * needs). Examples: 64 + 4 bytes -> 128; empty + 1025 -> 2048; 1024 + 1536 ->
 * 2048; 4096 full + 2049 -> 6400. The ring never shrinks on its own, except in
 * elastic mode (gn_ringbuf_set_elastic), where it frees its memory whenever it
 * drains, so that idle owners hold none.
 *
 * Thread rule: a ring is a single-threaded object; nothing here is thread-safe.
 * Distinct rings may be used on distinct threads.
 *
 * Errors: functions that can fail return 0 or a non-negative count, or a negative
 * errno: -EINVAL for bad arguments (NULL where a pointer is needed), -ENOMEM when
 * memory runs out (the ring is left exactly as it was), -errno from the kernel
 * for the fd functions. Zero-length operations are no-ops and never allocate.
 *
 * Memory comes from the allocator set with gn_buffer_set_allocator().
 */
#ifndef GNET_RINGBUF_H
#define GNET_RINGBUF_H

#include <gnet/buffer.h>

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/uio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Capacity of the first allocation. */
#define GN_RINGBUF_DEFAULT_CAP 1024
/* Below this capacity the ring doubles; from it on it grows by 1.25. */
#define GN_RINGBUF_GROW_THRESHOLD 4096
/* gn_ringbuf_read_fd() makes at least this much room (or max, if smaller). */
#define GN_RINGBUF_MIN_READ 512

/* Public so it can be embedded (no extra allocation); every field is private:
 * use the functions below. A zeroed struct (GN_RINGBUF_INIT) is a valid empty
 * ring, the same as after gn_ringbuf_init(). */
typedef struct gn_ringbuf {
    unsigned char *buf; /* private: the allocation, NULL until the first write */
    size_t cap;         /* private: size of buf */
    size_t r;           /* private: offset of the first buffered byte */
    size_t len;         /* private: number of buffered bytes */
    unsigned flags;     /* private: GN__RINGBUF_ELASTIC */
} gn_ringbuf_t;

/* Static initialiser: an empty ring that allocates nothing yet. */
#define GN_RINGBUF_INIT                                                                            \
    {                                                                                              \
        0                                                                                          \
    }

/* Initialises an empty ring. Allocates nothing (the first write does).
 * Returns 0, or -EINVAL when rb is NULL. */
GN_EXPORT int gn_ringbuf_init(gn_ringbuf_t *rb);

/* Initialises an empty ring and allocates exactly cap bytes now (cap 0 allocates
 * nothing); later growth follows the policy above from that capacity. Returns 0,
 * -EINVAL (rb NULL) or -ENOMEM (rb is then a valid empty ring). */
GN_EXPORT int gn_ringbuf_init_cap(gn_ringbuf_t *rb, size_t cap);

/* Drops the buffered bytes and frees the memory. The ring stays usable (it is
 * as after gn_ringbuf_init, keeping its elastic setting); release it before
 * discarding the struct. NULL is a no-op. */
GN_EXPORT void gn_ringbuf_release(gn_ringbuf_t *rb);

/* Drops the buffered bytes but keeps the memory; positions go back to 0. In
 * elastic mode the memory is freed as on any drain. NULL is a no-op. */
GN_EXPORT void gn_ringbuf_reset(gn_ringbuf_t *rb);

/* Elastic mode on (true) or off (false, the default). In elastic mode the ring
 * frees its memory every time it becomes empty (read, discard, write_fd, reset),
 * so an idle owner holds none; the next write allocates again. Turning it on
 * frees the memory of an empty ring at once. NULL is a no-op. */
GN_EXPORT void gn_ringbuf_set_elastic(gn_ringbuf_t *rb, bool on);

/* Frees the memory if the ring is empty; does nothing otherwise. Lets an owner
 * give memory back at a moment of its choosing without elastic mode. NULL is a
 * no-op. */
GN_EXPORT void gn_ringbuf_shrink(gn_ringbuf_t *rb);

/* Appends n bytes from p, growing the ring if needed. p must not point into
 * this ring's own memory (growth frees it before copying). Returns 0, -EINVAL
 * (rb NULL, or p NULL with n > 0) or -ENOMEM (nothing written). */
GN_EXPORT int gn_ringbuf_write(gn_ringbuf_t *rb, const void *p, size_t n);

/* Appends the iovcnt buffers of iov in order, all or nothing (one growth at
 * most). As for gn_ringbuf_write, no iov_base may point into this ring's own
 * memory. Returns 0, -EINVAL (rb NULL, iov NULL with iovcnt > 0, iovcnt < 0, an
 * iov_base NULL with iov_len > 0, lengths that overflow) or -ENOMEM. */
GN_EXPORT int gn_ringbuf_writev(gn_ringbuf_t *rb, const struct iovec *iov, int iovcnt);

/* Makes room for at least n more bytes without writing any (growing by the
 * policy). Returns 0, -EINVAL or -ENOMEM (nothing changed). */
GN_EXPORT int gn_ringbuf_reserve(gn_ringbuf_t *rb, size_t n);

/* Copies up to n buffered bytes into p and consumes them. Returns the number of
 * bytes copied (0 when empty or n == 0) or -EINVAL (rb NULL, p NULL with n > 0). */
GN_EXPORT ssize_t gn_ringbuf_read(gn_ringbuf_t *rb, void *p, size_t n);

/* Points iov[0] and iov[1] at the first min(n, buffered) bytes without copying or
 * consuming them; n == SIZE_MAX means all. Returns the number of iovecs filled:
 * 0 (nothing buffered or n == 0), 1, or 2 when the bytes wrap around the end of
 * the allocation; unused entries are set to {NULL, 0}. -EINVAL when rb or iov is
 * NULL. The pointers stay valid until the next call that changes the ring
 * (write, writev, reserve, read_fd, read, discard, reset, release, shrink). */
GN_EXPORT int gn_ringbuf_peek(const gn_ringbuf_t *rb, size_t n, struct iovec iov[2]);

/* Consumes up to n bytes without copying them. Returns the number discarded or
 * -EINVAL (rb NULL). */
GN_EXPORT ssize_t gn_ringbuf_discard(gn_ringbuf_t *rb, size_t n);

/* Zero-copy filling: points iov at the free space after the buffered bytes
 * (2 entries when it wraps) and returns how many were filled (0 when the ring is
 * full or unallocated; call gn_ringbuf_reserve first). Write into them, then call
 * gn_ringbuf_commit with the number of bytes written. -EINVAL when rb or iov is
 * NULL. Valid until the next call that changes the ring. */
GN_EXPORT int gn_ringbuf_space(const gn_ringbuf_t *rb, struct iovec iov[2]);

/* Marks n bytes of the space returned by gn_ringbuf_space as buffered. Returns 0,
 * or -EINVAL (rb NULL or n larger than gn_ringbuf_available). */
GN_EXPORT int gn_ringbuf_commit(gn_ringbuf_t *rb, size_t n);

/* Bytes buffered (0 for NULL). */
GN_EXPORT size_t gn_ringbuf_buffered(const gn_ringbuf_t *rb);
/* Free bytes before the ring must grow: cap - buffered (0 for NULL). */
GN_EXPORT size_t gn_ringbuf_available(const gn_ringbuf_t *rb);
/* Size of the allocation (0 when none, or for NULL). */
GN_EXPORT size_t gn_ringbuf_cap(const gn_ringbuf_t *rb);
/* True when nothing is buffered (also for NULL). */
GN_EXPORT bool gn_ringbuf_empty(const gn_ringbuf_t *rb);

/* Reads at most max bytes from fd straight into the free space with one readv,
 * first growing the ring so that at least min(max, GN_RINGBUF_MIN_READ) bytes are
 * free. Retries on EINTR. Returns the number of bytes read, 0 at end of file or
 * when max == 0, or a negative errno: -EAGAIN (non-blocking fd with nothing to
 * read) and other kernel errors pass through; -EINVAL (rb NULL, fd < 0),
 * -ENOMEM (nothing read). */
GN_EXPORT ssize_t gn_ringbuf_read_fd(gn_ringbuf_t *rb, int fd, size_t max);

/* Writes the buffered bytes to fd with one vectored write and consumes what was
 * written (a partial write leaves the rest buffered). Sockets are written with
 * MSG_NOSIGNAL so a closed peer gives -EPIPE rather than SIGPIPE; other fds with
 * writev. Retries on EINTR. Returns the number of bytes written (0 when empty) or
 * a negative errno (-EAGAIN passes through; -EINVAL for rb NULL or fd < 0). */
GN_EXPORT ssize_t gn_ringbuf_write_fd(gn_ringbuf_t *rb, int fd);

#ifdef __cplusplus
}
#endif
#endif
