#!/bin/bash
# Issue 9 item 4: costs an attacker (or a big project) controls must grow
# linearly.  Each case runs at today's size and at 10x; the ratio of the two
# times is printed (10 = linear, 100 = quadratic).  pyoci only: the peers
# do not have these code paths (docker's classic builder commits a layer per
# ENV, so a side-by-side time would measure something else).
#   bench/scaling.sh [PYOCI]     (as root; appends to bench/RESULTS.md with --record)
set -euo pipefail
PYOCI=${1:-$(cd "$(dirname "$0")/.." && pwd)/build/pyoci}
RECORD=${2:-}
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
T=$(mktemp -d /tmp/pyoci-scaling.XXXXXX)
trap 'rm -rf "$T"' EXIT
export PYOCI_STORE=$T/store
cd "$T"

mkdir -p root/bin && cp /bin/busybox root/bin/ && ln -s busybox root/bin/sh
SOURCE_DATE_EPOCH=1700000000 "$PYOCI" import root -t bb:1 >/dev/null

secs() { # secs CMD...: wall seconds
  local s e
  s=$(date +%s.%N)
  "$@" >/dev/null 2>&1 || { echo "FAILED: $*" >&2; return 1; }
  e=$(date +%s.%N)
  echo "$e - $s" | bc
}
rows=()
row() { # row NAME N1 T1 N10 T10: per-item times and the ratio
  local ratio p1 p10
  local t1 t10
  ratio=$(printf '%.1f' "$(echo "scale=3; $5 / $3" | bc)")
  p1=$(printf '%.2f' "$(echo "scale=3; $3 * 1000000 / $2" | bc)")
  p10=$(printf '%.2f' "$(echo "scale=3; $5 * 1000000 / $4" | bc)")
  t1=$(printf '%.3f' "$3") t10=$(printf '%.3f' "$5")
  rows+=("| $1 | $2 | $t1 | $p1 | $4 | $t10 | $p10 | ${ratio}x |")
  echo "$1: n=$2 ${t1}s (${p1} us each), n=$4 ${t10}s (${p10} us each), ratio ${ratio}x (10x = linear)"
}

# N distinct ENV or ARG instructions (issue 9 item 4: ENV was O(N^3), then
# O(N^2)).  9,990 is the most a Dockerfile may hold (10,000 instructions).
env_df() { # env_df N KIND DIR
  mkdir -p "$3"
  python3 - "$1" "$2" >"$3/Dockerfile" <<'PY'
import sys
n, kind = int(sys.argv[1]), sys.argv[2]
print("FROM bb:1")
for i in range(n):
    print({"env": f"ENV V{i}=x{i}", "env-ref": f"ENV V{i}=${{PATH}}{i}",
           "arg": f"ARG A{i}=x{i}", "arg-env": f"ARG A{i}=${{V{i - 1}:-x}}" if i % 2 else f"ENV V{i}=$A{i - 1}"}[kind])
PY
}
for spec in "ENV (no \$ references):env" "ENV each using \$PATH:env-ref" "ARG:arg" "ARG and ENV alternating, each using the previous:arg-env"; do
  name=${spec%%:*}; kind=${spec#*:}
  env_df 999 "$kind" e1; env_df 9990 "$kind" e10
  t1=$(secs "$PYOCI" build -q --no-cache -t e:1 e1)
  t10=$(secs "$PYOCI" build -q --no-cache -t e:10 e10)
  row "$name" 999 "$t1" 9990 "$t10"
done

# .dockerignore: one pattern line of 100 KiB and of 1 MiB (the size limit)
mkdir -p di && printf 'FROM bb:1\nCOPY . /x\n' >di/Dockerfile && for i in $(seq 20); do echo "$i" >"di/f$i"; done
python3 -c "print('a' * 104000)" >di/.dockerignore
t1=$(secs "$PYOCI" build -q --no-cache -t di:1 di)
python3 -c "print('a' * 1040000)" >di/.dockerignore
t10=$(secs "$PYOCI" build -q --no-cache -t di:1 di)
row ".dockerignore literal pattern (bytes)" 104000 "$t1" 1040000 "$t10"

# fsck/prune over a store of N distinct images (one shared layer each)
mkstore() { # mkstore DIR N
  python3 - "$1" "$2" <<'PY'
import hashlib, json, os, sys
root, n = sys.argv[1], int(sys.argv[2])
b = os.path.join(root, "blobs", "sha256"); os.makedirs(b, exist_ok=True); os.makedirs(os.path.join(root, "tmp"), exist_ok=True)
def put(data):
    d = hashlib.sha256(data).hexdigest()
    open(os.path.join(b, d), "wb").write(data)
    return d, len(data)
import io, tarfile
buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode="w") as t:
    ti = tarfile.TarInfo("f"); ti.size = 1; t.addfile(ti, io.BytesIO(b"x"))
layer = buf.getvalue(); ld, ls = put(layer)
mans = []
for i in range(n):
    cfg = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Env": [f"I={i}"]},
                      "rootfs": {"type": "layers", "diff_ids": ["sha256:" + ld]}}).encode()
    cd, cs = put(cfg)
    man = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                      "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "sha256:" + cd, "size": cs},
                      "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": "sha256:" + ld, "size": ls}]}).encode()
    md, ms = put(man)
    mans.append({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:" + md, "size": ms,
                 "annotations": {"org.opencontainers.image.ref.name": f"img{i}:1"}})
open(os.path.join(root, "oci-layout"), "w").write('{"imageLayoutVersion":"1.0.0"}')
open(os.path.join(root, "index.json"), "w").write(json.dumps({"schemaVersion": 2, "manifests": mans}))
PY
}
mkstore s1 2000; mkstore s10 20000
t1=$(PYOCI_STORE=$T/s1 secs "$PYOCI" fsck)
t10=$(PYOCI_STORE=$T/s10 secs "$PYOCI" fsck)
row "fsck, images in the store" 2000 "$t1" 20000 "$t10"
t1=$(PYOCI_STORE=$T/s1 secs "$PYOCI" prune -f)
t10=$(PYOCI_STORE=$T/s10 secs "$PYOCI" prune -f)
row "prune, images in the store" 2000 "$t1" 20000 "$t10"
t1=$(PYOCI_STORE=$T/s1 secs "$PYOCI" rmi img0:1)
t10=$(PYOCI_STORE=$T/s10 secs "$PYOCI" rmi img0:1)
row "rmi of one image, images in the store" 2000 "$t1" 20000 "$t10"

if [ "$RECORD" = --record ]; then
  out=$BENCH_DIR/RESULTS.md
  {
    echo
    echo "## scaling.sh — $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo
    echo "Command: \`nice -n 10 bench/scaling.sh build/pyoci --record\` (issue 9 item 4) at $(git -C "$BENCH_DIR" rev-parse --short HEAD); machine: $(nproc) cores shared with other helpers, load average before/after: $LOAD0 / $(cut -d' ' -f1-3 /proc/loadavg). One run each, wall time; per item = time / n."
    echo
    echo "| case | n | time (s) | per item (us) | 10x n | time (s) | per item (us) | ratio (10 = linear) |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|"
    printf '%s\n' "${rows[@]}"
  } >>"$out"
fi
