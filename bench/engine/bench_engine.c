/* Large-message benchmark: the CPU and memory a server spends on one big
 * frame (8-byte length, then the payload) that arrives over many reads, when
 * its handler peeks at everything buffered on every read and returns until
 * the frame is complete (the usual protocol-parser pattern).
 *
 * Two servers with the same parser, each in a forked child on a loopback TCP
 * port: the gnet engine (gn_conn_peek(c, SIZE_MAX) in on_traffic) and a
 * hand-written epoll loop with a linear buffer that doubles when full. The
 * child answers each frame with its own CPU time (getrusage, user + system)
 * and peak RSS, so the figures are the server's alone, at microsecond
 * resolution. Rounds alternate the servers; the medians and the ratio
 * gnet/epoll are printed.
 *
 *     bench-engine [-m MiB] [-r rounds] [-p piece]
 *
 * -m frame size (default 32), -r rounds (default 3), -p bytes per send of
 * the client (default 16384). */
#include <gnet/gnet.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct reply {
    uint64_t cpu_us;
    uint64_t maxrss_kb;
} reply_t;

static reply_t self_usage(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    reply_t r = {
        .cpu_us = (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000u +
                  (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec),
        .maxrss_kb = (uint64_t)ru.ru_maxrss,
    };
    return r;
}

/* Length of the complete frame at p (header included), or 0. */
static size_t frame_len(const unsigned char *p, size_t n)
{
    if (n < 8)
        return 0;
    uint64_t len = 0;
    for (int i = 7; i >= 0; i--)
        len = len << 8 | p[i];
    return n - 8 >= len ? (size_t)(8 + len) : 0;
}

/* ---- the gnet server ---- */

static int G_port_fd;

static gn_action_t g_boot(gn_engine_t *eng)
{
    int fd = gn_engine_dup(eng);
    struct sockaddr_in in;
    socklen_t len = sizeof in;
    getsockname(fd, (struct sockaddr *)&in, &len);
    close(fd);
    int port = ntohs(in.sin_port);
    if (write(G_port_fd, &port, sizeof port) != sizeof port)
        return GN_SHUTDOWN;
    return GN_NONE;
}

static gn_action_t g_traffic(gn_conn_t *c)
{
    size_t n, f;
    const unsigned char *p;
    while ((p = gn_conn_peek(c, SIZE_MAX, &n)) != NULL && (f = frame_len(p, n)) > 0) {
        gn_conn_discard(c, f);
        reply_t r = self_usage();
        gn_conn_write(c, &r, sizeof r);
    }
    return GN_NONE;
}

static gn_action_t g_close(gn_conn_t *c, int err)
{
    (void)c;
    (void)err;
    return GN_SHUTDOWN; /* one client per child */
}

static void run_gnet(void)
{
    gn_handler_t h = {.on_boot = g_boot, .on_traffic = g_traffic, .on_close = g_close};
    gn_options_t o = {.log_level = GN_LOG_WARN};
    exit(gn_run(&h, "tcp://127.0.0.1:0", &o) < 0);
}

/* ---- the hand-written epoll server ---- */

static int listen_any(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in in = {.sin_family = AF_INET};
    in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof in;
    if (fd < 0 || bind(fd, (struct sockaddr *)&in, sizeof in) < 0 || listen(fd, 16) < 0 ||
        getsockname(fd, (struct sockaddr *)&in, &len) < 0)
        exit(1);
    int port = ntohs(in.sin_port);
    if (write(G_port_fd, &port, sizeof port) != sizeof port)
        exit(1);
    return fd;
}

/* One connection: read 64 KiB at a time into a linear buffer that doubles
 * when full, parse from its start after every read, move the rest down. */
static void run_epoll(void)
{
    int lfd = listen_any();
    int cfd = accept(lfd, NULL, NULL);
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = cfd};
    if (cfd < 0 || ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, cfd, &ev) < 0)
        exit(1);
    size_t cap = 65536, len = 0;
    unsigned char *buf = malloc(cap);
    for (;;) {
        if (epoll_wait(ep, &ev, 1, -1) < 1)
            continue;
        if (cap - len < 65536) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
        ssize_t n = read(cfd, buf + len, 65536);
        if (n <= 0)
            exit(0);
        len += (size_t)n;
        size_t f;
        while ((f = frame_len(buf, len)) > 0) {
            memmove(buf, buf + f, len - f);
            len -= f;
            reply_t r = self_usage();
            if (write(cfd, &r, sizeof r) != sizeof r)
                exit(1);
        }
    }
}

/* ---- the client ---- */

static void read_reply(int fd, reply_t *r)
{
    size_t got = 0;
    while (got < sizeof *r) {
        ssize_t n = read(fd, (char *)r + got, sizeof *r - got);
        if (n <= 0) {
            fprintf(stderr, "bench-engine: server went away\n");
            exit(1);
        }
        got += (size_t)n;
    }
}

static void send_frame(int fd, const unsigned char *payload, size_t len, size_t piece)
{
    unsigned char hdr[8];
    for (int i = 0; i < 8; i++)
        hdr[i] = (unsigned char)((uint64_t)len >> (8 * i));
    if (send(fd, hdr, sizeof hdr, MSG_NOSIGNAL) != sizeof hdr)
        exit(1);
    for (size_t off = 0; off < len;) {
        size_t k = len - off < piece ? len - off : piece;
        ssize_t w = send(fd, payload + off, k, MSG_NOSIGNAL);
        if (w <= 0)
            exit(1);
        off += (size_t)w;
    }
}

/* Forks a server, sends a small frame then the big one; returns the CPU and
 * the peak RSS growth the big frame cost the server. */
static reply_t one_round(bool gnet, const unsigned char *payload, size_t len, size_t piece)
{
    int pp[2];
    if (pipe(pp) < 0)
        exit(1);
    pid_t pid = fork();
    if (pid == 0) {
        close(pp[0]);
        G_port_fd = pp[1];
        gnet ? run_gnet() : run_epoll();
        exit(0);
    }
    close(pp[1]);
    int port = 0;
    if (read(pp[0], &port, sizeof port) != sizeof port)
        exit(1);
    close(pp[0]);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in in = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&in, sizeof in) < 0)
        exit(1);
    reply_t a, b;
    send_frame(fd, payload, 16, piece);
    read_reply(fd, &a);
    send_frame(fd, payload, len, piece);
    read_reply(fd, &b);
    close(fd);
    waitpid(pid, NULL, 0);
    return (reply_t){.cpu_us = b.cpu_us - a.cpu_us, .maxrss_kb = b.maxrss_kb - a.maxrss_kb};
}

static int cmp_u64(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return a < b ? -1 : a > b;
}

static uint64_t median(uint64_t *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_u64);
    return v[n / 2];
}

int main(int argc, char **argv)
{
    size_t mib = 32, piece = 16384;
    int rounds = 3, opt;
    while ((opt = getopt(argc, argv, "m:r:p:")) != -1) {
        if (opt == 'm')
            mib = strtoul(optarg, NULL, 10);
        else if (opt == 'r')
            rounds = atoi(optarg);
        else if (opt == 'p')
            piece = strtoul(optarg, NULL, 10);
        else
            return 2;
    }
    if (mib == 0 || rounds < 1 || rounds > 99 || piece == 0)
        return 2;
    signal(SIGPIPE, SIG_IGN);
    size_t len = mib << 20;
    unsigned char *payload = malloc(len);
    if (payload == NULL)
        return 1;
    for (size_t i = 0; i < len; i++)
        payload[i] = (unsigned char)(i * 131u);
    uint64_t cpu[2][100], rss[2][100];
    for (int r = 0; r < rounds; r++)
        for (int s = 0; s < 2; s++) {
            bool gnet = ((r + s) & 1) != 0; /* alternate which server goes first */
            reply_t x = one_round(gnet, payload, len, piece);
            cpu[gnet][r] = x.cpu_us;
            rss[gnet][r] = x.maxrss_kb;
        }
    uint64_t ce = median(cpu[0], rounds), cg = median(cpu[1], rounds);
    uint64_t re = median(rss[0], rounds), rg = median(rss[1], rounds);
    printf("large frame %zu MiB in %zu-byte sends, %d rounds (medians)\n", mib, piece, rounds);
    printf("  epoll  cpu %8.1f ms  peak rss +%6.1f MiB (%.2fx frame)\n", (double)ce / 1000.0,
           (double)re / 1024.0, (double)re / 1024.0 / (double)mib);
    printf("  gnet   cpu %8.1f ms  peak rss +%6.1f MiB (%.2fx frame)\n", (double)cg / 1000.0,
           (double)rg / 1024.0, (double)rg / 1024.0 / (double)mib);
    printf("  gnet/epoll cpu %.2f\n", ce > 0 ? (double)cg / (double)ce : 0.0);
    free(payload);
    return 0;
}
