/* Helpers of the examples suite: start an example server as a child process
 * on a free loopback port, talk to it over real sockets, stop it. */
#ifndef GN_EXAMPLES_PROC_H
#define GN_EXAMPLES_PROC_H

#include "gn_test.h"

#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <sys/types.h>

/* The suite's parts (one per file). */
void add_http_parser_tests(Suite *s);
void add_http_server_tests(Suite *s);
void add_resp_parser_tests(Suite *s);
void add_redis_server_tests(Suite *s);

typedef struct server {
    pid_t pid;
    int port;
} server_t;

/* Starts GN_EXAMPLES_BIN/prog with "-p PORT" followed by the NULL-terminated
 * extra arguments, and waits (bounded) until it accepts connections. Fails
 * the test if it cannot. */
server_t server_start(const char *prog, const char *const *extra);
/* SIGTERM, then waits for the exit; asserts a clean exit (status 0). */
void server_stop(server_t *s);

/* A blocking loopback connection to port (fails the test on error). */
int cli_connect(int port);
/* Sends all n bytes (fails the test on error). */
void cli_send(int fd, const void *p, size_t n);
/* Reads up to n bytes, waiting at most ms for each read; returns the count
 * read before EOF, an error or the timeout. */
size_t cli_read(int fd, void *p, size_t n, int ms);
/* True if nothing is readable on fd within ms (no byte, no EOF). */
bool cli_quiet(int fd, int ms);
/* True when the peer closes (EOF or reset) within ms, skipping any bytes. */
bool cli_wait_eof(int fd, int ms);

/* A buffered reader over a client socket (reads wait up to 10 s each). */
typedef struct reader {
    int fd;
    char buf[1 << 16];
    size_t len;
} reader_t;

reader_t *reader_new(int fd);
/* Reads until at least n bytes are buffered (n < sizeof buf: one byte stays
 * spare, so a caller may NUL-terminate the buffered bytes); false on EOF or
 * timeout. */
bool reader_fill(reader_t *r, size_t n);
/* Drops the first n buffered bytes. */
void reader_consume(reader_t *r, size_t n);
/* Reads exactly n bytes into p (any size); false on EOF or timeout. */
bool reader_bytes(reader_t *r, void *p, size_t n);

static inline void cli_send_str(int fd, const char *s)
{
    cli_send(fd, s, strlen(s));
}

#endif
