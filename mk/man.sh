#!/bin/sh
# man.sh NAME VERSION PC_IN HEADER...: writes the man page NAME(3) to stdout, from
# the library's pkg-config description and its headers: the headers' opening
# comments become DESCRIPTION, every GN_EXPORT function its own entry under
# FUNCTIONS with the comment above it (one entry for a group of declarations
# under one comment). Nothing is written by hand, so the page follows the headers.
set -eu
name=$1 version=$2 pcin=$3
shift 3
desc=$(sed -n 's/^Description: *//p' "$pcin" | sed 's/^gnet-c //')
upper=$(echo "$name" | tr 'a-z' 'A-Z')
incs=
for h in "$@"; do incs="$incs ${h##*/}"; done

cat <<EOF2
.TH $upper 3 "" "gnet-c $version" "gnet-c Library Functions"
.SH NAME
$name \\- $desc
.SH SYNOPSIS
.nf
EOF2
for h in $incs; do echo ".B #include <gnet/$h>"; done
cat <<EOF2
.PP
Compile and link with \\fIpkg\\-config \\-\\-cflags \\-\\-libs $name\\fP
(static: \\fIpkg\\-config \\-\\-static \\-\\-libs $name\\fP).
.fi
.SH DESCRIPTION
EOF2
# Part 1: each header's opening comment. Part 2 (mode=fn): the functions.
for mode in file fn; do
    [ "$mode" = fn ] && echo ".SH FUNCTIONS"
    for h in "$@"; do
        [ "$mode" = file ] && [ $# -gt 1 ] && echo ".SS <gnet/${h##*/}>"
        awk -v mode="$mode" '
        function esc(s) {
            gsub(/\\/, "\\e", s)
            if (s ~ /^[.\x27]/) s = "\\&" s
            return s
        }
        # Comment text: paragraphs on blank lines, lines that start indented or
        # with a list mark kept on their own line.
        function text(s,    k, m, ln, t, inlist) {
            m = split(s, ln, "\n")
            inlist = 0
            for (k = 1; k <= m; k++) {
                t = ln[k]; sub(/^[ \t]+/, "", t)
                if (t == "") { print ".PP"; inlist = 0 }
                else if (t ~ /^- /) { print ".IP \\(bu 2"; print esc(substr(t, 3)); inlist = 1 }
                else if (inlist && ln[k] ~ /^[ \t]/) print esc(t)
                else if (ln[k] ~ /^[ \t]/) { print ".br"; print esc(ln[k]) }
                else { if (inlist) print ".PP"; inlist = 0; print esc(t) }
            }
        }
        function flush(    k) {
            if (np > 0) {
                print ".SS " names
                print ".nf"
                for (k = 1; k <= np; k++) print esc(proto[k])
                print ".fi"
                if (cm != "") text(cm)
            }
            np = 0; names = ""; cm = ""
        }
        function strip(s) {
            sub(/^[ \t]*\/\*+[ \t]?/, "", s); sub(/[ \t]*\*\/.*$/, "", s)
            sub(/^[ \t]*\* ?/, "", s)
            return s
        }
        BEGIN { first = 1; np = 0; cm = "" }
        /^[ \t]*\/\*/ && !/\*\/.*[^ \t]/ || /^[ \t]*\/\*/ {
            if ($0 ~ /^[ \t]*\/\*[ \t]*-+/ && $0 ~ /\*\//) { flush(); next }
            flush()
            c = ""
            line = $0
            while (1) {
                done = line ~ /\*\//
                c = c (c == "" ? "" : "\n") strip(line)
                if (done || (getline line) <= 0) break
            }
            if (first) { first = 0; if (mode == "file") text(c); next }
            cm = c
            next
        }
        mode != "fn" { next }
        /^GN_EXPORT / {
            p = $0
            while (p !~ /;/ && (getline line) > 0) { sub(/^[ \t]+/, " ", line); p = p line }
            sub(/^GN_EXPORT /, "", p)
            gsub(/[ \t]+/, " ", p)
            nm = p; sub(/\(.*/, "", nm); sub(/.*[ *]/, "", nm)
            proto[++np] = p
            names = names (names == "" ? "" : ", ") nm
            next
        }
        /^[ \t]*$/ { if (np > 0) flush(); else cm = ""; next }
        /^[A-Za-z#]/ { flush(); next }
        END { flush() }
        ' "$h"
    done
done
cat <<EOF2
.SH RETURN VALUE
Functions that can fail return 0 (or a non-negative count) on success and a
negative errno value (\\-EINVAL, \\-ENOMEM, \\-EAGAIN, ...) or a named gnet-c code on
failure; errno is not used to report errors. Each entry above lists its codes.
.SH SEE ALSO
EOF2
# GN_MAN_ALL: every library's name (from mk/man.mk), so the list needs no upkeep.
for other in $(printf '%s\n' ${GN_MAN_ALL:-} | sort); do
    [ "$other" = "$name" ] || echo ".BR $other (3),"
done
cat <<EOF2
the API reference from \\fImake docs\\fP and the README of the source tree.
EOF2
