#!/bin/bash
# Issue 9 item 10, the smaller findings, one regression each:
#  - a base image whose second layer the unpacker refuses: a clean error
#    (the lower dirs made before it were leaked; make SANITIZE=address
#    turns that leak into a failing exit status here);
#  - a bad option is one message from getopt and a hint, not a second
#    "unknown option" line;
#  - a name with a newline or an escape byte is never echoed raw: errors
#    stay one line (C escapes);
#  - fsck --repair brings back a store whose index.json is empty or
#    damaged: every image is in blobs/, untagged, and can be named again.
source "$(dirname "$0")/lib.sh"
cd "$T" || bail "no temp dir"

mkdir -p img && echo one >img/f && "$PYOCI" -q import img -t one:1 >/dev/null || bail "import one:1"
echo two >img/g && "$PYOCI" -q import img -t two:1 >/dev/null || bail "import two:1"
"$PYOCI" tag two:1 two:also || bail "tag"

# ---- getopt: one message ----
run "$PYOCI" images --bogus
is "$rc" 2 "an unknown option is a usage error"
is "$err" "pyoci images: unrecognized option '--bogus'
See 'pyoci images --help'." "getopt's line names the verb and the option; then only the hint"
run "$PYOCI" load -i
is "$rc" 2 "a missing option value is a usage error"
is "$err" "pyoci load: option requires an argument -- 'i'
See 'pyoci load --help'." "said once, not followed by 'unknown option'"
run "$PYOCI" rmi -Z x
is "$err" "pyoci rmi: invalid option -- 'Z'
See 'pyoci rmi --help'." "a short option too"

# ---- names with a newline or an escape byte ----
run "$PYOCI" inspect "$(printf 'no\nsuch')"
is "$rc" 1 "inspect of a name with a newline fails"
is "$err" 'Error: No such image: no\nsuch' "the newline is shown as \\n, on one line (docker's words)"
run "$PYOCI" rmi "$(printf 'evil\033[2Jname')"
is "$err" 'pyoci: No such image: evil\x1b[2Jname' "a terminal escape is shown as \\x1b, never sent raw"
run "$PYOCI" tag one:1 "$(printf 'bad\nname')"
is "$(printf '%s\n' "$err" | wc -l)" 1 "tag to a name with a newline: a one-line error"
like "$err" 'bad\\nname' "naming it escaped"
run "$PYOCI" build -t "$(printf 'x\ny')" img
is "$(printf '%s\n' "$err" | grep -c .)" "$(printf '%s\n' "$err" | grep -c '^')" "build -t with a newline: no raw newline in the messages"
like "$err" 'x\\ny' "the bad tag is named, escaped"

# ---- fsck --repair of an empty or damaged index.json ----
id1=$("$PYOCI" images -q --no-trunc one:1)
id2=$("$PYOCI" images -q --no-trunc two:1)
: >"$PYOCI_STORE/index.json"
run "$PYOCI" images
is "$rc" 1 "with an empty index.json, images fails"
like "$err" "index.json.*invalid JSON" "saying index.json does not parse"
run "$PYOCI" fsck
is "$rc" 1 "fsck reports it"
run "$PYOCI" fsck --repair
is "$rc" 0 "fsck --repair fixes an empty index.json"
like "$out" "repaired: 1 change; the store is sound now" "and says so"
like "$err" "index.json rebuilt from blobs/: 2 untagged images" "the two images are found again"
is "$("$PYOCI" images -q --no-trunc | sort | tr '\n' ' ')" "$(printf '%s\n' "$id1" "$id2" | sort | tr '\n' ' ')" \
  "both images are back (untagged), with their IDs"
"$PYOCI" tag "$id1" one:1 && "$PYOCI" tag "$id2" two:1
ok $? "they can be named again"
is "$(ls "$PYOCI_STORE" | grep -c damaged)" 0 "an empty file is not kept"
printf '{"manifests":[{"digest":' >"$PYOCI_STORE/index.json"
run "$PYOCI" fsck --repair
is "$rc" 0 "fsck --repair fixes a truncated index.json too"
is "$(cat "$PYOCI_STORE/index.json.damaged")" '{"manifests":[{"digest":' "the damaged file is kept as index.json.damaged"
is "$("$PYOCI" images -q --no-trunc | sort | tr '\n' ' ')" "$(printf '%s\n' "$id1" "$id2" | sort | tr '\n' ' ')" \
  "both images are back again"
run "$PYOCI" fsck
is "$rc" 0 "the store is sound"

# ---- a base whose second layer the unpacker refuses (the lower-dir leak) ----
if [ "$(id -u)" != 0 ]; then
  skip "needs root (RUN)"
else
  python3 - <<'PY' || bail "cannot make the image"
import hashlib, io, json, tarfile
def layer(entries):
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w") as t:
        for name, kind, data in entries:
            ti = tarfile.TarInfo(name); ti.mtime = 1700000000
            if kind == "dir": ti.type = tarfile.DIRTYPE; ti.mode = 0o755; t.addfile(ti)
            elif kind == "link": ti.type = tarfile.SYMTYPE; ti.linkname = data; t.addfile(ti)
            else: ti.size = len(data); ti.mode = 0o644; t.addfile(ti, io.BytesIO(data))
    return b.getvalue()
l1 = layer([("bin", "dir", None), ("a", "file", b"a\n")])
l2 = layer([("l", "link", "bin"), ("l/x", "file", b"through the link\n")])
l3 = layer([("c", "file", b"c\n")])
ls = [l1, l2, l3]
ids = ["sha256:" + hashlib.sha256(l).hexdigest() for l in ls]
cfg = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Cmd": ["sh"]},
                  "rootfs": {"type": "layers", "diff_ids": ids}}).encode()
c = hashlib.sha256(cfg).hexdigest()
man = json.dumps([{"Config": c + ".json", "RepoTags": ["through:1"],
                   "Layers": ["%d/layer.tar" % i for i in range(3)]}]).encode()
with tarfile.open("through.tar", "w") as t:
    for name, data in [("%d/layer.tar" % i, l) for i, l in enumerate(ls)] + [(c + ".json", cfg), ("manifest.json", man)]:
        m = tarfile.TarInfo(name); m.size = len(data); t.addfile(m, io.BytesIO(data))
PY
  run "$PYOCI" load -i through.tar
  is "$rc" 0 "an image whose layer 2 writes through a symlink loads (entries are checked at unpack)"
  mkdir -p ctx && printf 'FROM through:1\nRUN true\n' >ctx/Dockerfile
  run "$PYOCI" build -q -t bad:1 ctx
  is "$rc" 1 "a build on it fails (exit 1; under LeakSanitizer a leak would change that)"
  like "$err" "^pyoci: unpack 'sha256:[0-9a-f]{64}': entry 'l/x': " "naming the layer and the refused entry"
  is "$(printf '%s\n' "$err" | wc -l)" 1 "one line"
  is "$(printf '%s\n' "$err" | grep -c LeakSanitizer)" 0 "no leak (LeakSanitizer reports one here under make SANITIZE=address without the fix)"
  is "$(ls -A "$PYOCI_STORE/tmp")" "" "no scratch left behind"
fi
done_testing
