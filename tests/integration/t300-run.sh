#!/bin/bash
# pyoci run and the container verbs (ps, logs, stop, kill, rm, exec) on a
# real Debian python3 image: docker's config merging, exit codes passed
# through, signals forwarded, state under the store, and nothing left behind
# (mounts in /proc/self/mountinfo, processes in the process table) -- also
# when pyoci itself is killed with SIGKILL.
source "$(dirname "$0")/lib.sh"
need_root
command -v runc >/dev/null || skip_all "runc is not installed"
command -v mmdebstrap >/dev/null || skip_all "mmdebstrap is not installed (scripts/deps.sh)"
rootfs=$(fixture_bookworm_python) || bail "no bookworm rootfs fixture"

"$PYOCI" import "$rootfs" -t py:1 --change 'CMD ["python3"]' --change 'ENV GREETING=image' \
  --change 'WORKDIR /srv' >/dev/null
ok $? "import a bookworm python3 rootfs as py:1"

mounts() { grep -c " $PYOCI_STORE/" /proc/self/mountinfo; }
procs() { ps -eo pid,args | grep -F "$PYOCI_STORE" | grep -v grep | wc -l; }

run "$PYOCI" run --rm py:1 python3 -c 'print(42)'
is "$out" 42 "pyoci run --rm py:1 python3 -c 'print(42)' prints 42"
is "$rc" 0 "and exits 0"
is "$(ls "$PYOCI_STORE/containers" 2>/dev/null | grep -vc '^\.lock$')" 0 "--rm: no container left in the store"
is "$(mounts)" 0 "--rm: no mount left under the store"

# exit codes: the command's own, 127 not found, 126 not executable, 125 ours
run "$PYOCI" run --rm py:1 sh -c 'exit 7'
is "$rc" 7 "exit code 7 passes through"
# (with --init: a PID 1 without a handler is immune to signals from inside)
run "$PYOCI" run --rm --init py:1 sh -c 'kill -TERM $$'
is "$rc" 143 "killed by SIGTERM: 128+15, as docker run reports"
run "$PYOCI" run --rm py:1 no-such-command
is "$rc" 127 "a missing command: exit 127"
is "$err" 'pyoci: exec: "no-such-command": executable file not found in $PATH' "with docker's one-line message"
run "$PYOCI" run --rm py:1 /etc/passwd
is "$rc" 126 "a file that is not executable: exit 126"
run "$PYOCI" run --rm no/such:image true
is "$rc" 125 "an image that is not in the store: exit 125"
like "$err" "^pyoci: .*no/such:image" "one line naming the image"

# docker's config merging
run "$PYOCI" run --rm py:1 sh -c 'echo "$GREETING $PWD $(id -u)"'
is "$out" "image /srv 0" "the image's Env and WorkingDir apply"
run "$PYOCI" run --rm -e GREETING=flag -e EXTRA=1 -w /tmp -u 65534 py:1 sh -c 'echo "$GREETING $EXTRA $PWD $(id -u):$(id -g)"'
is "$out" "flag 1 /tmp 65534:65534" "-e overrides the image's Env, -w the WorkingDir, -u the user (group from passwd)"
printf 'FROMFILE=yes\n# a comment\n' >"$T/env"
run "$PYOCI" run --rm --env-file "$T/env" py:1 sh -c 'echo $FROMFILE'
is "$out" yes "--env-file"
run "$PYOCI" run --rm py:1
is "$rc" 0 "no command: the image's CMD (python3 with stdin closed) runs"
run "$PYOCI" run --rm --entrypoint /bin/echo py:1 a b
is "$out" "a b" "--entrypoint replaces the entrypoint, arguments follow it"
run "$PYOCI" run --rm --entrypoint "" py:1
is "$rc" 125 "--entrypoint '' clears the image's CMD too: no command"
like "$err" "No command specified" "docker's message"
mkdir -p "$T/vol" && echo from-host >"$T/vol/f"
run "$PYOCI" run --rm -v "$T/vol:/data:ro" py:1 sh -c 'cat /data/f; touch /data/g 2>/dev/null || echo ro'
is "$out" "from-host"$'\n'"ro" "-v HOST:CTR:ro bind-mounts read-only"
run "$PYOCI" run --rm --read-only --tmpfs /scratch py:1 sh -c 'touch /x 2>/dev/null || echo ro; touch /scratch/y && echo tmpfs'
is "$out" "ro"$'\n'"tmpfs" "--read-only root, --tmpfs writable"
run "$PYOCI" run --rm --network none py:1 python3 -c 'import socket; print(len(socket.if_nameindex()))'
is "$out" 1 "--network none: only the loopback interface"
run "$PYOCI" run --rm --init py:1 sh -c 'cat /proc/1/cmdline | tr "\0" " "'
like "$out" "^/sbin/docker-init -- sh" "--init: docker-init is PID 1"

# stdin with -i, a terminal with -it (script(1) gives pyoci one)
run sh -c "printf 'echo from-stdin\nexit 6\n' | '$PYOCI' run --rm -i py:1 sh"
is "$out/$rc" "from-stdin/6" "-i: stdin reaches the process"
run sh -c "echo hidden | '$PYOCI' run --rm py:1 sh -c 'cat; echo end'"
is "$out" "end" "without -i the process reads /dev/null, as with docker"
if command -v script >/dev/null; then
  : >"$T/empty"
  out=$(timeout 60 script -qec "'$PYOCI' run --rm -it py:1 sh -c 'test -t 0 && test -t 1 && echo \"tty \$TERM\"'" "$T/typescript" <"$T/empty" | tr -d '\r\0' | sed 's/\^@//g')
  is "$out" "tty xterm" "-it: stdin and stdout are a terminal, TERM=xterm"
else
  skip "script(1) is not installed"
fi

# -d, ps, logs, exec, stop
cid=$("$PYOCI" run -d --name sleeper py:1 python3 -c '
import signal, sys, time
print("started", flush=True)
print("to stderr", file=sys.stderr, flush=True)
signal.signal(signal.SIGTERM, lambda *a: (print("got TERM", flush=True), sys.exit(3)))
time.sleep(300)')
like "$cid" '^[0-9a-f]{64}$' "run -d prints the container ID"
run "$PYOCI" ps
like "$out" "^CONTAINER ID +IMAGE +COMMAND +CREATED +STATUS +PORTS +NAMES" "ps: docker's columns"
like "$out" "${cid:0:12} +py:1 +\"python3 -c .*\" +.* ago +Up .* +sleeper" "ps: the running container"
for _ in $(seq 50); do "$PYOCI" logs sleeper 2>/dev/null | grep -q started && break; sleep 0.1; done
run "$PYOCI" logs sleeper
is "$out" "started" "logs: the container's stdout on stdout"
is "$err" "to stderr" "logs: its stderr on stderr"
run "$PYOCI" exec sleeper sh -c 'echo "$GREETING $(cat /proc/1/comm)"'
is "$out" "image python3" "exec runs in the container's namespaces with its env"
run "$PYOCI" exec sleeper sh -c 'exit 4'
is "$rc" 4 "exec passes the exit code through"
run "$PYOCI" stop -t 5 sleeper
is "$out" sleeper "stop prints the name"
run "$PYOCI" logs sleeper
like "$out" "got TERM" "stop sent SIGTERM to the process"
run "$PYOCI" ps -a --format x 2>/dev/null
run "$PYOCI" ps -a
like "$out" "Exited \(3\) .* ago +sleeper" "ps -a: its exit code"
run "$PYOCI" ps -q
is "$out" "" "ps: no running container"
run "$PYOCI" rm sleeper
is "$rc" 0 "rm"
run "$PYOCI" logs sleeper
is "$rc" 1 "gone after rm"
is "$err" "pyoci: No such container: sleeper" "docker's message"

# stop escalates to SIGKILL after -t for a process that ignores SIGTERM
"$PYOCI" run -d --name stubborn py:1 python3 -c 'import signal,time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(300)' >/dev/null
start=$(date +%s%N)
"$PYOCI" stop -t 1 stubborn >/dev/null
took=$(( ($(date +%s%N) - start) / 1000000 ))
run "$PYOCI" ps -a
like "$out" "Exited \(137\).*stubborn" "stop -t 1: SIGKILL after the timeout (exit 137)"
diag "stop -t 1 took ${took} ms"
ok $([ "$took" -lt 20000 ]; echo $?) "stop returned (after ${took} ms)"
run "$PYOCI" rm stubborn
"$PYOCI" run -d --name busy py:1 sleep 300 >/dev/null
run "$PYOCI" rm busy
is "$rc" 1 "rm of a running container fails"
like "$err" "You cannot remove a running container" "with docker's message"
run "$PYOCI" rm -f busy
is "$rc" 0 "rm -f kills and removes it"
run "$PYOCI" run -d --name busy py:1 true
is "$rc" 0 "the name is free again"
"$PYOCI" rm -f busy >/dev/null

# kill: the signal reaches the process
"$PYOCI" run -d --name k py:1 python3 -c 'import signal,sys,time; signal.signal(signal.SIGUSR1, lambda *a: sys.exit(9)); print("ready", flush=True); time.sleep(300)' >/dev/null
for _ in $(seq 50); do "$PYOCI" logs k 2>/dev/null | grep -q ready && break; sleep 0.1; done
"$PYOCI" kill -s USR1 k >/dev/null
for _ in $(seq 50); do "$PYOCI" ps -q | grep -q . || break; sleep 0.1; done
run "$PYOCI" ps -a
like "$out" "Exited \(9\).* k$" "kill -s USR1 reached the process (it exited 9)"
"$PYOCI" rm k >/dev/null

# signals to a foreground pyoci run are forwarded
"$PYOCI" run --rm py:1 python3 -c 'import signal,sys,time; signal.signal(signal.SIGTERM, lambda *a: sys.exit(5)); print("ready", flush=True); time.sleep(300)' >"$T/fg.out" &
fg=$!
for _ in $(seq 300); do grep -q ready "$T/fg.out" && break; sleep 0.1; done
kill -TERM $fg
wait $fg
is "$?" 5 "SIGTERM to pyoci run reaches the process; its exit code comes back"

# kill -9 of pyoci run: the watchdog removes the container.  The command
# carries a token of this run, so other tests' sleepers on a shared machine
# are not counted; the waits are generous because a loaded machine is slow.
tok="k9-token-$$-$RANDOM"
sleepers() { ps -eo args | grep -F "$tok" | grep -vc grep; }
"$PYOCI" run --rm py:1 python3 -c "import time; print('ready', flush=True); time.sleep(300)  # $tok" >"$T/k9.out" &
fg=$!
for _ in $(seq 300); do grep -q ready "$T/k9.out" && break; sleep 0.1; done
kill -9 $fg
wait $fg 2>/dev/null
for _ in $(seq 300); do [ "$(procs)" = 0 ] && [ "$(mounts)" = 0 ] && [ "$(sleepers)" = 0 ] && break; sleep 0.1; done
is "$(sleepers)" 0 "kill -9 of pyoci run: the container's process is gone"
is "$(mounts)" 0 "no mount left under the store"
is "$(procs)" 0 "no runtime or watchdog process left"
is "$(ls "$PYOCI_STORE/containers" | grep -vc '^\.lock$')" 0 "--rm container removed"

is "$(mounts)" 0 "at the end: no mount left under the store"
done_testing
