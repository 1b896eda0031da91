#!/bin/bash
# Interop with the real tools: docker save -> pyoci load -> pyoci save ->
# docker load keeps image IDs; a pyoci-imported Debian rootfs runs python3 in
# Docker; oci-archives from pyoci work in skopeo and podman, and skopeo's
# work in pyoci.
source "$(dirname "$0")/lib.sh"
need_docker
command -v python3 >/dev/null || skip_all "python3 needed"
BUSYBOX=$(command -v busybox) || skip_all "busybox-static not installed"
cd "$T" || bail "no temp dir"
dtag=pyoci-t032-$$
cleanup_docker() { docker rmi -f "$dtag-base:1" "$dtag-app:1" "$dtag-py:1" "$dtag-chg:1" >/dev/null 2>&1; }
trap 'cleanup_docker; _on_exit' EXIT

# ---- an image built by docker, without a registry ----
mkdir -p rootfs/bin ctx
cp "$BUSYBOX" rootfs/bin/busybox
for c in sh cat mkdir echo; do ln -s busybox "rootfs/bin/$c"; done
tar -C rootfs -cf rootfs.tar .
docker import rootfs.tar "$dtag-base:1" >/dev/null || bail "docker import failed"
echo data > ctx/f.txt
printf 'FROM %s\nRUN echo built > /built && mkdir /app\nCOPY f.txt /app/\nENV X=1\nCMD ["/bin/cat","/built"]\n' \
  "$dtag-base:1" > ctx/Dockerfile
DOCKER_BUILDKIT=0 docker build -q -t "$dtag-app:1" ctx >/dev/null 2>&1 || bail "docker build failed"
app_id=$(docker image inspect -f '{{.Id}}' "$dtag-app:1")
base_id=$(docker image inspect -f '{{.Id}}' "$dtag-base:1")
docker save "$dtag-app:1" "$dtag-base:1" -o dsave.tar || bail "docker save failed"

run "$PYOCI" load -i dsave.tar
is "$rc" 0 "pyoci loads docker save output"
# docker save lists the images in no fixed order (it walks a Go map)
is "$(sort <<<"$out")" "$(printf 'Loaded image: %s\nLoaded image: %s' "$dtag-app:1" "$dtag-base:1" | sort)" "with docker's tags"
run "$PYOCI" save "$dtag-app:1" "$dtag-base:1" -o psave.tar
is "$rc" 0 "pyoci save docker format"
cleanup_docker
run docker load -i psave.tar
is "$rc" 0 "docker load accepts it"
is "$(docker image inspect -f '{{.Id}}' "$dtag-app:1")" "$app_id" "built image: same image ID after the round trip"
is "$(docker image inspect -f '{{.Id}}' "$dtag-base:1")" "$base_id" "imported base: same image ID"
is "$(docker run --rm --network=host "$dtag-app:1")" "built" "it runs"
is "$(docker run --rm --network=host "$dtag-app:1" cat /app/f.txt)" "data" "COPY layer intact"

# import --change: the same instructions through docker import and pyoci
# import give the same container config (docker applies them with its
# Dockerfile dispatchers: quoting, $VAR expansion, HEALTHCHECK, ONBUILD).
# (STOPSIGNAL, which pyoci also takes, is refused by docker import.)
changes=(
  --change 'ENV BASE=/opt/app GREETING="hello world"'
  --change 'ENV PATH=$BASE/bin:/usr/bin:/bin'
  --change 'WORKDIR $BASE'
  --change 'WORKDIR src'
  --change 'CMD python3 -m app "$GREETING"'
  --change 'ENTRYPOINT ["/bin/sh", "-c"]'
  --change 'EXPOSE 5000 53/udp 7000-7001'
  --change 'LABEL org.example.name="demo app" version=1'
  --change 'USER 1000:1000'
  --change 'VOLUME ["/data", "/cache"]'
  --change 'HEALTHCHECK --interval=30s --timeout=5s --retries=2 CMD wget -q -O- http://127.0.0.1:5000/ || exit 1'
  --change 'ONBUILD COPY . $BASE'
)
docker import "${changes[@]}" rootfs.tar "$dtag-chg:1" >/dev/null || bail "docker import --change failed"
run "$PYOCI" import "${changes[@]}" rootfs.tar "$dtag-chg:1"
is "$rc" 0 "pyoci import with the same --change list"
keys='Cmd Entrypoint Env ExposedPorts Labels WorkingDir User Volumes Healthcheck OnBuild'
pick() { python3 -c 'import json,sys; c=json.load(sys.stdin); print(json.dumps({k: c.get(k) for k in sys.argv[1].split()}, sort_keys=True))' "$keys"; }
want=$(docker image inspect -f '{{json .Config}}' "$dtag-chg:1" | pick)
got=$("$PYOCI" inspect -f '{{json .Config}}' "$dtag-chg:1" | pick)
is "$got" "$want" "config matches docker import --change ($keys)"

# oci-archive round trip through pyoci, back into docker
"$PYOCI" save "$dtag-app:1" --format oci -o app-oci.tar
PYOCI_STORE=$T/s2 "$PYOCI" load -i app-oci.tar >/dev/null
PYOCI_STORE=$T/s2 "$PYOCI" save "$dtag-app:1" -o app-from-oci.tar
cleanup_docker
docker load -i app-from-oci.tar >/dev/null
is "$(docker image inspect -f '{{.Id}}' "$dtag-app:1")" "$app_id" "oci-archive round trip keeps the image ID"

# skopeo writes an oci-archive from the daemon; pyoci reads it
if command -v skopeo >/dev/null; then
  run skopeo copy -q --src-daemon-host "$DOCKER_HOST" "docker-daemon:$dtag-app:1" "oci-archive:$T/sk.tar:$dtag-app:1"
  if [ "$rc" = 0 ]; then
    run env PYOCI_STORE="$T/s3" "$PYOCI" load -i sk.tar
    is "$out" "Loaded image: $dtag-app:1" "skopeo's oci-archive loads"
    # skopeo rewrites the config as an OCI config, so the ID is its digest
    sk_id=$(python3 - sk.tar <<'PY'
import json, sys, tarfile
t = tarfile.open(sys.argv[1])
idx = json.load(t.extractfile("index.json"))
m = json.load(t.extractfile("blobs/sha256/" + idx["manifests"][0]["digest"][7:]))
print(m["config"]["digest"])
PY
)
    PYOCI_STORE=$T/s3 "$PYOCI" save "$dtag-app:1" -o sk-docker.tar
    cleanup_docker
    docker load -i sk-docker.tar >/dev/null
    is "$(docker image inspect -f '{{.Id}}' "$dtag-app:1")" "$sk_id" "saved for docker: ID is skopeo's config digest"
    is "$(docker run --rm --network=host "$dtag-app:1")" "built" "and it runs"
  else
    skip "skopeo cannot read the docker daemon here: $err"
  fi
else
  skip "skopeo not installed"
fi

# ---- a Debian rootfs imported by pyoci runs python in docker ----
if ! ROOTFS=$(fixture_bookworm_python); then
  skip "mmdebstrap could not build the bookworm fixture"
  done_testing
fi
run "$PYOCI" import "$ROOTFS" -t "$dtag-py:1" --change 'CMD ["python3"]'
is "$rc" 0 "import the bookworm+python3 rootfs"
py_id=$out
"$PYOCI" save "$dtag-py:1" -o py.tar
run docker load -i py.tar
is "$out" "Loaded image: $dtag-py:1" "docker loads pyoci's archive"
is "$(docker image inspect -f '{{.Id}}' "$dtag-py:1")" "$py_id" "docker shows pyoci's image ID"
is "$(docker run --rm --network=host "$dtag-py:1" python3 -c 'print(42)')" "42" "python3 runs in docker"

"$PYOCI" save "$dtag-py:1" --format oci -o py-oci.tar
run skopeo inspect "oci-archive:$T/py-oci.tar"
is "$rc" 0 "skopeo inspects pyoci's oci-archive"
is "$(python3 -c 'import json,sys; print(len(json.load(sys.stdin)["Layers"]))' <<<"$out")" "1" "one layer"
run skopeo inspect --config "oci-archive:$T/py-oci.tar:$dtag-py:1"
is "sha256:$(printf '%s' "$out" | python3 -c 'import json,sys,hashlib; print(json.load(sys.stdin)["config"]["Cmd"])')" "sha256:['python3']" "skopeo finds the image by its ref.name"
if command -v podman >/dev/null; then
  pod=(podman --root "$T/podroot" --runroot "$T/podrun" --storage-driver vfs)
  run "${pod[@]}" load -i py-oci.tar
  is "$rc" 0 "podman loads pyoci's oci-archive"
  like "$out" "Loaded image: (docker.io/library/)?$dtag-py:1" "with its name"
  is "sha256:$("${pod[@]}" image inspect -f '{{.Id}}' "$dtag-py:1")" "$py_id" "podman shows the same image ID"
  "${pod[@]}" rmi -af >/dev/null 2>&1
else
  skip "podman not installed"
fi
done_testing
