/* HTTP/1.x request parser: see http_parser.h. One pass over the bytes, line by
 * line; every byte is checked against the grammar's character classes so that
 * nothing malformed reaches a route. */
#include "http_parser.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

#define MAX_METHOD 32

/* tchar of RFC 9110 (token characters): method and header names. */
static const char *const TCHARS = "!#$%&'*+-.^_`|~";

static bool is_tchar(unsigned char ch)
{
    if ((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z'))
        return true;
    return ch != 0 && strchr(TCHARS, ch) != NULL;
}

/* Field values: visible ASCII, blanks and obs-text; no controls, no DEL. */
static bool is_value_char(unsigned char ch)
{
    return ch == '\t' || (ch >= 0x20 && ch != 0x7f);
}

/* Cursor over the bytes being parsed. */
typedef struct cur {
    const char *p;
    const char *end;
} cur_t;

/* Finds the end of the line at c->p. Returns 1 and sets *line_len (without
 * the CRLF or LF) and advances past the line end; 0 when no line end is there
 * yet; HTTP_EBAD_REQUEST for a CR not followed by LF. */
static int next_line(cur_t *c, size_t *line_len)
{
    const char *nl = memchr(c->p, '\n', (size_t)(c->end - c->p));
    if (nl == NULL)
        return 0;
    const char *e = nl;
    if (e > c->p && e[-1] == '\r')
        e--;
    if (memchr(c->p, '\r', (size_t)(e - c->p)) != NULL)
        return HTTP_EBAD_REQUEST;
    *line_len = (size_t)(e - c->p);
    c->p = nl + 1;
    return 1;
}

static int parse_version(const char *v, size_t n, http_request_t *req)
{
    if (n != 8 || memcmp(v, "HTTP/", 5) != 0 || v[6] != '.' || v[5] < '0' || v[5] > '9' ||
        v[7] < '0' || v[7] > '9')
        return HTTP_EBAD_REQUEST;
    if (v[5] != '1' || (v[7] != '0' && v[7] != '1'))
        return HTTP_EVERSION;
    req->minor_version = v[7] - '0';
    req->keep_alive = req->minor_version == 1;
    return 0;
}

/* "METHOD SP target SP HTTP/1.x", exactly one space between the parts. */
static int parse_request_line(const char *s, size_t n, http_request_t *req)
{
    size_t i = 0;
    while (i < n && is_tchar((unsigned char)s[i]))
        i++;
    if (i == 0 || i > MAX_METHOD || i >= n || s[i] != ' ')
        return HTTP_EBAD_REQUEST;
    req->method = s;
    req->method_len = i;
    size_t t = ++i;
    while (i < n && (unsigned char)s[i] > 0x20 && (unsigned char)s[i] < 0x7f)
        i++;
    if (i == t || i >= n || s[i] != ' ')
        return HTTP_EBAD_REQUEST;
    req->target = s + t;
    req->target_len = i - t;
    return parse_version(s + i + 1, n - i - 1, req);
}

/* Digits only, no sign, no overflow. */
static int parse_length(const char *v, size_t n, size_t *out)
{
    if (n == 0)
        return HTTP_EBAD_REQUEST;
    size_t x = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9' || x > (SIZE_MAX - 9) / 10)
            return HTTP_EBAD_REQUEST;
        x = x * 10 + (size_t)(v[i] - '0');
    }
    *out = x;
    return 0;
}

static bool token_eq(const char *s, size_t n, const char *lit)
{
    return strlen(lit) == n && strncasecmp(s, lit, n) == 0;
}

/* Connection: a comma-separated list of tokens; "close" wins over "keep-alive",
 * which matters only for HTTP/1.0 (1.1 keeps the connection by default). */
static void apply_connection(const char *v, size_t n, http_request_t *req)
{
    bool close = false, keep = false;
    for (size_t i = 0; i < n;) {
        while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
            i++;
        size_t s = i;
        while (i < n && v[i] != ',' && v[i] != ' ' && v[i] != '\t')
            i++;
        close |= token_eq(v + s, i - s, "close");
        keep |= token_eq(v + s, i - s, "keep-alive");
    }
    if (close)
        req->keep_alive = false;
    else if (keep)
        req->keep_alive = true;
}

/* Fields that frame the message or change the connection. */
static int apply_header(const http_header_t *h, http_request_t *req, bool *have_length)
{
    if (token_eq(h->name, h->name_len, "content-length")) {
        size_t n;
        if (parse_length(h->value, h->value_len, &n) < 0)
            return HTTP_EBAD_REQUEST;
        if (*have_length && n != req->content_length)
            return HTTP_EBAD_REQUEST;
        *have_length = true;
        req->content_length = n;
    } else if (token_eq(h->name, h->name_len, "transfer-encoding")) {
        return HTTP_ENOT_IMPLEMENTED;
    } else if (token_eq(h->name, h->name_len, "connection")) {
        apply_connection(h->value, h->value_len, req);
    } else if (token_eq(h->name, h->name_len, "expect")) {
        req->expect_continue = token_eq(h->value, h->value_len, "100-continue");
    }
    return 0;
}

/* "name: value" with optional blanks around the value. */
static int parse_header_line(const char *s, size_t n, http_header_t *h)
{
    size_t i = 0;
    while (i < n && is_tchar((unsigned char)s[i]))
        i++;
    if (i == 0 || i >= n || s[i] != ':')
        return HTTP_EBAD_REQUEST; /* also a blank before the colon, or obs-fold */
    h->name = s;
    h->name_len = i;
    size_t b = i + 1, e = n;
    while (b < e && (s[b] == ' ' || s[b] == '\t'))
        b++;
    while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t'))
        e--;
    for (size_t k = b; k < e; k++)
        if (!is_value_char((unsigned char)s[k]))
            return HTTP_EBAD_REQUEST;
    h->value = s + b;
    h->value_len = e - b;
    return 0;
}

/* Header fields up to the blank line. Returns 1 when the section is complete,
 * 0 when more bytes are needed, or an error. */
static int parse_headers(cur_t *c, http_request_t *req, bool *have_length)
{
    for (;;) {
        const char *line = c->p;
        size_t n;
        int r = next_line(c, &n);
        if (r <= 0)
            return r;
        if (n == 0)
            return 1;
        if (req->num_headers == HTTP_MAX_HEADERS)
            return HTTP_EHEADERS_TOO_LARGE;
        http_header_t *h = &req->headers[req->num_headers];
        if (parse_header_line(line, n, h) < 0)
            return HTTP_EBAD_REQUEST;
        req->num_headers++;
        if ((r = apply_header(h, req, have_length)) < 0)
            return r;
    }
}

/* An incomplete request line whose method is already wrong (a TLS hello, a
 * binary protocol) is refused at once instead of waiting for a line end. */
static bool bad_method_prefix(const char *buf, size_t len)
{
    size_t i = 0;
    while (i < len && i <= MAX_METHOD && is_tchar((unsigned char)buf[i]))
        i++;
    return i > MAX_METHOD || (i < len && buf[i] != ' ') || (i == 0 && len > 0);
}

/* The header section of an incomplete request is already too long. */
static ssize_t too_long(const char *buf, size_t len, const http_limits_t *lim)
{
    size_t scan = len < lim->max_header_bytes ? len : lim->max_header_bytes;
    return memchr(buf, '\n', scan) == NULL ? HTTP_EURI_TOO_LONG : HTTP_EHEADERS_TOO_LARGE;
}

ssize_t http_parse_request(const char *buf, size_t len, const http_limits_t *lim,
                           http_request_t *req)
{
    memset(req, 0, offsetof(http_request_t, headers));
    cur_t c = {buf, buf + len};
    size_t n;
    int r = len > 0 ? next_line(&c, &n) : 0;
    bool have_length = false;
    if (r == 1)
        r = parse_request_line(buf, n, req);
    else if (r == 0 && bad_method_prefix(buf, len))
        return HTTP_EBAD_REQUEST;
    if (r == 0 && c.p != buf)
        r = parse_headers(&c, req, &have_length);
    if (r < 0)
        return r;
    size_t hdr = (size_t)(c.p - buf);
    if (r == 0 || hdr > lim->max_header_bytes) {
        memset(req, 0, offsetof(http_request_t, headers));
        return len > lim->max_header_bytes ? too_long(buf, len, lim) : HTTP_INCOMPLETE;
    }
    req->header_bytes = hdr;
    req->body = buf + hdr;
    if (req->content_length > lim->max_body_bytes)
        return HTTP_EBODY_TOO_LARGE;
    if (len - hdr < req->content_length)
        return HTTP_INCOMPLETE;
    return (ssize_t)(hdr + req->content_length);
}

const char *http_find_header(const http_request_t *req, const char *name, size_t *len)
{
    for (size_t i = 0; i < req->num_headers; i++) {
        const http_header_t *h = &req->headers[i];
        if (token_eq(h->name, h->name_len, name)) {
            *len = h->value_len;
            return h->value;
        }
    }
    *len = 0;
    return NULL;
}

const char *http_reason(int status)
{
    switch (status) {
    case 100:
        return "Continue";
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 413:
        return "Content Too Large";
    case 414:
        return "URI Too Long";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return "Unknown";
    }
}
