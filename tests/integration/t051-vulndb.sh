#!/bin/bash
# pyoci db: import (directory, OSV all.zip, single JSON; merge, replace,
# withdrawn, atomic failure), info, match, and update (offline error path;
# HTTP path against a loopback mirror serving all.zip files).
source "$(dirname "$0")/lib.sh"

FIX="$TOP/tests/data/osv"
export PYOCI_DB=$T/db/vuln.db
unset PYOCI_OSV_MIRROR PYOCI_OSV_MAX_DOWNLOAD

PY=
for p in python3 /usr/bin/python3; do
  if "$p" -c 'import jsonschema' 2>/dev/null; then PY=$p; break; fi
done

# ---- fixtures are valid OSV -----------------------------------------------
if [ -z "$PY" ]; then
  skip "python jsonschema not available (scripts/deps.sh installs python3-jsonschema)"
else
  run "$PY" - "$TOP/tests/data/schemas/osv-schema.json" "$FIX" <<'EOF'
import glob, json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
files = sorted(glob.glob(sys.argv[2] + "/*/*.json"))
for f in files:
    jsonschema.validate(json.load(open(f)), schema, format_checker=jsonschema.FormatChecker())
print(len(files))
EOF
  is "$rc:$out" "0:16" "all 16 fixture records validate against the OSV schema"
fi

# ---- import a directory tree ------------------------------------------------
run "$PYOCI" db info
is "$rc" 1 "info without a database fails"
like "$err" "vulnerability database '$PYOCI_DB' does not exist; run 'pyoci db update'" "and says what to do"

run "$PYOCI" db import "$FIX"
is "$rc:$out" "0:imported 15 of 16 records (1 withdrawn skipped, 0 with unreadable bounds, 0 bounds read leniently); 15 vulnerabilities in $PYOCI_DB" \
  "import a directory of *.json"
run "$PYOCI" db info
is "$rc" 0 "info"
like "$out" "^Path: +$PYOCI_DB" "info: path"
like "$out" "Imported: +[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8} UTC \\([0-9]+ seconds ago\\)" "info: time and age"
like "$out" "Vulnerabilities: 15 \\(1 withdrawn records skipped\\)" "info: totals"
is "$(echo "$out" | sed -n '/^ECOSYSTEM/,$p' | tr -s ' ')" "ECOSYSTEM VULNERABILITIES PACKAGES
Alpine:v3.18 2 1
Debian:11 1 1
Debian:12 4 2
PyPI 9 4" "info: counts per ecosystem"

run "$PYOCI" db match PyPI Werkzeug 3.0.0
is "$out" "GHSA-2g68-c3qc-8985	HIGH	7.5	3.0.3	Werkzeug debugger vulnerable to remote execution when interacting with attacker controlled domain
GHSA-hrfv-mqp8-q5rw	MEDIUM	6.9	3.0.1	Werkzeug DoS: High resource usage when parsing multipart/form-data containing a large part with CR/LF character at the beginning" \
  "match: id, severity, score, fixed version, summary"

queries=("PyPI flask 2.3.1" "PyPI jinja2 2.10" "PyPI pyoci_fixture_pkg 1.0" "Debian:12 glibc 2.36-9+deb12u2"
  "Debian:12 openssl 3.0.11-1~deb12u1" "Alpine:v3.18 busybox 1.36.1-r0" "PyPI werkzeug 2.3.7")
answers() { for q in "${queries[@]}"; do echo "== $q"; "$PYOCI" db match --db "$1" $q; done; }
answers "$PYOCI_DB" >"$T/dir.answers"

# ---- the same records as an OSV all.zip (flat), and single files ----------
mkzip() { # mkzip OUT FILE... : a zip of the files, flat like OSV's exports
  python3 - "$@" <<'EOF'
import os, sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
    for f in sys.argv[2:]:
        z.write(f, os.path.basename(f))
EOF
}
mkzip "$T/all.zip" "$FIX"/*/*.json
run "$PYOCI" db import --db "$T/zip.db" "$T/all.zip"
is "$rc:$out" "0:imported 15 of 16 records (1 withdrawn skipped, 0 with unreadable bounds, 0 bounds read leniently); 15 vulnerabilities in $T/zip.db" "import an all.zip"
answers "$T/zip.db" >"$T/zip.answers"
is "$(diff "$T/dir.answers" "$T/zip.answers")" "" "zip and directory imports answer the same"
is "$(grep -c . "$T/zip.answers")" 20 "answers were not empty (7 queries, 13 matches)"

run "$PYOCI" db import --db "$T/one.db" "$FIX/Alpine/ALPINE-CVE-2022-48174.json"
is "$rc:$out" "0:imported 1 of 1 records (0 withdrawn skipped, 0 with unreadable bounds, 0 bounds read leniently); 1 vulnerabilities in $T/one.db" "import one JSON file"

# ---- merge, newer wins, withdrawn removes, --replace -----------------------
mkdir -p "$T/upd"
sed -e 's/"2024-05-06T14:47:12Z"/"2024-06-01T00:00:00Z"/' -e 's/"fixed": "3.0.3"/"fixed": "3.0.4"/' \
  "$FIX/PyPI/GHSA-2g68-c3qc-8985.json" >"$T/upd/newer.json"
sed -e 's/"2024-05-06T14:47:12Z"/"2020-01-01T00:00:00Z"/' -e 's/"fixed": "3.0.3"/"fixed": "9.9"/' \
  "$FIX/PyPI/GHSA-2g68-c3qc-8985.json" >"$T/upd/older.json"
"$PYOCI" -q db import "$T/upd/newer.json"
run "$PYOCI" db match PyPI werkzeug 3.0.1
like "$out" "^GHSA-2g68-c3qc-8985	HIGH	7.5	3.0.4	" "a newer copy of a record replaces it"
"$PYOCI" -q db import "$T/upd/older.json"
run "$PYOCI" db match PyPI werkzeug 3.0.1
like "$out" "	3.0.4	" "an older copy does not"
python3 - "$FIX/PyPI/GHSA-m2qf-hxjv-5gpq.json" "$T/upd/withdrawn.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
r["modified"] = r["withdrawn"] = "2025-01-01T00:00:00Z"
json.dump(r, open(sys.argv[2], "w"))
EOF
run "$PYOCI" db import "$T/upd/withdrawn.json"
is "$rc:$out" "0:imported 0 of 1 records (1 withdrawn skipped, 0 with unreadable bounds, 0 bounds read leniently); 14 vulnerabilities in $PYOCI_DB" \
  "importing a withdrawal removes the record"
run "$PYOCI" db match PyPI flask 2.2.4
is "$rc:$out" "0:" "withdrawn record no longer matches"
run "$PYOCI" db import --replace "$FIX/Debian"
is "$rc:$out" "0:imported 4 of 4 records (0 withdrawn skipped, 0 with unreadable bounds, 0 bounds read leniently); 4 vulnerabilities in $PYOCI_DB" "--replace starts empty"

# ---- a bad record fails the import, and changes nothing --------------------
cp "$T/zip.db" "$PYOCI_DB"
before=$(sha256sum <"$PYOCI_DB")
mkdir -p "$T/bad/sub"
cp "$FIX"/PyPI/*.json "$T/bad/"
printf '{"id":"GHSA-bad","modified":"2024-01-01T00:00:00Z","affected":[{"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0","fixed":"1"}]}]}]}' \
  >"$T/bad/sub/zz-bad.json"
run "$PYOCI" db import "$T/bad"
is "$rc" 1 "a bad record fails the import"
is "$err" "pyoci: parse '$T/bad/sub/zz-bad.json': affected[0].ranges[0].events[0]: has both 'introduced' and 'fixed'" \
  "the error names the file and the field"
is "$(sha256sum <"$PYOCI_DB")" "$before" "the database is unchanged"
is "$(ls "$T/db")" "vuln.db" "no temporary files are left behind"

mkzip "$T/bad.zip" "$FIX"/PyPI/*.json "$T/bad/sub/zz-bad.json"
run "$PYOCI" db import "$T/bad.zip"
is "$rc:$err" "1:pyoci: parse '$T/bad.zip:zz-bad.json': affected[0].ranges[0].events[0]: has both 'introduced' and 'fixed'" \
  "a bad zip member is named by archive and member"
head -c 5000000 /dev/zero | tr '\0' ' ' >"$T/huge.json"
mkzip "$T/huge.zip" "$T/huge.json"
run "$PYOCI" db import "$T/huge.zip"
is "$rc:$err" "1:pyoci: import: '$T/huge.zip:huge.json' is over the 4194304 byte record limit" "oversized zip member"
printf 'PK\003\004garbage' >"$T/trunc.zip"
run "$PYOCI" db import "$T/trunc.zip"
like "$rc:$err" "^1:pyoci: import: (open|read) zip '$T/trunc.zip': " "a damaged zip"
is "$(sha256sum <"$PYOCI_DB")" "$before" "still unchanged after failed zip imports"

# ---- update: offline error path ----------------------------------------------
if getent hosts osv-vulnerabilities.storage.googleapis.com >/dev/null 2>&1; then
  skip "osv-vulnerabilities.storage.googleapis.com resolves here; offline error path not testable"
else
  run "$PYOCI" db update --ecosystem PyPI
  is "$rc:$err" "1:downloading https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip
pyoci: db update: download 'https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip': Could not resolve host: osv-vulnerabilities.storage.googleapis.com" \
    "offline update fails with curl's reason"
fi
is "$(sha256sum <"$PYOCI_DB")" "$before" "a failed update leaves the database"

# ---- update over HTTP from a loopback mirror -------------------------------
mkdir -p "$T/mirror/PyPI" "$T/mirror/Alpine:v3.18"
mkzip "$T/mirror/PyPI/all.zip" "$FIX"/PyPI/*.json
mkzip "$T/mirror/Alpine:v3.18/all.zip" "$FIX"/Alpine/*.json
serve_dir "$T/mirror"
if [ -z "$port" ]; then
  skip "python http.server did not start: $(cat "$T/http.log")"
else
  run "$PYOCI" db update --mirror "http://127.0.0.1:$port" --ecosystem PyPI --ecosystem Alpine:v3.18
  is "$rc:$out" "0:imported 11 of 12 records (1 withdrawn skipped, 0 with unreadable bounds, 0 bounds read leniently); 11 vulnerabilities in $PYOCI_DB" \
    "update downloads each all.zip over HTTP and imports them"
  run "$PYOCI" db info
  is "$(echo "$out" | sed -n '/^ECOSYSTEM/,$p' | tr -s ' ')" "ECOSYSTEM VULNERABILITIES PACKAGES
Alpine:v3.18 2 1
PyPI 9 4" "update replaces the database with the downloaded ecosystems"
  like "$out" "Source: +http://127.0.0.1:$port/PyPI/all.zip http://127.0.0.1:$port/Alpine:v3.18/all.zip" \
    "info names the sources"
  run "$PYOCI" db match PyPI flask 2.2.4
  like "$out" "^GHSA-m2qf-hxjv-5gpq	HIGH	7.5	2.2.5, 2.3.2	" "updated database matches"
  after=$(sha256sum <"$PYOCI_DB")
  PYOCI_OSV_MIRROR="http://127.0.0.1:$port" run "$PYOCI" db update --ecosystem npm
  is "$rc:$err" "1:downloading http://127.0.0.1:$port/npm/all.zip
pyoci: db update: download 'http://127.0.0.1:$port/npm/all.zip': The requested URL returned error: 404" \
    "PYOCI_OSV_MIRROR is used; HTTP errors are reported"
  PYOCI_OSV_MAX_DOWNLOAD=100 run "$PYOCI" db update --mirror "http://127.0.0.1:$port/" --ecosystem PyPI
  is "$rc:$err" "1:downloading http://127.0.0.1:$port/PyPI/all.zip
pyoci: db update: download 'http://127.0.0.1:$port/PyPI/all.zip': larger than the limit of 100 bytes" \
    "downloads are size-capped"
  is "$(sha256sum <"$PYOCI_DB")" "$after" "failed updates leave the database"
  is "$(ls -A "$T/db")" "vuln.db" "and no downloads behind"
fi

# ---- usage ---------------------------------------------------------------------
run "$PYOCI" db --help
like "$rc:$out" "^0:Usage: pyoci db import" "--help"
run "$PYOCI" db frobnicate
is "$rc" 2 "unknown subcommand is a usage error"
run "$PYOCI" db update --ecosystem 'Py/PI' --mirror http://127.0.0.1:1
is "$rc:$err" "1:pyoci: db update: bad ecosystem name 'Py/PI'" "ecosystem names cannot reach other paths"

done_testing
