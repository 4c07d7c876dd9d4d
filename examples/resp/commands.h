/* The commands of the example Redis server, answered in RESP2 into an
 * outbuf_t: PING, ECHO, SET (EX, PX, NX, XX), GET, DEL, EXISTS, INCR, MSET,
 * MGET, COMMAND (an empty reply, enough for redis-cli), CONFIG GET (empty,
 * enough for redis-benchmark), QUIT. Names are case-insensitive; errors are
 * Redis's texts ("ERR unknown command 'x', with args beginning with: ",
 * "ERR wrong number of arguments for 'get' command", "ERR syntax error"...).
 *
 * Thread rule: any thread (the store locks itself). */
#ifndef GN_EXAMPLES_COMMANDS_H
#define GN_EXAMPLES_COMMANDS_H

#include "common/outbuf.h"
#include "resp_parser.h"
#include "store.h"

#include <stdbool.h>

/* Runs cmd (argc > 0) against s and appends its reply to out. Sets *close
 * when the connection must close after the reply (QUIT). Returns 0 or
 * -ENOMEM (the reply may be partly appended; the server should close). */
int resp_exec(store_t *s, const resp_cmd_t *cmd, outbuf_t *out, bool *close);

#endif
