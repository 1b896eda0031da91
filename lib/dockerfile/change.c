/* `--change 'INSTRUCTION'` for pyoci import, as `docker import --change` /
 * `docker commit --change` do it (moby's BuildFromConfig): the instruction
 * is parsed by the Dockerfile parser, its variables are expanded against the
 * image's Env, and it is applied by the same code as a build's metadata
 * steps -- so quoting, exec/shell form, HEALTHCHECK and ONBUILD behave
 * exactly as in a Dockerfile. */
#include "change.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util/cleanup.h"
#include "lib/util/strbuf.h"
#include "dockerfile.h"
#include "expand.h"
#include "imgconfig.h"
#include "plan.h"

#define MAX_CHANGE_LEN 65536

/* moby's validCommitCommands */
static bool change_allowed(pyoci_df_kind_t k)
{
  switch (k) {
  case PYOCI_DF_CMD:
  case PYOCI_DF_ENTRYPOINT:
  case PYOCI_DF_ENV:
  case PYOCI_DF_EXPOSE:
  case PYOCI_DF_HEALTHCHECK:
  case PYOCI_DF_LABEL:
  case PYOCI_DF_ONBUILD:
  case PYOCI_DF_STOPSIGNAL:
  case PYOCI_DF_USER:
  case PYOCI_DF_VOLUME:
  case PYOCI_DF_WORKDIR:
    return true;
  default:
    return false;
  }
}

/* The one instruction of `change`, parsed after a FROM line so the parser
 * sees an ordinary Dockerfile. */
static pyoci_df_instr_t *parse_change(const char *change, pyoci_error_t **err)
{
  if (strlen(change) > MAX_CHANGE_LEN) {
    pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "instruction longer than %d bytes", MAX_CHANGE_LEN);
    return NULL;
  }
  if (strchr(change, '\n') != NULL) {
    pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "one instruction per --change");
    return NULL;
  }
  cleanup_strbuf strbuf_t text = STRBUF_INIT;
  strbuf_addf(&text, "FROM scratch\n%s\n", change);
  cleanup_dockerfile pyoci_dockerfile_t *df = pyoci_dockerfile_parse(text.buf, text.len, "--change", err);
  if (df == NULL)
    return NULL;
  if (df->n_instrs != 2) {
    pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "no Dockerfile instruction");
    return NULL;
  }
  const pyoci_df_instr_t *in = &df->instrs[1];
  if (!change_allowed(in->kind)) {
    pyoci_error_set_code(err, PYOCI_E_INVALID, 0,
                         "%s is not supported (use CMD, ENTRYPOINT, ENV, EXPOSE, HEALTHCHECK, LABEL, ONBUILD, "
                         "STOPSIGNAL, USER, VOLUME, WORKDIR)",
                         pyoci_df_kind_name(in->kind));
    return NULL;
  }
  return pyoci_df_instr_dup(in);
}

/* The parser's messages start "--change:2: " (the FROM line is ours): the
 * "--change 'TEXT'" prefix already says where. */
static void drop_line_prefix(pyoci_error_t **err)
{
  static const char prefix[] = "--change:2: ";
  if (err && *err && strncmp((*err)->msg, prefix, sizeof(prefix) - 1) == 0)
    memmove((*err)->msg, (*err)->msg + sizeof(prefix) - 1, strlen((*err)->msg) - (sizeof(prefix) - 1) + 1);
}

static int apply_one(json_t *config, const char *change, bool *cmd_set, pyoci_error_t **err)
{
  pyoci_df_instr_t *in = parse_change(change, err);
  if (in == NULL) {
    drop_line_prefix(err);
    return pyoci_error_prefix(err, "--change '%s'", change);
  }
  cleanup_env pyoci_env_t env = PYOCI_ENV_INIT;
  pyoci_image_env_merge(config, &env);
  pyoci_df_instr_t *ex = pyoci_df_instr_expand(in, '\\', &env, err);
  pyoci_df_instr_free(in);
  if (ex == NULL)
    return pyoci_error_prefix(err, "--change '%s'", change);
  int r = pyoci_imgconfig_apply(config, ex, cmd_set, err);
  pyoci_df_instr_free(ex);
  if (r < 0)
    return pyoci_error_prefix(err, "--change '%s'", change);
  return 0;
}

int pyoci_changes_apply(json_t *config, const char *const *changes, size_t n, pyoci_error_t **err)
{
  /* One stage, as BuildFromConfig runs them: a CMD given here survives a
   * later ENTRYPOINT. */
  bool cmd_set = false;
  for (size_t i = 0; i < n; i++)
    if (apply_one(config, changes[i], &cmd_set, err) < 0)
      return -1;
  return 0;
}
