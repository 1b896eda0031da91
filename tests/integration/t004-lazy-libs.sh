#!/bin/bash
# libcurl and libarchive are opened on first use (lib/util/lazylib.h), not
# at start-up: the binary does not link them, a command that needs neither
# never loads them, and the verbs that need them still get them.
source "$(dirname "$0")/lib.sh"
command -v ldd >/dev/null || skip_all "ldd is not installed"
run ldd "$PYOCI"
is "$rc" 0 "ldd pyoci"
like "$(echo "$out" | grep -cE 'lib(curl|archive)\.so')" "^0$" "pyoci does not link libcurl or libarchive"
loaded() { LD_DEBUG=libs "$@" 2>&1 >/dev/null | grep -oE 'calling init: [^ ]*lib(curl|archive)\.so[^ ]*' | sed 's|.*/||' | sort -u | tr '\n' ' '; }
is "$(loaded "$PYOCI" --version)" "" "pyoci --version loads neither"
is "$(loaded "$PYOCI" images)" "" "pyoci images loads neither"
is "$(loaded "$PYOCI" inspect docker://127.0.0.1:1/no/such:tag)" "libcurl.so.4 " "a registry verb loads libcurl"
run "$PYOCI" inspect docker://127.0.0.1:1/no/such:tag
is "$rc" 1 "and fails as before on a registry that is not there"
like "$err" "^pyoci: .*127\.0\.0\.1:1" "with one line naming it"
printf 'PK\003\004 not really a zip' >"$T/osv.zip"
is "$(loaded "$PYOCI" db import --db "$T/v.db" "$T/osv.zip")" "libarchive.so.13 " "reading an OSV zip loads libarchive"
run "$PYOCI" db import --db "$T/v.db" "$T/osv.zip"
is "$rc" 1 "and a broken zip is refused as before"
like "$err" "^pyoci: .*osv\.zip" "with one line naming the file"
done_testing
