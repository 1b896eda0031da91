/* File-to-file copies that stay in the kernel (copy_file_range), with a
 * read/write fallback for pipes and filesystems that refuse it; a sparse
 * source keeps its holes.  The hashed
 * variant verifies what it copies on a second thread that reads the source
 * by itself, so `pyoci save` costs one in-kernel copy plus one SHA-256 pass
 * running beside it, instead of read + hash-queue + buffer + write. */
#include "alloc.h"
#include "settings.h"
#include "fdcopy.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "fs.h"

#define CHUNK (1 << 20)

static bool copy_range_unsupported(int e)
{
  return e == EXDEV || e == EINVAL || e == ENOSYS || e == EOPNOTSUPP || e == EBADF;
}

/* Copy [*pos, end) of in (end < 0: to EOF) to out at its file position.
 * Returns 0, 1 when the kernel cannot do it (nothing was copied by this call
 * then), or -1. */
static int copy_in_kernel(int in, int64_t *pos, int64_t end, int out, const char *what, pyoci_error_t **err)
{
  bool any = false;
  for (;;) {
    size_t want = 1u << 30;
    if (end >= 0) {
      if (*pos >= end)
        return 0;
      if ((int64_t)want > end - *pos)
        want = (size_t)(end - *pos);
    }
    loff_t off = *pos;
    ssize_t n = copy_file_range(in, &off, out, NULL, want, 0);
    if (n > 0) {
      *pos += n;
      any = true;
      continue;
    }
    if (n == 0)
      return end >= 0 ? pyoci_error_set(err, 0, "copy '%s': file ends at %lld bytes, expected %lld", what,
                                        (long long)*pos, (long long)end)
                      : 0;
    if (errno == EINTR)
      continue;
    if (!any && copy_range_unsupported(errno))
      return 1;
    return pyoci_error_set(err, errno, "copy '%s'", what);
  }
}

static int copy_user_space(int in, int64_t *pos, int64_t end, int out, const char *what, pyoci_error_t **err)
{
  char *buf = xmalloc(CHUNK);
  int rc = 0;
  while (rc == 0 && (end < 0 || *pos < end)) {
    size_t want = CHUNK;
    if (end >= 0 && (int64_t)want > end - *pos)
      want = (size_t)(end - *pos);
    ssize_t n = pread(in, buf, want, *pos);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      rc = pyoci_error_set(err, errno, "read '%s'", what);
    else if (n == 0)
      break;
    else if ((rc = pyoci_write_all(out, buf, (size_t)n, what, err)) == 0)
      *pos += n;
  }
  free(buf);
  if (rc == 0 && end >= 0 && *pos < end)
    rc = pyoci_error_set(err, 0, "copy '%s': file ends at %lld bytes, expected %lld", what, (long long)*pos,
                         (long long)end);
  return rc;
}

static int copy_range(int in, int64_t start, int64_t end, int out, const char *what, pyoci_error_t **err)
{
  int64_t pos = start;
  int r = copy_in_kernel(in, &pos, end, out, what, err);
  if (r <= 0)
    return r;
  return copy_user_space(in, &pos, end, out, what, err);
}

/* A source with holes (fewer blocks than its size: a sparse file, as
 * unpacking a sparse layer entry leaves it) goes extent by extent: data
 * (SEEK_DATA..SEEK_HOLE) through copy_range, holes seeked over, the copy
 * sized last -- so it keeps the holes.  copy_file_range alone writes every
 * hole as zeros where there are no reflinks (ext4: COPY --from of a 1 TiB
 * all-hole file wrote 2.6 GB in its first 10 s and would have filled the
 * disk).  Returns 1, having done nothing, when in or out is not a regular
 * file with holes to keep: copy plainly then. */
static int copy_sparse(int in, int64_t start, int out, const char *what, pyoci_error_t **err)
{
  struct stat si, so;
  if (fstat(in, &si) < 0 || fstat(out, &so) < 0 || !S_ISREG(si.st_mode) || !S_ISREG(so.st_mode) ||
      (int64_t)si.st_blocks * 512 >= (int64_t)si.st_size)
    return 1;
  off_t base = lseek(out, 0, SEEK_CUR);
  if (base < 0)
    return 1;
  for (int64_t pos = start; pos < si.st_size;) {
    off_t data = lseek(in, (off_t)pos, SEEK_DATA);
    if (data < 0 && errno == ENXIO)
      break; /* the rest is a hole */
    if (data < 0 && pos == start && errno == EINVAL)
      return 1; /* no SEEK_DATA on this file system */
    off_t hole = data < 0 ? -1 : lseek(in, data, SEEK_HOLE);
    if (hole < 0)
      return pyoci_error_set(err, errno, "copy '%s': find its data", what);
    if (lseek(out, base + (data - start), SEEK_SET) < 0)
      return pyoci_error_set(err, errno, "copy '%s': seek", what);
    if (copy_range(in, data, hole, out, what, err) < 0)
      return -1;
    pos = hole;
  }
  off_t end = base + (si.st_size - start);
  if (ftruncate(out, end) < 0 || lseek(out, end, SEEK_SET) < 0)
    return pyoci_error_set(err, errno, "copy '%s': set its size", what);
  return 0;
}

int pyoci_copy_fd(int in, int out, const char *what, pyoci_error_t **err)
{
  off_t start = lseek(in, 0, SEEK_CUR);
  if (start < 0)
    start = 0;
  int r = copy_sparse(in, start, out, what, err);
  if (r <= 0)
    return r;
  return copy_range(in, start, -1, out, what, err);
}

int pyoci_copy_fd_range(int in, int64_t size, int out, const char *what, pyoci_error_t **err)
{
  return copy_range(in, 0, size, out, what, err);
}

typedef struct {
  int fd;
  int64_t size;
  pyoci_sha256_t *h;
  int err_no; /* 0, or the errno of a failed read */
  bool short_read;
} hash_job_t;

static void *hash_file(void *arg)
{
  hash_job_t *j = arg;
  unsigned char *buf = xmalloc(CHUNK);
  if (buf == NULL) {
    j->err_no = ENOMEM;
    return NULL;
  }
  for (int64_t pos = 0; pos < j->size;) {
    size_t want = j->size - pos < CHUNK ? (size_t)(j->size - pos) : CHUNK;
    ssize_t n = pread(j->fd, buf, want, pos);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      j->err_no = n < 0 ? errno : 0;
      j->short_read = n == 0;
      break;
    }
    pyoci_sha256_update(j->h, buf, (size_t)n);
    pos += n;
  }
  free(buf);
  return NULL;
}

static bool one_thread_only(void)
{
  return pyoci_settings()->threads == 1;
}

int pyoci_copy_fd_hashed(int in, int64_t size, int out, const char *what, char digest[PYOCI_DIGEST_LEN],
                         pyoci_error_t **err)
{
  hash_job_t job = {.fd = in, .size = size, .h = pyoci_sha256_new()};
  pthread_t t;
  bool threaded = !one_thread_only() && pthread_create(&t, NULL, hash_file, &job) == 0;
  int rc = copy_range(in, 0, size, out, what, err);
  if (threaded)
    pthread_join(t, NULL);
  else if (rc == 0)
    hash_file(&job);
  if (rc == 0 && (job.err_no != 0 || job.short_read))
    rc = job.short_read ? pyoci_error_set(err, 0, "read '%s': file shorter than %lld bytes", what, (long long)size)
                        : pyoci_error_set(err, job.err_no, "read '%s'", what);
  if (rc < 0) {
    pyoci_sha256_free(job.h);
    return -1;
  }
  pyoci_sha256_final(job.h, digest);
  return 0;
}
