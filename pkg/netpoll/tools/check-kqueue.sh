#!/bin/sh
# Compiles (does not run) the kqueue backend on Linux against a stub
# <sys/event.h>, with and without EVFILT_USER, using the project's warnings
# and -Werror. Run from the repository root: sh pkg/netpoll/tools/check-kqueue.sh
set -eu
cc=${CC:-cc}
dir=pkg/netpoll
flags="-std=c11 -D_GNU_SOURCE -fvisibility=hidden -Wall -Wextra -Wpedantic -Wshadow -Wconversion
       -Wsign-conversion -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter -Werror
       -DGN_NETPOLL_KQUEUE -I$dir/tools/kqueue-stub -I$dir/include -I$dir/src -Ipkg/queue/include"
for variant in "" "-DGN_KQUEUE_STUB_NO_USER"; do
    for src in "$dir"/src/*.c; do
        # shellcheck disable=SC2086
        $cc $flags $variant -c -o /dev/null "$src"
    done
done
echo "check-kqueue: the kqueue backend compiles (EVFILT_USER and pipe wake-up)"
