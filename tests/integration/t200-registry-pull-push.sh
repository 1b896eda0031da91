#!/bin/bash
# pyoci push/pull/copy against Debian's docker-registry (distribution v2) on
# 127.0.0.1 over plain http, checked with skopeo: digests equal across round
# trips, blobs skipped and mounted, chunked uploads, a two-platform index
# pulled by platform, oci: layouts both ways, registry errors in one line.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/registry-lib.sh"
command -v skopeo >/dev/null || skip_all "skopeo not installed"
cd "$T" || bail "no temp dir"
start_registry reg

import_busybox bb:1
src_digest=$(store_digest bb:1)

# ---- push ----
run "$PYOCI" push bb:1 "$REG/t/bb:1"
is "$rc" 0 "push to a plain-http loopback registry"
like "$out" "^1: digest: $src_digest size: [0-9]+$" "docker's line: TAG: digest: ... size: N"
like "$err" "2 blobs uploaded, 0 mounted, 0 already there" "config and layer uploaded"
sk=$(skopeo inspect --tls-verify=false --raw "docker://$REG/t/bb:1" | sha256sum | cut -d' ' -f1)
is "sha256:$sk" "$src_digest" "skopeo reads back the same manifest bytes"
run "$PYOCI" push bb:1 "$REG/t/bb:1"
like "$err" "0 blobs uploaded, 0 mounted, 2 already there" "second push: every blob skipped (HEAD)"
run "$PYOCI" push bb:1 "$REG/t/other:1"
like "$err" "2 blobs uploaded, 0 mounted, 0 already there" "another repository: blobs uploaded (bb:1 is not named on this registry)"

# mount: the image's name is on the same registry, another repository
"$PYOCI" tag bb:1 "$REG/t/bb:1" || bail "tag failed"
run "$PYOCI" push "$REG/t/bb:1" "$REG/t/mounted:1"
is "$rc" 0 "push with cross-repository mount"
like "$err" "0 blobs uploaded, 2 mounted" "blobs mounted from t/bb, not uploaded"

# chunked upload
export PYOCI_STORE=$T/store-chunk
import_busybox big:1
run "$PYOCI" push --chunk-size 65536 big:1 "$REG/t/chunked:1"
is "$rc" 0 "chunked push (PATCH + PUT)"
chunk_digest=$(store_digest big:1)
is "$(skopeo inspect --tls-verify=false --raw "docker://$REG/t/chunked:1" | sha256sum | cut -d' ' -f1)" \
  "${chunk_digest#sha256:}" "chunked upload landed intact"
skopeo copy -q --src-tls-verify=false "docker://$REG/t/chunked:1" "oci:$T/sk-chunk:x" >/dev/null 2>&1
ok $? "skopeo copies the chunked upload (layer digests verified by skopeo)"

# ---- pull into a fresh store ----
export PYOCI_STORE=$T/store2
run "$PYOCI" pull "$REG/t/bb:1"
is "$rc" 0 "pull"
is "$(printf '%s\n' "$out" | sed -n 1p)" "Digest: $src_digest" "Digest line"
is "$(printf '%s\n' "$out" | sed -n 2p)" "Status: Downloaded newer image for $REG/t/bb:1" "Status line"
is "$(store_digest "$REG/t/bb:1")" "$src_digest" "store holds the same manifest digest"
is "$("$PYOCI" inspect -f '{{.Id}}' "$REG/t/bb:1")" "$(PYOCI_STORE=$T/store "$PYOCI" inspect -f '{{.Id}}' bb:1)" \
  "same image ID as the pushed image"
run "$PYOCI" fsck
is "$rc" 0 "fsck clean after pull"
run "$PYOCI" pull "$REG/t/bb:1"
like "$err" "0 blobs fetched .*2 already in the store" "second pull fetches nothing"
like "$out" "Status: Image is up to date for $REG/t/bb:1" "up to date"
# on a terminal: docker-like per-layer lines (script gives pyoci a tty)
if command -v script >/dev/null; then
  PYOCI_STORE=$T/store-tty script -qec "$PYOCI pull $REG/t/bb:1" /dev/null >tty.out 2>&1
  is "$(tr -d '\r' <tty.out | grep -a -o '[0-9a-f]\{12\}: Complete$' | sort -u | wc -l)" 2 \
    "on a tty: a line per blob (redrawn in place), each ending Complete"
  grep -aq "^Digest: $src_digest" <(tr -d '\r' <tty.out)
  ok $? "and the usual result lines"
else
  skip "script (util-linux) not installed: no tty to test the progress display"
fi
run "$PYOCI" pull -q "$REG/t/bb@$src_digest"
is "$rc:$out" "0:$REG/t/bb@$src_digest" "pull by digest, -q prints the reference only"

# ---- errors ----
run "$PYOCI" pull "$REG/t/bb:3.99"
is "$rc" 1 "unknown tag fails"
is "$err" "pyoci: pull $REG/t/bb:3.99: manifest unknown: t/bb:3.99" "registry error in one line"
run "$PYOCI" pull "$REG/t/nothere:1"
like "$err" "^pyoci: pull .*(unknown|not known)" "unknown repository: the registry's message"
run "$PYOCI" pull "127.0.0.1:1/x:1"
is "$rc" 1 "unreachable registry fails"
run "$PYOCI" pull "Bad/Name"
is "$rc" 1 "invalid reference refused"

# ---- skopeo-written image -> pyoci pull ----
skopeo copy -q --dest-tls-verify=false "oci:$T/sk-chunk:x" "docker://$REG/t/fromskopeo:2" >/dev/null 2>&1 ||
  bail "skopeo copy failed"
sk=$(skopeo inspect --tls-verify=false --raw "docker://$REG/t/fromskopeo:2" | sha256sum | cut -d' ' -f1)
run "$PYOCI" pull "$REG/t/fromskopeo:2"
is "$rc" 0 "pull an image skopeo pushed"
is "$(store_digest "$REG/t/fromskopeo:2")" "sha256:$sk" "same digest as skopeo pushed"

# ---- two-platform index ----
export PYOCI_STORE=$T/store-multi
mkdir -p "$PYOCI_STORE"
"$PYOCI" images >/dev/null
mapfile -t d < <(python3 "$TOP/tests/integration/mkindex.py" "$PYOCI_STORE" multi:1)
run "$PYOCI" push multi:1 "$REG/t/multi:1"
is "$rc" 0 "push an index"
like "$out" "^1: digest: ${d[0]} size:" "the index digest is what the tag names"
idx_mt=$(skopeo inspect --tls-verify=false --raw "docker://$REG/t/multi:1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["mediaType"])')
is "$idx_mt" "application/vnd.oci.image.index.v1+json" "registry serves it as an OCI index"
export PYOCI_STORE=$T/store-multi2
run "$PYOCI" pull --platform linux/arm64 "$REG/t/multi:1"
is "$rc" 0 "pull --platform linux/arm64"
is "$(store_digest "$REG/t/multi:1")" "${d[2]}" "the arm64 manifest is tagged"
is "$(printf '%s\n' "$out" | sed -n 1p)" "Digest: ${d[0]}" "Digest line names the index"
run "$PYOCI" pull --platform linux/amd64 "$REG/t/multi:1"
is "$(store_digest "$REG/t/multi:1")" "${d[1]}" "--platform linux/amd64 picks amd64"
run "$PYOCI" pull --platform linux/s390x "$REG/t/multi:1"
like "$err" "no manifest for linux/s390x \(the index has: linux/amd64, linux/arm64\)" "missing platform: what the index has"
run "$PYOCI" pull --all-platforms "$REG/t/multi:1"
is "$(store_digest "$REG/t/multi:1")" "${d[0]}" "--all-platforms keeps the index"
run "$PYOCI" fsck
is "$rc" 0 "fsck clean with the whole index"

# ---- copy ----
export PYOCI_STORE=$T/store3
run "$PYOCI" copy "docker://$REG/t/bb:1" "oci:$T/layout:v1"
is "$rc" 0 "copy docker:// -> oci:DIR:REF"
skopeo inspect --raw "oci:$T/layout:v1" >"$T/layout.raw" 2>/dev/null
is "sha256:$(sha256sum <"$T/layout.raw" | cut -d' ' -f1)" "$src_digest" "skopeo reads the layout pyoci wrote"
run "$PYOCI" copy "oci:$T/layout:v1" "docker://$REG/t/copied:1"
is "$rc" 0 "copy oci:DIR:REF -> docker://"
is "$(skopeo inspect --tls-verify=false --raw "docker://$REG/t/copied:1" | sha256sum | cut -d' ' -f1)" \
  "${src_digest#sha256:}" "digest kept through layout and registry"
run "$PYOCI" copy "docker://$REG/t/bb:1" "docker://$REG/t/copy2:1"
is "$rc" 0 "copy registry -> registry"
run "$PYOCI" copy "docker://$REG/t/bb:1" "oci-archive:$T/bb.tar:bb:7"
is "$rc" 0 "copy docker:// -> oci-archive:"
skopeo inspect --raw "oci-archive:$T/bb.tar" >/dev/null 2>&1
ok $? "skopeo reads the oci-archive"
run "$PYOCI" copy "oci-archive:$T/bb.tar" "store:restored:1"
is "$rc:$(store_digest restored:1)" "0:$src_digest" "copy oci-archive: -> store:NAME"
run "$PYOCI" copy "docker://$REG/t/bb:1" "docker-archive:$T/bb-docker.tar:bb:8"
is "$rc" 0 "copy docker:// -> docker-archive:"
PYOCI_STORE=$T/store4 run "$PYOCI" load -i "$T/bb-docker.tar"
is "$out" "Loaded image: bb:8" "the docker-archive loads with its name"
is "$(PYOCI_STORE=$T/store4 "$PYOCI" inspect -f '{{.Id}}' bb:8)" "$("$PYOCI" inspect -f '{{.Id}}' restored:1)" \
  "same image ID through docker-archive"
run "$PYOCI" copy "docker://$REG/t/bb:1" "ftp://x"
is "$rc" 2 "unknown transport is a usage error"

done_testing
