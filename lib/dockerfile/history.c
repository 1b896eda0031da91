/* History lines ("created_by") as BuildKit's Dockerfile frontend writes
 * them (dockerfile2llb convert.go / convert_copy.go, the callers of
 * commitToHistory): Go's fmt verbs over the values the instruction set,
 * so `pyoci layers`, `docker history` and tools that read history see the
 * same text for a pyoci image as for a BuildKit one. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "df_int.h"
#include "history.h"
#include "imgconfig.h"
#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/strbuf.h"

/* strconv.Quote for the bytes a Dockerfile carries (UTF-8 kept as is). */
static void go_quote(strbuf_t *sb, const char *s, size_t len)
{
  strbuf_addch(sb, '"');
  const unsigned char *end = (const unsigned char *)s + len;
  for (const unsigned char *p = (const unsigned char *)s; p < end; p++) {
    static const char esc[] = "\a\b\f\n\r\t\v";
    static const char name[] = "abfnrtv";
    const char *e = *p ? strchr(esc, *p) : NULL;
    if (*p == '\0')
      strbuf_addstr(sb, "\\x00");
    else if (*p == '"' || *p == '\\')
      strbuf_addf(sb, "\\%c", *p);
    else if (e)
      strbuf_addf(sb, "\\%c", name[e - esc]);
    else if (*p < 0x20 || *p == 0x7f)
      strbuf_addf(sb, "\\x%02x", *p);
    else
      strbuf_addch(sb, (char)*p);
  }
  strbuf_addch(sb, '"');
}

/* fmt %v (quoted: %q) of a []string from a JSON array of strings. */
static void go_strv(strbuf_t *sb, const json_t *arr, bool quoted)
{
  strbuf_addch(sb, '[');
  size_t i;
  json_t *e;
  json_array_foreach(arr, i, e)
  {
    if (i)
      strbuf_addch(sb, ' ');
    if (quoted)
      go_quote(sb, json_string_value(e) ? json_string_value(e) : "", json_string_length(e));
    else
      strbuf_addstr(sb, json_string_value(e) ? json_string_value(e) : "");
  }
  strbuf_addch(sb, ']');
}

static void go_words(strbuf_t *sb, char *const *v, size_t n)
{
  strbuf_addch(sb, '[');
  for (size_t i = 0; i < n; i++)
    strbuf_addf(sb, "%s%s", i ? " " : "", v[i]);
  strbuf_addch(sb, ']');
}

/* The fraction of v / unit without trailing zeros (".5"), "" when whole. */
static void add_frac(strbuf_t *sb, uint64_t v, uint64_t unit)
{
  uint64_t f = v % unit;
  if (f == 0)
    return;
  char digits[24];
  int w = 0;
  for (uint64_t u = unit; u > 1 && w < 9; u /= 10)
    w++;
  /* pad to 9 and keep the last w digits: a "%0*" width is a
   * -Wformat-truncation error at -O1 (make SANITIZE=...) */
  snprintf(digits, sizeof(digits), "%09" PRIu64, f % 1000000000u);
  char *d = digits + 9 - w;
  for (int k = w - 1; k > 0 && d[k] == '0'; k--)
    d[k] = '\0';
  strbuf_addf(sb, ".%s", d);
}

void pyoci_go_duration(strbuf_t *sb, int64_t ns)
{
  uint64_t u = ns < 0 ? (uint64_t)(-(ns + 1)) + 1 : (uint64_t)ns;
  if (ns < 0)
    strbuf_addch(sb, '-');
  if (u == 0) {
    strbuf_addstr(sb, "0s");
  } else if (u < 1000) {
    strbuf_addf(sb, "%" PRIu64 "ns", u);
  } else if (u < 1000000) {
    strbuf_addf(sb, "%" PRIu64, u / 1000);
    add_frac(sb, u, 1000);
    strbuf_addstr(sb, "µs");
  } else if (u < 1000000000) {
    strbuf_addf(sb, "%" PRIu64, u / 1000000);
    add_frac(sb, u, 1000000);
    strbuf_addstr(sb, "ms");
  } else {
    uint64_t s = u / 1000000000, h = s / 3600, m = s / 60 % 60;
    if (h)
      strbuf_addf(sb, "%" PRIu64 "h", h);
    if (h || m)
      strbuf_addf(sb, "%" PRIu64 "m", m);
    strbuf_addf(sb, "%" PRIu64, s % 60);
    add_frac(sb, u, 1000000000);
    strbuf_addch(sb, 's');
  }
}

/* HEALTHCHECK %+v of dockerspec.HealthcheckConfig. */
static void healthcheck_line(strbuf_t *sb, const pyoci_df_instr_t *in)
{
  strbuf_addstr(sb, "HEALTHCHECK {Test:");
  go_words(sb, in->hc_test, in->n_hc_test);
  pyoci_df_hc_field_t d[PYOCI_DF_HC_FIELDS];
  pyoci_df_hc_fields(in, d);
  for (size_t i = 0; i < PYOCI_DF_HC_DURATIONS; i++) {
    strbuf_addf(sb, " %s:", d[i].name);
    pyoci_go_duration(sb, d[i].value);
  }
  strbuf_addf(sb, " Retries:%d}", in->hc_retries);
}

static void kv_line(strbuf_t *sb, const char *what, const pyoci_df_instr_t *in)
{
  strbuf_addstr(sb, what);
  for (size_t i = 0; i < in->n_kvs; i++)
    strbuf_addf(sb, " %s=%s", in->kvs[i].key, in->kvs[i].value ? in->kvs[i].value : "");
}

char *pyoci_df_history_meta(json_t *image, const pyoci_df_instr_t *ex)
{
  json_t *cfg = pyoci_imgconfig_config(image);
  strbuf_t sb = STRBUF_INIT;
  switch (ex->kind) {
  case PYOCI_DF_ENV:
    kv_line(&sb, "ENV", ex);
    break;
  case PYOCI_DF_LABEL:
    kv_line(&sb, "LABEL", ex);
    break;
  case PYOCI_DF_CMD:
  case PYOCI_DF_ENTRYPOINT: {
    const char *k = ex->kind == PYOCI_DF_CMD ? "Cmd" : "Entrypoint";
    strbuf_addf(&sb, "%s ", ex->kind == PYOCI_DF_CMD ? "CMD" : "ENTRYPOINT");
    go_strv(&sb, json_object_get(cfg, k), true);
    break;
  }
  case PYOCI_DF_SHELL:
    strbuf_addstr(&sb, "SHELL ");
    go_words(&sb, ex->cmd, ex->n_cmd);
    break;
  case PYOCI_DF_VOLUME:
    strbuf_addstr(&sb, "VOLUME ");
    go_words(&sb, ex->args, ex->n_args);
    break;
  case PYOCI_DF_EXPOSE: {
    strbuf_addstr(&sb, "EXPOSE ");
    char **ports = NULL;
    size_t n = 0;
    pyoci_imgconfig_expose_list(ex->args, ex->n_args, &ports, &n);
    go_words(&sb, ports, n);
    for (size_t i = 0; i < n; i++)
      free(ports[i]);
    free(ports);
    break;
  }
  case PYOCI_DF_HEALTHCHECK:
    healthcheck_line(&sb, ex);
    break;
  case PYOCI_DF_USER:
  case PYOCI_DF_STOPSIGNAL:
  case PYOCI_DF_MAINTAINER:
    strbuf_addf(&sb, "%s %s", pyoci_df_kind_name(ex->kind), ex->args[0]);
    break;
  case PYOCI_DF_WORKDIR: {
    const char *wd = json_string_value(json_object_get(cfg, "WorkingDir"));
    strbuf_addf(&sb, "WORKDIR %s", wd && *wd ? wd : "/");
    break;
  }
  default: /* ONBUILD records no history; ARG: see stage.c */
    strbuf_release(&sb);
    return NULL;
  }
  return strbuf_detach(&sb);
}

char *pyoci_df_history_run(const pyoci_env_t *declared, const pyoci_env_t *env, char *const *argv, size_t argc)
{
  strbuf_t sb = STRBUF_INIT;
  strbuf_addstr(&sb, "RUN");
  if (declared->n)
    strbuf_addf(&sb, " |%zu", declared->n);
  for (size_t i = 0; i < declared->n; i++) {
    size_t kl = strcspn(declared->kv[i], "=");
    cleanup_free char *key = xstrndup(declared->kv[i], kl);
    const char *v = pyoci_env_get(env, key);
    strbuf_addf(&sb, " %s=%s", key, v ? v : declared->kv[i][kl] ? declared->kv[i] + kl + 1 : "");
  }
  for (size_t i = 0; i < argc; i++)
    strbuf_addf(&sb, " %s", argv[i]);
  strbuf_addstr(&sb, " # buildkit");
  return strbuf_detach(&sb);
}

char *pyoci_df_history_copy(const pyoci_df_instr_t *ex)
{
  strbuf_t sb = STRBUF_INIT;
  strbuf_addstr(&sb, ex->kind == PYOCI_DF_ADD ? "ADD" : "COPY");
  if (ex->parents)
    strbuf_addstr(&sb, " --parents");
  if (ex->chown)
    strbuf_addf(&sb, " --chown=%s", ex->chown);
  if (ex->chmod)
    strbuf_addf(&sb, " --chmod=%s", ex->chmod);
  for (size_t i = 0; i < ex->n_srcs; i++)
    strbuf_addf(&sb, " %s", ex->srcs[i]);
  for (size_t i = 0; i < ex->n_inlines; i++)
    strbuf_addf(&sb, " <<%s", ex->inlines[i].path);
  strbuf_addf(&sb, " %s # buildkit", ex->dest);
  return strbuf_detach(&sb);
}
