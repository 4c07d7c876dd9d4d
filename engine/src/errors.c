/* gn_strerror: engine codes here, everything else through gnet-socket, which
 * knows its GN_EADDR_* codes and negative errnos. */
#include "engine_int.h"

const char *gn_strerror(int err)
{
    switch (err) {
    case 0:
        return "success";
    case GN_EOPTION:
        return "invalid engine option";
    case GN_EPROTO_UNSUPPORTED:
        return "address scheme not supported by the engine";
    case GN_ECLOSED:
        return "connection closed";
    case GN_ESHUTDOWN:
        return "engine is shutting down";
    case GN_ESTOPPED:
        return "engine stop already requested";
    case GN_ESHORTBUF:
        return "fewer bytes buffered than requested";
    case GN_EEOF:
        return "peer closed the connection (EOF)";
    case GN_EINBOUND_LIMIT:
        return "inbound buffer limit exceeded";
    case GN_EOUTBOUND_LIMIT:
        return "outbound buffer limit exceeded";
    case GN_EUNSUPPORTED:
        return "feature not supported yet";
    case GN_EIDLE_TIMEOUT:
        return "no inbound bytes for the idle timeout";
    case GN_ELINGER:
        return "close dropped unsent outbound bytes";
    default:
        break;
    }
    if (err <= -4000 && err > -4100)
        return "unknown gnet engine error";
    return gn_socket_strerror(err);
}
