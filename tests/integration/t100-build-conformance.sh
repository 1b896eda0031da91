#!/bin/bash
# The conformance suite: every Dockerfile under tests/data/build/ is built by
# pyoci and by `docker build` (dockerd started by tests/run.sh) from the same
# base image; the merged file trees (paths, types, modes, owners, link
# targets, content digests) and the config docker build sets must match.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/build-lib.sh"
need_root
need_docker
make_bb_image || bail "cannot make the bb:1 base image"
export DOCKER_BUILDKIT=0 # this host has the classic builder only (no buildx)

for dir in "$TOP"/tests/data/build/*/; do
  name=$(basename "$dir")
  tag=conf-$name
  args=()
  [ -f "$dir/args" ] && read -r -a args <"$dir/args"
  ctx=$T/ctx-$name
  cp -a "$dir" "$ctx"
  rm -f "$ctx/args"
  if ! docker build -q "${args[@]}" -t "$tag" "$ctx" >"$T/docker-$name.log" 2>&1; then
    ok 1 "$name: docker build"
    sed 's/^/#   /' "$T/docker-$name.log" | tail -5
    continue
  fi
  if ! "$PYOCI" build -q "${args[@]}" -t "$tag" "$ctx" >"$T/pyoci-$name.log" 2>&1; then
    ok 1 "$name: pyoci build"
    sed 's/^/#   /' "$T/pyoci-$name.log" | tail -5
    continue
  fi
  docker save -o "$T/d-$name.tar" "$tag"
  "$PYOCI" save -o "$T/p-$name.tar" "$tag"
  # a later case may build FROM this one: give docker the same image
  python3 "$TOP/tests/tools/imgtree.py" diff "$T/d-$name.tar" "$T/p-$name.tar" >"$T/diff-$name" 2>&1
  st=$?
  ok $st "$name: pyoci build matches docker build"
  [ $st = 0 ] || sed 's/^/#   /' "$T/diff-$name" | head -20
done
done_testing
