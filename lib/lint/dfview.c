/* The checks' instruction view, built from the Dockerfile parser's AST
 * (see dfview.h). */
#include "dfview.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/strbuf.h"

struct strv {
  char **v;
  size_t n;
};

static void push(struct strv *s, const char *w)
{
  s->v = xrealloc(s->v, (s->n + 2) * sizeof(char *));
  s->v[s->n] = xstrdup(w ? w : "");
  s->v[++s->n] = NULL;
}

static void push_all(struct strv *s, char *const *w, size_t n)
{
  for (size_t i = 0; i < n; i++)
    push(s, w[i]);
}

/* The words of one instruction, in the shapes lint_rules.c expects. */
static void make_argv(const pyoci_df_instr_t *in, struct strv *a)
{
  switch (in->kind) {
  case PYOCI_DF_FROM:
    push(a, in->image);
    if (in->stage_name) {
      push(a, "AS");
      push(a, in->stage_name);
    }
    break;
  case PYOCI_DF_ENV:
  case PYOCI_DF_ARG:
  case PYOCI_DF_LABEL:
    for (size_t i = 0; i < in->n_kvs; i++) {
      const pyoci_df_kv_t *kv = &in->kvs[i];
      if (kv->legacy) {
        push(a, kv->key);
        push(a, kv->value);
      } else if (kv->value == NULL) {
        push(a, kv->key);
      } else {
        cleanup_strbuf strbuf_t sb = STRBUF_INIT;
        strbuf_addf(&sb, "%s=%s", kv->key, kv->value);
        push(a, strbuf_str(&sb));
      }
    }
    break;
  case PYOCI_DF_RUN:
  case PYOCI_DF_CMD:
  case PYOCI_DF_ENTRYPOINT:
  case PYOCI_DF_SHELL:
    push_all(a, in->cmd, in->n_cmd);
    break;
  default:
    push_all(a, in->args, in->n_args);
    break;
  }
}

static void make_instr(lint_instr_t *out, const pyoci_df_instr_t *in)
{
  memset(out, 0, sizeof(*out));
  out->cmd = xstrdup(pyoci_df_kind_name(in->kind));
  out->line = in->line;
  out->end_line = in->end_line;
  out->json = in->json;
  out->inline_src = in->n_inlines > 0;
  struct strv f = {0}, a = {0};
  push_all(&f, in->flags, in->n_flags);
  make_argv(in, &a);
  out->flags = f.v ? f.v : xcalloc(1, sizeof(char *));
  out->argv = a.v ? a.v : xcalloc(1, sizeof(char *));
  strbuf_t sb = STRBUF_INIT;
  if (in->kind == PYOCI_DF_RUN && !in->json) {
    /* The shell text, then the heredoc bodies it feeds (RUN <<EOF ...). */
    strbuf_addstr(&sb, in->n_cmd ? in->cmd[0] : "");
    for (size_t i = 0; i < in->n_heredocs; i++) {
      strbuf_addch(&sb, '\n');
      strbuf_addstr(&sb, in->heredocs[i].content ? in->heredocs[i].content : "");
    }
  } else {
    for (char **w = out->argv; *w; w++)
      strbuf_addf(&sb, "%s%s", w == out->argv ? "" : " ", *w);
  }
  out->args = strbuf_detach(&sb);
}

int pyoci_lint_view_parse(const char *name, const char *text, size_t len, lint_view_t *out, pyoci_error_t **err)
{
  memset(out, 0, sizeof(*out));
  cleanup_dockerfile pyoci_dockerfile_t *df = pyoci_dockerfile_parse(text, len, name, err);
  if (df == NULL)
    return -1;
  out->escape = df->escape;
  out->v = xcalloc(df->n_instrs ? df->n_instrs : 1, sizeof(*out->v));
  for (size_t i = 0; i < df->n_instrs; i++)
    make_instr(&out->v[out->n++], &df->instrs[i]);
  return 0;
}

static void strv_free(char **v)
{
  for (char **p = v; p && *p; p++)
    free(*p);
  free(v);
}

void pyoci_lint_view_release(lint_view_t *v)
{
  for (size_t i = 0; i < v->n; i++) {
    free(v->v[i].cmd);
    free(v->v[i].args);
    strv_free(v->v[i].flags);
    strv_free(v->v[i].argv);
  }
  free(v->v);
  v->v = NULL;
  v->n = 0;
}

const char *pyoci_lint_instr_flag(const lint_instr_t *in, const char *name)
{
  size_t nl = strlen(name);
  for (char **f = in->flags; f && *f; f++) {
    const char *p = *f;
    while (*p == '-')
      p++;
    if (strncasecmp(p, name, nl) == 0 && (p[nl] == '=' || p[nl] == '\0'))
      return p[nl] == '=' ? p + nl + 1 : "";
  }
  return NULL;
}
