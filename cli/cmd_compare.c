/* pyoci compare: images side by side (the article's "compare the two
 * images", in one command). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/compare/compare.h"
#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/fs.h"
#include "cli.h"
#include "env.h"

static const char help[] =
    "Usage: pyoci compare [OPTIONS] TARGET TARGET [TARGET...]\n"
    "\n"
    "Show images side by side: size (as 'pyoci inspect' reports Size), layers,\n"
    "files in the merged tree, OS, OS and Python package counts, known\n"
    "vulnerabilities by severity (when a vulnerability DB exists) and secrets;\n"
    "then the largest paths each one holds that none of the others does.\n"
    "\n"
    "Each TARGET is an image in the store, a docker-archive or oci-archive\n"
    "file, or a root file system directory.\n"
    "\n"
    "Options:\n"
    "      --format FORMAT   table (default) or json\n"
    "      --top N           largest paths listed per target (default 10)\n"
    "      --db PATH         vulnerability database (default as for 'pyoci scan')\n"
    "      --no-cache        do not use or fill the per-layer scan cache\n"
    "      --store DIR       image store\n"
    "  -q, --quiet           no progress or warnings\n"
    "  -h, --help            show this help\n"
    "\n"
    "Exit status: 0 success, 1 failure, 2 usage error.\n";


enum { OPT_FORMAT = 0x2000, OPT_TOP, OPT_DB, OPT_NO_CACHE };

/* --top N: how many rows of each list, 0 to 100000. */
static int parse_top(const char *arg, void *dst)
{
  char *end = NULL;
  long top = strtol(arg, &end, 10);
  if (*arg == '\0' || *end != '\0' || top < 0 || top > 100000)
    return cli_usage_error("compare", "--top wants a number from 0 to 100000, not '%s'", arg);
  *(long *)dst = top;
  return 0;
}

int cmd_compare(int argc, char **argv)
{
  static const struct option opts[] = {
      {"format", required_argument, NULL, OPT_FORMAT}, {"top", required_argument, NULL, OPT_TOP},
      {"db", required_argument, NULL, OPT_DB},         {"no-cache", no_argument, NULL, OPT_NO_CACHE},
      {"help", no_argument, NULL, 'h'},                CLI_COMMON_LONGOPTS,
      {NULL, 0, NULL, 0},
  };
  const char *format = "table";
  long top = 10;
  pyoci_scan_opts_t so = {.scanners = PYOCI_SCANNER_VULN | PYOCI_SCANNER_SECRET, .db_path = cli_env()->vulndb};
  const cli_optset_t sets[] = {{.opt = OPT_FORMAT, .str = &format},
                               {.opt = OPT_TOP, .parse = parse_top, .dst = &top},
                               {.opt = OPT_DB, .str = &so.db_path},
                               {.opt = OPT_NO_CACHE, .flag = &so.no_cache},
                               {0}};
  int optst = cli_getopt("compare", argc, argv, "qh", opts, sets, NULL, help);
  if (optst >= 0)
    return optst;
  if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0)
    return cli_usage_error("compare", "unknown format '%s' (use table or json)", format);
  if (argc - optind < 2)
    return cli_usage_error("compare", "expected at least two TARGETs");
  size_t n = (size_t)(argc - optind);
  pyoci_compare_col_t *cols = xcalloc(n, sizeof(*cols));
  cleanup_error pyoci_error_t *err = NULL;
  int rc = 0;
  for (size_t i = 0; i < n && rc == 0; i++) {
    /* One target open at a time: each archive's private store is removed
     * before the next is loaded. */
    pyoci_target_t *t = NULL;
    rc = pyoci_target_open(argv[optind + (int)i], pyoci_globals.store, &t, &err);
    if (rc == 0)
      rc = pyoci_compare_collect(t, &so, &cols[i], &err);
    pyoci_target_close(t);
  }
  if (rc == 0) {
    pyoci_compare_diff(cols, n, (size_t)top);
    cleanup_free char *text = strcmp(format, "json") == 0 ? pyoci_compare_json(cols, n) : pyoci_compare_table(cols, n);
    if (fputs(text, stdout) == EOF || fflush(stdout) != 0)
      rc = pyoci_error_set(&err, 0, "write standard output failed");
  }
  for (size_t i = 0; i < n; i++)
    pyoci_compare_col_release(&cols[i]);
  free(cols);
  return rc < 0 ? cli_fail(err) : 0;
}
