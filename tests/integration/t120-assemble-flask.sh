#!/bin/bash
# pyoci assemble against Debian's archive, as apt is configured on this
# machine: the article's Flask app from bookworm's python3.11 + the Flask
# stack's wheels + app.py (examples/flask-hello/assemble.yaml).  It loads
# into docker and answers Hello, World!; it has no shell and stays under
# 50 MB; its status.d passes `apt-get check`; `pyoci sbom` lists exactly the
# resolved packages and wheels; one lock gives one digest; a changed lock fails.
source "$(dirname "$0")/lib.sh"
need_root
need_docker
command -v mmdebstrap >/dev/null || skip_all "mmdebstrap is not installed (the wheelhouse comes from a Debian rootfs)"
source "$(dirname "$0")/fixtures.sh"
curl -fsS --max-time 15 -o /dev/null http://deb.debian.org/debian/dists/bookworm/InRelease ||
  skip_all "Debian's archive (deb.debian.org) is not reachable from here"
ss -Hltn 'sport = :5000' 2>/dev/null | grep -q . && skip_all "something already listens on port 5000"

cid=""
trap '[ -n "$cid" ] && docker rm -f "$cid" >/dev/null 2>&1; _on_exit' EXIT
export XDG_CACHE_HOME=$TEST_CACHE/xdg # .debs cached across runs, by sha256
ex=$T/flask-hello
cp -a "$TOP/examples/flask-hello" "$ex"
rm -rf "$ex/wheels" "$ex/image.lock.json"
# The wheelhouse as make-bases.sh makes it: Debian's Flask stack as wheels.
tarball=$(fixture_bookworm_flask) || bail "mmdebstrap bookworm+python3-flask fixture could not be built"
mkdir -p "$T/site" && tar -C "$T/site" -xf "$tarball" ./usr/lib/python3/dist-packages ./usr/share/javascript
WHEEL_ROOT=$T/site python3 "$ex/make-wheels.py" "$T/site/usr/lib/python3/dist-packages" "$ex/wheels" \
  click Flask itsdangerous Jinja2 MarkupSafe Werkzeug >"$T/wheels.log" 2>&1
ok $? "make-wheels.py makes the wheelhouse and its hash-pinned requirements"

export SOURCE_DATE_EPOCH=1700000000
run "$PYOCI" assemble -f "$ex/assemble.yaml" -t flask-asm:1 --lock
is "$rc" 0 "pyoci assemble --lock"
[ "$rc" = 0 ] || { echo "$err" | tail -5 | sed 's/^/#   /'; bail "no image"; }
id1=$out
ok "$([ -s "$ex/image.lock.json" ]; echo $?)" "the lock file is written"
debs=$(python3 -c 'import json,sys; print("\n".join(sorted(d["name"]+" "+d["version"] for d in json.load(open(sys.argv[1]))["debs"])))' "$ex/image.lock.json")
like "$debs" '(^|'$'\n'')python3\.11 3\.11\.' "python3.11 is locked"
ok "$(echo "$debs" | grep -Eq '^(dpkg|apt|bash|dash|perl-base|coreutils) '; [ $? = 1 ]; echo $?)" \
  "no dpkg, apt, shell, perl or coreutils in the closure"

run "$PYOCI" inspect --format '{{.Size}} {{len .RootFS.Layers}} {{.Config.User}}' flask-asm:1
size=${out%% *}
ok "$([ "$size" -le 50000000 ]; echo $?)" "image size $size <= 50 MB"
like "$out" " 3 65532$" "three layers (OS, Python, app), runs as nonroot 65532"

"$PYOCI" save -o "$T/app.tar" flask-asm:1 && run docker load -i "$T/app.tar"
is "$rc" 0 "docker load reads the assembled image"
docker create --name asm-export flask-asm:1 >/dev/null && docker export asm-export >"$T/rootfs.tar"
docker rm asm-export >/dev/null
tar -tf "$T/rootfs.tar" | sed 's|^\./||' >"$T/files"
ok "$(grep -Eq '^(usr/)?bin/(sh|bash|dash)$' "$T/files"; [ $? = 1 ]; echo $?)" "no /bin/sh in the image"
run docker run --rm --network=host --entrypoint /bin/sh flask-asm:1 -c true
ok "$([ "$rc" != 0 ]; echo $?)" "docker run --entrypoint /bin/sh fails: there is no shell"

run docker run -d --network=host flask-asm:1
cid=$out
answer=$(wait_answer http://127.0.0.1:5000/ docker_running "$cid")
is "$answer" "Hello, World!" "docker run --network=host: GET / answers Hello, World!"
[ "$answer" = "Hello, World!" ] || docker logs "$cid" 2>&1 | tail -5 | sed 's/^/#   /'
docker rm -f "$cid" >/dev/null; cid=""

# apt-get check over status.d joined into one status file.
mkdir -p "$T/root" "$T/apt/lists/partial" "$T/apt/cache/archives/partial"
tar -xf "$T/rootfs.tar" -C "$T/root" var/lib/dpkg/status.d
for f in "$T"/root/var/lib/dpkg/status.d/*; do
  case $f in *.md5sums) ;; *) cat "$f"; echo ;; esac
done >"$T/status"
run apt-get check -o Dir::State::status="$T/status" -o Dir::State::Lists="$T/apt/lists" \
  -o Dir::Cache="$T/apt/cache" -o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts=/dev/null \
  -o Debug::NoLocking=1
is "$rc" 0 "apt-get check passes on the image's package state"
[ "$rc" = 0 ] || echo "$out$err" | tail -5 | sed 's/^/#   /'
is "$(grep -c '^Package: ' "$T/status")" "$(echo "$debs" | wc -l)" "one status.d record per locked .deb"
md5_ok=$(cd "$T/root" && tar -xf "$T/rootfs.tar" usr/lib/x86_64-linux-gnu/libc.so.6 2>/dev/null &&
  grep ' usr/lib/x86_64-linux-gnu/libc.so.6$' var/lib/dpkg/status.d/libc6.md5sums | md5sum -c --quiet - 2>&1)
is "$?" 0 "libc6.md5sums names the merged-/usr path and its md5 matches$md5_ok"

# The SBOM lists exactly the resolved packages and wheels.
"$PYOCI" sbom flask-asm:1 >"$T/cdx.json"
is "$(python3 "$TOP/tests/integration/sbom_list.py" cyclonedx "$T/cdx.json" deb | cut -d' ' -f1,2)" "$debs" \
  "pyoci sbom lists exactly the locked .debs"
wheels=$(python3 -c 'import json,sys; print("\n".join(sorted(w["name"]+" "+w["version"] for w in json.load(open(sys.argv[1]))["wheels"])))' "$ex/image.lock.json")
is "$(python3 "$TOP/tests/integration/sbom_list.py" cyclonedx "$T/cdx.json" python | tr 'A-Z' 'a-z' | sort)" \
  "$(echo "$wheels" | tr 'A-Z' 'a-z' | sort)" "pyoci sbom lists exactly the locked wheels"
python3 "$TOP/tests/integration/validate_sbom.py" cyclonedx "$T/cdx.json"
ok $? "the CycloneDX SBOM is schema-valid"

# Reproducible: the lock and SOURCE_DATE_EPOCH fix the digest, whatever the thread count.
run "$PYOCI" assemble -f "$ex/assemble.yaml" -t flask-asm:2 --locked
is "$out" "$id1" "assemble --locked gives the same image ID"
PYOCI_THREADS=1 run "$PYOCI" assemble -f "$ex/assemble.yaml" -t flask-asm:3 --locked -j 1 --no-cache
is "$out" "$id1" "... with one thread and one download at a time too"
is "$("$PYOCI" inspect --format '{{.Id}}' flask-asm:3)" "$("$PYOCI" inspect --format '{{.Id}}' flask-asm:1)" \
  "same config digest in the store"

# A changed lock fails, and nothing is written to the store.
before=$(store_fingerprint)
sed -i '0,/"version": "2\.36-/s//"version": "2.35-/' "$ex/image.lock.json"
run "$PYOCI" assemble -f "$ex/assemble.yaml" -t flask-asm:bad --locked
ok "$([ "$rc" = 1 ]; echo $?)" "--locked with an edited version fails"
like "$err" "libc6.*the index/lock says libc6 2\.35-" "... naming the .deb and what the lock says"
is "$(store_fingerprint)" "$before" "... and the store is unchanged"
done_testing
