/* See commands.h. Each command is a function of its arguments; a table maps
 * names to them with their arity (Redis's convention: n exactly, -n at least). */
#include "commands.h"
#include "reply.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

typedef int (*cmd_fn)(store_t *s, const resp_arg_t *a, size_t n, outbuf_t *out);

static bool arg_is(const resp_arg_t *a, const char *lit)
{
    return a->len == strlen(lit) && strncasecmp(a->p, lit, a->len) == 0;
}

static int cmd_ping(store_t *s, const resp_arg_t *a, size_t n, outbuf_t *out)
{
    if (n > 2)
        return reply_error(out, "ERR wrong number of arguments for 'ping' command");
    return n == 2 ? reply_bulk(out, a[1].p, a[1].len) : reply_lit(out, "+PONG\r\n");
}

static int cmd_echo(store_t *s, const resp_arg_t *a, size_t n, outbuf_t *out)
{
    return reply_bulk(out, a[1].p, a[1].len);
}

static int cmd_get(store_t *s, const resp_arg_t *a, size_t n, outbuf_t *out)
{
    return store_get_reply(s, a[1].p, a[1].len, out);
}

/* A positive decimal (EX/PX argument); false for anything else. */
static bool parse_ttl(const resp_arg_t *a, long long *v)
{
    if (a->len == 0 || a->len > 18)
        return false;
    long long x = 0;
    for (size_t i = 0; i < a->len; i++) {
        if (a->p[i] < '0' || a->p[i] > '9')
            return false;
        x = x * 10 + (a->p[i] - '0');
    }
    *v = x;
    return x > 0;
}

/* SET key value [NX|XX] [EX seconds|PX milliseconds] */
static int cmd_set(store_t *s, const resp_arg_t *a, size_t n, outbuf_t *out)
{
    int cond = STORE_SET_ALWAYS;
    int64_t expire_at = 0;
    for (size_t i = 3; i < n; i++) {
        long long ttl;
        bool ex = arg_is(&a[i], "EX"), px = arg_is(&a[i], "PX");
        if ((arg_is(&a[i], "NX") || arg_is(&a[i], "XX")) && cond == STORE_SET_ALWAYS) {
            cond = arg_is(&a[i], "NX") ? STORE_SET_NX : STORE_SET_XX;
        } else if ((ex || px) && expire_at == 0 && i + 1 < n) {
            if (!parse_ttl(&a[++i], &ttl) || (ex && ttl > INT64_MAX / 2000))
                return reply_error(out, "ERR invalid expire time in 'set' command");
            expire_at = store_now_ms() + (ex ? ttl * 1000 : ttl);
        } else {
            return reply_error(out, "ERR syntax error");
        }
    }
    int r = store_set(s, a[1].p, a[1].len, a[2].p, a[2].len, expire_at, cond);
    if (r < 0)
        return reply_error(out, "OOM command not allowed when used memory > 'maxmemory'.");
    return reply_lit(out, r ? "+OK\r\n" : "$-1\r\n");
}

static int cmd_del(store_t *s, const resp_arg_t *a, size_t n, outbuf_t *out)
{
    long long k = 0;
    for (size_t i = 1; i < n; i++)
        k += store_del(s, a[i].p, a[i].len);
    return reply_num(out, ':', k);
}

static int cmd_exists(store_t *s, const resp_arg_t *a, size_t n, outbuf_t *out)
{
    long long k = 0;
    for (size_t i = 1; i < n; i++)
        k += store_exists(s, a[i].p, a[i].len);
    return reply_num(out, ':', k);
}

static int cmd_incr(store_t *s, const resp_arg_t *a, size_t n, outbuf_t *out)
{
    int64_t v;
    int r = store_incr(s, a[1].p, a[1].len, 1, &v);
    if (r == -ERANGE)
        return reply_error(out, "ERR value is not an integer or out of range");
    if (r < 0)
        return reply_error(out, "OOM command not allowed when used memory > 'maxmemory'.");
    return reply_num(out, ':', v);
}

static int cmd_mset(store_t *s, const resp_arg_t *a, size_t n, outbuf_t *out)
{
    if (n % 2 != 1)
        return reply_error(out, "ERR wrong number of arguments for 'mset' command");
    for (size_t i = 1; i < n; i += 2)
        if (store_set(s, a[i].p, a[i].len, a[i + 1].p, a[i + 1].len, 0, STORE_SET_ALWAYS) < 0)
            return reply_error(out, "OOM command not allowed when used memory > 'maxmemory'.");
    return reply_lit(out, "+OK\r\n");
}

static int cmd_mget(store_t *s, const resp_arg_t *a, size_t n, outbuf_t *out)
{
    int rc = reply_num(out, '*', (long long)(n - 1));
    for (size_t i = 1; i < n && rc == 0; i++)
        rc = store_get_reply(s, a[i].p, a[i].len, out);
    return rc;
}

/* redis-cli asks COMMAND DOCS for its hints: an empty array satisfies it. */
static int cmd_command(store_t *s, const resp_arg_t *a, size_t n, outbuf_t *out)
{
    return reply_lit(out, "*0\r\n");
}

/* CONFIG GET name...: redis-benchmark reads "save" and "appendonly" at start.
 * This server keeps nothing on disk, so every setting is empty but
 * appendonly, which is "no". */
static int cmd_config(store_t *s, const resp_arg_t *a, size_t n, outbuf_t *out)
{
    if (!arg_is(&a[1], "GET") || n < 3)
        return reply_error(out, "ERR unknown subcommand or wrong number of arguments for 'config'");
    int rc = reply_num(out, '*', (long long)(n - 2) * 2);
    for (size_t i = 2; i < n && rc == 0; i++) {
        rc = reply_bulk(out, a[i].p, a[i].len);
        const char *v = arg_is(&a[i], "appendonly") ? "no" : "";
        if (rc == 0)
            rc = reply_bulk(out, v, strlen(v));
    }
    return rc;
}

static int cmd_quit(store_t *s, const resp_arg_t *a, size_t n, outbuf_t *out)
{
    return reply_lit(out, "+OK\r\n");
}

static const struct command {
    const char *name;
    int arity;
    cmd_fn fn;
} COMMANDS[] = {
    {"get", 2, cmd_get},          {"set", -3, cmd_set},       {"ping", -1, cmd_ping},
    {"echo", 2, cmd_echo},        {"del", -2, cmd_del},       {"exists", -2, cmd_exists},
    {"incr", 2, cmd_incr},        {"mset", -3, cmd_mset},     {"mget", -2, cmd_mget},
    {"command", -1, cmd_command}, {"config", -2, cmd_config}, {"quit", -1, cmd_quit},
};

/* Redis's text: the name and up to 128 bytes of each argument, quoted. */
static int unknown(const resp_cmd_t *cmd, outbuf_t *out)
{
    char msg[1024];
    int k = snprintf(msg, sizeof msg, "ERR unknown command '%.*s', with args beginning with: ",
                     (int)(cmd->argv[0].len > 128 ? 128 : cmd->argv[0].len), cmd->argv[0].p);
    for (size_t i = 1; i < cmd->argc && k > 0 && (size_t)k < sizeof msg - 140; i++)
        k += snprintf(msg + k, sizeof msg - (size_t)k, "'%.*s' ",
                      (int)(cmd->argv[i].len > 128 ? 128 : cmd->argv[i].len), cmd->argv[i].p);
    for (char *c = msg; *c; c++)
        if (*c == '\r' || *c == '\n')
            *c = ' '; /* an error reply is one line */
    return reply_error(out, msg);
}

int resp_exec(store_t *s, const resp_cmd_t *cmd, outbuf_t *out, bool *close)
{
    const resp_arg_t *a = cmd->argv;
    for (size_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0]; i++) {
        const struct command *c = &COMMANDS[i];
        if (!arg_is(&a[0], c->name))
            continue;
        size_t need = (size_t)(c->arity < 0 ? -c->arity : c->arity);
        if ((c->arity > 0 && cmd->argc != need) || cmd->argc < need) {
            char msg[96];
            snprintf(msg, sizeof msg, "ERR wrong number of arguments for '%s' command", c->name);
            return reply_error(out, msg);
        }
        *close = c->fn == cmd_quit;
        return c->fn(s, a, cmd->argc, out);
    }
    return unknown(cmd, out);
}
