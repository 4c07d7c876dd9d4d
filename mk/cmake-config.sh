#!/bin/sh
# cmake-config.sh LIBDIR INCLUDEDIR VERSION "short|dir|name|pc-requires|ldlibs|requires"...
#     writes gnet-c-config.cmake: for every library an imported target gnet::<short>
#     (the shared object) and gnet::<short>_static (the archive, with the archives
#     and system libraries it needs), e.g. gnet::buffer, gnet::engine_static.
# cmake-config.sh --version VERSION
#     writes gnet-c-config-version.cmake: any request of the same major version up
#     to this one is compatible.
set -eu
if [ "$1" = --version ]; then
    v=$2
    cat <<EOF2
# gnet-c $v: compatible with a request for the same major version, up to $v.
set(PACKAGE_VERSION "$v")
if(PACKAGE_FIND_VERSION_MAJOR STREQUAL "" OR
   (PACKAGE_FIND_VERSION_MAJOR STREQUAL "${v%%.*}" AND
    NOT PACKAGE_FIND_VERSION VERSION_GREATER PACKAGE_VERSION))
  set(PACKAGE_VERSION_COMPATIBLE TRUE)
  if(PACKAGE_FIND_VERSION VERSION_EQUAL PACKAGE_VERSION)
    set(PACKAGE_VERSION_EXACT TRUE)
  endif()
else()
  set(PACKAGE_VERSION_COMPATIBLE FALSE)
endif()
EOF2
    exit 0
fi
libdir=$1 includedir=$2 version=$3
shift 3
major=${version%%.*}
cat <<EOF2
# gnet-c $version CMake package: find_package(gnet-c) then link gnet::<library>
# (shared) or gnet::<library>_static, e.g.
#   target_link_libraries(app PRIVATE gnet::engine)
# Targets: $(for s in "$@"; do printf 'gnet::%s ' "${s%%|*}"; done)
include(CMakeFindDependencyMacro)
find_dependency(Threads)
set(_gnet_libdir "$libdir")
set(_gnet_includedir "$includedir")
EOF2
for spec in "$@"; do
    IFS='|' read -r lib dir name requires ldlibs deps <<SPEC
$spec
SPEC
    static_deps=
    for d in $deps; do static_deps="$static_deps;gnet::${d}_static"; done
    for l in $ldlibs; do
        case $l in
        -pthread | -lpthread) static_deps="$static_deps;Threads::Threads" ;;
        -l*) static_deps="$static_deps;${l#-l}" ;;
        esac
    done
    static_deps=${static_deps#;}
    cat <<EOF2

if(NOT TARGET gnet::$lib)
  add_library(gnet::$lib SHARED IMPORTED)
  set_target_properties(gnet::$lib PROPERTIES
    IMPORTED_LOCATION "\${_gnet_libdir}/lib$name.so.$version"
    IMPORTED_SONAME "lib$name.so.$major"
    INTERFACE_INCLUDE_DIRECTORIES "\${_gnet_includedir}")
  add_library(gnet::${lib}_static STATIC IMPORTED)
  set_target_properties(gnet::${lib}_static PROPERTIES
    IMPORTED_LOCATION "\${_gnet_libdir}/lib$name.a"
    INTERFACE_INCLUDE_DIRECTORIES "\${_gnet_includedir}"
    INTERFACE_LINK_LIBRARIES "$static_deps")
endif()
EOF2
done
echo
echo 'unset(_gnet_libdir)'
echo 'unset(_gnet_includedir)'
