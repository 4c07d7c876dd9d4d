/* peer: shared setup of the echo peer servers, see peer.h. */
#include "peer.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

static long parse_num(const char *name, const char *s, long lo, long hi)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) {
        fprintf(stderr, "%s: '%s' is not a number in %ld..%ld\n", name, s, lo, hi);
        exit(2);
    }
    return v;
}

void peer_parse(int argc, char **argv, const char *name, bool allow_fault, peer_opts_t *o)
{
    int opt;
    o->port = 9100;
    o->fault_every = 0;
    while ((opt = getopt(argc, argv, allow_fault ? "p:f:" : "p:")) != -1) {
        if (opt == 'p') {
            o->port = (int)parse_num(name, optarg, 1, 65535);
        } else if (opt == 'f') {
            o->fault_every = parse_num(name, optarg, 1, 1L << 40);
        } else {
            fprintf(stderr, "usage: %s [-p PORT]%s\n", name, allow_fault ? " [-f N]" : "");
            exit(2);
        }
    }
    if (optind != argc) {
        fprintf(stderr, "%s: unexpected argument '%s'\n", name, argv[optind]);
        exit(2);
    }
}

void peer_prepare(void)
{
    struct rlimit rl;
    signal(SIGPIPE, SIG_IGN);
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
    }
}

int peer_listen(int port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    int one = 1;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, PEER_BACKLOG) < 0) {
        fprintf(stderr, "listen on 127.0.0.1:%d: %s\n", port, strerror(errno));
        exit(1);
    }
    return fd;
}

void peer_nodelay(int fd)
{
    int one = 1;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}
