#!/bin/bash
# RUN --mount (BuildKit syntax): cache, bind, tmpfs and secret mounts as a
# user sees them -- what the RUN sees, what ends up in the image (nothing of
# the mounts), the step cache, and one-line errors.  This host's docker has
# only the classic builder (no --mount), so behaviour is checked against the
# Dockerfile reference.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/build-lib.sh"
need_root
make_bb_image || bail "cannot make the bb:1 base image"

C=$T/ctx
# ctx LINE...: a fresh context: only-ctx.txt, ignored.txt (in .dockerignore)
ctx() {
  rm -rf "$C"
  mkdir -p "$C"
  echo ctxdata >"$C/only-ctx.txt"
  echo ignored-data >"$C/ignored.txt"
  echo ignored.txt >"$C/.dockerignore"
  printf '%s\n' 'FROM bb:1' "$@" >"$C/Dockerfile"
}
# build TAG [ARGS...]: pyoci build of $C; sets rc/out/err
build() {
  local tag=$1
  shift
  run "$PYOCI" build -t "$tag" "$@" "$C"
}
# file_in TAG PATH: a file's content in the saved image ("<missing>" if none)
file_in() {
  "$PYOCI" save -o "$T/f.tar" "$1" && image_file "$T/f.tar" "$2"
}
# built_entries TAG: every entry of the layers the build added (not bb:1's),
# as `pyoci save` + `tar tf` show them
built_entries() {
  "$PYOCI" save -o "$T/e.tar" "$1" || return 1
  rm -rf "$T/e" && mkdir "$T/e" && tar -xf "$T/e.tar" -C "$T/e" manifest.json
  local l
  for l in $(python3 -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))[0]["Layers"][1:]))' "$T/e/manifest.json"); do
    tar -xf "$T/e.tar" -C "$T/e" "$l" && tar tf "$T/e/$l"
  done | sed 's|^\./||' | sort -u
}
DF="^pyoci: $C/Dockerfile"
built_ok() { # built_ok DESC: the last build succeeded (its stderr shown if not)
  is "$rc" 0 "$1"
  [ "$rc" = 0 ] || diag "$(tail -n 3 <<<"$err")"
}

# ---- cache mounts ----
ctx 'RUN --mount=type=cache,target=/root/.cache/pip echo run >>/root/.cache/pip/log && wc -l </root/.cache/pip/log | tr -d " " >/count'
build cache:1 --no-cache
built_ok "cache mount: first build"
build cache:2 --no-cache
is "$rc" 0 "cache mount: second build"
is "$(file_in cache:1 count)" 1 "cache mount: the first build saw an empty cache"
is "$(file_in cache:2 count)" 2 "cache mount: the second build (--no-cache) saw the first one's file"
entries=$(built_entries cache:2)
is "$(grep -c '^root' <<<"$entries")" 0 "cache mount: nothing under (or for) /root/.cache/pip in the layer"
grep -qx count <<<"$entries"
ok $? "cache mount: the RUN's own file is in the layer"

ctx 'RUN --mount=type=cache,id=shared,target=/a echo one >/a/f' \
    'RUN --mount=type=cache,id=shared,target=/b,sharing=locked cat /b/f >/fromb' \
    'RUN --mount=type=cache,id=perm,target=/c,mode=0750,uid=1000,gid=50 stat -c "%a %u %g" /c >/perm' \
    'RUN --mount=type=cache,target=/d,sharing=private,ro (touch /d/x 2>/dev/null && echo writable || echo read-only) >/rostatus'
build cache:3
built_ok "cache mounts with id, sharing, mode, ro"
is "$(file_in cache:3 fromb)" one "id= shares one cache between two targets"
is "$(file_in cache:3 perm)" "750 1000 50" "mode/uid/gid set on a fresh cache directory"
is "$(file_in cache:3 rostatus)" read-only "ro cache mount: writing fails"
entries=$(built_entries cache:3)
is "$(grep -cE '^(a|b|c|d)(/|$)' <<<"$entries")" 0 "no mount points /a /b /c /d left in the layers"
is "$(ls "$PYOCI_STORE/cache/mounts" | grep -cv '\.lock$')" 4 "caches live in the store, one directory per id"

# ---- bind mounts from the context ----
ctx 'RUN --mount=target=/ctx cat /ctx/only-ctx.txt >/got && (test -e /ctx/ignored.txt && echo present || echo absent) >/ignored && (touch /ctx/new 2>/dev/null && echo writable || echo read-only) >/ro' \
    'RUN --mount=type=bind,target=/ctx,rw echo changed >/ctx/only-ctx.txt && cat /ctx/only-ctx.txt >/rwgot' \
    'RUN --mount=target=/one.txt,source=only-ctx.txt cat /one.txt >/one'
build bind:1
built_ok "bind mounts of the context"
is "$(file_in bind:1 got)" ctxdata "a file only in the context is read in RUN"
is "$(file_in bind:1 ignored)" absent ".dockerignore applies to bind mounts"
is "$(file_in bind:1 ro)" read-only "bind mounts are read-only by default"
is "$(file_in bind:1 rwgot)" changed "rw: writes succeed inside the RUN"
is "$(cat "$C/only-ctx.txt")" ctxdata "rw: the context file is unchanged afterwards"
is "$(file_in bind:1 one)" ctxdata "source= binds one file"
entries=$(built_entries bind:1)
is "$(grep -cE '^(ctx|one\.txt)(/|$)' <<<"$entries")" 0 "no /ctx or /one.txt (nor their content) in the layers"

# cache key: the bound content, not the file's mtime or ignored files
ctx 'RUN --mount=target=/ctx cat /ctx/only-ctx.txt >/got'
build key:1
is "$rc" 0 "bind key: first build"
build key:2
like "$err" "CACHED" "bind key: unchanged context: the step is CACHED"
echo other >"$C/ignored.txt"
touch "$C/only-ctx.txt"
build key:3
like "$err" "CACHED" "bind key: an ignored file changed and an mtime moved: still CACHED"
echo newdata >"$C/only-ctx.txt"
build key:4
is "$rc" 0 "bind key: rebuild after the bound file changed"
ok $([[ "$err" != *CACHED* ]]; echo $?) "bind key: a bound context file changed: the step runs again"
is "$(file_in key:4 got)" newdata "bind key: the new content was bound"

# ---- bind from a stage and from an image ----
rm -rf "$C" && mkdir -p "$C"
cat >"$C/Dockerfile" <<'EOF'
FROM bb:1 AS builder
RUN mkdir /out && echo built >/out/artifact
FROM bb:1
RUN --mount=type=bind,from=builder,source=/out,target=/in cat /in/artifact >/fromstage
RUN --mount=from=bb:1,source=/etc/passwd,target=/pw head -n 1 /pw >/fromimage
RUN --mount=from=builder,target=/b,rw rm -f /b/out/artifact && echo gone >/b/etc/x && ls /b/out | wc -l >/rwcount
RUN --mount=from=builder,source=out,target=/again cat /again/artifact >/again-out
EOF
build from:1
built_ok "bind from= a stage and an image"
is "$(file_in from:1 fromstage)" built "from=<stage>: the stage (built only for the mount) is bound"
is "$(file_in from:1 fromimage)" "root:x:0:0:root:/root:/bin/sh" "from=<image in the store>: its file is bound"
is "$(file_in from:1 rwcount)" 0 "from= rw: the RUN may delete files"
is "$(file_in from:1 again-out)" built "from= rw: the stage itself is unchanged for the next mount"
entries=$(built_entries from:1)
is "$(grep -cE '^(in|pw|b|again)(/|$)' <<<"$entries")" 0 "no mount points from the from= binds in the layer"

# ---- tmpfs ----
ctx 'RUN --mount=type=tmpfs,target=/scratch,size=1m echo x >/scratch/f && cat /scratch/f >/tmpfs-out && df -k /scratch | tail -n 1 | awk "{print \$2}" >/tmpfs-size'
build tmpfs:1
built_ok "tmpfs mount"
is "$(file_in tmpfs:1 tmpfs-out)" x "tmpfs: writable in RUN"
is "$(file_in tmpfs:1 tmpfs-size)" 1024 "tmpfs: size=1m gives a 1024 KiB file system"
is "$(grep -c '^scratch' <<<"$(built_entries tmpfs:1)")" 0 "tmpfs: nothing of /scratch in the layer"

# ---- secrets ----
SECRET=s3cr3t-$RANDOM-file-value
ENVSECRET=s3cr3t-$RANDOM-env-value
printf '%s' "$SECRET" >"$T/tok"
sum() { printf '%s' "$1" | sha256sum | cut -c1-64; }
ctx 'RUN --mount=type=secret,id=tok sha256sum </run/secrets/tok | cut -c1-64 >/tok-sum && stat -c "%a %u %g" /run/secrets/tok >/tok-mode' \
    'RUN --mount=type=secret,id=tok2,target=/etc/tok2,mode=0440,gid=50 sha256sum </etc/tok2 | cut -c1-64 >/tok2-sum && stat -c "%a %u %g" /etc/tok2 >/tok2-mode' \
    'RUN --mount=type=secret,id=MYTOK sha256sum </run/secrets/MYTOK | cut -c1-64 >/bare-sum' \
    'RUN --mount=type=secret,id=absent (test -e /run/secrets/absent && echo present || echo absent) >/opt-secret'
export TOKVAR=$ENVSECRET MYTOK=$ENVSECRET
build sec:1 --secret "id=tok,src=$T/tok" --secret id=tok2,env=TOKVAR --secret id=MYTOK
built_ok "secret mounts"
is "$(file_in sec:1 tok-sum)" "$(sum "$SECRET")" "--secret id=tok,src=FILE: the RUN reads the file's content"
is "$(file_in sec:1 tok-mode)" "400 0 0" "secret file: mode 0400, root, by default"
is "$(file_in sec:1 tok2-sum)" "$(sum "$ENVSECRET")" "--secret id=tok2,env=VAR: the variable's value, at target="
is "$(file_in sec:1 tok2-mode)" "440 0 50" "secret mode= and gid="
is "$(file_in sec:1 bare-sum)" "$(sum "$ENVSECRET")" "--secret id=NAME alone takes \$NAME"
is "$(file_in sec:1 opt-secret)" absent "an optional secret that was not given is just absent"
"$PYOCI" save -o "$T/sec.tar" sec:1
is "$(grep -c -a -e "$SECRET" -e "$ENVSECRET" "$T/sec.tar")" 0 "no secret in the saved image (layers, config, history)"
is "$(grep -rl -a -e "$SECRET" -e "$ENVSECRET" "$PYOCI_STORE" | wc -l)" 0 "no secret anywhere in the store (cache records included)"
is "$(grep -cE '^(run|etc/tok2)(/|$)' <<<"$(built_entries sec:1)")" 0 "no /run/secrets or /etc/tok2 mount points in the layers"
printf 'rotated-%s' "$SECRET" >"$T/tok"
build sec:2 --secret "id=tok,src=$T/tok" --secret id=tok2,env=TOKVAR --secret id=MYTOK
is "$(grep -c CACHED <<<"$err")" 4 "a secret's new content does not invalidate the cache (BuildKit)"

# ---- errors: Dockerfile:N:, exit 1, store unchanged ----
fails() { # fails NAME REGEX MOUNT [MORE LINES...]
  ctx 'RUN true' "RUN --mount=$3 true" "${@:4}"
  local before
  before=$(store_fingerprint)
  run "$PYOCI" build -q -t nope:1 "$C"
  is "$rc" 1 "$1: exit 1"
  is "$(printf '%s\n' "$err" | wc -l)" 1 "$1: one line"
  like "$err" "$DF:3: $2" "$1: message"
  is "$(store_fingerprint)" "$before" "$1: store unchanged"
}
fails "required secret missing" 'secret "needed" is required but was not given' type=secret,id=needed,required=true
fails "unknown type" 'RUN --mount=type=volume,target=/x: unsupported mount type "volume"' type=volume,target=/x
fails "missing target" 'RUN --mount=type=cache,id=x: mount type cache requires a target' type=cache,id=x
fails "bad sharing" 'RUN --mount=.*: unsupported sharing value "sometimes"' type=cache,target=/x,sharing=sometimes
fails "ssh" 'RUN --mount=type=ssh is not supported by pyoci' type=ssh
fails "unknown key" "RUN --mount=.*: unexpected key 'colour' in 'colour=red'" type=bind,target=/x,colour=red
fails "bad csv quoting" 'RUN --mount=.*: failed to parse csv mounts: bare " in non-quoted-field' "'type=bind,target=/x\"y'"
fails "from= stage defined later" 'cannot mount from stage "later"' 'from=later,target=/x' 'FROM bb:1 AS later'

# variables in mount values are expanded from ARG/ENV when the step runs
ctx 'ARG CACHEDIR=/var/cache/thing' 'ENV SUB=sub' 'RUN --mount=type=cache,target=$CACHEDIR/$SUB echo hi >$CACHEDIR/$SUB/f && ls $CACHEDIR/$SUB >/listing'
build var:1
built_ok "variables in --mount values"
is "$(file_in var:1 listing)" f "the target came from ARG and ENV"

# pyoci lint reads these Dockerfiles, and a pip cache mount is a cache
ctx 'RUN --mount=type=cache,target=/root/.cache/pip pip install flask' 'RUN --mount=type=secret,id=t,required cat /run/secrets/t'
run "$PYOCI" lint "$C/Dockerfile"
ok $([[ "$err$out" != *"not supported"* && "$err$out" != *PYO008* ]]; echo $?) "pyoci lint accepts RUN --mount and sees the pip cache mount"

done_testing
