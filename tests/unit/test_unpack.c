/* Unpacking: hostile archives never change anything outside the root and
 * fail with a message naming the entry; whiteouts follow the OCI rules; a
 * tree survives tar_dir -> gzip -> unpack unchanged. */
#include <grp.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "tap.h"
#include "layer_testlib.h"
#include "lib/util/fdcopy.h"
#include "lib/util/inflate_limit.h"

static int case_no;
static const char *base; /* the current case's dir: root/ and sentinel/ inside */

static const char *mktar(const char *name, const char *json)
{
  const char *top = getenv("PYOCI_TOP");
  const char *out = tl_path("%s", name);
  char *o = NULL;
  if (tl_sh(&o, "python3 %s/tests/data/mktar.py '%s' '%s'", top ? top : ".", out, json) != 0) {
    printf("Bail out! mktar %s: %s\n", name, o);
    exit(255);
  }
  free(o);
  return out;
}

/* Everything under base except root/, with sizes, modes and mtimes. */
static char *outside_fingerprint(void)
{
  char *out = NULL;
  tl_sh(&out, "cd '%s' && find . -path ./root -prune -o -printf '%%p %%y %%m %%s %%T@ %%l\\n' | LC_ALL=C sort", base);
  return out;
}

static const char *new_case(void)
{
  static char b[4096];
  snprintf(b, sizeof(b), "%s/case%d", tl_tmp, ++case_no);
  base = b;
  char *o = NULL;
  tl_sh(&o, "mkdir -p '%s/root' '%s/sentinel' && echo precious > '%s/sentinel/file' && ln -s sentinel '%s/link'", b, b,
        b, b);
  free(o);
  return b;
}

static const char *root_path(void)
{
  return tl_path("case%d/root", case_no);
}

/* Unpack json's archive into a fresh case; check the outcome, the message
 * and that nothing outside root changed. */
static void hostile(const char *label, const char *json, const char *want_err)
{
  new_case();
  char *before = outside_fingerprint();
  char name[64];
  snprintf(name, sizeof(name), "hostile%d.tar", case_no);
  const char *t = mktar(name, json);
  char *msg = NULL;
  int r = tl_unpack(t, root_path(), NULL, &msg);
  if (want_err == NULL) {
    is_int(r, 0, "%s: unpacks", label);
    if (r < 0)
      printf("# %s\n", msg);
  } else {
    is_int(r, -1, "%s: refused", label);
    is_str(msg, want_err, "%s: message names the entry", label);
  }
  char *after = outside_fingerprint();
  is_str(after, before, "%s: nothing outside root changed", label);
  free(before);
  free(after);
  free(msg);
}

static bool exists(const char *p)
{
  struct stat st;
  return lstat(p, &st) == 0;
}

static void test_hostile(void)
{
  char json[8192], want[8192];
  hostile("traversal", "[{\"name\": \"ok\", \"data\": \"1\"}, {\"name\": \"../escaped\", \"data\": \"evil\"}]",
          "read 'hostile1.tar': entry '../escaped': path contains a '..' component");
  ok(!exists(tl_path("case1/escaped")), "traversal: ../escaped not created");

  char abs[256];
  snprintf(abs, sizeof(abs), "/tmp/pyoci-hostile-abs-%d", (int)getpid());
  snprintf(json, sizeof(json), "[{\"name\": \"%s\", \"data\": \"evil\"}]", abs);
  snprintf(want, sizeof(want), "unpack 'hostile2.tar': entry '%s': absolute path", abs);
  hostile("absolute path", json, want);
  ok(!exists(abs) && !exists(tl_path("case2/root/tmp")), "absolute path: created neither on the host nor in root");

  /* Symlinks pointing out, then writes through them: resolved inside root
   * (like Docker's chroot), never outside. */
  hostile("symlinks then write-through",
          "[{\"name\": \"a\", \"type\": \"symlink\", \"link\": \"/\"}, {\"name\": \"a/x\", \"data\": \"via a\"},"
          " {\"name\": \"b\", \"type\": \"symlink\", \"link\": \"../../\"}, {\"name\": \"b/y\", \"data\": \"via b\"},"
          " {\"name\": \"b/sentinel/file\", \"data\": \"overwrite?\"},"
          " {\"name\": \"d\", \"type\": \"dir\"}, {\"name\": \"d\", \"type\": \"symlink\", \"link\": \"..\"},"
          " {\"name\": \"d/w\", \"data\": \"via d\"},"
          " {\"name\": \"etc\", \"type\": \"dir\"}, {\"name\": \"e\", \"type\": \"symlink\", \"link\": \"/etc\"},"
          " {\"name\": \"e/passwd\", \"data\": \"root::0:0::/:/bin/sh\"}]",
          NULL);
  char *o = NULL;
  tl_sh(&o, "cd '%s' && cat x y w etc/passwd sentinel/file && readlink a b d e", root_path());
  is_str(o, "via avia bvia droot::0:0::/:/bin/shoverwrite?/\n../../\n..\n/etc",
         "symlinks: every write landed inside root");
  free(o);

  snprintf(json, sizeof(json),
           "[{\"name\": \"c\", \"type\": \"symlink\", \"link\": \"%s\"}, {\"name\": \"c/file\", \"data\": \"clobber\"}]",
           tl_path("case4/sentinel"));
  snprintf(want, sizeof(want), "unpack 'hostile4.tar': entry 'c/file': open directory 'c': No such file or directory");
  hostile("absolute symlink to a real outside dir", json, want);

  hostile("symlink loop",
          "[{\"name\": \"l1\", \"type\": \"symlink\", \"link\": \"l2\"}, {\"name\": \"l2\", \"type\": \"symlink\", \"link\": \"l1\"},"
          " {\"name\": \"l1/x\", \"data\": \"loop\"}]",
          "unpack 'hostile5.tar': entry 'l1/x': open directory 'l1': Too many levels of symbolic links");

  hostile("hard link out of the archive", "[{\"name\": \"h\", \"type\": \"link\", \"link\": \"../../etc/passwd\"}]",
          "read 'hostile6.tar': entry 'h': hard link target '../../etc/passwd' is outside the archive");
  hostile("hard link to an absolute path (host /etc/passwd)",
          "[{\"name\": \"h\", \"type\": \"link\", \"link\": \"/etc/passwd\"}]",
          "unpack 'hostile7.tar': entry 'h': hard link target 'etc/passwd' does not exist");
  hostile("hard link through a symlink to /etc",
          "[{\"name\": \"s\", \"type\": \"symlink\", \"link\": \"/etc\"}, {\"name\": \"h\", \"type\": \"link\", \"link\": \"s/passwd\"}]",
          "unpack 'hostile8.tar': entry 'h': hard link target 's/passwd' does not exist");
  hostile("hard link through a symlink, target inside root",
          "[{\"name\": \"etc/passwd\", \"data\": \"inside\"}, {\"name\": \"s\", \"type\": \"symlink\", \"link\": \"/etc\"},"
          " {\"name\": \"h\", \"type\": \"link\", \"link\": \"s/passwd\"}]",
          NULL);
  struct stat a, b;
  ok(stat(tl_path("case9/root/h"), &a) == 0 && stat(tl_path("case9/root/etc/passwd"), &b) == 0 && a.st_ino == b.st_ino,
     "hard link via in-root symlink links root/etc/passwd");

  hostile("whiteout escaping with ..", "[{\"name\": \"../.wh.sentinel\", \"data\": \"\"}]",
          "read 'hostile10.tar': entry '../.wh.sentinel': path contains a '..' component");
  hostile("whiteout of '..'", "[{\"name\": \"d/.wh...\", \"data\": \"\"}]",
          "unpack 'hostile11.tar': entry 'd/.wh...': whiteout escapes its directory");
  /* a whiteout through a symlink that points up: removes inside root only */
  new_case();
  case_no--;
  tl_sh(NULL, "mkdir '%s/root/sentinel' && touch '%s/root/sentinel/in-root'", tl_path("case12"), tl_path("case12"));
  hostile("whiteout through a symlink pointing up",
          "[{\"name\": \"up\", \"type\": \"symlink\", \"link\": \"../../..\"}, {\"name\": \"up/.wh.sentinel\", \"data\": \"\"},"
          " {\"name\": \"up/.wh.link\", \"data\": \"\"}]",
          NULL);
  ok(!exists(tl_path("case12/root/sentinel")) && exists(tl_path("case12/sentinel/file")) && exists(tl_path("case12/link")),
     "whiteout removed root/sentinel, not the real one");

  /* damaged archives */
  new_case();
  tl_sh(NULL, "python3 %s/tests/data/mktar.py '%s/t.tar' '[{\"name\": \"first\", \"data_fill\": 100}, {\"name\": \"big\", \"data_fill\": 50000}]'"
              " && head -c 20000 '%s/t.tar' > '%s/truncated.tar' && head -c 4000 /dev/urandom > '%s/garbage.tar'",
        getenv("PYOCI_TOP") ? getenv("PYOCI_TOP") : ".", base, base, base, base);
  char *before = outside_fingerprint(), *msg = NULL;
  is_int(tl_unpack(tl_path("case13/truncated.tar"), root_path(), NULL, &msg), -1, "truncated: refused");
  is_str(msg, "read 'truncated.tar': truncated tar archive at entry 'big'", "truncated: message names the entry");
  free(msg);
  is_int(tl_unpack(tl_path("case13/garbage.tar"), root_path(), NULL, &msg), -1, "garbage: refused");
  is_str(msg, "read 'garbage.tar': not a tar archive", "garbage: clear message");
  free(msg);
  char *after = outside_fingerprint();
  is_str(after, before, "damaged archives: nothing outside root changed");
  free(before);
  free(after);

  hostile("huge PAX header", "[{\"name\": \"x\", \"data\": \"1\", \"pax_fill\": {\"comment\": 20971520}}]",
          "read 'hostile14.tar': at the first entry: Special header too large");
  hostile("overlay xattrs in an archive are ignored",
          "[{\"name\": \"o\", \"type\": \"dir\", \"pax\": {\"SCHILY.xattr.trusted.overlay.opaque\": \"y\","
          " \"SCHILY.xattr.user.ok\": \"1\"}}]",
          NULL);
  char v[8];
  ok(getxattr(tl_path("case15/root/o"), "trusted.overlay.opaque", v, sizeof(v)) < 0,
     "trusted.overlay.opaque from the archive was not set");
}

/* Device nodes: refused for a non-root user (default options), made as root. */
static void test_devices(void)
{
  const char *t = mktar("dev.tar", "[{\"name\": \"null\", \"type\": \"chr\", \"major\": 1, \"minor\": 3, \"mode\": 438}]");
  if (geteuid() != 0) {
    char *msg = NULL;
    mkdir(tl_path("devroot"), 0755);
    is_int(tl_unpack(t, tl_path("devroot"), NULL, &msg), -1, "non-root: device refused");
    is_str(msg, "unpack 'dev.tar': entry 'null': device nodes are not allowed here (not running as root)",
           "non-root: message");
    free(msg);
    skip_test("root-only device checks");
    return;
  }
  mkdir(tl_path("devroot"), 0755);
  MUST(chown(tl_path("devroot"), 65534, 65534));
  MUST(chmod(tl_tmp, 0755));
  int pfd[2];
  MUST(pipe(pfd));
  pid_t pid = fork();
  if (pid == 0) {
    close(pfd[0]);
    if (setgroups(0, NULL) < 0 || setgid(65534) < 0 || setuid(65534) < 0)
      _exit(3);
    char *msg = NULL;
    int r = tl_unpack(t, tl_path("devroot"), NULL, &msg);
    if (msg && write(pfd[1], msg, strlen(msg)) < 0)
      _exit(4);
    _exit(r == 0 ? 0 : 1);
  }
  close(pfd[1]);
  char buf[512] = "";
  ssize_t n = read(pfd[0], buf, sizeof(buf) - 1);
  buf[n > 0 ? n : 0] = '\0';
  close(pfd[0]);
  int st = 0;
  waitpid(pid, &st, 0);
  is_int(WEXITSTATUS(st), 1, "as uid 65534: device refused");
  is_str(buf, "unpack 'dev.tar': entry 'null': device nodes are not allowed here (not running as root)",
         "as uid 65534: message names the entry");
  ok(!exists(tl_path("devroot/null")), "as uid 65534: nothing created");

  char *msg = NULL;
  mkdir(tl_path("devroot2"), 0755);
  is_int(tl_unpack(t, tl_path("devroot2"), NULL, &msg), 0, "as root: device allowed by default");
  struct stat s;
  ok(stat(tl_path("devroot2/null"), &s) == 0 && S_ISCHR(s.st_mode) && s.st_rdev == makedev(1, 3) &&
         (s.st_mode & 0777) == 0666,
     "as root: char 1:3 mode 0666");
  free(msg);
  pyoci_unpack_opts_t o;
  pyoci_unpack_opts_init(&o);
  o.allow_devices = false;
  mkdir(tl_path("devroot3"), 0755);
  is_int(tl_unpack(t, tl_path("devroot3"), &o, &msg), -1, "allow_devices=false refuses devices even as root");
  free(msg);
}

/* Layers l1 then l2 unpacked into a new directory dir (under the temp dir),
 * each a test; the second one's message, if any, as a comment. */
static void unpack_two(const char *dir, const char *l1, const char *what1, const char *l2, const char *what2)
{
  mkdir(tl_path("%s", dir), 0755);
  char *msg = NULL;
  is_int(tl_unpack(l1, tl_path("%s", dir), NULL, &msg), 0, "%s", what1);
  free(msg);
  msg = NULL;
  is_int(tl_unpack(l2, tl_path("%s", dir), NULL, &msg), 0, "%s", what2);
  if (msg)
    printf("# %s\n", msg);
  free(msg);
}

static char *tree(const char *dir)
{
  char *o = NULL;
  tl_sh(&o, "cd '%s' && find . -mindepth 1 -printf '%%p %%y\\n' | LC_ALL=C sort | tr '\\n' ' '", dir);
  return o;
}

static void test_whiteouts(void)
{
  const char *l1 = mktar("l1.tar",
                         "[{\"name\": \"a/1\", \"data\": \"1\"}, {\"name\": \"a/2\", \"data\": \"2\"},"
                         " {\"name\": \"b/x\", \"data\": \"x\"}, {\"name\": \"o/old\", \"data\": \"old\"},"
                         " {\"name\": \"o/sub/old2\", \"data\": \"old2\"}, {\"name\": \"keep\", \"data\": \"k\"},"
                         " {\"name\": \"p/lower\", \"data\": \"l\"}]");
  const char *l2 = mktar("l2.tar",
                         "[{\"name\": \"a/.wh.1\", \"data\": \"\"}, {\"name\": \".wh.b\", \"data\": \"\"},"
                         " {\"name\": \"o\", \"type\": \"dir\"}, {\"name\": \"o/.wh..wh..opq\", \"data\": \"\"},"
                         " {\"name\": \"o/new\", \"data\": \"new\"}, {\"name\": \"o/sub\", \"type\": \"dir\"},"
                         " {\"name\": \"o/sub/new2\", \"data\": \"n2\"},"
                         " {\"name\": \"n\", \"data\": \"same layer\"}, {\"name\": \".wh.n\", \"data\": \"\"},"
                         " {\"name\": \"p/mine\", \"data\": \"m\"}, {\"name\": \"p/.wh..wh..opq\", \"data\": \"\"},"
                         " {\"name\": \"gone/.wh.nothing\", \"data\": \"\"}, {\"name\": \".wh..wh.plnk\", \"type\": \"dir\"}]");
  unpack_two("wh", l1, "layer 1", l2, "layer 2 with whiteouts");
  char *msg = NULL;
  char *t = tree(tl_path("wh"));
  is_str(t,
         "./a d ./a/2 f ./keep f ./n f ./o d ./o/new f ./o/sub d ./o/sub/new2 f ./p d ./p/mine f ",
         "whiteouts: a/1 and b gone; opaque o keeps only layer 2 (also inside re-declared o/sub); "
         "same-layer n survives its whiteout; opaque after p/mine keeps it; no marker files");
  free(t);

  if (geteuid() != 0) {
    skip_test("overlay lower form needs root (mknod 0/0, trusted.* xattrs)");
    return;
  }
  pyoci_unpack_opts_t o;
  pyoci_unpack_opts_init(&o);
  o.as_overlay_lower = true;
  mkdir(tl_path("ovl"), 0755);
  is_int(tl_unpack(l2, tl_path("ovl"), &o, &msg), 0, "layer 2 as an overlay lower dir");
  free(msg);
  t = tree(tl_path("ovl"));
  is_str(t,
         "./a d ./a/1 c ./b c ./gone d ./gone/nothing c ./n f ./o d ./o/new f ./o/sub d ./o/sub/new2 f ./p d ./p/mine f ",
         "overlay lower: whiteouts are char devices, no .wh. files");
  free(t);
  struct stat s;
  char v[4] = "";
  ok(stat(tl_path("ovl/b"), &s) == 0 && S_ISCHR(s.st_mode) && s.st_rdev == 0, "b is a 0/0 char device");
  ok(getxattr(tl_path("ovl/o"), "trusted.overlay.opaque", v, sizeof(v)) == 1 && v[0] == 'y',
     "o has trusted.overlay.opaque=y");
}

static void test_replace_and_modes(void)
{
  const char *l1 = mktar("r1.tar",
                         "[{\"name\": \"f\", \"type\": \"dir\"}, {\"name\": \"f/inner\", \"data\": \"x\"},"
                         " {\"name\": \"s\", \"type\": \"symlink\", \"link\": \"/\"}, {\"name\": \"plain\", \"data\": \"p\"}]");
  const char *l2 = mktar("r2.tar",
                         "[{\"name\": \"f\", \"data\": \"now a file\"}, {\"name\": \"s\", \"type\": \"dir\", \"mode\": 448},"
                         " {\"name\": \"plain\", \"type\": \"symlink\", \"link\": \"f\"},"
                         " {\"name\": \"ro\", \"type\": \"dir\", \"mode\": 365, \"mtime\": 1234567890},"
                         " {\"name\": \"ro/file\", \"data\": \"in a 0555 dir\", \"mode\": 2541, \"mtime\": 1111111111}]");
  unpack_two("rep", l1, "replace: layer 1", l2, "replace: layer 2");
  char *o = NULL;
  tl_sh(&o, "cd '%s' && stat -c '%%n %%F %%a %%Y' f s plain ro ro/file && readlink plain", tl_path("rep"));
  is_str(o,
         "f regular file 644 1500000000\ns directory 700 1500000000\nplain symbolic link 777 1500000000\n"
         "ro directory 555 1234567890\nro/file regular file 4755 1111111111\nf",
         "dir->file, symlink->dir, file->symlink; 0555 dir filled then set; suid kept; mtimes set");
  free(o);
}

static int compress_sink(void *ctx, const void *buf, size_t len, pyoci_error_t **err)
{
  return pyoci_compressor_write(ctx, buf, len, err);
}

static void test_roundtrip(void)
{
  const char *src = tl_path("rt-src");
  tl_sh(NULL,
        "mkdir -p '%s/usr/bin' '%s/usr/lib/python3/dist-packages/pkg' '%s/etc' '%s/empty' && "
        "echo hi > '%s/usr/bin/tool' && chmod 4755 '%s/usr/bin/tool' && "
        "seq 1 200000 > '%s/usr/lib/big' && ln '%s/usr/lib/big' '%s/usr/lib/big-hardlink' && "
        "ln -s ../lib/big '%s/usr/bin/rel' && ln -s /usr/lib/big '%s/usr/bin/abs' && "
        "touch '%s/usr/lib/python3/dist-packages/pkg/__init__.py' && mkfifo '%s/etc/fifo' && "
        "chmod 1777 '%s/empty' && touch -d @1400000000 '%s/etc' '%s/empty'",
        src, src, src, src, src, src, src, src, src, src, src, src, src, src, src, src);
  if (setxattr(tl_path("rt-src/usr/bin/tool"), "user.rt", "42", 2, 0) < 0)
    printf("# no user xattrs here\n");
  if (geteuid() == 0) {
    mknod(tl_path("rt-src/etc/null"), S_IFCHR | 0666, makedev(1, 3));
    MUST(lchown(tl_path("rt-src/usr/bin/rel"), 7, 8));
    MUST(chown(tl_path("rt-src/usr/lib/big"), 1000, 1001));
  }
  pyoci_layer_opts_t lo;
  pyoci_layer_opts_init(&lo);
  lo.source_date_epoch = -1;
  strbuf_t gz = STRBUF_INIT;
  pyoci_compressor_t *c = pyoci_compressor_new(PYOCI_COMP_GZIP, 0, 2, tl_sb_sink, &gz);
  pyoci_error_t *err = NULL;
  int r = pyoci_tar_dir(src, &lo, compress_sink, c, &err);
  r = r == 0 ? pyoci_compressor_finish(c, &err) : (pyoci_compressor_free(c), -1);
  is_int(r, 0, "roundtrip: tar_dir | gzip");
  pyoci_error_free(err);
  tl_write(tl_path("rt.tar.gz"), gz.buf, gz.len);
  strbuf_release(&gz);
  mkdir(tl_path("rt-dst"), 0755);
  char *msg = NULL;
  is_int(tl_unpack(tl_path("rt.tar.gz"), tl_path("rt-dst"), NULL, &msg), 0, "roundtrip: unpack");
  if (msg)
    printf("# %s\n", msg);
  free(msg);
  const char *own = geteuid() == 0 ? "" : "--no-owner";
  char *want = NULL, *got = NULL;
  tl_sh(&want, "python3 %s '%s' %s", tl_treelist(), src, own);
  tl_sh(&got, "python3 %s '%s' %s", tl_treelist(), tl_path("rt-dst"), own);
  is_str(got, want, "roundtrip: same types, modes, owners, mtimes, contents, links, xattrs");
  free(want);
  free(got);
}

/* Sparse files (issue 9, sparse-file bombs): a hole is never written as
 * zeros -- not by unpacking a sparse entry, not by copying the file on
 * (COPY --from, distill: pyoci_copy_fd).  With the limits off (1 GiB of
 * holes from 1.5 KiB is past the ratio) a 1 GiB file with data at both
 * ends costs a few blocks; a regression writes 1 GiB and fails the block
 * count, rather than filling the disk as 1 TiB would. */
static void test_sparse(void)
{
  pyoci_inflate_limits_t off = {0, 0, PYOCI_INFLATE_GRACE}, def = pyoci_inflate_limits();
  pyoci_inflate_limits_set(&off);
  const char *top = getenv("PYOCI_TOP");
  const char *tar = tl_path("sparse.tar"), *root = tl_path("sparse-root");
  char *o = NULL;
  int st = tl_sh(&o, "python3 %s/tests/data/sparse_tar.py layer pax10 1G '%s' 0:5,1073741819:5 && mkdir '%s' '%s'",
                 top ? top : ".", tar, root, tl_path("sparse-refused"));
  ok(st == 0, "made a 1 GiB sparse layer (%s)", o);
  free(o);
  pyoci_unpack_opts_t uo;
  pyoci_unpack_opts_init(&uo);
  char *msg = NULL;
  int r = tl_unpack(tar, root, &uo, &msg);
  ok(r == 0, "unpacked with the limits off (%s)", msg ? msg : "ok");
  free(msg);
  pyoci_inflate_limits_set(&def);
  ok(tl_unpack(tar, tl_path("sparse-refused"), &uo, &msg) < 0 && msg && strstr(msg, "--max-compression-ratio"),
     "with them on, refused: %s", msg ? msg : "(accepted)");
  free(msg);
  struct stat sb;
  const char *big = tl_path("sparse-root/big"), *copy = tl_path("sparse-copy");
  ok(stat(big, &sb) == 0 && sb.st_size == (1LL << 30) && sb.st_blocks < 2048,
     "unpacked: 1 GiB long, %lld blocks of 512 (holes kept)", (long long)sb.st_blocks);
  int in = open(big, O_RDONLY | O_CLOEXEC);
  int out = open(copy, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  pyoci_error_t *err = NULL;
  ok(pyoci_copy_fd(in, out, "big", &err) == 0, "copied (%s)", err ? err->msg : "ok");
  pyoci_error_free(err);
  close(in);
  close(out);
  char head[6] = "", tail[6] = "", mid[6] = "?";
  int fd = open(copy, O_RDONLY | O_CLOEXEC);
  bool read_ok = pread(fd, head, 5, 0) == 5 && pread(fd, tail, 5, (1LL << 30) - 5) == 5 &&
                 pread(fd, mid, 5, 1LL << 29) == 5;
  close(fd);
  ok(stat(copy, &sb) == 0 && sb.st_size == (1LL << 30) && sb.st_blocks < 2048,
     "copy: 1 GiB long, %lld blocks of 512 (holes kept)", (long long)sb.st_blocks);
  ok(read_ok && strcmp(head, "xxxxx") == 0 && strcmp(tail, "xxxxx") == 0 && memcmp(mid, "\0\0\0\0\0", 5) == 0,
     "copy: the data at both ends, zeros between");
  unlink(copy);
}

int main(void)
{
  tl_init("unpack");
  test_hostile();
  test_devices();
  test_whiteouts();
  test_replace_and_modes();
  test_roundtrip();
  test_sparse();
  return done_testing();
}
