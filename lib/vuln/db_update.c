/* `pyoci db update`: fetch OSV's per-ecosystem all.zip exports with libcurl
 * and import them.  Downloads go to a temporary file beside the DB; the
 * import then replaces the DB atomically (db_import.c), so an interrupted
 * update leaves the previous DB in place. */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../util/cleanup.h"
#include "../util/fs.h"
#include "../util/log.h"
#include "../util/strbuf.h"
#include "vulndb.h"

/* The largest all.zip (Debian, with every release) is a few hundred MB. */
#define DEFAULT_MAX_DOWNLOAD (4ull << 30)

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init(void)
{
  curl_global_init(CURL_GLOBAL_DEFAULT);
}

struct sink {
  int fd;
  uint64_t written, max;
  bool too_big;
  int write_errno;
  char label[256];
};

static size_t on_data(char *data, size_t size, size_t nmemb, void *user)
{
  struct sink *s = user;
  size_t n = size * nmemb;
  if (s->written + n > s->max) {
    s->too_big = true;
    return 0;
  }
  pyoci_error_t *err = NULL;
  if (pyoci_write_all(s->fd, data, n, "download", &err) < 0) {
    s->write_errno = err->errno_value ? err->errno_value : EIO;
    pyoci_error_free(err);
    return 0;
  }
  s->written += n;
  return n;
}

static int on_progress(void *user, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
  struct sink *s = user;
  pyoci_progress(s->label, (uint64_t)dlnow, (uint64_t)dltotal, 0);
  return 0;
}

int pyoci_vulndb_download(const char *url, const char *path, uint64_t max_bytes, pyoci_error_t **err)
{
  pthread_once(&curl_once, curl_init);
  struct sink s = {.max = max_bytes};
  snprintf(s.label, sizeof(s.label), "downloading %s", url);
  s.fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (s.fd < 0)
    return pyoci_error_set(err, errno, "download '%s': create '%s'", url, path);
  CURL *c = curl_easy_init();
  if (c == NULL) {
    close(s.fd);
    return pyoci_error_set(err, 0, "download '%s': cannot initialise libcurl", url);
  }
  char errbuf[CURL_ERROR_SIZE] = "";
  bool plain_http = strncmp(url, "http://", 7) == 0;
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  /* https, or plain http only when the mirror itself was given as http
   * (a loopback mirror); redirects never downgrade. */
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, plain_http ? "http,https" : "https");
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, plain_http ? "http,https" : "https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
  curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L); /* bytes/s ... */
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);    /* ... for this long aborts */
  curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)max_bytes);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "pyoci");
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, &s);
  CURLcode rc = curl_easy_perform(c);
  pyoci_progress(s.label, s.written, 0, 1);
  curl_easy_cleanup(c);
  int ret = 0;
  if (s.too_big || rc == CURLE_FILESIZE_EXCEEDED)
    ret = pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "download '%s': larger than the limit of %llu bytes", url,
                               (unsigned long long)max_bytes);
  else if (s.write_errno)
    ret = pyoci_error_set(err, s.write_errno, "download '%s': write '%s'", url, path);
  else if (rc != CURLE_OK)
    ret = pyoci_error_set(err, 0, "download '%s': %s", url, errbuf[0] ? errbuf : curl_easy_strerror(rc));
  if (ret == 0 && fsync(s.fd) < 0)
    ret = pyoci_error_set(err, errno, "download '%s': fsync '%s'", url, path);
  close(s.fd);
  return ret;
}

/* Ecosystem names go into a URL path: letters, digits and ":._- " only. */
static int ecosystem_url_part(const char *eco, strbuf_t *out, pyoci_error_t **err)
{
  if (eco[0] == '\0' || strlen(eco) > 100)
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "bad ecosystem name '%s'", eco);
  for (const char *p = eco; *p; p++) {
    char ch = *p;
    if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || strchr(":._-", ch))
      strbuf_addch(out, ch);
    else if (ch == ' ')
      strbuf_addstr(out, "%20");
    else
      return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "bad ecosystem name '%s'", eco);
  }
  return 0;
}

int pyoci_vulndb_update(const char *db_path, const char *const *ecosystems, size_t n_ecosystems,
                        const char *mirror, pyoci_vulndb_import_stats_t *stats, pyoci_error_t **err)
{
  if (mirror == NULL)
    mirror = getenv("PYOCI_OSV_MIRROR");
  if (mirror == NULL || mirror[0] == '\0')
    mirror = PYOCI_OSV_DEFAULT_MIRROR;
  uint64_t max = DEFAULT_MAX_DOWNLOAD;
  const char *max_env = getenv("PYOCI_OSV_MAX_DOWNLOAD");
  if (max_env != NULL && *max_env)
    max = strtoull(max_env, NULL, 10);

  cleanup_free char *dir = strdup(db_path);
  if (dir == NULL)
    abort();
  char *slash = strrchr(dir, '/');
  if (slash == NULL)
    strcpy(dir, ".");
  else if (slash == dir)
    dir[1] = '\0';
  else
    *slash = '\0';
  if (pyoci_mkdir_p(dir, 0755, err) < 0)
    return -1;

  char **files = calloc(n_ecosystems + 1, sizeof(char *));
  char **urls = calloc(n_ecosystems + 1, sizeof(char *));
  if (files == NULL || urls == NULL)
    abort();
  cleanup_strbuf strbuf_t label = STRBUF_INIT;
  int ret = -1;
  size_t got = 0;
  for (size_t i = 0; i < n_ecosystems; i++) {
    cleanup_strbuf strbuf_t url = STRBUF_INIT;
    strbuf_addstr(&url, mirror);
    if (url.len > 0 && url.buf[url.len - 1] == '/')
      url.buf[--url.len] = '\0';
    strbuf_addch(&url, '/');
    if (ecosystem_url_part(ecosystems[i], &url, err) < 0)
      goto out;
    strbuf_addstr(&url, "/all.zip");
    if (asprintf(&files[i], "%s/.osv-%zu.zip.tmp.%ld", dir, i, (long)getpid()) < 0)
      abort();
    got = i + 1;
    pyoci_log(PYOCI_LOG_INFO, "downloading %s", strbuf_str(&url));
    if (pyoci_vulndb_download(strbuf_str(&url), files[i], max, err) < 0)
      goto out;
    strbuf_addf(&label, "%s%s", i ? " " : "", strbuf_str(&url));
    urls[i] = strbuf_detach(&url);
  }
  ret = pyoci_vulndb_import(db_path, (const char *const *)files, (const char *const *)urls, n_ecosystems, true,
                            strbuf_str(&label), stats, err);
out:
  for (size_t i = 0; i < got; i++) {
    unlink(files[i]);
    free(files[i]);
    free(urls[i]);
  }
  free(files);
  free(urls);
  return ret;
}
