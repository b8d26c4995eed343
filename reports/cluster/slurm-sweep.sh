#!/bin/sh
# slurm-sweep.sh -- a lanky sweep on a SLURM cluster: an array job of N
# tasks, task K running shard K/N (lanky sweep --shard K/N), then a merge
# job (lanky sweep --merge) that starts only when every task succeeded
# (--dependency=afterok). Submit from the project folder:
#
#   sh reports/cluster/slurm-sweep.sh N OUT LANKY SWEEP.csv... [lanky sweep options]
#   sh reports/cluster/slurm-sweep.sh 8 /shared/out /shared/lanky/build/lanky \
#       sweeps/table8.csv --profiles a15,a16 --mode exact
#
# OUT, LANKY and the sweep files must be on a folder every node sees at
# the same path (the tasks write OUT/parts/, the merge reads it and
# writes OUT/NAME.csv, the file one run writes; logs in OUT/logs/).
# Prints the two job ids; `squeue` shows them. Extra sbatch options (a
# partition, a time limit) come from SBATCH_* environment variables, as
# sbatch reads them.
#
# Measured sweeps (--measure): every task gets a whole node (--exclusive,
# one task per node), so no two timed shards ever share a machine's
# cores -- they would time each other. Simulated sweeps share nodes.
set -eu
if [ $# -lt 4 ]; then
    echo "usage: slurm-sweep.sh N OUT LANKY SWEEP.csv... [lanky sweep options]" >&2
    exit 2
fi
n=$1 out=$2 lanky=$3
shift 3
case $n in '' | *[!0-9]* | 0*) echo "slurm-sweep.sh: N must be 1 or more, not '$n'" >&2; exit 2 ;; esac
for a in "$out" "$lanky" "$@"; do # they go into the jobs' command lines in single quotes
    case $a in *\'*) echo "slurm-sweep.sh: $a: a quote in an argument" >&2; exit 2 ;; esac
done
[ -x "$lanky" ] || { echo "slurm-sweep.sh: $lanky: not an executable lanky" >&2; exit 2; }
exclusive=""
for a in "$@"; do
    case $a in --out | --out=* | --shard | --shard=* | --merge)
        echo "slurm-sweep.sh: $a: the script sets it" >&2; exit 2 ;;
    --measure) exclusive="--exclusive --ntasks-per-node=1" ;;
    esac
done
mkdir -p "$out/parts" "$out/logs"
args=""
for a in "$@"; do args="$args '$a'"; done
# shellcheck disable=SC2086
array=$(sbatch --parsable --job-name=lanky-sweep --array="1-$n" --ntasks=1 $exclusive \
    --output="$out/logs/shard-%a.log" \
    --wrap="exec '$lanky' sweep $args --shard \$SLURM_ARRAY_TASK_ID/$n --out '$out/parts'")
merge=$(sbatch --parsable --job-name=lanky-merge --ntasks=1 --dependency="afterok:${array%%;*}" \
    --output="$out/logs/merge.log" \
    --wrap="exec '$lanky' sweep --merge '$out/parts' --out '$out'")
echo "array job ${array%%;*} ($n shards), merge job ${merge%%;*}: results in $out"
