#!/bin/bash
# Exit statuses of `pyoci run` and `pyoci exec` side by side with docker's
# on the same image (a busybox one, given to dockerd with pyoci save |
# docker load): a command that is not there, a file that is not
# executable, a PATH that does not hold the command, a relative path from
# the working directory, the command's own status.  pyoci must answer each
# as docker does; runc alone would say 255 for every failed exec.
source "$(dirname "$0")/lib.sh"
need_root
need_docker
command -v runc >/dev/null || skip_all "runc is not installed"
bb=$(command -v busybox) || skip_all "busybox-static is not installed (scripts/deps.sh)"

cid=""; pcid=""
trap '[ -n "$cid" ] && docker rm -f "$cid" >/dev/null 2>&1; [ -n "$pcid" ] && "$PYOCI" rm -f "$pcid" >/dev/null 2>&1; _on_exit' EXIT

# busybox, its applets as links, a file that is not executable, a script
# in the working directory
mkdir -p "$T/root/bin" "$T/root/etc" "$T/root/work"
cp "$bb" "$T/root/bin/busybox"
for c in sh sleep true cat; do ln -s busybox "$T/root/bin/$c"; done
echo "not a program" >"$T/root/etc/data" && chmod 0644 "$T/root/etc/data"
printf '#!/bin/sh\nexit 9\n' >"$T/root/work/run.sh" && chmod 0755 "$T/root/work/run.sh"
tar -C "$T/root" -cf "$T/root.tar" . || bail "tar"
"$PYOCI" import -q "$T/root.tar" -t pyoci-status:1 --change 'WORKDIR /work' \
  --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' >/dev/null || bail "import"
"$PYOCI" save -o "$T/img.tar" pyoci-status:1 && docker load -q -i "$T/img.tar" >/dev/null || bail "docker load"

status() { "$@" >/dev/null 2>&1; echo $?; }

# ---- run ----
for args in "nosuchcmd" "/etc/data" "/bin/nosuch" "./run.sh" "sh -c exit\ 7"; do
  eval "set -- $args"
  d=$(status docker run --rm --network=host pyoci-status:1 "$@")
  p=$(status "$PYOCI" run --rm --network host pyoci-status:1 "$@")
  is "$p" "$d" "run IMAGE $args: pyoci exits $p, as docker ($d)"
done
run "$PYOCI" run --rm pyoci-status:1 nosuchcmd
is "$err" 'pyoci: exec: "nosuchcmd": executable file not found in $PATH' "run: docker's words for a missing command"
run "$PYOCI" run --rm pyoci-status:1 /etc/data
is "$err" 'pyoci: exec: "/etc/data": permission denied' "run: docker's words for a file that is not executable"

# ---- exec in a running container ----
cid=$(docker run -d --network=host pyoci-status:1 sleep 300) || bail "docker run -d"
pcid=$("$PYOCI" run -d --network host pyoci-status:1 sleep 300) || bail "pyoci run -d"
for args in "nosuchcmd" "/etc/data" "/bin/nosuch" "./run.sh" "sh -c exit\ 5" "-w / ./run.sh" "-e PATH=/nowhere sh -c true" \
  "-e PATH=/bin sh -c exit\ 3"; do
  eval "set -- $args"
  opts=()
  while [ "${1:0:1}" = "-" ]; do opts+=("$1" "$2"); shift 2; done
  d=$(status docker exec "${opts[@]}" "$cid" "$@")
  p=$(status "$PYOCI" exec "${opts[@]}" "$pcid" "$@")
  is "$p" "$d" "exec C $args: pyoci exits $p, as docker ($d)"
done
run docker exec "$cid" nosuchcmd
diag "docker exec C nosuchcmd: $rc: out: $out err: $err"
run docker run --rm pyoci-status:1 nosuchcmd
diag "docker run IMAGE nosuchcmd: $rc: $err"
run "$PYOCI" exec "$pcid" nosuchcmd
like "$err" '^pyoci: exec: "nosuchcmd": executable file not found in \$PATH$' "exec: one line, docker's words"
run "$PYOCI" exec "$pcid" cat /etc/data
is "$out:$rc" "not a program:0" "exec still runs what is there"

done_testing
