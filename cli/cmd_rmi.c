/* pyoci rmi: remove names and images, the way `docker rmi` does:
 * a name is untagged, and the image goes when its last name does; an ID
 * removes the image, but only with -f when several names still use it.
 * Blobs nothing needs any more are collected afterwards. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/oci/ref.h"
#include "lib/oci/store.h"
#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "cli.h"

static const char rmi_help[] =
    "Usage: pyoci rmi [OPTIONS] IMAGE [IMAGE...]\n"
    "\n"
    "Remove images.  IMAGE is a name (the name is removed, and the image with\n"
    "it when no other name is left), an image ID, a unique ID prefix, or a\n"
    "digest (the image is removed with all its names).\n"
    "\n"
    "Options:\n"
    "  -f, --force       remove an image given by ID even if several names use it\n"
    "      --no-prune    do not delete blobs that are no longer used\n"
    "      --store DIR   image store\n"
    "  -h, --help        show this help\n";

static int named_count(const pyoci_index_entry_t *v, size_t n, const char *digest)
{
  int c = 0;
  for (size_t i = 0; i < n; i++)
    if (v[i].name && strcmp(v[i].digest, digest) == 0)
      c++;
  return c;
}

/* REF names the image by its ID (or an ID prefix), not by a manifest. */
static bool is_id_of(const char *ref, const char id[PYOCI_DIGEST_LEN])
{
  const char *hex = strncmp(ref, "sha256:", 7) == 0 ? ref + 7 : ref;
  return *hex != '\0' && strncmp(id + 7, hex, strlen(hex)) == 0;
}

/* Remove the manifests marked in drop (each digest once), printing the
 * names that go with them. */
static int remove_marked(pyoci_store_t *s, const pyoci_index_entry_t *v, size_t n, const bool *drop,
                         pyoci_error_t **err)
{
  for (size_t i = 0; i < n; i++) {
    if (!drop[i])
      continue;
    bool seen = false;
    for (size_t j = 0; j < i && !seen; j++)
      seen = drop[j] && strcmp(v[j].digest, v[i].digest) == 0;
    if (!seen && pyoci_store_remove_image(s, v[i].digest, err) < 0)
      return -1;
  }
  for (size_t i = 0; i < n; i++)
    if (drop[i] && v[i].name)
      printf("Untagged: %s\n", v[i].name);
  return 0;
}

/* Remove one IMAGE argument; prints what happened.  *deleted set when an
 * image left the index. */
static int rmi_one(pyoci_store_t *s, const char *ref, bool force, bool *deleted, pyoci_error_t **err)
{
  pyoci_index_entry_t *v = NULL;
  size_t n = 0;
  if (pyoci_store_list(s, &v, &n, err) < 0)
    return -1;
  int rc = -1;
  char digest[PYOCI_DIGEST_LEN], id[PYOCI_DIGEST_LEN];
  cleanup_free char *fam = pyoci_ref_normalize(ref, NULL);
  const pyoci_index_entry_t *by_name = NULL;
  for (size_t i = 0; fam && strchr(fam, '@') == NULL && i < n && !by_name; i++)
    if (v[i].name && strcmp(v[i].name, fam) == 0)
      by_name = &v[i];

  if (by_name != NULL) {
    memcpy(digest, by_name->digest, PYOCI_DIGEST_LEN);
    if (pyoci_store_image_id(s, digest, id, NULL) < 0)
      memcpy(id, digest, PYOCI_DIGEST_LEN);
    bool last = named_count(v, n, digest) == 1;
    if (pyoci_store_untag(s, fam, false, err) < 0)
      goto out;
    printf("Untagged: %s\n", fam);
    if (last) {
      printf("Deleted: %s\n", id);
      *deleted = true;
    }
    rc = 0;
    goto out;
  }

  if (pyoci_store_resolve(s, ref, digest, err) < 0)
    goto out;
  if (pyoci_store_image_id(s, digest, id, NULL) < 0)
    memcpy(id, digest, PYOCI_DIGEST_LEN);
  /* By image ID: every manifest with that config is that image (an image
   * loaded once as docker-archive and once as OCI has two), as in docker. */
  bool *drop = xcalloc(n ? n : 1, sizeof(*drop));
  int names = 0;
  for (size_t i = 0; i < n; i++) {
    char other[PYOCI_DIGEST_LEN];
    drop[i] = strcmp(v[i].digest, digest) == 0 ||
              (is_id_of(ref, id) && pyoci_store_image_id(s, v[i].digest, other, NULL) == 0 && strcmp(other, id) == 0);
    names += drop[i] && v[i].name != NULL;
  }
  if (names > 1 && !force) {
    pyoci_error_set_code(err, PYOCI_E_INVALID, 0,
                         "conflict: unable to delete %.12s (must be forced) - image is referenced in multiple "
                         "repositories",
                         id + 7);
  } else {
    rc = remove_marked(s, v, n, drop, err);
    if (rc == 0) {
      printf("Deleted: %s\n", id);
      *deleted = true;
    }
  }
  free(drop);
out:
  pyoci_index_entries_free(v, n);
  return rc;
}

int cmd_rmi(int argc, char **argv)
{
  enum { OPT_NO_PRUNE = 0x2000 };
  static const struct option opts[] = {
      {"help", no_argument, NULL, 'h'},
      {"force", no_argument, NULL, 'f'},
      {"no-prune", no_argument, NULL, OPT_NO_PRUNE},
      CLI_COMMON_LONGOPTS,
      {NULL, 0, NULL, 0},
  };
  bool force = false, no_prune = false;
  const cli_optset_t sets[] = {{.opt = 'f', .flag = &force}, {.opt = OPT_NO_PRUNE, .flag = &no_prune}, {0}};
  int optst = cli_getopt("rmi", argc, argv, "fqh", opts, sets, NULL, rmi_help);
  if (optst >= 0)
    return optst;
  if (optind >= argc)
    return cli_usage_error("rmi", "\"rmi\" requires at least 1 argument");

  pyoci_store_t *s = NULL;
  cleanup_error pyoci_error_t *err = NULL;
  if (pyoci_store_open(pyoci_globals.store, &s, &err) < 0)
    return cli_fail(err);
  int status = 0;
  bool deleted = false;
  for (int i = optind; i < argc; i++) {
    pyoci_error_t *one = NULL;
    if (rmi_one(s, argv[i], force, &deleted, &one) < 0) {
      cli_fail(one);
      status = 1;
    }
    pyoci_error_free(one);
  }
  if (deleted && !no_prune && pyoci_store_gc(s, NULL, NULL, &err) < 0)
    status = cli_fail(err);
  pyoci_store_close(s);
  return status;
}
