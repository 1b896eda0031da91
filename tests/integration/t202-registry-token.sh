#!/bin/bash
# Bearer token auth: docker-registry configured for token auth against a
# small token server written for the test (helpers/tokenserver.py): the
# challenge's realm/service/scope are followed, tokens are cached per scope,
# a refused token is replaced once, anonymous pulls get pull-only tokens.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/registry-lib.sh"
command -v openssl >/dev/null || skip_all "openssl needed"
cd "$T" || bail "no temp dir"
export DOCKER_CONFIG=$T/docker

mkdir tok
openssl req -x509 -newkey rsa:2048 -nodes -keyout tok/key.pem -out tok/cert.pem -days 2 -subj /CN=pyoci-token \
  >/dev/null 2>&1 || bail "token key"
python3 "$TOP/tests/integration/helpers/tokenserver.py" tok/port tok/key.pem pyoci-issuer bob pw "$T/tok/log" \
  "$T/tok/expire-first" &
_pids+=($!)
for _ in $(seq 100); do [ -s tok/port ] && break; sleep 0.1; done
[ -s tok/port ] || bail "token server did not start"
TOKPORT=$(cat tok/port)
start_registry reg "" "auth:
  token:
    realm: http://127.0.0.1:$TOKPORT/token
    service: pyoci-registry
    issuer: pyoci-issuer
    rootcertbundle: $T/tok/cert.pem"
import_busybox bb:1
digest=$(store_digest bb:1)
scope_count() { grep -c "scope=$1\$" tok/log; }

run "$PYOCI" push bb:1 "$REG/t/bb:1"
is "$rc" 1 "anonymous push: refused"
like "$err" "(unauthorized|denied|authentication required)" "the registry's reason"
run "$PYOCI" login -u bob --password-stdin "$REG" <<<"nope"
is "$rc" 1 "login with a wrong password fails at the token server"
run "$PYOCI" login -u bob --password-stdin "$REG" <<<"pw"
is "$rc:$out" "0:Login Succeeded" "login through the token server"
: >tok/log
run "$PYOCI" push bb:1 "$REG/t/bb:1"
is "$rc" 0 "push with a bearer token"
like "$out" "^1: digest: $digest size:" "pushed"
is "$(scope_count 'repository:t/bb:pull,push')" 1 "one token for the push scope, cached across its requests"
grep -q "^user=bob scope=repository:t/bb:pull,push$" tok/log
ok $? "token asked with bob's credentials, service and scope from the challenge"

# a cross-repository mount asks for both repositories in one token
"$PYOCI" tag bb:1 "$REG/t/bb:1"
run "$PYOCI" push "$REG/t/bb:1" "$REG/t/mnt:1"
like "$err" "0 blobs uploaded, 2 mounted" "mount with a token"

# anonymous pull: pull-only tokens
export DOCKER_CONFIG=$T/anon
export PYOCI_STORE=$T/s2
: >tok/log
run "$PYOCI" pull "$REG/t/bb:1"
is "$rc" 0 "anonymous pull with a pull-only token"
is "$(store_digest "$REG/t/bb:1")" "$digest" "same digest"
grep -q "^user= scope=repository:t/bb:pull$" tok/log
ok $? "anonymous token request for the pull scope"

# a token the registry refuses: one re-authentication, then success
export PYOCI_STORE=$T/s3
touch tok/expire-first
: >tok/log
run "$PYOCI" pull "$REG/t/bb:1"
is "$rc" 0 "pull succeeds after the first token is refused"
[ ! -e tok/expire-first ]
ok $? "the expired token was handed out"
is "$(scope_count 'repository:t/bb:pull')" 2 "exactly one re-authentication for the scope"

done_testing
