/* Finding the wheel for a pinned requirement: a local wheelhouse
 * (pip --find-links DIR) first, then a PEP 503 simple index
 * (INDEX/NAME/ lists files as <a href="URL#sha256=HEX">FILE</a>). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/util/cleanup.h"
#include "lib/util/fs.h"
#include "lib/util/http.h"
#include "asm_int.h"

/* Does FILE name this requirement's distribution and version? */
static bool names_req(const char *file, const pyoci_req_t *r)
{
  size_t n = strlen(file);
  if (n < 5 || strcmp(file + n - 4, ".whl") != 0)
    return false;
  const char *d1 = strchr(file, '-');
  const char *d2 = d1 ? strchr(d1 + 1, '-') : NULL;
  if (d2 == NULL)
    return false;
  cleanup_free char *dist = strndup(file, (size_t)(d1 - file));
  cleanup_free char *norm = pyoci_pep503_name(dist);
  size_t vl = strlen(r->version);
  return strcmp(norm, r->name) == 0 && (size_t)(d2 - d1 - 1) == vl && strncmp(d1 + 1, r->version, vl) == 0;
}

static int accept(const pyoci_req_t *r, const char *file, const char *hex, pyoci_error_t **err)
{
  if (!pyoci_asm_strv_has(r->hashes, hex))
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0,
                                "'%s': sha256 %s is not one of the hashes the requirements file allows for %s==%s",
                                file, hex, r->name, r->version);
  return 0;
}

static int from_dir(const pyoci_req_t *r, const char *dir, const pyoci_pyenv_t *env, pyoci_wheel_found_t *out,
                    pyoci_error_t **tag_err, pyoci_error_t **err)
{
  struct dirent **names = NULL;
  int n = scandir(dir, &names, NULL, alphasort);
  if (n < 0)
    return pyoci_error_set(err, errno, "find-links '%s'", dir);
  int rc = 0;
  for (int i = 0; i < n; i++) {
    const char *f = names[i]->d_name;
    if (rc == 0 && out->path == NULL && names_req(f, r)) {
      pyoci_error_t *e = NULL;
      if (pyoci_wheel_tags_check(f, env, &e) < 0) {
        if (*tag_err == NULL)
          *tag_err = e;
        else
          pyoci_error_free(e);
      } else {
        char *path = pyoci_path_join(dir, f);
        char hex[PYOCI_DIGEST_HEX_LEN + 1];
        rc = pyoci_file_sha256(path, hex, err);
        if (rc == 0)
          rc = accept(r, path, hex, err);
        if (rc == 0) {
          out->path = path;
          out->filename = strdup(f);
          out->sha256 = strdup(hex);
        } else {
          free(path);
        }
      }
    }
    free(names[i]);
  }
  free(names);
  return rc;
}

/* The first anchor in a simple-index page naming a fitting wheel. */
static int from_page(const pyoci_req_t *r, const char *page_url, const char *html, const pyoci_pyenv_t *env,
                     char **url, char **file, pyoci_error_t **tag_err)
{
  for (const char *a = strstr(html, "href=\""); a; a = strstr(a + 1, "href=\"")) {
    const char *start = a + 6, *end = strchr(start, '"');
    if (end == NULL || end - start > 4096)
      break;
    cleanup_free char *href = strndup(start, (size_t)(end - start));
    char *frag = strchr(href, '#');
    if (frag)
      *frag = '\0';
    const char *slash = strrchr(href, '/');
    const char *name = slash ? slash + 1 : href;
    if (!names_req(name, r))
      continue;
    pyoci_error_t *e = NULL;
    if (pyoci_wheel_tags_check(name, env, &e) < 0) {
      if (*tag_err == NULL)
        *tag_err = e;
      else
        pyoci_error_free(e);
      continue;
    }
    if (strstr(href, "://"))
      *url = strdup(href);
    else if (href[0] == '/') {
      const char *host_end = strchr(strstr(page_url, "://") + 3, '/');
      if (asprintf(url, "%.*s%s", (int)(host_end ? host_end - page_url : (long)strlen(page_url)), page_url, href) < 0)
        abort();
    } else if (asprintf(url, "%s%s", page_url, href) < 0)
      abort();
    *file = strdup(name);
    return 1;
  }
  return 0;
}

static int from_index(const pyoci_req_t *r, const char *index, const pyoci_pyenv_t *env, const char *cache,
                      pyoci_wheel_found_t *out, pyoci_error_t **tag_err, pyoci_error_t **err)
{
  cleanup_free char *page_url = NULL, *html = NULL, *url = NULL, *file = NULL;
  size_t ilen = strlen(index);
  if (asprintf(&page_url, "%s%s%s/", index, ilen && index[ilen - 1] == '/' ? "" : "/", r->name) < 0)
    abort();
  cleanup_close int fd = memfd_create("simple-index", MFD_CLOEXEC);
  pyoci_http_opts_t ho = {.max_bytes = 16u << 20, .allow_http = true, .label = "index"};
  size_t len;
  if (fd < 0 || pyoci_http_download(page_url, fd, &ho, NULL, err) < 0 || lseek(fd, 0, SEEK_SET) < 0 ||
      pyoci_read_fd(fd, page_url, 16u << 20, &html, &len, err) < 0)
    return -1;
  if (from_page(r, page_url, html, env, &url, &file, tag_err) == 0)
    return 0;
  /* The requirement's hash is the one the download must have. */
  pyoci_fetch_t item = {.url = url, .sha256 = r->hashes[0]};
  int rc = -1;
  for (char **h = r->hashes; *h && rc < 0; h++) {
    item.sha256 = *h;
    pyoci_error_t *e = NULL;
    rc = pyoci_fetch_all(cache, "wheels", &item, 1, 1, h[1] ? &e : err);
    pyoci_error_free(e);
  }
  if (rc < 0) {
    free(item.path);
    return -1;
  }
  out->path = item.path;
  out->filename = steal_pointer(&file);
  out->sha256 = strdup(item.sha256);
  out->url = steal_pointer(&url);
  return 0;
}

int pyoci_wheel_find(const pyoci_req_t *r, char *const *find_links, const char *index_url, const pyoci_pyenv_t *env,
                     const char *cache_dir, pyoci_wheel_found_t *out, pyoci_error_t **err)
{
  memset(out, 0, sizeof(*out));
  cleanup_error pyoci_error_t *tag_err = NULL;
  for (char *const *d = find_links; d && *d && out->path == NULL; d++)
    if (from_dir(r, *d, env, out, &tag_err, err) < 0)
      return -1;
  if (out->path == NULL && index_url != NULL && from_index(r, index_url, env, cache_dir, out, &tag_err, err) < 0)
    return -1;
  if (out->path != NULL)
    return 0;
  if (tag_err != NULL) /* there is a wheel, but not one this image can run */
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "%s==%s: %s", r->name, r->version, tag_err->msg);
  return pyoci_error_set_code(err, PYOCI_E_NOT_FOUND, 0, "%s==%s: no wheel in the find-links directories%s", r->name,
                              r->version, index_url ? " or on the index" : "");
}

void pyoci_wheel_found_release(pyoci_wheel_found_t *f)
{
  free(f->path);
  free(f->filename);
  free(f->sha256);
  free(f->url);
  memset(f, 0, sizeof(*f));
}
