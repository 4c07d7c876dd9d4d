/* hist: a log-linear latency histogram for the echo load generator.
 *
 * Values (nanoseconds) below 128 get a bucket each; above, every power of two is
 * split into 64 equal buckets, so a reported percentile is within 1/64 (1.6%) of
 * the true value while the whole table stays a fixed 30 KiB, whatever the range.
 * Not thread-safe; the load generator has one thread. */
#ifndef ECHO_LOAD_HIST_H
#define ECHO_LOAD_HIST_H

#include <stdint.h>

#define HIST_SUB_BITS 6 /* 64 sub-buckets per power of two */
#define HIST_SUB      (1u << HIST_SUB_BITS)
#define HIST_BUCKETS  ((65u - HIST_SUB_BITS) * HIST_SUB)

typedef struct {
    uint64_t count[HIST_BUCKETS];
    uint64_t n;
    uint64_t sum;
    uint64_t max;
} hist_t;

/* Records one value in ns. */
void hist_add(hist_t *h, uint64_t v);

/* The value (ns, bucket midpoint) below which the fraction q (0..1) of the recorded
 * values lie; 0 when nothing was recorded. */
uint64_t hist_quantile(const hist_t *h, double q);

#endif
