#!/bin/sh
# phone-accuracy.sh -- each published phone measurement of
# hw-profiles/measurements.csv next to lanky's prediction for it:
# writes OUT/accuracy_phone.csv (profile,model,dtype,measured_ms,
# predicted_ms,floor_ms,error_pct,calibrated,source), which `lanky report`
# reads (reports/accuracy.c). Run from the project folder:
#
#   sh reports/phone-accuracy.sh BUILD/lanky OUT
#
# Each row is simulated with `lanky sim` in exact mode, the mode the
# sustained figures were derived in (hw-profiles/SOURCES.md);
# error_pct = (predicted - measured) / measured x 100. A bad row stops the
# script with lanky's one-line error and no file written.
set -eu
lanky=$1
out=$2
# a project without published measurements has nothing to compare
[ -f hw-profiles/measurements.csv ] || exit 0
exec python3 - "$lanky" "$out" hw-profiles/measurements.csv <<'PY'
import csv, os, subprocess, sys

lanky, out, src = sys.argv[1:4]
cols = ["profile", "model", "dtype", "measured_ms", "predicted_ms", "floor_ms",
        "error_pct", "calibrated", "source"]
# measurements.csv spec columns -> lanky sim options
opts = ["preset", "layers", "dim", "heads", "kv_heads", "ffn_dim", "vocab",
        "share", "dtype", "ctx", "embed_dtype"]
rows = []
with open(src, newline="") as f:
    for n, m in enumerate(csv.DictReader(f), start=2):
        args = [lanky, "sim", "--profile", m["profile"], "--mode", "exact",
                "--format", "csv"]
        for k in opts:
            if m.get(k):
                args += ["--" + k.replace("_", "-"), m[k]]
        if m["tied"] == "yes":
            args.append("--tied")
        p = subprocess.run(args, capture_output=True, text=True)
        if p.returncode:
            sys.exit("%s:%d: %s" % (src, n, p.stderr.strip()))
        r = next(csv.DictReader(p.stdout.splitlines()))
        measured = float(m["measured_ms"])
        predicted = float(r["latency_ms_per_token"])
        rows.append([m["profile"], m["model"], r["dtype"], m["measured_ms"],
                     "%.3f" % predicted, "%.3f" % float(r["latency_floor_ms"]),
                     "%.1f" % (round((predicted - measured) / measured * 100, 1) or 0.0),
                     m["calibrated"], m["source"]])
tmp = os.path.join(out, "accuracy_phone.csv.tmp")
with open(tmp, "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(cols)
    w.writerows(rows)
os.replace(tmp, os.path.join(out, "accuracy_phone.csv"))
PY
