#!/bin/bash
# pyoci layers: dive's numbers and CI rules on an image with a deliberately
# wasteful layer (a file rewritten in the next layer, a directory deleted by
# a whiteout), and Docker's Size of the same layers via pyoci inspect.
# The image is written straight into the store, so no daemon is needed.
source "$(dirname "$0")/lib.sh"

# Three layers (tar header sizes in brackets; hand-computed expectations):
#  L0: app/ big[100000] keep[1000] link->"big"[0] cache/ cache/a[5000]
#  L1: app/ big[100000] (new content: the first copy is now waste)
#  L2: app/ .wh.cache  (deletes the directory)
# dive, per path over leaves: /app/big cum 200000 min 100000 (2 layers),
# /app/keep 1000, /app/link 0, /app/cache/a 5000, /app/cache (whiteout of a
# directory = its subtree below: 5000) -> efficiency 111000/211000,
# wasted = 200000, user bytes = L1 + L2 = 100000 -> user wasted 2.
# Docker's Size: L0 100000+1000+3(symlink "big")+5000, L1 100000, L2 0.
python3 - "$PYOCI_STORE" <<'EOF' || bail "fixture writer failed"
import hashlib, io, json, os, sys, tarfile
store = sys.argv[1]
os.makedirs(store + "/blobs/sha256", exist_ok=True)
open(store + "/oci-layout", "w").write('{"imageLayoutVersion":"1.0.0"}')
def put(b):
    d = hashlib.sha256(b).hexdigest()
    open(store + "/blobs/sha256/" + d, "wb").write(b)
    return "sha256:" + d, len(b)
def layer(entries):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name, kind, arg in entries:
            ti = tarfile.TarInfo(name); ti.mtime = 0
            if kind == "dir":
                ti.type = tarfile.DIRTYPE; ti.mode = 0o755; t.addfile(ti)
            elif kind == "sym":
                ti.type = tarfile.SYMTYPE; ti.linkname = arg; t.addfile(ti)
            else:
                ti.size = len(arg); t.addfile(ti, io.BytesIO(arg))
    return buf.getvalue()
L = [layer([("app", "dir", None), ("app/big", "file", b"a" * 100000), ("app/cache", "dir", None),
            ("app/cache/a", "file", b"c" * 5000), ("app/keep", "file", b"k" * 1000), ("app/link", "sym", "big")]),
     layer([("app", "dir", None), ("app/big", "file", b"b" * 100000)]),
     layer([("app", "dir", None), ("app/.wh.cache", "file", b"")])]
descs = []
for b in L:
    d, n = put(b)
    descs.append({"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": d, "size": n})
hist = [{"created_by": "ADD base"}, {"created_by": "ENV X=1", "empty_layer": True},
        {"created_by": "COPY big /app/big"}, {"created_by": "RUN rm -rf /app/cache"}]
cfg = {"architecture": "amd64", "os": "linux", "created": "2020-01-01T00:00:00Z", "config": {"Cmd": ["sh"]},
       "rootfs": {"type": "layers", "diff_ids": [x["digest"] for x in descs]}, "history": hist}
cd, cn = put(json.dumps(cfg).encode())
m = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
     "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cn}, "layers": descs}
md, mn = put(json.dumps(m).encode())
idx = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
       "manifests": [{"mediaType": m["mediaType"], "digest": md, "size": mn,
                      "annotations": {"org.opencontainers.image.ref.name": "wasteful:1"}}]}
json.dump(idx, open(store + "/index.json", "w"))
EOF
EFF=$(python3 -c 'print(repr(111000/211000))')

# ---- default rules: efficiency 0.9, user wasted 0.1 -> both fail ----
run "$PYOCI" layers --ci wasteful:1
is "$rc" 1 "--ci exits 1 when a rule fails"
like "$out" "  efficiency: 52\.6066 %" "efficiency percentage as dive prints it"
like "$out" "  wastedBytes: 200000 bytes \(200 kB\)" "wasted bytes with go-humanize size"
like "$out" "  userWastedPercent: 200\.0000 %" "user wasted percentage"
like "$out" $'Count  Wasted Space  File Path\n    2        200 kB  /app/big\nResults:' "inefficient files table lists /app/big once"
like "$out" "  FAIL: lowestEfficiency: image efficiency is too low \(efficiency=$EFF < threshold=0\.9\)" \
  "lowestEfficiency failure message with Go's float formatting"
like "$out" "  FAIL: highestUserWastedPercent: too many bytes wasted, relative to the user bytes added \(%-user-wasted-bytes=2 > threshold=0\.1\)" \
  "highestUserWastedPercent failure message"
like "$out" "  SKIP: highestWastedBytes: rule disabled" "highestWastedBytes disabled by default"
like "$out" "Result:FAIL \[Total:3\] \[Passed:0\] \[Failed:2\] \[Warn:0\] \[Skipped:1\]" "summary line"

# ---- thresholds from flags ----
run "$PYOCI" layers --ci --lowest-efficiency 0.5 --highest-user-wasted-percent 2.5 wasteful:1
is "$rc" 0 "--ci passes with looser thresholds"
like "$out" "Result:PASS \[Total:3\] \[Passed:2\] \[Failed:0\] \[Warn:0\] \[Skipped:1\]" "all enabled rules pass"
run "$PYOCI" layers --ci --lowest-efficiency 0.5 --highest-user-wasted-percent disabled --highest-wasted-bytes 199kB wasteful:1
is "$rc" 1 "199kB of allowed waste fails (200000 wasted)"
like "$out" "  FAIL: highestWastedBytes: too many bytes wasted \(wasted-bytes=200000 > threshold=199000\)" "wasted bytes message"
run "$PYOCI" layers --ci --lowest-efficiency 0.5 --highest-user-wasted-percent disabled --highest-wasted-bytes 200KB wasteful:1
is "$rc" 0 "200KB (= 200000, decimal like go-humanize) passes"
run "$PYOCI" layers --ci --lowest-efficiency disabled --highest-user-wasted-percent disabled --highest-wasted-bytes 0.19MiB wasteful:1
is "$rc" 1 "0.19MiB (199229 bytes, binary unit) fails"
run "$PYOCI" layers --ci --lowest-efficiency disabled --highest-user-wasted-percent disabled --highest-wasted-bytes 0.2MiB wasteful:1
is "$rc" 0 "0.2MiB (209715 bytes) passes"
like "$out" "Result:PASS \[Total:3\] \[Passed:1\] \[Failed:0\] \[Warn:0\] \[Skipped:2\]" "two rules skipped"

# ---- usage errors ----
run "$PYOCI" layers --ci --highest-wasted-bytes banana wasteful:1
is "$rc" 2 "a size that does not parse is a usage error"
like "$err" "is not a size" "and says so"
run "$PYOCI" layers --lowest-efficiency x wasteful:1
is "$rc" 2 "a bad efficiency is a usage error"
run "$PYOCI" layers nosuch:1
is "$rc" 1 "unknown image exits 1"
like "$err" "No such image: nosuch:1" "and names it"

# ---- the table ----
run "$PYOCI" layers --top 2 wasteful:1
is "$rc" 0 "table output exits 0"
like "$out" $'\n1 +[0-9a-f]{12} +100kB +1  COPY big /app/big\n' "layer 1: Docker size, one file, created_by skipping empty_layer history"
like "$out" $'\n2 +[0-9a-f]{12} +0B +0  RUN rm -rf /app/cache\n' "whiteout layer: 0 bytes, no files"
like "$out" "Total image size: 206kB \(206003 bytes" "total = Docker's Size (symlink target counted)"
like "$out" "Potential wasted space: 200 kB" "wasted space"
like "$out" "Image efficiency score: 52 %" "efficiency score"
like "$out" $'Largest files:\n +Size  File Path\n +100 kB  /app/big\n +1.0 kB  /app/keep\n\n' "top 2 largest files of the final image"

# ---- JSON ----
run "$PYOCI" layers --format json wasteful:1
is "$rc" 0 "json output exits 0"
got=$(python3 -c 'import json,sys; d=json.load(sys.stdin); i=d["image"]
print(i["sizeBytes"], i["dockerSizeBytes"], i["inefficientBytes"], repr(i["efficiencyScore"]),
      [l["sizeBytes"] for l in d["layer"]], [l["dockerSizeBytes"] for l in d["layer"]],
      [(f["count"], f["sizeBytes"], f["file"]) for f in i["fileReference"]])' <<<"$out")
is "$got" "206000 206003 200000 $EFF [106000, 100000, 0] [106003, 100000, 0] [(2, 200000, '/app/big')]" \
  "json: dive sizes, Docker sizes, inefficient files"

# ---- inspect agrees on Size, and caches it ----
rm -rf "$PYOCI_STORE/cache"
run "$PYOCI" inspect --format '{{.Size}} {{.VirtualSize}} {{len .RootFS.Layers}}' wasteful:1
is "$out" "206003 206003 3" "inspect .Size is Docker's size of the three layers"
is "$(ls "$PYOCI_STORE/cache/layersize" | wc -l)" 3 "one cached size per layer"
echo 1 > "$PYOCI_STORE/cache/layersize/$(ls "$PYOCI_STORE/cache/layersize" | head -1)"
run "$PYOCI" inspect --format '{{.Size}}' wasteful:1
ok "$([ "$out" != 206003 ]; echo $?)" "the cached value is what inspect uses (a planted value shows)"
echo garbage > "$PYOCI_STORE/cache/layersize/$(ls "$PYOCI_STORE/cache/layersize" | head -1)"
run "$PYOCI" inspect --format '{{.Size}}' wasteful:1
is "$out" 206003 "a damaged cache entry is recomputed"

# ---- a clean image passes ----
python3 "$TOP/tests/integration/mkoci.py" "$PYOCI_STORE" --name clean:1 --layers 2 >/dev/null || bail "mkoci failed"
run "$PYOCI" layers --ci clean:1
is "$rc" 0 "an image without waste passes --ci"
like "$out" "  efficiency: 100\.0000 %" "efficiency 100 %"
done_testing
