#!/bin/bash
# Layer compression at export time: save --format oci --compression and
# build -o type=oci convert each layer (plain->gzip, gzip->zstd,
# gzip->uncompressed, ...) checked against its diff_id, keep the image ID,
# write the same bytes every time, reuse the variants they cached, and prune
# drops the variants of layers no image uses.  skopeo and podman read them.
source "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || skip_all "python3 needed"
command -v zstd >/dev/null || skip_all "zstd not installed"
BUSYBOX=$(command -v busybox) || skip_all "busybox-static not installed"
cd "$T" || bail "no temp dir"

# base: imported, so its one layer is stored gzip; app: a COPY on top, stored
# as plain tar (as pyoci build stores layers).  Both compress well.
mkdir -p rootfs/bin rootfs/etc ctx ctx2
cp "$BUSYBOX" rootfs/bin/busybox
seq 1 200000 > rootfs/etc/numbers
seq 1 300000 | sed 's/^/line /' > ctx/data.txt
printf 'FROM base:1\nCOPY data.txt /data.txt\n' > ctx/Dockerfile
run "$PYOCI" import -q rootfs -t base:1
is "$rc" 0 "import the base" || diag "$err"
run "$PYOCI" build -q -t app:1 ctx
is "$rc" 0 "build app on it" || diag "$err"
app_id=$out

# Descriptors of an image: in the store (by name) or in an extracted oci
# layout (its only image).  Prints "mediaType digest size" per layer, then
# "config DIGEST" and "diff_ids D1 D2...".
descs() {
  python3 - "$@" <<'EOF'
import json, os, sys
root = sys.argv[1]
blob = lambda d: open(os.path.join(root, "blobs/sha256", d[7:]), "rb").read()
ms = json.load(open(os.path.join(root, "index.json")))["manifests"]
if len(sys.argv) > 2:
    ms = [m for m in ms if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == sys.argv[2]]
e = ms[0]
raw = blob(e["digest"])
import hashlib
assert "sha256:" + hashlib.sha256(raw).hexdigest() == e["digest"] and len(raw) == e["size"], "index entry"
m = json.loads(raw)
for l in m["layers"]:
    print(l["mediaType"], l["digest"], l["size"])
print("config", m["config"]["digest"])
print("diff_ids", " ".join(json.loads(blob(m["config"]["digest"]))["rootfs"]["diff_ids"]))
print("manifest", m.get("mediaType"))
EOF
}
types() { awk '$1 ~ /^application/ {print $1}' <<<"$1" | sort -u | tr '\n' ' '; }
layer_digests() { awk '$1 ~ /^application/ {print $2}' <<<"$1"; }
diff_ids() { awk '$1 == "diff_ids" {for (i = 2; i <= NF; i++) print $i}' <<<"$1"; }
config_of() { awk '$1 == "config" {print $2}' <<<"$1"; }
xtract() { rm -rf "$2" && mkdir "$2" && tar -C "$2" -xf "$1"; }
# Every layer blob of DIR decompressed by CMD hashes to its diff_id.
check_layers() {
  local dir=$1 cmd=$2 d i=0 ids bad=0
  mapfile -t ids < <(diff_ids "$(descs "$dir")")
  for d in $(layer_digests "$(descs "$dir")"); do
    [ "sha256:$($cmd < "$dir/blobs/sha256/${d#sha256:}" | sha256sum | cut -d' ' -f1)" = "${ids[$i]}" ] || bad=1
    i=$((i + 1))
  done
  [ "$i" = 2 ] && [ "$bad" = 0 ]
}

stored=$(descs "$PYOCI_STORE" app:1)
is "$(awk '$1 ~ /^application/ {print $1}' <<<"$stored" | tr '\n' ' ')" \
  "application/vnd.oci.image.layer.v1.tar+gzip application/vnd.oci.image.layer.v1.tar " \
  "stored: the imported layer gzip, the built one plain"
mapfile -t DIFF < <(diff_ids "$stored")

# ---- as stored (no option): unchanged behaviour ----
run "$PYOCI" save --format oci app:1 -o asis.tar
is "$rc" 0 "save --format oci without --compression"
xtract asis.tar asis
is "$(layer_digests "$(descs asis)")" "$(layer_digests "$stored")" "writes the blobs as stored"

# ---- gzip ----
run "$PYOCI" save --format oci --compression gzip app:1 -o gz.tar
is "$rc" 0 "save --compression gzip" || diag "$err"
is "$err" "" "quietly (no terminal, no progress)"
xtract gz.tar gz
gzd=$(descs gz)
is "$(types "$gzd")" "application/vnd.oci.image.layer.v1.tar+gzip " "every layer is +gzip"
check_layers gz "gzip -dc"; ok $? "each gzip blob decompresses to its diff_id"
is "$(config_of "$gzd")" "$app_id" "config (image ID) unchanged"
is "$(head -1 <<<"$(layer_digests "$gzd")")" "$(head -1 <<<"$(layer_digests "$stored")")" \
  "the layer already gzip is written as stored"

# ---- uncompressed ----
run "$PYOCI" save --format oci --compression uncompressed app:1 -o un.tar
is "$rc" 0 "save --compression uncompressed"
xtract un.tar un
is "$(types "$(descs un)")" "application/vnd.oci.image.layer.v1.tar " "every layer is plain tar"
is "$(layer_digests "$(descs un)")" "$(printf '%s\n' "${DIFF[@]}")" "plain blobs are named by their diff_ids (gzip -> uncompressed)"
ok "$([ "$(stat -c %s gz.tar)" -lt "$(stat -c %s un.tar)" ]; echo $?)" \
  "gzip archive ($(stat -c %s gz.tar) bytes) is smaller than the uncompressed one ($(stat -c %s un.tar))"

# ---- zstd ----
run "$PYOCI" save --format oci --compression zstd:5 app:1 -o zs.tar
is "$rc" 0 "save --compression zstd:5"
xtract zs.tar zs
is "$(types "$(descs zs)")" "application/vnd.oci.image.layer.v1.tar+zstd " "every layer is +zstd"
check_layers zs "zstd -dc"; ok $? "zstd -dc of each blob hashes to its diff_id (gzip -> zstd, plain -> zstd)"
is "$(config_of "$(descs zs)")" "$app_id" "image ID unchanged"
is "$(descs zs | awk '$1 == "manifest" {print $2}')" "application/vnd.oci.image.manifest.v1+json" "OCI manifest"

# ---- deterministic, and the variant is reused ----
rec=$PYOCI_STORE/cache/variants/${DIFF[1]#sha256:}/gzip-6
is "$(cat "$rec" 2>/dev/null)" "$(sed -n 2p <<<"$(layer_digests "$gzd")")" "variant record names the gzip blob"
vblob=$PYOCI_STORE/blobs/sha256/$(cut -d: -f2 "$rec")
before=$(stat -c '%i %Y.%y' "$vblob")
sleep 1
run "$PYOCI" save --format oci --compression gzip app:1 -o gz2.tar
cmp -s gz.tar gz2.tar; ok $? "saving again gives identical bytes"
is "$(stat -c '%i %Y.%y' "$vblob")" "$before" "the variant blob was reused, not rewritten"
run "$PYOCI" save --format oci --compression gzip:6 app:1 -o gz3.tar
cmp -s gz.tar gz3.tar; ok $? "gzip and gzip:6 (the default level) are the same variant"
run "$PYOCI" save --format oci --compression gzip:9 app:1 -o gz9.tar
is "$rc" 0 "another level is another variant"
ok "$([ -f "${rec%-6}-9" ]; echo $?)" "recorded as gzip-9"
# Another store holding every layer plain, compressing on one thread, makes
# the same bytes (import gzipped the base layer with the same compressor).
PYOCI_STORE=$T/store1t "$PYOCI" load -i un.tar >/dev/null
PYOCI_STORE=$T/store1t PYOCI_THREADS=1 "$PYOCI" save --format oci --compression gzip app:1 -o gz1t.tar
cmp -s gz.tar gz1t.tar; ok $? "plain layers gzipped on one thread in another store: the same archive"

# ---- other tools, and back into pyoci ----
PYOCI_STORE=$T/fresh "$PYOCI" load -i gz.tar >/dev/null
is "$(PYOCI_STORE=$T/fresh "$PYOCI" inspect -f '{{.Id}}' app:1 2>&1)" "$app_id" "pyoci load of the gzip archive: same image ID"
PYOCI_STORE=$T/fresh "$PYOCI" load -i zs.tar >/dev/null
is "$(PYOCI_STORE=$T/fresh "$PYOCI" inspect -f '{{.Id}}' app:1 2>&1)" "$app_id" "and of the zstd one"
if command -v skopeo >/dev/null; then
  for f in gz zs; do
    run skopeo inspect "oci-archive:$T/$f.tar"
    is "$rc" 0 "skopeo inspects the $f archive" || diag "$err"
    is "$(python3 -c 'import json,sys; print(" ".join(json.load(sys.stdin)["Layers"]))' <<<"$out")" \
      "$(layer_digests "$(descs $f)" | tr '\n' ' ' | sed 's/ $//')" "skopeo sees the $f layers"
  done
else
  skip "skopeo not installed"; skip "skopeo not installed"; skip "skopeo not installed"; skip "skopeo not installed"
fi
if command -v podman >/dev/null; then
  pod=(podman --root "$T/podroot" --runroot "$T/podrun" --storage-driver vfs)
  run "${pod[@]}" load -i gz.tar
  is "$rc" 0 "podman loads the gzip archive" || diag "$err"
  is "sha256:$("${pod[@]}" image inspect -f '{{.Id}}' app:1 2>&1)" "$app_id" "podman shows the same image ID"
  "${pod[@]}" rmi -af >/dev/null 2>&1
  run "${pod[@]}" load -i zs.tar
  is "$rc" 0 "podman loads the zstd archive" || diag "$err"
  "${pod[@]}" rmi -af >/dev/null 2>&1
else
  skip "podman not installed"; skip "podman not installed"; skip "podman not installed"
fi

# ---- usage errors ----
run "$PYOCI" save --compression gzip app:1 -o d.tar
is "$rc" 2 "--compression with the docker format is a usage error"
like "$err" "docker-archive holds uncompressed layers" "saying why"
run "$PYOCI" save --format oci --compression lz4 app:1 -o d.tar
is "$rc" 2 "unknown algorithm: usage error"
like "$err" "unknown compression 'lz4'" "named"
run "$PYOCI" save --format oci --compression gzip:0 app:1 -o d.tar
is "$rc.$err" "2.pyoci save: --compression 'gzip:0': compression level '0': gzip takes 1 to 12
See 'pyoci save --help'." "level out of range"
ok "$([ ! -e d.tar ]; echo $?)" "no archive from a usage error"

# ---- build -o type=oci ----
run "$PYOCI" build -q -t app:1 -o type=oci,dest=b.tar ctx
is "$rc" 0 "build -o type=oci" || diag "$err"
xtract b.tar b
is "$(types "$(descs b)")" "application/vnd.oci.image.layer.v1.tar+gzip " "gzip by default, as BuildKit"
cmp -s gz.tar b.tar; ok $? "the same archive as save --compression gzip (variants reused)"
run "$PYOCI" build -q -t app:1 -o type=oci,dest=bu.tar,compression=uncompressed ctx
xtract bu.tar bu
is "$(types "$(descs bu)")" "application/vnd.oci.image.layer.v1.tar " "compression=uncompressed: plain layers"
run "$PYOCI" build -q -t app:1 -o type=oci,dest=bz.tar,compression=zstd,compression-level=5 ctx
cmp -s zs.tar bz.tar; ok $? "compression=zstd,compression-level=5 = save --compression zstd:5"
for spec in type=oci,dest=x.tar,compression=lz4 type=oci,dest=x.tar,compression-level=x \
  type=docker,dest=x.tar,compression=gzip type=oci,dest=x.tar,compression=gzip,compression-level=13; do
  run "$PYOCI" build -q -o "$spec" ctx
  is "$rc" 2 "-o $spec: usage error"
  like "$err" "pyoci build: --output '$spec': " "with a message"
done
like "$(run "$PYOCI" build -q -o type=docker,dest=x.tar,compression=gzip ctx; echo "$err")" \
  "type=docker writes uncompressed layers" "type=docker says its layers are plain"
ok "$([ ! -e x.tar ]; echo $?)" "and writes nothing"

# ---- a damaged layer blob fails the export ----
echo other > ctx2/o.txt
printf 'FROM base:1\nCOPY o.txt /o.txt\n' > ctx2/Dockerfile
"$PYOCI" build -q -t dmg:1 ctx2 >/dev/null
dmg=$(descs "$PYOCI_STORE" dmg:1 | sed -n 2p | cut -d' ' -f2)
f=$PYOCI_STORE/blobs/sha256/${dmg#sha256:}
cp "$f" good-blob
chmod u+w "$f"
printf 'X' | dd of="$f" bs=1 seek=600 conv=notrunc 2>/dev/null
run "$PYOCI" save --format oci --compression gzip dmg:1 -o dmg.tar
is "$rc" 1 "gzip export of a damaged plain layer fails"
like "$err" "not to its diff_id $dmg" "the digest check says which layer"
is "$(ls dmg.tar* 2>/dev/null)" "" "no output file left"
cp good-blob "$f"

# ---- fsck and prune ----
run "$PYOCI" fsck
is "$rc" 0 "fsck clean after the exports" || diag "$out $err"
"$PYOCI" rmi app:1 dmg:1 >/dev/null
run "$PYOCI" prune -f
is "$rc" 0 "prune"
base_diff=$(diff_ids "$(descs "$PYOCI_STORE" base:1)")
is "$(ls "$PYOCI_STORE/cache/variants")" "${base_diff#sha256:}" "only the live layer's variants are left"
is "$(ls "$PYOCI_STORE/cache/variants/${base_diff#sha256:}" | tr '\n' ' ')" "uncompressed zstd-5 " "with both its records"
ok "$(for r in "$PYOCI_STORE"/cache/variants/*/*; do [ -f "$PYOCI_STORE/blobs/sha256/$(cut -d: -f2 "$r")" ] || exit 1; done; echo 0)" \
  "and their blobs"
run "$PYOCI" fsck
is "$rc" 0 "fsck clean after prune" || diag "$out $err"
"$PYOCI" save --format oci --compression zstd:5 base:1 -o base-zs.tar
"$PYOCI" save --format oci --compression zstd:5 base:1 -o base-zs2.tar
cmp -s base-zs.tar base-zs2.tar; ok $? "exports after prune still work"
"$PYOCI" prune -f --build-cache >/dev/null
is "$(ls "$PYOCI_STORE/cache/variants/${base_diff#sha256:}" | tr '\n' ' ')" "uncompressed zstd-5 " \
  "prune --build-cache keeps the live layer's variants too"
done_testing
