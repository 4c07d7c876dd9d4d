/* A RESP2 command parser for the example Redis server: a command is either a
 * multibulk array of bulk strings ("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", what
 * clients send) or an inline command ("GET k\r\n", what a person types into
 * telnet). One command is parsed from a contiguous byte range; no state is
 * kept between calls, so a server parses again from the start of a command
 * when more bytes arrive. The arguments point into the caller's bytes.
 *
 * Limits bound the memory a connection may hold for one command: at most
 * RESP_MAX_ARGS arguments, a bulk string of at most max_bulk bytes, an inline
 * command of at most RESP_MAX_INLINE bytes. Crossing one, or malformed
 * framing, is an error with the text Redis sends for it; Redis then closes
 * the connection, and so should a server using this parser.
 *
 * Thread rule: no shared state; any thread. */
#ifndef GN_EXAMPLES_RESP_PARSER_H
#define GN_EXAMPLES_RESP_PARSER_H

#include <stddef.h>
#include <sys/types.h>

#define RESP_MAX_ARGS   4096
#define RESP_MAX_INLINE ((size_t)64 << 10)

/* Results of resp_parse besides a positive length. */
#define RESP_INCOMPLETE       0 /* need more bytes */
#define RESP_EMULTIBULK_LEN   (-1)
#define RESP_EBULK_LEN        (-2)
#define RESP_EEXPECTED_DOLLAR (-3)
#define RESP_EINLINE_TOO_BIG  (-4)
#define RESP_EQUOTES          (-5)
#define RESP_ECOUNT_TOO_BIG   (-6) /* no line end after a '*' or '$' count */

typedef struct resp_arg {
    const char *p;
    size_t len;
} resp_arg_t;

typedef struct resp_cmd {
    size_t argc; /* 0 for an empty inline line, which a server ignores */
    resp_arg_t argv[RESP_MAX_ARGS];
    /* With RESP_INCOMPLETE: the command's total length once it is known
     * (every bulk header seen), else 0, so that a server can wait until
     * that many bytes are buffered before parsing again. */
    size_t need;
    char bad; /* with RESP_EEXPECTED_DOLLAR: the byte found instead of '$' */
} resp_cmd_t;

/* Parses the command at the start of buf[0..len) (buf may be NULL when len is
 * 0), with bulk strings of at most max_bulk bytes. Returns its length (> 0)
 * when complete, RESP_INCOMPLETE, or a negative RESP_E* code (see
 * resp_strerror). */
ssize_t resp_parse(const char *buf, size_t len, size_t max_bulk, resp_cmd_t *cmd);

/* Writes the Redis error line for a RESP_E* code that resp_parse returned for
 * cmd into out[0..cap) (64 bytes suffice), without the leading '-' and the
 * CRLF ("ERR Protocol error: invalid bulk length"), and returns out. */
const char *resp_strerror(ssize_t code, const resp_cmd_t *cmd, char *out, size_t cap);

#endif
