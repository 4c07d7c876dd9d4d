/* The allocator hook shared by every buffer type. */
#include <gnet/buffer.h>

#include "internal.h"

#include <errno.h>
#include <stdlib.h>

/* Plain globals: the hook is set once before buffers are used (documented as not
 * thread-safe), after which every thread only reads them. */
static gn_malloc_fn g_malloc = malloc;
static gn_realloc_fn g_realloc = realloc;
static gn_free_fn g_free = free;

int gn_buffer_set_allocator(gn_malloc_fn malloc_fn, gn_realloc_fn realloc_fn, gn_free_fn free_fn)
{
    if (malloc_fn == NULL && realloc_fn == NULL && free_fn == NULL) {
        g_malloc = malloc;
        g_realloc = realloc;
        g_free = free;
        return 0;
    }
    if (malloc_fn == NULL || realloc_fn == NULL || free_fn == NULL)
        return -EINVAL;
    g_malloc = malloc_fn;
    g_realloc = realloc_fn;
    g_free = free_fn;
    return 0;
}

void *gn__malloc(size_t size)
{
    return g_malloc(size);
}

void *gn__realloc(void *ptr, size_t size)
{
    return g_realloc(ptr, size);
}

void gn__free(void *ptr)
{
    if (ptr != NULL)
        g_free(ptr);
}
