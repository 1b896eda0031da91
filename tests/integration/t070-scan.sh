#!/bin/bash
# pyoci scan against the fixture OSV DB (tests/data/osv): exact findings on a
# fake Debian 12 + Flask image (IDs, packages, versions, severities, Total
# lines, table layout), the filters (--severity, --ignore-unfixed,
# --ignorefile with expiry), --exit-code, JSON fields, SARIF and CycloneDX
# schema validation, directory and archive targets, the no-DB rules, secrets
# added in one layer and deleted in the next, the misconfig scanner and the
# per-layer cache.
source "$(dirname "$0")/lib.sh"
FIX="python3 $TOP/tests/integration/scan_fixtures.py"
DB=$T/vuln.db
export SOURCE_DATE_EPOCH=1700000000
mkdir -p "$T/tmp"
export TMPDIR=$T/tmp

run "$PYOCI" db import -q --db "$DB" "$TOP/tests/data/osv"
is "$rc" 0 "import the fixture OSV records"

# A Debian 12.5 root: glibc and openssl at vulnerable versions, Flask 2.2.2
# and Werkzeug 2.2.2 (vulnerable), Jinja2 3.1.3 (fixed).
R=$T/root
mkdir -p "$R/etc" "$R/var/lib/dpkg" "$R/usr/local/lib/python3.11/site-packages" "$R/app"
printf 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n' >"$R/etc/os-release"
echo 12.5 >"$R/etc/debian_version"
cat >"$R/var/lib/dpkg/status" <<'STATUS'
Package: base-files
Status: install ok installed
Architecture: amd64
Version: 12.4+deb12u5

Package: libc6
Status: install ok installed
Architecture: amd64
Source: glibc
Version: 2.36-9+deb12u1

Package: libssl3
Status: install ok installed
Architecture: amd64
Source: openssl
Version: 3.0.11-1~deb12u1

Package: openssl
Status: install ok installed
Architecture: amd64
Version: 3.0.11-1~deb12u1
STATUS
for p in Flask:2.2.2 Werkzeug:2.2.2 Jinja2:3.1.3; do
  d=$R/usr/local/lib/python3.11/site-packages/${p%%:*}-${p#*:}.dist-info
  mkdir -p "$d" && printf 'Metadata-Version: 2.1\nName: %s\nVersion: %s\n' "${p%%:*}" "${p#*:}" >"$d/METADATA"
done
echo 'print("hello")' >"$R/app/app.py"
"$PYOCI" import -q "$R" -t app:1 >/dev/null
ok $? "import the fixture root as app:1"

cat >"$T/want-full" <<'WANT'

app:1 (debian 12.5)
===================
Total: 6 (UNKNOWN: 2, LOW: 1, MEDIUM: 2, HIGH: 1, CRITICAL: 0)

┌─────────┬──────────────────────┬──────────┬───────────────────┬──────────────────┬────────────────────────────────────────────────────────────────────────────────────┐
│ Library │    Vulnerability     │ Severity │ Installed Version │  Fixed Version   │                                       Title                                        │
├─────────┼──────────────────────┼──────────┼───────────────────┼──────────────────┼────────────────────────────────────────────────────────────────────────────────────┤
│ libc6   │ DEBIAN-CVE-2010-4756 │ LOW      │ 2.36-9+deb12u1    │                  │ The glob implementation in the GNU C Library allows remote authenticated users...  │
│         │                      │          │                   │                  │ https://osv.dev/vulnerability/DEBIAN-CVE-2010-4756                                 │
│         ├──────────────────────┼──────────┤                   ├──────────────────┼────────────────────────────────────────────────────────────────────────────────────┤
│         │ DEBIAN-CVE-2023-4911 │ HIGH     │                   │ 2.36-9+deb12u3   │ A buffer overflow was discovered in the GNU C Library's dynamic loader...          │
│         │                      │          │                   │                  │ https://osv.dev/vulnerability/DEBIAN-CVE-2023-4911                                 │
├─────────┼──────────────────────┼──────────┼───────────────────┼──────────────────┼────────────────────────────────────────────────────────────────────────────────────┤
│ libssl3 │ DEBIAN-CVE-2023-5678 │ MEDIUM   │ 3.0.11-1~deb12u1  │ 3.0.13-1~deb12u1 │ Generating excessively long X9.42 DH keys or checking excessively long X9.42 DH... │
│         │                      │          │                   │                  │ https://osv.dev/vulnerability/DEBIAN-CVE-2023-5678                                 │
│         ├──────────────────────┼──────────┤                   ├──────────────────┼────────────────────────────────────────────────────────────────────────────────────┤
│         │ DSA-5532-1           │ UNKNOWN  │                   │ 3.0.11-1~deb12u2 │ openssl - security update                                                          │
│         │                      │          │                   │                  │ https://osv.dev/vulnerability/DSA-5532-1                                           │
├─────────┼──────────────────────┼──────────┤                   ├──────────────────┼────────────────────────────────────────────────────────────────────────────────────┤
│ openssl │ DEBIAN-CVE-2023-5678 │ MEDIUM   │                   │ 3.0.13-1~deb12u1 │ Generating excessively long X9.42 DH keys or checking excessively long X9.42 DH... │
│         │                      │          │                   │                  │ https://osv.dev/vulnerability/DEBIAN-CVE-2023-5678                                 │
│         ├──────────────────────┼──────────┤                   ├──────────────────┼────────────────────────────────────────────────────────────────────────────────────┤
│         │ DSA-5532-1           │ UNKNOWN  │                   │ 3.0.11-1~deb12u2 │ openssl - security update                                                          │
│         │                      │          │                   │                  │ https://osv.dev/vulnerability/DSA-5532-1                                           │
└─────────┴──────────────────────┴──────────┴───────────────────┴──────────────────┴────────────────────────────────────────────────────────────────────────────────────┘

Python (python-pkg)
===================
Total: 3 (UNKNOWN: 0, LOW: 0, MEDIUM: 1, HIGH: 2, CRITICAL: 0)

┌──────────┬────────────────┬──────────┬───────────────────┬───────────────┬──────────────────────────────────────────────────────────────────────────────────────────────────────┐
│ Library  │ Vulnerability  │ Severity │ Installed Version │ Fixed Version │                                                Title                                                 │
├──────────┼────────────────┼──────────┼───────────────────┼───────────────┼──────────────────────────────────────────────────────────────────────────────────────────────────────┤
│ Flask    │ CVE-2023-30861 │ HIGH     │ 2.2.2             │ 2.2.5, 2.3.2  │ Flask vulnerable to possible disclosure of permanent session cookie due to missing...                │
│          │                │          │                   │               │ https://osv.dev/vulnerability/GHSA-m2qf-hxjv-5gpq                                                    │
├──────────┼────────────────┼──────────┤                   ├───────────────┼──────────────────────────────────────────────────────────────────────────────────────────────────────┤
│ Werkzeug │ CVE-2023-46136 │ MEDIUM   │                   │ 2.3.8, 3.0.1  │ Werkzeug DoS: High resource usage when parsing multipart/form-data containing a large part...        │
│          │                │          │                   │               │ https://osv.dev/vulnerability/GHSA-hrfv-mqp8-q5rw                                                    │
│          ├────────────────┼──────────┤                   ├───────────────┼──────────────────────────────────────────────────────────────────────────────────────────────────────┤
│          │ CVE-2024-34069 │ HIGH     │                   │ 3.0.3         │ Werkzeug debugger vulnerable to remote execution when interacting with attacker controlled domain... │
│          │                │          │                   │               │ https://osv.dev/vulnerability/GHSA-2g68-c3qc-8985                                                    │
└──────────┴────────────────┴──────────┴───────────────────┴───────────────┴──────────────────────────────────────────────────────────────────────────────────────────────────────┘
WANT
run "$PYOCI" scan --db "$DB" app:1
is "$rc" 0 "scan exits 0 with findings (no --exit-code)"
is "$out" "$(cat "$T/want-full")" "table: exact findings, Total lines and trivy's layout"
is "$err" "" "nothing on stderr"

# Vulnerability IDs of a JSON report, one per finding, sorted (the table
# merges repeated cells, so its rows are not countable by grep).
ids() { python3 -c 'import json,sys; print(" ".join(sorted(v["VulnerabilityID"] for r in json.load(sys.stdin)["Results"] for v in r.get("Vulnerabilities", []))))'; }
run "$PYOCI" scan --db "$DB" --severity HIGH,CRITICAL app:1
is "$(grep '^Total' <<<"$out" | tr '\n' '|')" "Total: 1 (HIGH: 1, CRITICAL: 0)|Total: 2 (HIGH: 2, CRITICAL: 0)|" \
  "--severity HIGH,CRITICAL: Total lines list only those"
is "$("$PYOCI" scan --db "$DB" --severity HIGH,CRITICAL -f json app:1 | ids)" "CVE-2023-30861 CVE-2024-34069 DEBIAN-CVE-2023-4911" "--severity keeps only HIGH findings"

run "$PYOCI" scan --db "$DB" --ignore-unfixed app:1
is "$(grep '^Total' <<<"$out" | head -1)" "Total: 5 (UNKNOWN: 2, LOW: 0, MEDIUM: 2, HIGH: 1, CRITICAL: 0)" \
  "--ignore-unfixed drops the unfixed glibc finding"
unlike=$(grep -c DEBIAN-CVE-2010-4756 <<<"$out")
is "$unlike" 0 "DEBIAN-CVE-2010-4756 (no fix) is gone"

cat >"$T/ignore" <<'IGN'
# accepted until the end of time
GHSA-m2qf-hxjv-5gpq exp:2999-12-31
DSA-5532-1   # no expiry
DEBIAN-CVE-2023-5678 exp:2000-01-01
IGN
run "$PYOCI" scan --db "$DB" --ignorefile "$T/ignore" -f json app:1
is "$(ids <<<"$out")" "CVE-2023-46136 CVE-2024-34069 DEBIAN-CVE-2010-4756 DEBIAN-CVE-2023-4911 DEBIAN-CVE-2023-5678 DEBIAN-CVE-2023-5678" \
  "--ignorefile: unexpired and dateless entries ignored, the expired one is reported again"
mkdir -p "$T/cwd" && cp "$T/ignore" "$T/cwd/.trivyignore"
got=$(cd "$T/cwd" && "$PYOCI" scan --db "$DB" -f json app:1 | ids)
is "$got" "CVE-2023-46136 CVE-2024-34069 DEBIAN-CVE-2010-4756 DEBIAN-CVE-2023-4911 DEBIAN-CVE-2023-5678 DEBIAN-CVE-2023-5678" \
  "./.trivyignore is read by default"
printf 'CVE-1 exp:2024-13-01\n' >"$T/bad-ignore"
run "$PYOCI" scan --db "$DB" --ignorefile "$T/bad-ignore" app:1
is "$rc" 1 "a bad expiry date fails"
is "$err" "pyoci: $T/bad-ignore:1: bad expiry date 'exp:2024-13-01' (want exp:YYYY-MM-DD)" "the error names file and line"

run "$PYOCI" scan --db "$DB" --exit-code 5 app:1
is "$rc" 5 "--exit-code 5 with findings exits 5"
run "$PYOCI" scan --db "$DB" --exit-code 5 --severity CRITICAL app:1
is "$rc" 0 "--exit-code 5 when the filters leave nothing exits 0"
is "$(grep '^Total' <<<"$out" | tr '\n' '|')" "Total: 0 (CRITICAL: 0)|Total: 0 (CRITICAL: 0)|" "empty sections still show their Total"
run "$PYOCI" scan --db "$DB" --exit-code x app:1
is "$rc" 2 "a bad --exit-code is a usage error"

# JSON
run "$PYOCI" scan --db "$DB" -f json app:1
is "$rc" 0 "--format json exits 0"
printf '%s\n' "$out" >"$T/scan.json"
image_id=$("$PYOCI" inspect --format '{{.Id}}' app:1)
diff_id=$("$PYOCI" inspect --format '{{index .RootFS.Layers 0}}' app:1)
got=$(python3 - "$T/scan.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
m = d["Metadata"]
print(d["SchemaVersion"], d["ArtifactName"], d["ArtifactType"], m["OS"]["Family"], m["OS"]["Name"], m["ImageID"], ",".join(m["DiffIDs"]), ",".join(m["RepoTags"]))
for r in d["Results"]:
    print(r["Target"], r["Class"], r["Type"])
    for v in r.get("Vulnerabilities", []):
        print(" ", v["VulnerabilityID"], v["PkgName"], v["InstalledVersion"], v.get("FixedVersion", "-"), v["Severity"], v["Layer"]["DiffID"] == m["DiffIDs"][0], v["PrimaryURL"])
PY
)
want="2 app:1 container_image debian 12.5 $image_id $diff_id app:1
app:1 (debian 12.5) os-pkgs debian
  DEBIAN-CVE-2010-4756 libc6 2.36-9+deb12u1 - LOW True https://osv.dev/vulnerability/DEBIAN-CVE-2010-4756
  DEBIAN-CVE-2023-4911 libc6 2.36-9+deb12u1 2.36-9+deb12u3 HIGH True https://osv.dev/vulnerability/DEBIAN-CVE-2023-4911
  DEBIAN-CVE-2023-5678 libssl3 3.0.11-1~deb12u1 3.0.13-1~deb12u1 MEDIUM True https://osv.dev/vulnerability/DEBIAN-CVE-2023-5678
  DSA-5532-1 libssl3 3.0.11-1~deb12u1 3.0.11-1~deb12u2 UNKNOWN True https://osv.dev/vulnerability/DSA-5532-1
  DEBIAN-CVE-2023-5678 openssl 3.0.11-1~deb12u1 3.0.13-1~deb12u1 MEDIUM True https://osv.dev/vulnerability/DEBIAN-CVE-2023-5678
  DSA-5532-1 openssl 3.0.11-1~deb12u1 3.0.11-1~deb12u2 UNKNOWN True https://osv.dev/vulnerability/DSA-5532-1
Python lang-pkgs python-pkg
  CVE-2023-30861 Flask 2.2.2 2.2.5, 2.3.2 HIGH True https://osv.dev/vulnerability/GHSA-m2qf-hxjv-5gpq
  CVE-2023-46136 Werkzeug 2.2.2 2.3.8, 3.0.1 MEDIUM True https://osv.dev/vulnerability/GHSA-hrfv-mqp8-q5rw
  CVE-2024-34069 Werkzeug 2.2.2 3.0.3 HIGH True https://osv.dev/vulnerability/GHSA-2g68-c3qc-8985"
is "$got" "$want" "JSON: metadata (image ID, diff IDs, tags) and every vulnerability with its layer"

# SARIF and CycloneDX
run "$PYOCI" scan --db "$DB" -f sarif -o "$T/scan.sarif" app:1
is "$rc:$out" "0:" "--format sarif -o FILE writes the file only"
if $FIX sarif-validate "$T/scan.sarif" >"$T/v1" 2>&1; then ok 0 "SARIF validates against sarif-schema-2.1.0.json"
elif [ $? = 3 ]; then skip "$(cat "$T/v1")"
else ok 1 "SARIF validates against sarif-schema-2.1.0.json"; diag "$(cat "$T/v1")"; fi
is "$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["runs"][0]["results"]; print(len(r), sorted(set(x["level"] for x in r)))' "$T/scan.sarif")" \
  "9 ['error', 'none', 'note', 'warning']" "SARIF: one result per finding, levels from severities (UNKNOWN: none)"
run "$PYOCI" scan --db "$DB" -f cyclonedx -o "$T/scan.cdx.json" app:1
is "$rc" 0 "--format cyclonedx exits 0"
if python3 "$TOP/tests/integration/validate_sbom.py" cyclonedx "$T/scan.cdx.json" >"$T/v2" 2>&1; then ok 0 "CycloneDX with vulnerabilities validates against bom-1.5"
elif [ $? = 3 ]; then skip "$(cat "$T/v2")"
else ok 1 "CycloneDX with vulnerabilities validates against bom-1.5"; diag "$(cat "$T/v2")"; fi
run $FIX cdx-vulns "$T/scan.cdx.json"
is "$out" "CVE-2023-30861 high Flask@2.2.2
CVE-2023-46136 medium Werkzeug@2.2.2
CVE-2024-34069 high Werkzeug@2.2.2
DEBIAN-CVE-2010-4756 low libc6@2.36-9+deb12u1
DEBIAN-CVE-2023-4911 high libc6@2.36-9+deb12u1
DEBIAN-CVE-2023-5678 medium libssl3@3.0.11-1~deb12u1
DEBIAN-CVE-2023-5678 medium openssl@3.0.11-1~deb12u1
DSA-5532-1 unknown libssl3@3.0.11-1~deb12u1
DSA-5532-1 unknown openssl@3.0.11-1~deb12u1" "CycloneDX: each vulnerability affects the right components (refs resolve)"

# Directory and archive targets give the same findings.
run "$PYOCI" scan --db "$DB" -f json "$R"
is "$(ids <<<"$out")" "$(ids <"$T/scan.json")" "directory target: same findings"
run "$PYOCI" scan --db "$DB" "$R"
is "$(sed -n 2p <<<"$out")" "$R (debian 12.5)" "directory target: named by its path"
"$PYOCI" save -q app:1 -o "$T/app.tar"
run "$PYOCI" scan --db "$DB" "$T/app.tar"
is "$out" "$(cat "$T/want-full")" "docker-archive target: same report, named by its tag"
is "$(ls -A "$T/tmp")" "" "the archive's private store under \$TMPDIR is removed"

# No DB
run "$PYOCI" scan --db "$T/none.db" app:1
is "$rc" 0 "no DB: exit 0"
is "$err" "warning: vulnerability DB not found; run 'pyoci db update' or 'pyoci db import'" "no DB: the warning"
is "$out" "
Vulnerabilities were NOT checked: no vulnerability database (run 'pyoci db update' or 'pyoci db import')." "no DB: no vulnerability sections, a line saying they were not checked"
run "$PYOCI" scan --db "$T/none.db" --scanners vuln app:1
is "$rc" 1 "no DB with --scanners vuln: failure"
like "$err" "vulnerability DB not found at '$T/none.db'; run 'pyoci db update' or 'pyoci db import'" "no DB with --scanners vuln: the error"

# Secrets: layer 1 adds a key, layer 2 deletes it; an allowed path has it too.
key="AKIA$(python3 -c 'import random; print("".join(random.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16)))')"
layers=$($FIX secret-archive "$T/secret.tar" "$key")
l1=$(sed -n 1p <<<"$layers")
"$PYOCI" load -q -i "$T/secret.tar" >/dev/null
run "$PYOCI" scan --db "$DB" secret:1
is "$rc" 0 "secret scan exits 0"
is "$out" '
/app/config.py (secrets)
========================
Total: 1 (UNKNOWN: 0, LOW: 0, MEDIUM: 0, HIGH: 0, CRITICAL: 1)

CRITICAL: AWS (aws-access-key-id)
════════════════════════════════════════
AWS Access Key ID
────────────────────────────────────────
 /app/config.py:2 (added by '"'COPY app/ /app/'"')
────────────────────────────────────────
   2 [ AWS_ACCESS_KEY_ID = "AKIA****************"
────────────────────────────────────────' "the deleted key is found, masked, with the layer that added it; dist-packages is not reported"
run "$PYOCI" scan --db "$DB" -f json secret:1
is "$(python3 -c 'import json,sys; d=json.load(sys.stdin); print([(r["Target"], s["RuleID"], s["Match"], s["Layer"]["DiffID"], s["Layer"]["Digest"]) for r in d["Results"] for s in r["Secrets"]])' <<<"$out")" \
  "[('/app/config.py', 'aws-access-key-id', 'AKIA****************', '$l1', '$l1')]" "JSON: the secret's layer is layer 1"
for f in table json sarif cyclonedx; do
  "$PYOCI" scan --db "$DB" -f "$f" secret:1 >"$T/out.$f"
done
is "$(grep -c "$key" "$T"/out.*)" "$(printf '%s:0\n' "$T"/out.* )" "the key itself appears in no output format"
run "$PYOCI" scan --db "$DB" --exit-code 3 --scanners secret secret:1
is "$rc" 3 "--exit-code counts secrets"

# Misconfigurations
printf 'FROM python:latest\nADD app.py /app/\nCMD ["python3", "/app/app.py"]\n' >"$T/Dockerfile"
run "$PYOCI" scan --db "$DB" --dockerfile "$T/Dockerfile" app:1
is "$(grep -E '^(Tests|Failures|PYO)' <<<"$out")" "Tests: 12 (SUCCESSES: 8, FAILURES: 4)
Failures: 4 (UNKNOWN: 0, LOW: 2, MEDIUM: 1, HIGH: 1, CRITICAL: 0)
PYO001 (HIGH): the final stage (FROM python:latest) sets no USER, so the container runs as root
PYO002 (MEDIUM): FROM python:latest uses the moving :latest tag; pin a version
PYO009 (LOW): the final stage (FROM python:latest) has no HEALTHCHECK
PYO003 (LOW): ADD app.py: use COPY for local files and directories" "--dockerfile adds the Dockerfile checks"
is "$(grep -c '^   2 \[ ADD app.py /app/$' <<<"$out")" 1 "the offending line is shown"
run "$PYOCI" scan --db "$DB" --scanners misconfig app:1
is "$rc" 2 "misconfig without --dockerfile is a usage error"

# No DB: secrets and misconfigurations still print; --exit-code gates fail.
run "$PYOCI" scan --db "$T/none.db" --dockerfile "$T/Dockerfile" secret:1
is "$rc" 0 "no DB, secrets and a Dockerfile: exit 0"
is "$(grep -E '^(Vulnerabilities were NOT|/app/config.py|Tests:|PYO001)' <<<"$out")" "Vulnerabilities were NOT checked: no vulnerability database (run 'pyoci db update' or 'pyoci db import').
/app/config.py (secrets)
Tests: 12 (SUCCESSES: 8, FAILURES: 4)
PYO001 (HIGH): the final stage (FROM python:latest) sets no USER, so the container runs as root" \
  "no DB: the not-checked line, then the secret and the Dockerfile findings"
run "$PYOCI" scan --db "$T/none.db" -f json secret:1
is "$(python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["Warnings"], [r["Class"] for r in d["Results"]])' <<<"$out")" \
  "[\"Vulnerabilities were NOT checked: no vulnerability database (run 'pyoci db update' or 'pyoci db import').\"] ['secret']" \
  "no DB, JSON: a Warnings entry and the secret result"
run "$PYOCI" scan --db "$T/none.db" --exit-code 7 app:1
is "$rc" 7 "no DB with --exit-code 7 and no other finding: exit 7 (an unchecked gate does not pass)"

# Per-layer cache: a warm scan reads cache files named by diff_id and
# reports exactly what an uncached scan does.
ls "$PYOCI_STORE"/cache/scan/*/ | sort >"$T/cached"
like "$(cat "$T/cached")" "${diff_id#sha256:}" "the layer's record is cached under its diff_id"
is "$("$PYOCI" scan --db "$DB" app:1)" "$("$PYOCI" scan --no-cache --db "$DB" app:1)" "cached and uncached scans agree"
for f in "$PYOCI_STORE"/cache/scan/*/*; do printf 'garbage' >"$f"; done
run "$PYOCI" scan --db "$DB" app:1
is "$out" "$(cat "$T/want-full")" "a damaged cache file is ignored and rewritten"

done_testing
