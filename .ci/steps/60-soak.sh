#!/usr/bin/env bash
# One minute of mixed loopback load on one engine under ASan+UBSan (see
# tests/soak/soak.c): a wrong byte, a sanitizer report, or RSS / fd growth
# after warm-up fails it. ASan's quarantine is kept small so that RSS settles
# during warm-up; the growth allowed is that of the sanitized heap. The
# 10-minute run without sanitizer: make soak SOAK_SECONDS=600.
set -euo pipefail
export ASAN_OPTIONS=quarantine_size_mb=16
make -j2 soak SAN=address,undefined SOAK_SECONDS=60 SOAK_RSS_KB=16384 SOAK_FDS=16
