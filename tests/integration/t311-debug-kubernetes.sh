#!/bin/bash
# pyoci debug --kubernetes: the patch kubectl debug --target sends to the
# pod's ephemeralcontainers subresource.  No cluster is reachable here, so
# the patch is checked (1) against the Kubernetes API schema for
# EphemeralContainer (tests/data/kubernetes, excerpt with its source) and
# (2) against the object kubectl builds: k8s.io/kubectl pkg/cmd/debug/debug.go
# generateDebugContainer (name debugger-XXXXX from kubectl's 27-letter
# alphabet, image, stdin, tty, terminationMessagePolicy File,
# targetContainerName, command) marshalled by encoding/json (so
# "resources":{}) and diffed by strategicpatch into
# {"spec":{"ephemeralContainers":[...]}}; the "general" profile adds
# securityContext.capabilities.add [SYS_PTRACE] (debug/profiles.go).
source "$(dirname "$0")/lib.sh"
python3 -c 'import jsonschema' 2>/dev/null || skip_all "python3-jsonschema is not installed"
schema=$TOP/tests/data/kubernetes/ephemeralcontainer-v1.schema.json

validate() { # PATCH-JSON: the ephemeral containers in it against the schema
  python3 - "$schema" "$1" <<'PY'
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
patch = json.loads(sys.argv[2])
assert list(patch) == ["spec"] and list(patch["spec"]) == ["ephemeralContainers"], patch
for c in patch["spec"]["ephemeralContainers"]:
    jsonschema.validate(c, schema)
PY
}

run "$PYOCI" debug --kubernetes web -c app -n prod -i -t --image busybox:1.36
is "$rc" 0 "pyoci debug --kubernetes web -c app -n prod -it --image busybox:1.36"
patch=$out
validate "$patch"
ok $? "the patch's ephemeral container validates against the EphemeralContainer schema"
name=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["spec"]["ephemeralContainers"][0]["name"])' "$patch")
like "$name" '^debugger-[bcdfghjklmnpqrstvwxz2456789]{5}$' "name: debugger- and five letters of kubectl's alphabet"
want='{"spec":{"ephemeralContainers":[{"image":"busybox:1.36","name":"'$name'","resources":{},"stdin":true,"targetContainerName":"app","terminationMessagePolicy":"File","tty":true}]}}'
is "$patch" "$want" "byte for byte the patch kubectl debug -it --target=app --image=busybox:1.36 sends"

run "$PYOCI" debug --kubernetes web -c app --profile general -- ps aux
patch=$out
validate "$patch"
ok $? "with --profile general and a command: valid"
is "$(python3 -c 'import json,sys; c=json.loads(sys.argv[1])["spec"]["ephemeralContainers"][0]; print(c["command"], c["securityContext"], "stdin" in c, "tty" in c, c["image"])' "$patch")" \
  "['ps', 'aux'] {'capabilities': {'add': ['SYS_PTRACE']}} False False busybox" \
  "command, SYS_PTRACE from the general profile, no stdin/tty without -i/-t, kubectl's default image busybox"

# the schema is strict: a field kubectl would never send is caught
bad=$(python3 -c 'import json,sys; p=json.loads(sys.argv[1]); p["spec"]["ephemeralContainers"][0]["ports"]=1; p["spec"]["ephemeralContainers"][0]["bogus"]=1; print(json.dumps(p))' "$patch")
validate "$bad" 2>/dev/null
ok $([ $? != 0 ]; echo $?) "the schema check rejects an unknown field (it can fail)"

run "$PYOCI" debug --kubernetes web --profile sysadmin
is "$rc" 1 "an unsupported profile is an error"
is "$err" "pyoci: --profile sysadmin: only legacy and general are supported" "one line"
run "$PYOCI" debug --kubernetes "" 
is "$rc" 1 "an empty pod name is an error"
done_testing
