/* System-call helpers for the *_read_fd / *_write_fd functions. */
#include "internal.h"

#include <errno.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>

ssize_t gn__writev_fd(int fd, const struct iovec *iov, int iovcnt)
{
    /* sendmsg first so that a socket whose peer is gone reports EPIPE instead of
     * raising SIGPIPE (the library must never kill the process); fds that are not
     * sockets fall back to writev. */
    struct msghdr msg = {0};
    msg.msg_iov = (struct iovec *)(uintptr_t)iov;
    msg.msg_iovlen = (size_t)iovcnt;
    for (;;) {
        ssize_t n = sendmsg(fd, &msg, MSG_NOSIGNAL);
        if (n >= 0)
            return n;
        if (errno == EINTR)
            continue;
        if (errno != ENOTSOCK)
            return -errno;
        break;
    }
    for (;;) {
        ssize_t n = writev(fd, iov, iovcnt);
        if (n >= 0)
            return n;
        if (errno != EINTR)
            return -errno;
    }
}

ssize_t gn__readv_fd(int fd, const struct iovec *iov, int iovcnt)
{
    for (;;) {
        ssize_t n = readv(fd, iov, iovcnt);
        if (n >= 0)
            return n;
        if (errno != EINTR)
            return -errno;
    }
}

int gn__iov_total(const struct iovec *iov, int iovcnt, size_t *total)
{
    size_t sum = 0;
    if (iovcnt < 0 || (iov == NULL && iovcnt > 0))
        return -EINVAL;
    for (int i = 0; i < iovcnt; i++) {
        if (iov[i].iov_base == NULL && iov[i].iov_len > 0)
            return -EINVAL;
        if (iov[i].iov_len > SIZE_MAX - sum)
            return -EINVAL;
        sum += iov[i].iov_len;
    }
    *total = sum;
    return 0;
}
