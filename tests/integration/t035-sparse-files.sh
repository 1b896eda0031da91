#!/bin/bash
# Issue 9 item 7: sparse files in tar archives (GNU sparse, PAX sparse 1.0)
# come out with their declared size and contents.  An all-hole file has no
# data block at all, and was imported (and unpacked from a loaded image) as
# 0 bytes; a trailing hole was cut off the same way.  GNU tar writes the
# archives, as `tar -S` users produce them.
source "$(dirname "$0")/lib.sh"
cd "$T" || exit 1

# the files: all hole; data then a trailing hole; a hole then data
mkdir -p src
truncate -s 3145728 src/allhole
printf 'head' >src/tailhole && truncate -s 2097152 src/tailhole
dd if=/dev/zero of=src/middle bs=1 count=0 seek=1048576 2>/dev/null && printf 'end' >>src/middle
chmod 0644 src/*
want() { # want FILE: "SIZE sha256:HEX" of the source file
  printf '%s sha256:%s' "$(stat -c %s "src/$1")" "$(sha256sum <"src/$1" | cut -d' ' -f1)"
}
# tree line of FILE in a saved image: "SIZE DIGEST"
got() { python3 "$TOP/tests/tools/imgtree.py" tree "$1" | awk -v p="$2" '$1 == p { print $6, $7 }'; }

for fmt in gnu pax1; do
  case $fmt in
    gnu) tar -C src --sparse --format=gnu --owner=0 --group=0 -cf $fmt.tar allhole tailhole middle ;;
    pax1) tar -C src --sparse --format=posix --sparse-version=1.0 --owner=0 --group=0 -cf $fmt.tar allhole tailhole middle ;;
  esac
  # the archive really holds sparse entries (else the test proves nothing)
  python3 - $fmt.tar <<'PY'
import sys, tarfile
t = tarfile.open(sys.argv[1])
sys.exit(0 if all(m.issparse() for m in t.getmembers()) else 1)
PY
  ok $? "$fmt: tar wrote sparse entries"

  # import: unpacked and re-tarred
  run "$PYOCI" import $fmt.tar -t sp-$fmt:1
  is "$rc" 0 "$fmt: import"
  "$PYOCI" save -o imp-$fmt.tar sp-$fmt:1
  for f in allhole tailhole middle; do
    is "$(got imp-$fmt.tar $f)" "$(want $f)" "$fmt: imported $f has its full size and contents"
  done

  # load: a docker-archive whose layer is the sparse tar, unpacked by load
  # (as docker load does) and read back through a build's COPY --from
  python3 - $fmt.tar ld-$fmt.tar "ld-$fmt:1" <<'PY'
import hashlib, io, json, sys, tarfile
layer = open(sys.argv[1], "rb").read()
lid = hashlib.sha256(layer).hexdigest()
cfg = json.dumps({"architecture": "amd64", "os": "linux", "config": {},
                  "rootfs": {"type": "layers", "diff_ids": ["sha256:" + lid]}}).encode()
cid = hashlib.sha256(cfg).hexdigest()
man = json.dumps([{"Config": cid + ".json", "RepoTags": [sys.argv[3]], "Layers": [lid + "/layer.tar"]}]).encode()
with tarfile.open(sys.argv[2], "w") as t:
    for name, data in ((cid + ".json", cfg), (lid + "/layer.tar", layer), ("manifest.json", man)):
        i = tarfile.TarInfo(name); i.size = len(data); t.addfile(i, io.BytesIO(data))
PY
  run "$PYOCI" load -i ld-$fmt.tar
  is "$rc" 0 "$fmt: load"
  mkdir -p ctx-$fmt && printf 'FROM scratch\nCOPY --from=ld-%s:1 / /\n' $fmt >ctx-$fmt/Dockerfile
  run "$PYOCI" build -q -t cp-$fmt:1 ctx-$fmt
  is "$rc" 0 "$fmt: build from the loaded image"
  "$PYOCI" save -o cp-$fmt.tar cp-$fmt:1
  for f in allhole tailhole middle; do
    is "$(got cp-$fmt.tar $f)" "$(want $f)" "$fmt: loaded $f has its full size and contents"
  done
done

# a sparse entry whose data runs past its declared size is refused, naming it
python3 - gnu.tar bad.tar <<'PY'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
# 'middle' (GNU 'S' header): realsize (offset 483, 12 octal digits) made
# smaller than its data block's offset
i = next(o for o in range(0, len(b), 512) if b[o:o + 6] == b"middle")
b[i + 483:i + 495] = b"%011o\0" % 16
s = sum(b[i:i + 148]) + 8 * 32 + sum(b[i + 156:i + 512])
b[i + 148:i + 156] = b"%06o\0 " % s
open(sys.argv[2], "wb").write(b)
PY
run "$PYOCI" import bad.tar -t bad:1
[ "$rc" != 0 ]; ok $? "content past the declared size: refused"
like "$err" "middle" "the error names the entry"
run "$PYOCI" inspect bad:1
[ "$rc" != 0 ]; ok $? "no image bad:1 left"

done_testing
