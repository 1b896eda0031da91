/* Shared option parsing of the container verbs; see ctr_opts.h. */
#include "ctr_opts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/util/alloc.h"
#include "lib/oci/store.h"
#include "lib/util/cleanup.h"
#include "lib/util/fs.h"
#include "cli.h"
#include "env.h"

#define ENV_FILE_MAX (1u << 20)

void ctr_opts_init(ctr_opts_t *c)
{
  memset(c, 0, sizeof(*c));
}

void ctr_opts_release(ctr_opts_t *c)
{
  for (size_t i = 0; i < c->n_env; i++)
    free(c->env[i]);
  free(c->env);
  free(c->mounts);
  for (size_t i = 0; i < c->n_strings; i++)
    free(c->strings[i]);
  free(c->strings);
}

static char *keep(ctr_opts_t *c, char *s)
{
  c->strings = xrealloc(c->strings, (c->n_strings + 1) * sizeof(char *));
  c->strings[c->n_strings++] = s;
  return s;
}

void ctr_opts_add_env(ctr_opts_t *c, const char *kv)
{
  char *v;
  if (strchr(kv, '=')) {
    v = xstrdup(kv);
  } else {
    const char *host = getenv(kv); /* docker: "-e K" copies K from here */
    if (host == NULL)
      return;
    v = xasprintf("%s=%s", kv, host);
  }
  c->env = xrealloc(c->env, (c->n_env + 2) * sizeof(char *));
  c->env[c->n_env++] = v;
  c->env[c->n_env] = NULL;
  c->o.env = c->env;
}

static int env_file(ctr_opts_t *c, const char *path, const char *verb)
{
  cleanup_free char *buf = NULL;
  cleanup_error pyoci_error_t *err = NULL;
  if (pyoci_read_file(path, ENV_FILE_MAX, &buf, NULL, &err) < 0) {
    fprintf(stderr, "pyoci %s: --env-file: %s\n", verb, err->msg);
    return -1;
  }
  for (char *save = NULL, *line = strtok_r(buf, "\r\n", &save); line; line = strtok_r(NULL, "\r\n", &save)) {
    line += strspn(line, " \t");
    if (*line == '\0' || *line == '#')
      continue;
    ctr_opts_add_env(c, line);
  }
  return 0;
}

static pyoci_mount_t *new_mount(ctr_opts_t *c)
{
  c->mounts = xrealloc(c->mounts, (c->n_mounts + 1) * sizeof(*c->mounts));
  pyoci_mount_t *m = &c->mounts[c->n_mounts++];
  memset(m, 0, sizeof(*m));
  c->o.mounts = c->mounts;
  c->o.n_mounts = c->n_mounts;
  return m;
}

/* -v HOST:CTR[:ro|rw]: bind mounts only (no named volumes here). */
static int volume(ctr_opts_t *c, const char *spec, const char *verb)
{
  char *s = keep(c, xstrdup(spec));
  char *ctr = strchr(s, ':');
  if (ctr == NULL || s[0] != '/') {
    fprintf(stderr, "pyoci %s: -v %s: only HOST-DIR:CONTAINER-DIR[:ro] bind mounts are supported (HOST-DIR "
                    "absolute)\n", verb, spec);
    return -1;
  }
  *ctr++ = '\0';
  char *mode = strchr(ctr, ':');
  if (mode)
    *mode++ = '\0';
  if (ctr[0] != '/' || (mode && strcmp(mode, "ro") != 0 && strcmp(mode, "rw") != 0)) {
    fprintf(stderr, "pyoci %s: -v %s: invalid mount config: the container path must be absolute, the mode ro "
                    "or rw\n", verb, spec);
    return -1;
  }
  cleanup_error pyoci_error_t *err = NULL;
  if (!pyoci_path_exists(s) && pyoci_mkdir_p(s, 0755, &err) < 0) { /* docker creates a missing host dir */
    fprintf(stderr, "pyoci %s: -v %s: %s\n", verb, spec, err->msg);
    return -1;
  }
  pyoci_mount_t *m = new_mount(c);
  m->source = s;
  m->destination = ctr;
  m->readonly = mode && strcmp(mode, "ro") == 0;
  return 0;
}

static int tmpfs(ctr_opts_t *c, const char *spec, const char *verb)
{
  char *s = keep(c, xstrdup(spec));
  char *opts = strchr(s, ':');
  if (opts)
    *opts++ = '\0';
  if (s[0] != '/') {
    fprintf(stderr, "pyoci %s: --tmpfs %s: the path must be absolute\n", verb, spec);
    return -1;
  }
  pyoci_mount_t *m = new_mount(c);
  m->destination = s;
  m->tmpfs = true;
  char *size = opts ? strstr(opts, "size=") : NULL;
  if (size) {
    char *end;
    double v = strtod(size + 5, &end);
    int64_t mult = strchr("kK", *end) && *end ? 1024 : strchr("mM", *end) && *end ? 1 << 20
                 : strchr("gG", *end) && *end ? 1 << 30 : 1;
    m->size = (int64_t)(v * (double)mult);
  }
  return 0;
}

static int network(ctr_opts_t *c, const char *arg, const char *verb)
{
  if (strcmp(arg, "host") == 0)
    c->o.network_none = false;
  else if (strcmp(arg, "none") == 0)
    c->o.network_none = true;
  else {
    fprintf(stderr, "pyoci %s: --network %s: only 'host' (the default) and 'none' are supported\n", verb, arg);
    return -1;
  }
  return 0;
}

/* The host's init for --init: docker's own, else tini. */
static const char *find_init(void)
{
  static const char *const cands[] = {"/usr/bin/docker-init", "/usr/libexec/docker/docker-init",
                                      "/usr/bin/tini-static", "/usr/bin/tini", NULL};
  for (const char *const *p = cands; *p; p++)
    if (access(*p, X_OK) == 0)
      return *p;
  return NULL;
}

int ctr_opts_parse(ctr_opts_t *c, int opt, const char *arg, const char *verb)
{
  switch (opt) {
  case 'd': c->o.detach = true; return 1;
  case 'e': ctr_opts_add_env(c, arg); return 1;
  case CTR_OPT_ENV_FILE: return env_file(c, arg, verb) < 0 ? -1 : 1;
  case 'v': return volume(c, arg, verb) < 0 ? -1 : 1;
  case CTR_OPT_TMPFS: return tmpfs(c, arg, verb) < 0 ? -1 : 1;
  case 'u': c->o.user = arg; return 1;
  case 'w': c->o.workdir = arg; return 1;
  case CTR_OPT_ENTRYPOINT: c->o.entrypoint = arg; return 1;
  case CTR_OPT_READ_ONLY: c->o.read_only = true; return 1;
  case CTR_OPT_NETWORK: return network(c, arg, verb) < 0 ? -1 : 1;
  case CTR_OPT_NAME: c->o.name = arg; return 1;
  case CTR_OPT_RM: c->o.rm = true; return 1;
  case CTR_OPT_HOSTNAME: c->o.hostname = arg; return 1;
  case 'i': c->o.interactive = true; return 1;
  case 't': c->o.tty = true; return 1;
  case CTR_OPT_INIT:
    c->o.init_binary = find_init();
    if (c->o.init_binary == NULL) {
      fprintf(stderr, "pyoci %s: --init: no docker-init or tini on this host (apt-get install tini)\n", verb);
      return -1;
    }
    return 1;
  default:
    return 0;
  }
}

int ctr_fail(pyoci_error_t *err)
{
  cli_fail(err);
  const char *m = err && err->msg ? err->msg : "";
  if (strncmp(m, "exec: ", 6) == 0)
    return strstr(m, "permission denied") ? 126 : 127;
  return 125;
}

char *ctr_store_path(void)
{
  return xstrdup(pyoci_globals.store);
}
