#!/bin/bash
# Issue 9 item 5: decompression bombs.  A layer of 1 GiB of zeros is 1 MiB
# of gzip; pyoci refuses it at load and import (default limits: 256 MiB +
# 100 x the compressed size, 64 GiB in all), with one line naming the
# archive, the layer and the limit, and leaves the store as it was.  The
# limits move with --max-compression-ratio / --max-decompressed-size (before
# or after the verb); an OSV zip bomb is refused by `db import` the same way
# and the database is untouched.  The bombs are made streaming, member by
# member: nothing uncompressed is ever on disk.  (.deb and wheel bombs:
# tests/unit/test_inflate_limit.c.)
source "$(dirname "$0")/lib.sh"
cd "$T" || bail "no temp dir"

# bomb.py OUT MIB [archive|layer]: a gzip stream of a tar holding MIB MiB of
# zeros, one gzip member per MiB (each ~1 KiB); "archive" wraps it as a
# docker-archive layer with the right diff_id.
cat >bomb.py <<'PY'
import gzip, hashlib, io, json, sys, tarfile
out, mib, kind = sys.argv[1], int(sys.argv[2]), sys.argv[3]
ti = tarfile.TarInfo("zeros"); ti.size = mib << 20; ti.mtime = 1700000000; ti.mode = 0o644
head = ti.tobuf(format=tarfile.USTAR_FORMAT)
zero = bytes(1 << 20)
zmember = gzip.compress(zero, mtime=0)
diff = hashlib.sha256(head)
parts = [gzip.compress(head, mtime=0)]
for _ in range(mib):
    parts.append(zmember); diff.update(zero)
end = bytes(1024)
parts.append(gzip.compress(end, mtime=0)); diff.update(end)
layer = b"".join(parts)
if kind == "layer":
    open(out, "wb").write(layer); sys.exit(0)
ld = hashlib.sha256(layer).hexdigest()
cfg = json.dumps({"architecture": "amd64", "os": "linux", "config": {},
                  "rootfs": {"type": "layers", "diff_ids": ["sha256:" + diff.hexdigest()]}}).encode()
c = hashlib.sha256(cfg).hexdigest()
man = json.dumps([{"Config": c + ".json", "RepoTags": ["bomb:%d" % mib], "Layers": [ld + "/layer.tar"]}]).encode()
with tarfile.open(out, "w") as t:
    for name, data in ((ld + "/layer.tar", layer), (c + ".json", cfg), ("manifest.json", man)):
        m = tarfile.TarInfo(name); m.size = len(data); t.addfile(m, io.BytesIO(data))
PY
python3 bomb.py bomb.tar 1024 archive || bail "cannot make the bomb"
python3 bomb.py small.tar 300 archive || bail "cannot make the small bomb"
python3 bomb.py rootfs.tar.gz 1024 layer || bail "cannot make the rootfs bomb"
diag "bomb.tar: $(stat -c %s bomb.tar) bytes for 1 GiB of zeros"
ok $([ "$(stat -c %s bomb.tar)" -lt 3000000 ]; echo $?) "the 1 GiB bomb is under 3 MB"

# a store with one image in it, to show a refused bomb changes nothing
mkdir -p img && echo hi >img/f && "$PYOCI" -q import img -t keep:1 >/dev/null || bail "import keep:1"
before_index=$(cat "$PYOCI_STORE/index.json")
before_images=$("$PYOCI" images -q)
unchanged() {
  is "$(cat "$PYOCI_STORE/index.json")" "$before_index" "$1: index.json unchanged"
  is "$("$PYOCI" images -q)" "$before_images" "$1: the same images"
  is "$(ls -A "$PYOCI_STORE/tmp")" "" "$1: nothing left in the store's tmp/"
}
layer_re='layer 1: .*sha256:[0-9a-f]{64}'

run "$PYOCI" load -i bomb.tar
is "$rc" 1 "load of a 1 GiB gzip bomb fails"
like "$err" "^pyoci: load 'bomb.tar': .*decompresses to more than 100 times its compressed size \(.* from .*\): a decompression bomb\? \(the limit; see --max-compression-ratio\)$" \
  "one line naming the archive and the ratio limit"
like "$err" "sha256:[0-9a-f]{64}" "it names the layer"
is "$(printf '%s\n' "$err" | wc -l)" 1 "one line"
unchanged "load bomb"

run "$PYOCI" --max-compression-ratio 0 load -i bomb.tar --max-decompressed-size 64MiB
is "$rc" 1 "with only a size limit (64 MiB) the bomb is refused by size"
like "$err" "^pyoci: load 'bomb.tar': .*decompresses to more than 64.0 MiB \(the limit; see --max-decompressed-size\)$" \
  "the message names the size limit"
unchanged "load bomb, size limit"

run "$PYOCI" import rootfs.tar.gz -t bomb:import
is "$rc" 1 "import of a gzip bomb rootfs fails"
like "$err" "rootfs.tar.gz.*decompresses to more than 100 times its compressed size" "names the tarball and the limit"
unchanged "import bomb"

run "$PYOCI" load -i small.tar
is "$rc" 1 "300 MiB of zeros (300 KiB of gzip) is over 256 MiB + 100 x 300 KiB: refused by default"
unchanged "small bomb"
run "$PYOCI" load -i small.tar --max-compression-ratio 2000
is "$rc" 0 "--max-compression-ratio 2000 lets the same archive in"
like "$out" "Loaded image: bomb:300" "and it is loaded"

run "$PYOCI" load -i small.tar --max-compression-ratio lots
is "$rc" 2 "a ratio that is not a number is a usage error"
like "$err" "^pyoci: --max-compression-ratio 'lots': not a whole number" "saying so"
run "$PYOCI" --max-decompressed-size 12XB images
is "$rc" 2 "a size that does not parse is a usage error"
"$PYOCI" --help | grep -q -- "--max-decompressed-size SIZE"
ok $? "pyoci --help lists the limits"

# ---- OSV zip: 128 records of 4 MiB (whitespace is valid JSON) ----
python3 - <<'PY' || bail "cannot make the OSV zips"
import zipfile
with zipfile.ZipFile("good.zip", "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("GOOD-1.json", '{"id":"GOOD-1","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"PyPI","name":"x"},"versions":["1.0"]}]}')
pad = " " * ((4 << 20) - 200)
with zipfile.ZipFile("osv-bomb.zip", "w", zipfile.ZIP_DEFLATED) as z:
    for i in range(128):
        z.writestr("BOMB-%d.json" % i, '{"id":"BOMB-%d","modified":"2024-01-01T00:00:00Z"}%s' % (i, pad))
PY
diag "osv-bomb.zip: $(stat -c %s osv-bomb.zip) bytes for 512 MiB of records"
"$PYOCI" -q db import --db "$T/vuln.db" good.zip || bail "good import"
db_before=$(sha256sum <"$T/vuln.db")
run "$PYOCI" db import --db "$T/vuln.db" osv-bomb.zip
is "$rc" 1 "db import of an OSV zip bomb fails"
like "$err" "^pyoci: .*'osv-bomb.zip' decompresses to more than 100 times its compressed size" \
  "the message names the zip and the limit"
like "$err" "BOMB-[0-9]+\.json" "and the member it got to"
is "$(sha256sum <"$T/vuln.db")" "$db_before" "the database is untouched"
run "$PYOCI" db import --db "$T/vuln.db" --max-compression-ratio 0 osv-bomb.zip
is "$rc" 0 "with the ratio limit off the same zip imports (each record is under 4 MiB)"
done_testing
