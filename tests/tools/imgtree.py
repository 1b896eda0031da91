#!/usr/bin/env python3
"""Describe and compare images saved as docker-archive (or OCI layout) tars.

  imgtree.py tree ARCHIVE      merged file tree, one line per path:
                               path type mode uid gid size digest-or-link-target
  imgtree.py config ARCHIVE    the config fields docker build sets (canonical JSON)
  imgtree.py diff A B          both of the above compared; exit 1 on differences
  imgtree.py batch LIST        BuildKit conformance: for each line "NAME A B" of
                               LIST, the above plus history (created_by,
                               empty_layer) and each layer's own entries; prints
                               "NAME ok" or "NAME diff" and the differences

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


def layer_lines(data):
    """One layer's entries, sorted: what a step wrote, mtimes aside."""
    tf = tarfile.open(fileobj=io.BytesIO(data))
    out = []
    for m in tf.getmembers():
        n = clean(m.name)
        if not n:
            continue
        if m.isfile():
            what = "file sha256:" + hashlib.sha256(tf.extractfile(m).read()).hexdigest()
        elif m.isdir():
            what = "dir"
        elif m.issym():
            what = "symlink " + m.linkname
        elif m.islnk():
            what = "hardlink " + clean(m.linkname)
        elif m.ischr() or m.isblk():
            what = "dev %d,%d" % (m.devmajor, m.devminor)
        else:
            what = "fifo"
        out.append("%s %s %04o %d %d" % (n, what, m.mode & 0o7777, m.uid, m.gid))
    return sorted(out)


def history_view(config):
    return ["%s%s" % (h.get("created_by", ""), " (empty)" if h.get("empty_layer") else "")
            for h in config.get("history") or []]


def compare(a, b, ignore=(), layers=False):
    """Differences between two saved images, as lines (empty: they agree)."""
    (ca, la), (cb, lb) = read_archive(a), read_archive(b)
    out = []
    ta, tb = merged_tree(la), merged_tree(lb)
    for p in sorted(set(ta) | set(tb)):
        if p not in ignore and ta.get(p) != tb.get(p):
            out.append("tree %s: %s != %s" % (p, ta.get(p), tb.get(p)))
    va, vb = config_view(ca), config_view(cb)
    for k in sorted(va):
        if va[k] != vb[k]:
            out.append("config %s: %s != %s" % (k, json.dumps(va[k]), json.dumps(vb[k])))
    if not layers:
        return out
    ha, hb = history_view(ca), history_view(cb)
    if ha != hb:
        out.append("history: %s != %s" % (json.dumps(ha), json.dumps(hb)))
    if len(la) != len(lb):
        out.append("layers: %d != %d" % (len(la), len(lb)))
    for i, (x, y) in enumerate(zip(la, lb)):
        if x == y:
            continue
        ea, eb = layer_lines(x), layer_lines(y)
        if ea != eb:
            sa, sb = set(ea), set(eb)
            out.append("layer %d: only docker %s; only pyoci %s" % (i, sorted(sa - sb), sorted(sb - sa)))
    return out


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "tree":
        print("\n".join(tree_lines(merged_tree(read_archive(args[0])[1]))))
    elif cmd == "config":
        print(json.dumps(config_view(read_archive(args[0])[0]), indent=1, sort_keys=True))
    elif cmd == "diff":
        ignore = set(args[2].split(",")) if len(args) > 2 and args[2] else set()
        out = compare(args[0], args[1], ignore)
        print("\n".join(out)) if out else None
        sys.exit(1 if out else 0)
    elif cmd == "batch":
        for line in open(args[0]):
            name, a, b = line.split()
            try:
                out = compare(a, b, layers=True)
            except Exception as e:  # a missing or unreadable tarball
                out = ["cannot compare: %s" % e]
            print("%s %s" % (name, "diff" if out else "ok"))
            for o in out:
                print("  " + o)
        sys.stdout.flush()
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
