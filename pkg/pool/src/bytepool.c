/* gnet-pool byte pool: per-thread LIFO caches over a shared, bounded depot.
 * See <gnet/bytepool.h> for the size classes and the bounds. */
#include <gnet/bytepool.h>

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SANITIZE_ADDRESS__)
#define GN__ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GN__ASAN 1
#endif
#endif
#ifdef GN__ASAN
#include <sanitizer/asan_interface.h>
/* Cached blocks are poisoned so that a use after gn_bytes_put is still caught. */
#define POISON(p, n)   ASAN_POISON_MEMORY_REGION(p, n)
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define POISON(p, n)   ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define MIN_SHIFT  6
#define NCLASS     15 /* 64 B .. 1 MiB */
#define BIG        0xffffu
#define MAGIC_LIVE 0x676e6231u /* "gnb1" */
#define MAGIC_FREE 0x676e6230u /* "gnb0" */

typedef struct hdr {
    uint32_t magic;
    uint32_t cls;
    size_t size; /* usable bytes */
} hdr_t;
_Static_assert(sizeof(hdr_t) <= GN_BYTES_HEADER, "header must fit");

typedef struct tcache {
    unsigned n[NCLASS];
    void **slot[NCLASS]; /* into `store` */
    void *store[];
} tcache_t;

typedef struct depot {
    pthread_mutex_t lock;
    unsigned n;
    void **slot; /* depot_cap(c) entries, allocated on first overflow */
} depot_t;

#define DEPOT_INIT                                                                                 \
    {                                                                                              \
        PTHREAD_MUTEX_INITIALIZER, 0, NULL                                                         \
    }
static depot_t depots[NCLASS] = {DEPOT_INIT, DEPOT_INIT, DEPOT_INIT, DEPOT_INIT, DEPOT_INIT,
                                 DEPOT_INIT, DEPOT_INIT, DEPOT_INIT, DEPOT_INIT, DEPOT_INIT,
                                 DEPOT_INIT, DEPOT_INIT, DEPOT_INIT, DEPOT_INIT, DEPOT_INIT};

static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static pthread_key_t key;
static bool key_ok;
/* initial-exec: one load from the thread pointer instead of a __tls_get_addr
 * call on every get and put (built -fPIC). It costs 8 bytes of static TLS,
 * which glibc reserves room for even in a dlopen'ed library. */
static _Thread_local tcache_t *tl_cache __attribute__((tls_model("initial-exec")));

static unsigned clampu(size_t v, unsigned lo, unsigned hi)
{
    return v < lo ? lo : v > hi ? hi : (unsigned)v;
}

static size_t class_size(unsigned c)
{
    return (size_t)1 << (c + MIN_SHIFT);
}

/* Thread cache bound: about 1 MiB per class, between 4 and 128 blocks. */
static unsigned cache_cap(unsigned c)
{
    /* clamp(1 MiB / class_size(c), 4, 128) with shifts: it is on every put. */
    return c <= 7 ? 128u : c >= 12 ? 4u : 1u << (14 - c);
}

/* Blocks moved between a thread cache and the depot per lock round trip: half
 * the cache, but at least 3 of the 4 a big class caches, so that even at 1 MiB
 * the lock is paid once per several blocks. */
static unsigned transfer(unsigned c)
{
    unsigned cap = cache_cap(c);
    return cap / 2 >= 3 ? cap / 2 : cap - 1;
}

/* Depot bound: 16 MiB per class, between 16 and 4096 blocks. */
static unsigned depot_cap(unsigned c)
{
    return clampu(((size_t)16 << 20) / class_size(c), 16, 4096);
}

static unsigned class_of(size_t n)
{
    if (n <= GN_BYTES_MIN)
        return 0;
    return (unsigned)(64 - __builtin_clzll((unsigned long long)(n - 1))) - MIN_SHIFT;
}

static hdr_t *hdr_of(const void *p)
{
    return (hdr_t *)(uintptr_t)((const char *)p - GN_BYTES_HEADER);
}

/* Really returns a block to malloc. */
static void release_block(void *p)
{
    UNPOISON(p, hdr_of(p)->size);
    free(hdr_of(p));
}

static void *new_block(size_t size, uint32_t cls)
{
    hdr_t *h = malloc(GN_BYTES_HEADER + size);
    if (h == NULL)
        return NULL;
    h->cls = cls;
    h->size = size;
    return (char *)h + GN_BYTES_HEADER;
}

/* ---- depot --------------------------------------------------------------- */

/* Moves blocks[0..n) into the depot; those that do not fit are freed (after the
 * lock is dropped, free can be slow). */
static void depot_push(unsigned c, void **blocks, unsigned n)
{
    depot_t *d = &depots[c];
    unsigned cap = depot_cap(c), moved = 0;
    pthread_mutex_lock(&d->lock);
    if (d->slot == NULL)
        d->slot = malloc(cap * sizeof *d->slot);
    if (d->slot != NULL) {
        moved = cap - d->n < n ? cap - d->n : n;
        memcpy(d->slot + d->n, blocks, moved * sizeof *blocks);
        d->n += moved;
    }
    pthread_mutex_unlock(&d->lock);
    for (unsigned i = moved; i < n; i++)
        release_block(blocks[i]);
}

/* Takes up to n blocks from the depot into out; returns how many. */
static unsigned depot_pop(unsigned c, void **out, unsigned n)
{
    depot_t *d = &depots[c];
    pthread_mutex_lock(&d->lock);
    unsigned got = d->n < n ? d->n : n;
    d->n -= got;
    if (got > 0)
        memcpy(out, d->slot + d->n, got * sizeof *out);
    pthread_mutex_unlock(&d->lock);
    return got;
}

/* ---- thread cache -------------------------------------------------------- */

static void flush_cache(tcache_t *tc)
{
    for (unsigned c = 0; c < NCLASS; c++) {
        depot_push(c, tc->slot[c], tc->n[c]);
        tc->n[c] = 0;
    }
}

/* Runs at thread exit: the cache's blocks go to the depot for other threads. */
static void cache_destructor(void *arg)
{
    tcache_t *tc = arg;
    flush_cache(tc);
    if (tl_cache == tc)
        tl_cache = NULL;
    free(tc);
}

static void make_key(void)
{
    key_ok = pthread_key_create(&key, cache_destructor) == 0;
}

static tcache_t *new_cache(void)
{
    size_t total = 0;
    for (unsigned c = 0; c < NCLASS; c++)
        total += cache_cap(c);
    tcache_t *tc = calloc(1, sizeof *tc + total * sizeof(void *));
    if (tc == NULL)
        return NULL;
    void **s = tc->store;
    for (unsigned c = 0; c < NCLASS; c++) {
        tc->slot[c] = s;
        s += cache_cap(c);
    }
    return tc;
}

/* The calling thread's cache, created on first use; NULL when out of memory
 * (callers then use the depot directly). */
static tcache_t *cache(void)
{
    if (tl_cache != NULL)
        return tl_cache;
    pthread_once(&key_once, make_key);
    if (!key_ok)
        return NULL;
    tcache_t *tc = new_cache();
    if (tc == NULL)
        return NULL;
    if (pthread_setspecific(key, tc) != 0) {
        free(tc);
        return NULL;
    }
    tl_cache = tc;
    return tc;
}

/* ---- get / put ----------------------------------------------------------- */

static void *get_class(unsigned c)
{
    tcache_t *tc = cache();
    void *p = NULL;
    if (tc == NULL) {
        (void)depot_pop(c, &p, 1); /* leaves p NULL when the depot is empty */
    } else {
        if (tc->n[c] == 0)
            tc->n[c] = depot_pop(c, tc->slot[c], transfer(c));
        if (tc->n[c] > 0)
            p = tc->slot[c][--tc->n[c]];
    }
    if (p == NULL)
        p = new_block(class_size(c), c);
    return p;
}

void *gn_bytes_get(size_t n)
{
    void *p;
    if (n == 0)
        return NULL;
    if (n > GN_BYTES_MAX) {
        if (n > SIZE_MAX - GN_BYTES_HEADER)
            return NULL;
        p = new_block(n, BIG);
    } else {
        p = get_class(class_of(n));
    }
    if (p == NULL)
        return NULL;
    hdr_of(p)->magic = MAGIC_LIVE;
    UNPOISON(p, hdr_of(p)->size);
    return p;
}

/* When the cache is full its older (colder) blocks go to the depot in one step,
 * keeping the most recently put ones on top for LIFO reuse. */
static void put_class(void *p, unsigned c)
{
    tcache_t *tc = cache();
    if (tc == NULL) {
        depot_push(c, &p, 1);
        return;
    }
    unsigned cap = cache_cap(c);
    if (tc->n[c] == cap) {
        unsigned move = transfer(c);
        depot_push(c, tc->slot[c], move);
        memmove(tc->slot[c], tc->slot[c] + move, (cap - move) * sizeof(void *));
        tc->n[c] = cap - move;
    }
    tc->slot[c][tc->n[c]++] = p;
}

static bool live_block(const void *p)
{
    if (((uintptr_t)p & 15u) != 0)
        return false;
    const hdr_t *h = hdr_of(p);
    return h->magic == MAGIC_LIVE && (h->cls < NCLASS || h->cls == BIG);
}

int gn_bytes_put(void *p)
{
    if (p == NULL)
        return 0;
    if (!live_block(p))
        return -EINVAL;
    hdr_t *h = hdr_of(p);
    h->magic = MAGIC_FREE;
    if (h->cls == BIG) {
        free(h);
        return 0;
    }
    POISON(p, h->size);
    put_class(p, h->cls);
    return 0;
}

size_t gn_bytes_cap(const void *p)
{
    return p != NULL && live_block(p) ? hdr_of(p)->size : 0;
}

void gn_bytes_trim(void)
{
    if (tl_cache != NULL)
        flush_cache(tl_cache);
    for (unsigned c = 0; c < NCLASS; c++) {
        void *batch[64];
        unsigned got;
        while ((got = depot_pop(c, batch, 64)) > 0)
            for (unsigned i = 0; i < got; i++)
                release_block(batch[i]);
    }
}
