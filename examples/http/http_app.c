/* Routes and response building of the example HTTP servers: see http_app.h. */
#include "http_app.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

const http_limits_t http_app_limits = {HTTP_APP_MAX_HEADER_BYTES, HTTP_APP_MAX_BODY_BYTES};

#define MAX_FILE ((size_t)16 << 20)

static const char HELLO[] = "Hello, World!";
static const char JSON[] = "{\"message\":\"Hello, World!\"}";

static char *static_file;
static size_t static_file_len;
static const char *static_file_type = "application/octet-stream";

#define PUT_LIT(w, lit) outbuf_put((w), (lit), sizeof(lit) - 1)

/* "Date: <IMF-fixdate>\r\n", renewed when the (coarse, vDSO-cheap) clock's
 * second changes: formatting a date per response would cost more than the
 * rest of the response. */
static const char *date_line(void)
{
    static _Thread_local char line[64];
    static _Thread_local time_t at = -1;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME_COARSE, &ts);
    if (ts.tv_sec != at) {
        struct tm tm;
        gmtime_r(&ts.tv_sec, &tm);
        strftime(line, sizeof line, "Date: %a, %d %b %Y %H:%M:%S GMT\r\n", &tm);
        at = ts.tv_sec;
    }
    return line;
}

/* Appends status line, headers and (unless head) the body. */
static int respond(outbuf_t *out, int status, const char *type, const void *body, size_t n,
                   bool head, const char *conn_hdr)
{
    const char *reason = http_reason(status);
    const char *date = date_line();
    size_t need =
        160 + strlen(reason) + strlen(type) + strlen(date) + strlen(conn_hdr) + (head ? 0 : n);
    char *w = outbuf_room(out, need);
    if (w == NULL)
        return -ENOMEM;
    char *start = w;
    w = PUT_LIT(w, "HTTP/1.1 ");
    w = outbuf_put_uint(w, (unsigned long long)status);
    *w++ = ' ';
    w = outbuf_put(w, reason, strlen(reason));
    w = PUT_LIT(w, "\r\nServer: gnet-c\r\n");
    w = outbuf_put(w, date, strlen(date));
    w = PUT_LIT(w, "Content-Type: ");
    w = outbuf_put(w, type, strlen(type));
    w = PUT_LIT(w, "\r\nContent-Length: ");
    w = outbuf_put_uint(w, (unsigned long long)n);
    w = PUT_LIT(w, "\r\n");
    w = outbuf_put(w, conn_hdr, strlen(conn_hdr));
    w = PUT_LIT(w, "\r\n");
    if (!head && n > 0)
        w = outbuf_put(w, body, n);
    out->len += (size_t)(w - start);
    return 0;
}

static bool lit_eq(const char *s, size_t n, const char *lit)
{
    return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

/* The Connection header a response needs: close for a request that asked for
 * it, keep-alive for an HTTP/1.0 request that asked to keep the connection. */
static const char *connection_header(const http_request_t *req)
{
    if (!req->keep_alive)
        return "Connection: close\r\n";
    return req->minor_version == 0 ? "Connection: keep-alive\r\n" : "";
}

int http_app_respond(const http_request_t *req, outbuf_t *out)
{
    size_t plen = req->target_len;
    const char *q = memchr(req->target, '?', plen);
    if (q != NULL)
        plen = (size_t)(q - req->target);
    const char *path = req->target;
    bool get = lit_eq(req->method, req->method_len, "GET");
    bool head = lit_eq(req->method, req->method_len, "HEAD");
    const char *conn = connection_header(req);
    if (lit_eq(path, plen, "/echo"))
        return respond(out, 200, "application/octet-stream", req->body, req->content_length, head,
                       conn);
    const char *type = NULL, *body = NULL;
    size_t n = 0;
    if (lit_eq(path, plen, "/plaintext")) {
        type = "text/plain", body = HELLO, n = sizeof HELLO - 1;
    } else if (lit_eq(path, plen, "/json")) {
        type = "application/json", body = JSON, n = sizeof JSON - 1;
    } else if (lit_eq(path, plen, "/static") && static_file != NULL) {
        type = static_file_type, body = static_file, n = static_file_len;
    } else {
        return respond(out, 404, "text/plain", "not found\n", 10, head, conn);
    }
    if (!get && !head)
        return respond(out, 405, "text/plain", "method not allowed\n", 19, false, conn);
    return respond(out, 200, type, body, n, head, conn);
}

int http_app_respond_error(ssize_t code, outbuf_t *out)
{
    int status = code < 0 && code >= -599 ? (int)-code : 500;
    const char *reason = http_reason(status);
    char body[64];
    size_t n = strlen(reason);
    memcpy(body, reason, n);
    body[n++] = '\n';
    return respond(out, status, "text/plain", body, n, false, "Connection: close\r\n");
}

int http_app_respond_continue(outbuf_t *out)
{
    static const char msg[] = "HTTP/1.1 100 Continue\r\n\r\n";
    return outbuf_append(out, msg, sizeof msg - 1);
}

static const char *type_of(const char *path)
{
    const char *dot = strrchr(path, '.');
    if (dot == NULL)
        return "application/octet-stream";
    if (strcmp(dot, ".html") == 0 || strcmp(dot, ".htm") == 0)
        return "text/html";
    if (strcmp(dot, ".txt") == 0 || strcmp(dot, ".md") == 0)
        return "text/plain";
    if (strcmp(dot, ".json") == 0)
        return "application/json";
    if (strcmp(dot, ".css") == 0)
        return "text/css";
    if (strcmp(dot, ".js") == 0)
        return "text/javascript";
    if (strcmp(dot, ".png") == 0)
        return "image/png";
    return "application/octet-stream";
}

static int read_all(int fd, char *p, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, p + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return r < 0 ? -errno : -EIO;
        got += (size_t)r;
    }
    return 0;
}

int http_app_load_file(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    struct stat st;
    int rc = fstat(fd, &st) < 0 ? -errno : 0;
    if (rc == 0 && (!S_ISREG(st.st_mode) || (size_t)st.st_size > MAX_FILE))
        rc = S_ISREG(st.st_mode) ? -EFBIG : -EINVAL;
    char *p = NULL;
    if (rc == 0 && (p = malloc((size_t)st.st_size + 1)) == NULL)
        rc = -ENOMEM;
    if (rc == 0)
        rc = read_all(fd, p, (size_t)st.st_size);
    close(fd);
    if (rc < 0) {
        free(p);
        return rc;
    }
    free(static_file);
    static_file = p;
    static_file_len = (size_t)st.st_size;
    static_file_type = type_of(path);
    return 0;
}

#define ST_CONTINUE_SENT ((http_conn_state_t)1)

/* The request at the head of the bytes is incomplete: remember how long it
 * will be and answer Expect: 100-continue once. */
static http_conn_state_t pending(const http_request_t *req, http_conn_state_t st, outbuf_t *o)
{
    if (req->header_bytes == 0)
        return 0;
    http_conn_state_t next = (http_conn_state_t)(req->header_bytes + req->content_length) << 1;
    if (req->expect_continue && !(st & ST_CONTINUE_SENT) && http_app_respond_continue(o) == 0)
        return next | ST_CONTINUE_SENT;
    return next | (st & ST_CONTINUE_SENT);
}

bool http_app_serve(const char *p, size_t n, outbuf_t *out, size_t flush_at, http_conn_state_t *st,
                    bool *close, size_t *used)
{
    size_t off = 0;
    *close = false;
    while (off < n && !*close) {
        if (out->len >= flush_at) {
            *used = off;
            return true;
        }
        http_request_t req;
        ssize_t r = http_parse_request(p + off, n - off, &http_app_limits, &req);
        if (r == HTTP_INCOMPLETE) {
            *st = pending(&req, off > 0 ? 0 : *st, out);
            break;
        }
        *st = 0;
        *close = true;
        if (r < 0) {
            (void)http_app_respond_error(r, out);
            off = n;
            break;
        }
        off += (size_t)r;
        bool failed = http_app_respond(&req, out) < 0;
        *close = failed || !req.keep_alive;
    }
    *used = *close ? n : off;
    return false;
}
