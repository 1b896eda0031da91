/* The Dockerfile checks.  Each reads the instruction view (dfview.h) and
 * the stage list built here, and reports through pyoci_lint_add().  Checks stay
 * quiet when they cannot know (a base image named by an unresolved build
 * argument, USER $UID): a linter that guesses teaches people to ignore it. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/util/alloc.h"
#include "lib/util/strbuf.h"
#include "lint_int.h"
#include "lint_shell.h"

struct stage {
  size_t from; /* index of the FROM instruction */
  size_t end;  /* one past the stage's last instruction */
  char *name;  /* "AS name", lower-cased, or NULL */
  char *image; /* base image with global ARGs substituted; NULL if unresolved */
  int base;    /* index of the earlier stage it builds on, or -1 */
};

struct ctx {
  const lint_view_t *v;
  pyoci_lint_result_t *out;
  struct stage *st;
  size_t n_st;
  const lint_instr_t *gargs[256]; /* ARGs before the first FROM */
  size_t n_gargs;
};

static bool is(const lint_instr_t *in, const char *cmd)
{
  return strcmp(in->cmd, cmd) == 0;
}

/* ---- global ARG substitution (for FROM) ---- */

/* Default of global ARG `name` (n bytes), or NULL when undeclared/no default. */
static const char *garg_default(const struct ctx *c, const char *name, size_t n)
{
  const char *found = NULL;
  for (size_t i = 0; i < c->n_gargs; i++)
    for (char **w = c->gargs[i]->argv; *w; w++)
      if (strncmp(*w, name, n) == 0 && (*w)[n] == '=')
        found = *w + n + 1;
  return found;
}

/* s with $NAME / ${NAME} replaced by global ARG defaults (quotes dropped);
 * NULL when a variable has no default (the image is then unknown). */
static char *subst_global_args(const struct ctx *c, const char *s)
{
  strbuf_t sb = STRBUF_INIT;
  for (const char *p = s; *p; p++) {
    if (*p == '"' || *p == '\'')
      continue;
    if (*p != '$') {
      strbuf_addch(&sb, *p);
      continue;
    }
    bool brace = p[1] == '{';
    const char *n = p + 1 + brace, *e = n;
    while (isalnum((unsigned char)*e) || *e == '_')
      e++;
    const char *val = e > n ? garg_default(c, n, (size_t)(e - n)) : NULL;
    if (val == NULL || (brace && *e != '}')) {
      strbuf_release(&sb);
      return NULL;
    }
    for (const char *q = val; *q; q++)
      if (*q != '"' && *q != '\'')
        strbuf_addch(&sb, *q);
    p = brace ? e : e - 1;
  }
  return strbuf_detach(&sb);
}

/* ---- stages ---- */

static int stage_by_name(const struct ctx *c, const char *name, size_t before)
{
  for (size_t i = 0; i < before && i < c->n_st; i++)
    if (c->st[i].name && strcasecmp(c->st[i].name, name) == 0)
      return (int)i;
  return -1;
}

static void build_stages(struct ctx *c)
{
  const lint_view_t *v = c->v;
  for (size_t i = 0; i < v->n; i++) {
    const lint_instr_t *in = &v->v[i];
    if (c->n_st == 0 && is(in, "ARG") && c->n_gargs < sizeof(c->gargs) / sizeof(c->gargs[0]))
      c->gargs[c->n_gargs++] = in;
    if (!is(in, "FROM"))
      continue;
    c->st = xrealloc(c->st, (c->n_st + 1) * sizeof(*c->st));
    if (c->n_st > 0)
      c->st[c->n_st - 1].end = i;
    struct stage *s = &c->st[c->n_st];
    memset(s, 0, sizeof(*s));
    s->from = i;
    s->end = v->n;
    s->base = -1;
    const char *img = in->argv[0];
    if (img != NULL) {
      s->image = subst_global_args(c, img);
      if (in->argv[1] && strcasecmp(in->argv[1], "AS") == 0 && in->argv[2]) {
        s->name = xstrdup(in->argv[2]);
        for (char *p = s->name; *p; p++)
          *p = (char)tolower((unsigned char)*p);
      }
      if (s->image)
        s->base = stage_by_name(c, s->image, c->n_st);
    }
    c->n_st++;
  }
}

/* ---- PYO001 / PYO009: final stage (following FROM <stage> chains) ---- */

/* Index of the last `cmd` instruction of stage si or the stages it builds
 * on; -1 when none. */
static long last_in_chain(const struct ctx *c, int si, const char *cmd)
{
  for (int guard = 0; si >= 0 && guard < 1000; guard++) {
    const struct stage *s = &c->st[si];
    for (size_t i = s->end; i-- > s->from + 1;)
      if (is(&c->v->v[i], cmd))
        return (long)i;
    si = s->base;
  }
  return -1;
}

static bool user_is_root(const char *u)
{
  size_t n = strcspn(u, ":");
  return (n == 4 && strncmp(u, "root", 4) == 0) || (n == 1 && u[0] == '0');
}

static void check_user_and_healthcheck(struct ctx *c)
{
  if (c->n_st == 0)
    return;
  int fin = (int)c->n_st - 1;
  const lint_instr_t *from = &c->v->v[c->st[fin].from];
  const char *img = from->argv[0] ? from->argv[0] : "?";
  long u = last_in_chain(c, fin, "USER");
  if (u < 0)
    pyoci_lint_add(c->out, "PYO001", from->line, "the final stage (FROM %s) sets no USER, so the container runs as root",
             img);
  else if (c->v->v[u].argv[0] && user_is_root(c->v->v[u].argv[0]))
    pyoci_lint_add(c->out, "PYO001", c->v->v[u].line, "the last USER is %s, so the container runs as root",
             c->v->v[u].argv[0]);
  if (last_in_chain(c, fin, "HEALTHCHECK") < 0)
    pyoci_lint_add(c->out, "PYO009", from->line, "the final stage (FROM %s) has no HEALTHCHECK", img);
}

/* ---- PYO002: base image tag ---- */

static void check_from_tags(struct ctx *c)
{
  for (size_t i = 0; i < c->n_st; i++) {
    const struct stage *s = &c->st[i];
    const lint_instr_t *in = &c->v->v[s->from];
    if (s->image == NULL || s->base >= 0 || strcasecmp(s->image, "scratch") == 0 || strchr(s->image, '@'))
      continue;
    const char *last = strrchr(s->image, '/');
    const char *tag = strchr(last ? last : s->image, ':');
    if (tag == NULL)
      pyoci_lint_add(c->out, "PYO002", in->line, "FROM %s has no tag, so it means %s:latest", s->image, s->image);
    else if (strcmp(tag + 1, "latest") == 0)
      pyoci_lint_add(c->out, "PYO002", in->line, "FROM %s uses the moving :latest tag; pin a version", s->image);
  }
}

/* ---- PYO003: ADD vs COPY ---- */

static bool is_remote_or_archive(const char *src)
{
  static const char *const schemes[] = {"http://", "https://", "git@", "git://", "ssh://"};
  static const char *const archives[] = {".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz", ".tbz2", ".tar.xz",
                                         ".txz", ".tar.zst", ".tzst", ".gz", ".bz2", ".xz", ".zst"};
  for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
    if (strncasecmp(src, schemes[i], strlen(schemes[i])) == 0)
      return true;
  size_t n = strlen(src);
  for (size_t i = 0; i < sizeof(archives) / sizeof(archives[0]); i++) {
    size_t an = strlen(archives[i]);
    if (n > an && strcasecmp(src + n - an, archives[i]) == 0)
      return true;
  }
  /* A variable could be anything; do not guess. */
  return strchr(src, '$') != NULL;
}

static void check_add(struct ctx *c)
{
  for (size_t i = 0; i < c->v->n; i++) {
    const lint_instr_t *in = &c->v->v[i];
    if (!is(in, "ADD") || in->inline_src || pyoci_lint_instr_flag(in, "checksum") ||
        pyoci_lint_instr_flag(in, "keep-git-dir"))
      continue;
    size_t n = 0;
    while (in->argv[n])
      n++;
    if (n < 2)
      continue;
    bool local = true;
    for (size_t k = 0; k + 1 < n; k++)
      local = local && !is_remote_or_archive(in->argv[k]);
    if (local)
      pyoci_lint_add(c->out, "PYO003", in->line, "ADD %s: use COPY for local files and directories", in->argv[0]);
  }
}

/* ---- PYO004: secret-looking ARG / ENV names ---- */

static bool word_in(const char *w, size_t n, const char *const *list, size_t count)
{
  for (size_t i = 0; i < count; i++)
    if (strlen(list[i]) == n && strncasecmp(w, list[i], n) == 0)
      return true;
  return false;
}

/* Split the name at '_', '-' and '.'; a secret word anywhere ("DB_PASSWORD",
 * "GITHUB_TOKEN", "API_KEY") marks it, unless the name points at a file
 * ("..._FILE", "..._PATH"): that is how secrets should be passed. */
static bool secret_name(const char *name, size_t len)
{
  static const char *const words[] = {"password", "passwd", "pass",       "pwd",        "secret",
                                      "secrets",  "token",  "apikey",     "credential", "credentials",
                                      "privkey",  "passphrase"};
  static const char *const key_owners[] = {"api", "private", "access", "secret", "signing", "encryption"};
  static const char *const file_words[] = {"file", "path", "dir", "files", "location"};
  const char *comp[16];
  size_t clen[16], nc = 0;
  for (size_t i = 0; i < len && nc < 16;) {
    size_t j = i;
    while (j < len && name[j] != '_' && name[j] != '-' && name[j] != '.')
      j++;
    if (j > i) {
      comp[nc] = name + i;
      clen[nc++] = j - i;
    }
    i = j + 1;
  }
  if (nc == 0 || word_in(comp[nc - 1], clen[nc - 1], file_words, 5))
    return false;
  for (size_t k = 0; k < nc; k++) {
    if (word_in(comp[k], clen[k], words, sizeof(words) / sizeof(words[0])))
      return true;
    if (k > 0 && clen[k] == 3 && strncasecmp(comp[k], "key", 3) == 0 &&
        word_in(comp[k - 1], clen[k - 1], key_owners, sizeof(key_owners) / sizeof(key_owners[0])))
      return true;
  }
  return false;
}

static void check_secret_vars(struct ctx *c)
{
  for (size_t i = 0; i < c->v->n; i++) {
    const lint_instr_t *in = &c->v->v[i];
    bool arg = is(in, "ARG");
    if (!arg && !is(in, "ENV"))
      continue;
    char **w = in->argv;
    if (!arg && w[0] && !strchr(w[0], '=')) {
      /* Legacy "ENV NAME value": flagged when it has a value. */
      if (w[1] && secret_name(w[0], strlen(w[0])))
        pyoci_lint_add(c->out, "PYO004", in->line, "ENV %s: a secret in an environment variable ships in the image",
                 w[0]);
      continue;
    }
    for (; *w; w++) {
      const char *eq = strchr(*w, '=');
      size_t n = eq ? (size_t)(eq - *w) : strlen(*w);
      /* In "ENV A=x y" the "y" belongs to A's value; only NAME= words count. */
      if ((!arg && eq == NULL) || n == 0 || !secret_name(*w, n))
        continue;
      if (!arg && (eq[1] == '\0' || strcmp(eq + 1, "\"\"") == 0 || strcmp(eq + 1, "''") == 0))
        continue;
      pyoci_lint_add(c->out, "PYO004", in->line, "%s %.*s: %s", in->cmd, (int)n, *w,
               arg ? "build arguments are recorded in the image history"
                   : "a secret in an environment variable ships in the image");
    }
  }
}

/* ---- PYO005..PYO008, PYO012: RUN ---- */

/* apt-get's subcommand: the first word that is not an option or the value
 * of one (-o X, -t X, -c X). */
static const char *apt_subcommand(const lint_cmd_t *cmd)
{
  for (size_t i = 1; i < cmd->n; i++) {
    const char *w = cmd->words[i];
    if (w[0] != '-')
      return w;
    if (strcmp(w, "-o") == 0 || strcmp(w, "-t") == 0 || strcmp(w, "-c") == 0 ||
        strcmp(w, "--option") == 0 || strcmp(w, "--target-release") == 0 || strcmp(w, "--config-file") == 0)
      i++;
  }
  return "";
}

static bool apt_assumes_yes(const lint_cmd_t *cmd)
{
  for (size_t i = 1; i < cmd->n; i++) {
    const char *w = cmd->words[i];
    if (strcmp(w, "--yes") == 0 || strcmp(w, "--assume-yes") == 0 || strcmp(w, "--quiet=2") == 0 ||
        strcmp(w, "-q=2") == 0 || strcasestr(w, "Assume-Yes=true") || strcasestr(w, "Assume-Yes=1"))
      return true;
    if (w[0] == '-' && w[1] != '-' && w[1] != '\0') {
      /* Short option bundles: -y, -qy, -yq; -qq implies -y. */
      int q = 0;
      bool letters = true;
      for (const char *p = w + 1; *p; p++) {
        letters = letters && isalpha((unsigned char)*p);
        q += *p == 'q';
        if (*p == 'y' && letters)
          return true;
      }
      if (letters && q >= 2)
        return true;
    }
  }
  return false;
}

static bool apt_no_recommends(const lint_cmd_t *cmd)
{
  for (size_t i = 1; i < cmd->n; i++)
    if (strcmp(cmd->words[i], "--no-install-recommends") == 0 ||
        strcasestr(cmd->words[i], "Install-Recommends=false") || strcasestr(cmd->words[i], "Install-Recommends=0"))
      return true;
  return false;
}

static bool name_matches(const char *name, const char *stem)
{
  size_t n = strlen(stem);
  if (strncmp(name, stem, n) != 0)
    return false;
  for (const char *p = name + n; *p; p++)
    if (!isdigit((unsigned char)*p) && *p != '.')
      return false;
  return true;
}

/* "pip install", "pip3.11 install", "python3 -m pip install". */
static bool is_pip_install(const lint_cmd_t *cmd)
{
  size_t i = 1;
  const char *name = pyoci_lint_cmd_name(cmd);
  if (name_matches(name, "python") && cmd->n > 2 && strcmp(cmd->words[1], "-m") == 0 &&
      strcmp(cmd->words[2], "pip") == 0)
    i = 3;
  else if (!name_matches(name, "pip"))
    return false;
  for (; i < cmd->n; i++)
    if (cmd->words[i][0] != '-')
      return strcmp(cmd->words[i], "install") == 0;
  return false;
}

static bool has_prefix_word(const lint_cmd_t *cmd, const char *prefix)
{
  for (size_t i = 1; i < cmd->n; i++)
    if (strncmp(cmd->words[i], prefix, strlen(prefix)) == 0)
      return true;
  return false;
}

/* "set -o pipefail", "set -euo pipefail", "set -eux -o pipefail". */
static bool sets_pipefail(const lint_cmd_t *cmd)
{
  if (strcmp(pyoci_lint_cmd_name(cmd), "set") != 0)
    return false;
  for (size_t i = 2; i < cmd->n; i++) {
    const char *prev = cmd->words[i - 1];
    if (strcmp(cmd->words[i], "pipefail") == 0 && prev[0] == '-' && prev[strlen(prev) - 1] == 'o')
      return true;
  }
  return false;
}

static bool any_flag_contains(const lint_instr_t *in, const char *needle)
{
  for (char **f = in->flags; *f; f++)
    if (strstr(*f, needle))
      return true;
  return false;
}

/* Per-stage state the RUN checks need, inherited along FROM <stage>. */
struct run_state {
  bool pipefail_shell; /* SHELL [... "-o", "pipefail" ...] */
  bool non_posix;      /* SHELL is PowerShell / cmd: pipes mean other things */
  bool pip_no_cache;   /* ENV/ARG PIP_NO_CACHE_DIR */
};

static void note_shell(const lint_instr_t *in, struct run_state *rs)
{
  if (!in->json || in->argv[0] == NULL)
    return;
  const char *sh = strrchr(in->argv[0], '/') ? strrchr(in->argv[0], '/') + 1 : in->argv[0];
  rs->non_posix = strncasecmp(sh, "pwsh", 4) == 0 || strncasecmp(sh, "powershell", 10) == 0 ||
                  strncasecmp(sh, "cmd", 3) == 0;
  rs->pipefail_shell = false;
  for (size_t i = 1; in->argv[i] && in->argv[i + 1]; i++)
    if (in->argv[i][0] == '-' && in->argv[i][strlen(in->argv[i]) - 1] == 'o' && strcmp(in->argv[i + 1], "pipefail") == 0)
      rs->pipefail_shell = true;
}

static void check_run(struct ctx *c, const lint_instr_t *in, const struct run_state *rs)
{
  if (in->json || rs->non_posix)
    return;
  lint_script_t sc;
  pyoci_lint_script_parse(in->args, &sc);
  bool apt_used = false, lists_removed = false, pipefail = rs->pipefail_shell;
  bool yes_reported = false, rec_reported = false, pip_reported = false;
  bool pip_cache_mount = any_flag_contains(in, ".cache/pip");
  for (size_t k = 0; k < sc.n; k++) {
    const lint_cmd_t *cmd = &sc.cmds[k];
    const char *name = pyoci_lint_cmd_name(cmd);
    pipefail = pipefail || sets_pipefail(cmd);
    if (strcmp(name, "rm") == 0 && has_prefix_word(cmd, "/var/lib/apt/lists"))
      lists_removed = true;
    if (strcmp(name, "apt-get") == 0) {
      const char *sub = apt_subcommand(cmd);
      bool install = strcmp(sub, "install") == 0;
      apt_used = apt_used || install || strcmp(sub, "update") == 0;
      if (install && !yes_reported && !apt_assumes_yes(cmd)) {
        pyoci_lint_add(c->out, "PYO005", in->line, "apt-get install without -y waits for an answer the build cannot give");
        yes_reported = true;
      }
      if (install && !rec_reported && !apt_no_recommends(cmd)) {
        pyoci_lint_add(c->out, "PYO006", in->line, "apt-get install without --no-install-recommends");
        rec_reported = true;
      }
    }
    if (!pip_reported && !rs->pip_no_cache && !pip_cache_mount && is_pip_install(cmd) &&
        !has_prefix_word(cmd, "--no-cache-dir")) {
      pyoci_lint_add(c->out, "PYO008", in->line, "%s install without --no-cache-dir keeps pip's cache in the layer", name);
      pip_reported = true;
    }
  }
  if (apt_used && !lists_removed && !any_flag_contains(in, "/var/lib/apt"))
    pyoci_lint_add(c->out, "PYO007", in->line, "apt-get lists stay in the layer: add 'rm -rf /var/lib/apt/lists/*' to this RUN");
  if (sc.has_pipe && !pipefail)
    pyoci_lint_add(c->out, "PYO012", in->line, "RUN uses a pipe without 'set -o pipefail' (or a SHELL with -o pipefail)");
  pyoci_lint_script_release(&sc);
}

static void check_runs(struct ctx *c)
{
  struct run_state *states = xcalloc(c->n_st ? c->n_st : 1, sizeof(*states));
  for (size_t si = 0; si < c->n_st; si++) {
    struct run_state *rs = &states[si];
    if (c->st[si].base >= 0)
      *rs = states[c->st[si].base];
    for (size_t i = c->st[si].from + 1; i < c->st[si].end; i++) {
      const lint_instr_t *in = &c->v->v[i];
      if (is(in, "SHELL"))
        note_shell(in, rs);
      else if ((is(in, "ENV") || is(in, "ARG")) && strstr(in->args, "PIP_NO_CACHE_DIR"))
        rs->pip_no_cache = true;
      else if (is(in, "RUN"))
        check_run(c, in, rs);
    }
  }
  free(states);
}

/* ---- PYO010: EXPOSE 22 ---- */

static void check_expose(struct ctx *c)
{
  for (size_t i = 0; i < c->v->n; i++) {
    const lint_instr_t *in = &c->v->v[i];
    if (!is(in, "EXPOSE"))
      continue;
    for (char **w = in->argv; *w; w++) {
      char *end;
      long lo = strtol(*w, &end, 10), hi = lo;
      if (end == *w)
        continue;
      if (*end == '-')
        hi = strtol(end + 1, &end, 10);
      if ((*end == '\0' || *end == '/') && lo <= 22 && 22 <= hi) {
        pyoci_lint_add(c->out, "PYO010", in->line, "EXPOSE %s: port 22 is SSH", *w);
        break;
      }
    }
  }
}

/* ---- PYO011: COPY --from ---- */

static void check_copy_from(struct ctx *c)
{
  for (size_t si = 0; si < c->n_st; si++) {
    for (size_t i = c->st[si].from + 1; i < c->st[si].end; i++) {
      const lint_instr_t *in = &c->v->v[i];
      const char *from = is(in, "COPY") ? pyoci_lint_instr_flag(in, "from") : NULL;
      if (from == NULL || *from == '\0' || strpbrk(from, "/:.@$") != NULL)
        continue;
      char *end;
      long idx = strtol(from, &end, 10);
      bool numeric = *end == '\0';
      if ((numeric && idx >= 0 && (size_t)idx < si) || (!numeric && stage_by_name(c, from, si) >= 0))
        continue;
      bool later = !numeric && stage_by_name(c, from, c->n_st) >= 0;
      pyoci_lint_add(c->out, "PYO011", in->line, "COPY --from=%s: %s", from,
               later ? "that stage is not defined before this one" : "no earlier stage has this name or index");
    }
  }
}

void pyoci_lint_run_checks(const lint_view_t *view, pyoci_lint_result_t *out)
{
  struct ctx c = {.v = view, .out = out};
  build_stages(&c);
  check_user_and_healthcheck(&c);
  check_from_tags(&c);
  check_add(&c);
  check_secret_vars(&c);
  check_runs(&c);
  check_expose(&c);
  check_copy_from(&c);
  for (size_t i = 0; i < c.n_st; i++) {
    free(c.st[i].name);
    free(c.st[i].image);
  }
  free(c.st);
}
