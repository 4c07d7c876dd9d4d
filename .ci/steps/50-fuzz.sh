#!/usr/bin/env bash
# Every libFuzzer target in tests/fuzz/ runs briefly (FUZZ_SECONDS each, 20 by
# default) from its seed corpus; any crash, leak, timeout or out-of-memory
# fails the step. Longer runs: make fuzz FUZZ_SECONDS=3600.
set -euo pipefail
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq --no-install-recommends clang libclang-rt-14-dev >/dev/null
fi
make fuzz FUZZ_SECONDS="${FUZZ_SECONDS:-20}"
