#!/bin/bash
# pyoci sbom on a real Debian bookworm rootfs (mmdebstrap): the dpkg
# packages are exactly what dpkg-query reports, the OS is debian with the
# point release of etc/debian_version, both formats validate against the
# official schemas, and output is reproducible.
source "$(dirname "$0")/lib.sh"
need_root
command -v dpkg-query >/dev/null || skip_all "dpkg-query not installed"
tarball=$(fixture_bookworm_python) || skip_all "mmdebstrap bookworm fixture could not be built"
R=$T/rootfs
mkdir -p "$R" && tar -xf "$tarball" -C "$R" --exclude='./dev/*'
ok $? "unpack the bookworm rootfs"
LIST="python3 $TOP/tests/integration/sbom_list.py"
VALIDATE="python3 $TOP/tests/integration/validate_sbom.py"

export SOURCE_DATE_EPOCH=1700000000
run "$PYOCI" sbom "$R"
is "$rc" 0 "sbom DIR exits 0"
printf '%s\n' "$out" >"$T/cdx.json"

want=$(dpkg-query --admindir="$R/var/lib/dpkg" -W -f '${db:Status-Status} ${Package} ${Version} ${Architecture}\n' |
  awk '$1 == "installed" { print $2, $3, $4 }' | sort)
got=$($LIST cyclonedx "$T/cdx.json" deb)
is "$(echo "$got" | wc -l)" "$(echo "$want" | wc -l)" "as many deb packages as dpkg-query lists ($(echo "$want" | wc -l))"
is "$got" "$want" "deb packages (name version arch) equal dpkg-query's"
is "$($LIST cyclonedx "$T/cdx.json" os)" "debian $(cat "$R/etc/debian_version")" "OS is debian + debian_version"
like "$($LIST cyclonedx "$T/cdx.json" purls)" "pkg:deb/debian/python3.11@3\.11\.[0-9]+-[0-9]+%2Bdeb12u[0-9]+\?arch=amd64&distro=debian-12\.[0-9]+" \
  "deb purl: '+' percent-encoded, arch and distro qualifiers"

run "$PYOCI" sbom --format spdx -o "$T/spdx.json" "$R"
is "$rc" 0 "sbom --format spdx -o FILE exits 0"
is "$out" "" "nothing on stdout with -o"
is "$($LIST spdx "$T/spdx.json" purls)" "$($LIST cyclonedx "$T/cdx.json" purls)" "SPDX and CycloneDX list the same purls"

if $VALIDATE cyclonedx "$T/cdx.json" >"$T/v1" 2>&1; then ok 0 "CycloneDX validates against bom-1.5.schema.json"
elif [ $? = 3 ]; then skip "$(cat "$T/v1")"
else ok 1 "CycloneDX validates against bom-1.5.schema.json"; diag "$(cat "$T/v1")"; fi
if $VALIDATE spdx "$T/spdx.json" >"$T/v2" 2>&1; then ok 0 "SPDX validates against spdx-schema.json (2.3)"
elif [ $? = 3 ]; then skip "$(cat "$T/v2")"
else ok 1 "SPDX validates against spdx-schema.json (2.3)"; diag "$(cat "$T/v2")"; fi

run "$PYOCI" sbom "$R"
is "$(printf '%s\n' "$out" | sha256sum)" "$(sha256sum <"$T/cdx.json")" "same input + SOURCE_DATE_EPOCH: identical bytes"
like "$(cat "$T/cdx.json")" '"timestamp": "2023-11-14T22:13:20Z"' "timestamp from SOURCE_DATE_EPOCH"
done_testing
