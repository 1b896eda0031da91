/* libFuzzer: arbitrary bytes as a Dockerfile → parse, plan (with a build
 * arg and a target taken from the input), walk every stage through the
 * stage state (expansion + config application), and build RUN argv. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/dockerfile/dockerfile.h"
#include "lib/dockerfile/plan.h"
#include "lib/util/cleanup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void walk_stage(const pyoci_plan_t *p, size_t s)
{
  cleanup_error pyoci_error_t *err = NULL;
  pyoci_stage_state_t st;
  if (pyoci_stage_state_init(&st, p, s, NULL, &err) < 0) {
    pyoci_stage_state_release(&st);
    return;
  }
  const pyoci_stage_t *stage = &p->stages[s];
  for (size_t i = 0; i < stage->n_instrs; i++) {
    const pyoci_df_instr_t *in = &stage->instrs[i];
    pyoci_error_release(&err);
    int r = pyoci_stage_state_apply(&st, in, &err);
    if (r < 0)
      break;
    if (r == 0) {
      pyoci_df_instr_t *x = pyoci_stage_state_expand(&st, in, &err);
      pyoci_df_instr_free(x);
      if (in->kind == PYOCI_DF_RUN) {
        size_t argc = 0;
        char *script = NULL;
        char **argv = pyoci_df_run_argv(in, NULL, 0, &script, &argc);
        free(script);
        pyoci_strvfreep(&argv);
      }
    }
  }
  cleanup_env pyoci_env_t env = PYOCI_ENV_INIT;
  pyoci_stage_state_run_env(&st, &env);
  pyoci_stage_state_release(&st);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  cleanup_error pyoci_error_t *err = NULL;
  pyoci_dockerfile_t *df = pyoci_dockerfile_parse((const char *)data, size, "Dockerfile", &err);
  if (df == NULL)
    return 0;
  /* a target and a build arg derived from the input, to reach those paths */
  const char *target = df->n_instrs && df->instrs[0].stage_name && (size & 1) ? df->instrs[0].stage_name : NULL;
  const char *args[] = {"A=1", "HTTP_PROXY=x"};
  pyoci_plan_opts_t o = {.target = target, .build_args = args, .n_build_args = 2};
  pyoci_plan_t *p = pyoci_plan_new(df, &o, &err);
  if (p != NULL) {
    for (size_t i = 0; i < p->n_order; i++)
      walk_stage(p, p->order[i]);
    free(pyoci_plan_unused_warning(p));
    pyoci_plan_free(p);
  }
  pyoci_dockerfile_free(df);
  return 0;
}
