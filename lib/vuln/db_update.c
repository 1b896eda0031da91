/* `pyoci db update`: fetch OSV's per-ecosystem all.zip exports with libcurl
 * and import them.  Downloads go to a temporary file beside the DB; the
 * import then replaces the DB atomically (db_import.c), so an interrupted
 * update leaves the previous DB in place. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/fs.h"
#include "lib/util/http.h"
#include "lib/util/log.h"
#include "lib/util/strbuf.h"
#include "vulndb.h"

/* The largest all.zip (Debian, with every release) is a few hundred MB. */
#define DEFAULT_MAX_DOWNLOAD (4ull << 30)

int pyoci_vulndb_download(const char *url, const char *path, uint64_t max_bytes, pyoci_error_t **err)
{
  cleanup_close int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return pyoci_error_set(err, errno, "download '%s': create '%s'", url, path);
  cleanup_free char *label = NULL;
  label = xasprintf("downloading %s", url);
  /* https, or plain http only when the mirror itself was given as http
   * (a loopback mirror); redirects never downgrade. */
  pyoci_http_opts_t o = {.max_bytes = max_bytes, .allow_http = strncmp(url, "http://", 7) == 0, .label = label};
  if (pyoci_http_download(url, fd, &o, NULL, err) < 0)
    return -1;
  if (fsync(fd) < 0)
    return pyoci_error_set(err, errno, "download '%s': fsync '%s'", url, path);
  return 0;
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
                        const char *mirror, uint64_t max_download, pyoci_vulndb_import_stats_t *stats,
                        pyoci_error_t **err)
{
  if (mirror == NULL || mirror[0] == '\0')
    mirror = PYOCI_OSV_DEFAULT_MIRROR;
  uint64_t max = max_download > 0 ? max_download : DEFAULT_MAX_DOWNLOAD;

  cleanup_free char *dir = xstrdup(db_path);
  char *slash = strrchr(dir, '/');
  if (slash == NULL)
    strcpy(dir, ".");
  else if (slash == dir)
    dir[1] = '\0';
  else
    *slash = '\0';
  if (pyoci_mkdir_p(dir, 0755, err) < 0)
    return -1;

  char **files = xcalloc(n_ecosystems + 1, sizeof(char *));
  char **urls = xcalloc(n_ecosystems + 1, sizeof(char *));
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
    files[i] = xasprintf("%s/.osv-%zu.zip.tmp.%ld", dir, i, (long)getpid());
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
