/* ADD <url>: downloading the sources into a staging directory that the
 * COPY code then copies from. */
#ifndef PYOCI_BUILDER_ADD_URL_H
#define PYOCI_BUILDER_ADD_URL_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/oci/store.h"
#include "lib/util/error.h"

typedef struct {
  char *dir;    /* staging directory under the store's tmp/ */
  char **names; /* the downloaded files in it, one per URL, in order */
  size_t n;
} pyoci_url_stage_t;

/* http:// or https:// */
bool pyoci_is_url(const char *src);

/* The last element of the URL's path, percent-decoded (new string); ""
 * when the path is empty, ends in '/', or decodes to something that is not
 * one plain file name ("..", a '/', over 255 bytes). */
char *pyoci_url_file_name(const char *url);

/* Download urls into a fresh staging directory.  dest (as written) decides
 * whether a URL whose path names no file is acceptable; checksum, when not
 * NULL, is "sha256:<hex>" and needs exactly one URL.  On error out may hold
 * a partial stage: release it either way. */
int pyoci_add_urls_stage(pyoci_store_t *s, char *const *urls, size_t n, const char *dest, const char *checksum,
                         pyoci_url_stage_t *out, pyoci_error_t **err);
void pyoci_url_stage_release(pyoci_url_stage_t *st);

#endif
