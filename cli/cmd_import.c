/* pyoci import: create an image from a root file system (docker import). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/dockerfile/change.h"
#include "lib/image/import.h"
#include "lib/oci/ref.h"
#include "lib/oci/store.h"
#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "cli.h"

static const char usage[] =
    "Usage: pyoci import [OPTIONS] ROOTFS.tar|DIR|- [REPOSITORY[:TAG]]\n\n"
    "Create a one-layer image from a root file system: a tarball (plain, gzip,\n"
    "zstd, xz, bzip2), a directory, or a tarball on stdin (-).  Prints the image ID.\n"
    "The layer is deterministic: mtimes are clamped to SOURCE_DATE_EPOCH when set.\n\n"
    "Options:\n"
    "  -t, --tag REF          name the image (repeatable)\n"
    "  -c, --change INSTR     apply a Dockerfile instruction to the config (repeatable):\n"
    "                         CMD, ENTRYPOINT, ENV, EXPOSE, HEALTHCHECK, LABEL, ONBUILD,\n"
    "                         STOPSIGNAL, USER, VOLUME, WORKDIR ($VARS expand)\n"
    "  -m, --message MSG      history comment (default \"Imported from SOURCE\")\n"
    "      --platform P       OS/ARCH[/VARIANT] to record (default: this host)\n"
    "      --store DIR        image store\n"
    "  -q, --quiet            no progress output\n"
    CLI_LIMITS_HELP
    "  -h, --help             show this help\n";

int cmd_import(int argc, char **argv)
{
  enum { OPT_PLATFORM = 0x2000 };
  static const struct option opts[] = {
      {"tag", required_argument, NULL, 't'},
      {"change", required_argument, NULL, 'c'},
      {"message", required_argument, NULL, 'm'},
      {"platform", required_argument, NULL, OPT_PLATFORM},
      {"help", no_argument, NULL, 'h'},
      CLI_COMMON_LONGOPTS,
      {NULL, 0, NULL, 0},
  };
  cleanup_free const char **changes = xcalloc((size_t)argc + 1, sizeof(char *));
  cleanup_strv char **names = xcalloc((size_t)argc + 2, sizeof(char *));
  size_t n_changes = 0, n_names = 0;
  pyoci_import_opts_t o = {.stdin_fd = STDIN_FILENO};
  int c;
  while ((c = getopt_long(argc, argv, "t:c:m:hq", opts, NULL)) != -1) {
    if (cli_common_option(c, optarg))
      continue;
    switch (c) {
    case 't':
    case 'c':
      if (c == 'c') {
        changes[n_changes++] = optarg;
        break;
      }
      {
        cleanup_error pyoci_error_t *err = NULL;
        char *n = pyoci_ref_normalize(optarg, &err);
        if (n == NULL)
          return cli_usage_error("import", "%s", err->msg);
        names[n_names++] = n;
      }
      break;
    case 'm':
      o.message = optarg;
      break;
    case OPT_PLATFORM:
      o.platform = optarg;
      break;
    case 'h':
      return cli_help(usage);
    default:
      return cli_bad_option("import");
    }
  }
  if (optind >= argc || argc - optind > 2)
    return cli_usage_error("import", "expected ROOTFS.tar|DIR|- and an optional REPOSITORY[:TAG]");
  o.source = argv[optind];
  if (argc - optind == 2) {
    cleanup_error pyoci_error_t *err = NULL;
    char *n = pyoci_ref_normalize(argv[optind + 1], &err);
    if (n == NULL)
      return cli_usage_error("import", "%s", err->msg);
    names[n_names++] = n;
  }
  if (strcmp(o.source, "-") == 0 && isatty(STDIN_FILENO))
    return cli_usage_error("import", "refusing to read a tarball from a terminal; pipe one in or give a path");
  o.changes = changes;
  o.n_changes = n_changes;
  o.names = (const char *const *)names;

  cleanup_error pyoci_error_t *err = NULL;
  /* Bad --change / --platform are usage errors: check them up front. */
  json_t *probe = json_object();
  int bad = o.platform != NULL && pyoci_config_set_platform(probe, o.platform, &err) < 0;
  if (!bad)
    bad = pyoci_changes_apply(probe, changes, n_changes, &err) < 0;
  json_decref(probe);
  if (bad)
    return cli_usage_error("import", "%s", err->msg);
  pyoci_store_t *s = NULL;
  if (pyoci_store_open(pyoci_globals.store, &s, &err) < 0)
    return cli_fail(err);
  char id[PYOCI_DIGEST_LEN], manifest[PYOCI_DIGEST_LEN];
  int rc = pyoci_import(s, &o, id, manifest, &err);
  pyoci_store_close(s);
  if (rc < 0)
    return cli_fail(err);
  printf("%s\n", id);
  return 0;
}
