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

int gn_taskq_push(gn_taskq_t *q, gn_task_fn fn, void *arg)
{
    if (GN__UNLIKELY(q == NULL || fn == NULL))
        return -EINVAL;
    gn__hprec_t *r;
    gn__node_t *n = gn__node_take(&r);
    if (GN__UNLIKELY(n == NULL))
        return -ENOMEM;
    n->v.task.fn = fn;
    n->v.task.arg = arg;
    gn__msq_push(&q->core, r, n);
    return 0;
}

bool gn_taskq_pop(gn_taskq_t *q, gn_task_t *out)
{
    if (GN__UNLIKELY(q == NULL || out == NULL))
        return false;
    gn__hprec_t *r = gn__hp_rec();
    if (GN__UNLIKELY(r == NULL))
        return false;
    gn__payload_t v;
    if (!gn__msq_pop(&q->core, r, &v))
        return false;
    *out = v.task;
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
