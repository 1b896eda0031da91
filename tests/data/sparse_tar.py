#!/usr/bin/env python3
"""Sparse tar entries written by hand: Python's tarfile reads GNU sparse
files but cannot write them, and GNU tar cannot write a hostile map.

    sparse_tar.py layer FORMAT REALSIZE OUT [MAP [BASE]]
        a layer (plain tar) holding one sparse file 'big' of REALSIZE bytes
        (suffixes K M G T: binary) in FORMAT: gnu (old GNU 'S' header),
        pax00, pax01 or pax10 (the PAX GNU.sparse versions GNU tar writes).
        MAP is 'OFF:LEN,OFF:LEN...' (data regions, filled with 'x'); the
        default is no data at all: one empty region at REALSIZE, as GNU
        tar writes an all-hole file.  Any map is written as given, even an
        overlapping, backwards or overflowing one.  BASE: a plain tar
        whose entries come first (a rootfs to run something in).
    sparse_tar.py archive LAYER OUT TAG
        a docker-archive (what `docker save` writes, what `pyoci load`
        reads) of one image whose only layer is LAYER.
    sparse_tar.py outer REALSIZE OUT
        a docker-archive whose manifest.json is fine but whose layer
        member is itself a REALSIZE all-hole sparse entry (the archive
        level, not the layer level).

Each fixture is a few KiB whatever REALSIZE says: that is the point."""
import hashlib
import io
import json
import sys
import tarfile

MTIME = 1700000000


def octal(n, width):
    """A numeric header field; base-256 when it does not fit in octal
    (GNU's extension, for offsets past 8 GiB in an old GNU map)."""
    s = b"%0*o" % (width - 1, n)
    if len(s) <= width - 1:
        return s + b"\0"
    if n < 0:
        n += 1 << (8 * width)  # two's complement, as GNU writes negatives
        return (0xff).to_bytes(1, "big") + n.to_bytes(width, "big")[1:]
    return b"\x80" + n.to_bytes(width - 1, "big")


def header(name, size, typeflag=b"0", gnu=False, extra=None):
    """A ustar (or old GNU) header block; extra: {offset: bytes} written
    before the checksum is computed."""
    h = bytearray(512)
    n = name.encode()
    h[0:len(n)] = n
    h[100:108] = octal(0o644, 8)
    h[108:116] = octal(0, 8)
    h[116:124] = octal(0, 8)
    h[124:136] = octal(size, 12)
    h[136:148] = octal(MTIME, 12)
    h[156:157] = typeflag
    h[257:265] = b"ustar  \0" if gnu else b"ustar\x0000"
    for off, data in (extra or {}).items():
        h[off:off + len(data)] = data
    h[148:156] = b" " * 8
    h[148:156] = b"%06o\0 " % sum(h)
    return bytes(h)


def pad(b):
    return b + bytes(-len(b) % 512)


def pax_record(key, value):
    body = " %s=%s\n" % (key, value)
    n = len(body)
    while len(str(n)) + len(body) != n:
        n = len(str(n)) + len(body)
    return ("%d%s" % (n, body)).encode()


def pax(records, name="PaxHeaders/big"):
    data = b"".join(pax_record(k, v) for k, v in records)
    return header(name, len(data), b"x") + pad(data)


def data_of(regions):
    return b"".join(b"x" * n for _, n in regions)


def gnu_old(real, regions):
    """Old GNU 'S': four map slots in the header, 21 per extension block."""
    slots = list(regions)
    body = data_of(regions)
    extra = {483: octal(real, 12)}
    head_slots, rest = slots[:4], slots[4:]
    for i, (off, n) in enumerate(head_slots):
        extra[386 + 24 * i] = octal(off, 12) + octal(n, 12)
    if rest:
        extra[482] = b"\1"
    out = header("big", len(body), b"S", gnu=True, extra=extra)
    while rest:
        ext = bytearray(512)
        chunk, rest = rest[:21], rest[21:]
        for i, (off, n) in enumerate(chunk):
            ext[24 * i:24 * i + 24] = octal(off, 12) + octal(n, 12)
        ext[504] = 1 if rest else 0
        out += bytes(ext)
    return out + pad(body)


def pax00(real, regions):
    recs = [("GNU.sparse.size", real), ("GNU.sparse.numblocks", len(regions))]
    for off, n in regions:
        recs += [("GNU.sparse.offset", off), ("GNU.sparse.numbytes", n)]
    body = data_of(regions)
    return pax(recs) + header("big", len(body)) + pad(body)


def pax01(real, regions):
    m = ",".join("%d,%d" % r for r in regions)
    recs = [("GNU.sparse.size", real), ("GNU.sparse.numblocks", len(regions)), ("GNU.sparse.map", m)]
    body = data_of(regions)
    return pax(recs) + header("big", len(body)) + pad(body)


def pax10(real, regions):
    recs = [("GNU.sparse.major", 1), ("GNU.sparse.minor", 0), ("GNU.sparse.name", "big"),
            ("GNU.sparse.realsize", real)]
    m = "%d\n" % len(regions) + "".join("%d\n%d\n" % r for r in regions)
    body = pad(m.encode()) + data_of(regions)
    return pax(recs) + header("GNUSparseFile.0/big", len(body)) + pad(body)


FORMATS = {"gnu": gnu_old, "pax00": pax00, "pax01": pax01, "pax10": pax10}


def size_arg(s):
    mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
    return int(s[:-1]) * mult[s[-1]] if s[-1] in mult else int(s)


def layer(fmt, real, regions=None):
    if regions is None:
        regions = [(real, 0)]
    return FORMATS[fmt](real, regions) + bytes(1024)


def docker_archive(layer_member, diff_id, tag):
    """layer_member: the layer's tar entry (header and data) as it goes in
    the archive; diff_id: the sha256 hex the config claims for it."""
    cfg = json.dumps({"architecture": "amd64", "os": "linux", "config": {},
                      "rootfs": {"type": "layers", "diff_ids": ["sha256:" + diff_id]}}).encode()
    cid = hashlib.sha256(cfg).hexdigest()
    man = json.dumps([{"Config": cid + ".json", "RepoTags": [tag], "Layers": [diff_id + "/layer.tar"]}]).encode()
    out = b""
    for name, data in ((cid + ".json", cfg), ("manifest.json", man)):
        out += header(name, len(data)) + pad(data)
    return out + layer_member + bytes(1024)


def rename(entry, name):
    """entry with its (first) header's name replaced."""
    h = bytearray(entry[:512])
    h[0:100] = name.encode().ljust(100, b"\0")
    h[148:156] = b" " * 8
    h[148:156] = b"%06o\0 " % sum(h)
    return bytes(h) + entry[512:]


def main(argv):
    if argv[1] == "layer":
        regions = None
        if len(argv) > 5 and argv[5]:
            regions = [tuple(int(x) for x in r.split(":")) for r in argv[5].split(",")]
        base = b""
        if len(argv) > 6:
            base = open(argv[6], "rb").read()
            while base.endswith(bytes(512)):
                base = base[:-512]
        open(argv[4], "wb").write(base + layer(argv[2], size_arg(argv[3]), regions))
    elif argv[1] == "archive":
        lay = open(argv[2], "rb").read()
        lid = hashlib.sha256(lay).hexdigest()
        member = header(lid + "/layer.tar", len(lay)) + pad(lay)
        open(argv[3], "wb").write(docker_archive(member, lid, argv[4]))
    elif argv[1] == "outer":
        # The digest claimed is never reached: what matters is what the
        # loader does with the member before it can check it.
        real = size_arg(argv[2])
        lid = hashlib.sha256(b"sparse outer %d" % real).hexdigest()
        member = rename(gnu_old(real, [(real, 0)]), lid + "/layer.tar")
        open(argv[3], "wb").write(docker_archive(member, lid, "outer:1"))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
