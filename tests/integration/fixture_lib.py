"""What the Python fixture scripts beside this file share (they import it
from their own directory): deterministic tar members and blobs written
into an OCI image layout."""
import hashlib
import io
import os
import tarfile

MTIME = 1700000000


def tar_bytes(members, mode="w", fmt=tarfile.PAX_FORMAT):
    """A tar of members (name, kind, data), every one owned by root with
    mtime MTIME: kind "dir" (0755, data unused), "symlink" or "hardlink"
    (data is the target), anything else a regular file (0644, data is its
    bytes)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode, format=fmt) as t:
        for name, kind, data in members:
            ti = tarfile.TarInfo(name)
            ti.mtime = MTIME
            if kind == "dir":
                ti.type, ti.mode = tarfile.DIRTYPE, 0o755
                t.addfile(ti)
            elif kind in ("symlink", "hardlink"):
                ti.type = tarfile.SYMTYPE if kind == "symlink" else tarfile.LNKTYPE
                ti.linkname = data
                t.addfile(ti)
            else:
                ti.size, ti.mode = len(data), 0o644
                t.addfile(ti, io.BytesIO(data))
    return buf.getvalue()


def put_blob(store, data):
    """data as a blob of the OCI layout store; returns (digest, size)."""
    d = hashlib.sha256(data).hexdigest()
    p = os.path.join(store, "blobs", "sha256", d)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "wb") as f:
        f.write(data)
    return "sha256:" + d, len(data)
