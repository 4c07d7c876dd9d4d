/* Private helpers shared by the socket library's source files. */
#ifndef GN_SOCKET_INTERNAL_H
#define GN_SOCKET_INTERNAL_H

#include <gnet/socket.h>

/* Opens a non-blocking, close-on-exec socket (SO_NOSIGPIPE where it exists).
 * Returns the fd or -errno. */
int gn__socket_open(int family, int socktype, int protocol);

/* Marks an fd non-blocking and close-on-exec, for platforms without
 * SOCK_NONBLOCK/SOCK_CLOEXEC or accept4. Returns 0 or -errno. */
int gn__fd_setflags(int fd);

/* True when addr is an IPv4 or IPv6 multicast address. */
bool gn__addr_is_multicast(const gn_addr_t *addr);

/* True when addr is the dual-stack wildcard "::" of an unversioned network. */
bool gn__addr_is_dual_wildcard(const gn_addr_t *addr);

/* gn_socket_apply_options; fresh: the socket is new and unbound, so the
 * IPV6_V6ONLY default of the network is set too. */
int gn__apply_options(int fd, const gn_addr_t *addr, const gn_socket_options_t *opts, bool fresh);

#endif
