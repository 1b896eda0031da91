#!/bin/bash
# kill -9 of a build in the middle of a RUN step: the step's processes die
# with it (runc's supervisor kills the container), no image or tag appears,
# fsck stays clean, the next prune/gc unmounts and removes the step's
# scratch, and the next build works.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/build-lib.sh"
need_root
make_bb_image || bail "cannot make the bb:1 base image"

marker=$((4000 + $$ % 5000)) # a sleep length nobody else uses
C=$T/ctx
mkdir -p "$C"
printf 'FROM bb:1\nARG S=%s\nRUN echo started && sleep $S && echo done >/x\n' "$marker" >"$C/Dockerfile"
step_pids() { pgrep -f "sleep $marker\$" || true; }

"$PYOCI" build -t killed:1 "$C" >"$T/build.log" 2>&1 &
build=$!
_pids+=("$build")
for _ in $(seq 100); do grep -q '^  started$' "$T/build.log" && break; sleep 0.1; done
grep -q '^  started$' "$T/build.log" || bail "the RUN step did not start"
is "$(step_pids | wc -l)" "1" "the RUN step is running"
kill -9 "$build"
wait "$build" 2>/dev/null
for _ in $(seq 50); do [ -z "$(step_pids)" ] && break; sleep 0.1; done
left=$(step_pids)
is "$left" "" "killing pyoci -9 kills the step's processes too"
[ -z "$left" ] || kill -9 $left 2>/dev/null # by PID: do not leave them behind
run "$PYOCI" images --format '{{.Repository}}:{{.Tag}}'
is "$(grep -c '^killed:' <<<"$out")" "0" "no image was tagged"
run "$PYOCI" fsck
is "$rc" 0 "fsck is clean after the kill"
run "$PYOCI" prune -f
is "$rc" 0 "prune after the kill"
is "$(awk -v s="$PYOCI_STORE/" 'index($2, s) == 1' /proc/mounts | wc -l)" "0" "prune unmounted the step's overlay"
is "$(ls -A "$PYOCI_STORE/tmp")" "" "and removed its scratch"
run "$PYOCI" build -q --build-arg S=0 -t killed:1 "$C"
is "$rc" 0 "the next build works"
done_testing
