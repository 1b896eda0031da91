#!/bin/bash
# Layer compression speed: pyoci's compressor vs gzip, pigz and zstd on a
# ~200 MB Debian rootfs tar (bookworm + python3, the test fixture).
#   bench/layers.sh [PYOCI_BIN]      (default build/pyoci)
# Builds bench/compress_bench.c against the libpyoci.a next to PYOCI_BIN,
# runs each tool 3 times (median wall time), prints a table and appends it
# to bench/RESULTS.md with the command, date and machine.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
source "$TOP/bench/lib.sh"
PYOCI_BIN=${1:-$TOP/build/pyoci}
BUILD=$(cd "$(dirname "$PYOCI_BIN")" && pwd)
RUNS=${BENCH_RUNS:-3}
[ -f "$BUILD/libpyoci.a" ] || { echo "layers.sh: $BUILD/libpyoci.a missing (run make)" >&2; exit 1; }
bench_need layers.sh gzip pigz zstd /usr/bin/time

W=$(mktemp -d /tmp/pyoci-bench.XXXXXX)
trap 'rm -rf "$W"' EXIT

# shellcheck disable=SC2046
cc -O2 -std=gnu11 -D_GNU_SOURCE -I"$TOP" -o "$W/compress_bench" "$TOP/bench/compress_bench.c" "$BUILD/libpyoci.a" \
  $(pkg-config --libs libarchive libcrypto libdeflate libzstd zlib jansson) -lpthread

# Input: the mmdebstrap fixture when available, else /usr tarred (~200 MB).
INPUT=""
if [ -f "$TOP/tests/integration/lib.sh" ]; then
  INPUT=$(
    # lib.sh sets traps and a temp dir of its own: keep it in a subshell.
    source "$TOP/tests/integration/lib.sh" >/dev/null 2>&1
    fixture_bookworm_python 2>/dev/null || true
  )
fi
if [ -z "$INPUT" ] || [ ! -s "$INPUT" ]; then
  INPUT=$W/usr.tar
  (cd / && find usr -xdev -type f -size -20M 2>/dev/null | head -n 200000 |
     tar -cf - -T - --no-recursion 2>/dev/null | head -c 209715200 > "$INPUT") || true
fi
INSIZE=$(stat -c %s "$INPUT")
cat "$INPUT" > /dev/null # warm the page cache

NPROC=$(nproc)
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
add "pyoci gzip -6, $NPROC threads" "$W/compress_bench gzip $NPROC 6"
add "pyoci gzip -6, 1 thread" "$W/compress_bench gzip 1 6"
add "pigz -6 ($NPROC threads)" "pigz -6 -p $NPROC -c"
add "gzip -6" "gzip -6 -c"
add "pyoci zstd -3, $NPROC threads" "$W/compress_bench zstd $NPROC 3"
add "zstd -3 -T0" "zstd -q -3 -T0 -c"

declare -a SIZES
row_done() {
  SIZES[$1]=$(stat -c %s "$W/out")
  echo "# ${NAMES[$1]}: ${TIMES[$1]} s wall, ${CPUS[$1]} s CPU, ${SIZES[$1]} bytes" >&2
}
time_rows "$INPUT"
# Check the outputs decompress to the input (last run of each pyoci mode).
"$W/compress_bench" gzip "$NPROC" 6 < "$INPUT" | gzip -dc | cmp -s - "$INPUT" || { echo "layers.sh: pyoci gzip output does not round-trip" >&2; exit 1; }
"$W/compress_bench" zstd "$NPROC" 3 < "$INPUT" | zstd -q -dc | cmp -s - "$INPUT" || { echo "layers.sh: pyoci zstd output does not round-trip" >&2; exit 1; }

LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
PIGZ_T=${TIMES[2]}
PIGZ_C=${CPUS[2]}
PIGZ_S=${SIZES[2]}
TABLE=$(
  printf '| tool | wall (s) | MB/s | CPU (s) | output (bytes) | ratio | wall speed vs pigz | CPU vs pigz | size vs pigz |\n'
  printf '|---|---:|---:|---:|---:|---:|---:|---:|---:|\n'
  for i in "${!NAMES[@]}"; do
    t=${TIMES[$i]}
    c=${CPUS[$i]}
    sz=${SIZES[$i]}
    printf '| %s | %.2f | %.0f | %.2f | %d | %.3f | %.2fx | %.2f | %.3f |\n' "${NAMES[$i]}" "$t" \
      "$(calc "$INSIZE / 1048576 / $t")" "$c" "$sz" "$(calc "$sz / $INSIZE")" \
      "$(calc "$PIGZ_T / $t")" "$(calc "$c / $PIGZ_C")" "$(calc "$sz / $PIGZ_S")"
  done
)
SPEEDUP=$(calc "$PIGZ_T / ${TIMES[0]}")
SIZEOK=$([ "${SIZES[0]}" -le "$PIGZ_S" ] && echo yes || echo no)
VERDICT=$(printf 'target (pyoci gzip >= 1.5x pigz speed, size <= pigz): speed %.2fx, size %s -> %s' "$SPEEDUP" \
  "$([ "$SIZEOK" = yes ] && echo "not larger" || echo "LARGER")" \
  "$( [ "$(awk "BEGIN { print ($SPEEDUP >= 1.5) }")" = 1 ] && [ "$SIZEOK" = yes ] && echo MET || echo MISSED)")
echo "$TABLE"
echo "$VERDICT"
{
  echo
  echo "## layers.sh — $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "Command: \`bench/layers.sh ${1:-build/pyoci}\`; input: $(basename "$INPUT") ($INSIZE bytes);" \
    "machine: $NPROC cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//');" \
    "libdeflate $(pkg-config --modversion libdeflate), libzstd $(pkg-config --modversion libzstd)," \
    "$(pigz --version 2>&1 | head -1), $(gzip --version | head -1), $(zstd --version | head -1 | sed 's/^[* ]*//; s/,.*//')." \
    "Median of $RUNS runs (wall and user+sys CPU time), input in page cache, output to a file." \
    "Load average before/after: $LOAD_BEFORE / $LOAD_AFTER (other work on the machine makes times noisy)."
  echo
  echo "$TABLE"
  echo
  echo "$VERDICT"
} >> "$TOP/bench/RESULTS.md"
