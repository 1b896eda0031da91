/* libFuzzer harness: OS-package file lists (dpkg info/*.list, status.d
 * md5sums, apk's installed db) deciding which package owns a Python
 * distribution, through the whole catalog (trim on feed, resolve on finish). */
#include "fuzz_catalog.h"

typedef struct {
  const uint8_t *p;
  size_t left;
} mem_t;

static ssize_t mem_read(void *ctx, void *buf, size_t len, pyoci_error_t **err)
{
  (void)err;
  mem_t *m = ctx;
  size_t n = len < m->left ? len : m->left;
  memcpy(buf, m->p, n);
  m->p += n;
  m->left -= n;
  return (ssize_t)n;
}

static void feed(pyoci_catalog_t *cat, const char *path, const uint8_t *data, size_t size)
{
  mem_t m = {data, size};
  pyoci_error_t *err = NULL;
  pyoci_catalog_feed_entry(cat, 0, path, PYOCI_CAT_FILE, (int64_t)size, NULL, mem_read, &m, &err);
  pyoci_error_free(err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static const char *const lists[] = {"var/lib/dpkg/info/python3-six:amd64.list",
                                      "var/lib/dpkg/status.d/python3-six.md5sums", "lib/apk/db/installed",
                                      "var/lib/dpkg/info/python3-six.list"};
  if (size < 1)
    return 0;
  pyoci_catalog_t *cat = pyoci_catalog_new();
  static const char status[] = "Package: python3-six\nStatus: install ok installed\nVersion: 1.16.0-4\n"
                               "Maintainer: Debian Python Team <team+python@tracker.debian.org>\n";
  static const char meta[] = "Metadata-Version: 2.1\nName: six\nVersion: 1.16.0\n";
  feed(cat, "var/lib/dpkg/status", (const uint8_t *)status, sizeof(status) - 1);
  feed(cat, "usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA", (const uint8_t *)meta, sizeof(meta) - 1);
  feed(cat, lists[data[0] & 3], data + 1, size - 1);
  pyoci_catalog_result_t *res = NULL;
  pyoci_error_t *err = NULL;
  if (pyoci_catalog_finish(cat, &res, &err) == 0) {
    for (size_t i = 0; i < res->n_packages; i++)
      if (res->packages[i].owner != NULL && res->packages[i].owner[0] == '\0' && res->packages[i].owner_distro)
        abort(); /* an empty owner name never vouches for anything */
    pyoci_catalog_result_free(res);
  }
  pyoci_error_free(err);
  pyoci_catalog_free(cat);
  return 0;
}
