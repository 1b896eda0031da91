/* pyoci stop / kill / rm: docker's verbs on containers given by name or ID;
 * each prints the argument as given on success, errors per container. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/container/container.h"
#include "lib/util/cleanup.h"
#include "cli.h"
#include "ctr_opts.h"

static const char stop_help[] =
    "Usage: pyoci stop [OPTIONS] CONTAINER [CONTAINER...]\n"
    "\n"
    "Stop running containers: the image's StopSignal (default SIGTERM), then\n"
    "SIGKILL when the container has not exited after the timeout.\n"
    "\n"
    "Options:\n"
    "  -t, --time SECONDS   seconds to wait before SIGKILL (default 10)\n"
    "  -s, --signal SIG     signal to send first instead of the StopSignal\n"
    "      --store DIR      image store\n"
    "  -h, --help           show this help\n";

static const char kill_help[] =
    "Usage: pyoci kill [OPTIONS] CONTAINER [CONTAINER...]\n"
    "\n"
    "Send a signal to running containers' main process.\n"
    "\n"
    "Options:\n"
    "  -s, --signal SIG     signal to send (default SIGKILL)\n"
    "      --store DIR      image store\n"
    "  -h, --help           show this help\n";

static const char rm_help[] =
    "Usage: pyoci rm [OPTIONS] CONTAINER [CONTAINER...]\n"
    "\n"
    "Remove containers (their state, log and file-system changes).\n"
    "\n"
    "Options:\n"
    "  -f, --force          kill and remove a running container\n"
    "      --store DIR      image store\n"
    "  -h, --help           show this help\n";

typedef enum { VERB_STOP, VERB_KILL, VERB_RM } verb_t;

static int one(verb_t verb, const char *store, const char *ref, int timeout, int sig, bool force)
{
  cleanup_error pyoci_error_t *err = NULL;
  cleanup_container pyoci_container_t *c = NULL;
  int rc = pyoci_container_find(store, ref, &c, &err);
  if (rc == 0 && verb == VERB_STOP)
    rc = sig > 0 && pyoci_container_running(c) ? pyoci_container_kill(c, sig, &err) : 0;
  if (rc == 0 && verb == VERB_STOP)
    rc = pyoci_container_stop(c, timeout, &err);
  else if (rc == 0 && verb == VERB_KILL)
    rc = pyoci_container_kill(c, sig, &err);
  else if (rc == 0 && verb == VERB_RM)
    rc = pyoci_container_remove(c, force, &err);
  if (rc < 0)
    return cli_fail(err);
  printf("%s\n", ref);
  return 0;
}

static int control(verb_t verb, int argc, char **argv)
{
  static const char *const names[] = {"stop", "kill", "rm"};
  static const char *const helps[] = {stop_help, kill_help, rm_help};
  static const struct option opts[] = {
      {"help", no_argument, NULL, 'h'}, {"time", required_argument, NULL, 't'},
      {"timeout", required_argument, NULL, 't'}, {"signal", required_argument, NULL, 's'},
      {"force", no_argument, NULL, 'f'}, CLI_COMMON_LONGOPTS, {NULL, 0, NULL, 0},
  };
  const char *name = names[verb];
  int timeout = 10, sig = verb == VERB_KILL ? SIGKILL : 0, ch;
  bool force = false;
  while ((ch = getopt_long(argc, argv, verb == VERB_RM ? "fqh" : verb == VERB_STOP ? "t:s:qh" : "s:qh", opts,
                           NULL)) != -1) {
    if (cli_common_option(ch, optarg))
      continue;
    switch (ch) {
    case 'h': return cli_help(helps[verb]);
    case 't': {
      char *end;
      timeout = (int)strtol(optarg, &end, 10);
      if (*end || timeout < 0)
        return cli_usage_error(name, "--time %s: not a number of seconds", optarg);
      break;
    }
    case 's':
      sig = pyoci_signal_parse(optarg);
      if (sig < 0)
        return cli_usage_error(name, "invalid signal: %s", optarg);
      break;
    case 'f': force = true; break;
    default: return cli_bad_option(name);
    }
  }
  if (optind >= argc)
    return cli_usage_error(name, "\"%s\" requires at least 1 argument", name);
  cleanup_free char *store = ctr_store_path();
  int status = 0;
  for (int i = optind; i < argc; i++)
    if (one(verb, store, argv[i], timeout, sig, force) != 0)
      status = 1;
  return status;
}

int cmd_stop(int argc, char **argv)
{
  return control(VERB_STOP, argc, argv);
}

int cmd_kill(int argc, char **argv)
{
  return control(VERB_KILL, argc, argv);
}

int cmd_rm(int argc, char **argv)
{
  return control(VERB_RM, argc, argv);
}
