#include "executor.h"
#include "executor_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/layer/layer.h"
#include "lib/util/settings.h"
#include "lib/image/unpacked.h"
#include "lib/oci/image.h"
#include "lib/util/cleanup.h"
#include "lib/util/fs.h"
#include "lib/util/json.h"
#include "lib/util/log.h"
#include "lib/util/strbuf.h"
#include "cache.h"
#include "copy.h"
#include "lib/dockerfile/dockerfile.h"
#include "lib/dockerfile/dockerignore.h"
#include "lib/dockerfile/history.h"
#include "lib/dockerfile/imgconfig.h"
#include "lib/dockerfile/plan.h"
#include "lib/util/alloc.h"
#include "run_mounts.h"
#include "step.h"


static void result_push_layer(stage_result_t *r, const pyoci_desc_t *d, const char *diff_id)
{
  if (r->n == r->cap) {
    r->cap = r->cap ? r->cap * 2 : 16;
    r->layers = xrealloc(r->layers, r->cap * sizeof(*r->layers));
    r->diff_ids = xrealloc(r->diff_ids, r->cap * sizeof(*r->diff_ids));
  }
  r->layers[r->n] = *d;
  r->layers[r->n].media_type = xstrdup(d->media_type);
  memcpy(r->diff_ids[r->n], diff_id, PYOCI_DIGEST_LEN);
  r->n++;
}

static void result_release(stage_result_t *r)
{
  for (size_t i = 0; i < r->n; i++)
    free(r->layers[i].media_type);
  free(r->layers);
  free(r->diff_ids);
  if (r->image)
    json_decref(r->image);
  pyoci_env_release(&r->args);
  pyoci_env_release(&r->declared);
  memset(r, 0, sizeof(*r));
}

int pyoci_exec_fail_at(builder_t *b, const pyoci_df_instr_t *in, pyoci_error_t **err)
{
  /* Messages from plan/stage already carry "file:line:"; ours get it here. */
  if (err && *err && strncmp((*err)->msg, b->df->name, strlen(b->df->name)) != 0)
    pyoci_error_prefix(err, "%s:%d", b->df->name, in->line);
  return -1;
}

/* ---- bases ---- */

static int load_base(stage_run_t *r, const pyoci_stage_t *stage, pyoci_error_t **err)
{
  builder_t *b = r->b;
  stage_result_t *res = r->res;
  if (stage->base_stage >= 0) {
    stage_result_t *from = &b->results[stage->base_stage];
    for (size_t i = 0; i < from->n; i++)
      result_push_layer(res, &from->layers[i], from->diff_ids[i]);
    memcpy(res->key, from->key, PYOCI_DIGEST_LEN);
    if (pyoci_stage_state_init(&r->st, b->plan, r->stage_index, from->image, err) < 0)
      return -1;
    pyoci_stage_state_inherit_args(&r->st, &from->args, &from->declared);
    return 0;
  }
  if (strcmp(stage->base, "scratch") == 0) {
    pyoci_cache_key(NULL, "scratch", NULL, res->key);
    return pyoci_stage_state_init(&r->st, b->plan, r->stage_index, NULL, err);
  }
  cleanup_image pyoci_image_t *img = NULL;
  if (pyoci_image_load(b->s, stage->base, &img, err) < 0) {
    if ((*err)->code == PYOCI_E_NOT_FOUND) {
      pyoci_error_release(err);
      pyoci_error_set_code(err, PYOCI_E_NOT_FOUND, 0,
                           "%s:%d: base image '%s' is not in the store: get it with 'pyoci load -i IMAGE.tar' "
                           "or 'pyoci import ROOTFS.tar -t %s'",
                           b->df->name, stage->from->line, stage->base, stage->base);
      return -1;
    }
    return pyoci_exec_fail_at(b, stage->from, err);
  }
  for (size_t i = 0; i < img->n_layers; i++)
    result_push_layer(res, &img->layers[i], img->diff_ids[i]);
  memcpy(res->key, img->manifest_digest, PYOCI_DIGEST_LEN);
  return pyoci_stage_state_init(&r->st, b->plan, r->stage_index, img->config, err);
}

/* ---- history and cache ---- */

/* A step's time: SOURCE_DATE_EPOCH when set; else when its result was made
 * (recorded, for a cache hit, so a fully cached rebuild gives the same image
 * ID, as Docker's builders do); else now. */
static void set_step_time(stage_run_t *r, const char *recorded)
{
  time_t sde;
  if (recorded != NULL && *recorded != '\0' && !pyoci_source_date_epoch(&sde))
    snprintf(r->when, sizeof(r->when), "%s", recorded);
  else
    pyoci_time_created(r->when);
}

static void add_step_result(stage_run_t *r, bool has_layer, const pyoci_desc_t *d, const char *diff_id,
                            const char *created_by)
{
  if (has_layer) {
    result_push_layer(r->res, d, diff_id);
    pyoci_config_add_layer(r->st.image, diff_id, created_by, r->when);
  } else {
    pyoci_config_add_history(r->st.image, created_by, 1, r->when);
  }
}

/* Look the step up; on a hit record its result and return 1. */
int pyoci_exec_try_cache(stage_run_t *r, const char *key, const char *created_by, pyoci_error_t **err)
{
  if (r->b->o->no_cache)
    return 0;
  bool has_layer = false;
  pyoci_desc_t d = {0};
  char diff_id[PYOCI_DIGEST_LEN];
  char created[PYOCI_TIME_LEN];
  int hit = pyoci_cache_get(r->b->s, key, &has_layer, &d, diff_id, created, err);
  if (hit <= 0)
    return hit;
  set_step_time(r, created);
  add_step_result(r, has_layer, &d, diff_id, created_by);
  free(d.media_type);
  memcpy(r->res->key, key, PYOCI_DIGEST_LEN);
  if (r->b->o->on_output)
    r->b->o->on_output(r->b->o->ctx, "CACHED");
  return 1;
}

/* Finish a mounted step: layer from the upper dir, history, cache record
 * (which keeps the real time even under SOURCE_DATE_EPOCH). */
int pyoci_exec_commit_step(stage_run_t *r, pyoci_step_t *step, const char *key, const char *created_by,
                       pyoci_error_t **err)
{
  bool changed = false;
  pyoci_desc_t d = {0};
  char diff_id[PYOCI_DIGEST_LEN] = "";
  if (pyoci_step_finish(step, r->b->s, &r->b->lopts, &changed, &d, diff_id, err) < 0)
    return -1;
  char now[PYOCI_TIME_LEN];
  pyoci_time_rfc3339(time(NULL), now);
  set_step_time(r, now);
  add_step_result(r, changed, &d, diff_id, created_by);
  int rc = pyoci_cache_put(r->b->s, key, changed, &d, diff_id, now, err);
  free(d.media_type);
  memcpy(r->res->key, key, PYOCI_DIGEST_LEN);
  return rc;
}

int pyoci_exec_begin_step(stage_run_t *r, pyoci_step_t **step, pyoci_error_t **err)
{
  return pyoci_step_begin(r->b->s, r->res->layers, (const char(*)[PYOCI_DIGEST_LEN])r->res->diff_ids, r->res->n,
                          step, err);
}

int pyoci_exec_cached_or_begin(stage_run_t *r, const char *key, const char *created_by, pyoci_step_t **step,
                               pyoci_error_t **err)
{
  int hit = pyoci_exec_try_cache(r, key, created_by, err);
  if (hit != 0)
    return hit < 0 ? -1 : 1;
  return pyoci_exec_begin_step(r, step, err) < 0 ? -1 : 0;
}

/* ---- config lookups ---- */

const char *pyoci_exec_config_str(json_t *image, const char *key, const char *fallback)
{
  const char *v = pyoci_json_str(pyoci_imgconfig_config(image), key);
  return v && *v ? v : fallback;
}

static char **env_strv(const pyoci_env_t *e)
{
  char **v = xcalloc(e->n + 1, sizeof(char *));
  for (size_t i = 0; i < e->n; i++)
    v[i] = e->kv[i];
  return v;
}

/* ---- COPY --from and RUN --mount from= sources ---- */


void pyoci_exec_source_release(copy_source_t *cs)
{
  pyoci_view_close(cs->view);
  result_release(&cs->own);
}

static int build_stage(builder_t *b, size_t idx, pyoci_error_t **err);

/* A --from / from=: the stage the planner found (from_stage >= 0), else an
 * image in the store.  An ONBUILD trigger inherited from the base (which the
 * planner never saw) may name a stage of this Dockerfile: as in current
 * BuildKit (initOnBuildTriggers), that stage is built now if it was not. */
int pyoci_exec_source_resolve(stage_run_t *r, const char *from, int from_stage, int line, const char *what,
                               copy_source_t *cs, pyoci_error_t **err)
{
  builder_t *b = r->b;
  if (from_stage < 0) {
    int idx = pyoci_plan_find_stage(b->plan, from);
    if (idx >= 0 && (size_t)idx != r->stage_index && !b->results[idx].building) {
      if (!b->results[idx].built && build_stage(b, (size_t)idx, err) < 0)
        return -1;
      from_stage = idx;
    }
  }
  if (from_stage >= 0) {
    cs->res = &b->results[from_stage];
    return 0;
  }
  cleanup_image pyoci_image_t *img = NULL;
  if (pyoci_image_load(b->s, from, &img, err) < 0) {
    pyoci_error_release(err);
    return pyoci_error_set_code(err, PYOCI_E_NOT_FOUND, 0,
                                "%s:%d: %s=%s: no such stage, and no image of that name in the store", b->df->name,
                                line, what, from);
  }
  for (size_t i = 0; i < img->n_layers; i++)
    result_push_layer(&cs->own, &img->layers[i], img->diff_ids[i]);
  memcpy(cs->own.key, img->manifest_digest, PYOCI_DIGEST_LEN);
  cs->res = &cs->own;
  return 0;
}

/* ---- RUN ---- */

static void run_output(void *ctx, const char *line)
{
  stage_run_t *r = ctx;
  if (r->b->o->on_output)
    r->b->o->on_output(r->b->o->ctx, line);
}

static char *joined(char *const *v, size_t n)
{
  strbuf_t sb = STRBUF_INIT;
  for (size_t i = 0; i < n; i++)
    strbuf_addf(&sb, "%s%s", i ? " " : "", v[i]);
  return strbuf_detach(&sb);
}

typedef struct {
  const pyoci_env_t *env;
  char escape;
} mount_expand_t;

static char *mount_expand(void *ctx, const char *value, pyoci_error_t **err)
{
  mount_expand_t *x = ctx;
  return pyoci_expand_word(value, x->escape, x->env, err);
}

/* The RUN's --mount specs, expanded against the stage's ARG/ENV, their
 * from= resolved (sources kept in cs[], one per mount). */
static int run_mounts_load(stage_run_t *r, const pyoci_df_instr_t *in, size_t idx, const char *workdir,
                           const pyoci_mounts_ctx_t *mc, pyoci_run_mounts_t *ms, copy_source_t *cs,
                           pyoci_error_t **err)
{
  builder_t *b = r->b;
  const pyoci_stage_t *stage = &b->plan->stages[r->stage_index];
  mount_expand_t x = {.env = &r->st.vars, .escape = b->df->escape};
  int rc = 0;
  for (size_t i = 0; rc == 0 && i < in->n_mounts; i++) {
    pyoci_run_mount_t m;
    if (pyoci_run_mount_parse(in->mounts[i], mount_expand, &x, &m, err) < 0) {
      pyoci_run_mount_release(&m);
      rc = pyoci_error_prefix(err, "%s:%d: RUN --mount=%s", b->df->name, in->line, in->mounts[i]);
      break;
    }
    pyoci_mount_from_t from = {0};
    bool has_from = m.from && (m.type == PYOCI_MOUNT_BIND || m.type == PYOCI_MOUNT_CACHE);
    if (has_from) {
      int from_stage = idx < stage->n_instrs && stage->mount_stage[idx] ? stage->mount_stage[idx][i] : -1;
      if (pyoci_exec_source_resolve(r, m.from, from_stage, in->line, "RUN --mount from", &cs[i], err) < 0) {
        pyoci_run_mount_release(&m);
        rc = -1;
        break;
      }
      from = (pyoci_mount_from_t){.layers = cs[i].res->layers,
                                  .diff_ids = (const char(*)[PYOCI_DIGEST_LEN])cs[i].res->diff_ids,
                                  .n = cs[i].res->n};
      memcpy(from.key, cs[i].res->key, PYOCI_DIGEST_LEN);
    }
    rc = pyoci_run_mounts_add(ms, mc, &m, workdir, has_from ? &from : NULL, err);
    pyoci_run_mount_release(&m);
    if (rc < 0)
      pyoci_exec_fail_at(b, in, err);
  }
  return rc;
}

static char **env_with(char **envv, char *const *extra, size_t n)
{
  size_t k = 0;
  while (envv[k])
    k++;
  char **v = xrealloc(envv, (k + n + 1) * sizeof(char *));
  for (size_t i = 0; i < n; i++)
    v[k + i] = extra[i];
  v[k + n] = NULL;
  return v;
}

static int exec_run(stage_run_t *r, const pyoci_df_instr_t *in, size_t idx, pyoci_error_t **err)
{
  builder_t *b = r->b;
  json_t *shell_j = json_object_get(pyoci_imgconfig_config(r->st.image), "Shell");
  char *shell[16];
  size_t n_shell = 0;
  size_t i;
  json_t *e;
  json_array_foreach(shell_j, i, e) if (json_is_string(e) && n_shell < 16) shell[n_shell++] =
      (char *)json_string_value(e);
  cleanup_free char *script = NULL;
  size_t argc = 0;
  cleanup_strv char **argv = pyoci_df_run_argv(in, n_shell ? shell : NULL, n_shell, &script, &argc);
  if (script != NULL)
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0,
                                "%s:%d: RUN heredocs with their own #! interpreter are not supported yet",
                                b->df->name, in->line);
  pyoci_env_t env = PYOCI_ENV_INIT;
  pyoci_stage_state_run_env(&r->st, &env);
  const char *user = pyoci_exec_config_str(r->st.image, "User", "0");
  const char *workdir = pyoci_exec_config_str(r->st.image, "WorkingDir", "/");
  bool net_none = b->o->network_none || (in->network && strcmp(in->network, "none") == 0);

  cleanup_json json_t *desc = json_pack("{s:o, s:o, s:s, s:s, s:b}", "run", json_array(), "env", json_array(),
                                        "user", user, "workdir", workdir, "net_none", net_none);
  for (size_t k = 0; k < argc; k++)
    json_array_append_new(json_object_get(desc, "run"), json_string(argv[k]));
  /* the key leaves the proxies out, as BuildKit's does: a proxy that
   * changes does not rebuild */
  cleanup_env pyoci_env_t key_env = PYOCI_ENV_INIT;
  pyoci_stage_state_env(&r->st, &key_env);
  for (size_t k = 0; k < key_env.n; k++)
    json_array_append_new(json_object_get(desc, "env"), json_string(key_env.kv[k]));
  pyoci_step_t *step = NULL;
  int rc = -1;
  cleanup_free char **envv = NULL;
  cleanup_free char *scratch = NULL;
  cleanup_free char *text = NULL;
  cleanup_free char *created_by = NULL;
  cleanup_free char *cmdline = NULL;
  int64_t uid = 0, gid = 0;
  int code = 0;
  cleanup_free gid_t *groups = NULL;
  size_t n_groups = 0;
  pyoci_mounts_ctx_t mc = {.s = b->s, .context = b->context, .ignore = b->ignore, .secrets = b->o->secrets,
                           .n_secrets = b->o->n_secrets};
  pyoci_run_mounts_t ms = {0};
  copy_source_t *cs = xcalloc(in->n_mounts + 1, sizeof(*cs));
  if (in->n_mounts > 0) {
    /* the mounts' specs, context digests and from= keys; never contents */
    json_t *mkey = NULL;
    if (run_mounts_load(r, in, idx, workdir, &mc, &ms, cs, err) < 0)
      goto out;
    if (pyoci_run_mounts_key(&ms, &mc, &mkey, err) < 0) {
      pyoci_exec_fail_at(b, in, err);
      goto out;
    }
    json_object_set_new(desc, "mounts", mkey);
  }
  text = pyoci_json_dump_canonical(desc);
  char key[PYOCI_DIGEST_LEN];
  pyoci_cache_key(r->res->key, text, NULL, key);
  cmdline = joined(argv, argc);
  created_by = pyoci_df_history_run(&r->st.declared, &env, argv, argc);

  int hit = pyoci_exec_cached_or_begin(r, key, created_by, &step, err);
  if (hit != 0) {
    rc = hit;
    goto out;
  }
  if (pyoci_resolve_user(step->merged, user, false, &uid, &gid, err) < 0 ||
      pyoci_mkdir_in_root(step->merged, workdir, 0, 0, err) < 0) {
    pyoci_exec_fail_at(b, in, err);
    goto out;
  }
  envv = env_strv(&env);
  if (pyoci_user_groups(step->merged, user, uid, gid, &groups, &n_groups, err) < 0)
    goto out;
  if (in->n_mounts > 0) {
    cleanup_free char *mdir = pyoci_path_join(step->dir, "mounts");
    if (pyoci_run_mounts_prepare(&ms, &mc, step, mdir, err) < 0) {
      pyoci_exec_fail_at(b, in, err);
      goto out;
    }
    envv = env_with(envv, ms.env, ms.n_env);
  }
  pyoci_run_spec_t spec = {.rootfs = step->merged, .argv = argv, .env = envv, .cwd = workdir,
                           .uid = (uid_t)uid, .gid = (gid_t)gid, .extra_gids = groups,
                           .n_extra_gids = n_groups, .network_none = net_none,
                           .hostname = "buildkitsandbox", .output = run_output, .output_ctx = r,
                           .mounts = ms.rt, .n_mounts = ms.n_rt};
  scratch = pyoci_path_join(step->dir, "run");
  if (pyoci_runtime_run(&spec, scratch, &code, err) < 0) {
    pyoci_exec_fail_at(b, in, err);
    goto out;
  }
  if (code != 0) {
    /* the step label ties the error to the "[stage n/N]" header above it */
    pyoci_error_set_code(err, PYOCI_E_INVALID, 0,
                         "%s:%d: RUN failed at step [%s %zu/%zu]: '%s' returned a non-zero code: %d", b->df->name,
                         in->line, r->label, r->step, r->total, cmdline, code);
    goto out;
  }
  /* views closed and cache locks dropped before the layer is written */
  pyoci_run_mounts_release(&ms);
  rc = pyoci_exec_commit_step(r, step, key, created_by, err);
out:
  pyoci_run_mounts_release(&ms);
  for (size_t k = 0; k < in->n_mounts; k++)
    pyoci_exec_source_release(&cs[k]);
  free(cs);
  pyoci_step_free(step);
  pyoci_env_release(&env);
  return rc;
}

/* ---- WORKDIR: the config change is the planner's; the directory is ours ---- */

static int exec_workdir(stage_run_t *r, const pyoci_df_instr_t *in, pyoci_error_t **err)
{
  const char *workdir = pyoci_exec_config_str(r->st.image, "WorkingDir", "/");
  const char *user = pyoci_exec_config_str(r->st.image, "User", "");
  if (strcmp(workdir, "/") == 0) { /* BuildKit: no mkdir, no layer */
    pyoci_config_add_history(r->st.image, r->st.history, 1, *r->when ? r->when : NULL);
    return 0;
  }
  char key[PYOCI_DIGEST_LEN];
  strbuf_t t = STRBUF_INIT;
  strbuf_addf(&t, "WORKDIR %s\nUSER %s", workdir, user);
  cleanup_free char *text = strbuf_detach(&t);
  pyoci_cache_key(r->res->key, text, NULL, key);
  int hit = pyoci_exec_try_cache(r, key, r->st.history, err);
  if (hit != 0)
    return hit < 0 ? -1 : 1;
  pyoci_step_t *step = NULL;
  int rc = -1;
  int64_t uid = 0, gid = 0;
  /* BuildKit's mkdir runs as USER: what it creates is the user's (the
   * classic builder made it root's) */
  if (pyoci_exec_begin_step(r, &step, err) == 0 && (!*user || pyoci_resolve_user(step->merged, user, false, &uid, &gid, err) == 0) &&
      pyoci_mkdir_in_root(step->merged, workdir, uid, gid, err) == 0)
    rc = pyoci_exec_commit_step(r, step, key, r->st.history, err);
  pyoci_step_free(step);
  return rc < 0 ? pyoci_exec_fail_at(r->b, in, err) : rc;
}

/* ---- the stage loop ---- */

static void announce(stage_run_t *r, const char *text, bool cached)
{
  r->step++;
  if (r->b->o->on_step)
    r->b->o->on_step(r->b->o->ctx, r->label, r->step, r->total, text, cached);
}

static int exec_instruction(stage_run_t *r, const pyoci_df_instr_t *in, size_t idx, pyoci_error_t **err)
{
  int rc;
  switch (in->kind) {
  case PYOCI_DF_RUN:
    return exec_run(r, in, idx, err);
  case PYOCI_DF_COPY:
  case PYOCI_DF_ADD:
    return pyoci_exec_copy(r, in, idx, err);
  default:
    break;
  }
  rc = pyoci_stage_state_apply(&r->st, in, err);
  if (rc < 0)
    return pyoci_exec_fail_at(r->b, in, err);
  if (in->kind == PYOCI_DF_WORKDIR)
    return exec_workdir(r, in, err);
  if (r->st.history)
    pyoci_config_add_history(r->st.image, r->st.history, 1, *r->when ? r->when : NULL);
  return 0;
}

static int build_stage(builder_t *b, size_t idx, pyoci_error_t **err)
{
  const pyoci_stage_t *stage = &b->plan->stages[idx];
  stage_run_t r = {.b = b, .stage_index = idx, .res = &b->results[idx]};
  r.res->building = true;
  pyoci_stage_label(stage, r.label);
  if (stage->name)
    snprintf(r.label, sizeof(r.label), "%s", stage->name);
  r.total = stage->n_instrs + 1;
  announce(&r, stage->from->original, false);
  if (load_base(&r, stage, err) < 0) {
    pyoci_stage_state_release(&r.st);
    return -1;
  }
  const char *base_created = pyoci_json_str(r.st.image, "created");
  if (base_created && strlen(base_created) < sizeof(r.when))
    set_step_time(&r, base_created);
  int rc = 0;
  /* ONBUILD triggers of the base run before the stage's own instructions. */
  for (size_t i = 0; rc >= 0 && i < r.st.n_triggers; i++) {
    announce(&r, r.st.triggers[i]->original, false);
    rc = exec_instruction(&r, r.st.triggers[i], SIZE_MAX, err);
  }
  for (size_t i = 0; rc >= 0 && i < stage->n_instrs; i++) {
    const pyoci_df_instr_t *in = &stage->instrs[i];
    announce(&r, in->original, false);
    rc = exec_instruction(&r, in, i, err);
  }
  if (rc >= 0) {
    /* The image is as new as its newest step (or its base, when no step
     * touched the file system). */
    if (!*r.when)
      set_step_time(&r, NULL);
    json_object_set_new(r.st.image, "created", json_string(r.when));
    r.res->image = json_incref(r.st.image);
    pyoci_env_copy(&r.res->args, &r.st.args);
    pyoci_env_copy(&r.res->declared, &r.st.declared);
    r.res->built = true;
  }
  pyoci_stage_state_release(&r.st);
  r.res->building = false;
  return rc < 0 ? -1 : 0;
}

/* While the first stage builds, unpack the base images of the later ones
 * in a child process (two cores: the unpacking is mostly the kernel creating
 * files).  unpacked.c's per-layer lock keeps the two processes from doing a
 * layer twice; the child's failures are ignored, the build unpacks what is
 * missing itself.  Returns the child's pid, or -1 when there is nothing to
 * prefetch or only one thread is wanted. */
static pid_t prefetch_bases(builder_t *b)
{
  if (b->plan->n_order < 2 || pyoci_settings()->threads == 1)
    return -1;
  bool any = false;
  for (size_t i = 1; i < b->plan->n_order; i++) {
    const pyoci_stage_t *st = &b->plan->stages[b->plan->order[i]];
    any |= st->base_stage < 0 && strcmp(st->base, "scratch") != 0;
  }
  if (!any)
    return -1;
  pid_t pid = fork();
  if (pid != 0)
    return pid;
  for (size_t i = 1; i < b->plan->n_order; i++) {
    const pyoci_stage_t *st = &b->plan->stages[b->plan->order[i]];
    pyoci_image_t *img = NULL;
    pyoci_error_t *err = NULL;
    if (st->base_stage >= 0 || strcmp(st->base, "scratch") == 0 || pyoci_image_load(b->s, st->base, &img, &err) < 0) {
      pyoci_error_free(err);
      continue;
    }
    for (size_t l = 0; l < img->n_layers; l++) {
      char *dir = NULL;
      if (pyoci_unpacked_get(b->s, &img->layers[l], img->diff_ids[l], &dir, &err) < 0) {
        pyoci_error_release(&err);
        break;
      }
      free(dir);
    }
    pyoci_image_free(img);
  }
  _exit(0);
}

static void prefetch_end(pid_t pid, bool ok)
{
  if (pid <= 0)
    return;
  if (!ok)
    kill(pid, SIGKILL); /* its scratch is left for gc; the lock dies with it */
  while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
    ;
}

static int commit_target(builder_t *b, char manifest_digest[PYOCI_DIGEST_LEN], pyoci_error_t **err)
{
  stage_result_t *res = &b->results[b->plan->target];
  json_t *img = res->image;
  /* The rootfs is exactly the stage's layers, whatever the base said. */
  json_t *ids = json_array();
  for (size_t i = 0; i < res->n; i++)
    json_array_append_new(ids, json_string(res->diff_ids[i]));
  json_object_set_new(img, "rootfs", json_pack("{s:s, s:o}", "type", "layers", "diff_ids", ids));
  return pyoci_image_commit(b->s, img, NULL, 0, res->layers, res->n, b->o->tags, manifest_digest, err);
}

int pyoci_build(pyoci_store_t *s, const pyoci_build_opts_t *o, char manifest_digest[PYOCI_DIGEST_LEN],
                pyoci_error_t **err)
{
  builder_t b = {.s = s, .o = o, .context = o->context};
  struct stat st;
  if (stat(o->context, &st) < 0 || !S_ISDIR(st.st_mode))
    return pyoci_error_set_code(err, PYOCI_E_INVALID, errno ? errno : ENOTDIR, "build context '%s'", o->context);
  cleanup_free char *default_df = pyoci_path_join(o->context, "Dockerfile");
  const char *df_path = o->dockerfile ? o->dockerfile : default_df;
  b.df = pyoci_dockerfile_load(df_path, err);
  if (b.df == NULL)
    return -1;
  pyoci_plan_opts_t po = {.target = o->target, .build_args = o->build_args, .n_build_args = o->n_build_args,
                          .source_date_epoch = pyoci_settings()->source_date_epoch_text};
  int rc = -1;
  pid_t prefetch = -1;
  cleanup_free char *unused = NULL;
  b.plan = pyoci_plan_new(b.df, &po, err);
  if (b.plan == NULL)
    goto out;
  b.ignore = pyoci_ignore_load(o->context, df_path, NULL, err);
  if (b.ignore == NULL && err && *err)
    goto out;
  if (pyoci_run_mounts_check_secrets(b.plan, o->secrets, o->n_secrets, err) < 0)
    goto out;
  pyoci_layer_opts_init(&b.lopts);
  /* Built layers are kept as plain tar, as Docker's image store keeps them:
   * no compression on the build's critical path, one hash per layer, and
   * `pyoci save` (docker-archive layers are plain tar) copies them as they
   * are.  Compressing is a distribution concern. */
  b.lopts.comp = PYOCI_COMP_NONE;
  b.results = xcalloc(b.plan->n_stages, sizeof(*b.results));
  prefetch = prefetch_bases(&b);
  for (size_t i = 0; i < b.plan->n_order; i++)
    if (!b.results[b.plan->order[i]].built && build_stage(&b, b.plan->order[i], err) < 0)
      goto out;
  unused = pyoci_plan_unused_warning(b.plan);
  if (unused)
    /* docker's text starts "[Warning] "; the log already says "warning:" */
    pyoci_log(PYOCI_LOG_WARN, "%s", unused + (strncmp(unused, "[Warning] ", 10) == 0 ? 10 : 0));
  rc = commit_target(&b, manifest_digest, err);
out:
  prefetch_end(prefetch, rc == 0);
  for (size_t i = 0; b.results && i < b.plan->n_stages; i++)
    result_release(&b.results[i]);
  free(b.results);
  if (b.ignore)
    pyoci_ignore_free(b.ignore);
  if (b.plan)
    pyoci_plan_free(b.plan);
  pyoci_dockerfile_free(b.df);
  return rc;
}
