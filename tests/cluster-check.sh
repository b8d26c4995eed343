#!/bin/sh
# cluster-check.sh BUILD -- reports/cluster/slurm-sweep.sh end to end on
# a one-node SLURM started here (Debian's slurm-wlm and munge): munged,
# slurmctld and slurmd on localhost, with their configuration, state and
# logs in a temporary folder, all stopped and removed at the end. The
# array job's shards merged by the dependent job must be the bytes one
# `lanky sweep` run writes; a sweep whose shards fail must never start
# its merge (--dependency=afterok). `make check-cluster` runs it
# (.ci/run calls that); about 30 s here.
set -eu
build=${1:-build}
lanky=$(cd "$build" && pwd)/lanky
[ -x "$lanky" ] || { echo "cluster-check.sh: no $lanky (make first)" >&2; exit 2; }
for c in munged slurmctld slurmd sbatch squeue sinfo scontrol; do
    command -v $c >/dev/null || { echo "cluster-check.sh: no $c (scripts/deps.sh installs slurm-wlm and munge)" >&2; exit 2; }
done
tmp=$(mktemp -d /tmp/lanky-slurm-XXXXXX)
pids=""
stop() {
    for p in $pids; do kill "$p" 2>/dev/null || true; done
    for p in $pids; do
        i=0
        while kill -0 "$p" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    done
    rm -rf "$tmp"
}
trap stop EXIT
trap 'exit 130' INT TERM HUP
fail() {
    echo "cluster-check.sh: $*" >&2
    for l in "$tmp"/*.log "$tmp"/out*/logs/*.log; do
        [ -f "$l" ] && { echo "--- $l" >&2; tail -20 "$l" >&2; }
    done
    exit 1
}
# wait_for SECONDS COMMAND...: until COMMAND succeeds, at most SECONDS
wait_for() {
    n=$(($1 * 5))
    shift
    while ! "$@" >/dev/null 2>&1; do
        n=$((n - 1))
        [ $n -gt 0 ] || return 1
        sleep 0.2
    done
}

dd if=/dev/urandom of="$tmp/munge.key" bs=1024 count=1 2>/dev/null
chmod 600 "$tmp/munge.key"
munged --force --foreground --socket="$tmp/munge.sock" --key-file="$tmp/munge.key" \
    --pid-file="$tmp/munged.pid" --log-file="$tmp/munged.log" \
    --seed-file="$tmp/munge.seed" 2>>"$tmp/munged.log" &
pids="$pids $!"
wait_for 10 test -S "$tmp/munge.sock" || fail "munged did not start"

me=$(id -un)
cat >"$tmp/slurm.conf" <<CONF
ClusterName=lanky-check
SlurmctldHost=localhost
SlurmctldPort=6817
SlurmdPort=6818
SlurmUser=$me
SlurmdUser=$me
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$tmp/munge.sock
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/slurmctld.log
SlurmdLogFile=$tmp/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SwitchType=switch/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=check Nodes=localhost Default=YES MaxTime=10 State=UP
CONF
mkdir -p "$tmp/state" "$tmp/spool"
export SLURM_CONF="$tmp/slurm.conf"
slurmctld -D -i -f "$SLURM_CONF" 2>>"$tmp/slurmctld.log" &
pids="$pids $!"
slurmd -D -N localhost -f "$SLURM_CONF" 2>>"$tmp/slurmd.log" &
pids="$pids $!"
idle() { sinfo -h -o %T | grep -qx idle; }
wait_for 60 idle || fail "the node did not come up idle"

# job_done ID: no longer in the queue
job_done() { [ -z "$(squeue -h -j "$1" 2>/dev/null)" ]; }

# 1. Three shards of Table 7 on two profiles, merged by the dependent job.
"$lanky" sweep sweeps/table7.csv --profiles a15,a16 --out "$tmp/one"
ids=$(sh reports/cluster/slurm-sweep.sh 3 "$tmp/out" "$lanky" sweeps/table7.csv \
    --profiles a15,a16) || fail "slurm-sweep.sh failed"
merge=$(echo "$ids" | sed -n 's/.*merge job \([0-9]*\).*/\1/p')
[ -n "$merge" ] || fail "no merge job id in: $ids"
wait_for 120 job_done "$merge" || fail "merge job $merge did not finish in 120 s"
cmp "$tmp/one/table7.csv" "$tmp/out/table7.csv" ||
    fail "merged $tmp/out/table7.csv is not what one run writes"
for k in 1 2 3; do
    [ -f "$tmp/out/parts/table7.shard-$k-of-3.csv" ] || fail "no part $k of 3"
done

# 2. Shards that fail (an unknown profile): the merge job never runs.
ids=$(sh reports/cluster/slurm-sweep.sh 2 "$tmp/out2" "$lanky" sweeps/table7.csv \
    --profiles nosuchsoc) || fail "slurm-sweep.sh failed"
merge=$(echo "$ids" | sed -n 's/.*merge job \([0-9]*\).*/\1/p')
never() { squeue -h -j "$merge" -o %r | grep -q DependencyNeverSatisfied; }
wait_for 60 never || fail "merge job $merge: not held after failed shards ($(squeue -h -j "$merge" -o '%T %r'))"
scancel "$merge"
[ ! -e "$tmp/out2/table7.csv" ] || fail "a merge ran after failed shards"
echo "cluster-check.sh: SLURM array of 3 shards merged by its afterok job = one run's bytes; failed shards hold the merge"
