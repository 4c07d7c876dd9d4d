#!/usr/bin/env bash
# echo.sh: echo servers against echo_load, in interleaved rounds, reporting medians,
# spread and server CPU per message relative to the first server.
#
#   echo.sh [-r ROUNDS] [-t "CONNSxBYTES ..."] [-p DEPTHS] [-d SECS] [-w SECS]
#           [-o DIR] [-x] [-L "ECHO_LOAD ARGS"] -- NAME=COMMAND ...
#
#   -r  rounds (default 3): every server runs once per round, in the order given
#   -t  settings, connections x message bytes (default "100x512")
#   -p  pipeline depths, comma separated (default 1); crossed with -t
#   -d  measured seconds per run (default 5)   -w  warm-up seconds (default 1)
#   -o  directory for the CSV files (default results)
#   -x  after the rounds, one more run per server under perf, for syscalls per message
#   -L  more echo_load arguments, e.g. -L "-b 4096" (small client socket buffers)
#
# Every COMMAND must run the server itself (no fork) and gets "-p PORT" appended
# (PORT, default 9100). The first server is the reference of the ratios. The server
# runs on CPU SERVER_CPU (0), echo_load (LOAD, found next to this kit's build) on
# LOAD_CPU (1). Writes DIR/echo-runs.csv (a line per run) and DIR/echo.csv (a line
# per server and setting: medians, min, max, ratios). Exit status 0 when every run
# verified every byte (errors=0), 1 otherwise, 2 on bad usage.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
source "$HERE/lib.sh"

rounds=3 settings="100x512" depths=1 dur=5 warm=1 outdir=results syscalls=0 extra=
PORT=${PORT:-9100}
LOAD=${LOAD:-}

usage() {
    sed -n '2,21p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
    exit 2
}
while getopts "r:t:p:d:w:o:xL:h" opt; do
    case $opt in
    r) rounds=$OPTARG ;;
    t) settings=$OPTARG ;;
    p) depths=$OPTARG ;;
    d) dur=$OPTARG ;;
    w) warm=$OPTARG ;;
    o) outdir=$OPTARG ;;
    x) syscalls=1 ;;
    L) extra=$OPTARG ;;
    *) usage ;;
    esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || usage
[[ $rounds =~ ^[1-9][0-9]*$ ]] || usage
gn_need taskset:util-linux ss:iproute2
[ -x "$LOAD" ] || { echo "echo.sh: LOAD='$LOAD' is not an executable echo_load (make bench-kit)" >&2; exit 2; }

names=() cmds=()
for spec in "$@"; do
    [[ $spec == *=* ]] || { echo "echo.sh: '$spec' is not NAME=COMMAND" >&2; exit 2; }
    names+=("${spec%%=*}")
    cmds+=("${spec#*=}")
done

mkdir -p "$outdir"
runs_csv=$outdir/echo-runs.csv sum_csv=$outdir/echo.csv
echo "conns,size,depth,round,server,msgs_per_s,p50_us,p99_us,cli_cpu,srv_cpu,srv_us_per_msg,other_cpu,errors" >"$runs_csv"
echo "conns,size,depth,server,runs,msgs_med,msgs_min,msgs_max,us_med,us_min,us_max,rate_ratio,cpu_ratio,cli_cpu,srv_cpu,other_cpu,errors,syscalls_per_msg" >"$sum_csv"

kv() { # kv KEY LINE -> value of KEY=... in LINE
    local k=$1 f
    for f in $2; do [ "${f%%=*}" = "$k" ] && { echo "${f#*=}"; return; }; done
    echo 0
}

status=0
# run_one CONNS SIZE DEPTH CMD... -> echo_load's result line (empty on failure)
run_one() {
    local c=$1 s=$2 p=$3 line rc
    shift 3
    read -r -a words <<<"$*"
    gn_server_start "$PORT" "${words[@]}" -p "$PORT" || return 1
    [ "$syscalls_now" = 1 ] && gn_syscalls_start "$GN_SRV_PID"
    read -r -a extra_words <<<"$extra"
    line=$(gn_pinned_load "$LOAD" -c "$c" -s "$s" -p "$p" -d "$dur" -w "$warm" -P "$PORT" \
        -S "$GN_SRV_PID" "${extra_words[@]}" 2>"$GN_TMP/load.err")
    rc=$?
    [ "$syscalls_now" = 1 ] && sys_count=$(gn_syscalls_stop)
    kill -0 "$GN_SRV_PID" 2>/dev/null || { echo "echo.sh: server '$*' died" >&2; rc=3; }
    gn_server_stop
    if [ $rc != 0 ]; then
        sed 's/^/  | /' "$GN_TMP/load.err" >&2
        status=1
    fi
    echo "$line"
}

summarise() { # summarise CONNS SIZE DEPTH: the table of one setting, from the runs CSV
    awk -F, -v c="$1" -v s="$2" -v p="$3" -v order="${names[*]}" -v sys="$sysdata" '
    function med(a, n,   i, j, t) {
        for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
        return n == 0 ? 0 : (n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2)
    }
    $1 == c && $2 == s && $3 == p { k = $5; n = ++cnt[k]; r[k, n] = $6; u[k, n] = $11; cc[k, n] = $9; sc[k, n] = $10; oc[k, n] = $12; er[k] += $13 }
    END {
        split(sys, sv, " "); for (i in sv) { split(sv[i], kvp, "="); sysm[kvp[1]] = kvp[2] }
        ns = split(order, nm, " ")
        printf "%-10s %4s %10s %9s %9s %6s %8s %9s %8s %8s %7s %7s %7s %5s %6s %8s  %s\n", "server", "runs", "msgs/s", "min", "max", "spread",
            "rate/ref", "us/msg", "min", "max", "cpu/ref", "cli_cpu", "srv_cpu", "other", "errors", "sys/msg", "flags"
        for (i = 1; i <= ns; i++) {
            k = nm[i]; n = cnt[k] + 0
            delete a; delete b; delete x; delete y; delete z
            for (j = 1; j <= n; j++) { a[j] = r[k, j]; b[j] = u[k, j]; x[j] = cc[k, j]; y[j] = sc[k, j]; z[j] = oc[k, j] }
            rm = med(a, n); um = med(b, n); cm = med(x, n); sm = med(y, n); om = med(z, n)
            rmin = rmax = a[1]; umin = umax = b[1]
            for (j = 1; j <= n; j++) { if (a[j] < rmin) rmin = a[j]; if (a[j] > rmax) rmax = a[j]; if (b[j] < umin) umin = b[j]; if (b[j] > umax) umax = b[j] }
            if (i == 1) { rb = rm; ub = um }
            rr = rb > 0 ? rm / rb : 0; ur = ub > 0 ? um / ub : 0
            flags = ""
            if (cm >= 0.9) flags = flags " client-saturated"
            if (om > 0.2) flags = flags " busy-machine"
            if (er[k] > 0) flags = flags " ERRORS"
            spc = sysm[k] == "" ? "-" : sysm[k]
            printf "%-10s %4d %10.0f %9.0f %9.0f %5.0f%% %8.3f %9.3f %8.3f %8.3f %7.3f %7.2f %7.2f %5.2f %6d %8s %s\n", k, n, rm, rmin, rmax,
                (rm > 0 ? 100 * (rmax - rmin) / rm : 0), rr, um, umin, umax, ur, cm, sm, om, er[k], spc, flags
            printf "%s,%s,%s,%s,%d,%.0f,%.0f,%.0f,%.3f,%.3f,%.3f,%.3f,%.3f,%.2f,%.2f,%.2f,%d,%s\n", c, s, p, k, n, rm, rmin, rmax, um, umin, umax,
                rr, ur, cm, sm, om, er[k], (spc == "-" ? "" : spc) >>csv
        }
    }' csv="$sum_csv" "$runs_csv"
}

idle=$(gn_machine_check 1)
echo "# echo.sh $(date -u +%FT%TZ) $(uname -r) server_cpu=$SERVER_CPU load_cpu=$LOAD_CPU busy_before=$idle rounds=$rounds d=$dur w=$warm order=${names[*]}"
IFS=, read -r -a depth_arr <<<"$depths"
for setting in $settings; do
    [[ $setting =~ ^[0-9]+x[0-9]+$ ]] || { echo "echo.sh: setting '$setting' is not CONNSxBYTES" >&2; exit 2; }
    c=${setting%x*} s=${setting#*x}
    for p in "${depth_arr[@]}"; do
        echo
        echo "== conns=$c size=$s depth=$p"
        syscalls_now=0 sysdata=
        for ((r = 1; r <= rounds; r++)); do
            for ((i = 0; i < ${#cmds[@]}; i++)); do
                line=$(run_one "$c" "$s" "$p" "${cmds[i]}")
                flag=
                [ -n "$line" ] && awk -v c="$(kv cli_cpu "$line")" 'BEGIN { exit !(c >= 0.9) }' &&
                    flag=" [client-saturated]"
                echo "round=$r ${names[i]} ${line:-FAILED}$flag"
                [ -n "$line" ] || { status=1; continue; }
                [ "$(kv errors "$line")" = 0 ] || status=1
                printf '%s,%s,%s,%s,%s' "$c" "$s" "$p" "$r" "${names[i]}" >>"$runs_csv"
                for k in msgs_per_s p50_us p99_us cli_cpu srv_cpu srv_us_per_msg other_cpu errors; do
                    printf ',%s' "$(kv $k "$line")" >>"$runs_csv"
                done
                echo >>"$runs_csv"
            done
        done
        if [ $syscalls = 1 ]; then
            syscalls_now=1
            for ((i = 0; i < ${#cmds[@]}; i++)); do
                sys_count=
                line=$(run_one "$c" "$s" "$p" "${cmds[i]}"; echo "|$sys_count")
                sys_count=${line##*|} line=${line%|*}
                total=$(kv msgs_total "$line")
                [ -n "$sys_count" ] && [ "$total" != 0 ] &&
                    sysdata+=" ${names[i]}=$(awk -v a="$sys_count" -v b="$total" 'BEGIN { printf "%.2f", a / b }')"
            done
            syscalls_now=0
        fi
        echo
        summarise "$c" "$s" "$p"
    done
done
echo
echo "rate/ref = median msgs/s / ${names[0]}'s median msgs/s (higher is better)"
echo "cpu/ref  = server/${names[0]} CPU per msg: median server CPU us per message / ${names[0]}'s (lower is better)"
echo "spread = (max - min) / median msgs/s over the rounds: a ratio closer to 1 than this is noise"
echo "client-saturated: echo_load used >= 0.9 CPU, msgs/s shows the client's limit; compare cpu instead"
echo "busy-machine: > 0.2 CPUs of other work on the two CPUs during the runs; numbers are throttled"
echo "results: $runs_csv $sum_csv"
exit $status
