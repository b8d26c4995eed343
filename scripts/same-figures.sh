#!/bin/sh
# same-figures.sh OLD_BINARY NEW_BINARY -- do two lanky binaries print the
# same figures? Runs params, schedule, sim, sweep and logits with both and diffs
# their output byte for byte; exit status 0 when every output is identical,
# 1 when any differs (the differences are printed), 2 on bad usage.
# Columns are only ever appended (DESIGN.md's contract), so when NEW's CSV
# header starts with OLD's whole header, NEW's rows are compared on OLD's
# columns only: the columns NEW adds are not differences.
#
# What runs (none of these commands prints a timing, so nothing is
# excluded from the comparison; bench, the one command that measures
# time, is left out):
#   params, schedule   every preset x every sharing strategy, csv
#   sim --mode analytic  every preset x every sharing strategy x the
#                      four SoC profiles (a15 a16 pixel8 snapdragon8)
#   sim --mode exact   the same cross product, plus --policy random and
#                      srrip (exact and analytic) on two presets
#   sweep              every file in sweeps/ on the four profiles, analytic
#                      (in exact mode they would add 3.5 minutes)
#   logits             every dtype (f32 f16 bf16 int8), every sharing
#                      strategy, GQA, a ReLU FFN and a tied classifier,
#                      batched and token by token
# It takes about 3.5 minutes on a 2-core Sapphire Rapids VM.
set -u

if [ $# -ne 2 ] || [ ! -x "$1" ] || [ ! -x "$2" ]; then
    echo "usage: scripts/same-figures.sh OLD_BINARY NEW_BINARY" >&2
    exit 2
fi
OLD=$1
NEW=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

presets="mobilellm-125m mobilellm-350m mobilellm-600m mobilellm-1b mobilellm-1.5b
mobilellm-ls-125m mobilellm-ls-350m smollm-135m smollm-360m"
shares="none immediate repeat-all-over reverse"
profiles=a15,a16,pixel8,snapdragon8

n=0
diffs=0
# old_columns OLD_CSV NEW_CSV: rewrite NEW_CSV with OLD_CSV's columns when
# its header extends OLD_CSV's (no field of lanky's CSV holds a comma).
old_columns() {
    awk -F, -v OFS=, 'NR == FNR { if (FNR == 1) { n = NF; h = $0 } next }
        FNR == 1 { k = substr($0, 1, length(h)); cut = NF > n && k == h &&
                   substr($0, length(h) + 1, 1) == "," }
        { if (cut) { NF = n; $1 = $1 } print }' "$1" "$2" >"$2.cut" && mv "$2.cut" "$2"
}

# same NAME ARGS...: run both binaries with ARGS, compare stdout, stderr
# and exit status.
same() {
    name=$1
    shift
    n=$((n + 1))
    "$OLD" "$@" >"$tmp/old.out" 2>"$tmp/old.err"
    echo "status $?" >>"$tmp/old.err"
    "$NEW" "$@" >"$tmp/new.out" 2>"$tmp/new.err"
    echo "status $?" >>"$tmp/new.err"
    old_columns "$tmp/old.out" "$tmp/new.out"
    if ! cmp -s "$tmp/old.out" "$tmp/new.out" || ! cmp -s "$tmp/old.err" "$tmp/new.err"; then
        diffs=$((diffs + 1))
        echo "DIFFERS: $name: lanky $*"
        diff "$tmp/old.out" "$tmp/new.out" | head -20
        diff "$tmp/old.err" "$tmp/new.err" | head -20
    fi
}

for p in $presets; do
    for sh in $shares; do
        same params "params" --preset "$p" --share "$sh" --format csv
        same schedule "schedule" --preset "$p" --share "$sh" --format csv
        for mode in analytic exact; do
            same "sim $mode" sim --preset "$p" --share "$sh" --profile $profiles \
                --mode $mode --format csv
        done
    done
done
for p in mobilellm-125m smollm-135m; do
    for pol in random srrip; do
        for mode in exact analytic; do
            same "sim $pol" sim --preset "$p" --share immediate --profile $profiles \
                --policy $pol --mode $mode --format csv
        done
    done
done

# every sweep file (custom shapes too: sharing depth, Tables 2 and 7-12),
# analytic; each binary writes its own folder
n=$((n + 1))
mkdir "$tmp/sw-old" "$tmp/sw-new"
root=$(dirname "$0")/..
"$OLD" sweep "$root"/sweeps/*.csv --profiles $profiles --out "$tmp/sw-old" 2>"$tmp/old.err"
"$NEW" sweep "$root"/sweeps/*.csv --profiles $profiles --out "$tmp/sw-new" 2>"$tmp/new.err"
for f in "$tmp"/sw-old/*.csv; do
    [ -f "$tmp/sw-new/${f##*/}" ] && old_columns "$f" "$tmp/sw-new/${f##*/}"
done
if ! diff -r "$tmp/sw-old" "$tmp/sw-new" >"$tmp/sw.diff" || ! cmp -s "$tmp/old.err" "$tmp/new.err"; then
    diffs=$((diffs + 1))
    echo "DIFFERS: lanky sweep sweeps/*.csv --profiles $profiles"
    head -20 "$tmp/sw.diff"
fi

shape="--layers 4 --dim 128 --heads 4 --kv-heads 2 --vocab 512 --seq-len 64"
for dt in f32 f16 bf16 int8; do
    for sh in $shares; do
        for b in 1 32; do
            same "logits $dt" logits $shape --share "$sh" --dtype $dt --batch $b \
                --threads 2 --tokens 1,7,300,42,9,511,3,3,80,100,5 --format csv
        done
    done
    same "logits $dt relu tied" logits --layers 3 --dim 96 --heads 3 --kv-heads 1 \
        --vocab 300 --ffn relu --tied --dtype $dt --threads 1 --tokens 5,4,3,2,1 --format csv
    same "logits $dt preset" logits --preset mobilellm-125m --dtype $dt --threads 2 \
        --seq-len 64 --tokens 1,2,3,4,5,6,7,8 --format csv
done

echo "same-figures: $n commands, $diffs with different output ($OLD vs $NEW)"
[ $diffs -eq 0 ]
