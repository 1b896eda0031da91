# Fixtures for build tests: a busybox base image "bb:1" with users, made
# from busybox-static so it exists identically in pyoci's store and (via
# pyoci save | docker load) in dockerd.

# make_busybox_rootfs DIR
make_busybox_rootfs() {
  local r=$1
  # dev, proc and sys exist in every real base; without them BuildKit v0.8
  # leaves the mount points it made in the first RUN's layer
  mkdir -p "$r/bin" "$r/etc" "$r/tmp" "$r/root" "$r/home/app" "$r/usr/bin" "$r/var" "$r/dev" "$r/proc" "$r/sys"
  cp /bin/busybox "$r/bin/busybox"
  local a
  for a in $(/bin/busybox --list); do
    [ "$a" = busybox ] || ln -sf busybox "$r/bin/$a"
  done
  chmod 1777 "$r/tmp"
  chmod 0700 "$r/root"
  printf 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$r/etc/passwd"
  printf 'root:x:0:\nstaff:x:50:app\napp:x:1000:\nnogroup:x:65534:\n' >"$r/etc/group"
  chown 1000:1000 "$r/home/app"
}

# make_bb_image: import bb:1 into $PYOCI_STORE (and docker when available).
make_bb_image() {
  local r=$T/bb-rootfs
  [ -d "$r" ] || make_busybox_rootfs "$r"
  SOURCE_DATE_EPOCH=1700000000 "$PYOCI" import "$r" -t bb:1 --change 'CMD ["sh"]' >/dev/null || return 1
  if [ -n "${PYOCI_TEST_DOCKER:-}" ]; then
    "$PYOCI" save bb:1 -o "$T/bb.tar" && docker load -q -i "$T/bb.tar" >/dev/null || return 1
  fi
}

# image_file TAR PATH: a file's content in a saved image (docker-archive),
# the topmost layer's copy; "<missing>" when no layer has it as a file.
image_file() {
  python3 - "$1" "$2" <<'PY'
import sys, json, tarfile, io
outer = tarfile.open(sys.argv[1]); want = sys.argv[2]
m = json.load(outer.extractfile("manifest.json"))[0]
content = None
for l in m["Layers"]:
    t = tarfile.open(fileobj=io.BytesIO(outer.extractfile(l).read()))
    for e in t.getmembers():
        if e.name.lstrip("./") == want and e.isfile():
            content = t.extractfile(e).read().decode()
sys.stdout.write(content if content is not None else "<missing>")
PY
}
