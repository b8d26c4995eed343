#!/bin/sh
# make-report.sh -- `make report`: every sweep in sweeps/ on the four SoC
# profiles and this machine, host measurements, then the tables, figure
# data and index.md (lanky report) and the figures (gnuplot), all
# in reports/out/. Run from the project folder:
#
#   sh reports/make-report.sh BUILD/lanky full|quick
#
# quick times 2 decode tokens per measured model instead of 8, measures
# fewer sweeps and simulates analytically only; it writes the same files.
# Progress goes to stderr.
#
# JOBS=N in the environment (make report JOBS=N) first runs the sweeps
# that are only simulated as N shards each (lanky sweep --shard K/N), N
# at a time with GNU parallel, and joins each sweep's parts (lanky sweep
# --merge): the same files as a serial run, byte for byte. The measured
# sweeps then run one after the other with nothing else running, as in a
# serial run: two timed runs on the same cores at once would time each
# other. JOBS unset or empty: the serial run.
#
# Whole or nothing: everything is built in reports/out.tmp and replaces
# reports/out as a whole at the end, so an interrupted run (Ctrl-C during
# a sweep or a gnuplot figure) leaves the previous complete report and
# no half-written file in it.
set -eu
lanky=$1
effort=${2:-full}
out=reports/out
socs="a15 a16 pixel8 snapdragon8"
profiles="$(echo $socs | tr ' ' ,),host"
# Sweeps measured on this machine: the tables with a "measured" column
# (reports/accuracy.c's rep_acc_sweeps lists the same ones).
# A quick report measures only Tables 7 and 9 (the measured columns of
# the others stay empty): generating the weights of the larger models
# dominates the time, whatever the token count.
measured="table7 table9 table2 table12 presets"
# Sweeps about weight reuse in the cache, and the published models, run
# the exact cache simulation in a full report (0.3-3 s per model and SoC):
# the analytic model misses set conflicts where a shared block nearly
# fills a cache (README, lanky sim). Everything else, and all of a quick
# report, uses the analytic model (the CSVs' mode column).
exact="table7 table2 table12 sharing_depth presets table8"
# Measured sweeps that also time a prefill of a $prompt-token prompt
# (lanky sweep --prompt: two chunks of ARCH_PLAN_CHUNK = 32 tokens) and
# simulate its time to first token on every profile: the report's TTFT
# accuracy rows. A quick report times Table 7's three models only (three
# prefills each).
prompt=64
prompted=$measured
case $effort in
quick) tokens=2 exact="" measured="table7 table9" prompted="table7" how="make report QUICK=1" ;;
full) tokens=8 how="make report" ;;
*) echo "make-report.sh: effort must be quick or full, not '$effort'" >&2; exit 2 ;;
esac
# How much this run measures, for index.md (reports/report.h: effort.txt).
rounds=$([ "$effort" = quick ] && echo 2 || echo 5)
note="$effort ($how): $rounds interleaved rounds of $tokens decode tokens timed per \
measured model, each round paired with a DRAM bandwidth and a compute reading; sweeps \
measured on this machine: $measured; sweeps simulated in exact mode: ${exact:-none}; \
a $prompt-token prefill timed (time to first token) in: $prompted"

say() { echo "report: $*" >&2; }
start=$(date +%s)

# host.ini is measured once; it is measured again when the code that
# writes it (its constants and rules) is newer.
if [ ! -f hw-profiles/host.ini ]; then
    say "hw-profiles/host.ini missing: running lanky probe"
    "$lanky" probe >&2
elif [ hw-profiles/host.ini -ot host/probe.c ] || [ hw-profiles/host.ini -ot host/opspeed.c ] ||
     [ hw-profiles/host.ini -ot sim/profile.c ]; then
    say "hw-profiles/host.ini older than host/probe.c, host/opspeed.c or sim/profile.c: running lanky probe"
    "$lanky" probe >&2
fi
final=$out
out=$final.tmp
# a run stopped between the two renames at the end left only the old copy
[ -d "$final" ] || [ ! -d "$final.old" ] || mv "$final.old" "$final"
rm -rf "$out" "$final.old"
trap 'rm -rf "$out"; exit 130' INT TERM HUP
# a failing step (set -e) leaves no half-built folder either
trap 'rc=$?; [ $rc = 0 ] || rm -rf "$out"' EXIT
mkdir -p "$out"

# settings NAME: how sweep NAME runs, in $measure and $mode
settings() {
    measure="" mode=analytic
    case " $measured " in *" $1 "*) measure="--measure --tokens $tokens --repeats $rounds" ;; esac
    case " $prompted " in *" $1 "*) measure="$measure --prompt $prompt" ;; esac
    case " $exact " in *" $1 "*) mode=exact ;; esac
}
jobs=${JOBS:-}
case $jobs in
'') ;;
*[!0-9]* | 0*) echo "make-report.sh: JOBS must be a number, 1 or more, not '$jobs'" >&2; exit 2 ;;
*) parallel --version 2>/dev/null | grep -q '^GNU parallel' || {
       echo "make-report.sh: JOBS=$jobs needs GNU parallel (Debian's parallel, scripts/deps.sh)" >&2
       exit 2
   }
   say "simulated sweeps: $jobs shards each, $jobs at a time (GNU parallel)"
   for f in sweeps/*.csv; do # one line per shard: FILE MODE K
       settings "$(basename "$f" .csv)"
       [ -n "$measure" ] || seq 1 "$jobs" | sed "s|^|$f $mode |"
   done | parallel --will-cite -j "$jobs" --halt now,fail=1 --colsep ' ' \
       "$lanky" sweep {1} --profiles "$profiles" --mode {2} --shard "{3}/$jobs" --out "$out/parts"
   "$lanky" sweep --merge "$out/parts" --out "$out"
   rm -rf "$out/parts" ;;
esac
n=$(ls sweeps/*.csv | wc -l)
i=0
for f in sweeps/*.csv; do
    i=$((i + 1))
    name=$(basename "$f" .csv)
    settings "$name"
    [ -z "$jobs" ] || [ -n "$measure" ] || continue # done above
    say "[$i/$n] sweep $name ($mode${measure:+, measured})"
    # shellcheck disable=SC2086
    "$lanky" sweep "$f" --profiles "$profiles" --mode $mode $measure --out "$out"
done

printf '%s\n' "$note" >"$out/effort.txt"
say "tables, figure data and index.md"
sh reports/phone-accuracy.sh "$lanky" "$out"
"$lanky" report "$out" --paper-data reports/paper-data

say "figures (gnuplot)"
cp reports/style.gp reports/fig_*.gp "$out"/
for g in "$out"/fig_*.gp; do
    (cd "$out" && gnuplot -e "socs='$socs'" "$(basename "$g")")
done
# again, now that the SVGs exist: index.html inlines them (reports/html.h)
"$lanky" report "$out" --paper-data reports/paper-data
# replace the old report as a whole (two renames: a folder cannot be
# renamed over a non-empty one)
[ ! -d "$final" ] || mv "$final" "$final.old"
mv "$out" "$final"
rm -rf "$final.old"
say "done in $(($(date +%s) - start)) s: open $final/index.md"
