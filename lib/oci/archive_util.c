/* Small helpers for the archive code: member path cleaning, RFC 3339 times,
 * compression sniffing, and streaming store blobs out (as stored, or
 * decompressed: gzip/zstd by lib/layer/decompress.c, xz/bzip2 by libarchive in
 * lib/layer/decompress_xz.c). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/layer/codec.h"
#include "lib/layer/decompress.h"
#include "lib/util/cleanup.h"
#include "lib/util/hash_async.h"
#include "lib/util/path.h"
#include "lib/util/strbuf.h"
#include "archive_int.h"

char *pyoci_archive_clean_path(const char *path, pyoci_error_t **err)
{
  if (path == NULL || path[0] == '\0') {
    pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "empty member path");
    return NULL;
  }
  if (path[0] == '/') {
    pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "member '%s': absolute path", path);
    return NULL;
  }
  if (strlen(path) > 4096) {
    pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "member path too long");
    return NULL;
  }
  char *clean = pyoci_path_normalize(path, PYOCI_PATH_REJECT_DOTDOT);
  if (clean == NULL) {
    pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "member '%s': path leaves the archive", path);
    return NULL;
  }
  if (clean[0] == '\0') {
    free(clean);
    pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "member '%s': empty path", path);
    return NULL;
  }
  return clean;
}

static int digits(const char **p, int n)
{
  int v = 0;
  for (int i = 0; i < n; i++) {
    if (!isdigit((unsigned char)**p))
      return -1;
    v = v * 10 + (**p - '0');
    (*p)++;
  }
  return v;
}

int64_t pyoci_parse_rfc3339(const char *s)
{
  if (s == NULL)
    return -1;
  const char *p = s;
  int Y = digits(&p, 4);
  if (Y < 0 || *p++ != '-')
    return -1;
  int M = digits(&p, 2);
  if (M < 1 || M > 12 || *p++ != '-')
    return -1;
  int D = digits(&p, 2);
  if (D < 1 || D > 31 || (*p != 'T' && *p != 't' && *p != ' '))
    return -1;
  p++;
  int h = digits(&p, 2);
  if (h < 0 || h > 23 || *p++ != ':')
    return -1;
  int m = digits(&p, 2);
  if (m < 0 || m > 59 || *p++ != ':')
    return -1;
  int sec = digits(&p, 2);
  if (sec < 0 || sec > 60)
    return -1;
  if (*p == '.') {
    p++;
    if (!isdigit((unsigned char)*p))
      return -1;
    while (isdigit((unsigned char)*p))
      p++;
  }
  int64_t off = 0;
  if (*p == 'Z' || *p == 'z') {
    p++;
  } else if (*p == '+' || *p == '-') {
    int sign = *p++ == '-' ? -1 : 1;
    int oh = digits(&p, 2);
    if (oh < 0 || *p++ != ':')
      return -1;
    int om = digits(&p, 2);
    if (om < 0)
      return -1;
    off = sign * (oh * 3600 + om * 60);
  } else {
    return -1;
  }
  if (*p != '\0')
    return -1;
  struct tm tm = {.tm_year = Y - 1900, .tm_mon = M - 1, .tm_mday = D, .tm_hour = h, .tm_min = m, .tm_sec = sec};
  int64_t t = (int64_t)timegm(&tm);
  return t - off;
}

int pyoci_blob_copy_to_tar(pyoci_store_t *s, const char *digest, int64_t size, const char *want,
                           pyoci_tarw_t *w, pyoci_error_t **err)
{
  cleanup_close int fd = -1;
  int64_t stored = 0;
  if (pyoci_store_open_blob(s, digest, &fd, &stored, err) < 0)
    return -1;
  if (stored != size)
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "read blob %s: %lld bytes stored, descriptor says %lld",
                                digest, (long long)stored, (long long)size);
  /* Hash on the way out: a damaged store must not yield a "valid" archive.
   * The copy stays in the kernel; the hash runs beside it (fdcopy.h).  A
   * blob hashed before and untouched since (its stamp, store.h) is copied
   * without hashing it again. */
  bool self_named = strcmp(digest, want) == 0; /* a stamp vouches for a blob's own digest only */
  bool trusted = self_named && pyoci_store_blob_known_good(s, digest, fd);
  char got[PYOCI_DIGEST_LEN];
  if (pyoci_tarw_copy_fd(w, fd, trusted ? NULL : got, err) < 0)
    return -1;
  if (trusted)
    return 0;
  if (strcmp(got, want) != 0)
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "read blob %s: content %s does not match %s", digest,
                                got, want);
  if (self_named)
    pyoci_store_blob_note_good(s, digest, fd);
  return 0;
}

/* Uncompressed blob: plain reads, hashing as we go. */
static int stream_plain(int fd, const char *digest, pyoci_sink_fn sink, void *ctx, pyoci_sha256_async_t *h,
                        int64_t *total, pyoci_error_t **err)
{
  static __thread char buf[256 * 1024];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return pyoci_error_set(err, errno, "read blob %s", digest);
    if (n == 0)
      return 0;
    pyoci_sha256_async_update(h, buf, (size_t)n);
    *total += n;
    if (sink && sink(ctx, buf, (size_t)n, err) < 0)
      return -1;
  }
}

typedef struct {
  pyoci_sink_fn sink;
  void *ctx;
  pyoci_sha256_async_t *h;
  int64_t *total;
} hash_sink_t;

static int hash_sink(void *p, const void *buf, size_t len, pyoci_error_t **err)
{
  hash_sink_t *hs = p;
  pyoci_sha256_async_update(hs->h, buf, len);
  *hs->total += (int64_t)len;
  return hs->sink != NULL ? hs->sink(hs->ctx, buf, len, err) : 0;
}

/* gzip and zstd go through lib/layer/decompress.c (libdeflate member by
 * member); the actual magic decides, not the media type. */
static int stream_decompress(int fd, const char *digest, int comp, pyoci_sink_fn sink, void *ctx,
                             pyoci_sha256_async_t *h,
                             int64_t *total, pyoci_error_t **err)
{
  hash_sink_t hs = {sink, ctx, h, total};
  if (!pyoci_codec_get((pyoci_comp_t)comp)->layers)
    return pyoci_decompress_xz_bzip2_fd(fd, digest, hash_sink, &hs, err);
  return pyoci_decompress_fd(fd, PYOCI_DECOMP_AUTO, digest, hash_sink, &hs, err);
}

int pyoci_blob_stream_uncompressed(pyoci_store_t *s, const char *digest, int comp, pyoci_sink_fn sink, void *ctx,
                                   char diff_id[PYOCI_DIGEST_LEN], int64_t *size_out, pyoci_error_t **err)
{
  cleanup_close int fd = -1;
  int64_t size = 0;
  if (pyoci_store_open_blob(s, digest, &fd, &size, err) < 0)
    return -1;
  if (comp != 0) {
    /* What the bytes are, not what the media type claims (as before, when
     * libarchive detected it). */
    unsigned char magic[512];
    ssize_t got = pread(fd, magic, sizeof(magic), 0);
    if (got < 0)
      return pyoci_error_set(err, errno, "read blob %s", digest);
    int sniffed = (int)pyoci_codec_sniff(magic, (size_t)got);
    comp = sniffed != 0 || comp < 0 ? sniffed : comp;
  }
  pyoci_sha256_async_t *h = pyoci_sha256_async_new();
  int64_t total = 0;
  int rc = comp == 0 ? stream_plain(fd, digest, sink, ctx, h, &total, err)
                                                             : stream_decompress(fd, digest, comp, sink, ctx, h, &total, err);
  if (rc < 0) {
    pyoci_sha256_async_free(h);
    return -1;
  }
  pyoci_sha256_async_final(h, diff_id);
  if (size_out)
    *size_out = total;
  return 0;
}
