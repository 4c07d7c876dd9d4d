#!/bin/sh
# Runs each libFuzzer target for the given seconds on a working corpus seeded
# from tests/fuzz/corpus/<name>/ (or <name> without its fuzz_ prefix), with its dictionary if there is one, and
# prints one line per target: executions, coverage, outcome. Exits non-zero if
# any target found a crash, a leak, a timeout or ran out of memory.
#   mk/fuzz.sh <build dir> <seconds> <target>...
build=$1
secs=$2
shift 2
failed=0
summary=
mkdir -p "$build/artifacts"
for t in "$@"; do
    bin=$build/$t
    work=$build/corpus/$t
    log=$build/$t.log
    mkdir -p "$work"
    set -- -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$build/artifacts/$t-"
    [ -f "tests/fuzz/$t.dict" ] && set -- "$@" -dict="tests/fuzz/$t.dict"
    seeds=
    [ -d "tests/fuzz/corpus/${t#fuzz_}" ] && seeds=tests/fuzz/corpus/${t#fuzz_}
    [ -d "tests/fuzz/corpus/$t" ] && seeds=tests/fuzz/corpus/$t
    echo "== $t ($secs s)"
    # shellcheck disable=SC2086
    if "$bin" "$@" "$work" $seeds >"$log" 2>&1; then
        outcome=ok
    else
        outcome="FAILED (see $log and $build/artifacts/)"
        failed=$((failed + 1))
        tail -n 40 "$log"
    fi
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | sed 's/cov: //')
    ft=$(grep -o 'ft: [0-9]*' "$log" | tail -n 1 | sed 's/ft: //')
    summary="$summary
  $t: ${execs:-?} execs, cov ${cov:-?} edges, ft ${ft:-?} features: $outcome"
done
echo "== fuzz summary ($secs s per target):$summary"
[ "$failed" -eq 0 ]
