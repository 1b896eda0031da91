#!/bin/bash
# The conformance suite, part 1: every Dockerfile under tests/data/build/ is
# built by pyoci and by BuildKit (Debian's docker client, DOCKER_BUILDKIT=1,
# dockerd from tests/run.sh) from the same base image; the merged file trees
# (paths, types, modes, owners, link targets, content digests), the config,
# the history lines and each layer's entries must match (build-conf.sh).
# More cases, taken from BuildKit's and moby's own build tests: t108, t111.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/build-conf.sh"
need_root
need_docker
make_bb_image || bail "cannot make the bb:1 base image"

for dir in "$TOP"/tests/data/build/*/; do
  name=$(basename "$dir")
  conf_case "$name" "tests/data/build"
  cp -a "$dir/." "$C/"
  if [ -f "$C/args" ]; then
    read -r -a a <"$C/args"
    conf_args "${a[@]}"
    rm -f "$C/args"
  fi
done

# Where the local BuildKit (v0.8) writes history differently from current
# BuildKit (frontend/dockerfile/dockerfile2llb convert.go, convert_copy.go,
# convert_expose.go at moby/buildkit HEAD): the files are compared as usual,
# the history lines are checked against what current BuildKit writes.
hist_newer() { # CASE WHY LINE...
  conf_select "$1"
  local why=$2
  shift 2
  conf_newer "$why" history "${@/#/history: }"
}
hist_newer 04-global-arg-from "dispatchArg: a bare ARG re-importing a global records its value" 'ARG BASE=bb:1'
hist_newer 05-build-arg "dispatchArg: ARG records the --build-arg value" 'ARG X=given'
hist_newer 51-env-override-arg "dispatchArg: ARG records the --build-arg value" 'ARG V=cli'
hist_newer 49-arg-stage-scope "dispatchState.init: a stage FROM a stage inherits its ARGs" \
  'RUN |1 ONLY_A=yes /bin/sh -c echo "[$ONLY_A]" > /b # buildkit'
hist_newer 19-expose 'dispatchExpose: fmt "EXPOSE %v" of the port list (TestExportedHistory)' \
  'EXPOSE [5000/tcp 80/udp 8080/tcp]' 'EXPOSE [443/tcp]'
hist_newer 21-healthcheck 'dispatchHealthcheck: fmt "HEALTHCHECK %+v"' \
  'HEALTHCHECK {Test:[CMD-SHELL wget -q -O- http://localhost/ || exit 1] Interval:5s Timeout:3s StartPeriod:2s StartInterval:0s Retries:2}'
hist_newer 22-healthcheck-none 'dispatchHealthcheck: fmt "HEALTHCHECK %+v"' \
  'HEALTHCHECK {Test:[NONE] Interval:0s Timeout:0s StartPeriod:0s StartInterval:0s Retries:0}'
hist_newer 31-copy-chown-name "dispatchCopy: the history names --chown" \
  'COPY --chown=app f /home/app/f # buildkit' 'COPY --chown=app:staff f /shared/ # buildkit'
hist_newer 32-copy-chown-numeric "dispatchCopy: the history names --chown" 'COPY --chown=1234:5678 dir /numeric/ # buildkit'
conf_run
done_testing
