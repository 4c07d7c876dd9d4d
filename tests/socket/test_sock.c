/* listen / dial / accept round trips, descriptor flags, unix socket files. */
#include "socket_test.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static void assert_fd_flags(int fd)
{
    ck_assert_int_ge(fd, 0);
    ck_assert_msg((fcntl(fd, F_GETFL) & O_NONBLOCK) != 0, "fd %d is blocking", fd);
    ck_assert_msg((fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0, "fd %d lacks FD_CLOEXEC", fd);
}

/* Sends msg on a and reads it back on b (both connected stream sockets). */
static void exchange(int a, int b, const char *msg)
{
    size_t n = strlen(msg);
    ck_assert_int_eq(send(a, msg, n, GN_MSG_NOSIGNAL), (ssize_t)n);
    char buf[64] = {0};
    ck_assert(gn_tst_wait(b, POLLIN, 5000));
    ck_assert_int_eq(recv(b, buf, sizeof buf, 0), (ssize_t)n);
    ck_assert_str_eq(buf, msg);
}

/* Listener + dialer + accepted connection, both directions, and the peer
 * address the accept reported equals getpeername's and the dialer's own
 * address (unless the listener sees an IPv4 client as v4-mapped IPv6). */
static void stream_round_trip(int lfd, const gn_addr_t *to)
{
    assert_fd_flags(lfd);
    ck_assert_int_eq(gn_socket_accept(lfd, NULL), -EAGAIN); /* nothing pending */
    int cfd = gn_socket_dial(to, NULL);
    assert_fd_flags(cfd);
    ck_assert(gn_tst_wait(lfd, POLLIN, 5000));
    gn_addr_t peer;
    int sfd = gn_socket_accept(lfd, &peer);
    assert_fd_flags(sfd);
    ck_assert(gn_tst_wait(cfd, POLLOUT, 5000));
    ck_assert_int_eq(gn_socket_error(cfd), 0);
    exchange(cfd, sfd, "ping");
    exchange(sfd, cfd, "pong");

    gn_addr_t local, remote;
    ck_assert_int_eq(gn_socket_local_addr(cfd, &local), 0);
    ck_assert_int_eq(gn_socket_peer_addr(sfd, &remote), 0);
    char a[128], b[128], c[128];
    ck_assert_int_ge(gn_addr_format(&local, a, sizeof a), 0);
    ck_assert_int_ge(gn_addr_format(&peer, b, sizeof b), 0);
    ck_assert_int_ge(gn_addr_format(&remote, c, sizeof c), 0);
    if (local.family == peer.family)
        ck_assert_str_eq(a, b);
    ck_assert_str_eq(b, c);
    ck_assert_int_eq(peer.socktype, SOCK_STREAM);
    close(cfd);
    close(sfd);
}

START_TEST(tcp4_round_trip)
{
    int lfd = gn_tst_listen("tcp4://127.0.0.1:0", NULL);
    ck_assert_int_ge(lfd, 0);
    unsigned port = gn_tst_port(lfd);
    ck_assert_uint_gt(port, 0);
    gn_addr_t to = gn_tst_addr_port("tcp4://127.0.0.1:%u", port);
    stream_round_trip(lfd, &to);
    gn_addr_t la;
    ck_assert_int_eq(gn_socket_local_addr(lfd, &la), 0);
    ck_assert_int_eq(la.network, GN_NET_TCP4);
    close(lfd);
}
END_TEST

START_TEST(tcp6_round_trip)
{
    gn_addr_t a = gn_tst_addr("tcp6://[::1]:0");
    int lfd = gn_socket_listen(&a, NULL);
    if (lfd == -EADDRNOTAVAIL || lfd == -EAFNOSUPPORT) {
        fprintf(stderr, "tcp6_round_trip: skipped, no IPv6 loopback (%s)\n",
                gn_socket_strerror(lfd));
        return;
    }
    ck_assert_int_ge(lfd, 0);
    int v = -1;
    socklen_t len = sizeof v;
    ck_assert_int_eq(getsockopt(lfd, IPPROTO_IPV6, IPV6_V6ONLY, &v, &len), 0);
    ck_assert_int_eq(v, 1); /* the 6 forms are IPv6 only */
    gn_addr_t to = gn_tst_addr_port("tcp6://[::1]:%u", gn_tst_port(lfd));
    stream_round_trip(lfd, &to);
    close(lfd);
}
END_TEST

/* tcp://:port is dual-stack: an IPv4 client reaches the :: listener. */
START_TEST(tcp_dual_stack_wildcard)
{
    int lfd = gn_tst_listen("tcp://:0", NULL);
    ck_assert_int_ge(lfd, 0);
    gn_addr_t la;
    ck_assert_int_eq(gn_socket_local_addr(lfd, &la), 0);
    if (la.family == AF_INET6) {
        int v = -1;
        socklen_t len = sizeof v;
        ck_assert_int_eq(getsockopt(lfd, IPPROTO_IPV6, IPV6_V6ONLY, &v, &len), 0);
        ck_assert_int_eq(v, 0);
    }
    gn_addr_t to = gn_tst_addr_port("tcp4://127.0.0.1:%u", gn_tst_port(lfd));
    stream_round_trip(lfd, &to);
    close(lfd);
}
END_TEST

START_TEST(tcp6_wildcard_is_v6only)
{
    int lfd = gn_tst_listen("tcp6://:0", NULL);
    if (lfd == -EAFNOSUPPORT) {
        fprintf(stderr, "tcp6_wildcard_is_v6only: skipped, no IPv6\n");
        return;
    }
    ck_assert_int_ge(lfd, 0);
    int v = -1;
    socklen_t len = sizeof v;
    ck_assert_int_eq(getsockopt(lfd, IPPROTO_IPV6, IPV6_V6ONLY, &v, &len), 0);
    ck_assert_int_eq(v, 1);
    close(lfd);
}
END_TEST

START_TEST(udp_round_trip)
{
    int lfd = gn_tst_listen("udp4://127.0.0.1:0", NULL);
    assert_fd_flags(lfd);
    gn_addr_t to = gn_tst_addr_port("udp://127.0.0.1:%u", gn_tst_port(lfd));
    int cfd = gn_socket_dial(&to, NULL);
    assert_fd_flags(cfd);
    ck_assert_int_eq(send(cfd, "hello", 5, GN_MSG_NOSIGNAL), 5);

    char buf[16] = {0};
    struct sockaddr_storage from;
    socklen_t flen = sizeof from;
    ck_assert(gn_tst_wait(lfd, POLLIN, 5000));
    ck_assert_int_eq(recvfrom(lfd, buf, sizeof buf, 0, (struct sockaddr *)&from, &flen), 5);
    ck_assert_str_eq(buf, "hello");
    gn_addr_t sender, local;
    ck_assert_int_eq(gn_addr_from_sockaddr(&sender, (struct sockaddr *)&from, flen, SOCK_DGRAM), 0);
    ck_assert_int_eq(gn_socket_local_addr(cfd, &local), 0);
    ck_assert_int_eq(local.network, GN_NET_UDP4);
    ck_assert(memcmp(&sender.ss, &local.ss, local.len) == 0);

    ck_assert_int_eq(sendto(lfd, "back", 4, 0, (struct sockaddr *)&sender.ss, sender.len), 4);
    ck_assert(gn_tst_wait(cfd, POLLIN, 5000));
    memset(buf, 0, sizeof buf);
    ck_assert_int_eq(recv(cfd, buf, sizeof buf, 0), 4);
    ck_assert_str_eq(buf, "back");
    close(cfd);
    close(lfd);
}
END_TEST

/* A private directory for unix socket files, removed by the caller. */
static void tmpdir(char *dir, size_t len)
{
    snprintf(dir, len, "/tmp/gn-socket-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static gn_addr_t unix_addr(const char *dir, char *path, size_t len)
{
    snprintf(path, len, "%s/s.sock", dir);
    char url[256];
    snprintf(url, sizeof url, "unix://%s", path);
    return gn_tst_addr(url);
}

START_TEST(unix_round_trip)
{
    char dir[64], path[128];
    tmpdir(dir, sizeof dir);
    gn_addr_t a = unix_addr(dir, path, sizeof path);
    int lfd = gn_socket_listen(&a, NULL);
    ck_assert_int_ge(lfd, 0);
    gn_addr_t la;
    char buf[128];
    ck_assert_int_eq(gn_socket_local_addr(lfd, &la), 0);
    ck_assert_int_eq(la.network, GN_NET_UNIX);
    ck_assert_int_ge(gn_addr_format(&la, buf, sizeof buf), 0);
    ck_assert_str_eq(buf, path);
    stream_round_trip(lfd, &a);
    close(lfd);
    unlink(path);
    rmdir(dir);
}
END_TEST

/* A server that died without unlinking its socket file must not block the
 * next listen on that path. */
START_TEST(unix_stale_file_removed)
{
    char dir[64], path[128];
    tmpdir(dir, sizeof dir);
    gn_addr_t a = unix_addr(dir, path, sizeof path);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int fd = gn_socket_listen(&a, NULL);
        _exit(fd >= 0 ? 0 : 1); /* "crash": no close, no unlink */
    }
    int status = 0;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    struct stat st;
    ck_assert_int_eq(lstat(path, &st), 0);
    ck_assert(S_ISSOCK(st.st_mode));

    int lfd = gn_socket_listen(&a, NULL);
    ck_assert_msg(lfd >= 0, "listen after crash: %s", gn_socket_strerror(lfd));
    stream_round_trip(lfd, &a);
    close(lfd);
    unlink(path);
    rmdir(dir);
}
END_TEST

/* A hand-built unix address may fill sun_path completely, without a NUL (the
 * kernel accepts that with len = sizeof(struct sockaddr_un)). The stale-file
 * check must read the path within len, not as a C string running on into the
 * rest of the storage: here those bytes are 'b's, which would name another
 * (missing) file and leave the stale one blocking the listen. */
START_TEST(unix_stale_file_full_sun_path)
{
    char dir[64];
    tmpdir(dir, sizeof dir);
    gn_addr_t a = gn_tst_addr("unix://x");
    struct sockaddr_un *sun = (struct sockaddr_un *)&a.ss;
    memset(&a.ss, 'b', sizeof a.ss);
    sun->sun_family = AF_UNIX;
    size_t n = sizeof sun->sun_path, dl = strlen(dir);
    memcpy(sun->sun_path, dir, dl);
    sun->sun_path[dl] = '/';
    memset(sun->sun_path + dl + 1, 'a', n - dl - 1);
    a.len = (socklen_t)sizeof *sun;
    char path[sizeof sun->sun_path + 1];
    memcpy(path, sun->sun_path, n);
    path[n] = '\0';

    int fd = socket(AF_UNIX, SOCK_STREAM, 0); /* a server that dies unlinking nothing */
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&a.ss, a.len), 0);
    close(fd);
    struct stat st;
    ck_assert_int_eq(lstat(path, &st), 0);

    int lfd = gn_socket_listen(&a, NULL);
    ck_assert_msg(lfd >= 0, "listen on full-length stale path: %s", gn_socket_strerror(lfd));
    close(lfd);
    unlink(path);
    rmdir(dir);
}
END_TEST

/* A live listener's file and a non-socket file are never removed. */
START_TEST(unix_live_file_kept)
{
    char dir[64], path[128];
    tmpdir(dir, sizeof dir);
    gn_addr_t a = unix_addr(dir, path, sizeof path);
    int lfd = gn_socket_listen(&a, NULL);
    ck_assert_int_ge(lfd, 0);
    ck_assert_int_eq(gn_socket_listen(&a, NULL), -EADDRINUSE);
    /* The liveness probe shows up as a connection that closed at once. */
    int probe = gn_socket_accept(lfd, NULL);
    ck_assert_int_ge(probe, 0);
    char c;
    ck_assert(gn_tst_wait(probe, POLLIN, 5000));
    ck_assert_int_eq(recv(probe, &c, 1, 0), 0);
    close(probe);
    stream_round_trip(lfd, &a); /* the first listener still owns the path */
    close(lfd);
    unlink(path);

    int f = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
    ck_assert_int_ge(f, 0);
    close(f);
    ck_assert_int_eq(gn_socket_listen(&a, NULL), -EADDRINUSE);
    struct stat st;
    ck_assert_int_eq(lstat(path, &st), 0);
    ck_assert(S_ISREG(st.st_mode));
    unlink(path);
    rmdir(dir);
}
END_TEST

#ifdef __linux__
START_TEST(unix_abstract_round_trip)
{
    char url[64];
    snprintf(url, sizeof url, "unix://@gn-socket-test-%d", (int)getpid());
    gn_addr_t a = gn_tst_addr(url);
    int lfd = gn_socket_listen(&a, NULL);
    ck_assert_int_ge(lfd, 0);
    stream_round_trip(lfd, &a);
    gn_addr_t la;
    char buf[64];
    ck_assert_int_eq(gn_socket_local_addr(lfd, &la), 0);
    ck_assert_int_ge(gn_addr_format(&la, buf, sizeof buf), 0);
    ck_assert_str_eq(buf, url + 7);
    close(lfd);
}
END_TEST
#endif

START_TEST(dial_refused)
{
    int lfd = gn_tst_listen("tcp4://127.0.0.1:0", NULL);
    gn_addr_t to = gn_tst_addr_port("tcp4://127.0.0.1:%u", gn_tst_port(lfd));
    close(lfd); /* nothing listens on the port now */
    int cfd = gn_socket_dial(&to, NULL);
    if (cfd == -ECONNREFUSED) /* some kernels refuse at once on loopback */
        return;
    ck_assert_int_ge(cfd, 0);
    ck_assert(gn_tst_wait(cfd, POLLOUT, 5000));
    ck_assert_int_eq(gn_socket_error(cfd), -ECONNREFUSED);
    ck_assert_int_eq(gn_socket_error(cfd), 0); /* SO_ERROR is cleared by the read */
    close(cfd);
}
END_TEST

START_TEST(dup_and_bad_input)
{
    int lfd = gn_tst_listen("tcp4://127.0.0.1:0", NULL);
    int d = gn_socket_dup(lfd);
    assert_fd_flags(d);
    ck_assert_int_ne(d, lfd);
    ck_assert_uint_eq(gn_tst_port(d), gn_tst_port(lfd));
    close(d);
    close(lfd);

    gn_addr_t zero;
    memset(&zero, 0, sizeof zero);
    ck_assert_int_eq(gn_socket_listen(NULL, NULL), -EINVAL);
    ck_assert_int_eq(gn_socket_listen(&zero, NULL), -EINVAL);
    ck_assert_int_eq(gn_socket_dial(NULL, NULL), -EINVAL);
    ck_assert_int_eq(gn_socket_dial(&zero, NULL), -EINVAL);
    ck_assert_int_eq(gn_socket_dup(-1), -EBADF);
    ck_assert_int_eq(gn_socket_accept(-1, NULL), -EBADF);
    ck_assert_int_eq(gn_socket_local_addr(-1, &zero), -EBADF);
    ck_assert_int_eq(gn_socket_local_addr(0, NULL), -EINVAL);
    ck_assert_int_eq(gn_socket_error(-1), -EBADF);
    gn_addr_t discard = gn_tst_addr("udp4://127.0.0.1:9");
    int cfd = gn_socket_dial(&discard, NULL);
    ck_assert_int_ge(cfd, 0);
    close(cfd);
    int ufd = gn_tst_listen("udp4://127.0.0.1:0", NULL);
    ck_assert_int_eq(gn_socket_peer_addr(ufd, &zero), -ENOTCONN);
    close(ufd);
}
END_TEST

/* Two listeners share a port with reuseport; without it the second fails. */
START_TEST(reuseport_shares_port)
{
    gn_socket_options_t o = {.reuseport = true};
    int a = gn_tst_listen("tcp4://127.0.0.1:0", &o);
    ck_assert_int_ge(a, 0);
    unsigned port = gn_tst_port(a);
    gn_addr_t same = gn_tst_addr_port("tcp4://127.0.0.1:%u", port);
    ck_assert_int_eq(gn_socket_listen(&same, NULL), -EADDRINUSE);
    int b = gn_socket_listen(&same, &o);
    ck_assert_msg(b >= 0, "second reuseport listener: %s", gn_socket_strerror(b));
    ck_assert_uint_eq(gn_tst_port(b), port);

    /* Connections land on one of the two; each is accepted by its owner. */
    int accepted = 0;
    for (int i = 0; i < 4; i++) {
        int c = gn_socket_dial(&same, NULL);
        ck_assert_int_ge(c, 0);
        struct pollfd p[2] = {{.fd = a, .events = POLLIN}, {.fd = b, .events = POLLIN}};
        ck_assert_int_ge(poll(p, 2, 5000), 1);
        int s = gn_socket_accept((p[0].revents & POLLIN) ? a : b, NULL);
        ck_assert_int_ge(s, 0);
        accepted++;
        close(s);
        close(c);
    }
    ck_assert_int_eq(accepted, 4);
    close(a);
    close(b);
}
END_TEST

TCase *gn_socket_sock_tcase(void)
{
    TCase *tc = tcase_create("sock");
    tcase_add_test(tc, tcp4_round_trip);
    tcase_add_test(tc, tcp6_round_trip);
    tcase_add_test(tc, tcp_dual_stack_wildcard);
    tcase_add_test(tc, tcp6_wildcard_is_v6only);
    tcase_add_test(tc, udp_round_trip);
    tcase_add_test(tc, unix_round_trip);
    tcase_add_test(tc, unix_stale_file_removed);
    tcase_add_test(tc, unix_stale_file_full_sun_path);
    tcase_add_test(tc, unix_live_file_kept);
#ifdef __linux__
    tcase_add_test(tc, unix_abstract_round_trip);
#endif
    tcase_add_test(tc, dial_refused);
    tcase_add_test(tc, dup_and_bad_input);
    tcase_add_test(tc, reuseport_shares_port);
    return tc;
}
