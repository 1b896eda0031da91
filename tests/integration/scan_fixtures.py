#!/usr/bin/env python3
"""Fixtures for the scan tests.

  scan_fixtures.py secret-archive OUT KEY
      A docker-archive (tag secret:1) of two layers: layer 1 adds
      app/config.py holding the AWS access key id KEY, and the same line
      under usr/lib/python3/dist-packages/ (an allowed path); layer 2
      deletes app/config.py (whiteout).  Prints the two diff_ids.
  scan_fixtures.py config-secret-archive OUT GH_TOKEN AWS_KEY_ID
      A docker-archive (tag cfgsecret:1) whose config Env, Labels and
      history created_by hold the secrets, and whose layer adds a file
      with the token (so the report quotes the created_by).
  scan_fixtures.py sarif-validate FILE
      Validate FILE against tests/data/schemas/sarif-schema-2.1.0.json
      (exit 0 valid, 1 invalid with the errors, 3 jsonschema missing).
  scan_fixtures.py cdx-vulns FILE
      Print "ID SEVERITY name@version" per affected component of a
      CycloneDX document's vulnerabilities, sorted; exit 1 when a ref
      names no component.
"""
import hashlib
import io
import json
import os
import sys
import tarfile

import fixture_lib


def tar_bytes(members):
    """members: (name, bytes, "dir" or "file")."""
    return fixture_lib.tar_bytes([(n, k, b) for n, b, k in members])

def secret_archive(out, key):
    line = ('AWS_ACCESS_KEY_ID = "%s"\n' % key).encode()
    l1 = tar_bytes([
        ("app", b"", "dir"),
        ("app/config.py", b"import os\n" + line, "file"),
        ("app/main.py", b"print('hello')\n", "file"),
        ("usr", b"", "dir"),
        ("usr/lib", b"", "dir"),
        ("usr/lib/python3", b"", "dir"),
        ("usr/lib/python3/dist-packages", b"", "dir"),
        ("usr/lib/python3/dist-packages/conf.py", line, "file"),
    ])
    l2 = tar_bytes([("app", b"", "dir"), ("app/.wh.config.py", b"", "file")])
    diff_ids = ["sha256:" + hashlib.sha256(x).hexdigest() for x in (l1, l2)]
    cfg = json.dumps({
        "architecture": "amd64", "os": "linux", "created": "2023-11-14T22:13:20Z",
        "config": {"Cmd": ["python3", "/app/main.py"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created": "2023-11-14T22:13:20Z", "created_by": "COPY app/ /app/"},
                    {"created": "2023-11-14T22:13:20Z", "created_by": "RUN rm /app/config.py"}],
    }, sort_keys=True).encode()
    cfg_name = hashlib.sha256(cfg).hexdigest() + ".json"
    layer_names = [d[7:] + "/layer.tar" for d in diff_ids]
    manifest = json.dumps([{"Config": cfg_name, "RepoTags": ["secret:1"], "Layers": layer_names}]).encode()
    with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as t:
        for name, body in [(cfg_name, cfg), (layer_names[0], l1), (layer_names[1], l2), ("manifest.json", manifest)]:
            info = tarfile.TarInfo(name)
            info.size = len(body)
            info.mtime = 1700000000
            t.addfile(info, io.BytesIO(body))
    print("\n".join(diff_ids))


def config_secret_archive(out, gh, aws):
    """tag cfgsecret:1: layer 1 adds app/settings.py with the GitHub token
    gh, by a RUN whose created_by holds it too; the config's Env holds the
    AWS key id aws, a label holds gh."""
    l1 = tar_bytes([("app", b"", "dir"), ("app/settings.py", ('TOKEN = "%s"\n' % gh).encode(), "file")])
    diff_id = "sha256:" + hashlib.sha256(l1).hexdigest()
    cfg = json.dumps({
        "architecture": "amd64", "os": "linux", "created": "2023-11-14T22:13:20Z",
        "config": {"Cmd": ["python3"], "Env": ["PATH=/usr/bin", "AWS_ACCESS_KEY_ID=" + aws],
                   "Labels": {"org.example.token": gh, "version": "1"}},
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        "history": [{"created": "2023-11-14T22:13:20Z", "created_by": "ENV AWS_ACCESS_KEY_ID=" + aws, "empty_layer": True},
                    {"created": "2023-11-14T22:13:20Z",
                     "created_by": "RUN echo 'TOKEN = \"%s\"' > /app/settings.py # buildkit" % gh}],
    }, sort_keys=True).encode()
    cfg_name = hashlib.sha256(cfg).hexdigest() + ".json"
    layer_name = diff_id[7:] + "/layer.tar"
    manifest = json.dumps([{"Config": cfg_name, "RepoTags": ["cfgsecret:1"], "Layers": [layer_name]}]).encode()
    with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as t:
        for name, body in [(cfg_name, cfg), (layer_name, l1), ("manifest.json", manifest)]:
            info = tarfile.TarInfo(name)
            info.size = len(body)
            info.mtime = 1700000000
            t.addfile(info, io.BytesIO(body))


def sarif_validate(path):
    try:
        from jsonschema.validators import validator_for
    except ImportError as e:  # pragma: no cover
        print(f"python jsonschema not available: {e}")
        return 3
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "..", "data", "schemas", "sarif-schema-2.1.0.json"), encoding="utf-8") as f:
        schema = json.load(f)
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    cls = validator_for(schema)
    errors = list(cls(schema, format_checker=cls.FORMAT_CHECKER).iter_errors(doc))
    for e in errors:
        print(f"{'/'.join(map(str, e.absolute_path))}: {e.message}")
    return 1 if errors else 0


def cdx_vulns(path):
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    def walk(cs):  # nested: Python distributions inside their OS package
        for c in cs:
            yield c
            yield from walk(c.get("components", []))
    comps = {c["bom-ref"]: c for c in walk(doc.get("components", []))}
    lines, rc = [], 0
    for v in doc.get("vulnerabilities", []):
        for a in v["affects"]:
            c = comps.get(a["ref"])
            if c is None:
                print(f"{v['id']}: ref {a['ref']} names no component", file=sys.stderr)
                rc = 1
                continue
            lines.append(f"{v['id']} {v['ratings'][0]['severity']} {c['name']}@{c['version']}")
    print("\n".join(sorted(lines)))
    return rc


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "secret-archive":
        secret_archive(sys.argv[2], sys.argv[3])
    elif cmd == "config-secret-archive":
        config_secret_archive(*sys.argv[2:5])
    elif cmd == "sarif-validate":
        sys.exit(sarif_validate(sys.argv[2]))
    elif cmd == "cdx-vulns":
        sys.exit(cdx_vulns(sys.argv[2]))
    else:
        sys.exit(f"unknown command {cmd}")
