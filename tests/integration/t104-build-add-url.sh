#!/bin/bash
# ADD <url>: downloads from a local HTTP server (127.0.0.1 only), built by
# pyoci and by docker build (the classic builder downloads in the daemon) and
# compared file by file -- names, modes (0600), owners, contents -- plus the
# Last-Modified mtime; then what only pyoci checks: --checksum, errors with
# file:line and an unchanged store, and the cache following the content.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/build-lib.sh"
need_root
command -v python3 >/dev/null || skip_all "python3 needed for the HTTP server"
make_bb_image || bail "cannot make the bb:1 base image"
export DOCKER_BUILDKIT=0

# ---- a local HTTP server on a free port ----
W=$T/www
mkdir -p "$W/sub"
echo "hello from http" >"$W/hello.txt"
echo "deep" >"$W/sub/deep name.txt"
touch -d '2021-03-04 05:06:07 UTC' "$W/hello.txt" "$W/sub/deep name.txt"
(cd "$W" && tar -czf arch.tar.gz hello.txt)
touch -d '2022-01-01 00:00:00 UTC' "$W/arch.tar.gz"
python3 - "$W" >"$T/port" 2>"$T/http.log" <<'PY' &
import http.server, os, sys
os.chdir(sys.argv[1])
class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a):
        pass
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
print(s.server_address[1], flush=True)
s.serve_forever()
PY
_pids+=($!)
for _ in $(seq 50); do [ -s "$T/port" ] && break; sleep 0.1; done
PORT=$(cat "$T/port")
[ -n "$PORT" ] || bail "HTTP server did not start"
U=http://127.0.0.1:$PORT

# ---- the same Dockerfile through docker build and pyoci build ----
C=$T/ctx
mkdir -p "$C"
cat >"$C/Dockerfile" <<EOF
FROM bb:1
ADD $U/hello.txt /dl/
ADD $U/hello.txt /dl/renamed.txt
ADD $U/arch.tar.gz /dl/
ADD --chown=app:staff $U/sub/deep%20name.txt /owned/
ADD $U/hello.txt /existing/
WORKDIR /w
ADD $U/hello.txt .
ADD $U/hello.txt rel/
EOF
run "$PYOCI" build -q -t addurl:1 "$C"
is "$rc" 0 "pyoci builds ADD <url> (http, 127.0.0.1)"
[ "$rc" = 0 ] || diag "$err"
"$PYOCI" save addurl:1 -o "$T/p.tar"
if [ -n "${PYOCI_TEST_DOCKER:-}" ]; then
  if docker build -q -t addurl-docker:1 "$C" >"$T/docker.log" 2>&1; then
    docker save -o "$T/d.tar" addurl-docker:1
    python3 "$TOP/tests/tools/imgtree.py" diff "$T/d.tar" "$T/p.tar" >"$T/diff" 2>&1
    st=$?
    ok $st "file trees match docker build's (names, types, 0600 modes, owners, contents)"
    [ $st = 0 ] || sed 's/^/#   /' "$T/diff" | head -20
    docker rmi -f addurl-docker:1 >/dev/null 2>&1
  else
    ok 1 "docker build of the same Dockerfile"
    sed 's/^/#   /' "$T/docker.log" | tail -5
  fi
else
  skip "dockerd not available: no comparison with docker build"
fi

# what the layers say, independently of docker
mkdir -p "$T/x"
tar -C "$T/x" -xf "$T/p.tar"
listing=$(for l in $(python3 -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))[0]["Layers"][1:]))' "$T/x/manifest.json"); do
  TZ=UTC tar --numeric-owner -tvf "$T/x/$l"; done | grep -v '/$' | awk '{printf "%s %s %s %s", $1, $2, $4, $5; for (i = 6; i <= NF; i++) printf " %s", $i; print ""}')
like "$listing" "-rw------- 0/0 2021-03-04 05:06 dl/hello.txt" "downloaded file: mode 0600, root, mtime from Last-Modified"
like "$listing" "dl/renamed.txt" "a destination without a trailing slash is the file's name"
like "$listing" "-rw------- 0/0 2022-01-01 00:00 dl/arch.tar.gz" "a downloaded archive is not extracted"
like "$listing" "-rw------- 1000/50 2021-03-04 05:06 owned/deep name.txt" "--chown by name; %20 decoded in the file name"
like "$listing" "w/hello.txt" "relative destination under WORKDIR"
like "$listing" "w/rel/hello.txt" "relative directory destination"

# ---- cache: follows the content, not the URL ----
run "$PYOCI" build -t addurl:1 "$C"
is "$(grep -c '^  CACHED$' <<<"$err$out")" "8" "unchanged downloads: every step CACHED"
echo "changed" >"$W/sub/deep name.txt"
run "$PYOCI" build -t addurl:2 "$C"
is "$rc" 0 "rebuild after the served file changed"
is "$(grep -c '^  CACHED$' <<<"$err$out")" "3" "the ADD of the changed file and every later step ran again"
"$PYOCI" save addurl:2 -o "$T/p2.tar"
mkdir -p "$T/x2"
tar -C "$T/x2" -xf "$T/p2.tar"
got=$(for l in $(python3 -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))[0]["Layers"]))' "$T/x2/manifest.json"); do
  tar -xOf "$T/x2/$l" "owned/deep name.txt" 2>/dev/null; done)
is "$got" "changed" "the new content is in the image"

# ---- --checksum (BuildKit syntax) ----
sum=$(sha256sum <"$W/hello.txt" | cut -d' ' -f1)
mkdir -p "$T/ck"
printf 'FROM bb:1\nADD --checksum=sha256:%s %s/hello.txt /ck/\n' "$sum" "$U" >"$T/ck/Dockerfile"
run "$PYOCI" build -q -t addurl:ck "$T/ck"
is "$rc" 0 "--checksum that matches"

before=$(store_fingerprint)
fail_case() { # NAME DOCKERFILE-LINE REGEX
  mkdir -p "$T/f-$1"
  printf 'FROM bb:1\n%s\n' "$2" >"$T/f-$1/Dockerfile"
  run "$PYOCI" build -t "addurl:$1" "$T/f-$1"
  is "$rc" 1 "$1: fails"
  like "$err" "$3" "$1: one line naming the Dockerfile line"
}
fail_case checksum "ADD --checksum=sha256:$(printf '0%.0s' $(seq 64)) $U/hello.txt /ck/" \
  "Dockerfile:2: ADD $U/hello.txt: digest mismatch sha256:$sum: sha256:0{64}"
fail_case checksum-local "ADD --checksum=sha256:$sum Dockerfile /x" \
  "Dockerfile:2: checksum can't be specified for non-HTTP\(S\) sources"
fail_case not-found "ADD $U/nope.txt /x/" "Dockerfile:2: download '$U/nope.txt': .*404"
fail_case refused "ADD http://127.0.0.1:1/x.txt /x/" "Dockerfile:2: download 'http://127.0.0.1:1/x.txt': .*"
fail_case no-name "ADD $U/ /x/" "Dockerfile:2: ADD $U/: cannot determine a file name from the URL"
fail_case mixed "ADD $U/hello.txt Dockerfile /x/" "Dockerfile:2: ADD mixes URLs and local sources"
fail_case git "ADD https://example.com/repo.git /src" "Dockerfile:2: ADD from a git repository .* is not supported"
is "$(store_fingerprint)" "$before" "the failed builds left the store unchanged"
is "$(ls "$PYOCI_STORE/tmp" 2>/dev/null)" "" "and no staging directory behind"

done_testing
