/* pyoci vercmp: compare two versions under a package ecosystem's rules,
 * the same comparators the scanner uses. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util/cleanup.h"
#include "lib/vuln/vercmp.h"
#include "cli.h"

static const char help[] =
    "Usage: pyoci vercmp SCHEME A B\n"
    "       pyoci vercmp --batch SCHEME < PAIRS\n"
    "       pyoci vercmp --normalize pypi VERSION\n\n"
    "Compare two package versions and print '<', '=' or '>'.\n\n"
    "SCHEME is deb (dpkg), apk (apk-tools), pypi (PEP 440) or semver; OSV\n"
    "ecosystem names (Debian:12, Alpine:v3.18, PyPI) are accepted too.\n\n"
    "Options:\n"
    "  --batch       read 'A<TAB>B' lines from stdin, print one result per line\n"
    "                ('error: MESSAGE' for a pair with an invalid version)\n"
    "  --normalize   print the normalised form of a PEP 440 version\n"
    "  -h, --help    show this help\n\n"
    "Exit status: 0 compared, 1 invalid version (any in --batch), 2 usage error.\n";

static const char *symbol(int r)
{
  return r < 0 ? "<" : r > 0 ? ">" : "=";
}

static int run_batch(const char *scheme)
{
  if (pyoci_verscheme_for(scheme) == NULL)
    return cli_usage_error("vercmp", "unknown scheme '%s'", scheme);
  cleanup_free char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  int status = 0;
  while ((n = getline(&line, &cap, stdin)) >= 0) {
    if (n > 0 && line[n - 1] == '\n')
      line[--n] = '\0';
    char *tab = strchr(line, '\t');
    if (tab == NULL) {
      printf("error: expected 'A<TAB>B'\n");
      status = 1;
      continue;
    }
    *tab = '\0';
    cleanup_error pyoci_error_t *err = NULL;
    int r;
    if (pyoci_vercmp(scheme, line, tab + 1, &r, &err) < 0) {
      printf("error: %s\n", err->msg);
      status = 1;
      continue;
    }
    printf("%s\n", symbol(r));
  }
  return status;
}

int cmd_vercmp(int argc, char **argv)
{
  static const struct option opts[] = {
      CLI_COMMON_LONGOPTS,
      {"batch", no_argument, NULL, 'b'},
      {"normalize", no_argument, NULL, 'n'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0},
  };
  bool batch = false, normalize = false;
  int c;
  while ((c = getopt_long(argc, argv, "+qh", opts, NULL)) != -1) {
    if (cli_common_option(c, optarg))
      continue;
    switch (c) {
    case 'b':
      batch = true;
      break;
    case 'n':
      normalize = true;
      break;
    case 'h':
      return cli_help(help);
    default:
      return cli_bad_option("vercmp");
    }
  }
  int nargs = argc - optind;
  if (batch) {
    if (nargs != 1)
      return cli_usage_error("vercmp", "--batch takes just the SCHEME");
    return run_batch(argv[optind]);
  }
  cleanup_error pyoci_error_t *err = NULL;
  if (normalize) {
    if (nargs != 2)
      return cli_usage_error("vercmp", "--normalize takes SCHEME and VERSION");
    if (pyoci_verscheme_for(argv[optind]) != &pyoci_scheme_pep440)
      return cli_usage_error("vercmp", "--normalize is only defined for pypi");
    cleanup_free char *norm = pyoci_pep440_normalize(argv[optind + 1], &err);
    if (norm == NULL)
      return cli_fail(err);
    printf("%s\n", norm);
    return 0;
  }
  if (nargs != 3)
    return cli_usage_error("vercmp", "expected SCHEME A B");
  if (pyoci_verscheme_for(argv[optind]) == NULL)
    return cli_usage_error("vercmp", "unknown scheme '%s' (expected deb, apk, pypi or semver)", argv[optind]);
  int r;
  if (pyoci_vercmp(argv[optind], argv[optind + 1], argv[optind + 2], &r, &err) < 0)
    return cli_fail(err);
  printf("%s\n", symbol(r));
  return 0;
}
