#!/bin/sh
# Runs each Check suite given as an argument with the environment in $1,
# keeps going after a failure, prints one summary line per suite and exits
# non-zero if any suite failed.
env_words=$1
shift
[ $# -gt 0 ] || { echo "run-tests: no test suites were built" >&2; exit 1; }
failed=0
summary=
for t in "$@"; do
    name=$(basename "$t")
    echo "== $name"
    # shellcheck disable=SC2086
    if env $env_words "$t"; then
        summary="$summary
  PASS  $name"
    else
        summary="$summary
  FAIL  $name"
        failed=$((failed + 1))
    fi
done
echo "== summary:$summary"
total=$#
echo "suites: $((total - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
