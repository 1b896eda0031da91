# More cached rootfs fixtures (like lib.sh's fixture_bookworm_python).
# Source after lib.sh.  Each function prints the path of a tarball made once
# by mmdebstrap from Debian's archive and kept in $TEST_CACHE.

# _fixture_mmdebstrap NAME MMDEBSTRAP-ARGS...: build $TEST_CACHE/NAME.tar once
# (under a lock, so parallel tests share one build) and print its path.
_fixture_mmdebstrap() {
  local name=$1; shift
  local f=$TEST_CACHE/$name.tar
  if [ ! -s "$f" ]; then
    (
      flock 9
      if [ ! -s "$f" ]; then
        mmdebstrap --quiet --format=tar "$@" "$f.tmp" >&2 && mv "$f.tmp" "$f"
      fi
    ) 9>"$TEST_CACHE/.$name.lock"
  fi
  [ -s "$f" ] || return 1
  echo "$f"
}

# bookworm minbase + python3 + Debian's python3-flask stack (flask, werkzeug,
# jinja2, markupsafe, itsdangerous, click, blinker, ...).
fixture_bookworm_flask() {
  _fixture_mmdebstrap bookworm-python3-flask --variant=minbase --include=python3,python3-flask bookworm
}
