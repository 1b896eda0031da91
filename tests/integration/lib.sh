# TAP helpers for shell integration tests.  Source it, then call ok/is/...;
# end with done_testing.  Each test gets a private store and temp dir,
# removed on exit.  Services started by a test are stopped by PID.
set -u
PYOCI=${PYOCI_BIN:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/pyoci}
TOP=${PYOCI_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
TEST_CACHE=${PYOCI_TEST_CACHE:-/var/cache/pyoci-tests}
# benches source this file without tests/run.sh, which would have made it
mkdir -p "$TEST_CACHE" 2>/dev/null || true
T=$(mktemp -d /tmp/pyoci-it.XXXXXX)
export PYOCI_STORE=$T/store
_tap_n=0
_tap_failed=0
_pids=()
_on_exit() {
  for p in "${_pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null; done
  rm -rf "$T" 2>/dev/null
}
trap _on_exit EXIT

ok() { # ok COND-STATUS DESCRIPTION  (use: cmd; ok $? "desc")
  local st=$1; shift
  _tap_n=$((_tap_n + 1))
  if [ "$st" = 0 ]; then echo "ok $_tap_n - $*"; else echo "not ok $_tap_n - $*"; _tap_failed=$((_tap_failed + 1)); fi
}
is() { # is GOT WANT DESCRIPTION
  local got=$1 want=$2; shift 2
  if [ "$got" = "$want" ]; then ok 0 "$*"; else ok 1 "$*"; printf '#   got:  %s\n#   want: %s\n' "$got" "$want" | head -40; fi
}
like() { # like GOT REGEX DESCRIPTION
  local got=$1 re=$2; shift 2
  if [[ "$got" =~ $re ]]; then ok 0 "$*"; else ok 1 "$*"; printf '#   got:  %s\n#   want match: %s\n' "$got" "$re" | head -40; fi
}
skip() { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n # skip $*"; }
skip_all() { echo "1..0 # SKIP $*"; exit 0; }
diag() { echo "# $*"; }
done_testing() { echo "1..$_tap_n"; [ "$_tap_failed" = 0 ]; exit $?; }
bail() { echo "Bail out! $*"; exit 255; }

# run CMD...: runs it, sets $out (stdout), $err (stderr), $rc.
run() {
  "$@" >"$T/.out" 2>"$T/.err"
  rc=$?
  out=$(cat "$T/.out")
  err=$(cat "$T/.err")
}

# serve_dir DIR: python's http.server on 127.0.0.1 (a free port) over DIR,
# stopped on exit; sets $port, empty when the server did not start.
serve_dir() {
  python3 -u -m http.server --bind 127.0.0.1 --directory "$1" 0 >"$T/http.log" 2>&1 &
  _pids+=($!)
  port=
  for _ in $(seq 50); do
    port=$(sed -n 's/.*port \([0-9]*\).*/\1/p' "$T/http.log" 2>/dev/null | head -1)
    [ -n "$port" ] && break
    sleep 0.1
  done
}

# wait_answer URL [CMD...]: the body URL answers with (100 tries 0.2 s
# apart), empty when it never does; CMD, when given, runs between tries and
# its failure ends the wait early (the server is gone).
wait_answer() {
  local url=$1 a=""
  shift
  for _ in $(seq 100); do
    a=$(curl -fsS --max-time 2 "$url" 2>/dev/null) && break
    [ $# = 0 ] || "$@" || break
    sleep 0.2
  done
  printf '%s' "$a"
}
# docker_running CID: the container is running.
docker_running() { [ "$(docker inspect --format '{{.State.Running}}' "$1" 2>/dev/null)" = true ]; }

need_root() { [ "$(id -u)" = 0 ] || skip_all "needs root"; }
need_docker() { [ -n "${PYOCI_TEST_DOCKER:-}" ] || skip_all "dockerd not available (run through tests/run.sh as root)"; }

# Store fingerprint: every file under the store with its size and checksum,
# ignoring the lock files; used to show a failed command changed nothing.
store_fingerprint() {
  local s=${1:-$PYOCI_STORE}
  [ -d "$s" ] || { echo "absent"; return; }
  (cd "$s" && find . -type f ! -name '*.lock' ! -name '.lock' -printf '%p %s\n' | sort && \
    find . -type f ! -name '*.lock' ! -name '.lock' -exec sha256sum {} + | sort)
}

# A real Debian rootfs (bookworm minbase + python3) as a tarball, made once by
# mmdebstrap and cached.  Prints its path.
fixture_bookworm_python() {
  local f=$TEST_CACHE/bookworm-python3.tar
  if [ ! -s "$f" ]; then
    (
      flock 9
      if [ ! -s "$f" ]; then
        mmdebstrap --quiet --format=tar --variant=minbase --include=python3 bookworm "$f.tmp" >&2 && mv "$f.tmp" "$f"
      fi
    ) 9>"$TEST_CACHE/.bookworm.lock"
  fi
  [ -s "$f" ] || return 1
  echo "$f"
}
