/* Socket options: each setter verified with getsockopt, the options struct,
 * multicast on loopback. */
#include "socket_test.h"

#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int getint(int fd, int level, int name)
{
    int v = -1;
    socklen_t len = sizeof v;
    ck_assert_int_eq(getsockopt(fd, level, name, &v, &len), 0);
    return v;
}

static int tcp_socket(void)
{
    gn_addr_t a = gn_tst_addr("tcp4://127.0.0.1:0");
    int fd = socket(a.family, a.socktype, a.protocol);
    ck_assert_int_ge(fd, 0);
    return fd;
}

START_TEST(nodelay)
{
    int fd = tcp_socket();
    ck_assert_int_eq(gn_socket_set_nodelay(fd, true), 0);
    ck_assert_int_ne(getint(fd, IPPROTO_TCP, TCP_NODELAY), 0);
    ck_assert_int_eq(gn_socket_set_nodelay(fd, false), 0);
    ck_assert_int_eq(getint(fd, IPPROTO_TCP, TCP_NODELAY), 0);
    ck_assert_int_eq(gn_socket_set_nodelay(-1, true), -EBADF);
    close(fd);
}
END_TEST

START_TEST(keepalive)
{
    int fd = tcp_socket();
    ck_assert_int_eq(gn_socket_set_keepalive(fd, true, 30, 5, 4), 0);
    ck_assert_int_ne(getint(fd, SOL_SOCKET, SO_KEEPALIVE), 0);
#ifdef TCP_KEEPIDLE
    ck_assert_int_eq(getint(fd, IPPROTO_TCP, TCP_KEEPIDLE), 30);
#endif
    ck_assert_int_eq(getint(fd, IPPROTO_TCP, TCP_KEEPINTVL), 5);
    ck_assert_int_eq(getint(fd, IPPROTO_TCP, TCP_KEEPCNT), 4);

    /* Zero keeps the current value. */
    ck_assert_int_eq(gn_socket_set_keepalive(fd, true, 0, 0, 9), 0);
    ck_assert_int_eq(getint(fd, IPPROTO_TCP, TCP_KEEPINTVL), 5);
    ck_assert_int_eq(getint(fd, IPPROTO_TCP, TCP_KEEPCNT), 9);

    ck_assert_int_eq(gn_socket_set_keepalive(fd, false, 0, 0, 0), 0);
    ck_assert_int_eq(getint(fd, SOL_SOCKET, SO_KEEPALIVE), 0);

    /* Invalid durations change nothing. */
    static const int badv[][3] = {{-1, 5, 4},    {30, -1, 4},    {30, 5, -1},
                                  {40000, 5, 4}, {30, 40000, 4}, {30, 5, 128}};
    for (size_t i = 0; i < sizeof badv / sizeof badv[0]; i++) {
        ck_assert_int_eq(gn_socket_set_keepalive(fd, true, badv[i][0], badv[i][1], badv[i][2]),
                         -EINVAL);
        ck_assert_int_eq(getint(fd, SOL_SOCKET, SO_KEEPALIVE), 0);
        ck_assert_int_eq(getint(fd, IPPROTO_TCP, TCP_KEEPCNT), 9);
    }
    close(fd);
}
END_TEST

START_TEST(buffers)
{
    int fd = tcp_socket();
    ck_assert_int_eq(gn_socket_set_recv_buffer(fd, 65536), 0);
    ck_assert_int_ge(getint(fd, SOL_SOCKET, SO_RCVBUF), 65536);
    ck_assert_int_eq(gn_socket_set_send_buffer(fd, 32768), 0);
    ck_assert_int_ge(getint(fd, SOL_SOCKET, SO_SNDBUF), 32768);
    ck_assert_int_lt(getint(fd, SOL_SOCKET, SO_SNDBUF), 65536 * 4);
    ck_assert_int_eq(gn_socket_set_recv_buffer(fd, 0), -EINVAL);
    ck_assert_int_eq(gn_socket_set_send_buffer(fd, -1), -EINVAL);
    close(fd);
}
END_TEST

START_TEST(linger)
{
    int fd = tcp_socket();
    struct linger l;
    socklen_t len = sizeof l;
    ck_assert_int_eq(gn_socket_set_linger(fd, 5), 0);
    ck_assert_int_eq(getsockopt(fd, SOL_SOCKET, SO_LINGER, &l, &len), 0);
    ck_assert_int_ne(l.l_onoff, 0);
    ck_assert_int_eq(l.l_linger, 5);
    ck_assert_int_eq(gn_socket_set_linger(fd, -1), 0);
    ck_assert_int_eq(getsockopt(fd, SOL_SOCKET, SO_LINGER, &l, &len), 0);
    ck_assert_int_eq(l.l_onoff, 0);
    close(fd);
}
END_TEST

START_TEST(reuse_and_v6only)
{
    int fd = tcp_socket();
    ck_assert_int_eq(gn_socket_set_reuseaddr(fd, true), 0);
    ck_assert_int_ne(getint(fd, SOL_SOCKET, SO_REUSEADDR), 0);
    ck_assert_int_eq(gn_socket_set_reuseaddr(fd, false), 0);
    ck_assert_int_eq(getint(fd, SOL_SOCKET, SO_REUSEADDR), 0);
    ck_assert_int_eq(gn_socket_set_reuseport(fd, true), 0);
    ck_assert_int_ne(getint(fd, SOL_SOCKET, SO_REUSEPORT), 0);
    ck_assert_int_eq(gn_socket_set_reuseport(fd, false), 0);
    ck_assert_int_eq(getint(fd, SOL_SOCKET, SO_REUSEPORT), 0);
    close(fd);

    int fd6 = socket(AF_INET6, SOCK_STREAM, 0);
    if (fd6 < 0) {
        fprintf(stderr, "reuse_and_v6only: ipv6only part skipped, no IPv6\n");
        return;
    }
    ck_assert_int_eq(gn_socket_set_ipv6only(fd6, true), 0);
    ck_assert_int_eq(getint(fd6, IPPROTO_IPV6, IPV6_V6ONLY), 1);
    ck_assert_int_eq(gn_socket_set_ipv6only(fd6, false), 0);
    ck_assert_int_eq(getint(fd6, IPPROTO_IPV6, IPV6_V6ONLY), 0);
    close(fd6);
}
END_TEST

START_TEST(bind_device)
{
    int fd = tcp_socket();
    ck_assert_int_eq(gn_socket_bind_device(fd, "0123456789abcdefXYZ"), -ENAMETOOLONG);
#ifdef SO_BINDTODEVICE
    int rc = gn_socket_bind_device(fd, "lo");
    if (rc == -EPERM) { /* before Linux 5.7 it needs CAP_NET_RAW */
        fprintf(stderr, "bind_device: skipped, %s\n", gn_socket_strerror(rc));
        close(fd);
        return;
    }
    ck_assert_int_eq(rc, 0);
    char name[IFNAMSIZ] = {0};
    socklen_t len = sizeof name;
    ck_assert_int_eq(getsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, name, &len), 0);
    ck_assert_str_eq(name, "lo");
    ck_assert_int_eq(gn_socket_bind_device(fd, NULL), 0);
    len = sizeof name;
    memset(name, 0, sizeof name);
    ck_assert_int_eq(getsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, name, &len), 0);
    ck_assert_str_eq(name, "");
    ck_assert_int_eq(gn_socket_bind_device(fd, "no-such-if0"), -ENODEV);
#else
    ck_assert_int_eq(gn_socket_bind_device(fd, "lo"), -ENOTSUP);
#endif
    close(fd);
}
END_TEST

/* The options struct is applied by listen: read each option back. */
START_TEST(options_struct_listen)
{
    gn_socket_options_t o = {
        .reuseport = true,
        .recv_buffer = 65536,
        .send_buffer = 32768,
        .linger = true,
        .linger_s = 3,
        .nodelay = true,
        .keepalive = true,
        .keepalive_idle_s = 60,
        .keepalive_intvl_s = 7,
        .keepalive_cnt = 3,
    };
    int fd = gn_tst_listen("tcp4://127.0.0.1:0", &o);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_ne(getint(fd, SOL_SOCKET, SO_REUSEADDR), 0); /* TCP listener default */
    ck_assert_int_ne(getint(fd, SOL_SOCKET, SO_REUSEPORT), 0);
    ck_assert_int_ge(getint(fd, SOL_SOCKET, SO_RCVBUF), 65536);
    ck_assert_int_ge(getint(fd, SOL_SOCKET, SO_SNDBUF), 32768);
    ck_assert_int_ne(getint(fd, IPPROTO_TCP, TCP_NODELAY), 0);
    ck_assert_int_ne(getint(fd, SOL_SOCKET, SO_KEEPALIVE), 0);
    ck_assert_int_eq(getint(fd, IPPROTO_TCP, TCP_KEEPINTVL), 7);
    ck_assert_int_eq(getint(fd, IPPROTO_TCP, TCP_KEEPCNT), 3);
    struct linger l;
    socklen_t len = sizeof l;
    ck_assert_int_eq(getsockopt(fd, SOL_SOCKET, SO_LINGER, &l, &len), 0);
    ck_assert_int_eq(l.l_linger, 3);
    close(fd);

    /* A zeroed struct and NULL keep kernel defaults. */
    gn_socket_options_t zero = {0};
    fd = gn_tst_listen("tcp4://127.0.0.1:0", &zero);
    ck_assert_int_eq(getint(fd, IPPROTO_TCP, TCP_NODELAY), 0);
    ck_assert_int_eq(getint(fd, SOL_SOCKET, SO_REUSEPORT), 0);
    close(fd);

    /* On a unix socket the TCP-only options are skipped, not errors. */
    char url[64];
    snprintf(url, sizeof url, "unix://@gn-opts-%d", (int)getpid());
#ifdef __linux__
    fd = gn_tst_listen(url, &o);
    ck_assert_int_ge(fd, 0);
    close(fd);
#endif
}
END_TEST

/* Dial applies the struct too; v6only follows the network unless overridden. */
START_TEST(options_struct_dial)
{
    int lfd = gn_tst_listen("tcp4://127.0.0.1:0", NULL);
    gn_addr_t to = gn_tst_addr_port("tcp4://127.0.0.1:%u", gn_tst_port(lfd));
    gn_socket_options_t o = {.nodelay = true, .send_buffer = 16384};
    int cfd = gn_socket_dial(&to, &o);
    ck_assert_int_ge(cfd, 0);
    ck_assert_int_ne(getint(cfd, IPPROTO_TCP, TCP_NODELAY), 0);
    ck_assert_int_ge(getint(cfd, SOL_SOCKET, SO_SNDBUF), 16384);
    close(cfd);
    close(lfd);

    gn_socket_options_t v6 = {.ipv6only = GN_V6ONLY_ON};
    int fd = gn_tst_listen("tcp://[::1]:0", &v6);
    if (fd >= 0) {
        ck_assert_int_eq(getint(fd, IPPROTO_IPV6, IPV6_V6ONLY), 1);
        close(fd);
        /* Wildcards only: Linux marks a socket bound to a specific IPv6
         * address v6-only whatever was asked. */
        fd = gn_tst_listen("tcp://:0", NULL);
        ck_assert_int_eq(getint(fd, IPPROTO_IPV6, IPV6_V6ONLY), 0);
        close(fd);
        v6.ipv6only = GN_V6ONLY_OFF;
        fd = gn_tst_listen("tcp6://:0", &v6);
        ck_assert_int_eq(getint(fd, IPPROTO_IPV6, IPV6_V6ONLY), 0);
        close(fd);
    }
}
END_TEST

/* Options on an accepted socket: the engine's per-connection path. */
static void apply_to_accepted(const char *listen_url, const char *dial_fmt)
{
    int lfd = gn_tst_listen(listen_url, NULL);
    if (lfd < 0) {
        fprintf(stderr, "apply_options_accepted: %s skipped: %s\n", listen_url,
                gn_socket_strerror(lfd));
        return;
    }
    gn_addr_t to = gn_tst_addr_port(dial_fmt, gn_tst_port(lfd));
    int cfd = gn_socket_dial(&to, NULL);
    ck_assert_int_ge(cfd, 0);
    ck_assert(gn_tst_wait(lfd, POLLIN, 5000));
    gn_addr_t peer;
    int sfd = gn_socket_accept(lfd, &peer);
    ck_assert_int_ge(sfd, 0);
    gn_socket_options_t o = {.nodelay = true, .keepalive = true, .keepalive_idle_s = 45};
    ck_assert_int_eq(gn_socket_apply_options(sfd, &peer, &o), 0);
    ck_assert_int_ne(getint(sfd, IPPROTO_TCP, TCP_NODELAY), 0);
    ck_assert_int_ne(getint(sfd, SOL_SOCKET, SO_KEEPALIVE), 0);
    o.ipv6only = GN_V6ONLY_ON; /* explicit: too late on a connected socket */
    if (peer.family == AF_INET6)
        ck_assert_int_eq(gn_socket_apply_options(sfd, &peer, &o), -EINVAL);
    close(sfd);
    close(cfd);
    close(lfd);
}

START_TEST(apply_options_accepted)
{
    apply_to_accepted("tcp4://127.0.0.1:0", "tcp4://127.0.0.1:%u");
    apply_to_accepted("tcp6://[::1]:0", "tcp6://[::1]:%u");
    apply_to_accepted("tcp://:0", "tcp4://127.0.0.1:%u"); /* v4-mapped peer */
}
END_TEST

/* The lowest free descriptor number: a leaked fd would change it. */
static int lowest_free_fd(void)
{
    int fd = dup(0);
    ck_assert_int_ge(fd, 0);
    close(fd);
    return fd;
}

/* The first failing option closes the socket and is returned. */
START_TEST(options_failure_closes_fd)
{
    int before = lowest_free_fd();
    gn_socket_options_t o = {.keepalive = true, .keepalive_cnt = 1000};
    ck_assert_int_eq(gn_tst_listen("tcp4://127.0.0.1:0", &o), -EINVAL);
    o = (gn_socket_options_t){.linger = true, .linger_s = -2};
    ck_assert_int_eq(gn_tst_listen("tcp4://127.0.0.1:0", &o), -EINVAL);
    o = (gn_socket_options_t){.recv_buffer = -5};
    gn_addr_t to = gn_tst_addr("tcp4://127.0.0.1:9");
    ck_assert_int_eq(gn_socket_dial(&to, &o), -EINVAL);
#ifdef SO_BINDTODEVICE
    o = (gn_socket_options_t){.bind_device = "no-such-if0"};
    int rc = gn_tst_listen("udp4://127.0.0.1:0", &o);
    ck_assert(rc == -ENODEV || rc == -EPERM);
#endif
    ck_assert_int_eq(lowest_free_fd(), before);
    ck_assert_int_eq(gn_socket_apply_options(0, NULL, NULL), -EINVAL);
}
END_TEST

static bool lo_has_multicast(unsigned *ifindex)
{
    struct ifaddrs *ifs = NULL, *i;
    bool ok = false;
    *ifindex = if_nametoindex("lo");
    if (getifaddrs(&ifs) != 0)
        return false;
    for (i = ifs; i != NULL; i = i->ifa_next)
        if (strcmp(i->ifa_name, "lo") == 0 && (i->ifa_flags & IFF_MULTICAST) != 0)
            ok = true;
    freeifaddrs(ifs);
    return ok && *ifindex != 0;
}

/* Listens on group (port 0), dials it on lo and checks a datagram arrives.
 * Returns 1 when it arrived, 0 when it did not, -1 when the listener could
 * not join (strict callers assert on both). */
static int multicast_delivers(const char *group_fmt, unsigned ifindex, bool strict)
{
    gn_socket_options_t o = {.multicast_ifindex = ifindex};
    gn_addr_t g = gn_tst_addr_port(group_fmt, 0);
    char name[128];
    ck_assert_int_gt(gn_addr_format(&g, name, sizeof name), 0);
    int lfd = gn_socket_listen(&g, &o);
    if (lfd < 0 && !strict) {
        fprintf(stderr, "multicast %s: listen: %s\n", name, gn_socket_strerror(lfd));
        return -1;
    }
    ck_assert_msg(lfd >= 0, "multicast listen %s: %s", name, gn_socket_strerror(lfd));
    ck_assert_int_ne(getint(lfd, SOL_SOCKET, SO_REUSEADDR), 0);
    gn_addr_t to = gn_tst_addr_port(group_fmt, gn_tst_port(lfd));
    int cfd = gn_socket_dial(&to, &o);
    if (cfd < 0 && !strict) { /* e.g. no multicast route on lo */
        fprintf(stderr, "multicast %s: dial: %s\n", name, gn_socket_strerror(cfd));
        close(lfd);
        return -1;
    }
    ck_assert_msg(cfd >= 0, "multicast dial %s: %s", name, gn_socket_strerror(cfd));
    ck_assert_int_eq(gn_socket_set_multicast_loop(cfd, to.family, true), 0);
    ck_assert_int_eq(send(cfd, "mcast", 5, GN_MSG_NOSIGNAL), 5);
    char buf[8] = {0};
    bool got = gn_tst_wait(lfd, POLLIN, 2000) && recv(lfd, buf, sizeof buf, 0) == 5;
    if (got)
        ck_assert_str_eq(buf, "mcast");
    /* Leaving the joined group works once; then the kernel says it is gone. */
    ck_assert_int_eq(gn_socket_leave_multicast(lfd, &to, ifindex), 0);
    ck_assert_int_ne(gn_socket_leave_multicast(lfd, &to, ifindex), 0);
    close(cfd);
    close(lfd);
    return got ? 1 : 0;
}

static bool have_ipv6(void)
{
    int fd = socket(AF_INET6, SOCK_DGRAM, 0);
    if (fd >= 0)
        close(fd);
    return fd >= 0;
}

/* Strict when lo carries IFF_MULTICAST; otherwise best effort, skipped
 * cleanly when the kernel will not join or deliver on lo. */
START_TEST(multicast_loopback)
{
    unsigned lo = 0;
    bool strict = lo_has_multicast(&lo);
    int v4 = multicast_delivers("udp4://239.255.77.1:%u", lo, strict);
    int v6 = 1;
    if (have_ipv6()) {
        char fmt[64];
        snprintf(fmt, sizeof fmt, "udp6://[ff02::77%%%%%u]:%%u", lo);
        v6 = multicast_delivers(fmt, lo, strict);
    }
    if (strict) {
        ck_assert_msg(v4 == 1, "IPv4 multicast datagram not delivered on lo");
        ck_assert_msg(v6 == 1, "IPv6 multicast datagram not delivered on lo");
    } else {
        static const char *const what[] = {"skipped (cannot join/route)", "not delivered",
                                           "delivered"};
        fprintf(stderr,
                "multicast_loopback: lo has no MULTICAST flag, best effort: ipv4 %s, "
                "ipv6 %s\n",
                what[v4 + 1], what[v6 + 1]);
    }
}
END_TEST

START_TEST(multicast_bad_input)
{
    gn_addr_t unicast = gn_tst_addr("udp4://127.0.0.1:1");
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    ck_assert_int_eq(gn_socket_join_multicast(fd, &unicast, 0), -EINVAL);
    ck_assert_int_eq(gn_socket_join_multicast(fd, NULL, 0), -EINVAL);
    ck_assert_int_eq(gn_socket_set_multicast_if(fd, AF_UNIX, 0), -EINVAL);
    ck_assert_int_eq(gn_socket_set_multicast_loop(fd, AF_UNIX, true), -EINVAL);
    ck_assert_int_eq(gn_socket_set_multicast_loop(fd, AF_INET, false), 0);
    unsigned char v = 1;
    socklen_t len = sizeof v;
    ck_assert_int_eq(getsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &v, &len), 0);
    ck_assert_int_eq(v, 0);
    close(fd);
}
END_TEST

/* A hand-built group whose len claims more than a sockaddr_storage must be
 * refused, not copied past the end of the kernel request. */
START_TEST(multicast_bad_len)
{
    gn_addr_t group = gn_tst_addr("udp4://239.255.77.2:9");
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    ck_assert_int_ge(fd, 0);
    group.len = (socklen_t)sizeof group.ss + 1;
    ck_assert_int_eq(gn_socket_join_multicast(fd, &group, 0), -EINVAL);
    group.len = (socklen_t)-1;
    ck_assert_int_eq(gn_socket_leave_multicast(fd, &group, 0), -EINVAL);
    close(fd);
}
END_TEST

TCase *gn_socket_opts_tcase(void)
{
    TCase *tc = tcase_create("opts");
    tcase_add_test(tc, nodelay);
    tcase_add_test(tc, keepalive);
    tcase_add_test(tc, buffers);
    tcase_add_test(tc, linger);
    tcase_add_test(tc, reuse_and_v6only);
    tcase_add_test(tc, bind_device);
    tcase_add_test(tc, options_struct_listen);
    tcase_add_test(tc, options_struct_dial);
    tcase_add_test(tc, options_failure_closes_fd);
    tcase_add_test(tc, apply_options_accepted);
    tcase_add_test(tc, multicast_loopback);
    tcase_add_test(tc, multicast_bad_input);
    tcase_add_test(tc, multicast_bad_len);
    return tc;
}
