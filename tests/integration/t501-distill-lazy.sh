#!/bin/bash
# What a trace alone misses, distill keeps: a Flask app whose second route
# imports a standard-library package (sqlite3, with its C extension and
# libsqlite3) and a third-party distribution (lazyextra, installed from a
# wheel) only inside the handler, a third that decodes UTF-16 JSON and adds
# decimals, and a fourth that makes an HTTPS request to a local server
# signed by a test CA.  Only / is probed; after distill the other routes
# still answer, in docker too.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/distill-lib.sh"
distill_setup lazy-distilled:1
command -v openssl >/dev/null || skip_all "openssl is not installed"

port=$(free_port)
tls_port=$(free_port)

# A test CA and a server certificate for 127.0.0.1, made now.
(cd "$T" && openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=pyoci-test-ca &&
  openssl req -newkey rsa:2048 -nodes -keyout srv.key -out srv.csr -subj /CN=127.0.0.1 &&
  printf 'subjectAltName=IP:127.0.0.1\n' >ext &&
  openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out srv.pem -days 2 -extfile ext) >/dev/null 2>&1
ok $? "test CA and server certificate"
openssl s_server -quiet -accept "127.0.0.1:$tls_port" -cert "$T/srv.pem" -key "$T/srv.key" -www </dev/null >/dev/null 2>&1 &
_pids+=($!)

# lazyextra: a one-module wheel with its dist-info, made by hand.
python3 - "$T/lazyextra-1.0-py3-none-any.whl" <<'PY'
import base64, hashlib, sys, zipfile
files = {"lazyextra/__init__.py": "VALUE = 'lazy-ok'\n",
         "lazyextra-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: lazyextra\nVersion: 1.0\n",
         "lazyextra-1.0.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: pyoci-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
         "lazyextra-1.0.dist-info/top_level.txt": "lazyextra\n"}
rec = []
with zipfile.ZipFile(sys.argv[1], "w") as z:
    for n, body in files.items():
        z.writestr(n, body)
        h = base64.urlsafe_b64encode(hashlib.sha256(body.encode()).digest()).rstrip(b"=").decode()
        rec.append(f"{n},sha256={h},{len(body)}")
    rec.append("lazyextra-1.0.dist-info/RECORD,,")
    z.writestr("lazyextra-1.0.dist-info/RECORD", "\n".join(rec) + "\n")
PY
cat >"$T/app.py" <<PY
import os
from flask import Flask
app = Flask(__name__)

@app.route('/')
def hello_world():
    return 'Hello, World!'

@app.route('/lazy')
def lazy():
    import sqlite3
    import lazyextra
    db = sqlite3.connect(':memory:')
    return '%s %s' % (db.execute('select 6*7').fetchone()[0], lazyextra.VALUE)

@app.route('/codecs')
def codecs_route():
    # json finds UTF-16 input's codec by name; decimal's C module (its
    # pure-Python fallback is not kept)
    import decimal, json
    return '%s %s' % (json.loads('"utf16-ok"'.encode('utf-16')), decimal.Decimal('0.1') + decimal.Decimal('0.2'))

@app.route('/tls')
def tls():
    import ssl, urllib.request
    with urllib.request.urlopen('https://127.0.0.1:$tls_port/', context=ssl.create_default_context()) as r:
        return 'tls %d' % r.status

if __name__ == '__main__':
    app.run(host='127.0.0.1', port=int(os.environ['PORT']))
PY
# the test CA as the image's CA bundle (the slim base has no ca-certificates)
EXTRA_FILES=$T/ca.pem \
EXTRA_LINES='COPY ca.pem /etc/ssl/certs/ca-certificates.crt\nENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt\n' \
  build_flask_app lazy-app:1 "$port" "$T/app.py" lazyextra "$T/lazyextra-1.0-py3-none-any.whl"
st=$?
ok $st "the app builds (Flask + lazyextra from wheels, the test CA as CA bundle)"
[ $st = 0 ] || { tail -5 "$T/build.log" | sed 's/^/#   /'; bail "no image"; }

run "$PYOCI" distill lazy-app:1 -t lazy-distilled:1 --probe "http://127.0.0.1:$port/" --report "$T/report.json"
is "$rc" 0 "distill probing only /"
[ "$rc" = 0 ] || printf '%s\n' "$err" | tail -5 | sed 's/^/#   /'

python3 - "$T/report.json" >"$T/why" <<'PY'
import json, sys
k = json.load(open(sys.argv[1]))["kept_paths"]
def why(suffix):
    return next((f"{p} {w}" for p, w in sorted(k.items()) if p.endswith(suffix)), f"{suffix} missing")
for s in ("sqlite3/dbapi2.py", "_sqlite3.cpython-311-x86_64-linux-gnu.so", "libsqlite3.so.0",
          "lazyextra/__init__.py", "lazyextra-1.0.dist-info/METADATA", "etc/ssl/certs/ca-certificates.crt"):
    print(why(s))
PY
while read -r path why; do
  like "$why" '^(python|python-package|python-dist|elf|ca-bundle)$' "kept /$path ($why), never opened by the probe"
done <"$T/why"
# Left out: a fallback whose first choice is there (_pydecimal behind
# _decimal), another platform's module, a legacy code page nobody named,
# type stubs, bytecode whose source is kept.
run python3 -c '
import json, sys
k = json.load(open(sys.argv[1]))["kept_paths"]
print(" ".join(s for s in ("/_pydecimal.py", "/asyncio/windows_events.py", "/encodings/cp437.py", ".pyi",
                           "__pycache__/ssl.cpython-311.pyc") if any(p.endswith(s) for p in k)) or "none",
      all(any(p.endswith(s) for p in k) for s in ("/_decimal.cpython-311-x86_64-linux-gnu.so", "/encodings/utf_16.py",
                                                   "/lib/python3.11/ssl.py")))' "$T/report.json"
is "$out" "none True" "not kept: _pydecimal, windows_events, cp437, *.pyi, read bytecode; kept: _decimal, utf_16, ssl.py"

"$PYOCI" save -o "$T/d.tar" lazy-distilled:1 && docker load -q -i "$T/d.tar" >/dev/null
ok $? "the distilled image loads into docker"
run docker run -d --network=host lazy-distilled:1
cid=$out
is "$(wait_http "http://127.0.0.1:$port/")" "Hello, World!" "/ answers (the probed route)"
is "$(curl -fsS --max-time 10 "http://127.0.0.1:$port/lazy" 2>&1)" "42 lazy-ok" \
  "/lazy answers: sqlite3 and lazyextra, imported only in the handler, are there"
is "$(curl -fsS --max-time 10 "http://127.0.0.1:$port/codecs" 2>&1)" "utf16-ok 0.3" \
  "/codecs answers: UTF-16 JSON (a codec found by name) and decimal"
is "$(curl -fsS --max-time 10 "http://127.0.0.1:$port/tls" 2>&1)" "tls 200" \
  "/tls answers: the HTTPS request verifies the server with the CA bundle"
[ "$(curl -fsS --max-time 10 "http://127.0.0.1:$port/tls" 2>&1)" = "tls 200" ] || docker logs "$cid" 2>&1 | tail -5 | sed 's/^/#   /'
docker rm -f "$cid" >/dev/null
cid=""

# The scanners' view: lazyextra is a package that still has files.
"$PYOCI" scan -q -f cyclonedx -o "$T/d.cdx" lazy-distilled:1 2>/dev/null
like "$(python3 "$TOP/tests/integration/sbom_list.py" cyclonedx "$T/d.cdx" python)" "lazyextra 1.0" \
  "pyoci scan lists lazyextra in the distilled image"

done_testing
