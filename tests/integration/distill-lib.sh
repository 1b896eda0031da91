# Helpers for the distill tests (t5xx): the Flask example built from the
# cached Debian bases, with an app that listens on $PORT.  Source after lib.sh.

# distill_setup TAG: what every distill test needs (root, dockerd,
# mmdebstrap for the bases, the classic builder), and on exit the container
# $cid (when set) and the distilled image TAG removed from docker.
distill_setup() {
  need_root
  need_docker
  command -v mmdebstrap >/dev/null || skip_all "mmdebstrap is not installed (scripts/deps.sh)"
  export DOCKER_BUILDKIT=0
  cid=""
  trap '[ -n "$cid" ] && docker rm -f "$cid" >/dev/null 2>&1; docker rmi -f '"$1"' >/dev/null 2>&1; _on_exit' EXIT
}

# A free TCP port on 127.0.0.1.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# build_flask_app TAG PORT [APP_PY] [EXTRA_REQUIREMENT WHEEL_FILE]: the
# example's two-stage Dockerfile with ENV PORT=PORT; APP_PY replaces app.py.
# $EXTRA_FILES are copied beside the Dockerfile, $EXTRA_LINES go before CMD.
build_flask_app() {
  local tag=$1 port=$2 app=${3:-} extra=${4:-} wheel=${5:-}
  local ex=$T/ex-$tag
  ex=${ex//:/-}
  cp -a "$TOP/examples/flask-hello" "$ex" && rm -rf "$ex/wheels"
  mkdir -p "$TEST_CACHE/examples"
  PYOCI_EXAMPLE_CACHE=$TEST_CACHE/examples "$ex/make-bases.sh" "$PYOCI" >"$T/bases.log" 2>&1 || return 1
  if [ -n "$app" ]; then cp "$app" "$ex/app.py"; else
    # the article's app, on $PORT (the container shares the host network)
    sed -i -e '1i import os' -e "s/port=5000/port=int(os.environ['PORT'])/" "$ex/app.py"
  fi
  [ -z "$extra" ] || { echo "$extra" >>"$ex/requirements.txt"; cp "$wheel" "$ex/wheels/"; }
  [ -z "${EXTRA_FILES:-}" ] || cp $EXTRA_FILES "$ex/"
  sed -i "s|^CMD |${EXTRA_LINES:-}ENV PORT=$port\nCMD |" "$ex/Dockerfile"
  "$PYOCI" build -q -t "$tag" "$ex" >"$T/build.log" 2>&1
}

# wait_http URL: the body once it answers (10 s at most).
wait_http() {
  local a
  for _ in $(seq 50); do
    a=$(curl -fsS --max-time 2 "$1" 2>/dev/null) && { printf '%s' "$a"; return 0; }
    sleep 0.2
  done
  return 1
}
