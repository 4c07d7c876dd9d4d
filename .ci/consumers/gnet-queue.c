/* Install smoke test: FIFO order through the MPMC queue and the task queue. */
#include <gnet/queue.h>
#include <stdint.h>
#include <stdio.h>

static int add_one(void *arg)
{
    return (int)(intptr_t)arg + 1;
}

int main(void)
{
    gn_queue_t *q;
    gn_taskq_t *tq;
    gn_task_t t;
    if (gn_queue_new(&q) != 0 || gn_taskq_new(&tq) != 0)
        return 1;
    for (intptr_t i = 1; i <= 100; i++)
        if (gn_queue_enqueue(q, (void *)i) != 0)
            return 1;
    for (intptr_t i = 1; i <= 100; i++)
        if ((intptr_t)gn_queue_dequeue(q) != i)
            return 1;
    if (gn_taskq_push(tq, add_one, (void *)(intptr_t)41) != 0 || !gn_taskq_pop(tq, &t) ||
        t.fn(t.arg) != 42 || !gn_queue_empty(q))
        return 1;
    gn_taskq_free(tq, NULL, NULL);
    gn_queue_free(q);
    puts("gnet-queue: ok");
    return 0;
}
