#!/usr/bin/env bash
# The API reference builds (Doxygen) and every public symbol has a doc comment.
set -euo pipefail
if ! command -v doxygen >/dev/null && [ "$(id -u)" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends doxygen >/dev/null
fi
make docs-check
