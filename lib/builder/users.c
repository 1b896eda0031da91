/* Users and groups inside an image's root: USER and --chown specs resolved
 * against etc/passwd and etc/group the way docker build does. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/fs.h"
#include "copy.h"


/* Call fn with the fields (up to 4, split at ':') of each line of a
 * passwd/group style file inside root, until fn returns true. */
typedef bool (*colon_line_fn)(void *ctx, char *const *f);

static void foreach_colon_line(int root, const char *file, colon_line_fn fn, void *ctx)
{
  /* O_NONBLOCK: an image's etc/passwd may be a FIFO; never block on it */
  cleanup_close int fd = pyoci_open_in_root(root, file, O_RDONLY | O_NONBLOCK);
  cleanup_free char *buf = NULL;
  pyoci_error_t *ignored = NULL;
  if (fd < 0 || pyoci_fd_require_regular(fd, file, &ignored) < 0 ||
      pyoci_read_fd(fd, file, 16u << 20, &buf, NULL, &ignored) < 0) {
    pyoci_error_free(ignored);
    return;
  }
  for (char *save = NULL, *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    char *f[4] = {0};
    char *p = line;
    for (int k = 0; k < 4 && p; k++) {
      f[k] = p;
      p = strchr(p, ':');
      if (p)
        *p++ = '\0';
    }
    if (f[2] != NULL && fn(ctx, f))
      return;
  }
}

typedef struct {
  const char *key;
  bool by_id;
  int64_t *id, *gid;
  char *name; /* set by the uid lookup */
  bool found;
} lookup_t;

static bool lookup_line(void *ctx, char *const *f)
{
  lookup_t *l = ctx;
  if (strcmp(l->by_id ? f[2] : f[0], l->key) != 0)
    return false;
  *l->id = strtoll(f[2], NULL, 10);
  if (l->gid && f[3])
    *l->gid = strtoll(f[3], NULL, 10);
  l->name = xstrdup(f[0]);
  l->found = true;
  return true;
}

/* Find an entry by name (field 0) or, when by_id, by numeric id (field 2);
 * fills id and, for passwd, the primary gid.  Returns 1 found, 0 not. */
static int lookup_colon_file(int root, const char *file, const char *key, bool by_id, int64_t *id, int64_t *gid)
{
  lookup_t l = {.key = key, .by_id = by_id, .id = id, .gid = gid};
  foreach_colon_line(root, file, lookup_line, &l);
  free(l.name);
  return l.found;
}

static bool is_number(const char *s)
{
  if (*s == '\0')
    return false;
  for (; *s; s++)
    if (*s < '0' || *s > '9')
      return false;
  return true;
}

static int resolve_group(int rfd, const char *group, int64_t *gid, pyoci_error_t **err)
{
  if (is_number(group)) {
    *gid = strtoll(group, NULL, 10);
    return 0;
  }
  if (!lookup_colon_file(rfd, "etc/group", group, false, gid, NULL))
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0,
                                "unable to find group %s: no matching entries in group file", group);
  return 0;
}

int pyoci_resolve_user(const char *root, const char *spec, bool chown_rules, int64_t *uid, int64_t *gid,
                       pyoci_error_t **err)
{
  cleanup_close int rfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (rfd < 0)
    return pyoci_error_set(err, errno, "open '%s'", root);
  cleanup_free char *copy = xstrdup(spec);
  char *group = strchr(copy, ':');
  if (group)
    *group++ = '\0';
  int64_t primary = 0;
  if (is_number(copy)) {
    *uid = strtoll(copy, NULL, 10);
    lookup_colon_file(rfd, "etc/passwd", copy, true, uid, &primary);
  } else if (!lookup_colon_file(rfd, "etc/passwd", copy, false, uid, &primary)) {
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0,
                                "unable to find user %s: no matching entries in passwd file", copy);
  }
  if (group && *group)
    return resolve_group(rfd, group, gid, err);
  if (chown_rules) /* --chown=user means user:user, as in docker build */
    return resolve_group(rfd, copy, gid, err);
  *gid = primary;
  return 0;
}

/* The user's name: spec's user part if it is a name, else passwd's entry
 * for the uid, else NULL. */
static char *user_name(int rfd, const char *spec, int64_t uid)
{
  cleanup_free char *copy = xstrdup(spec);
  char *colon = strchr(copy, ':');
  if (colon)
    *colon = '\0';
  if (!is_number(copy))
    return steal_pointer(&copy);
  char key[32];
  snprintf(key, sizeof(key), "%lld", (long long)uid);
  int64_t id = 0;
  lookup_t l = {.key = key, .by_id = true, .id = &id};
  foreach_colon_line(rfd, "etc/passwd", lookup_line, &l);
  return l.name;
}

typedef struct {
  const char *user;
  gid_t *v;
  size_t n, cap;
} groups_t;

static bool member_line(void *ctx, char *const *f)
{
  groups_t *g = ctx;
  if (f[3] == NULL)
    return false;
  for (char *save = NULL, *m = strtok_r(f[3], ",", &save); m; m = strtok_r(NULL, ",", &save)) {
    if (strcmp(m, g->user) != 0)
      continue;
    gid_t gid = (gid_t)strtoll(f[2], NULL, 10);
    for (size_t k = 0; k < g->n; k++)
      if (g->v[k] == gid)
        return false;
    if (g->n == g->cap)
      g->v = xreallocarray(g->v, g->cap *= 2, sizeof(gid_t));
    g->v[g->n++] = gid;
  }
  return false;
}

int pyoci_user_groups(const char *root, const char *user, int64_t uid, int64_t gid, gid_t **gids, size_t *n,
                      pyoci_error_t **err)
{
  cleanup_close int rfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (rfd < 0)
    return pyoci_error_set(err, errno, "open '%s'", root);
  groups_t g = {.cap = 8};
  g.v = xmalloc(g.cap * sizeof(gid_t));
  (void)gid; /* BuildKit passes only the member groups; the kernel adds
              * nothing, so `id` shows groups=50(staff), not 1000 too */
  /* runc's GetExecUser: supplementary groups only in the implicit form;
   * "user:group" gets that group alone */
  const char *colon = strchr(user, ':');
  cleanup_free char *name = colon && colon[1] ? NULL : user_name(rfd, user, uid);
  if (name != NULL) {
    g.user = name;
    foreach_colon_line(rfd, "etc/group", member_line, &g);
  }
  *gids = g.v;
  *n = g.n;
  return 0;
}
