/* Layer driver: scan every regular file stored in one layer tar, on its own.
 * Scanning layers one by one (instead of the merged root filesystem) is the
 * point: a key added in layer 1 and deleted in layer 2 is invisible in the
 * container but still ships in the image, so it must be reported, with the
 * layer that carries it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/layer/layer.h"
#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/log.h"
#include "scan.h"

int pyoci_secret_scan_layer(struct pyoci_tar_reader *r, int layer_index, const char *layer_digest,
                            pyoci_secret_cb cb, void *ctx, pyoci_error_t **err)
{
  int found = 0;
  for (;;) {
    pyoci_tar_entry_t e;
    int rc = pyoci_tar_reader_next(r, &e, err);
    if (rc < 0)
      return pyoci_error_prefix(err, "secret scan of layer %d (%s)", layer_index, layer_digest ? layer_digest : "?");
    if (rc == 0)
      break;
    /* Whiteouts are empty markers; hard links point at content scanned
     * under the target's own name. */
    if (e.type != PYOCI_TAR_FILE || e.size <= 0 || pyoci_is_whiteout(e.path, NULL) ||
        pyoci_is_opaque_whiteout(e.path) || pyoci_secret_path_allowed(e.path))
      continue;
    if ((uint64_t)e.size > PYOCI_SECRET_MAX_FILE) {
      pyoci_log(PYOCI_LOG_DEBUG, "secret scan: '%s' is over %u bytes, skipped", e.path, PYOCI_SECRET_MAX_FILE);
      continue;
    }
    /* The entry's path belongs to the reader and changes on next(). */
    cleanup_free char *path = xstrdup(e.path);
    cleanup_free char *buf = NULL;
    size_t len = 0;
    if (path == NULL)
      return pyoci_error_set(err, ENOMEM, "secret scan of layer %d", layer_index);
    if (pyoci_tar_reader_read_all(r, (size_t)e.size, &buf, &len, err) < 0) {
      pyoci_error_prefix(err, "read '%s'", path);
      return pyoci_error_prefix(err, "secret scan of layer %d (%s)", layer_index, layer_digest ? layer_digest : "?");
    }
    int n = pyoci_secret_scan_buffer_in_layer(path, buf, len, layer_index, layer_digest, cb, ctx, err);
    if (n < 0)
      return -1;
    found += n;
  }
  return found;
}
