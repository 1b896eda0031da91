#!/bin/bash
# pyoci assemble, hermetic: a signed apt repository and wheels built here
# (assemble_fixtures.py: dpkg-deb, dpkg-scanpackages, a throwaway gpg key,
# zipfile wheels), served on 127.0.0.1.  What goes in and why (alternatives,
# Provides, Pre-Depends, versions, Conflicts/Breaks), the unpacked tree
# (merged /usr, path excludes, status.d + md5sums, accounts, CA bundle,
# localtime, os-release), the wheels (RECORD, scripts, .data, tags), the
# lock, and every bad input: each a clear error with nothing written to the
# store.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/assemble-lib.sh"
need_root
assemble_need
assemble_fixtures ".debs, signed suites, wheels"

spec() { # spec FILE SUITE PACKAGES REQUIREMENTS [extra yaml]
  cat >"$1" <<EOS
debian:
  suites: [$2]
  uris: [$URI]
  keyring: $F/keyring.gpg
  packages: [$3]
  exclude-paths: [/usr/share/doc/*]
  include-paths: [/usr/share/doc/*/copyright]
python:
  requirements: $4
  find-links: [wheels]
${5:-}
EOS
}
mkdir -p "$F/app"
echo "print('app')" >"$F/app/main.py"
spec "$F/good.yaml" good "fake-app, python3.11-minimal, ca-certificates, tzdata" req-good.txt "contents:
  - {src: app/main.py, dst: /app/main.py, mode: '0640', owner: '1000:1000'}
accounts:
  users: [{name: svc, uid: 1000, gid: 1000, home: /home/svc}]
  groups: [{name: svc, gid: 1000}]
entrypoint: [/usr/bin/python3.11, /app/main.py]
env: {APP_MODE: prod}
workdir: /app
user: svc"

# flatten IMAGE DIR: the image's layers applied in order (no whiteouts here).
flatten() {
  "$PYOCI" save -o "$T/img.tar" "$1" && rm -rf "$2" && mkdir -p "$2" && python3 - "$T/img.tar" "$2" <<'EOP'
import json, sys, tarfile
with tarfile.open(sys.argv[1]) as t:
    for layer in json.load(t.extractfile("manifest.json"))[0]["Layers"]:
        with tarfile.open(fileobj=t.extractfile(layer)) as lt:
            lt.extractall(sys.argv[2], numeric_owner=True)
EOP
}

run "$PYOCI" assemble -f "$F/good.yaml" -t local-asm:1 --lock
is "$rc" 0 "assemble the good spec --lock"
[ "$rc" = 0 ] || { echo "$err" | tail -5 | sed 's/^/#   /'; bail "no image"; }
id1=$out
debs=$(python3 -c 'import json,sys; print(" ".join(d["name"]+"="+d["version"] for d in json.load(open(sys.argv[1]))["debs"]))' "$F/image.lock.json")
is "$debs" "ca-certificates=20230311 fake-app=1.0 fake-base=1.0 fake-provider=1.0 libc6=2.36-9 libfake1=2.0 python3.11-minimal=3.11.2-6 tzdata=2024a-0" \
  "closure: Pre-Depends, versioned Depends (libfake1 2.0), a virtual package by Provides (= 2.0), ':any'; nothing unasked"
run "$PYOCI" assemble -f "$F/good.yaml" --explain fake-provider
is "$out" "fake-app 1.0: asked for in the spec
fake-provider 1.0: fake-app Depends: virt-thing (>= 1.5) | missing-pkg" "--explain says why a package is in"
plain=$XDG_CACHE_HOME/pyoci/indexes/sha256/$(sha256sum "$F/repo/dists/good/main/binary-amd64/Packages" | cut -d' ' -f1)
cmp -s "$plain" "$F/repo/dists/good/main/binary-amd64/Packages"
ok $? "Packages.xz is kept decompressed in the cache, under the hash the Release lists for the plain file"
echo "Package: forged" >"$plain"
run "$PYOCI" assemble -f "$F/good.yaml" --explain fake-provider
is "$rc:$(cmp -s "$plain" "$F/repo/dists/good/main/binary-amd64/Packages"; echo $?)" "0:0" \
  "... a damaged cached index fails its hash: decompressed again from Packages.xz, and the cache repaired"
spec "$F/calm.yaml" good calm-app req-good.txt
run "$PYOCI" assemble -f "$F/calm.yaml" --explain calm-pkg
is "$rc:$out" "0:calm-app 1.0: asked for in the spec
calm-pkg 1.0: calm-app Depends: calm-pkg" \
  "Conflicts/Breaks that miss: a version outside the range, an unversioned Provides, the package's own virtual name"
run "$PYOCI" inspect --format '{{len .RootFS.Layers}} {{.Config.User}} {{.Config.WorkingDir}} {{json .Config.Entrypoint}} {{index .Config.Env 1}}' local-asm:1
is "$out" '3 svc /app ["/usr/bin/python3.11","/app/main.py"] APP_MODE=prod' "config: three layers, user, workdir, entrypoint, env"

R=$T/root
flatten local-asm:1 "$R"
ok "$([ -f "$R/usr/bin/fakebin" ] && [ -f "$R/usr/sbin/fakeadm" ] && [ "$(readlink "$R/bin")" = usr/bin ] && [ "$(readlink "$R/lib")" = usr/lib ]; echo $?)" \
  "merged /usr: bin/, sbin/, lib/ entries land under usr/, with bin -> usr/bin links"
is "$(cat "$R/usr/lib/x86_64-linux-gnu/libfake-compat.so")" compat "lib/x86_64-linux-gnu/ from a .deb is under usr/lib"
ok "$([ ! -e "$R/usr/share/doc/fake-base/README" ] && [ -f "$R/usr/share/doc/fake-base/copyright" ]; echo $?)" \
  "exclude-paths drops /usr/share/doc/*, include-paths keeps copyright"
like "$(cat "$R/var/lib/dpkg/status.d/fake-app")" "^Package: fake-app
Status: install ok installed
Version: 1.0" "status.d/fake-app: the control file with Status after Package"
like "$(cat "$R/var/lib/dpkg/status.d/fake-base.md5sums")" "  usr/bin/fakebin" "md5sums name the merged-/usr path"
ok "$(grep -q README "$R/var/lib/dpkg/status.d/fake-base.md5sums"; [ $? = 1 ]; echo $?)" "md5sums drop excluded files"
(cd "$R" && md5sum -c --quiet var/lib/dpkg/status.d/*.md5sums >/dev/null 2>&1)
ok $? "every md5sums line matches the installed file"
like "$(cat "$R/etc/passwd")" "nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin" "passwd has distroless's nonroot 65532"
like "$(cat "$R/etc/passwd")" "svc:x:1000:1000:svc:/home/svc:" "... and the spec's user"
like "$(cat "$R/etc/group")" "svc:x:1000:" "group has the spec's group"
is "$(stat -c '%u:%g %a' "$R/home/svc" "$R/tmp" | tr '\n' ' ')" "1000:1000 700 0:0 1777 " "home owned by its user, /tmp 1777"
is "$(cat "$R/etc/ssl/certs/ca-certificates.crt")" "-----A-----
-----B-----" "CA bundle: every shipped certificate, in name order"
is "$(readlink "$R/etc/localtime")" /usr/share/zoneinfo/Etc/UTC "tzdata: /etc/localtime -> UTC"
like "$(cat "$R/etc/os-release")" "ID=debian" "os-release written (no base-files in the closure)"
ok "$([ ! -e "$R/bin/sh" ] && [ ! -e "$R/usr/bin/sh" ]; echo $?)" "no shell"

S=$R/usr/local/lib/python3.11/dist-packages
ok "$([ -f "$S/hello_pkg/__init__.py" ] && [ -f "$S/native_ext/_x.so" ]; echo $?)" "wheels installed into /usr/local/lib/python3.11/dist-packages (a manylinux_2_17 cp311 one too)"
is "$(cat "$S/hello_pkg-1.0.dist-info/INSTALLER")" pyoci "INSTALLER"
like "$(cat "$R/usr/local/bin/hello")" "^#!/usr/bin/python3.11
.*from hello_pkg import main" "console_scripts wrapper with the image's python"
is "$(head -1 "$R/usr/local/bin/hi") $(stat -c %a "$R/usr/local/bin/hi")" "#!/usr/bin/python3.11 755" ".data/scripts: #!python rewritten, executable"
is "$(cat "$R/usr/local/share/hello/hello.txt")" "data file" ".data/data goes under /usr/local"
like "$(cat "$S/hello_pkg-1.0.dist-info/RECORD")" "../../../bin/hello,sha256=" "RECORD lists the installed paths, scripts relative to site-packages"
is "$(stat -c '%u:%g %a' "$R/app/main.py")" "1000:1000 640" "contents: owner and mode"

"$PYOCI" sbom local-asm:1 >"$T/cdx.json"
is "$(python3 "$TOP/tests/integration/sbom_list.py" cyclonedx "$T/cdx.json" deb | cut -d' ' -f1 | tr '\n' ' ')" \
  "ca-certificates fake-app fake-base fake-provider libc6 libfake1 python3.11-minimal tzdata " "pyoci sbom sees exactly the installed .debs"
is "$(python3 "$TOP/tests/integration/sbom_list.py" cyclonedx "$T/cdx.json" python | tr '\n' ' ')" "hello_pkg 1.0 native_ext 1.0 " \
  "... and the wheels"

run "$PYOCI" assemble -f "$F/good.yaml" -t local-asm:2 --locked
is "$rc:$out" "0:$id1" "--locked: the same image ID"
PYOCI_THREADS=1 run "$PYOCI" assemble -f "$F/good.yaml" -t local-asm:3 --locked -j 1 --no-cache
is "$out" "$id1" "... with one thread and one download at a time, the OS layer made again (--no-cache)"
rm -rf "$XDG_CACHE_HOME"
run "$PYOCI" assemble -f "$F/good.yaml" -t local-asm:4 --locked --no-cache
is "$out" "$id1" "... and with an empty download cache, the OS layer made again (cold)"

# ---- bad input: a clear error, exit 1, the store unchanged ------------------
before=$(store_fingerprint)
bad() { # bad DESCRIPTION REGEX ASSEMBLE-ARGS...
  local desc=$1 re=$2; shift 2
  run "$PYOCI" assemble "$@"
  is "$rc" 1 "$desc: exit 1"
  like "$err" "$re" "$desc: says why"
  is "$(store_fingerprint)" "$before" "$desc: nothing written to the store"
}
spec "$F/s.yaml" unsigned fake-app req-good.txt
bad "unsigned InRelease" "dists/unsigned/InRelease': not signed" -f "$F/s.yaml" -t x:1
spec "$F/s.yaml" otherkey fake-app req-good.txt
bad "InRelease signed by another key" "signed by a key not in the keyring" -f "$F/s.yaml" -t x:1
spec "$F/s.yaml" tampered fake-app req-good.txt
bad "Packages changed after signing" "Packages.xz': (sha256 mismatch|[0-9]+ bytes, the index says [0-9]+)" -f "$F/s.yaml" -t x:1
spec "$F/s.yaml" baddeb fake-app req-good.txt
bad ".deb hash mismatch" "fake-app_1.0_amd64.deb': sha256 mismatch" -f "$F/s.yaml" -t x:1
spec "$F/s.yaml" good needs-missing req-good.txt
bad "unresolvable dependency" "cannot resolve nothere \(>= 1.0\) \(Depends of needs-missing 1.0\) <- needs-missing \(asked for\)" -f "$F/s.yaml" -t x:1
spec "$F/s.yaml" good clash-app req-good.txt
bad "versioned Conflicts inside the closure" "clash-old 1\.0 Conflicts: clash-lib \(<< 2\.0\), but clash-lib 1\.0 is in the image too \(clash-old <- clash-app \(asked for\); clash-lib <- clash-app \(asked for\)\)$" -f "$F/s.yaml" -t x:1
spec "$F/s.yaml" good breaks-app req-good.txt
bad "Breaks through a versioned Provides" "breaker 1\.0 Breaks: virt-thing \(>= 2\.0\), but fake-provider 1\.0 is in the image too \(breaker <- breaks-app \(asked for\); fake-provider <- breaks-app \(asked for\)\)$" -f "$F/s.yaml" -t x:1
bad "... --explain refuses the same closure" "breaker 1\.0 Breaks: virt-thing" -f "$F/s.yaml" --explain breaker
spec "$F/s.yaml" good "fake-base, evil-dotdot" req-good.txt
bad ".deb member with .." "evil-dotdot_1.0_amd64.deb: entry '\./usr/\.\./\.\./dotdot-escape': path leaves the root" -f "$F/s.yaml" -t x:1
spec "$F/s.yaml" good "fake-base, evil-abs" req-good.txt
bad ".deb member with an absolute path" "entry '/etc/evil-absolute': path leaves the root" -f "$F/s.yaml" -t x:1
spec "$F/s.yaml" good "fake-base, evil-symlink" req-good.txt
run "$PYOCI" assemble -f "$F/s.yaml" -t x:1
ok "$([ ! -e "$T/canary/pwned" ]; echo $?)" "a write through a symlink pointing outside stays inside the root (rc $rc)"
before=$(store_fingerprint)
spec "$F/s.yaml" good python3.11-minimal req-toonew.txt
bad "manylinux newer than the image's glibc" "toonew==1.0: wheel 'toonew-1.0-cp311-cp311-manylinux_2_39_x86_64.whl' does not fit the image: manylinux_2_39_x86_64 \(glibc 2.39\) is newer than the image's glibc 2.36$" -f "$F/s.yaml" -t x:1
spec "$F/s.yaml" good python3.11-minimal req-musl.txt
bad "musllinux wheel" "built for musl libc; the image has glibc 2.36" -f "$F/s.yaml" -t x:1
spec "$F/s.yaml" good python3.11-minimal req-py312.txt
bad "cp312 wheel on python 3.11" "'cp312' needs Python 3.12, the image has Python 3.11" -f "$F/s.yaml" -t x:1
spec "$F/s.yaml" good python3.11-minimal req-badhash.txt
bad "wheel member not matching RECORD" "badhash/x.py' does not match its RECORD hash" -f "$F/s.yaml" -t x:1
spec "$F/s.yaml" good python3.11-minimal req-dotdot.txt
bad "wheel member with .." "member '\.\./dotdot_escape.py' leaves the install root" -f "$F/s.yaml" -t x:1
sed 's/--hash=sha256:[0-9a-f]\{8\}/--hash=sha256:00000000/' "$F/req-good.txt" >"$F/req-wronghash.txt"
spec "$F/s.yaml" good python3.11-minimal req-wronghash.txt
bad "wheel not matching the requirements' hash" "is not one of the hashes the requirements file allows for hello-pkg==1.0" -f "$F/s.yaml" -t x:1
printf 'debian:\n  suites: [good]\n  packages: [a\n' >"$F/broken.yaml"
bad "malformed YAML" "broken.yaml:[34]: " -f "$F/broken.yaml" -t x:1
printf 'debian:\n  suites: [good]\n  packagez: [a]\n' >"$F/unknown.yaml"
bad "unknown key" "unknown.yaml:3: debian: unknown key 'packagez'" -f "$F/unknown.yaml" -t x:1
printf 'a: &x [1]\nb: *x\n' >"$F/alias.yaml"
bad "YAML alias" "alias.yaml:2: YAML aliases are not allowed" -f "$F/alias.yaml" -t x:1

# --locked with a lock that no longer matches.
cp "$F/image.lock.json" "$F/lock.bak"
python3 - "$F/image.lock.json" <<'EOP'
import json, sys
l = json.load(open(sys.argv[1]))
l["wheels"][0]["sha256"] = "0" * 64
json.dump(l, open(sys.argv[1], "w"))
EOP
bad "--locked with a changed wheel hash" "lock out of date: no locked wheel for hello-pkg==1.0" -f "$F/good.yaml" -t x:1 --locked
cp "$F/lock.bak" "$F/image.lock.json"
python3 -c 'import json,sys; l=json.load(open(sys.argv[1])); l["debs"][0]["version"]="0.1"; json.dump(l, open(sys.argv[1], "w"))' "$F/image.lock.json"
bad "--locked with an edited .deb version (its OS layer is in the store)" "the \.deb is ca-certificates 20230311 amd64, the index/lock says ca-certificates 0\.1 amd64" -f "$F/good.yaml" -t x:1 --locked
cp "$F/lock.bak" "$F/image.lock.json"
python3 -c 'import json,sys; l=json.load(open(sys.argv[1])); l["packages"].append("extra"); json.dump(l, open(sys.argv[1], "w"))' "$F/image.lock.json"
bad "--locked when the spec's packages changed" "out of date: the spec's debian.packages changed" -f "$F/good.yaml" -t x:1 --locked

# The OS layer cache entry goes with its blob.
ls "$PYOCI_STORE/cache/assemble" >"$T/entries"
is "$(wc -l <"$T/entries")" 1 "one OS layer remembered in the store (cache/assemble)"
"$PYOCI" rmi -f "$id1" >/dev/null && "$PYOCI" prune -f >/dev/null
is "$(ls "$PYOCI_STORE/cache/assemble" | wc -l)" 0 "pyoci prune removes it once gc took its blob"
done_testing
