/* Install smoke test: a user sink receives a formatted line; disabled levels are skipped. */
#include <gnet/logging.h>
#include <stdio.h>
#include <string.h>

static int lines;

static void sink(gn_log_level_t level, const char *file, int line, const char *msg, size_t len,
                 void *udata)
{
    (void)file;
    (void)line;
    (void)udata;
    if (level == GN_LOG_INFO && len == 8 && strcmp(msg, "answer42") == 0)
        lines++;
}

int main(void)
{
    gn_logger_t *log;
    gn_logger_opts_t opts = {.level = GN_LOG_INFO, .sink = GN_LOG_SINK_FUNC, .fn = sink};
    if (gn_logger_new(&log, &opts) != 0)
        return 1;
    GN_LOG_INFOF(log, "answer%d", 42);
    GN_LOG_DEBUGF(log, "hidden");
    gn_logger_free(log);
    if (lines != 1)
        return 1;
    puts("gnet-logging: ok");
    return 0;
}
