#!/bin/bash
# pyoci assemble --compile: the wheels' modules byte-compiled by the image's
# own python3.11, run in runc over the OS root.  The image's python and libc
# are this machine's (assemble_fixtures.py --real-python packs them into
# .debs of a signed local suite), so the test needs no network.  The .pyc
# files are checked-hash pycs of the installed sources, they land in the
# Python layer only, a module that does not compile stays source (as pip
# leaves it, with a warning), and the image ID is the same on every run --
# fresh OS root or the store's, one thread or many.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/assemble-lib.sh"
need_root
assemble_need ldd runc
[ -x /usr/bin/python3.11 ] || skip_all "no /usr/bin/python3.11 on this machine to make the image's python from"
assemble_fixtures "a suite with a real python3.11 and libc6, wheels" --real-python

spec() { # spec FILE SUITE
  cat >"$1" <<EOS
debian:
  suites: [$2]
  uris: [http://127.0.0.1:$port]
  keyring: $F/keyring.gpg
  packages: [python3.11-minimal]
python:
  requirements: req-compile.txt
  find-links: [wheels]
EOS
}
spec "$F/c.yaml" realpy

run "$PYOCI" assemble -f "$F/c.yaml" -t comp:1 --lock --compile
is "$rc" 0 "assemble --compile"
[ "$rc" = 0 ] || { echo "$err" | tail -8 | sed 's/^/#   /'; bail "no image"; }
id1=$out
like "$err" "some files did not compile and stay source only.*py2\.py" "a module that does not compile: a warning naming it"

# The layers, each as a file list and as a tree.
"$PYOCI" save -o "$T/img.tar" comp:1
python3 - "$T/img.tar" "$T/layers" <<'EOP'
import json, os, sys, tarfile
os.makedirs(sys.argv[2])
with tarfile.open(sys.argv[1]) as t:
    for i, layer in enumerate(json.load(t.extractfile("manifest.json"))[0]["Layers"]):
        with tarfile.open(fileobj=t.extractfile(layer)) as lt:
            open(f"{sys.argv[2]}/{i}.list", "w").write("".join(m.name + "\n" for m in lt.getmembers()))
            lt.extractall(f"{sys.argv[2]}/{i}", numeric_owner=True)
EOP
S=$T/layers/1/usr/local/lib/python3.11/dist-packages
ok "$([ -f "$S/hello_pkg/__pycache__/__init__.cpython-311.pyc" ] && [ -f "$S/halfbad/__pycache__/__init__.cpython-311.pyc" ]; echo $?)" \
  ".pyc files for the wheels' modules in __pycache__, tagged cpython-311"
ok "$([ ! -e "$S/halfbad/__pycache__/py2.cpython-311.pyc" ] && [ -f "$S/halfbad/py2.py" ]; echo $?)" "... none for the module that does not compile"
check=$(python3 - "$S/hello_pkg" "$S/halfbad" <<'EOP'
import importlib.util, sys
for d in sys.argv[1:]:
    pyc = open(f"{d}/__pycache__/__init__.cpython-311.pyc", "rb").read()
    src = open(f"{d}/__init__.py", "rb").read()
    flags = int.from_bytes(pyc[4:8], "little")
    print(pyc[:4] == importlib.util.MAGIC_NUMBER, flags, pyc[8:16] == importlib.util.source_hash(src))
EOP
)
is "$check" "True 3 True
True 3 True" "each .pyc: this python's magic, checked-hash (flags 3), the hash of the installed source (no mtime)"
is "$(grep -v -e '^usr$' -e '^usr/local\(/\|$\)' "$T/layers/1.list")" "" \
  "the Python layer holds only /usr/local: no runtime mount points, nothing copied up from the OS layer"
ok "$(grep -q __pycache__ "$T/layers/0.list"; [ $? = 1 ]; echo $?)" "the OS layer has no .pyc (only the wheels are compiled)"

run "$PYOCI" assemble -f "$F/c.yaml" -t comp:plain --locked
ok "$([ "$rc" = 0 ] && [ "$out" != "$id1" ]; echo $?)" "without --compile: another image"
is "$("$PYOCI" inspect --format '{{index .RootFS.Layers 0}}' comp:plain)" \
  "$("$PYOCI" inspect --format '{{index .RootFS.Layers 0}}' comp:1)" "... with the same OS layer: --compile changes the Python layer only"
run "$PYOCI" assemble -f "$F/c.yaml" -t comp:2 --locked --compile
is "$rc:$out" "0:$id1" "--compile again, over the store's OS layer (unpacked): the same image ID"
PYOCI_THREADS=1 run "$PYOCI" assemble -f "$F/c.yaml" -t comp:3 --locked --compile --no-cache -j 1
is "$rc:$out" "0:$id1" "... and with one thread, the OS layer made again: the same image ID"

# An image whose python cannot run: a clear error, nothing in the store.
before=$(store_fingerprint)
spec "$F/fake.yaml" good
run "$PYOCI" assemble -f "$F/fake.yaml" -t comp:bad --compile
is "$rc" 1 "--compile with a python that cannot run: exit 1"
like "$err" "--compile" "... the error says it was --compile"
is "$(store_fingerprint)" "$before" "... nothing written to the store"
done_testing
