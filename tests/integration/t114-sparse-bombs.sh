#!/bin/bash
# Issue 9, a gap left by item 5: sparse-file bombs.  A tar of 1.5 KiB
# (GNU sparse 'S', or PAX GNU.sparse 0.0 / 0.1 / 1.0) declares a 1 TiB file
# of holes.  The decompression limits counted stream bytes only, so it was
# loaded and imported; import then re-tarred a terabyte of zeros (100 min),
# COPY --from wrote one to disk (2.6 GB in its first 10 s) and a sparse
# member of a docker-archive was spooled into a blob as zeros.  Holes now
# count as decompressed bytes against --max-decompressed-size and
# --max-compression-ratio, refused at the entry's header with one line
# naming the layer, the file and the limit; a sparse file within the limits
# keeps its holes when unpacked and when copied (blocks on disk: 0), and a
# layer pyoci writes (holes as zeros) is held to the size limit.
# Unit tests: test_tar_read (each format, bad maps), test_unpack (holes kept).
source "$(dirname "$0")/lib.sh"
source "$TOP/tests/integration/build-lib.sh"
cd "$T" || bail "no temp dir"
SP="python3 $TOP/tests/data/sparse_tar.py"

for f in gnu pax00 pax01 pax10; do
  $SP layer $f 1T $f.tar && $SP archive $f.tar ar-$f.tar sp-$f:1 || bail "fixture $f"
done
diag "gnu.tar: $(stat -c %s gnu.tar) bytes declaring a 1 TiB file"
python3 - <<'PY'
import sys, tarfile
for f in ("gnu", "pax00", "pax01", "pax10"):
    m = tarfile.open(f + ".tar").getmembers()[0]
    if not (m.issparse() and m.size == 1 << 40 and m.sparse[0] == (1 << 40, 0)):
        sys.exit("%s: not a 1 TiB all-hole sparse entry" % f)
PY
ok $? "the fixtures are 1 TiB all-hole sparse entries, as Python's tarfile reads them"

# a store with one image in it, to show a refusal changes nothing
mkdir -p img && echo hi >img/f && "$PYOCI" -q import img -t keep:1 >/dev/null || bail "import keep:1"
before_index=$(cat "$PYOCI_STORE/index.json")
unchanged() {
  is "$(cat "$PYOCI_STORE/index.json")" "$before_index" "$1: index.json unchanged"
  is "$(ls -A "$PYOCI_STORE/tmp")" "" "$1: nothing left in the store's tmp/"
}
small_store() { # the store stays small on disk (holes and refusals cost nothing)
  local kib
  kib=$(du -sk "$PYOCI_STORE" | cut -f1)
  ok $([ "$kib" -lt "$2" ]; echo $?) "$1: the store uses ${kib} KiB on disk (< $2)"
}

size_re="entry 'big': a sparse file of 1\.0 TiB, 1\.0 TiB of it holes: with its holes counted, the archive decompresses to more than 64\.0 GiB \(the limit; see --max-decompressed-size\)$"
for f in gnu pax00 pax01 pax10; do
  run "$PYOCI" load -i ar-$f.tar
  is "$rc" 1 "load, $f: refused"
  like "$err" "^pyoci: load 'ar-$f.tar': layer 1: read 'sha256:[0-9a-f]{64}': $size_re" \
    "load, $f: one line naming the archive, the layer, the file and the limit"
  unchanged "load $f"
done
run "$PYOCI" inspect sp-gnu:1
[ "$rc" != 0 ]; ok $? "no image sp-gnu:1"

run "$PYOCI" import gnu.tar -t imp:1
is "$rc" 1 "import of the 1 TiB sparse tar: refused"
like "$err" "^pyoci: import 'gnu.tar': read 'gnu.tar': $size_re" "naming the tarball, the file and the limit"
unchanged "import"

# under the size limit, the ratio: 4 GiB of holes from 1.5 KiB
$SP layer pax10 4G g4.tar || bail "fixture g4"
run "$PYOCI" import g4.tar -t imp:1
is "$rc" 1 "import of 4 GiB of holes: refused"
like "$err" "entry 'big': a sparse file of 4\.0 GiB, 4\.0 GiB of it holes: with its holes counted, the archive decompresses to more than 100 times its compressed size \(4\.0 GiB from [0-9.]+ KiB\): a decompression bomb\? \(the limit; see --max-compression-ratio\)$" \
  "by the ratio, saying so"
unchanged "import 4 GiB"

# the archive itself: its layer member is the sparse entry
$SP outer 1T outer.tar || bail "fixture outer"
run "$PYOCI" load -i outer.tar
is "$rc" 1 "load of an archive whose layer member is 1 TiB of holes: refused"
like "$err" "^pyoci: load 'outer.tar': read 'outer.tar': entry '[0-9a-f]{64}/layer.tar': a sparse file of 1\.0 TiB" \
  "naming the member"
unchanged "load outer"
small_store "after the refusals" 4096

# the limits off: accepted, and the holes stay holes
run "$PYOCI" --max-decompressed-size 0 --max-compression-ratio 0 load -i ar-gnu.tar
is "$rc" 0 "with both limits off the 1 TiB sparse image loads"
small_store "the loaded (and unpacked) 1 TiB image" 4096
run "$PYOCI" layers --max-decompressed-size 0 --max-compression-ratio 0 sp-gnu:1
like "$out" "1\.1 TB  /big" "layers with the limits off: /big is 1.1 TB (its declared size, as docker reports it)"
run "$PYOCI" layers sp-gnu:1
[ "$rc" != 0 ]; ok $? "layers with the default limits: refused"
like "$err" "$size_re" "naming the file and the limit"
run "$PYOCI" save -o saved.tar sp-gnu:1
is "$rc" 0 "save copies the stored layer as it is"
ok $([ "$(stat -c %s saved.tar)" -lt 65536 ]; echo $?) "the saved archive is small ($(stat -c %s saved.tar) bytes)"

# the image is in the store now (or was, unpacked, before holes counted):
# a layer pyoci writes holds holes as zeros, so COPY --from of /big would
# write a terabyte; the layer is held to the size limit as it is written
mkdir -p ctx-copy && printf 'FROM scratch\nCOPY --from=sp-gnu:1 /big /big\n' >ctx-copy/Dockerfile
before_index=$(cat "$PYOCI_STORE/index.json")
run "$PYOCI" build -t cp:1 ctx-copy
is "$rc" 1 "COPY --from of the 1 TiB file: refused"
like "$err" "'big' \(1\.0 TiB, 1\.0 TiB of it holes\) takes the layer past 64\.0 GiB of file content \(the limit; see --max-decompressed-size\)$" \
  "before writing the layer, naming the file and the limit"
unchanged "COPY --from"
small_store "after the refused COPY --from" 8192

# within the limits (64 MiB of holes, under the 256 MiB grace): a RUN
# sees the file with no block on disk, unpacked and copied alike
command -v busybox >/dev/null && [ "$(id -u)" = 0 ] && command -v runc >/dev/null || {
  skip "RUN needs root, runc and busybox"
  done_testing
}
make_busybox_rootfs "$T/bb" && tar -C "$T/bb" -cf base.tar . || bail "busybox rootfs"
$SP layer gnu 64M bbs.tar "" base.tar && $SP archive bbs.tar ar-bbs.tar bbs:1 || bail "fixture bbs"
run "$PYOCI" load -i ar-bbs.tar
is "$rc" 0 "64 MiB of holes: loaded with the default limits"
mkdir -p ctx
printf 'FROM bbs:1\nRUN stat -c "big size=%%s blocks=%%b" /big\nCOPY --from=bbs:1 /big /copied\nRUN stat -c "copied size=%%s blocks=%%b" /copied\n' >ctx/Dockerfile
run "$PYOCI" build -t bbs-run:1 ctx
is "$rc" 0 "build FROM it, RUN and COPY --from"
like "$err$out" "big size=67108864 blocks=0" "RUN: the unpacked file is 64 MiB of holes, no block written"
like "$err$out" "copied size=67108864 blocks=0" "COPY --from: the copy keeps its holes"

done_testing
