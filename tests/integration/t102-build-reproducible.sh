#!/bin/bash
# Reproducible builds: with SOURCE_DATE_EPOCH set, the same context gives the
# same manifest digest and image ID -- again with --no-cache, and from a
# fresh store -- and different content gives a different digest.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/build-lib.sh"
need_root # RUN needs root (runc on an overlay)
export SOURCE_DATE_EPOCH=1700000000
make_bb_image || bail "cannot make the bb:1 base image"

C=$T/ctx
mkdir -p "$C/src/pkg"
echo 'print("hello")' >"$C/src/app.py"
echo 'x = 1' >"$C/src/pkg/mod.py"
chmod 0755 "$C/src/app.py"
cat >"$C/Dockerfile" <<'EOF'
FROM bb:1 AS builder
WORKDIR /build
COPY src/ ./src/
RUN mkdir -p out && cp -a src/* out/ && date >/dev/null && touch out/stamp && ln -s app.py out/main.py
RUN rm src/pkg/mod.py

FROM bb:1
LABEL org.example.name=repro
COPY --from=builder /build/out /app
ENV PATH=/app:$PATH
WORKDIR /app
CMD ["sh", "/app/app.py"]
EOF

# build LABEL [ARGS...]: prints "manifest-digest image-id" of the build
build() {
  local label=$1
  shift
  "$PYOCI" build -q --iidfile "$T/iid" -t "repro:$label" "$@" "$C" >/dev/null 2>"$T/err-$label" || {
    sed 's/^/#   /' "$T/err-$label"
    return 1
  }
  echo "$("$PYOCI" images --digests --no-trunc --format '{{.Digest}}' "repro:$label") $(cat "$T/iid")"
}

first=$(build a)
ok $? "first build"
like "$first" '^sha256:[0-9a-f]{64} sha256:[0-9a-f]{64}$' "the build has a manifest digest and an image ID"
second=$(build b --no-cache)
is "$second" "$first" "--no-cache rebuild: same manifest digest and image ID"
cached=$(build c)
is "$cached" "$first" "cached rebuild: same manifest digest and image ID"

# A fresh store: everything, bases included, made again.
PYOCI_STORE=$T/store2 make_bb_image || bail "cannot make bb:1 in the second store"
fresh=$(PYOCI_STORE=$T/store2 build a)
is "$fresh" "$first" "fresh store: same manifest digest and image ID"
PYOCI_STORE=$T/store2 "$PYOCI" save -o "$T/fresh.tar" repro:a
"$PYOCI" save -o "$T/first.tar" repro:a
is "$(sha256sum <"$T/fresh.tar")" "$(sha256sum <"$T/first.tar")" "and pyoci save writes the same archive bytes"

# The timestamps really are SOURCE_DATE_EPOCH (not just equal by luck).
is "$("$PYOCI" inspect --format '{{.Created}}' repro:a)" "2023-11-14T22:13:20Z" "created is SOURCE_DATE_EPOCH"
mkdir -p "$T/x"
tar -C "$T/x" -xf "$T/first.tar"
newest=$(for l in $(python3 -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))[0]["Layers"]))' "$T/x/manifest.json"); do
  TZ=UTC tar --numeric-owner -tvf "$T/x/$l" ; done | awk '{print $4" "$5}' | sort | tail -1)
is "$newest" "2023-11-14 22:13" "no file in any layer is newer than SOURCE_DATE_EPOCH"

# Different content, different digest; putting it back gives the first again.
echo 'print("hello, world")' >"$C/src/app.py"
changed=$(build d)
ok $? "build after a content change"
ok $([ "${changed% *}" != "${first% *}" ]; echo $?) "changed content: different manifest digest"
ok $([ "${changed#* }" != "${first#* }" ]; echo $?) "changed content: different image ID"
echo 'print("hello")' >"$C/src/app.py"
touch -d '2020-01-01' "$C/src/app.py"
back=$(build e)
is "$back" "$first" "content restored (new mtime): the first digest again"

# A different SOURCE_DATE_EPOCH is a different image (the dates are in it).
other=$(SOURCE_DATE_EPOCH=1700000001 build f)
ok $([ "${other% *}" != "${first% *}" ]; echo $?) "another SOURCE_DATE_EPOCH: different digest"

# Without SOURCE_DATE_EPOCH: a step's time is when it ran, a cached step
# keeps its recorded time, so a fully cached rebuild is the same image (as
# both of Docker's builders give), and --no-cache makes a new one.
unset SOURCE_DATE_EPOCH
echo 'print("now")' >"$C/src/app.py"
live=$(build g)
ok $? "build without SOURCE_DATE_EPOCH"
created=$("$PYOCI" inspect --format '{{.Created}}' repro:g)
age=$(( $(date +%s) - $(date -d "$created" +%s) ))
ok $([ "$age" -ge 0 ] && [ "$age" -lt 600 ]; echo $?) "created is the build time ($created, ${age}s ago)"
sleep 1.1
is "$(build h)" "$live" "a fully cached rebuild a second later: same manifest digest and image ID"
sleep 1.1
nocache=$(build i --no-cache)
ok $([ "${nocache#* }" != "${live#* }" ]; echo $?) "--no-cache: the steps run again, a new image ID"

done_testing
