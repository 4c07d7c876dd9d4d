/* The address parser: parse -> format -> re-parse round trip. Any string
 * either fails with a named code or parses to an address whose formatted
 * form (with the same scheme) parses back to the very same address. */
#include "support/fuzz.h"

#include <gnet/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_error(int rc)
{
    /* Every failure is a negative code with a message; never a crash. */
    if (rc >= 0 || gn_socket_strerror(rc) == NULL || gn_socket_strerror(rc)[0] == '\0')
        abort();
}

static bool same(const gn_addr_t *a, const gn_addr_t *b)
{
    return a->network == b->network && a->family == b->family && a->socktype == b->socktype &&
           a->protocol == b->protocol && a->len == b->len && memcmp(&a->ss, &b->ss, a->len) == 0;
}

/* An unnamed unix socket formats as "", which is not an address to parse. */
static bool unnamed_unix(const gn_addr_t *a)
{
    return a->family == AF_UNIX && a->len <= offsetof(struct sockaddr_un, sun_path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 512)
        return 0;
    char url[520];
    memcpy(url, data, size);
    url[size] = '\0';
    gn_addr_t a;
    int rc = gn_addr_parse(url, &a);
    if (rc < 0) {
        check_error(rc);
        gn_addr_t zero;
        memset(&zero, 0, sizeof zero);
        if (memcmp(&a, &zero, sizeof a) != 0)
            abort(); /* documented: *out zeroed on failure */
        return 0;
    }
    char text[256], again[300];
    int n = gn_addr_format(&a, text, sizeof text);
    if (n < 0 || (size_t)n != strlen(text))
        abort();
    /* A buffer without room for the NUL is -ENOSPC with "" in it, never a
     * cut string. */
    char small[8] = "x";
    size_t cut = (size_t)n < sizeof small ? (size_t)n : sizeof small;
    if (n > 0 && (gn_addr_format(&a, small, cut) != -ENOSPC || small[0] != '\0'))
        abort();
    if (unnamed_unix(&a))
        return 0;
    snprintf(again, sizeof again, "%s://%s", gn_addr_network_name(a.network), text);
    gn_addr_t b;
    if (gn_addr_parse(again, &b) != 0 || !same(&a, &b)) {
        fprintf(stderr, "round trip: '%s' -> '%s' differs\n", url, again);
        abort();
    }
    return 0;
}
