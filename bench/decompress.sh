#!/bin/bash
# Layer decompression speed: `pyoci save` (docker-archive, gzip layers
# decompressed and their diff_ids verified) and `pyoci inspect` with an
# empty layer-size cache (every layer read through the tar reader) on the
# bookworm + python3 fixture imported as one gzip layer, and the decompressor
# alone (bench/decompress_bench.c) next to gzip -dc and pigz -dc of the same
# blob.
#   bench/decompress.sh [PYOCI_BIN]     (default build/pyoci)
#   PYOCI_BEFORE=/path/to/old/pyoci bench/decompress.sh   adds rows for an older build
# Median of 3 runs (BENCH_RUNS), wall and user+sys CPU; appends to bench/RESULTS.md.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
source "$TOP/bench/lib.sh"
PYOCI_BIN=$(realpath "${1:-$TOP/build/pyoci}")
BUILD=$(dirname "$PYOCI_BIN")
BEFORE=${PYOCI_BEFORE:-}
RUNS=${BENCH_RUNS:-3}
[ -f "$BUILD/libpyoci.a" ] || { echo "decompress.sh: $BUILD/libpyoci.a missing (run make)" >&2; exit 1; }
bench_need decompress.sh gzip pigz /usr/bin/time

W=$(mktemp -d /tmp/pyoci-bench.XXXXXX)
trap 'rm -rf "$W"' EXIT
# shellcheck disable=SC2046
cc -O2 -std=gnu11 -D_GNU_SOURCE -I"$TOP" -o "$W/decompress_bench" "$TOP/bench/decompress_bench.c" "$BUILD/libpyoci.a" \
  $(pkg-config --libs libarchive libcrypto libdeflate libzstd zlib jansson) -lpthread

INPUT=$(
  source "$TOP/tests/integration/lib.sh" >/dev/null 2>&1
  fixture_bookworm_python 2>/dev/null || true
)
[ -n "$INPUT" ] && [ -s "$INPUT" ] || { echo "decompress.sh: no bookworm fixture (mmdebstrap)" >&2; exit 1; }
export PYOCI_STORE=$W/store
"$PYOCI_BIN" import "$INPUT" -t bench:1 >/dev/null
BLOB=$(ls -S "$PYOCI_STORE"/blobs/sha256/* | head -1)
BLOBSIZE=$(stat -c %s "$BLOB")
USIZE=$(gzip -dc < "$BLOB" | wc -c)
cat "$BLOB" > /dev/null

NPROC=$(nproc)
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
add "pyoci save ($NPROC threads)" "$PYOCI_BIN save bench:1 -o $W/out.tar"
add "pyoci save (PYOCI_THREADS=1)" "env PYOCI_THREADS=1 $PYOCI_BIN save bench:1 -o $W/out.tar"
[ -n "$BEFORE" ] && add "before: pyoci save" "$BEFORE save bench:1 -o $W/out.tar"
add "pyoci inspect, no layersize cache" "$PYOCI_BIN inspect bench:1"
[ -n "$BEFORE" ] && add "before: pyoci inspect, no layersize cache" "$BEFORE inspect bench:1"
add "decompress_bench ($NPROC threads)" "$W/decompress_bench"
add "decompress_bench (PYOCI_THREADS=1)" "env PYOCI_THREADS=1 $W/decompress_bench"
add "gzip -dc" "gzip -dc"
add "pigz -dc" "pigz -dc"

no_layersize_cache() { rm -rf "$PYOCI_STORE/cache/layersize"; }
row_done() { echo "# ${NAMES[$1]}: ${TIMES[$1]} s wall, ${CPUS[$1]} s CPU" >&2; }
time_rows "$BLOB" no_layersize_cache
# The decompressor's output is gzip's.
"$W/decompress_bench" < "$BLOB" | cmp -s - <(gzip -dc < "$BLOB") || { echo "decompress.sh: output differs from gzip -dc" >&2; exit 1; }

LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
TABLE=$(
  printf '| command | wall (s) | CPU (s) | uncompressed MB/s (wall) |\n'
  printf '|---|---:|---:|---:|\n'
  for i in "${!NAMES[@]}"; do
    printf '| %s | %.2f | %.2f | %.0f |\n' "${NAMES[$i]}" "${TIMES[$i]}" "${CPUS[$i]}" "$(calc "$USIZE / 1048576 / ${TIMES[$i]}")"
  done
)
echo "$TABLE"
{
  echo
  echo "## decompress — $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "Command: \`${PYOCI_BEFORE:+PYOCI_BEFORE=$BEFORE }bench/decompress.sh ${1:-build/pyoci}\`;" \
    "image: $(basename "$INPUT") imported as one pyoci gzip layer ($BLOBSIZE bytes, $USIZE uncompressed);" \
    "machine: $NPROC cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//');" \
    "libdeflate $(pkg-config --modversion libdeflate), zlib $(pkg-config --modversion zlib), $(pigz --version 2>&1 | head -1), $(gzip --version | head -1)." \
    "Median of $RUNS runs, wall and user+sys CPU, blob in page cache. \`pyoci save\` decompresses each layer twice (size, then content)." \
    "Load average before/after: $LOAD_BEFORE / $LOAD_AFTER (other work on the machine makes times noisy)."
  echo
  echo "$TABLE"
} >> "$TOP/bench/RESULTS.md"
