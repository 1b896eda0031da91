# BuildKit conformance cases: a test file declares cases, then calls
# conf_run, which builds each with BuildKit (Debian's docker client,
# DOCKER_BUILDKIT=1, against the dockerd tests/run.sh started) and with
# pyoci, and compares the saved images with tests/tools/imgtree.py batch:
# merged tree, config, history lines and every layer's own entries.
#
#   conf_case NAME 'GoTest (file)'  start a case; $C is its build context
#   cf PATH [CONTENT]               a context file (parents made); CONTENT
#                                   defaults to PATH's base name
#   df                              the Dockerfile, from stdin
#   conf_args ARG...                build arguments for both builders
#   conf_fail                       both builders must refuse the build
#   conf_after NAME                 built after case NAME (FROM conf-NAME)
#   conf_newer 'WHY' WHAT LINE...   the local BuildKit (v0.8) is older than
#                                   the current BuildKit (source or test)
#                                   named in WHY: WHAT of the comparison is
#                                   left out ("history": the history lines;
#                                   "all": no comparison, the local BuildKit
#                                   fails or builds something else) and
#                                   pyoci must show every LINE (exact lines
#                                   of `imgtree.py tree`, `config: TEXT`
#                                   found in `imgtree.py config`, `history:
#                                   LINE` of its history)
#   conf_select NAME                make an earlier case the current one
#   conf_no_docker 'WHY'            only pyoci builds it (the expectation is
#                                   conf_fail or conf_newer ... all)
# Cases build in waves (conf_after), docker builds CONF_JOBS at a time.
source "$(dirname "${BASH_SOURCE[0]}")/build-lib.sh"

BUILDKIT_DOCKER=${BUILDKIT_DOCKER:-/usr/bin/docker}
CONF_JOBS=${CONF_JOBS:-4}
_conf_names=()
declare -A _conf_wave _conf_from
C=""

conf_case() {
  local name=$1
  _conf_names+=("$name")
  _conf_wave[$name]=0
  _conf_from[$name]=$2
  mkdir -p "$T/conf/$name/ctx"
  C=$T/conf/$name/ctx
  _conf_cur=$T/conf/$name
}
cf() {
  mkdir -p "$(dirname "$C/$1")"
  printf '%s' "${2-$(basename "$1")}" >"$C/$1"
}
df() { cat >"$C/Dockerfile"; }
conf_args() { printf '%s\n' "$@" >"$_conf_cur/args"; }
conf_fail() { : >"$_conf_cur/fail"; }
conf_no_docker() { printf '%s\n' "$1" >"$_conf_cur/nodocker"; }
conf_select() { C=$T/conf/$1/ctx; _conf_cur=$T/conf/$1; }
conf_after() {
  local n=${_conf_names[-1]}
  _conf_wave[$n]=$((_conf_wave[$1] + 1))
}
conf_newer() {
  printf '%s\n' "$1" >"$_conf_cur/newer-why"
  printf '%s\n' "$2" >"$_conf_cur/newer-what"
  shift 2
  printf '%s\n' "$@" >"$_conf_cur/newer"
}

# _conf_docker_build DIR NAME ARGS...: the BuildKit build and save of one case.
# A busy dockerd now and then fails a build for reasons of its own (seen once
# in a CI run among ~170 cases); a build that is not meant to fail gets a
# second try, and the first failure stays in the log.  A case that must fail
# is built once: its failure is the result.
_conf_docker_build() {
  local d=$1 name=$2 try rc
  : >"$d/docker.log"
  shift 2
  for try in 1 2; do
    DOCKER_BUILDKIT=1 "$BUILDKIT_DOCKER" build --network=host -q "$@" -t "conf-$name" "$d/ctx" \
      >>"$d/docker.log" 2>&1 && docker save -o "$d/docker.tar" "conf-$name" >>"$d/docker.log" 2>&1
    rc=$?
    { [ $rc = 0 ] || [ -f "$d/fail" ]; } && break
    [ $try = 2 ] || echo "# (first try failed with $rc; building again)" >>"$d/docker.log"
  done
  return $rc
}

# _conf_build TOOL NAME: build and save one case; writes TOOL.rc and TOOL.log
_conf_build() {
  local tool=$1 name=$2 d=$T/conf/$2 args=() rc
  [ -f "$d/args" ] && mapfile -t args <"$d/args"
  if [ "$tool" = docker ] && [ -f "$d/nodocker" ]; then
    echo "not built by docker: $(cat "$d/nodocker")" >"$d/docker.log"
    false
  elif [ "$tool" = docker ]; then
    _conf_docker_build "$d" "$name" "${args[@]}"
  else
    "$PYOCI" build -q "${args[@]}" -t "conf-$name" "$d/ctx" >"$d/pyoci.log" 2>&1 &&
      "$PYOCI" save -o "$d/pyoci.tar" "conf-$name" >>"$d/pyoci.log" 2>&1
  fi
  rc=$?
  echo $rc >"$d/$tool.rc"
}

# _conf_newer_check NAME: every expected line in pyoci's image
_conf_newer_check() {
  local d=$T/conf/$1 line miss=0
  python3 "$TOP/tests/tools/imgtree.py" tree "$d/pyoci.tar" >"$d/pyoci.tree"
  python3 "$TOP/tests/tools/imgtree.py" config "$d/pyoci.tar" >"$d/pyoci.config"
  python3 -c 'import json,sys,tarfile
t = tarfile.open(sys.argv[1]); m = json.load(t.extractfile("manifest.json"))[0]
for h in json.load(t.extractfile(m["Config"])).get("history", []): print(h.get("created_by", ""))' \
    "$d/pyoci.tar" >"$d/pyoci.history"
  while IFS= read -r line; do
    case $line in
      config:*) grep -qF -- "${line#config: }" "$d/pyoci.config" ;;
      history:*) grep -qxF -- "${line#history: }" "$d/pyoci.history" ;;
      *) grep -qxF -- "$line" "$d/pyoci.tree" ;;
    esac || { echo "#   missing in pyoci's image: $line"; miss=1; }
  done <"$d/newer"
  return $miss
}

conf_run() {
  export -f _conf_build _conf_docker_build
  export T PYOCI BUILDKIT_DOCKER PYOCI_STORE DOCKER_HOST
  local w n maxw=0
  for n in "${_conf_names[@]}"; do [ "${_conf_wave[$n]}" -gt $maxw ] && maxw=${_conf_wave[$n]}; done
  for w in $(seq 0 $maxw); do
    local names=()
    for n in "${_conf_names[@]}"; do [ "${_conf_wave[$n]}" = "$w" ] && names+=("$n"); done
    [ ${#names[@]} = 0 ] && continue
    # BuildKit builds wait on dockerd most of the time: run several at once
    printf '%s\n' "${names[@]}" | xargs -P "$CONF_JOBS" -n1 bash -c '_conf_build docker "$0"' &
    local dpid=$!
    for n in "${names[@]}"; do _conf_build pyoci "$n"; done
    wait $dpid
  done
  : >"$T/conf/list"
  for n in "${_conf_names[@]}"; do
    local d=$T/conf/$n
    if [ ! -f "$d/fail" ] && [ "$(cat "$d/newer-what" 2>/dev/null)" != all ] &&
      [ "$(cat "$d/docker.rc")" = 0 ] && [ "$(cat "$d/pyoci.rc")" = 0 ]; then
      echo "$n $d/docker.tar $d/pyoci.tar" >>"$T/conf/list"
    fi
  done
  python3 "$TOP/tests/tools/imgtree.py" batch "$T/conf/list" >"$T/conf/result"
  for n in "${_conf_names[@]}"; do _conf_report "$n"; done
}

_conf_report() {
  local n=$1 d=$T/conf/$1 drc prc
  drc=$(cat "$d/docker.rc") prc=$(cat "$d/pyoci.rc")
  local what="$n (${_conf_from[$n]})"
  if [ -f "$d/fail" ]; then
    [ "$drc" != 0 ] && [ "$prc" != 0 ]
    ok $? "$what: both refuse it"
    [ "$drc" != 0 ] || diag "  docker built it"
    [ -f "$d/nodocker" ] && diag "  $(cat "$d/docker.log")"
    [ "$prc" != 0 ] || diag "  pyoci built it"
    [ "$prc" = 0 ] || sed 's/^/#   pyoci: /' "$d/pyoci.log" | tail -2
    return
  fi
  if [ "$prc" != 0 ]; then
    ok 1 "$what: pyoci build"
    sed 's/^/#   /' "$d/pyoci.log" | tail -5
    return
  fi
  local newer_ok=0
  if [ -f "$d/newer" ]; then
    _conf_newer_check "$n" >"$d/newer.out"
    newer_ok=$?
    if [ "$(cat "$d/newer-what")" = all ]; then
      ok $newer_ok "$what: as current BuildKit ($(cat "$d/newer-why"))"
      cat "$d/newer.out"
      [ "$drc" = 0 ] && diag "  local BuildKit built it" || diag "  local BuildKit: $(grep -v '^ *$' "$d/docker.log" | tail -1)"
      return
    fi
  fi
  if [ "$drc" != 0 ]; then
    ok 1 "$what: docker build (BuildKit)"
    sed 's/^/#   /' "$d/docker.log" | tail -5
    return
  fi
  local res
  res=$(awk -v n="$n" '$1 == n && NF == 2 { on = 1; next } /^[^ ]/ { on = 0 } on { print }' "$T/conf/result")
  [ -f "$d/newer" ] && res=$(printf '%s\n' "$res" | grep -v '^  history:' || true)
  if [ -z "$res" ] && [ $newer_ok = 0 ] && grep -q "^$n \(ok\|diff\)$" "$T/conf/result"; then
    ok 0 "$what: pyoci matches BuildKit${res:+}$([ -f "$d/newer" ] && echo " (history as current BuildKit: $(cat "$d/newer-why"))")"
  else
    ok 1 "$what: pyoci matches BuildKit"
    printf '%s\n' "$res" | sed 's/^/#   /' | head -12
    [ -f "$d/newer.out" ] && cat "$d/newer.out"
  fi
}
