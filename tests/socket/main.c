/* gnet-socket suite: addresses, sockets, options. */
#include "socket_test.h"

#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>

int gn_tst_wait(int fd, short events, int ms)
{
    struct pollfd p = {.fd = fd, .events = events};
    return poll(&p, 1, ms) == 1 && (p.revents & (events | POLLERR | POLLHUP)) != 0;
}

gn_addr_t gn_tst_addr(const char *url)
{
    gn_addr_t a;
    int rc = gn_addr_parse(url, &a);
    ck_assert_msg(rc == 0, "parse %s: %s", url, gn_socket_strerror(rc));
    return a;
}

unsigned gn_tst_port(int fd)
{
    gn_addr_t a;
    ck_assert_int_eq(gn_socket_local_addr(fd, &a), 0);
    if (a.family == AF_INET)
        return ntohs(((struct sockaddr_in *)&a.ss)->sin_port);
    ck_assert_int_eq(a.family, AF_INET6);
    return ntohs(((struct sockaddr_in6 *)&a.ss)->sin6_port);
}

gn_addr_t gn_tst_addr_port(const char *fmt, unsigned port)
{
    char url[128];
    snprintf(url, sizeof url, fmt, port);
    return gn_tst_addr(url);
}

int gn_tst_listen(const char *url, const gn_socket_options_t *opts)
{
    gn_addr_t a = gn_tst_addr(url);
    return gn_socket_listen(&a, opts);
}

int main(void)
{
    Suite *s = suite_create("socket");
    suite_add_tcase(s, gn_socket_addr_tcase());
    suite_add_tcase(s, gn_socket_sock_tcase());
    suite_add_tcase(s, gn_socket_opts_tcase());
    return gn_test_run(s);
}
