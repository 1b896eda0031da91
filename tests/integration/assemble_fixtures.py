#!/usr/bin/env python3
"""A local, signed apt repository and wheelhouse for t121-assemble-local.sh.

usage: assemble_fixtures.py OUT CANARY [--real-python]
  OUT/repo/        served over HTTP: pool/*.deb and dists/SUITE/...
    good           fake-app's closure (alternatives, Provides, Pre-Depends,
                   versions, merged-/usr paths), python3.11-minimal, libc6,
                   ca-certificates, tzdata, needs-missing, evil debs
    unsigned       InRelease is the Release text without a signature
    otherkey       signed by a key that is not in OUT/keyring.gpg
    tampered       Packages changed after Release listed its hash
    baddeb         Packages lists a wrong SHA256 for fake-app's .deb
    realpy         (--real-python) libc6 and python3.11-minimal made of this
                   machine's own python3.11, its libraries and the part of the
                   stdlib compileall needs: an image that can run python
  OUT/repo/simple/ a PEP 503 index (index.html per project, #sha256= links,
                   relative and rooted) over OUT/repo/files/, and bad projects:
                   badfrag (the link's hash is not the pinned one), badfile (the
                   file is not what its link says), otherhost (written by the
                   test: a link to another host)
  OUT/keyring.gpg  the good key (binary keyring, what gpgv reads)
  OUT/wheels/      wheels made here with zipfile + RECORD
  OUT/req-*.txt    hash-pinned requirements files
.debs are built by dpkg-deb, indexes by dpkg-scanpackages, signatures by gpg
with a throwaway key in a temporary GNUPGHOME.  The evil .debs (a '..'
member, an absolute member, a write through an escaping symlink) are
written by hand since dpkg-deb refuses to make them."""
import base64, gzip, hashlib, lzma, os, shutil, subprocess, sys, tarfile, tempfile, zipfile

import fixture_lib

OUT, CANARY = sys.argv[1], sys.argv[2]
REAL_PYTHON = "--real-python" in sys.argv[3:]
REPO = os.path.join(OUT, "repo")
POOL = os.path.join(REPO, "pool")
os.makedirs(POOL, exist_ok=True)


def deb(name, version, files=None, arch="amd64", pool=None, **fields):
    """Build NAME_VERSION_ARCH.deb with dpkg-deb from a file dict."""
    root = tempfile.mkdtemp(dir=OUT)
    os.makedirs(os.path.join(root, "DEBIAN"))
    ctl = [f"Package: {name}", f"Version: {version}", f"Architecture: {arch}",
           "Maintainer: Test <test@example.org>"]
    ctl += [f"{k.replace('_', '-')}: {v}" for k, v in fields.items()]
    ctl.append(f"Description: test package {name}")
    with open(os.path.join(root, "DEBIAN/control"), "w") as f:
        f.write("\n".join(ctl) + "\n")
    md5 = []
    for path, content in sorted((files or {}).items()):
        full = os.path.join(root, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        if isinstance(content, tuple) and content[0] == "dir":
            os.makedirs(full, exist_ok=True)
            continue
        if isinstance(content, tuple):  # ("symlink", target)
            os.symlink(content[1], full)
            continue
        data = content.encode() if isinstance(content, str) else content
        with open(full, "wb") as f:
            f.write(data)
        if data.startswith(b"\x7fELF"):  # real programs and libraries (--real-python) are executable
            os.chmod(full, 0o755)
        md5.append(f"{hashlib.md5(data).hexdigest()}  {path}")
    if md5:
        with open(os.path.join(root, "DEBIAN/md5sums"), "w") as f:
            f.write("\n".join(md5) + "\n")
    out = os.path.join(pool or POOL, f"{name}_{version}_{arch}.deb")
    subprocess.run(["dpkg-deb", "--root-owner-group", "-Zgzip", "--build", root, out], check=True,
                   stdout=subprocess.DEVNULL)
    shutil.rmtree(root)
    return out


def tar_bytes(members):
    """members: (name, kind, data) as fixture_lib.tar_bytes takes them; gzip, GNU format."""
    return fixture_lib.tar_bytes(members, "w:gz", tarfile.GNU_FORMAT)

def ar(path, members):
    with open(path, "wb") as f:
        f.write(b"!<arch>\n")
        for name, data in members:
            hdr = f"{name:<16}{1700000000:<12}{0:<6}{0:<6}{0o100644:<8o}{len(data):<10}`\n"
            f.write(hdr.encode())
            f.write(data)
            if len(data) % 2:
                f.write(b"\n")


def evil_deb(name, data_members):
    control = f"Package: {name}\nVersion: 1.0\nArchitecture: amd64\nMaintainer: T <t@e>\nDescription: evil\n"
    out = os.path.join(POOL, f"{name}_1.0_amd64.deb")
    ar(out, [("debian-binary", b"2.0\n"),
             ("control.tar.gz", tar_bytes([("./control", "file", control.encode())])),
             ("data.tar.gz", tar_bytes(data_members))])


# ---- packages -----------------------------------------------------------
deb("libc6", "2.36-9", {"lib/x86_64-linux-gnu/libc.so.6": "libc"}, Multi_Arch="same")
deb("python3.11-minimal", "3.11.2-6", {"usr/bin/python3.11": "#!python\n"}, Pre_Depends="libc6 (>= 2.35)")
deb("libfake1", "1.0", {"usr/lib/x86_64-linux-gnu/libfake.so.1": "old"}, Multi_Arch="same")
deb("libfake1", "2.0", {"usr/lib/x86_64-linux-gnu/libfake.so.1": "new",
                        "lib/x86_64-linux-gnu/libfake-compat.so": "compat"}, Multi_Arch="same")
deb("fake-base", "1.0", {"bin/fakebin": "fake binary", "sbin/fakeadm": "adm",
                         "usr/share/doc/fake-base/README": "excluded",
                         "usr/share/doc/fake-base/copyright": "kept"})
deb("fake-provider", "1.0", {"usr/share/fake-provider/x": "x"}, Provides="virt-thing (= 2.0)")
deb("fake-app", "1.0", {"usr/bin/fake-app": "app", "usr/lib/fake-app/link": ("symlink", "/usr/bin/fake-app")},
    Pre_Depends="fake-base", Depends="libfake1 (>= 2.0), virt-thing (>= 1.5) | missing-pkg, libc6:any | libc6")
deb("ca-certificates", "20230311", {"usr/share/ca-certificates/test/b.crt": "-----B-----\n",
                                    "usr/share/ca-certificates/test/a.crt": "-----A-----\n"})
deb("tzdata", "2024a-0", {"usr/share/zoneinfo/Etc/UTC": "TZif-test"})
deb("needs-missing", "1.0", {"usr/share/nm/x": "x"}, Depends="fake-base, nothere (>= 1.0)")
# Conflicts/Breaks: versioned, through Provides, and what must not count.
deb("clash-lib", "1.0", {"usr/share/clash/lib": "lib"})
deb("clash-old", "1.0", {"usr/share/clash/old": "old"}, Conflicts="clash-lib (<< 2.0)")
deb("clash-app", "1.0", {"usr/share/clash/app": "app"}, Depends="clash-lib, clash-old")
deb("breaker", "1.0", {"usr/share/breaker/x": "x"}, Breaks="virt-thing (>= 2.0)")
deb("breaks-app", "1.0", {"usr/share/breaks-app/x": "x"}, Depends="fake-provider, breaker")
deb("calm-prov", "1.0", {"usr/share/calm/prov": "x"}, Provides="plain-virt")
deb("calm-pkg", "1.0", {"usr/share/calm/x": "x"}, Provides="fake-mta", Breaks="fake-provider (<< 1.0)",
    Conflicts="libfake1 (<< 2.0), virt-thing (<< 2.0), plain-virt (>= 1), fake-mta, calm-other")
deb("calm-app", "1.0", {"usr/share/calm-app/x": "x"}, Depends="fake-app, calm-pkg, calm-prov")
evil_deb("evil-dotdot", [("./usr/", "dir", b""), ("./usr/../../dotdot-escape", "file", b"x")])
evil_deb("evil-abs", [("/etc/evil-absolute", "file", b"x")])
evil_deb("evil-symlink", [("./usr/", "dir", b""), ("./usr/esc", "symlink", CANARY),
                          ("./usr/esc/pwned", "file", b"x")])


def real_python():
    """libc6 and python3.11-minimal from this machine's files: the
    interpreter, the shared libraries ldd names for it and its extension
    modules, and the stdlib modules compileall loads (what a probe run of
    the very script pyoci runs imports)."""
    py = os.path.realpath("/usr/bin/python3.11")
    probe = ("import compileall, os, py_compile, sys\n"
             "d = sys.argv[1]; open(os.path.join(d, 'm.py'), 'w').write('x = {1}\\n')\n"
             "compileall.compile_dir(d, quiet=1, workers=1,"
             " invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH)\n"
             "fs = {getattr(m, '__file__', None) for m in list(sys.modules.values())}\n"
             "print('\\n'.join(sorted(f for f in fs if f and os.path.isfile(f))))\n")
    mods = subprocess.run([py, "-B", "-S", "-s", "-c", probe, tempfile.mkdtemp(dir=OUT)], check=True, capture_output=True,
                          text=True).stdout.split()
    libc, pyfiles = {}, {"usr/bin/python3.11": open(py, "rb").read(),
                         "usr/lib/python3.11/lib-dynload": ("dir",)}
    for m in mods:
        pyfiles[m.lstrip("/")] = open(m, "rb").read()
    for obj in [py] + [m for m in mods if m.endswith(".so")]:
        for line in subprocess.run(["ldd", obj], check=True, capture_output=True, text=True).stdout.splitlines():
            path = line.split("=>")[-1].split("(")[0].strip()
            if not path.startswith("/"):
                continue
            data = open(os.path.realpath(path), "rb").read()
            base = os.path.basename(path)
            if base.startswith(("libc.so", "libm.so", "ld-linux")):
                libc["lib/x86_64-linux-gnu/" + base] = data
            else:
                pyfiles["lib/x86_64-linux-gnu/" + base] = data
    libc["lib64/ld-linux-x86-64.so.2"] = ("symlink", "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2")
    pool = os.path.join(REPO, "pool-real")
    os.makedirs(pool, exist_ok=True)
    deb("libc6", "2.36-99", libc, pool=pool, Multi_Arch="same")
    deb("python3.11-minimal", "3.11.7-99", pyfiles, pool=pool, Pre_Depends="libc6 (>= 2.36)")


# ---- indexes and signatures ---------------------------------------------
gnupg = tempfile.mkdtemp(dir=OUT)
other = tempfile.mkdtemp(dir=OUT)
for home, uid in ((gnupg, "pyoci test <test@example.org>"), (other, "other <other@example.org>")):
    subprocess.run(["gpg", "--homedir", home, "--batch", "--passphrase", "", "--quick-gen-key", uid, "ed25519",
                    "sign", "never"], check=True, stderr=subprocess.DEVNULL)
with open(os.path.join(OUT, "keyring.gpg"), "wb") as f:
    f.write(subprocess.run(["gpg", "--homedir", gnupg, "--export"], check=True, capture_output=True).stdout)

scan = subprocess.run(["dpkg-scanpackages", "--multiversion", "pool", "/dev/null"], cwd=REPO, check=True,
                      capture_output=True, text=True).stdout


def suite(name, packages, sign_home=gnupg, signed=True, tamper=None):
    d = os.path.join(REPO, "dists", name)
    pdir = os.path.join(d, "main/binary-amd64")
    os.makedirs(pdir, exist_ok=True)
    raw = packages.encode()
    files = {"main/binary-amd64/Packages": raw, "main/binary-amd64/Packages.gz": gzip.compress(raw, mtime=0),
             "main/binary-amd64/Packages.xz": lzma.compress(raw)}
    lines = [f" {hashlib.sha256(b).hexdigest()} {len(b)} {p}" for p, b in sorted(files.items())]
    release = (f"Origin: pyoci-test\nSuite: {name}\nCodename: {name}\nDate: Tue, 14 Nov 2023 22:13:20 UTC\n"
               f"Architectures: amd64\nComponents: main\nSHA256:\n" + "\n".join(lines) + "\n")
    if tamper:
        raw = tamper(packages).encode()
        files = {"main/binary-amd64/Packages": raw, "main/binary-amd64/Packages.gz": gzip.compress(raw, mtime=0),
                 "main/binary-amd64/Packages.xz": lzma.compress(raw)}
    for p, b in files.items():
        with open(os.path.join(d, p), "wb") as f:
            f.write(b)
    with open(os.path.join(d, "Release"), "w") as f:
        f.write(release)
    if signed:
        subprocess.run(["gpg", "--homedir", sign_home, "--batch", "--yes", "--clearsign", "-o",
                        os.path.join(d, "InRelease"), os.path.join(d, "Release")], check=True)
    else:
        shutil.copy(os.path.join(d, "Release"), os.path.join(d, "InRelease"))


suite("good", scan)
suite("unsigned", scan, signed=False)
suite("otherkey", scan, sign_home=other)
suite("tampered", scan, tamper=lambda s: s.replace("Version: 2.0", "Version: 9.0"))


def wrong_sha(s):
    out, cur = [], None
    for line in s.split("\n"):
        if line.startswith("Package: "):
            cur = line[9:]
        if cur == "fake-app" and line.startswith("SHA256: "):
            line = "SHA256: " + "0" * 64
        out.append(line)
    return "\n".join(out)


suite("baddeb", wrong_sha(scan))
if REAL_PYTHON:
    real_python()
    suite("realpy", subprocess.run(["dpkg-scanpackages", "--multiversion", "pool-real", "/dev/null"], cwd=REPO,
                                   check=True, capture_output=True, text=True).stdout)

# ---- wheels ---------------------------------------------------------------
WHEELS = os.path.join(OUT, "wheels")
os.makedirs(WHEELS, exist_ok=True)


def b64(data):
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def wheel(name, version, tag, files, bad_hash=False, where=WHEELS):
    info = f"{name}-{version}.dist-info"
    files = dict(files)
    files[f"{info}/METADATA"] = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n\nlong text\n"
    files[f"{info}/WHEEL"] = f"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: {tag}\n"
    record = []
    for p, c in sorted(files.items()):
        data = c.encode()
        h = b64(data + b"tampered" if bad_hash and not p.startswith(info) else data)
        record.append(f"{p},sha256={h},{len(data)}")
    record.append(f"{info}/RECORD,,")
    files[f"{info}/RECORD"] = "\n".join(record) + "\n"
    path = os.path.join(where, f"{name}-{version}-{tag}.whl")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for p, c in sorted(files.items()):
            zi = zipfile.ZipInfo(p, (1980, 1, 1, 0, 0, 0))
            zi.external_attr = (0o755 if p.endswith("/hi") else 0o644) << 16
            z.writestr(zi, c)
    return path


def req(fname, paths):
    with open(os.path.join(OUT, fname), "w") as f:
        for p in paths:
            base = os.path.basename(p)
            name, version = base.split("-")[:2]
            h = hashlib.sha256(open(p, "rb").read()).hexdigest()
            f.write(f"{name}=={version} \\\n    --hash=sha256:{h}  # pinned\n")


hello = wheel("hello_pkg", "1.0", "py3-none-any", {
    "hello_pkg/__init__.py": "def main():\n    print('hello')\n",
    "hello_pkg-1.0.dist-info/entry_points.txt": "[console_scripts]\nhello = hello_pkg:main\n",
    "hello_pkg-1.0.data/scripts/hi": "#!python\nprint('hi')\n",
    "hello_pkg-1.0.data/data/share/hello/hello.txt": "data file\n"})
native = wheel("native_ext", "1.0", "cp311-cp311-manylinux_2_17_x86_64", {"native_ext/_x.so": "ELF?"})
req("req-good.txt", [hello, native])
req("req-toonew.txt", [wheel("toonew", "1.0", "cp311-cp311-manylinux_2_39_x86_64", {"toonew/x.py": ""})])
req("req-musl.txt", [wheel("muslonly", "1.0", "cp311-cp311-musllinux_1_1_x86_64", {"muslonly/x.py": ""})])
req("req-py312.txt", [wheel("newpy", "1.0", "cp312-cp312-manylinux_2_17_x86_64", {"newpy/x.py": ""})])
req("req-badhash.txt", [wheel("badhash", "1.0", "py3-none-any", {"badhash/x.py": "x"}, bad_hash=True)])
req("req-dotdot.txt", [wheel("dotdot", "1.0", "py3-none-any", {"../dotdot_escape.py": "x"})])
# Byte-compiling: one module compiles, one is Python 2 (pip leaves it as source).
req("req-compile.txt", [hello, native, wheel("halfbad", "1.0", "py3-none-any", {
    "halfbad/__init__.py": "def f(x):\n    return x in {'a', 'b', 'c'}\n", "halfbad/py2.py": "print 'python 2'\n"})])

# ---- a PEP 503 simple index -----------------------------------------------
FILES, SIMPLE = os.path.join(REPO, "files"), os.path.join(REPO, "simple")
os.makedirs(FILES, exist_ok=True)


def sha(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def page(project, links):
    os.makedirs(os.path.join(SIMPLE, project), exist_ok=True)
    body = "".join(f'    <a href="{href}"{extra}>{text}</a><br/>\n' for href, text, extra in links)
    with open(os.path.join(SIMPLE, project, "index.html"), "w") as f:
        f.write(f"<!DOCTYPE html>\n<html>\n  <head><title>Links for {project}</title></head>\n  <body>\n"
                f"    <h1>Links for {project}</h1>\n{body}  </body>\n</html>\n")


for w in (hello, native):
    shutil.copy(w, FILES)
hb, nb = os.path.basename(hello), os.path.basename(native)
page("hello-pkg", [  # a wheel this image cannot run first, then the right one by a relative link
    (f"../../files/hello_pkg-1.0-cp312-cp312-manylinux_2_17_x86_64.whl#sha256={'1' * 64}",
     "hello_pkg-1.0-cp312-cp312-manylinux_2_17_x86_64.whl", ""),
    (f"../../files/{hb}#sha256={sha(hello)}", hb, ' data-requires-python="&gt;=3.7"')])
page("native-ext", [(f"/files/{nb}#sha256={sha(native).upper()}", nb, "")])  # rooted, upper-case hex
badfrag = wheel("badfrag", "1.0", "py3-none-any", {"badfrag/x.py": ""}, where=FILES)
page("badfrag", [(f"../../files/{os.path.basename(badfrag)}#sha256={'ab' * 32}", "badfrag", "")])
badfile = wheel("badfile", "1.0", "py3-none-any", {"badfile/x.py": ""}, where=FILES)
page("badfile", [(f"../../files/{os.path.basename(badfile)}#sha256={sha(badfile)}", "badfile", "")])
otherhost = wheel("otherhost", "1.0", "py3-none-any", {"otherhost/x.py": ""}, where=FILES)
req("req-badfrag.txt", [badfrag])
req("req-badfile.txt", [badfile])
req("req-otherhost.txt", [otherhost])
with open(badfile, "ab") as f:  # served bytes no longer match the page's (and the pinned) hash
    f.write(b"appended after hashing")
with open(os.path.join(OUT, "req-nothere.txt"), "w") as f:
    f.write(f"nothere==1.0 --hash=sha256:{'0' * 64}\n")

# gpg started an agent per temporary home: stop them (by their home, not by name).
for home in (gnupg, other):
    subprocess.run(["gpgconf", "--homedir", home, "--kill", "gpg-agent"], check=False)
    shutil.rmtree(home, ignore_errors=True)
