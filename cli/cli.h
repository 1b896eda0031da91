/* Shared pieces of the command-line front end: global options, the store
 * opener, error printing and exit codes.  Each verb lives in cmd_<verb>.c and
 * is listed in the command table in main.c. */
#ifndef PYOCI_CLI_H
#define PYOCI_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "lib/util/error.h"

/* Exit codes (docs/exit-codes.md): 0 success, 1 failure, 2 usage error,
 * like docker and most Unix tools; 125-127 and 128+N for `run`/`exec`. */
enum { EXIT_FAILURE_ = 1, EXIT_USAGE = 2 };

struct pyoci_globals {
  const char *store;  /* --store, else the default from the environment (env.h) */
  bool quiet;         /* --quiet: no progress, no informational output */
  bool debug;         /* --debug: debug log messages */
};
extern struct pyoci_globals pyoci_globals;

typedef int (*pyoci_cmd_fn)(int argc, char **argv);

/* The verbs, one per cli/cmd_<verb>.c, listed in main.c's command table. */
int cmd_assemble(int argc, char **argv);
int cmd_build(int argc, char **argv);
int cmd_copy(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_db(int argc, char **argv);
int cmd_debug(int argc, char **argv);
int cmd_cgroup_join(int argc, char **argv); /* hidden: runc hook of pyoci debug */
int cmd_distill(int argc, char **argv);
int cmd_exec(int argc, char **argv);
int cmd_fsck(int argc, char **argv);
int cmd_images(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_kill(int argc, char **argv);
int cmd_layers(int argc, char **argv);
int cmd_lint(int argc, char **argv);
int cmd_load(int argc, char **argv);
int cmd_login(int argc, char **argv);
int cmd_logout(int argc, char **argv);
int cmd_logs(int argc, char **argv);
int cmd_prune(int argc, char **argv);
int cmd_ps(int argc, char **argv);
int cmd_pull(int argc, char **argv);
int cmd_push(int argc, char **argv);
int cmd_rm(int argc, char **argv);
int cmd_rmi(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_save(int argc, char **argv);
int cmd_sbom(int argc, char **argv);
int cmd_scan(int argc, char **argv);
int cmd_stop(int argc, char **argv);
int cmd_tag(int argc, char **argv);
int cmd_vercmp(int argc, char **argv);

/* Install the stderr log and progress renderers. */
void cli_setup_output(void);
/* Write s to f with control bytes as C escapes (\n, \x1b): a line that
 * quotes outside names stays one line and sends no terminal escapes. */
void cli_put_escaped(const char *s, FILE *f);
/* Print "pyoci: <msg>" for err on stderr and return the exit code to use:
 * cli_exit_status(err). */
int cli_fail(pyoci_error_t *err);
/* The exit status for an error's PYOCI_E_* code (the table in common.c). */
int cli_exit_status(const pyoci_error_t *err);
/* Print "pyoci VERB: <printf msg>" and a hint to use --help; returns EXIT_USAGE. */
int cli_usage_error(const char *verb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The default case of a verb's getopt loop.  getopt has already said what
 * was wrong ("pyoci VERB: unrecognized option '--x'", "... option requires
 * an argument -- 'i'": main.c makes the verb's argv[0] "pyoci VERB"); this
 * adds only the hint, so one mistake is one message.  Returns EXIT_USAGE. */
int cli_bad_option(const char *verb);
/* Print `text` to stdout; used by every verb's --help. Returns 0. */
int cli_help(const char *text);
/* Handle the options every verb accepts (--store DIR, -q/--quiet, the
 * decompression limits) inside a verb's getopt loop: returns true when
 * `opt` was one of them.  A limit that does not parse is a usage error:
 * printed, and the process exits 2. */
bool cli_common_option(int opt, const char *optarg_value);
/* getopt_long entries for cli_common_option; put CLI_COMMON_LONGOPTS in each
 * verb's option table. */
enum { CLI_OPT_STORE = 0x1000, CLI_OPT_QUIET, CLI_OPT_MAX_RATIO, CLI_OPT_MAX_SIZE };
#define CLI_COMMON_LONGOPTS                                                                                    \
  {"store", required_argument, NULL, CLI_OPT_STORE}, {"quiet", no_argument, NULL, 'q'},                      \
      {"max-compression-ratio", required_argument, NULL, CLI_OPT_MAX_RATIO},                                   \
      {"max-decompressed-size", required_argument, NULL, CLI_OPT_MAX_SIZE}
/* A verb's own options as a table: what each getopt code sets.  cli_getopt
 * is the one getopt_long loop of the verbs that use it: the common options,
 * the registry options when reg is given, -h, the table, and
 * cli_bad_option for anything else. */
struct option;
struct cli_registry;
typedef struct {
  int opt;          /* getopt code; 0 ends the table */
  bool *flag;       /* set to true, and/or */
  const char **str; /* set to the argument (NULL when an optional one is absent) */
  /* or parsed into dst: 0, or the exit status after saying what is wrong
   * (the loop stops there, as at the option itself) */
  int (*parse)(const char *arg, void *dst);
  void *dst;
} cli_optset_t;
/* Returns -1 when the verb goes on (optind at the operands), else the exit
 * status to return now: 0 after --help, EXIT_USAGE on a bad option. */
int cli_getopt(const char *verb, int argc, char **argv, const char *shortopts, const struct option *longopts,
               const cli_optset_t *sets, struct cli_registry *reg, const char *help);
/* The global options' lines of --help for the decompression limits. */
#define CLI_LIMITS_HELP                                                                                        \
  "      --max-compression-ratio N    refuse a layer, archive, wheel, .deb or OSV zip that\n"                  \
  "                                   decompresses to more than 256 MiB + N x its compressed\n"               \
  "                                   size (default 100; 0 = no limit)\n"                                     \
  "      --max-decompressed-size SIZE refuse one that decompresses to more than SIZE\n"                        \
  "                                   (default 64GiB; 0 = no limit); in both, a sparse\n"                    \
  "                                   file's holes count as decompressed bytes\n"

#endif
