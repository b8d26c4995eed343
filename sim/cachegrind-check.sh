#!/bin/sh
# cachegrind-check.sh -- lanky's simulated last-level misses per token
# against valgrind's cachegrind, an independent simulator running the
# reference transformer's real addresses (issue 4 target: within 10%;
# checked here within 2%, see below).
#
#   sh sim/cachegrind-check.sh [LANKY_BINARY]     (default build/lanky)
#
# Model: 8 blocks of dim 256, 4 heads, f32, vocab 512, seeded weights
# (3.2 MiB per block, 26 MiB in all). Caches, the same for both tools:
# D1 32 KiB 8-way, LL 8 MiB 16-way (more than 2 blocks, less than the
# model), 64-byte lines, LRU. For each sharing strategy (R = 2 when
# sharing) the reference decodes N and N+K tokens under cachegrind with
# `lanky bench --threads 1 --ctx CTX --tokens n`: every timed token is a
# whole decode step (classifier included) at position CTX, so the
# difference of the two runs' data LL misses (DLmr + DLmw) over K is the
# cost of one token at CTX, in the steady state of repeated tokens --
# what lanky's exact mode simulates with --ctx CTX on a profile with the
# same two levels.
#
# Each strategy runs at position CTX = 7, where weights are nearly all
# the traffic; two run again at CTX = 500, where the KV cache is about a
# quarter of it (8 layers x 501 positions x 2 KiB), so that its part of
# the trace is checked too. A run is share:ctx:dtype, and may add model
# options after a fourth ':' ('+' between them): the windowed one at CTX
# = 500 > window 200 reads its local layers' rings in two ranges (the
# token's own slot, 500 % 200, between them) and every fourth layer's
# whole cache; a second one runs MobileLLM-Pro's pattern (layers 0, 4 and
# the last, 7, global) with q/k/v biases (Qwen2's), so that the bias
# vectors' reads are checked too.
#
# An int4 model (W4A8, groups of 32) runs the packed weights and their f16
# scales through the same check: 8 blocks of dim 512, 8 heads, 1.9 MiB per
# block (0.5 bytes a weight + 2 bytes per 32), 15.6 MiB in all, so that
# again two blocks fit in LL and the model does not. valgrind's CPU has
# no AVX-512, so the portable kernels run, row by row as the trace reads.
# It runs once more with an int8 embedding and classifier (--embed-dtype),
# as phone engines store them beside int4 layers.
#
# Prints one row per run and exits 1 if any differs by more than 2%. The
# issue's target is 10%; both tools run LRU on the same addresses and
# agreed within 0.01% (2026-11-25), so 2% leaves room for another libc
# and still catches a trace that drops part of the KV cache (V alone is
# 11% of the CTX = 500 misses).
set -eu

LANKY=${1:-build/lanky}
TOL=2
N=1
K=3
SPEC_f32="--layers 8 --dim 256 --heads 4 --vocab 512 --dtype f32 --seq-len 512"
SPEC_int4="--layers 8 --dim 512 --heads 8 --vocab 512 --dtype int4 --group 32 --seq-len 512"
D1="32768,8,64"
LL="8388608,16,64"

command -v valgrind >/dev/null || { echo "cachegrind-check: valgrind not found" >&2; exit 1; }
[ -x "$LANKY" ] || { echo "cachegrind-check: $LANKY not built (make)" >&2; exit 1; }

TMP=$(mktemp -d /tmp/lanky-cg-XXXXXX)
trap 'rm -rf "$TMP"' EXIT INT TERM

# The two cache levels as a lanky profile; the energy and speed figures
# do not matter here, so every source says so.
{
    echo "[soc]"
    echo "name = cachegrind's model of this check"
    level() { # section size_kb assoc
        printf '[%s]\nsize_kb = %s\nline_bytes = 64\nassoc = %s\npolicy = lru\n' "$1" "$2" "$3"
        printf 'bandwidth_gbs = 100\nenergy_pj_per_byte = 1\n'
    }
    level cache1 32 8
    level cache2 8192 16
    printf '[dram]\ncapacity_gb = 8\nbandwidth_gbs = 50\napp_budget = 0.1\nenergy_pj_per_bit = 4\n'
    printf '[compute]\ngflops_f32 = 100\ngflops_f16 = 100\ngflops_bf16 = 100\ngops_int8 = 100\n'
    printf '[energy]\nmac_pj_f32 = 1\nmac_pj_f16 = 1\nmac_pj_bf16 = 1\nmac_pj_int8 = 1\nstatic_mw = 0\n'
} | awk '{ print } /^[a-z_0-9]+ = / && !/^name/ { split($0, kv, " = "); print kv[1] ".source = cachegrind-check.sh: mirrors --D1/--LL" }' \
    > "$TMP/cg.ini"

# Data LL misses (read + write) of decoding n tokens under cachegrind.
ll_misses() { # share ctx n extra-options
    valgrind --tool=cachegrind --cache-sim=yes --cachegrind-out-file=/dev/null \
        --I1=32768,8,64 --D1="$D1" --LL="$LL" \
        "$LANKY" bench $SPEC $4 --share "$1" --threads 1 --seed 7 --ctx "$2" \
        --tokens "$3" --format csv 2>"$TMP/cg.err" >/dev/null ||
        { cat "$TMP/cg.err" >&2; exit 1; }
    sed -n 's/.*LLd misses: *\([0-9,]*\).*/\1/p' "$TMP/cg.err" | tr -d ,
}

echo "share,ctx,cachegrind_ll_misses_per_token,lanky_ll_misses_per_token,diff_percent,dtype,options"
fail=0
for run in none:7:f32 immediate:7:f32 repeat-all-over:7:f32 reverse:7:f32 none:500:f32 \
    immediate:500:f32 none:7:int4 reverse:7:int4 none:500:f32:--window=200+--global-every=4 \
    none:7:int4:--embed-dtype=int8 \
    none:500:f32:--window=200+--global-every=4+--global-first-last+--attn-bias; do
    share=${run%%:*} rest=${run#*:}
    ctx=${rest%%:*} rest=${rest#*:}
    dtype=${rest%%:*} extra=$(echo "${rest#"$dtype"}" | sed 's/^://' | tr + ' ')
    eval "SPEC=\$SPEC_$dtype"
    a=$(ll_misses "$share" "$ctx" "$N" "$extra")
    b=$(ll_misses "$share" "$ctx" $((N + K)) "$extra")
    cg=$(( (b - a) / K ))
    lk=$("$LANKY" sim $SPEC $extra --share "$share" --ctx "$ctx" --profile "$TMP/cg.ini" \
        --mode exact --format csv |
        awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "llc_misses") c = i }
                 NR == 2 { print $c }')
    diff=$(awk -v a="$cg" -v b="$lk" 'BEGIN { printf "%.2f", (b - a) * 100 / a }')
    echo "$share,$ctx,$cg,$lk,$diff,$dtype,$extra"
    if awk -v d="$diff" -v t="$TOL" 'BEGIN { exit !(d > t || d < -t) }'; then
        fail=1
    fi
done
if [ "$fail" -ne 0 ]; then
    echo "cachegrind-check: lanky is more than $TOL% off cachegrind" >&2
    exit 1
fi
echo "cachegrind-check: all within $TOL%" >&2
