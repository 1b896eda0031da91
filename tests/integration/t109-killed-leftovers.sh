#!/bin/bash
# Issue 9 item 8: kill -9 trials of import, build and save.  After each
# kill the *next* command that opens the store (here `pyoci images`, not
# prune) finds no scratch directory, no mount and no temp file: the store's
# tmp/ names carry their process's pid, and entries of dead pids are removed
# (mounts detached first) on every store open; -o outputs are O_TMPFILEs
# that only get a name when complete.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/build-lib.sh"
need_root
make_bb_image || bail "cannot make the bb:1 base image"
cd "$T" || bail "no temp dir"

mounts_here() { awk -v s="$T/" 'index($2, s) == 1' /proc/mounts | wc -l; }
# after_kill WHAT: the next command cleans up
after_kill() {
  run "$PYOCI" images -q
  is "$rc" 0 "$1: the next command (images) works"
  is "$(ls -A "$PYOCI_STORE/tmp" | tr '\n' ' ')" "" "$1: no scratch left in the store's tmp/"
  is "$(mounts_here)" 0 "$1: no mount left"
}
# kill_when PID TEST-CMD: kill -9 PID as soon as TEST-CMD succeeds (max 30 s)
kill_when() {
  local pid=$1; shift
  for _ in $(seq 300); do eval "$*" && break; kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
}

# ---- import: killed while unpacking a tarball into tmp/import-<pid>-* ----
mkdir -p big
head -c 150000000 /dev/urandom >big/blob
tar -cf big.tar -C big .
for delay in 0 0.3; do
  "$PYOCI" import big.tar -t big:1 >/dev/null 2>&1 &
  pid=$!
  kill_when "$pid" "ls $PYOCI_STORE/tmp 2>/dev/null | grep -q import- && sleep $delay"
  after_kill "import killed (+${delay}s)"
done

# ---- build: killed in a RUN with bind, cache and tmpfs mounts ----
C=$T/ctx
mkdir -p "$C"
echo ctx >"$C/f"
marker=$((4000 + $$ % 5000))
printf 'FROM bb:1\nRUN --mount=type=cache,id=keep,target=/c echo kept >/c/seed\n' >"$C/Dockerfile"
"$PYOCI" build -q -t seed:1 "$C" >/dev/null || bail "seed build"
printf 'FROM bb:1\nARG S=%s\nRUN --mount=type=bind,source=f,target=/f --mount=type=bind,target=/ctx --mount=type=cache,id=keep,target=/c --mount=type=tmpfs,target=/t echo started && sleep $S\n' \
  "$marker" >"$C/Dockerfile"
for trial in 1 2; do
  "$PYOCI" build -t killed:1 "$C" >"$T/build.log" 2>&1 &
  pid=$!
  kill_when "$pid" "grep -q '^  started\$' $T/build.log"
  for _ in $(seq 50); do pgrep -f "sleep $marker\$" >/dev/null || break; sleep 0.1; done
  after_kill "build killed in RUN --mount (trial $trial)"
done
cache=$(ls -d "$PYOCI_STORE"/cache/mounts/*/ | head -n 1)
is "$(cat "$cache/seed" 2>/dev/null)" kept "the cache mount's content survived the clean-up (never deleted through a bind)"
is "$(cat "$C/f")" ctx "the context survived the clean-up"

# ---- save: killed while writing -o OUT ----
"$PYOCI" import big -t big:2 >/dev/null || bail "import big"
echo old-archive >out.tar
for delay in 0.2 0.5; do
  "$PYOCI" save big:2 -o out.tar &
  pid=$!
  sleep "$delay"
  kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  run "$PYOCI" images -q
  is "$(ls -A | grep '^out\.tar' | tr '\n' ' ')" "out.tar " "save killed (+${delay}s): no temp file beside the output"
  is "$(cat out.tar)" old-archive "save killed (+${delay}s): the old output is untouched"
done
"$PYOCI" save big:2 -o out.tar
ok $([ "$(stat -c %s out.tar)" -gt 150000000 ]; echo $?) "an unkilled save then replaces it"
done_testing
