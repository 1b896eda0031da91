/* RUN --mount value parsing and checks (run_mount.h). */
#include "run_mount.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/strbuf.h"

typedef struct {
  char **v;
  size_t n;
} fields_t;

static void fields_release(fields_t *f)
{
  for (size_t i = 0; i < f->n; i++)
    free(f->v[i]);
  free(f->v);
  f->v = NULL;
  f->n = 0;
}

static void fields_push(fields_t *f, strbuf_t *sb)
{
  char **nv = xrealloc(f->v, (f->n + 1) * sizeof(char *));
  f->v = nv;
  f->v[f->n++] = strbuf_detach(sb);
}

/* The first record of s as Go's encoding/csv reads it (comma separated, no
 * lazy quotes, leading spaces kept): a field that starts with '"' runs to
 * the closing quote ("" is a quote) and must be followed by ',' or the end;
 * a quote anywhere else is an error. */
static int csv_record(const char *s, fields_t *out, pyoci_error_t **err)
{
  while (*s == '\n' || (*s == '\r' && s[1] == '\n'))
    s += *s == '\r' ? 2 : 1; /* blank lines are skipped */
  if (*s == '\0')
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "failed to parse csv mounts: EOF");
  strbuf_t f = STRBUF_INIT;
  for (;;) {
    strbuf_reset(&f);
    if (*s == '"') {
      s++;
      for (;;) {
        if (*s == '\0') {
          strbuf_release(&f);
          return pyoci_error_set_code(err, PYOCI_E_INVALID, 0,
                                      "failed to parse csv mounts: extraneous or missing \" in quoted-field");
        }
        if (*s == '"' && s[1] == '"') {
          strbuf_addch(&f, '"');
          s += 2;
        } else if (*s == '"') {
          s++;
          break;
        } else {
          strbuf_addch(&f, *s++);
        }
      }
      if (*s != ',' && *s != '\0' && *s != '\n' && !(*s == '\r' && s[1] == '\n')) {
        strbuf_release(&f);
        return pyoci_error_set_code(err, PYOCI_E_INVALID, 0,
                                    "failed to parse csv mounts: extraneous or missing \" in quoted-field");
      }
    } else {
      while (*s && *s != ',' && *s != '\n' && !(*s == '\r' && s[1] == '\n')) {
        if (*s == '"') {
          strbuf_release(&f);
          return pyoci_error_set_code(err, PYOCI_E_INVALID, 0,
                                      "failed to parse csv mounts: bare \" in non-quoted-field");
        }
        strbuf_addch(&f, *s++);
      }
    }
    fields_push(out, &f);
    if (*s != ',')
      break; /* end of the record; what follows a newline is another record */
    s++;
  }
  strbuf_release(&f);
  return 0;
}

/* strconv.ParseBool */
static int parse_bool(const char *v, bool *out)
{
  static const char *const yes[] = {"1", "t", "T", "TRUE", "true", "True"};
  static const char *const no[] = {"0", "f", "F", "FALSE", "false", "False"};
  for (size_t i = 0; i < 6; i++) {
    if (strcmp(v, yes[i]) == 0) {
      *out = true;
      return 0;
    }
    if (strcmp(v, no[i]) == 0) {
      *out = false;
      return 0;
    }
  }
  return -1;
}

/* strconv.ParseUint(v, base, 32) */
static int parse_u32(const char *v, int base, int64_t *out)
{
  if (*v == '\0')
    return -1;
  uint64_t n = 0;
  for (const char *p = v; *p; p++) {
    int d = *p - '0';
    if (*p == '_' || d < 0 || d >= base)
      return -1;
    n = n * (uint64_t)base + (uint64_t)d;
    if (n > UINT32_MAX)
      return -1;
  }
  *out = (int64_t)n;
  return 0;
}

int pyoci_mount_parse_size(const char *s, int64_t *out)
{
  static const char digits[] = "0123456789";
  size_t num_len = strspn(s, digits); /* \d+(\.\d+)? */
  if (num_len == 0)
    return -1;
  if (s[num_len] == '.') {
    size_t frac = strspn(s + num_len + 1, digits);
    if (frac == 0)
      return -1;
    num_len += 1 + frac;
  }
  const char *p = s + num_len;
  if (*p == ' ')
    p++;
  double mult = 1;
  const char *units = "kmgtp";
  const char *u = *p ? strchr(units, tolower((unsigned char)*p)) : NULL;
  if (u) {
    for (const char *q = units; q <= u; q++)
      mult *= 1024;
    p++;
  }
  if (*p == 'i' || *p == 'I')
    p++;
  if (*p == 'b' || *p == 'B')
    p++;
  if (*p != '\0' || num_len > 32)
    return -1;
  char num[33];
  memcpy(num, s, num_len);
  num[num_len] = '\0';
  double v = strtod(num, NULL) * mult;
  if (!isfinite(v) || v >= 9.2e18)
    return -1;
  *out = (int64_t)v;
  return 0;
}

const char *pyoci_mount_type_name(pyoci_mount_type_t t)
{
  static const char *const names[] = {"bind", "cache", "tmpfs", "secret", "ssh"};
  return (size_t)t < sizeof(names) / sizeof(names[0]) ? names[t] : "?";
}

const char *pyoci_mount_sharing_name(pyoci_mount_sharing_t s)
{
  static const char *const names[] = {"shared", "private", "locked"};
  return (size_t)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

void pyoci_run_mount_release(pyoci_run_mount_t *m)
{
  free(m->target);
  free(m->source);
  free(m->from);
  free(m->id);
  free(m->env);
  memset(m, 0, sizeof(*m));
}

static void set_str(char **dst, const char *v)
{
  free(*dst);
  *dst = xstrdup(v);
}

static int bad(pyoci_error_t **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad(pyoci_error_t **err, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  int rc = pyoci_error_setv(err, 0, fmt, ap);
  va_end(ap);
  if (err && *err)
    (*err)->code = PYOCI_E_INVALID;
  return rc;
}

/* One key=value (value already expanded), or a bare key (value NULL). */
static int apply_field(pyoci_run_mount_t *m, const char *field, const char *key, const char *value, bool *ro_auto,
                       bool *sharing_set, pyoci_error_t **err)
{
  const char *tn = pyoci_mount_type_name(m->type);
  bool secretish = m->type == PYOCI_MOUNT_SECRET || m->type == PYOCI_MOUNT_SSH;
  if (value == NULL) {
    if (strcmp(key, "readonly") == 0 || strcmp(key, "ro") == 0 || strcmp(key, "readwrite") == 0 ||
        strcmp(key, "rw") == 0) {
      m->readonly = strcmp(key, "ro") == 0 || strcmp(key, "readonly") == 0;
      *ro_auto = false;
      return 0;
    }
    if (strcmp(key, "required") == 0) {
      if (!secretish)
        return bad(err, "unexpected key '%s' for mount type '%s'", key, tn);
      m->required = true;
      return 0;
    }
    return bad(err, "invalid field '%s' must be a key=value pair", field);
  }
  bool b = false;
  if (strcmp(key, "type") == 0) {
    static const pyoci_mount_type_t types[] = {PYOCI_MOUNT_BIND, PYOCI_MOUNT_CACHE, PYOCI_MOUNT_TMPFS,
                                               PYOCI_MOUNT_SECRET, PYOCI_MOUNT_SSH};
    for (size_t i = 0; i < 5; i++)
      if (strcasecmp(value, pyoci_mount_type_name(types[i])) == 0) {
        m->type = types[i];
        return 0;
      }
    return bad(err, "unsupported mount type \"%s\" (use bind, cache, tmpfs, secret or ssh)", value);
  }
  if (strcmp(key, "from") == 0) {
    set_str(&m->from, value);
  } else if (strcmp(key, "source") == 0 || strcmp(key, "src") == 0) {
    set_str(&m->source, value);
  } else if (strcmp(key, "target") == 0 || strcmp(key, "dst") == 0 || strcmp(key, "destination") == 0) {
    set_str(&m->target, value);
  } else if (strcmp(key, "readonly") == 0 || strcmp(key, "ro") == 0 || strcmp(key, "readwrite") == 0 ||
             strcmp(key, "rw") == 0) {
    if (parse_bool(value, &b) < 0)
      return bad(err, "invalid value for %s: %s", key, value);
    m->readonly = (strcmp(key, "readonly") == 0 || strcmp(key, "ro") == 0) ? b : !b;
    *ro_auto = false;
  } else if (strcmp(key, "required") == 0) {
    if (!secretish)
      return bad(err, "unexpected key '%s' for mount type '%s'", key, tn);
    if (parse_bool(value, &m->required) < 0)
      return bad(err, "invalid value for %s: %s", key, value);
  } else if (strcmp(key, "size") == 0) {
    if (m->type != PYOCI_MOUNT_TMPFS)
      return bad(err, "unexpected key '%s' for mount type '%s'", key, tn);
    if (pyoci_mount_parse_size(value, &m->size) < 0)
      return bad(err, "invalid value for %s: %s", key, value);
  } else if (strcmp(key, "id") == 0) {
    set_str(&m->id, value);
  } else if (strcmp(key, "env") == 0) {
    if (m->type != PYOCI_MOUNT_SECRET)
      return bad(err, "unexpected key '%s' for mount type '%s'", key, tn);
    set_str(&m->env, value);
  } else if (strcmp(key, "sharing") == 0) {
    if (strcasecmp(value, "shared") == 0)
      m->sharing = PYOCI_SHARING_SHARED;
    else if (strcasecmp(value, "private") == 0)
      m->sharing = PYOCI_SHARING_PRIVATE;
    else if (strcasecmp(value, "locked") == 0)
      m->sharing = PYOCI_SHARING_LOCKED;
    else
      return bad(err, "unsupported sharing value \"%s\" (use shared, private or locked)", value);
    *sharing_set = true;
  } else if (strcmp(key, "mode") == 0) {
    if (parse_u32(value, 8, &m->mode) < 0)
      return bad(err, "invalid value %s for %s", value, key);
  } else if (strcmp(key, "uid") == 0 || strcmp(key, "gid") == 0) {
    if (parse_u32(value, 10, key[0] == 'u' ? &m->uid : &m->gid) < 0)
      return bad(err, "invalid value %s for %s", value, key);
  } else {
    return bad(err, "unexpected key '%s' in '%s'", key, field);
  }
  return 0;
}

/* The rules that need the whole spec (validateMount), then the defaults. */
static int finish(pyoci_run_mount_t *m, bool ro_auto, bool sharing_set, pyoci_error_t **err)
{
  const char *tn = pyoci_mount_type_name(m->type);
  bool file_info = m->type == PYOCI_MOUNT_SECRET || m->type == PYOCI_MOUNT_SSH || m->type == PYOCI_MOUNT_CACHE;
  if (!file_info && m->mode >= 0)
    return bad(err, "mode not allowed for \"%s\" type mounts", tn);
  if (!file_info && m->uid >= 0)
    return bad(err, "uid not allowed for \"%s\" type mounts", tn);
  if (!file_info && m->gid >= 0)
    return bad(err, "gid not allowed for \"%s\" type mounts", tn);
  if (ro_auto)
    m->readonly = m->type != PYOCI_MOUNT_CACHE && m->type != PYOCI_MOUNT_TMPFS;
  if (sharing_set && m->type != PYOCI_MOUNT_CACHE)
    return bad(err, "invalid cache sharing set for %s mount", tn);
  if (m->target && *m->target == '\0') {
    free(m->target);
    m->target = NULL;
  }
  switch (m->type) {
  case PYOCI_MOUNT_SECRET:
    if (m->from)
      return bad(err, "secret mount should not have a from");
    if (m->source == NULL && m->target == NULL && m->id == NULL)
      return bad(err, "invalid secret mount. one of source, target required");
    if (m->source && m->id)
      return bad(err, "both source and id can't be set");
    if (m->source)
      set_str(&m->id, m->source);
    if (m->id == NULL) {
      const char *slash = strrchr(m->target, '/');
      set_str(&m->id, slash && slash[1] ? slash + 1 : m->target);
    }
    if (*m->id == '\0')
      return bad(err, "secret mount needs a non-empty id");
    if (m->target == NULL && m->env == NULL) {
      const char *slash = strrchr(m->id, '/');
      strbuf_t t = STRBUF_INIT;
      strbuf_addf(&t, "/run/secrets/%s", slash ? slash + 1 : m->id);
      m->target = strbuf_detach(&t);
    }
    if (m->mode < 0)
      m->mode = 0400;
    break;
  case PYOCI_MOUNT_CACHE:
    if (m->target == NULL)
      return bad(err, "mount type %s requires a target (target=/path)", tn);
    if (m->id == NULL || *m->id == '\0')
      set_str(&m->id, m->target);
    if (m->mode < 0)
      m->mode = 0755;
    break;
  case PYOCI_MOUNT_BIND:
  case PYOCI_MOUNT_TMPFS:
  case PYOCI_MOUNT_SSH:
    if (m->target == NULL && m->type != PYOCI_MOUNT_SSH)
      return bad(err, "mount type %s requires a target (target=/path)", tn);
    break;
  }
  if (m->uid < 0)
    m->uid = 0;
  if (m->gid < 0)
    m->gid = 0;
  return 0;
}

static bool has_variable(const char *v)
{
  const char *d = strchr(v, '$');
  return d != NULL && d[1] != '\0';
}

int pyoci_run_mount_parse(const char *spec, pyoci_mount_expand_fn expand, void *ctx, pyoci_run_mount_t *m,
                          pyoci_error_t **err)
{
  memset(m, 0, sizeof(*m));
  m->mode = m->uid = m->gid = -1;
  if (strlen(spec) > PYOCI_RUN_MOUNT_MAX_SPEC)
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "--mount value longer than %u bytes",
                                PYOCI_RUN_MOUNT_MAX_SPEC);
  fields_t f = {0};
  if (csv_record(spec, &f, err) < 0) {
    fields_release(&f);
    return -1;
  }
  /* Without an expander, a value with a variable defers the whole spec. */
  if (expand == NULL)
    for (size_t i = 0; i < f.n; i++) {
      const char *eq = strchr(f.v[i], '=');
      if (eq == NULL || !has_variable(eq + 1))
        continue;
      if ((size_t)(eq - f.v[i]) == 4 && strncasecmp(f.v[i], "from", 4) == 0) {
        fields_release(&f);
        return pyoci_error_set_code(err, PYOCI_E_INVALID, 0,
                                    "'from' doesn't support variable expansion, define alias stage instead");
      }
      m->deferred = true;
    }
  int rc = 0;
  bool ro_auto = true, sharing_set = false;
  for (size_t i = 0; rc == 0 && i < f.n; i++) {
    char *eq = strchr(f.v[i], '=');
    cleanup_free char *key = xstrndup(f.v[i], eq ? (size_t)(eq - f.v[i]) : strlen(f.v[i]));
    for (char *p = key; *p; p++)
      *p = (char)tolower((unsigned char)*p);
    if (m->deferred) {
      /* only the key names can be checked before expansion */
      static const char *const keys[] = {"type", "from", "source", "src", "target", "dst", "destination",
                                         "readonly", "ro", "readwrite", "rw", "required", "size", "id",
                                         "env", "sharing", "mode", "uid", "gid", NULL};
      bool known = false;
      for (const char *const *k = keys; *k && !known; k++)
        known = strcmp(*k, key) == 0;
      if (!known)
        rc = bad(err, "unexpected key '%s' in '%s'", key, f.v[i]);
      else if (eq && !has_variable(eq + 1) && (strcmp(key, "from") == 0 || strcmp(key, "type") == 0))
        rc = apply_field(m, f.v[i], key, eq + 1, &ro_auto, &sharing_set, err); /* the planner needs from= */
      continue;
    }
    cleanup_free char *value = NULL;
    if (eq && expand) {
      value = expand(ctx, eq + 1, err);
      if (value == NULL) {
        rc = -1;
        break;
      }
    } else if (eq) {
      value = xstrdup(eq + 1);
    }
    rc = apply_field(m, f.v[i], key, value, &ro_auto, &sharing_set, err);
  }
  fields_release(&f);
  if (rc == 0 && !m->deferred)
    rc = finish(m, ro_auto, sharing_set, err);
  return rc;
}

json_t *pyoci_run_mount_json(const pyoci_run_mount_t *m)
{
  json_t *j = json_pack("{s:s, s:b}", "type", pyoci_mount_type_name(m->type), "readonly", m->readonly);
  const struct {
    const char *k;
    const char *v;
  } strs[] = {{"target", m->target}, {"source", m->source}, {"from", m->from}, {"id", m->id}, {"env", m->env}};
  for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
    if (strs[i].v)
      json_object_set_new(j, strs[i].k, json_string(strs[i].v));
  if (m->type == PYOCI_MOUNT_CACHE)
    json_object_set_new(j, "sharing", json_string(pyoci_mount_sharing_name(m->sharing)));
  if (m->type == PYOCI_MOUNT_SECRET)
    json_object_set_new(j, "required", json_boolean(m->required));
  if (m->type == PYOCI_MOUNT_CACHE || m->type == PYOCI_MOUNT_SECRET) {
    json_object_set_new(j, "mode", json_integer(m->mode));
    json_object_set_new(j, "uid", json_integer(m->uid));
    json_object_set_new(j, "gid", json_integer(m->gid));
  }
  if (m->type == PYOCI_MOUNT_TMPFS)
    json_object_set_new(j, "size", json_integer(m->size));
  return j;
}
