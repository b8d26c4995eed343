#!/bin/sh
# bench_llama.sh -- lanky's reference transformer against llama.cpp's
# llama-bench on the same weights, in one interleaved run (issue 18):
#
#   sh tests/bench_llama.sh LANKY LLAMA_BENCH     (make bench LLAMA_BENCH=PATH)
#
# LLAMA_BENCH is build/bin/llama-bench of a llama.cpp source tree (the
# tree's gguf-py writes the GGUF files: scripts/lanky-gguf.py, which
# needs Debian's python3-numpy, python3-sentencepiece and python3-yaml).
# For MobileLLM-125M and -350M (lanky export of the seeded weights) in
# lanky's f32 / f16 / int8 against llama.cpp's F32 / F16 / Q8_0, ROUNDS
# rounds (default 3), each round every pair once, lanky then llama.cpp:
# pp512 (a 512-token prompt) and tg16 (16 decode tokens from position 0;
# the llama-bench of early 2025 has no -d), at THREADS threads (default
# 2). Prints each pair's median tokens/s and the median of the rounds'
# ratios lanky / llama.cpp (above 1: lanky faster), with the paired DRAM
# bandwidth of lanky's rounds, the machine's state.
set -eu
lanky=$1 lb=$2
[ -x "$lb" ] || { echo "bench_llama.sh: $lb: not an executable llama-bench" >&2; exit 2; }
tree=$(cd "$(dirname "$lb")/../.." && pwd)
[ -d "$tree/gguf-py" ] || { echo "bench_llama.sh: $tree has no gguf-py: name the llama-bench of a llama.cpp build tree" >&2; exit 2; }
rounds=${ROUNDS:-3} threads=${THREADS:-2}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
models="mobilellm-125m mobilellm-350m"
pairs="f32:F32 f16:F16 int8:Q8_0"
for m in $models; do
    "$lanky" export --preset "$m" --out "$tmp/$m.bin" >/dev/null
    for p in $pairs; do
        LLAMA_CPP=$tree /usr/bin/python3 "$(dirname "$0")/../scripts/lanky-gguf.py" "$tmp/$m.bin" \
            "$tmp/$m.${p#*:}.gguf" "${p#*:}"
    done
    rm "$tmp/$m.bin"
done
echo "round,model,pair,engine,test,tokens_per_s,paired_dram_gbs" >"$tmp/all.csv"
for r in $(seq 1 "$rounds"); do
    for m in $models; do
        for p in $pairs; do
            [ ! -t 2 ] || echo "bench_llama: round $r/$rounds, $m, $p" >&2
            "$lanky" bench --preset "$m" --dtype "${p%%:*}" --threads "$threads" \
                --prompt 512 --tokens 16 --ctx 0 --format csv >"$tmp/l.csv"
            "$lb" -m "$tmp/$m.${p#*:}.gguf" -t "$threads" -p 512 -n 16 -r 1 -o csv \
                >"$tmp/g.csv" 2>/dev/null
            /usr/bin/python3 - "$tmp" "$r" "$m" "$p" <<'EOF'
import csv, sys
tmp, r, m, p = sys.argv[1:]
out = open(tmp + '/all.csv', 'a')
for x in csv.DictReader(open(tmp + '/l.csv')):
    test = 'pp512' if x['test'].startswith('pp') else 'tg16'
    out.write('%s,%s,%s,lanky,%s,%s,%s\n' % (r, m, p, test, x['avg_ts'], x['paired_dram_gbs']))
for x in csv.DictReader(open(tmp + '/g.csv')):
    test = 'pp512' if int(x['n_prompt']) else 'tg16'
    out.write('%s,%s,%s,llama.cpp,%s,%s,\n' % (r, m, p, test, x['avg_ts']))
EOF
        done
    done
done
/usr/bin/python3 - "$tmp/all.csv" "$threads" <<'EOF'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
ts = {}
for x in rows:
    ts.setdefault((x['model'], x['pair'], x['test'], x['engine']), {})[x['round']] = \
        float(x['tokens_per_s'])
gbs = [float(x['paired_dram_gbs']) for x in rows if x['paired_dram_gbs']]
print('lanky vs llama.cpp, %s threads, %d rounds interleaved; lanky\'s paired DRAM '
      'reads %.1f-%.1f GB/s (median %.1f)' % (sys.argv[2], len({x['round'] for x in rows}),
                                            min(gbs), max(gbs), statistics.median(gbs)))
print('model,pair,test,lanky_tokens_per_s,llama_tokens_per_s,ratio_median,ratio_min,ratio_max')
for (m, p, t, e), v in ts.items():
    if e != 'lanky':
        continue
    g = ts[(m, p, t, 'llama.cpp')]
    ratios = [v[k] / g[k] for k in v if k in g]
    print('%s,%s,%s,%.1f,%.1f,%.2f,%.2f,%.2f' % (
        m, p.replace(':', '/'), t, statistics.median(v.values()),
        statistics.median(g.values()), statistics.median(ratios), min(ratios), max(ratios)))
EOF
