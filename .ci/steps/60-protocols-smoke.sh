#!/usr/bin/env bash
# Smoke run of the protocol examples with real clients (not a performance gate):
# curl and wrk against http_server, redis-cli and redis-benchmark against
# redis_server, then one short round of make bench-http / bench-resp's scripts.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        curl wrk redis-tools redis-server iproute2 util-linux libuv1-dev >/dev/null
fi
make -j2 build/examples/http_server build/examples/redis_server build/bench/kit/http_epoll
source bench/scripts/lib.sh
fail() { echo "protocols-smoke: $*" >&2; exit 1; }

PORT=${PORT:-9180}
gn_server_start "$PORT" build/examples/http_server -p "$PORT"
base=http://127.0.0.1:$PORT
[ "$(curl -sS "$base/plaintext")" = "Hello, World!" ] || fail "curl /plaintext"
[ "$(curl -sS "$base/json")" = '{"message":"Hello, World!"}' ] || fail "curl /json"
head -c 300000 /dev/urandom >"$GN_TMP/body"
curl -sS --data-binary @"$GN_TMP/body" "$base/echo" | cmp -s - "$GN_TMP/body" || fail "curl /echo"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$base/nope")" = 404 ] || fail "curl 404"
out=$(wrk -t1 -c20 -d1s "$base/plaintext")
grep -q "Non-2xx\|Socket errors" <<<"$out" && fail "wrk saw errors: $out"
gn_server_stop

PORT=$((PORT + 1))
gn_server_start "$PORT" build/examples/redis_server -p "$PORT"
cli() { redis-cli -p "$PORT" "$@"; }
[ "$(cli PING)" = PONG ] || fail "redis-cli PING"
[ "$(cli SET k hello EX 100)" = OK ] || fail "redis-cli SET"
[ "$(cli GET k)" = hello ] || fail "redis-cli GET"
[ "$(cli INCR n)" = 1 ] || fail "redis-cli INCR"
cli NOPE 2>&1 | grep -q "unknown command 'NOPE'" || fail "redis-cli unknown command"
redis-benchmark -p "$PORT" -c 20 -n 20000 -P 16 -t ping,set,get,mset -q >"$GN_TMP/rb" 2>&1 ||
    fail "redis-benchmark: $(cat "$GN_TMP/rb")"
gn_server_stop

bash bench/scripts/http.sh -r 1 -d 1 -c 20 -o build/bench-smoke \
    -- epoll=build/bench/kit/http_epoll gnet-c=build/examples/http_server
bash bench/scripts/resp.sh -r 1 -n 5000 -c 20 -t ping_mbulk,get -o build/bench-smoke \
    -- redis=redis-server gnet-c=build/examples/redis_server
echo "protocols-smoke: ok"
