#!/usr/bin/env python3
"""Write a two-platform image (linux/amd64 + linux/arm64, one small layer
each) and an OCI index over them into an OCI image layout (a pyoci store),
named NAME.  Prints the index digest, then the amd64 and arm64 manifest
digests.   mkindex.py STORE NAME"""
import io
import json
import os
import sys
import tarfile

import fixture_lib


def put(store, data):
    d, n = fixture_lib.put_blob(store, data)
    return {"digest": d, "size": n}


def dumps(o):
    return json.dumps(o, sort_keys=True, separators=(",", ":")).encode()


def image(store, arch):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        body = ("built for %s\n" % arch).encode()
        info = tarfile.TarInfo("arch.txt")
        info.size = len(body)
        t.addfile(info, io.BytesIO(body))
    layer = dict(put(store, buf.getvalue()), mediaType="application/vnd.oci.image.layer.v1.tar")
    config = {"architecture": arch, "os": "linux", "created": "2020-01-01T00:00:00Z", "config": {},
              "rootfs": {"type": "layers", "diff_ids": [layer["digest"]]}, "history": [{}]}
    c = dict(put(store, dumps(config)), mediaType="application/vnd.oci.image.config.v1+json")
    m = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json", "config": c,
         "layers": [layer]}
    return dict(put(store, dumps(m)), mediaType=m["mediaType"], platform={"os": "linux", "architecture": arch})


def main():
    store, name = sys.argv[1], sys.argv[2]
    kids = [image(store, "amd64"), image(store, "arm64")]
    idx = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": kids}
    i = put(store, dumps(idx))
    ip = os.path.join(store, "index.json")
    top = json.load(open(ip))
    top["manifests"].append({"mediaType": idx["mediaType"], "digest": i["digest"], "size": i["size"],
                             "annotations": {"org.opencontainers.image.ref.name": name}})
    with open(ip + ".tmp", "w") as f:
        json.dump(top, f)
    os.rename(ip + ".tmp", ip)
    print(i["digest"])
    print(kids[0]["digest"])
    print(kids[1]["digest"])


main()
