# What the bench scripts share; source it after `set -euo pipefail` and TOP.
# (They also source tests/integration/lib.sh for its fixtures, where needed.)

# bench_need SCRIPT TOOL...: exit 1 naming the first tool that is missing.
bench_need() {
  local me=$1 t
  shift
  for t in "$@"; do command -v "$t" >/dev/null || { echo "$me: $t not installed" >&2; exit 1; }; done
}

# calc EXPR: awk's arithmetic, six decimals.
calc() { awk "BEGIN { printf \"%.6f\", $1 }"; }

# median: of the numbers on stdin, one a line (of an even count, the upper
# middle one).
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# add NAME COMMAND: a row of the table the script times (NAMES, CMDS).
declare -a NAMES CMDS
add() { NAMES+=("$1"); CMDS+=("$2"); }
