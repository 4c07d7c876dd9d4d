/* Reserve descriptors for running out of them (EMFILE/ENFILE). An acceptor
 * that cannot accept gives up a reserve, accepts the pending connection into
 * the freed slot and drops it, so that the peer is told at once instead of
 * waiting in the queue (the nginx/libuv trick).
 *
 * With several acceptors (reuse_port), a sibling's accept can take the slot
 * a reserve just freed. The reserves are therefore one pool for the whole
 * engine, and a slot never needs to be freed to make a reserve: a template
 * fd on /dev/null, never given up, is dup2'ed over the dropped connection,
 * which closes the socket and turns its slot into the reserve in one step.
 * An acceptor whose accept succeeds while the pool is short (some reserve
 * is given up or was taken) refills it first from a free slot and, when
 * there is none, turns the connection it just accepted into the reserve:
 * that connection took the slot a sibling was counting on. So a slot taken
 * from a reserve by a sibling always comes back, and every acceptor can
 * keep draining its queue for as long as descriptors are short. */
#include "engine_int.h"

#include <fcntl.h>
#include <unistd.h>

void gn__reserves_init(gn__reserves_t *r, int n)
{
    r->target = 0;
    atomic_init(&r->count, 0);
    for (int i = 0; i < GN__MAX_LOOPS; i++)
        atomic_init(&r->fd[i], -1);
    r->tmpl = open("/dev/null", O_RDONLY | O_CLOEXEC);
    r->inited = true;
    if (r->tmpl < 0)
        return; /* no reserves: an acceptor out of fds pauses instead */
    for (int i = 0; i < n && i < GN__MAX_LOOPS; i++) {
        int fd = fcntl(r->tmpl, F_DUPFD_CLOEXEC, 0);
        if (fd < 0)
            break;
        atomic_store(&r->fd[i], fd);
        r->target++;
    }
    atomic_store(&r->count, r->target);
}

void gn__reserves_release(gn__reserves_t *r)
{
    if (!r->inited)
        return;
    for (int i = 0; i < GN__MAX_LOOPS; i++) {
        int fd = atomic_exchange(&r->fd[i], -1);
        if (fd >= 0)
            close(fd);
    }
    if (r->tmpl >= 0)
        close(r->tmpl);
    r->tmpl = -1;
    r->inited = false;
}

int gn__reserves_take(gn__reserves_t *r)
{
    for (int i = 0; i < r->target; i++) {
        int fd = atomic_exchange(&r->fd[i], -1);
        if (fd >= 0) {
            atomic_fetch_sub(&r->count, 1);
            return fd;
        }
    }
    return -1;
}

/* Puts fd (already a /dev/null) into a free place; false when the pool is
 * full. */
static bool store(gn__reserves_t *r, int fd)
{
    for (int i = 0; i < r->target; i++) {
        int empty = -1;
        if (atomic_compare_exchange_strong(&r->fd[i], &empty, fd)) {
            atomic_fetch_add(&r->count, 1);
            return true;
        }
    }
    return false;
}

void gn__reserves_keep(gn__reserves_t *r, int fd)
{
    if (r->tmpl < 0 || dup3(r->tmpl, fd, O_CLOEXEC) < 0 || !store(r, fd))
        close(fd);
}

bool gn__reserves_short(gn__reserves_t *r)
{
    return atomic_load(&r->count) < r->target;
}

bool gn__reserves_refill(gn__reserves_t *r)
{
    while (r->tmpl >= 0 && gn__reserves_short(r)) {
        int fd = fcntl(r->tmpl, F_DUPFD_CLOEXEC, 0);
        if (fd < 0)
            return false;
        if (!store(r, fd)) {
            close(fd); /* another acceptor refilled it meanwhile */
            return true;
        }
    }
    return true;
}
