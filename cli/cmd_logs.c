/* pyoci logs: a container's output, as docker logs prints it. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/container/container.h"
#include "lib/util/cleanup.h"
#include "cli.h"
#include "ctr_opts.h"

static const char logs_help[] =
    "Usage: pyoci logs [OPTIONS] CONTAINER\n"
    "\n"
    "Print a container's output: its stdout here on stdout, its stderr on stderr.\n"
    "\n"
    "Options:\n"
    "  -f, --follow       keep printing new output until the container exits\n"
    "  -n, --tail N       only the last N lines (default: all)\n"
    "  -t, --timestamps   prefix each line with its time (RFC 3339, nanoseconds)\n"
    "      --store DIR    image store\n"
    "  -h, --help         show this help\n";

int cmd_logs(int argc, char **argv)
{
  static const struct option opts[] = {
      {"help", no_argument, NULL, 'h'}, {"follow", no_argument, NULL, 'f'},
      {"tail", required_argument, NULL, 'n'}, {"timestamps", no_argument, NULL, 't'},
      CLI_COMMON_LONGOPTS, {NULL, 0, NULL, 0},
  };
  bool follow = false, ts = false;
  long tail = -1;
  int ch;
  while ((ch = getopt_long(argc, argv, "fn:tqh", opts, NULL)) != -1) {
    if (cli_common_option(ch, optarg))
      continue;
    switch (ch) {
    case 'h': return cli_help(logs_help);
    case 'f': follow = true; break;
    case 't': ts = true; break;
    case 'n': {
      char *end;
      tail = strcmp(optarg, "all") == 0 ? -1 : strtol(optarg, &end, 10);
      if (strcmp(optarg, "all") != 0 && (*end || tail < 0))
        return cli_usage_error("logs", "--tail %s: not a number", optarg);
      break;
    }
    default: return cli_bad_option("logs");
    }
  }
  if (optind + 1 != argc)
    return cli_usage_error("logs", "\"logs\" requires exactly 1 argument");
  cleanup_free char *store = ctr_store_path();
  cleanup_error pyoci_error_t *err = NULL;
  cleanup_container pyoci_container_t *c = NULL;
  if (pyoci_container_find(store, argv[optind], &c, &err) < 0 ||
      pyoci_container_logs(c, STDOUT_FILENO, STDERR_FILENO, follow, ts, tail, &err) < 0)
    return cli_fail(err);
  return 0;
}
