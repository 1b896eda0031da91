/* Unpacking a .deb into the OS root without dpkg: libarchive reads the ar
 * container, control.tar.* (control, md5sums) and data.tar.* (any
 * compression) streamed straight out of it.
 *
 * Every entry is checked before anything is made: no "..", no device
 * nodes, hard links only to what is already in the root.  Parents are
 * opened with openat2(RESOLVE_IN_ROOT) so a symlink a package shipped can
 * never lead outside the root, and the last component is always created
 * with *at() calls that do not follow symlinks.  Paths under /bin, /sbin,
 * /lib* are moved under /usr (merged /usr, like Debian 12 installs). */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/fs.h"
#include "lib/util/inflate_limit.h"
#include "lib/pkg/stanza.h"
#include "asm_int.h"

#define DECODE_CHUNK (1u << 18)

static const char *const merged_dirs[] = {"bin", "sbin", "lib", "lib32", "lib64", "libx32", NULL};

char *pyoci_merged_usr_path(const char *path)
{
  char *r = NULL;
  for (const char *const *d = merged_dirs; *d; d++) {
    size_t n = strlen(*d);
    if (strncmp(path, *d, n) == 0 && (path[n] == '/' || path[n] == '\0')) {
      r = xasprintf("usr/%s", path);
      return r;
    }
  }
  return xstrdup(path);
}

bool pyoci_path_excluded(const pyoci_deb_filter_t *f, const char *abs_path)
{
  bool ex = false;
  for (char *const *g = f->exclude; g && *g && !ex; g++)
    ex = fnmatch(*g, abs_path, 0) == 0;
  for (char *const *g = f->include; g && *g && ex; g++)
    ex = fnmatch(*g, abs_path, 0) != 0;
  return ex;
}

/* "./usr/bin/x" -> "usr/bin/x"; NULL for the root itself; -1 for "..". */
static int clean_path(const char *in, char **out)
{
  *out = NULL;
  if (in[0] == '/') /* dpkg-deb never writes these: a crafted archive */
    return -1;
  while (in[0] == '.' && in[1] == '/')
    in += 2;
  if (*in == '\0' || strcmp(in, ".") == 0)
    return 0;
  char *p = xstrdup(in);
  size_t n = strlen(p);
  while (n > 0 && p[n - 1] == '/')
    p[--n] = '\0';
  for (char *c = p; *c;) {
    size_t len = strcspn(c, "/");
    if (len == 0 || (len == 2 && c[0] == '.' && c[1] == '.') || (len == 1 && c[0] == '.')) {
      free(p);
      return -1;
    }
    c += len + (c[len] == '/');
  }
  *out = pyoci_merged_usr_path(p);
  free(p);
  return 0;
}

typedef struct {
  const char *what;
  int root_fd;
  const pyoci_deb_filter_t *f;
  char *parent_path; /* the last parent opened ... */
  int parent_fd;     /* ... and its O_PATH fd */
  uint64_t deb_size; /* the .deb's bytes, for the bomb limits */
  bool decoded;      /* reading a data.tar pyoci_deb_decode checked already */
  pyoci_error_t **err;
} unpack_t;

static int entry_fail(unpack_t *u, const char *path, int errnum, const char *why)
{
  return pyoci_error_set_code(u->err, errnum ? 0 : PYOCI_E_CORRUPT, errnum, "%s: entry '%s': %s", u->what, path, why);
}

static int open_parent(unpack_t *u, const char *path, const char **name)
{
  const char *slash = strrchr(path, '/');
  cleanup_free char *parent = slash ? xstrndup(path, (size_t)(slash - path)) : xstrdup("");
  *name = slash ? slash + 1 : path;
  if (u->parent_path && strcmp(u->parent_path, parent) == 0)
    return u->parent_fd;
  if (u->parent_fd >= 0)
    close(u->parent_fd);
  free(u->parent_path);
  u->parent_path = NULL;
  if (parent[0] && pyoci_root_mkdirs(u->root_fd, parent, 0755, u->err) < 0)
    return -1;
  u->parent_fd = pyoci_open_in_root(u->root_fd, parent, O_PATH | O_DIRECTORY);
  if (u->parent_fd < 0)
    return entry_fail(u, path, errno, "open its directory");
  u->parent_path = steal_pointer(&parent);
  return u->parent_fd;
}

/* Decompression bombs (inflate_limit.h): everything data.tar's filter has
 * produced so far (skipped entries too) against the .deb's own size. */
static int check_bomb(unpack_t *u, struct archive *in, const char *path)
{
  if (u->decoded)
    return 0;
  la_int64_t out = archive_filter_bytes(in, 0);
  if (out <= 0 || pyoci_inflate_check(u->what, u->deb_size, (uint64_t)out, u->err) == 0)
    return 0;
  return pyoci_error_prefix(u->err, "%s: data.tar at entry '%s'", u->what, path);
}

static int copy_data(unpack_t *u, struct archive *a, int fd, const char *path)
{
  const void *buf;
  size_t size;
  la_int64_t off;
  int r;
  while ((r = archive_read_data_block(a, &buf, &size, &off)) == ARCHIVE_OK) {
    if (check_bomb(u, a, path) < 0)
      return -1;
    if (pwrite(fd, buf, size, off) != (ssize_t)size)
      return entry_fail(u, path, errno, "write");
  }
  if (r != ARCHIVE_EOF)
    return pyoci_error_set_code(u->err, PYOCI_E_CORRUPT, 0, "%s: entry '%s': %s", u->what, path,
                                archive_error_string(a));
  return 0;
}

static int make_file(unpack_t *u, struct archive *a, struct archive_entry *e, int pfd, const char *name,
                     const char *path)
{
  cleanup_close int fd = openat(pfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    return entry_fail(u, path, errno, "create");
  if (copy_data(u, a, fd, path) < 0)
    return -1;
  off_t size = (off_t)archive_entry_size(e);
  if (ftruncate(fd, size) < 0 || fchown(fd, (uid_t)archive_entry_uid(e), (gid_t)archive_entry_gid(e)) < 0 ||
      fchmod(fd, archive_entry_perm(e) & 07777) < 0)
    return entry_fail(u, path, errno, "set size, owner or mode");
  struct timespec ts[2] = {{archive_entry_mtime(e), 0}, {archive_entry_mtime(e), 0}};
  futimens(fd, ts);
  return 0;
}

static int make_link(unpack_t *u, struct archive_entry *e, int pfd, const char *name, const char *path)
{
  const char *hl = archive_entry_hardlink(e);
  if (hl == NULL) {
    if (symlinkat(archive_entry_symlink(e), pfd, name) < 0)
      return entry_fail(u, path, errno, "symlink");
    if (fchownat(pfd, name, (uid_t)archive_entry_uid(e), (gid_t)archive_entry_gid(e), AT_SYMLINK_NOFOLLOW) < 0)
      return entry_fail(u, path, errno, "chown");
    struct timespec ts[2] = {{archive_entry_mtime(e), 0}, {archive_entry_mtime(e), 0}};
    utimensat(pfd, name, ts, AT_SYMLINK_NOFOLLOW);
    return 0;
  }
  cleanup_free char *target = NULL;
  if (clean_path(hl, &target) < 0 || target == NULL)
    return entry_fail(u, path, 0, "hard link target outside the package");
  const char *slash = strrchr(target, '/');
  cleanup_free char *tparent = slash ? xstrndup(target, (size_t)(slash - target)) : xstrdup("");
  cleanup_close int tfd = pyoci_open_in_root(u->root_fd, tparent, O_PATH | O_DIRECTORY);
  if (tfd < 0 || linkat(tfd, slash ? slash + 1 : target, pfd, name, 0) < 0)
    return entry_fail(u, path, errno, "hard link");
  return 0;
}

/* Make room for a new non-directory entry: what a previous package left
 * there is replaced (dpkg's "overwrite"), a directory is an error. */
static int clear_place(unpack_t *u, int pfd, const char *name, const char *path)
{
  struct stat st;
  if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return errno == ENOENT ? 0 : entry_fail(u, path, errno, "stat");
  if (S_ISDIR(st.st_mode))
    return entry_fail(u, path, EISDIR, "a directory is in the way");
  if (unlinkat(pfd, name, 0) < 0)
    return entry_fail(u, path, errno, "replace");
  return 0;
}

static int apply_entry(unpack_t *u, struct archive *a, struct archive_entry *e)
{
  cleanup_free char *path = NULL;
  const char *raw = archive_entry_pathname(e);
  if (raw == NULL || clean_path(raw, &path) < 0)
    return entry_fail(u, raw ? raw : "?", 0, "path leaves the root");
  if (path == NULL)
    return 0;
  cleanup_free char *abs = NULL;
  abs = xasprintf("/%s", path);
  mode_t type = archive_entry_filetype(e);
  if (type != AE_IFDIR && pyoci_path_excluded(u->f, abs))
    return 0;
  if (type != AE_IFDIR && type != AE_IFREG && type != AE_IFLNK)
    return entry_fail(u, path, 0, "device nodes, FIFOs and sockets are not installed");
  const char *name;
  int pfd = open_parent(u, path, &name);
  if (pfd < 0)
    return -1;
  if (type == AE_IFDIR) {
    if (mkdirat(pfd, name, 0755) < 0 && errno != EEXIST)
      return entry_fail(u, path, errno, "mkdir");
    struct stat st;
    if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode) &&
        fchmodat(pfd, name, archive_entry_perm(e) & 07777, 0) < 0)
      return entry_fail(u, path, errno, "chmod");
    return 0;
  }
  if (clear_place(u, pfd, name, path) < 0)
    return -1;
  if (type == AE_IFREG && archive_entry_hardlink(e) == NULL)
    return make_file(u, a, e, pfd, name, path);
  return make_link(u, e, pfd, name, path);
}

/* libarchive reading an inner archive out of the outer one's member. */
typedef struct {
  struct archive *outer;
  char buf[1u << 16];
} nested_t;

static la_ssize_t nested_read(struct archive *a, void *ctx, const void **out)
{
  (void)a;
  nested_t *n = ctx;
  *out = n->buf;
  return archive_read_data(n->outer, n->buf, sizeof(n->buf));
}

/* What dpkg-deb writes; never filter_all, which runs external programs
 * (lrzip, lzop, grzip) on what it does not know. */
static void deb_filters(struct archive *in)
{
  archive_read_support_filter_gzip(in);
  archive_read_support_filter_xz(in);
  archive_read_support_filter_lzma(in);
  archive_read_support_filter_bzip2(in);
  archive_read_support_filter_zstd(in);
}

static struct archive *inner_open(nested_t *n)
{
  struct archive *in = archive_read_new();
  deb_filters(in);
  archive_read_support_format_tar(in);
  archive_read_support_format_gnutar(in);
  if (archive_read_open(in, n, NULL, nested_read, NULL) != ARCHIVE_OK) {
    archive_read_free(in);
    return NULL;
  }
  return in;
}

/* Every entry of the data.tar `in` into the root. */
static int apply_entries(unpack_t *u, struct archive *in)
{
  int rc = 0;
  struct archive_entry *e;
  size_t count = 0;
  while (rc == 0) {
    int r = archive_read_next_header(in, &e);
    if (r == ARCHIVE_EOF)
      break;
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
      rc = pyoci_error_set_code(u->err, PYOCI_E_CORRUPT, 0, "%s: data.tar: %s", u->what, archive_error_string(in));
      break;
    }
    if (++count > ASM_MAX_ENTRIES)
      rc = pyoci_error_set_code(u->err, PYOCI_E_CORRUPT, 0, "%s: more than %d entries", u->what, ASM_MAX_ENTRIES);
    else if (check_bomb(u, in, archive_entry_pathname(e) ? archive_entry_pathname(e) : "?") == 0)
      rc = apply_entry(u, in, e);
    else
      rc = -1;
  }
  return rc;
}

static int unpack_data(unpack_t *u, struct archive *outer)
{
  nested_t *n = xmalloc(sizeof(*n));
  n->outer = outer;
  struct archive *in = inner_open(n);
  int rc = in ? apply_entries(u, in)
              : pyoci_error_set_code(u->err, PYOCI_E_CORRUPT, 0, "%s: data.tar: not a tar archive", u->what);
  if (in)
    archive_read_free(in);
  free(n);
  return rc;
}

/* data.tar, decompressed into out_fd for pyoci_deb_apply to read later;
 * the bomb limits hold here, before anything is written past them. */
static int decode_data(unpack_t *u, struct archive *outer, int out_fd)
{
  nested_t *n = xmalloc(sizeof(*n));
  n->outer = outer;
  struct archive *in = archive_read_new();
  deb_filters(in);
  archive_read_support_format_raw(in);
  struct archive_entry *e;
  int rc = 0;
  if (archive_read_open(in, n, NULL, nested_read, NULL) != ARCHIVE_OK || archive_read_next_header(in, &e) != ARCHIVE_OK)
    rc = pyoci_error_set_code(u->err, PYOCI_E_CORRUPT, 0, "%s: data.tar: %s", u->what, archive_error_string(in));
  cleanup_free char *buf = rc == 0 ? xmalloc(DECODE_CHUNK) : NULL;
  uint64_t total = 0;
  while (rc == 0) {
    la_ssize_t r = archive_read_data(in, buf, DECODE_CHUNK);
    if (r == 0)
      break;
    if (r < 0)
      rc = pyoci_error_set_code(u->err, PYOCI_E_CORRUPT, 0, "%s: data.tar: %s", u->what, archive_error_string(in));
    else if (pyoci_inflate_check(u->what, u->deb_size, total += (uint64_t)r, u->err) < 0)
      rc = pyoci_error_prefix(u->err, "%s: data.tar", u->what);
    else
      rc = pyoci_write_all(out_fd, buf, (size_t)r, u->what, u->err);
  }
  archive_read_free(in);
  free(n);
  return rc;
}

static int read_member_whole(struct archive *a, const char *what, char **out, pyoci_error_t **err)
{
  strbuf_t sb = STRBUF_INIT;
  char buf[1u << 16];
  for (;;) {
    la_ssize_t r = archive_read_data(a, buf, sizeof(buf));
    if (r < 0) {
      strbuf_release(&sb);
      return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "%s: %s", what, archive_error_string(a));
    }
    if (r == 0)
      break;
    if (sb.len + (size_t)r > ASM_MAX_CONTROL) {
      strbuf_release(&sb);
      return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "%s: larger than %u bytes", what, ASM_MAX_CONTROL);
    }
    strbuf_add(&sb, buf, (size_t)r);
  }
  *out = strbuf_detach(&sb);
  return 0;
}

/* control.tar: keep ./control and ./md5sums. */
static int read_control(unpack_t *u, struct archive *outer, pyoci_deb_info_t *info)
{
  nested_t *n = xmalloc(sizeof(*n));
  n->outer = outer;
  struct archive *in = inner_open(n);
  int rc = in ? 0 : pyoci_error_set_code(u->err, PYOCI_E_CORRUPT, 0, "%s: control.tar: not a tar archive", u->what);
  struct archive_entry *e;
  for (size_t count = 0; rc == 0 && count < 4096; count++) {
    int r = archive_read_next_header(in, &e);
    if (r == ARCHIVE_EOF)
      break;
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
      rc = pyoci_error_set_code(u->err, PYOCI_E_CORRUPT, 0, "%s: control.tar: %s", u->what, archive_error_string(in));
      break;
    }
    const char *p = archive_entry_pathname(e);
    while (p && p[0] == '.' && p[1] == '/')
      p += 2;
    if (p && strcmp(p, "control") == 0 && info->control == NULL)
      rc = read_member_whole(in, u->what, &info->control, u->err);
    else if (p && strcmp(p, "md5sums") == 0 && info->md5sums == NULL)
      rc = read_member_whole(in, u->what, &info->md5sums, u->err);
  }
  if (in)
    archive_read_free(in);
  free(n);
  return rc;
}

/* md5sums lines "HASH  path": paths mapped like the files, excluded ones dropped. */
static char *map_md5sums(const char *in, const pyoci_deb_filter_t *f)
{
  strbuf_t sb = STRBUF_INIT;
  cleanup_free char *copy = xstrdup(in);
  char *save = NULL;
  for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    char *sp = strchr(line, ' ');
    if (sp == NULL)
      continue;
    *sp = '\0';
    char *p = sp + 1;
    while (*p == ' ')
      p++;
    cleanup_free char *path = NULL, *abs = NULL;
    if (clean_path(p, &path) < 0 || path == NULL)
      continue;
    abs = xasprintf("/%s", path);
    if (!pyoci_path_excluded(f, abs))
      strbuf_addf(&sb, "%s  %s\n", line, path);
  }
  return strbuf_detach(&sb);
}

static int control_fields(const char *what, pyoci_deb_info_t *info, pyoci_error_t **err)
{
  pyoci_stanza_reader_t r;
  pyoci_stanza_init(&r, what, info->control, strlen(info->control), true);
  int rc = pyoci_stanza_next(&r, err);
  if (rc > 0) {
    info->package = pyoci_stanza_dup(&r, "Package");
    info->version = pyoci_stanza_dup(&r, "Version");
    info->arch = pyoci_stanza_dup(&r, "Architecture");
  }
  pyoci_stanza_release(&r);
  if (rc < 0)
    return -1;
  if (!info->package || !info->version || !info->arch)
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "%s: control file without Package, Version or Architecture",
                                what);
  return 0;
}

/* The .deb's members: control.tar into info, data.tar into the root, or
 * (out_fd >= 0) decompressed into out_fd. */
static int install_members(unpack_t *u, struct archive *a, pyoci_deb_info_t *info, int out_fd)
{
  struct archive_entry *e;
  bool data = false;
  for (int count = 0; count < 64; count++) {
    int r = archive_read_next_header(a, &e);
    if (r == ARCHIVE_EOF)
      break;
    if (r != ARCHIVE_OK)
      return pyoci_error_set_code(u->err, PYOCI_E_CORRUPT, 0, "%s: not a .deb: %s", u->what, archive_error_string(a));
    const char *name = archive_entry_pathname(e);
    if (name && strncmp(name, "control.tar", 11) == 0 && !data && info->control == NULL) {
      if (read_control(u, a, info) < 0)
        return -1;
    } else if (name && strncmp(name, "data.tar", 8) == 0 && !data) {
      if (info->control == NULL)
        return pyoci_error_set_code(u->err, PYOCI_E_CORRUPT, 0, "%s: data.tar before control.tar", u->what);
      if ((out_fd >= 0 ? decode_data(u, a, out_fd) : unpack_data(u, a)) < 0)
        return -1;
      data = true;
    }
  }
  if (!data || info->control == NULL)
    return pyoci_error_set_code(u->err, PYOCI_E_CORRUPT, 0, "%s: not a .deb (no control.tar or data.tar member)",
                                u->what);
  return 0;
}

static int read_deb(int fd, const char *what, int root_fd, const pyoci_deb_filter_t *f, int out_fd,
                    pyoci_deb_info_t *info, pyoci_error_t **err)
{
  memset(info, 0, sizeof(*info));
  unpack_t u = {.what = what, .root_fd = root_fd, .f = f, .parent_fd = -1, .err = err};
  struct stat st;
  if (fstat(fd, &st) == 0 && st.st_size > 0)
    u.deb_size = (uint64_t)st.st_size;
  struct archive *a = archive_read_new();
  archive_read_support_format_ar(a);
  int rc = -1;
  if (archive_read_open_fd(a, fd, 1u << 16) != ARCHIVE_OK)
    pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "%s: not a .deb: %s", what, archive_error_string(a));
  else
    rc = install_members(&u, a, info, out_fd);
  archive_read_free(a);
  if (u.parent_fd >= 0)
    close(u.parent_fd);
  free(u.parent_path);
  if (rc == 0)
    rc = control_fields(what, info, err);
  if (rc < 0)
    pyoci_deb_info_release(info);
  return rc;
}

static void filter_md5sums(pyoci_deb_info_t *info, const pyoci_deb_filter_t *f)
{
  if (info->md5sums) {
    char *m = map_md5sums(info->md5sums, f);
    free(info->md5sums);
    info->md5sums = m;
  }
}

int pyoci_deb_install(int fd, const char *what, int root_fd, const pyoci_deb_filter_t *f, pyoci_deb_info_t *info,
                      pyoci_error_t **err)
{
  if (read_deb(fd, what, root_fd, f, -1, info, err) < 0)
    return -1;
  filter_md5sums(info, f);
  return 0;
}

int pyoci_deb_decode(int fd, const char *what, int out_fd, pyoci_deb_info_t *info, pyoci_error_t **err)
{
  return read_deb(fd, what, -1, NULL, out_fd, info, err);
}

int pyoci_deb_apply(int data_fd, const char *what, int root_fd, const pyoci_deb_filter_t *f, pyoci_deb_info_t *info,
                    pyoci_error_t **err)
{
  unpack_t u = {.what = what, .root_fd = root_fd, .f = f, .parent_fd = -1, .decoded = true, .err = err};
  struct archive *in = archive_read_new();
  archive_read_support_format_tar(in);
  archive_read_support_format_gnutar(in);
  int rc;
  if (lseek(data_fd, 0, SEEK_SET) < 0)
    rc = pyoci_error_set(err, errno, "%s: seek the decoded data.tar", what);
  else if (archive_read_open_fd(in, data_fd, DECODE_CHUNK) != ARCHIVE_OK)
    rc = pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "%s: data.tar: not a tar archive", what);
  else
    rc = apply_entries(&u, in);
  archive_read_free(in);
  if (u.parent_fd >= 0)
    close(u.parent_fd);
  free(u.parent_path);
  if (rc == 0)
    filter_md5sums(info, f);
  return rc;
}

void pyoci_deb_info_release(pyoci_deb_info_t *i)
{
  free(i->control);
  free(i->md5sums);
  free(i->package);
  free(i->version);
  free(i->arch);
  memset(i, 0, sizeof(*i));
}
