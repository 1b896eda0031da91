/* From one logical Dockerfile line to a typed instruction: the line is split
 * by instr_lex.c, then the arguments are read with the rule of each
 * instruction (JSON or shell form, whitespace list, name=value pairs, ...)
 * and checked as instructions/parse.go does, with the same messages. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "instr_int.h"
#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/strbuf.h"
#include "run_mount.h"

int pyoci_df_fail(const df_ctx_t *c, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  char *msg = xvasprintf(fmt, ap);
  va_end(ap);
  /* one line, always */
  for (char *p = msg; *p; p++)
    if (*p == '\n' || *p == '\r')
      *p = ' ';
  pyoci_error_set_code(c->err, PYOCI_E_INVALID, 0, "%s:%d: %s", c->name, c->line, msg);
  free(msg);
  return -1;
}

/* ---- flags (BFlags) ------------------------------------------------------ */

enum { FL_BOOL, FL_STRING, FL_STRINGS };

typedef struct {
  const char *name;
  int type;
  bool used;
  char *value;   /* bool: "true"/"false" */
  char **values; /* FL_STRINGS */
  size_t n_values;
} flag_t;

static void flags_release(flag_t *f, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    free(f[i].value);
    pyoci_df_strv_free(f[i].values, f[i].n_values);
  }
}

static int parse_flags(const df_ctx_t *c, char *const *args, size_t n_args, flag_t *fl, size_t n_fl)
{
  for (size_t i = 0; i < n_args; i++) {
    const char *arg = args[i];
    if (strncmp(arg, "--", 2) != 0)
      return pyoci_df_fail(c, "arg should start with -- : %s", arg);
    if (strcmp(arg, "--") == 0)
      return 0;
    arg += 2;
    const char *eq = strchr(arg, '=');
    size_t nlen = eq ? (size_t)(eq - arg) : strlen(arg);
    const char *value = eq ? eq + 1 : "";
    flag_t *f = NULL;
    for (size_t k = 0; k < n_fl; k++)
      if (strlen(fl[k].name) == nlen && strncmp(fl[k].name, arg, nlen) == 0)
        f = &fl[k];
    if (f == NULL)
      return pyoci_df_fail(c, "unknown flag: %.*s", (int)nlen, arg);
    if (f->used && f->type != FL_STRINGS)
      return pyoci_df_fail(c, "duplicate flag specified: %s", f->name);
    f->used = true;
    switch (f->type) {
    case FL_BOOL:
      if (eq && *value == '\0')
        return pyoci_df_fail(c, "missing a value on flag: %s", f->name);
      if (*value == '\0' || strcasecmp(value, "true") == 0)
        f->value = xstrdup("true");
      else if (strcasecmp(value, "false") == 0)
        f->value = xstrdup("false");
      else
        return pyoci_df_fail(c, "expecting boolean value for flag %s, not: %s", f->name, value);
      break;
    case FL_STRING:
      if (!eq)
        return pyoci_df_fail(c, "missing a value on flag: %s", f->name);
      f->value = xstrdup(value);
      break;
    default:
      if (!eq)
        return pyoci_df_fail(c, "missing a value on flag: %s", f->name);
      pyoci_df_strv_push(&f->values, &f->n_values, xstrdup(value));
    }
  }
  return 0;
}

static char *flag_take(flag_t *f)
{
  return steal_pointer(&f->value);
}

static bool flag_true(const flag_t *f)
{
  return f->value != NULL && strcmp(f->value, "true") == 0;
}

/* ---- durations ------------------------------------------------------------ */

int pyoci_df_parse_duration(const char *s, int64_t *ns)
{
  const char *p = s;
  bool neg = false;
  if (*p == '-' || *p == '+')
    neg = *p++ == '-';
  if (strcmp(p, "0") == 0) {
    *ns = 0;
    return 0;
  }
  if (*p == '\0')
    return -1;
  long double total = 0;
  while (*p) {
    if (!isdigit((unsigned char)*p) && *p != '.')
      return -1;
    long double v = 0, scale = 1;
    bool digits = false, dot = false;
    while (isdigit((unsigned char)*p) || (*p == '.' && !dot)) {
      if (*p == '.') {
        dot = true;
      } else {
        digits = true;
        if (dot) {
          scale /= 10;
          v += (*p - '0') * scale;
        } else {
          v = v * 10 + (*p - '0');
        }
      }
      p++;
    }
    if (!digits)
      return -1;
    static const struct {
      const char *u;
      long double mult;
    } units[] = {{"ns", 1},         {"us", 1e3},        {"\xc2\xb5s", 1e3}, {"\xce\xbcs", 1e3},
                 {"ms", 1e6},       {"s", 1e9},         {"m", 60e9},        {"h", 3600e9}};
    size_t best = 0, best_len = 0;
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
      size_t l = strlen(units[i].u);
      if (strncmp(p, units[i].u, l) == 0 && l > best_len) {
        best = i;
        best_len = l;
      }
    }
    if (best_len == 0)
      return -1; /* "missing unit" */
    p += best_len;
    total += v * units[best].mult;
    if (total > 9.223372036854775807e18L)
      return -1; /* overflow */
  }
  *ns = (int64_t)(neg ? -total : total);
  return 0;
}

/* ---- instructions ----------------------------------------------------------- */

typedef struct {
  const df_ctx_t *c;
  char escape;
  const char *keyword; /* as written, for messages */
  char *rest;
  char **flags;
  size_t n_flags;
  pyoci_df_heredoc_t *heredocs;
  size_t n_heredocs;
  pyoci_df_instr_t *in;
} req_t;

static const char *const err_not_strings = "when using JSON array syntax, arrays must be comprised of strings only";

static int at_least_one(req_t *r, size_t n)
{
  if (n == 0)
    return pyoci_df_fail(r->c, "%s requires at least one argument", pyoci_df_kind_name(r->in->kind));
  return 0;
}

static int exactly_one(req_t *r, size_t n)
{
  if (n != 1)
    return pyoci_df_fail(r->c, "%s requires exactly one argument", pyoci_df_kind_name(r->in->kind));
  return 0;
}

static int no_flags(req_t *r)
{
  return parse_flags(r->c, r->flags, r->n_flags, NULL, 0);
}

/* parseMaybeJSON: exec form or the whole rest as one string. */
static int maybe_json(req_t *r, const char *rest, char ***out, size_t *n, bool *json)
{
  *json = false;
  if (*rest == '\0')
    return 0;
  int j = pyoci_parse_json_array(rest, out, n);
  if (j < 0)
    return pyoci_df_fail(r->c, "%s", err_not_strings);
  if (j == 1) {
    *json = true;
    return 0;
  }
  pyoci_df_strv_push(out, n, xstrdup(rest));
  return 0;
}

/* parseMaybeJSONToList: exec form or a whitespace-separated list. */
static int maybe_json_list(req_t *r, char ***out, size_t *n)
{
  int j = pyoci_parse_json_array(r->rest, out, n);
  if (j < 0)
    return pyoci_df_fail(r->c, "%s", err_not_strings);
  r->in->json = j == 1;
  if (j == 0)
    pyoci_split_ws(r->rest, -1, out, n);
  return 0;
}

/* ENV and LABEL: "k=v ..." pairs, or the legacy "k value". */
static int parse_kvs(req_t *r, const char *what)
{
  pyoci_df_instr_t *in = r->in;
  char **words = NULL;
  size_t nw = 0;
  pyoci_parse_words(r->rest, r->escape, &words, &nw);
  int ret = 0;
  if (nw == 0) {
    ret = pyoci_df_fail(r->c, "%s requires at least one argument", what);
    goto out;
  }
  if (strchr(words[0], '=') == NULL) {
    char **parts = NULL;
    size_t np = 0;
    pyoci_split_ws(r->rest, 2, &parts, &np);
    if (np < 2) {
      pyoci_df_strv_free(parts, np);
      ret = pyoci_df_fail(r->c, "%s must have two arguments", what);
      goto out;
    }
    in->kvs = xcalloc(1, sizeof(*in->kvs));
    in->kvs[0] = (pyoci_df_kv_t){parts[0], parts[1], true};
    in->n_kvs = 1;
    free(parts);
    goto out;
  }
  in->kvs = xcalloc(nw, sizeof(*in->kvs));
  for (size_t i = 0; i < nw; i++) {
    char *eq = strchr(words[i], '=');
    if (eq == NULL) {
      ret = pyoci_df_fail(r->c, "Syntax error - can't find = in \"%s\". Must be of the form: name=value", words[i]);
      goto out;
    }
    if (eq == words[i]) {
      ret = pyoci_df_fail(r->c, "%s names can not be blank", what);
      goto out;
    }
    in->kvs[in->n_kvs++] = (pyoci_df_kv_t){xstrndup(words[i], (size_t)(eq - words[i])), xstrdup(eq + 1), false};
  }
out:
  pyoci_df_strv_free(words, nw);
  return ret;
}

static int parse_arg(req_t *r)
{
  pyoci_df_instr_t *in = r->in;
  char **words = NULL;
  size_t nw = 0;
  pyoci_parse_words(r->rest, r->escape, &words, &nw);
  int ret = at_least_one(r, nw);
  if (ret == 0) {
    in->kvs = xcalloc(nw, sizeof(*in->kvs));
  }
  for (size_t i = 0; ret == 0 && i < nw; i++) {
    char *eq = strchr(words[i], '=');
    if (eq == words[i] || words[i][0] == '\0') {
      ret = pyoci_df_fail(r->c, "ARG names can not be blank");
      break;
    }
    if (eq)
      in->kvs[in->n_kvs++] = (pyoci_df_kv_t){xstrndup(words[i], (size_t)(eq - words[i])), xstrdup(eq + 1), false};
    else
      in->kvs[in->n_kvs++] = (pyoci_df_kv_t){xstrdup(words[i]), NULL, false};
  }
  pyoci_df_strv_free(words, nw);
  if (ret == 0)
    ret = no_flags(r);
  return ret;
}

static bool valid_stage_name(const char *s)
{
  if (!(*s >= 'a' && *s <= 'z'))
    return false;
  for (s++; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' || *s == '.'))
      return false;
  return true;
}

static int parse_from(req_t *r)
{
  pyoci_df_instr_t *in = r->in;
  pyoci_split_ws(r->rest, -1, &in->args, &in->n_args);
  if (in->n_args == 3 && strcasecmp(in->args[1], "as") == 0) {
    char *name = xstrdup(in->args[2]);
    for (char *p = name; *p; p++)
      *p = (char)tolower((unsigned char)*p);
    in->stage_name = name;
    if (!valid_stage_name(name))
      return pyoci_df_fail(r->c,
                     "invalid name for build stage: \"%s\", name can't start with a number or contain symbols",
                     in->args[2]);
  } else if (in->n_args != 1) {
    return pyoci_df_fail(r->c, "FROM requires either one or three arguments");
  }
  in->image = xstrdup(in->args[0]);
  flag_t fl[] = {{"platform", FL_STRING, false, NULL, NULL, 0}};
  int ret = parse_flags(r->c, r->flags, r->n_flags, fl, 1);
  if (ret == 0)
    in->platform = flag_take(&fl[0]);
  flags_release(fl, 1);
  return ret;
}

static void take_heredocs(req_t *r)
{
  r->in->heredocs = steal_pointer(&r->heredocs);
  r->in->n_heredocs = r->n_heredocs;
  r->n_heredocs = 0;
}

/* RUN/CMD/ENTRYPOINT: handleJSONArgs: the array, or the line as one string. */
static int parse_cmdline(req_t *r)
{
  return maybe_json(r, r->rest, &r->in->cmd, &r->in->n_cmd, &r->in->json);
}

/* A --mount value must parse now (values with variables: their syntax);
 * ssh mounts need an agent pyoci does not forward. */
static int check_mount(req_t *r, const char *spec)
{
  pyoci_run_mount_t m;
  pyoci_error_t *e = NULL;
  int ret = 0;
  if (pyoci_run_mount_parse(spec, NULL, NULL, &m, &e) < 0)
    ret = pyoci_df_fail(r->c, "RUN --mount=%s: %s", spec, e->msg);
  else if (m.type == PYOCI_MOUNT_SSH && !m.deferred)
    ret = pyoci_df_fail(r->c, "RUN --mount=type=ssh is not supported by pyoci (no ssh agent forwarding)");
  pyoci_error_free(e);
  pyoci_run_mount_release(&m);
  return ret;
}

static int parse_run(req_t *r)
{
  pyoci_df_instr_t *in = r->in;
  flag_t fl[] = {{"mount", FL_STRINGS, false, NULL, NULL, 0},
                 {"network", FL_STRING, false, NULL, NULL, 0},
                 {"security", FL_STRING, false, NULL, NULL, 0}};
  int ret = parse_flags(r->c, r->flags, r->n_flags, fl, 3);
  if (ret == 0 && fl[0].n_values > PYOCI_RUN_MOUNT_MAX)
    ret = pyoci_df_fail(r->c, "RUN has more than %u --mount flags", PYOCI_RUN_MOUNT_MAX);
  for (size_t i = 0; ret == 0 && i < fl[0].n_values; i++)
    ret = check_mount(r, fl[0].values[i]);
  if (ret == 0) {
    in->mounts = steal_pointer(&fl[0].values);
    in->n_mounts = fl[0].n_values;
    fl[0].n_values = 0;
  }
  if (ret == 0 && fl[1].used) {
    const char *v = fl[1].value;
    if (strcmp(v, "default") != 0 && strcmp(v, "none") != 0 && strcmp(v, "host") != 0)
      ret = pyoci_df_fail(r->c, "unsupported network mode \"%s\" (use default, none or host)", v);
    else
      in->network = flag_take(&fl[1]);
  }
  if (ret == 0 && fl[2].used) {
    const char *v = fl[2].value;
    if (strcmp(v, "insecure") == 0)
      ret = pyoci_df_fail(r->c, "RUN --security=insecure is not supported by pyoci");
    else if (strcmp(v, "sandbox") != 0)
      ret = pyoci_df_fail(r->c, "unsupported security mode \"%s\"", v);
    else
      in->security = flag_take(&fl[2]);
  }
  flags_release(fl, 3);
  if (ret == 0)
    ret = parse_cmdline(r);
  if (ret == 0 && in->n_cmd == 0)
    ret = pyoci_df_fail(r->c, "RUN requires at least one argument");
  take_heredocs(r);
  return ret;
}

static int parse_cmd_entrypoint(req_t *r)
{
  int ret = no_flags(r);
  if (ret == 0)
    ret = parse_cmdline(r);
  return ret;
}

static int parse_shell(req_t *r)
{
  pyoci_df_instr_t *in = r->in;
  int ret = no_flags(r);
  if (ret == 0)
    ret = parse_cmdline(r);
  if (ret == 0 && in->n_cmd == 0)
    ret = pyoci_df_fail(r->c, "SHELL requires at least one argument");
  if (ret == 0 && !in->json)
    ret = pyoci_df_fail(r->c, "SHELL requires the arguments to be in JSON form");
  return ret;
}

static int parse_sources_and_dest(req_t *r, const char *what)
{
  pyoci_df_instr_t *in = r->in;
  char **args = NULL;
  size_t n = 0;
  int ret = maybe_json_list(r, &args, &n);
  if (ret < 0)
    return ret;
  in->args = args;
  in->n_args = n;
  if (n < 2)
    return pyoci_df_fail(r->c,
                   "%s requires at least two arguments, but only one was provided. Destination could not be "
                   "determined",
                   what);
  pyoci_df_heredoc_t h;
  if (pyoci_df_parse_heredoc_word(args[n - 1], &h)) {
    free(h.name);
    return pyoci_df_fail(r->c, "%s cannot accept a heredoc as a destination", what);
  }
  in->dest = xstrdup(args[n - 1]);
  in->srcs = xcalloc(n, sizeof(char *));
  in->inlines = xcalloc(n, sizeof(*in->inlines));
  for (size_t i = 0; i + 1 < n; i++) {
    if (!pyoci_df_parse_heredoc_word(args[i], &h)) {
      in->srcs[in->n_srcs++] = xstrdup(args[i]);
      continue;
    }
    const pyoci_df_heredoc_t *body = NULL;
    for (size_t k = 0; k < r->n_heredocs; k++)
      if (strcmp(r->heredocs[k].name, h.name) == 0)
        body = &r->heredocs[k];
    pyoci_df_inline_t *il = &in->inlines[in->n_inlines++];
    il->path = h.name;
    il->data = body ? xstrdup(body->data) : xstrdup("");
    il->expand = h.expand;
  }
  return 0;
}

static int parse_copy_add(req_t *r, bool is_add)
{
  pyoci_df_instr_t *in = r->in;
  const char *what = is_add ? "ADD" : "COPY";
  flag_t fl[] = {{"chown", FL_STRING, false, NULL, NULL, 0},   {"chmod", FL_STRING, false, NULL, NULL, 0},
                 {"link", FL_BOOL, false, NULL, NULL, 0},      {"exclude", FL_STRINGS, false, NULL, NULL, 0},
                 {is_add ? "checksum" : "from", FL_STRING, false, NULL, NULL, 0},
                 {is_add ? "keep-git-dir" : "parents", FL_BOOL, false, NULL, NULL, 0}};
  size_t nfl = sizeof(fl) / sizeof(fl[0]);
  int ret = parse_sources_and_dest(r, what);
  if (ret == 0)
    ret = parse_flags(r->c, r->flags, r->n_flags, fl, nfl);
  if (ret == 0) {
    in->chown = flag_take(&fl[0]);
    in->chmod = flag_take(&fl[1]);
    in->link = flag_true(&fl[2]);
    in->excludes = steal_pointer(&fl[3].values);
    in->n_excludes = fl[3].n_values;
    fl[3].n_values = 0;
    if (is_add) {
      in->checksum = flag_take(&fl[4]);
      in->keep_git_dir = flag_true(&fl[5]);
    } else {
      in->from = flag_take(&fl[4]);
      in->parents = flag_true(&fl[5]);
    }
  }
  flags_release(fl, nfl);
  take_heredocs(r);
  return ret;
}

static int parse_healthcheck(req_t *r)
{
  pyoci_df_instr_t *in = r->in;
  const char *rest = r->rest;
  size_t sep = 0;
  while (rest[sep] && !is_ws((unsigned char)rest[sep]))
    sep++;
  if (sep == 0)
    return pyoci_df_fail(r->c, "HEALTHCHECK requires at least one argument");
  cleanup_free char *typ = xstrndup(rest, sep);
  for (char *p = typ; *p; p++)
    *p = (char)toupper((unsigned char)*p);
  const char *cmdpart = skip_ws(rest + sep);
  char **cmd = NULL;
  size_t ncmd = 0;
  bool json = false;
  int ret = maybe_json(r, cmdpart, &cmd, &ncmd, &json);
  if (ret < 0)
    return ret;
  in->cmd = cmd;
  in->n_cmd = ncmd;
  in->json = json;
  if (strcmp(typ, "NONE") == 0) {
    if (ncmd != 0)
      return pyoci_df_fail(r->c, "HEALTHCHECK NONE takes no arguments");
    in->hc_none = true;
    pyoci_df_strv_push(&in->hc_test, &in->n_hc_test, xstrdup("NONE"));
    return 0; /* BuildKit does not look at flags for NONE */
  }
  flag_t fl[] = {{"interval", FL_STRING, false, NULL, NULL, 0},       {"timeout", FL_STRING, false, NULL, NULL, 0},
                 {"start-period", FL_STRING, false, NULL, NULL, 0},   {"start-interval", FL_STRING, false, NULL, NULL, 0},
                 {"retries", FL_STRING, false, NULL, NULL, 0}};
  ret = parse_flags(r->c, r->flags, r->n_flags, fl, 5);
  if (ret == 0 && strcmp(typ, "CMD") != 0)
    ret = pyoci_df_fail(r->c, "Unknown type \"%s\" in HEALTHCHECK (try CMD)", typ);
  if (ret == 0 && ncmd == 0)
    ret = pyoci_df_fail(r->c, "Missing command after HEALTHCHECK CMD");
  if (ret == 0) {
    pyoci_df_strv_push(&in->hc_test, &in->n_hc_test, xstrdup(json ? "CMD" : "CMD-SHELL"));
    for (size_t i = 0; i < ncmd; i++)
      pyoci_df_strv_push(&in->hc_test, &in->n_hc_test, xstrdup(cmd[i]));
  }
  int64_t *dst[] = {&in->hc_interval, &in->hc_timeout, &in->hc_start_period, &in->hc_start_interval};
  for (size_t i = 0; ret == 0 && i < 4; i++) {
    const char *v = fl[i].value;
    if (v == NULL || *v == '\0')
      continue;
    int64_t d = 0;
    if (pyoci_df_parse_duration(v, &d) < 0)
      ret = pyoci_df_fail(r->c, "time: invalid duration \"%s\"", v);
    else if (d != 0 && d < 1000000)
      ret = pyoci_df_fail(r->c, "Interval \"%s\" cannot be less than 1ms", fl[i].name);
    else
      *dst[i] = d;
  }
  if (ret == 0 && fl[4].value != NULL && *fl[4].value) {
    char *end = NULL;
    long long v = strtoll(fl[4].value, &end, 10);
    if (*end != '\0' || end == fl[4].value || v > INT32_MAX || v < INT32_MIN)
      ret = pyoci_df_fail(r->c, "strconv.ParseInt: parsing \"%s\": invalid syntax", fl[4].value);
    else if (v < 0)
      ret = pyoci_df_fail(r->c, "--retries cannot be negative (%lld)", v);
    else
      in->hc_retries = (int)v;
  }
  flags_release(fl, 5);
  return ret;
}

static int cmp_str(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static int parse_onbuild(req_t *r, int end_line)
{
  pyoci_df_instr_t *in = r->in;
  int ret = no_flags(r);
  if (ret < 0)
    return ret;
  if (*r->rest == '\0')
    return pyoci_df_fail(r->c, "ONBUILD requires at least one argument");
  /* the trigger keyword, upper-cased as in the message BuildKit gives */
  size_t k = 0;
  while (r->rest[k] && !is_tok_ws((unsigned char)r->rest[k]))
    k++;
  char *trigger = xstrndup(r->rest, k);
  for (char *p = trigger; *p; p++)
    *p = (char)toupper((unsigned char)*p);
  pyoci_df_strv_push(&in->args, &in->n_args, trigger);
  if (strcmp(trigger, "ONBUILD") == 0)
    return pyoci_df_fail(r->c, "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
  if (strcmp(trigger, "MAINTAINER") == 0 || strcmp(trigger, "FROM") == 0)
    return pyoci_df_fail(r->c, "%s isn't allowed as an ONBUILD trigger", trigger);
  /* Expression: the original without "ONBUILD", heredoc bodies appended */
  const char *o = skip_ws(in->original);
  o += 7; /* "onbuild", any case: pyoci_split_command found it */
  o = skip_ws(o);
  strbuf_t sb = STRBUF_INIT;
  strbuf_addstr(&sb, o);
  for (size_t i = 0; i < r->n_heredocs; i++)
    strbuf_addf(&sb, "\n%s%s", r->heredocs[i].content, r->heredocs[i].name);
  in->onbuild_expr = strbuf_detach(&sb);
  /* Parse the trigger now so mistakes surface at this line. */
  in->onbuild = pyoci_df_build_instr(r->c, r->rest, r->escape, end_line, pyoci_df_heredocs_dup(r->heredocs, r->n_heredocs),
                               r->n_heredocs);
  return in->onbuild ? 0 : -1;
}

static int dispatch(req_t *r, int end_line)
{
  pyoci_df_instr_t *in = r->in;
  int ret;
  switch (in->kind) {
  case PYOCI_DF_FROM:
    return parse_from(r);
  case PYOCI_DF_RUN:
    return parse_run(r);
  case PYOCI_DF_CMD:
  case PYOCI_DF_ENTRYPOINT:
    return parse_cmd_entrypoint(r);
  case PYOCI_DF_SHELL:
    return parse_shell(r);
  case PYOCI_DF_ENV:
  case PYOCI_DF_LABEL:
    ret = no_flags(r);
    return ret < 0 ? ret : parse_kvs(r, pyoci_df_kind_name(in->kind));
  case PYOCI_DF_ARG:
    return parse_arg(r);
  case PYOCI_DF_EXPOSE:
    pyoci_split_ws(r->rest, -1, &in->args, &in->n_args);
    if ((ret = at_least_one(r, in->n_args)) < 0 || (ret = no_flags(r)) < 0)
      return ret;
    qsort(in->args, in->n_args, sizeof(char *), cmp_str);
    return 0;
  case PYOCI_DF_VOLUME:
    if ((ret = maybe_json_list(r, &in->args, &in->n_args)) < 0)
      return ret;
    if ((ret = at_least_one(r, in->n_args)) < 0 || (ret = no_flags(r)) < 0)
      return ret;
    for (size_t i = 0; i < in->n_args; i++) {
      char *t = trim_dup(in->args[i], strlen(in->args[i]));
      free(in->args[i]);
      in->args[i] = t;
      if (*t == '\0')
        return pyoci_df_fail(r->c, "VOLUME specified can not be an empty string");
    }
    return 0;
  case PYOCI_DF_USER:
  case PYOCI_DF_WORKDIR:
  case PYOCI_DF_STOPSIGNAL:
  case PYOCI_DF_MAINTAINER:
    if (*r->rest)
      pyoci_df_strv_push(&in->args, &in->n_args, xstrdup(r->rest));
    if ((ret = exactly_one(r, in->n_args)) < 0)
      return ret;
    return in->kind == PYOCI_DF_STOPSIGNAL ? 0 : no_flags(r); /* BuildKit skips flag checks for STOPSIGNAL */
  case PYOCI_DF_HEALTHCHECK:
    return parse_healthcheck(r);
  case PYOCI_DF_ONBUILD:
    return parse_onbuild(r, end_line);
  case PYOCI_DF_COPY:
    return parse_copy_add(r, false);
  case PYOCI_DF_ADD:
    return parse_copy_add(r, true);
  }
  return pyoci_df_fail(r->c, "internal error: unhandled instruction");
}

pyoci_df_instr_t *pyoci_df_build_instr(const df_ctx_t *c, const char *line, char escape, int end_line,
                                 pyoci_df_heredoc_t *heredocs, size_t n_heredocs)
{
  req_t r = {.c = c, .escape = escape, .heredocs = heredocs, .n_heredocs = n_heredocs};
  cleanup_free char *cmd = NULL;
  pyoci_split_command(line, &cmd, &r.flags, &r.n_flags, &r.rest);
  r.keyword = cmd;
  pyoci_df_instr_t *in = NULL;
  int kind = pyoci_lookup_keyword(cmd);
  if (kind < 0) {
    pyoci_df_fail(c, "unknown instruction: %s", cmd);
    goto fail;
  }
  in = xcalloc(1, sizeof(*in));
  in->kind = (pyoci_df_kind_t)kind;
  in->line = c->line;
  in->end_line = end_line;
  in->original = trim_dup(line, strlen(line));
  r.in = in;
  if (dispatch(&r, end_line) < 0)
    goto fail;
  in->flags = steal_pointer(&r.flags);
  in->n_flags = r.n_flags;
  pyoci_df_heredocs_free(r.heredocs, r.n_heredocs);
  free(r.rest);
  return in;
fail:
  pyoci_df_instr_free(in);
  pyoci_df_strv_free(r.flags, r.n_flags);
  pyoci_df_heredocs_free(r.heredocs, r.n_heredocs);
  free(r.rest);
  return NULL;
}
