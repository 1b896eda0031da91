/* A content-addressed download cache: CACHE/KIND/sha256/<hex>.  A file is
 * only ever renamed into place after its size and sha256 matched what the
 * signed index (or the lock) says, and it is hashed again on every use, so a
 * damaged cache is a refetch, never a wrong image.  The same holds for what
 * is put in it decompressed (pyoci_fetch_cache_put: the plain Packages index,
 * by the hash the signed Release lists for it). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/fs.h"
#include "lib/util/http.h"
#include "lib/util/log.h"
#include "asm_int.h"

int pyoci_file_sha256(const char *path, char hex[PYOCI_DIGEST_HEX_LEN + 1], pyoci_error_t **err)
{
  cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return pyoci_error_set(err, errno, "open '%s'", path);
  pyoci_sha256_t *h = pyoci_sha256_new();
  cleanup_free char *buf = xmalloc(1u << 20);
  for (;;) {
    ssize_t r = read(fd, buf, 1u << 20);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0) {
      pyoci_sha256_free(h);
      return pyoci_error_set(err, errno, "read '%s'", path);
    }
    if (r == 0)
      break;
    pyoci_sha256_update(h, buf, (size_t)r);
  }
  char d[PYOCI_DIGEST_LEN];
  pyoci_sha256_final(h, d);
  memcpy(hex, d + 7, PYOCI_DIGEST_HEX_LEN + 1);
  return 0;
}

static bool hex_ok(const char *s)
{
  if (s == NULL || strlen(s) != PYOCI_DIGEST_HEX_LEN)
    return false;
  for (const char *p = s; *p; p++)
    if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
      return false;
  return true;
}

/* A cached file that is there with the right hash. */
static bool cached_ok(const char *path, const pyoci_fetch_t *it)
{
  struct stat st;
  if (stat(path, &st) < 0 || (it->size && (uint64_t)st.st_size != it->size))
    return false;
  char hex[PYOCI_DIGEST_HEX_LEN + 1];
  pyoci_error_t *e = NULL;
  if (pyoci_file_sha256(path, hex, &e) < 0) {
    pyoci_error_free(e);
    return false;
  }
  if (strcmp(hex, it->sha256) != 0) {
    pyoci_log(PYOCI_LOG_WARN, "cache: '%s' does not match its name; fetching it again", path);
    return false;
  }
  return true;
}

char *pyoci_fetch_cache_lookup(const char *cache_dir, const char *kind, const char *sha256, uint64_t size)
{
  if (!hex_ok(sha256))
    return NULL;
  char *path = xasprintf("%s/%s/sha256/%s", cache_dir, kind, sha256);
  pyoci_fetch_t it = {.url = path, .sha256 = sha256, .size = size};
  if (cached_ok(path, &it))
    return path;
  free(path);
  return NULL;
}

int pyoci_fetch_cache_put(const char *cache_dir, const char *kind, const char *sha256, const void *buf, size_t len,
                    pyoci_error_t **err)
{
  char d[PYOCI_DIGEST_LEN];
  pyoci_sha256_buf(buf, len, d);
  if (!hex_ok(sha256) || strcmp(d + 7, sha256) != 0)
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "cache: content is %s, not %s", d, sha256);
  cleanup_free char *dir = xasprintf("%s/%s/sha256", cache_dir, kind), *tmpdir = xasprintf("%s/%s/tmp", cache_dir, kind);
  cleanup_free char *tmp = xasprintf("%s/XXXXXX", tmpdir), *path = xasprintf("%s/%s", dir, sha256);
  if (pyoci_mkdir_p(dir, 0755, err) < 0 || pyoci_mkdir_p(tmpdir, 0755, err) < 0)
    return pyoci_error_prefix(err, "cache");
  cleanup_close int fd = mkostemp(tmp, O_CLOEXEC);
  if (fd < 0)
    return pyoci_error_set(err, errno, "create a file in '%s'", tmpdir);
  /* No fsync: a file cut short by a crash fails its hash on the next
   * lookup and is made again. */
  if (pyoci_write_all(fd, buf, len, tmp, err) < 0 || fchmod(fd, 0644) < 0 || rename(tmp, path) < 0) {
    int e = errno;
    unlink(tmp);
    return *err ? -1 : pyoci_error_set(err, e, "cache: '%s'", path);
  }
  return 0;
}

static int check_download(const char *tmp, const pyoci_fetch_t *it, pyoci_error_t **err)
{
  struct stat st;
  if (stat(tmp, &st) < 0)
    return pyoci_error_set(err, errno, "stat '%s'", tmp);
  if (it->size && (uint64_t)st.st_size != it->size)
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "'%s': %lld bytes, the index says %llu", it->url,
                                (long long)st.st_size, (unsigned long long)it->size);
  char hex[PYOCI_DIGEST_HEX_LEN + 1];
  if (pyoci_file_sha256(tmp, hex, err) < 0)
    return -1;
  if (strcmp(hex, it->sha256) != 0)
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "'%s': sha256 mismatch: got %s, expected %s", it->url, hex,
                                it->sha256);
  if (rename(tmp, it->path) < 0)
    return pyoci_error_set(err, errno, "rename '%s'", it->path);
  return 0;
}

typedef struct {
  pyoci_http_job_t *jobs;
  size_t *which;
  char **tmps;
  size_t n;
} pending_t;

static void pending_release(pending_t *p)
{
  for (size_t i = 0; i < p->n; i++) {
    if (p->jobs[i].fd >= 0)
      close(p->jobs[i].fd);
    if (p->tmps[i]) {
      unlink(p->tmps[i]);
      free(p->tmps[i]);
    }
  }
  free(p->jobs);
  free(p->which);
  free(p->tmps);
}

static int add_pending(pending_t *p, const char *tmpdir, pyoci_fetch_t *it, size_t i, pyoci_error_t **err)
{
  char *tmp = NULL;
  tmp = xasprintf("%s/XXXXXX", tmpdir);
  int fd = mkostemp(tmp, O_CLOEXEC);
  if (fd < 0) {
    free(tmp);
    return pyoci_error_set(err, errno, "create a file in '%s'", tmpdir);
  }
  p->jobs[p->n] = (pyoci_http_job_t){it->url, fd};
  p->which[p->n] = i;
  p->tmps[p->n] = tmp;
  p->n++;
  return 0;
}

int pyoci_fetch_all(const char *cache_dir, const char *kind, pyoci_fetch_t *items, size_t n, int jobs,
                    pyoci_error_t **err)
{
  cleanup_free char *dir = xasprintf("%s/%s/sha256", cache_dir, kind);
  cleanup_free char *tmpdir = xasprintf("%s/%s/tmp", cache_dir, kind);
  if (pyoci_mkdir_p(dir, 0755, err) < 0 || pyoci_mkdir_p(tmpdir, 0755, err) < 0)
    return pyoci_error_prefix(err, "cache");
  pending_t p = {xcalloc(n + 1, sizeof(*p.jobs)), xcalloc(n + 1, sizeof(size_t)), xcalloc(n + 1, sizeof(char *)), 0};
  int rc = -1;
  for (size_t i = 0; i < n; i++) {
    if (!hex_ok(items[i].sha256)) {
      pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "'%s': no valid sha256 to check it by", items[i].url);
      goto out;
    }
    free(items[i].path);
    items[i].path = xasprintf("%s/%s", dir, items[i].sha256);
    if (!cached_ok(items[i].path, &items[i]) && add_pending(&p, tmpdir, &items[i], i, err) < 0)
      goto out;
  }
  pyoci_http_opts_t ho = {.max_bytes = ASM_MAX_DEB, .allow_http = true, .label = "fetching"};
  size_t failed = 0;
  if (pyoci_http_download_many(p.jobs, p.n, jobs, &ho, &failed, err) < 0)
    goto out;
  for (size_t k = 0; k < p.n; k++)
    if (check_download(p.tmps[k], &items[p.which[k]], err) < 0)
      goto out;
  rc = 0;
out:
  pending_release(&p);
  return rc;
}
