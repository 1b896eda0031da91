#!/usr/bin/env python3
"""Describe and compare images saved as docker-archive (or OCI layout) tars.

  imgtree.py tree ARCHIVE      merged file tree, one line per path:
                               path type mode uid gid size digest-or-link-target
  imgtree.py config ARCHIVE    the config fields docker build sets (canonical JSON)
  imgtree.py diff A B          both of the above compared; exit 1 on differences

The merged tree applies OCI whiteouts (.wh.NAME, .wh..wh..opq) layer by layer.
mtimes are not compared (docker and pyoci stamp them differently on purpose).
"""
import hashlib, io, json, sys, tarfile

CONFIG_KEYS = ["Env", "Cmd", "Entrypoint", "WorkingDir", "User", "ExposedPorts", "Labels",
               "Healthcheck", "StopSignal", "Volumes", "OnBuild", "Shell"]


def read_archive(path):
    outer = tarfile.open(path)
    members = {m.name.lstrip("./"): m for m in outer.getmembers()}
    def blob(name):
        return outer.extractfile(members[name.lstrip("./")]).read()
    if "manifest.json" in members:
        manifest = json.loads(blob("manifest.json"))[0]
        config = json.loads(blob(manifest["Config"]))
        layers = [blob(l) for l in manifest["Layers"]]
    else:  # OCI layout
        index = json.loads(blob("index.json"))
        m = json.loads(blob("blobs/" + index["manifests"][0]["digest"].replace(":", "/")))
        config = json.loads(blob("blobs/" + m["config"]["digest"].replace(":", "/")))
        layers = [blob("blobs/" + l["digest"].replace(":", "/")) for l in m["layers"]]
    return config, layers


def clean(name):
    name = name.lstrip("/")
    while name.startswith("./"):
        name = name[2:]
    name = name.rstrip("/")
    return "" if name == "." else name


def merged_tree(layers):
    tree = {}
    for data in layers:
        tf = tarfile.open(fileobj=io.BytesIO(data))
        entries = tf.getmembers()
        # opaque markers first: they hide lower entries, not this layer's own
        for m in entries:
            n = clean(m.name)
            base = n.rsplit("/", 1)[-1]
            if base == ".wh..wh..opq":
                d = n.rsplit("/", 1)[0] if "/" in n else ""
                for k in [k for k in tree if k.startswith(d + "/") or (d == "" and k)]:
                    del tree[k]
        for m in entries:
            n = clean(m.name)
            if not n:
                continue
            base = n.rsplit("/", 1)[-1]
            if base == ".wh..wh..opq":
                continue
            if base.startswith(".wh."):
                target = (n.rsplit("/", 1)[0] + "/" if "/" in n else "") + base[4:]
                for k in [k for k in tree if k == target or k.startswith(target + "/")]:
                    del tree[k]
                continue
            if m.isfile():
                what = "sha256:" + hashlib.sha256(tf.extractfile(m).read()).hexdigest()
                kind, size = "file", m.size
            elif m.isdir():
                what, kind, size = "-", "dir", 0
            elif m.issym():
                what, kind, size = m.linkname, "symlink", 0
            elif m.islnk():
                src = tree.get(clean(m.linkname))
                what, kind, size = (src[4], "file", src[3]) if src else ("?", "hardlink", 0)
            elif m.ischr() or m.isblk():
                what, kind, size = "%d,%d" % (m.devmajor, m.devminor), "chr" if m.ischr() else "blk", 0
            else:
                what, kind, size = "-", "fifo", 0
            if kind != "dir":
                for k in [k for k in tree if k.startswith(n + "/")]:
                    del tree[k]
            tree[n] = (kind, "%04o" % (m.mode & 0o7777), m.uid, m.gid, size, what)
    return tree


def tree_lines(tree):
    return ["%s %s %s %d %d %d %s" % ((p,) + tree[p]) for p in sorted(tree)]


def config_view(config):
    c = config.get("config") or {}
    view = {k: c.get(k) for k in CONFIG_KEYS}
    # docker prints an empty map and a missing one alike
    for k in ("ExposedPorts", "Labels", "Volumes"):
        if not view[k]:
            view[k] = None
    if not view["OnBuild"]:
        view["OnBuild"] = None
    # docker serialises every field of its Go struct ("" for unset); an
    # unset User is root and an unset WorkingDir is "/" at run time.
    for k in ("User", "StopSignal", "Cmd", "Entrypoint", "Env", "Shell", "Healthcheck"):
        if not view[k]:
            view[k] = None
    if not view["WorkingDir"]:
        view["WorkingDir"] = "/"
    view["Author"] = config.get("author") or None
    return view


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "tree":
        print("\n".join(tree_lines(merged_tree(read_archive(args[0])[1]))))
    elif cmd == "config":
        print(json.dumps(config_view(read_archive(args[0])[0]), indent=1, sort_keys=True))
    elif cmd == "diff":
        (ca, la), (cb, lb) = read_archive(args[0]), read_archive(args[1])
        ignore = set(args[2].split(",")) if len(args) > 2 and args[2] else set()
        ta, tb = merged_tree(la), merged_tree(lb)
        bad = 0
        for p in sorted(set(ta) | set(tb)):
            if p in ignore:
                continue
            if ta.get(p) != tb.get(p):
                print("tree %s: %s != %s" % (p, ta.get(p), tb.get(p)))
                bad += 1
        va, vb = config_view(ca), config_view(cb)
        for k in sorted(va):
            if va[k] != vb[k]:
                print("config %s: %s != %s" % (k, json.dumps(va[k]), json.dumps(vb[k])))
                bad += 1
        sys.exit(1 if bad else 0)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
