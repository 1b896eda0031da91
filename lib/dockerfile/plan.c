/* Stage planning: global ARGs, FROM resolution, --target, needed stages. */
#include "plan.h"
#include "run_mount.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/utsname.h>

#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/strbuf.h"

static const char *const proxy_args[] = {"HTTP_PROXY", "HTTPS_PROXY", "FTP_PROXY", "NO_PROXY", "ALL_PROXY"};

static bool is_proxy_arg(const char *k)
{
  for (size_t i = 0; i < sizeof(proxy_args) / sizeof(proxy_args[0]); i++)
    if (strcasecmp(k, proxy_args[i]) == 0)
      return true;
  return false;
}

static int plan_fail(const pyoci_plan_t *p, int line, pyoci_error_t **err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int plan_fail(const pyoci_plan_t *p, int line, pyoci_error_t **err, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  char *msg = xvasprintf(fmt, ap);
  va_end(ap);
  if (line > 0)
    pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "%s:%d: %s", p->df->name, line, msg);
  else
    pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "%s: %s", p->df->name, msg);
  free(msg);
  return -1;
}

/* "Dockerfile:N: " in front of an error from expand.c */
static int at_line(const pyoci_plan_t *p, int line, pyoci_error_t **err)
{
  return pyoci_error_prefix(err, "%s:%d", p->df->name, line);
}

void pyoci_host_platform(const char **os, const char **arch, const char **variant)
{
  static char arch_buf[72];
  struct utsname u;
  *os = "linux";
  *variant = "";
  const char *m = uname(&u) == 0 ? u.machine : "x86_64";
  if (strcmp(m, "x86_64") == 0)
    *arch = "amd64";
  else if (strcmp(m, "aarch64") == 0 || strcmp(m, "arm64") == 0)
    *arch = "arm64";
  else if (strncmp(m, "armv7", 5) == 0)
    *arch = "arm", *variant = "v7";
  else if (strncmp(m, "armv6", 5) == 0)
    *arch = "arm", *variant = "v6";
  else if (strcmp(m, "i386") == 0 || strcmp(m, "i686") == 0)
    *arch = "386";
  else {
    snprintf(arch_buf, sizeof(arch_buf), "%s", m); /* ppc64le, s390x, riscv64 keep their names */
    *arch = arch_buf;
  }
}

/* "os/arch[/variant]" with the usual arch aliases normalised. */
static int parse_platform(const char *s, char **os, char **arch, char **variant)
{
  char buf[128];
  if (strlen(s) >= sizeof(buf))
    return -1;
  strcpy(buf, s);
  for (char *c = buf; *c; c++)
    if (*c >= 'A' && *c <= 'Z')
      *c = (char)(*c - 'A' + 'a');
  char *a = strchr(buf, '/');
  if (a == NULL || a == buf || a[1] == '\0')
    return -1;
  *a++ = '\0';
  char *v = strchr(a, '/');
  if (v) {
    *v++ = '\0';
    if (*v == '\0' || strchr(v, '/'))
      return -1;
  }
  const char *an = a;
  if (strcmp(a, "x86_64") == 0 || strcmp(a, "x86-64") == 0)
    an = "amd64";
  else if (strcmp(a, "aarch64") == 0)
    an = "arm64";
  else if (strcmp(a, "i386") == 0)
    an = "386";
  if (strcmp(an, "arm64") == 0 && v && strcmp(v, "v8") == 0)
    v = NULL;
  *os = xstrdup(buf);
  *arch = xstrdup(an);
  *variant = xstrdup(v ? v : "");
  return 0;
}

static char *fmt_platform(const char *os, const char *arch, const char *variant)
{
  char *r = NULL;
  r = xasprintf("%s/%s%s%s", os, arch, *variant ? "/" : "", variant);
  return r;
}

const char *pyoci_stage_label(const pyoci_stage_t *st, char buf[32])
{
  if (st->name)
    return st->name;
  snprintf(buf, 32, "stage-%zu", st->index);
  return buf;
}

static int set_platform_args(pyoci_plan_t *p, const pyoci_plan_opts_t *opts, pyoci_error_t **err)
{
  const char *os, *arch, *variant;
  pyoci_host_platform(&os, &arch, &variant);
  p->build_platform = fmt_platform(os, arch, variant);
  pyoci_env_set(&p->global_args, "BUILDPLATFORM", p->build_platform);
  pyoci_env_set(&p->global_args, "BUILDOS", os);
  pyoci_env_set(&p->global_args, "BUILDARCH", arch);
  pyoci_env_set(&p->global_args, "BUILDVARIANT", variant);
  cleanup_free char *tos = NULL;
  cleanup_free char *tarch = NULL;
  cleanup_free char *tvar = NULL;
  if (opts->platform) {
    if (parse_platform(opts->platform, &tos, &tarch, &tvar) < 0)
      return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "failed to parse platform %s", opts->platform);
  } else {
    tos = xstrdup(os);
    tarch = xstrdup(arch);
    tvar = xstrdup(variant);
  }
  p->target_platform = fmt_platform(tos, tarch, tvar);
  pyoci_env_set(&p->global_args, "TARGETPLATFORM", p->target_platform);
  pyoci_env_set(&p->global_args, "TARGETOS", tos);
  pyoci_env_set(&p->global_args, "TARGETARCH", tarch);
  pyoci_env_set(&p->global_args, "TARGETVARIANT", tvar);
  return 0;
}

/* ARGs before the first FROM, in order; a build arg replaces the default. */
static int global_args(pyoci_plan_t *p, size_t n_meta, pyoci_error_t **err)
{
  for (size_t i = 0; i < n_meta; i++) {
    const pyoci_df_instr_t *in = &p->df->instrs[i];
    if (in->kind != PYOCI_DF_ARG)
      return plan_fail(p, in->line, err, "no build stage in current context");
    for (size_t k = 0; k < in->n_kvs; k++) {
      const char *key = in->kvs[k].key;
      const char *bv = pyoci_env_get(&p->build_args, key);
      if (bv) {
        pyoci_env_set(&p->global_args, key, bv);
      } else if (in->kvs[k].value) {
        cleanup_free char *v = pyoci_expand_word(in->kvs[k].value, p->df->escape, &p->global_args, err);
        if (v == NULL)
          return at_line(p, in->line, err);
        pyoci_env_set(&p->global_args, key, v);
      }
    }
  }
  return 0;
}

static int find_stage(const pyoci_plan_t *p, const char *name)
{
  for (size_t i = 0; i < p->n_stages; i++)
    if (p->stages[i].name && strcasecmp(p->stages[i].name, name) == 0)
      return (int)i;
  return -1;
}

int pyoci_plan_find_stage(const pyoci_plan_t *p, const char *ref)
{
  char *end = NULL;
  long n = strtol(ref, &end, 10);
  if (ref[0] && *end == '\0')
    return n >= 0 && (size_t)n < p->n_stages ? (int)n : -1;
  return find_stage(p, ref);
}

static int make_stages(pyoci_plan_t *p, size_t first, pyoci_error_t **err)
{
  const pyoci_dockerfile_t *df = p->df;
  for (size_t i = first; i < df->n_instrs; i++)
    if (df->instrs[i].kind == PYOCI_DF_FROM)
      p->n_stages++;
  p->stages = xcalloc(p->n_stages, sizeof(*p->stages));
  size_t s = 0;
  for (size_t i = first; i < df->n_instrs; i++) {
    if (df->instrs[i].kind != PYOCI_DF_FROM) {
      p->stages[s - 1].n_instrs++;
      continue;
    }
    pyoci_stage_t *st = &p->stages[s];
    st->index = s++;
    st->from = &df->instrs[i];
    st->instrs = &df->instrs[i + 1];
    st->base_stage = -1;
    if (st->from->stage_name) {
      if (find_stage(p, st->from->stage_name) >= 0)
        return plan_fail(p, st->from->line, err, "duplicate stage name \"%s\"", st->from->stage_name);
      st->name = xstrdup(st->from->stage_name);
    }
    /* FROM is expanded with the global ARGs only */
    st->base = pyoci_expand_word(st->from->image, df->escape, &p->global_args, err);
    if (st->base == NULL)
      return at_line(p, st->from->line, err);
    if (st->base[0] == '\0')
      return plan_fail(p, st->from->line, err, "base name (%s) should not be blank", st->from->image);
    if (st->from->platform) {
      st->platform = pyoci_expand_word(st->from->platform, df->escape, &p->global_args, err);
      if (st->platform == NULL)
        return at_line(p, st->from->line, err);
      if (st->platform[0] == '\0')
        return plan_fail(p, st->from->line, err, "empty platform value from expression %s", st->from->platform);
    }
    int b = find_stage(p, st->base); /* only earlier stages are known here */
    if (b >= 0 && (size_t)b < st->index)
      st->base_stage = b;
  }
  return 0;
}

/* A --from (COPY) or from= (RUN --mount): a stage name or index (earlier
 * stages only), else an image (*out = -1). */
static int resolve_stage_ref(pyoci_plan_t *p, pyoci_stage_t *st, int line, const char *from, const char *verb,
                             int *out, pyoci_error_t **err)
{
  *out = -1;
  int idx = -1;
  char *end = NULL;
  long n = strtol(from, &end, 10);
  if (from[0] && *end == '\0') {
    if (n < 0 || (size_t)n >= p->n_stages)
      return plan_fail(p, line, err, "invalid stage index %ld", n);
    idx = (int)n;
  } else {
    idx = find_stage(p, from);
  }
  if (idx < 0)
    return 0; /* an image reference */
  if ((size_t)idx >= st->index) {
    char buf[32];
    return plan_fail(p, line, err, "cannot %s from stage \"%s\", it needs to be defined before current stage \"%s\"",
                     verb, from, pyoci_stage_label(st, buf));
  }
  *out = idx;
  return 0;
}

static int resolve_copy_from(pyoci_plan_t *p, pyoci_stage_t *st, const pyoci_df_instr_t *in, int *out,
                             pyoci_error_t **err)
{
  *out = -1;
  if (in->kind != PYOCI_DF_COPY || in->from == NULL)
    return 0;
  pyoci_lex_opts_t o = {.escape = p->df->escape};
  cleanup_free char *lexed = NULL;
  cleanup_error pyoci_error_t *e = NULL;
  if (pyoci_lex(in->from, &o, NULL, &lexed, NULL, NULL, &e) < 0 || strcmp(lexed, in->from) != 0)
    return plan_fail(p, in->line, err,
                     "variable expansion is not supported for --from, define a new stage with FROM using ARG "
                     "from global scope as a workaround");
  return resolve_stage_ref(p, st, in->line, in->from, "copy", out, err);
}

/* RUN --mount from=: per mount, the stage index or -1 (*out stays NULL for
 * a RUN without mounts).  from= takes no variables (checked by the parser). */
static int resolve_mount_froms(pyoci_plan_t *p, pyoci_stage_t *st, const pyoci_df_instr_t *in, int **out,
                               pyoci_error_t **err)
{
  *out = NULL;
  if (in->kind != PYOCI_DF_RUN || in->n_mounts == 0)
    return 0;
  *out = xcalloc(in->n_mounts, sizeof(int));
  for (size_t i = 0; i < in->n_mounts; i++) {
    (*out)[i] = -1;
    pyoci_run_mount_t m;
    int rc = pyoci_run_mount_parse(in->mounts[i], NULL, NULL, &m, err);
    if (rc == 0 && m.from && (m.deferred || m.type == PYOCI_MOUNT_BIND || m.type == PYOCI_MOUNT_CACHE))
      rc = resolve_stage_ref(p, st, in->line, m.from, "mount", &(*out)[i], err);
    else if (rc < 0)
      pyoci_error_prefix(err, "%s:%d", p->df->name, in->line);
    pyoci_run_mount_release(&m);
    if (rc < 0)
      return -1;
  }
  return 0;
}

static void mark_needed(pyoci_plan_t *p, size_t i)
{
  pyoci_stage_t *st = &p->stages[i];
  if (st->needed)
    return;
  st->needed = true;
  if (st->base_stage >= 0) {
    mark_needed(p, (size_t)st->base_stage);
    /* ONBUILD COPY --from in the base stage runs in this one */
    const pyoci_stage_t *b = &p->stages[st->base_stage];
    for (size_t k = 0; k < b->n_instrs; k++) {
      const pyoci_df_instr_t *t = b->instrs[k].onbuild;
      if (t && t->kind == PYOCI_DF_COPY && t->from) {
        int idx = find_stage(p, t->from);
        if (idx >= 0 && (size_t)idx < i)
          mark_needed(p, (size_t)idx);
      }
    }
  }
  for (size_t k = 0; k < st->n_instrs; k++) {
    if (st->copy_stage[k] >= 0)
      mark_needed(p, (size_t)st->copy_stage[k]);
    for (size_t j = 0; st->mount_stage[k] && j < st->instrs[k].n_mounts; j++)
      if (st->mount_stage[k][j] >= 0)
        mark_needed(p, (size_t)st->mount_stage[k][j]);
  }
}

static bool declared_in(const pyoci_df_instr_t *instrs, size_t n, const char *key)
{
  for (size_t i = 0; i < n; i++) {
    const pyoci_df_instr_t *in = &instrs[i];
    if (in->kind == PYOCI_DF_ONBUILD && in->onbuild && declared_in(in->onbuild, 1, key))
      return true;
    if (in->kind != PYOCI_DF_ARG)
      continue;
    for (size_t k = 0; k < in->n_kvs; k++)
      if (strcmp(in->kvs[k].key, key) == 0)
        return true;
  }
  return false;
}

static int cmp_str(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static void find_unused(pyoci_plan_t *p, size_t n_meta)
{
  static const char *const builtins[] = {"BUILDPLATFORM", "BUILDOS",  "BUILDARCH",     "BUILDVARIANT",
                                         "TARGETPLATFORM", "TARGETOS", "TARGETARCH",    "TARGETVARIANT",
                                         "TARGETSTAGE",   "SOURCE_DATE_EPOCH"};
  for (size_t i = 0; i < p->build_args.n; i++) {
    const char *kv = p->build_args.kv[i];
    cleanup_free char *key = xstrndup(kv, strcspn(kv, "="));
    bool used = is_proxy_arg(key) || strncmp(key, "BUILDKIT_", 9) == 0 || declared_in(p->df->instrs, n_meta, key);
    for (size_t b = 0; !used && b < sizeof(builtins) / sizeof(builtins[0]); b++)
      used = strcmp(key, builtins[b]) == 0;
    for (size_t s = 0; !used && s < p->n_stages; s++)
      used = p->stages[s].needed && declared_in(p->stages[s].instrs, p->stages[s].n_instrs, key);
    if (!used) {
      char **v = xrealloc(p->unused_build_args, (p->n_unused + 2) * sizeof(char *));
      v[p->n_unused++] = steal_pointer(&key);
      v[p->n_unused] = NULL;
      p->unused_build_args = v;
    }
  }
  if (p->n_unused)
    qsort(p->unused_build_args, p->n_unused, sizeof(char *), cmp_str);
}

pyoci_plan_t *pyoci_plan_new(const pyoci_dockerfile_t *df, const pyoci_plan_opts_t *opts, pyoci_error_t **err)
{
  pyoci_plan_opts_t none = {0};
  if (opts == NULL)
    opts = &none;
  pyoci_plan_t *p = xcalloc(1, sizeof(*p));
  p->df = df;
  for (size_t i = 0; i < opts->n_build_args; i++)
    if (strchr(opts->build_args[i], '='))
      pyoci_env_set_kv(&p->build_args, opts->build_args[i]);
  if (opts->source_date_epoch && pyoci_env_get(&p->build_args, "SOURCE_DATE_EPOCH") == NULL)
    pyoci_env_set(&p->build_args, "SOURCE_DATE_EPOCH", opts->source_date_epoch);
  const char *sde = pyoci_env_get(&p->build_args, "SOURCE_DATE_EPOCH");
  if (sde && *sde)
    p->source_date_epoch = xstrdup(sde);

  size_t first = 0;
  while (first < df->n_instrs && df->instrs[first].kind != PYOCI_DF_FROM)
    first++;
  if (set_platform_args(p, opts, err) < 0)
    goto fail;
  /* built-ins: a build arg overrides them (and so counts as used) */
  pyoci_env_set(&p->global_args, "TARGETSTAGE", "");
  for (size_t i = 0; i < p->global_args.n; i++) {
    cleanup_free char *key = xstrndup(p->global_args.kv[i], strcspn(p->global_args.kv[i], "="));
    const char *bv = key ? pyoci_env_get(&p->build_args, key) : NULL;
    if (bv)
      pyoci_env_set(&p->global_args, key, bv);
  }
  /* TARGETSTAGE: --target, else the last stage's name (BuildKit's defaultArgs) */
  const char *tname = opts->target;
  for (size_t i = df->n_instrs; opts->target == NULL && i-- > first;)
    if (df->instrs[i].kind == PYOCI_DF_FROM) {
      tname = df->instrs[i].stage_name ? df->instrs[i].stage_name : "";
      break;
    }
  if (pyoci_env_get(&p->build_args, "TARGETSTAGE") == NULL)
    pyoci_env_set(&p->global_args, "TARGETSTAGE", tname ? tname : "");
  if (global_args(p, first, err) < 0)
    goto fail;
  if (first == df->n_instrs) {
    plan_fail(p, 0, err, "dockerfile contains no stages to build");
    goto fail;
  }
  if (make_stages(p, first, err) < 0)
    goto fail;
  if (opts->target && *opts->target) {
    int t = find_stage(p, opts->target);
    if (t < 0) {
      /* name the file and the stages there are: --target has no line */
      strbuf_t names = STRBUF_INIT;
      for (size_t s = 0; s < p->n_stages; s++)
        if (p->stages[s].name)
          strbuf_addf(&names, "%s%s", names.len ? ", " : "", p->stages[s].name);
      plan_fail(p, 0, err, "target stage \"%s\" could not be found (named stages: %s)", opts->target,
                names.len ? names.buf : "none");
      strbuf_release(&names);
      goto fail;
    }
    p->target = (size_t)t;
  } else {
    p->target = p->n_stages - 1;
  }
  for (size_t s = 0; s < p->n_stages; s++) {
    pyoci_stage_t *st = &p->stages[s];
    st->copy_stage = xcalloc(st->n_instrs + 1, sizeof(int));
    st->mount_stage = xcalloc(st->n_instrs + 1, sizeof(int *));
    for (size_t k = 0; k < st->n_instrs; k++)
      if (resolve_copy_from(p, st, &st->instrs[k], &st->copy_stage[k], err) < 0 ||
          resolve_mount_froms(p, st, &st->instrs[k], &st->mount_stage[k], err) < 0)
        goto fail;
  }
  mark_needed(p, p->target);
  p->order = xcalloc(p->n_stages, sizeof(size_t));
  /* dependencies are always earlier stages, so file order is build order */
  for (size_t s = 0; s < p->n_stages; s++)
    if (p->stages[s].needed)
      p->order[p->n_order++] = s;
  find_unused(p, first);
  return p;
fail:
  pyoci_plan_free(p);
  return NULL;
}

void pyoci_plan_free(pyoci_plan_t *p)
{
  if (p == NULL)
    return;
  for (size_t s = 0; s < p->n_stages; s++) {
    free(p->stages[s].name);
    free(p->stages[s].base);
    free(p->stages[s].platform);
    free(p->stages[s].copy_stage);
    for (size_t k = 0; p->stages[s].mount_stage && k < p->stages[s].n_instrs; k++)
      free(p->stages[s].mount_stage[k]);
    free(p->stages[s].mount_stage);
  }
  free(p->stages);
  free(p->order);
  pyoci_env_release(&p->global_args);
  pyoci_env_release(&p->build_args);
  for (size_t i = 0; i < p->n_unused; i++)
    free(p->unused_build_args[i]);
  free(p->unused_build_args);
  free(p->build_platform);
  free(p->target_platform);
  free(p->source_date_epoch);
  free(p);
}

char *pyoci_plan_unused_warning(const pyoci_plan_t *p)
{
  if (p->n_unused == 0)
    return NULL;
  strbuf_t sb = STRBUF_INIT;
  strbuf_addstr(&sb, "[Warning] One or more build-args [");
  for (size_t i = 0; i < p->n_unused; i++)
    strbuf_addf(&sb, "%s%s", i ? " " : "", p->unused_build_args[i]);
  strbuf_addstr(&sb, "] were not consumed");
  return strbuf_detach(&sb);
}
