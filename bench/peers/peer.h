/* peer: what the echo peer servers share, so that they differ only in the event
 * library: the command line, the listening socket, process setup.
 *
 * Every peer follows the same rules: it listens on 127.0.0.1:PORT (-p, default
 * 9100) with a backlog of 4096 (the script starts it and waits for that listener);
 * accepted sockets get TCP_NODELAY; reads take up to PEER_READ_MAX bytes; what a
 * write does not take is queued and reading stops until the queue is flushed (or,
 * where the library queues for us, drops below PEER_QUEUE_MAX); EOF flushes what is
 * queued, then closes; errors close; SIGPIPE is ignored; RLIMIT_NOFILE is raised to
 * the hard limit; the process is the server itself (no fork) and ends on SIGTERM.
 * Single-threaded, one event loop. */
#ifndef PEER_H
#define PEER_H

#include <stdbool.h>

#define PEER_READ_MAX  (64 * 1024)
#define PEER_QUEUE_MAX (1024 * 1024)
#define PEER_BACKLOG   4096

typedef struct {
    int port;
    long fault_every; /* -f N: corrupt every Nth read (checks the load generator) */
} peer_opts_t;

/* Parses -p PORT (and -f N when allow_fault); prints usage and exits 2 on bad input. */
void peer_parse(int argc, char **argv, const char *name, bool allow_fault, peer_opts_t *o);

/* Ignores SIGPIPE, raises RLIMIT_NOFILE to its hard limit. */
void peer_prepare(void);

/* A non-blocking listening socket on 127.0.0.1:port; exits 1 with a message on failure
 * (a benchmark server that cannot listen has nothing else to do). */
int peer_listen(int port);

/* TCP_NODELAY on an accepted socket (best effort: a failure only costs latency). */
void peer_nodelay(int fd);

#endif
