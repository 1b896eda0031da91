# Helpers for the registry tests (t2xx): a real distribution registry
# (Debian's docker-registry) on 127.0.0.1 with a random port, started and
# stopped by PID.  Source after lib.sh.
command -v docker-registry >/dev/null || skip_all "docker-registry not installed"
command -v python3 >/dev/null || skip_all "python3 needed"

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# start_registry NAME [HTTP-YAML] [TOP-YAML]: sets REG (127.0.0.1:PORT).
# HTTP-YAML lines go under http: (indent them two spaces), TOP-YAML at the
# top level (auth:).  The scheme for the readiness probe is https when the
# http block has tls.
start_registry() {
  local name=$1 http_extra=${2:-} top_extra=${3:-} port scheme=http
  port=$(free_port)
  mkdir -p "$T/$name"
  cat >"$T/$name/config.yml" <<EOC
version: 0.1
log:
  level: warn
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: $T/$name/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
$http_extra
$top_extra
EOC
  [[ "$http_extra" == *tls:* ]] && scheme=https
  docker-registry serve "$T/$name/config.yml" >"$T/$name/log" 2>&1 &
  _pids+=($!)
  for _ in $(seq 100); do
    curl -sk -o /dev/null "$scheme://127.0.0.1:$port/v2/" && break
    sleep 0.1
  done
  curl -sk -o /dev/null "$scheme://127.0.0.1:$port/v2/" || bail "registry $name did not start: $(tail -3 "$T/$name/log")"
  REG=127.0.0.1:$port
}

# start_faultproxy: helpers/faultproxy.py in front of $REG, reading its
# mode from ./mode and logging to ./proxy.log; sets PX (127.0.0.1:PORT).
start_faultproxy() {
  python3 "$TOP/tests/integration/helpers/faultproxy.py" proxy.port "$REG" mode proxy.log &
  _pids+=($!)
  for _ in $(seq 100); do [ -s proxy.port ] && break; sleep 0.1; done
  [ -s proxy.port ] || bail "proxy did not start"
  PX=127.0.0.1:$(cat proxy.port)
}

# A small image in the store from busybox: import_busybox NAME
import_busybox() {
  local bb
  bb=$(command -v busybox) || skip_all "busybox-static not installed"
  mkdir -p "$T/bbroot/bin"
  cp "$bb" "$T/bbroot/bin/busybox"
  for c in sh cat echo ls; do ln -sf busybox "$T/bbroot/bin/$c"; done
  tar -C "$T/bbroot" -cf "$T/bbroot.tar" .
  "$PYOCI" import -q "$T/bbroot.tar" "$1" >/dev/null || bail "import failed"
}

# The manifest digest the store holds for NAME.
store_digest() {
  python3 - "${2:-$PYOCI_STORE}" "$1" <<'PY'
import json, sys
idx = json.load(open(sys.argv[1] + "/index.json"))
for m in idx["manifests"]:
    if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == sys.argv[2]:
        print(m["digest"])
PY
}
