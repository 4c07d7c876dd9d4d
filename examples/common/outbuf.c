/* See outbuf.h. */
#include "outbuf.h"

#include <errno.h>
#include <stdlib.h>

void outbuf_init(outbuf_t *o, char *storage, size_t cap)
{
    o->buf = o->storage = storage;
    o->cap = o->storage_cap = storage != NULL ? cap : 0;
    o->len = 0;
}

void outbuf_release(outbuf_t *o)
{
    if (o->buf != o->storage)
        free(o->buf);
    outbuf_init(o, o->storage, o->storage_cap);
}

/* The buffer doubles, so appends are amortized O(1). */
char *outbuf_room(outbuf_t *o, size_t n)
{
    if (o->cap - o->len >= n)
        return o->buf + o->len;
    if (n > ((size_t)-1) / 4 - o->len)
        return NULL;
    size_t cap = o->cap ? o->cap : 4096;
    while (cap - o->len < n)
        cap *= 2;
    char *b = o->buf == o->storage ? malloc(cap) : realloc(o->buf, cap);
    if (b == NULL)
        return NULL;
    if (o->buf == o->storage && o->len > 0)
        memcpy(b, o->buf, o->len);
    o->buf = b;
    o->cap = cap;
    return o->buf + o->len;
}

int outbuf_append(outbuf_t *o, const void *p, size_t n)
{
    char *w = outbuf_room(o, n);
    if (w == NULL)
        return -ENOMEM;
    memcpy(w, p, n);
    o->len += n;
    return 0;
}

char *outbuf_put_uint(char *w, unsigned long long v)
{
    char tmp[24];
    size_t i = sizeof tmp;
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    return outbuf_put(w, tmp + i, sizeof tmp - i);
}
