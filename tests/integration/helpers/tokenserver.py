#!/usr/bin/env python3
"""A token server for distribution's token auth, for the registry tests.

  tokenserver.py PORTFILE KEY.pem ISSUER USER PASS LOG [EXPIRE_FIRST_FILE]

GET /token?service=S&scope=repository:NAME:ACTIONS[&scope=...]: with Basic
USER:PASS every requested action is granted; without credentials only
"pull"; wrong credentials get 401.  Tokens are RS256 JWTs signed with KEY
(the registry trusts its certificate through rootcertbundle) and carry the
libtrust key ID the registry looks keys up by.  Each request is logged as
"user=U scope=S" (one line per scope, "scope=" when none).  When
EXPIRE_FIRST_FILE exists, the next token is already expired (and the file is
removed): the client must re-authenticate once.  Only tokens for a
repository scope expire this way, not the scope-less one of the ping.  Signing uses the openssl
command, so any python3 works."""
import base64
import hashlib
import json
import os
import subprocess
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORTFILE, KEY, ISSUER, USER, PASS, LOG = sys.argv[1:7]
EXPIRE_FIRST = sys.argv[7] if len(sys.argv) > 7 else None
lock = threading.Lock()


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def libtrust_kid():
    der = subprocess.run(["openssl", "pkey", "-in", KEY, "-pubout", "-outform", "DER"], check=True,
                         capture_output=True).stdout
    s = base64.b32encode(hashlib.sha256(der).digest()[:30]).decode().rstrip("=")
    return ":".join(s[i:i + 4] for i in range(0, len(s), 4))


KID = libtrust_kid()


def sign(claims):
    header = {"typ": "JWT", "alg": "RS256", "kid": KID}
    signing_input = (b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())).encode()
    sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", KEY], input=signing_input, check=True,
                         capture_output=True).stdout
    return signing_input.decode() + "." + b64url(sig)


class H(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def user(self):
        h = self.headers.get("Authorization", "")
        if not h.startswith("Basic "):
            return None, True
        u, _, p = base64.b64decode(h[6:]).decode().partition(":")
        return u, u == USER and p == PASS

    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        q = urllib.parse.parse_qs(url.query)
        user, good = self.user()
        scopes = q.get("scope", [])
        with lock:
            with open(LOG, "a") as f:
                for s in scopes or [""]:
                    f.write("user=%s scope=%s\n" % (user or "", s))
        if url.path != "/token" or not good:
            self.send_response(401)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"errors":[{"code":"UNAUTHORIZED","message":"bad credentials"}]}')
            return
        access = []
        for s in scopes:
            typ, name, actions = s.split(":", 2) if s.count(":") >= 2 else ("", "", "")
            acts = actions.split(",") if user else [a for a in actions.split(",") if a == "pull"]
            access.append({"type": typ, "name": name, "actions": acts})
        now = int(time.time())
        exp = now + 300
        with lock:
            if EXPIRE_FIRST and scopes and os.path.exists(EXPIRE_FIRST):
                os.unlink(EXPIRE_FIRST)
                exp = now - 120
        claims = {"iss": ISSUER, "sub": user or "", "aud": q.get("service", [""])[0], "exp": exp,
                  "nbf": now - 300, "iat": now - 300, "jti": os.urandom(8).hex(), "access": access}
        body = json.dumps({"token": sign(claims), "expires_in": 300}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
with open(PORTFILE + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(PORTFILE + ".tmp", PORTFILE)
srv.serve_forever()
