/* libFuzzer harness: the project files of `scan --fs` (requirements*.txt,
 * poetry.lock, uv.lock, Pipfile.lock); the first byte picks the format.
 * "-r" includes get the same bytes again (bounded by the depth limit). */
#include "fuzz_catalog.h"

static const uint8_t *g_data;
static size_t g_size;

static int include_again(void *ctx, const char *from, const char *file, char **path, char **buf, size_t *len,
                         pyoci_error_t **err)
{
  (void)ctx;
  (void)from;
  (void)err;
  *path = strdup(file);
  *buf = fuzz_nul_copy(g_data, g_size);
  *len = g_size;
  if (*path == NULL || *buf == NULL)
    abort();
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size < 1)
    return 0;
  static const pyoci_lockfile_kind_t kinds[] = {PYOCI_LOCKFILE_REQUIREMENTS, PYOCI_LOCKFILE_POETRY, PYOCI_LOCKFILE_UV,
                                                PYOCI_LOCKFILE_PIPFILE};
  static const char *const names[] = {"requirements.txt", "poetry.lock", "uv.lock", "Pipfile.lock"};
  int k = data[0] & 3;
  g_data = data + 1;
  g_size = size - 1;
  char *buf = fuzz_nul_copy(g_data, g_size);
  if (buf == NULL)
    return 0;
  pyoci_error_t *err = NULL;
  if (pyoci_lockfile_parse(kinds[k], names[k], buf, g_size, include_again, NULL, fuzz_drop_package, NULL, &err) < 0 &&
      (err == NULL || strstr(err->msg, names[k]) == NULL))
    abort(); /* every rejection names the file */
  pyoci_error_free(err);
  free(buf);
  return 0;
}
