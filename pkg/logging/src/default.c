/* The process default logger, configured from the environment, and the level
 * names. */
#include "logging_int.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* gnet's lumberjack defaults for a log file: 100 MB, 2 backups. */
#define GN__DEFAULT_MAX_SIZE    ((size_t)100 << 20)
#define GN__DEFAULT_MAX_BACKUPS 2

/* Static, so building the default can never fail for lack of memory. */
static struct gn_logger gn__builtin;
static pthread_once_t gn__builtin_once = PTHREAD_ONCE_INIT;
/* Set by gn_log_set_default; NULL means the built-in one. */
static gn_logger_t *gn__override;

static const char *const gn__names[] = {"DEBUG", "INFO", "WARN", "ERROR", "FATAL"};

const char *gn_log_level_string(gn_log_level_t level)
{
    if (!gn__level_valid(level))
        return "?";
    return gn__names[(int)level - GN_LOG_DEBUG];
}

int gn_log_level_parse(const char *name, gn_log_level_t *out)
{
    if (name == NULL || out == NULL)
        return -EINVAL;
    for (int lv = GN_LOG_DEBUG; lv <= GN_LOG_FATAL; lv++) {
        if (strcasecmp(name, gn__names[lv - GN_LOG_DEBUG]) == 0) {
            *out = (gn_log_level_t)lv;
            return 0;
        }
    }
    if (strcasecmp(name, "warning") == 0) {
        *out = GN_LOG_WARN;
        return 0;
    }
    return -EINVAL;
}

/* Reports a configuration problem on stderr, in the console format, whatever
 * the level: the user asked for something and did not get it. */
static void gn__report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void gn__report(const char *fmt, ...)
{
    char stack[GN__LINE_STACK];
    gn__line_t ln;
    va_list ap;
    va_start(ap, fmt);
    int rc = gn__line_render(&ln, stack, sizeof stack, true, NULL, GN_LOG_WARN, __FILE__, __LINE__,
                             fmt, ap);
    va_end(ap);
    if (rc == 0)
        (void)gn__write_all(STDERR_FILENO, ln.p, ln.len, NULL);
    gn__line_release(&ln);
}

static gn_log_level_t gn__env_level(void)
{
    gn_log_level_t level = GN_LOG_INFO;
    const char *s = getenv("GNET_LOGGING_LEVEL");
    if (s != NULL && s[0] != '\0' && gn_log_level_parse(s, &level) < 0)
        gn__report("logging: ignoring GNET_LOGGING_LEVEL=\"%.64s\": want debug, info, warn, "
                   "error or fatal; using info",
                   s);
    return level;
}

/* pthread_once routine: reads the environment once, so a bad value is
 * reported once. */
static void gn__builtin_build(void)
{
    gn_logger_opts_t o = {.level = gn__env_level()};
    const char *path = getenv("GNET_LOGGING_FILE");
    if (path != NULL && path[0] != '\0') {
        o.sink = GN_LOG_SINK_FILE;
        o.path = path;
        o.max_size = GN__DEFAULT_MAX_SIZE;
        o.max_backups = GN__DEFAULT_MAX_BACKUPS;
        int rc = gn__logger_init(&gn__builtin, &o);
        if (rc == 0)
            return;
        gn__report("logging: ignoring GNET_LOGGING_FILE=\"%.256s\": %s; using stderr", path,
                   strerror(-rc));
        o = (gn_logger_opts_t){.level = o.level};
    }
    /* A stderr logger needs no resource that can run out. */
    (void)gn__logger_init(&gn__builtin, &o);
}

struct gn_logger *gn__log_builtin(void)
{
    return &gn__builtin;
}

gn_logger_t *gn_log_default(void)
{
    gn_logger_t *l = __atomic_load_n(&gn__override, __ATOMIC_ACQUIRE);
    if (l != NULL)
        return l;
    pthread_once(&gn__builtin_once, gn__builtin_build);
    return &gn__builtin;
}

gn_logger_t *gn_log_set_default(gn_logger_t *logger)
{
    if (logger == &gn__builtin)
        logger = NULL;
    return __atomic_exchange_n(&gn__override, logger, __ATOMIC_ACQ_REL);
}
