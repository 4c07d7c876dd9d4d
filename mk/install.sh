#!/bin/sh
# install.sh install|uninstall DESTDIR PREFIX LIBDIR INCLUDEDIR PKGCONFIGDIR CMAKEDIR
#            MANDIR VERSION BUILD "short|dir|name|pc-requires|ldlibs|requires"...
# install: public headers, archives, shared objects (real name, soname and
# development links), one pkg-config file and man page per library and the
# CMake package.
# uninstall: removes the same files (and the directories if they are left empty).
set -eu
mode=$1 destdir=$2 prefix=$3 libdir=$4 includedir=$5 pcdir=$6 cmakedir=$7 mandir=$8
version=$9
shift 9
build=$1
shift
major=${version%%.*}
here=$(dirname "$0")

# The files one library installs, relative to DESTDIR, one a line.
files_of() { # dir name
    for h in "$1"/include/gnet/*.h; do echo "$includedir/gnet/${h##*/}"; done
    for f in "lib$2.a" "lib$2.so.$version" "lib$2.so.$major" "lib$2.so"; do
        echo "$libdir/$f"
    done
    echo "$pcdir/$2.pc"
    echo "$mandir/man3/$2.3"
}

if [ "$mode" = uninstall ]; then
    for spec in "$@"; do
        IFS='|' read -r lib dir name requires ldlibs deps <<SPEC
$spec
SPEC
        files_of "$dir" "$name" | while read -r f; do rm -f "$destdir$f"; done
        echo "uninstalled $name ($lib)"
    done
    rm -f "$destdir$includedir/gnet/version.h" "$destdir$cmakedir"/gnet-c-config*.cmake
    for d in "$includedir/gnet" "$cmakedir" "$mandir/man3" "$pcdir"; do
        rmdir "$destdir$d" 2>/dev/null || true
    done
    exit 0
fi

mkdir -p "$destdir$libdir" "$destdir$includedir/gnet" "$destdir$pcdir" "$destdir$cmakedir" \
    "$destdir$mandir/man3"
cp -p "$build/include/gnet/version.h" "$destdir$includedir/gnet/"
for spec in "$@"; do
    IFS='|' read -r lib dir name requires ldlibs deps <<SPEC
$spec
SPEC
    cp -p "$dir"/include/gnet/*.h "$destdir$includedir/gnet/"
    cp -p "$build/lib/lib$name.a" "$build/lib/lib$name.so.$version" "$destdir$libdir/"
    ln -sf "lib$name.so.$version" "$destdir$libdir/lib$name.so.$major"
    ln -sf "lib$name.so.$major" "$destdir$libdir/lib$name.so"
    cp -p "$build/man/man3/$name.3" "$destdir$mandir/man3/"
    sh "$here/pc.sh" "$dir/$name.pc.in" "$prefix" "$libdir" "$includedir" "$version" \
        "$requires" "$ldlibs" "" "" > "$destdir$pcdir/$name.pc"
    echo "installed $name ($lib)"
done
sh "$here/cmake-config.sh" "$libdir" "$includedir" "$version" "$@" \
    > "$destdir$cmakedir/gnet-c-config.cmake"
sh "$here/cmake-config.sh" --version "$version" > "$destdir$cmakedir/gnet-c-config-version.cmake"
echo "installed CMake package gnet-c ($cmakedir)"
