#!/bin/bash
# Issue 9 item 1 (CRITICAL): RUN --mount must never reach the host.  A
# canary file outside the store and the context stands for /etc/passwd;
# every case fails if the build reads it or changes it.  Bind sources
# resolve inside their root the way BuildKit resolves them (a symlink in the
# context to /x means <context>/x), and what runc gets is pinned, so the
# source cannot be swapped afterwards (tests/unit/test_inroot.c checks the
# swap itself).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/build-lib.sh"
need_root
make_bb_image || bail "cannot make the bb:1 base image"

CANARY=$T/host/etc/passwd
CDIR=$T/host/etc
mkdir -p "$CDIR"
echo "canary-$RANDOM" >"$CANARY"
touch -d @1600000000 "$CANARY"
canary_state() { stat -c '%i %s %Y' "$CANARY"; sha256sum <"$CANARY"; ls -A "$CDIR"; }
BEFORE=$(canary_state)

C=$T/ctx
ctx() { # ctx LINE...: a fresh context with a decoy at <ctx>$CANARY
  rm -rf "$C"
  mkdir -p "$C/${CDIR#/}"
  echo decoy >"$C/${CANARY#/}"
  printf '%s\n' 'FROM bb:1' "$@" >"$C/Dockerfile"
}
file_in() { "$PYOCI" save -o "$T/f.tar" "$1" && image_file "$T/f.tar" "$2"; }
canary_ok() { is "$(canary_state)" "$BEFORE" "$1: the host canary was neither changed nor added to"; }

# 1. absolute symlink in the context, decoy inside, rw bind, read + write
ctx 'RUN --mount=type=bind,source=link,target=/m,rw cat /m >/got; echo pwned >/m'
ln -s "$CANARY" "$C/link"
run "$PYOCI" build -t esc:1 "$C"
is "$rc" 0 "absolute link: builds (the link resolves inside the context)"
is "$(file_in esc:1 got)" decoy "absolute link: the RUN read the context's decoy, not the host file"
canary_ok "absolute link"
is "$(cat "$C/${CANARY#/}")" decoy "absolute link: the context's decoy is unchanged too (rw writes are discarded)"

# 2. relative symlink climbing out of the context
ctx 'RUN --mount=type=bind,source=sub/link,target=/m,rw cat /m >/got; echo pwned >/m'
mkdir -p "$C/sub"
ln -s "../../../../../../../../../../..$CANARY" "$C/sub/link"
run "$PYOCI" build -t esc:2 "$C"
is "$rc" 0 "relative ../ link: builds"
is "$(file_in esc:2 got)" decoy "relative ../ link: '..' stops at the context root"
canary_ok "relative ../ link"

# 3. a symlink to a host directory, no decoy: the source does not exist
ctx 'RUN --mount=type=bind,source=hostdir,target=/m,rw ls /m >/listing; echo pwned >/m/new'
rm -rf "$C/${CDIR#/}"
ln -s "$CDIR" "$C/hostdir"
run "$PYOCI" build -t esc:3 "$C"
is "$rc" 1 "link to a host directory: refused (nothing of that name inside the context)"
like "$err" "Dockerfile:2: .*hostdir" "link to a host directory: the error names the Dockerfile line and source"
canary_ok "link to a host directory"

# 4. the bind target itself is a symlink to the host path inside the image
ctx "RUN ln -s $CANARY /m" 'RUN --mount=type=bind,source=Dockerfile,target=/m,rw cat /m | head -n 1 >/got'
run "$PYOCI" build -t esc:4 "$C"
is "$rc" 0 "target through an image symlink: builds"
is "$(file_in esc:4 got)" "FROM bb:1" "target through an image symlink: the source is mounted inside the root"
canary_ok "target through an image symlink"

# 5. from= a stage whose file is a symlink to the host path
cat >"$C/Dockerfile" <<EOF
FROM bb:1 AS evil
RUN ln -s $CANARY /link && ln -s $CDIR /linkdir
FROM bb:1
RUN --mount=type=bind,from=evil,source=link,target=/m,rw (cat /m; echo pwned >/m) >/got 2>&1; true
RUN --mount=type=bind,from=evil,source=linkdir,target=/d,rw (echo pwned >/d/new) 2>/dev/null; true
EOF
run "$PYOCI" build -t esc:5 "$C"
ok $([ "$rc" != 0 ] || [[ "$(file_in esc:5 got)" != *canary* ]]; echo $?) "from= stage symlink: the host file is never read"
canary_ok "from= stage symlink"

# 6. a cache mount filled from= a stage holding a host symlink
cat >"$C/Dockerfile" <<EOF
FROM bb:1 AS evil
RUN mkdir /seed && ln -s $CANARY /seed/pw
FROM bb:1
RUN --mount=type=cache,id=esc6,from=evil,source=/seed,target=/c (cat /c/pw; echo pwned >/c/pw) >/got 2>&1; true
EOF
run "$PYOCI" build -t esc:6 "$C"
is "$rc" 0 "cache from= a stage with a host symlink: builds"
ok $([[ "$(file_in esc:6 got)" != *canary* ]]; echo $?) "cache from=: the link resolves in the container, not on the host"
canary_ok "cache from= a stage symlink"

# 7. mount points made through a base-image symlink leave nothing behind
ctx 'RUN mkdir /data && ln -s /data /m' \
    'RUN --mount=type=tmpfs,target=/m/t --mount=type=cache,target=/m/c --mount=type=bind,target=/m/b echo ok >/done'
run "$PYOCI" build -t esc:7 "$C"
is "$rc" 0 "targets through an image symlink: builds"
"$PYOCI" save -o "$T/e7.tar" esc:7
last=$(tar -xOf "$T/e7.tar" manifest.json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["Layers"][-1])')
entries=$(tar -xOf "$T/e7.tar" "$last" | tar -t | sed 's|^\./||' | sort)
grep -qx done <<<"$entries"
ok $? "targets through /m -> /data: the RUN's own file is in the layer"
is "$(grep -cE '^(data|m)(/|$)' <<<"$entries")" 0 "targets through /m -> /data: no data/t, data/c, data/b mount points in the layer"

is "$(grep -c "$T" /proc/mounts)" 0 "no mount of this test left behind"
done_testing
