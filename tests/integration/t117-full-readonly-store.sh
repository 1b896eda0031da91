#!/bin/bash
# Issue 9 item 9 (and item 10's full-disk build): stores on a full and on a
# read-only file system, both mounted inside the test's temp dir (a 48 MiB
# tmpfs; a read-only bind mount) and unmounted by the trap.
#  - full: `rmi` frees space although not even a new index.json fits (the
#    removed image's blobs go first, manifest first), the store stays sound;
#    a build that only changes metadata says which file it could not write.
#  - read-only: images, inspect, save, fsck (without --repair) and scan
#    work; writers fail with one line naming the store; nothing changes.
source "$(dirname "$0")/lib.sh"
need_root
cd "$T" || bail "no temp dir"
mkdir -p full rw ro
cleanup_mounts() {
  umount "$T/ro" 2>/dev/null || umount -l "$T/ro" 2>/dev/null
  umount "$T/full" 2>/dev/null || umount -l "$T/full" 2>/dev/null
}
trap 'cleanup_mounts; _on_exit' EXIT
mount -t tmpfs -o size=48m,mode=0755 pyoci-test-full "$T/full" || skip_all "cannot mount a tmpfs here"

# ---- full ----
export PYOCI_STORE=$T/full/store
mkdir -p a b
head -c 12000000 /dev/urandom >a/blob
head -c 12000000 /dev/urandom >b/blob
"$PYOCI" -q import a -t a:1 >/dev/null && "$PYOCI" -q import b -t b:1 >/dev/null || bail "import a:1, b:1"
"$PYOCI" tag b:1 b:2 || bail "tag b:2"
free_kb() { df -k --output=avail "$T/full" | tail -n 1 | tr -d ' '; }
fill() { # fill the file system to the last block
  rm -f "$T/full/filler"
  dd if=/dev/zero of="$T/full/filler" bs=64k 2>/dev/null
  head -c 4096 /dev/zero >>"$T/full/filler" 2>/dev/null
  ! echo x >"$T/full/probe" 2>/dev/null
}
fill
ok $? "the file system is full (a one-byte file cannot be written)"
rm -f "$T/full/probe"

printf 'FROM b:1\nENV A=1\nLABEL x=y\n' >Dockerfile
run "$PYOCI" build -q -t meta:1 -f Dockerfile .
is "$rc" 1 "a metadata-only build on a full disk fails"
is "$err" "pyoci: commit image config: write a new blob in '$PYOCI_STORE/tmp': No space left on device" \
  "naming what it was writing and where (it was \"write 'blob in store tmp/'\")"
is "$(printf '%s\n' "$err" | wc -l)" 1 "in one line"

run "$PYOCI" tag b:1 b:3
is "$rc" 1 "a tag (which needs a new index.json) fails on the full disk"
like "$err" "index\.json.*No space left on device" "naming index.json"

before=$(free_kb)
run "$PYOCI" rmi a:1
is "$rc" 0 "rmi of an image works on the full disk"
like "$out" "Untagged: a:1" "it says what it did"
after=$(free_kb)
ok $([ "$after" -gt $((before + 10000)) ]; echo $?) "and frees the image's space (${before} KiB free before, ${after} KiB after)"
is "$("$PYOCI" images --format '{{.Repository}}:{{.Tag}}' | sort | tr '\n' ' ')" "b:1 b:2 " "only a:1 is gone"
run "$PYOCI" fsck
is "$rc" 0 "the store is sound"

fill
run "$PYOCI" rmi b:2
diag "rmi of a name whose image another name keeps, disk full: rc=$rc $err"
is "$rc" 1 "removing a name that frees nothing cannot rewrite index.json on a 100% full disk"
like "$err" "index\.json.*No space left on device" "and says why, naming index.json"
rm -f "$T/full/filler"
run "$PYOCI" rmi b:2
is "$rc" 0 "with space back it works"
run "$PYOCI" fsck
is "$rc" 0 "the store is sound"

# The state an rmi killed half-way on a full disk leaves (its manifest
# deleted first, index.json not yet rewritten): the other images work,
# fsck names it, fsck --repair drops it, and nothing else is touched.
"$PYOCI" -q import a -t half:1 >/dev/null || bail "import half:1"
hd=$("$PYOCI" images --digests --format '{{.Digest}}' half:1)
rm "$PYOCI_STORE/blobs/sha256/${hd#sha256:}"
run "$PYOCI" images --format '{{.Repository}}:{{.Tag}}'
is "$rc:$out" "0:b:1" "killed half-way: images lists the others"
like "$err" "skipping image $hd" "and warns about the half-removed one"
run "$PYOCI" fsck
like "$out" "image half:1: manifest blob $hd is missing" "fsck names it"
run "$PYOCI" fsck --repair
is "$rc" 0 "fsck --repair drops the entry"
is "$("$PYOCI" images --format '{{.Repository}}:{{.Tag}}')" "b:1" "and b:1 is untouched"

# ---- read-only ----
export PYOCI_STORE=$T/rw/store
"$PYOCI" -q import a -t ro:1 --change 'CMD ["/bin/true"]' >/dev/null || bail "import ro:1"
python3 - "$T/osv" <<'PY' || bail "OSV fixture"
import json, os, sys
os.makedirs(sys.argv[1], exist_ok=True)
json.dump({"id": "TEST-1", "modified": "2024-01-01T00:00:00Z",
           "affected": [{"package": {"ecosystem": "PyPI", "name": "x"}, "versions": ["1.0"]}]},
          open(os.path.join(sys.argv[1], "TEST-1.json"), "w"))
PY
"$PYOCI" -q db import --db "$T/vuln.db" "$T/osv" || bail "db import"
before=$(store_fingerprint "$T/rw/store")
mount --bind "$T/rw" "$T/ro" && mount -o remount,bind,ro "$T/ro" || bail "cannot make a read-only bind mount"
export PYOCI_STORE=$T/ro/store
touch "$PYOCI_STORE/probe" 2>/dev/null
ok $([ $? != 0 ]; echo $?) "the store is read-only"

run "$PYOCI" images --format '{{.Repository}}:{{.Tag}}'
is "$rc:$out" "0:ro:1" "images works on a read-only store"
run "$PYOCI" inspect --format '{{.Config.Cmd}}' ro:1
is "$rc:$out" "0:[/bin/true]" "inspect works"
run "$PYOCI" save ro:1 -o "$T/ro.tar"
is "$rc" 0 "save works (the output is elsewhere)"
ok $(tar -tf "$T/ro.tar" | grep -q manifest.json; echo $?) "and writes an archive"
run "$PYOCI" fsck
is "$rc" 0 "fsck works"
like "$out" "^ok: 1 image" "and finds the store sound"
run "$PYOCI" scan --db "$T/vuln.db" --scanners vuln ro:1
is "$rc" 0 "scan works${err:+: $err}"
run "$PYOCI" layers ro:1
is "$rc" 0 "layers works${err:+: $err}"

run "$PYOCI" rmi ro:1
is "$rc" 1 "rmi fails"
like "$err" "^pyoci: .*$T/ro/store.*Read-only file system$" "with one line naming the store"
run "$PYOCI" fsck --repair
is "$rc" 1 "fsck --repair fails"
like "$err" "$T/ro/store" "naming the store"
run "$PYOCI" import a -t ro:2
is "$rc" 1 "import fails"
like "$err" "Read-only file system" "saying why"
is "$(store_fingerprint "$T/rw/store")" "$before" "nothing in the store changed"
done_testing
