#!/usr/bin/env bash
# valgrind memcheck over a representative engine subset, unsanitized build:
# the soak's mixed load for 20 s (churn, 1-byte writes, resets, half-closes,
# slow readers at the outbound cap, async writes and closes, a ticker, a
# second engine restarted) and the fault suite's accept case (error paths
# with injected allocation failures). Zero errors and zero definite leaks.
# RSS and fd growth are not judged here (valgrind's own heap).
set -euo pipefail
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq --no-install-recommends valgrind >/dev/null
fi
VG=(valgrind -q --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite
    --show-leak-kinds=definite)
make -j2 build/tests/test-soak build/tests/test-faults
"${VG[@]}" build/tests/test-soak 20 build/soak-valgrind.csv 1000000000 1000000
CK_RUN_CASE=accept "${VG[@]}" --trace-children=yes build/tests/test-faults
