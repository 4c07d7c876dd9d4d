/* Hazard pointers (Michael 2004): per-thread records, their automatic release at
 * thread exit, and the scan that returns unhazarded retired nodes to the node
 * cache. One process-wide domain serves every queue, so a queue can be freed
 * without waiting for other threads' retired lists. */
#include "internal.h"

#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#ifdef __linux__
#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

_Thread_local gn__hprec_t *gn__hp_self __attribute__((tls_model("initial-exec")));

/* Every record ever created, newest first; records are never unlinked. Pushes
 * and the scan's read of the list head are seq_cst so that a record created after
 * a scan started belongs to a thread whose first validation already sees the
 * scanned nodes unlinked. */
static _Atomic(gn__hprec_t *) g_records;
static atomic_size_t g_nrecords;

static pthread_key_t g_key;
static pthread_once_t g_key_once = PTHREAD_ONCE_INIT;
static int g_key_err;

static void key_destructor(void *p)
{
    gn__hprec_t *r = p;
    if (gn__hp_self == r)
        gn__hp_self = NULL;
    gn__hp_release(r);
}

_Bool gn__hp_asym;

/* Registers the process for expedited private membarriers; false when the
 * kernel lacks them, a sandbox forbids them (seccomp), or the user opted out. */
static _Bool membarrier_register(void)
{
#if defined(__linux__) && defined(SYS_membarrier)
    const char *off = getenv("GNET_QUEUE_NO_MEMBARRIER");
    if (off != NULL && off[0] != '\0' && off[0] != '0')
        return 0;
    long cmds = syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
    if (cmds < 0 || !(cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED))
        return 0;
    return syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0;
#else
    return 0;
#endif
}

/* The reclaimer's half of asymmetric publication: afterwards every hazard
 * pointer published before a validating load is visible. False when the
 * barrier failed (then nothing may be reclaimed). */
static _Bool heavy_barrier(void)
{
#if defined(__linux__) && defined(SYS_membarrier)
    if (gn__hp_asym)
        return syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) == 0;
#endif
    return 1;
}

static void key_init(void)
{
    g_key_err = pthread_key_create(&g_key, key_destructor);
    gn__hp_asym = membarrier_register();
}

size_t gn__hp_nrecords(void)
{
    return atomic_load_explicit(&g_nrecords, memory_order_relaxed);
}

/* Threshold for the next scan: 2 * H * N + GN__RETIRE_MIN (_ASYM), capped by
 * what the retired array holds (growing it when N grew). */
static void update_threshold(gn__hprec_t *r)
{
    size_t want =
        2 * GN__HP_SLOTS * gn__hp_nrecords() + (gn__hp_asym ? GN__RETIRE_MIN_ASYM : GN__RETIRE_MIN);
    if (want > r->rcap) {
        gn__node_t **grown = realloc(r->retired, want * sizeof *grown);
        if (grown != NULL) {
            r->retired = grown;
            r->rcap = want;
        }
    }
    r->rthresh = want < r->rcap ? want : r->rcap;
}

static gn__hprec_t *reuse_record(void)
{
    gn__hprec_t *r = atomic_load_explicit(&g_records, memory_order_acquire);
    for (; r != NULL; r = r->next) {
        int idle = 0;
        /* Acquire: the previous owner's writes to the private fields (released
         * with the flag) are visible to the new owner. seq_cst (the same
         * instruction on x86): a scan that saw the record idle precedes this
         * CAS in the total order others_active relies on. */
        if (atomic_load_explicit(&r->active, memory_order_relaxed) == 0 &&
            atomic_compare_exchange_strong_explicit(&r->active, &idle, 1, memory_order_seq_cst,
                                                    memory_order_relaxed))
            return r;
    }
    return NULL;
}

static gn__hprec_t *new_record(void)
{
    gn__hprec_t *r = aligned_alloc(_Alignof(gn__hprec_t), sizeof *r);
    if (r == NULL)
        return NULL;
    memset(r, 0, sizeof *r);
    for (int i = 0; i < GN__HP_SLOTS; i++)
        atomic_init(&r->hp[i], NULL);
    atomic_init(&r->active, 1);
    update_threshold(r);
    if (r->rcap == 0) {
        free(r);
        return NULL;
    }
    atomic_fetch_add_explicit(&g_nrecords, 1, memory_order_relaxed);
    gn__hprec_t *head = atomic_load_explicit(&g_records, memory_order_relaxed);
    do
        r->next = head;
    while (!atomic_compare_exchange_weak_explicit(&g_records, &head, r, memory_order_seq_cst,
                                                  memory_order_relaxed));
    return r;
}

gn__hprec_t *gn__hp_acquire(void)
{
    pthread_once(&g_key_once, key_init);
    if (g_key_err != 0)
        return NULL;
    gn__hprec_t *r = reuse_record();
    if (r == NULL)
        r = new_record();
    if (r == NULL)
        return NULL;
    /* The key is what runs gn__hp_release at thread exit; without it the record
     * would stay taken forever, so give it back rather than leak it. */
    if (pthread_setspecific(g_key, r) != 0) {
        atomic_store_explicit(&r->active, 0, memory_order_release);
        return NULL;
    }
    gn__hp_self = r;
    return r;
}

void gn__hp_release(gn__hprec_t *r)
{
    for (int i = 0; i < GN__HP_SLOTS; i++)
        gn__hp_clear(r, i);
    if (r->nretired > 0)
        gn__hp_scan(r);
    gn__node_flush(r);
    /* Release: hands the private fields to the next owner (see reuse_record). */
    atomic_store_explicit(&r->active, 0, memory_order_release);
}

void gn_queue_thread_exit(void)
{
    gn__hprec_t *r = gn__hp_self;
    if (r == NULL)
        return;
    gn__hp_self = NULL;
    (void)pthread_setspecific(g_key, NULL);
    gn__hp_release(r);
}

/* Collects the non-NULL hazard pointers of every other record into r->plist
 * (the caller's own slots are skipped: a scan runs only when its caller no
 * longer needs them, and queue operations leave them set). Returns their
 * number, or SIZE_MAX when the list could not grow (the caller then reclaims
 * nothing this time). seq_cst loads: the reclaimer's half of the symmetric
 * handshake (gn__hp_publish); they are also acquire, so a slot seen cleared
 * orders the owner's reads of a node before its reuse. */
static size_t collect_hazards(gn__hprec_t *r)
{
    size_t n = 0;
    gn__hprec_t *o = atomic_load_explicit(&g_records, memory_order_seq_cst);
    for (; o != NULL; o = o->next) {
        if (o == r)
            continue;
        for (int i = 0; i < GN__HP_SLOTS; i++) {
            gn__node_t *p = atomic_load_explicit(&o->hp[i], memory_order_seq_cst);
            if (p == NULL)
                continue;
            if (n == r->pcap) {
                size_t cap = r->pcap ? 2 * r->pcap : 16;
                gn__node_t **grown = realloc(r->plist, cap * sizeof *grown);
                if (grown == NULL)
                    return SIZE_MAX;
                r->plist = grown;
                r->pcap = cap;
            }
            r->plist[n++] = p;
        }
    }
    return n;
}

static int ptr_cmp(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t) * (gn__node_t *const *)a;
    uintptr_t y = (uintptr_t) * (gn__node_t *const *)b;
    return (x > y) - (x < y);
}

/* Up to H per other record: queue operations leave their slots set, so an idle
 * thread that holds a record still shows its last two. With few such threads a
 * linear search wins; many threads get a sorted list and binary search. */
static int is_hazard(gn__node_t *const *plist, size_t np, gn__node_t *n)
{
    if (np <= 8) {
        for (size_t i = 0; i < np; i++)
            if (plist[i] == n)
                return 1;
        return 0;
    }
    return bsearch(&n, plist, np, sizeof *plist, ptr_cmp) != NULL;
}

/* A node's bit in a 64-bit filter of addresses (nodes are at least 16 bytes
 * apart): a retired node whose bit no hazard pointer sets is not among them,
 * which spares most nodes the search. */
static inline unsigned filter_index(const gn__node_t *n)
{
    return (unsigned)(((uintptr_t)n >> 4) & 63);
}

/* True when a record other than r is taken by a thread. When none is, no
 * hazard pointer can hold one of r's retired nodes, so a scan needs neither the
 * barrier nor the hazard pointers: every other slot was cleared before its
 * record was released (and a load that reads 0 from that release store
 * acquires the owner's last reads of its nodes), and a thread that takes a
 * record after this check (a seq_cst CAS on its active flag or on g_records,
 * later in the single total order than these seq_cst loads: a load that read
 * the value the CAS replaced precedes it) validates with a seq_cst load that
 * is later still, so it sees head and tail past every node the unlinking CAS
 * moved them off. Those CASes precede these loads: sequenced before them, or,
 * for nodes inherited with a reused record, ordered by the record's
 * release/acquire handoff. */
static _Bool others_active(gn__hprec_t *r)
{
    for (gn__hprec_t *o = atomic_load_explicit(&g_records, memory_order_seq_cst); o != NULL;
         o = o->next)
        if (o != r && atomic_load_explicit(&o->active, memory_order_seq_cst) != 0)
            return 1;
    return 0;
}

static void scan_once(gn__hprec_t *r)
{
    size_t np = 0;
    if (others_active(r)) {
        if (!heavy_barrier())
            return;
        np = collect_hazards(r);
        if (np == SIZE_MAX)
            return;
    }
    if (np > 8)
        qsort(r->plist, np, sizeof *r->plist, ptr_cmp);
    uint64_t filter = 0;
    for (size_t i = 0; i < np; i++)
        filter |= (uint64_t)1 << filter_index(r->plist[i]);
    /* The reclaimed nodes go onto the cache as gn__node_put would put them, a
     * chunk at a time: each chunk fits in the cache's free room, so the loops
     * only link (the common case, no hazard pointer set, tests nothing else). */
    gn__node_t **retired = r->retired;
    size_t nretired = r->nretired, keep = 0, i = 0;
    gn__node_t *top = r->cache;
    size_t ncache = r->ncache;
    while (i < nretired) {
        if (ncache == GN__MAG) {
            r->cache = top;
            r->ncache = ncache;
            gn__node_overflow(r);
            top = NULL;
            ncache = 0;
        }
        size_t end = i + (GN__MAG - ncache) < nretired ? i + (GN__MAG - ncache) : nretired;
        if (filter == 0) {
            ncache += end - i;
            for (; i < end; i++) {
                gn__node_t *n = retired[i];
                atomic_store_explicit(&n->next, top, memory_order_relaxed);
                top = n;
            }
            continue;
        }
        for (; i < end; i++) {
            gn__node_t *n = retired[i];
            if (GN__UNLIKELY((filter >> filter_index(n)) & 1) && is_hazard(r->plist, np, n)) {
                retired[keep++] = n;
                continue;
            }
            atomic_store_explicit(&n->next, top, memory_order_relaxed);
            top = n;
            ncache++;
        }
    }
    r->cache = top;
    r->ncache = ncache;
    r->nretired = keep;
}

/* Returns to the cache every retired node no other thread's hazard pointer
 * holds. The caller must not need its own hazard pointers any more (they are
 * not looked at). At most H * (N - 1) nodes stay retired afterwards, so with the threshold at 2HN +
 * 64 (1024 with membarrier) a scan reclaims at least half of what it looks at: O(1) amortized per
 * node. */
void gn__hp_scan(gn__hprec_t *r)
{
    scan_once(r);
    update_threshold(r);
    /* The array stays full only if the scan could not run (no memory for the
     * hazard list, or the membarrier failed) or the array could not grow to
     * 2HN + R_MIN and other threads' slots pin more nodes than it holds: grow
     * it, or wait. Slots stay set after an operation, so what an idle thread
     * pins is released only by its next operation or its exit. */
    while (r->nretired >= r->rcap) {
        gn__node_t **grown = realloc(r->retired, 2 * r->rcap * sizeof *grown);
        if (grown != NULL) {
            r->retired = grown;
            r->rcap *= 2;
            break;
        }
        sched_yield();
        scan_once(r);
    }
}

void *gn__hp_scan_pass(gn__hprec_t *r, void *pass)
{
    gn__hp_scan(r);
    return pass;
}
