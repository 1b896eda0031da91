#!/bin/bash
# Secrets never leak through the report: the "added by 'RUN ...'" line,
# JSON's Layer.CreatedBy and a Dockerfile line quoted by a misconfiguration
# are masked; the image config's Env, Labels and history created_by are
# scanned for secrets (as trivy does).  Every output format is checked for
# the raw secrets.
source "$(dirname "$0")/lib.sh"
FIX="python3 $TOP/tests/integration/scan_fixtures.py"
gh="ghp_$(python3 -c 'import random,string; print("".join(random.choice(string.ascii_letters + string.digits) for _ in range(36)))')"
aws="AKIA$(python3 -c 'import random; print("".join(random.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16)))')"
$FIX config-secret-archive "$T/img.tar" "$gh" "$aws"
"$PYOCI" load -q -i "$T/img.tar" >/dev/null
ok $? "load the image"

run "$PYOCI" scan --scanners secret cfgsecret:1
is "$rc" 0 "scan exits 0"
is "$(grep -E '^(/|image config)' <<<"$out" | grep -v '^ /')" "/app/settings.py (secrets)
image config: Env (secrets)
image config: Labels (secrets)
image config: history (secrets)" "targets: the file, then the config's Env, Labels and history"
like "$out" " /app/settings.py:1 \\(added by 'RUN echo 'TOKEN = \"ghp_\\*{36}\"' > /app/settings.py # buildkit'\\)" \
  "the added-by line quotes the RUN with the token masked"
got=$("$PYOCI" scan --scanners secret -f json cfgsecret:1 | python3 -c '
import json,sys
d=json.load(sys.stdin)
for r in d["Results"]:
    for s in r["Secrets"]:
        print(r["Target"], s["StartLine"], s["RuleID"], s["Match"][:12], s.get("Layer", {}).get("CreatedBy", "-")[:24])')
is "$got" "/app/settings.py 1 github-pat ghp_******** RUN echo 'TOKEN = \"ghp_*
image config: Env 2 aws-access-key-id AKIA******** -
image config: Labels 1 github-pat ghp_******** -
image config: history 1 aws-access-key-id AKIA******** -
image config: history 2 github-pat ghp_******** -" "JSON: config findings with the entry's index as the line"

# A Dockerfile line with the token, quoted by a misconfiguration.
printf 'FROM python:3.12-slim\nADD app.py /app/%s/\nUSER app\nHEALTHCHECK CMD true\n' "$gh" >"$T/Dockerfile"
for f in table json sarif cyclonedx; do
  "$PYOCI" scan --scanners secret,misconfig --dockerfile "$T/Dockerfile" -f "$f" cfgsecret:1 >"$T/out.$f"
  ok $? "scan -f $f"
done
like "$(cat "$T/out.table")" "   2 \\[ ADD app.py /app/ghp_\\*{36}/" "the Dockerfile line is quoted masked"
is "$(cat "$T"/out.* | grep -c -e "$gh" -e "$aws")" 0 "neither the token nor the key appears in any output format"
is "$(python3 -c 'import json,sys; print(sum(len(r.get("Secrets", [])) for r in json.load(open(sys.argv[1]))["Results"]))' "$T/out.json")" 5 \
  "JSON: 5 secrets"
run python3 "$TOP/tests/integration/scan_fixtures.py" sarif-validate "$T/out.sarif"
if [ "$rc" = 3 ]; then skip "$out"; else is "$rc:$out" "0:" "SARIF with config secrets validates"; fi

# --scanners vuln only: the config is not scanned for secrets.
run "$PYOCI" scan --scanners vuln --db "$T/none.db" cfgsecret:1
is "$(grep -c 'image config' <<<"$out")" 0 "no secret scanner, no config findings"
done_testing
