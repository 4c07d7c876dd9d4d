#!/usr/bin/env bash
# Installs into a temporary prefix off the default paths and, with no environment
# variables (no LD_LIBRARY_PATH, nothing but PKG_CONFIG_PATH to find the .pc files),
# builds a tiny consumer of each installed library the way the README shows:
#   shared:  cc app.c $(pkg-config --cflags --libs NAME)
#   static:  cc app.c $(pkg-config --cflags NAME) -Wl,-Bstatic $(pkg-config --static --libs NAME) -Wl,-Bdynamic
# then the same consumers through the CMake package, the build tree's
# -uninstalled.pc files, and finally make uninstall (which must leave nothing).
set -euo pipefail
CC=${CC:-cc}
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
make install PREFIX="$prefix" >/dev/null
status=0

consume() { # label pc-dir run-path
    local label=$1 pcdir=$2 rpath=$3 pc name src
    for pc in "$pcdir"/*.pc; do
        name=$(basename "$pc" .pc)
        name=${name%-uninstalled}
        src=.ci/consumers/$name.c
        if [ ! -f "$src" ]; then
            echo "install-smoke: no consumer for $name ($src)" >&2
            status=1
            continue
        fi
        # shellcheck disable=SC2046
        PKG_CONFIG_PATH=$pcdir "$CC" -std=c11 -o "$prefix/$name-shared" "$src" \
            $(PKG_CONFIG_PATH=$pcdir pkg-config --cflags --libs "$name") -Wl,-rpath,"$rpath"
        "$prefix/$name-shared" >/dev/null
        # shellcheck disable=SC2046
        "$CC" -std=c11 -o "$prefix/$name-static" "$src" \
            $(PKG_CONFIG_PATH=$pcdir pkg-config --cflags "$name") \
            -Wl,-Bstatic $(PKG_CONFIG_PATH=$pcdir pkg-config --static --libs "$name") -Wl,-Bdynamic
        if ldd "$prefix/$name-static" | grep -q libgnet; then
            echo "install-smoke: $name-static still loads a gnet-c shared object" >&2
            status=1
        fi
        "$prefix/$name-static" >/dev/null
        echo "install-smoke: $label $name ok (shared and static)"
    done
}

# 1. Installed pkg-config files.
consume installed "$prefix/lib/pkgconfig" "$prefix/lib"

# 2. The version the headers and the libraries report is the Makefile's.
cat > "$prefix/version.c" <<'C'
#include <gnet/version.h>
#include <stdio.h>
#include <string.h>
int main(void)
{
    puts(gn_version_string());
    return gn_version() != GN_VERSION_HEX || strcmp(gn_version_string(), GN_VERSION_STRING) != 0;
}
C
# shellcheck disable=SC2046
"$CC" -std=c11 -o "$prefix/version" "$prefix/version.c" \
    $(PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --cflags --libs gnet-buffer) \
    -Wl,-rpath,"$prefix/lib"
got=$("$prefix/version")
want=$(make -s version)
[ "$got" = "$want" ] || { echo "install-smoke: version $got, Makefile says $want" >&2; status=1; }
echo "install-smoke: version $got"

# 3. The CMake package: every library, gnet::<lib> and gnet::<lib>_static.
if command -v cmake >/dev/null; then
    cmake -S .ci/cmake-consumer -B "$prefix/cmake-build" -DCMAKE_PREFIX_PATH="$prefix" \
        -DCMAKE_C_COMPILER="$CC" >/dev/null
    cmake --build "$prefix/cmake-build" -j2 >/dev/null
    (cd "$prefix/cmake-build" && ctest --output-on-failure >/dev/null)
    echo "install-smoke: CMake consumers ok"
else
    echo "install-smoke: cmake not installed, CMake package not checked" >&2
    status=1
fi

# 4. The build tree, without installing (pkg-config picks the -uninstalled.pc files).
build=$PWD/${BUILD:-build}
consume uninstalled "$build/pkgconfig" "$build/lib"

# 5. uninstall removes every file install wrote.
make uninstall PREFIX="$prefix" >/dev/null
left=$(cd "$prefix" && find include lib share -type f -o -type l 2>/dev/null || true)
if [ -n "$left" ]; then
    echo "install-smoke: make uninstall left:" >&2
    echo "$left" >&2
    status=1
fi
echo "install-smoke: uninstall ok"
exit $status
