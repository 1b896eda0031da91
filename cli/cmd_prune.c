/* pyoci prune: remove untagged images, every blob no image needs (docker
 * image prune) and the cache entries of what went, reporting the space
 * reclaimed.  The CLI is where every module is known, so the list of the
 * store's caches is put together here (see lib/oci/store_cache.h). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/assemble/assemble.h"
#include "lib/builder/cache.h"
#include "lib/image/layersize.h"
#include "lib/image/unpacked.h"
#include "lib/oci/store.h"
#include "lib/oci/store_cache.h"
#include "lib/oci/variant.h"
#include "lib/scan/layerrec.h"
#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "cli.h"
#include "human.h"

static const char prune_help[] =
    "Usage: pyoci prune [OPTIONS]\n"
    "\n"
    "Remove untagged (dangling) images, then delete every blob that no\n"
    "remaining image uses and any leftovers of interrupted writes, and clean\n"
    "the store's caches: unpacked layers, layer sizes and scan records of\n"
    "layers no remaining image uses, and the compressed variants exports made\n"
    "of them (save --compression, build -o type=oci), and build cache records\n"
    "whose layer is gone.  Reclaimed space counts blobs and cache files\n"
    "(apparent size).\n"
    "\n"
    "Options:\n"
    "  -f, --force       do not ask for confirmation\n"
    "      --build-cache also remove the whole build cache (docker builder prune -a):\n"
    "                    every step record and RUN --mount=type=cache directory\n"
    "      --store DIR   image store\n"
    "  -h, --help        show this help\n";

static const pyoci_layer_cache_t *const layer_caches[] = {
    &pyoci_unpacked_cache,
    &pyoci_layer_size_cache,
    &pyoci_lrec_cache,
    &pyoci_variant_cache,
};
static const pyoci_cache_pruner_fn pruners[] = {pyoci_cache_prune, pyoci_assemble_cache_prune};
static const pyoci_store_caches_t store_caches = {
    layer_caches, sizeof(layer_caches) / sizeof(layer_caches[0]), pruners, sizeof(pruners) / sizeof(pruners[0]),
};

/* --build-cache: the above, and the whole build cache (docker builder prune
 * -a): every step record and every RUN --mount=type=cache directory. */
static const pyoci_layer_cache_t build_records_cache = {.subdir = "cache/build", .whole = true};
static const pyoci_layer_cache_t mount_caches = {.subdir = "cache/mounts", .locked = true, .whole = true};
static const pyoci_layer_cache_t *const layer_and_build_caches[] = {
    &pyoci_unpacked_cache, &pyoci_layer_size_cache, &pyoci_lrec_cache, &pyoci_variant_cache,
    &build_records_cache,  &mount_caches,
};
static const pyoci_store_caches_t store_and_build_caches = {
    layer_and_build_caches, sizeof(layer_and_build_caches) / sizeof(layer_and_build_caches[0]), NULL, 0,
};

static bool confirm(bool build_cache)
{
  printf("WARNING! This will remove all dangling images%s.\nAre you sure you want to continue? [y/N] ",
         build_cache ? " and all build cache" : "");
  fflush(stdout);
  char line[32];
  if (fgets(line, sizeof(line), stdin) == NULL) {
    putchar('\n');
    return false;
  }
  line[strcspn(line, "\r\n")] = '\0';
  return strcasecmp(line, "y") == 0 || strcasecmp(line, "yes") == 0;
}

int cmd_prune(int argc, char **argv)
{
  static const struct option opts[] = {
      {"help", no_argument, NULL, 'h'},
      {"force", no_argument, NULL, 'f'},
      {"build-cache", no_argument, NULL, 'B'},
      CLI_COMMON_LONGOPTS,
      {NULL, 0, NULL, 0},
  };
  bool force = false, build_cache = false;
  const cli_optset_t sets[] = {{.opt = 'f', .flag = &force}, {.opt = 'B', .flag = &build_cache}, {0}};
  int optst = cli_getopt("prune", argc, argv, "fqh", opts, sets, NULL, prune_help);
  if (optst >= 0)
    return optst;
  if (optind < argc)
    return cli_usage_error("prune", "\"prune\" accepts no arguments");
  if (!force && !confirm(build_cache))
    return 0;

  cleanup_store pyoci_store_t *s = NULL;
  cleanup_error pyoci_error_t *err = NULL;
  if (pyoci_store_open(pyoci_globals.store, &s, &err) < 0)
    return cli_fail(err);
  /* Which images are about to go, to name them afterwards like docker. */
  pyoci_index_entry_t *v = NULL;
  size_t n = 0;
  if (pyoci_store_list(s, &v, &n, &err) < 0)
    return cli_fail(err);
  /* IDs first: the blobs that tell them are about to go. */
  char(*ids)[PYOCI_DIGEST_LEN] = xcalloc(n ? n : 1, PYOCI_DIGEST_LEN);
  size_t n_ids = 0;
  for (size_t i = 0; ids != NULL && i < n; i++) {
    if (v[i].name != NULL)
      continue;
    if (pyoci_store_image_id(s, v[i].digest, ids[n_ids], NULL) < 0)
      memcpy(ids[n_ids], v[i].digest, PYOCI_DIGEST_LEN);
    bool dup = false;
    for (size_t j = 0; j < n_ids; j++)
      dup = dup || strcmp(ids[j], ids[n_ids]) == 0;
    if (!dup)
      n_ids++;
  }
  pyoci_prune_stats_t st;
  int rc = pyoci_store_prune_all(s, build_cache ? &store_and_build_caches : &store_caches, &st, &err);
  if (rc == 0 && st.images > 0) {
    printf("Deleted Images:\n");
    for (size_t i = 0; i < n_ids; i++)
      printf("deleted: %s\n", ids[i]);
    printf("\n");
  }
  free(ids);
  pyoci_index_entries_free(v, n);
  pyoci_store_close(steal_pointer(&s)); /* unlock before printing */
  if (rc < 0)
    return cli_fail(err);
  char size[32];
  cli_human_size((double)(st.blob_bytes + st.caches.bytes), 4, size, sizeof(size));
  printf("Total reclaimed space: %s\n", size);
  return 0;
}
