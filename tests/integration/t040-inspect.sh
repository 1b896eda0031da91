#!/bin/bash
# pyoci inspect against real Docker: an image made in dockerd without a
# registry (docker import of a busybox rootfs, then docker build adding two
# COPY layers), saved, loaded into pyoci, inspected by both.  Size, layer
# count, Id, RepoTags and Config must be byte-for-byte what Docker prints.
source "$(dirname "$0")/lib.sh"
need_docker
"$PYOCI" load --help >/dev/null 2>&1 || skip_all "pyoci load is not built on this branch"
BB=$(command -v busybox) || skip_all "busybox-static not installed"

# Base rootfs with what Docker's Size treats specially: a symlink (counts
# its target's length), a hard link (counted once), an absolute symlink.
mkdir -p "$T/root/bin" "$T/root/etc" "$T/root/tmp" "$T/ctx"
cp "$BB" "$T/root/bin/busybox"
ln -s busybox "$T/root/bin/sh"
ln "$T/root/bin/busybox" "$T/root/bin/ls"
ln -s /bin/busybox "$T/root/bin/cat"
echo "root:x:0:0:root:/root:/bin/sh" >"$T/root/etc/passwd"
tar -C "$T/root" -cf "$T/base.tar" . || bail "tar failed"
BASE=pyoci-t040-base:$$ IMG=pyoci-t040:$$ ALIAS=pyoci-t040:alias$$
cleanup_docker() { docker rmi -f "$IMG" "$ALIAS" "$BASE" >/dev/null 2>&1; }
trap 'cleanup_docker; _on_exit' EXIT
docker import -c 'CMD ["/bin/sh"]' "$T/base.tar" "$BASE" >/dev/null || bail "docker import failed"

# A second (and third) layer from docker build: the same path written twice
# (waste dive would flag), a label, an env, and a Cmd with <>& in it.
head -c 300000 /dev/urandom >"$T/ctx/blob1"
head -c 200000 /dev/urandom >"$T/ctx/blob2"
cat >"$T/ctx/Dockerfile" <<EOF
FROM $BASE
COPY blob1 /data/blob
COPY blob2 /data/blob
LABEL org.example.b=2 org.example.a=1
ENV APP_MODE=test
CMD ["/bin/sh", "-c", "echo <hi> & bye"]
EOF
DOCKER_BUILDKIT=0 docker build -q -t "$IMG" -t "$ALIAS" "$T/ctx" >/dev/null 2>"$T/build.err" ||
  { cat "$T/build.err" >&2; bail "docker build failed"; }
docker save -o "$T/save.tar" "$IMG" "$ALIAS" "$BASE" || bail "docker save failed"
run "$PYOCI" load -i "$T/save.tar"
is "$rc" 0 "pyoci load of the docker save archive"

for ref in "$IMG" "$BASE"; do
  for f in '{{.Size}} {{len .RootFS.Layers}}' '{{.Id}}' '{{.RepoTags}}' '{{json .Config.Cmd}}' \
    '{{json .Config.Env}}' '{{.Config.Labels}}' '{{json .RootFS.Layers}}' '{{.Created}}' \
    '{{.Os}}/{{.Architecture}} {{.Author}}|{{.Comment}}' '{{range $k, $v := .Config.Labels}}{{$k}}={{$v}};{{end}}' \
    '{{.VirtualSize}}' '{{index .RootFS.Layers 0}}' '{{.Config.Entrypoint}}' '{{upper .Os}}'; do
    want=$(docker image inspect --format "$f" "$ref" 2>&1)
    run "$PYOCI" inspect --format "$f" "$ref"
    is "$out" "$want" "$ref: --format '$f' as docker prints it"
  done
done

# The whole default output, less what only a daemon knows (where it keeps
# the layers, when it tagged, the build parent; see docs/pyoci-inspect.md).
strip='import json,sys
d=json.load(sys.stdin)
for o in d:
    for k in ("GraphDriver", "Metadata", "Parent"): o.pop(k, None)
print(json.dumps(d, indent=1))'
want=$(docker image inspect "$IMG" "$BASE" | python3 -c "$strip")
run "$PYOCI" inspect "$IMG" "$BASE"
is "$rc" 0 "default output exits 0"
got=$(python3 -c "$strip" <<<"$out")
is "$got" "$want" "default JSON: every other field equal to docker's"
like "$out" '"echo <hi> & bye"' "<>& unescaped, as dockerd writes them"
like "$out" $'^\\[\n    \\{\n        "Id": "sha256:' "4-space indentation as the docker CLI prints"
like "$out" '"GraphDriver": \{
            "Data": null,
            "Name": "pyoci"
        \}' "GraphDriver names pyoci"

# Missing images: the others are still printed, exit 1.
run "$PYOCI" inspect --format '{{.Id}}' "$IMG" nosuch:1
is "$rc" 1 "a missing image makes the exit status 1"
is "$out" "$(docker image inspect --format '{{.Id}}' "$IMG")" "the found image is printed"
is "$err" "Error: No such image: nosuch:1" "the missing one is named on stderr"
run "$PYOCI" inspect nosuch:1
is "$out" "[]" "nothing found: an empty array, as docker prints"

# Template errors.
run "$PYOCI" inspect --format '{{nosuch .Id}}' "$IMG"
is "$rc" 2 "a template that does not parse is a usage error"
is "$err" 'template parsing error: template: :1: function "nosuch" not defined' "with Go's message"

# The layer sizes are cached per diff_id.
is "$(ls "$PYOCI_STORE/cache/layersize" | sort | tr '\n' ' ')" \
  "$(docker image inspect --format '{{range .RootFS.Layers}}{{println .}}{{end}}' "$IMG" | sed 's/^sha256://' | grep . | sort | tr '\n' ' ')" \
  "one cache entry per layer, named by diff_id"
done_testing
