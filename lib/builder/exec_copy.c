/* COPY and ADD steps: sources from the context (after .dockerignore), a
 * stage or an image, or downloaded URLs; the cache key over their content;
 * the copy itself is copy.c's. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "add_url.h"
#include "cache.h"
#include "copy.h"
#include "executor_int.h"
#include "lib/dockerfile/history.h"
#include "lib/dockerfile/imgconfig.h"
#include "lib/util/cleanup.h"
#include "lib/util/fs.h"
#include "lib/util/json.h"
#include "lib/util/strbuf.h"

/* ---- COPY / ADD ---- */

static bool ignore_cb(void *ctx, const char *rel, bool is_dir)
{
  return pyoci_ignore_match(ctx, rel, is_dir);
}

static bool reinclude_cb(void *ctx, const char *rel, bool is_dir)
{
  return is_dir && pyoci_ignore_dir_may_reinclude(ctx, rel);
}

/* COPY <<EOF DEST: DEST is the file, unless it names a directory (trailing
 * '/'), where the file takes the heredoc's name. */
static int write_inline_sources(const pyoci_df_instr_t *in, const char *merged, const char *workdir,
                                pyoci_error_t **err)
{
  for (size_t i = 0; i < in->n_inlines; i++) {
    const char *dest = in->dest;
    size_t dl = strlen(dest);
    bool into_dir = dl == 0 || dest[dl - 1] == '/' || strcmp(dest, ".") == 0;
    cleanup_free char *abs = dest[0] == '/' ? strdup(dest) : pyoci_path_join(workdir, dest);
    cleanup_free char *target = into_dir ? pyoci_path_join(abs, in->inlines[i].path) : strdup(abs);
    if (pyoci_write_in_root(merged, target, in->inlines[i].data, strlen(in->inlines[i].data), 0644, err) < 0)
      return -1;
  }
  return 0;
}

static int parse_chmod(const char *s, int *mode)
{
  char *end = NULL;
  long v = strtol(s, &end, 8);
  if (*s == '\0' || *end != '\0' || v < 0 || v > 07777)
    return -1;
  *mode = (int)v;
  return 0;
}

/* ADD sources: all URLs (downloaded) or all local; git sources are not
 * supported; --checksum only goes with a URL. */
static int check_add_sources(builder_t *b, const pyoci_df_instr_t *in, bool *urls, pyoci_error_t **err)
{
  size_t n_urls = 0;
  for (size_t i = 0; i < in->n_srcs; i++) {
    const char *src = in->srcs[i];
    if (strncmp(src, "git@", 4) == 0 || strncmp(src, "git://", 6) == 0 ||
        (pyoci_is_url(src) && strstr(src, ".git") != NULL && strstr(src, ".git") + 4 == src + strlen(src)))
      return pyoci_error_set_code(err, PYOCI_E_INVALID, 0,
                                  "%s:%d: ADD from a git repository ('%s') is not supported: clone it and COPY",
                                  b->df->name, in->line, src);
    n_urls += pyoci_is_url(src);
  }
  if (n_urls > 0 && in->from != NULL)
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "%s:%d: ADD --from cannot take a URL", b->df->name, in->line);
  if (n_urls > 0 && n_urls < in->n_srcs)
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0,
                                "%s:%d: ADD mixes URLs and local sources: put them in separate ADD instructions",
                                b->df->name, in->line);
  if (in->checksum && n_urls == 0)
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "%s:%d: checksum can't be specified for non-HTTP(S) sources",
                                b->df->name, in->line);
  *urls = n_urls > 0;
  return 0;
}

int pyoci_exec_copy(stage_run_t *r, const pyoci_df_instr_t *raw, size_t idx, pyoci_error_t **err)
{
  builder_t *b = r->b;
  bool add = raw->kind == PYOCI_DF_ADD;
  pyoci_df_instr_t *in = pyoci_stage_state_expand(&r->st, raw, err);
  if (in == NULL)
    return pyoci_exec_fail_at(b, raw, err);
  int rc = -1;
  copy_source_t cs = {0};
  pyoci_url_stage_t staged = {0};
  pyoci_step_t *step = NULL;
  cleanup_free char *created_by = NULL;
  cleanup_free char *text = NULL;
  cleanup_json json_t *desc = NULL;
  char key[PYOCI_DIGEST_LEN];
  int chmod = -1;
  if (in->chmod && parse_chmod(in->chmod, &chmod) < 0) {
    pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "%s:%d: invalid --chmod value '%s'", b->df->name, in->line,
                         in->chmod);
    goto out;
  }
  bool urls = false;
  if (add && check_add_sources(b, in, &urls, err) < 0)
    goto out;
  if (urls && pyoci_add_urls_stage(b->s, in->srcs, in->n_srcs, in->dest, in->checksum, &staged, err) < 0) {
    pyoci_exec_fail_at(b, in, err);
    goto out;
  }
  const char *workdir = pyoci_exec_config_str(r->st.image, "WorkingDir", "/");
  pyoci_copy_t c = {.src_root = b->context, .srcs = (const char *const *)in->srcs, .n_srcs = in->n_srcs,
                    .dest = in->dest, .workdir = workdir, .chmod = chmod, .keep_owner = in->from != NULL,
                    .extract_archives = add && in->from == NULL && !urls, .instruction = add ? "ADD" : "COPY"};
  if (urls) {
    /* Downloads are copied from the staging directory, never extracted. */
    c.src_root = staged.dir;
    c.srcs = (const char *const *)staged.names;
  } else if (in->from == NULL && b->ignore) {
    c.exclude = ignore_cb;
    c.reinclude = reinclude_cb;
    c.exclude_ctx = b->ignore;
  }

  /* The cache key: parent, the instruction as it runs, and its sources. */
  char content[PYOCI_DIGEST_LEN] = "";
  if (in->from == NULL) {
    if (in->n_srcs > 0 && pyoci_copy_hash(&c, content, err) < 0) {
      pyoci_exec_fail_at(b, in, err);
      goto out;
    }
  } else {
    int from_stage = idx < r->b->plan->stages[r->stage_index].n_instrs
                         ? r->b->plan->stages[r->stage_index].copy_stage[idx]
                         : -1;
    if (pyoci_exec_source_resolve(r, in->from, from_stage, in->line, "COPY --from", &cs, err) < 0)
      goto out;
    memcpy(content, cs.res->key, PYOCI_DIGEST_LEN);
  }
  desc = json_pack("{s:s, s:s, s:o, s:s, s:s, s:s, s:s}", "op", add ? "ADD" : "COPY", "dest",
                                        in->dest, "srcs", json_array(), "workdir", workdir, "chown",
                                        in->chown ? in->chown : "", "chmod", in->chmod ? in->chmod : "", "from",
                                        in->from ? in->from : "");
  for (size_t i = 0; i < in->n_srcs; i++)
    json_array_append_new(json_object_get(desc, "srcs"), json_string(in->srcs[i]));
  for (size_t i = 0; i < in->n_inlines; i++) {
    json_array_append_new(json_object_get(desc, "srcs"), json_string(in->inlines[i].path));
    json_array_append_new(json_object_get(desc, "srcs"), json_string(in->inlines[i].data));
  }
  text = pyoci_json_dump_canonical(desc);
  pyoci_cache_key(r->res->key, text, content, key);
  created_by = pyoci_df_history_copy(in);
  int hit = pyoci_exec_cached_or_begin(r, key, created_by, &step, err);
  if (hit != 0) {
    rc = hit;
    goto out;
  }
  if (cs.res != NULL) {
    if (pyoci_view_open(b->s, cs.res->layers, (const char(*)[PYOCI_DIGEST_LEN])cs.res->diff_ids, cs.res->n,
                        &cs.view, &cs.root, err) < 0)
      goto out;
    c.src_root = cs.root;
  }
  c.dest_root = step->merged;
  if (in->chown) {
    if (pyoci_resolve_user(step->merged, in->chown, true, &c.uid, &c.gid, err) < 0) {
      pyoci_exec_fail_at(b, in, err);
      goto out;
    }
    c.chown = true;
  }
  if ((in->n_srcs > 0 && pyoci_copy_run(&c, err) < 0) || write_inline_sources(in, step->merged, workdir, err) < 0) {
    pyoci_exec_fail_at(b, in, err);
    goto out;
  }
  pyoci_view_close(cs.view);
  cs.view = NULL;
  rc = pyoci_exec_commit_step(r, step, key, created_by, err);
out:
  pyoci_step_free(step);
  pyoci_exec_source_release(&cs);
  pyoci_url_stage_release(&staged);
  pyoci_df_instr_free(in);
  return rc;
}
