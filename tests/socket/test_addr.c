/* Address parsing, formatting and error texts. */
#include "socket_test.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/un.h>

static char long_unix[sizeof(((struct sockaddr_un *)0)->sun_path) + 16];

static const char *long_unix_url(void)
{
    size_t n = sizeof long_unix - 1;
    memcpy(long_unix, "unix://", 7);
    memset(long_unix + 7, 'x', n - 7);
    long_unix[n] = '\0';
    return long_unix;
}

/* Each bad address, the code it must produce and a word its text must hold. */
static const struct bad {
    const char *url; /* NULL: the over-long unix path */
    int code;
    const char *word;
} bad[] = {
    {"", GN_EADDR_EMPTY, "empty"},
    {"howdy", GN_EADDR_NOSCHEME, "no scheme"},
    {":foo", GN_EADDR_NOSCHEME, "no scheme"},
    {"://127.0.0.1:80", GN_EADDR_NOSCHEME, "no scheme"},
    {"tulip://howdy", GN_EADDR_SCHEME, "unsupported scheme"},
    {"tcp://", GN_EADDR_NOHOSTPORT, "no host:port"},
    {"tcp://localhost:8080/foo", GN_EADDR_PATH, "path"},
    {"udp://127.0.0.1:53?x=1", GN_EADDR_PATH, "query"},
    {"unix://", GN_EADDR_NOPATH, "no path"},
    {NULL, GN_EADDR_UNIXPATH, "too long"},
    {"tcp://127.0.0.1:65536", GN_EADDR_PORT, "port"},
    {"tcp://127.0.0.1:-1", GN_EADDR_PORT, "port"},
    {"tcp://127.0.0.1:abc", GN_EADDR_PORT, "port"},
    {"tcp://127.0.0.1:99999999999999999999", GN_EADDR_PORT, "port"},
    {"tcp://127.0.0.1\n", GN_EADDR_CTRL, "control character"},
    {"tcp://127.0.0.1:80\r", GN_EADDR_CTRL, "control character"},
    {"tcp://::1:80", GN_EADDR_HOSTPORT, "brackets"},
    {"tcp://[::1:80", GN_EADDR_HOSTPORT, "malformed"},
    {"tcp://[::1]x:80", GN_EADDR_HOSTPORT, "malformed"},
    {"tcp://127.0.0.1", GN_EADDR_NOPORT, "no port"},
    {"tcp://127.0.0.1:", GN_EADDR_NOPORT, "no port"},
    {"tcp://[::1]", GN_EADDR_NOPORT, "no port"},
    {"tcp://[zz::1]:80", GN_EADDR_HOST, "host"},
    {"tcp4://[::1]:80", GN_EADDR_FAMILY, "family"},
    {"udp6://127.0.0.1:80", GN_EADDR_FAMILY, "family"},
    {"udp://[ff02::3%no-such-if0]:9991", GN_EADDR_ZONE, "zone"},
    {"udp://[ff02::3%]:9991", GN_EADDR_ZONE, "zone"},
};

START_TEST(bad_address)
{
    const struct bad *b = &bad[_i];
    const char *url = b->url != NULL ? b->url : long_unix_url();
    gn_addr_t a;
    memset(&a, 0xab, sizeof a);
    int rc = gn_addr_parse(url, &a);
    ck_assert_msg(rc == b->code, "%s: got %d (%s), want %d", url, rc, gn_socket_strerror(rc),
                  b->code);
    const char *text = gn_socket_strerror(rc);
    ck_assert_msg(strstr(text, b->word) != NULL, "%s: text '%s' lacks '%s'", url, text, b->word);
    ck_assert_int_eq(a.network, GN_NET_NONE); /* zeroed on failure */
    ck_assert_int_eq(a.len, 0);
}
END_TEST

/* Every named code is distinct, in the library's range, and has its own text. */
START_TEST(codes_distinct)
{
    static const int codes[] = {
        GN_EADDR_EMPTY,  GN_EADDR_NOSCHEME, GN_EADDR_SCHEME, GN_EADDR_NOHOSTPORT, GN_EADDR_PATH,
        GN_EADDR_NOPATH, GN_EADDR_UNIXPATH, GN_EADDR_PORT,   GN_EADDR_CTRL,       GN_EADDR_HOSTPORT,
        GN_EADDR_NOPORT, GN_EADDR_HOST,     GN_EADDR_FAMILY, GN_EADDR_ZONE,
    };
    size_t n = sizeof codes / sizeof codes[0];
    for (size_t i = 0; i < n; i++) {
        ck_assert(codes[i] <= -4100 && codes[i] >= -4199);
        for (size_t j = i + 1; j < n; j++) {
            ck_assert_int_ne(codes[i], codes[j]);
            ck_assert_str_ne(gn_socket_strerror(codes[i]), gn_socket_strerror(codes[j]));
        }
    }
    ck_assert_str_eq(gn_socket_strerror(-EADDRINUSE), strerror(EADDRINUSE));
    ck_assert_str_eq(gn_socket_strerror(GN_EADDR_ZONE - 1), "unknown gnet-socket error");
    ck_assert_str_eq(gn_socket_strerror(-4199), "unknown gnet-socket error");
}
END_TEST

START_TEST(null_arguments)
{
    gn_addr_t a;
    char buf[8];
    ck_assert_int_eq(gn_addr_parse(NULL, &a), -EINVAL);
    ck_assert_int_eq(gn_addr_parse("tcp://127.0.0.1:1", NULL), -EINVAL);
    ck_assert_int_eq(gn_addr_format(NULL, buf, sizeof buf), -EINVAL);
    ck_assert_int_eq(gn_addr_format(&a, NULL, 8), -EINVAL);
    memset(&a, 0, sizeof a);
    ck_assert_int_eq(gn_addr_format(&a, buf, sizeof buf), -EINVAL); /* no family */
    ck_assert_int_eq(gn_addr_from_sockaddr(NULL, NULL, 0, SOCK_STREAM), -EINVAL);
}
END_TEST

/* Good addresses: network, family, socket type and the formatted form. */
static const struct good {
    const char *url;
    gn_network_t net;
    int family, socktype;
    const char *text;
} good[] = {
    {"tcp://127.0.0.1:9000", GN_NET_TCP, AF_INET, SOCK_STREAM, "127.0.0.1:9000"},
    {"TCP://127.0.0.1:9000", GN_NET_TCP, AF_INET, SOCK_STREAM, "127.0.0.1:9000"},
    {"tcp://:9000", GN_NET_TCP, AF_INET6, SOCK_STREAM, "[::]:9000"},
    {"tcp4://:9000", GN_NET_TCP4, AF_INET, SOCK_STREAM, "0.0.0.0:9000"},
    {"tcp6://:9000", GN_NET_TCP6, AF_INET6, SOCK_STREAM, "[::]:9000"},
    {"tcp6://[::1]:0", GN_NET_TCP6, AF_INET6, SOCK_STREAM, "[::1]:0"},
    {"tcp://[2001:db8::1]:65535", GN_NET_TCP, AF_INET6, SOCK_STREAM, "[2001:db8::1]:65535"},
    {"udp://[ff02::3%lo]:9991", GN_NET_UDP, AF_INET6, SOCK_DGRAM, "[ff02::3%lo]:9991"},
    {"udp://[fe80::1%1]:53", GN_NET_UDP, AF_INET6, SOCK_DGRAM, NULL}, /* text: name of if 1 */
    {"udp4://10.1.2.3:53", GN_NET_UDP4, AF_INET, SOCK_DGRAM, "10.1.2.3:53"},
    {"udp6://:53", GN_NET_UDP6, AF_INET6, SOCK_DGRAM, "[::]:53"},
    {"tcp://localhost:80", GN_NET_TCP, AF_INET, SOCK_STREAM, "127.0.0.1:80"},
    {"tcp4://localhost:80", GN_NET_TCP4, AF_INET, SOCK_STREAM, "127.0.0.1:80"},
    {"unix:///tmp/gnet.sock", GN_NET_UNIX, AF_UNIX, SOCK_STREAM, "/tmp/gnet.sock"},
    {"unix://rel.sock", GN_NET_UNIX, AF_UNIX, SOCK_STREAM, "rel.sock"},
#ifdef __linux__
    {"unix://@gnet-abstract", GN_NET_UNIX, AF_UNIX, SOCK_STREAM, "@gnet-abstract"},
#endif
};

START_TEST(good_address)
{
    const struct good *g = &good[_i];
    gn_addr_t a = gn_tst_addr(g->url);
    ck_assert_int_eq(a.network, g->net);
    ck_assert_int_eq(a.family, g->family);
    ck_assert_int_eq(a.socktype, g->socktype);
    ck_assert_int_eq(a.ss.ss_family, g->family);
    char buf[256];
    int n = gn_addr_format(&a, buf, sizeof buf);
    ck_assert_int_eq(n, (int)strlen(buf));
    if (g->text != NULL)
        ck_assert_str_eq(buf, g->text);

    /* Round trip: scheme + formatted text parses to the same bytes. */
    char url[300];
    snprintf(url, sizeof url, "%s://%s", gn_addr_network_name(a.network), buf);
    gn_addr_t b = gn_tst_addr(url);
    ck_assert_int_eq(b.len, a.len);
    ck_assert_int_eq(b.network, a.network);
    ck_assert(memcmp(&a.ss, &b.ss, a.len) == 0);
}
END_TEST

START_TEST(zone_scope_id)
{
    gn_addr_t a = gn_tst_addr("udp://[ff02::3%lo]:9991");
    const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&a.ss;
    ck_assert_uint_eq(s6->sin6_scope_id, if_nametoindex("lo"));
    ck_assert_uint_eq(ntohs(s6->sin6_port), 9991);
    a = gn_tst_addr("udp://[fe80::1%7]:1");
    ck_assert_uint_eq(((const struct sockaddr_in6 *)&a.ss)->sin6_scope_id, 7);
}
END_TEST

START_TEST(unix_path_limit)
{
    char url[sizeof(((struct sockaddr_un *)0)->sun_path) + 8];
    size_t max = sizeof(((struct sockaddr_un *)0)->sun_path) - 1; /* room for the NUL */
    memcpy(url, "unix://", 7);
    memset(url + 7, 'p', max);
    url[7 + max] = '\0';
    gn_addr_t a = gn_tst_addr(url);
    char buf[256];
    ck_assert_int_eq(gn_addr_format(&a, buf, sizeof buf), (int)max);
    url[7 + max] = 'p';
    url[8 + max] = '\0';
    ck_assert_int_eq(gn_addr_parse(url, &a), GN_EADDR_UNIXPATH);
}
END_TEST

START_TEST(format_nospace)
{
    gn_addr_t a = gn_tst_addr("tcp://127.0.0.1:9000"); /* 14 characters */
    char buf[32];
    memset(buf, 'z', sizeof buf);
    ck_assert_int_eq(gn_addr_format(&a, buf, 15), 14);
    ck_assert_str_eq(buf, "127.0.0.1:9000");
    memset(buf, 'z', sizeof buf);
    ck_assert_int_eq(gn_addr_format(&a, buf, 14), -ENOSPC);
    ck_assert_str_eq(buf, ""); /* never a truncated address */
    ck_assert_int_eq(gn_addr_format(&a, buf, 0), -ENOSPC);
    ck_assert_int_eq(buf[0], '\0');
    a = gn_tst_addr("unix:///tmp/x");
    ck_assert_int_eq(gn_addr_format(&a, buf, 6), -ENOSPC);
    ck_assert_int_eq(gn_addr_format(&a, buf, 7), 6);
}
END_TEST

START_TEST(network_names)
{
    ck_assert_str_eq(gn_addr_network_name(GN_NET_TCP), "tcp");
    ck_assert_str_eq(gn_addr_network_name(GN_NET_UDP6), "udp6");
    ck_assert_str_eq(gn_addr_network_name(GN_NET_UNIX), "unix");
    ck_assert_str_eq(gn_addr_network_name(GN_NET_NONE), "");
    ck_assert_str_eq(gn_addr_network_name((gn_network_t)99), "");
}
END_TEST

START_TEST(from_sockaddr)
{
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(7)};
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    gn_addr_t a;
    ck_assert_int_eq(gn_addr_from_sockaddr(&a, (struct sockaddr *)&sin, sizeof sin, SOCK_DGRAM), 0);
    ck_assert_int_eq(a.network, GN_NET_UDP4);
    ck_assert_int_eq(a.protocol, IPPROTO_UDP);
    char buf[64];
    ck_assert_int_gt(gn_addr_format(&a, buf, sizeof buf), 0);
    ck_assert_str_eq(buf, "127.0.0.1:7");
    /* Truncated sockaddr, unsupported socket type. */
    ck_assert_int_eq(gn_addr_from_sockaddr(&a, (struct sockaddr *)&sin, 4, SOCK_DGRAM), -EINVAL);
    ck_assert_int_eq(gn_addr_from_sockaddr(&a, (struct sockaddr *)&sin, sizeof sin, SOCK_RAW),
                     -EINVAL);
}
END_TEST

TCase *gn_socket_addr_tcase(void)
{
    TCase *tc = tcase_create("addr");
    tcase_add_loop_test(tc, bad_address, 0, (int)(sizeof bad / sizeof bad[0]));
    tcase_add_test(tc, codes_distinct);
    tcase_add_test(tc, null_arguments);
    tcase_add_loop_test(tc, good_address, 0, (int)(sizeof good / sizeof good[0]));
    tcase_add_test(tc, zone_scope_id);
    tcase_add_test(tc, unix_path_limit);
    tcase_add_test(tc, format_nospace);
    tcase_add_test(tc, network_names);
    tcase_add_test(tc, from_sockaddr);
    return tc;
}
