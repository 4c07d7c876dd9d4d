/* A growable byte buffer that answers of the example servers are gathered
 * in, so that a batch of pipelined requests is answered with one write. It
 * starts in caller memory (storage, which may be NULL) and moves to the heap
 * only when an answer does not fit: a server keeps one per thread with static
 * storage, so a usual batch allocates nothing.
 *
 * Thread rule: an outbuf_t belongs to one thread. */
#ifndef GN_EXAMPLES_OUTBUF_H
#define GN_EXAMPLES_OUTBUF_H

#include <stddef.h>
#include <string.h>

typedef struct outbuf {
    char *buf;
    size_t len;
    size_t cap;
    char *storage;
    size_t storage_cap;
} outbuf_t;

/* An empty buffer over storage[0..cap). */
void outbuf_init(outbuf_t *o, char *storage, size_t cap);

/* Frees heap memory the buffer grew into and empties it (back on storage). */
void outbuf_release(outbuf_t *o);

/* A pointer to room for n more bytes at the end (the caller fills them and
 * adds to len), or NULL when out of memory (the buffer is unchanged). */
char *outbuf_room(outbuf_t *o, size_t n);

/* Appends n bytes. Returns 0 or -ENOMEM. */
int outbuf_append(outbuf_t *o, const void *p, size_t n);

/* Writes v in decimal at w; returns the end. w needs 20 bytes of room. */
char *outbuf_put_uint(char *w, unsigned long long v);

static inline char *outbuf_put(char *w, const void *p, size_t n)
{
    memcpy(w, p, n);
    return w + n;
}

#endif
