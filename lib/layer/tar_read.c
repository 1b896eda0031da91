/* Reading layers: libarchive does the tar parsing; this file adds the limits
 * and path rules pyoci applies to every archive.
 *
 * gzip and zstd are decompressed by decompress.c (libdeflate member by
 * member, much faster than libarchive's zlib filter) and fed to libarchive
 * through read callbacks; anything else is passed through, and libarchive's
 * own xz and bzip2 filters take it from there.  Only the tar formats (ustar,
 * pax, GNU) are accepted, never filter_all, which could run external
 * programs (lrzip, lzop, grzip) on hostile input.
 *
 * Caches keyed by a layer's diff_id (unpacked trees, sizes, scan records)
 * trust the config's word for it, so whoever fills one asks the reader to
 * check it (pyoci_tar_reader_open_verified): the bytes read_cb hands to
 * libarchive are the uncompressed stream, hashed on the way at the cost of
 * one SHA-256 and no second inflate; skips read instead, and the end of the
 * archive drains what is left (padding after the end blocks is part of the
 * diff_id too) and compares.  xz and bzip2 reach libarchive compressed, so
 * their check is a pass of its own before the reading starts. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/hash.h"
#include "lib/util/inflate_limit.h"
#include "lib/util/log.h"
#include "lib/util/path.h"
#include "lib/util/strbuf.h"
#include "codec.h"
#include "decompress.h"
#include "layer.h"
#include "layer_int.h"

typedef struct {
  char *name;
  void *value;
  size_t len;
} xattr_t;

struct pyoci_tar_reader {
  struct archive *a;
  pyoci_decomp_t *d;
  pyoci_error_t *derr; /* the decompressor's error, when it failed */
  char *what;
  char *path;     /* cleaned path of the current entry */
  char *raw;      /* its name as written, for messages */
  char *link;
  uint64_t entries;
  uint64_t fed;   /* bytes handed to libarchive (compressed when it filters) */
  xattr_t *xattrs;
  size_t n_xattrs;
  bool failed;    /* libarchive cannot continue after a fatal error */
  /* The current regular file: its declared size and the bytes handed out.
   * libarchive gives a sparse file's holes as zeros except a trailing one
   * (an all-hole file reads as 0 bytes), so read() makes up the rest once
   * libarchive has said it is done (data_eof: asked again, it would pad
   * the same hole a second time). */
  bool is_file, data_eof;
  int64_t size, pos;
  /* Bytes of holes in the sparse files so far: they cost nothing in the
   * stream but weigh what they declare once unpacked, so they count as
   * decompressed output against the bomb limits (sparse_check). */
  uint64_t holes;
  /* The diff_id the stream must hash to (NULL: not checked) and the hash of
   * what read_cb handed out so far (NULL once compared, or when the
   * separate pass did it). */
  char *expect;
  pyoci_sha256_t *hash;
};

static void clear_entry(pyoci_tar_reader_t *r)
{
  free(r->path);
  free(r->link);
  r->path = r->link = NULL;
  r->is_file = r->data_eof = false;
  for (size_t i = 0; i < r->n_xattrs; i++) {
    free(r->xattrs[i].name);
    free(r->xattrs[i].value);
  }
  free(r->xattrs);
  r->xattrs = NULL;
  r->n_xattrs = 0;
}

/* libarchive failed: say what happened and where.  during = "after" for
 * header errors, "in" for content errors. */
static int fail(pyoci_tar_reader_t *r, pyoci_error_t **err, const char *during)
{
  const char *msg = archive_error_string(r->a);
  if (r->derr != NULL)
    msg = r->derr->msg;
  if (msg == NULL)
    msg = "unknown error";
  r->failed = true;
  bool in_data = strcmp(during, "in") == 0;
  if (strstr(msg, "Truncated") != NULL || strstr(msg, "truncated") != NULL) {
    if (r->raw != NULL)
      return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "read '%s': truncated tar archive %s entry '%s'", r->what,
                                  in_data ? "at" : "after", r->raw);
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "read '%s': truncated tar archive", r->what);
  }
  if (r->raw == NULL && strstr(msg, "Unrecognized archive format") != NULL)
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "read '%s': not a tar archive", r->what);
  if (r->derr != NULL && r->raw == NULL) /* before the first header */
    return pyoci_error_set_code(err, r->derr->code, r->derr->errno_value, "read '%s': %s", r->what, msg);
  if (r->derr != NULL) /* it names the blob already */
    return pyoci_error_set_code(err, r->derr->code, r->derr->errno_value, "read '%s': %s entry '%s': %s", r->what,
                                in_data ? "at" : "after", r->raw, msg);
  if (r->raw != NULL)
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "read '%s': %s entry '%s': %s", r->what,
                                in_data ? "at" : "after", r->raw, msg);
  return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "read '%s': at the first entry: %s", r->what, msg);
}

/* xz and bzip2 pass through decompress.c and are decompressed by
 * libarchive: hold its output against what it was fed (gzip and zstd are
 * measured in decompress.c).  Checked at every refill, entry and read, so a
 * bomb stops within one input buffer's worth of output. */
static int check_bomb(pyoci_tar_reader_t *r, pyoci_error_t **err)
{
  if (pyoci_decomp_kind(r->d) != PYOCI_COMP_NONE)
    return 0;
  la_int64_t out = archive_filter_bytes(r->a, 0);
  if (out <= 0)
    return 0;
  return pyoci_inflate_check(r->what, r->fed, (uint64_t)out, err);
}

static la_ssize_t read_cb(struct archive *a, void *data, const void **buf)
{
  pyoci_tar_reader_t *r = data;
  if (r->derr == NULL && check_bomb(r, &r->derr) < 0) {
    archive_set_error(a, EIO, "%s", r->derr->msg);
    return -1;
  }
  ssize_t n = pyoci_decomp_next(r->d, buf, &r->derr);
  if (n < 0) {
    archive_set_error(a, EIO, "%s", r->derr != NULL ? r->derr->msg : "decompression failed");
    return -1;
  }
  r->fed += (uint64_t)n;
  if (r->hash != NULL)
    pyoci_sha256_update(r->hash, *buf, (size_t)n);
  return (la_ssize_t)n;
}

/* check_bomb for the public calls: the reader cannot go on after it. */
static int check_bomb_public(pyoci_tar_reader_t *r, pyoci_error_t **err)
{
  pyoci_error_t *e = NULL;
  if (check_bomb(r, &e) == 0)
    return 0;
  r->failed = true;
  pyoci_error_set_code(err, e->code, 0, "read '%s': %s", r->what, e->msg);
  pyoci_error_free(e);
  return -1;
}

static la_int64_t skip_cb(struct archive *a, void *data, la_int64_t request)
{
  pyoci_tar_reader_t *r = data;
  if (r->hash != NULL)
    return 0; /* every byte goes through read_cb, to be hashed */
  int64_t n = pyoci_decomp_skip(r->d, request);
  if (n > 0)
    r->fed += (uint64_t)n; /* input too: a skipped plain file is no bomb */
  return n;
}

static int mismatch(const char *what, const char *got, const char *want, pyoci_error_t **err)
{
  return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "read '%s': content hashes to %s, not to its diff_id %s", what,
                              got, want);
}

static int hash_sink(void *h, const void *buf, size_t len, pyoci_error_t **err)
{
  (void)err;
  pyoci_sha256_update(h, buf, len);
  return 0;
}

/* xz and bzip2 reach libarchive compressed (read_cb's bytes are not the
 * diff_id's): check them in a pass of their own, then go back to where fd
 * stood for the reading.  0 = checked, 1 = hash inline: not xz or bzip2,
 * or fd cannot be peeked at (open then refuses a filtered stream). */
static int check_filtered(int fd, const char *what, const char *diff_id, pyoci_error_t **err)
{
  unsigned char magic[512];
  off_t at = lseek(fd, 0, SEEK_CUR);
  ssize_t got = at < 0 ? -1 : pread(fd, magic, sizeof(magic), at);
  pyoci_comp_t comp = got > 0 ? pyoci_codec_sniff(magic, (size_t)got) : PYOCI_COMP_NONE;
  if (pyoci_codec_get(comp)->layers) /* plain, or decompress.c's own */
    return 1;
  pyoci_sha256_t *h = pyoci_sha256_new();
  if (pyoci_decompress_xz_bzip2_fd(fd, what, hash_sink, h, err) < 0) {
    pyoci_sha256_free(h);
    return -1;
  }
  char sum[PYOCI_DIGEST_LEN];
  pyoci_sha256_final(h, sum);
  if (strcmp(sum, diff_id) != 0)
    return mismatch(what, sum, diff_id, err);
  if (lseek(fd, at, SEEK_SET) < 0)
    return pyoci_error_set(err, errno, "read '%s': seek back after checking its diff_id", what);
  return 0;
}

int pyoci_tar_reader_open(int fd, const char *what, pyoci_tar_reader_t **out, pyoci_error_t **err)
{
  return pyoci_tar_reader_open_verified(fd, what, NULL, out, err);
}

int pyoci_tar_reader_open_verified(int fd, const char *what, const char *diff_id, pyoci_tar_reader_t **out,
                                   pyoci_error_t **err)
{
  int inline_check = 0;
  if (diff_id != NULL && (inline_check = check_filtered(fd, what, diff_id, err)) < 0)
    return -1;
  pyoci_tar_reader_t *r = xcalloc(1, sizeof(*r));
  if (r == NULL || (r->what = xstrdup(what)) == NULL || (r->a = archive_read_new()) == NULL) {
    pyoci_tar_reader_free(r);
    return pyoci_error_set(err, ENOMEM, "read '%s'", what);
  }
  if (inline_check == 1) {
    r->expect = xstrdup(diff_id);
    r->hash = pyoci_sha256_new();
  }
  if ((r->d = pyoci_decomp_open(fd, PYOCI_DECOMP_AUTO, what, err)) == NULL) {
    pyoci_tar_reader_free(r);
    return pyoci_error_prefix(err, "read '%s'", what);
  }
  archive_read_support_filter_xz(r->a);
  archive_read_support_filter_bzip2(r->a);
  archive_read_support_format_tar(r->a);
  archive_read_support_format_gnutar(r->a);
  archive_read_set_read_callback(r->a, read_cb);
  archive_read_set_skip_callback(r->a, skip_cb);
  archive_read_set_callback_data(r->a, r);
  if (archive_read_open1(r->a) != ARCHIVE_OK) {
    fail(r, err, "after");
    pyoci_tar_reader_free(r);
    return -1;
  }
  /* libarchive found xz or bzip2 where check_filtered could not look. */
  if (r->hash != NULL && archive_filter_count(r->a) > 1) {
    pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0,
                         "read '%s': cannot check its diff_id %s: compressed (xz or bzip2) in a stream that cannot "
                         "be read twice", what, diff_id);
    pyoci_tar_reader_free(r);
    return -1;
  }
  *out = r;
  return 0;
}

static int bad_entry(pyoci_tar_reader_t *r, pyoci_error_t **err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int bad_entry(pyoci_tar_reader_t *r, pyoci_error_t **err, const char *fmt, ...)
{
  r->failed = true;
  cleanup_strbuf strbuf_t sb = STRBUF_INIT;
  va_list ap;
  va_start(ap, fmt);
  strbuf_vaddf(&sb, fmt, ap);
  va_end(ap);
  return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "read '%s': entry '%.200s%s': %s", r->what, r->raw,
                              strlen(r->raw) > 200 ? "..." : "", sb.buf);
}

static int take_xattrs(pyoci_tar_reader_t *r, struct archive_entry *ae, pyoci_error_t **err)
{
  size_t count = (size_t)archive_entry_xattr_reset(ae);
  if (count == 0)
    return 0;
  r->xattrs = xcalloc(count, sizeof(*r->xattrs));
  size_t total = 0;
  const char *name;
  const void *value;
  size_t len;
  while (r->n_xattrs < count && archive_entry_xattr_next(ae, &name, &value, &len) == ARCHIVE_OK) {
    total += strlen(name) + len;
    if (total > PYOCI_TAR_MAX_XATTRS_BYTES)
      return bad_entry(r, err, "extended attributes larger than %u KiB", PYOCI_TAR_MAX_XATTRS_BYTES >> 10);
    xattr_t *x = &r->xattrs[r->n_xattrs++];
    x->name = xstrdup(name);
    x->value = xmalloc(len ? len : 1);
    memcpy(x->value, value, len);
    x->len = len;
  }
  return 0;
}

/* The bytes a sparse file's map says it holds.  libarchive hands out
 * the map with what it could not use dropped (regions out of order,
 * overlapping, past the size); a region it dropped counts as hole here,
 * and the reads refuse its data (read_block: out of order or past the
 * size; read: libarchive's "out-of-order sparse blocks"). */
static int64_t sparse_data(struct archive_entry *ae)
{
  la_int64_t off, len;
  int64_t sum = 0;
  while (archive_entry_sparse_next(ae, &off, &len) == ARCHIVE_OK)
    sum += len;
  return sum;
}

/* Sparse-file bombs: a header of a few bytes can declare a 1 TiB file of
 * holes.  The stream's limits never see holes, yet an unpacked tree weighs
 * them (and whatever reads the file back gets that many zeros), so they
 * count as decompressed output, against both limits, before anything is
 * written.  The ratio is taken against the tar bytes read (for gzip and
 * zstd: the decompressed ones, which only makes it more lenient). */
static int sparse_check(pyoci_tar_reader_t *r, struct archive_entry *ae, int64_t size, pyoci_error_t **err)
{
  if (archive_entry_sparse_reset(ae) <= 0)
    return 0;
  int64_t data = sparse_data(ae);
  uint64_t holes = data < size ? (uint64_t)(size - data) : 0;
  r->holes += holes;
  la_int64_t tar = archive_filter_bytes(r->a, 0);
  uint64_t out = (tar > 0 ? (uint64_t)tar : 0) + r->holes;
  pyoci_error_t *e = NULL;
  if (pyoci_inflate_check_as("with its holes counted, the archive", r->fed, out, &e) == 0)
    return 0;
  char sz[32], h[32];
  pyoci_inflate_human((uint64_t)size, sz, sizeof(sz));
  pyoci_inflate_human(holes, h, sizeof(h));
  bad_entry(r, err, "a sparse file of %s, %s of it holes: %s", sz, h, e->msg);
  pyoci_error_free(e);
  return -1;
}

/* Fill e from the libarchive entry.  1 = use it, 0 = skip it, -1 = error. */
static int convert(pyoci_tar_reader_t *r, struct archive_entry *ae, pyoci_tar_entry_t *e, pyoci_error_t **err)
{
  if (strlen(r->raw) > PYOCI_TAR_MAX_PATH)
    return bad_entry(r, err, "path longer than %d bytes", PYOCI_TAR_MAX_PATH);
  r->path = xstrdup(r->raw);
  if (pyoci_path_normalize_inplace(r->path, PYOCI_PATH_REJECT_DOTDOT) < 0)
    return bad_entry(r, err, "path contains a '..' component");
  memset(e, 0, sizeof(*e));
  e->path = r->path;
  const char *hard = archive_entry_hardlink(ae);
  mode_t ft = archive_entry_filetype(ae);
  if (hard != NULL) {
    if (strlen(hard) > PYOCI_TAR_MAX_PATH)
      return bad_entry(r, err, "hard link target longer than %d bytes", PYOCI_TAR_MAX_PATH);
    r->link = xstrdup(hard);
    if (pyoci_path_normalize_inplace(r->link, PYOCI_PATH_REJECT_DOTDOT) < 0 || r->link[0] == '\0')
      return bad_entry(r, err, "hard link target '%s' is outside the archive", hard);
    e->type = PYOCI_TAR_HARDLINK;
  } else if (ft == AE_IFREG) {
    e->type = PYOCI_TAR_FILE;
  } else if (ft == AE_IFDIR) {
    e->type = PYOCI_TAR_DIR;
  } else if (ft == AE_IFLNK) {
    const char *t = archive_entry_symlink(ae);
    if (t == NULL || t[0] == '\0')
      return bad_entry(r, err, "symbolic link without a target");
    if (strlen(t) > PYOCI_TAR_MAX_PATH)
      return bad_entry(r, err, "symbolic link target longer than %d bytes", PYOCI_TAR_MAX_PATH);
    /* Kept verbatim: targets are resolved inside the root when used. */
    r->link = xstrdup(t);
    if (r->link == NULL)
      return pyoci_error_set(err, ENOMEM, "read '%s'", r->what);
    e->type = PYOCI_TAR_SYMLINK;
  } else if (ft == AE_IFCHR || ft == AE_IFBLK) {
    e->type = ft == AE_IFCHR ? PYOCI_TAR_CHAR : PYOCI_TAR_BLOCK;
    e->dev_major = (unsigned)archive_entry_rdevmajor(ae);
    e->dev_minor = (unsigned)archive_entry_rdevminor(ae);
  } else if (ft == AE_IFIFO) {
    e->type = PYOCI_TAR_FIFO;
  } else if (ft == AE_IFSOCK) {
    return 0;
  } else {
    return bad_entry(r, err, "unsupported entry type");
  }
  if (e->type != PYOCI_TAR_DIR && e->path[0] == '\0')
    return bad_entry(r, err, "the archive root must be a directory");
  e->link = r->link;
  int64_t size = archive_entry_size_is_set(ae) ? archive_entry_size(ae) : 0;
  if (size < 0 || size > PYOCI_TAR_MAX_ENTRY_SIZE)
    return bad_entry(r, err, "implausible size %lld", (long long)size);
  e->size = e->type == PYOCI_TAR_FILE ? size : 0;
  if (e->type == PYOCI_TAR_FILE && sparse_check(r, ae, size, err) < 0)
    return -1;
  r->is_file = e->type == PYOCI_TAR_FILE;
  r->size = e->size;
  r->pos = 0;
  e->mode = archive_entry_perm(ae) & 07777;
  e->uid = archive_entry_uid(ae);
  e->gid = archive_entry_gid(ae);
  e->mtime = archive_entry_mtime(ae);
  if (take_xattrs(r, ae, err) < 0)
    return -1;
  return 1;
}

/* libarchive only warns about a sparse map it could not parse (PAX 0.1
 * with an offset that overflows) and goes on with an empty map: the
 * file's data would land at offset 0 or be taken for the next header. */
static bool sparse_warning(struct archive *a)
{
  const char *msg = archive_error_string(a);
  return msg != NULL && strstr(msg, "sparse") != NULL;
}

/* The archive ended: hash the rest of the stream (libarchive stops at the
 * end blocks) and hold the sum against the diff_id.  0 = it matches or
 * nothing is checked; later calls find the hash gone and return 0 again. */
static int finish_check(pyoci_tar_reader_t *r, pyoci_error_t **err)
{
  if (r->hash == NULL)
    return 0;
  for (;;) {
    const void *buf = NULL;
    ssize_t n = pyoci_decomp_next(r->d, &buf, &r->derr);
    if (n < 0) {
      r->failed = true;
      return pyoci_error_set_code(err, r->derr->code, r->derr->errno_value, "read '%s': %s", r->what,
                                  r->derr->msg);
    }
    if (n == 0)
      break;
    pyoci_sha256_update(r->hash, buf, (size_t)n);
  }
  char sum[PYOCI_DIGEST_LEN];
  pyoci_sha256_final(r->hash, sum);
  r->hash = NULL;
  if (strcmp(sum, r->expect) == 0)
    return 0;
  r->failed = true;
  return mismatch(r->what, sum, r->expect, err);
}

int pyoci_tar_reader_next(pyoci_tar_reader_t *r, pyoci_tar_entry_t *e, pyoci_error_t **err)
{
  if (r->failed)
    return pyoci_error_set(err, 0, "read '%s': reader already failed", r->what);
  for (;;) {
    clear_entry(r);
    struct archive_entry *ae = NULL;
    int st = archive_read_next_header(r->a, &ae);
    if (st == ARCHIVE_EOF)
      return finish_check(r, err);
    if (st == ARCHIVE_WARN && sparse_warning(r->a)) {
      const char *name = archive_entry_pathname(ae);
      free(r->raw);
      r->raw = xstrdup(name != NULL ? name : "");
      return bad_entry(r, err, "%s", archive_error_string(r->a));
    }
    if (st == ARCHIVE_WARN)
      pyoci_log(PYOCI_LOG_DEBUG, "read '%s': %s", r->what, archive_error_string(r->a));
    else if (st != ARCHIVE_OK)
      return fail(r, err, "after");
    if (check_bomb_public(r, err) < 0)
      return -1;
    if (++r->entries > PYOCI_TAR_MAX_ENTRIES) {
      r->failed = true;
      return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "read '%s': more than %d entries", r->what,
                                  PYOCI_TAR_MAX_ENTRIES);
    }
    const char *name = archive_entry_pathname(ae);
    free(r->raw);
    r->raw = xstrdup(name != NULL ? name : "");
    int c = convert(r, ae, e, err);
    if (c != 0)
      return c;
  }
}

ssize_t pyoci_tar_reader_read(pyoci_tar_reader_t *r, void *buf, size_t len, pyoci_error_t **err)
{
  if (r->failed)
    return pyoci_error_set(err, 0, "read '%s': reader already failed", r->what);
  la_ssize_t n = r->data_eof ? 0 : archive_read_data(r->a, buf, len);
  if (n < 0)
    return fail(r, err, "in");
  r->data_eof = n == 0;
  if (check_bomb_public(r, err) < 0)
    return -1;
  if (!r->is_file)
    return (ssize_t)n;
  if (n == 0 && r->pos < r->size) { /* a sparse file's trailing hole (issue 9 item 7) */
    n = (la_ssize_t)((uint64_t)(r->size - r->pos) < len ? (size_t)(r->size - r->pos) : len);
    memset(buf, 0, (size_t)n);
  }
  if ((int64_t)n > r->size - r->pos)
    return bad_entry(r, err, "more content than its declared size %lld", (long long)r->size);
  r->pos += n;
  return (ssize_t)n;
}

int pyoci_tar_reader_read_block(pyoci_tar_reader_t *r, const void **buf, size_t *len, int64_t *offset,
                                pyoci_error_t **err)
{
  if (r->failed)
    return pyoci_error_set(err, 0, "read '%s': reader already failed", r->what);
  la_int64_t off = 0;
  size_t n = 0;
  int st = archive_read_data_block(r->a, buf, &n, &off);
  if (st == ARCHIVE_EOF)
    return 0;
  if (st != ARCHIVE_OK && st != ARCHIVE_WARN)
    return fail(r, err, "in");
  if (check_bomb_public(r, err) < 0)
    return -1;
  if (r->is_file && (off < 0 || (int64_t)n > r->size || off > r->size - (int64_t)n))
    return bad_entry(r, err, "content at offset %lld beyond its declared size %lld", (long long)off,
                     (long long)r->size);
  /* A writer seeks to each offset: one going back would overwrite. */
  if (r->is_file && off < r->pos)
    return bad_entry(r, err, "content at offset %lld before the end of the block before (%lld)", (long long)off,
                     (long long)r->pos);
  if (r->is_file)
    r->pos = off + (int64_t)n;
  *len = n;
  *offset = off;
  return 1;
}

int pyoci_tar_reader_read_all(pyoci_tar_reader_t *r, size_t size, char **out, size_t *len, pyoci_error_t **err)
{
  cleanup_free char *buf = xmalloc(size + 1);
  size_t got = 0;
  while (got < size) {
    ssize_t n = pyoci_tar_reader_read(r, buf + got, size - got, err);
    if (n < 0)
      return -1;
    if (n == 0)
      break;
    got += (size_t)n;
  }
  buf[got] = '\0';
  *len = got;
  *out = steal_pointer(&buf);
  return 0;
}

const char *pyoci_tar_reader_raw_path(const pyoci_tar_reader_t *r)
{
  return r->raw != NULL ? r->raw : "";
}

bool pyoci_tar_reader_xattr(pyoci_tar_reader_t *r, size_t i, const char **name, const void **value, size_t *len)
{
  if (i >= r->n_xattrs)
    return false;
  *name = r->xattrs[i].name;
  *value = r->xattrs[i].value;
  *len = r->xattrs[i].len;
  return true;
}

void pyoci_tar_reader_free(pyoci_tar_reader_t *r)
{
  if (r == NULL)
    return;
  clear_entry(r);
  if (r->a != NULL)
    archive_read_free(r->a);
  pyoci_decomp_free(r->d);
  pyoci_error_free(r->derr);
  pyoci_sha256_free(r->hash);
  free(r->expect);
  free(r->raw);
  free(r->what);
  free(r);
}

int pyoci_layer_validate(int fd, const char *what, const char *diff_id, pyoci_error_t **err)
{
  pyoci_tar_reader_t *r = NULL;
  if (pyoci_tar_reader_open_verified(fd, what, diff_id, &r, err) < 0)
    return -1;
  pyoci_tar_entry_t e;
  int rc;
  while ((rc = pyoci_tar_reader_next(r, &e, err)) > 0) {
    const char *target = NULL;
    /* The reader cleans "/etc/x" to "etc/x" for analysis, but unpacking
     * refuses absolute names: refuse them here too, or the image would
     * load and fail only at its first build or run. */
    if (r->raw != NULL && r->raw[0] == '/') {
      rc = pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "read '%s': entry '%.200s': absolute path", what, r->raw);
      break;
    }
    if (pyoci_is_whiteout(e.path, &target) && target &&
        (*target == '\0' || strcmp(target, ".") == 0 || strcmp(target, "..") == 0)) {
      rc = pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "read '%s': entry '%s': whiteout escapes its directory",
                                what, e.path);
      break;
    }
  }
  pyoci_tar_reader_free(r);
  return rc < 0 ? -1 : 0;
}
