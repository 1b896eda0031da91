#!/bin/bash
# Container start-up: `pyoci run --rm IMAGE true` vs `docker run --rm
# --network=host IMAGE true` (and podman where its containers start), side by
# side in one run, on the same image (Debian bookworm + python3, imported by
# pyoci and loaded into a private dockerd).  Each tool runs BENCH_RUNS times
# (default 10, the two alternating) after one untimed warm-up run each; medians and the ratio are
# printed and appended to bench/RESULTS.md with the command, date and machine.
#   bench/run.sh [PYOCI_BIN]       (needs root, runc, dockerd)
# Goal (issue 14): pyoci at least 3x faster than docker.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
source "$TOP/bench/lib.sh"
PYOCI=$(realpath "${1:-$TOP/build/pyoci}")
RUNS=${BENCH_RUNS:-10}
bench_need_root run.sh
bench_need run.sh dockerd docker runc
CACHE=${PYOCI_TEST_CACHE:-/var/cache/pyoci-tests}
ROOTFS=$CACHE/bookworm-python3.tar
if [ ! -s "$ROOTFS" ]; then
  mkdir -p "$CACHE"
  mmdebstrap --quiet --format=tar --variant=minbase --include=python3 bookworm "$ROOTFS.tmp" && mv "$ROOTFS.tmp" "$ROOTFS"
fi

W=$(mktemp -d /tmp/pyoci-bench-run.XXXXXX)
dockerd_pid=""
cleanup() {
  if [ -n "$dockerd_pid" ]; then
    kill "$dockerd_pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$dockerd_pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$dockerd_pid" 2>/dev/null || true
  fi
  for m in $(awk -v w="$W/" 'index($2, w) == 1 { print $2 }' /proc/mounts | sort -r); do umount -l "$m" 2>/dev/null || true; done
  rm -rf "$W"
}
trap cleanup EXIT
export PYOCI_STORE=$W/store
dockerd --iptables=false --bridge=none --data-root "$W/docker/root" --exec-root "$W/docker/exec" \
  -H "unix://$W/docker.sock" --pidfile "$W/dockerd.pid" >"$W/dockerd.log" 2>&1 &
dockerd_pid=$!
export DOCKER_HOST=unix://$W/docker.sock
for _ in $(seq 150); do docker version >/dev/null 2>&1 && break; sleep 0.2; done
docker version >/dev/null

IMG=bench/python:run
"$PYOCI" import -q "$ROOTFS" -t $IMG --change 'CMD ["python3"]' >/dev/null
"$PYOCI" save -o "$W/img.tar" $IMG
docker load -q -i "$W/img.tar" >/dev/null

now() { date +%s.%N; }
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
once() { # CMD...: seconds it took
  local t; t=$(now); "$@" >/dev/null 2>&1; echo "$(now) - $t" | bc
}
timed() { # LABEL CMD...: RUNS timings (after one warm-up), their median on stdout
  local label=$1; shift
  "$@" >/dev/null 2>&1 || { echo "run.sh: $label failed: $*" >&2; return 1; }
  for _ in $(seq "$RUNS"); do once "$@"; done | median
}

# pyoci and docker alternate, run by run: the machine's load (shared with
# other work) then weighs on both alike
"$PYOCI" run --rm $IMG true >/dev/null && docker run --rm --network=host $IMG true >/dev/null
: >"$W/p.times"; : >"$W/d.times"
for _ in $(seq "$RUNS"); do
  once "$PYOCI" run --rm $IMG true >>"$W/p.times"
  once docker run --rm --network=host $IMG true >>"$W/d.times"
done
p=$(median <"$W/p.times")
d=$(median <"$W/d.times")
ratio=$(echo "scale=2; $d / $p" | bc)
podman_cell="not installed"
if command -v podman >/dev/null; then
  printf '[storage]\ndriver = "vfs"\ngraphroot = "%s"\nrunroot = "%s"\n' "$W/podman/root" "$W/podman/run" >"$W/storage.conf"
  export CONTAINERS_STORAGE_CONF=$W/storage.conf
  podman load -q -i "$W/img.tar" >/dev/null 2>&1 || true
  if podman run --rm --network=host $IMG true >/dev/null 2>"$W/podman.err"; then
    pm=$(timed podman podman run --rm --network=host $IMG true)
    podman_cell="$pm s ($(echo "scale=2; $pm / $p" | bc)x pyoci)"
  else
    podman_cell="fails here: $(grep -m1 -o 'rlimit[^"]*\|Error: [^"]*' "$W/podman.err" | head -1 | cut -c1-80)"
  fi
fi
goal=$(echo "$ratio >= 3" | bc)
echo "pyoci run --rm $IMG true:                      median ${p}s over $RUNS runs"
echo "docker run --rm --network=host $IMG true:      median ${d}s over $RUNS runs"
echo "podman run --rm --network=host $IMG true:      $podman_cell"
echo "docker / pyoci: ${ratio}x (goal >= 3x: $([ "$goal" = 1 ] && echo MET || echo MISSED))"

{
  echo
  echo "### run (bench/run.sh), $(date -u '+%Y-%m-%d %H:%M') UTC"
  echo
  echo "Command: \`bench/run.sh build/pyoci\` (BENCH_RUNS=$RUNS, one warm-up each); image: Debian bookworm minbase + python3 (\`pyoci import\`, \`docker load\` of \`pyoci save\`); docker $(docker version --format '{{.Server.Version}}') with --network=host (private dockerd, --bridge=none), runc $(runc --version | head -1 | awk '{print $3}'). Machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)."
  echo
  echo "| date | pyoci run --rm IMG true (s) | docker run --rm --network=host IMG true (s) | docker / pyoci | podman run --rm | goal >= 3x |"
  echo "|---|---:|---:|---:|---|---|"
  echo "| $(date -u '+%Y-%m-%d %H:%M') | $p | $d | ${ratio}x | $podman_cell | $([ "$goal" = 1 ] && echo MET || echo MISSED) |"
} >>"$TOP/bench/RESULTS.md"
