/* The poller's timers: a 4-ary min-heap of (deadline, insertion number, slot)
 * entries and an array of slots that ids name. A 4-ary heap is half as deep
 * as a binary one and its four children share a cache line (16-byte
 * entries), so a sift touches fewer lines with 100,000 timers; every
 * operation is O(log n) and makes no system call (the clock is the vDSO's,
 * read at most once per round). */
#include "poller_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

#define NO_SLOT   UINT32_MAX
#define INIT_CAP  16u
#define MAX_SLOTS (UINT32_MAX - 1u)

/* The id encoding, in one place: the slot's generation in the high 32 bits,
 * slot index + 1 in the low 32 (so 0 is never an id). */
static gn_timer_id_t id_make(uint32_t slot, uint32_t gen)
{
    return ((uint64_t)gen << 32) | ((uint64_t)slot + 1u);
}

static uint32_t id_slot(gn_timer_id_t id)
{
    return (uint32_t)id - 1u; /* NO_SLOT for id 0 */
}

static uint32_t id_gen(gn_timer_id_t id)
{
    return (uint32_t)(id >> 32);
}

uint64_t gn__mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t timers_now(gn_poller_t *p)
{
    gn__timers_t *t = &p->timers;
    if (!t->now_valid || !p->polling) {
        t->now = gn__mono_ns();
        t->now_valid = p->polling;
    }
    return t->now;
}

/* a fires before b. */
static bool ent_less(const gn__timer_ent_t *a, const gn__timer_ent_t *b)
{
    if (a->when != b->when)
        return a->when < b->when;
    return (int32_t)(a->seq - b->seq) < 0;
}

static void ent_put(gn__timers_t *t, uint32_t i, gn__timer_ent_t e)
{
    t->heap[i] = e;
    t->slots[e.slot].pos = i;
}

static void sift_up(gn__timers_t *t, uint32_t i, gn__timer_ent_t e)
{
    while (i > 0) {
        uint32_t parent = (i - 1) / 4;
        if (!ent_less(&e, &t->heap[parent]))
            break;
        ent_put(t, i, t->heap[parent]);
        i = parent;
    }
    ent_put(t, i, e);
}

static void sift_down(gn__timers_t *t, uint32_t i, gn__timer_ent_t e)
{
    for (;;) {
        uint32_t first = 4 * i + 1;
        if (first >= t->n)
            break;
        uint32_t best = first;
        uint32_t end = first + 4 < t->n ? first + 4 : t->n;
        for (uint32_t c = first + 1; c < end; c++) {
            if (ent_less(&t->heap[c], &t->heap[best]))
                best = c;
        }
        if (!ent_less(&t->heap[best], &e))
            break;
        ent_put(t, i, t->heap[best]);
        i = best;
    }
    ent_put(t, i, e);
}

/* Removes the entry at heap index i: the last entry takes its place and
 * moves whichever way restores the order. */
static void heap_remove(gn__timers_t *t, uint32_t i)
{
    gn__timer_ent_t last = t->heap[--t->n];
    if (i == t->n)
        return;
    if (i > 0 && ent_less(&last, &t->heap[(i - 1) / 4]))
        sift_up(t, i, last);
    else
        sift_down(t, i, last);
}

/* Doubles both arrays (a failed realloc leaves the old ones intact). */
static int timers_grow(gn__timers_t *t)
{
    if (t->cap >= MAX_SLOTS)
        return -ENOMEM;
    uint32_t cap = t->cap == 0 ? INIT_CAP : (t->cap > MAX_SLOTS / 2 ? MAX_SLOTS : t->cap * 2);
    gn__timer_ent_t *heap = realloc(t->heap, (size_t)cap * sizeof(*heap));
    if (heap == NULL)
        return -ENOMEM;
    t->heap = heap;
    gn__timer_slot_t *slots = realloc(t->slots, (size_t)cap * sizeof(*slots));
    if (slots == NULL)
        return -ENOMEM;
    t->slots = slots;
    t->cap = cap;
    return 0;
}

static int slot_take(gn__timers_t *t, uint32_t *out)
{
    if (t->free != NO_SLOT) {
        *out = t->free;
        t->free = t->slots[*out].pos;
        return 0;
    }
    if (t->used == t->cap) {
        int rc = timers_grow(t);
        if (rc != 0)
            return rc;
    }
    t->slots[t->used].gen = 1;
    *out = t->used++;
    return 0;
}

static void slot_free(gn__timers_t *t, uint32_t s)
{
    t->slots[s].gen++;
    t->slots[s].pos = t->free;
    t->free = s;
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* Inserts slot s due at when. A timer armed inside the timer phase is due
 * after the phase's instant, so the phase cannot pick it up again. */
static void arm(gn__timers_t *t, uint32_t s, uint64_t when)
{
    if (t->firing && when <= t->now)
        when = t->now + 1;
    gn__timer_ent_t e = {.when = when, .seq = t->seq++, .slot = s};
    sift_up(t, t->n++, e);
}

GN_EXPORT int gn_poller_timer_add(gn_poller_t *p, uint64_t delay_ns, uint64_t period_ns,
                                  gn_timer_cb cb, void *udata, gn_timer_id_t *id)
{
    if (p == NULL || cb == NULL)
        return -EINVAL;
    gn__timers_t *t = &p->timers;
    uint32_t s;
    int rc = slot_take(t, &s);
    if (rc != 0)
        return rc;
    gn__timer_slot_t *slot = &t->slots[s];
    slot->cb = cb;
    slot->udata = udata;
    slot->period = period_ns;
    arm(t, s, add_sat(timers_now(p), delay_ns));
    if (id != NULL)
        *id = id_make(s, slot->gen);
    return 0;
}

GN_EXPORT int gn_poller_timer_cancel(gn_poller_t *p, gn_timer_id_t id)
{
    if (p == NULL)
        return -EINVAL;
    gn__timers_t *t = &p->timers;
    uint32_t s = id_slot(id);
    /* A free slot's generation was bumped when it was freed, so it never
     * matches an id handed out for it before. */
    if (s >= t->used || t->slots[s].gen != id_gen(id))
        return -ENOENT;
    heap_remove(t, t->slots[s].pos);
    slot_free(t, s);
    return 0;
}

GN_EXPORT void *gn_poller_timer_udata(const gn_poller_t *p, gn_timer_id_t id)
{
    if (p == NULL)
        return NULL;
    const gn__timers_t *t = &p->timers;
    uint32_t s = id_slot(id);
    return s < t->used && t->slots[s].gen == id_gen(id) ? t->slots[s].udata : NULL;
}

GN_EXPORT uint64_t gn_poller_now(gn_poller_t *p)
{
    return p != NULL ? timers_now(p) : 0;
}

GN_EXPORT size_t gn_poller_timer_count(const gn_poller_t *p)
{
    return p != NULL ? p->timers.n : 0;
}

/* Fires the earliest timer, due at the phase's instant: a repeating one is
 * re-armed first (so its callback may cancel it), a one-shot one freed first
 * (its id is stale inside its callback). */
static int fire_top(gn_poller_t *p)
{
    gn__timers_t *t = &p->timers;
    gn__timer_ent_t top = t->heap[0];
    gn__timer_slot_t *slot = &t->slots[top.slot];
    gn_timer_cb cb = slot->cb;
    void *udata = slot->udata;
    gn_timer_id_t id = id_make(top.slot, slot->gen);
    heap_remove(t, 0);
    if (slot->period != 0) {
        uint64_t next = add_sat(top.when, slot->period);
        arm(t, top.slot, next > t->now ? next : add_sat(t->now, slot->period));
    } else {
        slot_free(t, top.slot);
    }
    return cb(p, id, udata);
}

int gn__timers_run(gn_poller_t *p)
{
    gn__timers_t *t = &p->timers;
    if (t->n == 0)
        return 0;
    uint64_t now = timers_now(p);
    t->firing = true;
    int rc = 0;
    while (t->n > 0 && t->heap[0].when <= now) {
        rc = fire_top(p);
        if (rc == GN_POLL_STOP || rc < 0)
            break;
        rc = 0;
    }
    t->firing = false;
    return rc;
}

int64_t gn__timers_timeout(gn_poller_t *p)
{
    gn__timers_t *t = &p->timers;
    if (t->n == 0)
        return -1;
    /* A fresh reading: the round's callbacks may have taken a while. */
    uint64_t now = gn__mono_ns();
    uint64_t when = t->heap[0].when;
    if (when <= now)
        return 0;
    uint64_t d = when - now;
    return d > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)d;
}

void gn__timers_release(gn__timers_t *t)
{
    free(t->heap);
    free(t->slots);
    *t = (gn__timers_t){.free = NO_SLOT};
}
