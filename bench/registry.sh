#!/bin/bash
# Registry speed: pyoci pull/push against skopeo copy and docker pull/push,
# side by side in one run, on loopback docker-registry instances (plain
# http), with a ~200 MB 5-layer Python image (Debian bookworm + python3,
# split into 5 gzip layers by bench/mkbenchimage.py).
#   bench/registry.sh [PYOCI_BIN]     (needs root, dockerd, skopeo, docker-registry)
# pull cold  = into an empty store / empty oci: dir / docker with the image removed
# pull cold --check-layers = pyoci reading every layer's entries on the way
#              (inflating them: what the default leaves to the first reader),
#              against the same skopeo and docker runs
# pull warm  = again, every blob already there
# push cold  = to a fresh second registry, started empty for each run on a
#              new port: every blob uploaded by every tool (docker and
#              skopeo remember where they pushed blobs before and would
#              mount them from there instead)
# push warm  = the same push again (every blob already there)
# skopeo's side is `skopeo copy docker://... oci:DIR` and `skopeo copy
# oci:DIR docker://...`; docker's is `docker pull` / `docker push` (which
# unpack into / recompress from its image store: that is what users wait for).
# BENCH_RUNS runs each (default 3); medians and ratios are printed and
# appended to bench/RESULTS.md with the command, date and machine.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
source "$TOP/bench/lib.sh"
PYOCI=$(realpath "${1:-$TOP/build/pyoci}")
RUNS=${BENCH_RUNS:-3}
CACHE=${PYOCI_TEST_CACHE:-/var/cache/pyoci-tests}
bench_need_root registry.sh "dockerd"
bench_need registry.sh dockerd docker skopeo docker-registry python3

W=$(mktemp -d /tmp/pyoci-bench-reg.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]:-}"; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.2; done
  done
  for m in $(awk -v w="$W/" 'index($2, w) == 1 { print $2 }' /proc/mounts | sort -r); do umount -l "$m" 2>/dev/null || true; done
  rm -rf "$W"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

# ---- the image ----
IMG=$CACHE/bench-registry-image
if [ ! -s "$IMG/index.json" ]; then
  rootfs=$CACHE/bookworm-python3.tar
  [ -s "$rootfs" ] || mmdebstrap --quiet --format=tar --variant=minbase --include=python3 bookworm "$rootfs"
  rm -rf "$IMG.tmp"
  python3 "$TOP/bench/mkbenchimage.py" "$rootfs" "$IMG.tmp" >/dev/null
  mv "$IMG.tmp" "$IMG"
fi
img_bytes=$(python3 -c 'import json,sys,os; d=sys.argv[1]; i=json.load(open(d+"/index.json"))["manifests"][0]["digest"][7:]; m=json.load(open(d+"/blobs/sha256/"+i)); print(sum(l["size"] for l in m["layers"]), len(m["layers"]))' "$IMG")

# ---- two registries and a private dockerd ----
start_registry() { # NAME -> sets REG to host:port, REG_PID
  local port; port=$(free_port)
  rm -rf "$W/$1"
  mkdir -p "$W/$1"
  printf 'version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: %s\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:%s\n' \
    "$W/$1/data" "$port" >"$W/$1/config.yml"
  docker-registry serve "$W/$1/config.yml" >"$W/$1/log" 2>&1 &
  REG_PID=$!
  pids+=($REG_PID)
  for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/v2/" && break; sleep 0.1; done
  REG=127.0.0.1:$port
}
start_registry src
SRC=$REG
mkdir -p "$W/docker"
dockerd --iptables=false --bridge=none --data-root "$W/docker/root" --exec-root "$W/docker/exec" \
  -H "unix://$W/docker/docker.sock" --pidfile "$W/docker/pid" >"$W/docker/log" 2>&1 &
pids+=($!)
export DOCKER_HOST="unix://$W/docker/docker.sock"
for _ in $(seq 100); do docker version >/dev/null 2>&1 && break; sleep 0.2; done
docker version >/dev/null 2>&1 || { echo "registry.sh: dockerd did not start" >&2; exit 1; }

# the pull source, and pyoci's push source (untimed)
skopeo copy -q --dest-tls-verify=false "oci:$IMG:bench" "docker://$SRC/py/bench:1" >/dev/null
export PYOCI_STORE=$W/pstore-src
"$PYOCI" copy -q "oci:$IMG:bench" store:bench:1

secs() { # CMD... -> wall seconds
  local s e
  s=$(date +%s%N)
  "$@" >/dev/null 2>&1 || { echo "registry.sh: failed: $*" >&2; exit 1; }
  e=$(date +%s%N)
  python3 -c "print('%.3f' % (($e - $s) / 1e9))"
}
median() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
ratio() { python3 -c "print('%.2f' % ($1 / $2))"; }

declare -A R
run_case() { # CASE TOOL CMD...
  local c=$1 tool=$2; shift 2
  R[$c,$tool]="${R[$c,$tool]:-} $(secs "$@")"
}

for i in $(seq "$RUNS"); do
  # pull, cold
  rm -rf "$W/p" "$W/s" "$W/pc"
  docker rmi -f "$SRC/py/bench:1" >/dev/null 2>&1 || true
  docker image prune -af >/dev/null 2>&1 || true
  sync
  run_case pull_cold pyoci env PYOCI_STORE="$W/p" "$PYOCI" pull -q "$SRC/py/bench:1"
  run_case pull_checked pyoci env PYOCI_STORE="$W/pc" "$PYOCI" pull -q --check-layers "$SRC/py/bench:1"
  run_case pull_cold skopeo skopeo copy -q --src-tls-verify=false "docker://$SRC/py/bench:1" "oci:$W/s:bench"
  run_case pull_cold docker docker pull -q "$SRC/py/bench:1"
  # pull, warm
  run_case pull_warm pyoci env PYOCI_STORE="$W/p" "$PYOCI" pull -q "$SRC/py/bench:1"
  run_case pull_warm skopeo skopeo copy -q --src-tls-verify=false "docker://$SRC/py/bench:1" "oci:$W/s:bench"
  run_case pull_warm docker docker pull -q "$SRC/py/bench:1"
  # push, cold: a fresh, empty second registry
  start_registry "dst$i"
  DST=$REG
  docker tag "$SRC/py/bench:1" "$DST/docker$i/bench:1"
  sync
  run_case push_cold pyoci "$PYOCI" push -q bench:1 "$DST/pyoci$i/bench:1"
  run_case push_cold skopeo skopeo copy -q --dest-tls-verify=false "oci:$IMG:bench" "docker://$DST/skopeo$i/bench:1"
  run_case push_cold docker docker push -q "$DST/docker$i/bench:1"
  # push, warm: the same again
  run_case push_warm pyoci "$PYOCI" push -q bench:1 "$DST/pyoci$i/bench:1"
  run_case push_warm skopeo skopeo copy -q --dest-tls-verify=false "oci:$IMG:bench" "docker://$DST/skopeo$i/bench:1"
  run_case push_warm docker docker push -q "$DST/docker$i/bench:1"
  rm -rf "$W/p" "$W/s" "$W/pc"
  kill "$REG_PID"
  rm -rf "$W/dst$i"
done

load=$(cut -d' ' -f1-3 /proc/loadavg)
dver=$(docker version -f '{{.Server.Version}}')
sver=$(skopeo --version | awk '{print $3}')
table="| case | pyoci median (s) | skopeo median (s) | skopeo / pyoci | docker median (s) | docker / pyoci | target | runs pyoci | runs skopeo | runs docker |
|---|---:|---:|---:|---:|---:|---|---|---|---|"
R[pull_checked,skopeo]=${R[pull_cold,skopeo]}
R[pull_checked,docker]=${R[pull_cold,docker]}
for c in pull_cold pull_checked pull_warm push_cold push_warm; do
  p=$(median ${R[$c,pyoci]}); s=$(median ${R[$c,skopeo]}); d=$(median ${R[$c,docker]})
  rs=$(ratio "$s" "$p"); rd=$(ratio "$d" "$p")
  verdict=">= 1.5x skopeo, ahead of docker: $(python3 -c "print('MET' if $rs >= 1.5 and $rd > 1 else 'MISSED')")"
  name=${c/_/ }
  if [ "$c" = pull_checked ]; then
    name="pull cold --check-layers"
    verdict="no target (skopeo does not read layers; docker unpacks them)"
  fi
  table+="
| $name | $p | $s | ${rs}x | $d | ${rd}x | $verdict |${R[$c,pyoci]} |${R[$c,skopeo]} |${R[$c,docker]} |"
done
echo "$table"
{
  echo
  echo "## Registry pull/push ($(date -u '+%Y-%m-%d %H:%M UTC'))"
  echo
  echo "Command: \`bench/registry.sh ${1:-build/pyoci}\`; a Debian bookworm + python3 image in $(cut -d' ' -f2 <<<"$img_bytes") gzip layers ($(cut -d' ' -f1 <<<"$img_bytes") bytes compressed, bench/mkbenchimage.py), two docker-registry instances on 127.0.0.1 (plain http), wall time, median of $RUNS runs. pyoci --jobs 4 (default), its pull storing verified blobs without reading layer entries (as skopeo; the --check-layers row reads them on the way); skopeo $sver (\`skopeo copy docker://... oci:DIR\`, \`skopeo copy oci:DIR docker://...\`); docker $dver (pull unpacks into overlay2, push recompresses: what a user waits for). Push targets a second registry started empty on a new port for each run, so every tool uploads every blob (docker and skopeo would otherwise mount blobs they remember pushing). Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'). Load average after: $load (other work on the machine makes times noisy)."
  echo
  echo "$table"
} >>"$TOP/bench/RESULTS.md"
