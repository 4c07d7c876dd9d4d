/* Address printing and conversion from kernel sockaddrs. */
#include <gnet/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>

#include "internal.h"

/* Copies s into buf or reports -ENOSPC leaving "" behind, so a caller that
 * ignores the error still never prints a truncated address. */
static int put(char *buf, size_t len, const char *s, size_t n)
{
    if (n >= len) {
        if (len > 0)
            buf[0] = '\0';
        return -ENOSPC;
    }
    memcpy(buf, s, n);
    buf[n] = '\0';
    return (int)n;
}

static int format_unix(const gn_addr_t *addr, char *buf, size_t len)
{
    const struct sockaddr_un *sun = (const struct sockaddr_un *)&addr->ss;
    size_t off = offsetof(struct sockaddr_un, sun_path);
    if (addr->len <= off) /* unnamed (e.g. a connected client's peer) */
        return put(buf, len, "", 0);
    size_t n = addr->len - off;
    if (n > sizeof sun->sun_path)
        n = sizeof sun->sun_path;
    if (sun->sun_path[0] == '\0') { /* abstract: print as "@name" */
        char tmp[sizeof sun->sun_path + 1];
        tmp[0] = '@';
        memcpy(tmp + 1, sun->sun_path + 1, n - 1);
        return put(buf, len, tmp, n);
    }
    return put(buf, len, sun->sun_path, strnlen(sun->sun_path, n));
}

static int format_inet(const gn_addr_t *addr, char *buf, size_t len)
{
    char host[INET6_ADDRSTRLEN + IF_NAMESIZE + 2], out[sizeof host + 10];
    unsigned port;
    int n;
    if (addr->family == AF_INET) {
        const struct sockaddr_in *sin = (const struct sockaddr_in *)&addr->ss;
        inet_ntop(AF_INET, &sin->sin_addr, host, sizeof host);
        port = ntohs(sin->sin_port);
        n = snprintf(out, sizeof out, "%s:%u", host, port);
    } else {
        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&addr->ss;
        inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof host);
        port = ntohs(sin6->sin6_port);
        if (sin6->sin6_scope_id != 0) {
            char ifname[IF_NAMESIZE];
            size_t h = strlen(host);
            if (if_indextoname(sin6->sin6_scope_id, ifname) != NULL)
                snprintf(host + h, sizeof host - h, "%%%s", ifname);
            else
                snprintf(host + h, sizeof host - h, "%%%u", (unsigned)sin6->sin6_scope_id);
        }
        n = snprintf(out, sizeof out, "[%s]:%u", host, port);
    }
    return put(buf, len, out, (size_t)n);
}

int gn_addr_format(const gn_addr_t *addr, char *buf, size_t len)
{
    if (addr == NULL || buf == NULL)
        return -EINVAL;
    switch (addr->family) {
    case AF_UNIX:
        return format_unix(addr, buf, len);
    case AF_INET:
    case AF_INET6:
        return format_inet(addr, buf, len);
    default:
        if (len > 0)
            buf[0] = '\0';
        return -EINVAL;
    }
}

static gn_network_t network_of(int family, int socktype)
{
    if (family == AF_UNIX)
        return socktype == SOCK_STREAM ? GN_NET_UNIX : GN_NET_NONE;
    if (socktype == SOCK_STREAM)
        return family == AF_INET ? GN_NET_TCP4 : GN_NET_TCP6;
    if (socktype == SOCK_DGRAM)
        return family == AF_INET ? GN_NET_UDP4 : GN_NET_UDP6;
    return GN_NET_NONE;
}

int gn_addr_from_sockaddr(gn_addr_t *out, const struct sockaddr *sa, socklen_t len, int socktype)
{
    if (out == NULL || sa == NULL || len > sizeof out->ss || len < sizeof(sa_family_t))
        return -EINVAL;
    int family = sa->sa_family;
    if (family != AF_INET && family != AF_INET6 && family != AF_UNIX)
        return -EINVAL;
    if ((family == AF_INET && len < sizeof(struct sockaddr_in)) ||
        (family == AF_INET6 && len < sizeof(struct sockaddr_in6)))
        return -EINVAL;
    gn_network_t net = network_of(family, socktype);
    if (net == GN_NET_NONE)
        return -EINVAL;
    memset(out, 0, sizeof *out);
    memcpy(&out->ss, sa, len);
    out->len = len;
    out->network = net;
    out->family = family;
    out->socktype = socktype;
    out->protocol = family == AF_UNIX ? 0 : socktype == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP;
    return 0;
}

bool gn__addr_is_multicast(const gn_addr_t *addr)
{
    if (addr->family == AF_INET) {
        const struct sockaddr_in *sin = (const struct sockaddr_in *)&addr->ss;
        return IN_MULTICAST(ntohl(sin->sin_addr.s_addr));
    }
    if (addr->family == AF_INET6) {
        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&addr->ss;
        return IN6_IS_ADDR_MULTICAST(&sin6->sin6_addr);
    }
    return false;
}

bool gn__addr_is_dual_wildcard(const gn_addr_t *addr)
{
    if (addr->family != AF_INET6 || (addr->network != GN_NET_TCP && addr->network != GN_NET_UDP))
        return false;
    const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&addr->ss;
    return IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr);
}
