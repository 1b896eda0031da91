#!/bin/bash
# A hostile or flaky registry, through a fault proxy (helpers/faultproxy.py)
# in front of docker-registry: a connection dropped mid-blob is resumed with
# Range, 429 + Retry-After and 500 are retried, wrong bytes and a 50 MB
# manifest are refused with the store unchanged, schema 1 is refused
# clearly, credentials never follow a redirect to another host, and kill -9
# in the middle of a pull leaves fsck clean.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/registry-lib.sh"
cd "$T" || bail "no temp dir"
export DOCKER_CONFIG=$T/docker
start_registry reg
import_busybox bb:1
"$PYOCI" push -q bb:1 "$REG/t/bb:1" >/dev/null || bail "push failed"
digest=$(store_digest bb:1)
layer=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["layers"][0]["digest"])' \
  "$PYOCI_STORE/blobs/sha256/${digest#sha256:}")

start_faultproxy
setmode() { echo "$*" >mode; : >proxy.log; }
fresh() { export PYOCI_STORE=$T/store-$1; }

# ---- dropped mid-blob: resumed ----
setmode drop-blob "$layer"
fresh drop
run "$PYOCI" pull "$PX/t/bb:1"
is "$rc" 0 "pull survives a connection dropped mid-blob"
is "$(grep -c "GET /v2/t/bb/blobs/$layer " proxy.log)" 2 "the blob was asked for twice"
like "$(grep "GET /v2/t/bb/blobs/$layer " proxy.log | tail -1)" "range=bytes=[1-9][0-9]*-" "the second time from where it stopped (Range)"
is "$(store_digest "$PX/t/bb:1")" "$digest" "same image"
run "$PYOCI" fsck
is "$rc" 0 "fsck clean: the resumed blob verified"

# ---- 429 with Retry-After ----
setmode 429 /manifests/
fresh 429
run "$PYOCI" pull "$PX/t/bb:1"
is "$rc" 0 "pull succeeds after a 429"
like "$err" "429 too many requests; retrying in 1s" "the wait comes from Retry-After"
gap=$(awk '/manifests/ { t[n++] = $1 } END { printf "%d", (t[1] - t[0]) * 1000 }' proxy.log)
[ "$gap" -ge 900 ]
ok $? "the retry waited for Retry-After (${gap} ms)"

# ---- 500 then success ----
setmode 500 "/blobs/$layer"
fresh 500
run "$PYOCI" pull "$PX/t/bb:1"
is "$rc" 0 "pull succeeds after a 500"
is "$(grep "/blobs/$layer " proxy.log | awk '{print $4}' | tr '\n' ' ')" "status=500 status=200 " "500, then the retry"

# ---- wrong bytes: refused, store unchanged ----
setmode corrupt-blob "$layer"
fresh corrupt
"$PYOCI" images >/dev/null
before=$(store_fingerprint)
run "$PYOCI" pull "$PX/t/bb:1"
is "$rc" 1 "a blob that does not match its digest is refused"
like "$err" "digest mismatch: expected $layer" "the message names the blob"
is "$(store_fingerprint)" "$before" "store unchanged"

# ---- a 50 MB manifest: refused ----
setmode big-manifest
fresh big
"$PYOCI" images >/dev/null
before=$(store_fingerprint)
run "$PYOCI" pull "$PX/t/bb:1"
is "$rc" 1 "a 50 MB manifest is refused"
like "$err" "larger than the limit of 4194304 bytes" "at the 4 MiB limit"
is "$(store_fingerprint)" "$before" "store unchanged"

# ---- schema 1 ----
setmode schema1
fresh s1
run "$PYOCI" pull "$PX/t/bb:1"
is "$rc" 1 "schema 1 refused"
like "$err" "a Docker schema 1 manifest; pyoci reads schema 2 and OCI manifests only" "clearly"

# ---- credentials stay with the registry's host ----
setmode redirect-blob "$layer"
fresh redirect
run "$PYOCI" pull --creds u:p "$PX/t/bb:1"
is "$rc" 0 "pull follows a blob redirect"
like "$(grep "GET /v2/t/bb/blobs/$layer " proxy.log)" "status=307 range=- auth=yes" "credentials to the registry"
like "$(grep "GET /redirected/" proxy.log)" "status=200 range=- auth=no" "none to the redirect target"

# ---- kill -9 mid-pull: fsck clean, the next pull completes ----
setmode slow-blob "$layer"
fresh killed
"$PYOCI" pull -q "$PX/t/bb:1" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 50); do grep -q "blobs/$layer" proxy.log 2>/dev/null && break; sleep 0.1; done
sleep 1
kill -9 "$pid"
wait "$pid" 2>/dev/null
run "$PYOCI" fsck
is "$rc" 0 "fsck clean after kill -9 during a pull"
setmode pass
run "$PYOCI" pull "$PX/t/bb:1"
is "$rc:$(store_digest "$PX/t/bb:1")" "0:$digest" "the next pull completes"

done_testing
