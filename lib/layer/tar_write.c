/* Deterministic tar of a directory tree (the layer writer).
 *
 * Same tree in, same bytes out: entries are sorted bytewise by their tar
 * name (directories carry their trailing '/', so a directory comes right
 * before its contents and `LC_ALL=C sort` agrees with the order), owners are
 * numeric only, atime/ctime are never written, mtimes are clamped to
 * SOURCE_DATE_EPOCH when set, and xattrs are written in name order.
 * Format: POSIX ustar, plus a PAX extended header only for what ustar cannot
 * hold (long names/targets, sizes >= 8 GiB, big ids, odd mtimes, xattrs).
 * The archive ends with two zero blocks and no record padding, as Docker's
 * layers do. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "lib/util/alloc.h"
#include "lib/util/settings.h"
#include "lib/util/cleanup.h"
#include "lib/util/fs.h"
#include "lib/util/inflate_limit.h"
#include "lib/util/strbuf.h"
#include "lib/util/walk.h"
#include "layer.h"
#include "layer_int.h"
#include "tar_out.h"
#include "tar_header.h"

#define OUTBUF_SIZE (1u << 20)
#define MAX_XATTR_VALUE 65536

typedef struct {
  const pyoci_layer_opts_t *o;
  pyoci_tar_out_t out;
  pyoci_strmap_t inodes; /* "dev:ino" -> first tar name */
  int depth;             /* directories entered, against PYOCI_WALK_MAX_DEPTH */
  uint64_t content;      /* file bytes written so far, against the size limit */
} tw_t;

typedef struct {
  char *name; /* file-system name */
  char *key;  /* tar name component: name + '/' for dirs, ".wh." for whiteouts */
  struct stat st;
  bool whiteout;
} dent_t;

/* ---- headers (tar_header.c) ---- */

typedef pyoci_tar_header_t hdr_t;

static int write_header(tw_t *w, hdr_t *h, pyoci_error_t **err)
{
  cleanup_strbuf strbuf_t out = STRBUF_INIT;
  if (pyoci_tar_header_encode(h, &out, err) < 0)
    return -1;
  return pyoci_tar_out_put(&w->out, out.buf, out.len, err);
}

/* ---- xattrs ---- */

static bool skip_xattr(const tw_t *w, const char *name)
{
  /* Host SELinux labels are not image content. */
  if (strcmp(name, "security.selinux") == 0)
    return true;
  if (w->o->overlay_whiteouts &&
      (strncmp(name, "trusted.overlay.", 16) == 0 || strncmp(name, "user.overlay.", 13) == 0))
    return true;
  return false;
}

static int cmp_str(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Read the xattrs of procpath (an lgetxattr-able path) as PAX records. */
static int collect_xattrs(tw_t *w, const char *procpath, const char *tarname, strbuf_t *out, pyoci_error_t **err)
{
  ssize_t n = llistxattr(procpath, NULL, 0);
  if (n < 0) {
    if (errno == ENOTSUP || errno == ENOENT)
      return 0;
    return pyoci_error_set(err, errno, "tar: list xattrs of '%s'", tarname);
  }
  if (n == 0)
    return 0;
  cleanup_free char *list = xmalloc((size_t)n + 1);
  n = llistxattr(procpath, list, (size_t)n);
  if (n < 0)
    return pyoci_error_set(err, errno, "tar: list xattrs of '%s'", tarname);
  list[n] = '\0';
  size_t count = 0;
  for (ssize_t i = 0; i < n; i += (ssize_t)strlen(list + i) + 1)
    count++;
  cleanup_free char **names = xcalloc(count + 1, sizeof(char *));
  size_t k = 0;
  for (ssize_t i = 0; i < n; i += (ssize_t)strlen(list + i) + 1)
    names[k++] = list + i;
  qsort(names, count, sizeof(char *), cmp_str);
  cleanup_free char *val = xmalloc(MAX_XATTR_VALUE);
  for (size_t i = 0; i < count; i++) {
    if (names[i][0] == '\0' || skip_xattr(w, names[i]))
      continue;
    ssize_t vl = lgetxattr(procpath, names[i], val, MAX_XATTR_VALUE);
    if (vl < 0) {
      if (errno == ENODATA)
        continue;
      return pyoci_error_set(err, errno, "tar: read xattr '%s' of '%s'", names[i], tarname);
    }
    cleanup_free char *key = NULL;
    key = xasprintf("SCHILY.xattr.%s", names[i]);
    pyoci_tar_pax_record(out, key, val, (size_t)vl);
  }
  return 0;
}

static bool is_opaque_dir(const char *procpath)
{
  char v[4];
  ssize_t n = lgetxattr(procpath, "trusted.overlay.opaque", v, sizeof(v));
  if (n < 0)
    n = lgetxattr(procpath, "user.overlay.opaque", v, sizeof(v));
  return n == 1 && v[0] == 'y';
}

/* ---- walking ---- */

static int cmp_dent(const void *a, const void *b)
{
  return strcmp(((const dent_t *)a)->key, ((const dent_t *)b)->key);
}

static void free_dents(dent_t *d, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    free(d[i].name);
    free(d[i].key);
  }
  free(d);
}

static int list_dir(tw_t *w, int dfd, const char *prefix, dent_t **out, size_t *nout, pyoci_error_t **err)
{
  int fd2 = dup(dfd);
  if (fd2 < 0)
    return pyoci_error_set(err, errno, "tar: dup");
  DIR *d = fdopendir(fd2);
  if (d == NULL) {
    close(fd2);
    return pyoci_error_set(err, errno, "tar: opendir '%s'", *prefix ? prefix : ".");
  }
  dent_t *v = NULL;
  size_t n = 0, cap = 0;
  struct dirent *de;
  int r = 0;
  errno = 0;
  while ((de = readdir(d)) != NULL) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
      continue;
    ALLOC_GROW(v, n + 1, cap);
    dent_t *e = &v[n];
    memset(e, 0, sizeof(*e));
    if (fstatat(dfd, de->d_name, &e->st, AT_SYMLINK_NOFOLLOW) < 0) {
      r = pyoci_error_set(err, errno, "tar: stat '%s%s'", prefix, de->d_name);
      break;
    }
    if (S_ISSOCK(e->st.st_mode))
      continue; /* sockets cannot be archived */
    e->name = xstrdup(de->d_name);
    e->whiteout = w->o->overlay_whiteouts && S_ISCHR(e->st.st_mode) && e->st.st_rdev == 0;
    if (e->whiteout)
      e->key = xasprintf(".wh.%s", de->d_name);
    else
      e->key = xasprintf("%s%s", de->d_name, S_ISDIR(e->st.st_mode) ? "/" : "");
    n++;
    errno = 0;
  }
  if (r == 0 && de == NULL && errno != 0)
    r = pyoci_error_set(err, errno, "tar: read directory '%s'", *prefix ? prefix : ".");
  closedir(d);
  if (r < 0) {
    free_dents(v, n);
    return -1;
  }
  if (n > 1)
    qsort(v, n, sizeof(*v), cmp_dent);
  *out = v;
  *nout = n;
  return 0;
}

static int64_t clamp_mtime(const tw_t *w, const struct stat *st)
{
  int64_t m = (int64_t)st->st_mtim.tv_sec;
  if (w->o->source_date_epoch >= 0 && m > w->o->source_date_epoch)
    m = w->o->source_date_epoch;
  return m;
}

/* The layer is held to --max-decompressed-size as it is written, before
 * each file: the next unpack would refuse a bigger one anyway, and a
 * sparse file goes in with its holes as zeros (no sparse entries: the
 * format every reader takes), so a tree holding a 1 TiB file of holes --
 * unpacked from an image let in with the limits off, or before holes
 * counted -- would have become a terabyte of layer. */
static int check_content(tw_t *w, const dent_t *e, const char *tarname, pyoci_error_t **err)
{
  uint64_t max = pyoci_inflate_limits().max_size, size = (uint64_t)e->st.st_size;
  w->content += size;
  if (max == 0 || w->content <= max)
    return 0;
  uint64_t on_disk = (uint64_t)e->st.st_blocks * 512;
  char a[32], b[32], c[32] = "";
  pyoci_inflate_human(size, a, sizeof(a));
  pyoci_inflate_human(max, b, sizeof(b));
  if (on_disk < size) {
    pyoci_inflate_human(size - on_disk, c + 2, sizeof(c) - 2);
    memcpy(c, ", ", 2);
  }
  return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0,
                              "'%s' (%s%s%s) takes the layer past %s of file content (the limit; see "
                              "--max-decompressed-size)",
                              tarname, a, c, c[0] ? " of it holes" : "", b);
}

static int write_file_data(tw_t *w, int dfd, const dent_t *e, const char *tarname, pyoci_error_t **err)
{
  /* O_NONBLOCK: were it swapped for a FIFO since the lstat, never block */
  cleanup_close int fd = openat(dfd, e->name, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    return pyoci_error_set(err, errno, "tar: open '%s'", tarname);
  if (pyoci_fd_require_regular(fd, tarname, err) < 0)
    return pyoci_error_prefix(err, "tar");
  uint64_t left = (uint64_t)e->st.st_size;
  while (left > 0) {
    size_t room = 0;
    unsigned char *space = pyoci_tar_out_space(&w->out, &room, err);
    if (space == NULL)
      return -1;
    if (room > left)
      room = (size_t)left;
    ssize_t n = read(fd, space, room);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return pyoci_error_set(err, errno, "tar: read '%s'", tarname);
    if (n == 0)
      return pyoci_error_set(err, 0, "tar: '%s' shrank while being archived", tarname);
    pyoci_tar_out_commit(&w->out, (size_t)n);
    left -= (uint64_t)n;
  }
  return pyoci_tar_out_pad(&w->out, (uint64_t)e->st.st_size, err);
}

static int walk(tw_t *w, int dfd, const char *prefix, pyoci_error_t **err);

static int write_entry(tw_t *w, int dfd, const char *prefix, const dent_t *e, pyoci_error_t **err)
{
  cleanup_free char *tarname = NULL;
  tarname = xasprintf("%s%s", prefix, e->key);
  char procpath[64];
  snprintf(procpath, sizeof(procpath), "/proc/self/fd/%d/", dfd);
  cleanup_free char *xpath = pyoci_path_join(procpath, e->name);
  const struct stat *st = &e->st;
  hdr_t h = {.name = tarname, .mode = st->st_mode & 07777, .uid = st->st_uid, .gid = st->st_gid,
             .mtime = clamp_mtime(w, st), .xattrs = STRBUF_INIT};
  cleanup_strbuf strbuf_t xattrs = STRBUF_INIT;
  cleanup_free char *target = NULL;

  if (e->whiteout) {
    /* overlay whiteout (0/0 char dev) -> empty ".wh.NAME", as Docker does */
    h.type = '0';
    h.mode = 0600;
    return write_header(w, &h, err);
  }
  /* A second path to an inode already written becomes a hard link. */
  if (!S_ISDIR(st->st_mode) && st->st_nlink > 1) {
    char key[64];
    snprintf(key, sizeof(key), "%ju:%ju", (uintmax_t)st->st_dev, (uintmax_t)st->st_ino);
    bool added;
    pyoci_strmap_slot_t *first = pyoci_strmap_insert(&w->inodes, key, &added);
    if (!added) {
      h.type = '1';
      h.link = first->val.ptr;
      return write_header(w, &h, err);
    }
    first->val.ptr = xstrdup(tarname);
  }
  if (collect_xattrs(w, xpath, tarname, &xattrs, err) < 0)
    return -1;
  h.xattrs = xattrs;
  if (S_ISREG(st->st_mode)) {
    if (check_content(w, e, tarname, err) < 0)
      return -1;
    h.type = '0';
    h.size = (uint64_t)st->st_size;
    if (write_header(w, &h, err) < 0)
      return -1;
    return write_file_data(w, dfd, e, tarname, err);
  }
  if (S_ISLNK(st->st_mode)) {
    size_t cap = (size_t)st->st_size + 1;
    if (cap < 256)
      cap = 256;
    target = xmalloc(cap + 1);
    ssize_t n = readlinkat(dfd, e->name, target, cap);
    if (n < 0 || (size_t)n >= cap)
      return pyoci_error_set(err, n < 0 ? errno : 0, "tar: readlink '%s'%s", tarname, n < 0 ? "" : ": changed");
    target[n] = '\0';
    h.type = '2';
    h.link = target;
    return write_header(w, &h, err);
  }
  if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode)) {
    h.type = S_ISCHR(st->st_mode) ? '3' : '4';
    h.major = major(st->st_rdev);
    h.minor = minor(st->st_rdev);
    return write_header(w, &h, err);
  }
  if (S_ISFIFO(st->st_mode)) {
    h.type = '6';
    return write_header(w, &h, err);
  }
  if (!S_ISDIR(st->st_mode))
    return 0;
  h.type = '5';
  if (write_header(w, &h, err) < 0)
    return -1;
  cleanup_close int sub = openat(dfd, e->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (sub < 0)
    return pyoci_error_set(err, errno, "tar: open '%s'", tarname);
  if (w->o->overlay_whiteouts && is_opaque_dir(xpath)) {
    /* Opaque overlay dir: the marker comes right after the directory. */
    cleanup_free char *opq = NULL;
    opq = xasprintf("%s.wh..wh..opq", tarname);
    hdr_t oh = {.name = opq, .type = '0', .mode = h.mode & 0777, .uid = h.uid, .gid = h.gid, .mtime = h.mtime};
    if (write_header(w, &oh, err) < 0)
      return -1;
  }
  return walk(w, sub, tarname, err);
}

/* Not pyoci_walk_at: the archive order is this writer's own (a directory
 * sorts as "name/", a whiteout as ".wh.name"), and it decides the digest. */
static int walk(tw_t *w, int dfd, const char *prefix, pyoci_error_t **err)
{
  if (w->depth > PYOCI_WALK_MAX_DEPTH)
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "tar: directory tree deeper than %d levels at '%s'",
                                PYOCI_WALK_MAX_DEPTH, prefix);
  dent_t *v = NULL;
  size_t n = 0;
  if (list_dir(w, dfd, prefix, &v, &n, err) < 0)
    return -1;
  int r = 0;
  w->depth++;
  for (size_t i = 0; i < n && r == 0; i++)
    r = write_entry(w, dfd, prefix, &v[i], err);
  w->depth--;
  free_dents(v, n);
  return r;
}

void pyoci_layer_opts_init(pyoci_layer_opts_t *o)
{
  memset(o, 0, sizeof(*o));
  o->comp = PYOCI_COMP_GZIP;
  o->source_date_epoch = pyoci_settings()->source_date_epoch;
}

int pyoci_tar_dir(const char *dir, const pyoci_layer_opts_t *opts, pyoci_sink_fn sink, void *ctx,
                  pyoci_error_t **err)
{
  pyoci_layer_opts_t defaults;
  if (opts == NULL) {
    pyoci_layer_opts_init(&defaults);
    opts = &defaults;
  }
  cleanup_close int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return pyoci_error_set(err, errno, "open '%s'", dir);
  tw_t w = {.o = opts};
  pyoci_tar_out_init(&w.out, OUTBUF_SIZE, sink, ctx);
  int r = walk(&w, fd, "", err);
  if (r == 0)
    r = pyoci_tar_out_finish(&w.out, err);
  pyoci_tar_out_release(&w.out);
  pyoci_strmap_clear(&w.inodes, free);
  if (r < 0)
    return pyoci_error_prefix(err, "tar '%s'", dir);
  return 0;
}
