/* echo: the gnet echo server.
 *
 *   echo [-a tcp://127.0.0.1:9000] [-p PORT] [-u PATH] [-t LOOPS | -m] [-r]
 *
 * -p PORT listens on 127.0.0.1:PORT, -u PATH on a unix socket, -a any address;
 * -t N runs N loops, -m one per CPU; -r gives each loop its own SO_REUSEPORT
 * listener. Follows the peer-server rules of bench/peers/peer.h: it is the
 * server process itself, raises RLIMIT_NOFILE, sets TCP_NODELAY (the engine's
 * default), never dies of SIGPIPE (the engine uses MSG_NOSIGNAL). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* getopt, usleep, accept4 & co. when built without the Makefile */
#endif
#include <gnet/gnet.h>

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static gn_action_t on_traffic(gn_conn_t *c)
{
    size_t n;
    const void *p = gn_conn_next(c, SIZE_MAX, &n); /* all that is buffered, zero-copy */
    if (p != NULL && n > 0 && gn_conn_write(c, p, n) < 0)
        return GN_CLOSE;
    return GN_NONE;
}

static void raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static int usage(const char *argv0)
{
    fprintf(stderr, "usage: %s [-a ADDR] [-p PORT] [-u PATH] [-t LOOPS | -m] [-r]\n", argv0);
    return 2;
}

int main(int argc, char **argv)
{
    char addr[512] = "tcp://127.0.0.1:9000";
    gn_options_t o = {0};
    int opt;
    while ((opt = getopt(argc, argv, "a:p:u:t:mr")) != -1) {
        switch (opt) {
        case 'a':
            snprintf(addr, sizeof addr, "%s", optarg);
            break;
        case 'p':
            snprintf(addr, sizeof addr, "tcp://127.0.0.1:%s", optarg);
            break;
        case 'u':
            snprintf(addr, sizeof addr, "unix://%s", optarg);
            break;
        case 't':
            o.num_event_loop = atoi(optarg);
            break;
        case 'm':
            o.multicore = true;
            break;
        case 'r':
            o.reuse_port = true;
            break;
        default:
            return usage(argv[0]);
        }
    }
    signal(SIGPIPE, SIG_IGN); /* belt and braces: the engine never raises it */
    raise_nofile();
    gn_handler_t h = {.on_traffic = on_traffic};
    int rc = gn_run(&h, addr, &o);
    if (rc < 0) {
        fprintf(stderr, "echo: %s: %s\n", addr, gn_strerror(rc));
        return 1;
    }
    return 0;
}
