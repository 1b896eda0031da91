/* pyoci save: images to a docker-archive or oci-archive (docker save). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/oci/archive.h"
#include "lib/oci/store.h"
#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "cli.h"

static const char usage[] =
    "Usage: pyoci save [OPTIONS] IMAGE...\n\n"
    "Write one or more images to a tar archive (stdout by default).\n"
    "  docker  the docker-archive every Docker loads (docker load), layers uncompressed\n"
    "  oci     an OCI image layout (skopeo oci-archive:, podman load), blobs as stored\n"
    "          unless --compression is given\n"
    "The archive is deterministic: sorted members, fixed times and owners.\n\n"
    "Options:\n"
    "  -o, --output FILE      write to FILE (atomically: complete or absent), - = stdout\n"
    "      --format FMT       docker (default) or oci\n"
    "      --compression ALGO[:LEVEL]\n"
    "                         oci only: write every layer as gzip (level 1-12, default 6),\n"
    "                         zstd (1-22, default 3) or uncompressed; variants are made\n"
    "                         once, cached in the store, and cleaned by 'pyoci prune'\n"
    "      --store DIR        image store\n"
    "  -q, --quiet            no progress output\n"
    "  -h, --help             show this help\n";

int cmd_save(int argc, char **argv)
{
  enum { OPT_FORMAT = 0x2000, OPT_COMPRESSION };
  static const struct option opts[] = {
      {"output", required_argument, NULL, 'o'},
      {"format", required_argument, NULL, OPT_FORMAT},
      {"compression", required_argument, NULL, OPT_COMPRESSION},
      {"help", no_argument, NULL, 'h'},
      CLI_COMMON_LONGOPTS,
      {NULL, 0, NULL, 0},
  };
  const char *output = "-";
  pyoci_archive_format_t fmt = PYOCI_ARCHIVE_DOCKER;
  pyoci_variant_spec_t spec;
  const char *compression = NULL;
  cleanup_error pyoci_error_t *err = NULL;
  int c;
  while ((c = getopt_long(argc, argv, "o:hq", opts, NULL)) != -1) {
    if (cli_common_option(c, optarg))
      continue;
    switch (c) {
    case 'o':
      output = optarg;
      break;
    case OPT_FORMAT:
      if (strcmp(optarg, "docker") == 0 || strcmp(optarg, "docker-archive") == 0)
        fmt = PYOCI_ARCHIVE_DOCKER;
      else if (strcmp(optarg, "oci") == 0 || strcmp(optarg, "oci-archive") == 0)
        fmt = PYOCI_ARCHIVE_OCI;
      else
        return cli_usage_error("save", "unknown format '%s' (docker or oci)", optarg);
      break;
    case OPT_COMPRESSION: {
      compression = optarg;
      cleanup_free char *algo = xstrdup(optarg);
      char *level = strchr(algo, ':');
      if (level != NULL)
        *level++ = '\0';
      if (pyoci_variant_spec_parse(algo, level, &spec, &err) < 0)
        return cli_usage_error("save", "--compression '%s': %s", optarg, err->msg);
      break;
    }
    case 'h':
      return cli_help(usage);
    default:
      return cli_bad_option("save");
    }
  }
  if (optind >= argc)
    return cli_usage_error("save", "no image given");
  if (compression != NULL && fmt != PYOCI_ARCHIVE_OCI)
    return cli_usage_error("save", "--compression applies to --format oci; a docker-archive holds uncompressed "
                                   "layers (plain tar), as docker load expects");
  bool to_stdout = strcmp(output, "-") == 0;
  if (to_stdout && isatty(STDOUT_FILENO))
    return cli_usage_error("save", "refusing to write an archive to a terminal; use -o FILE or a redirect");
  pyoci_save_opts_t so = {.fmt = fmt, .layers = compression ? &spec : NULL};
  pyoci_store_t *s = NULL;
  if (pyoci_store_open(pyoci_globals.store, &s, &err) < 0)
    return cli_fail(err);
  const char *const *refs = (const char *const *)&argv[optind];
  size_t n = (size_t)(argc - optind);
  int rc = to_stdout ? pyoci_archive_save_opts(s, refs, n, &so, STDOUT_FILENO, "stdout", &err)
                     : pyoci_archive_save_file_opts(s, refs, n, &so, output, &err);
  pyoci_store_close(s);
  if (rc < 0)
    return cli_fail(err);
  return 0;
}
