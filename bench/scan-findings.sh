#!/bin/bash
# Big reports: `pyoci scan -f json` of the bookworm + python3 fixture image
# against a DB in which BENCH_FINDINGS (default 60,000) synthetic records
# each affect one of the image's source packages (each with its own ID and
# no aliases, so alias merging keeps them apart): a report with that many
# findings.  Peak RSS from /usr/bin/time -v; target (issue 15): <= 150 MB.
#   bench/scan-findings.sh [PYOCI_BIN] [OLD_PYOCI_BIN]
# With OLD_PYOCI_BIN (a build of the commit before the streaming writer)
# the same scan is run with it too, side by side.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
PYOCI=$(readlink -f "${1:-$TOP/build/pyoci}")
OLD=${2:+$(readlink -f "$2")}
N=${BENCH_FINDINGS:-60000}
W=$(mktemp -d /tmp/pyoci-bench-findings.XXXXXX)
trap 'rm -rf "$W"' EXIT
export PYOCI_STORE=$W/store
INPUT=$(source "$TOP/tests/integration/lib.sh" >/dev/null 2>&1; fixture_bookworm_python 2>/dev/null || true)
[ -n "$INPUT" ] && [ -s "$INPUT" ] || { echo "scan-findings.sh: mmdebstrap bookworm fixture not available" >&2; exit 1; }
tar -xOf "$INPUT" ./var/lib/dpkg/status >"$W/status"
python3 - "$W/status" "$W/osv.zip" "$N" <<'PY'
import json, sys, zipfile
status, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
srcs, cur = set(), {}
for line in open(status, encoding="utf-8", errors="replace"):
    line = line.rstrip("\n")
    if not line:
        if "Package" in cur:
            srcs.add(cur.get("Source", cur["Package"]).split(" ")[0])
        cur = {}
    elif ":" in line and not line.startswith(" "):
        k, v = line.split(":", 1)
        cur[k] = v.strip()
srcs = sorted(srcs)
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
    for i in range(n):
        name = srcs[i % len(srcs)]
        rec = {"id": "DEBIAN-CVE-2024-%06d" % i, "modified": "2024-05-01T00:00:00Z",
               "summary": "synthetic issue %d: a parser mishandles crafted input and reads out of bounds" % i,
               "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
               "affected": [{"package": {"ecosystem": "Debian:12", "name": name},
                             "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]}]}
        z.writestr(rec["id"] + ".json", json.dumps(rec))
PY
"$PYOCI" db import -q --db "$W/vuln.db" "$W/osv.zip"
SOURCE_DATE_EPOCH=1700000000 "$PYOCI" import -q "$INPUT" -t bench:findings >/dev/null

# peak BIN: peak RSS (kB), wall (s), findings and bytes of one JSON scan
peak() {
  /usr/bin/time -v -o "$W/time" "$1" scan -q --db "$W/vuln.db" -f json -o "$W/r.json" bench:findings
  local rss wall findings
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$W/time")
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s}' "$W/time")
  findings=$(python3 -c 'import json,sys; print(sum(len(r.get("Vulnerabilities", [])) for r in json.load(open(sys.argv[1]))["Results"]))' "$W/r.json")
  echo "$rss $wall $findings $(stat -c %s "$W/r.json")"
}
"$PYOCI" scan -q --db "$W/vuln.db" -f json -o "$W/r.json" bench:findings # fill the layer cache
read -r RSS WALL FINDINGS BYTES < <(peak "$PYOCI")
ROWS="| pyoci (streaming JSON) | $FINDINGS | $BYTES | $WALL | $(awk -v r="$RSS" 'BEGIN {printf "%.1f", r / 1024}') |"
if [ -n "$OLD" ]; then
  read -r ORSS OWALL OFINDINGS OBYTES < <(peak "$OLD")
  ROWS="$ROWS
| previous pyoci (one JSON tree) | $OFINDINGS | $OBYTES | $OWALL | $(awk -v r="$ORSS" 'BEGIN {printf "%.1f", r / 1024}') |"
fi
TABLE="| binary | findings | report bytes | wall (s) | peak RSS (MB) |
|---|---:|---:|---:|---:|
$ROWS

target (<= 150 MB peak for the 60k-finding JSON scan): $(awk -v r="$RSS" 'BEGIN { print (r <= 150 * 1024) ? "MET" : "NOT MET" }')"
echo "$TABLE"
{
  echo
  echo "## scan-findings.sh — $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "Command: \`bench/scan-findings.sh build/pyoci${2:+ OLD_BUILD/pyoci}\`; image: $(basename "$INPUT") (one layer, warm layer cache);" \
    "DB: $N synthetic Debian:12 records, each affecting one source package of the image; machine: $(nproc) cores," \
    "load average $(cut -d' ' -f1-3 /proc/loadavg). Peer tools (trivy) are not installable here."
  echo
  echo "$TABLE"
} >>"$TOP/bench/RESULTS.md"
