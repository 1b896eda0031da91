/* ADD <url>: every source is downloaded into a staging directory the way
 * the classic builder does it (moby builder/dockerfile/copy.go): the file is
 * named after the last element of the URL's path, has mode 0600 and the
 * Last-Modified time (else the time of the download), and is never
 * extracted.  The ordinary COPY code then copies from the staging directory,
 * so destinations, --chown and --chmod behave as for local files, and the
 * content hash of the staged files keys the cache.  --checksum (BuildKit)
 * checks the download's sha256 before anything is copied. */
#include "add_url.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/fs.h"
#include "lib/util/hash.h"
#include "lib/util/http.h"
#include "lib/util/strbuf.h"
#include "copy.h"

/* No limit in Docker; one here, so a hostile server cannot fill the disk. */
#define ADD_URL_MAX_BYTES (8ull << 30)
/* moby's name for a download whose URL path names no file. */
#define UNNAMED "__unnamed__"

bool pyoci_is_url(const char *src)
{
  return strncmp(src, "http://", 7) == 0 || strncmp(src, "https://", 8) == 0;
}

static int hexval(char c)
{
  return isdigit((unsigned char)c) ? c - '0' : (tolower((unsigned char)c) - 'a' + 10);
}

char *pyoci_url_file_name(const char *url)
{
  const char *p = strstr(url, "://");
  p = p ? p + 3 : url;
  p += strcspn(p, "/?#"); /* past the host */
  size_t path_len = strcspn(p, "?#");
  const char *end = p + path_len;
  const char *base = end;
  while (base > p && base[-1] != '/')
    base--;
  strbuf_t name = STRBUF_INIT;
  for (const char *q = base; q < end; q++) {
    if (*q == '%' && q + 2 < end && isxdigit((unsigned char)q[1]) && isxdigit((unsigned char)q[2])) {
      strbuf_addch(&name, (char)(hexval(q[1]) * 16 + hexval(q[2])));
      q += 2;
    } else {
      strbuf_addch(&name, *q);
    }
  }
  char *s = strbuf_detach(&name);
  /* A decoded name must still be one plain path element. */
  if (strchr(s, '/') != NULL || strcmp(s, ".") == 0 || strcmp(s, "..") == 0 || strlen(s) > 255)
    s[0] = '\0';
  return s;
}

static int check_checksum(int fd, const char *url, const char *want, pyoci_error_t **err)
{
  if (lseek(fd, 0, SEEK_SET) < 0)
    return pyoci_error_set(err, errno, "ADD %s", url);
  pyoci_sha256_t *h = pyoci_sha256_new();
  char buf[65536];
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0)
    pyoci_sha256_update(h, buf, (size_t)n);
  char got[PYOCI_DIGEST_LEN];
  pyoci_sha256_final(h, got);
  if (n < 0)
    return pyoci_error_set(err, errno, "ADD %s: read the download", url);
  if (strcmp(got, want) != 0)
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "ADD %s: digest mismatch %s: %s", url, got, want);
  return 0;
}

static int fetch_one(int dirfd, const char *url, const char *name, const char *checksum, pyoci_error_t **err)
{
  cleanup_close int fd = openat(dirfd, name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    return pyoci_error_set(err, errno, "ADD %s: create '%s'", url, name);
  pyoci_http_opts_t o = {.max_bytes = ADD_URL_MAX_BYTES, .allow_http = true};
  pyoci_http_info_t info;
  if (pyoci_http_download(url, fd, &o, &info, err) < 0)
    return -1;
  if (checksum && check_checksum(fd, url, checksum, err) < 0)
    return -1;
  time_t mtime = info.last_modified >= 0 ? info.last_modified : time(NULL);
  struct timespec ts[2] = {{.tv_sec = mtime}, {.tv_sec = mtime}};
  if (fchmod(fd, 0600) < 0 || futimens(fd, ts) < 0)
    return pyoci_error_set(err, errno, "ADD %s: set the file's mode and time", url);
  return 0;
}

static int valid_checksum(const char *checksum, pyoci_error_t **err)
{
  if (strncmp(checksum, "sha256:", 7) != 0)
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "unsupported digest algorithm in --checksum=%s (only sha256)",
                                checksum);
  if (!pyoci_digest_valid(checksum))
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "invalid --checksum=%s: want sha256:<64 hex digits>",
                                checksum);
  return 0;
}

int pyoci_add_urls_stage(pyoci_store_t *s, char *const *urls, size_t n, const char *dest, const char *checksum,
                         pyoci_url_stage_t *out, pyoci_error_t **err)
{
  memset(out, 0, sizeof(*out));
  if (checksum && valid_checksum(checksum, err) < 0)
    return -1;
  if (checksum && n != 1)
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "--checksum needs exactly one URL source");
  if (pyoci_store_mkdtemp(s, "add-url-", &out->dir, err) < 0)
    return -1;
  cleanup_close int dirfd = open(out->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0)
    return pyoci_error_set(err, errno, "open '%s'", out->dir);
  out->names = xcalloc(n + 1, sizeof(char *));
  for (size_t i = 0; i < n; i++) {
    char *name = pyoci_url_file_name(urls[i]);
    if (*name == '\0') {
      free(name);
      if (n > 1 || pyoci_copy_dest_names_dir(dest))
        return pyoci_error_set_code(err, PYOCI_E_INVALID, 0,
                                    "ADD %s: cannot determine a file name from the URL; give the destination "
                                    "as a file path",
                                    urls[i]);
      name = xstrdup(UNNAMED);
    }
    out->names[out->n++] = name;
    for (size_t k = 0; k + 1 < out->n; k++)
      if (strcmp(out->names[k], name) == 0)
        return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "ADD: two URLs download to the same name '%s'", name);
    if (fetch_one(dirfd, urls[i], name, checksum, err) < 0)
      return -1;
  }
  return 0;
}

void pyoci_url_stage_release(pyoci_url_stage_t *st)
{
  if (st->dir) {
    pyoci_error_t *ignored = NULL;
    pyoci_rm_rf(st->dir, &ignored);
    pyoci_error_free(ignored);
  }
  for (size_t i = 0; i < st->n; i++)
    free(st->names[i]);
  free(st->names);
  free(st->dir);
  memset(st, 0, sizeof(*st));
}
