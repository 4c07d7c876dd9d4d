#!/usr/bin/env bash
# plots.sh: PNG charts from echo.sh's summary CSV, with gnuplot.
#
#   plots.sh [CSV] [OUTDIR]     (defaults: results/echo.csv, docs)
#
# Writes OUTDIR/bench-echo-cpu.png (server CPU per message relative to the first
# server of the CSV, lower is better) and OUTDIR/bench-echo-rate.png (msgs/s
# relative to it, higher is better): one group of bars per setting, one bar per
# server at its median, whiskers at the rounds' min and max, cut at 2x (the label
# above a bar is its median). Ratios, because on a shared machine only ratios from
# one interleaved run mean anything. The same CSV gives the same PNGs.
set -euo pipefail
case ${1:-} in -*) sed -n '2,11p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2 ;; esac
csv=${1:-results/echo.csv}
out=${2:-docs}
command -v gnuplot >/dev/null || { echo "plots.sh: gnuplot not found (Debian: apt-get install -y gnuplot-nox)" >&2; exit 2; }
[ -s "$csv" ] || { echo "plots.sh: no $csv (make bench-echo writes it)" >&2; exit 2; }
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# wide KIND: a tab-separated table, a row per setting, median/min/max per server,
# each divided by the first server's median of that setting.
wide() {
    awk -F, -v kind="$1" 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
    {
        set = $col["conns"] "x" ($col["size"] >= 1024 && $col["size"] % 1024 == 0 ? $col["size"] / 1024 "K" : $col["size"]) " p=" $col["depth"]
        if (!(set in seen)) { seen[set] = 1; sets[++ns] = set }
        srv = $col["server"]
        if (!(srv in known)) { known[srv] = 1; srvs[++nv] = srv }
        if (kind == "cpu") { m = $col["us_med"]; lo = $col["us_min"]; hi = $col["us_max"] }
        else { m = $col["msgs_med"]; lo = $col["msgs_min"]; hi = $col["msgs_max"] }
        if (!(set in base)) base[set] = m
        med[set, srv] = m; mn[set, srv] = lo; mx[set, srv] = hi
    }
    END {
        printf "setting"; for (v = 1; v <= nv; v++) printf "\t%s\tmin\tmax", srvs[v]; printf "\n"
        for (s = 1; s <= ns; s++) {
            k = sets[s]; b = base[k] > 0 ? base[k] : 1
            printf "%s", k
            for (v = 1; v <= nv; v++) {
                if ((k, srvs[v]) in med) printf "\t%.4f\t%.4f\t%.4f", med[k, srvs[v]] / b, mn[k, srvs[v]] / b, mx[k, srvs[v]] / b
                else printf "\t-\t-\t-"
            }
            printf "\n"
        }
        print nv > "/dev/stderr"
    }' "$csv"
}

plot() { # plot KIND TITLE FILE
    local n
    n=$(wide "$1" 2>&1 >"$tmp/$1.tsv")
    gnuplot -e "n=$n; data='$tmp/$1.tsv'; out='$3'; ttl=\"$2\"" /dev/stdin <<'GP'
set terminal pngcairo size 860,400 font "DejaVu Sans,10" noenhanced
set output out
set datafile separator "\t"
set datafile missing "-"
set title ttl
set style data histogram
set style histogram errorbars gap 1.5 lw 1
set style fill solid 0.75 border -1
set boxwidth 0.9
# Bars are cut at 2x (their label still gives the value): the servers close to the
# reference are what the chart must tell apart.
ymax = 2.0
set yrange [0:ymax]
set ylabel "relative to the first server's median"
set grid ytics
set key outside right top vertical autotitle columnhead
gap = 1.5
plot for [i=0:n-1] data using (column(2+3*i)):(column(3+3*i)):(column(4+3*i)):xtic(1) title columnhead(2+3*i), \
     for [i=0:n-1] data using ($0 + (i - (n - 1) / 2.0) / (n + gap)):(column(4+3*i) < ymax - 0.1 ? column(4+3*i) : ymax - 0.1):(sprintf("%.2f", column(2+3*i))) \
         with labels offset 0,0.6 font ",7" notitle
GP
    echo "plots.sh: wrote $3"
}

first=$(awk -F, 'NR == 2 { print $4; exit }' "$csv")
plot cpu "Echo: server CPU per message relative to $first (lower is better; bar: median, whiskers: min and max)" "$out/bench-echo-cpu.png"
plot rate "Echo: messages per second relative to $first (higher is better; bar: median, whiskers: min and max)" "$out/bench-echo-rate.png"
