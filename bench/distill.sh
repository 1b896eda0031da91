#!/bin/bash
# pyoci distill on the article's Flask example (examples/flask-hello, app on
# $PORT): wall time of the distill (trace + import graph + ELF closure +
# verify + write), the result's size against the original's and against the
# floor -- the files the run itself opened, which is what a trace-only tool
# (SlimToolkit) keeps at best.  SlimToolkit itself is not installable here
# (no GitHub/Docker Hub), so its published Flask result is quoted, not run.
#   bench/distill.sh [PYOCI_BIN]    (needs root, mmdebstrap; BENCH_RUNS, default 3)
# Appends a row to bench/RESULTS.md with the command, date and machine.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
source "$TOP/bench/lib.sh"
PYOCI=$(realpath "${1:-$TOP/build/pyoci}")
RUNS=${BENCH_RUNS:-3}
bench_need_root distill.sh
export PYOCI_EXAMPLE_CACHE=${PYOCI_EXAMPLE_CACHE:-/var/cache/pyoci-tests/examples}
W=$(mktemp -d /tmp/pyoci-bench-distill.XXXXXX)
trap 'rm -rf "$W"' EXIT
export PYOCI_STORE=$W/store
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cp -a "$TOP/examples/flask-hello" "$W/ex" && rm -rf "$W/ex/wheels"
"$W/ex/make-bases.sh" "$PYOCI" >/dev/null 2>&1
sed -i -e '1i import os' -e "s/port=5000/port=int(os.environ['PORT'])/" "$W/ex/app.py"
sed -i "s|^CMD |ENV PORT=$port\nCMD |" "$W/ex/Dockerfile"
"$PYOCI" build -q -t flask-app:1 "$W/ex" >/dev/null

times=()
for i in $(seq "$RUNS"); do
  s=$(date +%s.%N)
  "$PYOCI" distill -q flask-app:1 -t "flask-app:d$i" --probe "http://127.0.0.1:$port/" --report "$W/r.json"
  e=$(date +%s.%N)
  times+=("$(printf '%.2f' "$(echo "$e - $s" | bc)")")
done
median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
orig=$("$PYOCI" inspect --format '{{.Size}}' flask-app:1)
size=$("$PYOCI" inspect --format '{{.Size}}' flask-app:d1)
read -r floor floor_kept kept_files traced_files orig_files phases < <(python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
t = r["timings"]
print(r["traced"]["bytes"], r["traced"]["kept_bytes"], r["kept"]["files"], r["traced"]["files"], r["original"]["files"],
      "/".join("%.1f" % t[k] for k in ("trace", "closure", "verify", "write")))' "$W/r.json")
comp=$("$PYOCI" save -o "$W/d.tar" flask-app:d1 && gzip -c "$W/d.tar" | wc -c)
mb() { echo "scale=1; $1 / 1000000" | bc; }
ratio() { printf '%.2fx' "$(echo "scale=4; $1 / $2" | bc)"; }
row="| $(date -u '+%Y-%m-%d %H:%M') | $median ($(echo "${times[@]}")) | $phases | $(mb "$orig") MB, $orig_files files | $(mb "$size") MB, $kept_files files | $(mb "$floor") MB, $traced_files files ($(mb "$floor_kept") MB kept) | $(ratio "$size" "$orig") | $(ratio "$size" "$floor") | $(mb "$comp") MB |"
echo "distill time (s) median ($RUNS runs): $median; trace/closure/verify/write of the last run: $phases"
echo "original $(mb "$orig") MB, distilled $(mb "$size") MB ($size bytes), trace floor $(mb "$floor") MB ($(mb "$floor_kept") MB of it kept), distilled gzip $(mb "$comp") MB"
load=$(cut -d' ' -f1-3 /proc/loadavg)
{
  echo
  echo "### distill (bench/distill.sh), $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "Command: \`bench/distill.sh ${1:-build/pyoci}\`; the Flask example (ENV PORT), \`pyoci distill --probe http://127.0.0.1:PORT/\`: trace, import graph, ELF closure, verify, write.  Sizes as \`pyoci inspect --format '{{.Size}}'\` (= docker's).  Floor = the files the run opened (a trace-only tool keeps no less); distill leaves out the part that is bytecode whose source it keeps.  SlimToolkit is not installable here; its published Flask-on-Alpine result is 65.4 MB -> 16.7 MB (0.26x).  Machine: $(nproc) cores, load $load."
  echo
  echo "| date | distill (s) median (runs) | trace/closure/verify/write (s), last run | original | distilled | trace floor | distilled / original | distilled / floor | distilled, docker-archive gzip |"
  echo "|---|---|---|---|---|---|---:|---:|---|"
  echo "$row"
} >>"$TOP/bench/RESULTS.md"
