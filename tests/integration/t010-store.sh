#!/bin/bash
# The store verbs as a user sees them: images, tag, rmi, prune, fsck —
# output, messages and exit codes — plus concurrent taggers.
source "$(dirname "$0")/lib.sh"
MK="python3 $TOP/tests/integration/mkoci.py"

# mkimg ARGS...: add an image; sets M (manifest), ID (config), LSIZE, TOTAL.
mkimg() {
  local o
  o=$($MK "$PYOCI_STORE" "$@") || bail "mkoci failed"
  { read -r M; read -r ID; read -r LSIZE; read -r TOTAL; } <<<"$o"
}
nblobs() { find "$PYOCI_STORE/blobs/sha256" -type f | wc -l; }
# go-units HumanSizeWithPrecision (what docker prints)
hsize() { python3 -c 'import sys
s=float(sys.argv[1]); u=["B","kB","MB","GB","TB"]; i=0
while s>=1000 and i<4: s/=1000; i+=1
print("%.*g%s"%(int(sys.argv[2]),s,u[i]))' "$1" "$2"; }

# ---- empty store ----
run "$PYOCI" images
is "$rc" 0 "images on a new store exits 0"
is "$out" "REPOSITORY   TAG       IMAGE ID   CREATED   SIZE" "empty table is the header only"
ok "$([ -f "$PYOCI_STORE/oci-layout" ] && [ -f "$PYOCI_STORE/index.json" ]; echo $?)" "store created on first use"
# A new store's files are written without fsync (nothing to lose): what a
# crash right then can leave -- empty files -- is written again on next use.
: >"$PYOCI_STORE/oci-layout"
: >"$PYOCI_STORE/index.json"
run "$PYOCI" images
is "$rc" 0 "a new store whose files a crash left empty still opens"
is "$(cat "$PYOCI_STORE/oci-layout")" '{"imageLayoutVersion":"1.0.0"}' "oci-layout is written again"
is "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifests"])' "$PYOCI_STORE/index.json")" "[]" \
  "and index.json, as an empty index"

# ---- images ----
mkimg --name app:latest --layers 2 --seed a --created 2020-01-01T00:00:00Z
A_M=$M A_ID=$ID A_TOTAL=$TOTAL
# SIZE is Docker's unpacked size: mkoci's two layers each hold one file of
# 50 lines "a layer N\n" (10 bytes) = 500 bytes.
A_SIZE=$(hsize 1000 3)
years=$(( ($(date +%s) - $(date -d 2020-01-01T00:00:00Z +%s)) / 3600 / 24 / 365 ))
run "$PYOCI" images
is "$out" "REPOSITORY   TAG       IMAGE ID       CREATED       SIZE
app          latest    ${A_ID:7:12}   $years years ago   $A_SIZE" "images lists the image like docker"

mkimg --seed u --created "$(date -u -d '-3 hours' +%Y-%m-%dT%H:%M:%SZ)"
U_M=$M U_ID=$ID U_TOTAL=$TOTAL
run "$PYOCI" images --format '{{.Repository}}:{{.Tag}} {{.ID}} {{.CreatedSince}}'
is "$out" "<none>:<none> ${U_ID:7:12} 3 hours ago
app:latest ${A_ID:7:12} $years years ago" "untagged shown as <none>, newest first, --format"

# ---- tag ----
run "$PYOCI" tag app me/app:v1
is "$rc:$out:$err" "0::" "tag by name is silent and exits 0"
run "$PYOCI" tag "${A_ID:7:12}" byid
is "$rc" 0 "tag by short image ID"
run "$PYOCI" tag "$A_M" docker.io/library/full:1
is "$rc" 0 "tag by manifest digest, full name"
run "$PYOCI" images -q
is "$out" "${U_ID:7:12}
${A_ID:7:12}" "images -q prints each ID once"
run "$PYOCI" images --format '{{.Repository}}:{{.Tag}}' app
is "$out" "app:latest" "images REPOSITORY filter"
run "$PYOCI" images --format '{{.Repository}}:{{.Tag}}'
is "$out" "<none>:<none>
app:latest
byid:latest
full:1
me/app:v1" "names stored in familiar form"
run "$PYOCI" images --no-trunc --digests --format '{{.ID}} {{.Digest}}' me/app:v1
is "$out" "$A_ID $A_M" "--no-trunc --digests"

run "$PYOCI" tag nope x
is "$rc" 1 "tag of a missing image exits 1"
is "$err" "pyoci: No such image: nope" "tag: No such image message"
run "$PYOCI" tag app Bad
is "$rc" 1 "tag to an invalid name exits 1"
like "$err" "invalid reference format: repository name must be lowercase: 'Bad'" "tag: invalid reference message"
run "$PYOCI" tag app
is "$rc" 2 "tag with one argument is a usage error"
run "$PYOCI" images --format '{{.Nope}}'
is "$rc" 2 "images with an unknown format field is a usage error"
like "$err" "can't evaluate field Nope" "images: the unknown field is named, as docker does"
# --format is inspect's Go-template language, not a subset of its own
run "$PYOCI" images --format '{{if eq .Tag "v1"}}{{.Repository | upper}}{{else}}-{{end}}' me/app
is "$rc:$out" "0:ME/APP" "images --format: if/eq and a pipeline to a function"
run "$PYOCI" images --format '{{printf "%s=%s" .Repository .Tag}}' me/app:v1
is "$out" "me/app=v1" "images --format: printf"
run "$PYOCI" images --format 'table {{.Repository}}\t{{.Tag}}' me/app:v1
is "$out" "REPOSITORY   TAG
me/app       v1" "images --format table: header from the field names, cells aligned"
run "$PYOCI" images --format '{{.Repository'
is "$rc" 2 "images with an unclosed action is a usage error"
run "$PYOCI" tag --help
like "$out" "Usage: pyoci tag" "tag --help"

# ---- rmi ----
run "$PYOCI" rmi me/app:v1
is "$rc:$out" "0:Untagged: me/app:v1" "rmi of one of several names only untags"
run "$PYOCI" rmi "${A_ID:7:8}"
is "$rc" 1 "rmi by ID of an image with several names needs -f"
is "$err" "pyoci: conflict: unable to delete ${A_ID:7:12} (must be forced) - image is referenced in multiple repositories" "conflict message"
before=$(nblobs)
run "$PYOCI" rmi -f "${A_ID:7:8}" nope
is "$rc" 1 "rmi exits 1 when one of its arguments failed"
is "$out" "Untagged: app:latest
Untagged: byid:latest
Untagged: full:1
Deleted: $A_ID" "rmi -f untags every name and deletes"
is "$err" "pyoci: No such image: nope" "rmi reports the missing one"
is "$(nblobs)" "$((before - 4))" "rmi removed the image's 4 blobs"
mkimg --name solo --seed s
run "$PYOCI" rmi solo
is "$rc:$out" "0:Untagged: solo:latest
Deleted: $ID" "rmi of an image's last name deletes it"

# ---- prune ----
run "$PYOCI" prune </dev/null
is "$rc" 0 "prune without -f and no answer exits 0"
like "$out" "Are you sure you want to continue\\? \\[y/N\\]" "prune asks first"
run "$PYOCI" images -q
is "$out" "${U_ID:7:12}" "declined prune removed nothing"
mkimg --name keep --seed k
printf 'stale' >"$PYOCI_STORE/tmp/blob-stale"
# `images` cached the sizes of every layer listed so far; only keep's layers
# (never listed) are still used, so all those size files go too.
size_cache=$(find "$PYOCI_STORE/cache/layersize" -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')
run "$PYOCI" prune -f
is "$rc" 0 "prune -f exits 0"
is "$out" "Deleted Images:
deleted: $U_ID

Total reclaimed space: $(hsize $((U_TOTAL + size_cache)) 4)" "prune reports the image and the space (blobs and caches)"
is "$(find "$PYOCI_STORE/cache/layersize" -type f | wc -l)" 0 "prune removed the size cache of the removed layers"
is "$(nblobs)" 3 "only the tagged image's blobs are left"
ok "$([ ! -e "$PYOCI_STORE/tmp/blob-stale" ]; echo $?)" "prune cleared tmp/"
run "$PYOCI" prune -f
is "$out" "Total reclaimed space: 0B" "nothing to prune"

# ---- fsck ----
mkimg --name two --layers 2 --seed t
run "$PYOCI" fsck
is "$rc:$out" "0:ok: 2 images, 7 blobs verified" "fsck on a sound store"
printf 'orphan' >"$PYOCI_STORE/blobs/sha256/$(printf orphan | sha256sum | cut -d' ' -f1)"
run "$PYOCI" fsck
is "$rc" 0 "an unreferenced blob is not a problem"
like "$err" "note: 1 unreferenced blobs" "... but it is noted"
layer=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["layers"][1]["digest"])' \
  "$PYOCI_STORE/blobs/sha256/${M#sha256:}")
printf 'X' | dd of="$PYOCI_STORE/blobs/sha256/${layer#sha256:}" bs=1 seek=600 conv=notrunc status=none
run "$PYOCI" fsck
is "$rc" 1 "fsck exits 1 on a corrupt blob"
like "$out" "^image two:latest: layer 2 blob $layer is corrupt: its content hashes to sha256:[0-9a-f]{64}
1 problem$" "fsck names image, layer and digests"
run "$PYOCI" fsck --repair
is "$rc" 0 "fsck --repair leaves a sound store"
like "$out" "repaired: 2 changes; the store is sound now" "repair summary"
run "$PYOCI" images --format '{{.Repository}}'
is "$out" "keep" "the damaged image was dropped, the sound one kept"
echo '{"manifests": [' >"$PYOCI_STORE/index.json"
run "$PYOCI" fsck
is "$rc" 1 "fsck exits 1 on a broken index.json"
like "$out" "index.json': invalid JSON at line" "fsck says index.json is broken"
run "$PYOCI" images
is "$rc" 1 "images fails on a broken index.json"
like "$err" "^pyoci: parse '.*/index.json': invalid JSON" "... naming the file"

# ---- concurrent writers ----
rm -rf "$PYOCI_STORE"
mkimg --name base --seed c
pids=()
for i in $(seq 1 20); do "$PYOCI" tag base "n$i:t" >"$T/tag$i.out" 2>&1 & pids+=($!); done
fails=0
for p in "${pids[@]}"; do wait "$p" || fails=$((fails + 1)); done
is "$fails" 0 "20 concurrent tag processes all succeed"
run "$PYOCI" images --format '{{.Repository}}:{{.Tag}}'
is "$(sort <<<"$out" | tr '\n' ' ')" "base:latest $(for i in $(seq 1 20); do echo "n$i:t"; done | sort | tr '\n' ' ')" \
  "index.json holds every name"
python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$PYOCI_STORE/index.json"
ok $? "index.json is valid JSON"
run "$PYOCI" fsck
is "$rc:$out" "0:ok: 21 images, 3 blobs verified" "fsck clean after concurrent tagging"
is "$(ls -A "$PYOCI_STORE/tmp" | wc -l)" 0 "no temp files left"

# gc waits for a concurrent user instead of deleting under it: rmi while
# 10 taggers run; every tag still lands on an image that exists.
pids=()
for i in $(seq 21 30); do "$PYOCI" tag base "n$i" >/dev/null 2>&1 & pids+=($!); done
run "$PYOCI" rmi n1:t
for p in "${pids[@]}"; do wait "$p"; done
run "$PYOCI" fsck
is "$rc" 0 "fsck clean after rmi+gc raced with taggers"

done_testing
