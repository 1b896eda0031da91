#!/bin/bash
# The article, end to end: examples/flask-hello's two-stage Dockerfile built
# by pyoci on local Debian-based bases, saved as a docker-archive, loaded
# into dockerd, run with --network=host, and asked for / on port 5000.
# The same Dockerfile built by `docker build` gives the same tree and config,
# and `pyoci inspect` reports the article's numbers as docker does.
# Cold (the mmdebstrap bases are made and cached once) this takes 1-3 min.
source "$(dirname "$0")/lib.sh"
need_root
need_docker
command -v mmdebstrap >/dev/null || skip_all "mmdebstrap is not installed (scripts/deps.sh)"
command -v curl >/dev/null || skip_all "curl is not installed"
# The app hard-codes port 5000 and the container shares the host network.
ss -Hltn 'sport = :5000' 2>/dev/null | grep -q . && skip_all "something already listens on port 5000"
export DOCKER_BUILDKIT=0 # this host has the classic builder only (no buildx)

cid=""
trap '[ -n "$cid" ] && docker rm -f "$cid" >/dev/null 2>&1; _on_exit' EXIT

# A copy of the example: make-bases.sh writes its wheelhouse beside the
# Dockerfile, and the source tree stays clean.
ex=$T/flask-hello
cp -a "$TOP/examples/flask-hello" "$ex"
rm -rf "$ex/wheels"
mkdir -p "$TEST_CACHE/examples"
PYOCI_EXAMPLE_CACHE=$TEST_CACHE/examples "$ex/make-bases.sh" "$PYOCI" >"$T/bases.log" 2>&1
st=$?
ok $st "make-bases.sh makes the local bases and wheelhouse"
[ $st = 0 ] || { sed 's/^/#   /' "$T/bases.log" | tail -10; bail "no base images"; }
run "$PYOCI" images --format '{{.Repository}}:{{.Tag}}'
is "$(printf '%s\n' "$out" | sort | tr '\n' ' ')" "local/python:3.11 local/python:3.11-slim " "both bases are in the store"

"$PYOCI" build -t flask-app-python:1.0 "$ex" >"$T/build.log" 2>&1
st=$?
ok $st "pyoci build -t flask-app-python:1.0 examples/flask-hello"
[ $st = 0 ] || { sed 's/^/#   /' "$T/build.log" | tail -10; bail "the example does not build"; }
like "$(cat "$T/build.log")" "Successfully installed [^"$'\n'"]*Flask" "pip installed Flask from the wheelhouse in the RUN step"
run "$PYOCI" inspect --format '{{json .Config.Cmd}} {{.Config.WorkingDir}} {{len .RootFS.Layers}}' flask-app-python:1.0
is "$out" '["python","./app.py"] /app 4' "config: the article's CMD and WORKDIR; slim base + WORKDIR + 2 COPY layers"
run "$PYOCI" inspect --format '{{range .Config.Env}}{{println .}}{{end}}' flask-app-python:1.0
like "$out" '(^|'$'\n'')PATH=/root/\.local:/usr/local/sbin:' "config: ENV PATH=/root/.local:\$PATH expanded from the base's PATH"

"$PYOCI" save -o "$T/app.tar" flask-app-python:1.0
ok $? "pyoci save"
run docker load -i "$T/app.tar"
is "$rc" 0 "docker load reads pyoci's archive"
like "$out" "Loaded image: flask-app-python:1.0" "docker load names the image"

run docker run -d --network=host flask-app-python:1.0
cid=$out
like "$cid" '^[0-9a-f]{64}$' "docker run -d --network=host starts the app"
answer=$(wait_answer http://127.0.0.1:5000/ docker_running "$cid")
is "$answer" "Hello, World!" "GET http://127.0.0.1:5000/ answers Hello, World!"
[ "$answer" = "Hello, World!" ] || docker logs "$cid" 2>&1 | tail -5 | sed 's/^/#   /'
docker rm -f "$cid" >/dev/null
ok $? "container stopped and removed by ID"
cid=""

# The article's measurement, pyoci vs docker on the same image.
fmt='{{.Size}} {{len .RootFS.Layers}}'
is "$("$PYOCI" inspect --format "$fmt" flask-app-python:1.0)" "$(docker image inspect --format "$fmt" flask-app-python:1.0)" \
  "pyoci inspect --format '$fmt' equals docker image inspect"

# The same Dockerfile through docker build, from the same bases.
"$PYOCI" save -o "$T/bases.tar" local/python:3.11 local/python:3.11-slim && docker load -q -i "$T/bases.tar" >/dev/null
ok $? "bases loaded into docker"
docker build -q -t flask-app-docker:1.0 "$ex" >"$T/docker-build.log" 2>&1
st=$?
ok $st "docker build of the same example"
[ $st = 0 ] || sed 's/^/#   /' "$T/docker-build.log" | tail -10
docker save -o "$T/docker-app.tar" flask-app-docker:1.0
# A .pyc records its source's mtime, which is pip's install time in either
# build: compare those files by size, everything else byte for byte.
tree() { python3 "$TOP/tests/tools/imgtree.py" tree "$1" | awk '$1 ~ /\.pyc$/ { $NF = "(pyc)" } 1'; }
tree "$T/docker-app.tar" >"$T/docker.tree" && tree "$T/app.tar" >"$T/pyoci.tree"
ok $? "both images' file trees listed"
is "$(grep -c '__pycache__/.*\.pyc ' "$T/pyoci.tree")" "$(grep -c '__pycache__/.*\.pyc ' "$T/docker.tree")" "as many .pyc files as docker build's"
diff "$T/docker.tree" "$T/pyoci.tree" >"$T/diff"
st=$?
ok $st "pyoci's image has docker build's files (paths, types, modes, owners, sizes, contents)"
[ $st = 0 ] || sed 's/^/#   /' "$T/diff" | head -20
is "$(python3 "$TOP/tests/tools/imgtree.py" config "$T/app.tar")" "$(python3 "$TOP/tests/tools/imgtree.py" config "$T/docker-app.tar")" \
  "pyoci's image has docker build's config"
is "$("$PYOCI" inspect --format "$fmt" flask-app-python:1.0)" "$(docker image inspect --format "$fmt" flask-app-docker:1.0)" \
  "and the article's numbers equal docker build's"
docker rmi -f flask-app-python:1.0 flask-app-docker:1.0 local/python:3.11 local/python:3.11-slim >/dev/null 2>&1

done_testing
