/* Creating a container: docker's config merging, the overlay of cached
 * unpacked layers, the runtime bundle, the first state record. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/builder/copy.h"
#include "lib/image/unpacked.h"
#include "lib/oci/image.h"
#include "lib/runtime/runtime.h"
#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/fs.h"
#include "lib/util/json.h"
#include "container_int.h"

#define DEFAULT_PATH PYOCI_CONTAINER_DEFAULT_PATH
#define MAX_ARGS 4096

static void strv_push_json(pyoci_strv_t *s, const json_t *a)
{
  size_t i;
  json_t *x;
  json_array_foreach(a, i, x)
    if (json_is_string(x) && s->n < MAX_ARGS)
      pyoci_strv_push(s, json_string_value(x));
}

/* docker's ReplaceOrAppendEnvValues: a later K=V replaces an earlier K. */
static void env_set(pyoci_strv_t *env, const char *kv)
{
  size_t klen = strcspn(kv, "=");
  for (size_t i = 0; i < env->n; i++) {
    if (strncmp(env->v[i], kv, klen) == 0 && env->v[i][klen] == '=') {
      free(env->v[i]);
      env->v[i] = xstrdup(kv);
      return;
    }
  }
  pyoci_strv_push(env, kv);
}

static const char *env_get(const pyoci_strv_t *env, const char *key)
{
  size_t klen = strlen(key);
  for (size_t i = 0; i < env->n; i++)
    if (strncmp(env->v[i], key, klen) == 0 && env->v[i][klen] == '=')
      return env->v[i] + klen + 1;
  return NULL;
}

/* Entrypoint + Cmd the way docker run merges them: --entrypoint replaces
 * the image's and drops its Cmd; CMD arguments replace the image's Cmd. */
static int merge_argv(const json_t *cfg, const pyoci_run_opts_t *o, pyoci_strv_t *argv, pyoci_error_t **err)
{
  if (o->init_binary) {
    pyoci_strv_push(argv, "/sbin/docker-init");
    pyoci_strv_push(argv, "--");
  }
  size_t base = argv->n;
  if (o->entrypoint) {
    if (*o->entrypoint)
      pyoci_strv_push(argv, o->entrypoint);
  } else {
    strv_push_json(argv, json_object_get(cfg, "Entrypoint"));
  }
  if (o->cmd && o->cmd[0]) {
    for (char *const *a = o->cmd; *a && argv->n < MAX_ARGS; a++)
      pyoci_strv_push(argv, *a);
  } else if (!o->entrypoint) {
    strv_push_json(argv, json_object_get(cfg, "Cmd"));
  }
  if (argv->n == base)
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "No command specified");
  return 0;
}

/* Image Env, then -e; PATH and HOSTNAME first as docker's daemon sets them. */
static void merge_env(const json_t *cfg, const pyoci_run_opts_t *o, const char *hostname, pyoci_strv_t *env)
{
  pyoci_strv_push(env, "PATH=" DEFAULT_PATH);
  char h[300];
  snprintf(h, sizeof(h), "HOSTNAME=%s", hostname);
  pyoci_strv_push(env, h);
  if (o->tty)
    pyoci_strv_push(env, "TERM=xterm");
  size_t i;
  json_t *x;
  json_array_foreach(json_object_get(cfg, "Env"), i, x)
    if (json_is_string(x) && strchr(json_string_value(x), '='))
      env_set(env, json_string_value(x));
  for (char *const *e = o->env; e && *e; e++)
    env_set(env, *e);
  if (o->extra_path) {
    const char *path = env_get(env, "PATH");
    cleanup_free char *p = xasprintf("PATH=%s:%s", path ? path : DEFAULT_PATH, o->extra_path);
    env_set(env, p);
  }
}

static int lower_dirs(pyoci_store_t *s, const pyoci_image_t *img, char ***out, pyoci_error_t **err)
{
  char **lowers = xcalloc(img->n_layers + 1, sizeof(char *));
  for (size_t i = 0; i < img->n_layers; i++) {
    /* overlay wants the top-most layer first */
    if (pyoci_unpacked_get(s, &img->layers[i], img->diff_ids[i], &lowers[img->n_layers - 1 - i], err) < 0) {
      /* filled from the end: a NULL-terminated free would stop at [0] */
      for (size_t k = 0; k < img->n_layers; k++)
        free(lowers[k]);
      free(lowers);
      return -1;
    }
  }
  *out = lowers;
  return 0;
}

/* Unique name under the containers lock; returns the held lock fd.  A
 * name the user gave conflicts; a generated one (generated) is made
 * unique instead. */
static int claim_name(const char *store_path, const char *top, pyoci_container_t *c, bool generated,
                      pyoci_error_t **err)
{
  cleanup_free char *lock_path = pyoci_path_join(top, ".lock");
  int fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0 || flock(fd, LOCK_EX) < 0) {
    int e = errno;
    if (fd >= 0)
      close(fd);
    return pyoci_error_set(err, e, "lock '%s'", lock_path);
  }
  pyoci_container_t **v = NULL;
  size_t n = 0;
  pyoci_error_t *ignored = NULL;
  pyoci_container_list(store_path, &v, &n, &ignored);
  pyoci_error_free(ignored);
  if (generated) {
    free(c->name);
    c->name = pyoci_container_free_name(c->id, v, n);
  }
  const char *name = c->name;
  for (size_t i = 0; i < n; i++) {
    if (strcmp(v[i]->name, name) == 0) {
      pyoci_error_set_code(err, PYOCI_E_INVALID, 0,
                           "Conflict. The container name \"/%s\" is already in use by container \"%s\". You have "
                           "to remove (or rename) that container to be able to reuse that name.",
                           name, v[i]->id);
      pyoci_container_list_free(v, n);
      close(fd);
      return -1;
    }
  }
  pyoci_container_list_free(v, n);
  return fd;
}

typedef struct {
  pyoci_store_t *s;
  const pyoci_run_opts_t *o;
  pyoci_image_t *img;
  const json_t *cfg;
  pyoci_container_t *c;
  char *merged;
  pyoci_strv_t argv, env;
} create_t;

static int mount_root(create_t *k, pyoci_error_t **err)
{
  cleanup_strv char **lowers = NULL;
  if (lower_dirs(k->s, k->img, &lowers, err) < 0)
    return -1;
  cleanup_free char *upper = pyoci_container_path(k->c, "rootfs/upper");
  cleanup_free char *work = pyoci_container_path(k->c, "rootfs/work");
  k->merged = pyoci_container_path(k->c, "rootfs/merged");
  if (pyoci_mkdir_p(upper, 0755, err) < 0 || pyoci_mkdir_p(work, 0700, err) < 0 ||
      pyoci_mkdir_p(k->merged, 0755, err) < 0)
    return -1;
  return pyoci_overlay_mount((const char *const *)lowers, k->img->n_layers, upper, work, k->merged, err);
}

/* User, groups and working directory of the process, resolved in root (the
 * directory is created there), and the command checked to exist. */
static int process_identity(const char *root, const json_t *cfg, const pyoci_run_opts_t *o,
                            const pyoci_strv_t *argv, const pyoci_strv_t *env, pyoci_container_process_t *p,
                            pyoci_error_t **err)
{
  const char *user = o->user ? o->user : pyoci_json_str(cfg, "User");
  int64_t uid = 0, gid = 0;
  if (user && *user && (pyoci_resolve_user(root, user, false, &uid, &gid, err) < 0 ||
                        pyoci_user_groups(root, user, uid, gid, &p->groups, &p->n_groups, err) < 0))
    return -1;
  p->uid = (uid_t)uid;
  p->gid = (gid_t)gid;
  const char *wd = o->workdir ? o->workdir : pyoci_json_str(cfg, "WorkingDir");
  if (wd == NULL || *wd == '\0')
    wd = "/";
  if (wd[0] != '/')
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "the working directory '%s' is invalid, it needs to be an absolute path", wd);
  p->cwd = xstrdup(wd);
  if (pyoci_mkdir_in_root(root, wd, 0, 0, err) < 0)
    return -1;
  /* with --init, the user's command comes after "docker-init --" */
  /* (not with a toolbox at /.debug: its tools are mounted later) */
  if (o->extra_path)
    return 0;
  return pyoci_container_check_command(root, argv->v[o->init_binary ? 2 : 0], env_get(env, "PATH"), wd, err);
}

int pyoci_container_process(const char *root, const json_t *cfg, const pyoci_run_opts_t *o, const char *hostname,
                            pyoci_container_process_t *p, pyoci_error_t **err)
{
  memset(p, 0, sizeof(*p));
  if (merge_argv(cfg, o, &p->argv, err) < 0)
    return -1;
  merge_env(cfg, o, hostname, &p->env);
  return process_identity(root, cfg, o, &p->argv, &p->env, p, err);
}

void pyoci_container_process_release(pyoci_container_process_t *p)
{
  pyoci_strv_clear(&p->argv);
  pyoci_strv_clear(&p->env);
  free(p->groups);
  free(p->cwd);
  memset(p, 0, sizeof(*p));
}

static int write_bundle(create_t *k, const char *hostname, pyoci_error_t **err)
{
  const pyoci_run_opts_t *o = k->o;
  pyoci_container_process_t id = {0};
  if (process_identity(k->merged, k->cfg, o, &k->argv, &k->env, &id, err) < 0) {
    pyoci_container_process_release(&id);
    return -1;
  }
  uid_t uid = id.uid;
  gid_t gid = id.gid;
  cleanup_free gid_t *groups = steal_pointer(&id.groups);
  size_t n_groups = id.n_groups;
  cleanup_free char *wd = steal_pointer(&id.cwd);
  pyoci_container_process_release(&id);
  size_t n_mounts = o->n_mounts + (o->init_binary ? 1 : 0);
  cleanup_free pyoci_mount_t *mounts = xcalloc(n_mounts + 1, sizeof(*mounts));
  for (size_t i = 0; i < o->n_mounts; i++)
    mounts[i] = o->mounts[i];
  if (o->init_binary)
    mounts[o->n_mounts] = (pyoci_mount_t){.destination = "/sbin/docker-init", .source = o->init_binary,
                                          .readonly = true};
  pyoci_run_spec_t spec = {.rootfs = k->merged, .argv = k->argv.v, .env = k->env.v, .cwd = wd,
                           .uid = uid, .gid = gid, .extra_gids = groups, .n_extra_gids = n_groups,
                           .network_none = o->network_none, .hostname = hostname, .mounts = mounts,
                           .n_mounts = n_mounts, .terminal = o->tty, .readonly_root = o->read_only,
                           .join = o->join, .n_join = o->n_join, .add_caps = o->add_caps,
                           .create_hook = o->create_hook};
  cleanup_free char *bundle = pyoci_container_path(k->c, "bundle");
  if (pyoci_mkdir_p(bundle, 0700, err) < 0)
    return -1;
  return pyoci_runtime_write_config(&spec, bundle, err);
}

static int init_record(create_t *k, pyoci_error_t **err)
{
  pyoci_container_t *c = k->c;
  if (pyoci_container_new_id(c->id, err) < 0)
    return -1;
  char gen[64];
  pyoci_container_gen_name(c->id, gen, sizeof(gen));
  c->name = xstrdup(k->o->name ? k->o->name : gen);
  c->image = xstrdup(k->o->image);
  c->image_id = xstrdup(k->img->config_digest);
  char created[PYOCI_TIME_LEN];
  time_t now = time(NULL);
  pyoci_time_rfc3339(now, created);
  c->created = xstrdup(created);
  c->created_unix = now;
  snprintf(c->status, sizeof(c->status), "created");
  c->rm = k->o->rm;
  c->hidden = k->o->no_state_listing;
  const char *stop = pyoci_json_str(k->cfg, "StopSignal");
  c->stop_signal = stop ? xstrdup(stop) : NULL;
  return 0;
}

static bool valid_name(const char *n)
{
  /* docker: [a-zA-Z0-9][a-zA-Z0-9_.-]* */
  if (!((*n >= 'a' && *n <= 'z') || (*n >= 'A' && *n <= 'Z') || (*n >= '0' && *n <= '9')))
    return false;
  return strspn(n, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == strlen(n) &&
         strlen(n) < 128;
}

static int create_in(create_t *k, const char *top, pyoci_error_t **err)
{
  const pyoci_run_opts_t *o = k->o;
  if (o->name && !valid_name(o->name))
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0,
                                "Invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", o->name);
  if (pyoci_image_load(k->s, o->image, &k->img, err) < 0)
    return -1;
  k->cfg = json_object_get(k->img->config, "config");
  if (merge_argv(k->cfg, o, &k->argv, err) < 0 || init_record(k, err) < 0)
    return -1;
  if (pyoci_mkdir_p(top, 0700, err) < 0)
    return -1;
  cleanup_close int lock = claim_name(pyoci_store_path(k->s), top, k->c, o->name == NULL, err);
  if (lock < 0)
    return -1;
  k->c->dir = pyoci_path_join(top, k->c->id);
  if (mkdir(k->c->dir, 0700) < 0)
    return pyoci_error_set(err, errno, "mkdir '%s'", k->c->dir);
  char hostname[256] = "";
  if (o->hostname)
    snprintf(hostname, sizeof(hostname), "%s", o->hostname);
  else if (!o->network_none)
    gethostname(hostname, sizeof(hostname) - 1);
  if (!*hostname)
    snprintf(hostname, sizeof(hostname), "%.12s", k->c->id);
  merge_env(k->cfg, o, hostname, &k->env);
  pyoci_strvfreep(&k->c->command);
  k->c->command = xcalloc(k->argv.n + 1, sizeof(char *));
  for (size_t i = 0; k->c->command && i < k->argv.n; i++)
    k->c->command[i] = xstrdup(k->argv.v[i]);
  /* state first: a half-made container is listed and removable */
  if (pyoci_container_save(k->c, err) < 0 || mount_root(k, err) < 0 || write_bundle(k, hostname, err) < 0)
    return -1;
  return 0;
}

int pyoci_container_create(pyoci_store_t *s, const pyoci_run_opts_t *o, pyoci_container_t **out,
                           pyoci_error_t **err)
{
  create_t k = {.s = s, .o = o};
  k.c = xcalloc(1, sizeof(*k.c));
  cleanup_free char *top = pyoci_containers_dir(pyoci_store_path(s));
  int rc = create_in(&k, top, err);
  if (rc < 0 && k.c->dir) {
    pyoci_container_teardown(k.c, true);
  }
  pyoci_image_free(k.img);
  free(k.merged);
  pyoci_strv_clear(&k.argv);
  pyoci_strv_clear(&k.env);
  if (rc < 0) {
    pyoci_container_free(k.c);
    return -1;
  }
  *out = k.c;
  return 0;
}
