/* RESP2 command parser: see resp_parser.h. Multibulk framing follows what
 * Redis's processMultibulkBuffer accepts, inline commands what its
 * processInlineBuffer accepts (quotes group words; escapes inside them are
 * kept as typed, not decoded). */
#include "resp_parser.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* A '*' or '$' count line is short; without a line end in this many bytes
 * it is refused, as Redis does. */
#define MAX_COUNT_LINE 64

/* Parses the decimal count after the type byte at p (a line ending in CRLF).
 * Returns 1 and sets *v and *next; 0 when the line end has not arrived; -1
 * when the count is not a number (or the line is too long: -2). */
static int count_line(const char *p, const char *end, long long *v, const char **next)
{
    size_t avail = (size_t)(end - p);
    const char *cr = memchr(p, '\r', avail < MAX_COUNT_LINE ? avail : MAX_COUNT_LINE);
    if (cr == NULL || cr + 1 >= end)
        return cr == NULL && avail >= MAX_COUNT_LINE ? -2 : 0;
    if (cr[1] != '\n')
        return -1;
    const char *d = p + 1;
    bool neg = d < cr && *d == '-';
    d += neg;
    if (d == cr || cr - d > 18)
        return -1;
    long long x = 0;
    for (; d < cr; d++) {
        if (*d < '0' || *d > '9')
            return -1;
        x = x * 10 + (*d - '0');
    }
    *v = neg ? -x : x;
    *next = cr + 2;
    return 1;
}

static ssize_t parse_multibulk(const char *buf, size_t len, size_t max_bulk, resp_cmd_t *cmd)
{
    const char *end = buf + len, *p;
    long long n;
    int r = count_line(buf, end, &n, &p);
    if (r <= 0)
        return r == 0 ? RESP_INCOMPLETE : r == -2 ? RESP_ECOUNT_TOO_BIG : RESP_EMULTIBULK_LEN;
    if (n > RESP_MAX_ARGS)
        return RESP_EMULTIBULK_LEN;
    for (long long i = 0; i < n; i++) {
        if (p == end)
            return RESP_INCOMPLETE;
        if (*p != '$') {
            cmd->bad = *p;
            return RESP_EEXPECTED_DOLLAR;
        }
        long long bl;
        if ((r = count_line(p, end, &bl, &p)) <= 0)
            return r == 0 ? RESP_INCOMPLETE : r == -2 ? RESP_ECOUNT_TOO_BIG : RESP_EBULK_LEN;
        if (bl < 0 || (unsigned long long)bl > max_bulk)
            return RESP_EBULK_LEN;
        if ((size_t)(end - p) < (size_t)bl + 2) {
            cmd->need = (size_t)(p - buf) + (size_t)bl + 2;
            return RESP_INCOMPLETE;
        }
        cmd->argv[cmd->argc++] = (resp_arg_t){p, (size_t)bl};
        p += bl + 2; /* Redis does not check the CRLF after the data either */
    }
    return p - buf;
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* Splits an inline line into words; a quoted word ("a b" or 'a b') must be
 * followed by a blank or the end of the line. */
static ssize_t split_inline(const char *s, size_t n, resp_cmd_t *cmd)
{
    size_t i = 0;
    for (;;) {
        while (i < n && is_blank(s[i]))
            i++;
        if (i == n)
            return 0;
        if (cmd->argc == RESP_MAX_ARGS)
            return RESP_EINLINE_TOO_BIG;
        size_t b = i;
        if (s[i] == '"' || s[i] == '\'') {
            const char *q = memchr(s + i + 1, s[i], n - i - 1);
            if (q == NULL || ((size_t)(q - s) + 1 < n && !is_blank(q[1])))
                return RESP_EQUOTES;
            cmd->argv[cmd->argc++] = (resp_arg_t){s + b + 1, (size_t)(q - s) - b - 1};
            i = (size_t)(q - s) + 1;
            continue;
        }
        while (i < n && !is_blank(s[i]))
            i++;
        cmd->argv[cmd->argc++] = (resp_arg_t){s + b, i - b};
    }
}

static ssize_t parse_inline(const char *buf, size_t len, resp_cmd_t *cmd)
{
    const char *nl = memchr(buf, '\n', len < RESP_MAX_INLINE ? len : RESP_MAX_INLINE);
    if (nl == NULL)
        return len >= RESP_MAX_INLINE ? RESP_EINLINE_TOO_BIG : RESP_INCOMPLETE;
    ssize_t r = split_inline(buf, (size_t)(nl - buf), cmd);
    return r < 0 ? r : nl + 1 - buf;
}

ssize_t resp_parse(const char *buf, size_t len, size_t max_bulk, resp_cmd_t *cmd)
{
    cmd->argc = 0;
    cmd->need = 0;
    if (len == 0)
        return RESP_INCOMPLETE;
    ssize_t r =
        buf[0] == '*' ? parse_multibulk(buf, len, max_bulk, cmd) : parse_inline(buf, len, cmd);
    if (r <= 0)
        cmd->argc = 0;
    return r;
}

const char *resp_strerror(ssize_t code, const resp_cmd_t *cmd, char *out, size_t cap)
{
    const char *what = "unknown error";
    switch (code) {
    case RESP_EMULTIBULK_LEN:
        what = "invalid multibulk length";
        break;
    case RESP_EBULK_LEN:
        what = "invalid bulk length";
        break;
    case RESP_EINLINE_TOO_BIG:
        what = "too big inline request";
        break;
    case RESP_EQUOTES:
        what = "unbalanced quotes in request";
        break;
    case RESP_ECOUNT_TOO_BIG:
        what = "too big count string";
        break;
    case RESP_EEXPECTED_DOLLAR:
        snprintf(out, cap, "ERR Protocol error: expected '$', got '%c'", cmd->bad);
        return out;
    }
    snprintf(out, cap, "ERR Protocol error: %s", what);
    return out;
}
