#!/bin/bash
# Every Python distribution of Debian's python3-flask stack is in the SBOM,
# with the version importlib.metadata reports inside the rootfs.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/fixtures.sh"
need_root
tarball=$(fixture_bookworm_flask) || skip_all "mmdebstrap bookworm+python3-flask fixture could not be built"
R=$T/rootfs
mkdir -p "$R" && tar -xf "$tarball" -C "$R" --exclude='./dev/*'
ok $? "unpack the bookworm+flask rootfs"

want=$(chroot "$R" /usr/bin/python3 -c '
import importlib.metadata as m
for d in m.distributions():
    print(d.metadata["Name"], d.version)' | sort)
ok $? "importlib.metadata inside the chroot"
like "$want" "Flask 2\.2\.[0-9]+" "the fixture has Flask"

run "$PYOCI" sbom "$R"
is "$rc" 0 "sbom exits 0"
printf '%s\n' "$out" >"$T/cdx.json"
got=$(python3 "$TOP/tests/integration/sbom_list.py" cyclonedx "$T/cdx.json" python)
is "$got" "$want" "python distributions (name version) equal importlib.metadata's"
for d in Flask Werkzeug Jinja2 MarkupSafe itsdangerous click; do
  echo "$got" | grep -q "^$d [0-9]"
  ok $? "$d found"
done
like "$(python3 "$TOP/tests/integration/sbom_list.py" cyclonedx "$T/cdx.json" purls)" "pkg:pypi/markupsafe@2\.1\.[0-9]+" \
  "pypi purl uses the PEP 503 name"
done_testing
