/* pyoci run: docker run on the local store -- the image's root is an
 * overlay of its cached unpacked layers, the process runs in runc. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/container/container.h"
#include "lib/oci/store.h"
#include "lib/util/cleanup.h"
#include "cli.h"
#include "ctr_opts.h"

static const char run_help[] =
    "Usage: pyoci run [OPTIONS] IMAGE [COMMAND] [ARG...]\n"
    "\n"
    "Run a command in a new container, as docker run does: the image's\n"
    "Entrypoint and Cmd, Env, User and WorkingDir apply unless overridden.\n"
    "The exit status is the command's (125: pyoci failed, 126: the command\n"
    "cannot be run, 127: it was not found).\n"
    "\n"
    "Options:\n"
    "  -d, --detach             run in the background and print the container ID\n"
    "      --rm                 remove the container when it exits\n"
    "      --name NAME          name the container\n"
    "  -e, --env K=V            set an environment variable (K alone: take it from here)\n"
    "      --env-file FILE      read K=V lines from FILE\n"
    "  -v, --volume HOST:CTR[:ro]  bind mount a host directory or file\n"
    "      --tmpfs PATH[:size=N]   mount a tmpfs\n"
    "  -u, --user USER[:GROUP]  user (name or uid) to run as\n"
    "  -w, --workdir DIR        working directory in the container\n"
    "      --entrypoint CMD     override the image's entrypoint (\"\" clears it)\n"
    "      --read-only          mount the root file system read-only\n"
    "      --network host|none  host network (default) or none\n"
    "      --hostname NAME      container host name\n"
    "      --init               run docker-init (tini) as PID 1, forwarding signals and reaping\n"
    "  -i, --interactive        keep stdin open\n"
    "  -t, --tty                allocate a pseudo-TTY\n"
    "      --store DIR          image store\n"
    "  -h, --help               show this help\n"
    "\n"
    "Signals pyoci receives are passed to the container; the output is also\n"
    "kept for 'pyoci logs' (not with -t).\n";

int cmd_run(int argc, char **argv)
{
  static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, CTR_RUN_LONGOPTS, CLI_COMMON_LONGOPTS,
                                       {NULL, 0, NULL, 0}};
  ctr_opts_t c;
  ctr_opts_init(&c);
  int ch, rc;
  /* '+': options after IMAGE belong to the command */
  while ((ch = getopt_long(argc, argv, "+" CTR_RUN_SHORTOPTS "qh", opts, NULL)) != -1) {
    if (cli_common_option(ch, optarg))
      continue;
    if (ch == 'h') {
      ctr_opts_release(&c);
      return cli_help(run_help);
    }
    int r = ctr_opts_parse(&c, ch, optarg, "run");
    if (r <= 0) {
      ctr_opts_release(&c);
      return r < 0 ? 125 : (cli_bad_option("run"), 125);
    }
  }
  if (optind >= argc) {
    ctr_opts_release(&c);
    cli_usage_error("run", "\"run\" requires at least 1 argument");
    return 125;
  }
  if (c.o.detach && c.o.tty) {
    ctr_opts_release(&c);
    fprintf(stderr, "pyoci run: -t with -d is not supported (logs are kept without a TTY)\n");
    return 125;
  }
  c.o.image = argv[optind];
  c.o.cmd = argv + optind + 1;
  pyoci_store_t *s = NULL;
  cleanup_error pyoci_error_t *err = NULL;
  cleanup_container pyoci_container_t *ctr = NULL;
  if (pyoci_store_open(pyoci_globals.store, &s, &err) < 0) {
    ctr_opts_release(&c);
    return ctr_fail(err);
  }
  rc = pyoci_container_create(s, &c.o, &ctr, &err);
  pyoci_store_close(s); /* a long run must not hold the store's lock (gc waits for it) */
  bool detach = c.o.detach, interactive = c.o.interactive, tty = c.o.tty;
  ctr_opts_release(&c);
  if (rc < 0)
    return ctr_fail(err);
  if (detach) {
    if (pyoci_container_start_detached(ctr, &err) < 0)
      return ctr_fail(err);
    printf("%s\n", ctr->id);
    return 0;
  }
  int code = 0;
  if (pyoci_container_run_foreground(ctr, interactive, tty, &code, &err) < 0)
    return ctr_fail(err);
  return code;
}
