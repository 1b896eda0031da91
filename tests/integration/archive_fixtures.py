#!/usr/bin/env python3
"""Build docker-archive / oci-archive fixtures, good and hostile, for the
load/save tests.  Usage: archive_fixtures.py KIND OUT.tar

Every archive holds a tiny deterministic image: two layers (a file each) and
a config whose diff_ids match, so a good archive loads and a hostile one
differs from it in exactly one way."""
import gzip
import hashlib
import io
import json
import sys

import fixture_lib

MTIME = fixture_lib.MTIME


def tar_bytes(members):
    """members: list of (name, bytes), (name, None) for a directory, or
    (name, ('symlink' or 'hardlink', target))."""
    return fixture_lib.tar_bytes([(n, d[0], d[1]) if isinstance(d, tuple) else (n, "dir" if d is None else "file", d)
                                  for n, d in members])

def sha(b):
    return hashlib.sha256(b).hexdigest()


LAYER1 = tar_bytes([("etc", None), ("etc/hello", b"hello from layer one\n")])
LAYER2 = tar_bytes([("app", None), ("app/main.py", b"print(42)\n")])


def config(diff_ids, created="2023-11-14T22:13:20Z"):
    return json.dumps({
        "architecture": "amd64", "os": "linux", "created": created,
        "config": {"Cmd": ["/bin/sh"], "Env": ["PATH=/usr/bin:/bin"]},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + d for d in diff_ids]},
        "history": [{"created": created, "created_by": "layer %d" % i} for i in range(len(diff_ids))],
    }, separators=(",", ":")).encode()


def legacy(tags=("fix:1",), layers=(LAYER1, LAYER2), cfg=None, manifest_first=False, mutate=None):
    """docker save (Docker < 25) layout."""
    ids = [sha(l) for l in layers]
    cfg = cfg if cfg is not None else config(ids)
    chex = sha(cfg)
    members = {}
    members[chex + ".json"] = cfg
    paths = []
    for i, l in enumerate(layers):
        d = "%064x" % (i + 1)  # v1 ids: anything unique
        members[d] = None
        members[d + "/VERSION"] = b"1.0"
        members[d + "/json"] = b"{}"
        members[d + "/layer.tar"] = l
        paths.append(d + "/layer.tar")
    man = [{"Config": chex + ".json", "RepoTags": list(tags) or None, "Layers": paths}]
    if mutate:
        mutate(members, man)
    mj = json.dumps(man).encode() if not isinstance(man, bytes) else man
    order = sorted(members.items())
    out = [("manifest.json", mj)] + order if manifest_first else order + [("manifest.json", mj)]
    return tar_bytes(out + [("repositories", b"{}")])


def docker25(tags=("fix:25",)):
    """Docker 25+: an OCI layout plus manifest.json pointing into blobs/."""
    ids = [sha(l) for l in (LAYER1, LAYER2)]
    cfg = config(ids)
    man = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "sha256:" + sha(cfg), "size": len(cfg)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": "sha256:" + sha(l), "size": len(l)}
                   for l in (LAYER1, LAYER2)],
    }).encode()
    index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": []}
    for t in tags:
        repo, tag = t.rsplit(":", 1)
        index["manifests"].append({
            "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:" + sha(man), "size": len(man),
            "annotations": {"io.containerd.image.name": "docker.io/library/" + t, "org.opencontainers.image.ref.name": tag}})
    blobs = {("blobs/sha256/" + sha(b)): b for b in (cfg, man, LAYER1, LAYER2)}
    mj = [{"Config": "blobs/sha256/" + sha(cfg), "RepoTags": list(tags),
           "Layers": ["blobs/sha256/" + i for i in ids]}]
    members = [("blobs", None), ("blobs/sha256", None)] + sorted(blobs.items()) + [
        ("index.json", json.dumps(index).encode()), ("manifest.json", json.dumps(mj).encode()),
        ("oci-layout", b'{"imageLayoutVersion":"1.0.0"}'), ("repositories", b"{}")]
    return tar_bytes(members)


def oci(ref_name="fix:oci", gzip_layers=False, corrupt_blob=False, layers=(LAYER1, LAYER2)):
    ids = [sha(l) for l in layers]
    cfg = config(ids)
    blobs_l = [gzip.compress(l, mtime=0) if gzip_layers else l for l in layers]
    mt = "application/vnd.oci.image.layer.v1.tar" + ("+gzip" if gzip_layers else "")
    man = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "sha256:" + sha(cfg), "size": len(cfg)},
        "layers": [{"mediaType": mt, "digest": "sha256:" + sha(b), "size": len(b)} for b in blobs_l],
    }).encode()
    ann = {"org.opencontainers.image.ref.name": ref_name} if ref_name else {}
    index = {"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                                               "digest": "sha256:" + sha(man), "size": len(man), "annotations": ann}]}
    blobs = {("blobs/sha256/" + sha(b)): b for b in [cfg, man] + blobs_l}
    if corrupt_blob:
        k = "blobs/sha256/" + sha(blobs_l[1])
        blobs[k] = blobs[k][:-1] + b"X"
    members = sorted(blobs.items()) + [("index.json", json.dumps(index).encode()),
                                       ("oci-layout", b'{"imageLayoutVersion":"1.0.0"}')]
    return tar_bytes(members)


def oci_with_layer(bad):
    return oci(ref_name="fix:bad", gzip_layers=True, layers=(LAYER1, bad))


def set_layer(i, path):
    def m(members, man):
        man[0]["Layers"][i] = path
    return m


def kinds():
    ids = [sha(LAYER1), sha(LAYER2)]
    wrong_cfg = config(ids)
    return {
        "legacy": lambda: legacy(),
        "legacy-manifest-first": lambda: legacy(tags=("fix:first",), manifest_first=True),
        "legacy-untagged": lambda: legacy(tags=()),
        "legacy-symlink": lambda: legacy(tags=("fix:link",), mutate=symlink_layer),
        "legacy-gzip-layer": lambda: legacy(tags=("fix:gzlayer",), mutate=gzip_layer),
        "docker25": lambda: docker25(),
        "oci": lambda: oci(),
        "oci-gzip": lambda: oci(ref_name="fix:gz", gzip_layers=True),
        "oci-bare-tag": lambda: oci(ref_name="1.0"),
        # hostile
        "dotdot": lambda: legacy(mutate=set_layer(0, "../x/layer.tar")),
        "missing-layer": lambda: legacy(mutate=set_layer(1, "%064x/layer.tar" % 99)),
        "wrong-config-digest": lambda: legacy(mutate=rename_config),
        "diffid-mismatch": lambda: legacy(layers=(LAYER1, LAYER2), cfg=config([ids[0], sha(b"other")])),
        "layer-count": lambda: legacy(cfg=config(ids[:1])),
        "truncated": lambda: legacy()[:len(legacy()) // 2],
        "garbage": lambda: bytes((i * 7919) % 251 for i in range(20000)),
        "huge-manifest": lambda: legacy(mutate=huge_manifest),
        "bad-json": lambda: legacy(mutate=bad_json),
        "symlink-escape": lambda: legacy(mutate=symlink_escape),
        "oci-corrupt-blob": lambda: oci(corrupt_blob=True),
        "empty": lambda: tar_bytes([("hello.txt", b"hi")]),
        "tag-nul": lambda: legacy(tags=("fix:1\u0000evil",)),
        "oci-tag-nul": lambda: oci(ref_name="fix:1\u0000evil"),
        # hostile layer *entries* (issue 9 item 6): refused at load, not at unpack
        "layer-entry-dotdot": lambda: legacy(layers=(LAYER1, tar_bytes([("../../escape", b"x")]))),
        "layer-hardlink-dotdot": lambda: legacy(layers=(LAYER1, tar_bytes([("x", ("hardlink", "../../etc/passwd"))]))),
        "layer-whiteout-dotdot": lambda: legacy(layers=(LAYER1, tar_bytes([("a", None), ("a/.wh..", b"")]))),
        "oci-layer-entry-dotdot": lambda: oci_with_layer(tar_bytes([("a/../../escape", b"x")])),
    }


def symlink_layer(members, man):
    # Docker links a layer it has already written: second path -> first.
    first = man[0]["Layers"][0]
    extra = "%064x" % 77
    members[extra] = None
    members[extra + "/layer.tar"] = ("symlink", "../" + first)
    man[0]["Layers"][0] = extra + "/layer.tar"


def gzip_layer(members, man):
    # docker load also accepts a compressed layer.tar
    p = man[0]["Layers"][1]
    members[p] = gzip.compress(members[p], mtime=0)


def symlink_escape(members, man):
    extra = "%064x" % 78
    members[extra] = None
    members[extra + "/layer.tar"] = ("symlink", "../../etc/passwd")
    man[0]["Layers"][0] = extra + "/layer.tar"


def rename_config(members, man):
    old = man[0]["Config"]
    new = "%064x.json" % 5
    members[new] = members.pop(old)
    man[0]["Config"] = new


def huge_manifest(members, man):
    man[0]["Padding"] = "x" * (5 << 20)


def bad_json(members, man):
    man.clear()
    man.append({"Config": "x"})
    members["__bad__"] = None  # placeholder, replaced below


if __name__ == "__main__":
    kind, out = sys.argv[1], sys.argv[2]
    if kind == "bad-json":
        data = tar_bytes([("manifest.json", b'[{"Config": "abc.json", "Layers": [')])
    else:
        data = kinds()[kind]()
    with open(out, "wb") as f:
        f.write(data)
