/* gn_taskq_t: the Michael-Scott queue carrying a task {fn, arg} inside each
 * node, so a push needs no allocation besides the (recycled) node. */
#include "msq.h"

#include <errno.h>
#include <stddef.h>

struct gn_taskq {
    gn__msq_t core;
};
_Static_assert(offsetof(gn_taskq_t, core) == 0, "gn__msq_new allocates the core at offset 0");

int gn_taskq_new(gn_taskq_t **out)
{
    if (out == NULL)
        return -EINVAL;
    *out = gn__msq_new(sizeof(gn_taskq_t));
    return *out != NULL ? 0 : -ENOMEM;
}

void gn_taskq_free(gn_taskq_t *q, void (*drop)(gn_task_t *task, void *udata), void *udata)
{
    if (q == NULL)
        return;
    gn__msq_free(&q->core, drop, udata);
}

/* As enqueue_slow in queue.c: out of line, so the fast path needs no frame. */
__attribute__((noinline, cold)) static int push_slow(gn_taskq_t *q, gn_task_fn fn, void *arg)
{
    if (!gn__node_prime())
        return -ENOMEM;
    return gn_taskq_push(q, fn, arg);
}

int gn_taskq_push(gn_taskq_t *q, gn_task_fn fn, void *arg)
{
    if (GN__UNLIKELY(q == NULL || fn == NULL))
        return -EINVAL;
    gn__hprec_t *r;
    gn__node_t *n = gn__node_take_cached(&r);
    if (GN__UNLIKELY(n == NULL))
        return push_slow(q, fn, arg);
    n->v.task.fn = fn;
    n->v.task.arg = arg;
    gn__msq_push(&q->core, r, n);
    return 0;
}

__attribute__((noinline, cold)) static bool pop_slow(gn_taskq_t *q, gn_task_t *out)
{
    return gn__hp_acquire() != NULL && gn_taskq_pop(q, out);
}

bool gn_taskq_pop(gn_taskq_t *q, gn_task_t *out)
{
    if (GN__UNLIKELY(q == NULL || out == NULL))
        return false;
    gn__hprec_t *r = gn__hp_self;
    if (GN__UNLIKELY(r == NULL))
        return pop_slow(q, out);
    gn__payload_t v;
    gn__node_t *old;
    if (!gn__msq_pop(&q->core, r, &v, &old))
        return false;
    *out = v.task;
    if (gn__hp_retire(r, old))
        return gn__hp_scan_pass(r, out) != NULL;
    return true;
}

bool gn_taskq_empty(const gn_taskq_t *q)
{
    return q == NULL || gn__msq_empty(&q->core);
}

size_t gn_taskq_len(const gn_taskq_t *q)
{
    return q == NULL ? 0 : gn__msq_len(&q->core);
}
