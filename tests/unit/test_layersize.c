/* Docker's layer size (directory.Size of the unpacked overlay2 diff) from
 * tar entries: files once per inode, symlink target lengths, nothing for
 * directories, devices and whiteouts, later entries replacing earlier. */
#include <stdlib.h>
#include <string.h>

#include "lib/image/layersize.h"
#include "tap.h"

static void add(pyoci_dsize_t *d, const char *path, pyoci_tar_type_t type, int64_t size, const char *link)
{
  pyoci_tar_entry_t e;
  memset(&e, 0, sizeof(e));
  e.path = path;
  e.type = type;
  e.size = size;
  e.link = link;
  pyoci_dsize_add(d, &e);
}

int main(void)
{
  pyoci_dsize_t *d = pyoci_dsize_new();
  is_int(pyoci_dsize_total(d), 0, "empty layer: 0");
  add(d, "", PYOCI_TAR_DIR, 0, NULL);
  add(d, "bin", PYOCI_TAR_DIR, 0, NULL);
  add(d, "bin/busybox", PYOCI_TAR_FILE, 1000, NULL);
  is_int(pyoci_dsize_total(d), 1000, "one file");
  add(d, "bin/sh", PYOCI_TAR_HARDLINK, 0, "bin/busybox");
  add(d, "bin/ls", PYOCI_TAR_HARDLINK, 0, "bin/busybox");
  is_int(pyoci_dsize_total(d), 1000, "hard links count their inode once");
  add(d, "bin/vi", PYOCI_TAR_SYMLINK, 0, "busybox");
  is_int(pyoci_dsize_total(d), 1007, "a symlink counts its target length (7)");
  add(d, "etc/.wh.old", PYOCI_TAR_FILE, 0, NULL);
  add(d, "etc/.wh..wh..opq", PYOCI_TAR_FILE, 0, NULL);
  add(d, "dev/null", PYOCI_TAR_CHAR, 0, NULL);
  is_int(pyoci_dsize_total(d), 1007, "whiteouts, opaque markers and devices are 0");
  add(d, "app/data", PYOCI_TAR_FILE, 50, NULL);
  add(d, "app/data", PYOCI_TAR_FILE, 70, NULL);
  is_int(pyoci_dsize_total(d), 1077, "a path listed twice counts its last entry");
  add(d, "bin/busybox", PYOCI_TAR_FILE, 10, NULL);
  is_int(pyoci_dsize_total(d), 1087, "replacing a hard-linked path leaves the other links' inode (1000) + 10");
  add(d, "app/dir/x", PYOCI_TAR_FILE, 5, NULL);
  add(d, "app/dir", PYOCI_TAR_FILE, 3, NULL);
  is_int(pyoci_dsize_total(d), 1090, "a file replacing a directory drops what was under it");
  pyoci_dsize_free(d);
  return done_testing();
}
