#!/bin/bash
# Prove the README's first command works on a fresh Debian 12 machine.
#
# CI runs where the packages are already installed, so a missing install step
# (or a Makefile that reads pkg-config before the -dev packages exist) never
# shows there.  This makes a minimal bookworm root with mmdebstrap (only what
# a user needs to type the README's commands: git and make), clones this
# repository into it, and runs `make check` inside it with two unit tests,
# then `build/pyoci --version`.  Everything else -- compilers, -dev packages,
# runc, docker.io -- must come from scripts/deps.sh on the first try.
#
# usage: scripts/fresh-machine-check.sh [WORKDIR]   (root; needs mmdebstrap)
# Exit 0 and a last line "fresh-machine-check: ok" when it holds.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
[ "$(id -u)" = 0 ] || { echo "fresh-machine-check: run as root" >&2; exit 2; }
command -v mmdebstrap >/dev/null || { echo "fresh-machine-check: needs mmdebstrap (scripts/deps.sh)" >&2; exit 2; }

work=${1:-$(mktemp -d /tmp/pyoci-fresh.XXXXXX)}
root=$work/root
cleanup() {
  awk -v w="$root" 'index($2, w) == 1 { print $2 }' /proc/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  [ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

echo "== mmdebstrap bookworm (minbase + git, make) into $root"
mmdebstrap --quiet --variant=minbase --include=git,make,ca-certificates bookworm "$root" \
  "deb http://deb.debian.org/debian bookworm main" \
  "deb http://deb.debian.org/debian bookworm-updates main" \
  "deb http://deb.debian.org/debian-security bookworm-security main"

echo "== clean clone of $(git -C "$top" rev-parse --short HEAD) into /src"
git clone -q "$top" "$root/src"
cp -L /etc/resolv.conf "$root/etc/resolv.conf"

# The README's test command, limited to two unit tests: deps install, the
# build (this is where a stale pkg-config used to fail), then real tests --
# test_lazylib opens libcurl and libarchive, which pyoci only dlopens, so a
# runtime package the -dev ones did not bring would show here.
cmd='set -e; cd /src; export DEBIAN_FRONTEND=noninteractive PYOCI_NO_DOCKER=1;
     make check TESTS="build/tests/unit/test_util build/tests/unit/test_lazylib"; build/pyoci --version'
echo "== chroot: $cmd"
unshare --mount --pid --fork --kill-child sh -c "
  mount -t proc proc '$root/proc' && mount -t sysfs sys '$root/sys' &&
  mount --rbind /dev '$root/dev' && mount --make-rslave '$root/dev' &&
  exec chroot '$root' /bin/sh -c '$cmd'" 2>&1 | tee "$work/log" | grep -v -E '^(Get|Unpacking|Selecting|Preparing|Setting up|Processing) ' || {
  echo "fresh-machine-check: FAILED (log: $work/log)" >&2; KEEP=1; exit 1; }
grep -q "^pyoci version " "$work/log" || { echo "fresh-machine-check: no 'pyoci --version' line" >&2; KEEP=1; exit 1; }
echo "fresh-machine-check: ok"
