/* Address parsing: "scheme://host:port" and "unix://path" into a gn_addr_t. */
#include <gnet/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <sys/un.h>

#include "internal.h"

static const struct {
    const char *name;
    gn_network_t net;
    int family; /* AF_UNSPEC: either, decided by the host */
    int socktype;
    int protocol;
} networks[] = {
    {"tcp", GN_NET_TCP, AF_UNSPEC, SOCK_STREAM, IPPROTO_TCP},
    {"tcp4", GN_NET_TCP4, AF_INET, SOCK_STREAM, IPPROTO_TCP},
    {"tcp6", GN_NET_TCP6, AF_INET6, SOCK_STREAM, IPPROTO_TCP},
    {"udp", GN_NET_UDP, AF_UNSPEC, SOCK_DGRAM, IPPROTO_UDP},
    {"udp4", GN_NET_UDP4, AF_INET, SOCK_DGRAM, IPPROTO_UDP},
    {"udp6", GN_NET_UDP6, AF_INET6, SOCK_DGRAM, IPPROTO_UDP},
    {"unix", GN_NET_UNIX, AF_UNIX, SOCK_STREAM, 0},
};
#define NNETWORKS (sizeof networks / sizeof networks[0])

const char *gn_addr_network_name(gn_network_t network)
{
    for (size_t i = 0; i < NNETWORKS; i++)
        if (networks[i].net == network)
            return networks[i].name;
    return "";
}

/* Bytes below 0x20 and DEL: a newline or NUL-like byte in a configured address
 * is almost always a mistake (a line read with its "\n"), so refuse it early. */
static bool has_ctrl(const char *s)
{
    for (; *s != '\0'; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
            return true;
    return false;
}

/* Finds the scheme in url; returns its table index and points *rest after
 * "://". */
static int parse_scheme(const char *url, const char **rest)
{
    const char *sep = strstr(url, "://");
    if (sep == NULL || sep == url)
        return GN_EADDR_NOSCHEME;
    size_t n = (size_t)(sep - url);
    for (size_t i = 0; i < NNETWORKS; i++) {
        if (strlen(networks[i].name) == n && strncasecmp(url, networks[i].name, n) == 0) {
            *rest = sep + 3;
            return (int)i;
        }
    }
    return GN_EADDR_SCHEME;
}

static int parse_unix(const char *path, gn_addr_t *out)
{
    struct sockaddr_un *sun = (struct sockaddr_un *)&out->ss;
    size_t n = strlen(path);
    if (n == 0)
        return GN_EADDR_NOPATH;
    /* A pathname needs its NUL inside sun_path; an abstract name does not,
     * but keep one limit for both so the rule is simple to state. */
    if (n >= sizeof sun->sun_path)
        return GN_EADDR_UNIXPATH;
    sun->sun_family = AF_UNIX;
    memcpy(sun->sun_path, path, n + 1);
    out->len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
#ifdef __linux__
    if (path[0] == '@') { /* abstract: leading NUL, length without trailing NUL */
        sun->sun_path[0] = '\0';
        out->len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
    }
#endif
    return 0;
}

/* Parses a decimal port 0..65535; no sign, no spaces, no service names. */
static int parse_port(const char *s, uint16_t *port)
{
    if (*s == '\0')
        return GN_EADDR_NOPORT;
    unsigned long v = 0;
    for (const char *p = s; *p != '\0'; p++) {
        if (*p < '0' || *p > '9')
            return GN_EADDR_PORT;
        v = v * 10 + (unsigned long)(*p - '0');
        if (v > 65535)
            return GN_EADDR_PORT;
    }
    *port = (uint16_t)v;
    return 0;
}

/* Splits "host:port" / "[v6]:port" in place (s is a private copy). *bracketed
 * tells that the host was an IPv6 literal in brackets. */
static int split_hostport(char *s, char **host, char **port, bool *bracketed)
{
    *bracketed = s[0] == '[';
    if (*bracketed) {
        char *end = strchr(s, ']');
        if (end == NULL || strchr(end + 1, '[') != NULL || strchr(end + 1, ']') != NULL)
            return GN_EADDR_HOSTPORT;
        if (end[1] != ':')
            return end[1] == '\0' ? GN_EADDR_NOPORT : GN_EADDR_HOSTPORT;
        *end = '\0';
        *host = s + 1;
        *port = end + 2;
        return 0;
    }
    char *colon = strrchr(s, ':');
    if (colon == NULL)
        return GN_EADDR_NOPORT;
    /* An unbracketed IPv6 literal is ambiguous ("::1:80"): refuse it, as Go does. */
    if (strchr(s, '[') != NULL || strchr(s, ']') != NULL || memchr(s, ':', (size_t)(colon - s)))
        return GN_EADDR_HOSTPORT;
    *colon = '\0';
    *host = s;
    *port = colon + 1;
    return 0;
}

static void set_v4(gn_addr_t *out, const struct in_addr *a, uint16_t port)
{
    struct sockaddr_in *sin = (struct sockaddr_in *)&out->ss;
    sin->sin_family = AF_INET;
    sin->sin_addr = *a;
    sin->sin_port = htons(port);
    out->family = AF_INET;
    out->len = sizeof *sin;
}

static void set_v6(gn_addr_t *out, const struct in6_addr *a, uint32_t scope, uint16_t port)
{
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&out->ss;
    sin6->sin6_family = AF_INET6;
    sin6->sin6_addr = *a;
    sin6->sin6_scope_id = scope;
    sin6->sin6_port = htons(port);
    out->family = AF_INET6;
    out->len = sizeof *sin6;
}

/* A zone is an interface name or a number. */
static int parse_zone(const char *zone, uint32_t *scope)
{
    if (*zone == '\0')
        return GN_EADDR_ZONE;
    unsigned idx = if_nametoindex(zone);
    if (idx == 0) {
        uint16_t n; /* numeric zones beyond 65535 are not real interfaces */
        if (parse_port(zone, &n) != 0)
            return GN_EADDR_ZONE;
        idx = n;
    }
    *scope = idx;
    return 0;
}

static int parse_v6_literal(char *host, uint16_t port, int want, gn_addr_t *out)
{
    uint32_t scope = 0;
    char *pct = strchr(host, '%');
    if (pct != NULL) {
        *pct = '\0';
        int rc = parse_zone(pct + 1, &scope);
        if (rc != 0)
            return rc;
    }
    struct in6_addr a6;
    if (inet_pton(AF_INET6, host, &a6) != 1)
        return GN_EADDR_HOST;
    if (want == AF_INET)
        return GN_EADDR_FAMILY;
    set_v6(out, &a6, scope, port);
    return 0;
}

/* Maps getaddrinfo's EAI_* codes onto this library's codes. */
static int map_gai_error(int rc, int saved_errno)
{
    switch (rc) {
    case EAI_AGAIN:
        return -EAGAIN;
    case EAI_MEMORY:
        return -ENOMEM;
#ifdef EAI_SYSTEM
    case EAI_SYSTEM:
        return saved_errno != 0 ? -saved_errno : GN_EADDR_HOST;
#endif
#ifdef EAI_ADDRFAMILY
    case EAI_ADDRFAMILY:
        return GN_EADDR_FAMILY;
#endif
    default:
        return GN_EADDR_HOST;
    }
}

/* Resolves a host name; for an unversioned network prefers the first IPv4
 * answer (as Go does), since IPv4 reachability is the common case. */
static int resolve(const char *host, uint16_t port, int want, gn_addr_t *out)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = want;
    hints.ai_socktype = out->socktype;
    errno = 0;
    int rc = getaddrinfo(host, NULL, &hints, &res);
    if (rc != 0)
        return map_gai_error(rc, errno);
    const struct addrinfo *pick = NULL;
    for (const struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
        if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
            continue;
        if (pick == NULL || (pick->ai_family != AF_INET && ai->ai_family == AF_INET))
            pick = ai;
    }
    if (pick != NULL && pick->ai_family == AF_INET)
        set_v4(out, &((const struct sockaddr_in *)pick->ai_addr)->sin_addr, port);
    else if (pick != NULL) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)pick->ai_addr;
        set_v6(out, &s6->sin6_addr, s6->sin6_scope_id, port);
    }
    freeaddrinfo(res);
    return pick != NULL ? 0 : GN_EADDR_HOST;
}

static int parse_host(char *host, bool bracketed, uint16_t port, int want, gn_addr_t *out)
{
    if (*host == '\0') { /* wildcard: see gn_addr_parse */
        if (want == AF_INET) {
            struct in_addr any = {.s_addr = htonl(INADDR_ANY)};
            set_v4(out, &any, port);
        } else {
            set_v6(out, &in6addr_any, 0, port);
        }
        return 0;
    }
    if (bracketed)
        return parse_v6_literal(host, port, want, out);
    struct in_addr a4;
    if (inet_pton(AF_INET, host, &a4) == 1) {
        if (want == AF_INET6)
            return GN_EADDR_FAMILY;
        set_v4(out, &a4, port);
        return 0;
    }
    return resolve(host, port, want, out);
}

static int parse_inet(const char *rest, int want, gn_addr_t *out)
{
    size_t n = strlen(rest);
    if (n == 0)
        return GN_EADDR_NOHOSTPORT;
    if (strpbrk(rest, "/?#") != NULL)
        return GN_EADDR_PATH;
    char buf[1024]; /* longer than any host name (255) plus port and brackets */
    if (n >= sizeof buf)
        return GN_EADDR_HOST;
    memcpy(buf, rest, n + 1);
    char *host, *portstr;
    bool bracketed;
    int rc = split_hostport(buf, &host, &portstr, &bracketed);
    if (rc != 0)
        return rc;
    uint16_t port;
    rc = parse_port(portstr, &port);
    if (rc != 0)
        return rc;
    return parse_host(host, bracketed, port, want, out);
}

int gn_addr_parse(const char *url, gn_addr_t *out)
{
    if (out != NULL)
        memset(out, 0, sizeof *out);
    if (url == NULL || out == NULL)
        return -EINVAL;
    if (*url == '\0')
        return GN_EADDR_EMPTY;
    if (has_ctrl(url))
        return GN_EADDR_CTRL;
    const char *rest = NULL;
    int i = parse_scheme(url, &rest);
    if (i < 0)
        return i;
    out->network = networks[i].net;
    out->socktype = networks[i].socktype;
    out->protocol = networks[i].protocol;
    int rc = networks[i].family == AF_UNIX ? parse_unix(rest, out)
                                           : parse_inet(rest, networks[i].family, out);
    if (rc != 0) {
        memset(out, 0, sizeof *out);
        return rc;
    }
    if (networks[i].family == AF_UNIX)
        out->family = AF_UNIX;
    return 0;
}
