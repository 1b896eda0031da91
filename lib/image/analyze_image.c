/* Running the dive analysis and Docker's size accounting over an image's
 * layers in one read of each layer blob. */
#include <stdlib.h>
#include <string.h>

#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/log.h"
#include "analyze.h"
#include "layersize.h"

/* diff_id: its size goes into the layersize cache under it, so the layer
 * is checked against it. */
static int analyze_layer(pyoci_store_t *s, const pyoci_desc_t *desc, const char *diff_id, pyoci_analysis_t *a,
                         pyoci_dsize_t *d, pyoci_error_t **err)
{
  cleanup_close int fd = -1;
  cleanup_tar_reader pyoci_tar_reader_t *r = NULL; /* freed before fd is closed */
  if (pyoci_layer_reader_open(s, desc, pyoci_digest_valid(diff_id) ? diff_id : NULL, &fd, &r, err) < 0)
    return -1;
  pyoci_tar_entry_t e;
  int rc;
  uint64_t n = 0;
  while ((rc = pyoci_tar_reader_next(r, &e, err)) > 0) {
    /* dive's sizes are tar header sizes: files only (links, dirs 0) */
    pyoci_analysis_add(a, e.path, e.type == PYOCI_TAR_DIR, e.size);
    pyoci_dsize_add(d, &e);
    if (++n % 4096 == 0)
      pyoci_progress("Analysing layers", n, 0, 0);
  }
  return rc < 0 ? pyoci_error_prefix(err, "read layer %s", desc->digest) : 0;
}

int pyoci_analyze_image(pyoci_store_t *s, const pyoci_image_t *img, size_t top_n, pyoci_analysis_result_t *res,
                        int64_t *docker_sizes, pyoci_error_t **err)
{
  pyoci_analysis_t *a = pyoci_analysis_new();
  for (size_t i = 0; i < img->n_layers; i++) {
    pyoci_analysis_begin_layer(a);
    pyoci_dsize_t *d = pyoci_dsize_new();
    int rc = analyze_layer(s, &img->layers[i], img->diff_ids[i], a, d, err);
    if (rc == 0) {
      docker_sizes[i] = pyoci_dsize_total(d);
      pyoci_layer_size_cache_put(s, img->diff_ids[i], docker_sizes[i]);
    }
    pyoci_dsize_free(d);
    if (rc < 0) {
      pyoci_progress("Analysing layers", 0, 0, 1);
      pyoci_analysis_free(a);
      return -1;
    }
  }
  pyoci_progress("Analysing layers", 0, 0, 1);
  pyoci_analysis_finish(a, top_n, res);
  pyoci_analysis_free(a);
  return 0;
}

const char **pyoci_layer_created_by(const pyoci_image_t *img)
{
  const char **out = xcalloc(img->n_layers ? img->n_layers : 1, sizeof(*out));
  json_t *hist = json_object_get(img->config, "history");
  size_t nh = json_is_array(hist) ? json_array_size(hist) : 0, h = 0;
  for (size_t i = 0; i < img->n_layers; i++) {
    while (h < nh && json_is_true(json_object_get(json_array_get(hist, h), "empty_layer")))
      h++;
    out[i] = "(missing)";
    if (h < nh) {
      const char *cb = json_string_value(json_object_get(json_array_get(hist, h), "created_by"));
      out[i] = cb ? cb : "";
      h++;
    }
  }
  return out;
}
