# Shared setup of the hermetic assemble tests (t121, t122, t123), sourced
# after lib.sh: the tools the fixtures need, then assemble_fixtures.py's
# signed apt repository, .debs and wheels in $F, served on 127.0.0.1.

# assemble_need [TOOL...]: skip the test unless the fixture tools (and these) are here.
assemble_need() {
  for t in dpkg-deb dpkg-scanpackages gpg gpgv "$@"; do
    command -v $t >/dev/null || skip_all "$t is not installed (scripts/deps.sh)"
  done
}

# assemble_fixtures WHAT [assemble_fixtures.py OPTIONS]: make the fixtures
# (one ok line, "fixtures: WHAT"), a fixed SOURCE_DATE_EPOCH and a private
# download cache, and serve $F/repo; sets F, port and URI.
assemble_fixtures() {
  local what=$1
  shift
  export XDG_CACHE_HOME=$T/cache SOURCE_DATE_EPOCH=1700000000
  F=$T/fx
  mkdir -p "$F" "$T/canary"
  python3 "$TOP/tests/integration/assemble_fixtures.py" "$F" "$T/canary" "$@" >"$T/fx.log" 2>&1
  ok $? "fixtures: $what" || { tail -5 "$T/fx.log" | sed 's/^/#   /'; bail "no fixtures"; }
  serve_dir "$F/repo"
  [ -n "$port" ] || bail "python http.server did not start"
  URI=http://127.0.0.1:$port
}
