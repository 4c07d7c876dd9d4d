/* libFuzzer target for the examples' HTTP request parser (make fuzz-http).
 * Checks, besides memory safety: a result never exceeds the input; a complete
 * request's body ends where the result says; and no proper prefix of a
 * complete request is itself a complete request (a request is never taken
 * as whole before its last byte arrived). */
#include "http/http_parser.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const http_limits_t LIM = {1024, 4096};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A copy of exactly size bytes, so that ASan catches a read past it. */
    char *buf = malloc(size ? size : 1);
    if (buf == NULL)
        return 0;
    memcpy(buf, data, size);
    http_request_t req;
    ssize_t r = http_parse_request(buf, size, &LIM, &req);
    if (r > (ssize_t)size)
        abort();
    if (r > 0) {
        if (req.body + req.content_length != buf + r || req.header_bytes > (size_t)r)
            abort();
        http_request_t pre;
        for (size_t cut = 0; cut < (size_t)r; cut++)
            if (http_parse_request(buf, cut, &LIM, &pre) > 0)
                abort();
    }
    free(buf);
    return 0;
}
