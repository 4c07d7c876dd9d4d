/* See store.h. Separate chaining; a shard's table doubles when it holds more
 * entries than buckets. An entry is one allocation: key, then value. */
#include "store.h"
#include "reply.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NSHARDS 64

typedef struct entry {
    struct entry *next;
    uint64_t hash;
    int64_t expire_at; /* 0 = never */
    size_t klen;
    size_t vlen;
    char data[]; /* key bytes, then value bytes */
} entry_t;

typedef struct shard {
    pthread_mutex_t mu;
    entry_t **buckets;
    size_t nbuckets; /* power of two */
    size_t count;
    size_t sweep_at; /* next bucket store_sweep looks at */
} shard_t;

struct store {
    shard_t shards[NSHARDS];
    size_t sweep_shard;
};

int64_t store_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* FNV-1a: short keys, good enough spread for a demo keyspace. */
static uint64_t hash_of(const char *k, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)k[i]) * 1099511628211ULL;
    return h;
}

int store_new(store_t **out)
{
    store_t *s = calloc(1, sizeof *s);
    if (s == NULL)
        return -ENOMEM;
    for (int i = 0; i < NSHARDS; i++) {
        shard_t *sh = &s->shards[i];
        pthread_mutex_init(&sh->mu, NULL);
        sh->nbuckets = 16;
        sh->buckets = calloc(sh->nbuckets, sizeof *sh->buckets);
        if (sh->buckets == NULL) {
            store_free(s);
            return -ENOMEM;
        }
    }
    *out = s;
    return 0;
}

void store_free(store_t *s)
{
    if (s == NULL)
        return;
    for (int i = 0; i < NSHARDS; i++) {
        shard_t *sh = &s->shards[i];
        for (size_t b = 0; sh->buckets != NULL && b < sh->nbuckets; b++)
            for (entry_t *e = sh->buckets[b], *next; e != NULL; e = next) {
                next = e->next;
                free(e);
            }
        free(sh->buckets);
        pthread_mutex_destroy(&sh->mu);
    }
    free(s);
}

static shard_t *shard_of(store_t *s, uint64_t h)
{
    return &s->shards[h >> 58]; /* top 6 bits: the bucket index uses the low ones */
}

static bool expired(const entry_t *e)
{
    return e->expire_at != 0 && e->expire_at <= store_now_ms();
}

/* The link that points at key's entry (or at the NULL ending its chain).
 * An expired entry found on the way is unlinked and freed. */
static entry_t **find(shard_t *sh, uint64_t h, const char *key, size_t klen)
{
    entry_t **link = &sh->buckets[h & (sh->nbuckets - 1)];
    for (entry_t *e; (e = *link) != NULL;) {
        if (e->hash == h && e->klen == klen && memcmp(e->data, key, klen) == 0) {
            if (!expired(e))
                return link;
            *link = e->next;
            sh->count--;
            free(e);
            continue;
        }
        link = &e->next;
    }
    return link;
}

static void grow(shard_t *sh)
{
    size_t n = sh->nbuckets * 2;
    entry_t **nb = calloc(n, sizeof *nb);
    if (nb == NULL)
        return; /* longer chains, still correct */
    for (size_t b = 0; b < sh->nbuckets; b++)
        for (entry_t *e = sh->buckets[b], *next; e != NULL; e = next) {
            next = e->next;
            e->next = nb[e->hash & (n - 1)];
            nb[e->hash & (n - 1)] = e;
        }
    free(sh->buckets);
    sh->buckets = nb;
    sh->nbuckets = n;
    sh->sweep_at = 0;
}

static entry_t *entry_new(uint64_t h, const char *key, size_t klen, const char *val, size_t vlen,
                          int64_t expire_at)
{
    if (klen > SIZE_MAX / 2 - sizeof(entry_t) || vlen > SIZE_MAX / 2 - klen)
        return NULL;
    entry_t *e = malloc(sizeof *e + klen + vlen);
    if (e == NULL)
        return NULL;
    *e = (entry_t){.hash = h, .expire_at = expire_at, .klen = klen, .vlen = vlen};
    memcpy(e->data, key, klen);
    if (vlen > 0)
        memcpy(e->data + klen, val, vlen);
    return e;
}

/* Puts e where *link points (replacing the entry there, if any). */
static void install(shard_t *sh, entry_t **link, entry_t *e)
{
    entry_t *old = *link;
    e->next = old != NULL ? old->next : NULL;
    *link = e;
    if (old != NULL) {
        free(old);
        return;
    }
    if (++sh->count > sh->nbuckets)
        grow(sh);
}

int store_get_reply(store_t *s, const char *key, size_t klen, outbuf_t *out)
{
    uint64_t h = hash_of(key, klen);
    shard_t *sh = shard_of(s, h);
    pthread_mutex_lock(&sh->mu);
    entry_t *e = *find(sh, h, key, klen);
    int rc =
        e != NULL ? reply_bulk(out, e->data + e->klen, e->vlen) : outbuf_append(out, "$-1\r\n", 5);
    pthread_mutex_unlock(&sh->mu);
    return rc;
}

int store_set(store_t *s, const char *key, size_t klen, const char *val, size_t vlen,
              int64_t expire_at, int cond)
{
    uint64_t h = hash_of(key, klen);
    shard_t *sh = shard_of(s, h);
    /* The copy of a large value is made before taking the lock. */
    entry_t *e = entry_new(h, key, klen, val, vlen, expire_at);
    if (e == NULL)
        return -ENOMEM;
    pthread_mutex_lock(&sh->mu);
    entry_t **link = find(sh, h, key, klen);
    bool exists = *link != NULL;
    bool go = cond == STORE_SET_ALWAYS || (cond == STORE_SET_NX) != exists;
    if (go)
        install(sh, link, e);
    pthread_mutex_unlock(&sh->mu);
    if (!go)
        free(e);
    return go;
}

int store_del(store_t *s, const char *key, size_t klen)
{
    uint64_t h = hash_of(key, klen);
    shard_t *sh = shard_of(s, h);
    pthread_mutex_lock(&sh->mu);
    entry_t **link = find(sh, h, key, klen), *e = *link;
    if (e != NULL) {
        *link = e->next;
        sh->count--;
    }
    pthread_mutex_unlock(&sh->mu);
    free(e);
    return e != NULL;
}

int store_exists(store_t *s, const char *key, size_t klen)
{
    uint64_t h = hash_of(key, klen);
    shard_t *sh = shard_of(s, h);
    pthread_mutex_lock(&sh->mu);
    int found = *find(sh, h, key, klen) != NULL;
    pthread_mutex_unlock(&sh->mu);
    return found;
}

/* A value INCR accepts: what Redis's string2ll does (optional '-', digits, no
 * leading zeros or blanks, fits in int64). */
static int parse_i64(const char *p, size_t n, int64_t *out)
{
    if (n == 0 || n > 20)
        return -ERANGE;
    bool neg = p[0] == '-';
    size_t i = neg;
    if (i == n || (p[i] == '0' && n > i + 1))
        return -ERANGE;
    uint64_t x = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; i < n; i++) {
        if (p[i] < '0' || p[i] > '9' || x > (lim - (uint64_t)(p[i] - '0')) / 10)
            return -ERANGE;
        x = x * 10 + (uint64_t)(p[i] - '0');
    }
    *out = neg ? (int64_t)(0 - x) : (int64_t)x;
    return 0;
}

int store_incr(store_t *s, const char *key, size_t klen, int64_t by, int64_t *result)
{
    uint64_t h = hash_of(key, klen);
    shard_t *sh = shard_of(s, h);
    pthread_mutex_lock(&sh->mu);
    entry_t **link = find(sh, h, key, klen), *e = *link;
    int64_t v = 0;
    int rc = e != NULL ? parse_i64(e->data + e->klen, e->vlen, &v) : 0;
    if (rc == 0 && ((by > 0 && v > INT64_MAX - by) || (by < 0 && v < INT64_MIN - by)))
        rc = -ERANGE;
    if (rc == 0) {
        char num[24], *end = num;
        uint64_t mag = v + by < 0 ? 0 - (uint64_t)(v + by) : (uint64_t)(v + by);
        if (v + by < 0)
            *end++ = '-';
        end = outbuf_put_uint(end, mag);
        entry_t *ne = entry_new(h, key, klen, num, (size_t)(end - num), e ? e->expire_at : 0);
        if (ne == NULL)
            rc = -ENOMEM;
        else
            install(sh, link, ne);
        *result = v + by;
    }
    pthread_mutex_unlock(&sh->mu);
    return rc;
}

/* Removes expired entries of one bucket; returns how many. */
static size_t sweep_bucket(shard_t *sh, size_t b, int64_t now)
{
    size_t n = 0;
    for (entry_t **link = &sh->buckets[b], *e; (e = *link) != NULL;) {
        if (e->expire_at != 0 && e->expire_at <= now) {
            *link = e->next;
            sh->count--;
            free(e);
            n++;
        } else {
            link = &e->next;
        }
    }
    return n;
}

size_t store_sweep(store_t *s, size_t budget)
{
    int64_t now = store_now_ms();
    size_t removed = 0, looked = 0;
    while (removed < budget && looked < budget * 4) {
        shard_t *sh = &s->shards[s->sweep_shard % NSHARDS];
        pthread_mutex_lock(&sh->mu);
        size_t end = sh->sweep_at + 64 < sh->nbuckets ? sh->sweep_at + 64 : sh->nbuckets;
        for (size_t b = sh->sweep_at; b < end; b++)
            removed += sweep_bucket(sh, b, now);
        looked += end - sh->sweep_at;
        sh->sweep_at = end == sh->nbuckets ? 0 : end;
        pthread_mutex_unlock(&sh->mu);
        if (end == sh->nbuckets)
            s->sweep_shard++;
    }
    return removed;
}

size_t store_count(store_t *s)
{
    size_t n = 0;
    for (int i = 0; i < NSHARDS; i++) {
        pthread_mutex_lock(&s->shards[i].mu);
        n += s->shards[i].count;
        pthread_mutex_unlock(&s->shards[i].mu);
    }
    return n;
}
