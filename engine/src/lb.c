/* Load balancers of the main-reactor topology. They run on the main reactor
 * thread; the connection counts they read are atomics the loops update. */
#include "engine_int.h"

#include <netinet/in.h>
#include <sys/un.h>

static gn__loop_t *least_connections(gn_engine_t *eng)
{
    gn__loop_t *best = &eng->loops[0];
    size_t min = atomic_load_explicit(&best->nconns, memory_order_relaxed);
    for (int i = 1; i < eng->nloops; i++) {
        size_t n = atomic_load_explicit(&eng->loops[i].nconns, memory_order_relaxed);
        if (n < min) {
            min = n;
            best = &eng->loops[i];
        }
    }
    return best;
}

static uint32_t fnv1a(const void *p, size_t n, uint32_t h)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 16777619u;
    }
    return h;
}

/* Hash of the peer's address and port (gnet hashes "ip:port"). Unix peers are
 * usually unnamed, so they all hash alike: fine, the hash is still stable. */
static uint32_t addr_hash(const gn_addr_t *a)
{
    uint32_t h = 2166136261u;
    const struct sockaddr *sa = (const struct sockaddr *)&a->ss;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)&a->ss;
        h = fnv1a(&in->sin_addr, sizeof in->sin_addr, h);
        return fnv1a(&in->sin_port, sizeof in->sin_port, h);
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&a->ss;
        h = fnv1a(&in6->sin6_addr, sizeof in6->sin6_addr, h);
        return fnv1a(&in6->sin6_port, sizeof in6->sin6_port, h);
    }
    return fnv1a(&a->ss, a->len, h);
}

gn__loop_t *gn__lb_pick(gn_engine_t *eng, const gn_addr_t *peer)
{
    unsigned n = (unsigned)eng->nloops;
    switch (eng->o.lb) {
    case GN_LB_LEAST_CONNECTIONS:
        return least_connections(eng);
    case GN_LB_SOURCE_ADDR_HASH:
        if (peer != NULL)
            return &eng->loops[addr_hash(peer) % n];
        break;
    case GN_LB_ROUND_ROBIN:
    default:
        break;
    }
    unsigned i = atomic_fetch_add_explicit(&eng->rr, 1, memory_order_relaxed);
    return &eng->loops[i % n];
}
