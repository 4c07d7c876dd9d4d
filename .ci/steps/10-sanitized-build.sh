#!/usr/bin/env bash
# Every documented make target must build with every documented SAN value,
# including the comma form the README shows.
set -euo pipefail
make -j2 all SAN=address,undefined
make -j2 all SAN=thread
