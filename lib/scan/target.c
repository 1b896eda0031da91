/* Scan targets: a store image, an archive file, or a directory. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/oci/archive.h"
#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/fs.h"
#include "lib/util/log.h"
#include "scan.h"

void pyoci_target_close(pyoci_target_t *t)
{
  if (t == NULL)
    return;
  pyoci_image_free(t->image);
  if (t->store)
    pyoci_store_close(t->store);
  if (t->own_store && t->tmp_dir != NULL) {
    cleanup_error pyoci_error_t *err = NULL;
    if (pyoci_rm_rf(t->tmp_dir, &err) < 0)
      pyoci_log(PYOCI_LOG_WARN, "could not remove '%s': %s", t->tmp_dir, err->msg);
  }
  free(t->tmp_dir);
  for (size_t i = 0; i < t->n_repo_tags; i++)
    free(t->repo_tags[i]);
  free(t->repo_tags);
  free(t->arg);
  free(t->name);
  free(t);
}

static void add_tag(pyoci_target_t *t, const char *name)
{
  t->repo_tags = xrealloc(t->repo_tags, (t->n_repo_tags + 1) * sizeof(char *));
  t->repo_tags[t->n_repo_tags++] = xstrdup(name);
}

static int open_image(pyoci_target_t *t, const char *ref, pyoci_error_t **err)
{
  if (pyoci_image_load(t->store, ref, &t->image, err) < 0)
    return -1;
  pyoci_index_entry_t *entries = NULL;
  size_t n = 0;
  if (pyoci_store_list(t->store, &entries, &n, err) < 0)
    return -1;
  for (size_t i = 0; i < n; i++)
    if (entries[i].name != NULL && strcmp(entries[i].digest, t->image->manifest_digest) == 0)
      add_tag(t, entries[i].name);
  pyoci_index_entries_free(entries, n);
  return 0;
}

static int open_archive(pyoci_target_t *t, const char *path, pyoci_error_t **err)
{
  if (pyoci_mkdtemp(NULL, "pyoci-scan-", &t->tmp_dir, err) < 0)
    return -1;
  t->own_store = true;
  if (pyoci_store_open(t->tmp_dir, &t->store, err) < 0)
    return -1;
  cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return pyoci_error_set(err, errno, "open '%s'", path);
  pyoci_loaded_image_t *loaded = NULL;
  size_t n = 0;
  if (pyoci_archive_load(t->store, fd, path, &loaded, &n, err) < 0)
    return -1;
  int rc = 0;
  if (n == 0) {
    rc = pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "'%s': the archive holds no image", path);
  } else {
    if (n > 1)
      pyoci_log(PYOCI_LOG_WARN, "'%s' holds %zu images; scanning the first", path, n);
    for (size_t i = 0; i < loaded[0].n_names; i++)
      add_tag(t, loaded[0].names[i]);
    rc = pyoci_image_load_digest(t->store, loaded[0].manifest_digest, &t->image, err);
  }
  pyoci_loaded_images_free(loaded, n);
  return rc;
}

int pyoci_target_open(const char *arg, const char *store_path, pyoci_target_t **out, pyoci_error_t **err)
{
  pyoci_target_t *t = xcalloc(1, sizeof(*t));
  cleanup_target pyoci_target_t *guard = t;
  t->arg = xstrdup(arg);
  struct stat st;
  int rc;
  if (stat(arg, &st) == 0 && S_ISDIR(st.st_mode)) {
    t->kind = PYOCI_TARGET_DIR;
    rc = 0;
  } else if (stat(arg, &st) == 0 && S_ISREG(st.st_mode)) {
    t->kind = PYOCI_TARGET_ARCHIVE;
    rc = open_archive(t, arg, err);
    if (rc < 0)
      pyoci_error_prefix(err, "load '%s'", arg);
  } else {
    t->kind = PYOCI_TARGET_IMAGE;
    rc = pyoci_store_open(store_path, &t->store, err);
    if (rc == 0)
      rc = open_image(t, arg, err);
  }
  if (rc < 0)
    return -1;
  t->name = xstrdup(t->kind == PYOCI_TARGET_ARCHIVE && t->n_repo_tags > 0 ? t->repo_tags[0] : arg);
  *out = steal_pointer(&guard);
  return 0;
}

int pyoci_target_open_dir(const char *dir, bool project, pyoci_target_t **out, pyoci_error_t **err)
{
  struct stat st;
  if (stat(dir, &st) < 0)
    return pyoci_error_set_code(err, errno == ENOENT ? PYOCI_E_NOT_FOUND : 0, errno, "'%s'", dir);
  if (!S_ISDIR(st.st_mode))
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "'%s' is not a directory", dir);
  pyoci_target_t *t = xcalloc(1, sizeof(*t));
  t->kind = PYOCI_TARGET_DIR;
  t->project = project;
  t->arg = xstrdup(dir);
  t->name = xstrdup(dir);
  *out = t;
  return 0;
}
