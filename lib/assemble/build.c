/* The three roots of an assembled image, one layer each so an app change
 * rebuilds one small layer: OS (the .debs and what their maintainer
 * scripts would have made), Python (the wheels), app (contents). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/fs.h"
#include "lib/util/log.h"
#include "lib/builder/copy.h"
#include "plan_int.h"

void pyoci_asm_image_env(const pyoci_lock_t *plan, const pyoci_asm_ctx_t *c, pyoci_pyenv_t *env)
{
  env->machine = c->machine;
  for (size_t i = 0; i < plan->n_debs; i++) {
    const pyoci_lock_deb_t *d = &plan->debs[i];
    int a, b, n = 0;
    if ((sscanf(d->name, "libpython%d.%d-minimal%n", &a, &b, &n) == 2 && d->name[n] == '\0') ||
        (sscanf(d->name, "python%d.%d-minimal%n", &a, &b, &n) == 2 && d->name[n] == '\0')) {
      env->py_major = a;
      env->py_minor = b;
    }
    if (strcmp(d->name, "libc6") == 0 && sscanf(d->version, "%d.%d", &a, &b) == 2) {
      env->glibc_major = a;
      env->glibc_minor = b;
    }
  }
}

typedef struct {
  const pyoci_lock_t *plan;
  int root_fd;
} deb_ctx_t;

/* After each .deb: it must be what the index (or lock) said it is; then
 * its status.d record. */
static int deb_done(void *ctx, size_t i, const pyoci_deb_info_t *info, pyoci_error_t **err)
{
  const deb_ctx_t *c = ctx;
  const pyoci_lock_deb_t *d = &c->plan->debs[i];
  if (strcmp(info->package, d->name) != 0 || strcmp(info->version, d->version) != 0 || strcmp(info->arch, d->arch) != 0)
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "%s: the .deb is %s %s %s, the index/lock says %s %s %s",
                                d->url, info->package, info->version, info->arch, d->name, d->version, d->arch);
  return pyoci_root_status(c->root_fd, info, err);
}

static int install_debs(const pyoci_spec_t *spec, const pyoci_lock_t *plan, pyoci_fetch_t *items, const char *root,
                        int root_fd, pyoci_error_t **err)
{
  pyoci_deb_filter_t f = {spec->exclude_paths, spec->include_paths};
  const char **paths = xcalloc(plan->n_debs + 1, sizeof(char *)), **whats = xcalloc(plan->n_debs + 1, sizeof(char *));
  for (size_t i = 0; i < plan->n_debs; i++) {
    paths[i] = items[i].path;
    whats[i] = plan->debs[i].url;
  }
  /* The root's parent (the assemble's scratch directory) holds the decoded data.tars. */
  cleanup_free char *tmpdir = xstrdup(root);
  char *slash = strrchr(tmpdir, '/');
  if (slash != NULL && slash != tmpdir)
    *slash = '\0';
  deb_ctx_t ctx = {plan, root_fd};
  pyoci_debs_t d = {.paths = paths, .whats = whats, .n = plan->n_debs, .tmpdir = tmpdir, .root_fd = root_fd,
                    .filter = &f, .done = deb_done, .ctx = &ctx};
  int rc = pyoci_debs_install(&d, err);
  free(paths);
  free(whats);
  return rc;
}

int pyoci_asm_os_root(const pyoci_spec_t *spec, const pyoci_asm_ctx_t *c, const pyoci_lock_t *plan, const char *root,
                      pyoci_pyenv_t *env, pyoci_error_t **err)
{
  pyoci_fetch_t *items = xcalloc(plan->n_debs + 1, sizeof(*items));
  for (size_t i = 0; i < plan->n_debs; i++)
    items[i] = (pyoci_fetch_t){.url = plan->debs[i].url, .sha256 = plan->debs[i].sha256, .size = plan->debs[i].size};
  int rc = pyoci_fetch_all(c->o->cache_dir, "debs", items, plan->n_debs, c->o->jobs, err);
  cleanup_close int root_fd = rc < 0 ? -1 : open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (rc == 0 && root_fd < 0)
    rc = pyoci_error_set(err, errno, "open '%s'", root);
  if (rc == 0)
    rc = install_debs(spec, plan, items, root, root_fd, err);
  for (size_t i = 0; i < plan->n_debs; i++)
    free(items[i].path);
  free(items);
  if (rc == 0 && (pyoci_root_accounts(root_fd, spec, err) < 0 || pyoci_root_fixups(root_fd, c->suite, err) < 0))
    rc = -1;
  pyoci_asm_image_env(plan, c, env);
  return rc;
}

static char **find_links(const pyoci_spec_t *spec)
{
  char **v = NULL;
  for (char **d = spec->find_links; d && *d; d++) {
    cleanup_free char *p = (*d)[0] == '/' ? xstrdup(*d) : pyoci_path_join(spec->dir, *d);
    pyoci_asm_strv_push(&v, p);
  }
  return v;
}

/* --locked: the wheel the lock names, from its URL or a find-links dir. */
static int locked_wheel(const pyoci_req_t *r, const pyoci_lock_t *plan, char *const *dirs, const char *cache,
                        pyoci_wheel_found_t *out, pyoci_error_t **err)
{
  memset(out, 0, sizeof(*out));
  const pyoci_lock_wheel_t *w = NULL;
  for (size_t i = 0; i < plan->n_wheels && !w; i++)
    if (strcmp(plan->wheels[i].name, r->name) == 0 && strcmp(plan->wheels[i].version, r->version) == 0)
      w = &plan->wheels[i];
  if (w == NULL || strchr(w->file, '/') || !pyoci_asm_strv_has(r->hashes, w->sha256))
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "lock out of date: no locked wheel for %s==%s", r->name,
                                r->version);
  out->filename = xstrdup(w->file);
  out->sha256 = xstrdup(w->sha256);
  if (w->url) {
    pyoci_fetch_t item = {.url = w->url, .sha256 = w->sha256};
    if (pyoci_fetch_all(cache, "wheels", &item, 1, 1, err) < 0)
      return -1;
    out->path = item.path;
    out->url = xstrdup(w->url);
    return 0;
  }
  for (char *const *d = dirs; d && *d && !out->path; d++) {
    cleanup_free char *p = pyoci_path_join(*d, w->file);
    char hex[PYOCI_DIGEST_HEX_LEN + 1];
    if (pyoci_path_exists(p) && pyoci_file_sha256(p, hex, err) == 0 && strcmp(hex, w->sha256) == 0)
      out->path = steal_pointer(&p);
  }
  if (out->path == NULL)
    return pyoci_error_set_code(err, PYOCI_E_NOT_FOUND, 0, "locked wheel %s (sha256 %s) is in no find-links directory",
                                w->file, w->sha256);
  return 0;
}

static void add_locked(pyoci_lock_t *plan, const pyoci_req_t *r, const pyoci_wheel_found_t *f)
{
  plan->wheels = xrealloc(plan->wheels, (plan->n_wheels + 1) * sizeof(*plan->wheels));
  plan->wheels[plan->n_wheels++] = (pyoci_lock_wheel_t){xstrdup(r->name), xstrdup(r->version), xstrdup(f->filename),
                                                        xstrdup(f->sha256), f->url ? xstrdup(f->url) : NULL};
}

static int one_wheel(const pyoci_asm_ctx_t *c, const pyoci_spec_t *spec, pyoci_lock_t *plan, char *const *dirs,
                     const pyoci_req_t *r, const pyoci_wheel_target_t *t, int root_fd, pyoci_error_t **err)
{
  pyoci_wheel_found_t f = {0};
  int rc = c->o->lock_mode == PYOCI_LOCK_USE
               ? locked_wheel(r, plan, dirs, c->o->cache_dir, &f, err)
               : pyoci_wheel_find(r, dirs, spec->index_url, t->env, c->o->cache_dir, &f, err);
  if (rc == 0)
    rc = pyoci_wheel_tags_check(f.filename, t->env, err);
  cleanup_close int fd = rc < 0 ? -1 : open(f.path, O_RDONLY | O_CLOEXEC);
  if (rc == 0 && fd < 0)
    rc = pyoci_error_set(err, errno, "open '%s'", f.path);
  if (rc == 0)
    rc = pyoci_wheel_install(fd, f.filename, root_fd, t, err);
  if (rc == 0 && c->o->lock_mode != PYOCI_LOCK_USE)
    add_locked(plan, r, &f);
  pyoci_wheel_found_release(&f);
  return rc;
}

int pyoci_asm_python_root(const pyoci_spec_t *spec, const pyoci_asm_ctx_t *c, pyoci_lock_t *plan,
                          const pyoci_pyenv_t *env, const char *root, pyoci_error_t **err)
{
  if (c->n_reqs == 0)
    return 0;
  if (env->py_major == 0)
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0,
                                "%s: python.requirements needs a Python interpreter among debian.packages (e.g. python3.11)",
                                spec->path);
  char site[96], python[64];
  snprintf(site, sizeof(site), "usr/local/lib/python%d.%d/dist-packages", env->py_major, env->py_minor);
  snprintf(python, sizeof(python), "/usr/bin/python%d.%d", env->py_major, env->py_minor);
  pyoci_wheel_target_t t = {env, site, "usr/local/bin", "usr/local", python};
  cleanup_strv char **dirs = find_links(spec);
  cleanup_close int root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (root_fd < 0)
    return pyoci_error_set(err, errno, "open '%s'", root);
  for (size_t i = 0; i < c->n_reqs; i++)
    if (one_wheel(c, spec, plan, dirs, &c->reqs[i], &t, root_fd, err) < 0)
      return -1;
  return 0;
}

int pyoci_asm_app_root(const pyoci_spec_t *spec, const char *root, pyoci_error_t **err)
{
  for (size_t i = 0; i < spec->n_contents; i++) {
    const pyoci_spec_content_t *ct = &spec->contents[i];
    const char *srcs[] = {ct->src};
    pyoci_copy_t cp = {.src_root = spec->dir, .srcs = srcs, .n_srcs = 1, .dest = ct->dst, .workdir = "/",
                       .dest_root = root, .chown = true, .uid = ct->uid, .gid = ct->gid,
                       .chmod = ct->has_mode ? (int)ct->mode : -1, .instruction = "contents"};
    if (pyoci_copy_run(&cp, err) < 0)
      return pyoci_error_prefix(err, "%s:%zu", spec->path, ct->line);
  }
  return 0;
}
