#!/bin/bash
# pyoci build as a user meets it beyond conformance: bad input gives a
# one-line `file:line` error, a non-zero exit and an unchanged store; and the
# build's behaviour: stage selection, the step cache and what invalidates it,
# --iidfile, -o outputs, --build-arg warnings, --network none.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/build-lib.sh"
need_root # RUN needs root (runc on an overlay)
make_bb_image || bail "cannot make the bb:1 base image"

C=$T/ctx
# ctx LINE...: a fresh context with a.txt, b.txt and a Dockerfile of LINEs
ctx() {
  rm -rf "$C"
  mkdir -p "$C"
  echo alpha >"$C/a.txt"
  echo beta >"$C/b.txt"
  printf '%s\n' "$@" >"$C/Dockerfile"
}
# What a failed build must leave alone: the image list and the index.
snapshot() { "$PYOCI" images; sha256sum "$PYOCI_STORE/index.json"; }

# fails NAME REGEX [BUILD ARGS...]: the build in $C fails with exit 1, one
# line on stderr matching REGEX, and the store's images are unchanged.
fails() {
  local name=$1 re=$2
  shift 2
  local before
  before=$(snapshot)
  run "$PYOCI" build -q -t should-not-exist:1 "$@" "$C"
  is "$rc" 1 "$name: exit code 1"
  is "$(printf '%s\n' "$err" | wc -l)" 1 "$name: a one-line error"
  like "$err" "$re" "$name: message"
  is "$(snapshot)" "$before" "$name: images and index.json unchanged"
}
DF="^pyoci: $C/Dockerfile"

ctx 'FROM bb:1' 'RUN true' 'FROBNICATE now'
fails "unknown instruction" "$DF:3: unknown instruction: FROBNICATE\$"

ctx 'FROM bb:1' 'COPY --bogus=1 a.txt /'
fails "bad flag" "$DF:2: unknown flag: bogus\$"

ctx 'FROM bb:1 AS one' 'FROM bb:1 AS two'
fails "unknown --target" "$DF: target stage \"three\" could not be found \(named stages: one, two\)\$" --target three

ctx 'FROM bb:1' 'RUN true' 'FROM nosuch/base:7' 'COPY a.txt /'
fails "unknown base" "$DF:3: base image 'nosuch/base:7' is not in the store: get it with 'pyoci load -i IMAGE.tar' or 'pyoci import ROOTFS.tar -t nosuch/base:7'\$"


ctx 'FROM bb:1' 'COPY a.txt missing.txt /dir/'
fails "missing COPY source" "$DF:2: COPY failed: .*missing\.txt.*does not exist\$"

ctx 'FROM bb:1' 'RUN echo one' 'RUN echo two; exit 7'
fails "failing RUN" "$DF:3: RUN failed at step \[stage-0 3/3\]: '/bin/sh -c echo two; exit 7' returned a non-zero code: 7\$"

ctx 'FROM bb:1 AS builder' 'RUN ["sh", "-c", "exit 3"]'
fails "failing exec-form RUN" "$DF:2: RUN failed at step \[builder 2/2\]: 'sh -c exit 3' returned a non-zero code: 3\$"

ctx 'FROM bb:1' 'COPY --chmod=u+x a.txt /'
fails "invalid --chmod" "$DF:2: invalid --chmod value 'u\+x'\$"

ctx 'FROM bb:1' 'COPY --chmod=99999 a.txt /'
fails "out-of-range --chmod" "$DF:2: invalid --chmod value '99999'\$"

ctx 'FROM bb:1' 'COPY --chown=nosuchuser a.txt /'
fails "--chown of an unknown user" "$DF:2: unable to find user nosuchuser"


# Documented as unsupported (docs/pyoci-build.md): a clear error, not a surprise.
ctx 'FROM bb:1' 'ADD git@github.com:example/repo.git /src'
fails "ADD of a git repository" "$DF:2: ADD from a git repository \('git@github.com:example/repo.git'\) is not supported: clone it and COPY\$"
ctx 'FROM bb:1' 'ADD http://127.0.0.1:1/x.tar /'
fails "ADD of a URL nobody serves" "$DF:2: download 'http://127.0.0.1:1/x.tar': .*\$"

# RUN --mount works (t105) except ssh: pyoci forwards no ssh agent.
ctx 'FROM bb:1' 'RUN --mount=type=ssh true'
fails "RUN --mount=type=ssh" "$DF:2: RUN --mount=type=ssh is not supported by pyoci \(no ssh agent forwarding\)\$"

ctx 'FROM bb:1' 'RUN <<EOF' '#!/bin/sh' 'echo hi' 'EOF'
fails "RUN heredoc with #!" "$DF:2: RUN heredocs with their own #! interpreter are not supported yet\$"

run "$PYOCI" fsck
is "$rc" 0 "fsck is clean after the failed builds"
run "$PYOCI" images
ok $([[ "$out" != *should-not-exist* ]]; echo $?) "no failed build left a tag"

# ---- stage selection ----

# steps FILE: one word per step from a build's stderr, "CACHED" marked:
# "FROM RUN:C COPY ..." (RUN:C = cached RUN).
steps() {
  awk '/^\[/ { if (s != "") printf "%s ", s; s = $3 }
       /^  CACHED$/ { s = s ":C" }
       END { print s }' "$1"
}

ctx 'FROM bb:1 AS broken' 'RUN exit 1' \
    'FROM bb:1 AS dep' 'RUN echo dep >/dep' \
    'FROM bb:1' 'COPY --from=dep /dep /dep' 'COPY a.txt /'
"$PYOCI" build -t multi:1 "$C" 2>"$T/log"
ok $? "an unused stage with a failing RUN is skipped: the build succeeds"
is "$(grep -c 'exit 1' "$T/log")" 0 "the unused stage's RUN never ran"
ctx 'FROM nosuch/base:1 AS unused' 'RUN true' 'FROM bb:1' 'ENV A=1'
run "$PYOCI" build -q "$C"
is "$rc" 0 "an unused stage's missing base is never looked up"
ctx 'FROM bb:1 AS broken' 'RUN exit 1' \
    'FROM bb:1 AS dep' 'RUN echo dep >/dep' \
    'FROM bb:1' 'COPY --from=dep /dep /dep' 'COPY a.txt /'
"$PYOCI" build --no-cache --target dep -t dep:1 "$C" 2>"$T/log"
ok $? "--target dep builds"
is "$(grep -o '^\[[^ ]*' "$T/log" | sort -u | tr '\n' ' ')" "[dep " "--target dep runs only the dep stage"
run "$PYOCI" inspect --format '{{.Config.Cmd}}' dep:1
is "$out" "[sh]" "the --target image is the dep stage (base config kept)"

# ---- the cache ----

ctx 'FROM bb:1' 'RUN echo first >/first' 'COPY a.txt /a.txt' 'RUN cat /a.txt >/copy' 'COPY b.txt /b.txt'
"$PYOCI" build -t c:1 "$C" 2>"$T/log1"
is "$(steps "$T/log1")" "FROM RUN COPY RUN COPY" "first build runs every step"
"$PYOCI" build -t c:1 "$C" 2>"$T/log2"
is "$(steps "$T/log2")" "FROM RUN:C COPY:C RUN:C COPY:C" "unchanged rebuild: every RUN and COPY is CACHED"
"$PYOCI" build --no-cache -t c:1 "$C" 2>"$T/log3"
is "$(grep -c '^  CACHED$' "$T/log3")" 0 "--no-cache: no step CACHED"
is "$(steps "$T/log3")" "FROM RUN COPY RUN COPY" "--no-cache re-runs every step"
touch -d '2001-02-03 04:05:06' "$C/a.txt"
"$PYOCI" build -t c:1 "$C" 2>"$T/log4"
is "$(steps "$T/log4")" "FROM RUN:C COPY:C RUN:C COPY:C" "touching a COPY'd file (mtime only) keeps the cache"
echo ALPHA >"$C/a.txt"
"$PYOCI" build -t c:1 "$C" 2>"$T/log5"
is "$(steps "$T/log5")" "FROM RUN:C COPY RUN COPY" "changing a COPY'd file's content invalidates from that step on"

ctx 'FROM bb:1' 'COPY . /ctx/' 'RUN ls /ctx >/listing'
printf '.dockerignore\nb.txt\n' >"$C/.dockerignore"
"$PYOCI" build -t ign:1 "$C" 2>/dev/null
ok $? "COPY . with a .dockerignore builds"
printf '.dockerignore\nb.txt\nno-such-file\n' >"$C/.dockerignore"
"$PYOCI" build -t ign:1 "$C" 2>"$T/log"
is "$(steps "$T/log")" "FROM COPY:C RUN:C" ".dockerignore change that excludes nothing new keeps the cache"
printf '.dockerignore\na.txt\n' >"$C/.dockerignore"
"$PYOCI" build -t ign:1 "$C" 2>"$T/log"
is "$(steps "$T/log")" "FROM COPY RUN" ".dockerignore change affecting COPY . invalidates"
"$PYOCI" save -o "$T/ign.tar" ign:1
is "$(python3 "$TOP/tests/tools/imgtree.py" tree "$T/ign.tar" | awk '$1 ~ /^\/?ctx\// { sub(/^\//, "", $1); print $1 }' | tr '\n' ' ')" \
  "ctx/Dockerfile ctx/b.txt " "the image holds what the new .dockerignore lets through"

# ---- outputs ----

ctx 'FROM bb:1' 'COPY a.txt /a.txt' 'CMD ["cat", "/a.txt"]'
run "$PYOCI" build -q --iidfile "$T/iid" -t out:1 "$C"
is "$rc" 0 "build with --iidfile"
like "$out" '^sha256:[0-9a-f]{64}$' "-q prints the image ID"
is "$(cat "$T/iid")" "$out" "--iidfile holds the image ID -q printed"
is "$("$PYOCI" inspect --format '{{.Id}}' out:1)" "$out" "the image ID is inspect's .Id"

run "$PYOCI" build -q -o "type=oci,dest=$T/out-oci.tar" -t out:1 "$C"
is "$rc" 0 "build -o type=oci,dest=F"
run skopeo inspect --raw "oci-archive:$T/out-oci.tar"
is "$rc" 0 "skopeo reads the oci-archive"
run skopeo inspect --config "oci-archive:$T/out-oci.tar"
like "$out" '"cat",[[:space:]]*"/a.txt"' "the oci-archive carries the image's config"

run "$PYOCI" build -q -o "type=docker,dest=$T/out-docker.tar" -t out:1 "$C"
is "$rc" 0 "build -o type=docker,dest=F"
if [ -n "${PYOCI_TEST_DOCKER:-}" ]; then
  docker rmi -f out:1 >/dev/null 2>&1
  run docker load -i "$T/out-docker.tar"
  is "$rc" 0 "docker load reads the docker archive"
  run docker run --rm --network=host out:1
  is "$out" "alpha" "the loaded image runs in docker"
  docker rmi -f out:1 >/dev/null 2>&1
else
  skip "docker load: dockerd not available (run through tests/run.sh as root)"
  skip "docker run: dockerd not available"
fi

run "$PYOCI" build -o "type=tar,dest=$T/x.tar" "$C"
is "$rc" 2 "an unknown -o type is a usage error"

# ---- build args and network ----

ctx 'FROM bb:1' 'ARG USED' 'RUN echo "used=$USED" >/used'
run "$PYOCI" build --build-arg USED=1 --build-arg NOTUSED=2 -t args:1 "$C"
is "$rc" 0 "build with an unused --build-arg succeeds"
like "$err" "warning: One or more build-args \[NOTUSED\] were not consumed" "unused --build-arg warning"
ok $([[ "$err" != *"[USED"* && "$err" != *" USED]"* ]]; echo $?) "the used build-arg is not reported"

ctx 'FROM bb:1' 'RUN ls /sys/class/net | tr "\n" " "; echo'
run "$PYOCI" build --no-cache --network none "$C"
is "$rc" 0 "build --network none"
like "$err" $'\n  lo \n' "--network none: RUN sees only lo"
if [ "$(ls /sys/class/net | wc -l)" -gt 1 ]; then
  run "$PYOCI" build --no-cache "$C"
  host_ifs=$(ls /sys/class/net | tr '\n' ' ')
  ok $([[ "$err" == *$'\n'"  $host_ifs"$'\n'* ]]; echo $?) "default (host) network: RUN sees the host's interfaces ($host_ifs)"
else
  skip "the host has only lo: nothing to tell host from none"
fi
ctx 'FROM bb:1' 'RUN --network=none ls /sys/class/net | tr "\n" " "; echo'
run "$PYOCI" build --no-cache "$C"
like "$err" $'\n  lo \n' "RUN --network=none: only lo"

done_testing
