/* libFuzzer target for the examples' RESP parser (make fuzz-resp). Checks,
 * besides memory safety: a result never exceeds the input; every argument
 * lies inside the command's bytes; no proper prefix of a complete command is
 * itself complete; and a "need" hint never points before the bytes given. */
#include "resp/resp_parser.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static resp_cmd_t cmd, pre;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size ? size : 1); /* exactly size bytes, for ASan */
    if (buf == NULL)
        return 0;
    memcpy(buf, data, size);
    ssize_t r = resp_parse(buf, size, 1024, &cmd);
    if (r > (ssize_t)size || (r == RESP_INCOMPLETE && cmd.need != 0 && cmd.need <= size))
        abort();
    for (size_t i = 0; r > 0 && i < cmd.argc; i++)
        if (cmd.argv[i].p < buf || cmd.argv[i].p + cmd.argv[i].len > buf + r)
            abort();
    for (size_t cut = 0; r > 0 && cut < (size_t)r; cut++)
        if (resp_parse(buf, cut, 1024, &pre) > 0)
            abort();
    free(buf);
    return 0;
}
