/* RESP2 reply encoders over an outbuf_t, shared by the store (bulk values are
 * copied out under the shard lock) and the commands. Each returns 0 or
 * -ENOMEM (nothing appended). */
#ifndef GN_EXAMPLES_RESP_REPLY_H
#define GN_EXAMPLES_RESP_REPLY_H

#include "common/outbuf.h"

#include <errno.h>
#include <string.h>

/* Bytes exactly as given ("+OK\r\n"). */
static inline int reply_lit(outbuf_t *out, const char *lit)
{
    return outbuf_append(out, lit, strlen(lit));
}

/* "-<msg>\r\n" */
static inline int reply_error(outbuf_t *out, const char *msg)
{
    size_t n = strlen(msg);
    char *w = outbuf_room(out, n + 3);
    if (w == NULL)
        return -ENOMEM;
    *w = '-';
    memcpy(w + 1, msg, n);
    memcpy(w + 1 + n, "\r\n", 2);
    out->len += n + 3;
    return 0;
}

/* "<type><v>\r\n": ':' for an integer, '*' for an array header. */
static inline int reply_num(outbuf_t *out, char type, long long v)
{
    char *w = outbuf_room(out, 24);
    if (w == NULL)
        return -ENOMEM;
    char *s = w;
    *w++ = type;
    if (v < 0)
        *w++ = '-';
    w = outbuf_put_uint(w, v < 0 ? 0 - (unsigned long long)v : (unsigned long long)v);
    w = outbuf_put(w, "\r\n", 2);
    out->len += (size_t)(w - s);
    return 0;
}

/* "$<n>\r\n<bytes>\r\n" */
static inline int reply_bulk(outbuf_t *out, const char *p, size_t n)
{
    char *w = outbuf_room(out, n + 32);
    if (w == NULL)
        return -ENOMEM;
    char *s = w;
    *w++ = '$';
    w = outbuf_put_uint(w, n);
    w = outbuf_put(w, "\r\n", 2);
    if (n > 0)
        w = outbuf_put(w, p, n);
    w = outbuf_put(w, "\r\n", 2);
    out->len += (size_t)(w - s);
    return 0;
}

#endif
