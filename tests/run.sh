#!/bin/bash
# Run the whole suite under prove: C unit tests (TAP binaries) and shell
# integration tests (TAP scripts).  Starts the services the integration tests
# share (dockerd on a private socket, a loopback registry) and stops them by
# PID when done.  Usage: tests/run.sh [BUILD_DIR] [TEST...]
set -uo pipefail
cd "$(dirname "$0")/.."
O=${1:-build}
shift || true
export PYOCI_BIN=$PWD/$O/pyoci
export PYOCI_TOP=$PWD
export PYOCI_TEST_CACHE=${PYOCI_TEST_CACHE:-/var/cache/pyoci-tests}
mkdir -p "$PYOCI_TEST_CACHE" 2>/dev/null || export PYOCI_TEST_CACHE=$PWD/$O/test-cache

svc=$(mktemp -d /tmp/pyoci-svc.XXXXXX)
cleanup() {
  for pidfile in "$svc"/*.pid; do
    [ -f "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    kill "$pid" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$pid" 2>/dev/null
  done
  # dockerd leaves mounts (netns, overlays) under its dirs: detach them first
  awk -v w="$svc" 'index($2, w) == 1 { print $2 }' /proc/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null
  rm -rf "$svc" 2>/dev/null
}
trap cleanup EXIT

# dockerd: only as root, only if installed; tests that need it skip with a
# printed reason otherwise.
if [ "$(id -u)" = 0 ] && command -v dockerd >/dev/null && [ -z "${PYOCI_NO_DOCKER:-}" ]; then
  mkdir -p "$svc/docker"
  dockerd --iptables=false --bridge=none --data-root "$svc/docker/root" --exec-root "$svc/docker/exec" \
    -H "unix://$svc/docker/docker.sock" --pidfile "$svc/docker/dockerd.pidfile" \
    >"$svc/docker/log" 2>&1 &
  echo $! >"$svc/dockerd.pid"
  export DOCKER_HOST="unix://$svc/docker/docker.sock"
  for _ in $(seq 100); do docker version >/dev/null 2>&1 && break; sleep 0.2; done
  if docker version >/dev/null 2>&1; then
    export PYOCI_TEST_DOCKER=1
  else
    echo "# dockerd did not start; docker interop tests will skip. Log:" >&2
    tail -5 "$svc/docker/log" >&2
  fi
fi

shopt -s nullglob
if [ $# -gt 0 ]; then
  tests=("$@")
else
  tests=("$O"/tests/unit/test_* tests/integration/t*.sh)
fi
# build outputs beside the unit-test binaries are not tests
mapfile -t tests < <(printf '%s\n' "${tests[@]}" | grep -v '\.[od]$' | xargs -r realpath)
state=$(mktemp -d /tmp/pyoci-prove.XXXXXX)
cp -f /dev/null "$state/.prove" 2>/dev/null
(cd "$state" && prove --exec '' --timer --state=save "${tests[@]}") | tee "$state/summary"
rc=${PIPESTATUS[0]}
if [ $rc != 0 ]; then
  # Show why: the failed files again, verbose, only their failing lines;
  # then the first run's verdict again, so the log ends with it.
  echo "# --- failed tests, verbose (re-run) ---"
  (cd "$state" && prove --exec '' -v --state=failed 2>&1 | grep -v '^ok ' | head -400)
  echo "# --- verdict of the full run ---"
  sed -n '/^Test Summary Report/,$p' "$state/summary"
fi
rm -rf "$state"
exit $rc
