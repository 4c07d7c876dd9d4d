#!/usr/bin/env bash
# Each shared object exports exactly the GN_EXPORT functions of its headers,
# under its version node (mk/check-exports.sh).
set -euo pipefail
make -j2 libs
make check-exports
