/* pyoci push: an image from the store to a registry (docker push). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/oci/store.h"
#include "lib/registry/registry.h"
#include "lib/util/cleanup.h"
#include "cli.h"
#include "registry_cli.h"

static const char usage[] =
    "Usage: pyoci push [OPTIONS] IMAGE [DEST]\n\n"
    "Upload an image from the store to a registry, as docker push does.  DEST\n"
    "(a NAME[:TAG]) defaults to IMAGE's own name.  Blobs the registry has are\n"
    "skipped; blobs of an image named on the same registry are mounted from its\n"
    "repository instead of uploaded; manifests go last.  Prints\n"
    "'TAG: digest: sha256:... size: N' like docker.\n\n"
    "Options:\n"
    "      --chunk-size BYTES  upload in chunks (PATCH) of this size instead of one PUT\n" CLI_REGISTRY_HELP
    "      --store DIR        image store\n"
    "  -q, --quiet            print only the pushed name\n"
    "  -h, --help             show this help\n";

int cmd_push(int argc, char **argv)
{
  enum { OPT_CHUNK = 0x2000 };
  static const struct option opts[] = {
      {"chunk-size", required_argument, NULL, OPT_CHUNK}, {"help", no_argument, NULL, 'h'},
      CLI_REGISTRY_LONGOPTS, CLI_COMMON_LONGOPTS, {NULL, 0, NULL, 0},
  };
  struct cli_registry rc_ __attribute__((cleanup(cli_registry_free)));
  cli_registry_init(&rc_);
  int c, r;
  while ((c = getopt_long(argc, argv, "hq", opts, NULL)) != -1) {
    if ((r = cli_registry_option(&rc_, "push", c, optarg)) != 0) {
      if (r < 0)
        return EXIT_USAGE;
      continue;
    }
    if (c == OPT_CHUNK) {
      char *end = NULL;
      unsigned long long n = strtoull(optarg, &end, 10);
      if (*end != '\0' || n < 1024)
        return cli_usage_error("push", "--chunk-size takes a number of bytes, at least 1024");
      rc_.o.chunk_size = n;
    } else if (c == 'h') {
      return cli_help(usage);
    } else {
      return cli_bad_option("push");
    }
  }
  cli_registry_progress_start(&rc_);
  if (optind >= argc || argc - optind > 2)
    return cli_usage_error("push", "requires IMAGE and an optional DEST");
  const char *image = argv[optind], *dest = optind + 1 < argc ? argv[optind + 1] : NULL;
  cleanup_error pyoci_error_t *err = NULL;
  pyoci_store_t *s = NULL;
  if (pyoci_store_open(pyoci_globals.store, &s, &err) < 0)
    return cli_fail(err);
  pyoci_push_result_t res;
  int st = pyoci_registry_push(s, image, dest, &rc_.o, &res, &err);
  pyoci_store_close(s);
  cli_registry_progress_end();
  if (st < 0)
    return cli_fail(err);
  if (pyoci_globals.quiet) {
    printf("%s\n", dest ? dest : image);
  } else {
    fprintf(stderr, "%s: %zu blobs uploaded, %zu mounted, %zu already there\n", dest ? dest : image,
            res.blobs_pushed, res.blobs_mounted, res.blobs_skipped);
    printf("%s: digest: %s size: %lld\n", res.tag, res.digest, (long long)res.size);
  }
  pyoci_push_result_free(&res);
  return 0;
}
