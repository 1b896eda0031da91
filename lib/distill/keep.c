/* The kept set: paths resolved inside the image root one component at a
 * time, so every symlink on the way is kept too and nothing ever resolves
 * outside the root ("/.." is "/", an absolute link target restarts at the
 * root).  Plus the files every distilled image needs whatever the trace
 * saw. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/fs.h"
#include "lib/util/inroot.h"
#include "lib/util/strbuf.h"
#include "lib/util/walk.h"
#include "distill_int.h"

#define MAX_LINKS 40

static void add(pyoci_keep_t *k, const char *rel, const char *reason)
{
  if (*rel && json_object_get(k->keep, rel) == NULL)
    json_object_set_new(k->keep, rel, json_string(reason));
}

/* Pop the last component of done. */
static void pop(strbuf_t *done)
{
  char *slash = done->len ? strrchr(done->buf, '/') : NULL;
  done->len = slash ? (size_t)(slash - done->buf) : 0;
  if (done->buf)
    done->buf[done->len] = '\0';
}

/* One step: append comp to done, following it if it is a symlink (todo gets
 * the target in front of the rest).  1 = went on, 0 = missing, -1 = loop. */
static int step(pyoci_keep_t *k, strbuf_t *done, strbuf_t *todo, const char *comp, const char *rest,
                const char *reason, int *links)
{
  size_t keep_len = done->len;
  if (done->len)
    strbuf_addch(done, '/');
  strbuf_addstr(done, comp);
  cleanup_free char *host = pyoci_path_join(k->root, done->buf);
  struct stat st;
  if (lstat(host, &st) < 0)
    return 0;
  if (!S_ISLNK(st.st_mode))
    return 1;
  if (++*links > MAX_LINKS)
    return -1;
  add(k, done->buf, reason);
  char target[4096];
  ssize_t n = readlink(host, target, sizeof(target) - 1);
  if (n < 0)
    return 0;
  target[n] = '\0';
  done->len = keep_len;
  done->buf[keep_len] = '\0';
  if (target[0] == '/')
    strbuf_reset(done);
  strbuf_t next = STRBUF_INIT;
  strbuf_addf(&next, "%s/%s", target, rest);
  strbuf_reset(todo);
  strbuf_addstr(todo, next.buf);
  strbuf_release(&next);
  return 1;
}

int pyoci_keep_path(pyoci_keep_t *k, const char *path, const char *reason, char **real)
{
  strbuf_t done = STRBUF_INIT, todo = STRBUF_INIT;
  strbuf_addstr(&done, "");
  strbuf_addstr(&todo, path);
  int links = 0, rc = 1;
  while (rc == 1 && todo.len) {
    char *p = todo.buf;
    while (*p == '/')
      p++;
    if (*p == '\0')
      break;
    char *slash = strchr(p, '/');
    cleanup_free char *comp = slash ? xstrndup(p, (size_t)(slash - p)) : xstrdup(p);
    cleanup_free char *rest = xstrdup(slash ? slash + 1 : "");
    strbuf_reset(&todo);
    strbuf_addstr(&todo, rest);
    if (strcmp(comp, ".") == 0)
      continue;
    if (strcmp(comp, "..") == 0) {
      pop(&done);
      continue;
    }
    rc = step(k, &done, &todo, comp, rest, reason, &links);
  }
  if (rc == 1)
    add(k, strbuf_str(&done), reason);
  if (real)
    *real = rc == 1 ? xstrdup(strbuf_str(&done)) : NULL;
  strbuf_release(&done);
  strbuf_release(&todo);
  return rc;
}

char *pyoci_keep_resolve(const char *root, const char *path)
{
  cleanup_close int rfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  char *real = NULL;
  pyoci_error_t *err = NULL;
  if (rfd < 0 || pyoci_resolve_in_root(rfd, path, &real, &err) < 0) {
    pyoci_error_free(err);
    return NULL;
  }
  struct stat st;
  if (*real && fstatat(rfd, real, &st, AT_SYMLINK_NOFOLLOW) < 0) {
    free(real);
    return NULL;
  }
  return real;
}

static bool excluded(const char *name, const char *const *exclude)
{
  for (; exclude && *exclude; exclude++)
    if (strcmp(name, *exclude) == 0)
      return true;
  return false;
}

typedef struct {
  pyoci_keep_t *k;
  const char *base, *reason;
  const char *const *exclude;
} tree_t;

static int tree_one(const pyoci_walk_entry_t *e, void *ctx, pyoci_error_t **err)
{
  tree_t *t = ctx;
  if (e->type == DT_DIR && excluded(e->name, t->exclude))
    return PYOCI_WALK_SKIP;
  cleanup_free char *rel = pyoci_path_join(t->base, e->rel);
  if (e->type == DT_LNK)
    pyoci_keep_path(t->k, rel, t->reason, NULL); /* the link and what it points at */
  else
    add(t->k, rel, t->reason);
  return 0;
}

int pyoci_keep_tree(pyoci_keep_t *k, const char *path, const char *reason, const char *const *exclude)
{
  cleanup_free char *real = NULL;
  int rc = pyoci_keep_path(k, path, reason, &real);
  if (rc != 1 || *real == '\0')
    return rc;
  cleanup_free char *host = pyoci_path_join(k->root, real);
  cleanup_close int fd = open(host, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return rc; /* a file: kept above */
  tree_t t = {.k = k, .base = real, .reason = reason, .exclude = exclude};
  pyoci_error_t *ignored = NULL;
  /* an unreadable or too deep corner of the image is simply not kept */
  pyoci_walk_at(fd, real, tree_one, &t, 0, 0, &ignored);
  pyoci_error_free(ignored);
  return rc;
}

/* Whether a path of set (other than skip) matches one of the patterns. */
static bool set_match(const json_t *set, const char *const *patterns, const char *skip)
{
  const char *key;
  json_t *v;
  json_object_foreach((json_t *)set, key, v) {
    for (const char *const *p = patterns; *p; p++)
      if (fnmatch(*p, key, 0) == 0 && (skip == NULL || strcmp(key, skip) != 0))
        return true;
  }
  return false;
}

static bool zoneinfo_used(pyoci_keep_t *k)
{
  if (k->traced == NULL)
    return false;
  /* glibc reads /etc/localtime's zone in any process: that one file is
   * kept by its symlink chain, the database only when the app uses it. */
  cleanup_free char *local = pyoci_keep_resolve(k->root, "/etc/localtime");
  static const char *const tz[] = {"usr/share/zoneinfo/*", "*/zoneinfo/__init__.py*", "*/pytz/__init__.py*",
                                   "*/dateutil/tz/__init__.py*", NULL};
  return set_match(k->traced, tz, local);
}

/* The source a __pycache__ entry caches: D/__pycache__/NAME.TAG.pyc ->
 * D/NAME.py (PEP 3147); NULL for anything else. */
static char *cached_source(const char *rel)
{
  static const char cache_dir[] = "__pycache__";
  const size_t cl = sizeof(cache_dir) - 1;
  const char *base = strrchr(rel, '/');
  if (base == NULL || (size_t)(base - rel) < cl || strncmp(base - cl, cache_dir, cl) != 0 ||
      fnmatch("*.pyc", base + 1, 0) != 0)
    return NULL;
  size_t dir_len = (size_t)(base - rel) - cl; /* "D/" or "" */
  if (dir_len > 0 && rel[dir_len - 1] != '/')
    return NULL;
  base++;
  size_t stem = strcspn(base, ".");
  return xasprintf("%.*s%.*s.py", (int)dir_len, rel, (int)stem, base);
}

void pyoci_keep_drop_bytecode(pyoci_keep_t *k, bool keep_read)
{
  const char *key;
  json_t *v;
  void *tmp;
  json_object_foreach_safe(k->keep, tmp, key, v) {
    cleanup_free char *src = cached_source(key);
    if (src == NULL || strcmp(json_string_value(v), "include") == 0)
      continue;
    bool read = k->traced && json_object_get(k->traced, key);
    /* A cache whose source is gone is never read by the import system
     * (a sourceless module is NAME.pyc beside the package, not here): it
     * stays only when the run read it anyway. */
    bool source_kept = json_object_get(k->keep, src) != NULL;
    if (source_kept ? !(keep_read && read) : !read)
      json_object_del(k->keep, key);
  }
}

int pyoci_keep_fixed(pyoci_keep_t *k, pyoci_error_t **err)
{
  static const char *const always[] = {"/etc/passwd", "/etc/group", "/etc/nsswitch.conf", "/etc/hosts",
                                       "/etc/host.conf", "/etc/os-release", "/etc/debian_version", "/etc/alpine-release",
                                       "/etc/ld.so.conf", NULL};
  for (const char *const *p = always; *p; p++)
    pyoci_keep_path(k, *p, "fixed", NULL);
  pyoci_keep_tree(k, "/etc/ld.so.conf.d", "fixed", NULL);
  /* A TLS library can only verify peers with the CA certificates. */
  static const char *const tls[] = {"*/libssl.so*", "*/libgnutls.so*", "*/libnss3.so*", "*/libmbedtls.so*",
                                    "*/_ssl.*.so", "*/libcurl*.so*", NULL};
  if (set_match(k->keep, tls, NULL)) {
    pyoci_keep_tree(k, "/etc/ssl", "ca-bundle", NULL);
    pyoci_keep_tree(k, "/usr/lib/ssl", "ca-bundle", NULL);
    pyoci_keep_tree(k, "/etc/pki/tls", "ca-bundle", NULL);
    pyoci_keep_path(k, "/etc/ca-certificates.conf", "ca-bundle", NULL);
    pyoci_keep_path(k, "/usr/lib/python3/dist-packages/certifi/cacert.pem", "ca-bundle", NULL);
  }
  pyoci_keep_path(k, "/etc/localtime", "fixed", NULL);
  if (zoneinfo_used(k)) {
    pyoci_keep_tree(k, "/usr/share/zoneinfo", "zoneinfo", NULL);
    pyoci_keep_path(k, "/etc/timezone", "zoneinfo", NULL);
  }
  (void)err;
  return 0;
}
