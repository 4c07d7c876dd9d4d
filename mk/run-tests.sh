#!/bin/sh
# Runs each Check suite given as an argument with the environment in $1, keeps
# going after a failure, and exits non-zero if any suite failed.
# A passing suite prints one line (its Check summary and how long it took); its
# full output (seeds, the log lines of negative tests, ...) is kept in
# <suite>.log next to the binary and printed only when the suite fails, or
# always with V=1 (make test V=1).
env_words=$1
shift
[ $# -gt 0 ] || { echo "run-tests: no test suites were built" >&2; exit 1; }
failed=0
summary=
for t in "$@"; do
    name=$(basename "$t")
    log=$t.log
    start=$(date +%s)
    if [ "${V:-0}" = 1 ]; then
        echo "== $name"
        # shellcheck disable=SC2086
        { env $env_words "$t" 2>&1; echo $? > "$log.rc"; } | tee "$log"
        rc=$(cat "$log.rc") # the suite's status, not tee's
        rm -f "$log.rc"
    else
        # shellcheck disable=SC2086
        env $env_words "$t" > "$log" 2>&1 && rc=0 || rc=$?
    fi
    secs=$(($(date +%s) - start))
    checks=$(sed -n 's/^[0-9]*%: //p' "$log" | tail -n 1)
    if [ "$rc" -eq 0 ]; then
        line="  PASS  $name  ${checks:-no Check summary} (${secs}s)"
        [ "${V:-0}" = 1 ] || echo "$line"
    else
        line="  FAIL  $name  ${checks:-exit status $rc} (${secs}s)"
        if [ "${V:-0}" != 1 ]; then
            echo "== $name failed (exit status $rc); its output ($log):"
            cat "$log"
        fi
        echo "$line"
        failed=$((failed + 1))
    fi
    summary="$summary
$line"
done
if [ "${V:-0}" = 1 ] || [ "$failed" -gt 0 ]; then echo "== summary:$summary"; fi
echo "suites: $(($# - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
