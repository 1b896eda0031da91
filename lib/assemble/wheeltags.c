/* Does a wheel fit the image?  PEP 425 tags from the file name
 * (NAME-VER[-BUILD]-PY-ABI-PLAT.whl, each part a dot-separated set),
 * checked against the interpreter and C library the image really has
 * (from the Debian packages resolved), not the host's: the check no
 * installer makes before run time. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "asm_int.h"

typedef struct {
  const pyoci_pyenv_t *env;
  char why[256]; /* the first reason a tag did not fit */
} check_t;

static void because(check_t *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void because(check_t *c, const char *fmt, ...)
{
  if (c->why[0] != '\0')
    return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(c->why, sizeof(c->why), fmt, ap);
  va_end(ap);
}

/* "py3", "py311", "cp311", "cp3" */
static bool py_ok(check_t *c, const char *py, bool *cpython, int *cp_minor)
{
  int major = 0, minor = -1;
  *cpython = strncmp(py, "cp", 2) == 0;
  if (strncmp(py, "py", 2) != 0 && !*cpython) {
    because(c, "implementation tag '%s' is not CPython or generic Python", py);
    return false;
  }
  const char *d = py + 2;
  if (d[0] < '0' || d[0] > '9') {
    because(c, "bad python tag '%s'", py);
    return false;
  }
  major = d[0] - '0';
  if (d[1])
    minor = atoi(d + 1);
  *cp_minor = minor;
  if (major != c->env->py_major || minor > c->env->py_minor) {
    if (minor >= 0)
      because(c, "'%s' needs Python %d.%d, the image has Python %d.%d", py, major, minor, c->env->py_major,
              c->env->py_minor);
    else
      because(c, "'%s' needs Python %d, the image has Python %d.%d", py, major, c->env->py_major, c->env->py_minor);
    return false;
  }
  /* py3X: written for 3.X, fine on later; cp3X: built for exactly 3.X
   * (abi3 relaxes that below). */

  return true;
}

static bool abi_ok(check_t *c, const char *abi, bool cpython, int cp_minor)
{
  if (strcmp(abi, "none") == 0)
    return true;
  if (strcmp(abi, "abi3") == 0) {
    if (!cpython)
      because(c, "abi3 without a CPython tag ('%s')", abi);
    return cpython;
  }
  char want[32];
  snprintf(want, sizeof(want), "cp%d%d", c->env->py_major, c->env->py_minor);
  if (strcmp(abi, want) == 0 && cp_minor == c->env->py_minor)
    return true;
  because(c, "ABI '%s' is not the image's CPython %d.%d ABI", abi, c->env->py_major, c->env->py_minor);
  return false;
}

static bool plat_ok(check_t *c, const char *plat)
{
  if (strcmp(plat, "any") == 0)
    return true;
  const char *m = c->env->machine;
  size_t mlen = strlen(m);
  size_t plen = strlen(plat);
  bool arch_ok = plen > mlen && strcmp(plat + plen - mlen, m) == 0 && plat[plen - mlen - 1] == '_';
  int a = 0, b = 0;
  if (strncmp(plat, "musllinux_", 10) == 0) {
    because(c, "'%s' is built for musl libc; the image has glibc %d.%d", plat, c->env->glibc_major,
            c->env->glibc_minor);
    return false;
  }
  if (!arch_ok) {
    if (c->why[0] == '\0')
      snprintf(c->why, sizeof(c->why), "platform '%s' is not this image's architecture (%s)", plat, m);
    return false;
  }
  if (strncmp(plat, "linux_", 6) == 0)
    return c->env->glibc_major > 0;
  if (strncmp(plat, "manylinux1_", 11) == 0)
    a = 2, b = 5;
  else if (strncmp(plat, "manylinux2010_", 14) == 0)
    a = 2, b = 12;
  else if (strncmp(plat, "manylinux2014_", 14) == 0)
    a = 2, b = 17;
  else if (sscanf(plat, "manylinux_%d_%d_", &a, &b) != 2) {
    because(c, "unknown platform tag '%s'", plat);
    return false;
  }
  if (c->env->glibc_major == 0) {
    because(c, "'%s' needs glibc; the image has no libc6", plat);
    return false;
  }
  if (a > c->env->glibc_major || (a == c->env->glibc_major && b > c->env->glibc_minor)) {
    char need[64];
    snprintf(need, sizeof(need), "%s (glibc %d.%d)", plat, a, b);
    because(c, "%s is newer than the image's glibc %d.%d", need, c->env->glibc_major, c->env->glibc_minor);
    return false;
  }
  return true;
}

/* Split "a.b.c" into a NULL-terminated vector. */
static char **dots(const char *s)
{
  char **v = NULL;
  cleanup_free char *copy = xstrdup(s);
  char *save = NULL;
  for (char *t = strtok_r(copy, ".", &save); t; t = strtok_r(NULL, ".", &save))
    pyoci_asm_strv_push(&v, t);
  return v;
}

static bool any_fits(check_t *c, char **py, char **abi, char **plat)
{
  for (char **p = py; p && *p; p++) {
    bool cpython;
    int cp_minor;
    if (!py_ok(c, *p, &cpython, &cp_minor))
      continue;
    for (char **a = abi; a && *a; a++) {
      if (!abi_ok(c, *a, cpython, cp_minor))
        continue;
      /* abi3 from cp3Y (Y <= image's) is fine; a cp3Y ABI needs Y exact. */
      for (char **pl = plat; pl && *pl; pl++)
        if (plat_ok(c, *pl))
          return true;
    }
  }
  return false;
}

int pyoci_wheel_tags_check(const char *filename, const pyoci_pyenv_t *env, pyoci_error_t **err)
{
  size_t n = strlen(filename);
  if (n < 5 || strcmp(filename + n - 4, ".whl") != 0 || n > 1024)
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "'%s': not a wheel file name", filename);
  cleanup_free char *base = xstrndup(filename, n - 4);
  char *parts[6];
  int np = 0;
  for (char *save = NULL, *t = strtok_r(base, "-", &save); t && np < 6; t = strtok_r(NULL, "-", &save))
    parts[np++] = t;
  if (np != 5 && np != 6)
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "'%s': expected NAME-VERSION[-BUILD]-PY-ABI-PLATFORM.whl",
                                filename);
  cleanup_strv char **py = dots(parts[np - 3]);
  cleanup_strv char **abi = dots(parts[np - 2]);
  cleanup_strv char **plat = dots(parts[np - 1]);
  check_t c = {.env = env};
  if (any_fits(&c, py, abi, plat))
    return 0;
  return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "wheel '%s' does not fit the image: %s", filename,
                              c.why[0] ? c.why : "no compatible tag");
}
