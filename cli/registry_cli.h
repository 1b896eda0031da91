/* What the registry verbs (pull, push, copy, login, inspect docker://)
 * share: what cli/env.c read of the environment (DOCKER_CONFIG, HOME,
 * PYOCI_CERTS_D) into pyoci_registry_opts_t, their common options and the per-layer
 * progress display. */
#ifndef PYOCI_CLI_REGISTRY_CLI_H
#define PYOCI_CLI_REGISTRY_CLI_H

#include <getopt.h>
#include <stdbool.h>

#include "lib/registry/registry.h"

struct cli_registry {
  pyoci_registry_opts_t o;
  char *config_path; /* $DOCKER_CONFIG/config.json or ~/.docker/config.json */
  char *user, *pass; /* from --creds */
};

enum { CLI_OPT_TLS_VERIFY = 0x1100, CLI_OPT_JOBS, CLI_OPT_CREDS, CLI_OPT_RETRIES };
#define CLI_REGISTRY_LONGOPTS                                                                                     \
  {"tls-verify", optional_argument, NULL, CLI_OPT_TLS_VERIFY}, {"jobs", required_argument, NULL, CLI_OPT_JOBS}, \
      {"creds", required_argument, NULL, CLI_OPT_CREDS}, {"retries", required_argument, NULL, CLI_OPT_RETRIES}

#define CLI_REGISTRY_HELP                                                                                        \
  "      --tls-verify[=BOOL]  verify TLS (default true); false also allows plain http\n"                          \
  "      --jobs N           parallel blob transfers (default 4)\n"                                             \
  "      --creds USER[:PASS] credentials instead of the docker config's\n"                                      \
  "      --retries N        retries of a failed request (1-20, default 4; 429/5xx honour Retry-After)\n"

/* Fill from the environment (cli_env()). */
void cli_registry_init(struct cli_registry *c);
/* Per-blob progress bars, when stderr is a terminal and not --quiet (call
 * after option parsing). */
void cli_registry_progress_start(struct cli_registry *c);
/* Handle one of CLI_REGISTRY_LONGOPTS or the common options: 1 handled, 0 not ours, -1 bad value
 * (message printed, exit with EXIT_USAGE). */
int cli_registry_option(struct cli_registry *c, const char *verb, int opt, const char *arg);
void cli_registry_free(struct cli_registry *c);
/* --attach for sbom/scan: push bytes as an OCI artifact (artifactType, one
 * layer of layer_media_type) whose subject is image, to dest or the
 * registry the image is named after.  Returns an exit status. */
int cli_registry_attach(const char *image, const char *dest, const char *artifact_type,
                        const char *layer_media_type, const char *bytes, size_t len);
/* pyoci inspect docker://REF [--raw]: the remote manifest and config
 * without pulling layers.  Returns an exit status. */
int cli_registry_inspect(const char *ref, bool raw);
/* Finish the progress display (call before printing results). */
void cli_registry_progress_end(void);

#endif
