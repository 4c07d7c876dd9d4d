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

/* Blocks of one class a thread cache holds at most (fewer where the byte bound
 * allows fewer). */
#define CACHE_COUNT 128u
#define CACHE_SHIFT 24 /* log2(GN_BYTES_CACHE_MAX) */
_Static_assert(((size_t)1 << CACHE_SHIFT) == GN_BYTES_CACHE_MAX, "CACHE_SHIFT");

/* Cache colouring of big blocks. glibc serves requests from 128 KiB up with
 * mmap, so every such block starts at the same offset in its page and every
 * header (and the block's first line) falls in the same set of an 8-way L1
 * data cache: 64 blocks used in turn miss L1 on every header access. Blocks of
 * the classes from COLOUR_CLASS up therefore start 0 to 63 cache lines into
 * their allocation, in rotation. The mmap page rounding already leaves about a
 * page of slack, so the colour costs no memory there. */
#define COLOUR_CLASS 11u /* 128 KiB */
#define COLOURS      64u
#define LINE         64u

typedef struct hdr {
    uint32_t magic;
    uint16_t cls;    /* class, or BIG for a malloc'd large block */
    uint16_t colour; /* cache lines between the malloc'd start and the header */
    size_t size;     /* usable bytes */
} hdr_t;
_Static_assert(sizeof(hdr_t) <= GN_BYTES_HEADER, "header must fit");

typedef struct tcache {
    size_t bytes; /* sizes of the cached blocks, at most GN_BYTES_CACHE_MAX */
    unsigned n[NCLASS];
    void **slot[NCLASS]; /* into `store` */
    void *store[];
} tcache_t;

typedef struct depot {
    pthread_mutex_t lock;
    unsigned n;
    unsigned colour; /* next colour for a new block of this class (atomic) */
    void **slot;     /* depot_cap(c) entries, allocated on first overflow */
} depot_t;

#define DEPOT_INIT                                                                                 \
    {                                                                                              \
        PTHREAD_MUTEX_INITIALIZER, 0, 0, NULL                                                      \
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

/* Thread cache bound per class: CACHE_COUNT blocks, or as many as fit in the
 * whole GN_BYTES_CACHE_MAX for the classes from 256 KiB up (64 of 256 KiB, 16
 * of 1 MiB). A table: it is read on every put. The cast is explicit because the
 * branch not taken can exceed a byte (clang's -Wconstant-conversion looks at both);
 * the branch taken never does (1u << 7 at most). */
#define CAP(c)                                                                                     \
    ((uint8_t)((c) + MIN_SHIFT + 7 <= CACHE_SHIFT ? CACHE_COUNT                                    \
                                                  : 1u << (CACHE_SHIFT - MIN_SHIFT - (c))))
static const uint8_t cache_caps[NCLASS] = {CAP(0),  CAP(1),  CAP(2),  CAP(3),  CAP(4),
                                           CAP(5),  CAP(6),  CAP(7),  CAP(8),  CAP(9),
                                           CAP(10), CAP(11), CAP(12), CAP(13), CAP(14)};
_Static_assert(CACHE_COUNT <= UINT8_MAX, "cache_caps holds bytes");

static unsigned cache_cap(unsigned c)
{
    return cache_caps[c];
}

/* Depot bound: GN_BYTES_DEPOT_MAX per class, at most 4096 blocks. */
static unsigned depot_cap(unsigned c)
{
    return clampu(GN_BYTES_DEPOT_MAX / class_size(c), 16, 4096);
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
    hdr_t *h = hdr_of(p);
    UNPOISON(p, h->size);
    free((char *)h - (size_t)h->colour * LINE);
}

static void *new_block(size_t size, unsigned cls)
{
    unsigned colour = 0;
    if (cls != BIG && cls >= COLOUR_CLASS)
        colour = __atomic_fetch_add(&depots[cls].colour, 1, __ATOMIC_RELAXED) % COLOURS;
    char *m = malloc(GN_BYTES_HEADER + size + (size_t)colour * LINE);
    if (m == NULL)
        return NULL;
    hdr_t *h = (hdr_t *)(void *)(m + (size_t)colour * LINE);
    h->cls = (uint16_t)cls;
    h->colour = (uint16_t)colour;
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

/* Moves the `move` oldest (coldest) blocks of class c to the depot, keeping the
 * most recently put ones on top for LIFO reuse. */
static void spill(tcache_t *tc, unsigned c, unsigned move)
{
    if (move == 0)
        return;
    depot_push(c, tc->slot[c], move);
    memmove(tc->slot[c], tc->slot[c] + move, (tc->n[c] - move) * sizeof(void *));
    tc->n[c] -= move;
    tc->bytes -= move * class_size(c);
}

static void flush_cache(tcache_t *tc)
{
    for (unsigned c = 0; c < NCLASS; c++)
        spill(tc, c, tc->n[c]);
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

/* Cache miss: refills the class from the depot, half its bound at a time (as
 * many as the byte bound leaves room for), so that one lock round trip serves
 * many gets; failing that, a new block from malloc. */
__attribute__((noinline)) static void *get_slow(unsigned c)
{
    tcache_t *tc = cache();
    void *p = NULL;
    if (tc == NULL) {
        (void)depot_pop(c, &p, 1); /* leaves p NULL when the depot is empty */
    } else {
        /* The class is empty here (gn_bytes_get takes any block it holds). */
        size_t room = (GN_BYTES_CACHE_MAX - tc->bytes) / class_size(c);
        unsigned want = cache_cap(c) / 2;
        want = room + 1 < want ? (unsigned)room + 1 : want;
        unsigned got = depot_pop(c, tc->slot[c] + tc->n[c], want);
        if (got > 0) {
            tc->n[c] += got - 1;
            tc->bytes += (got - 1) * class_size(c);
            p = tc->slot[c][tc->n[c]];
        }
    }
    if (p == NULL)
        p = new_block(class_size(c), c);
    return p;
}

static void *get_big(size_t n)
{
    if (n == 0 || n > SIZE_MAX - GN_BYTES_HEADER)
        return NULL;
    return new_block(n, BIG);
}

void *gn_bytes_get(size_t n)
{
    void *p;
    if (n - 1 < GN_BYTES_MAX) { /* 1 .. GN_BYTES_MAX, n == 0 wraps */
        unsigned c = class_of(n);
        tcache_t *tc = tl_cache;
        if (tc != NULL && tc->n[c] > 0) {
            p = tc->slot[c][--tc->n[c]];
            tc->bytes -= class_size(c);
        } else {
            p = get_slow(c);
        }
    } else {
        p = get_big(n);
    }
    if (p == NULL)
        return NULL;
    hdr_of(p)->magic = MAGIC_LIVE;
    UNPOISON(p, hdr_of(p)->size);
    return p;
}

/* The class is full or the cache is over its byte bound: the older half of the
 * class goes to the depot, and if the cache is still too big, the older half of
 * every class. Halving a class at a time keeps the depot's lock amortised over
 * many blocks, and halving every class drains classes a thread no longer uses
 * instead of letting them hold the byte budget forever. */
__attribute__((noinline)) static void put_slow(void *p, unsigned c)
{
    tcache_t *tc = cache();
    if (tc == NULL) {
        depot_push(c, &p, 1);
        return;
    }
    if (tc->n[c] == cache_cap(c))
        spill(tc, c, (tc->n[c] + 1) / 2);
    if (tc->bytes + class_size(c) > GN_BYTES_CACHE_MAX)
        for (unsigned k = 0; k < NCLASS; k++)
            spill(tc, k, (tc->n[k] + 1) / 2);
    tc->slot[c][tc->n[c]++] = p;
    tc->bytes += class_size(c);
}

static bool live_block(const void *p)
{
    if (((uintptr_t)p & 15u) != 0)
        return false;
    const hdr_t *h = hdr_of(p);
    return h->magic == MAGIC_LIVE && (h->cls < NCLASS || h->cls == BIG) && h->colour < COLOURS;
}

int gn_bytes_put(void *p)
{
    if (p == NULL)
        return 0;
    if (!live_block(p))
        return -EINVAL;
    hdr_t *h = hdr_of(p);
    h->magic = MAGIC_FREE;
    unsigned c = h->cls;
    if (c == BIG) {
        free(h);
        return 0;
    }
    POISON(p, h->size);
    tcache_t *tc = tl_cache;
    size_t size = class_size(c);
    if (tc != NULL && tc->n[c] < cache_cap(c) && tc->bytes + size <= GN_BYTES_CACHE_MAX) {
        tc->slot[c][tc->n[c]++] = p;
        tc->bytes += size;
        return 0;
    }
    put_slow(p, c);
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
