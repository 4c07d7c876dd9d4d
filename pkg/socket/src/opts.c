/* Socket options: one call per option, and the options struct applied in its
 * documented order. */
#include <gnet/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>

#include "internal.h"

/* Kernel limits (Linux MAX_TCP_KEEPIDLE/KEEPINTVL/KEEPCNT); checked up front
 * so an invalid call changes nothing instead of failing half-way. */
#define KEEPALIVE_MAX_SECS 32767
#define KEEPALIVE_MAX_CNT  127

static int setopt(int fd, int level, int name, const void *val, socklen_t len)
{
    return setsockopt(fd, level, name, val, len) < 0 ? -errno : 0;
}

static int setint(int fd, int level, int name, int v)
{
    return setopt(fd, level, name, &v, sizeof v);
}

int gn_socket_set_nodelay(int fd, bool on)
{
    return setint(fd, IPPROTO_TCP, TCP_NODELAY, on);
}

static int set_keepalive_timers(int fd, int idle_s, int intvl_s, int cnt)
{
    int rc = 0;
#if defined(TCP_KEEPIDLE)
    if (idle_s > 0)
        rc = setint(fd, IPPROTO_TCP, TCP_KEEPIDLE, idle_s);
#elif defined(TCP_KEEPALIVE) /* macOS names the idle time TCP_KEEPALIVE */
    if (idle_s > 0)
        rc = setint(fd, IPPROTO_TCP, TCP_KEEPALIVE, idle_s);
#else
    if (idle_s > 0)
        rc = -ENOTSUP;
#endif
#ifdef TCP_KEEPINTVL
    if (rc == 0 && intvl_s > 0)
        rc = setint(fd, IPPROTO_TCP, TCP_KEEPINTVL, intvl_s);
#else
    if (rc == 0 && intvl_s > 0)
        rc = -ENOTSUP;
#endif
#ifdef TCP_KEEPCNT
    if (rc == 0 && cnt > 0)
        rc = setint(fd, IPPROTO_TCP, TCP_KEEPCNT, cnt);
#else
    if (rc == 0 && cnt > 0)
        rc = -ENOTSUP;
#endif
    return rc;
}

int gn_socket_set_keepalive(int fd, bool on, int idle_s, int intvl_s, int cnt)
{
    if (idle_s < 0 || intvl_s < 0 || cnt < 0 || idle_s > KEEPALIVE_MAX_SECS ||
        intvl_s > KEEPALIVE_MAX_SECS || cnt > KEEPALIVE_MAX_CNT)
        return -EINVAL;
    /* Timers first: if one is refused, keepalive is not left half-enabled. */
    int rc = on ? set_keepalive_timers(fd, idle_s, intvl_s, cnt) : 0;
    return rc != 0 ? rc : setint(fd, SOL_SOCKET, SO_KEEPALIVE, on);
}

int gn_socket_set_recv_buffer(int fd, int bytes)
{
    return bytes <= 0 ? -EINVAL : setint(fd, SOL_SOCKET, SO_RCVBUF, bytes);
}

int gn_socket_set_send_buffer(int fd, int bytes)
{
    return bytes <= 0 ? -EINVAL : setint(fd, SOL_SOCKET, SO_SNDBUF, bytes);
}

int gn_socket_set_linger(int fd, int sec)
{
    struct linger l = {.l_onoff = sec >= 0, .l_linger = sec >= 0 ? sec : 0};
    return setopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
}

int gn_socket_set_reuseaddr(int fd, bool on)
{
    return setint(fd, SOL_SOCKET, SO_REUSEADDR, on);
}

int gn_socket_set_reuseport(int fd, bool on)
{
#if defined(SO_REUSEPORT_LB)
    /* FreeBSD's plain SO_REUSEPORT does not spread connections: the last
     * listener gets them all. _LB balances like Linux. */
    return setint(fd, SOL_SOCKET, SO_REUSEPORT_LB, on);
#elif defined(SO_REUSEPORT)
    return setint(fd, SOL_SOCKET, SO_REUSEPORT, on);
#else
    (void)fd;
    (void)on;
    return -ENOTSUP;
#endif
}

int gn_socket_set_ipv6only(int fd, bool on)
{
    return setint(fd, IPPROTO_IPV6, IPV6_V6ONLY, on);
}

int gn_socket_bind_device(int fd, const char *ifname)
{
#ifdef SO_BINDTODEVICE
    size_t n = ifname != NULL ? strlen(ifname) : 0;
    if (n >= IFNAMSIZ)
        return -ENAMETOOLONG;
    return setopt(fd, SOL_SOCKET, SO_BINDTODEVICE, n > 0 ? ifname : "", (socklen_t)n);
#else
    (void)fd;
    (void)ifname;
    return -ENOTSUP;
#endif
}

/* ---- the options struct --------------------------------------------------- */

static bool v6only_for(const gn_addr_t *addr, gn_v6only_t v)
{
    if (v == GN_V6ONLY_ON)
        return true;
    if (v == GN_V6ONLY_OFF)
        return false;
    return addr->network == GN_NET_TCP6 || addr->network == GN_NET_UDP6;
}

/* Steps 1-4: those that must precede bind. fresh: the socket is not bound
 * yet, so IPV6_V6ONLY can still be set (Linux refuses it afterwards). */
static int apply_bind_options(int fd, const gn_addr_t *addr, const gn_socket_options_t *o,
                              bool fresh)
{
    int rc = 0;
    /* On a fresh socket always explicit: the kernel default
     * (net.ipv6.bindv6only) varies. Otherwise only when asked for. */
    if (addr->family == AF_INET6 && (fresh || o->ipv6only != GN_V6ONLY_DEFAULT))
        rc = gn_socket_set_ipv6only(fd, v6only_for(addr, o->ipv6only));
    if (rc == 0 && o->reuseaddr)
        rc = gn_socket_set_reuseaddr(fd, true);
    /* SO_REUSEPORT means nothing for unix sockets; recent Linux refuses it. */
    if (rc == 0 && o->reuseport && addr->family != AF_UNIX)
        rc = gn_socket_set_reuseport(fd, true);
    if (rc == 0 && o->bind_device != NULL && o->bind_device[0] != '\0')
        rc = gn_socket_bind_device(fd, o->bind_device);
    return rc;
}

/* Steps 5-9. */
static int apply_io_options(int fd, const gn_addr_t *addr, const gn_socket_options_t *o)
{
    bool tcp = addr->socktype == SOCK_STREAM && addr->family != AF_UNIX;
    int rc = 0;
    if (o->recv_buffer != 0)
        rc = gn_socket_set_recv_buffer(fd, o->recv_buffer);
    if (rc == 0 && o->send_buffer != 0)
        rc = gn_socket_set_send_buffer(fd, o->send_buffer);
    if (rc == 0 && o->linger)
        rc = o->linger_s < 0 ? -EINVAL : gn_socket_set_linger(fd, o->linger_s);
    if (rc == 0 && tcp && o->nodelay)
        rc = gn_socket_set_nodelay(fd, true);
    if (rc == 0 && tcp && o->keepalive)
        rc = gn_socket_set_keepalive(fd, true, o->keepalive_idle_s, o->keepalive_intvl_s,
                                     o->keepalive_cnt);
    return rc;
}

int gn__apply_options(int fd, const gn_addr_t *addr, const gn_socket_options_t *opts, bool fresh)
{
    if (addr == NULL)
        return -EINVAL;
    if (opts == NULL) {
        static const gn_socket_options_t zero;
        opts = &zero;
    }
    int rc = apply_bind_options(fd, addr, opts, fresh);
    return rc != 0 ? rc : apply_io_options(fd, addr, opts);
}

int gn_socket_apply_options(int fd, const gn_addr_t *addr, const gn_socket_options_t *opts)
{
    return gn__apply_options(fd, addr, opts, false);
}

/* ---- multicast ------------------------------------------------------------ */

static int multicast_membership(int fd, const gn_addr_t *group, unsigned ifindex, bool join)
{
    /* len is copied into a fixed request below: a hand-built address must not
     * claim more than the storage it came in. */
    if (group == NULL || group->len > sizeof group->ss || !gn__addr_is_multicast(group))
        return -EINVAL;
    int level = group->family == AF_INET ? IPPROTO_IP : IPPROTO_IPV6;
    /* "[ff02::1%eth0]" already names the interface: use it when none is given. */
    if (ifindex == 0 && group->family == AF_INET6)
        ifindex = ((const struct sockaddr_in6 *)&group->ss)->sin6_scope_id;
#ifdef MCAST_JOIN_GROUP
    /* The protocol-independent API takes an interface index for IPv4 too. */
    struct group_req req;
    memset(&req, 0, sizeof req);
    req.gr_interface = ifindex;
    memcpy(&req.gr_group, &group->ss, group->len);
    return setopt(fd, level, join ? MCAST_JOIN_GROUP : MCAST_LEAVE_GROUP, &req, sizeof req);
#else
    if (group->family == AF_INET6) {
        struct ipv6_mreq m6 = {.ipv6mr_interface = ifindex};
        m6.ipv6mr_multiaddr = ((const struct sockaddr_in6 *)&group->ss)->sin6_addr;
        return setopt(fd, level, join ? IPV6_JOIN_GROUP : IPV6_LEAVE_GROUP, &m6, sizeof m6);
    }
    if (ifindex != 0) /* ip_mreq names the interface by address only */
        return -ENOTSUP;
    struct ip_mreq m4 = {.imr_interface.s_addr = htonl(INADDR_ANY)};
    m4.imr_multiaddr = ((const struct sockaddr_in *)&group->ss)->sin_addr;
    return setopt(fd, level, join ? IP_ADD_MEMBERSHIP : IP_DROP_MEMBERSHIP, &m4, sizeof m4);
#endif
}

int gn_socket_join_multicast(int fd, const gn_addr_t *group, unsigned ifindex)
{
    return multicast_membership(fd, group, ifindex, true);
}

int gn_socket_leave_multicast(int fd, const gn_addr_t *group, unsigned ifindex)
{
    return multicast_membership(fd, group, ifindex, false);
}

static int multicast_if4(int fd, unsigned ifindex)
{
#if defined(__linux__) || defined(__FreeBSD__)
    struct ip_mreqn m;
    memset(&m, 0, sizeof m);
    m.imr_ifindex = (int)ifindex;
    return setopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &m, sizeof m);
#elif defined(IP_MULTICAST_IFINDEX)
    return setopt(fd, IPPROTO_IP, IP_MULTICAST_IFINDEX, &ifindex, sizeof ifindex);
#else
    if (ifindex != 0)
        return -ENOTSUP;
    struct in_addr any = {.s_addr = htonl(INADDR_ANY)};
    return setopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &any, sizeof any);
#endif
}

int gn_socket_set_multicast_if(int fd, int family, unsigned ifindex)
{
    if (family == AF_INET)
        return multicast_if4(fd, ifindex);
    if (family == AF_INET6)
        return setopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &ifindex, sizeof ifindex);
    return -EINVAL;
}

int gn_socket_set_multicast_loop(int fd, int family, bool on)
{
    if (family == AF_INET) {
        /* The BSDs want a u_char here; Linux accepts it as well. */
        unsigned char v = on;
        return setopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &v, sizeof v);
    }
    if (family == AF_INET6) {
        unsigned v = on;
        return setopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &v, sizeof v);
    }
    return -EINVAL;
}
