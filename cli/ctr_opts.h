/* Option parsing shared by the container verbs (run, exec, debug): docker's
 * -e/--env-file, -v/--tmpfs, -u, -w, -i/-t, --network, ... into the
 * library's pyoci_run_opts_t, plus what only the CLI may read (the host's
 * environment, the host's init binary, the docker socket). */
#ifndef PYOCI_CLI_CTR_OPTS_H
#define PYOCI_CLI_CTR_OPTS_H

#include <getopt.h>
#include <stdbool.h>

#include "lib/container/container.h"

enum {
  CTR_OPT_ENV_FILE = 0x3000,
  CTR_OPT_TMPFS,
  CTR_OPT_ENTRYPOINT,
  CTR_OPT_READ_ONLY,
  CTR_OPT_NETWORK,
  CTR_OPT_INIT,
  CTR_OPT_NAME,
  CTR_OPT_RM,
  CTR_OPT_HOSTNAME,
};

/* getopt_long entries for the run options; short ones are "de:v:u:w:it". */
#define CTR_RUN_LONGOPTS                                                                                             \
  {"detach", no_argument, NULL, 'd'}, {"env", required_argument, NULL, 'e'},                                        \
      {"env-file", required_argument, NULL, CTR_OPT_ENV_FILE}, {"volume", required_argument, NULL, 'v'},            \
      {"tmpfs", required_argument, NULL, CTR_OPT_TMPFS}, {"user", required_argument, NULL, 'u'},                    \
      {"workdir", required_argument, NULL, 'w'}, {"entrypoint", required_argument, NULL, CTR_OPT_ENTRYPOINT},       \
      {"read-only", no_argument, NULL, CTR_OPT_READ_ONLY}, {"network", required_argument, NULL, CTR_OPT_NETWORK},   \
      {"net", required_argument, NULL, CTR_OPT_NETWORK}, {"init", no_argument, NULL, CTR_OPT_INIT},                  \
      {"name", required_argument, NULL, CTR_OPT_NAME}, {"rm", no_argument, NULL, CTR_OPT_RM},                       \
      {"hostname", required_argument, NULL, CTR_OPT_HOSTNAME}, {"interactive", no_argument, NULL, 'i'},             \
      {"tty", no_argument, NULL, 't'}
#define CTR_RUN_SHORTOPTS "de:v:u:w:it"

typedef struct {
  pyoci_run_opts_t o;
  char **env;  /* owned, NULL-terminated */
  size_t n_env;
  pyoci_mount_t *mounts;
  size_t n_mounts;
  char **strings; /* owned strings the mounts point into */
  size_t n_strings;
} ctr_opts_t;

void ctr_opts_init(ctr_opts_t *c);
void ctr_opts_release(ctr_opts_t *c);
/* Handle one run option; 1 handled, 0 not ours, -1 bad value (printed). */
int ctr_opts_parse(ctr_opts_t *c, int opt, const char *arg, const char *verb);
/* Add one -e value: K=V, or K alone taken from this environment (skipped when unset). */
void ctr_opts_add_env(ctr_opts_t *c, const char *kv);
/* docker's exit status for a failed run: 127 command not found, 126 not
 * executable, 125 for everything else (pyoci's own failure). */
int ctr_fail(pyoci_error_t *err);
/* The store's path, as pyoci_store_open would pick it. */
char *ctr_store_path(void);

#endif
