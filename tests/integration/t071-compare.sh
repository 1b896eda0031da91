#!/bin/bash
# pyoci compare: the article's comparison of two images of the same app, a
# Debian-slim-style one (bookworm + python3 from mmdebstrap) and a small
# busybox-based one.  Every number is checked against another source: Size
# and layers against `pyoci inspect`, packages against `pyoci sbom`, files
# and the largest paths against the root file systems themselves.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/build-lib.sh"
need_root
tarball=$(fixture_bookworm_python) || skip_all "mmdebstrap bookworm fixture could not be built"
export SOURCE_DATE_EPOCH=1700000000
DB=$T/vuln.db
"$PYOCI" db import -q --db "$DB" "$TOP/tests/data/osv"
ok $? "import the fixture OSV records"

# The app: Flask 2.2.2 metadata and app.py, the same in both images.
CTX=$T/ctx
mkdir -p "$CTX/app" "$CTX/site/Flask-2.2.2.dist-info"
printf 'from flask import Flask\napp = Flask(__name__)\n' >"$CTX/app/app.py"
printf 'Metadata-Version: 2.1\nName: Flask\nVersion: 2.2.2\n' >"$CTX/site/Flask-2.2.2.dist-info/METADATA"

R=$T/bookworm
mkdir -p "$R" && tar -xf "$tarball" -C "$R" --exclude='./dev/*'
"$PYOCI" import -q "$R" -t bookworm:base >/dev/null
ok $? "bookworm + python3 as an image"
make_bb_image
ok $? "busybox base image"
for base in bookworm:base bb:1; do
  printf 'FROM %s\nCOPY app /app\nCOPY site /usr/local/lib/python3.11/site-packages\n' "$base" >"$CTX/Dockerfile"
  tag=app-slim:1
  [ "$base" = bb:1 ] && tag=app-small:1
  "$PYOCI" build -q -t "$tag" "$CTX" >/dev/null
  ok $? "build $tag FROM $base"
done

run "$PYOCI" compare --db "$DB" --format json app-slim:1 app-small:1
is "$rc" 0 "compare exits 0"
printf '%s\n' "$out" >"$T/cmp.json"
field() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))["Images"][int(sys.argv[2])]; v=d[sys.argv[3]]; print(json.dumps(v) if isinstance(v,(dict,list)) or v is None else v)' "$T/cmp.json" "$@"; }
count() { python3 "$TOP/tests/integration/sbom_list.py" cyclonedx "$1" "$2" | grep -c .; }
i=0
for img in app-slim:1 app-small:1; do
  is "$(field $i Name)" "$img" "column $i is $img"
  is "$(field $i Size)" "$("$PYOCI" inspect --format '{{.Size}}' "$img")" "$img: Size equals pyoci inspect's"
  is "$(field $i Layers)" "$("$PYOCI" inspect --format '{{len .RootFS.Layers}}' "$img")" "$img: layer count equals inspect's"
  "$PYOCI" sbom -q -o "$T/sbom$i.json" "$img"
  is "$(field $i OSPackages)" "$(count "$T/sbom$i.json" deb)" "$img: OS packages equal the SBOM's deb components"
  is "$(field $i PythonPackages)" "$(count "$T/sbom$i.json" python)" "$img: Python packages equal the SBOM's"
  i=$((i + 1))
done
is "$(field 0 OS)" "debian $(cat "$R/etc/debian_version")" "slim: OS is debian + debian_version"
is "$(field 1 OS)" "null" "small: no OS recognised"
is "$(field 1 OSPackages)" 0 "small: no OS packages"
is "$(field 0 PythonPackages):$(field 1 PythonPackages)" "$(field 0 PythonPackages):1" "small: Flask is its one Python package"
nfiles_app=$(find "$CTX/app" "$CTX/site" ! -type d | wc -l)
is "$(field 0 Files)" "$(( $(find "$R" ! -type d | wc -l) + nfiles_app ))" "slim: files = the rootfs's non-directories + the app's"
is "$(field 1 Files)" "$(( $(find "$T/bb-rootfs" ! -type d | wc -l) + nfiles_app ))" "small: files = busybox rootfs + the app's"
is "$(field 1 Vulnerabilities)" '{"CRITICAL": 0, "HIGH": 1, "MEDIUM": 0, "LOW": 0, "UNKNOWN": 0}' "small: Flask 2.2.2's HIGH finding"
is "$(field 1 Secrets)" 0 "no secrets"
# The largest path only in the slim image is the rootfs's largest file
# (busybox has nothing that big); only in the small one, /bin/busybox.
want=$(cd "$R" && find . -type f -printf '%s /%P\n' | sort -k1,1nr -k2,2 | head -1)
is "$(python3 -c 'import json,sys; x=json.load(open(sys.argv[1]))["Images"][0]["LargestOnlyHere"][0]; print(x["Size"], x["Path"])' "$T/cmp.json")" \
  "$want" "slim: largest path only there"
is "$(python3 -c 'import json,sys; x=json.load(open(sys.argv[1]))["Images"][1]["LargestOnlyHere"][0]; print(x["Size"], x["Path"])' "$T/cmp.json")" \
  "$(stat -c %s /bin/busybox) /bin/busybox" "small: largest path only there is /bin/busybox"

run "$PYOCI" compare --db "$DB" app-slim:1 app-small:1
is "$rc" 0 "table compare exits 0"
slim_size=$(field 0 Size) small_size=$(field 1 Size)
like "$(sed -n 1p <<<"$out")" "^ +app-slim:1 +app-small:1$" "header: one column per image"
like "$(grep '^Size' <<<"$out")" "^Size +[0-9.]+MB \\($slim_size\\) +[0-9.]+MB \\($small_size\\)$" "Size row: both sizes, human and bytes"
like "$(grep '^Layers' <<<"$out")" "^Layers +3 +3$" "Layers row: base + two COPY layers each"
like "$(grep '^Vulnerabilities' <<<"$out")" "^Vulnerabilities +[0-9]+ \\(C:[0-9]+ H:[0-9]+ M:[0-9]+ L:[0-9]+ U:[0-9]+\\) +1 \\(C:0 H:1 M:0 L:0 U:0\\)$" "Vulnerabilities row"
like "$out" "Largest paths only in app-small:1:
 +[0-9.]+[kM]B  /bin/busybox" "the small image's own largest path"

# Archive and directory targets: the same image as an archive has the same
# numbers, and nothing differs from the store's copy.
"$PYOCI" save -q app-small:1 -o "$T/small.tar"
run "$PYOCI" compare --db "$DB" --format json app-small:1 "$T/small.tar"
printf '%s\n' "$out" >"$T/cmp2.json"
is "$(python3 -c 'import json,sys; a,b=json.load(open(sys.argv[1]))["Images"]; [x.pop("Name") for x in (a,b)]; print(a==b, a["LargestOnlyHere"])' "$T/cmp2.json")" \
  "True []" "an image and its archive compare equal, with no paths of their own"
run "$PYOCI" compare --no-cache --db "$T/none.db" --format json "$R" bookworm:base
printf '%s\n' "$out" >"$T/cmp3.json"
is "$(python3 -c 'import json,sys; a,b=json.load(open(sys.argv[1]))["Images"]; print(a["Size"]==b["Size"], a["Files"]==b["Files"], a["Layers"], a["Vulnerabilities"], a["OSPackages"]==b["OSPackages"])' "$T/cmp3.json")" \
  "True True None None True" "a root directory and its imported image: same size, files and packages (no DB: no vulnerability counts)"

run "$PYOCI" compare app-small:1
is "$rc" 2 "one target is a usage error"
run "$PYOCI" compare app-small:1 nosuch:1
is "$rc" 1 "an unknown image fails"
like "$err" "nosuch" "the error names it"
done_testing
