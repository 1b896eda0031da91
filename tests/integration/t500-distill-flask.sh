#!/bin/bash
# pyoci distill on the article's Flask example: the distilled image is a
# fraction of the original, loads into docker and answers Hello, World!
# with `docker run --network=host`; scan lists only packages that kept
# files; compare shows the drop in size, files, packages and findings.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/distill-lib.sh"
distill_setup flask-distilled:1
command -v curl >/dev/null || skip_all "curl is not installed"

port=$(free_port)
build_flask_app flask-app:1 "$port"
ok $? "the Flask example builds (ENV PORT=$port)"

run "$PYOCI" distill flask-app:1 -t flask-distilled:1 --probe "http://127.0.0.1:$port/" --report "$T/report.json"
is "$rc" 0 "pyoci distill flask-app:1 -t flask-distilled:1 --probe http://127.0.0.1:$port/"
[ "$rc" = 0 ] || { printf '%s\n' "$err" | tail -5 | sed 's/^/#   /'; bail "distill failed"; }
like "$out" "PACKAGE +KEPT +REMOVED" "the summary table lists packages"
like "$out" "Largest removals:" "and the largest removals"

orig=$("$PYOCI" inspect --format '{{.Size}}' flask-app:1)
size=$("$PYOCI" inspect --format '{{.Size}}' flask-distilled:1)
read -r floor kept_floor < <(python3 -c '
import json, sys
t = json.load(open(sys.argv[1]))["traced"]
print(t["bytes"], t["kept_bytes"])' "$T/report.json")
diag "original $orig bytes, distilled $size bytes, files opened by the run $floor bytes ($kept_floor of them kept)"
[ $((size * 3)) -lt "$orig" ]
ok $? "the distilled image is under a third of the original ($size of $orig bytes)"
[ "$size" -ge "$kept_floor" ]
ok $? "and holds the files the run opened that it keeps ($kept_floor bytes)"
# What the run opened and distill leaves out is bytecode whose source is
# kept (Python compiles it): Debian's hash-checked .pyc make Python read
# both, and 3.11's bytecode is larger than its source.
python3 - "$T/report.json" >"$T/floor" <<'PY'
import json, re, sys
r = json.load(open(sys.argv[1]))
bad = [p for p in r["traced"]["not_kept"]
       if not re.search(r"/__pycache__/[^/]+\.pyc$", p) or
       re.sub(r"__pycache__/([^./]+)\.[^/]*$", r"\1.py", p) not in r["kept_paths"]]
print("ok" if r["traced"]["not_kept"] and not bad else "not kept: %s" % bad[:5])
PY
is "$(cat "$T/floor")" ok "every opened file is kept but bytecode whose source is kept"
[ "$size" -le 25000000 ]
ok $? "the distilled image is at most 25 MB ($size bytes; the run alone opens $floor)"
run "$PYOCI" inspect --format '{{json .Config.Cmd}} {{.Config.WorkingDir}} {{len .RootFS.Layers}}' flask-distilled:1
is "$out" '["python","./app.py"] /app 1' "the original config (Cmd, WorkingDir), one layer"

python3 - "$T/report.json" >"$T/check" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["kept"]["files"] + r["removed"]["files"] == r["original"]["files"]
assert r["kept"]["bytes"] + r["removed"]["bytes"] == r["original"]["bytes"]
pk = {p["package"]: p for p in r["packages"]}
assert pk["deb:perl-base"]["kept_files"] == 0 and pk["deb:perl-base"]["removed_bytes"] > 0
assert pk["python:Flask"]["kept_files"] > 0 and pk["deb:libc6"]["kept_files"] > 0
assert r["largest_removals"][0]["bytes"] >= r["largest_removals"][-1]["bytes"]
assert r["kept_paths"]["app/app.py"] == "trace"
print("ok")
PY
is "$(cat "$T/check" 2>&1)" ok "--report JSON: totals add up, per-package kept/removed, largest removals, why each path"

"$PYOCI" save -o "$T/d.tar" flask-distilled:1 && docker load -q -i "$T/d.tar" >/dev/null
ok $? "the distilled image loads into docker"
run docker run -d --network=host flask-distilled:1
cid=$out
is "$(wait_http "http://127.0.0.1:$port/")" "Hello, World!" "docker run --network=host flask-distilled:1 answers Hello, World!"
docker rm -f "$cid" >/dev/null
cid=""

# scan: exactly the packages that kept files (dpkg status.d + dist-info).
"$PYOCI" scan -q -f cyclonedx -o "$T/d.cdx" flask-distilled:1 2>/dev/null
ok $? "pyoci scan -f cyclonedx of the distilled image"
(python3 "$TOP/tests/integration/sbom_list.py" cyclonedx "$T/d.cdx" deb | awk '{print "deb:" $1}'
 python3 "$TOP/tests/integration/sbom_list.py" cyclonedx "$T/d.cdx" python | awk '{print "python:" $1}') | sort -u >"$T/scanned"
python3 -c '
import json, sys
for p in json.load(open(sys.argv[1]))["packages"]:
    if p["kept_files"] > 0 and p["package"] != "(no package)":
        print(p["package"])' "$T/report.json" | sort -u >"$T/kept"
diff "$T/kept" "$T/scanned" >"$T/scan.diff"
ok $? "scan lists exactly the $(wc -l <"$T/kept") packages with kept files"
[ -s "$T/scan.diff" ] && sed 's/^/#   /' "$T/scan.diff" | head -10
grep -q '^deb:perl-base$' "$T/scanned"
ok $((! $?)) "a removed package (perl-base) is no longer reported"

# compare: a vulnerability DB with the test records plus one for perl, which
# distill removes, so the findings drop too.
DB=$T/vuln.db
mkdir -p "$T/osv/Debian" && cp -r "$TOP/tests/data/osv/." "$T/osv/"
cat >"$T/osv/Debian/DEBIAN-CVE-PYOCI-PERL.json" <<'J'
{"id": "DEBIAN-CVE-PYOCI-PERL", "modified": "2024-01-01T00:00:00Z", "details": "test record: every perl",
 "affected": [{"package": {"name": "perl", "ecosystem": "Debian:12"},
   "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "99:0"}]}]}]}
J
"$PYOCI" db import -q --db "$DB" "$T/osv"
run "$PYOCI" compare --db "$DB" --format json flask-app:1 flask-distilled:1
is "$rc" 0 "pyoci compare flask-app:1 flask-distilled:1"
printf '%s' "$out" >"$T/compare.json"
python3 - "$T/compare.json" >"$T/cmp" <<'PY'
import json, sys
a, b = json.load(open(sys.argv[1]))["Images"]
vulns = lambda t: sum((t["Vulnerabilities"] or {}).values()) if isinstance(t["Vulnerabilities"], dict) else len(t["Vulnerabilities"] or [])
for k in ("Size", "Files", "OSPackages"):
    print(k, "drops" if b[k] < a[k] else "same", a[k], b[k])
print("Vulnerabilities", "drops" if vulns(b) < vulns(a) else "same", vulns(a), vulns(b))
print("OS", a["OS"] == b["OS"], a["OS"], b["OS"])
PY
while read -r what verdict x y; do
  is "$verdict" "$([ "$what" = OS ] && echo True || echo drops)" "compare: $what $x -> $y"
done <"$T/cmp"

done_testing
