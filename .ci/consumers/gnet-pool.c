/* Install smoke test: tasks through a worker pool, a block through the byte pool. */
#include <gnet/bytepool.h>
#include <gnet/pool.h>
#include <stdatomic.h>
#include <stdio.h>

static atomic_int done;

static void work(void *arg)
{
    (void)arg;
    atomic_fetch_add(&done, 1);
}

int main(void)
{
    gn_pool_t *p;
    gn_pool_options_t opts = {.capacity = 2};
    if (gn_pool_new(&p, &opts) != 0)
        return 1;
    for (int i = 0; i < 1000; i++)
        if (gn_pool_submit(p, work, NULL) != 0)
            return 1;
    if (gn_pool_release(p, 10000) != 0 || atomic_load(&done) != 1000)
        return 1;
    gn_pool_free(p);
    void *b = gn_bytes_get(4000);
    if (b == NULL || gn_bytes_cap(b) < 4000 || gn_bytes_put(b) != 0)
        return 1;
    puts("gnet-pool: ok");
    return 0;
}
