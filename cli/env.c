/* The one place pyoci reads its environment by name (env.h). */
#include "env.h"

#include <stdlib.h>

#include "lib/util/alloc.h"
#include "lib/util/settings.h"

static cli_env_t env;

static const char *var(const char *name)
{
  const char *v = getenv(name);
  return v != NULL && *v != '\0' ? v : NULL;
}

/* $SPECIFIC, else $XDG_dir/suffix (an absolute XDG_dir only), else
 * $HOME/home_suffix (no_home without HOME). */
static char *xdg_path(const char *specific, const char *xdg, const char *suffix, const char *home_suffix,
                      const char *no_home)
{
  const char *e = specific ? var(specific) : NULL;
  if (e != NULL)
    return xstrdup(e);
  e = getenv(xdg);
  if (e != NULL && *e == '/')
    return xasprintf("%s/%s", e, suffix);
  e = var("HOME");
  return xasprintf("%s/%s", e ? e : no_home, home_suffix);
}

static pyoci_settings_t library_settings(void)
{
  pyoci_settings_t s;
  pyoci_settings_init(&s);
  pyoci_settings_set_epoch(&s, getenv("SOURCE_DATE_EPOCH"));
  const char *t = var("PYOCI_THREADS");
  char *end = NULL;
  long n = t ? strtol(t, &end, 10) : 0;
  if (t != NULL && *end == '\0' && n > 0)
    s.threads = n > 1024 ? 1024 : (int)n;
  s.runtime = var("PYOCI_RUNTIME");
  s.named_tmp = getenv("PYOCI_TEST_NAMED_TMP") != NULL;
  return s;
}

void cli_env_load(void)
{
  pyoci_settings_t s = library_settings();
  pyoci_settings_set(&s);
  env.store = xdg_path("PYOCI_STORE", "XDG_DATA_HOME", "pyoci", ".local/share/pyoci", "/");
  env.vulndb = xdg_path("PYOCI_DB", "XDG_CACHE_HOME", "pyoci/vuln.db", ".cache/pyoci/vuln.db", "/");
  env.cache_dir = xdg_path(NULL, "XDG_CACHE_HOME", "pyoci", ".cache/pyoci", "/tmp");
  const char *dc = var("DOCKER_CONFIG"), *home = getenv("HOME");
  if (dc != NULL)
    env.docker_config = xasprintf("%s/config.json", dc);
  else if (home != NULL)
    env.docker_config = xasprintf("%s/.docker/config.json", home);
  env.certs_d = var("PYOCI_CERTS_D");
  env.docker_host = var("DOCKER_HOST");
  env.osv_mirror = var("PYOCI_OSV_MIRROR");
  const char *max = var("PYOCI_OSV_MAX_DOWNLOAD");
  if (max != NULL)
    env.osv_max_download = strtoull(max, NULL, 10);
}

const cli_env_t *cli_env(void)
{
  return &env;
}
