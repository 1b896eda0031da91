/* Metadata instructions applied to a Docker/OCI image config document. */
#include "imgconfig.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "df_int.h"
#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/json.h"
#include "lib/util/path.h"
#include "lib/util/strbuf.h"

json_t *pyoci_imgconfig_config(json_t *image)
{
  return pyoci_json_member_object(image, "config");
}

static json_t *strv_json(char *const *v, size_t n)
{
  json_t *a = json_array();
  for (size_t i = 0; i < n; i++)
    json_array_append_new(a, pyoci_df_nul_json(v[i]));
  return a;
}

void pyoci_imgconfig_env_set(json_t *image, const char *key, const char *value)
{
  json_t *cfg = pyoci_imgconfig_config(image);
  json_t *env = pyoci_json_member_array(cfg, "Env");
  cleanup_free char *kv = NULL;
  kv = xasprintf("%s=%s", key, value);
  size_t klen = strlen(key), i;
  json_t *e;
  json_array_foreach(env, i, e)
  {
    const char *s = json_string_value(e);
    if (s && strncmp(s, key, klen) == 0 && (s[klen] == '=' || s[klen] == '\0')) {
      json_array_set_new(env, i, json_string(kv));
      return;
    }
  }
  json_array_append_new(env, json_string(kv));
}

const char *pyoci_imgconfig_env_get(json_t *image, const char *key)
{
  json_t *env = json_object_get(pyoci_imgconfig_config(image), "Env");
  size_t klen = strlen(key), i;
  json_t *e;
  json_array_foreach(env, i, e)
  {
    const char *s = json_string_value(e);
    if (s && strncmp(s, key, klen) == 0 && s[klen] == '=')
      return s + klen + 1;
  }
  return NULL;
}

json_t *pyoci_imgconfig_with_shell(json_t *image, char *const *words, size_t n)
{
  json_t *shell = json_object_get(pyoci_imgconfig_config(image), "Shell");
  json_t *out = json_array();
  if (json_is_array(shell) && json_array_size(shell) > 0) {
    size_t i;
    json_t *s;
    json_array_foreach(shell, i, s)
      json_array_append(out, s);
  } else {
    json_array_append_new(out, json_string("/bin/sh"));
    json_array_append_new(out, json_string("-c"));
  }
  strbuf_t sb = STRBUF_INIT;
  for (size_t i = 0; i < n; i++) {
    if (i)
      strbuf_addch(&sb, ' ');
    strbuf_addstr(&sb, words[i]);
  }
  json_array_append_new(out, json_string(strbuf_str(&sb)));
  strbuf_release(&sb);
  return out;
}

static int parse_port(const char *s, size_t len, unsigned *out)
{
  if (len == 0 || len > 5)
    return -1;
  unsigned v = 0;
  for (size_t i = 0; i < len; i++) {
    if (!isdigit((unsigned char)s[i]))
      return -1;
    v = v * 10 + (unsigned)(s[i] - '0');
  }
  if (v > 65535)
    return -1;
  *out = v;
  return 0;
}

/* nat.ParsePortSpec for EXPOSE: [ip:[hostport]:]port[-end][/proto]; only
 * the container side matters for the image. */
static int parse_expose(const char *spec, unsigned *lo, unsigned *hi, char proto[8], pyoci_error_t **err)
{
  const char *slash = strchr(spec, '/');
  size_t plen = slash ? (size_t)(slash - spec) : strlen(spec);
  snprintf(proto, 8, "tcp");
  if (slash && slash[1]) {
    if (strlen(slash + 1) >= 8)
      return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "invalid proto: %s", slash + 1);
    for (size_t i = 0; slash[1 + i]; i++)
      proto[i] = (char)tolower((unsigned char)slash[1 + i]);
    proto[strlen(slash + 1)] = '\0';
    if (strcmp(proto, "tcp") != 0 && strcmp(proto, "udp") != 0 && strcmp(proto, "sctp") != 0)
      return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "invalid proto: %s", proto);
  }
  /* the container port is after the last ':' */
  const char *port = spec;
  for (const char *c = spec; c < spec + plen; c++)
    if (*c == ':')
      port = c + 1;
  size_t portlen = (size_t)(spec + plen - port);
  const char *dash = memchr(port, '-', portlen);
  if (parse_port(port, dash ? (size_t)(dash - port) : portlen, lo) < 0 ||
      (dash && parse_port(dash + 1, (size_t)(port + portlen - dash - 1), hi) < 0))
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "invalid containerPort: %.*s", (int)portlen, port);
  if (!dash)
    *hi = *lo;
  if (*hi < *lo)
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "invalid port range: %.*s", (int)portlen, port);
  return 0;
}

int pyoci_imgconfig_expose(json_t *image, const char *spec, pyoci_error_t **err)
{
  unsigned lo, hi;
  char proto[8];
  if (parse_expose(spec, &lo, &hi, proto, err) < 0)
    return -1;
  json_t *ports = pyoci_json_member_object(pyoci_imgconfig_config(image), "ExposedPorts");
  for (unsigned p = lo; p <= hi; p++) {
    char key[32];
    snprintf(key, sizeof(key), "%u/%s", p, proto);
    json_object_set_new(ports, key, json_object());
  }
  return 0;
}

void pyoci_imgconfig_expose_list(char *const *specs, size_t n, char ***ports, size_t *n_ports)
{
  *ports = NULL;
  *n_ports = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned lo, hi;
    char proto[8];
    pyoci_error_t *e = NULL;
    if (parse_expose(specs[i], &lo, &hi, proto, &e) < 0) {
      pyoci_error_free(e);
      continue;
    }
    for (unsigned p = lo; p <= hi; p++) {
      *ports = xreallocarray(*ports, *n_ports + 1, sizeof(char *));
      (*ports)[(*n_ports)++] = xasprintf("%u/%s", p, proto);
    }
  }
}

static const struct {
  const char *name;
  int no;
} signals[] = {
    {"ABRT", 6},   {"ALRM", 14}, {"BUS", 7},     {"CHLD", 17}, {"CLD", 17},   {"CONT", 18},   {"FPE", 8},
    {"HUP", 1},    {"ILL", 4},   {"INT", 2},     {"IO", 29},   {"IOT", 6},    {"KILL", 9},    {"PIPE", 13},
    {"POLL", 29},  {"PROF", 27}, {"PWR", 30},    {"QUIT", 3},  {"SEGV", 11},  {"STKFLT", 16}, {"STOP", 19},
    {"SYS", 31},   {"TERM", 15}, {"TRAP", 5},    {"TSTP", 20}, {"TTIN", 21},  {"TTOU", 22},   {"URG", 23},
    {"USR1", 10},  {"USR2", 12}, {"VTALRM", 26}, {"WINCH", 28}, {"XCPU", 24}, {"XFSZ", 25},   {"RTMIN", 34},
    {"RTMAX", 64},
};

int pyoci_parse_signal(const char *s, int *signo)
{
  char *end = NULL;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (*s && *end == '\0' && errno == 0) {
    if (v == 0 || v > 1000000 || v < -1000000)
      return -1;
    *signo = (int)v;
    return 0;
  }
  const char *n = s;
  if (strncasecmp(n, "SIG", 3) == 0)
    n += 3;
  for (size_t i = 0; i < sizeof(signals) / sizeof(signals[0]); i++)
    if (strcasecmp(n, signals[i].name) == 0) {
      *signo = signals[i].no;
      return 0;
    }
  /* RTMIN+1..RTMIN+15, RTMAX-14..RTMAX-1 */
  int k = 0;
  char tail = 0;
  if (strncasecmp(n, "RTMIN+", 6) == 0 && sscanf(n + 6, "%d%c", &k, &tail) == 1 && k >= 1 && k <= 15) {
    *signo = 34 + k;
    return 0;
  }
  if (strncasecmp(n, "RTMAX-", 6) == 0 && sscanf(n + 6, "%d%c", &k, &tail) == 1 && k >= 1 && k <= 14) {
    *signo = 64 - k;
    return 0;
  }
  return -1;
}

/* Docker's Cmd/Entrypoint are omitempty: an empty list is no key at all. */
static void set_cmdline(json_t *image, const char *key, const pyoci_df_instr_t *in)
{
  json_t *cfg = pyoci_imgconfig_config(image);
  json_t *v = in->json ? strv_json(in->cmd, in->n_cmd) : pyoci_imgconfig_with_shell(image, in->cmd, in->n_cmd);
  if (json_array_size(v) == 0) {
    json_decref(v);
    json_object_del(cfg, key); /* omitempty: nil is absent */
    return;
  }
  json_object_set_new(cfg, key, v);
}

void pyoci_df_hc_fields(const pyoci_df_instr_t *in, pyoci_df_hc_field_t out[PYOCI_DF_HC_FIELDS])
{
  out[0] = (pyoci_df_hc_field_t){"Interval", in->hc_interval};
  out[1] = (pyoci_df_hc_field_t){"Timeout", in->hc_timeout};
  out[2] = (pyoci_df_hc_field_t){"StartPeriod", in->hc_start_period};
  out[3] = (pyoci_df_hc_field_t){"StartInterval", in->hc_start_interval};
  out[4] = (pyoci_df_hc_field_t){"Retries", in->hc_retries};
}

static void set_healthcheck(json_t *image, const pyoci_df_instr_t *in)
{
  json_t *hc = json_object();
  json_object_set_new(hc, "Test", strv_json(in->hc_test, in->n_hc_test));
  pyoci_df_hc_field_t d[PYOCI_DF_HC_FIELDS];
  pyoci_df_hc_fields(in, d);
  for (size_t i = 0; i < PYOCI_DF_HC_FIELDS; i++)
    if (d[i].value != 0)
      json_object_set_new(hc, d[i].name, json_integer(d[i].value));
  json_object_set_new(pyoci_imgconfig_config(image), "Healthcheck", hc);
}

static void set_workdir(json_t *image, const char *path)
{
  json_t *cfg = pyoci_imgconfig_config(image);
  const char *cur = json_string_value(json_object_get(cfg, "WorkingDir"));
  cleanup_free char *joined = NULL;
  if (path[0] == '/') {
    /* system.NormalizeWorkdir: an absolute path is kept as written
     * ("/tmp/" keeps its slash); a relative one is joined and cleaned */
    json_object_set_new(cfg, "WorkingDir", json_string(path));
    return;
  } else {
    joined = xasprintf("/%s/%s", cur && *cur ? cur : "", path);
  }
  cleanup_free char *clean = pyoci_path_normalize(joined, PYOCI_PATH_GO);
  json_object_set_new(cfg, "WorkingDir", json_string(clean));
}

int pyoci_imgconfig_apply(json_t *image, const pyoci_df_instr_t *in, bool *cmd_set, pyoci_error_t **err)
{
  json_t *cfg = pyoci_imgconfig_config(image);
  switch (in->kind) {
  case PYOCI_DF_ENV:
    for (size_t i = 0; i < in->n_kvs; i++)
      pyoci_imgconfig_env_set(image, in->kvs[i].key, in->kvs[i].value ? in->kvs[i].value : "");
    return 1;
  case PYOCI_DF_LABEL: {
    json_t *labels = pyoci_json_member_object(cfg, "Labels");
    for (size_t i = 0; i < in->n_kvs; i++)
      json_object_set_new(labels, in->kvs[i].key, json_string(in->kvs[i].value ? in->kvs[i].value : ""));
    return 1;
  }
  case PYOCI_DF_EXPOSE:
    pyoci_json_member_object(cfg, "ExposedPorts");
    for (size_t i = 0; i < in->n_args; i++)
      if (pyoci_imgconfig_expose(image, in->args[i], err) < 0)
        return -1;
    return 1;
  case PYOCI_DF_USER:
    json_object_set_new(cfg, "User", json_string(in->args[0]));
    return 1;
  case PYOCI_DF_WORKDIR:
    set_workdir(image, in->args[0]);
    return 1;
  case PYOCI_DF_VOLUME: {
    json_t *vols = pyoci_json_member_object(cfg, "Volumes");
    for (size_t i = 0; i < in->n_args; i++) {
      if (in->args[i][0] == '\0')
        return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "VOLUME specified can not be an empty string");
      json_object_set_new(vols, in->args[i], json_object());
    }
    return 1;
  }
  case PYOCI_DF_STOPSIGNAL: {
    int no;
    if (pyoci_parse_signal(in->args[0], &no) < 0)
      return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "invalid signal: %s", in->args[0]);
    json_object_set_new(cfg, "StopSignal", json_string(in->args[0]));
    return 1;
  }
  case PYOCI_DF_HEALTHCHECK:
    set_healthcheck(image, in);
    return 1;
  case PYOCI_DF_ONBUILD: {
    json_array_append_new(pyoci_json_member_array(cfg, "OnBuild"), json_string(in->onbuild_expr));
    return 1;
  }
  case PYOCI_DF_CMD:
    set_cmdline(image, "Cmd", in);
    json_object_set_new(cfg, "ArgsEscaped", json_true());
    *cmd_set = true;
    return 1;
  case PYOCI_DF_ENTRYPOINT:
    set_cmdline(image, "Entrypoint", in);
    if (!*cmd_set)
      json_object_del(cfg, "Cmd");
    return 1;
  case PYOCI_DF_SHELL:
    json_object_set_new(cfg, "Shell", strv_json(in->cmd, in->n_cmd));
    return 1;
  case PYOCI_DF_MAINTAINER:
    json_object_set_new(image, "author", json_string(in->args[0]));
    return 1;
  default:
    return 0;
  }
}
