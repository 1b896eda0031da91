#!/bin/bash
# Every global symbol the library defines carries the pyoci_ prefix
# (docs/ARCHITECTURE.md, "Globals"): read from the built libpyoci.a with nm,
# so a helper made global by mistake, or a module's own prefix (reg_*),
# shows up here.
cd "$(dirname "$0")/../.." || exit 1
echo "1..1"
lib="$(dirname "${PYOCI_BIN:-build/pyoci}")/libpyoci.a"
if ! command -v nm >/dev/null; then
  echo "ok 1 # SKIP nm is not installed"
  exit 0
fi
if [ ! -f "$lib" ]; then
  echo "ok 1 # SKIP no $lib (build first)"
  exit 0
fi
# Defined globals (text, data, bss, read-only, common); the archive's member
# name comes first on each line with -A.
# Symbols the compiler adds under SANITIZE (ASan's one-definition-rule
# indicators "__odr_asan.<ours>", __asan_*/__ubsan_*) are not ours, and
# lazy_curl.o / lazy_archive.o define libcurl's and libarchive's own
# functions, forwarding them to the library opened on first use (lazylib.h).
bad=$(nm -A -g --defined-only "$lib" |
  awk '$(NF-1) ~ /^[TDBRCGSV]$/ && $NF !~ /^pyoci_/ && !($1 ~ /:lazy_(curl|archive)\.o:/ && $NF ~ /^(curl_|archive_)/) && $NF !~ /^__(odr_asan\.pyoci_|asan_|ubsan_|sancov_)/ {print $1, $NF}')
if [ -z "$bad" ]; then
  echo "ok 1 - every global symbol of $(basename "$lib") starts with pyoci_"
else
  echo "not ok 1 - global symbols without the pyoci_ prefix"
  printf '%s\n' "$bad" | sed 's/^/# /'
fi
