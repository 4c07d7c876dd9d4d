#!/bin/sh
# check-exports.sh SO AR NODE HEADER...: the dynamic symbols SO defines are
# exactly the GN_EXPORT functions of HEADER..., each bound to version node NODE,
# and the archive AR marks no other function for export (a GN_EXPORT definition
# that no header declares would otherwise just vanish behind the version script).
set -eu
so=$1 ar=$2 node=$3
shift 3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sh "$(dirname "$0")/symbols.sh" list "$@" > "$tmp/declared"
# "T name@@NODE" for functions; the node itself shows up as an absolute symbol.
nm -D --defined-only "$so" | awk '$3 != "'"$node"'" {print $3}' | sort -u > "$tmp/exported"
if grep -v "@@$node\$" "$tmp/exported" > "$tmp/unversioned"; then
    echo "check-exports: $so: symbols outside version node $node:" >&2
    cat "$tmp/unversioned" >&2
    exit 1
fi
sed "s/@@$node\$//" "$tmp/exported" > "$tmp/names"
if ! diff -u "$tmp/declared" "$tmp/names" > "$tmp/diff"; then
    echo "check-exports: $so: exports differ from the GN_EXPORT declarations" >&2
    echo "(- declared in a header but not exported, + exported but not declared)" >&2
    tail -n +3 "$tmp/diff" | grep '^[-+]' >&2
    exit 1
fi
readelf -sW "$ar" | awk '$5 == "GLOBAL" && $6 == "DEFAULT" && $7 != "UND" {print $8}' |
    sort -u > "$tmp/marked"
if ! diff -u "$tmp/declared" "$tmp/marked" > "$tmp/diff"; then
    echo "check-exports: $ar: default-visibility symbols differ from the declarations" >&2
    tail -n +3 "$tmp/diff" | grep '^[-+]' >&2
    exit 1
fi
echo "check-exports: $(basename "$so"): $(wc -l < "$tmp/names") symbols, all declared, node $node"
