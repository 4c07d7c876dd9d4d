/* hist: log-linear buckets, see hist.h. */
#include "hist.h"

/* The bucket of v. */
static unsigned hist_index(uint64_t v)
{
    if (v < 2 * HIST_SUB)
        return (unsigned)v;
    unsigned e = 63u - (unsigned)__builtin_clzll(v); /* v in [2^e, 2^(e+1)) with e >= 7 */
    unsigned sub = (unsigned)(v >> (e - HIST_SUB_BITS)) & (HIST_SUB - 1);
    return (e - HIST_SUB_BITS + 1) * HIST_SUB + sub;
}

/* The smallest value of bucket i (the inverse of hist_index). */
static uint64_t hist_lower(unsigned i)
{
    if (i < 2 * HIST_SUB)
        return i;
    unsigned e = i / HIST_SUB + HIST_SUB_BITS - 1;
    uint64_t sub = i % HIST_SUB;
    return (HIST_SUB + sub) << (e - HIST_SUB_BITS);
}

void hist_add(hist_t *h, uint64_t v)
{
    h->count[hist_index(v)]++;
    h->n++;
    h->sum += v;
    if (v > h->max)
        h->max = v;
}

uint64_t hist_quantile(const hist_t *h, double q)
{
    if (h->n == 0)
        return 0;
    uint64_t rank = (uint64_t)(q * (double)h->n);
    if (rank >= h->n)
        rank = h->n - 1;
    uint64_t seen = 0;
    for (unsigned i = 0; i < HIST_BUCKETS; i++) {
        seen += h->count[i];
        if (seen > rank) {
            uint64_t lo = hist_lower(i);
            uint64_t hi = i + 1 < HIST_BUCKETS ? hist_lower(i + 1) : lo;
            uint64_t mid = lo + (hi - lo) / 2;
            return mid < h->max ? mid : h->max;
        }
    }
    return h->max;
}
