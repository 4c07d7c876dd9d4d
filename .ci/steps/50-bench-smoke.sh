#!/usr/bin/env bash
# Smoke run of the echo measuring kit (not a performance gate): it builds, every
# server it built runs a second or so under echo_load with every byte verified (also
# with writes forced partial), and echo_load does report a server that corrupts bytes.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    # ss (iproute2) finds the server's listener; the -dev packages build the peers.
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        iproute2 util-linux libuv1-dev libevent-dev libev-dev >/dev/null
fi
make -j2 bench-kit
kit=build/bench/kit
servers=(epoll=$kit/echo_epoll gnet-c=build/examples/echo)
for p in libuv libevent libev; do
    [ -x "$kit/echo_$p" ] && servers+=("$p=$kit/echo_$p")
done
export LOAD=$kit/echo_load PORT=${PORT:-9170}
bash bench/scripts/echo.sh -r 1 -d 0.5 -w 0.2 -t "20x512 4x70000" -p 1,8 -o build/bench-smoke \
    -- "${servers[@]}"

# Client socket buffers of 4 KiB and 200 KB messages: every server's writes are
# partial, so its output queue and its resumption of reading are what is checked.
bash bench/scripts/echo.sh -r 1 -d 0.5 -w 0.2 -t "8x200000" -p 2 -L "-b 4096" \
    -o build/bench-smoke-partial -- "${servers[@]}"

# A server that flips a bit in every 50th read must be caught (exit status 1).
source bench/scripts/lib.sh
gn_server_start "$PORT" "$kit/echo_epoll" -f 50 -p "$PORT"
rc=0
"$LOAD" -c 4 -s 512 -d 0.5 -w 0 -P "$PORT" >/dev/null 2>&1 || rc=$?
gn_server_stop
[ "$rc" = 1 ] || { echo "bench-smoke: echo_load did not report corruption (exit $rc)" >&2; exit 1; }
echo "bench-smoke: corruption detected as it must be"
