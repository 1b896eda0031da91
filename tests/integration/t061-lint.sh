#!/bin/bash
# pyoci lint: table/json/sarif output, exit codes, errors that name the file,
# and the article's Dockerfiles giving exactly PYO001, PYO008, PYO009.
source "$(dirname "$0")/lib.sh"

SCHEMA=$TOP/tests/data/schemas/sarif-schema-2.1.0.json
mkdir -p "$T/app"
cat >"$T/app/Dockerfile" <<'DF'
FROM python:3.9 AS builder
WORKDIR /app
COPY app.py requirements.txt ./
RUN pip install --user -r requirements.txt

FROM python:3.9-slim
WORKDIR /app
COPY --from=builder /root/.local /root/.local
COPY --from=builder /app .
ENV PATH=/root/.local:$PATH
CMD ["python", "./app.py"]
DF
cat >"$T/clean.Dockerfile" <<'DF'
FROM python:3.11-slim
RUN pip install --no-cache-dir flask
USER app
HEALTHCHECK CMD python -c "import urllib.request; urllib.request.urlopen('http://localhost:5000')"
CMD ["python", "app.py"]
DF

# Default file is ./Dockerfile; table output.
run bash -c "cd '$T/app' && '$PYOCI' lint"
is "$rc" 1 "findings: exit 1"
is "$(head -1 <<<"$out")" "Dockerfile: 3 findings (HIGH: 1, LOW: 2)" "summary line"
is "$(sed -n 3p <<<"$out")" "LINE  CHECK   SEVERITY  MESSAGE" "table header"
is "$(sed -n '4,$p' <<<"$out" | awk '{print $1, $2, $3}' | tr '\n' ' ')" "4 PYO008 LOW 6 PYO001 HIGH 6 PYO009 LOW " \
  "table rows: line, check, severity"
like "$out" "sets no USER, so the container runs as root" "message text"

# JSON.
run "$PYOCI" lint --format json "$T/app/Dockerfile"
is "$rc" 1 "json: exit 1"
got=$(python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["file"].endswith("app/Dockerfile"), " ".join("%s@%d:%s:%s" % (f["id"], f["line"], f["severity"], f["hadolint"]) for f in d["findings"]))' <<<"$out")
is "$got" "True PYO008@4:LOW:DL3042 PYO001@6:HIGH:DL3002 PYO009@6:LOW:None" "json findings"

# SARIF, validated against the 2.1.0 schema.
run "$PYOCI" lint --format sarif -f "$T/app/Dockerfile"
is "$rc" 1 "sarif: exit 1"
printf '%s\n' "$out" >"$T/out.sarif"
run python3 - "$SCHEMA" "$T/out.sarif" <<'PY'
import json, sys, jsonschema
schema = json.load(open(sys.argv[1])); doc = json.load(open(sys.argv[2]))
jsonschema.validators.validator_for(schema)(schema).validate(doc)
r = doc["runs"][0]
print(len(r["tool"]["driver"]["rules"]), " ".join("%s:%s:%d" % (x["ruleId"], x["level"], x["locations"][0]["physicalLocation"]["region"]["startLine"]) for x in r["results"]))
PY
is "$rc" 0 "SARIF validates against sarif-schema-2.1.0.json${err:+ ($err)}"
is "$out" "12 PYO008:note:4 PYO001:error:6 PYO009:note:6" "SARIF rules and results"

# An invalid SARIF must fail the same validation (the check can fail).
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["runs"][0]["results"][0]["level"]="fatal"; json.dump(d, open(sys.argv[1],"w"))' "$T/out.sarif"
run python3 -c 'import json,sys,jsonschema; s=json.load(open(sys.argv[1])); jsonschema.validators.validator_for(s)(s).validate(json.load(open(sys.argv[2])))' "$SCHEMA" "$T/out.sarif"
ok $((rc == 0)) "schema check rejects a broken SARIF"

# Exit codes.
run "$PYOCI" lint "$T/clean.Dockerfile"
is "$rc" 0 "clean Dockerfile: exit 0"
is "$out" "$T/clean.Dockerfile: no findings" "clean Dockerfile: says so"
run "$PYOCI" lint --exit-code 0 "$T/app/Dockerfile"
is "$rc" 0 "--exit-code 0 never fails"
run "$PYOCI" lint --exit-code 7 "$T/app/Dockerfile"
is "$rc" 7 "--exit-code 7"
run "$PYOCI" lint --failure-threshold HIGH --ignore PYO001 "$T/app/Dockerfile"
is "$rc" 0 "only LOW findings left under --failure-threshold HIGH: exit 0"
is "$(grep -c PYO "$T/.out")" 2 "...but they are still reported"
run "$PYOCI" lint --failure-threshold high "$T/app/Dockerfile"
is "$rc" 1 "a HIGH finding reaches --failure-threshold HIGH"
run "$PYOCI" lint --severity HIGH,CRITICAL --format json "$T/app/Dockerfile"
is "$(python3 -c 'import json,sys; print([f["id"] for f in json.load(sys.stdin)["findings"]])' <<<"$out")" "['PYO001']" \
  "--severity filters the report"

# stdin and --output.
run bash -c "'$PYOCI' lint -q - <'$T/app/Dockerfile'"
is "$rc" 1 "stdin: exit 1"
is "$(wc -l <<<"$out")" 4 "-q drops the summary: header + 3 rows"
run "$PYOCI" lint -o "$T/report.json" --format json "$T/app/Dockerfile"
is "$rc:$out" "1:" "--output: nothing on stdout"
is "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["findings"]))' "$T/report.json")" 3 "--output file has the report"

# Errors.
run "$PYOCI" lint "$T/nope/Dockerfile"
is "$rc" 1 "missing file: exit 1"
is "$err" "pyoci: open '$T/nope/Dockerfile': No such file or directory" "missing file: message names it"
run bash -c "cd '$T' && '$PYOCI' lint"
is "$err" "pyoci: open 'Dockerfile': No such file or directory" "missing default ./Dockerfile named"
printf 'FROM x\0\n' >"$T/bin.Dockerfile"
run "$PYOCI" lint "$T/bin.Dockerfile"
is "$rc" 1 "binary file: exit 1"
like "$err" "bin.Dockerfile.*NUL byte" "binary file: message names it"
run "$PYOCI" lint --format xml "$T/app/Dockerfile"
is "$rc" 2 "unknown format: usage error"
like "$err" "unknown format 'xml'" "unknown format named"
run "$PYOCI" lint --ignore PYO999 "$T/app/Dockerfile"
is "$rc" 2 "unknown check: usage error"
run "$PYOCI" lint --help
is "$rc" 0 "--help"
like "$out" "Usage: pyoci lint" "--help text"
run "$PYOCI" lint --list-checks
is "$(grep -c '^PYO0' <<<"$out")" 12 "--list-checks lists 12 checks"

# Invalid UTF-8 from the Dockerfile still gives valid JSON and SARIF.
printf 'FROM python:3.11\nARG DB\377_TOKEN\nUSER app\nHEALTHCHECK NONE\n' >"$T/utf8.Dockerfile"
run "$PYOCI" lint --format json "$T/utf8.Dockerfile"
is "$(python3 -c 'import json,sys; print([f["message"] for f in json.load(sys.stdin)["findings"]])' <<<"$out")" \
  "['ARG DB?_TOKEN: build arguments are recorded in the image history']" "json: invalid UTF-8 replaced"
run "$PYOCI" lint --format sarif "$T/utf8.Dockerfile"
printf '%s\n' "$out" >"$T/utf8.sarif"
run python3 -c 'import json,sys,jsonschema; s=json.load(open(sys.argv[1])); jsonschema.validators.validator_for(s)(s).validate(json.load(open(sys.argv[2])))' "$SCHEMA" "$T/utf8.sarif"
is "$rc" 0 "sarif with invalid UTF-8 input validates"

# The article's Dockerfiles as shipped in examples/.
for f in Dockerfile Dockerfile_alpine; do
  run "$PYOCI" lint --format json "$TOP/examples/flask-hello/$f"
  is "$(python3 -c 'import json,sys; print(sorted(f["id"] for f in json.load(sys.stdin)["findings"]))' <<<"$out")" \
    "['PYO001', 'PYO008', 'PYO009']" "examples/flask-hello/$f: PYO001, PYO008, PYO009"
done

done_testing
