#!/bin/bash
# make-bases.sh with SLIM_FROM=assemble: the article's runtime base
# (local/python:3.11-slim) made by `pyoci assemble` from Debian's archive
# instead of mmdebstrap -- one layer, no shell -- and the article's
# two-stage Dockerfile built on it by pyoci answers Hello, World! in
# `pyoci run`.  Needs Debian's archive as apt is configured here (skips
# with the reason otherwise) and mmdebstrap for the builder stage's base.
source "$(dirname "$0")/lib.sh"
need_root
command -v mmdebstrap >/dev/null || skip_all "mmdebstrap is not installed (the builder stage's base comes from it)"
command -v runc >/dev/null || skip_all "runc is not installed"
curl -fsS --max-time 15 -o /dev/null http://deb.debian.org/debian/dists/bookworm/InRelease ||
  skip_all "Debian's archive (deb.debian.org) is not reachable from here"
# The app hard-codes port 5000 and the container shares the host network.
ss -Hltn 'sport = :5000' 2>/dev/null | grep -q . && skip_all "something already listens on port 5000"
name=t124-$$
trap '"$PYOCI" rm -f "$name" >/dev/null 2>&1; _on_exit' EXIT
export XDG_CACHE_HOME=$TEST_CACHE/xdg # .debs cached across runs, by sha256
ex=$T/flask-hello
cp -a "$TOP/examples/flask-hello" "$ex"
rm -rf "$ex/wheels" "$ex/image.lock.json"
mkdir -p "$TEST_CACHE/examples"
SLIM_FROM=assemble PYOCI_EXAMPLE_CACHE=$TEST_CACHE/examples "$ex/make-bases.sh" "$PYOCI" >"$T/bases.log" 2>&1
st=$?
ok $st "make-bases.sh with SLIM_FROM=assemble"
[ $st = 0 ] || { sed 's/^/#   /' "$T/bases.log" | tail -10; bail "no base images"; }
run "$PYOCI" inspect --format '{{len .RootFS.Layers}} {{json .Config.Cmd}} {{index .RootFS.Layers 0}}' local/python:3.11-slim
like "$out" '^1 \["python3"\] sha256:' "local/python:3.11-slim is one assembled layer, CMD python3"
"$PYOCI" save -o "$T/slim.tar" local/python:3.11-slim
files=$(python3 - "$T/slim.tar" <<'EOP'
import json, sys, tarfile
with tarfile.open(sys.argv[1]) as t:
    layer = json.load(t.extractfile("manifest.json"))[0]["Layers"][0]
    with tarfile.open(fileobj=t.extractfile(layer)) as lt:
        print("\n".join(m.name for m in lt.getmembers()))
EOP
)
ok "$(echo "$files" | grep -Eq '^usr/bin/python3?$'; echo $?)" "... with python3 and python (python-is-python3)"
ok "$(echo "$files" | grep -Eq '^usr/bin/(sh|bash|dash)$'; [ $? = 1 ]; echo $?)" "... and no shell"

run "$PYOCI" build -q -t flask-app-python:asm "$ex"
is "$rc" 0 "the article's Dockerfile builds on it"
[ "$rc" = 0 ] || { echo "$err" | tail -5 | sed 's/^/#   /'; bail "no app image"; }
run "$PYOCI" run -d --name "$name" flask-app-python:asm
is "$rc" 0 "pyoci run -d starts the app"
answer=""
for _ in $(seq 100); do
  answer=$(curl -fsS --max-time 2 http://127.0.0.1:5000/ 2>/dev/null) && break
  sleep 0.2
done
is "$answer" "Hello, World!" "GET / answers Hello, World!"
[ "$answer" = "Hello, World!" ] || "$PYOCI" logs "$name" 2>&1 | tail -5 | sed 's/^/#   /'
done_testing
