#!/bin/bash
# `make demo`: the article, end to end, with pyoci.
#   1. local Debian-based bases + wheelhouse (make-bases.sh)
#   2. pyoci build of the article's two-stage Dockerfile
#   3. the article's measurement: inspect --format '{{.Size}} {{len .RootFS.Layers}}'
#   4. layer analysis, SBOM, scan, comparison with the base
#   5. the same app assembled distroless from Debian packages and wheels
#      (assemble.yaml: no RUN, no shell, 3 layers)
#   6. both images saved as docker-archives, loaded into a private dockerd,
#      run with --network=host, and asked for / on port 5000
# usage: demo.sh PYOCI_BIN
set -euo pipefail
PYOCI=$(realpath "${1:-build/pyoci}")
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
export PYOCI_STORE=${PYOCI_STORE:-$top/build/demo-store}
work=$(mktemp -d /tmp/pyoci-demo.XXXXXX)
dockerd_pid=""
container=""
cleanup() {
  [ -n "$container" ] && docker rm -f "$container" >/dev/null 2>&1
  if [ -n "$dockerd_pid" ]; then
    kill "$dockerd_pid" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$dockerd_pid" 2>/dev/null || break; sleep 0.2; done
  fi
  # dockerd leaves mounts (netns, overlays) under its dirs: detach them first
  awk -v w="$work" 'index($2, w) == 1 { print $2 }' /proc/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null
  rm -rf "$work" || true
}
trap cleanup EXIT
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "base images and wheelhouse from Debian packages"
"$here/make-bases.sh" "$PYOCI"
"$PYOCI" images

step "pyoci build -t flask-app-python:1.0 (the article's multi-stage Dockerfile)"
"$PYOCI" build -t flask-app-python:1.0 "$here"

step "docker image inspect --format='{{.Size}} {{len .RootFS.Layers}}', pyoci style"
"$PYOCI" inspect --format '{{.Size}} {{len .RootFS.Layers}}' flask-app-python:1.0

step "pyoci layers: what each layer adds"
"$PYOCI" layers flask-app-python:1.0 --top 5

step "pyoci scan (offline; this demo's DB holds only the test fixture advisories in tests/data/osv —"
echo "   run 'pyoci db update' where OSV's archive is reachable for the real ones)"
"$PYOCI" db import "$top/tests/data/osv" --db "$work/vuln.db" >/dev/null
"$PYOCI" scan --db "$work/vuln.db" --dockerfile "$here/Dockerfile" flask-app-python:1.0 || true

step "pyoci compare: the app image and its runtime base"
"$PYOCI" compare --db "$work/vuln.db" flask-app-python:1.0 local/python:3.11-slim

step "pyoci assemble: the same app, distroless, straight from Debian packages + wheels (no RUN, no shell)"
"$PYOCI" assemble -f "$here/assemble.yaml" -t flask-app-distroless:1.0 --lock
"$PYOCI" inspect --format '{{.Size}} {{len .RootFS.Layers}}' flask-app-distroless:1.0
"$PYOCI" assemble -f "$here/assemble.yaml" --explain libssl3
"$PYOCI" compare --db "$work/vuln.db" flask-app-python:1.0 flask-app-distroless:1.0

step "pyoci save --format docker, docker load, docker run"
"$PYOCI" save flask-app-python:1.0 -o "$work/flask-app.tar"
ls -l "$work/flask-app.tar"
if [ "$(id -u)" != 0 ] || ! command -v dockerd >/dev/null; then
  echo "demo: skipping the docker run (needs root and dockerd)"
  exit 0
fi
mkdir -p "$work/docker"
dockerd --iptables=false --bridge=none --data-root "$work/docker/root" --exec-root "$work/docker/exec" \
  -H "unix://$work/docker/sock" --pidfile "$work/docker/pid" >"$work/docker/log" 2>&1 &
dockerd_pid=$!
export DOCKER_HOST=unix://$work/docker/sock
for _ in $(seq 100); do docker version >/dev/null 2>&1 && break; sleep 0.2; done
# serve IMAGE.tar IMAGE: load it, run it, ask for / on port 5000, stop it.
serve() {
  docker load -i "$1"
  container=$(docker run -d --network=host "$2")
  rm -f "$work/answer"
  for _ in $(seq 50); do
    curl -fsS http://127.0.0.1:5000/ >"$work/answer" 2>/dev/null && break
    sleep 0.2
  done
  echo "$2: GET http://127.0.0.1:5000/ -> $(cat "$work/answer")"
  docker rm -f "$container" >/dev/null
  container=""
  [ "$(cat "$work/answer")" = "Hello, World!" ]
}
serve "$work/flask-app.tar" flask-app-python:1.0
"$PYOCI" save flask-app-distroless:1.0 -o "$work/distroless.tar"
serve "$work/distroless.tar" flask-app-distroless:1.0
