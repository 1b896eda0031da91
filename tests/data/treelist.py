#!/usr/bin/env python3
"""Print a directory tree as sorted lines, one per entry, for comparing trees
in tests:  PATH TYPE MODE UID:GID MTIME SIZE/TARGET/DEV [xattrs] [=FIRSTLINK]

  treelist.py DIR [--sde N] [--no-owner] [--no-dir-mtime] [--no-link-mtime] [--no-xattrs]
--sde N clamps mtimes like the layer writer does; hard links show the first
path (sorted) of their inode."""
import os
import stat
import sys
import hashlib

args = sys.argv[1:]
root = args[0]
sde = None
owner = "--no-owner" not in args
dir_mtime = "--no-dir-mtime" not in args
link_mtime = "--no-link-mtime" not in args
xattrs = "--no-xattrs" not in args
if "--sde" in args:
    sde = int(args[args.index("--sde") + 1])

entries = []
for dirpath, dirnames, filenames in os.walk(root):
    dirnames.sort()
    for n in sorted(dirnames + filenames):
        full = os.path.join(dirpath, n)
        entries.append(os.path.relpath(full, root))
entries.sort(key=lambda p: p.encode("utf-8", "surrogateescape"))

first_of_inode = {}
lines = []
for rel in entries:
    full = os.path.join(root, rel)
    st = os.lstat(full)
    m = st.st_mode
    mt = int(st.st_mtime)
    if sde is not None and mt > sde:
        mt = sde
    if stat.S_ISSOCK(m):
        continue
    if stat.S_ISDIR(m):
        kind, extra = "d", ""
        if not dir_mtime:
            mt = 0
    elif stat.S_ISLNK(m):
        kind, extra = "l", os.readlink(full)
        if not link_mtime:
            mt = 0
    elif stat.S_ISREG(m):
        with open(full, "rb") as f:
            kind, extra = "f", "%d:%s" % (st.st_size, hashlib.sha256(f.read()).hexdigest()[:16])
    elif stat.S_ISCHR(m) or stat.S_ISBLK(m):
        kind = "c" if stat.S_ISCHR(m) else "b"
        extra = "%d,%d" % (os.major(st.st_rdev), os.minor(st.st_rdev))
    elif stat.S_ISFIFO(m):
        kind, extra = "p", ""
    else:
        kind, extra = "?", ""
    link = ""
    if not stat.S_ISDIR(m) and st.st_nlink > 1:
        key = (st.st_dev, st.st_ino)
        if key in first_of_inode:
            link = " =" + first_of_inode[key]
        else:
            first_of_inode[key] = rel
    xat = ""
    try:
        if not xattrs:
            raise OSError
        names = sorted(n for n in os.listxattr(full, follow_symlinks=False)
                       if n != "security.selinux")
        xat = " " + ",".join("%s=%s" % (n, os.getxattr(full, n, follow_symlinks=False).hex()) for n in names) if names else ""
    except OSError:
        pass
    own = " %d:%d" % (st.st_uid, st.st_gid) if owner else ""
    lines.append("%s %s %04o%s %d %s%s%s" % (rel, kind, stat.S_IMODE(m), own, mt, extra, xat, link))
print("\n".join(lines))
