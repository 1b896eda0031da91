#!/bin/bash
# pyoci assemble with python.index-url: the wheels come from a PEP 503
# simple index (index.html per project, links with #sha256= fragments,
# relative and rooted) served by python's http.server on 127.0.0.1, the OS
# from the signed local apt repository of assemble_fixtures.py.  The same
# wheels give the same image as from a wheelhouse; the lock records their
# URLs and --locked fetches them again from there.  Bad cases: a link whose
# hash is not the pinned one, a file that is not what its link says, a link
# to another host over http, a project the index does not have -- each a
# clear error, nothing written to the store or the download cache.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/assemble-lib.sh"
need_root
assemble_need
assemble_fixtures "signed suite, wheels, a simple index"
# A link to another name of the same server: only the policy refuses it.
oh=otherhost-1.0-py3-none-any.whl
mkdir -p "$F/repo/simple/otherhost"
printf '<!DOCTYPE html>\n<html><body>\n<a href="http://localhost:%s/files/%s#sha256=%s">%s</a>\n</body></html>\n' \
  "$port" "$oh" "$(sha256sum "$F/repo/files/$oh" | cut -d' ' -f1)" "$oh" >"$F/repo/simple/otherhost/index.html"

spec() { # spec FILE REQUIREMENTS WHEEL-SOURCE-LINE
  cat >"$1" <<EOS
debian:
  suites: [good]
  uris: [$URI]
  keyring: $F/keyring.gpg
  packages: [python3.11-minimal]
python:
  requirements: $2
  $3
EOS
}
spec "$F/index.yaml" req-good.txt "index-url: $URI/simple"
spec "$F/links.yaml" req-good.txt "find-links: [wheels]"

run "$PYOCI" assemble -f "$F/index.yaml" -t idx:1 --lock
is "$rc" 0 "assemble with the wheels from the simple index"
[ "$rc" = 0 ] || { echo "$err" | tail -5 | sed 's/^/#   /'; bail "no image"; }
id_index=$out
urls=$(python3 -c 'import json,sys; print(" ".join(w["url"] for w in json.load(open(sys.argv[1]))["wheels"]))' "$F/image.lock.json")
is "$urls" "$URI/files/hello_pkg-1.0-py3-none-any.whl $URI/files/native_ext-1.0-cp311-cp311-manylinux_2_17_x86_64.whl" \
  "the lock names each wheel's URL: a relative link (../../files/) and a rooted one (/files/) resolved on the page"
grep -q 'GET /simple/hello-pkg/ ' "$T/http.log"
ok $? "the project page is INDEX/<PEP 503 normalised name>/ (hello_pkg -> hello-pkg)"
ok "$(grep -q cp312 "$T/http.log"; [ $? = 1 ]; echo $?)" "a listed wheel the image cannot run is passed over, not fetched"
"$PYOCI" sbom idx:1 >"$T/cdx.json"
is "$(python3 "$TOP/tests/integration/sbom_list.py" cyclonedx "$T/cdx.json" python | tr '\n' ' ')" "hello_pkg 1.0 native_ext 1.0 " \
  "both wheels are installed"
run "$PYOCI" assemble -f "$F/links.yaml" -t idx:links
is "$out" "$id_index" "the same image ID as with the same wheels from a find-links wheelhouse"

run "$PYOCI" assemble -f "$F/index.yaml" -t idx:2 --locked
is "$rc:$out" "0:$id_index" "--locked: the same image ID"
is "$(grep -c 'GET /files/hello_pkg-1.0-py3-none-any.whl ' "$T/http.log")" 1 "... the wheel came from the cache (by sha256), not the index again"
rm -rf "$XDG_CACHE_HOME/pyoci/wheels"
run "$PYOCI" assemble -f "$F/index.yaml" -t idx:3 --locked
is "$rc:$out" "0:$id_index" "--locked with an empty wheel cache fetches the lock's URLs: the same image ID"

# ---- bad indexes: a clear error, exit 1, store and wheel cache unchanged ----
before=$(store_fingerprint)
cached=$(ls "$XDG_CACHE_HOME/pyoci/wheels/sha256" | sort | tr '\n' ' ')
bad() { # bad DESCRIPTION REGEX REQUIREMENTS
  spec "$F/bad.yaml" "$3" "index-url: $URI/simple/"
  run "$PYOCI" assemble -f "$F/bad.yaml" -t bad:1
  is "$rc" 1 "$1: exit 1"
  like "$err" "$2" "$1: says why"
  is "$(store_fingerprint)" "$before" "$1: nothing written to the store"
  is "$(ls "$XDG_CACHE_HOME/pyoci/wheels/sha256" | sort | tr '\n' ' ')" "$cached" "$1: nothing added to the wheel cache"
}
bad "the link's #sha256= is not the pinned hash" \
  "badfrag==1\.0: the index lists 'badfrag-1\.0-py3-none-any\.whl' with sha256 (ab){32}, not one of the hashes the requirements file allows$" \
  req-badfrag.txt
ok "$(grep -q 'GET /files/badfrag' "$T/http.log"; [ $? = 1 ]; echo $?)" "... and it is not even downloaded"
bad "the file is not what its link says" \
  "'$URI/files/badfile-1\.0-py3-none-any\.whl': sha256 mismatch: got [0-9a-f]{64}, expected [0-9a-f]{64}$" req-badfile.txt
bad "a link to another host over plain http" \
  "otherhost==1\.0: index page '$URI/simple/otherhost/' links '$oh' to another host over http; only https links may leave the index's host$" \
  req-otherhost.txt
ok "$(grep -q "GET /files/$oh" "$T/http.log"; [ $? = 1 ]; echo $?)" "... and nothing is fetched from it"
bad "a project the index does not have" \
  "nothere==1\.0: project page on the index: .*'$URI/simple/nothere/'.*404" req-nothere.txt
done_testing
