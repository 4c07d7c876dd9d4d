/* gnet-buffer: gn_listbuf_t, a FIFO of bytes kept as a linked list of blocks.
 *
 * For large or scattered output: data never moves once buffered (no growth
 * copies), caller-owned blocks can be queued without copying
 * (gn_listbuf_append_ref), and gn_listbuf_peek hands the blocks out as iovecs
 * ready for writev.
 *
 * Blocks: copied data goes into blocks of at least GN_LISTBUF_BLOCK bytes; a
 * push_back first fills the room left in the last copied block, so many small
 * writes share blocks. One emptied block (of at most GN_LISTBUF_SPARE_MAX bytes)
 * is kept as a spare so that a steady write/consume cycle does not call malloc;
 * gn_listbuf_shrink or gn_listbuf_release frees it.
 *
 * Thread rule: a list buffer is a single-threaded object; nothing here is
 * thread-safe. Distinct buffers may be used on distinct threads.
 *
 * Errors: functions that can fail return 0 or a non-negative count, or a negative
 * errno: -EINVAL for bad arguments, -ENOMEM when memory runs out (the buffer is
 * left exactly as it was), -errno from the kernel for the fd functions.
 * Zero-length operations are no-ops and never allocate.
 *
 * Memory comes from the allocator set with gn_buffer_set_allocator().
 */
#ifndef GNET_LISTBUF_H
#define GNET_LISTBUF_H

#include <gnet/buffer.h>

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/uio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Smallest data size of a block holding copied bytes. */
#define GN_LISTBUF_BLOCK 4096
/* Largest emptied block kept as a spare. */
#define GN_LISTBUF_SPARE_MAX 65536

/* Called once for a block given with gn_listbuf_append_ref, with the pointer and
 * udata given there, when its last byte is consumed or the buffer is reset or
 * released. It runs inside the consuming call (discard, read, write_fd, reset,
 * release) and must not use that list buffer. */
typedef void (*gn_listbuf_free_fn)(void *p, void *udata);

struct gn__lbnode;

/* Public so it can be embedded; every field is private. A zeroed struct
 * (GN_LISTBUF_INIT) is a valid empty buffer, as after gn_listbuf_init(). */
typedef struct gn_listbuf {
    struct gn__lbnode *head;  /* private: first block */
    struct gn__lbnode *tail;  /* private: last block */
    struct gn__lbnode *spare; /* private: one emptied block kept for reuse */
    size_t bytes;             /* private: bytes buffered */
    size_t nodes;             /* private: blocks in the list */
} gn_listbuf_t;

/* Static initialiser: an empty buffer, the same as after gn_listbuf_init(). */
#define GN_LISTBUF_INIT                                                                            \
    {                                                                                              \
        0                                                                                          \
    }

/* Initialises an empty buffer; allocates nothing. Returns 0 or -EINVAL. */
GN_EXPORT int gn_listbuf_init(gn_listbuf_t *lb);

/* Drops every buffered byte (calling the free_fn of referenced blocks) and frees
 * all memory, spare included. The buffer stays usable. NULL is a no-op. */
GN_EXPORT void gn_listbuf_release(gn_listbuf_t *lb);

/* Drops every buffered byte (calling the free_fn of referenced blocks), keeping
 * one block as a spare. NULL is a no-op. */
GN_EXPORT void gn_listbuf_reset(gn_listbuf_t *lb);

/* Frees the spare block, if any. Buffered data is untouched. NULL is a no-op. */
GN_EXPORT void gn_listbuf_shrink(gn_listbuf_t *lb);

/* Appends a copy of n bytes from p. Returns 0, -EINVAL (lb NULL, or p NULL with
 * n > 0) or -ENOMEM (nothing appended). */
GN_EXPORT int gn_listbuf_push_back(gn_listbuf_t *lb, const void *p, size_t n);

/* Appends copies of the iovcnt buffers of iov, all or nothing. Returns 0,
 * -EINVAL (lb NULL, iov NULL with iovcnt > 0, iovcnt < 0, an iov_base NULL with
 * iov_len > 0, lengths that overflow) or -ENOMEM. */
GN_EXPORT int gn_listbuf_writev(gn_listbuf_t *lb, const struct iovec *iov, int iovcnt);

/* Prepends a copy of n bytes from p, so they are consumed first. Returns 0,
 * -EINVAL or -ENOMEM (nothing changed). */
GN_EXPORT int gn_listbuf_push_front(gn_listbuf_t *lb, const void *p, size_t n);

/* Appends the caller's block p[0..n) without copying. On success the buffer owns
 * the block: the caller must not change it, and free_fn(p, udata) is called once
 * when its last byte is consumed or the buffer is reset or released (free_fn may
 * be NULL for memory that needs no freeing). n == 0 appends nothing and calls
 * free_fn at once. On failure free_fn is not called and the caller keeps the
 * block. Returns 0, -EINVAL (lb NULL, or p NULL with n > 0) or -ENOMEM. */
GN_EXPORT int gn_listbuf_append_ref(gn_listbuf_t *lb, const void *p, size_t n,
                                    gn_listbuf_free_fn free_fn, void *udata);

/* Fills up to iovcnt iovecs with the first buffered bytes, at most max_bytes in
 * total (SIZE_MAX: no limit), without copying or consuming. Returns the number
 * of iovecs filled (0 when empty, max_bytes == 0 or iovcnt == 0), or -EINVAL
 * (lb NULL, iov NULL with iovcnt > 0, iovcnt < 0). The pointers stay valid until
 * the next call that consumes or drops data (discard, read, write_fd, reset,
 * release); appending keeps them valid. */
GN_EXPORT int gn_listbuf_peek(const gn_listbuf_t *lb, size_t max_bytes, struct iovec *iov,
                              int iovcnt);

/* Consumes up to n bytes. Returns the number discarded, or -EINVAL (lb NULL). */
GN_EXPORT ssize_t gn_listbuf_discard(gn_listbuf_t *lb, size_t n);

/* Copies up to n bytes into p and consumes them. Returns the number copied, or
 * -EINVAL (lb NULL, or p NULL with n > 0). */
GN_EXPORT ssize_t gn_listbuf_read(gn_listbuf_t *lb, void *p, size_t n);

/* Bytes buffered (0 for NULL). */
GN_EXPORT size_t gn_listbuf_buffered(const gn_listbuf_t *lb);
/* Blocks holding buffered bytes (the spare is not counted; 0 for NULL). */
GN_EXPORT size_t gn_listbuf_nodes(const gn_listbuf_t *lb);
/* True when nothing is buffered (also for NULL). */
GN_EXPORT bool gn_listbuf_empty(const gn_listbuf_t *lb);

/* Writes buffered bytes to fd with one vectored write of at most 1024 iovecs
 * (IOV_MAX on Linux) and consumes what was written; call again for the rest.
 * Sockets are written with MSG_NOSIGNAL (-EPIPE rather than SIGPIPE), other fds
 * with writev. Retries on EINTR. Returns the number of bytes written (0 when
 * empty) or a negative errno (-EAGAIN passes through; -EINVAL for lb NULL or
 * fd < 0). */
GN_EXPORT ssize_t gn_listbuf_write_fd(gn_listbuf_t *lb, int fd);

/* Reads at most max bytes from fd into the room of the last block, or into a new
 * block of GN_LISTBUF_BLOCK bytes when there is none. Retries on EINTR. Returns
 * the number of bytes read, 0 at end of file or when max == 0, or a negative
 * errno (-EAGAIN passes through; -EINVAL for lb NULL or fd < 0; -ENOMEM with
 * nothing read). */
GN_EXPORT ssize_t gn_listbuf_read_fd(gn_listbuf_t *lb, int fd, size_t max);

#ifdef __cplusplus
}
#endif
#endif
