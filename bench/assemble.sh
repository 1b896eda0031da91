#!/bin/bash
# Assembling a Python runtime image from Debian packages, side by side:
#   pyoci assemble -f examples/flask-hello/assemble.yaml  (python3.11 + the
#     Flask stack's wheels + app.py, a 3-layer image in the store)
#   mmdebstrap --variant=minbase --include=python3,python3-flask bookworm OUT.tar
# Cases (wall time, median of BENCH_RUNS, default 3):
#   pyoci warm   --locked, every .deb in the cache (a fresh store each run)
#   pyoci warm, same store   --locked again into the store of the previous
#                run: the OS layer is found in the store (cache/assemble)
#   pyoci warm, resolving   no lock: InRelease fetched and verified, indexes from the cache
#   pyoci cold   an empty cache: InRelease, Packages.xz and every .deb downloaded
#   mmdebstrap   as it comes (it downloads what it installs on every run)
# Goal: warm <= 3 s and >= 10x faster than mmdebstrap.  Appends to bench/RESULTS.md.
#   bench/assemble.sh [PYOCI_BIN]   (needs root for mmdebstrap, deb.debian.org reachable)
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
source "$TOP/bench/lib.sh"
PYOCI=$(realpath "${1:-$TOP/build/pyoci}")
RUNS=${BENCH_RUNS:-3}
bench_need_root assemble.sh "mmdebstrap"
command -v mmdebstrap >/dev/null || { echo "assemble.sh: mmdebstrap not installed" >&2; exit 1; }
if [ -z "${PYOCI_EXAMPLE_CACHE:-}" ] && [ -d /var/cache/pyoci-tests/examples ]; then
  export PYOCI_EXAMPLE_CACHE=/var/cache/pyoci-tests/examples
fi
W=$(mktemp -d /tmp/pyoci-bench-assemble.XXXXXX)
trap 'rm -rf "$W"' EXIT
export SOURCE_DATE_EPOCH=1700000000
ex=$W/flask-hello
cp -a "$TOP/examples/flask-hello" "$ex"
rm -f "$ex/image.lock.json"
"$ex/make-bases.sh" "$PYOCI" >/dev/null 2>&1 # the wheelhouse (untimed)
now() { date +%s.%N; }
timed() { local t0; t0=$(now); "$@" >/dev/null 2>"$W/err" || { cat "$W/err" >&2; exit 1; }; calc "$(now) - $t0"; }
# A network hiccup fails mmdebstrap's apt-get update now and then: time the
# attempt that succeeds (at most 3).
timed_retry() {
  local t0 try
  for try in 1 2 3; do
    t0=$(now)
    if "$@" >/dev/null 2>"$W/err"; then calc "$(now) - $t0"; return; fi
    echo "assemble.sh: attempt $try of '$*' failed: $(tail -1 "$W/err")" >&2
  done
  exit 1
}
assemble() { # CACHE STORE ARGS...
  local cache=$1 store=$2; shift 2
  XDG_CACHE_HOME=$cache "$PYOCI" --store "$store" assemble -q -f "$ex/assemble.yaml" -t bench:1 "$@"
}
# mmdebstrap (apt-key, as _apt) needs a working /dev/null.  When the host's
# has been broken (a regular file: seen on this shared machine), give it a
# private one in its own mount namespace; the host's /dev is not touched.
mmdebstrap_run() {
  if [ -c /dev/null ]; then
    mmdebstrap --quiet --variant=minbase --include=python3,python3-flask bookworm "$1"
  else
    [ -c "$W/null" ] || { mknod -m 666 "$W/null" c 1 3; }
    unshare -m --propagation private sh -c 'mount --bind "$0" /dev/null && exec mmdebstrap --quiet --variant=minbase --include=python3,python3-flask bookworm "$1"' "$W/null" "$1"
  fi
}
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
# Prime: the lock and a full cache (untimed).
assemble "$W/warm-cache" "$W/prime-store" --lock >/dev/null
P_WARM=() P_SAME=() P_RES=() P_COLD=() M=()
for i in $(seq "$RUNS"); do
  P_SAME+=("$(timed assemble "$W/warm-cache" "$W/prime-store" --locked)")
  P_WARM+=("$(timed assemble "$W/warm-cache" "$W/s-$i" --locked)"); rm -rf "$W/s-$i"
  P_RES+=("$(timed assemble "$W/warm-cache" "$W/s-$i")"); rm -rf "$W/s-$i"
  P_COLD+=("$(timed assemble "$W/cold-$i" "$W/s-$i" --lock)"); rm -rf "$W/s-$i" "$W/cold-$i"
  M+=("$(timed_retry mmdebstrap_run "$W/mm-$i.tar")")
  rm -f "$W/mm-$i.tar"
done
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
PW=$(printf '%s\n' "${P_WARM[@]}" | median)
PS=$(printf '%s\n' "${P_SAME[@]}" | median)
PR=$(printf '%s\n' "${P_RES[@]}" | median)
PC=$(printf '%s\n' "${P_COLD[@]}" | median)
MM=$(printf '%s\n' "${M[@]}" | median)
ratio() { calc "$MM / $1"; }
verdict() { awk -v r="$(ratio "$1")" -v t="$1" 'BEGIN { print (r >= 10 && t <= 3) ? "MET" : "MISSED" }'; }
size=$(XDG_CACHE_HOME=$W/warm-cache "$PYOCI" --store "$W/size-store" assemble -q -f "$ex/assemble.yaml" -t bench:1 --locked >/dev/null &&
  "$PYOCI" --store "$W/size-store" inspect --format '{{.Size}}' bench:1)
fmt() { printf '%.2f' "$1"; }
runs() { local s=""; for v in "$@"; do s="$s $(fmt "$v")"; done; echo "${s# }"; }
table="| case | pyoci median (s) | mmdebstrap median (s) | mmdebstrap / pyoci | goal | runs pyoci (s) | runs mmdebstrap (s) |
|---|---:|---:|---:|---|---|---|
| warm (--locked, .debs cached, fresh store) | $(fmt "$PW") | $(fmt "$MM") | $(fmt "$(ratio "$PW")")x | <= 3 s and >= 10x: $(verdict "$PW") | $(runs "${P_WARM[@]}") | $(runs "${M[@]}") |
| warm, same store (OS layer found in the store) | $(fmt "$PS") | $(fmt "$MM") | $(fmt "$(ratio "$PS")")x | <= 3 s and >= 10x: $(verdict "$PS") | $(runs "${P_SAME[@]}") | |
| warm, resolving (InRelease fetched, indexes cached) | $(fmt "$PR") | $(fmt "$MM") | $(fmt "$(ratio "$PR")")x | | $(runs "${P_RES[@]}") | |
| cold (empty cache: indexes and .debs downloaded) | $(fmt "$PC") | $(fmt "$MM") | $(fmt "$(ratio "$PC")")x | | $(runs "${P_COLD[@]}") | |"
echo "$table"
{
  echo
  echo "## assemble: pyoci assemble vs mmdebstrap ($(date -u '+%Y-%m-%d %H:%M UTC'))"
  echo
  echo "Command: \`bench/assemble.sh ${1:-build/pyoci}\`.  pyoci: \`pyoci assemble -f examples/flask-hello/assemble.yaml\` (bookworm + bookworm-security python3.11, install-info, the Flask stack's 6 wheels, app.py; 3 layers into a fresh store, $size bytes); mmdebstrap: \`mmdebstrap --variant=minbase --include=python3,python3-flask bookworm OUT.tar\` (apt's sources on this machine, deb.debian.org).  Wall time, median of $RUNS runs.  Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //').  Load average before/after: $LOAD_BEFORE / $LOAD_AFTER (other helpers' builds and tests run on the same 2 cores)."
  echo
  echo "$table"
} >>"$TOP/bench/RESULTS.md"
