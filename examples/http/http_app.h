/* The routes of the example HTTP servers (http_server on the gnet engine, and
 * the bench peers on plain epoll and on libuv), so that every server answers
 * the same bytes and only the event loop differs:
 *
 *   GET|HEAD /plaintext   "Hello, World!" (text/plain), as TechEmpower's test
 *   GET|HEAD /json        {"message":"Hello, World!"} (application/json)
 *   any      /echo        the request body (application/octet-stream)
 *   GET|HEAD /static      the file given to http_app_load_file, else 404
 *   other paths 404, other methods on a GET route 405.
 *
 * Responses are appended to an outbuf_t (common/outbuf.h), so that a batch
 * of pipelined requests is answered with one write. Every response
 * carries a Date header from a per-thread cache renewed once a second.
 *
 * Thread rule: http_app_load_file runs once before any server thread starts;
 * everything else may run on any thread. */
#ifndef GN_EXAMPLES_HTTP_APP_H
#define GN_EXAMPLES_HTTP_APP_H

#include "common/outbuf.h"
#include "http_parser.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Limits every example server applies per request (bounded memory). */
#define HTTP_APP_MAX_HEADER_BYTES ((size_t)8192)
#define HTTP_APP_MAX_BODY_BYTES   ((size_t)1 << 20)

extern const http_limits_t http_app_limits;

/* Reads the file served at /static (at most 16 MiB). Returns 0, -errno of
 * open/read, -EFBIG or -ENOMEM. */
int http_app_load_file(const char *path);

/* Appends the response to the complete request req (whose body follows its
 * header section in the same bytes). Returns 0 or -ENOMEM (out unchanged).
 * After it the connection must close if !req->keep_alive. */
int http_app_respond(const http_request_t *req, outbuf_t *out);

/* Appends an error response for a negative HTTP_E* code of the parser, with
 * "Connection: close": the server closes once it is written. 0 or -ENOMEM. */
int http_app_respond_error(ssize_t code, outbuf_t *out);

/* Appends "HTTP/1.1 100 Continue" (for Expect: 100-continue). 0 or -ENOMEM. */
int http_app_respond_continue(outbuf_t *out);

/* What a server keeps per connection between batches (0 initially), in one
 * word so that it fits a context pointer: whether 100 Continue was sent for
 * the request at the head of the unconsumed bytes, and that request's total
 * length once its header section is known. */
typedef uintptr_t http_conn_state_t;

/* Bytes the request at the head must have before parsing again is useful (0
 * when any new byte may complete it): a large body is then not parsed again
 * on every read. */
static inline size_t http_conn_need(http_conn_state_t st)
{
    return (size_t)(st >> 1);
}

/* Answers the complete requests at the start of p[0..n), appending to out,
 * and stores in *used the bytes they took. Stops early when out holds at
 * least flush_at bytes, returning true: the caller writes out and calls
 * again with the rest. Sets *close when the connection must close once out
 * is written (Connection: close, an error answer, out of memory); bytes after
 * that point are counted as used. *st is the connection's state. */
bool http_app_serve(const char *p, size_t n, outbuf_t *out, size_t flush_at, http_conn_state_t *st,
                    bool *close, size_t *used);

#endif
