#include "path.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"

/* Runs body for each non-empty component of path (s, n: where and how long). */
#define FOR_EACH_COMPONENT(path, s, n, body)                                                                \
  for (const char *p_ = (path); *p_;) {                                                                    \
    while (*p_ == '/')                                                                                     \
      p_++;                                                                                                \
    if (*p_ == '\0')                                                                                       \
      break;                                                                                               \
    const char *s = p_;                                                                                    \
    while (*p_ && *p_ != '/')                                                                              \
      p_++;                                                                                                \
    size_t n = (size_t)(p_ - s);                                                                           \
    body                                                                                                   \
  }

static bool is_dot(const char *s, size_t n)
{
  return n == 1 && s[0] == '.';
}

static bool is_dotdot(const char *s, size_t n)
{
  return n == 2 && s[0] == '.' && s[1] == '.';
}

bool pyoci_path_has_dotdot(const char *path)
{
  FOR_EACH_COMPONENT(path, s, n, {
    if (is_dotdot(s, n))
      return true;
  })
  return false;
}

char *pyoci_path_split(const char *path, const char **leaf)
{
  const char *slash = strrchr(path, '/');
  *leaf = slash ? slash + 1 : path;
  return slash ? xstrndup(path, (size_t)(slash - path)) : xstrdup("");
}

/* Would the mode refuse path?  Checked before anything is written, so an
 * in-place caller can still show the path as given. */
static bool refused(const char *path, pyoci_path_mode_t mode)
{
  if (mode == PYOCI_PATH_REJECT_DOTDOT)
    return pyoci_path_has_dotdot(path);
  if (mode != PYOCI_PATH_NO_ESCAPE)
    return false;
  size_t depth = 0;
  FOR_EACH_COMPONENT(path, s, n, {
    if (is_dotdot(s, n)) {
      if (depth == 0)
        return true;
      depth--;
    } else if (!is_dot(s, n)) {
      depth++;
    }
  })
  return false;
}

/* The relative modes.  out may be path itself: every byte written stands for
 * a byte already read (a component, or the '/' that preceded it). */
static void clean_relative(const char *path, char *out)
{
  size_t w = 0;
  FOR_EACH_COMPONENT(path, s, n, {
    if (is_dot(s, n))
      continue;
    if (is_dotdot(s, n)) {
      while (w > 0 && out[w - 1] != '/')
        w--;
      if (w > 0)
        w--; /* the '/' before the popped component */
      continue;
    }
    if (w > 0)
      out[w++] = '/';
    memmove(out + w, s, n);
    w += n;
  })
  out[w] = '\0';
}

/* Go's path.Clean (src/path/path.go), rule for rule. */
static char *clean_go(const char *path)
{
  size_t n = strlen(path);
  if (n == 0)
    return xstrdup(".");
  bool rooted = path[0] == '/';
  char *out = xmalloc(n + 2);
  size_t w = 0, r = 0, dotdot = 0;
  if (rooted) {
    out[w++] = '/';
    r = dotdot = 1;
  }
  while (r < n) {
    if (path[r] == '/') {
      r++;
    } else if (path[r] == '.' && (r + 1 == n || path[r + 1] == '/')) {
      r++;
    } else if (path[r] == '.' && path[r + 1] == '.' && (r + 2 == n || path[r + 2] == '/')) {
      r += 2;
      if (w > dotdot) {
        w--;
        while (w > dotdot && out[w] != '/')
          w--;
      } else if (!rooted) {
        if (w > 0)
          out[w++] = '/';
        out[w++] = '.';
        out[w++] = '.';
        dotdot = w;
      }
    } else {
      if ((rooted && w != 1) || (!rooted && w != 0))
        out[w++] = '/';
      for (; r < n && path[r] != '/'; r++)
        out[w++] = path[r];
    }
  }
  if (w == 0)
    out[w++] = '.';
  out[w] = '\0';
  return out;
}

int pyoci_path_normalize_inplace(char *path, pyoci_path_mode_t mode)
{
  if (mode == PYOCI_PATH_GO || refused(path, mode))
    return -1;
  clean_relative(path, path);
  return 0;
}

char *pyoci_path_normalize(const char *path, pyoci_path_mode_t mode)
{
  if (mode == PYOCI_PATH_GO)
    return clean_go(path);
  if (refused(path, mode))
    return NULL;
  char *out = xstrdup(path);
  clean_relative(out, out);
  return out;
}
