#!/bin/sh
# Install every Debian package pyoci needs to build, test, benchmark and run its
# demo.  Idempotent.  --if-missing: do nothing when all are already installed.
set -eu
PKGS="build-essential pkg-config git ca-certificates
libcurl4-openssl-dev libssl-dev libarchive-dev zlib1g-dev libdeflate-dev libisal-dev libzstd-dev
libjansson-dev libsqlite3-dev libpcre2-dev
runc docker.io skopeo umoci podman docker-registry busybox-static mmdebstrap uidmap
clang libclang-rt-14-dev pigz zstd xz-utils python3 python3-jsonschema python3-packaging curl
dpkg-dev hyperfine time
apache2-utils"
# apache2-utils: htpasswd makes the bcrypt file docker-registry's basic auth
# needs (registry tests, t201; issue 11).
# assemble (issue 12): libyaml for specs, gpgv for InRelease signatures, gnupg for the tests' throwaway key
PKGS="$PKGS libyaml-dev gpgv gnupg"

missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing="$missing $p"
done
if [ "${1:-}" = "--if-missing" ] && [ -z "$missing" ]; then
  exit 0
fi
[ -z "$missing" ] && { echo "deps.sh: all packages installed"; exit 0; }
if [ "$(id -u)" != 0 ]; then
  echo "deps.sh: need root to install:$missing" >&2
  exit 1
fi
echo "deps.sh: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
