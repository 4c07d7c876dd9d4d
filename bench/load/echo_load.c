/* echo_load: a closed-loop load generator for TCP echo servers that verifies every
 * byte it gets back. Loopback only: it refuses any other address.
 *
 *   echo_load [-c CONNS] [-s BYTES] [-p DEPTH] [-d SECS] [-w SECS] [-n MSGS]
 *             [-h 127.0.0.1|::1] [-P PORT] [-T SECS] [-m PENDING] [-S SERVER_PID]
 *             [-b BYTES]
 *
 * Every connection keeps DEPTH messages of BYTES in flight: when the echo of one is
 * complete it sends the next. What a connection sends is one endless stream taken
 * from a 1 MiB random pattern at an offset of its own, so a lost, repeated,
 * reordered or foreign byte differs from what is expected at its place in the
 * stream and is caught by comparing every byte read.
 *
 * Phases: connect (at most PENDING connects in flight, all within T) -> warm-up (w s,
 * not counted) -> measurement (d s, or until n messages, whichever comes first) ->
 * drain (nothing new is sent; every message in flight must come back, then each
 * connection half-closes and the server must close it; within T). It always ends on
 * its own, after at most T + w + d + T seconds.
 *
 * An error is any of: a failed connect, a read or write error, an early EOF, a byte
 * that differs from what was sent or comes back without having been sent, a message
 * not echoed by the end of the drain, a connection the server does not close after
 * the half-close. Errors are counted by kind on stderr (the first few in detail).
 *
 * Output: one line of key=value on stdout (see print_result). With -S the
 * server's CPU time (utime+stime from /proc) is sampled at the edges of the
 * measurement window, so srv_us_per_msg covers exactly the counted messages.
 * Exit status: 0 no errors, 1 errors, 2 bad usage or setup failure. */
#include "cpu.h"
#include "hist.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

/* The pattern repeats every PAT_LEN bytes; PAT_LEN is odd so that no message size
 * divides it and consecutive messages are different windows. PAT_TAIL bytes past the
 * end repeat the start, so any chunk of up to PAT_TAIL bytes is contiguous. */
#define PAT_LEN     ((1u << 20) + 7u)
#define PAT_TAIL    (64u * 1024u)
#define READ_MAX    (64u * 1024u)
#define MAX_EVENTS  256
#define ERR_DETAILS 5

typedef struct {
    long conns;
    long size;
    long depth;
    double dur, warm, tmo;
    long count; /* 0: bounded by time only */
    long pending;
    long sockbuf; /* -b: SO_SNDBUF and SO_RCVBUF of client sockets, 0: the kernel's */
    const char *host;
    long port;
    long srv_pid;
} opts_t;

enum cstate { C_IDLE, C_CONNECTING, C_RUN, C_SHUT, C_DONE };

typedef struct {
    int fd;
    enum cstate st;
    bool out_armed;
    uint64_t base;   /* pattern offset of stream byte 0 */
    uint64_t queued; /* bytes of messages queued (sent or not) */
    uint64_t sent;   /* bytes written */
    uint64_t recvd;  /* bytes read and verified */
    uint64_t *stamp; /* queue time of message m at [m % depth] */
} conn_t;

enum ekind { E_CONNECT, E_IO, E_EOF, E_CORRUPT, E_SURPLUS, E_UNECHOED, E_NOCLOSE, E_NKIND };
static const char *const ekind_name[E_NKIND] = {
    "connect", "io", "early_eof", "corrupt", "surplus", "unechoed", "no_close",
};

enum phase { P_CONNECT, P_WARM, P_MEASURE, P_DRAIN, P_END };

typedef struct {
    opts_t o;
    int ep;
    conn_t *c;
    unsigned char *pat;
    unsigned char rbuf[READ_MAX];
    struct sockaddr_storage addr;
    socklen_t addrlen;
    enum phase ph;
    uint64_t deadline; /* end of the current phase (ns, monotonic) */
    long started, connecting, done;
    uint64_t errs[E_NKIND];
    unsigned detailed;
    hist_t hist;
    uint64_t measured, total;
    cpu_sample_t s0, s1;
} load_t;

static uint64_t secs_ns(double s)
{
    return (uint64_t)(s * 1e9);
}

static void error_at(load_t *L, long i, enum ekind k, const char *what)
{
    L->errs[k]++;
    if (L->detailed++ < ERR_DETAILS)
        fprintf(stderr, "echo_load: conn %ld: %s: %s\n", i, ekind_name[k], what);
}

static void conn_close(load_t *L, conn_t *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->st = C_DONE;
    L->done++;
}

static void conn_fail(load_t *L, long i, enum ekind k, const char *what)
{
    error_at(L, i, k, what);
    if (L->c[i].st == C_CONNECTING)
        L->connecting--;
    conn_close(L, &L->c[i]);
}

static int set_interest(load_t *L, long i, bool out)
{
    conn_t *c = &L->c[i];
    struct epoll_event ev = {.events = EPOLLIN | (out ? EPOLLOUT : 0u), .data.u64 = (uint64_t)i};
    c->out_armed = out;
    return epoll_ctl(L->ep, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Writes what is queued; a partial write arms EPOLLOUT for the rest. */
static void conn_flush(load_t *L, long i)
{
    conn_t *c = &L->c[i];
    while (c->sent < c->queued) {
        uint64_t off = (c->base + c->sent) % PAT_LEN;
        uint64_t len = c->queued - c->sent < PAT_TAIL ? c->queued - c->sent : PAT_TAIL;
        ssize_t w = send(c->fd, L->pat + off, (size_t)len, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && errno != EAGAIN) {
            conn_fail(L, i, E_IO, strerror(errno));
            return;
        }
        if (w > 0)
            c->sent += (uint64_t)w;
        if (w < 0 || (uint64_t)w < len)
            break;
    }
    bool want_out = c->sent < c->queued;
    if (want_out != c->out_armed && set_interest(L, i, want_out) < 0)
        conn_fail(L, i, E_IO, strerror(errno));
}

static void conn_queue(load_t *L, conn_t *c, uint64_t now)
{
    uint64_t m = c->queued / (uint64_t)L->o.size;
    c->stamp[m % (uint64_t)L->o.depth] = now;
    c->queued += (uint64_t)L->o.size;
}

/* Compares n bytes read at stream position c->recvd with what was sent there. */
static bool verify(const load_t *L, const conn_t *c, const unsigned char *p, size_t n)
{
    uint64_t pos = c->recvd;
    while (n > 0) {
        uint64_t off = (c->base + pos) % PAT_LEN;
        size_t len = n < PAT_TAIL ? n : PAT_TAIL;
        if (memcmp(p, L->pat + off, len) != 0)
            return false;
        p += len;
        pos += len;
        n -= len;
    }
    return true;
}

/* Accounts the messages whose echo the last read completed; each one, during
 * warm-up and measurement, is replaced by a new message. */
static void complete(load_t *L, conn_t *c, uint64_t before, uint64_t now)
{
    uint64_t size = (uint64_t)L->o.size;
    for (uint64_t m = before / size; m < c->recvd / size; m++) {
        uint64_t rtt = now - c->stamp[m % (uint64_t)L->o.depth];
        L->total++;
        if (L->ph == P_MEASURE) {
            L->measured++;
            hist_add(&L->hist, rtt);
        }
        if (L->ph == P_WARM || L->ph == P_MEASURE)
            conn_queue(L, c, now);
    }
}

static void half_close_if_idle(load_t *L, long i)
{
    conn_t *c = &L->c[i];
    if (c->st != C_RUN || c->recvd != c->queued)
        return;
    if (shutdown(c->fd, SHUT_WR) < 0)
        conn_fail(L, i, E_IO, strerror(errno));
    else
        c->st = C_SHUT;
}

static void on_readable(load_t *L, long i, uint64_t now)
{
    conn_t *c = &L->c[i];
    ssize_t n = recv(c->fd, L->rbuf, READ_MAX, 0);
    if (n < 0) {
        if (errno != EAGAIN && errno != EINTR)
            conn_fail(L, i, E_IO, strerror(errno));
        return;
    }
    if (n == 0) {
        if (c->st == C_SHUT && c->recvd == c->sent)
            conn_close(L, c); /* the server closed after our half-close: done */
        else
            conn_fail(L, i, E_EOF, "server closed with echoes outstanding");
        return;
    }
    if (c->recvd + (uint64_t)n > c->sent) {
        conn_fail(L, i, E_SURPLUS, "more bytes came back than were sent");
        return;
    }
    if (!verify(L, c, L->rbuf, (size_t)n)) {
        conn_fail(L, i, E_CORRUPT, "echoed bytes differ from those sent");
        return;
    }
    uint64_t before = c->recvd;
    c->recvd += (uint64_t)n;
    complete(L, c, before, now);
    if (c->st == C_RUN)
        conn_flush(L, i);
    if (L->ph == P_DRAIN && c->st == C_RUN)
        half_close_if_idle(L, i);
}

static void on_connected(load_t *L, long i)
{
    conn_t *c = &L->c[i];
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
        err = errno;
    if (err != 0) {
        conn_fail(L, i, E_CONNECT, strerror(err));
        return;
    }
    L->connecting--;
    c->st = C_RUN;
    if (set_interest(L, i, false) < 0)
        conn_fail(L, i, E_IO, strerror(errno));
}

static void start_connect(load_t *L, long i)
{
    conn_t *c = &L->c[i];
    int one = 1;
    L->started++;
    L->connecting++;
    c->st = C_CONNECTING;
    c->fd = socket(L->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
        conn_fail(L, i, E_CONNECT, strerror(errno));
        return;
    }
    (void)setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (L->o.sockbuf > 0) {
        int b = (int)L->o.sockbuf;
        (void)setsockopt(c->fd, SOL_SOCKET, SO_SNDBUF, &b, sizeof b);
        (void)setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &b, sizeof b);
    }
    if (connect(c->fd, (struct sockaddr *)&L->addr, L->addrlen) < 0 && errno != EINPROGRESS) {
        conn_fail(L, i, E_CONNECT, strerror(errno));
        return;
    }
    /* Completion (or failure) of the connect shows as writability. */
    struct epoll_event ev = {.events = EPOLLOUT, .data.u64 = (uint64_t)i};
    if (epoll_ctl(L->ep, EPOLL_CTL_ADD, c->fd, &ev) < 0)
        conn_fail(L, i, E_CONNECT, strerror(errno));
}

static void start_connects(load_t *L)
{
    while (L->started < L->o.conns && L->connecting < L->o.pending)
        start_connect(L, L->started);
}

static void on_event(load_t *L, long i, uint32_t ev, uint64_t now)
{
    conn_t *c = &L->c[i];
    if (c->st == C_CONNECTING) {
        on_connected(L, i);
        start_connects(L);
        return;
    }
    if ((ev & (EPOLLIN | EPOLLERR | EPOLLHUP)) && (c->st == C_RUN || c->st == C_SHUT))
        on_readable(L, i, now);
    if ((ev & EPOLLOUT) && c->st == C_RUN)
        conn_flush(L, i);
}

static void sample(load_t *L, cpu_sample_t *s)
{
    int rc = cpu_sample((pid_t)L->o.srv_pid, s);
    if (rc < 0)
        fprintf(stderr, "echo_load: cannot sample CPU time of pid %ld: %s\n", L->o.srv_pid,
                strerror(-rc));
}

static void begin_traffic(load_t *L, uint64_t now)
{
    for (long i = 0; i < L->o.conns; i++) {
        conn_t *c = &L->c[i];
        if (c->st == C_CONNECTING)
            conn_fail(L, i, E_CONNECT, "not connected within the timeout");
        if (c->st != C_RUN)
            continue;
        for (long k = 0; k < L->o.depth; k++)
            conn_queue(L, c, now);
        conn_flush(L, i);
    }
    L->ph = P_WARM;
    L->deadline = now + secs_ns(L->o.warm);
}

static void begin_drain(load_t *L, uint64_t now)
{
    sample(L, &L->s1);
    L->ph = P_DRAIN;
    L->deadline = now + secs_ns(L->o.tmo);
    for (long i = 0; i < L->o.conns; i++)
        half_close_if_idle(L, i);
}

static void end_drain(load_t *L)
{
    for (long i = 0; i < L->o.conns; i++) {
        conn_t *c = &L->c[i];
        if (c->st == C_RUN)
            conn_fail(L, i, E_UNECHOED, "messages not echoed by the end of the drain");
        else if (c->st == C_SHUT)
            conn_fail(L, i, E_NOCLOSE, "server did not close after the half-close");
    }
    L->ph = P_END;
}

/* Moves to the next phase when the current one is over. */
static void advance(load_t *L, uint64_t now)
{
    switch (L->ph) {
    case P_CONNECT:
        if (L->started == L->o.conns && L->connecting == 0)
            begin_traffic(L, now);
        else if (now >= L->deadline)
            begin_traffic(L, now);
        break;
    case P_WARM:
        if (now >= L->deadline) {
            L->ph = P_MEASURE;
            L->deadline = now + secs_ns(L->o.dur);
            sample(L, &L->s0);
        }
        break;
    case P_MEASURE:
        if (now >= L->deadline || (L->o.count > 0 && L->measured >= (uint64_t)L->o.count))
            begin_drain(L, now);
        break;
    case P_DRAIN:
        if (L->done == L->o.conns)
            L->ph = P_END;
        else if (now >= L->deadline)
            end_drain(L);
        break;
    case P_END:
        break;
    }
    if ((L->ph == P_WARM || L->ph == P_MEASURE) && L->done == L->o.conns) {
        if (L->ph == P_WARM)
            sample(L, &L->s0);
        begin_drain(L, now); /* every connection failed: nothing left to measure */
    }
}

static int wait_ms(const load_t *L, uint64_t now)
{
    if (L->deadline <= now)
        return 0;
    uint64_t ms = (L->deadline - now + 999999u) / 1000000u;
    return ms > 1000 ? 1000 : (int)ms;
}

static int run(load_t *L)
{
    struct epoll_event evs[MAX_EVENTS];
    L->ph = P_CONNECT;
    L->deadline = cpu_now_ns() + secs_ns(L->o.tmo);
    start_connects(L);
    while (L->ph != P_END) {
        int n = epoll_wait(L->ep, evs, MAX_EVENTS, wait_ms(L, cpu_now_ns()));
        if (n < 0 && errno != EINTR) {
            perror("echo_load: epoll_wait");
            return -1;
        }
        uint64_t now = cpu_now_ns();
        for (int k = 0; k < n; k++)
            on_event(L, (long)evs[k].data.u64, evs[k].events, now);
        advance(L, now);
    }
    return 0;
}

static void print_result(const load_t *L)
{
    cpu_usage_t u;
    cpu_usage(&L->s0, &L->s1, L->o.srv_pid > 0, &u);
    double msgs = (double)L->measured;
    double rate = msgs / u.secs;
    uint64_t errors = 0;
    for (int k = 0; k < E_NKIND; k++)
        errors += L->errs[k];
    printf("msgs_per_s=%.0f MiB_per_s=%.2f p50_us=%.1f p99_us=%.1f p999_us=%.1f mean_us=%.1f "
           "max_us=%.1f errors=%llu conns=%ld size=%ld depth=%ld secs=%.3f msgs=%llu "
           "msgs_total=%llu cli_cpu=%.3f cli_us_per_msg=%.3f",
           rate, rate * (double)L->o.size / (1024.0 * 1024.0),
           (double)hist_quantile(&L->hist, 0.50) / 1e3, (double)hist_quantile(&L->hist, 0.99) / 1e3,
           (double)hist_quantile(&L->hist, 0.999) / 1e3,
           L->hist.n ? (double)L->hist.sum / (double)L->hist.n / 1e3 : 0.0,
           (double)L->hist.max / 1e3, (unsigned long long)errors, L->o.conns, L->o.size, L->o.depth,
           u.secs, (unsigned long long)L->measured, (unsigned long long)L->total, u.self,
           msgs > 0 ? u.self * u.secs * 1e6 / msgs : 0.0);
    if (L->o.srv_pid > 0)
        printf(" srv_cpu=%.3f srv_us_per_msg=%.3f", u.srv,
               msgs > 0 ? (double)u.srv_ns / 1e3 / msgs : 0.0);
    printf(" other_cpu=%.3f\n", u.other);
    fflush(stdout);
    if (errors > 0) {
        fprintf(stderr, "echo_load: errors by kind:");
        for (int k = 0; k < E_NKIND; k++)
            if (L->errs[k] > 0)
                fprintf(stderr, " %s=%llu", ekind_name[k], (unsigned long long)L->errs[k]);
        fprintf(stderr, "\n");
    }
}

static int usage(void)
{
    fprintf(stderr,
            "usage: echo_load [-c CONNS] [-s BYTES] [-p DEPTH] [-d SECS] [-w SECS] [-n MSGS]\n"
            "                 [-h 127.0.0.1|::1] [-P PORT] [-T SECS] [-m PENDING] [-S PID]\n"
            "                 [-b BYTES]\n"
            "  -c connections (1..65536, default 50)     -s message bytes (1..16777216, 512)\n"
            "  -p messages in flight per connection (1..256, 1)\n"
            "  -d measured seconds (5)  -w warm-up seconds (1)  -n stop after MSGS measured\n"
            "  -h loopback address (127.0.0.1)  -P port (9100)\n"
            "  -T connect and drain limit, seconds (10)  -m connects in flight (256)\n"
            "  -S server pid: sample its CPU time over the measurement\n"
            "  -b client socket buffers, bytes: small ones make the server's writes partial\n"
            "     (a correctness check of its output queue, not a benchmark)\n");
    return 2;
}

static bool parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

static bool parse_secs(const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno != 0 || end == s || *end != '\0' || !(v >= lo && v <= hi))
        return false;
    *out = v;
    return true;
}

static bool parse_opt(opts_t *o, int opt, const char *arg)
{
    switch (opt) {
    case 'c':
        return parse_long(arg, 1, 65536, &o->conns);
    case 's':
        return parse_long(arg, 1, 16L << 20, &o->size);
    case 'p':
        return parse_long(arg, 1, 256, &o->depth);
    case 'd':
        return parse_secs(arg, 0.001, 86400, &o->dur);
    case 'w':
        return parse_secs(arg, 0, 3600, &o->warm);
    case 'n':
        return parse_long(arg, 1, 1L << 62, &o->count);
    case 'h':
        o->host = arg;
        return true;
    case 'P':
        return parse_long(arg, 1, 65535, &o->port);
    case 'T':
        return parse_secs(arg, 0.01, 3600, &o->tmo);
    case 'm':
        return parse_long(arg, 1, 65536, &o->pending);
    case 'b':
        return parse_long(arg, 1024, 64L << 20, &o->sockbuf);
    case 'S':
        return parse_long(arg, 1, 1L << 30, &o->srv_pid);
    default:
        return false;
    }
}

/* Only loopback targets: this program floods what it connects to. */
static bool loopback_addr(load_t *L)
{
    struct sockaddr_in *a4 = (struct sockaddr_in *)&L->addr;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&L->addr;
    memset(&L->addr, 0, sizeof L->addr);
    if (inet_pton(AF_INET, L->o.host, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)L->o.port);
        L->addrlen = sizeof *a4;
        return (ntohl(a4->sin_addr.s_addr) >> 24) == 127;
    }
    if (inet_pton(AF_INET6, L->o.host, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)L->o.port);
        L->addrlen = sizeof *a6;
        return IN6_IS_ADDR_LOOPBACK(&a6->sin6_addr);
    }
    return false;
}

/* Descriptors: one per connection plus a few; the soft limit is raised to the hard one. */
static bool enough_fds(long conns)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        return false;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
        (void)getrlimit(RLIMIT_NOFILE, &rl);
    }
    return rl.rlim_cur == RLIM_INFINITY || (rlim_t)conns + 16 <= rl.rlim_cur;
}

/* xorshift64: a fixed seed, so that a failing run can be replayed byte for byte. */
static unsigned char *make_pattern(void)
{
    unsigned char *p = malloc(PAT_LEN + PAT_TAIL);
    if (p == NULL)
        return NULL;
    uint64_t x = 0x9e3779b97f4a7c15u;
    for (size_t i = 0; i < PAT_LEN; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        p[i] = (unsigned char)(x >> 32);
    }
    memcpy(p + PAT_LEN, p, PAT_TAIL);
    return p;
}

static int setup(load_t *L)
{
    if (!loopback_addr(L)) {
        fprintf(stderr, "echo_load: '%s' is not a loopback address (127.0.0.0/8 or ::1)\n",
                L->o.host);
        return -1;
    }
    if (!enough_fds(L->o.conns)) {
        fprintf(stderr, "echo_load: RLIMIT_NOFILE too low for %ld connections\n", L->o.conns);
        return -1;
    }
    int rc = cpu_watch((pid_t)L->o.srv_pid);
    if (rc < 0) {
        fprintf(stderr, "echo_load: server pid %ld: %s\n", L->o.srv_pid, strerror(-rc));
        return -1;
    }
    L->pat = make_pattern();
    L->c = calloc((size_t)L->o.conns, sizeof *L->c);
    uint64_t *stamps = calloc((size_t)(L->o.conns * L->o.depth), sizeof *stamps);
    L->ep = epoll_create1(EPOLL_CLOEXEC);
    if (L->pat == NULL || L->c == NULL || stamps == NULL || L->ep < 0) {
        fprintf(stderr, "echo_load: out of memory or descriptors\n");
        return -1;
    }
    for (long i = 0; i < L->o.conns; i++) {
        L->c[i].fd = -1;
        L->c[i].base = (uint64_t)i * (PAT_LEN / (uint64_t)L->o.conns) + (uint64_t)i * 31u;
        L->c[i].stamp = stamps + i * L->o.depth;
    }
    return 0;
}

int main(int argc, char **argv)
{
    static load_t L = {
        .o = {.conns = 50,
              .size = 512,
              .depth = 1,
              .dur = 5,
              .warm = 1,
              .tmo = 10,
              .pending = 256,
              .host = "127.0.0.1",
              .port = 9100},
    };
    int opt;
    while ((opt = getopt(argc, argv, "c:s:p:d:w:n:h:P:T:m:S:b:")) != -1) {
        if (!parse_opt(&L.o, opt, optarg)) {
            if (opt != '?')
                fprintf(stderr, "echo_load: bad value for -%c: '%s'\n", opt, optarg);
            return usage();
        }
    }
    if (optind != argc)
        return usage();
    signal(SIGPIPE, SIG_IGN);
    if (setup(&L) < 0 || run(&L) < 0)
        return 2;
    print_result(&L);
    for (int k = 0; k < E_NKIND; k++)
        if (L.errs[k] > 0)
            return 1;
    return 0;
}
