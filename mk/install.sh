#!/bin/sh
# install.sh DESTDIR PREFIX LIBDIR INCLUDEDIR PKGCONFIGDIR VERSION BUILD "lib|dir|name|requires|ldlibs"...
# Installs public headers, static and shared libraries and one pkg-config file per library.
set -eu
destdir=$1 prefix=$2 libdir=$3 includedir=$4 pcdir=$5 version=$6 build=$7
shift 7
major=${version%%.*}
mkdir -p "$destdir$libdir" "$destdir$includedir/gnet" "$destdir$pcdir"
for spec in "$@"; do
    IFS='|' read -r lib dir name requires ldlibs <<SPEC
$spec
SPEC
    cp -p "$dir"/include/gnet/*.h "$destdir$includedir/gnet/"
    cp -p "$build/lib/lib$name.a" "$destdir$libdir/"
    cp -p "$build/lib/lib$name.so.$major" "$destdir$libdir/"
    ln -sf "lib$name.so.$major" "$destdir$libdir/lib$name.so"
    sed -e "s|@PREFIX@|$prefix|g" -e "s|@LIBDIR@|$libdir|g" \
        -e "s|@INCLUDEDIR@|$includedir|g" -e "s|@VERSION@|$version|g" \
        -e "s|@REQUIRES_PRIVATE@|$(echo $requires | sed 's/ /, /g')|g" \
        -e "s|@LIBS_PRIVATE@|$ldlibs|g" \
        "$dir/$name.pc.in" > "$destdir$pcdir/$name.pc"
    echo "installed $name ($lib)"
done
