#!/bin/bash
# pyoci sbom on the small fixtures of tests/data/pkg (Debian distroless
# status.d, Alpine apk, Python dist-info/egg-info): both formats validate
# against the official schemas and carry the right OS and purls; usage and
# input errors give the documented exit codes and messages.
source "$(dirname "$0")/lib.sh"
DATA=$TOP/tests/data/pkg
LIST="python3 $TOP/tests/integration/sbom_list.py"
VALIDATE="python3 $TOP/tests/integration/validate_sbom.py"
export SOURCE_DATE_EPOCH=1700000000

validate() { # validate KIND FILE DESC
  if $VALIDATE "$1" "$2" >"$T/v" 2>&1; then ok 0 "$3"
  elif [ $? = 3 ]; then skip "$(cat "$T/v")"
  else ok 1 "$3"; diag "$(cat "$T/v")"; fi
}

for fx in distroless alpine python; do
  for fmt in cyclonedx spdx; do
    run "$PYOCI" sbom -f "$fmt" -o "$T/$fx.$fmt.json" "$DATA/rootfs-$fx"
    is "$rc" 0 "sbom -f $fmt rootfs-$fx exits 0"
    validate "$fmt" "$T/$fx.$fmt.json" "rootfs-$fx $fmt validates against the official schema"
  done
  is "$($LIST spdx "$T/$fx.spdx.json" purls)" "$($LIST cyclonedx "$T/$fx.cyclonedx.json" purls)" \
    "rootfs-$fx: same purls in both formats"
done
is "$($LIST cyclonedx "$T/distroless.cyclonedx.json" os)" "debian 12.5" "distroless: debian 12.5"
is "$($LIST cyclonedx "$T/alpine.cyclonedx.json" os)" "alpine 3.18.2" "alpine: alpine 3.18.2"
is "$($LIST cyclonedx "$T/alpine.cyclonedx.json" purls)" "pkg:apk/alpine/busybox@1.36.1-r0?arch=x86_64&distro=3.18.2
pkg:apk/alpine/libcrypto3@3.1.1-r1?arch=x86_64&distro=3.18.2
pkg:apk/alpine/musl@1.2.4-r0?arch=x86_64&distro=3.18.2" "apk purls"
is "$($LIST spdx "$T/python.spdx.json" python)" "Bar.Baz 2.0+local.1
Foo_Bar 1.0
Local.Pkg 0.1
eggy 0.5
qux 3.0
requests 2.31.0
venvpkg 1.2.3" "python distributions in SPDX"
is "$($LIST cyclonedx "$T/python.cyclonedx.json" os)" "" "no OS component when none is detected"

# Reproducible without SOURCE_DATE_EPOCH except for the timestamp.
a=$(env -u SOURCE_DATE_EPOCH "$PYOCI" sbom "$DATA/rootfs-alpine" | grep -v '"timestamp"')
b=$(env -u SOURCE_DATE_EPOCH "$PYOCI" sbom "$DATA/rootfs-alpine" | grep -v '"timestamp"')
is "$a" "$b" "same input: same document apart from the timestamp"
like "$a" '"serialNumber": "urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"' \
  "serial number is a name-based UUID"

run "$PYOCI" sbom --help
is "$rc" 0 "--help exits 0"
like "$out" "Usage: pyoci sbom" "--help prints usage"
run "$PYOCI" sbom --format xml "$DATA/rootfs-alpine"
is "$rc" 2 "unknown format: exit 2"
like "$err" "unknown format 'xml'" "unknown format: message"
run "$PYOCI" sbom
is "$rc" 2 "no argument: exit 2"
run "$PYOCI" sbom "$DATA/bad/apk-nocolon"
is "$rc" 1 "a plain file: exit 1"
like "$err" "is a file: load archives with 'pyoci load' first" "a plain file: says to load it"
run "$PYOCI" sbom no-such-image:1
is "$rc" 1 "unknown image: exit 1"
like "$err" "no-such-image" "unknown image: named in the message"

# A bad database is a warning by default and an error with --strict.
mkdir -p "$T/bad/lib/apk/db" && cp "$DATA/bad/apk-nocolon" "$T/bad/lib/apk/db/installed"
run "$PYOCI" sbom "$T/bad"
is "$rc" 0 "bad apk db: still exits 0"
like "$err" "warning: lib/apk/db/installed:3: expected 'Name: value', got 'nocolon'" "bad apk db: warning names file and line"
run "$PYOCI" sbom --strict "$T/bad"
is "$rc" 1 "bad apk db with --strict: exit 1"
is "$err" "pyoci: lib/apk/db/installed:3: expected 'Name: value', got 'nocolon'" "--strict: the error"
is "$out" "" "--strict: no document"
done_testing
