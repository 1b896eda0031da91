#include "unpacked.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/util/cleanup.h"
#include "lib/util/fs.h"
#include "lib/layer/layer.h"
#include "lib/util/alloc.h"

const pyoci_layer_cache_t pyoci_unpacked_cache = {.subdir = "cache/unpacked", .locked = true};

static char *cache_dir(pyoci_store_t *s)
{
  return pyoci_path_join(pyoci_store_path(s), pyoci_unpacked_cache.subdir);
}

int pyoci_unpacked_get(pyoci_store_t *s, const pyoci_desc_t *desc, const char *diff_id, char **dir_out,
                       pyoci_error_t **err)
{
  if (!pyoci_digest_valid(diff_id))
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "layer %s: invalid diff_id '%s'", desc->digest, diff_id);
  cleanup_free char *cache = cache_dir(s);
  cleanup_free char *dir = pyoci_path_join(cache, diff_id + 7);
  if (pyoci_path_exists(dir)) {
    *dir_out = steal_pointer(&dir);
    return 0;
  }
  if (pyoci_mkdir_p(cache, 0700, err) < 0)
    return -1;
  /* One unpacker per layer at a time (a build and its prefetcher, or two
   * builds): the others wait here and then find the directory. */
  cleanup_free char *lock_path = NULL;
  lock_path = xasprintf("%s.lock", dir);
  cleanup_close int lock = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock < 0 || flock(lock, LOCK_EX) < 0)
    return pyoci_error_set(err, errno, "lock '%s'", lock_path);
  if (pyoci_path_exists(dir)) {
    *dir_out = steal_pointer(&dir);
    return 0;
  }
  /* Unpack beside the final name and rename: a half-unpacked layer is never
   * visible, and a killed unpack leaves only scratch for gc. */
  cleanup_free char *tmp = NULL;
  if (pyoci_store_mkdtemp(s, "unpack-", &tmp, err) < 0)
    return -1;
  cleanup_close int fd = -1;
  int64_t size = 0;
  pyoci_unpack_opts_t uo;
  pyoci_unpack_opts_init(&uo);
  uo.as_overlay_lower = true;
  uo.empty_root = true;
  uo.expect_diff_id = diff_id; /* the directory is named after it: a lie would poison every image sharing it */
  if (pyoci_store_open_blob(s, desc->digest, &fd, &size, err) < 0 ||
      pyoci_unpack_layer(fd, desc->digest, tmp, &uo, err) < 0) {
    pyoci_error_t *ignored = NULL;
    pyoci_rm_rf(tmp, &ignored);
    pyoci_error_free(ignored);
    return -1;
  }
  if (rename(tmp, dir) < 0) {
    int e = errno;
    pyoci_error_t *ignored = NULL;
    pyoci_rm_rf(tmp, &ignored);
    pyoci_error_free(ignored);
    if (e != ENOTEMPTY && e != EEXIST)
      return pyoci_error_set(err, e, "rename '%s' to '%s'", tmp, dir);
  }
  *dir_out = steal_pointer(&dir);
  return 0;
}

bool pyoci_unpacked_adopt(pyoci_store_t *s, const char *diff_id, const char *dir)
{
  if (!pyoci_digest_valid(diff_id))
    return false;
  cleanup_free char *cache = cache_dir(s);
  cleanup_free char *dest = pyoci_path_join(cache, diff_id + 7);
  pyoci_error_t *ignored = NULL;
  bool ok = !pyoci_path_exists(dest) && pyoci_mkdir_p(cache, 0700, &ignored) == 0 && rename(dir, dest) == 0;
  pyoci_error_free(ignored);
  return ok;
}

static int unpack_one(pyoci_store_t *s, const pyoci_image_t *img, size_t i, pyoci_error_t **err)
{
  char *dir = NULL;
  int rc = pyoci_unpacked_get(s, &img->layers[i], img->diff_ids[i], &dir, err);
  free(dir);
  return rc;
}

/* A child that failed: the index of its layer, or -1. */
static int reap_one(const pid_t *pids, size_t n)
{
  int st = 0;
  pid_t done = wait(&st);
  for (size_t k = 0; done > 0 && k < n; k++)
    if (pids[k] == done)
      return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? -1 : (int)k;
  return -1;
}

/* One child per layer, at most jobs alive; a layer whose child failed is
 * unpacked again here, for its error message. */
int pyoci_unpacked_image(pyoci_store_t *s, const char *manifest_digest, int jobs, pyoci_error_t **err)
{
  cleanup_image pyoci_image_t *img = NULL;
  if (pyoci_image_load_digest(s, manifest_digest, &img, err) < 0)
    return -1;
  size_t n = img->n_layers;
  if (jobs < 2 || n < 2) {
    for (size_t i = 0; i < n; i++)
      if (unpack_one(s, img, i, err) < 0)
        return -1;
    return 0;
  }
  cleanup_free pid_t *pids = xcalloc(n, sizeof(pid_t));
  int running = 0, failed = -1, f;
  for (size_t i = 0; i < n; i++) {
    if (running >= jobs) {
      if ((f = reap_one(pids, n)) >= 0 && failed < 0)
        failed = f;
      running--;
    }
    pids[i] = fork();
    if (pids[i] == 0) {
      pyoci_error_t *e = NULL;
      _exit(unpack_one(s, img, i, &e) < 0 ? 1 : 0);
    }
    if (pids[i] < 0 && failed < 0)
      failed = (int)i;
    running += pids[i] > 0;
  }
  for (; running > 0; running--)
    if ((f = reap_one(pids, n)) >= 0 && failed < 0)
      failed = f;
  return failed >= 0 ? unpack_one(s, img, (size_t)failed, err) : 0;
}
