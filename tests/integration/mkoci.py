#!/usr/bin/env python3
"""Write a small image straight into an OCI image layout, for integration
tests that need images before any pyoci verb can make them.

  mkoci.py STORE [--name NAME] [--layers N] [--seed S] [--created RFC3339]

Prints: manifest digest, config digest (image ID), sum of layer sizes,
sum of all blob sizes (manifest + config + layers), one per line.
Not safe against concurrent pyoci writers: tests call it sequentially."""
import argparse
import io
import json
import os
import tarfile

import fixture_lib


def layer(seed, i):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        body = ("%s layer %d\n" % (seed, i)).encode() * 50
        info = tarfile.TarInfo("file-%s-%d.txt" % (seed, i))
        info.size = len(body)
        info.mtime = 0
        t.addfile(info, io.BytesIO(body))
    return buf.getvalue()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("store")
    ap.add_argument("--name")
    ap.add_argument("--layers", type=int, default=1)
    ap.add_argument("--seed", default="x")
    ap.add_argument("--created", default="2020-01-01T00:00:00Z")
    a = ap.parse_args()
    os.makedirs(os.path.join(a.store, "blobs", "sha256"), exist_ok=True)
    lp = os.path.join(a.store, "oci-layout")
    if not os.path.exists(lp):
        with open(lp, "w") as f:
            f.write('{"imageLayoutVersion":"1.0.0"}')
    layers, diff_ids, total = [], [], 0
    for i in range(a.layers):
        data = layer(a.seed, i)
        d, n = fixture_lib.put_blob(a.store, data)
        layers.append({"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": d, "size": n})
        diff_ids.append(d)
        total += n
    config = {"architecture": "amd64", "os": "linux", "created": a.created, "config": {},
              "rootfs": {"type": "layers", "diff_ids": diff_ids}, "history": []}
    cbytes = json.dumps(config, sort_keys=True, separators=(",", ":")).encode()
    cd, cn = fixture_lib.put_blob(a.store, cbytes)
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cn},
                "layers": layers}
    mbytes = json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode()
    md, mn = fixture_lib.put_blob(a.store, mbytes)
    ip = os.path.join(a.store, "index.json")
    index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": []}
    if os.path.exists(ip):
        with open(ip) as f:
            index = json.load(f)
    entry = {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md, "size": mn}
    if a.name:
        entry["annotations"] = {"org.opencontainers.image.ref.name": a.name}
    index["manifests"].append(entry)
    with open(ip + ".tmp", "w") as f:
        json.dump(index, f)
    os.rename(ip + ".tmp", ip)
    print(md)
    print(cd)
    print(total)
    print(total + cn + mn)


main()
