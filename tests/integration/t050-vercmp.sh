#!/bin/bash
# pyoci vercmp against the real implementations: 10,000 random Debian pairs
# checked by dpkg --compare-versions, 10,000 random PEP 440 pairs (and the
# normal form of 500 versions) checked by python's packaging.version.  The
# seed is random per run and printed, so a failure can be replayed with
# PYOCI_VERCMP_SEED=N.
source "$(dirname "$0")/lib.sh"

N=${PYOCI_VERCMP_PAIRS:-10000}
SEED=${PYOCI_VERCMP_SEED:-$RANDOM$RANDOM}
GEN="$TOP/tests/integration/helpers/vercmp_pairs.py"
diag "seed $SEED, $N pairs per scheme"

# A python that has packaging: Debian's python3-packaging lives in /usr/bin.
PY=
for p in python3 /usr/bin/python3; do
  if "$p" -c 'import packaging.version' 2>/dev/null; then PY=$p; break; fi
done

# ---- the verb's surface -------------------------------------------------
run "$PYOCI" vercmp deb 1.0 1.0~rc1
is "$rc:$out" "0:>" "deb: ~ sorts before the end of the string"
run "$PYOCI" vercmp deb 1:0.9 2.0
is "$rc:$out" "0:>" "deb: epoch wins"
run "$PYOCI" vercmp pypi 1.0.dev0 1.0a0
is "$rc:$out" "0:<" "pypi: dev release before alpha"
run "$PYOCI" vercmp pypi V1.0-1 1.0.POST1
is "$rc:$out" "0:=" "pypi: implicit post release and case are normalised"
run "$PYOCI" vercmp apk 1.0_rc1 1.0-r1
is "$rc:$out" "0:<" "apk: rc suffix before the release"
run "$PYOCI" vercmp pypi 1.0.x 1.0
is "$rc:$out" "1:" "pypi: invalid version exits 1"
is "$err" "pyoci: invalid PEP 440 version '1.0.x'" "pypi: the error names the version"
run "$PYOCI" vercmp deb 1.0 a1
is "$rc:$err" "1:pyoci: invalid Debian version 'a1': version number does not start with digit" \
  "deb: dpkg's validity rule and message"
run "$PYOCI" vercmp apk 1.0 1.0-x
like "$rc:$err" "^1:pyoci: invalid Alpine version '1.0-x'" "apk: invalid version exits 1"
run "$PYOCI" vercmp rpm 1 2
is "$rc" 2 "unknown scheme is a usage error"
run "$PYOCI" vercmp deb 1
is "$rc" 2 "missing argument is a usage error"
run "$PYOCI" vercmp --normalize pypi ' v1!01.02-ALPHA_3-r.dev+Ubuntu-1.0012 '
is "$rc:$out" "0:1!1.2a3.post0.dev0+ubuntu.1.12" "pypi: --normalize"

# ---- Debian: dpkg is the oracle ------------------------------------------
if ! command -v dpkg >/dev/null; then
  skip "dpkg not installed"
else
  python3 "$GEN" gen deb "$N" "$SEED" >"$T/deb.pairs"
  "$PYOCI" vercmp --batch deb <"$T/deb.pairs" >"$T/deb.ours"
  is "$(wc -l <"$T/deb.ours")" "$N" "deb: one answer per pair"
  # One dpkg call per pair confirms our answer exactly: '<' is confirmed by
  # 'lt', '=' by 'eq', '>' by 'gt'; an invalid version must make dpkg say
  # "bad syntax".  Two shell scripts run side by side.
  paste "$T/deb.pairs" "$T/deb.ours" | awk -F'\t' -v q="'" '
    { a = $1; b = $2; r = $3
      if (r ~ /^error/) {
        printf "o=$(dpkg --compare-versions %s%s%s lt %s%s%s 2>&1); case \"$o\" in *\"bad syntax\"*) ;; *) printf \"MISMATCH\\t%%s\\t%%s\\tours=error dpkg=%%s\\n\" %s%s%s %s%s%s \"$o\";; esac\n", q,a,q, q,b,q, q,a,q, q,b,q
      } else {
        op = (r == "<") ? "lt" : (r == "=") ? "eq" : "gt"
        printf "o=$(dpkg --compare-versions %s%s%s %s %s%s%s 2>&1) && [ -z \"$o\" ] || printf \"MISMATCH\\t%%s\\t%%s\\tours=%s %%s\\n\" %s%s%s %s%s%s \"$o\"\n", q,a,q, op, q,b,q, r, q,a,q, q,b,q
      }
    }' >"$T/deb.check.sh"
  split -n l/2 "$T/deb.check.sh" "$T/deb.part."
  for part in "$T"/deb.part.*; do sh "$part" >"$part.out" 2>&1 & done
  wait
  cat "$T"/deb.part.*.out >"$T/deb.mismatch"
  is "$(head -5 "$T/deb.mismatch")" "" "deb: $N random pairs agree with dpkg --compare-versions"
  diag "deb: $(grep -c . "$T/deb.ours") pairs, $(grep -c '^error' "$T/deb.ours") invalid, $(grep -c '^=' "$T/deb.ours") equal"
  ok "$([ "$(grep -c '^error' "$T/deb.ours")" -gt 0 ] && [ "$(grep -c '^=' "$T/deb.ours")" -gt 100 ]; echo $?)" \
    "deb: the sample has invalid and equal pairs"
fi

# ---- PEP 440: packaging.version is the oracle ------------------------------
if [ -z "$PY" ]; then
  skip "python packaging module not available (scripts/deps.sh installs python3-packaging)"
  skip "python packaging module not available"
else
  python3 "$GEN" gen pypi "$N" "$SEED" >"$T/pypi.pairs"
  "$PYOCI" vercmp --batch pypi <"$T/pypi.pairs" | sed 's/^error:.*/error/' >"$T/pypi.ours"
  "$PY" "$GEN" oracle-pypi <"$T/pypi.pairs" >"$T/pypi.theirs"
  paste "$T/pypi.pairs" "$T/pypi.ours" "$T/pypi.theirs" | awk -F'\t' '$3 != $4' >"$T/pypi.mismatch"
  is "$(head -5 "$T/pypi.mismatch")" "" "pypi: $N random pairs agree with packaging.version"
  diag "pypi: $(grep -c '^error' "$T/pypi.theirs") invalid, $(grep -c '^=' "$T/pypi.theirs") equal"
  ok "$([ "$(grep -c '^error' "$T/pypi.theirs")" -gt 0 ] && [ "$(grep -c '^=' "$T/pypi.theirs")" -gt 100 ]; echo $?)" \
    "pypi: the sample has invalid and equal pairs"
  cut -f1 "$T/pypi.pairs" | head -500 >"$T/pypi.versions"
  "$PY" "$GEN" normalize <"$T/pypi.versions" >"$T/norm.theirs"
  while IFS= read -r v; do
    "$PYOCI" vercmp --normalize pypi "$v" 2>/dev/null || echo error
  done <"$T/pypi.versions" >"$T/norm.ours"
  paste "$T/pypi.versions" "$T/norm.ours" "$T/norm.theirs" | awk -F'\t' '$2 != $3' >"$T/norm.mismatch"
  is "$(head -5 "$T/norm.mismatch")" "" "pypi: normal form of 500 versions equals str(Version(v))"
fi

done_testing
