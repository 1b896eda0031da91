/* pyoci_tar_dir: deterministic output that GNU tar, Python's tarfile and
 * libarchive (our reader) all read back as the original tree. */
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <time.h>

#include "tap.h"
#include "layer_testlib.h"
#include "lib/util/settings.h"

/* The SOURCE_DATE_EPOCH the program would hand in (cli/env.c). */
static void set_sde(const char *text)
{
  pyoci_settings_t s = *pyoci_settings();
  pyoci_settings_set_epoch(&s, text);
  pyoci_settings_set(&s);
}

#define SDE 1600000000LL

static void mkfile(const char *path, const char *content, mode_t mode, time_t mtime)
{
  tl_write(path, content, strlen(content));
  chmod(path, mode);
  struct timespec ts[2] = {{.tv_sec = mtime}, {.tv_sec = mtime}};
  utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW);
}

static void settime(const char *path, time_t mtime)
{
  struct timespec ts[2] = {{.tv_sec = mtime}, {.tv_sec = mtime}};
  utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW);
}

static bool have_user_xattr;

/* A tree with the awkward cases: long names and targets, hard links,
 * symlinks, special modes, a fifo, a socket, xattrs, devices (root). */
static void build_tree(const char *src)
{
  char long_dir[300], long_file[400], long_target[300];
  mkdir(src, 0755);
  mkdir(tl_path("src/etc"), 0755);
  mkfile(tl_path("src/etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n", 0644, 1500000000);
  mkfile(tl_path("src/etc/future"), "from the future\n", 0640, 2000000000); /* clamped */
  mkdir(tl_path("src/a"), 0755);
  mkfile(tl_path("src/a-c"), "sorts before a/ but after a\n", 0644, 1500000000);
  mkfile(tl_path("src/a/b"), "inside a\n", 0600, 1500000000);
  mkfile(tl_path("src/a0"), "a0\n", 0644, 1500000000);
  mkfile(tl_path("src/suid"), "#!/bin/sh\n", 04755, 1500000000);
  mkdir(tl_path("src/tmp"), 0755);
  chmod(tl_path("src/tmp"), 01777);
  /* long names: a directory of 120 chars and a file path of > 250 */
  memset(long_dir, 'd', 120);
  long_dir[120] = '\0';
  mkdir(tl_path("src/%s", long_dir), 0755);
  memset(long_file, 'f', 200);
  long_file[200] = '\0';
  mkfile(tl_path("src/%s/%s", long_dir, long_file), "long name\n", 0644, 1500000000);
  /* long symlink target */
  memset(long_target, 't', 150);
  long_target[150] = '\0';
  MUST(symlink(long_target, tl_path("src/longlink")));
  MUST(symlink("etc/passwd", tl_path("src/rel-link")));
  MUST(symlink("/etc/passwd", tl_path("src/abs-link")));
  /* hard links: three names for one inode, one in a subdir */
  mkfile(tl_path("src/hl1"), "hard linked\n", 0644, 1500000000);
  MUST(link(tl_path("src/hl1"), tl_path("src/hl2")));
  MUST(link(tl_path("src/hl1"), tl_path("src/a/hl3")));
  mkfifo(tl_path("src/fifo"), 0644);
  /* a socket is skipped */
  if (tl_sh(NULL, "python3 -c \"import socket; s=socket.socket(socket.AF_UNIX); s.bind('%s')\"",
            tl_path("src/sock")) != 0)
    printf("# could not make a socket\n");
  /* a big file (crosses the 1 MiB output buffer) */
  strbuf_t big = STRBUF_INIT;
  for (int i = 0; i < 300000; i++)
    strbuf_addf(&big, "%ld\n", (long)i * 7919);
  tl_write(tl_path("src/big"), big.buf, big.len);
  strbuf_release(&big);
  have_user_xattr = setxattr(tl_path("src/etc/passwd"), "user.pyoci.test", "v\x01\x00z", 4, 0) == 0;
  if (have_user_xattr)
    setxattr(tl_path("src/etc/passwd"), "user.another", "2", 1, 0);
  if (geteuid() == 0) {
    mknod(tl_path("src/null"), S_IFCHR | 0666, makedev(1, 3));
    mknod(tl_path("src/loop9"), S_IFBLK | 0660, makedev(7, 9));
    mkfile(tl_path("src/bigowner"), "owned by a large uid\n", 0644, 1500000000);
    MUST(chown(tl_path("src/bigowner"), 3000000, 3000001)); /* > 07777777: PAX uid/gid */
    MUST(chown(tl_path("src/a/b"), 1000, 1000));
  }
  settime(tl_path("src/a"), 1500000000);
  settime(tl_path("src/etc"), 1500000000);
  settime(tl_path("src/tmp"), 1500000000);
  settime(tl_path("src/%s", long_dir), 1500000000);
  settime(tl_path("src/fifo"), 1500000000);
  settime(tl_path("src/longlink"), 1500000000);
  settime(tl_path("src/rel-link"), 2100000000);
}

static void check_determinism(const pyoci_layer_opts_t *o)
{
  ok(tl_tar_to_file(tl_path("src"), o, tl_path("a.tar")) == 0, "tar_dir writes the tree");
  ok(tl_tar_to_file(tl_path("src"), o, tl_path("b.tar")) == 0, "tar_dir again");
  ok(tl_same_file(tl_path("a.tar"), tl_path("b.tar")), "two runs give identical bytes");
  /* Same tree copied elsewhere (different inode numbers, creation order):
   * same bytes. */
  tl_sh(NULL, "cp -a '%s' '%s'", tl_path("src"), tl_path("copy"));
  ok(tl_tar_to_file(tl_path("copy"), o, tl_path("c.tar")) == 0, "tar_dir of a copy");
  ok(tl_same_file(tl_path("a.tar"), tl_path("c.tar")), "a copy of the tree gives identical bytes");
}


static bool has_line(const char *out, const char *line)
{
  size_t n = strlen(line);
  for (const char *p = out; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
    if (strncmp(p, line, n) == 0 && (p[n] == '\n' || p[n] == '\0'))
      return true;
  return false;
}

#define has(out, line, ...)                                                                                   \
  do {                                                                                                       \
    bool h_ = has_line(out, line);                                                                           \
    ok(h_, __VA_ARGS__);                                                                                     \
    if (!h_)                                                                                                 \
      printf("#   want line: %s\n#   in: %.600s\n", line, out);                                             \
  } while (0)

static void check_listing(void)
{
  char *out = NULL;
  int st = tl_sh(&out, "tar -tf '%s'", tl_path("a.tar"));
  is_int(st, 0, "GNU tar lists the archive");
  /* "a-c" < "a/" < "a/b" < "a0" bytewise: names compare with the '/'. */
  const char *start = "a-c\na/\na/b\na/hl3\na0\nabs-link\n";
  ok(strncmp(out, start, strlen(start)) == 0,
     "entries start a-c, a/, a/b, a/hl3, a0: no ./, dirs end in /, dir right before its contents");
  if (strncmp(out, start, strlen(start)) != 0)
    printf("# got: %.200s\n", out);
  free(out);
  st = tl_sh(&out, "tar -tf '%s' > '%s' && LC_ALL=C sort -c '%s' && echo sorted", tl_path("a.tar"), tl_path("list"),
             tl_path("list"));
  is_str(out, "sorted", "entry names are in bytewise order (LC_ALL=C sort -c)");
  free(out);
  tl_sh(&out, "grep -c -e PaxHeaders -e sock '%s' || true", tl_path("list"));
  is_str(out, "0", "no PAX header pseudo-entries, no socket");
  free(out);
  st = tl_sh(&out,
             "python3 - '%s' <<'EOF'\n"
             "import sys, tarfile\n"
             "t = tarfile.open(sys.argv[1])\n"
             "m = {x.name: x for x in t.getmembers()}\n"
             "bad = [x.name for x in t.getmembers() if x.uname or x.gname]\n"
             "print('names', 'empty' if not bad else bad)\n"
             "for n in ('a/hl3', 'hl1', 'hl2'):\n"
             "    print(n, 'link' if m[n].type == tarfile.LNKTYPE else 'reg', m[n].linkname)\n"
             "print('future', m['etc/future'].mtime)\n"
             "print('passwd', m['etc/passwd'].mtime)\n"
             "print('suid', oct(m['suid'].mode), 'tmp', oct(m['tmp'].mode))\n"
             "print('longlink', len(m['longlink'].linkname))\n"
             "print('fifo', m['fifo'].type == tarfile.FIFOTYPE)\n"
             "print('long', max(len(x) for x in m))\n"
             "print('xattr', m['etc/passwd'].pax_headers.get('SCHILY.xattr.user.pyoci.test', '').encode('utf-8', 'surrogateescape'))\n"
             "if 'bigowner' in m: print('bigowner', m['bigowner'].uid, m['bigowner'].gid)\n"
             "if 'null' in m: print('null', m['null'].type == tarfile.CHRTYPE, m['null'].devmajor, m['null'].devminor)\n"
             "EOF",
             tl_path("a.tar"));
  is_int(st, 0, "python tarfile reads the archive");
  has(out, "names empty", "uname/gname are empty everywhere");
  has(out, "a/hl3 reg ", "first path of a hard-linked inode is a regular file");
  has(out, "hl1 link a/hl3", "second path is a hard link to the first");
  has(out, "hl2 link a/hl3", "third path is a hard link to the first");
  has(out, "future 1600000000", "mtime clamped to SOURCE_DATE_EPOCH");
  has(out, "passwd 1500000000", "older mtime kept");
  has(out, "suid 0o4755 tmp 0o1777", "suid and sticky bits kept");
  has(out, "longlink 150", "150-byte symlink target (PAX linkpath)");
  has(out, "fifo True", "fifo entry");
  has(out, "long 321", "321-byte path (PAX path)");
  if (have_user_xattr)
    has(out, "xattr b'v\\x01\\x00z'", "binary xattr value in SCHILY.xattr");
  else
    skip_test("file system has no user xattrs");
  if (geteuid() == 0) {
    has(out, "bigowner 3000000 3000001", "uid/gid above 07777777 via PAX");
    has(out, "null True 1 3", "char device 1:3");
  } else {
    skip_test("devices and big owners need root");
    skip_test("devices and big owners need root");
  }
  free(out);
}

/* Extract with GNU tar and Python and compare with the source tree. */
static void check_extract(void)
{
  const char *own = geteuid() == 0 ? "" : "--no-owner";
  char *want = NULL, *got = NULL, *out = NULL;
  tl_sh(&want, "python3 %s '%s' --sde %lld %s", tl_treelist(), tl_path("src"), SDE, own);
  mkdir(tl_path("gnu"), 0755);
  int st = tl_sh(&out, "tar --numeric-owner --xattrs --xattrs-include='*' -xpf '%s' -C '%s'", tl_path("a.tar"),
                 tl_path("gnu"));
  is_int(st, 0, "GNU tar extracts it");
  if (st != 0)
    printf("# %s\n", out);
  free(out);
  tl_sh(&got, "python3 %s '%s' %s", tl_treelist(), tl_path("gnu"), own);
  is_str(got, want, "GNU tar's extraction matches the source (types, modes, owners, mtimes, content, links, xattrs)");
  free(got);
  free(want);

  tl_sh(&want, "python3 %s '%s' --sde %lld --no-link-mtime --no-xattrs %s", tl_treelist(), tl_path("src"), SDE, own);
  st = tl_sh(&out,
             "python3 -c \"import tarfile,sys; t=tarfile.open('%s'); t.extractall('%s', numeric_owner=True)\"",
             tl_path("a.tar"), tl_path("py"));
  is_int(st, 0, "python tarfile extracts it");
  if (st != 0)
    printf("# %s\n", out);
  free(out);
  tl_sh(&got, "python3 %s '%s' --no-link-mtime --no-xattrs %s", tl_treelist(), tl_path("py"), own);
  is_str(got, want, "python's extraction matches the source");
  free(got);
  free(want);
}

static const char *type_name(pyoci_tar_type_t t)
{
  static const char *names[] = {"file", "dir", "symlink", "hardlink", "char", "block", "fifo"};
  return names[t];
}

/* Our libarchive reader and Python see the same entries and fields. */
static void check_reader(void)
{
  char *want = NULL;
  tl_sh(&want,
        "python3 - '%s' <<'EOF'\n"
        "import sys, tarfile\n"
        "T = {tarfile.REGTYPE: 'file', tarfile.DIRTYPE: 'dir', tarfile.SYMTYPE: 'symlink', tarfile.LNKTYPE: 'hardlink',\n"
        "     tarfile.CHRTYPE: 'char', tarfile.BLKTYPE: 'block', tarfile.FIFOTYPE: 'fifo'}\n"
        "for m in tarfile.open(sys.argv[1]):\n"
        "    print(m.name, T[m.type], oct(m.mode), m.uid, m.gid, m.mtime, m.size if m.type == tarfile.REGTYPE else 0,\n"
        "          m.linkname or '-', m.devmajor, m.devminor)\n"
        "EOF",
        tl_path("a.tar"));
  strbuf_t got = STRBUF_INIT;
  int fd = open(tl_path("a.tar"), O_RDONLY);
  pyoci_tar_reader_t *r = NULL;
  pyoci_error_t *err = NULL;
  int n = pyoci_tar_reader_open(fd, "a.tar", &r, &err);
  pyoci_tar_entry_t e;
  while (n == 0 && (n = pyoci_tar_reader_next(r, &e, &err)) == 1) {
    bool dev = e.type == PYOCI_TAR_CHAR || e.type == PYOCI_TAR_BLOCK;
    strbuf_addf(&got, "%s%s %s 0o%o %lld %lld %lld %lld %s %u %u\n", got.len ? "" : "", e.path, type_name(e.type),
                (unsigned)e.mode, (long long)e.uid, (long long)e.gid, (long long)e.mtime, (long long)e.size,
                e.link ? e.link : "-", dev ? e.dev_major : 0, dev ? e.dev_minor : 0);
    n = 0;
  }
  is_int(n, 0, "our reader reads to the end");
  if (err)
    printf("# %s\n", err->msg);
  while (got.len && got.buf[got.len - 1] == '\n')
    got.buf[--got.len] = '\0';
  is_str(got.buf, want, "our reader and python tarfile agree on every entry");
  pyoci_tar_reader_free(r);
  pyoci_error_free(err);
  close(fd);
  strbuf_release(&got);
  free(want);
}

static void check_no_sde(void)
{
  pyoci_layer_opts_t o;
  pyoci_layer_opts_init(&o);
  o.source_date_epoch = -1;
  ok(tl_tar_to_file(tl_path("src"), &o, tl_path("nosde.tar")) == 0, "tar_dir without SOURCE_DATE_EPOCH");
  char *out = NULL;
  tl_sh(&out, "python3 -c \"import tarfile; print(tarfile.open('%s').getmember('etc/future').mtime)\"",
        tl_path("nosde.tar"));
  is_str(out, "2000000000", "without SOURCE_DATE_EPOCH mtimes are kept");
  free(out);
  set_sde("1234");
  pyoci_layer_opts_init(&o);
  is_int(o.source_date_epoch, 1234, "opts_init reads $SOURCE_DATE_EPOCH");
  set_sde("12x");
  pyoci_layer_opts_init(&o);
  is_int(o.source_date_epoch, -1, "a malformed $SOURCE_DATE_EPOCH is ignored");
  set_sde(NULL);
}

/* overlay upper dir: 0/0 char devs and opaque dirs become OCI whiteouts. */
static void check_overlay(void)
{
  if (geteuid() != 0) {
    skip_test("overlay whiteout conversion needs root (mknod, trusted.* xattrs)");
    return;
  }
  mkdir(tl_path("upper"), 0755);
  mkdir(tl_path("upper/dir"), 0750);
  mknod(tl_path("upper/dir/gone"), S_IFCHR | 0, makedev(0, 0));
  mkdir(tl_path("upper/opq"), 0705);
  mkfile(tl_path("upper/opq/-first"), "sorts before .wh..wh..opq\n", 0644, 1500000000);
  mkfile(tl_path("upper/opq/new"), "new\n", 0644, 1500000000);
  int x1 = setxattr(tl_path("upper/opq"), "trusted.overlay.opaque", "y", 1, 0);
  setxattr(tl_path("upper/opq/new"), "trusted.overlay.origin", "zz", 2, 0);
  setxattr(tl_path("upper/opq/new"), "user.keep", "1", 1, 0);
  mknod(tl_path("upper/real-dev"), S_IFCHR | 0600, makedev(1, 5));
  pyoci_layer_opts_t o;
  pyoci_layer_opts_init(&o);
  o.overlay_whiteouts = true;
  o.source_date_epoch = SDE;
  ok(tl_tar_to_file(tl_path("upper"), &o, tl_path("upper.tar")) == 0, "tar of an overlay upper dir");
  char *out = NULL;
  tl_sh(&out,
        "python3 - '%s' <<'EOF'\n"
        "import sys, tarfile\n"
        "for m in tarfile.open(sys.argv[1]):\n"
        "    x = sorted(k for k in m.pax_headers if k.startswith('SCHILY'))\n"
        "    print(m.name, m.type.decode(), oct(m.mode), m.size, ','.join(x) or '-')\n"
        "EOF",
        tl_path("upper.tar"));
  if (x1 == 0)
    is_str(out,
           "dir 5 0o750 0 -\n"
           "dir/.wh.gone 0 0o600 0 -\n"
           "opq 5 0o705 0 -\n"
           "opq/.wh..wh..opq 0 0o705 0 -\n"
           "opq/-first 0 0o644 26 -\n"
           "opq/new 0 0o644 4 SCHILY.xattr.user.keep\n"
           "real-dev 3 0o600 0 -",
           "whiteout char dev -> .wh.NAME, opaque dir -> DIR/.wh..wh..opq right after DIR, overlay xattrs dropped");
  else
    skip_test("cannot set trusted.overlay.opaque here");
  free(out);
  o.overlay_whiteouts = false;
  ok(tl_tar_to_file(tl_path("upper"), &o, tl_path("upper-raw.tar")) == 0, "same dir without overlay conversion");
  tl_sh(&out, "tar -tvf '%s' | grep -c 'dir/gone' || true", tl_path("upper-raw.tar"));
  is_str(out, "1", "without the option the 0/0 device is archived as is");
  free(out);
}

int main(void)
{
  tl_init("tarw");
  build_tree(tl_path("src"));
  pyoci_layer_opts_t o;
  pyoci_layer_opts_init(&o);
  o.source_date_epoch = SDE;
  check_determinism(&o);
  check_listing();
  check_extract();
  check_reader();
  check_no_sde();
  check_overlay();
  return done_testing();
}
