/* Ownership of typed instructions and their string vectors: freeing,
 * clearing and deep copies (expansion works on a copy of the parsed
 * instruction, ONBUILD triggers are copied out of their one-line parse). */
#include <stdlib.h>
#include <string.h>

#include "lib/util/alloc.h"
#include "instr_int.h"

void pyoci_df_strv_push(char ***v, size_t *n, char *s)
{
  char **nv = xreallocarray(*v, *n + 2, sizeof(char *));
  pyoci_xcheck(s); /* callers pass a fresh copy straight in */
  nv[(*n)++] = s;
  nv[*n] = NULL;
  *v = nv;
}

void pyoci_df_strv_free(char **v, size_t n)
{
  for (size_t i = 0; v && i < n; i++)
    free(v[i]);
  free(v);
}

char **pyoci_df_strv_dup(char *const *v, size_t n)
{
  if (v == NULL)
    return NULL;
  char **r = xcalloc(n + 1, sizeof(char *));
  for (size_t i = 0; i < n; i++)
    r[i] = xstrdup(v[i]);
  return r;
}

void pyoci_df_heredocs_free(pyoci_df_heredoc_t *h, size_t n)
{
  for (size_t i = 0; h && i < n; i++) {
    free(h[i].name);
    free(h[i].content);
    free(h[i].data);
  }
  free(h);
}

pyoci_df_heredoc_t *pyoci_df_heredocs_dup(const pyoci_df_heredoc_t *h, size_t n)
{
  if (n == 0)
    return NULL;
  pyoci_df_heredoc_t *o = xcalloc(n, sizeof(*o));
  for (size_t i = 0; i < n; i++) {
    o[i] = h[i];
    o[i].name = xstrdup(h[i].name);
    o[i].content = xstrdup(h[i].content);
    o[i].data = xstrdup(h[i].data);
  }
  return o;
}

void pyoci_df_instr_clear(pyoci_df_instr_t *in)
{
  free(in->original);
  pyoci_df_strv_free(in->flags, in->n_flags);
  pyoci_df_strv_free(in->cmd, in->n_cmd);
  pyoci_df_heredocs_free(in->heredocs, in->n_heredocs);
  pyoci_df_strv_free(in->args, in->n_args);
  for (size_t i = 0; i < in->n_kvs; i++) {
    free(in->kvs[i].key);
    free(in->kvs[i].value);
  }
  free(in->kvs);
  free(in->image);
  free(in->stage_name);
  free(in->platform);
  free(in->network);
  free(in->security);
  pyoci_df_strv_free(in->mounts, in->n_mounts);
  pyoci_df_strv_free(in->srcs, in->n_srcs);
  for (size_t i = 0; i < in->n_inlines; i++) {
    free(in->inlines[i].path);
    free(in->inlines[i].data);
  }
  free(in->inlines);
  free(in->dest);
  free(in->from);
  free(in->chown);
  free(in->chmod);
  free(in->checksum);
  pyoci_df_strv_free(in->excludes, in->n_excludes);
  pyoci_df_strv_free(in->hc_test, in->n_hc_test);
  free(in->onbuild_expr);
  pyoci_df_instr_free(in->onbuild);
  memset(in, 0, sizeof(*in));
}

void pyoci_df_instr_free(pyoci_df_instr_t *in)
{
  if (in == NULL)
    return;
  pyoci_df_instr_clear(in);
  free(in);
}

static char *dup_or_null(const char *s)
{
  return s ? xstrdup(s) : NULL;
}

pyoci_df_instr_t *pyoci_df_instr_dup(const pyoci_df_instr_t *in)
{
  if (in == NULL)
    return NULL;
  pyoci_df_instr_t *o = xcalloc(1, sizeof(*o));
  *o = *in;
  o->original = dup_or_null(in->original);
  o->flags = pyoci_df_strv_dup(in->flags, in->n_flags);
  o->cmd = pyoci_df_strv_dup(in->cmd, in->n_cmd);
  o->heredocs = pyoci_df_heredocs_dup(in->heredocs, in->n_heredocs);
  o->args = pyoci_df_strv_dup(in->args, in->n_args);
  o->kvs = NULL;
  if (in->n_kvs) {
    o->kvs = xcalloc(in->n_kvs, sizeof(*o->kvs));
    for (size_t i = 0; i < in->n_kvs; i++)
      o->kvs[i] = (pyoci_df_kv_t){xstrdup(in->kvs[i].key), dup_or_null(in->kvs[i].value), in->kvs[i].legacy};
  }
  o->image = dup_or_null(in->image);
  o->stage_name = dup_or_null(in->stage_name);
  o->platform = dup_or_null(in->platform);
  o->network = dup_or_null(in->network);
  o->security = dup_or_null(in->security);
  o->mounts = pyoci_df_strv_dup(in->mounts, in->n_mounts);
  o->srcs = pyoci_df_strv_dup(in->srcs, in->n_srcs);
  o->inlines = NULL;
  if (in->n_inlines) {
    o->inlines = xcalloc(in->n_inlines, sizeof(*o->inlines));
    for (size_t i = 0; i < in->n_inlines; i++)
      o->inlines[i] = (pyoci_df_inline_t){xstrdup(in->inlines[i].path), xstrdup(in->inlines[i].data),
                                          in->inlines[i].expand};
  }
  o->dest = dup_or_null(in->dest);
  o->from = dup_or_null(in->from);
  o->chown = dup_or_null(in->chown);
  o->chmod = dup_or_null(in->chmod);
  o->checksum = dup_or_null(in->checksum);
  o->excludes = pyoci_df_strv_dup(in->excludes, in->n_excludes);
  o->hc_test = pyoci_df_strv_dup(in->hc_test, in->n_hc_test);
  o->onbuild_expr = dup_or_null(in->onbuild_expr);
  o->onbuild = pyoci_df_instr_dup(in->onbuild);
  return o;
}
