/* Socket creation: listen, dial, accept, dup and address queries. */
#include <gnet/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#if defined(__APPLE__) || defined(__FreeBSD__) || defined(__NetBSD__) || defined(__OpenBSD__) ||   \
    defined(__DragonFly__)
#include <sys/sysctl.h>
#endif

#include "internal.h"

/* Platforms whose accept4 takes SOCK_NONBLOCK | SOCK_CLOEXEC. */
#if defined(__linux__) || defined(__FreeBSD__) || defined(__NetBSD__) || defined(__OpenBSD__) ||   \
    defined(__DragonFly__)
#define GN_HAVE_ACCEPT4 1
#endif

int gn__fd_setflags(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
        return -errno;
    int fdfl = fcntl(fd, F_GETFD);
    if (fdfl < 0 || fcntl(fd, F_SETFD, fdfl | FD_CLOEXEC) < 0)
        return -errno;
    return 0;
}

/* SO_NOSIGPIPE exists where MSG_NOSIGNAL may not (macOS): setting it on every
 * socket keeps a write to a closed peer from killing the process. */
static int set_nosigpipe(int fd)
{
#ifdef SO_NOSIGPIPE
    int one = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one) < 0)
        return -errno;
#else
    (void)fd;
#endif
    return 0;
}

int gn__socket_open(int family, int socktype, int protocol)
{
#ifdef SOCK_NONBLOCK
    /* One call: no window in which a concurrent fork+exec leaks the fd. */
    int fd = socket(family, socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
    if (fd < 0)
        return -errno;
    int rc = 0;
#else
    int fd = socket(family, socktype, protocol);
    if (fd < 0)
        return -errno;
    int rc = gn__fd_setflags(fd);
#endif
    if (rc == 0)
        rc = set_nosigpipe(fd);
    if (rc != 0) {
        close(fd);
        return rc;
    }
    return fd;
}

/* The kernel caps the backlog at somaxconn anyway; asking for exactly that
 * gets the largest queue the administrator allows. */
static int listen_backlog(void)
{
    int n = 0;
#if defined(__linux__)
    FILE *f = fopen("/proc/sys/net/core/somaxconn", "re");
    if (f != NULL) {
        if (fscanf(f, "%d", &n) != 1)
            n = 0;
        fclose(f);
    }
#elif defined(__FreeBSD__) || defined(__APPLE__)
    size_t sz = sizeof n;
#ifdef __FreeBSD__
    if (sysctlbyname("kern.ipc.soacceptqueue", &n, &sz, NULL, 0) != 0)
#endif
        if (sysctlbyname("kern.ipc.somaxconn", &n, &sz, NULL, 0) != 0)
            n = 0;
#endif
    if (n <= 0)
        return SOMAXCONN;
    /* listen() takes an int, but kernels before Linux 5.4 kept it in 16 bits. */
    return n > 65535 ? 65535 : n;
}

/* A unix socket file from a server that died without unlinking it makes bind
 * fail with EADDRINUSE forever. Remove it only when it is a socket and a
 * connect is refused (nobody listens); a live server or any other kind of
 * file is left alone so bind reports EADDRINUSE. */
static void remove_stale_unix(const gn_addr_t *addr)
{
    const struct sockaddr_un *sun = (const struct sockaddr_un *)&addr->ss;
    size_t off = offsetof(struct sockaddr_un, sun_path);
    /* The path is the bytes within len: sun_path may be full with no NUL
     * (the kernel accepts that), so it is not read as a C string. */
    char path[sizeof sun->sun_path + 1];
    size_t n = addr->len > off ? addr->len - off : 0;
    if (n > sizeof sun->sun_path)
        n = sizeof sun->sun_path;
    memcpy(path, sun->sun_path, n);
    path[n] = '\0';
    struct stat st;
    if (path[0] == '\0' || lstat(path, &st) != 0 || !S_ISSOCK(st.st_mode))
        return;
    int probe = gn__socket_open(AF_UNIX, SOCK_STREAM, 0);
    if (probe < 0)
        return;
    if (connect(probe, (const struct sockaddr *)&addr->ss, addr->len) < 0 && errno == ECONNREFUSED)
        unlink(path);
    close(probe);
}

/* Steps after socket(): options, bind, listen. */
static int listen_on(int fd, const gn_addr_t *addr, const gn_socket_options_t *opts)
{
    gn_socket_options_t o = opts != NULL ? *opts : (gn_socket_options_t){0};
    /* Restarted servers must bind while old connections are in TIME_WAIT;
     * several UDP sockets may listen on one multicast group. */
    if (addr->socktype == SOCK_STREAM && addr->family != AF_UNIX)
        o.reuseaddr = true;
    if (addr->socktype == SOCK_DGRAM && gn__addr_is_multicast(addr))
        o.reuseaddr = true;
    int rc = gn__apply_options(fd, addr, &o, true);
    if (rc != 0)
        return rc;
    if (addr->family == AF_UNIX)
        remove_stale_unix(addr);
    if (bind(fd, (const struct sockaddr *)&addr->ss, addr->len) < 0)
        return -errno;
    if (addr->socktype == SOCK_STREAM && listen(fd, listen_backlog()) < 0)
        return -errno;
    if (addr->socktype == SOCK_DGRAM && gn__addr_is_multicast(addr))
        return gn_socket_join_multicast(fd, addr, o.multicast_ifindex);
    return 0;
}

/* The dual-stack wildcard as the IPv4 wildcard, for hosts without IPv6. */
static void v4_wildcard(const gn_addr_t *addr, gn_addr_t *v4)
{
    const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&addr->ss;
    struct sockaddr_in *sin = (struct sockaddr_in *)&v4->ss;
    *v4 = *addr;
    memset(&v4->ss, 0, sizeof v4->ss);
    sin->sin_family = AF_INET;
    sin->sin_port = sin6->sin6_port;
    sin->sin_addr.s_addr = htonl(INADDR_ANY);
    v4->family = AF_INET;
    v4->len = sizeof *sin;
}

static bool addr_valid(const gn_addr_t *addr)
{
    return addr != NULL && addr->network != GN_NET_NONE && addr->len > 0 &&
           addr->len <= sizeof addr->ss &&
           (addr->family == AF_INET || addr->family == AF_INET6 || addr->family == AF_UNIX);
}

int gn_socket_listen(const gn_addr_t *addr, const gn_socket_options_t *opts)
{
    if (!addr_valid(addr))
        return -EINVAL;
    gn_addr_t v4;
    int fd = gn__socket_open(addr->family, addr->socktype, addr->protocol);
    if (fd == -EAFNOSUPPORT && gn__addr_is_dual_wildcard(addr)) {
        v4_wildcard(addr, &v4);
        addr = &v4;
        fd = gn__socket_open(addr->family, addr->socktype, addr->protocol);
    }
    if (fd < 0)
        return fd;
    int rc = listen_on(fd, addr, opts);
    if (rc != 0) {
        close(fd);
        return rc;
    }
    return fd;
}

int gn_socket_dial(const gn_addr_t *addr, const gn_socket_options_t *opts)
{
    if (!addr_valid(addr))
        return -EINVAL;
    int fd = gn__socket_open(addr->family, addr->socktype, addr->protocol);
    if (fd < 0)
        return fd;
    int rc = gn__apply_options(fd, addr, opts, true);
    if (rc == 0 && opts != NULL && opts->multicast_ifindex != 0 && gn__addr_is_multicast(addr))
        rc = gn_socket_set_multicast_if(fd, addr->family, opts->multicast_ifindex);
    /* A non-blocking connect that was interrupted carries on in the
     * background (POSIX), exactly like EINPROGRESS. */
    if (rc == 0 && connect(fd, (const struct sockaddr *)&addr->ss, addr->len) < 0 &&
        errno != EINPROGRESS && errno != EINTR)
        rc = -errno;
    if (rc != 0) {
        close(fd);
        return rc;
    }
    return fd;
}

static int accept_nb(int lfd, struct sockaddr *sa, socklen_t *len)
{
#ifdef GN_HAVE_ACCEPT4
    return accept4(lfd, sa, len, SOCK_NONBLOCK | SOCK_CLOEXEC);
#else
    int fd = accept(lfd, sa, len);
    if (fd < 0)
        return fd;
    int rc = gn__fd_setflags(fd);
    if (rc == 0)
        rc = set_nosigpipe(fd);
    if (rc != 0) {
        close(fd);
        errno = -rc;
        return -1;
    }
    return fd;
#endif
}

int gn_socket_accept(int lfd, gn_addr_t *peer)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int fd;
    do {
        len = sizeof ss;
        fd = accept_nb(lfd, (struct sockaddr *)&ss, &len);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return errno == EWOULDBLOCK ? -EAGAIN : -errno;
    if (peer != NULL) {
        /* Unix peers are often unnamed: the kernel returns just the family
         * (or nothing at all on some systems). */
        if (len < sizeof(sa_family_t)) {
            memset(&ss, 0, sizeof ss);
            ss.ss_family = AF_UNIX;
            len = sizeof(sa_family_t);
        }
        if (gn_addr_from_sockaddr(peer, (struct sockaddr *)&ss, len, SOCK_STREAM) != 0)
            memset(peer, 0, sizeof *peer);
    }
    return fd;
}

int gn_socket_dup(int fd)
{
    int nfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    return nfd < 0 ? -errno : nfd;
}

int gn_socket_error(int fd)
{
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
        return -errno;
    return -err;
}

static int query_addr(int fd, gn_addr_t *out, bool peer)
{
    if (out == NULL)
        return -EINVAL;
    memset(out, 0, sizeof *out);
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    int socktype = 0;
    socklen_t tlen = sizeof socktype;
    memset(&ss, 0, sizeof ss);
    int rc = peer ? getpeername(fd, (struct sockaddr *)&ss, &len)
                  : getsockname(fd, (struct sockaddr *)&ss, &len);
    if (rc < 0 || getsockopt(fd, SOL_SOCKET, SO_TYPE, &socktype, &tlen) < 0)
        return -errno;
    if (len < sizeof(sa_family_t)) { /* unnamed unix socket on some systems */
        ss.ss_family = AF_UNIX;
        len = sizeof(sa_family_t);
    }
    return gn_addr_from_sockaddr(out, (struct sockaddr *)&ss, len, socktype);
}

int gn_socket_local_addr(int fd, gn_addr_t *out)
{
    return query_addr(fd, out, false);
}

int gn_socket_peer_addr(int fd, gn_addr_t *out)
{
    return query_addr(fd, out, true);
}
