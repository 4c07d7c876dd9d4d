/* See cli.h. */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

int cli_long(const char *prog, const char *what, const char *s, long lo, long hi, long *out)
{
    char *end = NULL;
    long v = 0;
    errno = 0;
    /* strtol alone accepts " 12", "12abc" (with end) and "": rule them out. */
    bool ok = s != NULL && (s[0] == '-' || (s[0] >= '0' && s[0] <= '9'));
    if (ok) {
        v = strtol(s, &end, 10);
        ok = errno == 0 && end != s && *end == '\0' && v >= lo && v <= hi;
    }
    if (!ok) {
        fprintf(stderr, "%s: invalid %s '%s' (expected %ld..%ld)\n", prog, what, s != NULL ? s : "",
                lo, hi);
        return -1;
    }
    *out = v;
    return 0;
}

bool cli_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            return true;
    return false;
}

void cli_raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
    }
}
