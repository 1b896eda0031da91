#!/bin/bash
# pyoci load / save without Docker: every archive layout we read (legacy
# docker-archive, Docker 25+ layout, oci-archive, compressed), save/load
# round trips, deterministic output, hostile archives rejected with a message
# naming archive and member, and kill -9 leaving the store consistent.
source "$(dirname "$0")/lib.sh"
FIX="python3 $(cd "$(dirname "$0")" && pwd)/archive_fixtures.py"
command -v python3 >/dev/null || skip_all "python3 needed for fixtures"
cd "$T" || bail "no temp dir"

tags() { python3 -c 'import json,sys; print(" ".join(sorted(m.get("annotations",{}).get("org.opencontainers.image.ref.name","-") for m in json.load(open(sys.argv[1]))["manifests"])))' "$PYOCI_STORE/index.json"; }

# ---- good archives ----
for k in legacy legacy-manifest-first legacy-untagged legacy-symlink legacy-gzip-layer docker25 oci oci-gzip oci-bare-tag; do
  $FIX $k $k.tar || bail "fixture $k"
done
run "$PYOCI" load -i legacy.tar
is "$rc" 0 "legacy docker-archive loads"
is "$out" "Loaded image: fix:1" "prints the tag like docker load"
ID=$(python3 -c 'import json; print(json.load(open("/dev/stdin"))[0]["Config"][:-5])' < <(tar -xOf legacy.tar manifest.json))
run "$PYOCI" load -i legacy-manifest-first.tar
is "$out" "Loaded image: fix:first" "manifest.json first or last: both load"
run "$PYOCI" load -i legacy-untagged.tar
is "$out" "Loaded image ID: sha256:$ID" "untagged image prints its ID"
run "$PYOCI" load -i legacy-symlink.tar
is "$rc" 0 "layer.tar symlinked to another layer (as docker writes) loads"
run "$PYOCI" load -i legacy-gzip-layer.tar
is "$out" "Loaded image: fix:gzlayer" "gzip-compressed layer.tar loads (checked against its diff_id)"
run "$PYOCI" save fix:gzlayer -o gzlayer-out.tar
is "$(tar -xOf gzlayer-out.tar manifest.json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["Config"])')" "$ID.json" \
   "and saves with the same image ID"
cmp -s <(tar -xOf legacy.tar "$(printf '%064x' 2)/layer.tar") <(tar -xOf gzlayer-out.tar "$(tar -tf gzlayer-out.tar | grep layer.tar | tail -1)") || \
cmp -s <(tar -xOf legacy.tar "$(printf '%064x' 2)/layer.tar") <(tar -xOf gzlayer-out.tar "$(tar -tf gzlayer-out.tar | grep layer.tar | head -1)")
ok $? "saved layer.tar is the uncompressed layer"
run "$PYOCI" load < docker25.tar
is "$out" "Loaded image: fix:25" "Docker 25+ layout from stdin loads with the containerd name"
run "$PYOCI" load -i oci.tar
is "$out" "Loaded image: fix:oci" "oci-archive loads with its ref.name"
run "$PYOCI" load -i oci-gzip.tar
is "$out" "Loaded image: fix:gz" "oci-archive with gzip layers loads"
run "$PYOCI" load -i oci-bare-tag.tar
is "$out" "Loaded image ID: sha256:$ID" "bare ref.name tag loads untagged"
like "$err" "tag '1.0' names no repository" "and says why"
for c in gzip zstd xz; do
  $c -c legacy.tar > legacy.tar.$c
  run "$PYOCI" load -i legacy.tar.$c
  is "$out" "Loaded image: fix:1" "$c-compressed archive loads"
done
is "$(tags)" "fix:1 fix:25 fix:first fix:gz fix:gzlayer fix:link fix:oci" "store holds the loaded names"

# ---- save ----
run "$PYOCI" save fix:1 -o s1.tar
is "$rc" 0 "save docker format"
is "$(tar -tf s1.tar | tr '\n' ' ')" "$ID.json $(tar -tf s1.tar | grep -v "^$ID.json" | tr '\n' ' ')" "config first in sorted order"
is "$(tar -xOf s1.tar "$ID.json" | sha256sum | cut -d' ' -f1)" "$ID" "config bytes kept verbatim (same image ID)"
is "$(tar -xOf s1.tar manifest.json)" \
  "$(python3 -c 'import json,sys; m=json.load(sys.stdin)[0]; print(json.dumps([{"Config":m["Config"],"RepoTags":["fix:1"],"Layers":[d+"/layer.tar" for d in ["'"$(tar -xOf legacy.tar "$ID.json" | python3 -c 'import json,sys; print(" ".join(d[7:] for d in json.load(sys.stdin)["rootfs"]["diff_ids"]))' | sed 's/ /","/g')"'"]]}],separators=(",",":")))' < <(tar -xOf legacy.tar manifest.json))" \
  "manifest.json: config, tag, layers named by diff_id"
for d in $(tar -tf s1.tar | grep '/layer.tar$'); do
  is "sha256:$(tar -xOf s1.tar "$d" | sha256sum | cut -d' ' -f1)" "sha256:${d%/layer.tar}" "layer $d uncompressed, content matches its diff_id"
done
is "$(tar -tvf s1.tar | awk '{print $2}' | sort -u)" "0/0" "numeric owner 0"
run "$PYOCI" save fix:gz -o s-gz.tar
is "$rc" 0 "save an image with gzip layers as docker-archive"
is "$(tar -xOf s-gz.tar manifest.json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["Layers"])')" \
   "$(tar -xOf s1.tar manifest.json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["Layers"])')" \
   "gzip layers were decompressed to the same diff_ids"
"$PYOCI" save fix:1 > s1-stdout.tar
cmp -s s1.tar s1-stdout.tar; ok $? "save to stdout gives the same bytes as -o"
"$PYOCI" save fix:1 -o s1-again.tar
cmp -s s1.tar s1-again.tar; ok $? "save is deterministic"

# round trip into a fresh store and out again: identical archive
PYOCI_STORE=$T/store2 "$PYOCI" load -i s1.tar >/dev/null
PYOCI_STORE=$T/store2 "$PYOCI" save fix:1 -o s1-rt.tar
cmp -s s1.tar s1-rt.tar; ok $? "save -> load -> save is byte-identical"

n_before=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["manifests"]))' "$PYOCI_STORE/index.json")
run "$PYOCI" load -i s1.tar
is "$out" "Loaded image: fix:1" "loading back a saved archive"
is "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["manifests"]))' "$PYOCI_STORE/index.json")" \
   "$n_before" "reuses the stored image: no dangling duplicate"

run "$PYOCI" save fix:1 fix:oci fix:25 --format oci -o o.tar
is "$rc" 0 "save several images as oci-archive"
is "$(tar -tf o.tar | grep -v '^blobs/sha256/.' | tr '\n' ' ')" "blobs/ blobs/sha256/ index.json oci-layout " "OCI layout members"
is "$(tar -xOf o.tar index.json | python3 -c 'import json,sys; print(" ".join(m["annotations"]["org.opencontainers.image.ref.name"] for m in json.load(sys.stdin)["manifests"]))')" \
   "fix:1 fix:oci fix:25" "index.json names every image"
for b in $(tar -tf o.tar | grep '^blobs/sha256/.'); do
  [ "$(tar -xOf o.tar "$b" | sha256sum | cut -d' ' -f1)" = "${b#blobs/sha256/}" ] || echo "$b"
done > badblobs
is "$(cat badblobs)" "" "every blob matches its name"
run env PYOCI_STORE="$T/store3" "$PYOCI" load -i o.tar
is "$out" "$(printf 'Loaded image: fix:1\nLoaded image: fix:oci\nLoaded image: fix:25')" "oci-archive from save loads back"
PYOCI_STORE=$T/store3 "$PYOCI" save fix:1 -o s1-oci-rt.tar
cmp -s s1.tar s1-oci-rt.tar; ok $? "docker-archive from an oci round trip is the same"

# save by ID: no name recorded (like docker save ID)
run "$PYOCI" save "$ID" -o byid.tar
is "$(tar -xOf byid.tar manifest.json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["RepoTags"])')" "None" "saved by ID: RepoTags null"

# save errors: nothing written
run "$PYOCI" save fix:1 nosuch:img -o bad.tar
is "$rc" 1 "save of a missing image fails"
like "$err" "nosuch" "message names the image"
is "$(ls bad.tar* 2>/dev/null)" "" "no output file, no temp file left"
run "$PYOCI" save fix:1 --format zip -o bad.tar
is "$rc" 2 "unknown format is a usage error"

# -o over an existing file replaces it whole; a directory is refused
echo old >over.tar
run "$PYOCI" save fix:1 -o over.tar
is "$rc" 0 "save over an existing file"
cmp -s s1.tar over.tar; ok $? "the file now holds the new archive"
is "$(ls over.tar.* 2>/dev/null)" "" "no temp file or replaced copy left"
mkdir dir.tar
run "$PYOCI" save fix:1 -o dir.tar
is "$rc" 1 "save onto a directory fails"
ok $([ -d dir.tar ] && [ -z "$(ls dir.tar)" ]; echo $?) "the directory is untouched"
is "$(ls -d dir.tar.* 2>/dev/null)" "" "no temp file left"

# A damaged store never yields an archive: every layer is re-hashed on the
# way out, the plain ones while they are copied in the kernel.
cp -a "$PYOCI_STORE" "$T/dmg"
blob=$(python3 - "$T/dmg" <<'PY'
import json, sys
store = sys.argv[1]
idx = json.load(open(store + "/index.json"))
m = next(m for m in idx["manifests"] if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == "fix:1")
man = json.load(open(store + "/blobs/sha256/" + m["digest"][7:]))
print(store + "/blobs/sha256/" + man["layers"][-1]["digest"][7:])
PY
)
python3 - "$blob" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
b[len(b) // 2] ^= 0xff
open(p, "wb").write(bytes(b))
PY
for fmt in docker oci; do
  run env PYOCI_STORE="$T/dmg" "$PYOCI" save --format $fmt fix:1 -o dmg-$fmt.tar
  is "$rc" 1 "save --format $fmt from a store with a flipped byte fails"
  like "$err" "content sha256:[0-9a-f]{64} does not match" "$fmt: the message says the content does not match"
  is "$(ls dmg-$fmt.tar* 2>/dev/null)" "" "$fmt: no archive, no temp file"
done
truncate -s -100 "$blob"
run env PYOCI_STORE="$T/dmg" "$PYOCI" save fix:1 -o dmg-short.tar
is "$rc" 1 "save from a store with a truncated blob fails"
like "$err" "bytes stored, descriptor says" "the message gives both sizes"
run env PYOCI_STORE="$T/dmg" "$PYOCI" save fix:1
is "$rc" 1 "and to stdout too"

# A blob that hashed right is stamped with its stat (cache/verified, like
# git's index) and later saves copy it without hashing it again; any change
# to the file -- even one that keeps its size and mtime -- voids the stamp.
cp -a "$PYOCI_STORE" "$T/stamp"
sleep 2.1 # stamps are only taken of files older than 2 s (the racy case)
run env PYOCI_STORE="$T/stamp" "$PYOCI" save fix:1 -o st1.tar
is "$rc" 0 "save from a store whose blobs were never stamped"
lblob=${blob/#$T\/dmg/$T/stamp}
ok $([ -s "$T/stamp/cache/verified/$(basename "$lblob")" ]; echo $?) "the layer it hashed is stamped"
run env PYOCI_STORE="$T/stamp" "$PYOCI" save fix:1 -o st2.tar
cmp -s st1.tar st2.tar; ok $? "a save through the stamps writes the same bytes"
python3 - "$lblob" <<'PY'
import os, sys
p = sys.argv[1]
st = os.stat(p)
with open(p, "r+b") as f:
    f.seek(st.st_size // 2)
    b = f.read(1)
    f.seek(st.st_size // 2)
    f.write(bytes([b[0] ^ 0xff]))
os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))
PY
run env PYOCI_STORE="$T/stamp" "$PYOCI" save fix:1 -o st3.tar
is "$rc" 1 "a byte flipped in place (same size, mtime put back) is still caught"
like "$err" "content sha256:[0-9a-f]{64} does not match" "the message says the content does not match"
# (rmi by ID takes every manifest of that image: this store has the same
# image as docker-archive and as OCI, under different names)
PYOCI_STORE="$T/stamp" "$PYOCI" images -q --no-trunc | sort -u | xargs env PYOCI_STORE="$T/stamp" "$PYOCI" rmi -f >/dev/null
is "$(PYOCI_STORE="$T/stamp" "$PYOCI" images -q)" "" "rmi -f of every image ID listed leaves no image"
PYOCI_STORE="$T/stamp" "$PYOCI" prune -f >/dev/null
is "$(ls "$T/stamp/blobs/sha256" | wc -l)" 0 "(every image removed, prune deletes every blob)"
is "$(ls "$T/stamp/cache/verified" | wc -l)" 0 "and prune removes the stamps of the blobs it removed"

# ---- hostile archives ----
before=$(cat "$PYOCI_STORE/index.json")
check_bad() { # kind regex
  $FIX "$1" "$1.tar" || bail "fixture $1"
  run "$PYOCI" load -i "$1.tar"
  is "$rc" 1 "$1: rejected"
  like "$err" "^pyoci: load '$1.tar': $2" "$1: message names archive and problem"
  is "$(cat "$PYOCI_STORE/index.json")" "$before" "$1: no image tagged"
}
check_bad dotdot "manifest.json entry 0: Layers\[0\]: member '../x/layer.tar': path leaves the archive"
check_bad missing-layer "member '0+63/layer.tar' is missing"
check_bad wrong-config-digest "config '0+5.json': digest sha256:$ID does not match its name"
check_bad diffid-mismatch "layer '0+2/layer.tar': digest sha256:[0-9a-f]{64} does not match diff_id sha256:[0-9a-f]{64}"
check_bad layer-count "config '[0-9a-f]{64}.json': 1 diff_ids but manifest.json lists 2 layers"
check_bad truncated ".*truncated"
check_bad garbage ".*"
check_bad huge-manifest "manifest.json: [0-9]+ bytes is over the limit"
check_bad bad-json "parse 'manifest.json': invalid JSON"
check_bad symlink-escape "member '0+4e/layer.tar': link target '../../etc/passwd' leaves the archive"
check_bad oci-corrupt-blob "member 'blobs/sha256/[0-9a-f]{64}': digest mismatch"
check_bad empty "not a docker-archive or oci-archive"
# issue 9 item 7: a NUL inside a tag is refused, not truncated to another name
check_bad tag-nul "manifest.json entry 0: RepoTags\[0\] contains a NUL byte"
check_bad oci-tag-nul "index.json manifests\[0\]: annotation org.opencontainers.image.ref.name contains a NUL byte"
# issue 9 item 6: a layer's own entries are checked at load, not first at unpack
check_bad layer-entry-dotdot "layer 2: read 'sha256:[0-9a-f]{64}': entry '../../escape': "
check_bad layer-hardlink-dotdot "layer 2: read 'sha256:[0-9a-f]{64}': entry 'x': "
check_bad layer-whiteout-dotdot "layer 2: read 'sha256:[0-9a-f]{64}': entry 'a/.wh..': "
check_bad oci-layer-entry-dotdot "layer 2: read 'sha256:[0-9a-f]{64}': entry 'a/../../escape': "
run "$PYOCI" load -i /nonexistent.tar
is "$rc" 1 "missing input file"
like "$err" "/nonexistent.tar" "names the file"

if "$PYOCI" fsck --help >/dev/null 2>&1; then
  run "$PYOCI" fsck
  is "$rc" 0 "fsck clean after the rejected archives"
else
  skip "pyoci fsck not built in this tree"
fi

# ---- kill -9 mid-load and mid-save ----
big=$T/big
mkdir -p "$big"
head -c 60000000 /dev/urandom > "$big/blob"
tar -C "$big" -cf big-layer.tar blob
python3 - "$T/big-layer.tar" "$T/big.tar" <<'PY'
import hashlib, io, json, sys, tarfile
layer = open(sys.argv[1], "rb").read()
d = hashlib.sha256(layer).hexdigest()
cfg = json.dumps({"architecture": "amd64", "os": "linux", "config": {},
                  "rootfs": {"type": "layers", "diff_ids": ["sha256:" + d]}}).encode()
c = hashlib.sha256(cfg).hexdigest()
man = json.dumps([{"Config": c + ".json", "RepoTags": ["big:1"], "Layers": [d + "/layer.tar"]}]).encode()
with tarfile.open(sys.argv[2], "w") as t:
    for name, data in ((d + "/layer.tar", layer), (c + ".json", cfg), ("manifest.json", man)):
        ti = tarfile.TarInfo(name); ti.size = len(data); t.addfile(ti, io.BytesIO(data))
PY
export PYOCI_STORE=$T/killstore
for delay in 0.05 0.2 0.4; do
  "$PYOCI" load -i big.tar >/dev/null 2>&1 &
  pid=$!
  sleep "$delay"
  kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  names=$(tags 2>/dev/null)
  if [ -n "$names" ] && [ "$names" != "big:1" ]; then ok 1 "load killed after ${delay}s: unexpected names $names"; else ok 0 "load killed after ${delay}s: nothing or the whole image tagged"; fi
  if "$PYOCI" fsck --help >/dev/null 2>&1; then
    "$PYOCI" fsck >/dev/null 2>&1; ok $? "fsck clean after load killed at ${delay}s"
  fi
done
"$PYOCI" load -i big.tar >/dev/null || bail "big load"
for delay in 0.05 0.2 0.4; do
  rm -f out.tar out.tar.tmp-*
  "$PYOCI" save big:1 -o out.tar 2>/dev/null &
  pid=$!
  sleep "$delay"
  kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  if [ -e out.tar ]; then
    tar -tf out.tar >/dev/null 2>&1 && [ "$(tar -xOf out.tar manifest.json | head -c 2)" = '[{' ]
    ok $? "save killed after ${delay}s: out.tar exists only complete"
  else
    ok 0 "save killed after ${delay}s: no out.tar"
  fi
done
done_testing
