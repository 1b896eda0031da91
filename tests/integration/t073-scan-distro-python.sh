#!/bin/bash
# Debian's Python packages are not PyPI packages: on an image with Debian's
# python3-flask stack (mmdebstrap fixture) plus a pip-installed copy of the
# same versions (wheels built here, installed by pip --no-index), only the
# pip copies are matched against PyPI records; the dpkg-owned copies are
# reported under their .deb, matched against Debian records; aliases merge.
# Also: distroless status.d md5sums and apk ownership, the third-party
# Maintainer rule, --list-all-pkgs, and the SBOM nesting (both formats
# validated against the official schemas).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/fixtures.sh"
need_root
export SOURCE_DATE_EPOCH=1700000000
tarball=$(fixture_bookworm_flask) || skip_all "mmdebstrap bookworm+python3-flask fixture could not be built"
/usr/bin/python3 -m pip --version >/dev/null 2>&1 || skip_all "Debian's python3-pip is not installed (scripts/deps.sh)"

"$PYOCI" import -q "$tarball" -t deb:flask >/dev/null
ok $? "import the bookworm + python3-flask rootfs"
R=$T/rootfs
mkdir -p "$R" && tar -xf "$tarball" -C "$R" ./usr/lib/python3/dist-packages ./var/lib/dpkg/status
ver() { awk -v p="$1" '$0 == "Package: " p {f = 1} f && /^Version:/ {print $2; exit}' "$R/var/lib/dpkg/status"; }
FLASK_DEB=$(ver python3-flask) WERKZEUG_DEB=$(ver python3-werkzeug) JINJA_DEB=$(ver python3-jinja2)
diag "debs: flask $FLASK_DEB, werkzeug $WERKZEUG_DEB, jinja2 $JINJA_DEB"

# Wheels of the same upstream versions, from the Debian copies' files, built
# here and installed with pip (no index: nothing comes from PyPI).
python3 - "$R/usr/lib/python3/dist-packages" "$T/wheels" <<'PY'
import base64, hashlib, os, sys, zipfile
src, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
for name, mod, ver in [("Flask", "flask", "2.2.2"), ("Werkzeug", "werkzeug", "2.2.2"), ("Jinja2", "jinja2", "3.1.2")]:
    di = f"{name}-{ver}.dist-info"
    files = {}
    for root, _, names in os.walk(os.path.join(src, mod)):
        for n in names:
            if n.endswith(".py"):
                p = os.path.join(root, n)
                files[os.path.relpath(p, src)] = open(p, "rb").read()
    files[f"{di}/METADATA"] = f"Metadata-Version: 2.1\nName: {name}\nVersion: {ver}\n".encode()
    files[f"{di}/WHEEL"] = b"Wheel-Version: 1.0\nGenerator: pyoci-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    rec = "".join(f"{k},sha256={base64.urlsafe_b64encode(hashlib.sha256(v).digest()).rstrip(b'=').decode()},{len(v)}\n" for k, v in files.items())
    files[f"{di}/RECORD"] = (rec + f"{di}/RECORD,,\n").encode()
    with zipfile.ZipFile(os.path.join(out, f"{name}-{ver}-py3-none-any.whl"), "w") as z:
        for k, v in sorted(files.items()):
            z.writestr(k, v)
PY
ok $? "build Flask, Werkzeug and Jinja2 wheels"
mkdir -p "$T/ctx"
/usr/bin/python3 -m pip install -q --no-index --no-deps --no-compile --disable-pip-version-check --root-user-action=ignore \
  --target "$T/ctx/site" "$T"/wheels/*.whl
ok $? "pip installs them (--no-index)"
printf 'FROM deb:flask\nCOPY site/ /usr/local/lib/python3.11/dist-packages/\n' >"$T/ctx/Dockerfile"
"$PYOCI" build -q -t app:pip "$T/ctx" >/dev/null
ok $? "an image with both copies"

# Records: PyPI GHSA + PYSEC pairs (they alias the same CVE), and Debian's
# view: flask's CVE fixed in the installed .deb, one werkzeug CVE still open.
python3 - "$T/osv" "$FLASK_DEB" "$WERKZEUG_DEB" <<'PY'
import json, os, sys
out, flask_deb, werk_deb = sys.argv[1:4]
os.makedirs(out)
def r(id_, eco, name, events, aliases=(), label=None):
    d = {"schema_version": "1.6.0", "id": id_, "modified": "2024-06-01T00:00:00Z", "aliases": list(aliases),
         "summary": id_ + " summary",
         "affected": [{"package": {"ecosystem": eco, "name": name},
                       "ranges": [{"type": "ECOSYSTEM", "events": [dict([e]) for e in events]}]}]}
    if label:
        d["database_specific"] = {"severity": label}
    json.dump(d, open(os.path.join(out, id_ + ".json"), "w"))
r("GHSA-m2qf-hxjv-5gpq", "PyPI", "flask", [("introduced", "0"), ("fixed", "2.2.5")], ["CVE-2023-30861"], "HIGH")
r("PYSEC-2023-62", "PyPI", "flask", [("introduced", "0"), ("fixed", "2.2.5")], ["CVE-2023-30861", "GHSA-m2qf-hxjv-5gpq"])
r("GHSA-hrfv-mqp8-q5rw", "PyPI", "werkzeug", [("introduced", "0"), ("fixed", "2.3.8")], ["CVE-2023-46136"], "MODERATE")
r("PYSEC-2023-221", "PyPI", "werkzeug", [("introduced", "0"), ("fixed", "3.0.1")], ["CVE-2023-46136"])
r("GHSA-h5c8-rqwp-cp95", "PyPI", "jinja2", [("introduced", "0"), ("fixed", "3.1.3")], ["CVE-2024-22195"], "MODERATE")
# Debian fixed CVE-2023-30861 in flask 2.2.2-3 (the installed .deb)
r("DEBIAN-CVE-2023-30861", "Debian:12", "flask", [("introduced", "0"), ("fixed", flask_deb)], label="HIGH")
r("DEBIAN-CVE-2024-49767", "Debian:12", "python-werkzeug", [("introduced", "0"), ("fixed", werk_deb + ".1")], label="MEDIUM")
PY
run "$PYOCI" db import -q --db "$T/vuln.db" "$T/osv"
is "$rc" 0 "import the records"

run "$PYOCI" scan --db "$T/vuln.db" --list-all-pkgs -f json -o "$T/r.json" app:pip
is "$rc" 0 "scan the image"
rows=$(python3 - "$T/r.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for r in d["Results"]:
    for v in r.get("Vulnerabilities", []):
        print(r["Class"], v["PkgName"], v["InstalledVersion"], v["VulnerabilityID"], v.get("PkgPath", "-"))
PY
)
is "$rows" "os-pkgs python3-werkzeug $WERKZEUG_DEB DEBIAN-CVE-2024-49767 -
lang-pkgs Flask 2.2.2 CVE-2023-30861 usr/local/lib/python3.11/dist-packages/Flask-2.2.2.dist-info/METADATA
lang-pkgs Jinja2 3.1.2 CVE-2024-22195 usr/local/lib/python3.11/dist-packages/Jinja2-3.1.2.dist-info/METADATA
lang-pkgs Werkzeug 2.2.2 CVE-2023-46136 usr/local/lib/python3.11/dist-packages/Werkzeug-2.2.2.dist-info/METADATA" \
  "only the pip copies are matched against PyPI (one row per CVE); the debs against Debian's records (flask fixed in $FLASK_DEB)"
pkgs=$(python3 - "$T/r.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for r in d["Results"]:
    if r["Class"] == "lang-pkgs":
        for p in r["Packages"]:
            if p["Name"] in ("Flask", "Werkzeug", "Jinja2"):
                print(p["Name"], p["Version"], p.get("OwnedBy", "-"), p.get("OwnerIsDistribution", "-"), p["FilePath"].split("/")[1])
PY
)
is "$(sort <<<"$pkgs")" "Flask 2.2.2 - - local
Flask 2.2.2 python3-flask True lib
Jinja2 3.1.2 - - local
Jinja2 3.1.2 python3-jinja2 True lib
Werkzeug 2.2.2 - - local
Werkzeug 2.2.2 python3-werkzeug True lib" "--list-all-pkgs shows both copies, the Debian ones with their owner"
run "$PYOCI" scan --db "$T/vuln.db" app:pip
is "$(grep -c 'CVE-2023-30861' <<<"$out")" 1 "table: CVE-2023-30861 once (the pip Flask)"

# SBOM: the Debian copies are components of their .deb, with a relationship.
"$PYOCI" sbom app:pip >"$T/s.cdx" && "$PYOCI" sbom -f spdx app:pip >"$T/s.spdx"
ok $? "sbom in both formats"
for k in cyclonedx:s.cdx spdx:s.spdx; do
  run python3 "$TOP/tests/integration/validate_sbom.py" "${k%%:*}" "$T/${k#*:}"
  if [ "$rc" = 3 ]; then skip "$out"; else is "$rc:$out" "0:" "${k%%:*} SBOM validates against the official schema"; fi
done
got=$(python3 - "$T/s.cdx" "$T/s.spdx" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
for comp in c["components"]:
    for sub in comp.get("components", []):
        if sub["name"] == "Flask":
            print("cdx", comp["name"], ">", sub["name"])
deps = {d["ref"]: d["dependsOn"] for d in c["dependencies"]}
flask_deb = [x["bom-ref"] for x in c["components"] if x["name"] == "python3-flask"][0]
print("cdx-dep", [x.split("?")[0] for x in deps[flask_deb]])
s = json.load(open(sys.argv[2]))
name = {p["SPDXID"]: p["name"] for p in s["packages"]}
for r in s["relationships"]:
    if name.get(r["relatedSpdxElement"]) == "Flask":
        print("spdx", name.get(r["spdxElementId"], r["spdxElementId"]), r["relationshipType"], "Flask")
PY
)
is "$(sort <<<"$got")" "cdx python3-flask > Flask
cdx-dep ['pkg:pypi/flask@2.2.2']
spdx app:pip CONTAINS Flask
spdx python3-flask CONTAINS Flask" "SBOM: Debian's Flask nested in python3-flask (CycloneDX) / CONTAINS (SPDX); the pip Flask under the image"

# status.d (distroless) md5sums, apk's installed db, and a third-party .deb.
D=$T/distroless
mkdir -p "$D/var/lib/dpkg/status.d" "$D/etc"
printf 'ID=debian\nVERSION_ID="12"\n' >"$D/etc/os-release"
printf 'Package: python3-werkzeug\nVersion: %s\nArchitecture: all\nSource: python-werkzeug\nMaintainer: Debian Python Team <team+python@tracker.debian.org>\n' \
  "$WERKZEUG_DEB" >"$D/var/lib/dpkg/status.d/python3-werkzeug"
printf '0123456789abcdef0123456789abcdef  usr/lib/python3/dist-packages/werkzeug/__init__.py\n0123456789abcdef0123456789abcdef  usr/lib/python3/dist-packages/Werkzeug-2.2.2.dist-info/METADATA\n' \
  >"$D/var/lib/dpkg/status.d/python3-werkzeug.md5sums"
printf 'Package: acme-tools\nVersion: 1.0\nArchitecture: all\nMaintainer: ACME Ops <ops@acme.example>\n' >"$D/var/lib/dpkg/status.d/acme-tools"
printf '0123456789abcdef0123456789abcdef  usr/lib/python3/dist-packages/Flask-2.2.2.dist-info/METADATA\n' >"$D/var/lib/dpkg/status.d/acme-tools.md5sums"
for p in Werkzeug Flask; do
  mkdir -p "$D/usr/lib/python3/dist-packages/$p-2.2.2.dist-info"
  printf 'Metadata-Version: 2.1\nName: %s\nVersion: 2.2.2\n' "$p" >"$D/usr/lib/python3/dist-packages/$p-2.2.2.dist-info/METADATA"
done
run "$PYOCI" scan --db "$T/vuln.db" --list-all-pkgs -f json "$D"
got=$(python3 -c '
import json,sys
d=json.load(sys.stdin)
for r in d["Results"]:
    for v in r.get("Vulnerabilities", []): print("vuln", v["PkgName"], v["VulnerabilityID"])
    for p in r.get("Packages", []):
        if "OwnedBy" in p: print("pkg", p["Name"], p["OwnedBy"], p["OwnerIsDistribution"])' <<<"$out")
is "$got" "vuln python3-werkzeug DEBIAN-CVE-2024-49767
vuln Flask CVE-2023-30861
pkg Flask acme-tools False
pkg Werkzeug python3-werkzeug True" \
  "status.d md5sums own Werkzeug (Debian's: matched via the .deb); a third-party .deb's Flask (Maintainer not Debian's) is still matched against PyPI"

A=$T/alpine
mkdir -p "$A/lib/apk/db" "$A/etc" "$A/usr/lib/python3.11/site-packages/Flask-2.2.2.dist-info"
printf 'ID=alpine\nVERSION_ID=3.18.4\n' >"$A/etc/os-release"; echo 3.18.4 >"$A/etc/alpine-release"
printf 'P:py3-flask\nV:2.2.2-r0\nA:noarch\no:py3-flask\nF:usr/lib/python3.11/site-packages/Flask-2.2.2.dist-info\nR:METADATA\nR:RECORD\n\n' >"$A/lib/apk/db/installed"
printf 'Metadata-Version: 2.1\nName: Flask\nVersion: 2.2.2\n' >"$A/usr/lib/python3.11/site-packages/Flask-2.2.2.dist-info/METADATA"
run "$PYOCI" scan --db "$T/vuln.db" --list-all-pkgs -f json "$A"
got=$(python3 -c '
import json,sys
d=json.load(sys.stdin)
print(sum(len(r.get("Vulnerabilities", [])) for r in d["Results"]), [(p["Name"], p.get("OwnedBy")) for r in d["Results"] for p in r.get("Packages", []) if p["Name"] == "Flask"])' <<<"$out")
is "$got" "0 [('Flask', 'py3-flask')]" "apk: Flask owned by py3-flask (F:/R: lines) is not matched against PyPI"

done_testing
