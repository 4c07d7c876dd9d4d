/* gnet-socket: address parsing, listen/dial/accept for tcp, udp and unix
 * sockets, and socket options, as small functions on plain file descriptors.
 *
 * Thread rule: every function here is a plain function on an fd or on caller
 * memory. They keep no global state, so they are as thread-safe as the system
 * calls they make; gn_addr_parse and gn_addr_format are reentrant. Two threads
 * must of course not use the same gn_addr_t being written.
 *
 * Descriptors: every fd returned here is non-blocking and close-on-exec; the
 * caller owns it and closes it with close(2). On macOS SO_NOSIGPIPE is set on
 * every socket; on Linux pass GN_MSG_NOSIGNAL to send(2) so that a closed peer
 * never raises SIGPIPE.
 *
 * Errors: functions that can fail return a non-negative value on success and a
 * negative errno (-EINVAL, -EADDRINUSE, ...) or one of the GN_EADDR_* codes
 * below on failure; errno is never the error channel. gn_socket_strerror()
 * describes both kinds.
 */
#ifndef GNET_SOCKET_H
#define GNET_SOCKET_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#ifndef GN_EXPORT
#define GN_EXPORT __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* send(2) flag that suppresses SIGPIPE where the platform has one (Linux, the
 * BSDs); 0 where SO_NOSIGPIPE on the socket does the job (macOS). */
#ifdef MSG_NOSIGNAL
#define GN_MSG_NOSIGNAL MSG_NOSIGNAL
#else
#define GN_MSG_NOSIGNAL 0
#endif

/* ---- error codes (range -4100..-4199) ------------------------------------ */

#define GN_EADDR_EMPTY      (-4100) /* address string is empty */
#define GN_EADDR_NOSCHEME   (-4101) /* no "scheme://" prefix */
#define GN_EADDR_SCHEME     (-4102) /* scheme is not tcp/tcp4/tcp6/udp/udp4/udp6/unix */
#define GN_EADDR_NOHOSTPORT (-4103) /* tcp/udp address without host:port */
#define GN_EADDR_PATH       (-4104) /* path, query or fragment after host:port */
#define GN_EADDR_NOPATH     (-4105) /* unix address without a path */
#define GN_EADDR_UNIXPATH   (-4106) /* unix path longer than sun_path can hold */
#define GN_EADDR_PORT       (-4107) /* port is not a number in 0..65535 */
#define GN_EADDR_CTRL       (-4108) /* control character in the address */
#define GN_EADDR_HOSTPORT   (-4109) /* malformed host:port (colons, brackets) */
#define GN_EADDR_NOPORT     (-4110) /* host without ":port" */
#define GN_EADDR_HOST       (-4111) /* host is not an address and does not resolve */
#define GN_EADDR_FAMILY     (-4112) /* address family does not match the scheme */
#define GN_EADDR_ZONE       (-4113) /* unknown IPv6 zone (interface) */

/* Text for a GN_EADDR_* code or a negative errno (strerror text); a generic
 * text for anything else. The string is static: never free it. Thread-safe
 * (strerror's texts for known errnos are constant). */
GN_EXPORT const char *gn_socket_strerror(int err);

/* ---- addresses ----------------------------------------------------------- */

/* The scheme of an address URL (tcp://, tcp4://, ... unix://). */
typedef enum gn_network {
    GN_NET_NONE = 0, /* zeroed / invalid */
    GN_NET_TCP,      /* tcp: IPv4 or IPv6; the wildcard is dual-stack :: */
    GN_NET_TCP4,     /* tcp4: IPv4 only */
    GN_NET_TCP6,     /* IPv6 only (IPV6_V6ONLY on) */
    GN_NET_UDP,      /* udp: IPv4 or IPv6 */
    GN_NET_UDP4,     /* udp4: IPv4 only */
    GN_NET_UDP6,     /* udp6: IPv6 only */
    GN_NET_UNIX      /* stream unix-domain socket */
} gn_network_t;

/* A parsed socket address: everything socket(2), bind(2) and connect(2) need.
 * A plain value: copy it freely; it owns no memory. */
typedef struct gn_addr {
    gn_network_t network;       /* the URL's scheme */
    int family;                 /* AF_INET, AF_INET6 or AF_UNIX */
    int socktype;               /* SOCK_STREAM or SOCK_DGRAM */
    int protocol;               /* IPPROTO_TCP, IPPROTO_UDP or 0 (unix) */
    socklen_t len;              /* bytes of ss in use */
    struct sockaddr_storage ss; /* the address itself, len bytes of it */
} gn_addr_t;

/* Parses "scheme://address" into *out. Grammar (see README.md):
 *   tcp|tcp4|tcp6|udp|udp4|udp6 :// [host] : port
 *     host: IPv4 literal, [IPv6 literal] with optional %zone, or a name
 *     resolved with getaddrinfo (numeric literals never touch the resolver;
 *     for tcp/udp a name prefers its first IPv4 address, as Go does); an empty
 *     host means all addresses: dual-stack :: for tcp/udp, 0.0.0.0 for the 4
 *     forms, :: with IPV6_V6ONLY for the 6 forms.
 *   unix :// path   ("unix:///abs/path", "unix://rel.sock"; on Linux "@name"
 *     is an abstract socket).
 * The scheme is case-insensitive. On failure *out is zeroed.
 * Reentrant (may block in getaddrinfo for host names).
 * Returns 0, -EINVAL (NULL argument), a GN_EADDR_* code, or -ENOMEM/-EAGAIN
 * from the resolver. */
GN_EXPORT int gn_addr_parse(const char *url, gn_addr_t *out);

/* Writes the address without scheme into buf as a NUL-terminated string:
 * "127.0.0.1:9000", "[::1]:9000", "[fe80::1%eth0]:53", the unix path, "@name"
 * for an abstract socket, "" for an unnamed unix socket. Returns the length
 * (excluding the NUL), -EINVAL (NULL addr/buf or unknown family) or -ENOSPC
 * when buf is too small (buf then holds "" if len > 0). Reentrant. */
GN_EXPORT int gn_addr_format(const gn_addr_t *addr, char *buf, size_t len);

/* "tcp", "tcp4", ..., "unix"; "" for GN_NET_NONE or an unknown value. */
GN_EXPORT const char *gn_addr_network_name(gn_network_t network);

/* Fills *out from a sockaddr (from getsockname, recvfrom, accept...). The
 * network is the versioned form for IP (tcp4/tcp6, udp4/udp6) and unix.
 * Returns 0 or -EINVAL (NULL, len too large, unsupported family or socktype). */
GN_EXPORT int gn_addr_from_sockaddr(gn_addr_t *out, const struct sockaddr *sa, socklen_t len,
                                    int socktype);

/* ---- options ------------------------------------------------------------- */

/* Whether an IPv6 socket also accepts IPv4 (IPV6_V6ONLY). */
typedef enum gn_v6only {
    GN_V6ONLY_DEFAULT = 0, /* on for tcp6/udp6, off for tcp/udp */
    GN_V6ONLY_ON,          /* IPv6 only */
    GN_V6ONLY_OFF          /* dual-stack */
} gn_v6only_t;

/* Options applied by gn_socket_listen / gn_socket_dial. A zeroed struct (or a
 * NULL pointer) keeps the kernel's defaults, except that TCP listeners always
 * get SO_REUSEADDR (as in Go and libuv) so a restarted server can bind while
 * old connections sit in TIME_WAIT. Options that do not apply to the socket
 * (nodelay, keepalive or reuseport on a unix socket, ipv6only on IPv4) are
 * skipped silently.
 *
 * Order of application (before bind/connect unless noted):
 *   1 ipv6only   2 reuseaddr   3 reuseport   4 bind_device
 *   5 recv_buffer   6 send_buffer   7 linger   8 nodelay   9 keepalive
 *   10 multicast (UDP group address only): listen joins the group after
 *      bind; dial sets the outgoing interface before connect.
 * The first failure closes the socket and is returned. */
typedef struct gn_socket_options {
    gn_v6only_t ipv6only;       /* IPV6_V6ONLY, see gn_v6only_t */
    bool reuseaddr;             /* SO_REUSEADDR (always on for TCP listeners) */
    bool reuseport;             /* SO_REUSEPORT (SO_REUSEPORT_LB on FreeBSD) */
    const char *bind_device;    /* SO_BINDTODEVICE; NULL = none; read during the call only */
    int recv_buffer;            /* SO_RCVBUF bytes; 0 = kernel default */
    int send_buffer;            /* SO_SNDBUF bytes; 0 = kernel default */
    bool linger;                /* set SO_LINGER to linger_s (0 = reset on close; < 0 -> -EINVAL) */
    int linger_s;               /* SO_LINGER seconds, when linger is set */
    bool nodelay;               /* TCP_NODELAY */
    bool keepalive;             /* SO_KEEPALIVE, with the three settings below */
    int keepalive_idle_s;       /* 0 = kernel default */
    int keepalive_intvl_s;      /* 0 = kernel default */
    int keepalive_cnt;          /* 0 = kernel default */
    unsigned multicast_ifindex; /* interface for multicast; 0 = kernel's choice */
} gn_socket_options_t;

/* Applies the options in the order above to an open socket whose address is
 * addr (its family and socktype decide what applies), e.g. to an accepted fd
 * (accepted sockets do not portably inherit a listener's options). Does not
 * close fd on failure. The multicast step is not applied here, nor is the
 * network's IPV6_V6ONLY default (Linux refuses IPV6_V6ONLY on a bound
 * socket): ipv6only is set only when opts asks for ON or OFF. Returns 0,
 * -EINVAL or the first -errno from setsockopt. */
GN_EXPORT int gn_socket_apply_options(int fd, const gn_addr_t *addr,
                                      const gn_socket_options_t *opts);

/* ---- sockets ------------------------------------------------------------- */

/* Creates a socket bound to addr: TCP and unix sockets listen with the
 * kernel's somaxconn as backlog (Linux: /proc/sys/net/core/somaxconn, falling
 * back to SOMAXCONN); UDP sockets are bound (and join addr's group if it is a
 * multicast address). A unix socket file left by a dead server (a socket that
 * refuses connections) is removed first; a live one or a non-socket file is
 * left alone and the call fails with -EADDRINUSE (the probe is a connect, so a
 * live server sees one connection that closes at once; the check and the
 * unlink are not atomic against a server starting in between). A dual-stack
 * wildcard on a host without IPv6 falls back to 0.0.0.0. opts may be NULL.
 * Returns the fd, -EINVAL (NULL addr, GN_NET_NONE), or the -errno of the
 * failing step (the fd is closed). */
GN_EXPORT int gn_socket_listen(const gn_addr_t *addr, const gn_socket_options_t *opts);

/* Creates a socket and starts a non-blocking connect to addr. Returns the fd
 * as soon as the connect is under way (EINPROGRESS counts as success): wait
 * for writability, then gn_socket_error() tells the outcome. UDP sockets are
 * connected (send/recv without an address). opts may be NULL. Returns the fd,
 * -EINVAL, or the -errno of the failing step (the fd is closed). */
GN_EXPORT int gn_socket_dial(const gn_addr_t *addr, const gn_socket_options_t *opts);

/* Accepts one connection on listening fd lfd (accept4 with SOCK_NONBLOCK |
 * SOCK_CLOEXEC; accept + fcntl on macOS), retrying on EINTR. If peer is not
 * NULL it receives the peer's address. Returns the fd, -EAGAIN when no
 * connection is pending, or another -errno (-ECONNABORTED, -EMFILE...). */
GN_EXPORT int gn_socket_accept(int lfd, gn_addr_t *peer);

/* Duplicates fd with close-on-exec set (F_DUPFD_CLOEXEC); the new fd shares
 * the open file (and its non-blocking flag). Returns the new fd or -errno. */
GN_EXPORT int gn_socket_dup(int fd);

/* Pending socket error (SO_ERROR), cleared by the read: 0 once a non-blocking
 * connect succeeded, -ECONNREFUSED etc. when it failed, or -errno of
 * getsockopt itself. */
GN_EXPORT int gn_socket_error(int fd);

/* The socket's own / its peer's address (getsockname / getpeername). The
 * network is derived from the family and socket type (tcp4, tcp6, udp4,
 * udp6, unix). Returns 0, -EINVAL (NULL out) or -errno (-ENOTCONN...). */
GN_EXPORT int gn_socket_local_addr(int fd, gn_addr_t *out);
GN_EXPORT int gn_socket_peer_addr(int fd, gn_addr_t *out);

/* ---- one call per option: each returns 0 or -errno ----------------------- */

/* TCP_NODELAY on or off. */
GN_EXPORT int gn_socket_set_nodelay(int fd, bool on);

/* SO_KEEPALIVE on or off; when on, the idle time before the first probe, the
 * interval between probes (seconds) and the probe count are set when > 0 and
 * left at the kernel's default when 0. Values are checked before anything is
 * changed: negative, or above the kernel's limits (idle/interval 32767 s,
 * count 127) -> -EINVAL. */
GN_EXPORT int gn_socket_set_keepalive(int fd, bool on, int idle_s, int intvl_s, int cnt);

/* SO_RCVBUF / SO_SNDBUF in bytes (Linux reports twice the value back).
 * bytes <= 0 -> -EINVAL. */
GN_EXPORT int gn_socket_set_recv_buffer(int fd, int bytes);
GN_EXPORT int gn_socket_set_send_buffer(int fd, int bytes);

/* SO_LINGER: sec < 0 turns lingering off (close returns at once, data is
 * still sent in the background); sec >= 0 makes close wait up to sec seconds
 * (0: reset the connection on close, discarding unsent data). */
GN_EXPORT int gn_socket_set_linger(int fd, int sec);

/* SO_REUSEADDR; SO_REUSEPORT (load-balancing SO_REUSEPORT_LB on FreeBSD, so
 * that several listeners share a port as on Linux). Set before bind. */
GN_EXPORT int gn_socket_set_reuseaddr(int fd, bool on);
GN_EXPORT int gn_socket_set_reuseport(int fd, bool on);

/* IPV6_V6ONLY on an AF_INET6 socket; set before bind. */
GN_EXPORT int gn_socket_set_ipv6only(int fd, bool on);

/* SO_BINDTODEVICE (Linux): only packets of interface ifname; NULL or "" unbinds.
 * -ENOTSUP elsewhere, -ENAMETOOLONG for a name longer than IFNAMSIZ - 1. */
GN_EXPORT int gn_socket_bind_device(int fd, const char *ifname);

/* Joins / leaves multicast group (an IPv4 or IPv6 multicast address; the port
 * is ignored) on interface ifindex (0 = the IPv6 group's zone if it has one,
 * else the kernel's choice, which for IPv6 usually fails: give an index).
 * Returns 0, -EINVAL (NULL, not a multicast address, len larger than the
 * storage) or -errno. */
GN_EXPORT int gn_socket_join_multicast(int fd, const gn_addr_t *group, unsigned ifindex);
GN_EXPORT int gn_socket_leave_multicast(int fd, const gn_addr_t *group, unsigned ifindex);

/* Outgoing interface for multicast (IP_MULTICAST_IF / IPV6_MULTICAST_IF) and
 * whether own multicast packets loop back (IP(V6)_MULTICAST_LOOP), for a
 * socket of family AF_INET or AF_INET6. -EINVAL for another family. */
GN_EXPORT int gn_socket_set_multicast_if(int fd, int family, unsigned ifindex);
GN_EXPORT int gn_socket_set_multicast_loop(int fd, int family, bool on);

#ifdef __cplusplus
}
#endif
#endif
