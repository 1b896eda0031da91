#!/bin/bash
# pyoci import: rootfs tarball / directory / stdin -> one-layer image; the
# --change instructions docker import accepts; deterministic digests
# (SOURCE_DATE_EPOCH, any thread count); temp dirs cleaned on every path.
source "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || skip_all "python3 needed to read configs"
cd "$T" || bail "no temp dir"
BUSYBOX=$(command -v busybox) || skip_all "busybox-static not installed"

mkdir -p rootfs/bin rootfs/etc rootfs/tmp
cp "$BUSYBOX" rootfs/bin/busybox
ln -s busybox rootfs/bin/sh
echo hello > rootfs/etc/hello
touch -h -d @1600000000 rootfs/bin/sh rootfs/etc/hello rootfs/bin/busybox rootfs/etc rootfs/bin rootfs/tmp rootfs
tar -C rootfs -cf rootfs.tar .
export SOURCE_DATE_EPOCH=1700000000

# config of an image, read from what `pyoci save` writes
config_of() { # REF
  "$PYOCI" save "$1" -o "$T/cfg.tar" || return 1
  local c
  c=$(tar -xOf "$T/cfg.tar" manifest.json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["Config"])')
  tar -xOf "$T/cfg.tar" "$c"
}
cfg_get() { python3 -c 'import json,sys; c=json.load(sys.stdin); print(json.dumps(eval(sys.argv[1]), sort_keys=True, separators=(",",":")))' "$1"; }

run "$PYOCI" import rootfs.tar -t bb:1 \
  --change 'CMD python3 -m app' --change 'ENTRYPOINT ["/bin/sh","-c"]' --change 'ENV A=1 B="two words"' \
  --change 'ENV LEGACY some value' --change 'EXPOSE 5000 53/udp' --change 'LABEL org.x=y "k 2"=v' \
  --change 'WORKDIR /srv' --change 'WORKDIR app' --change 'USER 1000:1000'
is "$rc" 0 "import a tarball with --change"
like "$out" '^sha256:[0-9a-f]{64}$' "prints the image ID"
ID=$out
cfg=$(config_of bb:1)
is "sha256:$(printf '%s' "$cfg" | sha256sum | cut -d' ' -f1)" "$ID" "printed ID is the config digest"
is "$(cfg_get 'c["config"]["Cmd"]' <<<"$cfg")" '["/bin/sh","-c","python3 -m app"]' "shell-form CMD wrapped in /bin/sh -c"
is "$(cfg_get 'c["config"]["Entrypoint"]' <<<"$cfg")" '["/bin/sh","-c"]' "exec-form ENTRYPOINT"
is "$(cfg_get 'c["config"]["Env"]' <<<"$cfg")" '["A=1","B=two words","LEGACY=some value"]' "ENV k=v and k v forms"
is "$(cfg_get 'c["config"]["ExposedPorts"]' <<<"$cfg")" '{"5000/tcp":{},"53/udp":{}}' "EXPOSE"
is "$(cfg_get 'c["config"]["Labels"]' <<<"$cfg")" '{"k 2":"v","org.x":"y"}' "LABEL"
is "$(cfg_get 'c["config"]["WorkingDir"]' <<<"$cfg")" '"/srv/app"' "relative WORKDIR"
is "$(cfg_get 'c["config"]["User"]' <<<"$cfg")" '"1000:1000"' "USER"
is "$(cfg_get '[h.get("comment") for h in c["history"]]' <<<"$cfg")" '["Imported from rootfs.tar"]' "history comment like docker import"
is "$(cfg_get 'c["created"]' <<<"$cfg")" '"2023-11-14T22:13:20Z"' "created from SOURCE_DATE_EPOCH"
is "$(cfg_get 'len(c["rootfs"]["diff_ids"])' <<<"$cfg")" "1" "one layer"
# the layer holds the files, owners numeric, mtimes clamped
layer=$(tar -tf cfg.tar | grep layer.tar)
tar -xOf cfg.tar "$layer" > layer.tar
is "$(tar -xOf layer.tar ./etc/hello 2>/dev/null || tar -xOf layer.tar etc/hello)" "hello" "layer holds the rootfs files"
is "$(python3 -c 'import tarfile,sys; t=tarfile.open(sys.argv[1]); print(sorted({(m.uid,m.gid,m.uname,m.gname) for m in t}), max(m.mtime for m in t))' layer.tar)" \
   "[(0, 0, '', '')] 1600000000" "numeric owners only; mtimes older than SOURCE_DATE_EPOCH kept"
SDE_LATER=1500000000
run env SOURCE_DATE_EPOCH=$SDE_LATER "$PYOCI" import rootfs.tar -t bb:clamped
"$PYOCI" save bb:clamped -o clamped.tar
tar -xOf clamped.tar "$(tar -tf clamped.tar | grep layer.tar)" > clamped-layer.tar
is "$(python3 -c 'import tarfile,sys; print(max(m.mtime for m in tarfile.open(sys.argv[1])))' clamped-layer.tar)" "$SDE_LATER" \
   "mtimes clamped to SOURCE_DATE_EPOCH"

# the history comment names the source, so give one message to compare
run "$PYOCI" import rootfs.tar -t bb:plain -m same
P1=$out
run "$PYOCI" import rootfs -t bb:dir -m same
is "$out" "$P1" "directory and its tarball give the same image"
gzip -c rootfs.tar > rootfs.tar.gz
run "$PYOCI" import rootfs.tar.gz -t bb:gz -m same
is "$out" "$P1" "gzip-compressed tarball: same image"
run "$PYOCI" import rootfs.tar -t bb:again -m same
is "$out" "$P1" "same input, same ID"
m_a=$("$PYOCI" save bb:plain --format oci | tar -xOf - index.json)
m_b=$("$PYOCI" save bb:again --format oci | tar -xOf - index.json | sed 's/bb:again/bb:plain/g')
is "$m_b" "$m_a" "same input, same manifest digest"
run "$PYOCI" import - -t bb:stdin -m "from a pipe" < rootfs.tar
is "$rc" 0 "import from stdin"
is "$(config_of bb:stdin | cfg_get '[h.get("comment") for h in c["history"]]')" '["from a pipe"]' "-m sets the comment"
run "$PYOCI" import rootfs.tar --platform linux/arm64/v8 -t bb:arm
is "$(config_of bb:arm | cfg_get '[c["os"], c["architecture"], c["variant"]]')" '["linux","arm64","v8"]' "--platform"
run "$PYOCI" import rootfs.tar bb:positional
is "$rc" 0 "REPOSITORY[:TAG] as second argument (docker import syntax)"
"$PYOCI" save bb:positional -o pos.tar
ok $? "positional tag names the image"

# errors: usage, missing input, garbage, hostile tar; temp dirs always cleaned
index_before=$(cat "$PYOCI_STORE/index.json")
run "$PYOCI" import rootfs.tar -t bb:x --change 'FROM debian'
is "$rc" 2 "unsupported --change instruction is a usage error"
like "$err" "FROM is not supported" "and says so"
run "$PYOCI" import rootfs.tar -t 'Bad:Name'
is "$rc" 2 "invalid tag is a usage error"
run "$PYOCI" import /nonexistent.tar -t bb:x
is "$rc" 1 "missing input fails"
like "$err" "/nonexistent.tar" "message names the input"
head -c 5000 /dev/urandom > garbage.tar
run "$PYOCI" import garbage.tar -t bb:x
is "$rc" 1 "garbage input fails"
like "$err" "garbage.tar" "message names the input"
python3 - <<'PY'
import io, tarfile
with tarfile.open("evil.tar", "w") as t:
    for name in ("ok.txt", "../escaped.txt"):
        ti = tarfile.TarInfo(name); ti.size = 2; t.addfile(ti, io.BytesIO(b"x\n"))
PY
run "$PYOCI" import evil.tar -t bb:x
is "$rc" 1 "tarball escaping its root is rejected"
ok "$([ ! -e "$T/escaped.txt" ] && [ ! -e "$PYOCI_STORE/tmp/escaped.txt" ]; echo $?)" "nothing written outside the root"
is "$(cat "$PYOCI_STORE/index.json")" "$index_before" "failed imports tag nothing"
is "$(ls -A "$PYOCI_STORE/tmp" 2>/dev/null)" "" "no temp dirs left behind"

# a real Debian rootfs: deterministic across runs and thread counts
if [ "$(id -u)" != 0 ]; then
  skip "bookworm rootfs determinism needs root (mmdebstrap)"
elif ! ROOTFS=$(fixture_bookworm_python); then
  skip "mmdebstrap could not build the bookworm fixture"
else
  oci_manifest() { # STORE -> manifest digest via save --format oci
    PYOCI_STORE=$1 "$PYOCI" save deb:1 --format oci -o "$1.oci.tar" &&
      tar -xOf "$1.oci.tar" index.json | python3 -c 'import json,sys; print(json.load(sys.stdin)["manifests"][0]["digest"])'
  }
  # (two imports: the second is both "the same rootfs again" and "one thread")
  PYOCI_STORE=$T/d1 "$PYOCI" import "$ROOTFS" -t deb:1 > id1
  PYOCI_STORE=$T/d2 PYOCI_THREADS=1 "$PYOCI" import "$ROOTFS" -t deb:1 > id2
  m1=$(oci_manifest "$T/d1"); m2=$(oci_manifest "$T/d2")
  like "$m1" '^sha256:[0-9a-f]{64}$' "bookworm rootfs imported"
  is "$m2" "$m1" "same rootfs again with PYOCI_THREADS=1: same manifest digest"
  is "$(cat id2)" "$(cat id1)" "same image ID"
  cmp -s "$T/d1.oci.tar" "$T/d2.oci.tar"; ok $? "saved oci archives identical"

  # kill -9 mid-import: store stays consistent, nothing half-tagged
  export PYOCI_STORE=$T/kill
  for delay in 0.3 1 2; do
    "$PYOCI" import "$ROOTFS" -t deb:killed >/dev/null 2>&1 &
    pid=$!
    sleep "$delay"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    if [ -f "$PYOCI_STORE/index.json" ] && grep -q deb:killed "$PYOCI_STORE/index.json"; then
      "$PYOCI" save deb:killed -o "$T/killed.tar"; ok $? "import killed at ${delay}s finished first: image complete"
    else
      ok 0 "import killed at ${delay}s: not tagged"
    fi
    if "$PYOCI" fsck --help >/dev/null 2>&1; then
      "$PYOCI" fsck >/dev/null 2>&1; ok $? "fsck clean after import killed at ${delay}s"
    fi
  done
fi
done_testing
