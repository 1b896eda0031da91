#!/bin/bash
# A registry over TLS (a CA made here by openssl, trusted through a
# certs.d/HOST:PORT/ca.crt root given by PYOCI_CERTS_D) with htpasswd basic
# auth: certificate checks, login/logout writing docker's config.json (read
# back by skopeo), credential helpers through the docker-credential-*
# protocol.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/registry-lib.sh"
command -v openssl >/dev/null || skip_all "openssl needed"
command -v htpasswd >/dev/null || skip_all "htpasswd (apache2-utils) needed: docker-registry takes bcrypt only"
cd "$T" || bail "no temp dir"
export DOCKER_CONFIG=$T/docker
unset PYOCI_CERTS_D

# ---- a CA and a server certificate for 127.0.0.1 ----
mkdir tls
openssl req -x509 -newkey rsa:2048 -nodes -keyout tls/ca.key -out tls/ca.crt -days 2 -subj /CN=pyoci-test-ca \
  >/dev/null 2>&1 || bail "CA"
openssl req -newkey rsa:2048 -nodes -keyout tls/srv.key -out tls/srv.csr -subj /CN=127.0.0.1 >/dev/null 2>&1
printf 'subjectAltName=IP:127.0.0.1\n' >tls/ext
openssl x509 -req -in tls/srv.csr -CA tls/ca.crt -CAkey tls/ca.key -CAcreateserial -out tls/srv.crt -days 2 \
  -extfile tls/ext >/dev/null 2>&1 || bail "server cert"
htpasswd -Bbn alice s3cret >htpasswd 2>/dev/null || bail "htpasswd"

start_registry reg "  tls:
    certificate: $T/tls/srv.crt
    key: $T/tls/srv.key" "auth:
  htpasswd:
    realm: pyoci-test
    path: $T/htpasswd"
import_busybox bb:1
digest=$(store_digest bb:1)

# ---- TLS ----
run "$PYOCI" push bb:1 "$REG/t/bb:1"
is "$rc" 1 "unknown CA: refused"
like "$err" "certificate" "the message says it is the certificate"
export PYOCI_CERTS_D=$T/certs.d
mkdir -p "$PYOCI_CERTS_D/$REG"
cp tls/ca.crt "$PYOCI_CERTS_D/$REG/ca.crt"

# ---- basic auth ----
run "$PYOCI" push bb:1 "$REG/t/bb:1"
is "$rc" 1 "CA trusted, but no credentials: refused"
like "$err" "asks for a user name and password: run 'pyoci login $REG' first" "tells the user to log in"
run "$PYOCI" login -u alice --password-stdin "$REG" <<<"wrong"
is "$rc" 1 "login with a wrong password fails"
like "$err" "unauthorized: incorrect username or password" "docker's message"
[ ! -e "$DOCKER_CONFIG/config.json" ]
ok $? "nothing saved after a failed login"
mkdir -p "$DOCKER_CONFIG"
echo '{"auths":{},"HttpHeaders":{"X-Keep":"me"}}' >"$DOCKER_CONFIG/config.json"
run "$PYOCI" login -u alice --password-stdin "$REG" <<<"s3cret"
is "$rc:$out" "0:Login Succeeded" "login"
saved=$(python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); print(c["auths"][sys.argv[2]]["auth"], c["HttpHeaders"]["X-Keep"])' \
  "$DOCKER_CONFIG/config.json" "$REG")
is "$saved" "$(printf alice:s3cret | base64) me" "auths[HOST].auth = base64(user:pass), other keys kept"
is "$(stat -c %a "$DOCKER_CONFIG/config.json")" 600 "config.json is private"
run "$PYOCI" push bb:1 "$REG/t/bb:1"
is "$rc" 0 "push with saved credentials over TLS"
like "$out" "^1: digest: $digest size:" "pushed"
skopeo inspect --authfile "$DOCKER_CONFIG/config.json" --cert-dir "$PYOCI_CERTS_D/$REG" --raw "docker://$REG/t/bb:1" \
  >sk.raw 2>sk.err
is "sha256:$(sha256sum <sk.raw | cut -d' ' -f1)" "$digest" "skopeo reads the registry with pyoci's config.json"
PYOCI_STORE=$T/s2 run "$PYOCI" --debug pull "$REG/t/bb:1"
is "$rc" 0 "pull with saved credentials"
# loopback asks plain http first (no TLS start-up for the usual local
# registry); this one answers that with an error, so https follows
like "$err" "$REG: http failed \(not a registry\); trying https" "loopback: plain http first, then https"
PYOCI_STORE=$T/s3 run "$PYOCI" pull --creds alice:wrong "$REG/t/bb:1"
is "$rc" 1 "--creds with a wrong password fails"
like "$err" "unauthorized: authentication required" "with the registry's reason, as docker words it"
PYOCI_CERTS_D=/nonexistent PYOCI_STORE=$T/s4 run "$PYOCI" pull --tls-verify=false "$REG/t/bb:1"
is "$rc" 0 "--tls-verify=false works without the CA"
run "$PYOCI" logout "$REG"
is "$out" "Removing login credentials for $REG" "logout"
python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); sys.exit(sys.argv[2] in c["auths"])' \
  "$DOCKER_CONFIG/config.json" "$REG"
ok $? "the entry is gone"
PYOCI_STORE=$T/s5 run "$PYOCI" pull "$REG/t/bb:1"
is "$rc" 1 "after logout: refused again"

# ---- a credential helper (docker-credential-NAME get/store/erase) ----
mkdir bin
cat >bin/docker-credential-pyocitest <<EOF
#!/bin/sh
f=$T/helper.json
case "\$1" in
  store) cat >"\$f"; echo store >>$T/helper.log ;;
  get) read url; echo "get \$url" >>$T/helper.log
       if [ -f "\$f" ]; then cat "\$f"; else echo "credentials not found in native keychain"; exit 1; fi ;;
  erase) read url; echo "erase \$url" >>$T/helper.log; rm -f "\$f" ;;
esac
EOF
chmod +x bin/docker-credential-pyocitest
export PATH=$T/bin:$PATH
printf '{"credHelpers":{"%s":"pyocitest"}}' "$REG" >"$DOCKER_CONFIG/config.json"
run "$PYOCI" login -u alice --password-stdin "$REG" <<<"s3cret"
is "$rc" 0 "login through a credential helper"
is "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["ServerURL"], d["Username"], d["Secret"])' helper.json)" \
  "$REG alice s3cret" "the helper got docker's JSON"
is "$(cat "$DOCKER_CONFIG/config.json")" "{\"credHelpers\":{\"$REG\":\"pyocitest\"}}" "config.json untouched"
PYOCI_STORE=$T/s6 run "$PYOCI" pull "$REG/t/bb:1"
is "$rc" 0 "pull with credentials from the helper"
grep -q "^get $REG$" helper.log
ok $? "asked the helper with the server name"
run "$PYOCI" logout "$REG"
is "$rc" 0 "logout through the helper"
[ ! -e helper.json ]
ok $? "the helper erased them"

done_testing
