#!/bin/sh
# pc.sh TEMPLATE PREFIX LIBDIR INCLUDEDIR VERSION REQUIRES LDLIBS EXTRA_CFLAGS EXTRA_LIBS
# Writes a pkg-config file from a library's <name>.pc.in to stdout. REQUIRES (the
# gnet-c libraries it uses) goes to Requires.private, LDLIBS to Libs.private, so
# `pkg-config --static` lists every archive and system library a static link
# needs, in order. EXTRA_CFLAGS and EXTRA_LIBS are appended to Cflags and Libs
# (the -uninstalled.pc files of the build tree use them).
set -eu
tmpl=$1 prefix=$2 libdir=$3 includedir=$4 version=$5 requires=$6 ldlibs=$7
extra_cflags=$8 extra_libs=$9
# shellcheck disable=SC2086
reqs=$(echo $requires | sed 's/ /, /g')
sed -e "s|@PREFIX@|$prefix|g" -e "s|@LIBDIR@|$libdir|g" \
    -e "s|@INCLUDEDIR@|$includedir|g" -e "s|@VERSION@|$version|g" \
    -e "s|@REQUIRES_PRIVATE@|$reqs|g" -e "s|@LIBS_PRIVATE@|$ldlibs|g" \
    -e "/^Cflags:/s|\$|${extra_cflags:+ $extra_cflags}|" \
    -e "/^Libs:/s|\$|${extra_libs:+ $extra_libs}|" "$tmpl"
