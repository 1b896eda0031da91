/* apt's configured sources, read the way apt reads them (sources.list(5)):
 * one-line "deb [options] URI SUITE COMPONENT..." in sources.list and
 * sources.list.d/ *.list, and deb822 stanzas (Types, URIs, Suites,
 * Components, Signed-By, Enabled) in sources.list.d/ *.sources.  Only
 * "deb" entries for the suites the spec asks for are kept. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/fs.h"
#include "lib/pkg/stanza.h"
#include "asm_int.h"

typedef struct {
  pyoci_source_t *v;
  size_t n;
  char *const *suites;
} acc_t;

static void add_source(acc_t *a, const char *uri, const char *suite, char **comps, const char *keyring)
{
  if (!pyoci_asm_strv_has(a->suites, suite))
    return;
  size_t ulen = strlen(uri);
  while (ulen > 0 && uri[ulen - 1] == '/')
    ulen--;
  a->v = xrealloc(a->v, (a->n + 1) * sizeof(*a->v));
  pyoci_source_t *s = &a->v[a->n++];
  memset(s, 0, sizeof(*s));
  s->uri = xstrndup(uri, ulen);
  s->suite = xstrdup(suite);
  for (char **c = comps; c && *c; c++)
    pyoci_asm_strv_push(&s->components, *c);
  s->keyring = keyring && keyring[0] == '/' ? xstrdup(keyring) : NULL;
}

static char **split_words(const char *s, size_t len)
{
  char **v = NULL;
  cleanup_free char *copy = xstrndup(s, len);
  char *save = NULL;
  for (char *w = strtok_r(copy, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save))
    pyoci_asm_strv_push(&v, w);
  return v;
}

static void one_line(acc_t *a, char *line)
{
  char *hash = strchr(line, '#');
  if (hash)
    *hash = '\0';
  cleanup_free char *keyring = NULL;
  /* "[signed-by=/path arch=amd64]" options */
  char *open = strchr(line, '['), *close = open ? strchr(open, ']') : NULL;
  if (open && close) {
    *close = '\0';
    char *sb = strstr(open, "signed-by=");
    if (sb) {
      sb += strlen("signed-by=");
      keyring = xstrndup(sb, strcspn(sb, " \t"));
    }
    memmove(open, close + 1, strlen(close + 1) + 1);
  }
  cleanup_strv char **w = split_words(line, strlen(line));
  if (pyoci_asm_strv_len(w) < 3 || strcmp(w[0], "deb") != 0)
    return;
  add_source(a, w[1], w[2], w + 3, keyring);
}

static int read_list(acc_t *a, const char *path, pyoci_error_t **err)
{
  cleanup_free char *buf = NULL;
  size_t len;
  if (pyoci_read_file(path, 1u << 20, &buf, &len, err) < 0)
    return -1;
  char *save = NULL;
  for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
    one_line(a, line);
  return 0;
}

static char **field_words(const pyoci_stanza_reader_t *r, const char *name)
{
  const pyoci_field_t *f = pyoci_stanza_get(r, name);
  return f ? split_words(f->full, f->full_len) : NULL;
}

static int read_deb822(acc_t *a, const char *path, pyoci_error_t **err)
{
  cleanup_free char *buf = NULL;
  size_t len;
  if (pyoci_read_file(path, 1u << 20, &buf, &len, err) < 0)
    return -1;
  /* Comment lines are allowed anywhere in deb822 sources: drop them. */
  size_t w = 0;
  for (size_t i = 0; i < len;) {
    const char *nl = memchr(buf + i, '\n', len - i);
    size_t n = nl ? (size_t)(nl - (buf + i)) + 1 : len - i;
    if (buf[i] != '#') {
      memmove(buf + w, buf + i, n);
      w += n;
    }
    i += n;
  }
  len = w;
  pyoci_stanza_reader_t r;
  pyoci_stanza_init(&r, path, buf, len, true);
  int rc;
  while ((rc = pyoci_stanza_next(&r, err)) > 0) {
    cleanup_strv char **types = field_words(&r, "Types");
    cleanup_strv char **uris = field_words(&r, "URIs");
    cleanup_strv char **suites = field_words(&r, "Suites");
    cleanup_strv char **comps = field_words(&r, "Components");
    cleanup_free char *enabled = pyoci_stanza_dup(&r, "Enabled");
    cleanup_free char *keyring = pyoci_stanza_dup(&r, "Signed-By");
    if (!pyoci_asm_strv_has(types, "deb") || (enabled && strcmp(enabled, "no") == 0))
      continue;
    for (char **u = uris; u && *u; u++)
      for (char **s = suites; s && *s; s++)
        add_source(a, *u, *s, comps, keyring);
  }
  pyoci_stanza_release(&r);
  return rc < 0 ? -1 : 0;
}

static bool has_suffix(const char *s, const char *suf)
{
  size_t n = strlen(s), m = strlen(suf);
  return n >= m && strcmp(s + n - m, suf) == 0;
}

int pyoci_apt_sources(const char *apt_dir, char *const *suites, pyoci_source_t **out, size_t *n,
                      pyoci_error_t **err)
{
  acc_t a = {NULL, 0, suites};
  cleanup_free char *list = pyoci_path_join(apt_dir, "sources.list");
  cleanup_free char *dir = pyoci_path_join(apt_dir, "sources.list.d");
  int rc = 0;
  if (pyoci_path_exists(list))
    rc = read_list(&a, list, err);
  cleanup_dir DIR *d = rc == 0 ? opendir(dir) : NULL;
  struct dirent **names = NULL;
  int nn = d ? scandir(dir, &names, NULL, alphasort) : 0;
  for (int i = 0; i < nn; i++) {
    cleanup_free char *p = pyoci_path_join(dir, names[i]->d_name);
    if (rc == 0 && has_suffix(p, ".list"))
      rc = read_list(&a, p, err);
    else if (rc == 0 && has_suffix(p, ".sources"))
      rc = read_deb822(&a, p, err);
    free(names[i]);
  }
  free(names);
  if (rc < 0) {
    pyoci_sources_free(a.v, a.n);
    return -1;
  }
  *out = a.v;
  *n = a.n;
  return 0;
}

void pyoci_sources_free(pyoci_source_t *s, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    free(s[i].uri);
    free(s[i].suite);
    free(s[i].keyring);
    char **c = s[i].components;
    pyoci_strvfreep(&c);
  }
  free(s);
}

void pyoci_asm_strv_push(char ***v, const char *s)
{
  size_t n = pyoci_asm_strv_len(*v);
  *v = xreallocarray(*v, pyoci_st_add(n, 2), sizeof(char *));
  (*v)[n] = xstrdup(s);
  (*v)[n + 1] = NULL;
}

size_t pyoci_asm_strv_len(char *const *v)
{
  size_t n = 0;
  while (v && v[n])
    n++;
  return n;
}

bool pyoci_asm_strv_has(char *const *v, const char *s)
{
  for (; v && *v; v++)
    if (strcmp(*v, s) == 0)
      return true;
  return false;
}
