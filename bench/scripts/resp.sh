#!/usr/bin/env bash
# resp.sh: Redis servers under redis-benchmark, in interleaved rounds,
# reporting medians, spread and server CPU per request relative to the first
# server.
#
#   resp.sh [-r ROUNDS] [-c CONNS] [-t TESTS] [-p DEPTHS] [-n REQUESTS] [-s BYTES] [-o DIR] -- NAME=COMMAND ...
#
#   -r  rounds (default 3): every server runs once per round, in the order given
#   -c  connections (default 50)   -t  tests, comma separated (default ping_mbulk,set,get)
#   -p  pipeline depths, comma separated (default 1,16)
#   -n  requests per run at depth 1 (default 200000; x10 when pipelined)
#   -s  value size of SET/GET in bytes (default 3, redis-benchmark's -d)
#   -o  directory for the CSVs (default results)
#
# A COMMAND named redis-server gets a config file (the port, no RDB snapshots,
# no AOF); any other COMMAND gets "-p PORT" appended (PORT, default 9300).
# Server on SERVER_CPU (0), redis-benchmark on LOAD_CPU (1); each test is its
# own run so that the server's CPU (utime+stime from /proc, all its threads)
# is per test. Writes DIR/resp-runs.csv and DIR/resp.csv.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
source "$HERE/lib.sh"

rounds=3 conns=50 tests=ping_mbulk,set,get depths=1,16 nreq=200000 size=3 outdir=results
PORT=${PORT:-9300}
usage() {
    sed -n '2,21p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
    exit 2
}
while getopts "r:c:t:p:n:s:o:h" opt; do
    case $opt in
    r) rounds=$OPTARG ;;
    c) conns=$OPTARG ;;
    t) tests=$OPTARG ;;
    p) depths=$OPTARG ;;
    n) nreq=$OPTARG ;;
    s) size=$OPTARG ;;
    o) outdir=$OPTARG ;;
    *) usage ;;
    esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || usage
gn_need taskset:util-linux ss:iproute2 redis-benchmark:redis-tools

names=() cmds=()
for spec in "$@"; do
    [[ $spec == *=* ]] || { echo "resp.sh: '$spec' is not NAME=COMMAND" >&2; exit 2; }
    names+=("${spec%%=*}")
    cmds+=("${spec#*=}")
done
printf 'port %s\nsave ""\nappendonly no\n' "$PORT" >"$GN_TMP/redis.conf"

mkdir -p "$outdir"
runs_csv=$outdir/resp-runs.csv sum_csv=$outdir/resp.csv
echo "test,depth,round,server,req_per_s,requests,srv_cpu_s,srv_us_per_req,cli_cpu_s" >"$runs_csv"

# run_one TEST DEPTH N CMD... -> "rps srv_ticks cli_secs" (empty on failure)
run_one() {
    local t=$1 p=$2 n=$3 t0 t1
    shift 3
    read -r -a words <<<"$*"
    if [ "$(basename "${words[0]}")" = redis-server ]; then
        gn_server_start "$PORT" "${words[@]}" "$GN_TMP/redis.conf" || return 1
    else
        gn_server_start "$PORT" "${words[@]}" -p "$PORT" || return 1
    fi
    t0=$(gn_proc_ticks "$GN_SRV_PID")
    TIMEFORMAT='%U %S'
    { time gn_pinned_load redis-benchmark -p "$PORT" -c "$conns" -n "$n" -P "$p" -d "$size" -t "$t" --csv \
        >"$GN_TMP/rb.out" 2>"$GN_TMP/rb.err"; } 2>"$GN_TMP/time.out"
    t1=$(gn_proc_ticks "$GN_SRV_PID")
    kill -0 "$GN_SRV_PID" 2>/dev/null || echo "resp.sh: server '$*' died" >&2
    gn_server_stop
    awk -F, -v t="$((t1 - t0))" -v cli="$(awk '{ print $1 + $2 }' "$GN_TMP/time.out")" '
        NR > 1 { gsub(/"/, "", $2); r = $2 }
        END { if (r > 0) print r, t, cli }' "$GN_TMP/rb.out"
}

idle=$(gn_machine_check 1)
echo "# resp.sh $(date -u +%FT%TZ) $(uname -r) server_cpu=$SERVER_CPU load_cpu=$LOAD_CPU busy_before=$idle rounds=$rounds c=$conns size=$size order=${names[*]}"
IFS=, read -r -a depth_arr <<<"$depths"
IFS=, read -r -a test_arr <<<"$tests"
status=0 first=1
for t in "${test_arr[@]}"; do
    for p in "${depth_arr[@]}"; do
        n=$nreq
        [ "$p" -gt 1 ] && n=$((nreq * 10))
        echo
        echo "== $t, conns=$conns, pipeline depth=$p, $n requests"
        for ((r = 1; r <= rounds; r++)); do
            for ((i = 0; i < ${#cmds[@]}; i++)); do
                line=$(run_one "$t" "$p" "$n" "${cmds[i]}")
                if [ -z "$line" ]; then
                    echo "round=$r ${names[i]} FAILED" && status=1 && continue
                fi
                read -r rps ticks cli <<<"$line"
                awk -v t="$t" -v p="$p" -v r="$r" -v k="${names[i]}" -v rps="$rps" -v n="$n" -v tk="$ticks" \
                    -v hz="$GN_CLK_TCK" -v cli="$cli" 'BEGIN {
                    printf "%s,%s,%s,%s,%.0f,%d,%.3f,%.4f,%.3f\n", t, p, r, k, rps, n, tk / hz, tk / hz * 1e6 / n, cli
                }' >>"$runs_csv"
                echo "round=$r ${names[i]} $(tail -1 "$runs_csv")"
            done
        done
        echo
        awk -F, -v t="$t" -v p="$p" -v order="${names[*]}" -v csv="$sum_csv" -v first="$first" '
        function med(a, n,   i, j, x) {
            for (i = 2; i <= n; i++) { x = a[i]; for (j = i - 1; j >= 1 && a[j] > x; j--) a[j + 1] = a[j]; a[j + 1] = x }
            return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
        }
        $1 == t && $2 == p { k = $4; n = ++cnt[k]; r[k, n] = $5; u[k, n] = $8; el[k, n] = $9 / ($6 / $5) }
        END {
            if (first) print "test,depth,server,runs,rps_med,rps_min,rps_max,us_med,us_min,us_max,rate_ratio,cpu_ratio,cli_cpu" >csv
            printf "%-8s %4s %10s %10s %10s %7s %9s %9s %9s %6s %6s %7s  %s\n", "server", "runs", "req/s", "min", "max", "spread", "us/req", "min", "max", "rate", "cpu", "cli_cpu", "flags"
            ns = split(order, nm, " ")
            for (i = 1; i <= ns; i++) {
                k = nm[i]; n = cnt[k] + 0; if (n == 0) continue
                delete a; delete b; delete x
                for (j = 1; j <= n; j++) { a[j] = r[k, j]; b[j] = u[k, j]; x[j] = el[k, j] }
                rm = med(a, n); um = med(b, n); cm = med(x, n)
                rmin = rmax = a[1]; umin = umax = b[1]
                for (j = 1; j <= n; j++) { if (a[j] < rmin) rmin = a[j]; if (a[j] > rmax) rmax = a[j]; if (b[j] < umin) umin = b[j]; if (b[j] > umax) umax = b[j] }
                if (i == 1) { rb = rm; ub = um }
                printf "%-8s %4d %10.0f %10.0f %10.0f %6.0f%% %9.3f %9.3f %9.3f %6.3f %6.3f %7.2f  %s\n", k, n, rm, rmin, rmax,
                    100 * (rmax - rmin) / rm, um, umin, umax, rm / rb, um / ub, cm, (cm >= 0.9 ? "client-saturated" : "")
                printf "%s,%s,%s,%d,%.0f,%.0f,%.0f,%.4f,%.4f,%.4f,%.3f,%.3f,%.2f\n", t, p, k, n, rm, rmin, rmax, um, umin, umax, rm / rb, um / ub, cm >>csv
            }
        }' "$runs_csv"
        first=0
    done
done
echo
echo "rate = req/s / ${names[0]}'s; cpu = server CPU us per request / ${names[0]}'s (lower is better)"
echo "cli_cpu = redis-benchmark's CPU seconds per second of the run: >= 0.9 means the client is the limit"
echo "results: $runs_csv $sum_csv"
exit $status
