/* Worker threads of gnet-pool: the run loop (take, spin, park, expire) and the
 * bookkeeping to start and join them. */
#include "pool_internal.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>

/* How many times an idle worker polls the queue before it parks. A park and wake
 * costs a futex round trip (~20 us on a busy machine); a few microseconds of
 * polling catch the next task of a busy submitter without it. */
#define GN__SPIN 2000

typedef struct gn__start {
    gn_pool_t *pool;
    gn__worker_t *self;
} gn__start_t;

static _Thread_local const gn_pool_t *tl_pool;

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

bool gn__pool_is_self(const gn_pool_t *p)
{
    return tl_pool == p;
}

struct timespec gn__deadline(long ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

/* Pops the head task. Lock held, queued > 0. */
static void take(gn_pool_t *p, gn__task_t *t)
{
    *t = p->ring[p->head];
    p->head = p->head + 1 == p->qsize ? 0 : p->head + 1;
    GN__ST(p->queued, p->queued - 1);
    GN__ST(p->idle, p->idle - 1);
    GN__ST(p->running, p->running + 1);
    /* Waking blocked submitters only once the queue is half empty, and only once
     * until one waits again, means one wake refills many slots instead of one
     * wake per task taken. */
    if (p->waiting > 0 && !p->space_woken && p->queued <= p->qsize / 2) {
        p->space_woken = true;
        pthread_cond_broadcast(&p->space_cv);
    }
}

/* Polls without the lock; returns early when there may be something to do. */
static void spin(gn_pool_t *p)
{
    for (int i = 0; i < GN__SPIN; i++) {
        if (GN__LD(p->queued) > 0 || GN__LD(p->closed) || GN__LD(p->nworkers) > GN__LD(p->cap))
            return;
        cpu_relax();
    }
}

/* Parks until woken or, with an expiry, until the idle deadline. Lock held. */
static int park(gn_pool_t *p, const struct timespec *deadline)
{
    int rc;
    GN__ST(p->parked, p->parked + 1);
    if (p->expiry_ms == 0)
        rc = pthread_cond_wait(&p->work_cv, &p->lock);
    else
        rc = pthread_cond_timedwait(&p->work_cv, &p->lock, deadline);
    GN__ST(p->parked, p->parked - 1);
    if (p->wakes > 0)
        p->wakes--;
    return rc;
}

/* True when this worker should exit as surplus after a tune down. Workers
 * still being started are counted in nworkers but may yet fail to start, so
 * exiting on their account could leave accepted tasks with no worker at all:
 * while a start is in flight, a surplus worker waits for its outcome (a thread
 * start, bounded; no new start begins while the pool is over capacity) and
 * decides again. Only started workers are never counted on, and the pool never
 * runs more than the new capacity's tasks meanwhile. Lock held. */
static bool surplus(gn_pool_t *p)
{
    while (p->nworkers > p->cap) {
        if (p->starting == 0)
            return true;
        pthread_cond_wait(&p->start_cv, &p->lock);
    }
    return false;
}

/* Gets the next task into *t, or returns false when this worker should exit:
 * surplus after a tune down, released with nothing left, or idle past expiry.
 * Lock held on entry and exit. */
static bool next_task(gn_pool_t *p, gn__task_t *t)
{
    bool spun = false;
    struct timespec deadline = {0, 0};
    for (;;) {
        if (surplus(p))
            return false;
        if (p->queued > 0) {
            take(p, t);
            return true;
        }
        if (p->closed)
            return false;
        if (!spun) {
            pthread_mutex_unlock(&p->lock);
            spin(p);
            pthread_mutex_lock(&p->lock);
            spun = true;
            if (p->expiry_ms != 0)
                deadline = gn__deadline((long)p->expiry_ms);
            continue;
        }
        if (park(p, &deadline) == ETIMEDOUT && p->queued == 0)
            return false;
    }
}

/* Leaves the pool: the worker goes on the dead list for a later join. Lock held
 * on entry, released here; nothing of p is touched after the unlock. */
static void leave(gn_pool_t *p, gn__worker_t *self)
{
    GN__ST(p->nworkers, p->nworkers - 1);
    GN__ST(p->idle, p->idle - 1);
    /* Recorded here rather than by pthread_create's caller, which may not have
     * stored it yet when a short-lived worker is already being joined. */
    self->tid = pthread_self();
    self->next = p->dead;
    p->dead = self;
    if (p->nworkers == 0)
        pthread_cond_broadcast(&p->done_cv);
    /* Without a waiting room, a worker gone is room to start another. */
    if (p->no_queue && p->waiting > 0)
        pthread_cond_broadcast(&p->space_cv);
    pthread_mutex_unlock(&p->lock);
}

static void *worker_main(void *arg)
{
    gn__start_t start = *(gn__start_t *)arg;
    gn_pool_t *p = start.pool;
    gn__task_t t;
    free(arg);
    tl_pool = p;
    pthread_mutex_lock(&p->lock);
    while (next_task(p, &t)) {
        pthread_mutex_unlock(&p->lock);
        t.fn(t.arg);
        pthread_mutex_lock(&p->lock);
        GN__ST(p->running, p->running - 1);
        GN__ST(p->idle, p->idle + 1);
        /* Without a waiting room, a worker done with its task is the room a
         * blocked submitter waits for. */
        if (p->no_queue && p->waiting > 0)
            pthread_cond_signal(&p->space_cv);
    }
    leave(p, start.self);
    return NULL;
}

/* Workers start with every signal blocked so that process signals go to the
 * application's own threads, never to a pool thread in the middle of a task. */
static int create_thread(gn__start_t *start)
{
    sigset_t all, old;
    pthread_t tid;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&tid, NULL, worker_main, start);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc;
}

int gn__pool_spawn(gn_pool_t *p)
{
    gn__worker_t *w = malloc(sizeof *w);
    gn__start_t *start = malloc(sizeof *start);
    if (w == NULL || start == NULL) {
        free(w);
        free(start);
        return -ENOMEM;
    }
    start->pool = p;
    start->self = w;
    int rc = create_thread(start);
    if (rc != 0) {
        free(w);
        free(start);
        return -rc;
    }
    return 0;
}

void gn__pool_reap(gn_pool_t *p)
{
    pthread_mutex_lock(&p->lock);
    gn__worker_t *w = p->dead;
    p->dead = NULL;
    pthread_mutex_unlock(&p->lock);
    while (w != NULL) {
        gn__worker_t *next = w->next;
        pthread_join(w->tid, NULL);
        free(w);
        w = next;
    }
}
