#!/bin/bash
# A layer's diff_id is the config's word, and the caches that share work
# between images are keyed by it: the unpacked trees builds and runs stack
# (cache/unpacked), Docker's sizes (cache/layersize), scan records.  An
# image whose config claims the diff_id of a well-known layer while its
# blob holds other files must not get them into those caches, where every
# image with the real layer would then find them.  pyoci checks the claim
# when it first decompresses a layer into a cache: the liar is refused with
# one line naming its blob and both digests, nothing is cached under the
# claimed diff_id, and the real image then shows its own files.  copy
# oci:DIR refuses the liars at the door; a plain pull (no door check, as
# skopeo) is how they reach the store here.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/build-lib.sh"
source "$(dirname "$0")/registry-lib.sh"
need_root # COPY --from an image reads it through an overlay mount
cd "$T" || bail "no temp dir"
command -v skopeo >/dev/null || skip_all "skopeo needed to put the liars in the registry"
start_registry reg
MKTAR=$TOP/tests/data/mktar.py
PUSHRAW=$TOP/tests/integration/helpers/pushraw.py

# lie LAYOUT DIFF_ID: the layout's image claims DIFF_ID for its last layer
# (config, manifest and index rewritten to match; the blob stays).
lie() {
  python3 - "$1" "$2" <<'PY'
import hashlib, json, os, sys
top, claim = sys.argv[1], sys.argv[2]
def path(d): return os.path.join(top, "blobs", "sha256", d[7:])
def put(data):
    d = "sha256:" + hashlib.sha256(data).hexdigest()
    open(path(d), "wb").write(data)
    return d, len(data)
index = json.load(open(os.path.join(top, "index.json")))
m = json.load(open(path(index["manifests"][0]["digest"])))
c = json.load(open(path(m["config"]["digest"])))
c["rootfs"]["diff_ids"][-1] = claim
c["config"]["Cmd"] = ["liar"]  # an image ID of its own
m["config"]["digest"], m["config"]["size"] = put(json.dumps(c).encode())
index["manifests"][0]["digest"], index["manifests"][0]["size"] = put(json.dumps(m).encode())
json.dump(index, open(os.path.join(top, "index.json"), "w"))
PY
}

# The real layer: etc/motd "legit" (5 bytes), diff_id D.
python3 "$MKTAR" legit.tar.gz '[{"name": "etc", "type": "dir"}, {"name": "etc/motd", "data": "legit"}]' --gzip ||
  bail "mktar legit"
python3 "$PUSHRAW" --oci "$T/legit" x legit.tar.gz >/dev/null || bail "legit layout"
D=sha256:$(gunzip -c legit.tar.gz | sha256sum | cut -d' ' -f1)
hex=${D#sha256:}

# Two liars claiming D, one gzip and one plain tar (which the reader would
# skip through rather than read): etc/motd "pwned!!" (7 bytes).
python3 "$MKTAR" liar.tar '[{"name": "etc", "type": "dir"}, {"name": "etc/motd", "data": "pwned!!"}]' ||
  bail "mktar liar"
gzip -k liar.tar
liar_diff=sha256:$(sha256sum liar.tar | cut -d' ' -f1)
for kind in gzip plain; do
  f=liar.tar.gz
  [ "$kind" = plain ] && f=liar.tar
  blob=$(python3 "$PUSHRAW" --oci "$T/liar-$kind" x "$f") || bail "liar layout"
  eval "blob_$kind=$blob"
  lie "$T/liar-$kind" "$D" || bail "lie"
  # copy oci:DIR checks the claim at the door (as load and pull
  # --check-layers do) ...
  run "$PYOCI" copy -q "oci:$T/liar-$kind:x" "liar-$kind:1"
  is "$rc:$err" "1:pyoci: '$T/liar-$kind': layer refused: read '$blob': content hashes to $liar_diff, not to its diff_id $D" \
    "$kind liar: copy oci:DIR refuses it at the door"
  # ... a plain pull does not (as skopeo does not): it reaches the store
  # that way, and the caches must hold on their own
  skopeo copy -q --preserve-digests --dest-tls-verify=false "oci:$T/liar-$kind:x" "docker://$REG/liar-$kind:1" ||
    bail "skopeo copy"
  run "$PYOCI" pull -q "$REG/liar-$kind:1"
  is "$rc" 0 "$kind liar: pulled into the store"
  "$PYOCI" tag "$REG/liar-$kind:1" "liar-$kind:1" || bail "tag"
done
run "$PYOCI" copy -q "oci:$T/legit:x" legit:1
is "$rc" 0 "the legit image: copied into the store"

# The liars go first, into each cache.
mkdir ctx
printf 'FROM scratch\nCOPY --from=legit:1 /etc/motd /got\n' >ctx/Dockerfile
for kind in gzip plain; do
  eval "blob=\$blob_$kind"
  msg="read '$blob': content hashes to $liar_diff, not to its diff_id $D"
  printf 'FROM scratch\nCOPY --from=liar-%s:1 /etc/motd /got\n' "$kind" >ctx/Dockerfile.liar
  run "$PYOCI" build -q -f ctx/Dockerfile.liar -t "from-liar-$kind:1" ctx
  is "$rc:$err" "1:pyoci: $msg" "$kind liar: a build that unpacks it is refused, blob and both digests named"
  is "$(ls "$PYOCI_STORE/cache/unpacked" | grep -v '\.lock$')" "" \
    "$kind liar: nothing unpacked under the claimed diff_id (nor anywhere in the cache)"
  is "$(ls "$PYOCI_STORE/tmp")" "" "$kind liar: no scratch left behind"

  run "$PYOCI" inspect --format '{{.Size}}' "liar-$kind:1"
  is "$rc:$err" "1:Error: size of layer $blob: $msg" "$kind liar: inspect (Docker's size) refuses it too"
  [ ! -e "$PYOCI_STORE/cache/layersize/$hex" ]
  ok $? "$kind liar: no size cached under the claimed diff_id"

  run "$PYOCI" scan -q --scanners secret "liar-$kind:1"
  is "$rc" 1 "$kind liar: scan fails"
  like "$err" "layer $blob: $msg" "$kind liar: naming the blob and both digests"
  is "$(find "$PYOCI_STORE/cache" -path '*/scan/*' -name "$hex")" "" "$kind liar: no scan record under it"
done

# The legit image, after them, shows its own file and size.
run "$PYOCI" build -q -t from-legit:1 ctx
is "$rc:$err" "0:" "the legit image: a build copies from it"
"$PYOCI" save from-legit:1 -o from-legit.tar || bail "save"
is "$(image_file from-legit.tar got)" legit "the legit image's file, not the liar's"
[ -d "$PYOCI_STORE/cache/unpacked/$hex" ]
ok $? "its layer is unpacked under its diff_id"
run "$PYOCI" inspect --format '{{.Size}}' legit:1
is "$rc:$out" "0:5" "inspect: the legit layer's own size"
run "$PYOCI" scan -q --scanners secret legit:1
is "$rc" 0 "scan of the legit image"

# A liar that comes after the real layer is unpacked finds it there: it
# cannot change what is cached (the cache is right, only the liar is
# wrong, and its own blob is never read).
run "$PYOCI" build -q -f ctx/Dockerfile.liar -t from-liar-late:1 ctx
"$PYOCI" save from-liar-late:1 -o from-liar-late.tar || bail "save"
is "$rc:$(image_file from-liar-late.tar got)" "0:legit" "a later liar gets the cached legit tree, not its own files"

done_testing
