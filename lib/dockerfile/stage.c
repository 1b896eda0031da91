/* One stage at a time: the ARG/ENV scope, expansion of each instruction and
 * the metadata instructions applied to the image config (plan.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "df_int.h"
#include "history.h"
#include "imgconfig.h"
#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/strbuf.h"
#include "plan.h"

static json_t *scratch_image(const pyoci_plan_t *plan, const pyoci_stage_t *stage)
{
  const char *platform = stage->platform ? stage->platform : plan->target_platform;
  char os[64] = "linux", arch[64] = "amd64", variant[64] = "";
  sscanf(platform, "%63[^/]/%63[^/]/%63s", os, arch, variant);
  json_t *img = json_pack("{s:s, s:s, s:{s:[s], s:s}, s:{s:s, s:[]}}", "architecture", arch, "os", os, "config",
                          "Env", "PATH=" PYOCI_DEFAULT_PATH, "WorkingDir", "/", "rootfs", "type", "layers",
                          "diff_ids");
  if (*variant)
    json_object_set_new(img, "variant", json_string(variant));
  return img;
}

/* The key of an Env element: up to '=', or all of it (a bare "K"), as
 * pyoci_imgconfig_env_set matches them. */
static char *env_key(const char *s)
{
  return xstrndup(s, strcspn(s, "="));
}

/* st->env_pos from the config's Env array; the first element of a key is
 * the one ENV replaces. */
static void env_index_build(pyoci_stage_state_t *st)
{
  pyoci_strmap_clear(&st->env_pos, NULL);
  json_t *env = json_object_get(pyoci_imgconfig_config(st->image), "Env");
  size_t i;
  json_t *e;
  json_array_foreach(env, i, e)
  {
    if (!json_is_string(e))
      continue;
    cleanup_free char *key = env_key(json_string_value(e));
    bool added;
    pyoci_strmap_slot_t *slot = pyoci_strmap_insert(&st->env_pos, key, &added);
    if (added)
      slot->val.num = i;
  }
}

/* ENV K=V: the config's Env element of K replaced in place (or appended),
 * found through env_pos; the lookup set follows. */
static void stage_env_set(pyoci_stage_state_t *st, const char *key, const char *value)
{
  json_t *cfg = pyoci_imgconfig_config(st->image);
  json_t *env = json_object_get(cfg, "Env");
  if (!json_is_array(env)) {
    env = json_array();
    json_object_set_new(cfg, "Env", env);
    pyoci_strmap_clear(&st->env_pos, NULL);
  }
  char *kv = xasprintf("%s=%s", key, value);
  pyoci_strmap_slot_t *slot = pyoci_strmap_find(&st->env_pos, key);
  const char *at = slot ? json_string_value(json_array_get(env, slot->val.num)) : NULL;
  cleanup_free char *at_key = at ? env_key(at) : NULL;
  if (at_key && strcmp(at_key, key) == 0) {
    json_array_set_new(env, slot->val.num, json_string(kv));
  } else if (slot) { /* the array changed behind our back: do it the slow way */
    pyoci_imgconfig_env_set(st->image, key, value);
    env_index_build(st);
  } else {
    json_array_append_new(env, json_string(kv));
    pyoci_strmap_insert(&st->env_pos, key, NULL)->val.num = json_array_size(env) - 1;
  }
  free(kv);
  pyoci_env_set(&st->vars, key, value);
}

static void add_trigger(pyoci_stage_state_t *st, pyoci_df_instr_t *t)
{
  pyoci_df_instr_t **v = xrealloc(st->triggers, (st->n_triggers + 1) * sizeof(*v));
  v[st->n_triggers++] = t;
  st->triggers = v;
}

int pyoci_stage_state_init(pyoci_stage_state_t *st, const pyoci_plan_t *plan, size_t stage_index,
                           const json_t *base_image, pyoci_error_t **err)
{
  memset(st, 0, sizeof(*st));
  if (stage_index >= plan->n_stages)
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "no stage %zu", stage_index);
  st->plan = plan;
  st->stage = &plan->stages[stage_index];
  st->image = base_image ? json_deep_copy(base_image) : scratch_image(plan, st->stage);
  if (st->image == NULL || !json_is_object(st->image))
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "base image config is not a JSON object");
  /* BuildKit makes sure PATH is always set */
  if (pyoci_imgconfig_env_get(st->image, "PATH") == NULL)
    pyoci_imgconfig_env_set(st->image, "PATH", PYOCI_DEFAULT_PATH);
  /* ONBUILD triggers of the base run first, and are not inherited further */
  json_t *cfg = pyoci_imgconfig_config(st->image);
  json_t *ob = json_object_get(cfg, "OnBuild");
  size_t i;
  json_t *e;
  json_array_foreach(ob, i, e)
  {
    if (!json_is_string(e))
      continue;
    pyoci_df_instr_t *t = pyoci_df_parse_trigger(json_string_value(e), plan->df->name, st->stage->from->line, err);
    if (t == NULL)
      return -1;
    add_trigger(st, t);
  }
  json_object_del(cfg, "OnBuild");
  env_index_build(st);
  pyoci_stage_state_env(st, &st->vars);
  return 0;
}

void pyoci_stage_state_inherit_args(pyoci_stage_state_t *st, const pyoci_env_t *args, const pyoci_env_t *declared)
{
  pyoci_env_copy(&st->args, args);
  pyoci_env_copy(&st->declared, declared);
  pyoci_stage_state_env(st, &st->vars);
}

void pyoci_stage_state_release(pyoci_stage_state_t *st)
{
  if (st->image)
    json_decref(st->image);
  pyoci_env_release(&st->args);
  pyoci_env_release(&st->declared);
  pyoci_env_release(&st->vars);
  pyoci_strmap_clear(&st->env_pos, NULL);
  free(st->history);
  for (size_t i = 0; i < st->n_triggers; i++)
    pyoci_df_instr_free(st->triggers[i]);
  free(st->triggers);
  memset(st, 0, sizeof(*st));
}

void pyoci_image_env_merge(const json_t *image, pyoci_env_t *out)
{
  json_t *env = json_object_get(json_object_get(image, "config"), "Env");
  size_t i;
  json_t *e;
  json_array_foreach(env, i, e)
    if (json_is_string(e))
      pyoci_env_set_kv(out, json_string_value(e));
}

void pyoci_stage_state_env(const pyoci_stage_state_t *st, pyoci_env_t *out)
{
  pyoci_env_copy(out, &st->args);
  pyoci_image_env_merge(st->image, out);
}

static int cmp_kv(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* BuildKit (proxyEnvFromBuildArgs, proxyEnvList): a proxy build arg in any
 * spelling reaches RUN as both HTTP_PROXY and http_proxy; with several
 * spellings the last in byte order wins. */
void pyoci_stage_state_run_env(const pyoci_stage_state_t *st, pyoci_env_t *out)
{
  pyoci_stage_state_env(st, out);
  const pyoci_env_t *ba = &st->plan->build_args;
  char **sorted = xcalloc(ba->n + 1, sizeof(char *));
  if (ba->n > 0) { /* kv is NULL without build args: memcpy(NULL) is UB (UBSan) */
    memcpy(sorted, ba->kv, ba->n * sizeof(char *));
    qsort(sorted, ba->n, sizeof(char *), cmp_kv);
  }
  static const char *const names[] = {"HTTP_PROXY", "HTTPS_PROXY", "FTP_PROXY", "NO_PROXY", "ALL_PROXY"};
  for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
    const char *value = NULL;
    size_t nl = strlen(names[k]);
    for (size_t i = 0; i < ba->n; i++)
      if (strncasecmp(sorted[i], names[k], nl) == 0 && sorted[i][nl] == '=')
        value = sorted[i] + nl + 1;
    if (value == NULL || *value == '\0')
      continue;
    char lower[16];
    for (size_t i = 0; i <= nl; i++)
      lower[i] = (char)(names[k][i] >= 'A' && names[k][i] <= 'Z' ? names[k][i] + 32 : names[k][i]);
    if (pyoci_env_get(out, names[k]) == NULL)
      pyoci_env_set(out, names[k], value);
    if (pyoci_env_get(out, lower) == NULL)
      pyoci_env_set(out, lower, value);
  }
  free(sorted);
}

static int xword(char **s, char escape, const pyoci_env_t *env, pyoci_error_t **err)
{
  if (*s == NULL)
    return 0;
  char *v = pyoci_expand_word(*s, escape, env, err);
  if (v == NULL)
    return -1;
  free(*s);
  *s = v;
  return 0;
}

static int expand_into(pyoci_df_instr_t *o, char escape, const pyoci_env_t *env, pyoci_error_t **err)
{
  switch (o->kind) {
  case PYOCI_DF_ENV:
  case PYOCI_DF_LABEL:
    for (size_t i = 0; i < o->n_kvs; i++)
      if (xword(&o->kvs[i].key, escape, env, err) < 0 || xword(&o->kvs[i].value, escape, env, err) < 0)
        return -1;
    return 0;
  case PYOCI_DF_COPY:
  case PYOCI_DF_ADD:
    for (size_t i = 0; i < o->n_srcs; i++)
      if (xword(&o->srcs[i], escape, env, err) < 0)
        return -1;
    for (size_t i = 0; i < o->n_excludes; i++)
      if (xword(&o->excludes[i], escape, env, err) < 0)
        return -1;
    if (xword(&o->dest, escape, env, err) < 0 || xword(&o->chown, escape, env, err) < 0 ||
        xword(&o->chmod, escape, env, err) < 0 || xword(&o->checksum, escape, env, err) < 0)
      return -1;
    for (size_t i = 0; i < o->n_inlines; i++) {
      if (!o->inlines[i].expand)
        continue;
      char *d = pyoci_expand_heredoc(o->inlines[i].data, env, err);
      if (d == NULL)
        return -1;
      free(o->inlines[i].data);
      o->inlines[i].data = d;
    }
    return 0;
  case PYOCI_DF_EXPOSE: {
    char **all = NULL;
    size_t n = 0;
    for (size_t i = 0; i < o->n_args; i++) {
      char **w = NULL;
      size_t nw = 0;
      if (pyoci_expand_words(o->args[i], escape, env, &w, &nw, err) < 0) {
        pyoci_df_strv_free(all, n);
        return -1;
      }
      for (size_t k = 0; k < nw; k++)
        pyoci_df_strv_push(&all, &n, w[k]);
      free(w);
    }
    pyoci_df_strv_free(o->args, o->n_args);
    o->args = all;
    o->n_args = n;
    return 0;
  }
  case PYOCI_DF_USER:
  case PYOCI_DF_WORKDIR:
  case PYOCI_DF_STOPSIGNAL:
  case PYOCI_DF_VOLUME:
    for (size_t i = 0; i < o->n_args; i++)
      if (xword(&o->args[i], escape, env, err) < 0)
        return -1;
    return 0;
  default:
    return 0;
  }
}

pyoci_df_instr_t *pyoci_df_instr_expand(const pyoci_df_instr_t *in, char escape, const pyoci_env_t *env,
                                        pyoci_error_t **err)
{
  pyoci_df_instr_t *o = pyoci_df_instr_dup(in);
  if (expand_into(o, escape, env, err) < 0) {
    pyoci_df_instr_free(o);
    return NULL;
  }
  return o;
}

pyoci_df_instr_t *pyoci_stage_state_expand(const pyoci_stage_state_t *st, const pyoci_df_instr_t *in,
                                           pyoci_error_t **err)
{
  pyoci_df_instr_t *o = pyoci_df_instr_expand(in, st->plan->df->escape, &st->vars, err);
  if (o == NULL)
    pyoci_error_prefix(err, "%s:%d", st->plan->df->name, in->line);
  return o;
}

static int apply_arg(pyoci_stage_state_t *st, const pyoci_df_instr_t *in, pyoci_error_t **err)
{
  const pyoci_plan_t *p = st->plan;
  strbuf_t hist = STRBUF_INIT;
  strbuf_addstr(&hist, "ARG");
  for (size_t i = 0; i < in->n_kvs; i++) {
    const char *key = in->kvs[i].key;
    const char *bv = pyoci_env_get(&p->build_args, key);
    cleanup_free char *value = NULL;
    if (bv) {
      value = xstrdup(bv);
    } else if (in->kvs[i].value) {
      value = pyoci_expand_word(in->kvs[i].value, p->df->escape, &st->vars, err);
      if (value == NULL) {
        strbuf_release(&hist);
        return pyoci_error_prefix(err, "%s:%d", p->df->name, in->line);
      }
    } else if (pyoci_env_get(&p->global_args, key)) {
      value = xstrdup(pyoci_env_get(&p->global_args, key)); /* re-imported global */
    }
    if (value) {
      pyoci_env_set(&st->args, key, value);
      if (pyoci_strmap_find(&st->env_pos, key) == NULL) /* the config's Env wins */
        pyoci_env_set(&st->vars, key, value);
    }
    pyoci_env_set(&st->declared, key, value ? value : "");
    strbuf_addf(&hist, " %s%s%s", key, value ? "=" : "", value ? value : "");
  }
  free(st->history);
  st->history = strbuf_detach(&hist);
  return 1;
}

int pyoci_stage_state_apply(pyoci_stage_state_t *st, const pyoci_df_instr_t *in, pyoci_error_t **err)
{
  switch (in->kind) {
  case PYOCI_DF_ARG:
    return apply_arg(st, in, err);
  case PYOCI_DF_FROM:
  case PYOCI_DF_RUN:
  case PYOCI_DF_COPY:
  case PYOCI_DF_ADD:
    return 0;
  default:
    break;
  }
  pyoci_df_instr_t *ex = pyoci_stage_state_expand(st, in, err);
  if (ex == NULL)
    return -1;
  int r = 1;
  if (ex->kind == PYOCI_DF_ENV)
    for (size_t i = 0; i < ex->n_kvs; i++)
      stage_env_set(st, ex->kvs[i].key, ex->kvs[i].value ? ex->kvs[i].value : "");
  else
    r = pyoci_imgconfig_apply(st->image, ex, &st->cmd_set, err);
  free(st->history);
  st->history = r > 0 ? pyoci_df_history_meta(st->image, ex) : NULL;
  pyoci_df_instr_free(ex);
  if (r < 0)
    return pyoci_error_prefix(err, "%s:%d", st->plan->df->name, in->line);
  return r;
}
