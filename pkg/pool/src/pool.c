/* gnet-pool worker pool: creation, submit, tune, release and the default pool.
 * The worker side lives in worker.c. */
#include "pool_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

static unsigned online_cpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1u : n > (long)GN_POOL_MAX_CAP ? GN_POOL_MAX_CAP : (unsigned)n;
}

/* Condvars on CLOCK_MONOTONIC so that expiry and release timeouts survive
 * wall-clock jumps. */
static int init_sync(gn_pool_t *p)
{
    pthread_condattr_t ca;
    if (pthread_condattr_init(&ca) != 0)
        return -ENOMEM;
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->work_cv, &ca);
    pthread_cond_init(&p->space_cv, &ca);
    pthread_cond_init(&p->done_cv, &ca);
    pthread_cond_init(&p->start_cv, &ca);
    pthread_condattr_destroy(&ca);
    return 0;
}

static void destroy(gn_pool_t *p)
{
    pthread_cond_destroy(&p->start_cv);
    pthread_cond_destroy(&p->done_cv);
    pthread_cond_destroy(&p->space_cv);
    pthread_cond_destroy(&p->work_cv);
    pthread_mutex_destroy(&p->lock);
    free(p->ring);
    free(p);
}

/* Reserves n workers in the counts (lock held), then starts them without the
 * lock and takes back the reservation of any that failed. Returns the first
 * error or 0. Lock held on entry and exit. */
static int start_workers(gn_pool_t *p, unsigned n)
{
    int first = 0;
    GN__ST(p->nworkers, p->nworkers + n);
    GN__ST(p->idle, p->idle + n);
    p->starting += n;
    pthread_mutex_unlock(&p->lock);
    gn__pool_reap(p);
    unsigned failed = 0;
    for (unsigned i = 0; i < n; i++) {
        int rc = gn__pool_spawn(p);
        if (rc != 0 && first == 0)
            first = rc;
        failed += rc != 0;
    }
    pthread_mutex_lock(&p->lock);
    GN__ST(p->nworkers, p->nworkers - failed);
    GN__ST(p->idle, p->idle - failed);
    p->starting -= n;
    if (p->starting == 0)
        pthread_cond_broadcast(&p->start_cv);
    if (failed > 0 && p->nworkers == 0)
        pthread_cond_broadcast(&p->done_cv);
    return first;
}

static int check_options(const gn_pool_options_t *o)
{
    if (o->capacity > GN_POOL_MAX_CAP ||
        (o->queue_size > GN_POOL_MAX_QUEUE && o->queue_size != GN_POOL_NO_QUEUE))
        return -EINVAL;
    return 0;
}

static int prealloc(gn_pool_t *p)
{
    pthread_mutex_lock(&p->lock);
    int rc = start_workers(p, p->cap);
    pthread_mutex_unlock(&p->lock);
    return rc;
}

int gn_pool_new(gn_pool_t **out, const gn_pool_options_t *opts)
{
    static const gn_pool_options_t defaults;
    const gn_pool_options_t *o = opts != NULL ? opts : &defaults;
    if (out == NULL || check_options(o) != 0)
        return -EINVAL;
    gn_pool_t *p = calloc(1, sizeof *p);
    if (p == NULL)
        return -ENOMEM;
    p->cap = o->capacity != 0 ? o->capacity : online_cpus();
    /* Without a waiting room a task waits only for an idle worker to take
     * it, so no more than cap are ever queued. */
    p->no_queue = o->queue_size == GN_POOL_NO_QUEUE;
    p->qsize = p->no_queue ? p->cap : o->queue_size != 0 ? o->queue_size : GN_POOL_DEFAULT_QUEUE;
    p->ring = malloc(p->qsize * sizeof *p->ring);
    if (p->ring == NULL || init_sync(p) != 0) {
        free(p->ring);
        free(p);
        return -ENOMEM;
    }
    p->expiry_ms = o->expiry_ms;
    p->max_blocking = o->max_blocking;
    p->nonblocking = o->nonblocking;
    if (o->prealloc) {
        int rc = prealloc(p);
        if (rc != 0) {
            gn_pool_free(p);
            return rc;
        }
    }
    *out = p;
    return 0;
}

/* Waits for every worker to exit, up to ms (negative = no limit). Lock held. */
static int wait_workers(gn_pool_t *p, long ms)
{
    struct timespec deadline = gn__deadline(ms < 0 ? 0 : ms);
    while (p->nworkers > 0) {
        if (ms < 0)
            pthread_cond_wait(&p->done_cv, &p->lock);
        else if (pthread_cond_timedwait(&p->done_cv, &p->lock, &deadline) == ETIMEDOUT)
            return p->nworkers > 0 ? -ETIMEDOUT : 0;
    }
    return 0;
}

static int release(gn_pool_t *p, long timeout_ms)
{
    pthread_mutex_lock(&p->lock);
    GN__ST(p->closed, true);
    pthread_cond_broadcast(&p->work_cv);
    pthread_cond_broadcast(&p->space_cv);
    int rc = wait_workers(p, timeout_ms);
    pthread_mutex_unlock(&p->lock);
    gn__pool_reap(p);
    return rc;
}

int gn_pool_release(gn_pool_t *p, long timeout_ms)
{
    if (p == NULL)
        return -EINVAL;
    if (p->is_default)
        return -EPERM;
    if (gn__pool_is_self(p))
        return -EDEADLK;
    return release(p, timeout_ms);
}

void gn_pool_free(gn_pool_t *p)
{
    if (p == NULL || p->is_default)
        return;
    release(p, -1);
    destroy(p);
}

/* No room for one more task: the queue is full or, without a waiting room,
 * every worker is spoken for and no other may start. Lock held. */
static bool full(const gn_pool_t *p)
{
    if (p->queued == p->qsize)
        return true;
    return p->no_queue && p->queued >= p->idle && p->nworkers >= p->cap;
}

/* Waits for queue space, or says why not. Lock held. */
static int wait_space(gn_pool_t *p)
{
    if (p->nonblocking || (p->max_blocking != 0 && p->waiting >= p->max_blocking))
        return -EAGAIN;
    GN__ST(p->waiting, p->waiting + 1);
    p->space_woken = false;
    pthread_cond_wait(&p->space_cv, &p->lock);
    GN__ST(p->waiting, p->waiting - 1);
    return 0;
}

static void push(gn_pool_t *p, gn_pool_fn fn, void *arg)
{
    unsigned tail = p->head + p->queued;
    if (tail >= p->qsize)
        tail -= p->qsize;
    p->ring[tail] = (gn__task_t){fn, arg};
    GN__ST(p->queued, p->queued + 1);
    /* Spinning workers see the count; only parked ones need a wake, and only
     * one per task beyond those already on their way. Every woken worker checks
     * the queue again, so an extra wake costs time, never a lost task. */
    if (p->parked > p->wakes) {
        p->wakes++;
        pthread_cond_signal(&p->work_cv);
    }
}

/* Lock held. At most one worker is started per submit (one more if the pool
 * has none left after a wait); the state is checked again after it, since the
 * lock was dropped meanwhile. A task is queued only when a worker that has
 * really started exists: if every counted worker is still being started by
 * another thread, that start may fail and leave the task with no worker, so
 * the submit waits for its outcome first (a thread start, not queue space). */
static int submit_locked(gn_pool_t *p, gn_pool_fn fn, void *arg)
{
    bool spawned = false;
    for (;;) {
        if (p->closed)
            return -ESHUTDOWN;
        if (full(p)) {
            int rc = wait_space(p);
            if (rc != 0)
                return rc;
            continue;
        }
        if ((!spawned || p->nworkers == 0) && p->queued >= p->idle && p->nworkers < p->cap) {
            spawned = true;
            int rc = start_workers(p, 1);
            /* Without any worker the task would never run: refuse it. */
            if (rc != 0 && p->nworkers == 0)
                return rc == -ENOMEM ? -ENOMEM : -EAGAIN;
            continue;
        }
        if (p->starting > 0 && p->nworkers == p->starting) {
            pthread_cond_wait(&p->start_cv, &p->lock);
            continue;
        }
        push(p, fn, arg);
        return 0;
    }
}

int gn_pool_submit(gn_pool_t *p, gn_pool_fn fn, void *arg)
{
    if (p == NULL || fn == NULL)
        return -EINVAL;
    pthread_mutex_lock(&p->lock);
    int rc = submit_locked(p, fn, arg);
    pthread_mutex_unlock(&p->lock);
    return rc;
}

/* A pool without a waiting room queues up to cap tasks (one per idle
 * worker): its ring grows with the capacity, keeping the queued tasks in
 * order. Lock held. */
static int grow_ring(gn_pool_t *p, unsigned capacity)
{
    if (!p->no_queue || capacity <= p->qsize)
        return 0;
    gn__task_t *ring = malloc(capacity * sizeof *ring);
    if (ring == NULL)
        return -ENOMEM;
    for (unsigned i = 0, at = p->head; i < p->queued; i++) {
        ring[i] = p->ring[at];
        at = at + 1 == p->qsize ? 0 : at + 1;
    }
    free(p->ring);
    p->ring = ring;
    p->head = 0;
    p->qsize = capacity;
    return 0;
}

int gn_pool_tune(gn_pool_t *p, unsigned capacity)
{
    if (p == NULL || capacity == 0 || capacity > GN_POOL_MAX_CAP)
        return -EINVAL;
    pthread_mutex_lock(&p->lock);
    int rc = p->closed ? -ESHUTDOWN : grow_ring(p, capacity);
    if (rc < 0) {
        pthread_mutex_unlock(&p->lock);
        return rc;
    }
    GN__ST(p->cap, capacity);
    /* Parked surplus workers must wake up to notice they should exit, and
     * surplus ones waiting for a start to end must decide again. Without a
     * waiting room, a raised capacity is room for blocked submitters. */
    pthread_cond_broadcast(&p->work_cv);
    pthread_cond_broadcast(&p->start_cv);
    if (p->no_queue)
        pthread_cond_broadcast(&p->space_cv);
    unsigned want = p->queued > p->idle ? p->queued - p->idle : 0;
    unsigned room = capacity > p->nworkers ? capacity - p->nworkers : 0;
    /* A failed start is not an error of tune: later submits start workers. */
    if (want > 0 && room > 0)
        (void)start_workers(p, want < room ? want : room);
    pthread_mutex_unlock(&p->lock);
    return 0;
}

unsigned gn_pool_running(const gn_pool_t *p)
{
    return p != NULL ? GN__LD(p->running) : 0;
}

unsigned gn_pool_free_workers(const gn_pool_t *p)
{
    return p != NULL ? GN__LD(p->idle) : 0;
}

unsigned gn_pool_workers(const gn_pool_t *p)
{
    return p != NULL ? GN__LD(p->nworkers) : 0;
}

unsigned gn_pool_waiting(const gn_pool_t *p)
{
    return p != NULL ? GN__LD(p->waiting) : 0;
}

unsigned gn_pool_queued(const gn_pool_t *p)
{
    return p != NULL ? GN__LD(p->queued) : 0;
}

unsigned gn_pool_cap(const gn_pool_t *p)
{
    return p != NULL ? GN__LD(p->cap) : 0;
}

static pthread_once_t default_once = PTHREAD_ONCE_INIT;
static gn_pool_t *default_pool;

static void make_default(void)
{
    gn_pool_options_t o = {0};
    unsigned n = online_cpus();
    o.capacity = n > GN_POOL_MAX_CAP / 2 ? GN_POOL_MAX_CAP : 2 * n;
    o.expiry_ms = 10000;
    gn_pool_t *p;
    if (gn_pool_new(&p, &o) != 0)
        return;
    p->is_default = true;
    default_pool = p;
}

gn_pool_t *gn_pool_default(void)
{
    pthread_once(&default_once, make_default);
    return default_pool;
}
