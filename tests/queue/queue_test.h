/* Helpers shared by the queue suite's files (one test binary). */
#ifndef GN_QUEUE_TEST_H
#define GN_QUEUE_TEST_H

#include <gnet/queue.h>
#include <stdlib.h>

/* A task that does nothing: the tests look at the task's arg, not its effect. */
static inline int task_nop(void *arg)
{
    (void)arg;
    return 0;
}

/* A drop hook for gn_taskq_free / gn_mpscq_free over tasks {task_nop, int *}
 * pushed with values 100, 101, ...: udata counts drops, and a drop out of
 * FIFO order (or of another task) makes the count negative. Frees the arg. */
static inline void drop_in_order(gn_task_t *task, void *udata)
{
    int *drops = udata;
    if (*drops >= 0 && task->fn == task_nop && *(int *)task->arg == 100 + *drops)
        (*drops)++;
    else
        *drops = -1;
    free(task->arg);
}

#endif
