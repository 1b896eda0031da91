/* Python project files for `pyoci scan --fs`: what a project pins before
 * it is built into an image.
 *
 *   requirements*.txt  "name==version" lines (also "===", extras, markers,
 *                      hashes); "-r FILE" / "--requirement FILE" includes,
 *                      read through a callback (the caller resolves them
 *                      inside the scanned root); unpinned lines are skipped
 *   poetry.lock        TOML [[package]] tables: name, version
 *   uv.lock            the same; the project itself (source editable or
 *                      virtual) is not a dependency and is skipped
 *   Pipfile.lock       JSON "default" section: {"name": {"version": "==X"}}
 *
 * Only what these formats need is read, line by line, with limits: a file
 * is at most PYOCI_LOCKFILE_MAX_FILE bytes, a line PYOCI_PKG_MAX_LINE, includes
 * nest PYOCI_LOCKFILE_MAX_DEPTH deep and PYOCI_LOCKFILE_MAX_FILES files in all.  A
 * malformed file is an error naming the file and line. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/fs.h"
#include "lib/util/json.h"
#include "lib/util/path.h"
#include "catalog.h"
#include "pkg_int.h"

static const char *base_name(const char *path)
{
  const char *s = strrchr(path, '/');
  return s ? s + 1 : path;
}

pyoci_lockfile_kind_t pyoci_lockfile_probe(const char *path)
{
  const char *b = base_name(path);
  size_t n = strlen(b);
  if (strcmp(b, "poetry.lock") == 0)
    return PYOCI_LOCKFILE_POETRY;
  if (strcmp(b, "uv.lock") == 0)
    return PYOCI_LOCKFILE_UV;
  if (strcmp(b, "Pipfile.lock") == 0)
    return PYOCI_LOCKFILE_PIPFILE;
  if (strncmp(b, "requirements", 12) == 0 && n > 4 && strcmp(b + n - 4, ".txt") == 0)
    return PYOCI_LOCKFILE_REQUIREMENTS;
  return PYOCI_LOCKFILE_NONE;
}

static int add_pin(const char *path, size_t line, const char *name, size_t nlen, const char *ver, size_t vlen,
                   pyoci_pkg_add_fn add, void *ctx, pyoci_error_t **err)
{
  if (nlen == 0 || vlen == 0 || nlen > 256 || vlen > 256)
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "%s:%zu: bad package name or version", path, line);
  pyoci_pkg_t p = {.type = PYOCI_PKG_PYTHON, .layer_index = -1};
  p.name = xstrndup(name, nlen);
  p.version = xstrndup(ver, vlen);
  return add(ctx, &p, err);
}

/* Next line of [*pos, len): returns its start and length (no '\n'), or
 * NULL at the end; a line over the limit is an error. */
static const char *next_line(const char *buf, size_t len, size_t *pos, size_t *llen, size_t *lineno, const char *path,
                             pyoci_error_t **err)
{
  if (*pos >= len)
    return NULL;
  const char *s = buf + *pos, *nl = memchr(s, '\n', len - *pos);
  *llen = nl ? (size_t)(nl - s) : len - *pos;
  *pos += *llen + (nl != NULL);
  (*lineno)++;
  if (*llen > PYOCI_PKG_MAX_LINE) {
    pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "%s:%zu: line longer than %u bytes", path, *lineno,
                         PYOCI_PKG_MAX_LINE);
    return NULL;
  }
  if (*llen > 0 && s[*llen - 1] == '\r')
    (*llen)--;
  return s;
}

static size_t trim(const char **s, size_t n)
{
  while (n > 0 && isspace((unsigned char)**s))
    (*s)++, n--;
  while (n > 0 && isspace((unsigned char)(*s)[n - 1]))
    n--;
  return n;
}

/* ---- requirements ---- */

typedef struct {
  pyoci_lockfile_include_fn include;
  void *include_ctx;
  int files;
} req_ctx_t;

static int req_parse(const char *path, const char *buf, size_t len, req_ctx_t *rc, int depth, pyoci_pkg_add_fn add,
                     void *ctx, pyoci_error_t **err);

/* "-r FILE", "--requirement FILE", "--requirement=FILE": the file, else NULL. */
static char *include_of(const char *s, size_t n)
{
  size_t skip = 0;
  if (n > 2 && memcmp(s, "-r", 2) == 0 && (s[2] == ' ' || s[2] == '\t'))
    skip = 2;
  else if (n > 14 && memcmp(s, "--requirement", 13) == 0 && (s[13] == ' ' || s[13] == '='))
    skip = 14;
  if (skip == 0)
    return NULL;
  const char *f = s + skip;
  size_t fl = trim(&f, n - skip);
  return fl ? xstrndup(f, fl) : NULL;
}

static int req_include(const char *path, size_t lineno, const char *file, req_ctx_t *rc, int depth,
                       pyoci_pkg_add_fn add, void *ctx, pyoci_error_t **err)
{
  if (depth >= PYOCI_LOCKFILE_MAX_DEPTH || ++rc->files > PYOCI_LOCKFILE_MAX_FILES)
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "%s:%zu: includes nested deeper than %d or more than %d files",
                                path, lineno, PYOCI_LOCKFILE_MAX_DEPTH, PYOCI_LOCKFILE_MAX_FILES);
  if (rc->include == NULL)
    return 0;
  char *inc_path = NULL, *buf = NULL;
  size_t len = 0;
  if (rc->include(rc->include_ctx, path, file, &inc_path, &buf, &len, err) < 0)
    return pyoci_error_prefix(err, "%s:%zu: -r %s", path, lineno, file);
  int r = req_parse(inc_path, buf, len, rc, depth + 1, add, ctx, err);
  free(inc_path);
  free(buf);
  return r < 0 ? pyoci_error_prefix(err, "%s:%zu: -r %s", path, lineno, file) : 0;
}

/* One requirement line: "name[extras] == version ; marker --hash=..." */
static int req_line(const char *path, size_t lineno, const char *s, size_t n, pyoci_pkg_add_fn add, void *ctx,
                    pyoci_error_t **err)
{
  size_t i = 0;
  while (i < n && (isalnum((unsigned char)s[i]) || s[i] == '-' || s[i] == '_' || s[i] == '.'))
    i++;
  size_t name_len = i;
  if (i < n && s[i] == '[') {
    const char *close = memchr(s + i, ']', n - i);
    if (close == NULL)
      return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "%s:%zu: unclosed extras", path, lineno);
    i = (size_t)(close - s) + 1;
  }
  while (i < n && (s[i] == ' ' || s[i] == '\t'))
    i++;
  if (name_len == 0 || i + 2 > n || memcmp(s + i, "==", 2) != 0)
    return 0; /* not pinned (">=", a URL, a path): nothing exact to match */
  i += 2;
  if (i < n && s[i] == '=')
    i++; /* "===" */
  while (i < n && (s[i] == ' ' || s[i] == '\t'))
    i++;
  size_t v = i;
  while (i < n && !isspace((unsigned char)s[i]) && s[i] != ';' && s[i] != ',' && s[i] != '\\')
    i++;
  if (i < n && s[i] == ',')
    return 0; /* "==1.0,<2": a range, not a pin */
  if (memchr(s + v, '*', i - v) != NULL)
    return 0; /* "==1.*" */
  return add_pin(path, lineno, s, name_len, s + v, i - v, add, ctx, err);
}

static int req_parse(const char *path, const char *buf, size_t len, req_ctx_t *rc, int depth, pyoci_pkg_add_fn add,
                     void *ctx, pyoci_error_t **err)
{
  size_t pos = 0, n = 0, lineno = 0;
  const char *s;
  while ((s = next_line(buf, len, &pos, &n, &lineno, path, err)) != NULL) {
    size_t start_line = lineno;
    cleanup_free char *joined = NULL;
    /* backslash continuations */
    while (n > 0 && s[n - 1] == '\\') {
      size_t m = 0;
      const char *t = next_line(buf, len, &pos, &m, &lineno, path, err);
      char *j = NULL;
      j = xasprintf("%.*s %.*s", (int)(n - 1), s, t ? (int)m : 0, t ? t : "");
      free(joined);
      joined = j;
      s = joined;
      n = strlen(joined);
      if (t == NULL)
        break;
    }
    /* comments: '#' at the start or after whitespace */
    for (size_t i = 0; i < n; i++)
      if (s[i] == '#' && (i == 0 || isspace((unsigned char)s[i - 1]))) {
        n = i;
        break;
      }
    n = trim(&s, n);
    if (n == 0)
      continue;
    cleanup_free char *inc = include_of(s, n);
    if (inc != NULL) {
      if (req_include(path, start_line, inc, rc, depth, add, ctx, err) < 0)
        return -1;
      continue;
    }
    if (s[0] == '-')
      continue; /* other options: -e, -c, --index-url, ... */
    if (req_line(path, start_line, s, n, add, ctx, err) < 0)
      return -1;
  }
  return err && *err ? -1 : 0;
}

/* ---- TOML lock files (poetry.lock, uv.lock) ---- */

/* key = "value" on one line: the value, else NULL. */
static bool toml_string(const char *s, size_t n, const char *key, const char **v, size_t *vlen)
{
  size_t k = strlen(key);
  if (n <= k || memcmp(s, key, k) != 0)
    return false;
  size_t i = k;
  while (i < n && (s[i] == ' ' || s[i] == '\t'))
    i++;
  if (i >= n || s[i] != '=')
    return false;
  i++;
  while (i < n && (s[i] == ' ' || s[i] == '\t'))
    i++;
  if (i >= n || s[i] != '"')
    return false;
  const char *end = memchr(s + i + 1, '"', n - i - 1);
  if (end == NULL)
    return false;
  *v = s + i + 1;
  *vlen = (size_t)(end - *v);
  return true;
}

typedef struct {
  const char *name, *version;
  size_t nlen, vlen, line;
  bool in_package, skip;
} toml_pkg_t;

static int toml_flush(const char *path, toml_pkg_t *t, pyoci_pkg_add_fn add, void *ctx, pyoci_error_t **err)
{
  int r = 0;
  if (t->in_package && !t->skip) {
    if (t->name == NULL || t->version == NULL)
      r = pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "%s:%zu: [[package]] without name or version", path, t->line);
    else
      r = add_pin(path, t->line, t->name, t->nlen, t->version, t->vlen, add, ctx, err);
  }
  memset(t, 0, sizeof(*t));
  return r;
}

static int toml_parse(const char *path, const char *buf, size_t len, bool uv, pyoci_pkg_add_fn add, void *ctx,
                      pyoci_error_t **err)
{
  size_t pos = 0, n = 0, lineno = 0;
  const char *s;
  toml_pkg_t t = {0};
  bool in_table = false; /* inside [[package]] itself, not a sub-table */
  while ((s = next_line(buf, len, &pos, &n, &lineno, path, err)) != NULL) {
    n = trim(&s, n);
    if (n > 0 && s[0] == '[') {
      bool pkg = n == 11 && memcmp(s, "[[package]]", 11) == 0;
      if (pkg) {
        if (toml_flush(path, &t, add, ctx, err) < 0)
          return -1;
        t.in_package = true;
        t.line = lineno;
      }
      in_table = pkg;
      continue;
    }
    if (!in_table)
      continue;
    const char *v;
    size_t vl;
    if (t.name == NULL && toml_string(s, n, "name", &v, &vl))
      t.name = v, t.nlen = vl;
    else if (t.version == NULL && toml_string(s, n, "version", &v, &vl))
      t.version = v, t.vlen = vl;
    else if (uv && n > 6 && memcmp(s, "source", 6) == 0 &&
             (memmem(s, n, "editable", 8) != NULL || memmem(s, n, "virtual", 7) != NULL))
      t.skip = true; /* the project itself */
  }
  if (err && *err)
    return -1;
  return toml_flush(path, &t, add, ctx, err);
}

/* ---- Pipfile.lock ---- */

static int pipfile_parse(const char *path, const char *buf, size_t len, pyoci_pkg_add_fn add, void *ctx,
                         pyoci_error_t **err)
{
  cleanup_json json_t *doc = pyoci_json_parse(buf, len, path, err);
  if (doc == NULL)
    return -1;
  const json_t *def = json_object_get(doc, "default");
  if (def != NULL && !json_is_object(def))
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "%s: \"default\" is not an object", path);
  const char *name;
  const json_t *e;
  json_object_foreach((json_t *)def, name, e)
  {
    const char *v = json_string_value(json_object_get(e, "version"));
    if (v == NULL || strncmp(v, "==", 2) != 0)
      continue; /* a path or VCS dependency: nothing to match */
    v += 2 + (v[2] == '=');
    if (add_pin(path, 0, name, strlen(name), v, strlen(v), add, ctx, err) < 0)
      return -1;
  }
  return 0;
}

int pyoci_lockfile_parse(pyoci_lockfile_kind_t kind, const char *path, const char *buf, size_t len,
                     pyoci_lockfile_include_fn include, void *include_ctx, pyoci_pkg_add_fn add, void *ctx,
                     pyoci_error_t **err)
{
  if (len > PYOCI_LOCKFILE_MAX_FILE)
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "%s: over the %u byte limit", path, PYOCI_LOCKFILE_MAX_FILE);
  switch (kind) {
  case PYOCI_LOCKFILE_REQUIREMENTS: {
    req_ctx_t rc = {.include = include, .include_ctx = include_ctx};
    return req_parse(path, buf, len, &rc, 0, add, ctx, err);
  }
  case PYOCI_LOCKFILE_POETRY:
  case PYOCI_LOCKFILE_UV:
    return toml_parse(path, buf, len, kind == PYOCI_LOCKFILE_UV, add, ctx, err);
  case PYOCI_LOCKFILE_PIPFILE:
    return pipfile_parse(path, buf, len, add, ctx, err);
  default:
    return 0;
  }
}

int pyoci_lockfile_include_in_root(void *ctx, const char *from, const char *file, char **path, char **buf, size_t *len,
                               pyoci_error_t **err)
{
  const char *root = ctx;
  if (file[0] == '/')
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "an absolute path is outside the scanned directory");
  const char *slash = strrchr(from, '/');
  cleanup_free char *joined = NULL;
  joined = xasprintf("%.*s%s%s", slash ? (int)(slash - from) : 0, from, slash ? "/" : "", file);
  char *rel = pyoci_path_normalize(joined, PYOCI_PATH_NO_ESCAPE);
  if (rel == NULL)
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "'%s' is outside the scanned directory", file);
  cleanup_close int root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  cleanup_close int fd = root_fd < 0 ? -1 : pyoci_open_in_root(root_fd, rel, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    free(rel);
    return pyoci_error_set(err, e, "open");
  }
  if (pyoci_read_fd(fd, rel, PYOCI_LOCKFILE_MAX_FILE, buf, len, err) < 0) {
    free(rel);
    return -1;
  }
  *path = rel;
  return 0;
}
