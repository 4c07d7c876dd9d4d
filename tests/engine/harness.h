/* Test harness for the engine suite: runs gn_run in a thread, connects
 * clients, drives verified echo traffic. Each Check test runs in its own
 * process, so the harness keeps its state in one global. */
#ifndef GN_ENGINE_HARNESS_H
#define GN_ENGINE_HARNESS_H

#include "gn_test.h"

#include <gnet/gnet.h>
#include <gnet/pool.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

/* How the echo handler writes back. */
enum { M_WRITE, M_WRITEV, M_ASYNC, M_ASYNCV, M_COUNT };

typedef struct srv {
    gn_handler_t h;
    gn_options_t o;
    char addr[160];
    char net[8];
    char dir[64];
    char path[96];
    int port;
    pthread_t thr;
    int rc;
    atomic_int done;
    _Atomic(gn_engine_t *) eng;
    int mode;
    gn_pool_t *pool;
    atomic_int opens, closes, shutdowns, boots, ticks;
    atomic_int async_errs;
    atomic_int loop_opens[8];  /* on_open count per loop index (harness on_open) */
    atomic_int close_errs[16]; /* counts of selected on_close errors, see err_slot */
} srv_t;

extern srv_t S;

/* Fills S with an echo handler (mode) and zero options for network net
 * ("tcp", "tcp4", "tcp6", "unix"). Adjust S.h / S.o before srv_start. */
void srv_init(const char *net, int mode);
/* Starts gn_run in a thread and waits for on_boot; fails the test on error. */
void srv_start(void);
/* Starts and waits for gn_run to return (for setup errors); returns its rc. */
int srv_run_sync(void);
/* gn_engine_stop, join, assert gn_run returned 0. */
void srv_stop(void);
/* Waits (bounded) until gn_run returned on its own; asserts rc 0. */
void srv_join(void);
/* Waits up to ms for *v >= want. Returns true on success. */
bool wait_atomic(atomic_int *v, int want, int ms);
bool wait_count(size_t want, int ms);

/* Index into S.close_errs for an on_close err. */
int err_slot(int err);

/* Blocking client socket connected to the server (fails the test on error). */
int cli_connect(void);
/* Reads exactly n bytes (blocking, 10 s timeout each poll); returns bytes read
 * before EOF/error/timeout. */
size_t cli_read_full(int fd, void *p, size_t n);
/* True when the peer closes (EOF or reset) within ms. */
bool cli_wait_eof(int fd, int ms);

/* Runs nclients threads that each send `total` random bytes (in random chunks
 * of up to 1 MiB) and verify the echo byte by byte. Returns bytes verified. */
size_t echo_clients(int nclients, size_t total, uint64_t seed);

gn_action_t echo_traffic(gn_conn_t *c);

void msleep(int ms);

#endif
