/* pyoci fsck: verify every blob and reference in the store. */
#include <getopt.h>
#include <stdio.h>

#include "lib/oci/store.h"
#include "lib/util/cleanup.h"
#include "cli.h"

static const char fsck_help[] =
    "Usage: pyoci fsck [OPTIONS]\n"
    "\n"
    "Check the store: the oci-layout file, index.json, and every manifest,\n"
    "config and layer an image uses (rehashed and size-checked), and that each\n"
    "image loads.  Each problem is printed on its own line.  Unused blobs and\n"
    "leftovers of interrupted writes are not problems ('pyoci prune' removes them).\n"
    "\n"
    "Options:\n"
    "      --repair      delete corrupt blobs, drop images that are missing data,\n"
    "                    and clear leftovers of interrupted writes\n"
    "      --store DIR   image store\n"
    "  -h, --help        show this help\n"
    "\n"
    "Exit status: 0 when the store is sound (after --repair: when it is sound now),\n"
    "1 when problems were found, 2 on usage errors.\n";

static void print_problem(void *ctx, const char *problem)
{
  cli_put_escaped(problem, stdout); /* names in index.json are outside data */
  putchar('\n');
}

int cmd_fsck(int argc, char **argv)
{
  enum { OPT_REPAIR = 0x2000 };
  static const struct option opts[] = {
      {"help", no_argument, NULL, 'h'},
      {"repair", no_argument, NULL, OPT_REPAIR},
      CLI_COMMON_LONGOPTS,
      {NULL, 0, NULL, 0},
  };
  bool repair = false;
  int c;
  while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
    if (cli_common_option(c, optarg))
      continue;
    switch (c) {
    case 'h':
      return cli_help(fsck_help);
    case OPT_REPAIR:
      repair = true;
      break;
    default:
      return cli_bad_option("fsck");
    }
  }
  if (optind < argc)
    return cli_usage_error("fsck", "\"fsck\" accepts no arguments");

  cleanup_store pyoci_store_t *s = NULL;
  cleanup_error pyoci_error_t *err = NULL;
  if (pyoci_store_open(pyoci_globals.store, &s, &err) < 0)
    return cli_fail(err);
  pyoci_fsck_stats_t st;
  int problems = pyoci_store_fsck_full(s, repair, print_problem, NULL, &st, &err);
  if (problems < 0)
    return cli_fail(err);
  int status = problems > 0;
  if (problems > 0)
    printf("%d problem%s\n", problems, problems == 1 ? "" : "s");
  else
    printf("ok: %zu image%s, %zu blob%s verified\n", st.images, st.images == 1 ? "" : "s", st.blobs_verified,
           st.blobs_verified == 1 ? "" : "s");
  if (repair && problems > 0) {
    pyoci_fsck_stats_t after;
    int left = pyoci_store_fsck_full(s, false, NULL, NULL, &after, &err);
    printf("repaired: %zu change%s; %s\n", st.repaired, st.repaired == 1 ? "" : "s",
           left == 0 ? "the store is sound now" : "problems remain");
    status = left != 0;
  }
  return status;
}
