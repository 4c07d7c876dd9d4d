/* Lane numbers for gn_mpscq_t producers: a thread takes the lowest free
 * number on its first push and gives it back when it exits (pthread key
 * destructor). A queue keeps one lane per number, so a thread that exits
 * leaves its queued tasks in lanes that stay with their queues (nothing is
 * lost or leaked), and the next thread to take the number continues those
 * lanes instead of creating new ones.
 *
 * The numbers live in a list of records that are never freed (as the hazard
 * pointer records): taking one is a CAS on its flag, releasing it a store.
 * The flag's release/acquire pair hands the lanes' producer-private fields
 * (write position, idle chunks) from the old owner to the new one. */
#include "mpscq_internal.h"

#include <pthread.h>
#include <stdlib.h>

typedef struct gn__tnum {
    atomic_int active;
    size_t num;            /* the number plus one */
    struct gn__tnum *next; /* immutable once published */
} gn__tnum_t;

_Thread_local size_t gn__mpsc_tnum __attribute__((tls_model("initial-exec")));

/* Every record, newest first, and how many there are (the next number). */
static _Atomic(gn__tnum_t *) g_records;
static atomic_size_t g_count;

static pthread_key_t g_key;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static int g_key_err;

static void release(void *p)
{
    gn__tnum_t *r = p;
    gn__mpsc_tnum = 0;
    /* Release: this thread's pushes (its lanes' private fields) happen before
     * the next owner's first push. */
    atomic_store_explicit(&r->active, 0, memory_order_release);
}

static void key_init(void)
{
    g_key_err = pthread_key_create(&g_key, release);
}

/* The free record with the lowest number, so that numbers stay dense. */
static gn__tnum_t *reuse(void)
{
    for (;;) {
        gn__tnum_t *best = NULL;
        for (gn__tnum_t *r = atomic_load_explicit(&g_records, memory_order_acquire); r != NULL;
             r = r->next) {
            if (atomic_load_explicit(&r->active, memory_order_relaxed) == 0 &&
                (best == NULL || r->num < best->num))
                best = r;
        }
        if (best == NULL)
            return NULL;
        int idle = 0;
        /* Acquire: pairs with release() of the previous owner. */
        if (atomic_compare_exchange_strong_explicit(&best->active, &idle, 1, memory_order_acquire,
                                                    memory_order_relaxed))
            return best;
    }
}

static gn__tnum_t *create(void)
{
    gn__tnum_t *r = malloc(sizeof *r);
    if (r == NULL)
        return NULL;
    atomic_init(&r->active, 1);
    r->num = atomic_fetch_add_explicit(&g_count, 1, memory_order_relaxed) + 1;
    r->next = atomic_load_explicit(&g_records, memory_order_relaxed);
    while (!atomic_compare_exchange_weak_explicit(&g_records, &r->next, r, memory_order_release,
                                                  memory_order_relaxed))
        ;
    return r;
}

size_t gn__mpsc_thread_take(void)
{
    if (pthread_once(&g_once, key_init) != 0 || g_key_err != 0)
        return 0;
    gn__tnum_t *r = reuse();
    if (r == NULL)
        r = create();
    if (r == NULL)
        return 0;
    if (pthread_setspecific(g_key, r) != 0) {
        release(r);
        return 0;
    }
    gn__mpsc_tnum = r->num;
    return r->num;
}
