/* Text for this library's error codes. */
#include <gnet/socket.h>

#include <string.h>

static const char *const texts[] = {
    [0] = "empty address (expected scheme://address)",
    [1] = "address has no scheme (expected tcp://, udp://, unix:// ...)",
    [2] = "unsupported scheme (expected tcp, tcp4, tcp6, udp, udp4, udp6 or unix)",
    [3] = "tcp/udp address has no host:port",
    [4] = "path, query or fragment after host:port is not allowed",
    [5] = "unix address has no path",
    [6] = "unix socket path is too long for sun_path",
    [7] = "port is not a number in 0..65535",
    [8] = "address contains a control character",
    [9] = "malformed host:port (IPv6 literals go in brackets: [::1]:port)",
    [10] = "address has no port (expected host:port)",
    [11] = "host is neither an IP address nor a resolvable name",
    [12] = "address family does not match the scheme (tcp4/udp4 need IPv4, tcp6/udp6 IPv6)",
    [13] = "unknown IPv6 zone (no such interface)",
};

const char *gn_socket_strerror(int err)
{
    if (err <= GN_EADDR_EMPTY && err > GN_EADDR_EMPTY - (int)(sizeof texts / sizeof texts[0]))
        return texts[GN_EADDR_EMPTY - err];
    if (err == 0)
        return "success";
    /* strerror's text for a valid errno is static on glibc, musl and the BSDs;
     * only the "Unknown error N" fallback may use a shared buffer. */
    if (err < 0 && err > -4096)
        return strerror(-err);
    return "unknown gnet-socket error";
}
