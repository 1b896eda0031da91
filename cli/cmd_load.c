/* pyoci load: images from a docker-archive or oci-archive (docker load). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/image/unpacked.h"
#include "lib/oci/archive.h"
#include "lib/oci/store.h"
#include "lib/util/cleanup.h"
#include "lib/util/log.h"
#include "cli.h"

static const char usage[] =
    "Usage: pyoci load [OPTIONS]\n\n"
    "Load images from a docker-archive (docker save, any version) or an\n"
    "oci-archive (skopeo, podman, buildah, pyoci save --format oci), plain or\n"
    "compressed with gzip, zstd or xz.  Everything is verified before any tag\n"
    "is set: a damaged or hostile archive changes nothing.\n\n"
    "Options:\n"
    "  -i, --input FILE   read the archive from FILE (default: stdin, or -)\n"
    "      --no-unpack    only store the blobs; the first build unpacks the\n"
    "                     layers (default: unpack them now, as docker load does)\n"
    "      --store DIR    image store\n"
    "  -q, --quiet        no progress output\n"
    CLI_LIMITS_HELP
    "  -h, --help         show this help\n";

int cmd_load(int argc, char **argv)
{
  static const struct option opts[] = {
      {"input", required_argument, NULL, 'i'},
      {"help", no_argument, NULL, 'h'},
      {"no-unpack", no_argument, NULL, 'U'},
      CLI_COMMON_LONGOPTS,
      {NULL, 0, NULL, 0},
  };
  const char *input = "-";
  bool unpack = true;
  int c;
  while ((c = getopt_long(argc, argv, "i:hq", opts, NULL)) != -1) {
    if (cli_common_option(c, optarg))
      continue;
    switch (c) {
    case 'i':
      input = optarg;
      break;
    case 'h':
      return cli_help(usage);
    case 'U':
      unpack = false;
      break;
    default:
      return cli_bad_option("load");
    }
  }
  if (optind != argc)
    return cli_usage_error("load", "unexpected argument '%s'", argv[optind]);
  bool from_stdin = strcmp(input, "-") == 0;
  if (from_stdin && isatty(STDIN_FILENO))
    return cli_usage_error("load", "refusing to read an archive from a terminal; use -i FILE or a pipe");
  cleanup_error pyoci_error_t *err = NULL;
  cleanup_close int fd = from_stdin ? -1 : open(input, O_RDONLY | O_CLOEXEC);
  if (!from_stdin && fd < 0) {
    pyoci_error_set(&err, errno, "load: open '%s'", input);
    return cli_fail(err);
  }
  pyoci_store_t *s = NULL;
  if (pyoci_store_open(pyoci_globals.store, &s, &err) < 0)
    return cli_fail(err);
  pyoci_loaded_image_t *loaded = NULL;
  size_t n = 0;
  int rc = pyoci_archive_load(s, from_stdin ? STDIN_FILENO : fd, from_stdin ? "stdin" : input, &loaded, &n, &err);
  /* The layers' lower-dir form for builds and runs, made now (as docker
   * load fills overlay2) rather than on the first build's critical path. */
  for (size_t i = 0; rc == 0 && unpack && i < n; i++) {
    /* the images are in and tagged: a failure here only means the first
     * build unpacks (and reports) it */
    cleanup_error pyoci_error_t *uerr = NULL;
    if (pyoci_unpacked_image(s, loaded[i].manifest_digest, 2, &uerr) < 0)
      pyoci_log(PYOCI_LOG_WARN, "load: unpack %s: %s", loaded[i].manifest_digest, uerr->msg);
  }
  pyoci_store_close(s);
  if (rc < 0)
    return cli_fail(err);
  for (size_t i = 0; i < n; i++) {
    if (loaded[i].n_names == 0)
      printf("Loaded image ID: %s\n", loaded[i].image_id);
    for (size_t k = 0; k < loaded[i].n_names; k++)
      printf("Loaded image: %s\n", loaded[i].names[k]);
  }
  pyoci_loaded_images_free(loaded, n);
  return 0;
}
