#!/bin/sh
# logits-aarch64.sh X86_LANKY AARCH64_LANKY -- the aarch64 build's logits
# against the x86-64 build's, on the same checkpoint and prompt, for
# every weight type and for both qemu CPU models of make check-aarch64
# (kern_neon.c's dot-product path and its fallback).
#
# Bound: max |a - x| <= 1e-5 max |x| over the vocabulary, x the x86
# logits (relative to the largest logit, as logits near 0 carry the
# absolute error of the large ones). Both builds round every weight the
# same way (the checkpoint is f32; f16, bf16 and int8 are converted by
# the same portable code), so only the order of the f32 sums differs: a
# few roundings at the logits' scale (measured: 4e-7 of it; int8, whose
# products are exact integers, gave identical logits).
set -eu
x86=$1
a64=$2
dir=$(mktemp -d /tmp/lanky-logits-XXXXXX)
trap 'rm -rf "$dir"' EXIT
"$x86" export --layers 2 --dim 128 --heads 4 --kv-heads 2 --vocab 512 \
    --seed 3 --out "$dir/ck.bin"
tokens=1,5,9,200,7
for t in f32 f16 bf16 int8; do
    "$x86" logits --checkpoint "$dir/ck.bin" --dtype $t --tokens $tokens \
        --format csv >"$dir/x86-$t.csv"
    for cpu in max cortex-a53; do
        qemu-aarch64 -cpu $cpu "$a64" logits --checkpoint "$dir/ck.bin" \
            --dtype $t --tokens $tokens --format csv >"$dir/a64.csv"
        [ "$(wc -l <"$dir/a64.csv")" = "$(wc -l <"$dir/x86-$t.csv")" ] || {
            echo "logits-aarch64: $t on $cpu: the line counts differ" >&2
            exit 1
        }
        paste -d, "$dir/x86-$t.csv" "$dir/a64.csv" | awk -F, -v t=$t -v cpu=$cpu '
            NR > 1 {
                m = ($1 < 0 ? -$1 : $1) > m ? ($1 < 0 ? -$1 : $1) : m
                e = $1 - $2; e = e < 0 ? -e : e; E = e > E ? e : E
            }
            END {
                bound = 1e-5 * m
                printf "logits-aarch64: %s on %s: max |a - x| %g (bound %g)\n", t, cpu, E, bound
                exit !(m > 0 && E <= bound)
            }' || exit 1
    done
done
