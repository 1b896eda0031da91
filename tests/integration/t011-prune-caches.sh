#!/bin/bash
# pyoci prune cleans the store's caches too: unpacked layers, layer sizes and
# scan records of layers no image uses any more, build records whose layer
# blob is gone, and leftovers of interrupted writes; an entry another process
# holds the lock of stays; the reclaimed space counts the caches.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/build-lib.sh"
need_root # RUN needs root (runc on an overlay)

C=$PYOCI_STORE/cache
# go-units HumanSizeWithPrecision (what docker prints)
hsize() { python3 -c 'import sys
s=float(sys.argv[1]); u=["B","kB","MB","GB","TB"]; i=0
while s>=1000 and i<4: s/=1000; i+=1
print("%.*g%s"%(int(sys.argv[2]),s,u[i]))' "$1" "$2"; }
# Apparent size of what prune may free: non-directories under blobs/ and
# cache/, each inode once.
store_bytes() {
  find "$PYOCI_STORE/blobs" "$PYOCI_STORE/cache" ! -type d -printf '%i %s\n' 2>/dev/null | sort -u |
    awk '{ s += $2 } END { print s + 0 }'
}
blob_bytes() { find "$PYOCI_STORE/blobs" -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }'; }
# diff_id hexes of an image, one a line
layers_of() { "$PYOCI" inspect --format '{{range .RootFS.Layers}}{{println .}}{{end}}' "$1" | sed -n 's/^sha256://p'; }
# present HEX...: which caches hold each layer ("u l s" = unpacked, layersize, scan)
present() {
  local h w
  for h in "$@"; do
    w=""
    [ -d "$C/unpacked/$h" ] && w="$w u"
    [ -f "$C/layersize/$h" ] && w="$w l"
    compgen -G "$C/scan/*/$h" >/dev/null && w="$w s"
    echo "${w# }"
  done
}
# build records naming a layer blob, as "digest present|missing"
records() {
  python3 - "$C/build" "$PYOCI_STORE/blobs/sha256" <<'EOF'
import json, os, sys
d, blobs = sys.argv[1], sys.argv[2]
for n in sorted(os.listdir(d)) if os.path.isdir(d) else []:
    r = json.load(open(os.path.join(d, n)))
    if r.get("layer"):
        print(r["digest"], "present" if os.path.exists(os.path.join(blobs, r["digest"][7:])) else "missing")
EOF
}
# steps FILE: one word per build step from stderr, ":C" when CACHED
steps() {
  awk '/^\[/ { if (s != "") printf "%s ", s; s = $3 }
       /^  CACHED$/ { s = s ":C" }
       END { print s }' "$1"
}

# ---- nothing to clean ----
run "$PYOCI" prune -f
is "$rc:$out" "0:Total reclaimed space: 0B" "prune on an empty store"
ok "$([ ! -e "$C" ]; echo $?)" "... and it creates no cache directory"

make_bb_image || bail "cannot make the bb:1 base image"
rm -rf "$C"
run "$PYOCI" prune -f
is "$rc:$out" "0:Total reclaimed space: 0B" "prune on a store without cache/"

# ---- two images, one removed ----
mkdir -p "$T/a" "$T/b"
printf 'FROM bb:1\nRUN echo aaa >/a && mkdir /d && echo x >/d/f\n' >"$T/a/Dockerfile"
printf 'FROM bb:1\nRUN echo bbb >/b && head -c 300000 /dev/urandom >/big && ln /big /big2\nRUN echo more >/more\n' \
  >"$T/b/Dockerfile"
"$PYOCI" build --iidfile "$T/a.id" -t a:1 "$T/a" 2>"$T/a.log" || bail "build a:1 failed: $(tail -3 "$T/a.log")"
"$PYOCI" build -t b:1 "$T/b" 2>"$T/b.log" || bail "build b:1 failed: $(tail -3 "$T/b.log")"
for img in a:1 b:1; do
  "$PYOCI" scan "$img" >/dev/null 2>&1
  "$PYOCI" layers "$img" >/dev/null 2>&1
done
mapfile -t A_LAYERS < <(layers_of a:1)
mapfile -t B_ONLY < <(layers_of b:1 | grep -vxF -f <(printf '%s\n' "${A_LAYERS[@]}"))
is "${#A_LAYERS[@]}:${#B_ONLY[@]}" "2:2" "a:1 has bb's layer and its RUN layer; b:1 two layers of its own"
is "$(present "${A_LAYERS[@]}" "${B_ONLY[@]}" | sort -u)" "u l s" "every layer is unpacked, sized and scanned"
is "$(records | grep -c present)" 3 "three build records name a layer (a's RUN, b's two)"

run "$PYOCI" rmi --no-prune b:1
is "$rc" 0 "rmi --no-prune b:1"
before=$(store_bytes)
blobs_before=$(blob_bytes)
run "$PYOCI" prune -f
after=$(store_bytes)
freed_blobs=$((blobs_before - $(blob_bytes)))
is "$rc:$out" "0:Total reclaimed space: $(hsize $((before - after)) 4)" \
  "reclaimed space is everything freed in blobs/ and cache/"
ok "$([ $((before - after)) -gt $((freed_blobs + 300000)) ]; echo $?)" \
  "... more than the blobs alone: b's unpacked 300 kB file counts (once, not per hard link)"
is "$(present "${B_ONLY[@]}" | tr '\n' '|')" "||" "b's layers: unpacked dirs, sizes and scan records gone"
is "$(present "${A_LAYERS[@]}" | tr '\n' '|')" "u l s|u l s|" "a's layers keep all their caches"
is "$(records)" "$(records | grep present)" "no build record names a removed blob"
is "$(records | grep -c present)" 1 "a's build record stays"

"$PYOCI" build --iidfile "$T/a2.id" -t a:1 "$T/a" 2>"$T/a2.log"
is "$(steps "$T/a2.log")" "FROM RUN:C" "rebuilding a:1 after prune: every step CACHED"
is "$(cat "$T/a2.id")" "$(cat "$T/a.id")" "... and the same image ID"
run "$PYOCI" fsck
is "$rc" 0 "fsck is clean after prune"
like "$out" "^ok: 2 images" "fsck: ok"

# ---- leftovers: scratch, damaged records, old scan salts ----
mkdir -p "$C/unpacked/unpack-k1ll3d/usr/lib" "$C/scan/0123456789abcdef"
mknod "$C/unpacked/unpack-k1ll3d/usr/lib/.wh" c 0 0
printf 'half' >"$C/unpacked/unpack-k1ll3d/usr/lib/x"
chmod 0555 "$C/unpacked/unpack-k1ll3d/usr/lib" "$C/unpacked/unpack-k1ll3d"
printf '{"layer": tr' >"$C/build/$(printf '%064d' 1).json"
printf '12' >"$C/layersize/${A_LAYERS[0]}.tmp.4242"
printf 'old' >"$C/scan/0123456789abcdef/$(printf '%064d' 2)"
printf 'live' >"$C/scan/0123456789abcdef/${A_LAYERS[1]}"
run "$PYOCI" prune -f
# 4 (scratch file) + 12 (record) + 2 (size) + 3 (dead scan record)
is "$rc:$out" "0:Total reclaimed space: 21B" "leftovers go, and their bytes are counted"
ok "$([ ! -e "$C/unpacked/unpack-k1ll3d" ] && [ ! -e "$C/unpacked/unpack-k1ll3d.lock" ] &&
  [ ! -e "$C/layersize/${A_LAYERS[0]}.tmp.4242" ] && [ ! -e "$C/build/$(printf '%064d' 1).json" ]; echo $?)" \
  "scratch dir (read-only, with a whiteout), half-written size, damaged record: all removed"
is "$(ls "$C/scan/0123456789abcdef")" "${A_LAYERS[1]}" "an old salt keeps only a live layer's record"
rm "$C/scan/0123456789abcdef/${A_LAYERS[1]}"
run "$PYOCI" prune -f
is "$rc:$out" "0:Total reclaimed space: 0B" "an empty salt directory is not counted..."
ok "$([ ! -e "$C/scan/0123456789abcdef" ]; echo $?)" "... but removed"
is "$(present "${A_LAYERS[@]}" | tr '\n' '|')" "u l s|u l s|" "a's caches untouched"

# ---- an entry in use by another process stays ----
printf 'FROM bb:1\nRUN echo ccc >/c\n' >"$T/a/Dockerfile"
"$PYOCI" build -t c:1 "$T/a" 2>"$T/c.log" || bail "build c:1 failed"
c_layer=$(layers_of c:1 | tail -1)
"$PYOCI" layers c:1 >/dev/null 2>&1
is "$(present "$c_layer")" "u l" "c's layer is unpacked and sized"
"$PYOCI" rmi c:1 >/dev/null
lock=$C/unpacked/$c_layer.lock
(
  exec 9>>"$lock"
  flock 9
  exec sleep 60
) &
holder=$!
_pids+=("$holder")
until ! flock -n "$lock" true; do sleep 0.1; done # the holder has it
run "$PYOCI" prune -f
is "$rc" 0 "prune with a busy layer lock exits 0"
ok "$([ -d "$C/unpacked/$c_layer" ] && [ -e "$lock" ]; echo $?)" "the busy layer's unpacked dir and lock stay"
like "$err" "keeping '.*/cache/unpacked/$c_layer': in use by another process" "prune says why it kept it"
is "$(present "$c_layer")" "u" "its other cache entry went (layer size)"
kill "$holder"
wait "$holder" 2>/dev/null
c_bytes=$(find "$C/unpacked/$c_layer" ! -type d -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')
run "$PYOCI" prune -f
is "$rc:$out" "0:Total reclaimed space: $(hsize "$c_bytes" 4)" "once the holder is gone prune removes it"
ok "$([ ! -e "$C/unpacked/$c_layer" ] && [ ! -e "$lock" ]; echo $?)" "... dir and lock file"
run "$PYOCI" prune -f
is "$out" "Total reclaimed space: 0B" "nothing left to prune"

# ---- --build-cache: the whole build cache, RUN --mount caches included ----
mkdir -p "$T/m"
printf 'FROM bb:1\nRUN --mount=type=cache,target=/c sh -c "echo run >>/c/log; wc -l </c/log >/count"\n' >"$T/m/Dockerfile"
"$PYOCI" build -q -t m:1 "$T/m" >/dev/null 2>"$T/m.log" || { sed 's/^/#   /' "$T/m.log"; bail "build m:1 failed"; }
mounts_before=$(ls "$C/mounts" | grep -vc '\.lock$')
is "$mounts_before" "1" "the RUN --mount cache directory is in the store"
run "$PYOCI" prune -f
ok "$([ -n "$(ls "$C/mounts")" ] && [ -n "$(ls "$C/build")" ]; echo $?)" "plain prune keeps the build cache of a live image"
mount_bytes=$(find "$C/mounts" "$C/build" ! -type d -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')
run "$PYOCI" prune -f --build-cache
is "$rc" 0 "prune --build-cache"
is "$out" "Total reclaimed space: $(hsize "$mount_bytes" 4)" "it counts the records and the cache directory"
is "$(ls -A "$C/mounts" "$C/build" 2>/dev/null | grep -v ':$' | grep -c .)" "0" "every build record and mount cache is gone"
"$PYOCI" build -t m:1 "$T/m" 2>"$T/m2.log" >/dev/null || bail "rebuild m:1 failed"
is "$(steps "$T/m2.log")" "FROM RUN" "the next build runs its steps again"
is "$("$PYOCI" save m:1 | tar -xO --wildcards '*/layer.tar' | tar -xOi count 2>/dev/null | tr -d ' ')" "1" \
  "with an empty mount cache"
run "$PYOCI" prune -f --build-cache </dev/null
is "$rc" 0 "--build-cache with -f asks nothing"
run "$PYOCI" prune --build-cache </dev/null
like "$out" "remove all dangling images and all build cache" "without -f it says what it will remove"

run "$PYOCI" prune --help
like "$out" "unpacked layers, layer sizes and scan records" "prune --help names the caches"
like "$out" "--build-cache" "and --build-cache"
done_testing
