/* A small HTTP/1.x request parser for the example servers (http_server and the
 * bench peers), in the manner of picohttpparser: it parses one request from a
 * contiguous byte range and keeps no state between calls, so a server simply
 * parses again from the start of a request when more bytes arrive. The
 * request's strings point into the caller's bytes (no copy).
 *
 * What it accepts: "METHOD SP target SP HTTP/1.0|1.1", header fields
 * "name: value", lines ending in CRLF (a bare LF is tolerated, a bare CR is
 * not), a body delimited by Content-Length. What it refuses, with the status a
 * server should answer: malformed syntax, obs-fold continuation lines, a space
 * before the colon, a bad or conflicting Content-Length (400); a header
 * section larger than max_header_bytes or with more than HTTP_MAX_HEADERS
 * fields (431), a request line longer than max_header_bytes (414); a body
 * larger than max_body_bytes (413); any Transfer-Encoding (501: bodies must
 * carry a Content-Length); an HTTP version other than 1.0 and 1.1 (505).
 * A request that is incomplete and already longer than the limits is refused
 * at once, so a connection never buffers more than
 * max_header_bytes + max_body_bytes for one request.
 *
 * Thread rule: no shared state; every function may run on any thread. */
#ifndef GN_EXAMPLES_HTTP_PARSER_H
#define GN_EXAMPLES_HTTP_PARSER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define HTTP_MAX_HEADERS 64

/* Results of http_parse_request besides a positive length. */
#define HTTP_INCOMPLETE         0 /* need more bytes */
#define HTTP_EBAD_REQUEST       (-400)
#define HTTP_EURI_TOO_LONG      (-414)
#define HTTP_EBODY_TOO_LARGE    (-413)
#define HTTP_EHEADERS_TOO_LARGE (-431)
#define HTTP_ENOT_IMPLEMENTED   (-501)
#define HTTP_EVERSION           (-505)

typedef struct http_header {
    const char *name;
    size_t name_len;
    const char *value; /* without leading and trailing blanks */
    size_t value_len;
} http_header_t;

typedef struct http_limits {
    size_t max_header_bytes; /* request line + header fields + blank line */
    size_t max_body_bytes;   /* Content-Length */
} http_limits_t;

typedef struct http_request {
    const char *method;
    size_t method_len;
    const char *target; /* request target as sent (path and query) */
    size_t target_len;
    int minor_version;    /* 0 for HTTP/1.0, 1 for HTTP/1.1 */
    bool keep_alive;      /* the version's default, changed by Connection */
    bool expect_continue; /* Expect: 100-continue */
    size_t header_bytes;  /* offset of the body */
    size_t content_length;
    const char *body; /* content_length bytes, once the header section is complete */
    size_t num_headers;
    http_header_t headers[HTTP_MAX_HEADERS];
} http_request_t;

/* Parses the request at the start of buf[0..len). Returns its total length
 * (header section plus body, > 0) when it is complete; HTTP_INCOMPLETE when
 * more bytes are needed (if the header section is complete by then, req
 * holds it already and req->header_bytes is > 0, else 0); or one of the
 * negative HTTP_E* codes above (the status to answer is its negation; the
 * connection should be closed after it, as the request's end is unknown).
 * buf may be NULL when len is 0. req and lim must not be NULL. */
ssize_t http_parse_request(const char *buf, size_t len, const http_limits_t *lim,
                           http_request_t *req);

/* The value of the first header field named name (case-insensitive), or
 * NULL; *len receives its length. */
const char *http_find_header(const http_request_t *req, const char *name, size_t *len);

/* Reason phrase of a status code ("OK", "Not Found"...); "Unknown" if none. */
const char *http_reason(int status);

#endif
