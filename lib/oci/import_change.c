/* `--change 'INSTRUCTION args'`: the subset of Dockerfile instructions that
 * `docker import --change` / `docker commit --change` accept, applied to an
 * image config.  Word splitting and quoting follow the Dockerfile rules
 * (double quotes with backslash escapes, single quotes literal, backslash
 * outside quotes escapes the next character); variables are not expanded. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../util/cleanup.h"
#include "../util/json.h"
#include "../util/strbuf.h"
#include "import.h"

#define MAX_CHANGE_LEN 65536
#define MAX_WORDS 1024

/* Split on unquoted whitespace, keeping quotes and escapes in the words. */
static char **split_words(const char *s, size_t *n)
{
  char **v = calloc(MAX_WORDS + 1, sizeof(char *));
  if (v == NULL)
    abort();
  *n = 0;
  strbuf_t w = STRBUF_INIT;
  char quote = 0;
  bool in_word = false;
  for (const char *p = s;; p++) {
    char c = *p;
    if (c == '\0' || (!quote && isspace((unsigned char)c))) {
      if (in_word && *n < MAX_WORDS)
        v[(*n)++] = strbuf_detach(&w);
      strbuf_reset(&w);
      in_word = false;
      if (c == '\0')
        break;
      continue;
    }
    in_word = true;
    if (c == '\\' && quote != '\'' && p[1] != '\0') {
      strbuf_addch(&w, c);
      strbuf_addch(&w, *++p);
      continue;
    }
    if (quote && c == quote)
      quote = 0;
    else if (!quote && (c == '"' || c == '\''))
      quote = c;
    strbuf_addch(&w, c);
  }
  strbuf_release(&w);
  return v;
}

/* Remove one level of quoting; NULL on an unterminated quote. */
static char *unquote(const char *s)
{
  strbuf_t out = STRBUF_INIT;
  char quote = 0;
  for (const char *p = s; *p; p++) {
    char c = *p;
    if (quote == '\'') {
      if (c == '\'')
        quote = 0;
      else
        strbuf_addch(&out, c);
    } else if (quote == '"') {
      if (c == '"')
        quote = 0;
      else if (c == '\\' && (p[1] == '"' || p[1] == '\\' || p[1] == '$'))
        strbuf_addch(&out, *++p);
      else
        strbuf_addch(&out, c);
    } else if (c == '\\' && p[1] != '\0') {
      strbuf_addch(&out, *++p);
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else {
      strbuf_addch(&out, c);
    }
  }
  if (quote) {
    strbuf_release(&out);
    return NULL;
  }
  return strbuf_detach(&out);
}

static json_t *container_config(json_t *config)
{
  json_t *c = json_object_get(config, "config");
  if (!json_is_object(c)) {
    c = json_object();
    json_object_set_new(config, "config", c);
  }
  return c;
}

/* Exec form when args are a JSON list of strings, else shell form. */
static json_t *exec_or_shell(const char *args)
{
  if (args[0] == '[') {
    json_t *j = json_loads(args, JSON_REJECT_DUPLICATES, NULL);
    bool all_strings = json_is_array(j);
    size_t i;
    json_t *x;
    json_array_foreach (j, i, x)
      all_strings = all_strings && json_is_string(x);
    if (all_strings)
      return j;
    json_decref(j);
  }
  return json_pack("[s, s, s]", "/bin/sh", "-c", args);
}

typedef int (*pair_fn)(json_t *cc, const char *key, const char *value);

static int set_env(json_t *cc, const char *key, const char *value)
{
  json_t *env = json_object_get(cc, "Env");
  if (!json_is_array(env)) {
    env = json_array();
    json_object_set_new(cc, "Env", env);
  }
  cleanup_free char *kv = NULL;
  if (asprintf(&kv, "%s=%s", key, value) < 0)
    abort();
  size_t klen = strlen(key), i;
  json_t *x;
  json_array_foreach (env, i, x) {
    const char *e = json_string_value(x);
    if (e && strncmp(e, key, klen) == 0 && e[klen] == '=') {
      json_array_set_new(env, i, json_string(kv));
      return 0;
    }
  }
  json_array_append_new(env, json_string(kv));
  return 0;
}

static int set_label(json_t *cc, const char *key, const char *value)
{
  json_t *labels = json_object_get(cc, "Labels");
  if (!json_is_object(labels)) {
    labels = json_object();
    json_object_set_new(cc, "Labels", labels);
  }
  json_object_set_new(labels, key, json_string(value));
  return 0;
}

/* ENV / LABEL: "k=v k2='v 2'" or the legacy "k value with spaces". */
static int name_values(json_t *cc, const char *inst, const char *args, pair_fn set, pyoci_error_t **err)
{
  size_t n = 0;
  cleanup_strv char **words = split_words(args, &n);
  if (n == 0)
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "%s requires at least one argument", inst);
  if (strchr(words[0], '=') == NULL) {
    const char *rest = args + strlen(words[0]);
    while (isspace((unsigned char)*rest))
      rest++;
    if (*rest == '\0')
      return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "%s must have two arguments", inst);
    cleanup_free char *key = unquote(words[0]);
    cleanup_free char *value = unquote(rest);
    if (key == NULL || value == NULL || key[0] == '\0')
      return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "%s %s: unterminated quote or empty name", inst, args);
    return set(cc, key, value);
  }
  for (size_t i = 0; i < n; i++) {
    char *eq = strchr(words[i], '=');
    if (eq == NULL)
      return pyoci_error_set_code(err, PYOCI_E_INVALID, 0,
                                  "%s: can't find = in \"%s\"; must be of the form: name=value", inst, words[i]);
    *eq = '\0';
    cleanup_free char *key = unquote(words[i]);
    cleanup_free char *value = unquote(eq + 1);
    if (key == NULL || value == NULL)
      return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "%s %s: unterminated quote", inst, args);
    if (key[0] == '\0')
      return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "%s names cannot be empty", inst);
    set(cc, key, value);
  }
  return 0;
}

static int parse_port(const char *s, long *out)
{
  if (*s == '\0' || strlen(s) > 5)
    return -1;
  for (const char *p = s; *p; p++)
    if (!isdigit((unsigned char)*p))
      return -1;
  *out = strtol(s, NULL, 10);
  return *out <= 65535 ? 0 : -1;
}

/* EXPOSE 80 443/tcp 5000-5002/udp -> ExposedPorts {"80/tcp":{}, ...} */
static int expose(json_t *cc, const char *args, pyoci_error_t **err)
{
  size_t n = 0;
  cleanup_strv char **words = split_words(args, &n);
  if (n == 0)
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "EXPOSE requires at least one argument");
  json_t *ports = json_object_get(cc, "ExposedPorts");
  if (!json_is_object(ports)) {
    ports = json_object();
    json_object_set_new(cc, "ExposedPorts", ports);
  }
  for (size_t i = 0; i < n; i++) {
    cleanup_free char *spec = unquote(words[i]);
    if (spec == NULL)
      return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "EXPOSE: unterminated quote in '%s'", words[i]);
    char *proto = strchr(spec, '/');
    if (proto)
      *proto++ = '\0';
    for (char *p = proto; p && *p; p++)
      *p = (char)tolower((unsigned char)*p);
    if (proto && strcmp(proto, "tcp") != 0 && strcmp(proto, "udp") != 0 && strcmp(proto, "sctp") != 0)
      return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "EXPOSE: invalid protocol '%s'", proto);
    char *dash = strchr(spec, '-');
    if (dash)
      *dash++ = '\0';
    long lo, hi;
    if (parse_port(spec, &lo) < 0 || (dash ? parse_port(dash, &hi) : (hi = lo, 0)) < 0 || hi < lo)
      return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "EXPOSE: invalid port '%s'", words[i]);
    if (hi - lo > 65535)
      return -1;
    for (long p = lo; p <= hi; p++) {
      char key[32];
      snprintf(key, sizeof(key), "%ld/%s", p, proto ? proto : "tcp");
      json_object_set_new(ports, key, json_object());
    }
  }
  return 0;
}

/* Clean an absolute path lexically (like Go's path.Clean). */
static char *clean_abs(const char *path)
{
  strbuf_t sb = STRBUF_INIT;
  const char *p = path;
  while (*p) {
    while (*p == '/')
      p++;
    const char *e = strchr(p, '/');
    size_t n = e ? (size_t)(e - p) : strlen(p);
    if (n == 2 && p[0] == '.' && p[1] == '.') {
      char *last = sb.len ? strrchr(sb.buf, '/') : NULL;
      sb.len = last ? (size_t)(last - sb.buf) : 0;
      if (sb.buf)
        sb.buf[sb.len] = '\0';
    } else if (n > 0 && !(n == 1 && p[0] == '.')) {
      strbuf_addch(&sb, '/');
      strbuf_add(&sb, p, n);
    }
    p += n;
  }
  if (sb.len == 0)
    strbuf_addch(&sb, '/');
  return strbuf_detach(&sb);
}

static int workdir(json_t *cc, const char *args, pyoci_error_t **err)
{
  cleanup_free char *dir = unquote(args);
  if (dir == NULL || dir[0] == '\0')
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "WORKDIR requires exactly one argument");
  cleanup_free char *joined = NULL;
  if (dir[0] != '/') {
    const char *cur = pyoci_json_str(cc, "WorkingDir");
    if (asprintf(&joined, "%s/%s", cur && cur[0] ? cur : "", dir) < 0)
      abort();
  }
  cleanup_free char *clean = clean_abs(joined ? joined : dir);
  json_object_set_new(cc, "WorkingDir", json_string(clean));
  return 0;
}

static int volume(json_t *cc, const char *args, pyoci_error_t **err)
{
  json_t *vols = json_object_get(cc, "Volumes");
  if (!json_is_object(vols)) {
    vols = json_object();
    json_object_set_new(cc, "Volumes", vols);
  }
  if (args[0] == '[') {
    cleanup_json json_t *j = json_loads(args, 0, NULL);
    if (json_is_array(j)) {
      size_t i;
      json_t *x;
      json_array_foreach (j, i, x) {
        const char *v = json_string_value(x);
        if (v == NULL || v[0] == '\0')
          return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "VOLUME specified can not be an empty string");
        json_object_set_new(vols, v, json_object());
      }
      return 0;
    }
  }
  size_t n = 0;
  cleanup_strv char **words = split_words(args, &n);
  for (size_t i = 0; i < n; i++) {
    cleanup_free char *v = unquote(words[i]);
    if (v == NULL || v[0] == '\0')
      return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "VOLUME specified can not be an empty string");
    json_object_set_new(vols, v, json_object());
  }
  return 0;
}

static int single_word(json_t *cc, const char *inst, const char *key, const char *args, pyoci_error_t **err)
{
  cleanup_free char *v = unquote(args);
  if (v == NULL || v[0] == '\0')
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "%s requires exactly one argument", inst);
  json_object_set_new(cc, key, json_string(v));
  return 0;
}

int pyoci_config_apply_change(json_t *config, const char *change, pyoci_error_t **err)
{
  if (strlen(change) > MAX_CHANGE_LEN)
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "--change: instruction longer than %d bytes", MAX_CHANGE_LEN);
  const char *p = change;
  while (isspace((unsigned char)*p))
    p++;
  const char *kw = p;
  while (isalpha((unsigned char)*p))
    p++;
  size_t kwlen = (size_t)(p - kw);
  while (isspace((unsigned char)*p))
    p++;
  cleanup_free char *args = strdup(p);
  size_t alen = strlen(args);
  while (alen > 0 && isspace((unsigned char)args[alen - 1]))
    args[--alen] = '\0';
  char inst[16];
  if (kwlen == 0 || kwlen >= sizeof(inst))
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "--change '%s': no Dockerfile instruction", change);
  for (size_t i = 0; i < kwlen; i++)
    inst[i] = (char)toupper((unsigned char)kw[i]);
  inst[kwlen] = '\0';
  if (kw + kwlen != p && !isspace((unsigned char)kw[kwlen]))
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "--change '%s': no Dockerfile instruction", change);
  json_t *cc = container_config(config);
  int rc;
  if (alen == 0) {
    rc = pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "%s requires at least one argument", inst);
  } else if (strcmp(inst, "CMD") == 0) {
    rc = json_object_set_new(cc, "Cmd", exec_or_shell(args));
  } else if (strcmp(inst, "ENTRYPOINT") == 0) {
    rc = json_object_set_new(cc, "Entrypoint", exec_or_shell(args));
  } else if (strcmp(inst, "ENV") == 0) {
    rc = name_values(cc, inst, args, set_env, err);
  } else if (strcmp(inst, "LABEL") == 0) {
    rc = name_values(cc, inst, args, set_label, err);
  } else if (strcmp(inst, "EXPOSE") == 0) {
    rc = expose(cc, args, err);
  } else if (strcmp(inst, "WORKDIR") == 0) {
    rc = workdir(cc, args, err);
  } else if (strcmp(inst, "USER") == 0) {
    rc = single_word(cc, inst, "User", args, err);
  } else if (strcmp(inst, "STOPSIGNAL") == 0) {
    rc = single_word(cc, inst, "StopSignal", args, err);
  } else if (strcmp(inst, "VOLUME") == 0) {
    rc = volume(cc, args, err);
  } else {
    rc = pyoci_error_set_code(err, PYOCI_E_INVALID, 0,
                              "%s is not supported (use CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, USER, "
                              "VOLUME, STOPSIGNAL, WORKDIR)",
                              inst);
  }
  if (rc < 0 && err && *err)
    pyoci_error_prefix(err, "--change '%s'", change);
  return rc < 0 ? -1 : 0;
}

int pyoci_config_set_platform(json_t *config, const char *platform, pyoci_error_t **err)
{
  cleanup_free char *copy = strdup(platform);
  char *arch = strchr(copy, '/');
  if (arch == NULL)
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "--platform '%s': expected OS/ARCH[/VARIANT]", platform);
  *arch++ = '\0';
  char *variant = strchr(arch, '/');
  if (variant)
    *variant++ = '\0';
  if (copy[0] == '\0' || arch[0] == '\0' || (variant && (variant[0] == '\0' || strchr(variant, '/'))))
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "--platform '%s': expected OS/ARCH[/VARIANT]", platform);
  json_object_set_new(config, "os", json_string(copy));
  json_object_set_new(config, "architecture", json_string(arch));
  if (variant)
    json_object_set_new(config, "variant", json_string(variant));
  else
    json_object_del(config, "variant");
  return 0;
}
