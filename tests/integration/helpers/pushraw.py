#!/usr/bin/env python3
"""Push an image made of the given layer files, byte for byte, to a
registry over the distribution API (monolithic uploads, an OCI manifest),
for tests that need images no well-behaved tool would push (hostile layer
entries).  Plain http, loopback only.

  pushraw.py 127.0.0.1:PORT REPO TAG LAYER [LAYER...]
  pushraw.py --oci DIR - TAG LAYER [LAYER...]   (an OCI layout instead)
  pushraw.py --diff-id DIGEST ...   the config claims DIGEST as the last
                                    layer's diff_id (a config that lies)

Layers may be plain or gzip tars (the media type follows the magic).
Prints each layer's digest, one per line, in order."""
import os
import gzip
import hashlib
import http.client
import json
import sys


def request(reg, method, path, body=b"", headers=None):
    host, port = reg.rsplit(":", 1)
    if host not in ("127.0.0.1", "localhost", "[::1]"):
        sys.exit("pushraw: loopback registries only, not %s" % reg)
    c = http.client.HTTPConnection(host.strip("[]"), int(port), timeout=60)
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    data = r.read()
    if r.status >= 300:
        sys.exit("pushraw: %s %s: HTTP %d %s" % (method, path, r.status, data[:200]))
    return r, data


def push_blob(reg, repo, data):
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    if reg.startswith("oci:"):
        d = os.path.join(reg[4:], "blobs", "sha256")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, digest[7:]), "wb") as f:
            f.write(data)
        return digest
    r, _ = request(reg, "POST", "/v2/%s/blobs/uploads/" % repo)
    loc = r.getheader("Location")
    if loc.startswith("http"):
        loc = "/" + loc.split("/", 3)[3]
    sep = "&" if "?" in loc else "?"
    request(reg, "PUT", "%s%sdigest=%s" % (loc, sep, digest), data,
            {"Content-Type": "application/octet-stream", "Content-Length": str(len(data))})
    return digest


def main():
    claim = None
    if sys.argv[1] == "--diff-id":
        claim = sys.argv[2]
        del sys.argv[1:3]
    if sys.argv[1] == "--oci":
        sys.argv[1:3] = ["oci:" + sys.argv[2]]
        sys.argv.insert(2, "-")
    reg, repo, tag, paths = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
    layers, diff_ids = [], []
    for p in paths:
        data = open(p, "rb").read()
        gz = data[:2] == b"\x1f\x8b"
        raw = gzip.decompress(data) if gz else data
        diff_ids.append("sha256:" + hashlib.sha256(raw).hexdigest())
        mt = "application/vnd.oci.image.layer.v1.tar" + ("+gzip" if gz else "")
        layers.append({"mediaType": mt, "digest": push_blob(reg, repo, data), "size": len(data)})
    if claim:
        diff_ids[-1] = claim
    config = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Cmd": ["/bin/sh"]},
                         "rootfs": {"type": "layers", "diff_ids": diff_ids}, "history": []}).encode()
    cdesc = {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": push_blob(reg, repo, config),
             "size": len(config)}
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": cdesc, "layers": layers}).encode()
    if reg.startswith("oci:"):
        top = reg[4:]
        mdesc = {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": push_blob(reg, repo, manifest),
                 "size": len(manifest), "annotations": {"org.opencontainers.image.ref.name": tag}}
        with open(os.path.join(top, "index.json"), "w") as f:
            json.dump({"schemaVersion": 2, "manifests": [mdesc]}, f)
        with open(os.path.join(top, "oci-layout"), "w") as f:
            f.write('{"imageLayoutVersion":"1.0.0"}')
    else:
        request(reg, "PUT", "/v2/%s/manifests/%s" % (repo, tag), manifest,
                {"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
    for l in layers:
        print(l["digest"])


main()
