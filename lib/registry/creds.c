/* Credentials the way docker keeps them, so `docker login` and `pyoci login`
 * share one file:  config.json
 *   {"auths": {"HOST": {"auth": base64("user:pass")}},
 *    "credsStore": "NAME",                  every registry through a helper
 *    "credHelpers": {"HOST": "NAME"}}       one registry through a helper
 * A helper is the program docker-credential-NAME speaking docker's
 * credential-helper protocol: `get` (server URL on stdin, JSON out),
 * `store` (JSON in), `erase` (server URL in).  Docker Hub's key is
 * "https://index.docker.io/v1/". */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/fs.h"
#include "lib/util/json.h"
#include "registry_int.h"

#define CONFIG_MAX (1u << 20)
#define HELPER_OUT_MAX (64u << 10)
#define DOCKER_HUB_KEY "https://index.docker.io/v1/"

char *pyoci_reg_base64(const char *in, size_t n)
{
  static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  char *out = xmalloc(4 * ((n + 2) / 3) + 1), *o = out;
  if (out == NULL)
    return NULL;
  for (size_t i = 0; i < n; i += 3) {
    unsigned v = (unsigned)(unsigned char)in[i] << 16;
    if (i + 1 < n)
      v |= (unsigned)(unsigned char)in[i + 1] << 8;
    if (i + 2 < n)
      v |= (unsigned char)in[i + 2];
    *o++ = tbl[(v >> 18) & 63];
    *o++ = tbl[(v >> 12) & 63];
    *o++ = i + 1 < n ? tbl[(v >> 6) & 63] : '=';
    *o++ = i + 2 < n ? tbl[v & 63] : '=';
  }
  *o = '\0';
  return out;
}

static int b64val(char c)
{
  const char *tbl = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const char *p = c ? strchr(tbl, c) : NULL;
  return p ? (int)(p - tbl) : -1;
}

static char *base64_decode(const char *in)
{
  size_t n = strlen(in);
  char *out = xmalloc(n + 1), *o = out;
  unsigned acc = 0;
  int bits = 0;
  for (size_t i = 0; i < n && in[i] != '='; i++) {
    int v = b64val(in[i]);
    if (v < 0) {
      free(out);
      return NULL;
    }
    acc = (acc << 6) | (unsigned)v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      *o++ = (char)((acc >> bits) & 0xff);
    }
  }
  *o = '\0';
  return out;
}

char *pyoci_registry_server_key(const char *registry)
{
  const char *r = registry;
  if (strncmp(r, "https://", 8) == 0)
    r += 8;
  else if (strncmp(r, "http://", 7) == 0)
    r += 7;
  char *host = xstrndup(r, strcspn(r, "/"));
  if (strcmp(host, "docker.io") == 0 || strcmp(host, "index.docker.io") == 0 ||
      strcmp(host, "registry-1.docker.io") == 0) {
    free(host);
    return xstrdup(DOCKER_HUB_KEY);
  }
  return host;
}

/* Run docker-credential-NAME VERB with input on stdin; its stdout in *out. */
static int run_helper(const char *name, const char *verb, const char *input, char **out, pyoci_error_t **err)
{
  cleanup_free char *prog = NULL;
  prog = xasprintf("docker-credential-%s", name);
  int in[2], outp[2];
  if (pipe2(in, O_CLOEXEC) < 0 || pipe2(outp, O_CLOEXEC) < 0)
    return pyoci_error_set(err, errno, "pipe for %s", prog);
  pid_t pid = fork();
  if (pid < 0)
    return pyoci_error_set(err, errno, "fork %s", prog);
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(outp[1], 1);
    execlp(prog, prog, verb, (char *)NULL);
    _exit(127);
  }
  close(in[0]);
  close(outp[1]);
  signal(SIGPIPE, SIG_IGN);
  pyoci_error_t *werr = NULL;
  pyoci_write_all(in[1], input, strlen(input), prog, &werr);
  pyoci_error_free(werr);
  close(in[1]);
  size_t len = 0;
  char *buf = NULL;
  int rc = pyoci_read_fd(outp[0], prog, HELPER_OUT_MAX, &buf, &len, err);
  close(outp[0]);
  int st = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
    ;
  if (rc < 0)
    return -1;
  *out = buf;
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
    return pyoci_error_set_code(err, WIFEXITED(st) && WEXITSTATUS(st) == 127 ? PYOCI_E_NOT_FOUND : 0, 0,
                                "%s %s failed: %.200s", prog, verb, buf && *buf ? buf : "no output");
  return 0;
}

static json_t *load_config(const char *path, pyoci_error_t **err)
{
  if (path == NULL || !pyoci_path_exists(path))
    return json_object();
  json_t *j = pyoci_json_load_file(path, CONFIG_MAX, err);
  if (j != NULL && !json_is_object(j)) {
    json_decref(j);
    pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "'%s': not a JSON object", path);
    return NULL;
  }
  return j;
}

/* The helper for key: credHelpers[host], else credsStore, else NULL. */
static const char *helper_for(const json_t *cfg, const char *key)
{
  const char *h = pyoci_json_str(json_object_get(cfg, "credHelpers"), key);
  if (h == NULL && strcmp(key, DOCKER_HUB_KEY) == 0)
    h = pyoci_json_str(json_object_get(cfg, "credHelpers"), "docker.io");
  if (h == NULL)
    h = pyoci_json_str(cfg, "credsStore");
  return h && *h ? h : NULL;
}

/* What lookup, store and erase start from: the config file, the
 * registry's key in it and the helper that keeps its credentials (NULL:
 * the file's own auths). */
typedef struct {
  json_t *cfg;
  char *key;
  const char *helper;
} creds_at_t;

static void creds_at_release(creds_at_t *c)
{
  json_decref(c->cfg);
  free(c->key);
}
#define cleanup_creds_at __attribute__((cleanup(creds_at_release)))

static int creds_at(const char *config_path, const char *registry, creds_at_t *c, pyoci_error_t **err)
{
  c->cfg = load_config(config_path, err);
  if (c->cfg == NULL)
    return -1;
  c->key = pyoci_registry_server_key(registry);
  c->helper = helper_for(c->cfg, c->key);
  return 0;
}

static int creds_from_helper(const char *helper, const char *key, char **user, char **pass, pyoci_error_t **err)
{
  cleanup_free char *out = NULL;
  pyoci_error_t *herr = NULL;
  if (run_helper(helper, "get", key, &out, &herr) < 0) {
    /* "credentials not found": anonymous, as docker does. */
    bool missing = out != NULL && strstr(out, "not found") != NULL;
    if (missing) {
      pyoci_error_free(herr);
      return 0;
    }
    *err = herr;
    return -1;
  }
  cleanup_json json_t *j = pyoci_json_parse_object(out, strlen(out), "credential helper reply", err);
  if (j == NULL)
    return -1;
  const char *u = pyoci_json_str(j, "Username"), *s = pyoci_json_str(j, "Secret");
  if (u && s) {
    *user = xstrdup(u);
    *pass = xstrdup(s);
  }
  return 0;
}

/* auths entry whose key names the same registry (keys may carry a scheme
 * or a path, as older docker versions wrote them). */
static const json_t *auths_entry(const json_t *cfg, const char *key)
{
  const char *k;
  json_t *v;
  json_object_foreach(json_object_get(cfg, "auths"), k, v)
  {
    cleanup_free char *nk = pyoci_registry_server_key(k);
    if (strcmp(nk, key) == 0)
      return v;
  }
  return NULL;
}

static int creds_from_auths(const json_t *e, const char *path, char **user, char **pass, pyoci_error_t **err)
{
  const char *a = pyoci_json_str(e, "auth");
  if (a != NULL && *a != '\0') {
    cleanup_free char *dec = base64_decode(a);
    char *colon = dec ? strchr(dec, ':') : NULL;
    if (colon == NULL)
      return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "'%s': an auths entry is not base64 user:password", path);
    *colon = '\0';
    *user = xstrdup(dec);
    *pass = xstrdup(colon + 1);
    return 0;
  }
  const char *u = pyoci_json_str(e, "username"), *p = pyoci_json_str(e, "password");
  if (u && p) {
    *user = xstrdup(u);
    *pass = xstrdup(p);
  }
  return 0;
}

int pyoci_reg_creds_lookup(const char *config_path, const char *registry, char **user, char **pass, pyoci_error_t **err)
{
  *user = *pass = NULL;
  cleanup_creds_at creds_at_t c = {0};
  if (creds_at(config_path, registry, &c, err) < 0)
    return -1;
  if (c.helper != NULL)
    return creds_from_helper(c.helper, c.key, user, pass, err);
  const json_t *e = auths_entry(c.cfg, c.key);
  return e ? creds_from_auths(e, config_path, user, pass, err) : 0;
}

static int write_config(const char *path, const json_t *cfg, pyoci_error_t **err)
{
  cleanup_free char *dir = xstrdup(path);
  char *slash = strrchr(dir, '/');
  if (slash != NULL && slash != dir) {
    *slash = '\0';
    if (pyoci_mkdir_p(dir, 0700, err) < 0)
      return -1;
  }
  cleanup_free char *text = json_dumps(cfg, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
  if (text == NULL)
    return pyoci_error_set(err, ENOMEM, "serialise '%s'", path);
  return pyoci_write_file_atomic(path, text, strlen(text), 0600, err);
}

int pyoci_reg_creds_store(const char *config_path, const char *registry, const char *user, const char *pass,
                    pyoci_error_t **err)
{
  cleanup_creds_at creds_at_t c = {0};
  if (creds_at(config_path, registry, &c, err) < 0)
    return -1;
  if (c.helper != NULL) {
    cleanup_json json_t *in = json_pack("{s:s, s:s, s:s}", "ServerURL", c.key, "Username", user, "Secret", pass);
    cleanup_free char *text = json_dumps(in, JSON_COMPACT);
    cleanup_free char *out = NULL;
    return run_helper(c.helper, "store", text, &out, err);
  }
  json_t *auths = pyoci_json_member_object(c.cfg, "auths");
  cleanup_free char *up = NULL;
  up = xasprintf("%s:%s", user, pass);
  cleanup_free char *b = pyoci_reg_base64(up, strlen(up));
  json_object_set_new(auths, c.key, json_pack("{s:s}", "auth", b));
  return write_config(config_path, c.cfg, err);
}

int pyoci_reg_creds_erase(const char *config_path, const char *registry, pyoci_error_t **err)
{
  cleanup_creds_at creds_at_t c = {0};
  if (creds_at(config_path, registry, &c, err) < 0)
    return -1;
  if (c.helper != NULL) {
    cleanup_free char *out = NULL;
    return run_helper(c.helper, "erase", c.key, &out, err);
  }
  json_t *auths = json_object_get(c.cfg, "auths");
  const char *k;
  void *tmp;
  json_t *v;
  bool found = false;
  json_object_foreach_safe(auths, tmp, k, v)
  {
    cleanup_free char *nk = pyoci_registry_server_key(k);
    if (strcmp(nk, c.key) == 0) {
      json_object_del(auths, k);
      found = true;
    }
  }
  if (!found)
    return pyoci_error_set_code(err, PYOCI_E_NOT_FOUND, 0, "not logged in to %s", registry);
  return write_config(config_path, c.cfg, err);
}
