/* gn_queue_t: the Michael-Scott queue carrying one pointer per node. */
#include "msq.h"

#include <errno.h>
#include <stddef.h>

struct gn_queue {
    gn__msq_t core;
};
_Static_assert(offsetof(gn_queue_t, core) == 0, "gn__msq_new allocates the core at offset 0");

int gn_queue_new(gn_queue_t **out)
{
    if (out == NULL)
        return -EINVAL;
    *out = gn__msq_new(sizeof(gn_queue_t));
    return *out != NULL ? 0 : -ENOMEM;
}

void gn_queue_free(gn_queue_t *q)
{
    if (q == NULL)
        return;
    gn__msq_free(&q->core, NULL, NULL);
}

int gn_queue_enqueue(gn_queue_t *q, void *item)
{
    if (GN__UNLIKELY(q == NULL || item == NULL))
        return -EINVAL;
    gn__hprec_t *r;
    gn__node_t *n = gn__node_take(&r);
    if (GN__UNLIKELY(n == NULL))
        return -ENOMEM;
    n->v.item = item;
    gn__msq_push(&q->core, r, n);
    return 0;
}

void *gn_queue_dequeue(gn_queue_t *q)
{
    if (GN__UNLIKELY(q == NULL))
        return NULL;
    gn__hprec_t *r = gn__hp_rec();
    if (GN__UNLIKELY(r == NULL))
        return NULL;
    gn__payload_t v;
    return gn__msq_pop(&q->core, r, &v) ? v.item : NULL;
}

bool gn_queue_empty(const gn_queue_t *q)
{
    return q == NULL || gn__msq_empty(&q->core);
}

size_t gn_queue_len(const gn_queue_t *q)
{
    return q == NULL ? 0 : gn__msq_len(&q->core);
}
