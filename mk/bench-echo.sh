#!/usr/bin/env bash
# bench-echo.sh BUILD_DIR [compare.sh options...]
# Copies the shared echo benchmark kit (../shared/bench, read-only) into the build
# directory, builds it and runs compare.sh, interleaved, with the hand-written epoll
# reference first (ratios are against it), then gnet-c's examples/echo, then the
# libuv, libevent and libev peers that were built. Default options: 3 rounds,
# 100 connections x 512 B, 5 s; pass e.g. -c 1000 -s 4096 -p 16 to change them.
set -euo pipefail
build=$1
shift
kit_src=${GN_BENCH_KIT:-$(cd "$(dirname "$0")/../.." && pwd)/shared/bench}
[ -f "$kit_src/compare.sh" ] || { echo "bench-echo: no benchmark kit at $kit_src (set GN_BENCH_KIT)" >&2; exit 2; }
kit=$build/peer-bench
mkdir -p "$kit"
kit=$(cd "$kit" && pwd)  # the kit's Makefile names its targets by absolute path
cp -p "$kit_src"/*.c "$kit_src"/*.sh "$kit_src"/Makefile "$kit/"
chmod u+w "$kit"/*
# Peers whose library is missing are skipped, not fatal.
for prog in echo-load echo-epoll echo-libuv echo-libevent echo-libev; do
    make -s -f "$kit/Makefile" "$kit/bin/$prog" 2>/dev/null || echo "bench-echo: $prog not built (missing -dev package?)" >&2
done
servers=("epoll=$kit/bin/echo-epoll -p 9100" "gnet-c=$build/examples/echo -p 9100")
for peer in libuv libevent libev; do
    [ -x "$kit/bin/echo-$peer" ] && servers+=("$peer=$kit/bin/echo-$peer -p 9100")
done
[ $# -gt 0 ] || set -- -r 3 -c 100 -s 512 -d 5
exec "$kit/compare.sh" "$@" -- "${servers[@]}"
