/* Allocation-failure and resolver wrappers for the fuzz targets (see
 * fuzz.h). The --wrap link options route every call of the wrapped
 * functions in the targets and the libraries here. */
#include "fuzz.h"

#include <netdb.h>
#include <stddef.h>

void *__real_malloc(size_t n);
void *__real_calloc(size_t k, size_t n);
void *__real_realloc(void *p, size_t n);
int __real_getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                       struct addrinfo **res);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t k, size_t n);
void *__wrap_realloc(void *p, size_t n);
int __wrap_getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                       struct addrinfo **res);

static _Thread_local long countdown; /* 0: off; 1: the next allocation fails */
static _Thread_local bool sticky_fail, failed;
static _Thread_local long calls;

void fuzz_alloc_fail_at(long n, bool sticky)
{
    countdown = n > 0 ? n : 0;
    sticky_fail = sticky;
    failed = false;
}

bool fuzz_alloc_disarm(void)
{
    bool was = failed;
    countdown = 0;
    sticky_fail = false;
    failed = false;
    return was;
}

long fuzz_alloc_count(void)
{
    return calls;
}

/* True when this allocation is to fail. */
static bool fail_now(void)
{
    calls++;
    if (countdown == 0)
        return false;
    if (countdown > 1) {
        countdown--;
        return false;
    }
    if (!sticky_fail)
        countdown = 0;
    failed = true;
    return true;
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

int __wrap_getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                       struct addrinfo **res)
{
    struct addrinfo h = {0};
    if (hints != NULL)
        h = *hints;
    h.ai_flags |= AI_NUMERICHOST | AI_NUMERICSERV;
    return __real_getaddrinfo(node, service, &h, res);
}
