# lib.sh: helpers the benchmark scripts share; source it from bash (works under set -eu).
#
# A benchmark run here means: the server pinned to SERVER_CPU (default 0), the
# load generator to LOAD_CPU (default 1), the server restarted for every round and
# identified by its PID (a port already in use is refused, so a stranger's server
# is never measured), server CPU time read from /proc around the measurement, and
# a warning when something else keeps the two CPUs busy.
#
#   gn_need TOOL[:PACKAGE]...   exit 2 naming the Debian package of a missing tool
#   gn_port_busy PORT           true if anything listens on TCP PORT
#   gn_server_start PORT CMD... start CMD pinned, wait until that PID listens on PORT;
#                               sets GN_SRV_PID; returns 1 (and shows its log) if not
#   gn_server_stop              stop the server started last (TERM, then KILL), by PID
#   gn_pinned_load CMD...       run CMD pinned to LOAD_CPU
#   gn_proc_ticks PID           utime+stime of PID, all threads, in clock ticks
#   gn_busy_ticks               busy ticks of SERVER_CPU and LOAD_CPU in /proc/stat
#   gn_machine_check [SECS]     warn (stderr) when the two CPUs are busy while idle here
#   gn_stats                    numbers on stdin -> "median min max"
#   gn_syscalls_start PID / gn_syscalls_stop   count PID's syscalls with perf (if present)
#
# Sourcing it makes a temporary directory ($GN_TMP) and sets EXIT, INT and TERM traps
# that stop the server and remove that directory.
SERVER_CPU=${SERVER_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
GN_CLK_TCK=$(getconf CLK_TCK)
GN_SRV_PID=
GN_TMP=$(mktemp -d "${TMPDIR:-/tmp}/gn-bench.XXXXXX")
trap 'gn_server_stop; rm -rf "$GN_TMP"' EXIT
trap 'exit 130' INT TERM

gn_need() {
    local spec tool pkg
    for spec in "$@"; do
        tool=${spec%%:*} pkg=${spec#*:}
        command -v "$tool" >/dev/null && continue
        echo "${0##*/}: '$tool' not found (Debian: apt-get install -y $pkg)" >&2
        exit 2
    done
}

gn_port_busy() {
    [ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]
}

gn_listens() { # gn_listens PID PORT
    ss -Hltnp "sport = :$2" 2>/dev/null | grep -q "pid=$1,"
}

gn_server_start() {
    local port=$1 i
    shift
    if gn_port_busy "$port"; then
        echo "${0##*/}: port $port already has a listener; not benchmarking someone else's server" >&2
        return 1
    fi
    (exec taskset -c "$SERVER_CPU" "$@") >"$GN_TMP/server.log" 2>&1 &
    GN_SRV_PID=$!
    for ((i = 0; i < 200; i++)); do # up to 10 s
        kill -0 "$GN_SRV_PID" 2>/dev/null || break
        gn_listens "$GN_SRV_PID" "$port" && return 0
        sleep 0.05
    done
    echo "${0##*/}: '$*' (pid $GN_SRV_PID) did not listen on port $port; its output:" >&2
    sed 's/^/  | /' "$GN_TMP/server.log" >&2
    gn_server_stop
    return 1
}

gn_server_stop() {
    local pid=$GN_SRV_PID i
    [ -n "$pid" ] || return 0
    GN_SRV_PID=
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    return 0
}

gn_pinned_load() {
    taskset -c "$LOAD_CPU" "$@"
}

gn_proc_ticks() {
    # Fields after the last ')' of /proc/PID/stat: utime and stime are the 12th and 13th.
    sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $12 + $13 }'
}

gn_busy_ticks() {
    awk -v a="cpu$SERVER_CPU" -v b="cpu$LOAD_CPU" \
        '$1 == a || $1 == b { s += $2 + $3 + $4 + $7 + $8 + $9 } END { print s + 0 }' /proc/stat
}

gn_machine_check() {
    local secs=${1:-1} t0 t1
    t0=$(gn_busy_ticks)
    sleep "$secs"
    t1=$(gn_busy_ticks)
    awk -v d=$((t1 - t0)) -v hz="$GN_CLK_TCK" -v s="$secs" -v me="${0##*/}" \
        -v cpus="$SERVER_CPU,$LOAD_CPU" 'BEGIN {
        busy = d / hz / s
        if (busy > 0.15)
            printf "%s: WARNING: CPUs %s are %.2f CPUs busy before the benchmark starts: other work on them throttles the closed loop; rerun on a quiet machine or add rounds\n", me, cpus, busy > "/dev/stderr"
        printf "%.2f\n", busy
    }'
}

gn_stats() {
    sort -g | awk '{ v[NR] = $1 } END {
        if (NR == 0) { print "0 0 0"; exit }
        m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
        print m, v[1], v[NR]
    }'
}

GN_PERF_PID=
# perf prints a count every 100 ms (-I), so its first line shows that it has
# attached; the total is the sum of the intervals, the last one cut short by SIGINT.
gn_syscalls_start() {
    local i
    command -v perf >/dev/null || return 1
    rm -f "$GN_TMP/perf.out"
    perf stat -I 100 -e raw_syscalls:sys_enter -x, -o "$GN_TMP/perf.out" -p "$1" 2>/dev/null &
    GN_PERF_PID=$!
    for ((i = 0; i < 100; i++)); do # up to 5 s
        grep -q raw_syscalls "$GN_TMP/perf.out" 2>/dev/null && return 0
        kill -0 "$GN_PERF_PID" 2>/dev/null || break
        sleep 0.05
    done
    gn_syscalls_stop >/dev/null
    return 1
}

gn_syscalls_stop() { # prints the count, or nothing
    [ -n "$GN_PERF_PID" ] || return 0
    kill -INT "$GN_PERF_PID" 2>/dev/null || true
    wait "$GN_PERF_PID" 2>/dev/null || true
    GN_PERF_PID=
    awk -F, '$4 ~ /raw_syscalls:sys_enter/ { n++; s += $2 } END { if (n) print s }' "$GN_TMP/perf.out" 2>/dev/null
}
