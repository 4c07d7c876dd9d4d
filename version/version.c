/* gn_version / gn_version_string. This file is compiled into every gnet-c library
 * as an archive member of its own, so a static link of several libraries takes the
 * first copy and never sees a duplicate definition; the shared objects each export
 * one, and whichever the dynamic linker binds reports the same release. */
#include <gnet/version.h>

GN_EXPORT unsigned gn_version(void)
{
    return (unsigned)GN_VERSION_HEX;
}

GN_EXPORT const char *gn_version_string(void)
{
    return GN_VERSION_STRING;
}
