#!/usr/bin/env python3
"""An HTTP proxy in front of a registry that misbehaves on request, for the
registry fault tests.

  faultproxy.py PORTFILE UPSTREAM(host:port) MODEFILE LOG

Before each request the proxy reads MODEFILE ("MODE [ARG]"):
  pass                  forward everything
  drop-blob DIGEST      the first GET of that blob sends half the body, then
                        closes the connection (a resume with Range follows)
  429 SUBSTR            the first request whose path has SUBSTR: 429 with
                        Retry-After: 1
  500 SUBSTR            the first such request: 500
  corrupt-blob DIGEST   that blob's bytes with one byte flipped, every time
  big-manifest          manifest GETs answer 50 MB of JSON-looking bytes
  schema1               manifest GETs answer a Docker schema 1 manifest
  slow-blob DIGEST      that blob at about 64 KB/s
  redirect-blob DIGEST  that blob: 307 to the same proxy named "localhost"
                        (another host to the client); requests that are not
                        redirected must carry Basic credentials (401 else)
  referrers-api         the proxy is a registry with the OCI 1.1 referrers
                        API (distribution-spec 1.1 "Listing Referrers"): a
                        manifest PUT with a subject is answered with
                        OCI-Subject and indexed here, GET /v2/NAME/referrers/
                        DIGEST lists what was indexed
Each request is logged as "TIME METHOD PATH status=N range=R auth=yes|no".
"""
import hashlib
import json
import os
import sys
import threading
import time
import http.client
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORTFILE, UPSTREAM, MODEFILE, LOG = sys.argv[1:5]
lock = threading.Lock()
used = set()
referrers = {}  # (repository, subject digest) -> [descriptor], for referrers-api


def mode():
    try:
        with open(MODEFILE) as f:
            parts = f.read().split()
    except FileNotFoundError:
        parts = []
    return (parts + ["pass", ""])[:2] if parts else ["pass", ""]


def once(key):
    with lock:
        if key in used:
            return False
        used.add(key)
        return True


class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def log(self, status):
        with lock, open(LOG, "a") as f:
            f.write("%.3f %s %s status=%d range=%s auth=%s\n" % (
                time.time(), self.command, self.path, status, self.headers.get("Range", "-"),
                "yes" if self.headers.get("Authorization") else "no"))

    def reply(self, status, body=b"", headers=()):
        self.log(status)
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def request_body(self):
        """The request's body, read once (None when it has none)."""
        if not hasattr(self, "_body"):
            n = int(self.headers.get("Content-Length") or 0)
            self._body = self.rfile.read(n) if n else None
        return self._body

    def upstream(self, path):
        c = http.client.HTTPConnection(UPSTREAM, timeout=60)
        body = self.request_body()
        hdrs = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "authorization")}
        hdrs["Host"] = self.headers.get("Host", UPSTREAM)
        c.request(self.command, path, body=body, headers=hdrs)
        return c.getresponse()

    def relay(self, r, body_filter=None, rate=None, cut=None):
        data = r.read()
        if body_filter:
            data = body_filter(data)
        self.log(r.status)
        self.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command == "HEAD":
            return
        if cut is not None:
            self.wfile.write(data[:cut])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(2)
            return
        if rate:
            for i in range(0, len(data), rate // 10):
                self.wfile.write(data[i:i + rate // 10])
                self.wfile.flush()
                time.sleep(0.1)
            return
        self.wfile.write(data)

    def handle_one(self):
        m, arg = mode()
        path = self.path
        if path.startswith("/redirected"):
            return self.relay(self.upstream(path[len("/redirected"):]))
        if m == "redirect-blob" and not self.headers.get("Authorization"):
            return self.reply(401, b'{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}',
                              [("WWW-Authenticate", 'Basic realm="proxy"'), ("Content-Type", "application/json")])
        if m == "redirect-blob" and "/blobs/" + arg in path and self.command == "GET":
            port = self.server.server_address[1]
            return self.reply(307, b"", [("Location", "http://localhost:%d/redirected%s" % (port, path))])
        if m in ("429", "500") and arg in path and once(m + arg):
            hdrs = [("Retry-After", "1")] if m == "429" else []
            return self.reply(int(m), b'{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}'
                              if m == "429" else b"oops", hdrs)
        if m == "big-manifest" and "/manifests/" in path and self.command == "GET":
            return self.big_manifest()
        if m == "schema1" and "/manifests/" in path and self.command == "GET":
            body = b'{"schemaVersion":1,"name":"t/bb","tag":"1","architecture":"amd64","fsLayers":[],"history":[]}'
            return self.reply(200, body, [("Content-Type", "application/vnd.docker.distribution.manifest.v1+prettyjws")])
        if m == "referrers-api" and "/referrers/" in path and self.command == "GET":
            return self.list_referrers(path)
        if m == "referrers-api" and "/manifests/" in path and self.command == "PUT":
            return self.put_with_subject(path)
        r = self.upstream(path)
        is_blob = m.endswith("-blob") and self.command == "GET" and path.endswith("/blobs/" + arg)
        if is_blob and m == "drop-blob" and "Range" not in self.headers and once("drop" + arg):
            return self.relay(r, cut=int(r.getheader("Content-Length", "2")) // 2)
        if is_blob and m == "corrupt-blob":
            return self.relay(r, body_filter=lambda d: bytes([d[0] ^ 1]) + d[1:])
        if is_blob and m == "slow-blob":
            return self.relay(r, rate=65536)
        return self.relay(r)

    def list_referrers(self, path):
        name, digest = path.split("?", 1)[0][len("/v2/"):].split("/referrers/", 1)
        with lock:
            descs = list(referrers.get((name, digest), []))
        body = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                           "manifests": descs}).encode()
        return self.reply(200, body, [("Content-Type", "application/vnd.oci.image.index.v1+json")])

    def put_with_subject(self, path):
        r = self.upstream(path)
        body = self.request_body() or b"{}"
        m = json.loads(body)
        subject = m.get("subject", {}).get("digest")
        if r.status != 201 or not subject:
            return self.relay(r)
        r.read()
        desc = {"mediaType": m.get("mediaType") or self.headers.get("Content-Type"),
                "digest": "sha256:" + hashlib.sha256(body).hexdigest(), "size": len(body),
                "artifactType": m.get("artifactType") or m["config"]["mediaType"]}
        if "annotations" in m:
            desc["annotations"] = m["annotations"]
        name = path[len("/v2/"):].split("/manifests/", 1)[0]
        with lock:
            referrers.setdefault((name, subject), []).append(desc)
        return self.reply(201, b"", [("Location", r.getheader("Location", path)),
                                     ("Docker-Content-Digest", desc["digest"]), ("OCI-Subject", subject)])

    def big_manifest(self):
        n = 50 << 20
        self.log(200)
        self.send_response(200)
        self.send_header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
        self.send_header("Content-Length", str(n))
        self.end_headers()
        chunk = b'{"x":"' + b"a" * 65530
        try:
            for _ in range(0, n, len(chunk)):
                self.wfile.write(chunk)
        except OSError:
            pass
        self.close_connection = True

    def safe(self):
        self.__dict__.pop("_body", None)  # one handler serves every request of a keep-alive connection
        try:
            self.handle_one()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client went away (kill -9, refused body)

    do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = safe


srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
with open(PORTFILE + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(PORTFILE + ".tmp", PORTFILE)
srv.serve_forever()
