# What the bench scripts share; source it after `set -euo pipefail` and TOP.
# (They also source tests/integration/lib.sh for its fixtures, where needed.)

# bench_need SCRIPT TOOL...: exit 1 naming the first tool that is missing.
bench_need() {
  local me=$1 t
  shift
  for t in "$@"; do command -v "$t" >/dev/null || { echo "$me: $t not installed" >&2; exit 1; }; done
}

# bench_need_root SCRIPT [WHY]: exit 1 unless root ("SCRIPT: needs root (WHY)").
bench_need_root() {
  [ "$(id -u)" = 0 ] || { echo "$1: needs root${2:+ ($2)}" >&2; exit 1; }
}

# calc EXPR: awk's arithmetic, six decimals.
calc() { awk "BEGIN { printf \"%.6f\", $1 }"; }

# median: of the numbers on stdin, one a line (of an even count, the upper
# middle one).
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# add NAME COMMAND: a row of the table the script times (NAMES, CMDS).
declare -a NAMES CMDS
add() { NAMES+=("$1"); CMDS+=("$2"); }

# time_rows INPUT [BEFORE_EACH]: every row's command RUNS times with INPUT
# on stdin (stdout to $W/out) under /usr/bin/time; TIMES and CPUS get the
# medians of its wall and CPU (user+sys) time -- CPU time shows the work
# done even when other processes compete for the cores.  BEFORE_EACH (a
# command) runs untimed before every run; the script's row_done I runs
# after each row.
declare -a TIMES CPUS
time_rows() {
  local input=$1 before=${2:-} i e u sy
  local -a ts cs
  for i in "${!NAMES[@]}"; do
    ts=()
    cs=()
    for _ in $(seq "$RUNS"); do
      [ -z "$before" ] || $before
      /usr/bin/time -f '%e %U %S' -o "$W/time" ${CMDS[$i]} < "$input" > "$W/out"
      read -r e u sy < <(tail -n1 "$W/time")
      ts+=("$e")
      cs+=("$(calc "$u + $sy")")
    done
    TIMES[$i]=$(printf '%s\n' "${ts[@]}" | median)
    CPUS[$i]=$(printf '%s\n' "${cs[@]}" | median)
    row_done "$i"
  done
}
