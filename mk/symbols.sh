#!/bin/sh
# symbols.sh list HEADER...        the functions the headers declare GN_EXPORT, sorted
# symbols.sh map NODE HEADER...    a linker version script exporting exactly those
#                                  functions under version node NODE, all else local
# The headers are the one list of a library's API: the shared object exports what
# they declare and nothing else, so no second list has to be kept in step.
set -eu
mode=$1
shift
[ "$mode" = map ] && { node=$1; shift; }
names=$(sed -n 's/^GN_EXPORT[^(]*[^A-Za-z0-9_]\(gn_[A-Za-z0-9_]*\) *(.*/\1/p' "$@" | sort -u)
case $mode in
list) printf '%s\n' "$names" ;;
map)
    printf '%s {\nglobal:\n' "$node"
    printf '%s\n' "$names" | sed 's/.*/    &;/'
    printf 'local:\n    *;\n};\n'
    ;;
*) echo "symbols.sh: unknown mode $mode" >&2; exit 2 ;;
esac
