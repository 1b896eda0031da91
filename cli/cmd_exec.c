/* pyoci exec: run a command in a running container (docker exec). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/container/container.h"
#include "lib/util/cleanup.h"
#include "cli.h"
#include "ctr_opts.h"

static const char exec_help[] =
    "Usage: pyoci exec [OPTIONS] CONTAINER COMMAND [ARG...]\n"
    "\n"
    "Run a command in a running container, in its namespaces and with its\n"
    "environment.  The exit status is the command's (126: it cannot be run,\n"
    "missing or not executable, as with docker exec; 125: pyoci failed).\n"
    "\n"
    "Options:\n"
    "  -d, --detach          run the command in the background\n"
    "  -e, --env K=V         set an environment variable\n"
    "      --env-file FILE   read K=V lines from FILE\n"
    "  -i, --interactive     keep stdin open\n"
    "  -t, --tty             allocate a pseudo-TTY\n"
    "  -u, --user UID[:GID]  user to run as (numeric)\n"
    "  -w, --workdir DIR     working directory\n"
    "      --store DIR       image store\n"
    "  -h, --help            show this help\n";

int cmd_exec(int argc, char **argv)
{
  static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, CTR_RUN_LONGOPTS, CLI_COMMON_LONGOPTS,
                                       {NULL, 0, NULL, 0}};
  ctr_opts_t c;
  ctr_opts_init(&c);
  int ch;
  while ((ch = getopt_long(argc, argv, "+de:u:w:itqh", opts, NULL)) != -1) {
    if (cli_common_option(ch, optarg))
      continue;
    if (ch == 'h') {
      ctr_opts_release(&c);
      return cli_help(exec_help);
    }
    bool ours = ch == 'd' || ch == 'e' || ch == 'u' || ch == 'w' || ch == 'i' || ch == 't' || ch == CTR_OPT_ENV_FILE;
    if (!ours || ctr_opts_parse(&c, ch, optarg, "exec") <= 0) {
      ctr_opts_release(&c);
      return ours ? 125 : (cli_bad_option("exec"), 125);
    }
  }
  if (optind + 2 > argc) {
    ctr_opts_release(&c);
    cli_usage_error("exec", "\"exec\" requires at least 2 arguments");
    return 125;
  }
  cleanup_free char *store = ctr_store_path();
  cleanup_error pyoci_error_t *err = NULL;
  cleanup_container pyoci_container_t *ctr = NULL;
  pyoci_exec_spec_t e = {.argv = argv + optind + 1, .env = c.env, .cwd = c.o.workdir, .user = c.o.user,
                         .tty = c.o.tty, .detach = c.o.detach, .keep_stdin = c.o.interactive};
  int code = 0, rc = pyoci_container_find(store, argv[optind], &ctr, &err);
  if (rc == 0)
    rc = pyoci_container_exec(ctr, &e, &code, &err);
  ctr_opts_release(&c);
  if (rc < 0) {
    /* docker exec answers 126 for a command it cannot start, whether it
     * is missing or not executable (docker run tells 127 from 126): so
     * says dockerd 20.10 side by side in t301. */
    int st = ctr_fail(err);
    return st == 127 ? 126 : st;
  }
  return code;
}
