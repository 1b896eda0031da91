/* Helpers shared by the layer unit tests (test_tar_write, test_compress,
 * test_tar_read, test_unpack): temp dirs, running tools, sinks. */
#ifndef PYOCI_LAYER_TESTLIB_H
#define PYOCI_LAYER_TESTLIB_H

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/layer/layer.h"
#include "lib/util/error.h"
#include "lib/util/fs.h"
#include "lib/util/settings.h"
#include "lib/util/strbuf.h"

/* TAP skip (tap.h has none); include tap.h first. */
#define skip_test(...)                                                                                        \
  do {                                                                                                       \
    tap_n++;                                                                                                 \
    printf("ok %d # skip ", tap_n);                                                                          \
    printf(__VA_ARGS__);                                                                                     \
    printf("\n");                                                                                            \
  } while (0)

#define TL_FN static __attribute__((unused))

/* Setup steps that must work: bail out of the test otherwise. */
#define MUST(x)                                                                                               \
  do {                                                                                                       \
    if ((x) < 0) {                                                                                           \
      printf("Bail out! %s:%d: %s: %s\n", __FILE__, __LINE__, #x, strerror(errno));                          \
      exit(255);                                                                                             \
    }                                                                                                        \
  } while (0)

static char *tl_tmp; /* per-test temp dir, removed at exit */

TL_FN void tl_cleanup(void)
{
  if (tl_tmp != NULL) {
    char *cmd = NULL;
    if (asprintf(&cmd, "chmod -R u+rwx '%s' 2>/dev/null; rm -rf '%s'", tl_tmp, tl_tmp) >= 0 && system(cmd) != 0)
      fprintf(stderr, "# cleanup of %s failed\n", tl_tmp);
    free(cmd);
  }
}

TL_FN const char *tl_init(const char *name)
{
  pyoci_error_t *err = NULL;
  char prefix[64];
  snprintf(prefix, sizeof(prefix), "pyoci-%s.", name);
  if (pyoci_mkdtemp(NULL, prefix, &tl_tmp, &err) < 0) {
    printf("Bail out! %s\n", err->msg);
    exit(255);
  }
  atexit(tl_cleanup);
  return tl_tmp;
}

/* A path under the temp dir (static rotating buffers). */
static const char *tl_path(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
TL_FN const char *tl_path(const char *fmt, ...)
{
  static char bufs[16][8192];
  static int k;
  char *b = bufs[k++ % 16];
  int n = snprintf(b, 8192, "%s/", tl_tmp);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(b + n, 8192 - (size_t)n, fmt, ap);
  va_end(ap);
  return b;
}

/* Run a shell command; returns its exit status, output (stdout+stderr) in *out if out. */
static int tl_sh(char **out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
TL_FN int tl_sh(char **out, const char *fmt, ...)
{
  char *cmd = NULL;
  va_list ap;
  va_start(ap, fmt);
  if (vasprintf(&cmd, fmt, ap) < 0)
    abort();
  va_end(ap);
  char *full = NULL;
  if (asprintf(&full, "( %s\n) 2>&1", cmd) < 0)
    abort();
  FILE *p = popen(full, "r");
  strbuf_t sb = STRBUF_INIT;
  char buf[4096];
  size_t n;
  while (p && (n = fread(buf, 1, sizeof(buf), p)) > 0)
    strbuf_add(&sb, buf, n);
  int st = p ? pclose(p) : -1;
  while (sb.len > 0 && sb.buf[sb.len - 1] == '\n')
    sb.buf[--sb.len] = '\0';
  if (out)
    *out = strbuf_detach(&sb);
  else
    strbuf_release(&sb);
  free(cmd);
  free(full);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

TL_FN void tl_write(const char *path, const void *data, size_t len)
{
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0 || write(fd, data, len) != (ssize_t)len) {
    printf("Bail out! write %s: %s\n", path, strerror(errno));
    exit(255);
  }
  close(fd);
}

TL_FN char *tl_read(const char *path, size_t *len)
{
  char *b = NULL;
  pyoci_error_t *err = NULL;
  if (pyoci_read_file(path, 1u << 30, &b, len, &err) < 0) {
    pyoci_error_free(err);
    return NULL;
  }
  return b;
}

/* A sink appending to an fd. */
TL_FN int tl_fd_sink(void *ctx, const void *buf, size_t len, pyoci_error_t **err)
{
  return pyoci_write_all(*(int *)ctx, buf, len, "output", err);
}

/* A sink appending to a strbuf. */
TL_FN int tl_sb_sink(void *ctx, const void *buf, size_t len, pyoci_error_t **err)
{
  strbuf_add(ctx, buf, len);
  return 0;
}

/* tar dir into file; returns 0 or -1 (message printed as a diag). */
TL_FN int tl_tar_to_file(const char *dir, const pyoci_layer_opts_t *o, const char *file)
{
  int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  pyoci_error_t *err = NULL;
  int r = pyoci_tar_dir(dir, o, tl_fd_sink, &fd, &err);
  if (r < 0)
    printf("# tar_dir: %s\n", err->msg);
  pyoci_error_free(err);
  close(fd);
  return r;
}

/* Unpack file into root; returns 0, or -1 with the message in *msg. */
TL_FN int tl_unpack(const char *file, const char *root, const pyoci_unpack_opts_t *o, char **msg)
{
  int fd = open(file, O_RDONLY | O_CLOEXEC);
  pyoci_error_t *err = NULL;
  const char *what = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
  int r = pyoci_unpack_layer(fd, what, root, o, &err);
  if (msg)
    *msg = r < 0 ? strdup(err->msg) : NULL;
  pyoci_error_free(err);
  close(fd);
  return r;
}

TL_FN int tl_same_file(const char *a, const char *b)
{
  size_t la = 0, lb = 0;
  char *x = tl_read(a, &la), *y = tl_read(b, &lb);
  int same = x && y && la == lb && memcmp(x, y, la) == 0;
  free(x);
  free(y);
  return same;
}

TL_FN const char *tl_treelist(void)
{
  static char path[4096];
  const char *top = getenv("PYOCI_TOP");
  snprintf(path, sizeof(path), "%s/tests/data/treelist.py", top ? top : ".");
  return path;
}

/* The PYOCI_THREADS the program would hand in (cli/env.c). */
TL_FN void tl_set_threads(int n)
{
  pyoci_settings_t s = *pyoci_settings();
  s.threads = n;
  pyoci_settings_set(&s);
}

/* len bytes for the codecs: text-like runs mixed with pseudo-random bytes
 * from seed, so chunks and members differ.  Caller frees. */
TL_FN unsigned char *tl_make_input(size_t len, uint32_t seed)
{
  unsigned char *b = malloc(len ? len : 1);
  uint32_t x = seed;
  for (size_t i = 0; i < len; i++) {
    x = x * 1103515245u + 12345u;
    if ((i / 4096) % 3 == 0)
      b[i] = (unsigned char)(x >> 24);
    else
      b[i] = (unsigned char)("the quick brown fox jumps over the lazy dog\n"[(i * 7 + (x >> 28)) % 44]);
  }
  return b;
}

#endif
