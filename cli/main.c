/* pyoci: global options, then a git-style table of verbs.  Each verb is
 * cmd_<verb>() in cli/cmd_<verb>.c, declared in cli.h. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util/version.h"
#include "cli.h"
#include "env.h"


struct command {
  const char *name;
  pyoci_cmd_fn fn;
  const char *summary;
};

static const struct command commands[] = {
    {"build", cmd_build, "Build an image from a Dockerfile"},
    {"assemble", cmd_assemble, "Make a distroless image from Debian packages and wheels"},
    {"import", cmd_import, "Create an image from a rootfs tarball or directory"},
    {"load", cmd_load, "Load images from a docker-archive or oci-archive"},
    {"save", cmd_save, "Save images to a docker-archive or oci-archive"},
    {"pull", cmd_pull, "Download an image from a registry"},
    {"push", cmd_push, "Upload an image to a registry"},
    {"copy", cmd_copy, "Copy an image between registries, archives, layouts and the store"},
    {"login", cmd_login, "Save credentials for a registry"},
    {"logout", cmd_logout, "Remove saved credentials for a registry"},
    {"images", cmd_images, "List images in the store"},
    {"tag", cmd_tag, "Give an image another name"},
    {"rmi", cmd_rmi, "Remove images"},
    {"prune", cmd_prune, "Remove untagged images and unused blobs"},
    {"run", cmd_run, "Run a command in a new container"},
    {"ps", cmd_ps, "List containers"},
    {"logs", cmd_logs, "Print a container's output"},
    {"stop", cmd_stop, "Stop running containers"},
    {"kill", cmd_kill, "Send a signal to running containers"},
    {"rm", cmd_rm, "Remove containers"},
    {"exec", cmd_exec, "Run a command in a running container"},
    {"debug", cmd_debug, "Debug a container or image with a toolbox (kubectl debug)"},
    {"inspect", cmd_inspect, "Show an image's configuration (docker image inspect)"},
    {"layers", cmd_layers, "Analyse layers: sizes, files, wasted space (dive)"},
    {"fsck", cmd_fsck, "Verify every blob and reference in the store"},
    {"scan", cmd_scan, "Find vulnerabilities, secrets and misconfigurations"},
    {"sbom", cmd_sbom, "Write a CycloneDX or SPDX software bill of materials"},
    {"compare", cmd_compare, "Compare images side by side"},
    {"distill", cmd_distill, "Keep only the files an app uses (scratch-style image)"},
    {"lint", cmd_lint, "Check a Dockerfile for common mistakes"},
    {"vercmp", cmd_vercmp, "Compare two package versions (deb, apk, pypi)"},
    {"db", cmd_db, "Manage the vulnerability database"},
};


static void usage(FILE *out)
{
  fprintf(out, "Usage: pyoci [--store DIR] [-q] [--debug] COMMAND [ARGS...]\n\n"
               "A daemonless container-image toolkit for Python applications.\n\n"
               "Commands:\n");
  for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
    fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
  fprintf(out, "\nGlobal options (--store, -q and the limits are also accepted after COMMAND):\n"
               "  --store DIR   image store (default $PYOCI_STORE, $XDG_DATA_HOME/pyoci, ~/.local/share/pyoci)\n"
               "  -q, --quiet   no progress or informational output\n"
               "  --debug       debug messages on stderr\n"
               "  --version     print the version\n"
               "Decompression limits (against decompression bombs; docs/fuzzing.md):\n" CLI_LIMITS_HELP "\n"
               "Run 'pyoci COMMAND --help' for more about a command.\n");
}

int main(int argc, char **argv)
{
  static const struct option opts[] = {
      {"store", required_argument, NULL, 's'}, {"quiet", no_argument, NULL, 'q'},
      {"debug", no_argument, NULL, 'D'},       {"help", no_argument, NULL, 'h'},
      {"version", no_argument, NULL, 'V'},
      {"max-compression-ratio", required_argument, NULL, CLI_OPT_MAX_RATIO},
      {"max-decompressed-size", required_argument, NULL, CLI_OPT_MAX_SIZE},
      {NULL, 0, NULL, 0},
  };
  cli_env_load();
  pyoci_globals.store = cli_env()->store; /* --store (here or the verb's) overrides */
  int c;
  static char name[] = "pyoci"; /* getopt's messages start with argv[0] */
  argv[0] = name;
  /* '+': stop at the first non-option, which is the verb. */
  while ((c = getopt_long(argc, argv, "+qh", opts, NULL)) != -1) {
    switch (c) {
    case 's':
      pyoci_globals.store = optarg;
      break;
    case 'q':
      pyoci_globals.quiet = true;
      break;
    case 'D':
      pyoci_globals.debug = true;
      break;
    case 'h':
      usage(stdout);
      return 0;
    case 'V':
      printf("pyoci version %s\n", PYOCI_VERSION);
      return 0;
    case CLI_OPT_MAX_RATIO:
    case CLI_OPT_MAX_SIZE:
      cli_common_option(c, optarg);
      break;
    default:
      usage(stderr);
      return EXIT_USAGE;
    }
  }
  if (optind >= argc) {
    usage(stderr);
    return EXIT_USAGE;
  }
  const char *verb = argv[optind];
  if (strcmp(verb, "help") == 0) {
    usage(stdout);
    return 0;
  }
  if (strcmp(verb, "version") == 0) {
    printf("pyoci version %s\n", PYOCI_VERSION);
    return 0;
  }
  if (strcmp(verb, "__cgroup-join") == 0) /* runc hook of pyoci debug, not a user verb */
    return cmd_cgroup_join(argc - optind, argv + optind);
  for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
    if (strcmp(commands[i].name, verb) != 0)
      continue;
    cli_setup_output();
    int verb_argc = argc - optind;
    char **verb_argv = argv + optind;
    /* getopt prefixes its messages with argv[0]: "pyoci VERB: ..." */
    static char prog[64];
    snprintf(prog, sizeof(prog), "pyoci %s", verb);
    verb_argv[0] = prog;
    optind = 0; /* reset getopt for the verb's own parsing (glibc: 0 = full reinit) */
    return commands[i].fn(verb_argc, verb_argv);
  }
  fputs("pyoci: '", stderr);
  cli_put_escaped(verb, stderr);
  fputs("' is not a pyoci command. See 'pyoci --help'.\n", stderr);
  return EXIT_USAGE;
}
