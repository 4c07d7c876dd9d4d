/* echo_demo: starts the gnet echo server in-process on a free local port,
 * drives it with a short built-in load (closed loop, every echoed byte
 * verified), prints throughput and connection counts, stops the engine.
 *
 *   echo_demo [-c CONNS] [-s BYTES] [-d SECS] [-t LOOPS]
 *
 * Exits 0 only if every byte came back intact and the engine stopped cleanly. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* getopt, usleep, accept4 & co. when built without the Makefile */
#endif
#include <gnet/gnet.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static _Atomic(gn_engine_t *) engine;
static atomic_size_t opened, closed;

static gn_action_t on_boot(gn_engine_t *eng)
{
    atomic_store(&engine, eng);
    return GN_NONE;
}

static gn_action_t on_open(gn_conn_t *c)
{
    (void)c;
    atomic_fetch_add(&opened, 1);
    return GN_NONE;
}

static gn_action_t on_close(gn_conn_t *c, int err)
{
    (void)c;
    (void)err;
    atomic_fetch_add(&closed, 1);
    return GN_NONE;
}

static gn_action_t on_traffic(gn_conn_t *c)
{
    size_t n;
    const void *p = gn_conn_next(c, SIZE_MAX, &n);
    if (n > 0 && gn_conn_write(c, p, n) < 0)
        return GN_CLOSE;
    return GN_NONE;
}

typedef struct client {
    int fd;
    size_t sent, got; /* of the current message */
    size_t off;       /* window into the pattern for the current message */
} client_t;

static atomic_int run_rc; /* read by main while the server thread starts */
static void *server_main(void *arg)
{
    gn_options_t *o = arg;
    gn_handler_t h = {
        .on_boot = on_boot, .on_open = on_open, .on_close = on_close, .on_traffic = on_traffic};
    run_rc = gn_run(&h, "tcp://127.0.0.1:0", o);
    return NULL;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int server_port(void)
{
    int fd = gn_engine_dup(atomic_load(&engine));
    struct sockaddr_in in;
    socklen_t len = sizeof in;
    if (fd < 0 || getsockname(fd, (struct sockaddr *)&in, &len) < 0)
        return -1;
    close(fd);
    return ntohs(in.sin_port);
}

static int dial(int port)
{
    struct sockaddr_in in = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd < 0 || connect(fd, (struct sockaddr *)&in, sizeof in) < 0)
        return -1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

/* Closed loop over epoll: each connection sends `size` bytes, waits for all
 * of them back, checks them, repeats. Returns messages verified, or -1. */
static long drive(client_t *cl, int nconns, const unsigned char *pat, size_t plen, size_t size,
                  double secs)
{
    int ep = epoll_create1(EPOLL_CLOEXEC);
    unsigned char buf[65536];
    long msgs = 0;
    for (int i = 0; i < nconns; i++) {
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
        epoll_ctl(ep, EPOLL_CTL_ADD, cl[i].fd, &ev);
        cl[i].off = ((size_t)i * 7919) % (plen - size);
        if (write(cl[i].fd, pat + cl[i].off, size) != (ssize_t)size)
            return -1;
    }
    double end = now() + secs;
    int active = nconns;
    while (active > 0) {
        struct epoll_event evs[256];
        int n = epoll_wait(ep, evs, 256, 5000);
        if (n <= 0)
            return -1;
        bool more = now() < end;
        for (int k = 0; k < n; k++) {
            client_t *c = &cl[evs[k].data.u32];
            ssize_t r = read(c->fd, buf, sizeof buf);
            if (r <= 0 || c->got + (size_t)r > size ||
                memcmp(buf, pat + c->off + c->got, (size_t)r) != 0) {
                fprintf(stderr, "echo_demo: bad echo on a connection\n");
                return -1;
            }
            c->got += (size_t)r;
            if (c->got < size)
                continue;
            msgs++;
            c->got = 0;
            c->off = (c->off + 4099) % (plen - size);
            if (!more) {
                active--;
                epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
            } else if (write(c->fd, pat + c->off, size) != (ssize_t)size) {
                return -1;
            }
        }
    }
    close(ep);
    return msgs;
}

int main(int argc, char **argv)
{
    int nconns = 50, opt;
    size_t size = 4096;
    double secs = 2;
    gn_options_t o = {.num_event_loop = 2};
    while ((opt = getopt(argc, argv, "c:s:d:t:")) != -1) {
        if (opt == 'c')
            nconns = atoi(optarg);
        else if (opt == 's')
            size = (size_t)atol(optarg);
        else if (opt == 'd')
            secs = atof(optarg);
        else if (opt == 't')
            o.num_event_loop = atoi(optarg);
        else {
            fprintf(stderr, "usage: %s [-c CONNS] [-s BYTES] [-d SECS] [-t LOOPS]\n", argv[0]);
            return 2;
        }
    }
    if (nconns < 1 || nconns > 10000 || size < 1 || size > 32768 || secs <= 0) {
        fprintf(stderr, "echo_demo: conns 1..10000, size 1..32768, secs > 0\n");
        return 2;
    }
    pthread_t srv;
    pthread_create(&srv, NULL, server_main, &o);
    while (atomic_load(&engine) == NULL && run_rc == 0)
        usleep(1000);
    int port = server_port();
    if (port < 0) {
        fprintf(stderr, "echo_demo: server did not start: %s\n", gn_strerror(run_rc));
        return 1;
    }
    size_t plen = 1 << 20;
    unsigned char *pat = malloc(plen);
    uint64_t x = 88172645463325252ULL;
    for (size_t i = 0; i < plen; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        pat[i] = (unsigned char)x;
    }
    client_t *cl = calloc((size_t)nconns, sizeof *cl);
    for (int i = 0; i < nconns; i++)
        if ((cl[i].fd = dial(port)) < 0) {
            fprintf(stderr, "echo_demo: connect: %s\n", strerror(errno));
            return 1;
        }
    printf("gnet echo on 127.0.0.1:%d, %d loops, %d connections x %zu B, %.1f s\n", port,
           o.num_event_loop, nconns, size, secs);
    double t0 = now();
    long msgs = drive(cl, nconns, pat, plen, size, secs);
    double dt = now() - t0;
    size_t open_now = gn_engine_count_connections(atomic_load(&engine));
    for (int i = 0; i < nconns; i++)
        close(cl[i].fd);
    for (int i = 0; i < 5000 && atomic_load(&closed) < (size_t)nconns; i++)
        usleep(1000);
    gn_engine_stop(atomic_load(&engine));
    pthread_join(srv, NULL);
    bool ok = msgs > 0 && run_rc == 0 && atomic_load(&closed) == (size_t)nconns;
    if (msgs > 0)
        printf("echoed %ld messages (%.1f MiB each way) in %.2f s: %.0f msgs/s, %.1f MiB/s\n", msgs,
               (double)msgs * (double)size / 1048576.0, dt, (double)msgs / dt,
               (double)msgs * (double)size / 1048576.0 / dt);
    printf("connections: opened %zu, open during load %zu, closed %zu; every byte verified: %s\n",
           atomic_load(&opened), open_now, atomic_load(&closed), msgs > 0 ? "yes" : "NO");
    free(cl);
    free(pat);
    return ok ? 0 : 1;
}
