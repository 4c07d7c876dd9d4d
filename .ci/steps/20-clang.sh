#!/usr/bin/env bash
# The same build, suites and install smoke test with clang (warnings are errors,
# as with gcc), in a build directory of its own.
set -euo pipefail
if ! command -v clang >/dev/null && [ "$(id -u)" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends clang >/dev/null
fi
export CC=clang BUILD=build-clang
make -j2 all
make -j2 test
bash .ci/install-smoke.sh
