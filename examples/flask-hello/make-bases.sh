#!/bin/bash
# Make the example's local base images and wheelhouse from Debian packages
# (there is no Docker Hub or PyPI here):
#   local/python:3.11       "full": python3 + pip (the builder stage)
#   local/python:3.11-slim  python3 only, no docs/man pages (the runtime stage)
#   wheels/                 wheels of Debian 12's Flask stack, for pip --no-index
# Rootfs tarballs are cached in $CACHE (default ~/.cache/pyoci/examples).
# SLIM_FROM=assemble makes the runtime base with `pyoci assemble` instead of
# mmdebstrap: python3 + python-is-python3 straight from the signed archive
# (apt's sources on this machine), no docs, no shell -- the Dockerfile's
# runtime stage runs nothing, it only copies.
# usage: [SLIM_FROM=assemble] make-bases.sh PYOCI_BIN
set -euo pipefail
PYOCI=${1:-pyoci}
here=$(cd "$(dirname "$0")" && pwd)
CACHE=${PYOCI_EXAMPLE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pyoci/examples}
SUITE=bookworm
# Bump when the recipes below change, so cached rootfs tarballs are remade.
RECIPE=2
mkdir -p "$CACHE"
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1700000000}

# PEP 668: Debian marks its python "externally managed"; official python
# images don't, and the article's `pip install --user` relies on that.
NOT_MANAGED='rm -f "$1"/usr/lib/python3.*/EXTERNALLY-MANAGED'
SLIM_OPTS=(--dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*'
           --dpkgopt='path-include=/usr/share/doc/*/copyright' --dpkgopt='path-exclude=/usr/share/locale/*')
CLEAN_APT='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin'

make_rootfs() { # NAME PACKAGES [mmdebstrap options...]
  local name=$1 pkgs=$2; shift 2
  local out=$CACHE/$name-r$RECIPE.tar
  if [ ! -s "$out" ]; then
    echo "make-bases: mmdebstrap $name ($pkgs)" >&2
    # merged-usr hook: merged /usr without the usrmerge package (and the perl it pulls in)
    mmdebstrap --quiet --format=tar --variant=minbase --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
      --include="$pkgs" "$@" \
      --customize-hook="$CLEAN_APT" "$SUITE" "$out.tmp"
    mv "$out.tmp" "$out"
  fi
}

make_rootfs python-full python3,python3-pip,python-is-python3 --customize-hook="$NOT_MANAGED"
[ "${SLIM_FROM:-mmdebstrap}" = assemble ] || make_rootfs python-slim python3,python-is-python3 "${SLIM_OPTS[@]}"
make_rootfs flask-stack python3-flask

if [ ! -s "$here/wheels/.done" ] || [ ! -s "$here/wheels/requirements-hashes.txt" ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  tar -C "$tmp" -xf "$CACHE/flask-stack-r$RECIPE.tar" ./usr/lib/python3/dist-packages ./usr/share/javascript
  rm -rf "$here/wheels"
  WHEEL_ROOT=$tmp python3 "$here/make-wheels.py" "$tmp/usr/lib/python3/dist-packages" "$here/wheels" \
    click Flask itsdangerous Jinja2 MarkupSafe Werkzeug >&2
  touch "$here/wheels/.done"
fi

"$PYOCI" import "$CACHE/python-full-r$RECIPE.tar" -t local/python:3.11 --change 'CMD ["python3"]' \
  -m "Debian $SUITE minbase + python3, pip (mmdebstrap)" >/dev/null
if [ "${SLIM_FROM:-mmdebstrap}" = assemble ]; then
  # The same path filters as SLIM_OPTS.
  mkdir -p "$CACHE/slim-assemble"
  cat >"$CACHE/slim-assemble/slim.yaml" <<EOF
debian:
  suites: [$SUITE, $SUITE-security]
  packages: [python3, python-is-python3]
  exclude-paths: [/usr/share/doc/*, /usr/share/man/*, /usr/share/locale/*]
  include-paths: [/usr/share/doc/*/copyright]
cmd: [python3]
EOF
  "$PYOCI" assemble -q -f "$CACHE/slim-assemble/slim.yaml" -t local/python:3.11-slim >/dev/null
else
  "$PYOCI" import "$CACHE/python-slim-r$RECIPE.tar" -t local/python:3.11-slim --change 'CMD ["python3"]' \
    -m "Debian $SUITE minbase + python3, no docs (mmdebstrap)" >/dev/null
fi
echo "make-bases: local/python:3.11, local/python:3.11-slim and wheels/ ready" >&2
