/* `pyoci import`: rootfs tarball or directory -> one-layer image.
 *
 * A tarball is never layered as it is: it is unpacked with the same safe
 * unpacker layers use (nothing escapes the scratch root) and then re-tarred
 * deterministically, so ordering, owners and timestamps in the input cannot
 * leak into the digest beyond what the files themselves say. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/layer/layer.h"
#include "layer_store.h"
#include "lib/dockerfile/change.h"
#include "unpacked.h"
#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/fs.h"
#include "lib/util/json.h"
#include "lib/util/log.h"
#include "lib/oci/image.h"
#include "import.h"

/* Unpack the tarball into a fresh directory under the store's tmp/. */
static int unpack_source(pyoci_store_t *s, const pyoci_import_opts_t *o, int fd, char **dir, pyoci_error_t **err)
{
  if (pyoci_store_mkdtemp(s, "import-", dir, err) < 0)
    return -1;
  pyoci_unpack_opts_t uo;
  pyoci_unpack_opts_init(&uo);
  uo.empty_root = true;
  const char *what = strcmp(o->source, "-") == 0 ? "stdin" : o->source;
  if (pyoci_unpack_layer(fd, what, *dir, &uo, err) < 0)
    return pyoci_error_prefix(err, "import '%s'", what);
  return 0;
}

int pyoci_config_set_platform(json_t *config, const char *platform, pyoci_error_t **err)
{
  cleanup_free char *copy = xstrdup(platform);
  char *arch = strchr(copy, '/');
  if (arch == NULL)
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "--platform '%s': expected OS/ARCH[/VARIANT]", platform);
  *arch++ = '\0';
  char *variant = strchr(arch, '/');
  if (variant)
    *variant++ = '\0';
  if (copy[0] == '\0' || arch[0] == '\0' || (variant && (variant[0] == '\0' || strchr(variant, '/'))))
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "--platform '%s': expected OS/ARCH[/VARIANT]", platform);
  json_object_set_new(config, "os", json_string(copy));
  json_object_set_new(config, "architecture", json_string(arch));
  if (variant)
    json_object_set_new(config, "variant", json_string(variant));
  else
    json_object_del(config, "variant");
  return 0;
}

static json_t *build_config(const pyoci_import_opts_t *o, const char *diff_id, pyoci_error_t **err)
{
  cleanup_json json_t *config = pyoci_config_new();
  if (o->platform != NULL && pyoci_config_set_platform(config, o->platform, err) < 0)
    return NULL;
  if (o->n_changes > 0 && pyoci_changes_apply(config, o->changes, o->n_changes, err) < 0)
    return NULL;
  pyoci_config_add_layer(config, diff_id, NULL, NULL);
  /* docker import records the source (or -m MESSAGE) as the comment. */
  json_t *history = json_object_get(config, "history");
  json_t *last = json_array_get(history, json_array_size(history) - 1);
  cleanup_free char *comment = NULL;
  if (o->message != NULL && o->message[0] != '\0')
    comment = xstrdup(o->message);
  else
    comment = xasprintf("Imported from %s", o->source);
  json_object_set_new(last, "comment", json_string(comment));
  return steal_pointer(&config);
}

int pyoci_import(pyoci_store_t *s, const pyoci_import_opts_t *o, char image_id[PYOCI_DIGEST_LEN],
                 char manifest_digest[PYOCI_DIGEST_LEN], pyoci_error_t **err)
{
  /* Check --change and --platform before doing any work. */
  cleanup_json json_t *probe = build_config(o, "sha256:0000000000000000000000000000000000000000000000000000000000000000", err);
  if (probe == NULL)
    return -1;

  cleanup_free char *tmpdir = NULL;
  cleanup_close int fd = -1;
  cleanup_json json_t *config = NULL;
  pyoci_desc_t desc = {0};
  const char *dir = NULL;
  int rc = -1;
  if (strcmp(o->source, "-") == 0) {
    if (unpack_source(s, o, o->stdin_fd, &tmpdir, err) < 0)
      goto out;
    dir = tmpdir;
  } else {
    fd = open(o->source, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
      pyoci_error_set_code(err, errno == ENOENT ? PYOCI_E_NOT_FOUND : 0, errno, "import: open '%s'", o->source);
      goto out;
    }
    if (S_ISDIR(st.st_mode)) {
      dir = o->source;
    } else {
      if (unpack_source(s, o, fd, &tmpdir, err) < 0)
        goto out;
      dir = tmpdir;
    }
  }

  pyoci_layer_opts_t lo;
  pyoci_layer_opts_init(&lo);
  char diff_id[PYOCI_DIGEST_LEN];
  if (pyoci_layer_from_dir(s, dir, &lo, &desc, diff_id, err) < 0) {
    pyoci_error_prefix(err, "import '%s'", o->source);
    goto out;
  }
  /* A tarball's scratch root is exactly this layer unpacked: keep it as the
   * build cache's lower dir instead of unpacking the blob again later. */
  if (tmpdir != NULL && pyoci_unpacked_adopt(s, diff_id, tmpdir)) {
    free(tmpdir);
    tmpdir = NULL;
  }
  config = build_config(o, diff_id, err);
  if (config != NULL) {
    cleanup_free char *bytes = pyoci_json_dump_canonical(config);
    pyoci_sha256_buf(bytes, strlen(bytes), image_id);
    rc = pyoci_image_commit(s, NULL, bytes, strlen(bytes), &desc, 1, o->names, manifest_digest, err);
  }
out:
  free(desc.media_type);
  if (tmpdir != NULL) {
    pyoci_error_t *rm_err = NULL;
    if (pyoci_rm_rf(tmpdir, &rm_err) < 0) {
      pyoci_log(PYOCI_LOG_WARN, "import: %s", rm_err->msg);
      pyoci_error_free(rm_err);
    }
  }
  return rc;
}
