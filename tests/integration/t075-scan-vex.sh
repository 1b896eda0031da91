#!/bin/bash
# pyoci scan --vex: OpenVEX and CycloneDX VEX statements suppress the
# findings they mark not_affected (matched by ID or alias, and by purl with
# or without a version), and the JSON says which statement suppressed what.
source "$(dirname "$0")/lib.sh"
export SOURCE_DATE_EPOCH=1700000000
python3 "$TOP/tests/integration/osv_records.py" "$T/osv" >/dev/null
"$PYOCI" db import -q --db "$T/vuln.db" "$T/osv" 2>/dev/null
R=$T/root
sp=$R/usr/local/lib/python3.11/site-packages
for p in Werkzeug:2.2.2 pip:23.0 Flask:2.2.2 Jinja2:3.1.2; do
  mkdir -p "$sp/${p%%:*}-${p#*:}.dist-info"
  printf 'Metadata-Version: 2.1\nName: %s\nVersion: %s\n' "${p%%:*}" "${p#*:}" >"$sp/${p%%:*}-${p#*:}.dist-info/METADATA"
done
ids() { python3 -c 'import json,sys; print(" ".join(sorted(v["PkgName"] + ":" + v["VulnerabilityID"] for r in json.load(sys.stdin)["Results"] for v in r.get("Vulnerabilities", []))))'; }
run "$PYOCI" scan --db "$T/vuln.db" -f json "$R"
is "$(ids <<<"$out")" "Flask:CVE-2023-30861 Jinja2:CVE-2024-22195 Jinja2:CVE-2024-99999 Werkzeug:CVE-2023-46136 pip:CVE-2023-5752" \
  "without VEX: five rows"

cat >"$T/openvex.json" <<'JSON'
{
  "@context": "https://openvex.dev/ns/v0.2.0",
  "@id": "https://example.org/vex/1",
  "author": "pyoci tests",
  "timestamp": "2024-06-01T00:00:00Z",
  "version": 1,
  "statements": [
    {"vulnerability": {"name": "CVE-2023-46136"}, "products": [{"@id": "pkg:pypi/werkzeug@2.2.2"}],
     "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path"},
    {"vulnerability": {"name": "GHSA-m2qf-hxjv-5gpq"}, "products": [{"@id": "pkg:oci/app", "subcomponents": [{"@id": "pkg:pypi/flask"}]}],
     "status": "not_affected", "justification": "inline_mitigations_already_exist"},
    {"vulnerability": {"name": "CVE-2024-22195"}, "products": [{"@id": "pkg:pypi/jinja2@3.1.2"}], "status": "affected"},
    {"vulnerability": {"name": "CVE-2024-99999"}, "products": [{"@id": "pkg:pypi/jinja2@9.9"}],
     "status": "not_affected", "justification": "component_not_present"}
  ]
}
JSON
cat >"$T/cdx-vex.json" <<'JSON'
{
  "bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
  "components": [{"bom-ref": "comp-pip", "type": "library", "name": "pip", "version": "23.0", "purl": "pkg:pypi/pip@23.0"}],
  "vulnerabilities": [
    {"id": "CVE-2023-5752", "analysis": {"state": "not_affected", "justification": "code_not_reachable"},
     "affects": [{"ref": "comp-pip"}]},
    {"id": "CVE-2024-22195", "analysis": {"state": "in_triage"}, "affects": [{"ref": "pkg:pypi/jinja2@3.1.2"}]}
  ]
}
JSON
run python3 "$TOP/tests/integration/validate_sbom.py" cyclonedx "$T/cdx-vex.json"
if [ "$rc" = 3 ]; then skip "$out"; else is "$rc:$out" "0:" "the CycloneDX VEX document validates against bom-1.5"; fi

run "$PYOCI" scan --db "$T/vuln.db" --vex "$T/openvex.json" --vex "$T/cdx-vex.json" -f json "$R"
is "$rc" 0 "scan with two VEX documents"
is "$(ids <<<"$out")" "Jinja2:CVE-2024-22195 Jinja2:CVE-2024-99999" \
  "not_affected by ID, by alias (GHSA) through a subcomponent without version, and by a CycloneDX bom-ref are gone; 'affected', in_triage and another version are not"
got=$(python3 -c '
import json,sys
for r in json.load(sys.stdin)["Results"]:
    for m in r.get("ModifiedFindings", []):
        print(m["Finding"]["PkgName"], m["Finding"]["VulnerabilityID"], m["Status"], m.get("Statement", "-"), m["Source"].replace(sys.argv[1], "T"))' "$T" <<<"$out")
is "$got" "Flask CVE-2023-30861 not_affected inline_mitigations_already_exist OpenVEX T/openvex.json statements[1]
Werkzeug CVE-2023-46136 not_affected vulnerable_code_not_in_execute_path OpenVEX T/openvex.json statements[0]
pip CVE-2023-5752 not_affected code_not_reachable CycloneDX VEX T/cdx-vex.json vulnerabilities[0]" \
  "JSON ModifiedFindings: each suppressed finding with the statement and where it came from"
run "$PYOCI" scan --db "$T/vuln.db" --vex "$T/openvex.json" --vex "$T/cdx-vex.json" "$R"
is "$(grep '^Total' <<<"$out")" "Total: 2 (UNKNOWN: 0, LOW: 1, MEDIUM: 1, HIGH: 0, CRITICAL: 0)" "table: the Total counts what is left"
run "$PYOCI" scan --db "$T/vuln.db" --vex "$T/openvex.json" --vex "$T/cdx-vex.json" --severity MEDIUM,HIGH,CRITICAL --exit-code 3 "$R"
is "$rc" 3 "--exit-code: the MEDIUM Jinja2 finding is left"

echo '{"statements": []}' >"$T/bad.json"
run "$PYOCI" scan --db "$T/vuln.db" --vex "$T/bad.json" "$R"
is "$rc:$err" "1:pyoci: VEX '$T/bad.json': neither OpenVEX (@context) nor CycloneDX (bomFormat)" "an unknown document is an error naming the file"
echo '{"@context": "https://openvex.dev/ns/v0.2.0", "statements": [{"status": "not_affected"}]}' >"$T/bad2.json"
run "$PYOCI" scan --db "$T/vuln.db" --vex "$T/bad2.json" "$R"
is "$rc:$err" "1:pyoci: VEX '$T/bad2.json': statements[0] needs a vulnerability and products" "a statement without products is an error"
done_testing
