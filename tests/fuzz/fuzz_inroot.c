/* Fuzz the in-root resolver (lib/util/inroot.h, issue 9 item 1).  The input
 * is lines: "L name target" makes a symlink in a fresh root, the last line
 * is the path to resolve.  Whatever the links ("..", absolute, loops, a
 * link to the canary's real host path), the resolved path is relative,
 * has no ".." component, and opening it in the root never reaches the
 * canary file that sits beside the root. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz_util.h"
#include "lib/util/fs.h"
#include "lib/util/inroot.h"

static char *base;
static struct stat canary;

static void setup(void)
{
  pyoci_error_t *err = NULL;
  if (pyoci_mkdtemp(NULL, "fuzz-inroot-", &base, &err) < 0)
    abort();
  char p[4200];
  snprintf(p, sizeof(p), "%s/canary", base);
  FILE *f = fopen(p, "w");
  if (f == NULL)
    abort();
  fputs("canary\n", f);
  fclose(f);
  if (stat(p, &canary) < 0)
    abort();
}

static void make_links(int root, char *text, char **path)
{
  for (char *save = NULL, *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    /* a one-byte line has no name after it: do not read past its end */
    char *name = line[0] && line[1] ? line + 2 : line + strlen(line), *sp = strchr(name, ' ');
    if (strncmp(line, "L ", 2) == 0 && sp && sp != name && !strchr(name, '/') && sp - name < 64) {
      *sp = '\0';
      symlinkat(sp + 1, root, name); /* may fail: fine */
    } else if (strncmp(line, "D ", 2) == 0 && strlen(line + 2) < 64 && !strchr(line + 2, '/')) {
      mkdirat(root, line + 2, 0755);
    } else {
      *path = line;
    }
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (base == NULL)
    setup();
  if (size > 4096 || memchr(data, '\0', size))
    return 0;
  char *text = fuzz_nul_copy(data, size);
  if (text == NULL)
    return 0;
  pyoci_error_t *err = NULL;
  char rootp[4200];
  snprintf(rootp, sizeof(rootp), "%s/root", base);
  pyoci_rm_rf(rootp, &err);
  pyoci_error_free(err);
  err = NULL;
  if (mkdir(rootp, 0755) < 0)
    abort();
  int root = open(rootp, O_PATH | O_DIRECTORY | O_CLOEXEC);
  char *path = (char *)"";
  make_links(root, text, &path);
  char *out = NULL;
  if (pyoci_resolve_in_root(root, path, &out, &err) == 0) {
    size_t n = strlen(out);
    if (out[0] == '/' || strcmp(out, "..") == 0 || strncmp(out, "../", 3) == 0 || strstr(out, "/../") ||
        (n >= 3 && strcmp(out + n - 3, "/..") == 0))
      abort();
    free(out);
  }
  pyoci_error_free(err);
  int fd = pyoci_open_in_root(root, path, O_PATH);
  struct stat st;
  if (fd >= 0 && fstat(fd, &st) == 0 && st.st_dev == canary.st_dev && st.st_ino == canary.st_ino)
    abort();
  if (fd >= 0)
    close(fd);
  close(root);
  free(text);
  return 0;
}
