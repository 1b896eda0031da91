/* The stage planner: from a parsed Dockerfile and the build options to the
 * ordered list of stages `pyoci build` must run, plus the variable scoping
 * rules the executor follows while it runs them.
 *
 * Scoping (Dockerfile reference, BuildKit behaviour):
 *  - ARGs before the first FROM are global: usable in FROM lines (image and
 *    --platform) only.  Inside a stage a bare `ARG name` re-imports the
 *    global value.
 *  - --build-arg values replace ARG defaults, for declared ARGs only; the
 *    others are reported as not consumed.  HTTP_PROXY & co. need no
 *    declaration and reach RUN's environment only.
 *  - BUILDPLATFORM BUILDOS BUILDARCH BUILDVARIANT TARGETPLATFORM TARGETOS
 *    TARGETARCH TARGETVARIANT TARGETSTAGE are global without declaration and
 *    get their value in a stage when declared there; SOURCE_DATE_EPOCH comes
 *    from --build-arg or the caller's environment.
 *  - ENV overrides ARG of the same name.
 *
 * Stage selection: --target (or the last stage) plus, transitively, the
 * stages it builds FROM and COPY --from; the rest is skipped.  A --from
 * that names no stage is an image reference.
 *
 * The executor walks each stage with a pyoci_stage_state_t: expand each
 * instruction against the state's environment (pyoci_stage_state_expand),
 * let pyoci_stage_state_apply handle ARG and the metadata instructions, and
 * run RUN/COPY/ADD itself. */
#ifndef PYOCI_DOCKERFILE_PLAN_H
#define PYOCI_DOCKERFILE_PLAN_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "dockerfile.h"
#include "expand.h"
#include "lib/util/error.h"

typedef struct {
  const char *target;            /* --target, NULL = last stage */
  const char *const *build_args; /* "KEY=VALUE"; a bare "KEY" is ignored (the CLI resolves it) */
  size_t n_build_args;
  const char *platform;          /* target platform "os/arch[/variant]", NULL = the build platform */
  const char *source_date_epoch; /* the caller's $SOURCE_DATE_EPOCH, or NULL */
} pyoci_plan_opts_t;

typedef struct {
  size_t index;                /* position among all stages */
  char *name;                  /* "AS" name, lower case; NULL when unnamed */
  const pyoci_df_instr_t *from;
  char *base;                  /* FROM image after global-ARG expansion */
  int base_stage;              /* the earlier stage FROM names, or -1 */
  char *platform;              /* expanded FROM --platform, NULL when absent */
  const pyoci_df_instr_t *instrs; /* the instructions after FROM (into the Dockerfile's array) */
  size_t n_instrs;
  int *copy_stage;             /* per instruction: COPY --from stage index, else -1 */
  int **mount_stage;           /* per instruction: per RUN --mount, its from= stage index or -1
                                * (NULL for instructions without mounts) */
  bool needed;
} pyoci_stage_t;

typedef struct {
  const pyoci_dockerfile_t *df; /* borrowed: must outlive the plan */
  pyoci_stage_t *stages;        /* every stage, in Dockerfile order */
  size_t n_stages;
  size_t *order;                /* stages to build, dependencies first; the last is the target */
  size_t n_order;
  size_t target;
  pyoci_env_t global_args;      /* global ARG values and the built-ins */
  pyoci_env_t build_args;       /* --build-arg values (SOURCE_DATE_EPOCH added from opts) */
  char **unused_build_args;     /* sorted; NULL-terminated */
  size_t n_unused;
  char *build_platform;         /* "linux/amd64" */
  char *target_platform;
  char *source_date_epoch;      /* effective value, or NULL */
} pyoci_plan_t;

pyoci_plan_t *pyoci_plan_new(const pyoci_dockerfile_t *df, const pyoci_plan_opts_t *opts, pyoci_error_t **err);
void pyoci_plan_free(pyoci_plan_t *plan);
static inline void pyoci_plan_freep(pyoci_plan_t **p)
{
  if (*p)
    pyoci_plan_free(*p);
}
#define cleanup_plan __attribute__((cleanup(pyoci_plan_freep)))

/* Docker's message, or NULL when every build arg was used:
 * "[Warning] One or more build-args [a b] were not consumed" */
char *pyoci_plan_unused_warning(const pyoci_plan_t *plan);

/* The stage a --from names (name, any case, or index), or -1. */
int pyoci_plan_find_stage(const pyoci_plan_t *plan, const char *ref);

/* "stage-N" for unnamed stages, as BuildKit names them. */
const char *pyoci_stage_label(const pyoci_stage_t *st, char buf[32]);

/* This machine as an OCI platform: os, arch (Go names), variant ("" if none). */
void pyoci_host_platform(const char **os, const char **arch, const char **variant);

/* ---- executing one stage ------------------------------------------------ */

typedef struct {
  const pyoci_plan_t *plan;
  const pyoci_stage_t *stage;
  json_t *image;            /* the image config document being built (owned) */
  pyoci_env_t args;         /* ARG values in scope in this stage */
  pyoci_env_t declared;     /* ARGs declared so far, "K=V" ("K=" when no value), for history */
  /* Kept up to date as instructions apply, so N ENV/ARG lines cost O(N),
   * not a rebuild per line (issue 9 item 4): what expansion sees (args
   * overridden by the config's Env), and each Env key's index in the
   * config's Env array (ENV K=V replaces that element without a scan). */
  pyoci_env_t vars;
  pyoci_strmap_t env_pos;
  bool cmd_set;
  char *history;            /* the history line of the instruction apply last handled; NULL: none */
  /* ONBUILD triggers inherited from the base, to run before the stage's own
   * instructions (they were removed from image's OnBuild). */
  pyoci_df_instr_t **triggers;
  size_t n_triggers;
} pyoci_stage_state_t;

/* Start a stage from its base's image config (NULL for scratch): copied,
 * PATH defaulted, OnBuild taken out into triggers. */
int pyoci_stage_state_init(pyoci_stage_state_t *st, const pyoci_plan_t *plan, size_t stage_index,
                           const json_t *base_image, pyoci_error_t **err);
void pyoci_stage_state_release(pyoci_stage_state_t *st);
/* A stage FROM an earlier stage starts with that stage's ARGs (copied). */
void pyoci_stage_state_inherit_args(pyoci_stage_state_t *st, const pyoci_env_t *args, const pyoci_env_t *declared);

/* The environment instructions expand against: ARGs, overridden by the
 * config's Env, in that order (RUN's environment and its cache key keep
 * it).  O(variables): for lookups, st->vars holds the same values. */
void pyoci_stage_state_env(const pyoci_stage_state_t *st, pyoci_env_t *out);
/* Add an image config's config.Env ("K=V" strings) to out, overriding. */
void pyoci_image_env_merge(const json_t *image, pyoci_env_t *out);
/* RUN's environment: the above plus proxy build args not set otherwise. */
void pyoci_stage_state_run_env(const pyoci_stage_state_t *st, pyoci_env_t *out);

/* A copy of `in` with variables expanded where the builder expands them
 * (ADD COPY ENV EXPOSE LABEL STOPSIGNAL USER VOLUME WORKDIR; not RUN CMD
 * ENTRYPOINT SHELL HEALTHCHECK ONBUILD; ARG is resolved by apply).  All
 * values of one instruction see the environment from before it.  Errors
 * are "Dockerfile:N: ...". */
pyoci_df_instr_t *pyoci_stage_state_expand(const pyoci_stage_state_t *st, const pyoci_df_instr_t *in,
                                           pyoci_error_t **err);
/* The same expansion against a given environment (no file:line prefix). */
pyoci_df_instr_t *pyoci_df_instr_expand(const pyoci_df_instr_t *in, char escape, const pyoci_env_t *env,
                                        pyoci_error_t **err);

/* Handle ARG and the metadata instructions (expanding them first).  Returns
 * 1 when done, 0 for RUN/COPY/ADD (the executor's job: use
 * pyoci_stage_state_expand), <0 on error. */
int pyoci_stage_state_apply(pyoci_stage_state_t *st, const pyoci_df_instr_t *in, pyoci_error_t **err);

#endif
