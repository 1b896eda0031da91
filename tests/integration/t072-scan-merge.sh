#!/bin/bash
# pyoci scan on records shaped like the PyPA advisory database's (made by
# osv_records.py, validated against the OSV schema): one row per
# vulnerability per package keyed by its CVE, the other IDs as aliases in
# JSON, SARIF and CycloneDX, severity from the documented source order,
# every fixed version listed; and `fixed` before `introduced` at a tie
# (PYSEC-2024-258, PYSEC-2023-72 shapes).
source "$(dirname "$0")/lib.sh"
export SOURCE_DATE_EPOCH=1700000000
SCHEMAS=/work/shared/schemas
[ -d "$SCHEMAS" ] || SCHEMAS=$TOP/tests/data/schemas

run python3 "$TOP/tests/integration/osv_records.py" "$T/osv"
if [ "$rc" = 3 ]; then skip "$out"; else is "$rc:$out" "0:" "the test's OSV records validate against the OSV schema"; fi
run "$PYOCI" db import --db "$T/vuln.db" "$T/osv"
is "$rc" 0 "import them"
is "$out" "imported 14 of 14 records (0 withdrawn skipped, 1 with unreadable bounds, 3 bounds read leniently); 14 vulnerabilities in $T/vuln.db" \
  "db import counts the unreadable record and the lenient bounds"
is "$err" "warning: unreadable range bound, ranges skipped: PYSEC-2099-1: PyPI torch: pep440 version 'one.two' cannot be read" \
  "db import names the unreadable record"
run "$PYOCI" db info --db "$T/vuln.db"
like "$out" "Unreadable: +1 records with a range bound" "db info counts it"
is "$(sed -n '/^UNREADABLE RECORDS$/,$p' <<<"$out")" "UNREADABLE RECORDS
PYSEC-2099-1: PyPI torch: pep440 version 'one.two' cannot be read" "db info lists it"
run "$PYOCI" db match --db "$T/vuln.db" PyPI torch 1.7.0
is "$(cut -f1,4 <<<"$out")" "GHSA-torch-0001-cu12	2.6.0
GHSA-torch-0002-na00	1.8.0" "torch 1.7.0: '2.6.0-cu124', '1.5.0-NA', '1.8.0_rocm4' read as 2.6.0, 1.5.0, 1.8.0"
run "$PYOCI" db match --db "$T/vuln.db" PyPI torch 2.6.0
is "$out" "" "torch 2.6.0 is the fixed release"

# A root with the packages in two site-packages directories.
R=$T/root
sp=$R/usr/local/lib/python3.11/site-packages
venv=$R/opt/venv/lib/python3.11/site-packages
dist() { mkdir -p "$1/$2-$3.dist-info" && printf 'Metadata-Version: 2.1\nName: %s\nVersion: %s\n' "$2" "$3" >"$1/$2-$3.dist-info/METADATA"; }
dist "$sp" Werkzeug 2.2.2
dist "$sp" pip 23.0
dist "$sp" Flask 2.2.2
dist "$sp" Jinja2 3.1.2
dist "$sp" Scrapy 2.5.0
dist "$venv" Scrapy 1.8.0
dist "$sp" pyspark 3.3.3
dist "$venv" pyspark 3.4.0

run "$PYOCI" scan --db "$T/vuln.db" -f json -o "$T/r.json" "$R"
is "$rc" 0 "scan the root"
rows=$(python3 - "$T/r.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for r in d["Results"]:
    for v in r.get("Vulnerabilities", []):
        print(v["PkgName"], v["InstalledVersion"], v["VulnerabilityID"], v["Severity"], v["SeveritySource"],
              repr(v.get("FixedVersion", "")), ",".join(v.get("VendorIDs", [])), ",".join(v.get("Aliases", [])),
              v["PrimaryURL"].rsplit("/", 1)[1])
PY
)
is "$rows" "Flask 2.2.2 CVE-2023-30861 HIGH ghsa '2.2.5, 2.3.2' GHSA-m2qf-hxjv-5gpq,PYSEC-2023-62 GHSA-m2qf-hxjv-5gpq,PYSEC-2023-62 GHSA-m2qf-hxjv-5gpq
Jinja2 3.1.2 CVE-2024-22195 MEDIUM ghsa '3.1.3' GHSA-aaaa-bbbb-cccc,PYSEC-2024-9999 GHSA-aaaa-bbbb-cccc,PYSEC-2024-9999 GHSA-aaaa-bbbb-cccc
Jinja2 3.1.2 CVE-2024-99999 LOW ghsa '3.1.3' GHSA-h5c8-rqwp-cp95 GHSA-h5c8-rqwp-cp95 GHSA-h5c8-rqwp-cp95
Scrapy 1.8.0 CVE-2024-1892 UNKNOWN pysec '2.0.0, 2.11.2' PYSEC-2024-258 PYSEC-2024-258 PYSEC-2024-258
Scrapy 2.5.0 CVE-2024-1892 UNKNOWN pysec '2.11.2' PYSEC-2024-258 PYSEC-2024-258 PYSEC-2024-258
Werkzeug 2.2.2 CVE-2023-46136 MEDIUM ghsa '2.3.8, 3.0.1' GHSA-hrfv-mqp8-q5rw,PYSEC-2023-221 GHSA-hrfv-mqp8-q5rw,PYSEC-2023-221 GHSA-hrfv-mqp8-q5rw
pip 23.0 CVE-2023-5752 MEDIUM ghsa '23.3' GHSA-mq26-g339-26xf,PYSEC-2023-228 GHSA-mq26-g339-26xf,PYSEC-2023-228 GHSA-mq26-g339-26xf
pyspark 3.3.3 CVE-2023-22946 UNKNOWN pysec '3.4.0' PYSEC-2023-72 PYSEC-2023-72 PYSEC-2023-72" \
  "one row per CVE per package: GHSA severity over PYSEC's (label over UNKNOWN, and over PYSEC's LOW vector), every fix listed, transitive aliases merged; scrapy 2.5.0 and pyspark 3.3.3 are found after the fixed/introduced tie"

# The table shows the same rows, one per vulnerability.
run "$PYOCI" scan --db "$T/vuln.db" "$R"
is "$(grep -c 'CVE-2023-46136' <<<"$out")" 1 "table: CVE-2023-46136 once"
like "$out" "CVE-2023-46136 │ MEDIUM   │ 2.2.2             │ 2.3.8, 3.0.1" "table: the merged row's severity and fixed versions"

# SARIF: valid, one result per row, the aliases in the message.
run "$PYOCI" scan --db "$T/vuln.db" -f sarif -o "$T/r.sarif" "$R"
run python3 -c 'import json,sys,jsonschema; s=json.load(open(sys.argv[1])); jsonschema.validators.validator_for(s)(s).validate(json.load(open(sys.argv[2])))' "$SCHEMAS/sarif/sarif-schema-2.1.0.json" "$T/r.sarif"
is "$rc" 0 "SARIF validates against sarif-schema-2.1.0.json"
got=$(python3 -c '
import json,sys
d=json.load(open(sys.argv[1]))["runs"][0]["results"]
print(len(d)); print([r["message"]["text"].split("\n")[3] for r in d if r["ruleId"]=="CVE-2023-46136"][0])' "$T/r.sarif")
is "$got" "8
Aliases: GHSA-hrfv-mqp8-q5rw, PYSEC-2023-221" "SARIF: 8 results; the merged row lists its aliases"

# CycloneDX: valid, one vulnerability per CVE, aliases as references.
run "$PYOCI" scan --db "$T/vuln.db" -f cyclonedx -o "$T/r.cdx" "$R"
run python3 "$TOP/tests/integration/validate_sbom.py" cyclonedx "$T/r.cdx"
if [ "$rc" = 3 ]; then skip "$out"; else is "$rc:$out" "0:" "CycloneDX validates against bom-1.5"; fi
got=$(python3 -c '
import json,sys
d=json.load(open(sys.argv[1]))["vulnerabilities"]
v=[x for x in d if x["id"]=="CVE-2023-46136"]
print(len(d), len(v), [r["id"] for r in v[0]["references"]], v[0]["ratings"][0]["severity"])' "$T/r.cdx")
is "$got" "7 1 ['GHSA-hrfv-mqp8-q5rw', 'PYSEC-2023-221'] medium" "CycloneDX: 7 vulnerabilities (scrapy's two rows are one), aliases as references"

# An ignore entry naming any alias drops the merged row.
echo PYSEC-2023-221 >"$T/ignore"
run "$PYOCI" scan --db "$T/vuln.db" --ignorefile "$T/ignore" -f json "$R"
is "$(grep -c CVE-2023-46136 <<<"$out")" 0 "--ignorefile with a PYSEC alias drops the CVE row"

# db match shows the tie records the same way.
run "$PYOCI" db match --db "$T/vuln.db" PyPI scrapy 2.0.0
is "$(cut -f1,4 <<<"$out")" "PYSEC-2024-258	2.11.2" "db match: scrapy 2.0.0 is affected (introduced again at the fix)"
run "$PYOCI" db match --db "$T/vuln.db" PyPI scrapy 2.11.2
is "$out" "" "db match: scrapy 2.11.2 is fixed"

done_testing
