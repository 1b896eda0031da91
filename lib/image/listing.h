/* The rows of `pyoci images`: what docker lists for each image name.
 *
 * One row per name, an untagged image once as <none> <none>, each with the
 * facts docker shows -- manifest digest, image ID, creation time and the
 * unpacked size (layersize.h) -- newest first, then by repository and tag.
 * The library builds the rows; cli/cmd_images.c only formats them (its
 * --format templates and the aligned table). */
#ifndef PYOCI_IMAGE_LISTING_H
#define PYOCI_IMAGE_LISTING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/oci/store.h"

typedef struct {
  char *repo, *tag; /* "<none>" for an untagged image */
  char digest[PYOCI_DIGEST_LEN];
  char id[PYOCI_DIGEST_LEN];
  int64_t created; /* Unix seconds, valid when has_created */
  bool has_created;
  uint64_t size;
} pyoci_image_row_t;

typedef struct {
  pyoci_image_row_t *v;
  size_t n;
} pyoci_image_rows_t;

/* The rows, all of them or those whose name matches filter (REPOSITORY or
 * REPOSITORY:TAG, as `docker images` takes it).  An image whose manifest or
 * config cannot be read is skipped with a warning (fsck's business). */
int pyoci_image_rows(pyoci_store_t *s, const char *filter, pyoci_image_rows_t *rows, pyoci_error_t **err);
void pyoci_image_rows_free(pyoci_image_rows_t *rows);

#endif
