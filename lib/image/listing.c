/* The rows of `pyoci images` (listing.h). */
#include "listing.h"

#include <stdlib.h>
#include <string.h>

#include "lib/oci/archive.h"
#include "lib/oci/image.h"
#include "lib/oci/ref.h"
#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/json.h"
#include "lib/util/log.h"
#include "layersize.h"

void pyoci_image_rows_free(pyoci_image_rows_t *rows)
{
  for (size_t i = 0; i < rows->n; i++) {
    free(rows->v[i].repo);
    free(rows->v[i].tag);
  }
  free(rows->v);
  rows->v = NULL;
  rows->n = 0;
}

/* Image facts for one manifest (id, created, size); 0 on success. */
static int image_facts(pyoci_store_t *s, const char *digest, pyoci_image_row_t *r)
{
  cleanup_image pyoci_image_t *img = NULL;
  cleanup_error pyoci_error_t *err = NULL;
  if (pyoci_image_load_digest(s, digest, &img, &err) < 0) {
    pyoci_log(PYOCI_LOG_WARN, "skipping image %s: %s (run 'pyoci fsck')", digest, err->msg);
    return -1;
  }
  memcpy(r->id, img->config_digest, PYOCI_DIGEST_LEN);
  r->created = pyoci_parse_rfc3339(pyoci_json_str(img->config, "created"));
  r->has_created = r->created != -1;
  /* Docker's SIZE: the unpacked size (cached per layer after the first time). */
  int64_t size = 0;
  if (pyoci_image_unpacked_size(s, img, &size, &err) < 0) {
    pyoci_log(PYOCI_LOG_WARN, "image %s: %s", digest, err->msg);
    size = 0;
    for (size_t i = 0; i < img->n_layers; i++)
      size += img->layers[i].size;
  }
  r->size = (uint64_t)size;
  return 0;
}

static int row_cmp(const void *a, const void *b)
{
  const pyoci_image_row_t *x = a, *y = b;
  if (x->created != y->created)
    return x->created > y->created ? -1 : 1;
  int c = strcmp(x->repo, y->repo);
  return c ? c : strcmp(x->tag, y->tag);
}

/* filter's familiar repository and, when it names one, its tag. */
static int parse_filter(const char *filter, char **repo, char **tag, pyoci_error_t **err)
{
  pyoci_ref_t fr;
  if (pyoci_ref_parse(filter, &fr, err) < 0)
    return -1;
  *repo = pyoci_ref_familiar_repo(&fr);
  cleanup_free char *given_repo = NULL, *given_tag = NULL;
  pyoci_ref_split_name(filter, &given_repo, &given_tag);
  if (given_tag != NULL && fr.tag)
    *tag = xstrdup(fr.tag);
  pyoci_ref_free(&fr);
  return 0;
}

/* The row for index entry e, its facts copied from an earlier row of the
 * same manifest or read; false when it is filtered out or unreadable. */
static bool make_row(pyoci_store_t *s, const pyoci_index_entry_t *e, const char *frepo, const char *ftag,
                     const pyoci_image_rows_t *done, pyoci_image_row_t *r)
{
  if (e->name)
    pyoci_ref_split_name(e->name, &r->repo, &r->tag);
  else
    r->repo = xstrdup("<none>");
  if (r->tag == NULL)
    r->tag = xstrdup("<none>");
  memcpy(r->digest, e->digest, PYOCI_DIGEST_LEN);
  bool keep = frepo == NULL || (e->name && strcmp(r->repo, frepo) == 0 && (!ftag || strcmp(r->tag, ftag) == 0));
  const pyoci_image_row_t *same = NULL;
  for (size_t j = 0; j < done->n && keep && same == NULL; j++)
    if (strcmp(done->v[j].digest, e->digest) == 0)
      same = &done->v[j];
  if (keep && same != NULL) {
    memcpy(r->id, same->id, PYOCI_DIGEST_LEN);
    r->created = same->created;
    r->has_created = same->has_created;
    r->size = same->size;
  } else if (keep && image_facts(s, e->digest, r) < 0) {
    keep = false;
  }
  if (!keep) {
    free(r->repo);
    free(r->tag);
  }
  return keep;
}

int pyoci_image_rows(pyoci_store_t *s, const char *filter, pyoci_image_rows_t *rows, pyoci_error_t **err)
{
  cleanup_free char *frepo = NULL, *ftag = NULL;
  if (filter != NULL && parse_filter(filter, &frepo, &ftag, err) < 0)
    return -1;
  pyoci_index_entry_t *v = NULL;
  size_t n = 0;
  if (pyoci_store_list(s, &v, &n, err) < 0)
    return -1;
  rows->v = xcalloc(n ? n : 1, sizeof(*rows->v));
  rows->n = 0;
  for (size_t i = 0; i < n; i++) {
    pyoci_image_row_t r = {0};
    if (make_row(s, &v[i], frepo, ftag, rows, &r))
      rows->v[rows->n++] = r;
  }
  pyoci_index_entries_free(v, n);
  qsort(rows->v, rows->n, sizeof(*rows->v), row_cmp);
  return 0;
}
