#include "step.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/image/layer_store.h"
#include "lib/image/unpacked.h"
#include "lib/runtime/runtime.h"
#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/fs.h"
#include "lib/util/walk.h"

int pyoci_lower_for_layer(pyoci_store_t *s, const pyoci_desc_t *desc, const char *diff_id, char **dir_out,
                          pyoci_error_t **err)
{
  return pyoci_unpacked_get(s, desc, diff_id, dir_out, err);
}

static int lowers_for_layers(pyoci_store_t *s, const pyoci_desc_t *layers, const char (*diff_ids)[PYOCI_DIGEST_LEN],
                             size_t n, char ***out, pyoci_error_t **err)
{
  char **lowers = xcalloc(n + 1, sizeof(char *));
  for (size_t i = 0; i < n; i++) {
    /* overlay wants the top-most layer first */
    if (pyoci_lower_for_layer(s, &layers[i], diff_ids[i], &lowers[n - 1 - i], err) < 0) {
      /* filled from the end: lowers[0] is still NULL, so a strv free
       * would stop before the ones made so far (the leak LeakSanitizer
       * found when the unpacker refused a base image's second layer) */
      for (size_t j = 0; j < n; j++)
        free(lowers[j]);
      free(lowers);
      return -1;
    }
  }
  *out = lowers;
  return 0;
}

void pyoci_step_free(pyoci_step_t *step)
{
  if (step == NULL)
    return;
  pyoci_error_t *ignored = NULL;
  if (step->mounted)
    pyoci_overlay_umount(step->merged, &ignored);
  if (step->dir)
    pyoci_rm_rf(step->dir, &ignored);
  pyoci_error_free(ignored);
  pyoci_strvfreep(&step->lowers);
  for (size_t i = 0; i < step->n_mount_targets; i++)
    free(step->mount_targets[i]);
  free(step->mount_targets);
  free(step->dir);
  free(step->upper);
  free(step->work);
  free(step->merged);
  free(step);
}

int pyoci_step_begin(pyoci_store_t *s, const pyoci_desc_t *layers, const char (*diff_ids)[PYOCI_DIGEST_LEN],
                     size_t n, pyoci_step_t **out, pyoci_error_t **err)
{
  pyoci_step_t *step = xcalloc(1, sizeof(*step));
  if (lowers_for_layers(s, layers, diff_ids, n, &step->lowers, err) < 0)
    goto fail;
  step->n_lowers = n;
  if (pyoci_store_mkdtemp(s, "step-", &step->dir, err) < 0)
    goto fail;
  step->upper = pyoci_path_join(step->dir, "upper");
  step->work = pyoci_path_join(step->dir, "work");
  step->merged = pyoci_path_join(step->dir, "merged");
  if (pyoci_mkdir_p(step->upper, 0755, err) < 0 || pyoci_mkdir_p(step->work, 0700, err) < 0 ||
      pyoci_mkdir_p(step->merged, 0755, err) < 0)
    goto fail;
  if (pyoci_overlay_mount((const char *const *)step->lowers, n, step->upper, step->work, step->merged, err) < 0)
    goto fail;
  step->mounted = true;
  *out = step;
  return 0;
fail:
  pyoci_step_free(step);
  return -1;
}

int pyoci_step_finish(pyoci_step_t *step, pyoci_store_t *s, const pyoci_layer_opts_t *opts, bool *changed,
                      pyoci_desc_t *desc, char diff_id[PYOCI_DIGEST_LEN], pyoci_error_t **err)
{
  if (step->mounted) {
    if (pyoci_overlay_umount(step->merged, err) < 0)
      return -1;
    step->mounted = false;
  }
  if (pyoci_overlay_clean_targets(step->upper, (const char *const *)step->lowers, step->n_lowers,
                                  (const char *const *)step->mount_targets, step->n_mount_targets, err) < 0 ||
      pyoci_overlay_clean_mountpoints(step->upper, (const char *const *)step->lowers, step->n_lowers, err) < 0)
    return -1;
  /* BuildKit records a layer for every RUN, COPY, ADD and WORKDIR, an
   * empty one when nothing changed (WORKDIR on an existing directory). */
  *changed = true;
  pyoci_layer_opts_t o = *opts;
  o.overlay_whiteouts = true;
  if (pyoci_layer_from_dir(s, step->upper, &o, desc, diff_id, err) < 0)
    return -1;
  /* The upper dir is already this layer in lower-dir form: keep it, so the
   * next step does not unpack the blob we just wrote. */
  pyoci_unpacked_adopt(s, diff_id, step->upper);
  return 0;
}

struct pyoci_view {
  pyoci_step_t *step; /* reused for its scratch dir and mount bookkeeping */
};

int pyoci_view_open(pyoci_store_t *s, const pyoci_desc_t *layers, const char (*diff_ids)[PYOCI_DIGEST_LEN],
                    size_t n, pyoci_view_t **out, const char **root, pyoci_error_t **err)
{
  /* A writable overlay whose upper is thrown away: simpler than the
   * read-only variant's "at least two lowers" rule, and just as isolated. */
  pyoci_view_t *v = xcalloc(1, sizeof(*v));
  if (v == NULL)
    return pyoci_error_set(err, ENOMEM, "allocate view");
  if (pyoci_step_begin(s, layers, diff_ids, n, &v->step, err) < 0) {
    free(v);
    return -1;
  }
  *root = v->step->merged;
  *out = v;
  return 0;
}

void pyoci_view_close(pyoci_view_t *v)
{
  if (v == NULL)
    return;
  pyoci_step_free(v->step);
  free(v);
}
