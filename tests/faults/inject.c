/* The --wrap side of inject.h. One global countdown, so the n-th allocation
 * of the whole process fails whichever thread makes it. */
#include "inject.h"

#include <execinfo.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void *__real_malloc(size_t n);
void *__real_calloc(size_t k, size_t n);
void *__real_realloc(void *p, size_t n);
void *__real_aligned_alloc(size_t a, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t k, size_t n);
void *__wrap_realloc(void *p, size_t n);
void *__wrap_aligned_alloc(size_t a, size_t n);
char *__wrap_strdup(const char *s);

static atomic_long countdown; /* 0: off; the allocation that brings it to 0 fails */
static atomic_bool hit;
/* The arming thread (the test's, with Check's own allocations) is never
 * counted: only the engine's threads and those it starts are. */
static _Thread_local bool exempt;

void inj_arm(long n)
{
    exempt = true;
    atomic_store(&hit, false);
    atomic_store(&countdown, n > 0 ? n : 0);
}

bool inj_disarm(void)
{
    atomic_store(&countdown, 0);
    return atomic_exchange(&hit, false);
}

/* GN_INJECT_TRACE=1 prints where each injected failure happens. */
static void trace(void)
{
    static int on = -1;
    if (on < 0)
        on = getenv("GN_INJECT_TRACE") != NULL;
    if (!on)
        return;
    void *pc[16];
    int n = backtrace(pc, 16);
    (void)!write(2, "== injected allocation failure at:\n", 36);
    backtrace_symbols_fd(pc, n, 2);
}

static bool fail_now(void)
{
    if (exempt)
        return false;
    long c = atomic_load_explicit(&countdown, memory_order_relaxed);
    while (c > 0) {
        if (atomic_compare_exchange_weak(&countdown, &c, c - 1)) {
            if (c != 1)
                return false;
            atomic_store(&hit, true);
            trace();
            return true;
        }
    }
    return false;
}

void *__wrap_malloc(size_t n)
{
    return fail_now() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t k, size_t n)
{
    return fail_now() ? NULL : __real_calloc(k, n);
}

void *__wrap_realloc(void *p, size_t n)
{
    return fail_now() ? NULL : __real_realloc(p, n);
}

void *__wrap_aligned_alloc(size_t a, size_t n)
{
    return fail_now() ? NULL : __real_aligned_alloc(a, n);
}

char *__wrap_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = __wrap_malloc(n);
    if (d != NULL)
        memcpy(d, s, n);
    return d;
}
