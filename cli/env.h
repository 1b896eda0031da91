/* The environment, read once (cli_env_load, called first thing by main):
 * every variable pyoci looks at by a fixed name is read here and nowhere
 * else.  What the library needs goes to it as pyoci_settings_t
 * (lib/util/settings.h) and as options; the rest stays with the verbs.
 * (`--build-arg K` and `run -e K` copy variables the user names; they read
 * those by name where they parse the option.) */
#ifndef PYOCI_CLI_ENV_H
#define PYOCI_CLI_ENV_H

#include <stdint.h>

typedef struct {
  const char *store;          /* $PYOCI_STORE, $XDG_DATA_HOME/pyoci, ~/.local/share/pyoci */
  const char *vulndb;         /* $PYOCI_DB, $XDG_CACHE_HOME/pyoci/vuln.db, ~/.cache/pyoci/vuln.db */
  const char *cache_dir;      /* $XDG_CACHE_HOME/pyoci, else ~/.cache/pyoci (assemble's downloads) */
  const char *docker_config;  /* $DOCKER_CONFIG/config.json, ~/.docker/config.json; NULL without HOME */
  const char *certs_d;        /* $PYOCI_CERTS_D; NULL: the default */
  const char *docker_host;    /* $DOCKER_HOST; NULL when unset or empty */
  const char *osv_mirror;     /* $PYOCI_OSV_MIRROR; NULL: the default */
  uint64_t osv_max_download;  /* $PYOCI_OSV_MAX_DOWNLOAD; 0: the default cap */
} cli_env_t;

/* Read the environment; hand the library its settings.  Call once. */
void cli_env_load(void);
/* What cli_env_load read. */
const cli_env_t *cli_env(void);

#endif
