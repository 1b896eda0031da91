/* Finding the wheel for a pinned requirement: a local wheelhouse
 * (pip --find-links DIR) first, then a PEP 503 simple index
 * (INDEX/NAME/ lists files as <a href="URL#sha256=HEX">FILE</a>).
 * As pip in hash-checking mode: a link whose #sha256= is not one of the
 * requirement's hashes is passed over, and the download is checked against
 * the hash.  Links are resolved as RFC 3986 says (relative, rooted,
 * scheme-relative) and may leave the index's host only over https. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/fs.h"
#include "lib/util/http.h"
#include "lib/util/strbuf.h"
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
  cleanup_free char *dist = xstrndup(file, (size_t)(d1 - file));
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

/* The first reason a candidate was refused, kept for the final message. */
static void why_not(pyoci_error_t **why, pyoci_error_t *e)
{
  if (*why == NULL)
    *why = e;
  else
    pyoci_error_free(e);
}

static int from_dir(const pyoci_req_t *r, const char *dir, const pyoci_pyenv_t *env, pyoci_wheel_found_t *out,
                    pyoci_error_t **why, pyoci_error_t **err)
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
        why_not(why, e);
      } else {
        char *path = pyoci_path_join(dir, f);
        char hex[PYOCI_DIGEST_HEX_LEN + 1];
        rc = pyoci_file_sha256(path, hex, err);
        if (rc == 0)
          rc = accept(r, path, hex, err);
        if (rc == 0) {
          out->path = path;
          out->filename = xstrdup(f);
          out->sha256 = xstrdup(hex);
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

/* HTML character references in an attribute value (&amp; &#43; &#x2B; ...),
 * and %XX in a file name: what pip undoes before it reads a link. */
static char *unescape(const char *s, size_t n, bool html)
{
  strbuf_t sb = STRBUF_INIT;
  static const struct { const char *ent; char c; } named[] = {
      {"amp;", '&'}, {"lt;", '<'}, {"gt;", '>'}, {"quot;", '"'}, {"apos;", '\''}};
  for (size_t i = 0; i < n; i++) {
    unsigned v;
    int used = 0;
    if (html && s[i] == '&' && (sscanf(s + i, "&#x%4x;%n", &v, &used) == 1 || sscanf(s + i, "&#%5u;%n", &v, &used) == 1) &&
        used > 0 && (size_t)used <= n - i && v > 0 && v < 128) {
      strbuf_addch(&sb, (char)v);
      i += (size_t)used - 1;
      continue;
    }
    bool done = false;
    for (size_t k = 0; html && s[i] == '&' && !done && k < sizeof(named) / sizeof(named[0]); k++) {
      size_t el = strlen(named[k].ent);
      if (n - i - 1 >= el && strncmp(s + i + 1, named[k].ent, el) == 0) {
        strbuf_addch(&sb, named[k].c);
        i += el;
        done = true;
      }
    }
    if (!done && !html && s[i] == '%' && n - i >= 3 && sscanf(s + i + 1, "%2x", &v) == 1 && v > 0) {
      strbuf_addch(&sb, (char)v);
      i += 2;
      done = true;
    }
    if (!done)
      strbuf_addch(&sb, s[i]);
  }
  return strbuf_detach(&sb);
}

void pyoci_pep503_link_release(pyoci_pep503_link_t *l)
{
  free(l->url);
  free(l->file);
  free(l->sha256);
  memset(l, 0, sizeof(*l));
}

int pyoci_pep503_next_link(const char **pos, const char *page_url, pyoci_pep503_link_t *l)
{
  for (const char *a = strstr(*pos, "href="); a; a = strstr(a + 5, "href=")) {
    char q = a[5];
    const char *start = a + 6, *end = (q == '"' || q == '\'') ? strchr(start, q) : NULL;
    if (end == NULL || end - start > 4096)
      continue;
    *pos = end + 1;
    cleanup_free char *href = unescape(start, (size_t)(end - start), true);
    char *frag = strchr(href, '#');
    if (frag)
      *frag++ = '\0';
    size_t plen = strcspn(href, "?");
    const char *slash = memrchr(href, '/', plen);
    const char *name = slash ? slash + 1 : href;
    memset(l, 0, sizeof(*l));
    l->file = unescape(name, plen - (size_t)(name - href), false);
    if (frag && strncmp(frag, "sha256=", 7) == 0) {
      l->sha256 = xstrdup(frag + 7);
      for (char *c = l->sha256; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    }
    pyoci_error_t *e = NULL;
    l->url = pyoci_url_resolve(page_url, href, &e); /* NULL: link_fits says why, if it is ours */
    pyoci_error_free(e);
    return 1;
  }
  return 0;
}

/* Links may leave the index's host only over https (PyPI's pages point at
 * files.pythonhosted.org); a page read over plain http must not send us to
 * another host, nor may any page downgrade a download to http. */
static int link_allowed(const char *page_url, const pyoci_pep503_link_t *l, pyoci_error_t **err)
{
  if (pyoci_url_same_origin(page_url, l->url))
    return 0;
  cleanup_free char *scheme = pyoci_url_scheme(l->url);
  if (scheme && strcmp(scheme, "https") == 0)
    return 0;
  return pyoci_error_set_code(err, PYOCI_E_INVALID, 0,
                              "index page '%s' links '%s' to another host over %s; only https links may leave the "
                              "index's host", page_url, l->file, scheme ? scheme : "an unknown scheme");
}

/* Is this link the requirement's wheel, fit for the image, with a hash the
 * requirements file allows?  1 yes, 0 no (the reason kept in *why). */
static int link_fits(const pyoci_req_t *r, const char *page_url, const pyoci_pep503_link_t *l, const pyoci_pyenv_t *env,
                     pyoci_error_t **why)
{
  if (strchr(l->file, '/') != NULL || !names_req(l->file, r))
    return 0;
  pyoci_error_t *e = NULL;
  if (l->url == NULL) {
    pyoci_error_set_code(&e, PYOCI_E_CORRUPT, 0, "index page '%s' links '%s' by a URL that does not parse",
                         page_url, l->file);
    why_not(why, e);
    return 0;
  }
  if (pyoci_wheel_tags_check(l->file, env, &e) < 0 || link_allowed(page_url, l, &e) < 0) {
    why_not(why, e);
    return 0;
  }
  if (l->sha256 && !pyoci_asm_strv_has(r->hashes, l->sha256)) {
    pyoci_error_set_code(&e, PYOCI_E_CORRUPT, 0,
                         "the index lists '%s' with sha256 %s, not one of the hashes the requirements file allows",
                         l->file, l->sha256);
    why_not(why, e);
    return 0;
  }
  return 1;
}

/* Download l into the cache, checked against its own sha256 when the page
 * gives one (already one of the allowed), else against each allowed hash. */
static int fetch_link(const pyoci_req_t *r, const pyoci_pep503_link_t *l, const char *cache, pyoci_wheel_found_t *out,
                      pyoci_error_t **err)
{
  char *one[] = {l->sha256, NULL};
  char *const *hashes = l->sha256 ? one : r->hashes;
  pyoci_fetch_t item = {.url = l->url};
  int rc = -1;
  for (char *const *h = hashes; *h && rc < 0; h++) {
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
  out->filename = xstrdup(l->file);
  out->sha256 = xstrdup(item.sha256);
  out->url = xstrdup(l->url);
  return 0;
}

static int from_index(const pyoci_req_t *r, const char *index, const pyoci_pyenv_t *env, const char *cache,
                      pyoci_wheel_found_t *out, pyoci_error_t **why, pyoci_error_t **err)
{
  cleanup_free char *page_url = NULL, *html = NULL;
  size_t ilen = strlen(index);
  page_url = xasprintf("%s%s%s/", index, ilen && index[ilen - 1] == '/' ? "" : "/", r->name);
  cleanup_close int fd = memfd_create("simple-index", MFD_CLOEXEC);
  pyoci_http_opts_t ho = {.max_bytes = ASM_MAX_INDEX_PAGE, .allow_http = true, .label = "index"};
  size_t len;
  if (fd < 0)
    return pyoci_error_set(err, errno, "memfd_create");
  if (pyoci_http_download(page_url, fd, &ho, NULL, err) < 0)
    return pyoci_error_prefix(err, "%s==%s: project page on the index", r->name, r->version);
  if (lseek(fd, 0, SEEK_SET) < 0 || pyoci_read_fd(fd, page_url, ASM_MAX_INDEX_PAGE, &html, &len, err) < 0)
    return -1;
  if (memchr(html, '\0', len) != NULL)
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "index page '%s': a NUL byte in the HTML", page_url);
  const char *pos = html;
  pyoci_pep503_link_t l = {0};
  int rc;
  while ((rc = pyoci_pep503_next_link(&pos, page_url, &l)) > 0) {
    rc = link_fits(r, page_url, &l, env, why) ? fetch_link(r, &l, cache, out, err) : 0;
    pyoci_pep503_link_release(&l);
    if (rc < 0 || out->path != NULL)
      break;
  }
  return rc < 0 ? -1 : 0;
}

int pyoci_wheel_find(const pyoci_req_t *r, char *const *find_links, const char *index_url, const pyoci_pyenv_t *env,
                     const char *cache_dir, pyoci_wheel_found_t *out, pyoci_error_t **err)
{
  memset(out, 0, sizeof(*out));
  cleanup_error pyoci_error_t *why = NULL;
  for (char *const *d = find_links; d && *d && out->path == NULL; d++)
    if (from_dir(r, *d, env, out, &why, err) < 0)
      return -1;
  if (out->path == NULL && index_url != NULL && from_index(r, index_url, env, cache_dir, out, &why, err) < 0)
    return -1;
  if (out->path != NULL)
    return 0;
  if (why != NULL) /* there is a wheel, but not one this image can run or trust */
    return pyoci_error_set_code(err, why->code, 0, "%s==%s: %s", r->name, r->version, why->msg);
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
