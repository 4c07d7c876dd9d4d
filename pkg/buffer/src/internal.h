/* Private helpers shared by the gnet-buffer sources. Not installed. */
#ifndef GNET_BUFFER_INTERNAL_H
#define GNET_BUFFER_INTERNAL_H

#include <stddef.h>
#include <sys/types.h>
#include <sys/uio.h>

/* The allocator set with gn_buffer_set_allocator (libc by default). */
void *gn__malloc(size_t size);
void *gn__realloc(void *ptr, size_t size);
void gn__free(void *ptr);

/* One vectored write: sendmsg(MSG_NOSIGNAL) for sockets, writev otherwise.
 * Retries EINTR. Returns bytes written or a negative errno. */
ssize_t gn__writev_fd(int fd, const struct iovec *iov, int iovcnt);

/* readv retrying EINTR. Returns bytes read, 0 at EOF, or a negative errno. */
ssize_t gn__readv_fd(int fd, const struct iovec *iov, int iovcnt);

/* Sums iov lengths into *total. Returns 0, or -EINVAL for a NULL array with
 * iovcnt > 0, a negative iovcnt, a NULL base with a length, or an overflow. */
int gn__iov_total(const struct iovec *iov, int iovcnt, size_t *total);

struct gn_listbuf;
/* Appends copies of the iovecs (total bytes, already validated, > 0), all or
 * nothing. Returns 0 or -ENOMEM. */
int gn__listbuf_append_iov(struct gn_listbuf *lb, const struct iovec *iov, size_t total);

struct gn_ringbuf;
/* gn_ringbuf_reserve, but a growth never makes the capacity larger than limit
 * (or than buffered + n, if that is larger). Returns 0 or -ENOMEM (nothing
 * changed). Lets a mixed buffer keep its ring's allocation within max_static. */
int gn__ringbuf_reserve_max(struct gn_ringbuf *rb, size_t n, size_t limit);
/* gn_ringbuf_read_fd, its growth kept within limit as above. */
ssize_t gn__ringbuf_read_fd_max(struct gn_ringbuf *rb, int fd, size_t max, size_t limit);

/* Largest number of iovecs the fd functions pass to one system call. */
#define GN__IOV_MAX 1024

#endif
