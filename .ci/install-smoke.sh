#!/usr/bin/env bash
# Installs into a temporary prefix and builds a tiny consumer of each installed
# library using nothing but `pkg-config --cflags --libs <name>`, shared and static.
set -euo pipefail
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
make install PREFIX="$prefix" >/dev/null
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
# As for any library installed off the default path: ld needs it to resolve the
# shared libraries' own dependencies (libgnet-netpoll.so needs libgnet-queue.so).
export LD_LIBRARY_PATH="$prefix/lib"
status=0
for pc in "$prefix"/lib/pkgconfig/*.pc; do
    name=$(basename "$pc" .pc)
    src=.ci/consumers/$name.c
    if [ ! -f "$src" ]; then
        echo "install-smoke: no consumer for $name ($src)" >&2
        status=1
        continue
    fi
    # shellcheck disable=SC2046
    cc -std=c11 -o "$prefix/$name-shared" "$src" $(pkg-config --cflags --libs "$name")
    "$prefix/$name-shared"
    # Static: every gnet library by its archive, the system libraries as listed.
    libs=$(pkg-config --libs-only-l --static "$name" | sed -E "s#-l(gnet[a-z-]*)#$prefix/lib/lib\1.a#g")
    # shellcheck disable=SC2046,SC2086
    cc -std=c11 -o "$prefix/$name-static" "$src" $(pkg-config --cflags "$name") $libs
    "$prefix/$name-static"
    echo "install-smoke: $name ok (shared and static)"
done
exit $status
