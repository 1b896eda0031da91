#!/usr/bin/env python3
"""Build a local wheelhouse from the Python distributions Debian installed.

There is no PyPI here, so the example's wheels are made from Debian 12's
python3-flask stack: for each requested distribution, take its egg-info
(PKG-INFO, top_level.txt) and package directories from dist-packages and
write a standard wheel (a zip with a .dist-info: METADATA, WHEEL, RECORD).
Deterministic: sorted members, fixed timestamps.

Also writes OUT_DIR/requirements-hashes.txt: NAME==VERSION --hash=sha256:...
for each wheel.

usage: make-wheels.py DIST_PACKAGES_DIR OUT_DIR NAME...
"""
import base64, hashlib, os, sys, zipfile

FIXED_DATE = (1980, 1, 1, 0, 0, 0)


def find_egg_info(site, name):
    for entry in sorted(os.listdir(site)):
        if entry.lower().startswith(name.lower() + "-") and entry.endswith((".egg-info", ".dist-info")):
            return os.path.join(site, entry)
    sys.exit(f"make-wheels: no egg-info/dist-info for {name} in {site}")


def read_meta(info):
    meta_file = os.path.join(info, "PKG-INFO" if info.endswith(".egg-info") else "METADATA")
    with open(meta_file, encoding="utf-8") as f:
        text = f.read()
    fields = {}
    for line in text.splitlines():
        if not line.strip():
            break
        if ":" in line and not line.startswith((" ", "\t")):
            k, v = line.split(":", 1)
            fields.setdefault(k.strip(), v.strip())
    return text, fields["Name"], fields["Version"]


def package_files(site, info):
    tops = [info.split("/")[-1].split("-")[0].lower()]
    top_level = os.path.join(info, "top_level.txt")
    if os.path.exists(top_level):
        tops = [t.strip() for t in open(top_level) if t.strip()]
    files = []
    for top in tops:
        path = os.path.join(site, top)
        if os.path.isdir(path):
            for root, dirs, names in os.walk(path):
                dirs[:] = sorted(d for d in dirs if d != "__pycache__")
                files += [os.path.relpath(os.path.join(root, n), site) for n in sorted(names)]
        elif os.path.exists(path + ".py"):
            files.append(top + ".py")
    return files


def read_member(site, rel):
    """File bytes; absolute symlinks (Debian links shared JavaScript into
    werkzeug) resolve inside the root dist-packages was extracted to."""
    path = os.path.join(site, rel)
    root = os.environ.get("WHEEL_ROOT")
    for _ in range(8):
        if not os.path.islink(path):
            break
        target = os.readlink(path)
        if os.path.isabs(target) and root:
            path = os.path.join(root, target.lstrip("/"))
        else:
            path = os.path.join(os.path.dirname(path), target)
    with open(path, "rb") as f:
        return f.read()


def record_line(arcname, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{arcname},sha256={digest},{len(data)}"


def build_wheel(site, out, name):
    info = find_egg_info(site, name)
    metadata, dist, version = read_meta(info)
    files = package_files(site, info)
    native = any(f.endswith(".so") for f in files)
    if native:
        # "_speedups.cpython-311-x86_64-linux-gnu.so" -> cp311, linux_x86_64
        so = next(f for f in files if f.endswith(".so")).split(".")[-2]
        _, ver, arch = so.split("-")[:3]
        abi = "cp" + ver
        tag = f"{abi}-{abi}-linux_{arch}"
    else:
        tag = "py3-none-any"
    norm = dist.replace("-", "_")
    distinfo = f"{norm}-{version}.dist-info"
    wheel_meta = f"Wheel-Version: 1.0\nGenerator: pyoci-make-wheels\nRoot-Is-Purelib: {'false' if native else 'true'}\nTag: {tag}\n"
    members = [(f, read_member(site, f)) for f in files]
    members += [(f"{distinfo}/METADATA", metadata.encode()), (f"{distinfo}/WHEEL", wheel_meta.encode())]
    record = [record_line(a, d) for a, d in members] + [f"{distinfo}/RECORD,,"]
    members.append((f"{distinfo}/RECORD", ("\n".join(record) + "\n").encode()))
    path = os.path.join(out, f"{norm}-{version}-{tag}.whl")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for arcname, data in members:
            zi = zipfile.ZipInfo(arcname, FIXED_DATE)
            zi.external_attr = 0o644 << 16
            zi.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(zi, data)
    print(os.path.basename(path))
    return path


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    site, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    pins = []
    for name in sys.argv[3:]:
        path = build_wheel(site, out, name)
        _, version = os.path.basename(path).split("-")[:2]
        with open(path, "rb") as f:
            pins.append(f"{name}=={version} --hash=sha256:{hashlib.sha256(f.read()).hexdigest()}\n")
    # The same pins with their sha256: pip's hash-checking mode, which
    # `pyoci assemble` (assemble.yaml) requires.
    with open(os.path.join(out, "requirements-hashes.txt"), "w") as f:
        f.writelines(pins)


if __name__ == "__main__":
    main()
