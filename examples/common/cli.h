/* Command-line helpers shared by the examples: strict number parsing whose
 * message names what was wrong, and the exit status convention (0 success, 1 a
 * runtime error, 2 a usage error: an unknown flag or an invalid value). */
#ifndef GN_EXAMPLES_CLI_H
#define GN_EXAMPLES_CLI_H

#include <stdbool.h>

#define CLI_EXIT_USAGE 2

/* Parses s as a decimal integer in lo..hi into *out. Leading blanks, signs
 * outside the range, trailing text and overflow are all rejected: the message
 * "PROG: invalid WHAT 'S' (expected LO..HI)" goes to stderr and -1 is returned;
 * otherwise 0. */
int cli_long(const char *prog, const char *what, const char *s, long lo, long hi, long *out);

/* True when an argument before any "--" is -h or --help. */
bool cli_wants_help(int argc, char **argv);

/* Raises the soft RLIMIT_NOFILE to the hard limit, so a server example can
 * hold as many connections as the system allows; a failure leaves the limit
 * as it was. */
void cli_raise_nofile(void);

#endif
