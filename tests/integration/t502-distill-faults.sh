#!/bin/bash
# distill on small busybox images: a non-Python app (static busybox httpd)
# distils to what it serves; bad input and faults end with a clear message
# and an unchanged store -- a probe off loopback, an entrypoint that exits
# at once, one that never answers, kill -9 in the middle (no mount, no
# process left, fsck clean); and the trace's documented blind spot (a
# stat-only check) is caught by verify.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/distill-lib.sh"
need_root
[ -x /bin/busybox ] || skip_all "busybox-static is not installed"
command -v curl >/dev/null || skip_all "curl is not installed"

port=$(free_port)
root=$T/rootfs
mkdir -p "$root/bin" "$root/etc" "$root/www/cgi-bin"
cp /bin/busybox "$root/bin/busybox"
for a in sh sleep httpd test cat; do ln -s busybox "$root/bin/$a"; done
echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
echo 'root:x:0:' >"$root/etc/group"
echo 'hello from busybox' >"$root/www/index.html"
head -c 300000 /dev/urandom >"$root/www/unused.bin"
head -c 200000 /dev/urandom >"$root/www/big.bin" && ln "$root/www/big.bin" "$root/www/big-again.bin"
printf '#!/bin/sh\nprintf "Content-Type: text/plain\\r\\n\\r\\n"\nif [ -e /marker ]; then echo yes; else echo no; fi\n' >"$root/www/cgi-bin/check"
chmod 755 "$root/www/cgi-bin/check"
touch "$root/marker"
imp() { "$PYOCI" import -q "$root" -t "$1" --change "CMD $2" >/dev/null; }
imp bb-httpd:1 "[\"/bin/httpd\", \"-f\", \"-p\", \"127.0.0.1:$port\", \"-h\", \"/www\"]" &&
  imp bb-exit:1 '["/bin/sh", "-c", "echo boom-marker >&2; exit 3"]' &&
  imp bb-sleep:1 '["/bin/sleep", "4242"]' && imp bb-kill:1 '["/bin/sleep", "4343"]'
ok $? "four busybox images imported"

fp() { (cd "$PYOCI_STORE" && sha256sum index.json && find blobs -type f | sort); }
no_tmp() { [ -z "$(ls "$PYOCI_STORE/tmp" 2>/dev/null | grep -v '\.lock$')" ]; }
before=$(fp)

run "$PYOCI" distill bb-httpd:1 -t x:1 --probe http://10.1.2.3/
ok $((rc == 0)) "a probe URL off loopback is refused (exit $rc)"
like "$err" "not on loopback" "and the message says why"

run "$PYOCI" distill bb-exit:1 -t x:1 --probe "http://127.0.0.1:$port/" --duration 20
ok $((rc == 0)) "an entrypoint that exits at once fails the distill (exit $rc)"
like "$err" "exited with status 3" "the message gives the exit status"
like "$err" "boom-marker" "and the app's last output"

run "$PYOCI" distill bb-sleep:1 -t x:1 --probe "http://127.0.0.1:$port/" --duration 3
ok $((rc == 0)) "an app that never answers fails after --duration (exit $rc)"
like "$err" "no answer from http://127.0.0.1:$port/ within 3 s" "the message names the probe and the time"
sleep 1
ps -eo args | grep -qx '/bin/sleep 4242'
ok $((! $?)) "the app was stopped (no 'sleep 4242' left)"
is "$(fp)" "$before" "the store is unchanged (index.json, blobs)"
no_tmp
ok $? "no scratch directory left in the store"

# kill -9 while the app runs under the trace.
"$PYOCI" distill bb-kill:1 -t x:1 --probe "http://127.0.0.1:$port/" --duration 60 >/dev/null 2>&1 &
dpid=$!
for _ in $(seq 100); do ps -eo args | grep -qx '/bin/sleep 4343' && break; sleep 0.1; done
ps -eo args | grep -qx '/bin/sleep 4343'
ok $? "the app is running under distill"
kill -9 "$dpid"
wait "$dpid" 2>/dev/null
gone=1
for _ in $(seq 50); do ps -eo args | grep -qx '/bin/sleep 4343' || { gone=0; break; }; sleep 0.1; done
ok $gone "kill -9 of pyoci: the app's process is gone"
grep -q "$PYOCI_STORE" /proc/self/mountinfo
ok $((! $?)) "no mount of the store is left behind"
run "$PYOCI" fsck
is "$rc" 0 "pyoci fsck is clean afterwards"
is "$(fp)" "$before" "and the store holds what it held"

# A non-Python app: busybox httpd keeps busybox, its links, what it served.
run "$PYOCI" distill bb-httpd:1 -t bb-small:1 --probe "http://127.0.0.1:$port/index.html" --report "$T/r.json"
is "$rc" 0 "distill busybox httpd probing /index.html"
[ "$rc" = 0 ] || printf '%s\n' "$err" | tail -3 | sed 's/^/#   /'
run python3 -c '
import json, sys
k = json.load(open(sys.argv[1]))["kept_paths"]
print(" ".join(p for p in ("bin/busybox", "bin/httpd", "www/index.html", "www/unused.bin", "etc/passwd") if p in k))' "$T/r.json"
is "$out" "bin/busybox bin/httpd www/index.html etc/passwd" "kept: busybox, the httpd link, the page, passwd; not the unused file"

# The trace's blind spot: the CGI only stats /marker.  Verify catches it.
before=$(fp)
run "$PYOCI" distill bb-httpd:1 -t bb-cgi:1 --probe "http://127.0.0.1:$port/cgi-bin/check"
ok $((rc == 0)) "a stat-only dependency changes the answer: verify fails the distill"
like "$err" "cgi-bin/check: the body differs" "the message names the probe that differed"
is "$(fp)" "$before" "nothing was written"
run "$PYOCI" distill bb-httpd:1 -t bb-cgi:1 --probe "http://127.0.0.1:$port/cgi-bin/check" --include /marker
is "$rc" 0 "with --include /marker it verifies"
# Two kept names of one inode stay one file (a hard link): its bytes count once.
run "$PYOCI" distill bb-httpd:1 -t bb-hard:1 --probe "http://127.0.0.1:$port/index.html" \
  --include /www/big.bin --include /www/big-again.bin
is "$rc" 0 "distill keeping both names of a hard-linked file"
"$PYOCI" save -o "$T/hard.tar" bb-hard:1 && mkdir "$T/hard" && tar -C "$T/hard" -xf "$T/hard.tar"
layer=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[0]["Layers"][0])' "$T/hard/manifest.json")
like "$(tar -tvf "$T/hard/$layer" | grep big)" "www/big-again.bin link to www/big.bin|www/big.bin link to www/big-again.bin" \
  "the layer holds it once, with a hard link"
run "$PYOCI" distill bb-httpd:1 -t bb-cgi:2 --probe "http://127.0.0.1:$port/cgi-bin/check" --no-verify
is "$rc" 0 "--no-verify writes it anyway"
like "$err" "warning: the result answers differently" "with a warning"

# --probe-cmd without --probe: the app runs --duration seconds, then the
# command drives it; its output must match after distill.
run "$PYOCI" distill bb-httpd:1 -t bb-cmd:1 --duration 2 --report "$T/c.json" \
  --probe-cmd "curl -fsS http://127.0.0.1:$port/index.html"
is "$rc" 0 "distill with only --probe-cmd (curl from the host)"
run python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
print(r["answers"][0]["status"], r["answers"][0]["body"].strip(), "www/index.html" in r["kept_paths"])' "$T/c.json"
is "$out" "0 hello from busybox True" "the command's status and output recorded, the page it fetched kept"
# A batch job: exits 0 within --duration; its status is what verify compares.
imp bb-job:1 '["/bin/cat", "/www/index.html"]'
run "$PYOCI" distill bb-job:1 -t bb-job-small:1 --duration 10 --report "$T/j.json"
is "$rc" 0 "a batch job that exits 0 is traced to its end"
run python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
k = r["kept_paths"]
print(r["answers"], k.get("bin/busybox"), k.get("www/index.html"), "www/unused.bin" in k)' "$T/j.json"
is "$out" "[{'body': '', 'probe': 'exit status', 'status': 0}] trace trace False" \
  "its exit status is the answer; it kept busybox and the file it read, not the others"

done_testing
