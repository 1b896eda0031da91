#!/bin/bash
# pyoci debug against a container started by podman (found with `podman
# container inspect`): the toolbox joins its pid, net, ipc and uts
# namespaces, sees its root at /proc/1/root, passes the command's exit
# status back, writes nothing into it (podman diff) and leaves nothing
# behind.  podman runs on a private storage and state in the test's temp
# dir (CONTAINERS_STORAGE_CONF, CONTAINERS_CONF, which pyoci's own podman
# calls inherit).
#
# Why the limits below: podman 4.3 as root asks the runtime for
# RLIMIT_NOFILE and RLIMIT_NPROC of 1048576 (or 32768), above this machine's
# hard limits, and raising a hard limit needs CAP_SYS_RESOURCE, which is not
# in its capability bounding set, so runc fails with "error setting rlimit
# type 7 (or 6): operation not permitted".  Limits at or below the hard ones
# (default_ulimits) are only lowered, which needs no privilege.
#
# What podman would still write on the machine whatever its configuration
# (containers/image's blob-info cache under /var/lib/containers, runc's
# state under /run/runc) goes to tmpfs mounts in a mount namespace private
# to this test: the test re-runs itself under unshare -m.
if [ -z "${PYOCI_T312_PRIVATE_NS:-}" ] && [ "$(id -u)" = 0 ] && command -v unshare >/dev/null; then
  export PYOCI_T312_PRIVATE_NS=1
  exec unshare -m --propagation private bash "$0" "$@"
fi
source "$(dirname "$0")/lib.sh"
need_root
command -v podman >/dev/null || skip_all "podman is not installed (scripts/deps.sh)"
[ -n "${PYOCI_T312_PRIVATE_NS:-}" ] || skip_all "unshare (util-linux) is needed to keep podman off the machine's /var/lib and /run"
# a tmpfs on each, or on its parent when it does not exist (podman would make it)
for d in /var/lib/containers /run/runc; do
  [ -d "$d" ] || d=$(dirname "$d")
  mount -t tmpfs -o mode=0700 pyoci-t312 "$d" || bail "cannot mount a tmpfs on $d"
done
command -v runc >/dev/null || skip_all "runc is not installed"
bb=$(command -v busybox) || skip_all "busybox-static is not installed (scripts/deps.sh)"

pc=""
trap '[ -n "$pc" ] && podman rm -f "$pc" >/dev/null 2>&1; _on_exit' EXIT
mounts() { grep -c " $PYOCI_STORE/" /proc/self/mountinfo; }
procs() { ps -eo pid,args | grep -F "$PYOCI_STORE" | grep -v grep | wc -l; }
cap() { local n=$1; [ "$n" = unlimited ] || [ "$n" -gt 4096 ] && n=4096; echo "$n"; }

P=$T/podman
mkdir -p "$P/tmp" "$P/cni"
cat >"$P/storage.conf" <<CONF
[storage]
driver = "vfs"
graphroot = "$P/root"
runroot = "$P/run"
CONF
cat >"$P/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=$(cap "$(ulimit -Hn)"):$(cap "$(ulimit -Hn)")", "nproc=$(cap "$(ulimit -Hu)"):$(cap "$(ulimit -Hu)")"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$P/events.log"
lock_type = "file"
runtime = "runc"
static_dir = "$P/root/libpod"
tmp_dir = "$P/tmp"
volume_path = "$P/root/volumes"
[network]
network_config_dir = "$P/cni"
CONF
export CONTAINERS_STORAGE_CONF=$P/storage.conf CONTAINERS_CONF=$P/containers.conf

# a busybox image with a file of its own, into podman through pyoci save
mkdir -p "$T/root/bin"
cp "$bb" "$T/root/bin/busybox"
for c in sh sleep cat; do ln -s busybox "$T/root/bin/$c"; done
echo "inside the podman target" >"$T/root/marker"
tar -C "$T/root" -cf "$T/root.tar" . || bail "tar"
"$PYOCI" import -q "$T/root.tar" -t podtarget:1 >/dev/null || bail "import"
"$PYOCI" save -o "$T/img.tar" podtarget:1 || bail "save"
run podman load -q -i "$T/img.tar"
is "$rc" 0 "podman load of pyoci save's archive"

# the lookup: a name podman does not know
run "$PYOCI" debug podman://no-such -- true
is "$rc:$err" "1:pyoci: No such container: no-such" "podman://NAME that podman does not know: one line, exit 1"

pc=$(podman run -d --network=host --name pyoci-t312 podtarget:1 sleep 300 2>"$T/podman.err") ||
  bail "podman run failed: $(tail -2 "$T/podman.err")"
like "$pc" '^[0-9a-f]{64}$' "podman run -d --network=host (private storage, limits within the hard ones)"
tpid=$(podman inspect -f '{{.State.Pid}}' "$pc")
diff_before=$(podman diff "$pc")

run "$PYOCI" debug "podman://$pc" -- ps
is "$rc" 0 "pyoci debug podman://ID -- ps"
like "$out" "(^|"$'\n'")[[:space:]]*1 [^"$'\n'"]*sleep 300" "ps lists the target's process as PID 1"
run "$PYOCI" debug pyoci-t312 -- cat /proc/1/root/marker
is "$out" "inside the podman target" "by name, without a scheme: found through podman; /proc/1/root is its root"
want_ns=$(for n in pid net ipc uts; do readlink "/proc/$tpid/ns/$n"; done | tr '\n' ' ')
run "$PYOCI" debug "podman://pyoci-t312" -- sh -c 'for n in pid net ipc uts; do readlink /proc/self/ns/$n; done | tr "\n" " "'
is "$out" "$want_ns" "the toolbox is in the target's pid, net, ipc, uts namespaces"
run "$PYOCI" debug --print-env "podman://$pc"
like "$out" "(^|"$'\n'")container=podman($|"$'\n'")" "--print-env shows the target's environment (podman's container=podman)"
run "$PYOCI" debug "podman://$pc" -- sh -c 'exit 3'
is "$rc" 3 "the command's exit status comes back"
is "$(podman diff "$pc")" "$diff_before" "nothing was written into the target (podman diff unchanged)"
is "$(mounts)$(procs)" "00" "no mount, toolbox or runtime process left"

podman stop -t 0 "$pc" >/dev/null 2>&1
run "$PYOCI" debug "podman://$pc" -- true
is "$rc:$err" "1:pyoci: container $pc is not running" "a stopped podman container: one line, exit 1"
podman rm -f "$pc" >/dev/null 2>&1; pc=""
run "$PYOCI" debug podman://pyoci-t312 -- true
is "$err" "pyoci: No such container: pyoci-t312" "a removed one: no such container"

done_testing
