/* distill, start to end: trace, closures, stage, verify, write.  Nothing is
 * written to the store until the staged root has answered the probes like
 * the original; every mount lives in a private mount namespace, so even
 * kill -9 leaves none behind (and the runtime supervisor kills the app). */
#include <errno.h>
#include <fnmatch.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/container/container.h"
#include "lib/builder/step.h"
#include "lib/image/layer_store.h"
#include "lib/oci/image.h"
#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/fs.h"
#include "lib/util/json.h"
#include "lib/util/log.h"
#include "lib/util/strbuf.h"
#include "distill.h"
#include "distill_int.h"

typedef struct {
  pyoci_store_t *s;
  const pyoci_distill_opts_t *o;
  pyoci_image_t *img;
  char *scratch;            /* store tmp dir: bundles, logs, staging */
  pyoci_step_t *view;       /* the image's file system */
  pyoci_run_spec_t spec;
  pyoci_container_process_t proc; /* what spec points into */
  char hostname[256];
  json_t *envobj;
  json_t *traced, *answers, *keep;
} distill_t;

static int private_mounts(pyoci_error_t **err)
{
  if (unshare(CLONE_NEWNS) < 0)
    return pyoci_error_set(err, errno, "distill: unshare a mount namespace (needs root)");
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
    return pyoci_error_set(err, errno, "distill: make mounts private");
  return 0;
}

/* argv, env, cwd and user as `docker run --network=host IMAGE` gives them
 * (lib/container's rules), the process then traced. */
static int make_spec(distill_t *d, const char *root, pyoci_error_t **err)
{
  const json_t *cfg = json_object_get(d->img->config, "config");
  pyoci_run_opts_t ro = {.image = d->o->image};
  if (gethostname(d->hostname, sizeof(d->hostname) - 1) < 0 || !*d->hostname)
    snprintf(d->hostname, sizeof(d->hostname), "pyoci-distill");
  if (pyoci_container_process(root, cfg, &ro, d->hostname, &d->proc, err) < 0)
    return pyoci_error_prefix(err, "distill '%s'", d->o->image);
  d->envobj = json_object();
  for (size_t i = 0; i < d->proc.env.n; i++) {
    const char *kv = d->proc.env.v[i], *eq = strchr(kv, '=');
    cleanup_free char *name = xstrndup(kv, (size_t)(eq - kv));
    json_object_set_new(d->envobj, name, json_string(eq + 1));
  }
  d->spec = (pyoci_run_spec_t){.argv = d->proc.argv.v, .env = d->proc.env.v, .cwd = d->proc.cwd,
                               .uid = d->proc.uid, .gid = d->proc.gid, .extra_gids = d->proc.groups,
                               .n_extra_gids = d->proc.n_groups, .hostname = d->hostname};
  return 0;
}

static int open_view(distill_t *d, pyoci_error_t **err)
{
  if (d->view)
    pyoci_step_free(d->view);
  d->view = NULL;
  return pyoci_step_begin(d->s, d->img->layers, (const char(*)[PYOCI_DIGEST_LEN])d->img->diff_ids,
                          d->img->n_layers, &d->view, err);
}

static int run_trace(distill_t *d, const char *rootfs, const char *tag, json_t *traced, json_t *answers,
                     pyoci_error_t **err)
{
  cleanup_free char *scratch = pyoci_path_join(d->scratch, tag);
  if (pyoci_mkdir_p(scratch, 0700, err) < 0)
    return -1;
  pyoci_run_spec_t spec = d->spec;
  spec.rootfs = rootfs;
  pyoci_trace_t t = {.rootfs = rootfs, .scratch = scratch, .spec = &spec, .probes = d->o->probes,
                     .probe_cmd = d->o->probe_cmd, .host_env = (char *const *)d->o->host_env,
                     .duration = d->o->duration > 0 ? d->o->duration : 30, .traced = traced, .answers = answers};
  return pyoci_distill_trace(&t, err);
}

/* The Python interpreter the app ran: the first exec'd python* binary. */
static char *traced_python(distill_t *d)
{
  const char *key;
  json_t *v;
  json_object_foreach(d->traced, key, v) {
    const char *base = strrchr(key, '/');
    base = base ? base + 1 : key;
    if (strcmp(json_string_value(v), "exec") == 0 && fnmatch("python[0-9]*", base, 0) == 0) {
      return xasprintf("/%s", key);
    }
  }
  return NULL;
}

/* The entrypoint as runc finds it: a name is looked up on the image's PATH
 * (stat only: the trace sees the file exec'd, not the symlinks to it). */
static void keep_entrypoint(distill_t *d, pyoci_keep_t *k)
{
  const char *prog = d->proc.argv.v[0];
  if (strchr(prog, '/')) {
    cleanup_free char *p = prog[0] == '/' ? xstrdup(prog) : pyoci_path_join(d->spec.cwd, prog);
    pyoci_keep_path(k, p, "entrypoint", NULL);
    return;
  }
  const char *path = pyoci_json_str(d->envobj, "PATH");
  cleanup_free char *copy = xstrdup(path ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  for (char *save = NULL, *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
    cleanup_free char *cand = pyoci_path_join(dir, prog);
    cleanup_free char *real = pyoci_keep_resolve(k->root, cand);
    if (real) {
      pyoci_keep_path(k, cand, "entrypoint", NULL);
      return;
    }
  }
}

static int closures(distill_t *d, pyoci_error_t **err)
{
  pyoci_keep_t k = {.root = d->view->merged, .keep = d->keep, .env = d->envobj, .traced = d->traced};
  const char *key;
  json_t *v;
  json_object_foreach(d->traced, key, v) pyoci_keep_path(&k, key, "trace", NULL);
  keep_entrypoint(d, &k);
  for (const char *const *p = d->o->includes; p && *p; p++)
    if (pyoci_keep_tree(&k, *p, "include", NULL) != 1)
      return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "distill: --include '%s' is not in the image", *p);
  if (d->o->keep_shell)
    pyoci_keep_path(&k, "/bin/sh", "keep-shell", NULL);
  cleanup_free char *python = traced_python(d);
  if (python) {
    pyoci_run_spec_t spec = d->spec;
    spec.rootfs = d->view->merged;
    pyoci_pyclosure_t pc = {.scratch = d->scratch, .spec = &spec, .interp = python};
    pyoci_log(PYOCI_LOG_INFO, "distill: Python import graph with %s", python);
    if (pyoci_keep_python_closure(&k, &pc, d->traced, err) < 0)
      return -1;
    pyoci_log(PYOCI_LOG_DEBUG, "distill: %zu paths kept after the import graph", json_object_size(d->keep));
  }
  pyoci_keep_drop_bytecode(&k, d->o->keep_bytecode);
  if (pyoci_keep_elf_closure(&k, err) < 0 || pyoci_keep_fixed(&k, err) < 0)
    return -1;
  return pyoci_keep_elf_closure(&k, err);
}

/* The floor: the regular files the run opened (what a trace-only tool
 * keeps at best), and how much of it is kept.  What is not kept is
 * bytecode whose source is (pyoci_keep_drop_bytecode), listed by path. */
static json_t *traced_summary(distill_t *d)
{
  json_int_t n[4] = {0};
  json_t *dropped = json_array();
  const char *key;
  json_t *v;
  json_object_foreach(d->traced, key, v) {
    cleanup_free char *host = pyoci_path_join(d->view->merged, key);
    struct stat st;
    if (lstat(host, &st) < 0 || !S_ISREG(st.st_mode))
      continue;
    bool kept = json_object_get(d->keep, key) != NULL;
    n[0]++;
    n[1] += st.st_size;
    n[2] += kept;
    n[3] += kept ? st.st_size : 0;
    if (!kept)
      json_array_append_new(dropped, json_string(key));
  }
  return json_pack("{s:I, s:I, s:I, s:I, s:o}", "files", n[0], "bytes", n[1], "kept_files", n[2], "kept_bytes",
                   n[3], "not_kept", dropped);
}

/* Compare the distilled image's answers with the original's. */
static char *answers_differ(const json_t *a, const json_t *b)
{
  for (size_t i = 0; i < json_array_size(a); i++) {
    const json_t *x = json_array_get(a, i), *y = json_array_get(b, i);
    const char *probe = pyoci_json_str(x, "probe");
    if (y == NULL)
      return xstrdup(probe);
    json_int_t sx = pyoci_json_int(x, "status", -1), sy = pyoci_json_int(y, "status", -1);
    if (sx != sy)
      return xasprintf("%s: status %lld, the original gave %lld", probe, (long long)sy, (long long)sx);
    if (!json_equal(json_object_get(x, "body"), json_object_get(y, "body")))
      return xasprintf("%s: the body differs from the original's", probe);
  }
  return NULL;
}

static int verify(distill_t *d, const char *rootfs_dir, pyoci_distill_result_t *res, pyoci_error_t **err)
{
  cleanup_free char *base = pyoci_path_join(d->scratch, "verify");
  cleanup_free char *upper = pyoci_path_join(base, "upper"), *work = pyoci_path_join(base, "work");
  cleanup_free char *merged = pyoci_path_join(base, "merged");
  if (pyoci_mkdir_p(upper, 0755, err) < 0 || pyoci_mkdir_p(work, 0700, err) < 0 ||
      pyoci_mkdir_p(merged, 0755, err) < 0)
    return -1;
  const char *lowers[] = {rootfs_dir};
  if (pyoci_overlay_mount(lowers, 1, upper, work, merged, err) < 0)
    return -1;
  json_t *answers = json_array();
  pyoci_error_t *rerr = NULL;
  int rc = run_trace(d, merged, "verify-run", NULL, answers, &rerr);
  pyoci_error_t *ignored = NULL;
  pyoci_overlay_umount(merged, &ignored);
  pyoci_error_free(ignored);
  cleanup_free char *diff = rc < 0 ? xstrdup(rerr->msg) : answers_differ(d->answers, answers);
  pyoci_error_free(rerr);
  json_decref(answers);
  if (diff == NULL)
    return 0;
  if (!d->o->no_verify)
    return pyoci_error_set(err, 0, "distill: the distilled image does not behave like '%s' (%s); nothing was "
                                   "written (--no-verify writes it anyway)", d->o->image, diff);
  res->verify_warning = steal_pointer(&diff);
  return 0;
}

static json_t *new_config(distill_t *d, const char *diff_id)
{
  json_t *cfg = json_deep_copy(d->img->config);
  char created[PYOCI_TIME_LEN];
  pyoci_time_created(created);
  json_object_set_new(cfg, "created", json_string(created));
  json_object_set_new(cfg, "rootfs", json_pack("{s:s, s:[s]}", "type", "layers", "diff_ids", diff_id));
  json_object_set_new(cfg, "history", json_array());
  cleanup_free char *by = NULL;
  by = xasprintf("pyoci distill %s", d->o->image);
  pyoci_config_add_history(cfg, by, 0, created);
  return cfg;
}

static int write_image(distill_t *d, const char *rootfs_dir, pyoci_distill_result_t *res, pyoci_error_t **err)
{
  pyoci_layer_opts_t lo;
  pyoci_layer_opts_init(&lo);
  pyoci_desc_t desc = {0};
  char diff_id[PYOCI_DIGEST_LEN];
  if (pyoci_layer_from_dir(d->s, rootfs_dir, &lo, &desc, diff_id, err) < 0)
    return -1;
  json_t *cfg = new_config(d, diff_id);
  int rc = pyoci_image_commit(d->s, cfg, NULL, 0, &desc, 1, d->o->names, res->manifest_digest, err);
  json_decref(cfg);
  free(desc.media_type);
  return rc;
}

static double now_s(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int distill_run(distill_t *d, pyoci_distill_result_t *res, pyoci_error_t **err)
{
  double t0 = now_s();
  if (open_view(d, err) < 0 || make_spec(d, d->view->merged, err) < 0)
    return -1;
  pyoci_log(PYOCI_LOG_INFO, "distill: tracing %s", d->o->image);
  if (run_trace(d, d->view->merged, "trace", d->traced, d->answers, err) < 0)
    return -1;
  double t1 = now_s();
  /* A fresh view: the trace's run wrote into its upper dir. */
  if (open_view(d, err) < 0 || closures(d, err) < 0)
    return -1;
  pyoci_log(PYOCI_LOG_DEBUG, "distill: %zu paths kept; counting the report", json_object_size(d->keep));
  res->report = pyoci_distill_report(d->view->merged, d->keep, err);
  if (res->report == NULL)
    return -1;
  pyoci_log(PYOCI_LOG_DEBUG, "distill: staging");
  json_object_set_new(res->report, "traced", traced_summary(d));
  json_object_set_new(res->report, "image", json_string(d->o->image));
  json_object_set(res->report, "kept_paths", d->keep); /* path -> why */
  cleanup_free char *rootfs = pyoci_path_join(d->scratch, "rootfs");
  if (pyoci_mkdir_p(rootfs, 0755, err) < 0)
    return -1;
  pyoci_keep_t k = {.root = d->view->merged, .keep = d->keep, .env = d->envobj};
  if (pyoci_distill_stage(&k, res->report, rootfs, err) < 0)
    return -1;
  pyoci_step_free(d->view);
  d->view = NULL;
  double t2 = now_s();
  pyoci_log(PYOCI_LOG_INFO, "distill: verifying with the same probes");
  if (verify(d, rootfs, res, err) < 0)
    return -1;
  double t3 = now_s();
  json_object_set_new(res->report, "answers", json_incref(d->answers));
  int rc = write_image(d, rootfs, res, err);
  json_object_set_new(res->report, "timings", json_pack("{s:f, s:f, s:f, s:f}", "trace", t1 - t0, "closure",
                                                        t2 - t1, "verify", t3 - t2, "write", now_s() - t3));
  return rc;
}

int pyoci_distill(pyoci_store_t *s, const pyoci_distill_opts_t *o, pyoci_distill_result_t *res, pyoci_error_t **err)
{
  memset(res, 0, sizeof(*res));
  for (const char *const *p = o->probes; *p; p++)
    if (pyoci_distill_check_probe_url(*p, err) < 0)
      return -1;
  if (o->probes[0] == NULL && o->probe_cmd == NULL && o->duration <= 0)
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0,
                                "distill: give --probe URL, --probe-cmd CMD or --duration S: without a probe the "
                                "trace needs a time to run");
  distill_t d = {.s = s, .o = o, .traced = json_object(), .answers = json_array(), .keep = json_object()};
  int rc = pyoci_image_load(s, o->image, &d.img, err);
  if (rc == 0)
    rc = private_mounts(err);
  if (rc == 0)
    rc = pyoci_store_mkdtemp(s, "distill-", &d.scratch, err);
  if (rc == 0)
    rc = distill_run(&d, res, err);
  if (d.view)
    pyoci_step_free(d.view);
  if (d.scratch) {
    pyoci_error_t *ignored = NULL;
    pyoci_rm_rf(d.scratch, &ignored);
    pyoci_error_free(ignored);
  }
  pyoci_container_process_release(&d.proc);
  json_decref(d.envobj);
  json_decref(d.traced);
  json_decref(d.answers);
  json_decref(d.keep);
  free(d.scratch);
  pyoci_image_free(d.img);
  return rc;
}

void pyoci_distill_result_release(pyoci_distill_result_t *res)
{
  json_decref(res->report);
  free(res->verify_warning);
  memset(res, 0, sizeof(*res));
}
