#!/usr/bin/env python3
"""Write a tar archive from a JSON list of entries, for tests that need
archives no well-behaved writer would make (hostile names, links, PAX).

  mktar.py OUT.tar '[{"name": "../x", "data": "hi"}, ...]' [--gzip] [--format gnu|pax|ustar]

Entry keys: name, type (file dir symlink link chr blk fifo; default file),
data (str), link, mode (int), uid, gid, mtime, major, minor, pax (dict of
extra PAX records), pax_fill ({key: N}: a PAX record of N bytes), data_fill (N bytes of content)."""
import io
import json
import sys
import tarfile

out, spec = sys.argv[1], json.loads(sys.argv[2])
fmt = {"gnu": tarfile.GNU_FORMAT, "pax": tarfile.PAX_FORMAT, "ustar": tarfile.USTAR_FORMAT}[
    sys.argv[sys.argv.index("--format") + 1] if "--format" in sys.argv else "pax"]
mode = "w:gz" if "--gzip" in sys.argv else "w"
TYPES = {"file": tarfile.REGTYPE, "dir": tarfile.DIRTYPE, "symlink": tarfile.SYMTYPE, "link": tarfile.LNKTYPE,
         "chr": tarfile.CHRTYPE, "blk": tarfile.BLKTYPE, "fifo": tarfile.FIFOTYPE}
with tarfile.open(out, mode, format=fmt) as t:
    for e in spec:
        ti = tarfile.TarInfo(e["name"])
        ti.type = TYPES[e.get("type", "file")]
        ti.mode = e.get("mode", 0o755 if ti.type == tarfile.DIRTYPE else 0o644)
        ti.uid, ti.gid = e.get("uid", 0), e.get("gid", 0)
        ti.mtime = e.get("mtime", 1500000000)
        ti.linkname = e.get("link", "")
        ti.devmajor, ti.devminor = e.get("major", 0), e.get("minor", 0)
        if "pax" in e:
            ti.pax_headers = dict(e["pax"])
        for k, n in e.get("pax_fill", {}).items():  # {"key": N}: a value of N 'A's
            ti.pax_headers[k] = "A" * n
        data = e.get("data", "").encode()
        if "data_fill" in e:  # N bytes of a pattern that varies per entry
            n = e["data_fill"]
            data = (("%s:%d\n" % (e["name"], n)).encode() * (n // 8 + 1))[:n]
        if ti.type == tarfile.REGTYPE:
            ti.size = len(data)
            t.addfile(ti, io.BytesIO(data))
        else:
            t.addfile(ti)
