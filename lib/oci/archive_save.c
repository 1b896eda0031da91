/* `pyoci save`: resolve every reference up front (a typo must not leave a
 * half-written archive), then hand the images to the format writer.  Files
 * are written beside their final name and renamed into place only when
 * complete. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/outfile.h"
#include "lib/util/fs.h"
#include "lib/util/json.h"
#include "lib/util/log.h"
#include "archive_int.h"
#include "ref.h"

static void items_free(pyoci_save_item_t *items, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    pyoci_image_free(items[i].img);
    for (size_t k = 0; k < items[i].n_names; k++)
      free(items[i].names[k]);
    free(items[i].names);
  }
  free(items);
}

/* The familiar name to record for ref: only when ref is a tag the store
 * holds for this very manifest (saving by ID or digest records no name,
 * as docker save does). */
static char *name_for_ref(const pyoci_index_entry_t *entries, size_t n_entries, const char *ref,
                          const char *manifest_digest)
{
  pyoci_error_t *ignored = NULL;
  char *name = pyoci_ref_normalize(ref, &ignored);
  pyoci_error_free(ignored);
  if (name == NULL)
    return NULL;
  for (size_t i = 0; i < n_entries; i++)
    if (entries[i].name && strcmp(entries[i].name, name) == 0 &&
        strcmp(entries[i].digest, manifest_digest) == 0)
      return name;
  free(name);
  return NULL;
}

static void add_item_name(pyoci_save_item_t *it, char *name)
{
  for (size_t k = 0; k < it->n_names; k++)
    if (strcmp(it->names[k], name) == 0) {
      free(name);
      return;
    }
  it->names = xrealloc(it->names, (it->n_names + 1) * sizeof(char *));
  it->names[it->n_names++] = name;
}

static int resolve_all(pyoci_store_t *s, const char *const *refs, size_t n, pyoci_save_item_t **out,
                       size_t *n_out, pyoci_error_t **err)
{
  pyoci_index_entry_t *entries = NULL;
  size_t n_entries = 0;
  if (pyoci_store_list(s, &entries, &n_entries, err) < 0)
    return -1;
  pyoci_save_item_t *items = xcalloc(n + 1, sizeof(*items));
  size_t count = 0;
  int rc = -1;
  for (size_t i = 0; i < n; i++) {
    pyoci_image_t *img = NULL;
    if (pyoci_image_load(s, refs[i], &img, err) < 0) {
      pyoci_error_prefix(err, "save '%s'", refs[i]);
      goto out;
    }
    /* The same image named twice is written once, with both names. */
    size_t j;
    for (j = 0; j < count; j++)
      if (strcmp(items[j].img->manifest_digest, img->manifest_digest) == 0)
        break;
    if (j == count) {
      items[count].img = img;
      int64_t t = pyoci_parse_rfc3339(pyoci_json_str(img->config, "created"));
      items[count].mtime = t > 0 ? t : 0;
      count++;
    } else {
      pyoci_image_free(img);
    }
    char *name = name_for_ref(entries, n_entries, refs[i], items[j].img->manifest_digest);
    if (name)
      add_item_name(&items[j], name);
  }
  *out = steal_pointer(&items);
  *n_out = count;
  rc = 0;
out:
  if (items)
    items_free(items, count);
  pyoci_index_entries_free(entries, n_entries);
  return rc;
}

int pyoci_archive_save_opts(pyoci_store_t *s, const char *const *refs, size_t n, const pyoci_save_opts_t *o, int fd,
                            const char *what, pyoci_error_t **err)
{
  if (n == 0)
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "save: no images given");
  const pyoci_archive_fmt_t *fmt = pyoci_archive_fmt_get(o->fmt);
  if (fmt == NULL)
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "save: unknown archive format %d", (int)o->fmt);
  if (!fmt->compressed_layers && o->layers != NULL)
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0,
                                "save: a %s holds uncompressed layers; compression applies to oci", fmt->name);
  pyoci_save_item_t *items = NULL;
  size_t count = 0;
  if (resolve_all(s, refs, n, &items, &count, err) < 0)
    return -1;
  pyoci_tarw_t *w = pyoci_tarw_new(fd, what);
  int rc = fmt->write(s, items, count, o->layers, w, err);
  if (rc == 0)
    rc = pyoci_tarw_finish(w, err);
  pyoci_tarw_free(w);
  items_free(items, count);
  return rc;
}

int pyoci_archive_save(pyoci_store_t *s, const char *const *refs, size_t n, pyoci_archive_format_t fmt, int fd,
                       const char *what, pyoci_error_t **err)
{
  pyoci_save_opts_t o = {.fmt = fmt};
  return pyoci_archive_save_opts(s, refs, n, &o, fd, what, err);
}

int pyoci_archive_save_file_opts(pyoci_store_t *s, const char *const *refs, size_t n, const pyoci_save_opts_t *o,
                                 const char *path, pyoci_error_t **err)
{
  pyoci_outfile_t *f = NULL;
  if (pyoci_outfile_open(path, 0666, &f, err) < 0)
    return -1;
  if (pyoci_archive_save_opts(s, refs, n, o, pyoci_outfile_fd(f), path, err) < 0) {
    pyoci_outfile_abort(f);
    return -1;
  }
  /* Publishing is what matters: nobody ever sees a half-written archive.
   * No fsync: an export is not the store, and on a 128 MB archive it was 60
   * of the 250 ms save took. */
  return pyoci_outfile_commit(f, false, err);
}

int pyoci_archive_save_file(pyoci_store_t *s, const char *const *refs, size_t n, pyoci_archive_format_t fmt,
                            const char *path, pyoci_error_t **err)
{
  pyoci_save_opts_t o = {.fmt = fmt};
  return pyoci_archive_save_file_opts(s, refs, n, &o, path, err);
}
