/* gnet-buffer: what the three buffer types share — the memory allocator hook.
 *
 * The buffers themselves live in <gnet/ringbuf.h> (elastic byte ring),
 * <gnet/listbuf.h> (linked list of blocks) and <gnet/mixbuf.h> (ring with list
 * overflow); each includes this header.
 *
 * Thread rule: gn_buffer_set_allocator() is not thread-safe; call it once at
 * start-up, before any buffer allocates (as with libuv's uv_replace_allocator).
 */
#ifndef GNET_BUFFER_H
#define GNET_BUFFER_H

#include <stddef.h>

#ifndef GN_EXPORT
#define GN_EXPORT __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* The allocator's three functions, with the contracts of malloc, realloc, free. */
typedef void *(*gn_malloc_fn)(size_t size);
typedef void *(*gn_realloc_fn)(void *ptr, size_t size);
typedef void (*gn_free_fn)(void *ptr);

/* Replaces the functions every gnet-buffer object allocates memory with
 * (libc's malloc, realloc and free by default). The functions must behave like
 * the libc ones; returning NULL makes the buffer operation fail with -ENOMEM
 * and leave the buffer as it was, which is how the tests inject failures.
 * Memory taken with one set of functions must be freed with the same set, so
 * switch only while no buffer holds memory. All three NULL restores the libc
 * functions. Returns 0, or -EINVAL when only some of the three are NULL.
 * Not thread-safe: call it before other threads use buffers. */
GN_EXPORT int gn_buffer_set_allocator(gn_malloc_fn malloc_fn, gn_realloc_fn realloc_fn,
                                      gn_free_fn free_fn);

#ifdef __cplusplus
}
#endif
#endif
