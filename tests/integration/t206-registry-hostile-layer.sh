#!/bin/bash
# pyoci pull against a hostile image on a real registry (Debian's
# docker-registry on 127.0.0.1): with --check-layers, layers whose entries
# are "../" names or absolute names are refused while they download, the
# message names the layer digest and the entry, and nothing of the image is
# left in the store (fsck clean, not listed); copy docker:// --check-layers
# and copy oci:DIR the same.  Without the flag pull stores the verified
# blobs, as skopeo does, and the first reader refuses the layer (run's
# unpack, layers): nothing is written outside the root either way.  A layer
# with symlinks pointing out of the root is pulled, as Docker pulls it:
# unpacking resolves them inside the root.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/registry-lib.sh"
cd "$T" || bail "no temp dir"
start_registry reg
MKTAR=$TOP/tests/data/mktar.py
PUSHRAW=$TOP/tests/integration/helpers/pushraw.py

python3 "$MKTAR" good.tar.gz '[{"name": "etc", "type": "dir"}, {"name": "etc/motd", "data": "hello"}]' --gzip ||
  bail "mktar"
python3 "$PUSHRAW" "$REG" t/good 1 good.tar.gz >/dev/null || bail "push good"
run "$PYOCI" pull -q "$REG/t/good:1"
is "$rc" 0 "a well-formed image pulls"

# kind, entries of the hostile layer, the message pyoci must give (after the digest)
cases=(
  "dotdot|[{\"name\": \"ok\", \"data\": \"1\"}, {\"name\": \"../evil\", \"data\": \"pwned\"}]|entry '../evil': path contains a '..' component"
  "absolute|[{\"name\": \"/etc/evil\", \"data\": \"pwned\"}]|entry '/etc/evil': absolute path"
  "hardlink|[{\"name\": \"h\", \"type\": \"link\", \"link\": \"../../../etc/shadow\"}]|entry 'h': hard link target '../../../etc/shadow' is outside the archive"
)
for c in "${cases[@]}"; do
  IFS='|' read -r kind entries want <<<"$c"
  python3 "$MKTAR" "$kind.tar.gz" "$entries" --gzip || bail "mktar $kind"
  # a good first layer, new to the store: it must not be left behind either
  python3 "$MKTAR" "first-$kind.tar.gz" "[{\"name\": \"first-$kind\", \"data\": \"$kind\"}]" --gzip || bail "mktar"
  mapfile -t digests < <(python3 "$PUSHRAW" "$REG" "t/evil-$kind" 1 "first-$kind.tar.gz" "$kind.tar.gz")
  bad=${digests[1]}
  [ -n "$bad" ] || bail "push $kind"
  before=$(store_fingerprint)
  run "$PYOCI" pull --check-layers "$REG/t/evil-$kind:1"
  is "$rc" 1 "$kind: pull --check-layers fails"
  is "$err" "pyoci: pull $REG/t/evil-$kind:1: layer refused: read '$bad': $want" \
    "$kind: one line naming the layer digest and the entry"
  is "$(store_fingerprint)" "$before" "$kind: the store is byte for byte as before"
  run "$PYOCI" fsck
  is "$rc" 0 "$kind: fsck clean"
  run "$PYOCI" images
  ! grep -q "evil-$kind" <<<"$out"
  ok $? "$kind: images does not list it"
  is "$(find "$T" -name evil -o -name "first-$kind")" "" "$kind: no entry of the image was written anywhere"
done

# A layer of plain (uncompressed) tar: checked just the same.
python3 "$MKTAR" plain.tar '[{"name": "../plain-evil", "data": "x"}]' || bail "mktar plain"
bad=$(python3 "$PUSHRAW" "$REG" t/evil-plain 1 plain.tar)
run "$PYOCI" pull --check-layers "$REG/t/evil-plain:1"
is "$err" "pyoci: pull $REG/t/evil-plain:1: layer refused: read '$bad': entry '../plain-evil': path contains a '..' component" \
  "an uncompressed layer is checked too"

# copy docker:// goes through the same pull
run "$PYOCI" copy --check-layers "docker://$REG/t/evil-dotdot:1" evil-copy:1
is "$rc" 1 "copy docker:// --check-layers of the hostile image fails"
like "$err" "layer refused: read 'sha256:[0-9a-f]{64}': entry '../evil'" "copy: the same refusal"

# The same layer in an OCI layout directory: copy oci:DIR checks it too,
# before any blob enters the store.
python3 "$PUSHRAW" --oci "$T/layout" x first-dotdot.tar.gz dotdot.tar.gz >"$T/layout.digests" || bail "layout"
bad=$(tail -1 "$T/layout.digests")
before=$(store_fingerprint)
run "$PYOCI" copy "oci:$T/layout:x" evil-layout:1
is "$rc:$err" "1:pyoci: '$T/layout': layer refused: read '$bad': entry '../evil': path contains a '..' component" \
  "copy oci:DIR of the hostile image: refused, layer and entry named"
is "$(store_fingerprint)" "$before" "copy oci:DIR: the store is byte for byte as before"

# Without --check-layers pull stores the blobs (their digests verified) as
# skopeo does; the first pass that reads a layer refuses it.  run unpacks
# into the store's layer cache and must refuse before anything is made, and
# the image is still pulled (fsck clean): `pyoci rmi` is the way out.
n=0
for c in "${cases[@]}"; do
  IFS='|' read -r kind entries want <<<"$c"
  n=$((n + 1))
  bad=$(python3 "$PUSHRAW" "$REG" "t/evil-$kind" 1 "first-$kind.tar.gz" "$kind.tar.gz" | tail -1)
  run "$PYOCI" pull -q "$REG/t/evil-$kind:1"
  is "$rc:$err" "0:" "$kind: pull without --check-layers stores the image"
  run "$PYOCI" fsck
  is "$rc" 0 "$kind: fsck clean with the hostile image stored"
  run "$PYOCI" run --rm --network=host "$REG/t/evil-$kind:1" /first-$kind
  is "$rc" 125 "$kind: run refuses the image (125: docker run's exit code for a container that could not be made)"
  like "$err" "^pyoci: [a-z ]+'$bad': entry '[^']*': [a-z]" "$kind: run names the layer and the entry"
  is "$(find "$T" "$PYOCI_STORE" -name evil -o -name shadow | grep -v '/blobs/')" "" "$kind: nothing of the entry was written"
  is "$(find "$PYOCI_STORE/tmp" -mindepth 1 2>/dev/null)" "" "$kind: no half-unpacked layer left in the store's tmp"
  is "$(find "$PYOCI_STORE/cache/unpacked" -mindepth 1 -maxdepth 1 -type d | wc -l)" "$n" \
    "$kind: of this image, only the good first layer is in the unpacked cache"
done
run "$PYOCI" layers "$REG/t/evil-dotdot:1"
is "$rc" 1 "layers refuses the '..' layer too"
like "$err" "entry '../evil': path contains a '..' component" "layers: the same reason"

# A config that lies about a layer's diff_id (claims the good layer's, as a
# cache-poisoning image would): --check-layers hashes what it inflates and
# refuses at the door, the store unchanged; without it the image is stored
# and run's unpack refuses it before anything lands under the claimed id.
good_id=sha256:$(gzip -dc good.tar.gz | sha256sum | cut -d' ' -f1)
python3 "$MKTAR" liar.tar.gz '[{"name": "etc", "type": "dir"}, {"name": "etc/motd", "data": "pwned"}]' --gzip ||
  bail "mktar liar"
liar=$(python3 "$PUSHRAW" --diff-id "$good_id" "$REG" t/liar 1 liar.tar.gz)
liar_id=sha256:$(gzip -dc liar.tar.gz | sha256sum | cut -d' ' -f1)
before=$(store_fingerprint)
run "$PYOCI" pull --check-layers "$REG/t/liar:1"
is "$rc:$err" "1:pyoci: pull $REG/t/liar:1: layer refused: read '$liar': content hashes to $liar_id, not to its diff_id $good_id" \
  "--check-layers: a layer that is not what the config says is refused, both digests named"
is "$(store_fingerprint)" "$before" "--check-layers: the store is byte for byte as before"
run "$PYOCI" pull -q "$REG/t/liar:1"
is "$rc" 0 "without --check-layers the lying image is stored"
run "$PYOCI" run --rm --network=host "$REG/t/liar:1" /etc/motd
is "$rc:$err" "125:pyoci: read '$liar': content hashes to $liar_id, not to its diff_id $good_id" \
  "run refuses it when it unpacks"
is "$(ls "$PYOCI_STORE/cache/unpacked" | grep -c "^${good_id#sha256:}$")" 0 "nothing unpacked under the claimed diff_id"
# The same lie in an OCI layout (copy oci:DIR) and in an oci-archive (load):
# both check at the door, entries and diff_ids, before any blob is kept.
python3 "$PUSHRAW" --diff-id "$good_id" --oci "$T/liarlayout" x liar.tar.gz >/dev/null || bail "liar layout"
before=$(store_fingerprint)
run "$PYOCI" copy "oci:$T/liarlayout:x" liar-layout:1
is "$rc:$err" "1:pyoci: '$T/liarlayout': layer refused: read '$liar': content hashes to $liar_id, not to its diff_id $good_id" \
  "copy oci:DIR: a layer that is not its diff_id is refused at the door"
is "$(store_fingerprint)" "$before" "copy oci:DIR: the store is byte for byte as before"
tar -C "$T/liarlayout" -cf liar-oci.tar . || bail "oci-archive"
run "$PYOCI" load -i liar-oci.tar
is "$rc" 1 "load of the lying oci-archive fails"
like "$err" "load 'liar-oci.tar': layer 1: read '$liar': content hashes to $liar_id, not to its diff_id $good_id" \
  "load: refused at the door, both digests named"
run "$PYOCI" images
! grep -q liar-oci <<<"$out"
ok $? "load: nothing tagged"

# Symlinks pointing out of the root, even with a write through them: Docker
# pulls this (its extraction is chrooted) and so does pyoci, which resolves
# links inside the root when it unpacks (tests/unit/test_unpack.c).
python3 "$MKTAR" links.tar.gz '[{"name": "esc", "type": "symlink", "link": "../../../../../etc"},
  {"name": "abs", "type": "symlink", "link": "/etc/passwd"}]' --gzip || bail "mktar links"
python3 "$PUSHRAW" "$REG" t/links 1 good.tar.gz links.tar.gz >/dev/null || bail "push links"
run "$PYOCI" pull -q "$REG/t/links:1"
is "$rc:$err" "0:" "symlinks pointing out of the root are pulled (as docker pull does)"
run "$PYOCI" fsck
is "$rc" 0 "fsck clean at the end"

done_testing
