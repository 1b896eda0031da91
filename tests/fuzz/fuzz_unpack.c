/* libFuzzer harness for unpacking: arbitrary bytes unpacked into a fresh
 * /tmp/pyoci-fuzz-unpack.XXXXXX/a/b/c/root.  Afterwards each level above
 * root must hold exactly what we put there (so "../" escapes up to four
 * levels would show), the sentinel beside root is intact, and then all of it
 * is removed.  An escape aborts, which libFuzzer reports. */
#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/layer/layer.h"
#include "lib/util/fs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* dir must contain only the names in allowed (NULL-terminated). */
static void check_only(const char *dir, const char *const *allowed)
{
  DIR *d = opendir(dir);
  if (d == NULL)
    abort();
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    bool ok = strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0;
    for (const char *const *a = allowed; !ok && *a; a++)
      ok = strcmp(de->d_name, *a) == 0;
    if (!ok) {
      fprintf(stderr, "fuzz_unpack: '%s/%s' appeared outside the root\n", dir, de->d_name);
      abort();
    }
  }
  closedir(d);
}

static void check_outside(const char *dir)
{
  char p[4096];
  check_only(dir, (const char *const[]){"a", NULL});
  snprintf(p, sizeof(p), "%s/a", dir);
  check_only(p, (const char *const[]){"b", NULL});
  snprintf(p, sizeof(p), "%s/a/b", dir);
  check_only(p, (const char *const[]){"c", NULL});
  snprintf(p, sizeof(p), "%s/a/b/c", dir);
  check_only(p, (const char *const[]){"root", "sentinel", NULL});
  snprintf(p, sizeof(p), "%s/a/b/c/sentinel", dir);
  struct stat st;
  if (lstat(p, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size != 8)
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char dir[] = "/tmp/pyoci-fuzz-unpack.XXXXXX";
  if (mkdtemp(dir) == NULL)
    return 0;
  char root[4096], sentinel[4096];
  snprintf(root, sizeof(root), "%s/a/b/c/root", dir);
  snprintf(sentinel, sizeof(sentinel), "%s/a/b/c/sentinel", dir);
  pyoci_error_t *err = NULL;
  if (pyoci_mkdir_p(root, 0755, &err) == 0 && pyoci_write_file_atomic(sentinel, "precious", 8, 0644, &err) == 0) {
    int fd = memfd_create("fuzz", 0);
    if (fd >= 0 && write(fd, data, size) == (ssize_t)size && lseek(fd, 0, SEEK_SET) == 0) {
      pyoci_unpack_opts_t o;
      pyoci_unpack_opts_init(&o);
      o.allow_devices = false; /* no device nodes from random bytes */
      pyoci_unpack_layer(fd, "fuzz", root, &o, &err);
    }
    if (fd >= 0)
      close(fd);
    check_outside(dir);
  }
  pyoci_error_free(err);
  err = NULL;
  pyoci_rm_rf(dir, &err);
  pyoci_error_free(err);
  return 0;
}
