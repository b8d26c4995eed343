#!/bin/sh
# tex-check.sh -- every LaTeX table lanky writes drops into a paper: each
# tab_*.tex of a report (every sweep on the four SoC profiles and the
# host) compiles with pdflatex in a one-column article on A4 with 2.5 cm
# margins (the width reports/tables.c fits, TEX_TEXT_WIDTH_PT) without an
# error, an overfull box or a float taller than the page. \lankyfit is defined as the identity here, so
# a table too wide for the page shows as overfull instead of being scaled.
# The pages are left as PNGs in $TEX_CHECK_KEEP when it is set, to look at.
#
#   sh tests/tex-check.sh BUILD
set -eu
lanky=$(pwd)/$1/lanky
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
# the shipped profiles and this machine's, probed into the test's own
# folder (a fresh clone has no hw-profiles/host.ini)
export LANKY_PROFILES="$dir/profiles"
mkdir "$LANKY_PROFILES"
cp hw-profiles/a15.ini hw-profiles/a16.ini hw-profiles/pixel8.ini hw-profiles/snapdragon8.ini \
    "$LANKY_PROFILES"
"$lanky" probe >/dev/null 2>&1
"$lanky" sweep sweeps/*.csv --profiles a15,a16,pixel8,snapdragon8,host --out "$dir" >/dev/null
"$lanky" report "$dir" --paper-data reports/paper-data
cd "$dir"
n=0
for t in tab_*.tex; do
    doc=doc_${t%.tex}
    printf '%s\n' '\documentclass{article}' '\usepackage[a4paper,margin=2.5cm]{geometry}' \
        '\usepackage{booktabs}' '\usepackage{graphicx}' '\newcommand{\lankyfit}[1]{#1}' \
        '\begin{document}' "\\input{$t}" '\end{document}' >"$doc.tex"
    if ! pdflatex -interaction=nonstopmode -halt-on-error "$doc.tex" >/dev/null 2>&1; then
        echo "tex-check: $t does not compile:" >&2
        grep -A3 '^!' "$doc.log" >&2
        exit 1
    fi
    if grep -q 'Overfull \\[hv]box\|Float too large' "$doc.log"; then
        echo "tex-check: $t does not fit the page: $(grep -o 'Overfull \\[hv]box ([0-9.]*pt\|Float too large.*' "$doc.log" | head -1)" >&2
        exit 1
    fi
    grep -q 'toprule\|bottomrule' "$t" || { echo "tex-check: $t has no booktabs rules" >&2; exit 1; }
    if [ -n "${TEX_CHECK_KEEP:-}" ]; then
        mkdir -p "$TEX_CHECK_KEEP"
        pdftoppm -r 60 -png "$doc.pdf" "$TEX_CHECK_KEEP/${t%.tex}"
    fi
    n=$((n + 1))
done
[ "$n" -ge 8 ] || { echo "tex-check: only $n tables" >&2; exit 1; }
# the captions' units as powers, not a literal caret
grep -q 'MB = 10\\textsuperscript{6} bytes' tab_table9_soc.tex &&
    ! grep -q 'textasciicircum{}6' tab_*.tex ||
    { echo "tex-check: 10^6 is not set as a power" >&2; exit 1; }
echo "tex-check: $n tables compile and fit a 455 pt text width"
