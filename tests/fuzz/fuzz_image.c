/* Fuzz image loading and fsck with a hostile manifest.  The input is split
 * at the first NUL byte: before it the manifest, after it a config blob;
 * both are stored, the manifest is named, then loaded and checked. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/oci/image.h"
#include "lib/oci/store.h"
#include "lib/util/fs.h"

static pyoci_store_t *store;
static char *store_dir;

static void remove_store(void)
{
  pyoci_store_close(store);
  pyoci_rm_rf(store_dir, NULL);
  free(store_dir);
}

static void noop(void *ctx, const char *p)
{
  (void)ctx;
  (void)p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (store == NULL) {
    const char *parent = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : NULL; /* fsync is cheap there */
    if (pyoci_mkdtemp(parent, "pyoci-fuzz-image-", &store_dir, NULL) < 0 ||
        pyoci_store_open(store_dir, &store, NULL) < 0)
      abort();
    atexit(remove_store);
  }
  const uint8_t *nul = memchr(data, 0, size);
  size_t mlen = nul ? (size_t)(nul - data) : size;
  char md[PYOCI_DIGEST_LEN], cd[PYOCI_DIGEST_LEN];
  if (pyoci_store_put_blob(store, data, mlen, md, NULL) < 0)
    abort();
  if (nul != NULL && pyoci_store_put_blob(store, nul + 1, size - mlen - 1, cd, NULL) < 0)
    abort();
  pyoci_error_t *err = NULL;
  if (pyoci_store_add_image(store, md, PYOCI_MT_OCI_MANIFEST, -1, "fuzz", &err) < 0)
    abort();
  pyoci_image_t *img = NULL;
  if (pyoci_image_load(store, "fuzz", &img, &err) == 0) {
    if (img->n_layers > PYOCI_MAX_LAYERS || img->manifest == NULL || img->config == NULL)
      abort();
    char chain[PYOCI_DIGEST_LEN];
    pyoci_chain_id((const char(*)[PYOCI_DIGEST_LEN])img->diff_ids, img->n_layers, chain);
    pyoci_image_free(img);
  } else if (err == NULL) {
    abort();
  }
  pyoci_error_free(err);
  err = NULL;
  if (pyoci_store_fsck(store, noop, NULL, &err) < 0)
    abort();
  pyoci_error_free(err);
  err = NULL;
  /* Start every input from an empty store. */
  if (pyoci_store_remove_image(store, md, NULL) < 0 || pyoci_store_gc(store, NULL, NULL, &err) < 0)
    abort();
  return 0;
}
