/* gn_codec_strerror: the texts of the GN_ECODEC_* codes. */
#include "internal.h"

#include <string.h>

const char *gn_codec_strerror(int err)
{
    switch (err) {
    case GN_ECODEC_TOOLONG:
        return "frame longer than the codec's maximum";
    case GN_ECODEC_CORRUPT:
        return "length field value impossible for the framing (corrupt stream)";
    case GN_ECODEC_PAYLOAD:
        return "payload cannot be framed (contains the delimiter, wrong size for the framing)";
    default:
        break;
    }
    if (err < 0 && err > -4000)
        return strerror(-err);
    return "unknown gnet-codec error";
}
