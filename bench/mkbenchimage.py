#!/usr/bin/env python3
"""A realistic Python image for bench/registry.sh: a Debian rootfs tarball
(bookworm + python3, ~200 MB) split into 5 gzip layers the way a Python
image's layers fall (base system, shared libraries, the Python standard
library, /usr/share, the rest), written as an OCI image layout.

  mkbenchimage.py ROOTFS.tar OUTDIR

Deterministic: sorted members, zeroed gzip header time."""
import gzip
import hashlib
import io
import json
import os
import sys
import tarfile


def group(name):
    n = name.lstrip("./")
    if n.startswith("usr/lib/python3"):
        return 2
    if n.startswith("usr/lib/x86_64-linux-gnu") or n.startswith("usr/lib/aarch64-linux-gnu"):
        return 1
    if n.startswith("usr/share"):
        return 3
    if n.startswith("usr/"):
        return 4
    return 0


def put(out, data):
    d = hashlib.sha256(data).hexdigest()
    with open(os.path.join(out, "blobs", "sha256", d), "wb") as f:
        f.write(data)
    return "sha256:" + d, len(data)


def main():
    src, out = sys.argv[1], sys.argv[2]
    os.makedirs(os.path.join(out, "blobs", "sha256"), exist_ok=True)
    bufs = [io.BytesIO() for _ in range(5)]
    tars = [tarfile.open(fileobj=b, mode="w", format=tarfile.PAX_FORMAT) for b in bufs]
    with tarfile.open(src) as t:
        for m in sorted(t.getmembers(), key=lambda m: m.name):
            if m.isdev():
                continue
            g = 0 if m.isdir() else group(m.name)
            tars[g].addfile(m, t.extractfile(m) if m.isreg() else None)
    layers, diff_ids = [], []
    for tf, b in zip(tars, bufs):
        tf.close()
        raw = b.getvalue()
        diff_ids.append("sha256:" + hashlib.sha256(raw).hexdigest())
        gz = io.BytesIO()
        with gzip.GzipFile(fileobj=gz, mode="wb", compresslevel=6, mtime=0) as z:
            z.write(raw)
        d, n = put(out, gz.getvalue())
        layers.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": d, "size": n})
    config = {"architecture": "amd64", "os": "linux", "created": "2024-01-01T00:00:00Z",
              "config": {"Cmd": ["python3"], "Env": ["PATH=/usr/local/bin:/usr/bin:/bin"]},
              "rootfs": {"type": "layers", "diff_ids": diff_ids},
              "history": [{"created": "2024-01-01T00:00:00Z", "created_by": "bench layer %d" % i} for i in range(5)]}
    cd, cn = put(out, json.dumps(config, sort_keys=True).encode())
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cn},
                "layers": layers}
    md, mn = put(out, json.dumps(manifest, sort_keys=True).encode())
    with open(os.path.join(out, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "manifests": [{"mediaType": manifest["mediaType"], "digest": md, "size": mn,
                   "annotations": {"org.opencontainers.image.ref.name": "bench"}}]}, f)
    with open(os.path.join(out, "oci-layout"), "w") as f:
        f.write('{"imageLayoutVersion":"1.0.0"}')
    print(md, sum(l["size"] for l in layers))


main()
