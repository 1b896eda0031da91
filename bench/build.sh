#!/bin/bash
# Build speed: the article's two-stage flask example (examples/flask-hello),
# pyoci build vs docker build, each ending in an image tarball
# (`pyoci save` / `docker save`).
#   bench/build.sh [PYOCI_BIN]      (default build/pyoci; needs root, dockerd, mmdebstrap)
# cold = empty build cache: a fresh pyoci store / a fresh dockerd data-root,
#        each holding only the two base images (loaded untimed);
# warm = the same build again, unchanged, on the cache the cold run left.
# BENCH_RUNS runs each (default 3); medians and ratios are printed and
# appended to bench/RESULTS.md with the command, date and machine.
# docker builds with BuildKit (Debian's docker client /usr/bin/docker with
# DOCKER_BUILDKIT=1 and --network=host: the newer client earlier on PATH
# wants buildx) -- the main row, docker's default builder since Docker 23 --
# and with the classic builder (DOCKER_BUILDKIT=0) as a second row.
# Both run on a fresh journaled ext4 made on a loop device for the run
# (BENCH_FS=host: on the host file system instead; BENCH_FS_SIZE, default 24G).
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
source "$TOP/bench/lib.sh"
PYOCI=$(realpath "${1:-$TOP/build/pyoci}")
RUNS=${BENCH_RUNS:-3}
bench_need_root build.sh "RUN steps, dockerd"
bench_need build.sh dockerd docker mmdebstrap
BUILDKIT_DOCKER=${BUILDKIT_DOCKER:-/usr/bin/docker}
[ -x "$BUILDKIT_DOCKER" ] || { echo "build.sh: $BUILDKIT_DOCKER (Debian's docker.io client) missing" >&2; exit 1; }
unset SOURCE_DATE_EPOCH
if [ -z "${PYOCI_EXAMPLE_CACHE:-}" ] && [ -d /var/cache/pyoci-tests/examples ]; then
  export PYOCI_EXAMPLE_CACHE=/var/cache/pyoci-tests/examples
fi

W=$(mktemp -d /tmp/pyoci-bench-build.XXXXXX)
# Both tools work on a fresh, journaled ext4 (a default Debian install's
# file system), made for this run on a loop device.  The host's own file
# system may be in any state: this VM's root ext4 has no journal, and
# without one ext4 will not reuse an inode freed in the last 1-6 minutes,
# scanning past each of them on every file it creates -- a build right after
# a large delete (the test suite, a previous run) took 2.5 s instead of 1.5.
# BENCH_FS=host keeps everything on the host file system instead.
FS_NOTE="the host file system ($(df --output=fstype "$W" | tail -1))"
fs_mounted=""
if [ "${BENCH_FS:-loop}" = loop ]; then
  command -v mkfs.ext4 >/dev/null && command -v losetup >/dev/null ||
    { echo "build.sh: mkfs.ext4/losetup missing (or set BENCH_FS=host)" >&2; exit 1; }
  truncate -s "${BENCH_FS_SIZE:-24G}" "$W.img"
  mkfs.ext4 -q -F "$W.img"
  mount -o loop "$W.img" "$W"
  fs_mounted=1
  FS_NOTE="a fresh journaled ext4 on a loop device (mkfs.ext4 defaults, sparse ${BENCH_FS_SIZE:-24G} file on the host disk)"
fi
dockerd_pid=""
stop_dockerd() {
  [ -n "$dockerd_pid" ] || return 0
  kill "$dockerd_pid" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$dockerd_pid" 2>/dev/null || break; sleep 0.2; done
  kill -9 "$dockerd_pid" 2>/dev/null || true
  dockerd_pid=""
  for m in $(awk -v w="$W/" 'index($2, w) == 1 { print $2 }' /proc/mounts | sort -r); do umount "$m" 2>/dev/null || true; done
}
cleanup() {
  stop_dockerd
  if [ -n "$fs_mounted" ]; then
    umount "$W" 2>/dev/null || umount -l "$W"
    rm -f "$W.img"
  fi
  rm -rf "$W"
}
trap cleanup EXIT
# start_dockerd DIR: a private dockerd (no iptables, no bridge), as tests/run.sh does
start_dockerd() {
  local d=$1
  mkdir -p "$d"
  dockerd --iptables=false --bridge=none --data-root "$d/root" --exec-root "$d/exec" \
    -H "unix://$d/sock" --pidfile "$d/pid" >"$d/log" 2>&1 &
  dockerd_pid=$!
  export DOCKER_HOST=unix://$d/sock
  for _ in $(seq 150); do docker version >/dev/null 2>&1 && return 0; sleep 0.2; done
  echo "build.sh: dockerd did not start:" >&2
  tail -5 "$d/log" >&2
  exit 1
}
now() { date +%s.%N; }
# Untimed, before every timed run of either tool: write back what earlier
# runs left dirty, so no run pays for its predecessor's writeback.
settle() { sync; }
log() { echo "# $*" >&2; }

# The example, its bases and wheelhouse (mmdebstrap, cached).
cp -a "$TOP/examples/flask-hello" "$W/ctx"
rm -rf "$W/ctx/wheels"
PYOCI_STORE=$W/bases-store "$W/ctx/make-bases.sh" "$PYOCI" >&2
PYOCI_STORE=$W/bases-store "$PYOCI" save -o "$W/bases.tar" local/python:3.11 local/python:3.11-slim
cat "$W/bases.tar" >/dev/null
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- pyoci ----
pyoci_once() { # STORE: build + save, prints seconds
  local t0 t1
  settle
  t0=$(now)
  PYOCI_STORE=$1 "$PYOCI" build -q -t flask-app-python:1.0 "$W/ctx" >/dev/null
  PYOCI_STORE=$1 "$PYOCI" save -o "$W/pyoci-app.tar" flask-app-python:1.0
  t1=$(now)
  calc "$t1 - $t0"
}
# The same in one command: build -o type=docker writes the tarball itself.
pyoci_once_o() { # STORE
  local t0 t1
  settle
  t0=$(now)
  PYOCI_STORE=$1 "$PYOCI" build -q -t flask-app-python:1.0 -o "type=docker,dest=$W/pyoci-app.tar" "$W/ctx" >/dev/null
  t1=$(now)
  calc "$t1 - $t0"
}
# docker load unpacks the bases into overlay2, and so does pyoci load (into
# its lower-dir cache, two layers at a time): "cold" starts from there, as
# docker's does.  "cold, load --no-unpack" leaves the unpacking to the
# first build, inside the timed run.
# On the host's journal-less ext4, stores are removed only at the end: there
# ext4 allocates inodes slowly next to many just-deleted ones, which would
# charge one run for the previous one (done_with below).
# On the fresh journaled ext4 a store is removed as soon as its run is
# timed, as docker's data-root is: keeping them all made every run from the
# third on twice as slow (writes into page cache the VM had never touched,
# perf: copy_folio_from_iter_atomic, clear_page), while docker's runs came
# after the deletes.  On the host's journal-less ext4 deleting right before a
# run costs more (see above), so there they stay until the end.
done_with() { [ -n "$fs_mounted" ] && rm -rf "$1"; return 0; }
P_COLD=()
P_PRIMED=()
P_WARM=()
for i in $(seq "$RUNS"); do
  s=$W/pstore-nounpack-$i
  PYOCI_STORE=$s "$PYOCI" load --no-unpack -q -i "$W/bases.tar" >/dev/null
  P_PRIMED+=("$(pyoci_once "$s")")
  log "pyoci cold run $i, bases loaded with --no-unpack: ${P_PRIMED[-1]} s"
  done_with "$s"
  s=$W/pstore-$i
  PYOCI_STORE=$s "$PYOCI" load -q -i "$W/bases.tar" >/dev/null
  P_COLD+=("$(pyoci_once "$s")")
  log "pyoci cold run $i: ${P_COLD[-1]} s"
  [ "$i" = "$RUNS" ] || done_with "$s"
done
P_WARM_O=()
for i in $(seq "$RUNS"); do
  P_WARM+=("$(pyoci_once "$W/pstore-$RUNS")")
  log "pyoci warm run $i: ${P_WARM[-1]} s"
  P_WARM_O+=("$(pyoci_once_o "$W/pstore-$RUNS")")
  log "pyoci warm run $i, build -o: ${P_WARM_O[-1]} s"
done
P_SIZE=$(stat -c %s "$W/pyoci-app.tar")
P_CACHED=$(PYOCI_STORE=$W/pstore-$RUNS "$PYOCI" build -t flask-app-python:1.0 "$W/ctx" 2>&1 | grep -c '^  CACHED$' || true)
rm -rf "$W"/pstore-*

# ---- docker: BuildKit, then the classic builder ----
docker_once() { # MODE: build + save, prints seconds
  local t0 t1
  settle
  t0=$(now)
  if [ "$1" = buildkit ]; then
    DOCKER_BUILDKIT=1 "$BUILDKIT_DOCKER" build --network=host -q -t flask-app-docker:1.0 "$W/ctx" >/dev/null
  else
    DOCKER_BUILDKIT=0 docker build -q -t flask-app-docker:1.0 "$W/ctx" >/dev/null
  fi
  docker save -o "$W/docker-app.tar" flask-app-docker:1.0
  t1=$(now)
  calc "$t1 - $t0"
}
# docker_runs MODE: cold runs on fresh data-roots, then warm ones on the
# last; sets D_COLD and D_WARM
docker_runs() {
  D_COLD=()
  D_WARM=()
  for i in $(seq "$RUNS"); do
    start_dockerd "$W/docker-$1-$i"
    docker load -q -i "$W/bases.tar" >/dev/null
    docker builder prune -af >/dev/null
    D_COLD+=("$(docker_once "$1")")
    log "docker ($1) cold run $i: ${D_COLD[-1]} s"
    if [ "$i" != "$RUNS" ]; then
      stop_dockerd
      rm -rf "$W/docker-$1-$i"
    fi
  done
  for i in $(seq "$RUNS"); do
    D_WARM+=("$(docker_once "$1")")
    log "docker ($1) warm run $i: ${D_WARM[-1]} s"
  done
  stop_dockerd
  rm -rf "$W/docker-$1-$RUNS"
}
docker_runs buildkit
B_COLD=("${D_COLD[@]}")
B_WARM=("${D_WARM[@]}")
B_SIZE=$(stat -c %s "$W/docker-app.tar")
docker_runs classic
D_SIZE=$(stat -c %s "$W/docker-app.tar")
D_VERSION=$(dockerd --version | sed 's/^Docker version //; s/,.*//')
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

PC=$(printf '%s\n' "${P_COLD[@]}" | median)
PP=$(printf '%s\n' "${P_PRIMED[@]}" | median)
PW=$(printf '%s\n' "${P_WARM[@]}" | median)
PWO=$(printf '%s\n' "${P_WARM_O[@]}" | median)
DC=$(printf '%s\n' "${D_COLD[@]}" | median)
DW=$(printf '%s\n' "${D_WARM[@]}" | median)
BC=$(printf '%s\n' "${B_COLD[@]}" | median)
BW=$(printf '%s\n' "${B_WARM[@]}" | median)
verdict() { [ "$(awk "BEGIN { print ($1 >= $2) }")" = 1 ] && echo MET || echo MISSED; }
runs() { printf '%.3f ' "$@"; }
row() { # CASE PYOCI-MEDIAN DOCKER-MEDIAN TARGET PYOCI-RUNS DOCKER-RUNS
  local r
  r=$(calc "$3 / $2")
  printf '| %s | %.3f | %.3f | %.2fx | >= %sx: %s | %s| %s|\n' "$1" "$2" "$3" "$r" "$4" "$(verdict "$r" "$4")" "$5" "$6"
}
TABLE=$(
  printf '| case | pyoci median (s) | docker build median (s) | docker / pyoci | target | runs pyoci (s) | runs docker (s) |\n'
  printf '|---|---:|---:|---:|---|---|---|\n'
  row "cold vs BuildKit" "$PC" "$BC" 2.5 "$(runs "${P_COLD[@]}")" "$(runs "${B_COLD[@]}")"
  row "cold, bases loaded with --no-unpack (unpacked in the timed build), vs BuildKit" "$PP" "$BC" 2.5 "$(runs "${P_PRIMED[@]}")" "$(runs "${B_COLD[@]}")"
  row "warm vs BuildKit" "$PW" "$BW" 15 "$(runs "${P_WARM[@]}")" "$(runs "${B_WARM[@]}")"
  row "warm, one command (pyoci build -o type=docker,dest=F), vs BuildKit" "$PWO" "$BW" 15 "$(runs "${P_WARM_O[@]}")" "$(runs "${B_WARM[@]}")"
  row "cold vs the classic builder" "$PC" "$DC" 2 "$(runs "${P_COLD[@]}")" "$(runs "${D_COLD[@]}")"
  row "warm vs the classic builder" "$PW" "$DW" 5 "$(runs "${P_WARM[@]}")" "$(runs "${D_WARM[@]}")"
)
NOTE="docker: $D_VERSION; BuildKit = Debian's client with DOCKER_BUILDKIT=1 --network=host (BuildKit v0.8 inside dockerd 20.10), classic = DOCKER_BUILDKIT=0."
echo "$NOTE"
echo "file system: $FS_NOTE"
echo "$TABLE"
echo "image tarballs (docker-archive, uncompressed layers): pyoci save $P_SIZE bytes, docker save (BuildKit) $B_SIZE bytes, (classic) $D_SIZE bytes; warm pyoci rebuild: $P_CACHED steps CACHED"
{
  echo
  echo "## build.sh — $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "Command: \`${BENCH_FS:+BENCH_FS=$BENCH_FS }bench/build.sh ${1:-build/pyoci}\`; the flask example (examples/flask-hello, two stages, pip" \
    "install from a local wheelhouse), build + save to an image tarball, wall time, median of $RUNS runs." \
    "Cold: fresh pyoci store / fresh dockerd data-root holding only the two bases (loaded untimed;" \
    "\`docker builder prune -af\` too). Warm: unchanged rebuild on the cold run's cache." \
    "$NOTE Both on $FS_NOTE. Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')." \
    "Load average before/after: $LOAD_BEFORE / $LOAD_AFTER (other work on the machine makes times noisy)." \
    "Tarballs (docker-archive, layers uncompressed): pyoci $P_SIZE bytes, docker with BuildKit $B_SIZE bytes, classic $D_SIZE bytes." \
    "docker load and pyoci load both unpack the bases (untimed); the '--no-unpack' row loads the blobs only, so the" \
    "first build unpacks them inside the timed run."
  echo
  echo "$TABLE"
} >>"$TOP/bench/RESULTS.md"
