/* gnet-pool byte pool: recycled byte blocks in power-of-two size classes.
 *
 * Classes run from GN_BYTES_MIN (64 B) to GN_BYTES_MAX (1 MiB); a request is
 * rounded up to its class, and larger requests go straight to malloc. Each block
 * carries a GN_BYTES_HEADER-byte header in front of it that records its class,
 * which is how gn_bytes_put learns the size: put takes just the pointer.
 *
 * Each thread keeps a cache per class used LIFO, so the block a thread puts back
 * is the next one it gets (still warm in its cache). Bounds on the free blocks
 * the pool keeps:
 *   - a thread cache holds at most GN_BYTES_CACHE_MAX (16 MiB) in all classes
 *     together, and at most 128 blocks of one class (so 64 of 256 KiB, 16 of
 *     1 MiB); plus 13 KiB of pointers;
 *   - the shared depot holds at most GN_BYTES_DEPOT_MAX (16 MiB) per class and
 *     4096 blocks per class: about 160 MiB over all 15 classes.
 * When a class of a thread cache is full, its older half moves to the depot in
 * one locked step; when the cache would exceed its byte bound, the older half
 * of every class does, so classes a thread stopped using drain away. A thread
 * whose cache of a class is empty refills half of that class's bound from the
 * depot the same way. Blocks beyond the depot's bound go back to malloc, so a
 * burst cannot pin more than the bounds above; gn_bytes_trim returns the depot
 * and the caller's cache, and a thread's cache moves to the depot when the
 * thread exits. Blocks from 128 KiB up start 0 to 63 cache lines into their
 * allocation (cache colouring, free within mmap's page rounding).
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

/* Smallest class, largest class (larger requests go to malloc), and the size of
 * the header in front of every block. */
#define GN_BYTES_MIN    64u
#define GN_BYTES_MAX    (1024u * 1024u)
#define GN_BYTES_HEADER 16u
/* Bounds on the memory the pool keeps for reuse (free blocks; see above). */
#define GN_BYTES_CACHE_MAX (16u * 1024u * 1024u) /* one thread cache, all classes */
#define GN_BYTES_DEPOT_MAX (16u * 1024u * 1024u) /* the depot, per class */

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
