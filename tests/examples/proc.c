/* Child-process servers and blocking loopback clients for the examples suite. */
#include "proc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef GN_EXAMPLES_BIN
#error "GN_EXAMPLES_BIN must name the directory of the example binaries"
#endif

/* A port the kernel just handed out for an ephemeral bind: free now, and
 * unlikely to be taken again before the server binds it (a clash is retried). */
static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(fd, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    return ntohs(a.sin_port);
}

static int try_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(fd, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        return fd;
    }
    close(fd);
    return -1;
}

static pid_t spawn(const char *prog, int port, const char *const *extra)
{
    char path[512], portstr[16];
    snprintf(path, sizeof path, "%s/%s", GN_EXAMPLES_BIN, prog);
    snprintf(portstr, sizeof portstr, "%d", port);
    const char *argv[32] = {path, "-p", portstr};
    int argc = 3;
    for (; extra != NULL && extra[argc - 3] != NULL && argc < 31; argc++)
        argv[argc] = extra[argc - 3];
    argv[argc] = NULL;
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        execv(path, (char *const *)argv);
        _exit(127);
    }
    return pid;
}

/* Waits up to 20 s for the child to accept; false if it exited first. */
static bool wait_up(pid_t pid, int port)
{
    for (int i = 0; i < 4000; i++) {
        int fd = try_connect(port);
        if (fd >= 0) {
            close(fd);
            return true;
        }
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid)
            return false;
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL); /* polling for readiness, not ordering events */
    }
    ck_abort_msg("server %d did not start listening", (int)pid);
    return false;
}

server_t server_start(const char *prog, const char *const *extra)
{
    for (int attempt = 0; attempt < 5; attempt++) {
        int port = free_port();
        pid_t pid = spawn(prog, port, extra);
        if (wait_up(pid, port))
            return (server_t){pid, port};
    }
    ck_abort_msg("%s did not start", prog);
    return (server_t){-1, 0};
}

void server_stop(server_t *s)
{
    ck_assert_int_eq(kill(s->pid, SIGTERM), 0);
    int st = 0;
    ck_assert_int_eq(waitpid(s->pid, &st, 0), s->pid);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "server exit status %d", st);
    s->pid = -1;
}

int cli_connect(int port)
{
    int fd = try_connect(port);
    ck_assert_msg(fd >= 0, "connect to %d: %s", port, strerror(errno));
    return fd;
}

void cli_send(int fd, const void *p, size_t n)
{
    const char *b = p;
    while (n > 0) {
        ssize_t w = send(fd, b, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        ck_assert_msg(w > 0, "send: %s", strerror(errno));
        b += w;
        n -= (size_t)w;
    }
}

size_t cli_read(int fd, void *p, size_t n, int ms)
{
    size_t got = 0;
    while (got < n) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        if (poll(&pfd, 1, ms) <= 0)
            break;
        ssize_t r = recv(fd, (char *)p + got, n - got, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    return got;
}

bool cli_quiet(int fd, int ms)
{
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    return poll(&pfd, 1, ms) == 0;
}

bool cli_wait_eof(int fd, int ms)
{
    char buf[4096];
    for (;;) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        if (poll(&pfd, 1, ms) <= 0)
            return false;
        ssize_t r = recv(fd, buf, sizeof buf, 0);
        if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN))
            return true;
    }
}

reader_t *reader_new(int fd)
{
    reader_t *r = calloc(1, sizeof *r);
    ck_assert_ptr_nonnull(r);
    r->fd = fd;
    return r;
}

bool reader_fill(reader_t *r, size_t n)
{
    while (r->len < n && r->len < sizeof r->buf - 1) {
        size_t got = cli_read(r->fd, r->buf + r->len, 1, 10000);
        if (got == 0)
            return false;
        /* take whatever else is already there, without waiting */
        r->len += got;
        ssize_t more = recv(r->fd, r->buf + r->len, sizeof r->buf - 1 - r->len, MSG_DONTWAIT);
        if (more > 0)
            r->len += (size_t)more;
    }
    return r->len >= n;
}

void reader_consume(reader_t *r, size_t n)
{
    memmove(r->buf, r->buf + n, r->len - n);
    r->len -= n;
}

bool reader_bytes(reader_t *r, void *p, size_t n)
{
    char *d = p;
    while (n > 0) {
        if (r->len == 0 && !reader_fill(r, 1))
            return false;
        size_t k = r->len < n ? r->len : n;
        memcpy(d, r->buf, k);
        reader_consume(r, k);
        d += k;
        n -= k;
    }
    return true;
}
