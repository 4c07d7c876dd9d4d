/* gnet-pool byte pool: recycled byte blocks in power-of-two size classes.
 *
 * Classes run from GN_BYTES_MIN (64 B) to GN_BYTES_MAX (1 MiB); a request is
 * rounded up to its class, and larger requests go straight to malloc. Each block
 * carries a GN_BYTES_HEADER-byte header in front of it that records its class,
 * which is how gn_bytes_put learns the size: put takes just the pointer.
 *
 * Each thread keeps a cache per class used LIFO, so the block a thread puts back
 * is the next one it gets (still warm in its cache). A thread cache holds at
 * most 128 blocks and about 1 MiB per class (at least 4 blocks); when it fills,
 * its older half (3 of 4 blocks for the big classes) moves to a shared depot in
 * one locked step, and a thread with an empty cache refills as many from the
 * depot the same way. The depot holds
 * at most 16 MiB per class (between 16 and 4096 blocks); blocks beyond that go
 * back to malloc. A thread's cache moves to the depot when the thread exits.
 *
 * Thread rule: every function here is thread-safe. A block may be put back by a
 * thread other than the one that got it.
 */
#ifndef GNET_BYTEPOOL_H
#define GNET_BYTEPOOL_H

#include <stddef.h>

#ifndef GN_EXPORT
#define GN_EXPORT __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

#define GN_BYTES_MIN    64u
#define GN_BYTES_MAX    (1024u * 1024u)
#define GN_BYTES_HEADER 16u

/* Returns a block of at least n bytes, aligned to 16, or NULL when n is 0, n is
 * too large to add the header to, or memory is exhausted. Sizes up to
 * GN_BYTES_MAX come from the pool (rounded up to a power of two, see
 * gn_bytes_cap); larger ones from malloc. The caller owns the block until it
 * passes it to gn_bytes_put (never to free). Any thread. */
GN_EXPORT void *gn_bytes_get(size_t n);

/* Gives back a block from gn_bytes_get, from any thread. Pooled blocks go to the
 * calling thread's cache; large ones are freed. NULL is a no-op returning 0.
 * Returns 0 or -EINVAL when p is not a live block from gn_bytes_get (misaligned,
 * bad header, or already put back); detection is best effort, as for free().
 * After the call p must not be used. */
GN_EXPORT int gn_bytes_put(void *p);

/* Usable size of a live block (its class size, or n for a large block), or 0 for
 * NULL or a pointer that is not a live block. Any thread. */
GN_EXPORT size_t gn_bytes_cap(const void *p);

/* Frees the calling thread's cached blocks and every block in the shared depot,
 * back to malloc. Other threads' caches are untouched. Any thread. */
GN_EXPORT void gn_bytes_trim(void);

#ifdef __cplusplus
}
#endif
#endif
