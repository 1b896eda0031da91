#!/bin/bash
# OCI 1.1 referrers on Debian's registry (no referrers API there, so the
# spec's tag-schema fallback): `pyoci sbom --attach` and `pyoci scan
# --attach` push artifacts whose subject is the image, `pyoci pull
# --referrers` lists them; the same against a registry that has the
# referrers API (helpers/faultproxy.py's referrers-api mode in front of
# it), where no fallback tag may be written or read; and `pyoci inspect
# docker://` reads a remote image without pulling it (checked against
# skopeo inspect).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/registry-lib.sh"
command -v skopeo >/dev/null || skip_all "skopeo not installed"
cd "$T" || bail "no temp dir"
export DOCKER_CONFIG=$T/docker
start_registry reg
import_busybox bb:1
digest=$(store_digest bb:1)
img=$REG/t/bb:1
"$PYOCI" push -q bb:1 "$img" >/dev/null || bail "push failed"
"$PYOCI" tag bb:1 "$img" || bail "tag failed"

# ---- inspect docker:// ----
run "$PYOCI" inspect "docker://$img"
is "$rc" 0 "inspect docker://"
skopeo inspect --tls-verify=false "docker://$img" >sk.json 2>/dev/null
for k in Name Digest RepoTags Architecture Os Layers Created; do
  is "$(python3 -c 'import json,sys; print(json.dumps(json.loads(sys.stdin.read())[sys.argv[1]]))' "$k" <<<"$out")" \
    "$(python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[2]))[sys.argv[1]]))' "$k" sk.json)" \
    "inspect docker:// $k equals skopeo's"
done
run "$PYOCI" inspect --raw "docker://$img"
is "sha256:$(printf '%s' "$out" | sha256sum | cut -d' ' -f1)" "$digest" "--raw: the manifest bytes as served"
run "$PYOCI" inspect "docker://$REG/t/bb:nope"
is "$rc" 1 "unknown tag"
like "$err" "manifest unknown: t/bb:nope" "registry error in one line"

# ---- attach ----
run "$PYOCI" pull --referrers "$img"
is "$rc:$out" "0:" "no referrers yet"
run "$PYOCI" sbom -o sbom.json --attach "$img"
is "$rc" 0 "sbom --attach"
like "$err" "Attached application/vnd.cyclonedx\+json to $img: sha256:[0-9a-f]{64}" "says what it attached"
sbom_art=$(sed -n 's/.*: \(sha256:[0-9a-f]*\)$/\1/p' <<<"$err")
run "$PYOCI" scan --scanners secret -f sarif -o scan.sarif --attach "$img"
is "$rc" 0 "scan --attach"
scan_art=$(sed -n 's/.*Attached.*: \(sha256:[0-9a-f]*\)$/\1/p' <<<"$err")

run "$PYOCI" pull --referrers "$img"
is "$rc" 0 "pull --referrers"
is "$(sort <<<"$out")" "$(printf '%s\t%s\t%s\n%s\t%s\t%s' \
  "$sbom_art" application/vnd.cyclonedx+json "$(skopeo inspect --tls-verify=false --raw "docker://$REG/t/bb@$sbom_art" | wc -c)" \
  "$scan_art" application/sarif+json "$(skopeo inspect --tls-verify=false --raw "docker://$REG/t/bb@$scan_art" | wc -c)" | sort)" \
  "both artifacts listed with artifactType and size"

# the fallback index, read by skopeo
skopeo inspect --tls-verify=false --raw "docker://$REG/t/bb:sha256-${digest#sha256:}" >fb.json 2>/dev/null
ok $? "the fallback tag sha256-<hex> exists"
is "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["mediaType"], len(d["manifests"]))' fb.json)" \
  "application/vnd.oci.image.index.v1+json 2" "it is an OCI index of the two artifacts"
skopeo inspect --tls-verify=false --raw "docker://$REG/t/bb@$sbom_art" >art.json 2>/dev/null
is "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["artifactType"], d["subject"]["digest"], d["config"]["mediaType"])' art.json)" \
  "application/vnd.cyclonedx+json $digest application/vnd.oci.empty.v1+json" "artifact manifest: type, subject = the image, empty config"
layer=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["layers"][0]["digest"])' art.json)
is "$layer" "sha256:$(sha256sum <sbom.json | cut -d' ' -f1)" "its layer is the SBOM pyoci wrote"

# the image itself is unchanged and still pulls
PYOCI_STORE=$T/s2 run "$PYOCI" pull "$img"
is "$rc:$(PYOCI_STORE=$T/s2 store_digest "$img")" "0:$digest" "image pulls unchanged"
run "$PYOCI" sbom --attach bb-not-in-registry:1 /dev/null
is "$rc" 2 "usage error for two targets"

# ---- a registry with the referrers API ----
start_faultproxy
echo referrers-api >mode
api=$PX/t/api:1
"$PYOCI" push -q bb:1 "$api" >/dev/null || bail "push through the proxy failed"
"$PYOCI" tag bb:1 "$api" || bail "tag failed"
: >proxy.log
run "$PYOCI" sbom -o sbom2.json --attach "$api"
is "$rc" 0 "sbom --attach to a registry with the referrers API"
api_art=$(sed -n 's/.*Attached.*: \(sha256:[0-9a-f]*\)$/\1/p' <<<"$err")
like "$(grep "PUT /v2/t/api/manifests/$api_art " proxy.log)" "status=201" "the artifact manifest was put by digest"
is "$(grep -c 'manifests/sha256-' proxy.log)" 0 "OCI-Subject in the reply: no fallback tag read or written"
! skopeo inspect --tls-verify=false --raw "docker://$REG/t/api:sha256-${digest#sha256:}" >/dev/null 2>&1
ok $? "the registry has no fallback tag for the image"
: >proxy.log
run "$PYOCI" pull --referrers "$api"
is "$rc" 0 "pull --referrers through the API"
is "$out" "$(printf '%s\t%s\t%s' "$api_art" application/vnd.cyclonedx+json \
  "$(skopeo inspect --tls-verify=false --raw "docker://$REG/t/api@$api_art" | wc -c)")" \
  "the API's list: the artifact with its artifactType and size"
like "$(grep "GET /v2/t/api/referrers/$digest " proxy.log)" "status=200" "asked GET /v2/NAME/referrers/DIGEST"
is "$(grep -c 'manifests/sha256-' proxy.log)" 0 "and not the fallback tag"
# t/bb has a fallback tag listing two artifacts (above); a registry with the
# API is asked through the API alone, and its answer (none) is what counts
run "$PYOCI" pull --referrers "$PX/t/bb:1"
is "$rc:$out" "0:" "an image with no referrers in the API lists none (the API's answer is taken, not the tag)"

done_testing
