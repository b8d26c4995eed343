#!/bin/sh
# parallel-ssh.sh -- a lanky sweep on a set of hosts with GNU parallel
# (Debian's parallel): N shards (lanky sweep --shard K/N) spread over the
# hosts of HOSTS (GNU parallel's --sshloginfile: one ssh login a line,
# ":" for this machine), then the parts joined here (lanky sweep
# --merge) into OUT/NAME.csv, the file one run writes:
#
#   sh reports/cluster/parallel-ssh.sh HOSTS N OUT LANKY SWEEP.csv... [lanky sweep options]
#   sh reports/cluster/parallel-ssh.sh hosts.txt 6 /shared/out /shared/lanky/build/lanky \
#       sweeps/table8.csv --profiles a15,a16 --mode exact
#
# OUT, LANKY and the sweep files must be at the same path on every host
# (a shared folder): each shard writes OUT/parts/ where it runs.
#
# Measured sweeps (--measure) run one shard per host at a time (-j 1),
# and a HOSTS file that names a host twice is refused: two timed shards
# on one machine's cores would time each other. Simulated sweeps run
# one shard per core of each host.
set -eu
if [ $# -lt 5 ]; then
    echo "usage: parallel-ssh.sh HOSTS N OUT LANKY SWEEP.csv... [lanky sweep options]" >&2
    exit 2
fi
hosts=$1 n=$2 out=$3 lanky=$4
shift 4
case $n in '' | *[!0-9]* | 0*) echo "parallel-ssh.sh: N must be 1 or more, not '$n'" >&2; exit 2 ;; esac
[ -r "$hosts" ] || { echo "parallel-ssh.sh: $hosts: cannot read the hosts file" >&2; exit 2; }
parallel --version 2>/dev/null | grep -q '^GNU parallel' ||
    { echo "parallel-ssh.sh: needs GNU parallel (Debian's parallel)" >&2; exit 2; }
jobs=100% # a job per core of each host
for a in "$@"; do
    case $a in --out | --out=* | --shard | --shard=* | --merge)
        echo "parallel-ssh.sh: $a: the script sets it" >&2; exit 2 ;;
    --measure) jobs=1 ;;
    esac
done
if [ "$jobs" = 1 ]; then
    # the login without "ncpus/" and "user@" names the machine
    twice=$(sed -e 's/#.*//' -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//' -e '/^$/d' \
                -e 's|^[0-9]*/||' -e 's/.*@//' "$hosts" | sort | uniq -d | head -1)
    if [ -n "$twice" ]; then
        echo "parallel-ssh.sh: $hosts: $twice is listed twice; a measured sweep runs one shard a machine" >&2
        exit 2
    fi
fi
mkdir -p "$out/parts"
seq 1 "$n" | parallel --will-cite -q --sshloginfile "$hosts" -j "$jobs" --halt now,fail=1 \
    "$lanky" sweep "$@" --shard "{}/$n" --out "$out/parts"
"$lanky" sweep --merge "$out/parts" --out "$out"
echo "$n shards merged: results in $out" >&2
