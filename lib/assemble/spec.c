/* The assemble spec: YAML through libyaml, apko-like fields.
 *
 *   debian:   {suites, components, uris, keyring, packages, exclude-paths, include-paths}
 *   python:   {requirements, find-links, index-url}
 *   contents: [{src, dst, mode, owner}]
 *   accounts: {users: [{name, uid, gid, home, shell}], groups: [{name, gid}]}
 *   entrypoint, cmd, workdir, user, env, labels
 *
 * Strict: an unknown key or a wrong type is an error naming file:line.
 * Aliases are refused (a spec never needs them, and they are how YAML
 * bombs multiply); the event count and file size are bounded. */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/fs.h"
#include "asm_int.h"

typedef struct {
  yaml_document_t *doc;
  const char *path;
  pyoci_error_t **err;
} ctx_t;

static int fail(ctx_t *c, const yaml_node_t *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(ctx_t *c, const yaml_node_t *n, const char *fmt, ...)
{
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  return pyoci_error_set_code(c->err, PYOCI_E_INVALID, 0, "%s:%zu: %s", c->path, n ? n->start_mark.line + 1 : 0,
                              msg);
}

static const char *scalar(const yaml_node_t *n)
{
  return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static int get_str(ctx_t *c, const yaml_node_t *n, const char *key, char **out)
{
  const char *s = scalar(n);
  if (s == NULL)
    return fail(c, n, "%s: expected a string", key);
  if (strlen(s) != n->data.scalar.length)
    return fail(c, n, "%s: NUL byte in string", key);
  free(*out);
  *out = xstrdup(s);
  return 0;
}

/* A list of strings, or one string taken as a list of one. */
static int get_strv(ctx_t *c, const yaml_node_t *n, const char *key, char ***out)
{
  if (n->type == YAML_SCALAR_NODE) {
    pyoci_asm_strv_push(out, (const char *)n->data.scalar.value);
    return 0;
  }
  if (n->type != YAML_SEQUENCE_NODE)
    return fail(c, n, "%s: expected a list of strings", key);
  for (yaml_node_item_t *i = n->data.sequence.items.start; i < n->data.sequence.items.top; i++) {
    const yaml_node_t *item = yaml_document_get_node(c->doc, *i);
    const char *s = scalar(item);
    if (s == NULL)
      return fail(c, item, "%s: expected a list of strings", key);
    pyoci_asm_strv_push(out, s);
  }
  return 0;
}

/* A mapping of strings to strings, kept as "KEY=VALUE". */
static int get_kv(ctx_t *c, const yaml_node_t *n, const char *key, char ***out)
{
  if (n->type != YAML_MAPPING_NODE)
    return fail(c, n, "%s: expected a mapping of strings", key);
  for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
    const yaml_node_t *k = yaml_document_get_node(c->doc, p->key), *v = yaml_document_get_node(c->doc, p->value);
    if (scalar(k) == NULL || scalar(v) == NULL || strchr(scalar(k), '=') != NULL || scalar(k)[0] == '\0')
      return fail(c, k, "%s: expected NAME: value pairs", key);
    cleanup_free char *kv = NULL;
    kv = xasprintf("%s=%s", scalar(k), scalar(v));
    pyoci_asm_strv_push(out, kv);
  }
  return 0;
}

static int get_u32(ctx_t *c, const yaml_node_t *n, const char *key, uint32_t *out)
{
  const char *s = scalar(n);
  char *end = NULL;
  errno = 0;
  unsigned long v = s ? strtoul(s, &end, 10) : 0;
  if (s == NULL || *s == '\0' || *s == '-' || *end || errno || v > 0xfffffffeul)
    return fail(c, n, "%s: expected a number", key);
  *out = (uint32_t)v;
  return 0;
}

typedef int (*field_fn)(ctx_t *c, const yaml_node_t *v, const char *key, void *obj);
typedef struct {
  const char *key;
  field_fn fn;
} field_t;

static int walk_map(ctx_t *c, const yaml_node_t *n, const char *what, const field_t *fields, void *obj)
{
  if (n->type != YAML_MAPPING_NODE)
    return fail(c, n, "%s: expected a mapping", what);
  for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
    const yaml_node_t *k = yaml_document_get_node(c->doc, p->key), *v = yaml_document_get_node(c->doc, p->value);
    const char *ks = scalar(k);
    const field_t *f = fields;
    while (ks && f->key && strcmp(f->key, ks) != 0)
      f++;
    if (ks == NULL || f->key == NULL)
      return fail(c, k, "%s: unknown key '%s'", what, ks ? ks : "?");
    if (f->fn(c, v, ks, obj) < 0)
      return -1;
  }
  return 0;
}

#define STRV_FIELD(fname, member)                                                                          \
  static int fname(ctx_t *c, const yaml_node_t *v, const char *key, void *obj)                          \
  {                                                                                                       \
    return get_strv(c, v, key, &((pyoci_spec_t *)obj)->member);                                          \
  }
#define STR_FIELD(fname, member)                                                                           \
  static int fname(ctx_t *c, const yaml_node_t *v, const char *key, void *obj)                          \
  {                                                                                                       \
    return get_str(c, v, key, &((pyoci_spec_t *)obj)->member);                                           \
  }
STRV_FIELD(f_suites, suites)
STRV_FIELD(f_components, components)
STRV_FIELD(f_uris, uris)
STRV_FIELD(f_packages, packages)
STRV_FIELD(f_exclude, exclude_paths)
STRV_FIELD(f_include, include_paths)
STRV_FIELD(f_find_links, find_links)
STR_FIELD(f_keyring, keyring)
STR_FIELD(f_requirements, requirements)
STR_FIELD(f_index_url, index_url)
STR_FIELD(f_workdir, workdir)
STR_FIELD(f_user, user)

static int f_debian(ctx_t *c, const yaml_node_t *v, const char *key, void *obj)
{
  static const field_t fields[] = {{"suites", f_suites},        {"suite", f_suites},     {"components", f_components},
                                   {"uris", f_uris},            {"keyring", f_keyring},  {"packages", f_packages},
                                   {"exclude-paths", f_exclude}, {"include-paths", f_include}, {NULL, NULL}};
  return walk_map(c, v, key, fields, obj);
}

static int f_python(ctx_t *c, const yaml_node_t *v, const char *key, void *obj)
{
  static const field_t fields[] = {
      {"requirements", f_requirements}, {"find-links", f_find_links}, {"index-url", f_index_url}, {NULL, NULL}};
  return walk_map(c, v, key, fields, obj);
}

static int f_entrypoint(ctx_t *c, const yaml_node_t *v, const char *key, void *obj)
{
  ((pyoci_spec_t *)obj)->has_entrypoint = true;
  return get_strv(c, v, key, &((pyoci_spec_t *)obj)->entrypoint);
}

static int f_cmd(ctx_t *c, const yaml_node_t *v, const char *key, void *obj)
{
  ((pyoci_spec_t *)obj)->has_cmd = true;
  return get_strv(c, v, key, &((pyoci_spec_t *)obj)->cmd);
}

static int f_env(ctx_t *c, const yaml_node_t *v, const char *key, void *obj)
{
  return get_kv(c, v, key, &((pyoci_spec_t *)obj)->env);
}

static int f_labels(ctx_t *c, const yaml_node_t *v, const char *key, void *obj)
{
  return get_kv(c, v, key, &((pyoci_spec_t *)obj)->labels);
}


static bool path_has_dotdot(const char *p)
{
  for (const char *c = p; *c;) {
    size_t len = strcspn(c, "/");
    if (len == 2 && c[0] == '.' && c[1] == '.')
      return true;
    c += len + (c[len] == '/');
  }
  return false;
}

static int c_src(ctx_t *c, const yaml_node_t *v, const char *key, void *obj)
{
  pyoci_spec_content_t *ct = obj;
  if (get_str(c, v, key, &ct->src) < 0)
    return -1;
  if (ct->src[0] == '/' || path_has_dotdot(ct->src) || ct->src[0] == '\0')
    return fail(c, v, "contents: src '%s' must be a path inside the spec's directory", ct->src);
  return 0;
}

static int c_dst(ctx_t *c, const yaml_node_t *v, const char *key, void *obj)
{
  pyoci_spec_content_t *ct = obj;
  if (get_str(c, v, key, &ct->dst) < 0)
    return -1;
  if (ct->dst[0] != '/' || path_has_dotdot(ct->dst) || strcmp(ct->dst, "/") == 0)
    return fail(c, v, "contents: dst '%s' must be an absolute path without '..'", ct->dst);
  return 0;
}

static int c_mode(ctx_t *c, const yaml_node_t *v, const char *key, void *obj)
{
  pyoci_spec_content_t *ct = obj;
  const char *s = scalar(v);
  char *end = NULL;
  unsigned long m = s ? strtoul(s, &end, 8) : 0;
  if (s == NULL || *s == '\0' || *end || m > 07777)
    return fail(c, v, "contents: mode: expected an octal mode like 0644");
  ct->mode = (mode_t)m;
  ct->has_mode = true;
  return 0;
}

static int c_owner(ctx_t *c, const yaml_node_t *v, const char *key, void *obj)
{
  pyoci_spec_content_t *ct = obj;
  const char *s = scalar(v);
  unsigned long u = 0, g = 0;
  char *end = NULL;
  if (s != NULL && *s != '-') {
    u = strtoul(s, &end, 10);
    g = u;
    if (end != s && *end == ':' && end[1] != '-')
      g = strtoul(end + 1, &end, 10);
  }
  if (s == NULL || end == NULL || end == s || *end || u > 0xfffffffeul || g > 0xfffffffeul)
    return fail(c, v, "contents: owner: expected UID or UID:GID (numbers)");
  ct->uid = (uint32_t)u;
  ct->gid = (uint32_t)g;
  return 0;
}

static int f_contents(ctx_t *c, const yaml_node_t *v, const char *key, void *obj)
{
  static const field_t fields[] = {{"src", c_src}, {"dst", c_dst}, {"mode", c_mode}, {"owner", c_owner}, {NULL, NULL}};
  pyoci_spec_t *s = obj;
  if (v->type != YAML_SEQUENCE_NODE)
    return fail(c, v, "contents: expected a list of {src, dst, mode, owner}");
  for (yaml_node_item_t *i = v->data.sequence.items.start; i < v->data.sequence.items.top; i++) {
    const yaml_node_t *item = yaml_document_get_node(c->doc, *i);
    s->contents = xrealloc(s->contents, (s->n_contents + 1) * sizeof(*s->contents));
    pyoci_spec_content_t *ct = &s->contents[s->n_contents++];
    memset(ct, 0, sizeof(*ct));
    ct->line = item->start_mark.line + 1;
    if (walk_map(c, item, key, fields, ct) < 0)
      return -1;
    if (ct->src == NULL || ct->dst == NULL)
      return fail(c, item, "contents: each item needs src and dst");
  }
  return 0;
}

static int a_name(ctx_t *c, const yaml_node_t *v, const char *key, void *obj)
{
  pyoci_spec_account_t *a = obj;
  if (get_str(c, v, key, &a->name) < 0)
    return -1;
  if (a->name[0] == '\0' || strpbrk(a->name, ":\n/") != NULL)
    return fail(c, v, "accounts: bad name '%s'", a->name);
  return 0;
}

static int a_id(ctx_t *c, const yaml_node_t *v, const char *key, void *obj)
{
  return get_u32(c, v, key, &((pyoci_spec_account_t *)obj)->id);
}

static int a_gid(ctx_t *c, const yaml_node_t *v, const char *key, void *obj)
{
  return get_u32(c, v, key, &((pyoci_spec_account_t *)obj)->gid);
}

static int a_home(ctx_t *c, const yaml_node_t *v, const char *key, void *obj)
{
  pyoci_spec_account_t *a = obj;
  if (get_str(c, v, key, &a->home) < 0)
    return -1;
  if (a->home[0] != '/' || path_has_dotdot(a->home) || strpbrk(a->home, ":\n"))
    return fail(c, v, "accounts: home '%s' must be an absolute path", a->home);
  return 0;
}

static int a_shell(ctx_t *c, const yaml_node_t *v, const char *key, void *obj)
{
  pyoci_spec_account_t *a = obj;
  if (get_str(c, v, key, &a->shell) < 0)
    return -1;
  if (strpbrk(a->shell, ":\n"))
    return fail(c, v, "accounts: bad shell");
  return 0;
}

static int account_list(ctx_t *c, const yaml_node_t *v, const char *key, bool users, pyoci_spec_account_t **out,
                        size_t *n)
{
  static const field_t ufields[] = {{"name", a_name}, {"uid", a_id}, {"gid", a_gid}, {"home", a_home},
                                    {"shell", a_shell}, {NULL, NULL}};
  static const field_t gfields[] = {{"name", a_name}, {"gid", a_id}, {NULL, NULL}};
  if (v->type != YAML_SEQUENCE_NODE)
    return fail(c, v, "accounts.%s: expected a list", key);
  for (yaml_node_item_t *i = v->data.sequence.items.start; i < v->data.sequence.items.top; i++) {
    const yaml_node_t *item = yaml_document_get_node(c->doc, *i);
    *out = xrealloc(*out, (*n + 1) * sizeof(**out));
    pyoci_spec_account_t *a = &(*out)[(*n)++];
    memset(a, 0, sizeof(*a));
    a->id = a->gid = UINT32_MAX;
    if (walk_map(c, item, key, users ? ufields : gfields, a) < 0)
      return -1;
    if (a->name == NULL || a->id == UINT32_MAX)
      return fail(c, item, "accounts.%s: each needs name and %s", key, users ? "uid" : "gid");
    if (a->gid == UINT32_MAX)
      a->gid = a->id;
  }
  return 0;
}

static int ac_users(ctx_t *c, const yaml_node_t *v, const char *key, void *obj)
{
  pyoci_spec_t *s = obj;
  return account_list(c, v, key, true, &s->users, &s->n_users);
}

static int ac_groups(ctx_t *c, const yaml_node_t *v, const char *key, void *obj)
{
  pyoci_spec_t *s = obj;
  return account_list(c, v, key, false, &s->groups, &s->n_groups);
}

static int f_accounts(ctx_t *c, const yaml_node_t *v, const char *key, void *obj)
{
  static const field_t fields[] = {{"users", ac_users}, {"groups", ac_groups}, {NULL, NULL}};
  ((pyoci_spec_t *)obj)->has_accounts = true;
  return walk_map(c, v, key, fields, obj);
}

static const field_t top_fields[] = {
    {"debian", f_debian},   {"python", f_python}, {"contents", f_contents}, {"accounts", f_accounts},
    {"entrypoint", f_entrypoint}, {"cmd", f_cmd}, {"workdir", f_workdir},   {"user", f_user},
    {"env", f_env},         {"labels", f_labels}, {NULL, NULL}};

/* Events first: refuse aliases and bound the document before building it. */
static int prescan(const char *path, const char *buf, size_t len, pyoci_error_t **err)
{
  yaml_parser_t p;
  yaml_parser_initialize(&p);
  yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
  int rc = 0;
  size_t count = 0, docs = 0;
  for (;;) {
    yaml_event_t ev;
    if (!yaml_parser_parse(&p, &ev)) {
      rc = pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "%s:%zu: %s", path, p.problem_mark.line + 1,
                                p.problem ? p.problem : "YAML syntax error");
      break;
    }
    yaml_event_type_t t = ev.type;
    size_t line = ev.start_mark.line + 1;
    yaml_event_delete(&ev);
    if (t == YAML_ALIAS_EVENT)
      rc = pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "%s:%zu: YAML aliases are not allowed in a spec", path, line);
    else if (++count > ASM_MAX_YAML_EVENTS)
      rc = pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "%s:%zu: spec too large", path, line);
    else if (t == YAML_DOCUMENT_START_EVENT && ++docs > 1)
      rc = pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "%s:%zu: more than one YAML document", path, line);
    if (rc < 0 || t == YAML_STREAM_END_EVENT)
      break;
  }
  yaml_parser_delete(&p);
  return rc;
}

int pyoci_spec_parse(const char *path, const char *buf, size_t len, pyoci_spec_t **out, pyoci_error_t **err)
{
  if (len > ASM_MAX_SPEC)
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "%s: larger than %u bytes", path, ASM_MAX_SPEC);
  if (prescan(path, buf, len, err) < 0)
    return -1;
  yaml_parser_t p;
  yaml_document_t doc;
  yaml_parser_initialize(&p);
  yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
  if (!yaml_parser_load(&p, &doc)) {
    pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "%s:%zu: %s", path, p.problem_mark.line + 1,
                         p.problem ? p.problem : "YAML syntax error");
    yaml_parser_delete(&p);
    return -1;
  }
  yaml_parser_delete(&p);
  pyoci_spec_t *s = xcalloc(1, sizeof(*s));
  s->path = xstrdup(path);
  cleanup_free char *copy = xstrdup(path);
  s->dir = xstrdup(dirname(copy));
  ctx_t c = {&doc, path, err};
  yaml_node_t *root = yaml_document_get_root_node(&doc);
  int rc = root == NULL ? pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "%s: empty spec", path)
                        : walk_map(&c, root, "spec", top_fields, s);
  yaml_document_delete(&doc);
  if (rc < 0) {
    pyoci_spec_free(s);
    return -1;
  }
  *out = s;
  return 0;
}

int pyoci_spec_load(const char *path, pyoci_spec_t **out, pyoci_error_t **err)
{
  cleanup_free char *buf = NULL;
  size_t len = 0;
  if (pyoci_read_file(path, ASM_MAX_SPEC + 1, &buf, &len, err) < 0)
    return -1;
  return pyoci_spec_parse(path, buf, len, out, err);
}

static void free_accounts(pyoci_spec_account_t *a, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    free(a[i].name);
    free(a[i].home);
    free(a[i].shell);
  }
  free(a);
}

void pyoci_spec_free(pyoci_spec_t *s)
{
  if (s == NULL)
    return;
  char **vs[] = {s->suites, s->components, s->uris, s->packages, s->exclude_paths, s->include_paths,
                 s->find_links, s->entrypoint, s->cmd, s->env, s->labels};
  for (size_t i = 0; i < sizeof(vs) / sizeof(vs[0]); i++)
    pyoci_strvfreep(&vs[i]);
  for (size_t i = 0; i < s->n_contents; i++) {
    free(s->contents[i].src);
    free(s->contents[i].dst);
  }
  free(s->contents);
  free_accounts(s->users, s->n_users);
  free_accounts(s->groups, s->n_groups);
  free(s->path);
  free(s->dir);
  free(s->keyring);
  free(s->requirements);
  free(s->index_url);
  free(s->workdir);
  free(s->user);
  free(s);
}
