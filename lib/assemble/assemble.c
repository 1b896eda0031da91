/* pyoci_assemble: spec -> plan (resolved or locked) -> three roots in a
 * scratch directory of the store -> layers -> config -> image.  Until the
 * roots are complete nothing is written to the store but that scratch
 * directory, which is removed on any failure. */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include <jansson.h>

#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/fs.h"
#include "lib/util/json.h"
#include "lib/util/log.h"
#include "lib/layer/layer.h"
#include "lib/oci/image.h"
#include "lib/image/import.h"
#include "lib/image/layer_store.h"
#include "lib/image/unpacked.h"
#include "plan_int.h"

static int load_requirements(const pyoci_spec_t *spec, pyoci_asm_ctx_t *c, pyoci_error_t **err)
{
  if (spec->requirements == NULL)
    return 0;
  cleanup_free char *path =
      spec->requirements[0] == '/' ? xstrdup(spec->requirements) : pyoci_path_join(spec->dir, spec->requirements);
  cleanup_free char *buf = NULL;
  size_t len;
  if (pyoci_read_file(path, ASM_MAX_WHEEL_META + 1, &buf, &len, err) < 0)
    return -1;
  char d[PYOCI_DIGEST_LEN];
  pyoci_sha256_buf(buf, len, d);
  c->requirements_sha256 = xstrdup(d + 7);
  return pyoci_requirements_parse(path, buf, len, &c->reqs, &c->n_reqs, err);
}

static int setup(const pyoci_spec_t *spec, const pyoci_assemble_opts_t *o, pyoci_asm_ctx_t *c, pyoci_error_t **err)
{
  c->o = o;
  c->goarch = pyoci_host_arch();
  if (o->platform) {
    const char *slash = strchr(o->platform, '/');
    if (slash == NULL || strncmp(o->platform, "linux/", 6) != 0 || strchr(slash + 1, '/'))
      return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "--platform '%s': expected linux/ARCH", o->platform);
    c->goarch = slash + 1;
  }
  if (pyoci_asm_arch(c->goarch, &c->deb_arch, &c->machine, err) < 0)
    return -1;
  if (spec->suites == NULL || spec->packages == NULL)
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "%s: debian.suites and debian.packages are required",
                                spec->path);
  c->suite = xstrdup(spec->suites[0]);
  c->lock_path = o->lock_path ? xstrdup(o->lock_path) : pyoci_path_join(spec->dir, "image.lock.json");
  return load_requirements(spec, c, err);
}

static void ctx_release(pyoci_asm_ctx_t *c)
{
  free(c->lock_path);
  free(c->requirements_sha256);
  free(c->suite);
  pyoci_reqs_free(c->reqs, c->n_reqs);
}

static int get_plan(const pyoci_spec_t *spec, const pyoci_asm_ctx_t *c, pyoci_lock_t *plan, pyoci_error_t **err)
{
  if (c->o->lock_mode != PYOCI_LOCK_USE) {
    if (pyoci_asm_resolve(spec, c, plan, NULL, err) < 0)
      return -1;
    plan->arch = xstrdup(c->deb_arch);
    for (char **p = spec->packages; *p; p++)
      pyoci_asm_strv_push(&plan->asked, *p);
    plan->requirements_sha256 = c->requirements_sha256 ? xstrdup(c->requirements_sha256) : NULL;
    return 0;
  }
  cleanup_free char *buf = NULL;
  size_t len;
  if (pyoci_read_file(c->lock_path, 64u << 20, &buf, &len, err) < 0)
    return pyoci_error_prefix(err, "--locked");
  if (pyoci_lock_parse(c->lock_path, buf, len, plan, err) < 0)
    return -1;
  return pyoci_asm_check_lock(spec, c, plan, err);
}

static void set_strv(json_t *obj, const char *key, char *const *v)
{
  json_t *a = json_array();
  for (; v && *v; v++)
    json_array_append_new(a, json_string(*v));
  json_object_set_new(obj, key, a);
}

static json_t *image_config(const pyoci_spec_t *spec, const pyoci_asm_ctx_t *c, pyoci_error_t **err)
{
  json_t *config = pyoci_config_new();
  cleanup_free char *platform = NULL;
  platform = xasprintf("linux/%s", c->goarch);
  if (pyoci_config_set_platform(config, platform, err) < 0) {
    json_decref(config);
    return NULL;
  }
  json_t *cfg = json_object_get(config, "config");
  if (cfg == NULL) {
    cfg = json_object();
    json_object_set_new(config, "config", cfg);
  }
  char **env = NULL;
  pyoci_asm_strv_push(&env, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  for (char **e = spec->env; e && *e; e++)
    pyoci_asm_strv_push(&env, *e);
  set_strv(cfg, "Env", env);
  pyoci_strvfreep(&env);
  if (spec->has_entrypoint)
    set_strv(cfg, "Entrypoint", spec->entrypoint);
  if (spec->has_cmd)
    set_strv(cfg, "Cmd", spec->cmd);
  if (spec->workdir)
    json_object_set_new(cfg, "WorkingDir", json_string(spec->workdir));
  if (spec->user)
    json_object_set_new(cfg, "User", json_string(spec->user));
  if (spec->labels) {
    json_t *labels = json_object();
    for (char **l = spec->labels; *l; l++) {
      char *eq = strchr(*l, '=');
      *eq = '\0';
      json_object_set_new(labels, *l, json_string(eq + 1));
      *eq = '=';
    }
    json_object_set_new(cfg, "Labels", labels);
  }
  return config;
}

typedef struct {
  const char *dir;
  const char *created_by;
  bool nonempty;
  bool cached;                  /* desc/diff_id already in the store */
  bool upper;                   /* was an overlay upper dir (--compile): skip overlay xattrs */
  pyoci_desc_t desc;
  char diff_id[PYOCI_DIGEST_LEN];
  char path[4096];
} root_t;

static int commit(pyoci_store_t *s, const pyoci_spec_t *spec, const pyoci_asm_ctx_t *c, root_t *roots, size_t n,
                  const pyoci_layer_opts_t *lo, const char *os_key, pyoci_assemble_result_t *res, pyoci_error_t **err)
{
  cleanup_json json_t *config = image_config(spec, c, err);
  if (config == NULL)
    return -1;
  pyoci_desc_t descs[3] = {0};
  size_t nd = 0;
  for (size_t i = 0; i < n; i++) {
    if (!roots[i].nonempty)
      continue;
    if (!roots[i].cached) {
      pyoci_layer_opts_t o = *lo;
      o.overlay_whiteouts = roots[i].upper;
      if (pyoci_layer_from_dir(s, roots[i].dir, &o, &roots[i].desc, roots[i].diff_id, err) < 0)
        return -1;
      if (i == 0)
        pyoci_asm_os_remember(s, os_key, &roots[i].desc, roots[i].diff_id);
    }
    descs[nd++] = roots[i].desc;
    pyoci_config_add_layer(config, roots[i].diff_id, roots[i].created_by, NULL);
  }
  cleanup_free char *bytes = pyoci_json_dump_canonical(config);
  pyoci_sha256_buf(bytes, strlen(bytes), res->image_id);
  return pyoci_image_commit(s, NULL, bytes, strlen(bytes), descs, nd, c->o->names, res->manifest_digest, err);
}

/* Random names: ext4 starts the Orlov search for a top directory's
 * subdirectory at a hash of its name (see spread_subdirs), and a fixed
 * "os" would start every run in the group the last run's tree was just
 * removed from. */
static int make_roots(const char *tmp, root_t *roots, pyoci_error_t **err)
{
  static const char *const names[] = {"os", "python", "app"};
  for (int i = 0; i < 3; i++) {
    snprintf(roots[i].path, sizeof(roots[i].path), "%s/%s-XXXXXX", tmp, names[i]);
    if (mkdtemp(roots[i].path) == NULL || chmod(roots[i].path, 0755) < 0)
      return pyoci_error_set(err, errno, "mkdir '%s'", roots[i].path);
    roots[i].dir = roots[i].path;
  }
  return 0;
}

/* --compile runs the image's python over the OS root: the one just made,
 * or, when the store had the OS layer, its unpacked form (cached). */
static int compile_wheels(pyoci_store_t *s, const char *tmp, root_t *roots, const pyoci_pyenv_t *env,
                          pyoci_error_t **err)
{
  cleanup_free char *unpacked = NULL;
  if (roots[0].cached && pyoci_unpacked_get(s, &roots[0].desc, roots[0].diff_id, &unpacked, err) < 0)
    return pyoci_error_prefix(err, "--compile");
  roots[1].upper = true;
  return pyoci_asm_compile(tmp, unpacked ? unpacked : roots[0].path, env, roots[1].path, err);
}

static int build_roots(pyoci_store_t *s, const pyoci_spec_t *spec, const pyoci_asm_ctx_t *c, pyoci_lock_t *plan,
                       const char *tmp, root_t *roots, const char *os_key, pyoci_error_t **err)
{
  pyoci_pyenv_t env = {0};
  if (make_roots(tmp, roots, err) < 0)
    return -1;
  roots[0].cached = !c->o->no_cache && pyoci_asm_os_cached(s, os_key, &roots[0].desc, roots[0].diff_id);
  if (roots[0].cached)
    pyoci_asm_image_env(plan, c, &env);
  else if (pyoci_asm_os_root(spec, c, plan, roots[0].path, &env, err) < 0)
    return -1;
  if (pyoci_asm_python_root(spec, c, plan, &env, roots[1].path, err) < 0 || pyoci_asm_app_root(spec, roots[2].path, err) < 0)
    return -1;
  if (c->o->compile && c->n_reqs > 0 && compile_wheels(s, tmp, roots, &env, err) < 0)
    return -1;
  roots[1].nonempty = c->n_reqs > 0;
  roots[2].nonempty = spec->n_contents > 0;
  return 0;
}

static int build(pyoci_store_t *s, const pyoci_spec_t *spec, const pyoci_asm_ctx_t *c, pyoci_lock_t *plan,
                 const char *tmp, pyoci_assemble_result_t *res, pyoci_error_t **err)
{
  root_t roots[3] = {{.created_by = "pyoci assemble: Debian packages", .nonempty = true},
                     {.created_by = "pyoci assemble: Python wheels"},
                     {.created_by = "pyoci assemble: contents"}};
  pyoci_layer_opts_t lo;
  pyoci_layer_opts_init(&lo);
  char os_key[PYOCI_DIGEST_HEX_LEN + 1];
  pyoci_asm_os_key(spec, c, plan, &lo, os_key);
  int rc = build_roots(s, spec, c, plan, tmp, roots, os_key, err);
  res->n_debs = plan->n_debs;
  res->n_wheels = plan->n_wheels;
  if (rc == 0 && c->o->lock_mode == PYOCI_LOCK_WRITE) {
    cleanup_free char *text = pyoci_lock_dump(plan);
    rc = pyoci_write_file_atomic(c->lock_path, text, strlen(text), 0644, err);
  }
  if (rc == 0)
    rc = commit(s, spec, c, roots, 3, &lo, os_key, res, err);
  for (size_t i = 0; i < 3; i++)
    free(roots[i].desc.media_type);
  return rc;
}

/* ext4 without a journal (common on cloud disks) puts a directory's new
 * files in its block group and, looking for a free inode, skips one by one
 * those freed in the last minute (six, while their table block is dirty);
 * when those are all a group has left, every create scans the whole group.
 * Right after an earlier tree was removed -- the last assemble's scratch
 * directory, a deleted store -- that made creating the OS root's few
 * thousand files cost about 1 s of system time.  A "top directory"
 * (chattr +T) has the Orlov allocator place each subdirectory (the roots,
 * randomly named) in a group of its own choosing.  Best effort: other file
 * systems do not have the flag, and nothing depends on it. */
static void spread_subdirs(const char *dir)
{
  cleanup_close int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int flags = 0;
  if (fd >= 0 && ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0) {
    flags |= FS_TOPDIR_FL;
    (void)ioctl(fd, FS_IOC_SETFLAGS, &flags);
  }
}

int pyoci_assemble(pyoci_store_t *s, const pyoci_assemble_opts_t *o, pyoci_assemble_result_t *res,
                   pyoci_error_t **err)
{
  memset(res, 0, sizeof(*res));
  pyoci_spec_t *spec = NULL;
  if (pyoci_spec_load(o->spec_path, &spec, err) < 0)
    return -1;
  pyoci_asm_ctx_t c = {0};
  pyoci_lock_t plan = {0};
  cleanup_free char *tmp = NULL;
  int rc = setup(spec, o, &c, err);
  if (rc == 0 && o->explain)
    rc = pyoci_asm_resolve(spec, &c, &plan, &res->explain, err);
  else if (rc == 0)
    rc = get_plan(spec, &c, &plan, err);
  if (rc == 0 && !o->explain && (rc = pyoci_store_mkdtemp(s, "assemble-", &tmp, err)) == 0)
    spread_subdirs(tmp);
  if (rc == 0 && !o->explain)
    rc = build(s, spec, &c, &plan, tmp, res, err);
  if (tmp != NULL) {
    pyoci_error_t *rm = NULL;
    if (pyoci_rm_rf(tmp, &rm) < 0) {
      pyoci_log(PYOCI_LOG_WARN, "assemble: %s", rm->msg);
      pyoci_error_free(rm);
    }
  }
  pyoci_lock_release(&plan);
  ctx_release(&c);
  pyoci_spec_free(spec);
  return rc;
}
