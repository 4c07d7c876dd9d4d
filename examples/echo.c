/* echo: the gnet echo server.
 *
 *   echo [-a tcp://127.0.0.1:9000] [-p PORT] [-u PATH] [-t LOOPS | -m] [-r]
 *
 * -p PORT listens on 127.0.0.1:PORT, -u PATH on a unix socket, -a any address;
 * each may be repeated (one engine serves every address); -t N runs N loops,
 * -m one per CPU; -r gives each loop its own SO_REUSEPORT listener. It prints
 * the addresses it listens on, and SIGINT or SIGTERM stop it gracefully
 * (connections closed, a unix socket's file removed). Follows the
 * peer-server rules of bench/peers/peer.h: it is the server process itself,
 * raises RLIMIT_NOFILE, sets TCP_NODELAY (the engine's default), never dies
 * of SIGPIPE (the engine uses MSG_NOSIGNAL). -h lists the flags; an invalid
 * value exits with status 2 and a message, a failure to serve with status 1. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* getopt, usleep, accept4 & co. when built without the Makefile */
#endif
#include "common/cli.h"

#include <gnet/gnet.h>
#include <gnet/logging.h>

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

static gn_engine_t *engine;

static void on_signal(int sig)
{
    (void)sig;
    (void)gn_engine_stop(engine); /* async-signal-safe */
}

static void help(FILE *to, const char *argv0)
{
    fprintf(to,
            "usage: %s [-a ADDR] [-p PORT] [-u PATH] [-t LOOPS | -m] [-r]\n"
            "An echo server on the gnet engine: every byte a client sends comes back.\n"
            "  -a ADDR   listen on ADDR, a URL such as tcp://0.0.0.0:9000, tcp6://[::1]:9000\n"
            "            or unix:///tmp/echo.sock\n"
            "  -p PORT   listen on tcp://127.0.0.1:PORT (0..65535; 0 picks a free port)\n"
            "  -u PATH   listen on the unix socket PATH (removed again on exit)\n"
            "            -a, -p and -u may be repeated; default: -p 9000\n"
            "  -t LOOPS  number of event loops, 1..256 (default 1)\n"
            "  -m        one event loop per CPU\n"
            "  -r        one SO_REUSEPORT listener per loop instead of a main reactor\n"
            "  -h        this help\n"
            "SIGINT or SIGTERM stop it: connections are closed and it exits 0.\n",
            argv0);
}

static int usage(const char *argv0)
{
    help(stderr, argv0);
    return CLI_EXIT_USAGE;
}

#define MAX_ADDRS 16

static void print_listeners(const gn_engine_t *eng)
{
    for (int i = 0; i < gn_engine_num_listeners(eng); i++) {
        gn_addr_t a;
        char text[256];
        if (gn_engine_listener_addr(eng, i, &a) == 0 && gn_addr_format(&a, text, sizeof text) >= 0)
            printf("echo: listening on %s://%s\n", gn_addr_network_name(a.network), text);
    }
    fflush(stdout);
}

/* The engine's own log lines carry "echo:" instead of "[gnet]". While setting up,
 * only this program reports (each error once, with the address it concerns);
 * once serving, the engine logs what it meets at run time (accept failures...). */
static gn_logger_t *quiet_logger(void)
{
    gn_logger_opts_t lo = {.level = GN_LOG_FATAL, .prefix = "echo:"};
    gn_logger_t *l = NULL;
    return gn_logger_new(&l, &lo) == 0 ? l : NULL;
}

static int serve(char addrs[][512], int n, gn_options_t *o)
{
    gn_handler_t h = {.on_traffic = on_traffic};
    gn_logger_t *log = quiet_logger();
    o->logger = log; /* NULL (out of memory): the process default logger */
    int rc = gn_engine_new(&engine, &h, o);
    if (rc < 0)
        fprintf(stderr, "echo: %s\n", gn_strerror(rc));
    for (int i = 0; i < n && rc == 0; i++)
        if ((rc = gn_engine_listen(engine, addrs[i])) < 0)
            fprintf(stderr, "echo: %s: %s\n", addrs[i], gn_strerror(rc));
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    if (rc == 0) {
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        if ((rc = gn_engine_start(engine)) < 0)
            fprintf(stderr, "echo: %s\n", gn_strerror(rc));
    }
    if (rc == 0) {
        print_listeners(engine);
        if (log != NULL)
            (void)gn_logger_set_level(log, GN_LOG_INFO);
        if ((rc = gn_engine_wait(engine, -1)) < 0)
            fprintf(stderr, "echo: %s\n", gn_strerror(rc));
    }
    gn_engine_free(engine);
    gn_logger_free(log);
    return rc < 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
    static char addrs[MAX_ADDRS][512];
    int n = 0;
    gn_options_t o = {0};
    long v;
    int opt;
    if (cli_wants_help(argc, argv)) {
        help(stdout, argv[0]);
        return 0;
    }
    while ((opt = getopt(argc, argv, "a:p:u:t:mr")) != -1) {
        if (strchr("apu", opt) != NULL && n == MAX_ADDRS) {
            fprintf(stderr, "echo: at most %d addresses\n", MAX_ADDRS);
            return CLI_EXIT_USAGE;
        }
        switch (opt) {
        case 'a':
            snprintf(addrs[n++], sizeof addrs[0], "%s", optarg);
            break;
        case 'p':
            if (cli_long("echo", "port", optarg, 0, 65535, &v) < 0)
                return CLI_EXIT_USAGE;
            snprintf(addrs[n++], sizeof addrs[0], "tcp://127.0.0.1:%ld", v);
            break;
        case 'u':
            snprintf(addrs[n++], sizeof addrs[0], "unix://%s", optarg);
            break;
        case 't':
            if (cli_long("echo", "number of loops", optarg, 1, 256, &v) < 0)
                return CLI_EXIT_USAGE;
            o.num_event_loop = (int)v;
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
    if (optind < argc) {
        fprintf(stderr, "echo: unexpected argument '%s'\n", argv[optind]);
        return usage(argv[0]);
    }
    if (n == 0)
        snprintf(addrs[n++], sizeof addrs[0], "tcp://127.0.0.1:9000");
    signal(SIGPIPE, SIG_IGN); /* belt and braces: the engine never raises it */
    cli_raise_nofile();
    return serve(addrs, n, &o);
}
