#!/bin/bash
# Interop with the tools users already have, through a loopback registry
# (docker treats 127.0.0.0/8 registries as insecure, so no TLS is needed):
# pyoci push -> docker pull -> it runs (a Debian python3 image); docker push
# -> pyoci pull with the same digest; pyoci push -> skopeo copy into docker
# -> it runs.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/registry-lib.sh"
need_docker
command -v skopeo >/dev/null || skip_all "skopeo not installed"
cd "$T" || bail "no temp dir"
start_registry reg
dtag=$REG/pyoci-t204
cleanup_docker() { docker rmi -f "$dtag/py:1" "$dtag/bb:1" "$dtag/fromdocker:1" "pyoci-t204-sk:1" >/dev/null 2>&1; }
trap 'cleanup_docker; _on_exit' EXIT

# ---- pyoci push -> docker pull -> docker run (python3 from Debian) ----
rootfs=$(fixture_bookworm_python) || skip_all "no bookworm fixture (mmdebstrap failed)"
"$PYOCI" import -q "$rootfs" py:1 --change 'CMD ["python3", "-c", "import sys; print(sys.version_info[0])"]' \
  >/dev/null || bail "import failed"
run "$PYOCI" push py:1 "$dtag/py:1"
is "$rc" 0 "pyoci push a Debian python3 image"
pushed=$(sed -n 's/^1: digest: \(sha256:[0-9a-f]*\) size: .*/\1/p' <<<"$out")
run docker pull "$dtag/py:1"
is "$rc" 0 "docker pull accepts it"
is "$(docker image inspect -f '{{index .RepoDigests 0}}' "$dtag/py:1")" "$dtag/py@$pushed" "docker sees pyoci's digest"
is "$(docker run --rm --network=host "$dtag/py:1")" "3" "the pulled image runs python3"
is "$(docker image inspect -f '{{.Id}}' "$dtag/py:1")" "$("$PYOCI" inspect -f '{{.Id}}' py:1)" "same image ID"

# ---- docker push -> pyoci pull ----
import_busybox bb:1
"$PYOCI" save bb:1 -o bb.tar && docker load -q -i bb.tar >/dev/null || bail "docker load failed"
docker tag bb:1 "$dtag/fromdocker:1"
run docker push "$dtag/fromdocker:1"
is "$rc" 0 "docker push"
ddigest=$(sed -n 's/.*digest: \(sha256:[0-9a-f]*\) size.*/\1/p' <<<"$out")
export PYOCI_STORE=$T/s2
run "$PYOCI" pull "$dtag/fromdocker:1"
is "$rc" 0 "pyoci pull what docker pushed (docker v2 schema 2 manifest)"
is "$(store_digest "$dtag/fromdocker:1")" "$ddigest" "same digest docker printed"
run "$PYOCI" fsck
is "$rc" 0 "fsck clean"
run "$PYOCI" push "$dtag/fromdocker:1" "$dtag/again:1"
like "$out" "^1: digest: $ddigest " "pushed back with the digest unchanged (docker media types kept)"

# ---- pyoci push -> skopeo copy into docker -> runs ----
export PYOCI_STORE=$T/store
"$PYOCI" push -q bb:1 "$dtag/bb:1" >/dev/null || bail "push failed"
skopeo copy -q --src-tls-verify=false --dest-daemon-host "$DOCKER_HOST" "docker://$dtag/bb:1" \
  docker-daemon:pyoci-t204-sk:1 >/dev/null 2>sk.err
ok $? "skopeo copy from the registry into docker" || diag "$(cat sk.err)"
is "$(docker run --rm --network=host pyoci-t204-sk:1 /bin/busybox echo hello)" "hello" "that image runs"

done_testing
