#!/usr/bin/env bash
# http.sh: HTTP servers under wrk (GET /plaintext), in interleaved rounds,
# reporting medians, spread and server CPU per request relative to the first
# server.
#
#   http.sh [-r ROUNDS] [-c CONNS] [-p DEPTHS] [-d SECS] [-o DIR] -- NAME=COMMAND ...
#
#   -r  rounds (default 3): every server runs once per round, in the order given
#   -c  connections (default 100)     -p  pipeline depths, comma separated (default 1,16)
#   -d  measured seconds per run (default 5)   -o  directory for the CSVs (default results)
#
# Every COMMAND runs the server itself and gets "-p PORT" appended (PORT,
# default 9200). Server on SERVER_CPU (0), wrk (one thread) on LOAD_CPU (1).
# Server CPU is utime+stime of its process from /proc around the measured run
# (after a 1 s warm-up). Writes DIR/http-runs.csv and DIR/http.csv. Exit
# status 0 when no run saw a socket error or a non-2xx answer.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
source "$HERE/lib.sh"

rounds=3 conns=100 depths=1,16 dur=5 outdir=results
PORT=${PORT:-9200}
usage() {
    sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
    exit 2
}
while getopts "r:c:p:d:o:h" opt; do
    case $opt in
    r) rounds=$OPTARG ;;
    c) conns=$OPTARG ;;
    p) depths=$OPTARG ;;
    d) dur=$OPTARG ;;
    o) outdir=$OPTARG ;;
    *) usage ;;
    esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || usage
gn_need taskset:util-linux ss:iproute2 wrk:wrk

names=() cmds=()
for spec in "$@"; do
    [[ $spec == *=* ]] || { echo "http.sh: '$spec' is not NAME=COMMAND" >&2; exit 2; }
    names+=("${spec%%=*}")
    cmds+=("${spec#*=}")
done

# wrk sends DEPTH requests back to back on each connection (TechEmpower's way).
cat >"$GN_TMP/pipeline.lua" <<'LUA'
init = function(args)
    local r, depth = {}, tonumber(args[1]) or 1
    for i = 1, depth do r[i] = wrk.format() end
    req = table.concat(r)
end
request = function() return req end
LUA

mkdir -p "$outdir"
runs_csv=$outdir/http-runs.csv sum_csv=$outdir/http.csv
echo "depth,round,server,req_per_s,requests,srv_cpu,srv_us_per_req,cli_cpu,errors" >"$runs_csv"
status=0

# run_one DEPTH CMD... -> "rps requests srv_ticks cli_secs errors" (empty on failure)
run_one() {
    local p=$1 url t0 t1
    shift
    read -r -a words <<<"$*"
    gn_server_start "$PORT" "${words[@]}" -p "$PORT" || return 1
    url=http://127.0.0.1:$PORT/plaintext
    gn_pinned_load wrk -t1 -c"$conns" -d1s -s "$GN_TMP/pipeline.lua" "$url" -- "$p" >/dev/null 2>&1
    t0=$(gn_proc_ticks "$GN_SRV_PID")
    TIMEFORMAT='%U %S'
    { time gn_pinned_load wrk -t1 -c"$conns" -d"${dur}s" -s "$GN_TMP/pipeline.lua" "$url" -- "$p" \
        >"$GN_TMP/wrk.out" 2>&1; } 2>"$GN_TMP/time.out"
    t1=$(gn_proc_ticks "$GN_SRV_PID")
    kill -0 "$GN_SRV_PID" 2>/dev/null || echo "http.sh: server '$*' died" >&2
    gn_server_stop
    awk -v t="$((t1 - t0))" -v cli="$(awk '{ print $1 + $2 }' "$GN_TMP/time.out")" '
        /requests in/ { n = $1 }
        /Requests\/sec/ { r = $2 }
        /Socket errors|Non-2xx/ { e = 1 }
        END { if (n > 0) print r, n, t, cli, e + 0 }' "$GN_TMP/wrk.out"
}

idle=$(gn_machine_check 1)
echo "# http.sh $(date -u +%FT%TZ) $(uname -r) server_cpu=$SERVER_CPU load_cpu=$LOAD_CPU busy_before=$idle rounds=$rounds c=$conns d=$dur order=${names[*]}"
IFS=, read -r -a depth_arr <<<"$depths"
for p in "${depth_arr[@]}"; do
    echo
    echo "== GET /plaintext, conns=$conns, pipeline depth=$p"
    for ((r = 1; r <= rounds; r++)); do
        for ((i = 0; i < ${#cmds[@]}; i++)); do
            line=$(run_one "$p" "${cmds[i]}")
            if [ -z "$line" ]; then
                echo "round=$r ${names[i]} FAILED" && status=1 && continue
            fi
            read -r rps n ticks cli err <<<"$line"
            [ "$err" = 0 ] || status=1
            awk -v p="$p" -v r="$r" -v k="${names[i]}" -v rps="$rps" -v n="$n" -v t="$ticks" \
                -v hz="$GN_CLK_TCK" -v d="$dur" -v cli="$cli" -v e="$err" 'BEGIN {
                printf "%s,%s,%s,%.0f,%d,%.3f,%.4f,%.3f,%d\n", p, r, k, rps, n, t / hz / d, t / hz * 1e6 / n, cli / d, e
            }' >>"$runs_csv"
            echo "round=$r ${names[i]} $(tail -1 "$runs_csv")"
        done
    done
    echo
    awk -F, -v p="$p" -v order="${names[*]}" -v csv="$sum_csv" -v first="$([ -s "$sum_csv" ] && echo 0 || echo 1)" '
    function med(a, n,   i, j, t) {
        for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
        return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    $1 == p { k = $3; n = ++cnt[k]; r[k, n] = $4; u[k, n] = $7; cc[k, n] = $8; sc[k, n] = $6; er[k] += $9 }
    END {
        if (first) print "depth,server,runs,rps_med,rps_min,rps_max,us_med,us_min,us_max,rate_ratio,cpu_ratio,cli_cpu,srv_cpu,errors" >csv
        printf "%-8s %4s %10s %10s %10s %7s %9s %9s %9s %6s %6s %7s %7s  %s\n", "server", "runs", "req/s", "min", "max", "spread", "us/req", "min", "max", "rate", "cpu", "cli_cpu", "srv_cpu", "flags"
        ns = split(order, nm, " ")
        for (i = 1; i <= ns; i++) {
            k = nm[i]; n = cnt[k] + 0; if (n == 0) continue
            delete a; delete b; delete x; delete y
            for (j = 1; j <= n; j++) { a[j] = r[k, j]; b[j] = u[k, j]; x[j] = cc[k, j]; y[j] = sc[k, j] }
            rm = med(a, n); um = med(b, n); cm = med(x, n); sm = med(y, n)
            rmin = rmax = a[1]; umin = umax = b[1]
            for (j = 1; j <= n; j++) { if (a[j] < rmin) rmin = a[j]; if (a[j] > rmax) rmax = a[j]; if (b[j] < umin) umin = b[j]; if (b[j] > umax) umax = b[j] }
            if (i == 1) { rb = rm; ub = um }
            fl = (cm >= 0.9 ? "client-saturated " : "") (er[k] > 0 ? "ERRORS" : "")
            printf "%-8s %4d %10.0f %10.0f %10.0f %6.0f%% %9.3f %9.3f %9.3f %6.3f %6.3f %7.2f %7.2f  %s\n", k, n, rm, rmin, rmax,
                100 * (rmax - rmin) / rm, um, umin, umax, rm / rb, um / ub, cm, sm, fl
            printf "%s,%s,%d,%.0f,%.0f,%.0f,%.4f,%.4f,%.4f,%.3f,%.3f,%.2f,%.2f,%d\n", p, k, n, rm, rmin, rmax, um, umin, umax, rm / rb, um / ub, cm, sm, er[k] >>csv
        }
    }' "$runs_csv"
done
echo
echo "rate = req/s / ${names[0]}'s; cpu = server CPU us per request / ${names[0]}'s (lower is better)"
echo "spread = (max - min) / median req/s over the rounds: a ratio closer to 1 than this is noise"
echo "client-saturated: wrk used >= 0.9 CPU, so req/s shows the client's limit; compare cpu instead"
echo "results: $runs_csv $sum_csv"
exit $status
