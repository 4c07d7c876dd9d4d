/* The keyspace of the example Redis server: string keys to string values with
 * an optional expiry time, in 64 shards (a hash table and a mutex each) so
 * that several loops may share it. Expired keys vanish when touched (every
 * call checks) and through store_sweep, which a server runs periodically.
 *
 * Thread rule: every function may be called from any thread; store_free
 * only when no other call runs. */
#ifndef GN_EXAMPLES_STORE_H
#define GN_EXAMPLES_STORE_H

#include "common/outbuf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct store store_t;

/* Conditions of store_set, as SET's NX and XX options. */
enum { STORE_SET_ALWAYS = 0, STORE_SET_NX = 1, STORE_SET_XX = 2 };

/* Returns 0 and *out, or -ENOMEM. */
int store_new(store_t **out);
void store_free(store_t *s);

/* Milliseconds of a monotonic clock: the time base of expiry times. */
int64_t store_now_ms(void);

/* Appends the value of key as a RESP bulk string to out, or the null bulk
 * "$-1" when there is none. Returns 0 or -ENOMEM. */
int store_get_reply(store_t *s, const char *key, size_t klen, outbuf_t *out);

/* Sets key to a copy of the value. expire_at is a store_now_ms() time, or 0
 * for none. Returns 1 when set, 0 when cond prevented it, or -ENOMEM. */
int store_set(store_t *s, const char *key, size_t klen, const char *val, size_t vlen,
              int64_t expire_at, int cond);

/* Removes key. Returns 1 if it existed, else 0. */
int store_del(store_t *s, const char *key, size_t klen);

/* Returns 1 if key exists, else 0. */
int store_exists(store_t *s, const char *key, size_t klen);

/* Adds by to the integer in key (0 if missing), keeping its expiry. Returns 0
 * and *result, -ERANGE when the value is not a 64-bit integer or the result
 * would overflow, or -ENOMEM. */
int store_incr(store_t *s, const char *key, size_t klen, int64_t by, int64_t *result);

/* Removes up to budget expired keys, walking the shards from where the last
 * call stopped. Returns the number removed. One thread at a time (it keeps
 * its position unlocked); other calls may run meanwhile. */
size_t store_sweep(store_t *s, size_t budget);

/* Keys stored (expired ones not yet removed included). */
size_t store_count(store_t *s);

#endif
