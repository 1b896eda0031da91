#!/bin/bash
# pyoci debug against a shell-less Flask container (no /bin/sh, no tools):
# started by docker (found through the Docker Engine API on $DOCKER_HOST),
# by pyoci itself, and given as a host PID.  The busybox toolbox joins the
# target's pid, net, ipc, uts namespaces and cgroup: `ps` lists the app,
# /proc/1/root and /target are its root, 127.0.0.1 is its loopback.  Nothing
# is written into the target (docker diff), nothing is left behind (mounts,
# processes).  Bad inputs give one line and a non-zero status.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/fixtures.sh"
need_root
need_docker
command -v runc >/dev/null || skip_all "runc is not installed"
command -v mmdebstrap >/dev/null || skip_all "mmdebstrap is not installed (scripts/deps.sh)"
[ -x /bin/busybox ] || skip_all "busybox-static is not installed (scripts/deps.sh)"
rootfs=$(fixture_bookworm_flask) || bail "no bookworm+flask rootfs fixture"

cid=""; pcid=""
trap '[ -n "$cid" ] && docker rm -f "$cid" >/dev/null 2>&1; [ -n "$pcid" ] && "$PYOCI" rm -f "$pcid" >/dev/null 2>&1; _on_exit' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
mounts() { grep -c " $PYOCI_STORE/" /proc/self/mountinfo; }
procs() { ps -eo pid,args | grep -F "$PYOCI_STORE" | grep -v grep | wc -l; }

# A shell-less Flask image: Debian's python3-flask, every shell removed, the
# article's app (port from $PORT so tests never collide on 5000).
mkdir "$T/root" && tar -C "$T/root" -xf "$rootfs"
rm -f "$T/root"/usr/bin/{sh,dash,bash,rbash} "$T/root"/bin/{sh,dash,bash,rbash}
# and what a distroless image leaves out too (perl, docs, locales): a
# smaller image keeps import, save and docker load quick
rm -rf "$T/root"/usr/share/{locale,perl,doc,man,info,i18n,zoneinfo} "$T/root"/usr/lib/x86_64-linux-gnu/{perl,perl-base,gconv} \
  "$T/root"/usr/bin/perl* "$T/root"/var/cache/* "$T/root"/var/lib/apt/lists/*
mkdir -p "$T/root/app"
sed 's/port=5000/port=int(__import__("os").environ["PORT"])/' "$TOP/examples/flask-hello/app.py" >"$T/root/app/app.py"
cp "$T/root/app/app.py" "$T/app.py"
port=$(free_port)
"$PYOCI" import "$T/root" -t shellless:1 --change 'CMD ["python3", "/app/app.py"]' \
  --change 'WORKDIR /app' --change "ENV PORT=$port" >/dev/null
ok $? "a shell-less Flask image (Debian python3-flask, shells removed)"
run "$PYOCI" run --rm shellless:1 sh -c true
is "$rc" 127 "it really has no shell: pyoci run ... sh exits 127"

wait_http() { # URL [CHECK-CMD]: until it answers
  for _ in $(seq 150); do curl -fsS --max-time 2 "$1" 2>/dev/null && return 0; sleep 0.2; done; return 1; }

# ---- a docker container ----
"$PYOCI" save -o "$T/img.tar" shellless:1 && docker load -q -i "$T/img.tar" >/dev/null
ok $? "docker load of the image"
cid=$(docker run -d --network=host shellless:1)
like "$cid" '^[0-9a-f]{64}$' "docker run -d --network=host shellless:1"
is "$(wait_http "http://127.0.0.1:$port/")" "Hello, World!" "the app answers"
run docker exec "$cid" sh -c true
ok $([ "$rc" != 0 ]; echo $?) "docker exec ... sh fails: no shell in the container"
diff_before=$(docker diff "$cid")

run "$PYOCI" debug "$cid" -- ps
is "$rc" 0 "pyoci debug CONTAINER -- ps"
like "$out" "(^|"$'\n'")[[:space:]]*1 [^"$'\n'"]*python3 /app/app.py" "ps lists the app as PID 1 of the shared pid namespace"
run "$PYOCI" debug "$cid" -- cat /proc/1/root/app/app.py
is "$out" "$(cat "$T/app.py")" "-- cat /proc/1/root/app/app.py prints the app"
run "$PYOCI" debug "$cid" -- cat /target/app/app.py
like "$out" "Hello, World!" "/target is the target's root too"
run "$PYOCI" debug "$cid" -- wget -qO- "127.0.0.1:$port"
is "$out" "Hello, World!" "-- wget -qO- 127.0.0.1:PORT answers from inside its network namespace"
tpid=$(docker inspect --format '{{.State.Pid}}' "$cid")
want_ns=$(for n in pid net ipc uts; do readlink /proc/$tpid/ns/$n; done | tr '\n' ' ')
run "$PYOCI" debug "$cid" -- sh -c 'for n in pid net ipc uts; do readlink /proc/self/ns/$n; done | tr "\n" " "'
is "$out" "$want_ns" "the toolbox is in the target's pid, net, ipc, uts namespaces"
run "$PYOCI" debug "$cid" -- cat /proc/self/cgroup
is "$(echo "$out" | sort)" "$(sort /proc/$tpid/cgroup)" "and in its cgroups"
run "$PYOCI" debug --print-env "$cid"
like "$out" "(^|"$'\n'")PORT=$port($|"$'\n'")" "--print-env shows the target's environment"
run "$PYOCI" debug "docker://$cid" -- sh -c 'exit 3'
is "$rc" 3 "docker://ID works too; the command's exit code comes back"
is "$(docker diff "$cid")" "$diff_before" "nothing was written into the target (docker diff unchanged)"
is "$(mounts)" 0 "no mount left under the store"
is "$(procs)" 0 "no toolbox, runtime or watchdog process left"
is "$(ls "$PYOCI_STORE/containers" | grep -vc '^\.lock$')" 0 "no toolbox container state left"

# the host PID of the same process
run "$PYOCI" debug "$tpid" -- sh -c 'tr "\0" " " </proc/1/cmdline'
is "$out" "python3 /app/app.py " "a host PID is a target too"

# the target exits during the session
"$PYOCI" debug "$cid" -- sleep 60 >"$T/gone.out" 2>"$T/gone.err" &
dbg=$!
# until the toolbox's sleep runs in the target's pid namespace (not any
# `sleep 60` on the machine): killed before that, the target takes the
# session down while the runtime is still joining it, and the runtime's own
# complaints come before pyoci's one line (seen on a loaded machine)
for _ in $(seq 600); do pgrep --ns "$tpid" --nslist pid -x sleep >/dev/null && break; sleep 0.1; done
docker rm -f "$cid" >/dev/null; cid=""
wait $dbg
is "$?" 1 "the target killed during the session: exit status 1"
like "$(cat "$T/gone.err")" "^pyoci: the target .* exited during the debug session$" "with one line"
run "$PYOCI" debug "$tpid" -- true
is "$rc" 1 "a PID that is gone: exit status 1"
is "$err" "pyoci: No such process: $tpid" "one line"
for _ in $(seq 50); do [ "$(procs)" = 0 ] && break; sleep 0.1; done
is "$(mounts)$(procs)" "00" "nothing left after the target died"

# ---- a pyoci container (private network: 127.0.0.1 is only its own) ----
pcid=$("$PYOCI" run -d --network none shellless:1)
like "$pcid" '^[0-9a-f]{64}$' "pyoci run -d --network none shellless:1"
for _ in $(seq 100); do "$PYOCI" debug "$pcid" -- wget -qO- "127.0.0.1:$port" >"$T/p.out" 2>/dev/null && break; sleep 0.2; done
is "$(cat "$T/p.out")" "Hello, World!" "pyoci debug ID -- wget 127.0.0.1:PORT reaches the app in its own network namespace"
run curl -fsS --max-time 2 "http://127.0.0.1:$port/"
ok $([ "$rc" != 0 ]; echo $?) "(the host cannot reach it: the namespace really is private)"
run "$PYOCI" debug "$pcid" -- ps
like "$out" "python3 /app/app.py" "-- ps lists its python process"
run "$PYOCI" debug "$pcid" -- cat /proc/1/root/app/app.py
like "$out" "def hello_world" "-- cat /proc/1/root/app/app.py"
run "$PYOCI" ps -a -q
is "$out" "${pcid:0:12}" "ps lists the container, not the toolboxes"
is "$(mounts)" 1 "only the container's own root is mounted"

# ---- an image, with the toolbox at /.debug (cdebug exec) ----
failed_before=$_tap_failed
run "$PYOCI" debug shellless:1 --image pyoci/toolbox:busybox -- sh -c 'ls /app; which wget; echo $PATH'
is "$rc" 0 "pyoci debug IMAGE --image TOOLBOX"
like "$out" "^app.py"$'\n'"/.debug/bin/wget"$'\n'".*:/.debug/bin$" "the image's root, the toolbox's tools on PATH from /.debug"
[ "$_tap_failed" = "$failed_before" ] || diag "its stderr: $err"

# ---- bad input ----
run "$PYOCI" debug "$pcid" --image no/such:toolbox -- true
is "$rc" 1 "a toolbox that is not in the store: exit 1"
is "$err" "pyoci: toolbox image: No such image: no/such:toolbox" "one line"
run "$PYOCI" debug no-such-container -- true
is "$rc" 1 "an unknown target: exit 1"
is "$err" "pyoci: No such container: no-such-container" "one line"
"$PYOCI" stop -t 1 "$pcid" >/dev/null
run "$PYOCI" debug "$pcid" -- true
is "$rc" 1 "a stopped pyoci container: exit 1"
is "$err" "pyoci: container $pcid is not running" "one line"
"$PYOCI" rm "$pcid" >/dev/null; pcid=""

# no permission on the docker socket: a socket only root may use, an
# unprivileged user
sockdir=$(mktemp -d /tmp/pyoci-sock.XXXXXX); chmod 755 "$sockdir"
python3 -c 'import socket,sys,time; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(); time.sleep(60)' "$sockdir/docker.sock" &
spid=$!; _pids+=("$spid")
for _ in $(seq 50); do [ -S "$sockdir/docker.sock" ] && break; sleep 0.1; done
chmod 600 "$sockdir/docker.sock"
run setpriv --reuid=65534 --regid=65534 --clear-groups env DOCKER_HOST="unix://$sockdir/docker.sock" \
  "$PYOCI" --store "$sockdir/store" debug docker://web -- true
is "$rc" 1 "no permission on the docker socket: exit 1"
is "$err" "pyoci: permission denied while trying to connect to the Docker daemon socket at unix://$sockdir/docker.sock" \
  "docker's one-line message"
kill "$spid" 2>/dev/null; rm -rf "$sockdir"
run env DOCKER_HOST=unix:///nonexistent.sock "$PYOCI" debug docker://web -- true
is "$err" "pyoci: Cannot connect to the Docker daemon at unix:///nonexistent.sock. Is the docker daemon running?" \
  "no daemon: docker's message"

# podman targets: t312-debug-podman.sh (a podman container, private storage)

is "$(mounts)$(procs)" "00" "at the end: no mounts or processes left"
done_testing
