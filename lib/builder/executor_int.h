/* The executor's shared state and helpers, private to lib/builder: the
 * stage loop (executor.c) and the COPY/ADD step (exec_copy.c) both use
 * them. */
#ifndef PYOCI_BUILDER_EXECUTOR_INT_H
#define PYOCI_BUILDER_EXECUTOR_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "executor.h"
#include "lib/dockerfile/dockerfile.h"
#include "lib/dockerfile/dockerignore.h"
#include "lib/dockerfile/plan.h"
#include "lib/layer/layer.h"
#include "lib/oci/image.h"
#include "lib/util/error.h"
#include "step.h"

/* What a finished (or base) stage is: its config and its layers. */
typedef struct {
  json_t *image;
  pyoci_desc_t *layers;
  char (*diff_ids)[PYOCI_DIGEST_LEN];
  size_t n, cap;
  char key[PYOCI_DIGEST_LEN]; /* cache key of its file system */
  bool built;
  bool building; /* guards an ONBUILD --from naming a stage in progress */
  /* a stage built FROM this one inherits its ARGs, as in BuildKit */
  pyoci_env_t args, declared;
} stage_result_t;

typedef struct {
  pyoci_store_t *s;
  const pyoci_build_opts_t *o;
  pyoci_dockerfile_t *df;
  pyoci_plan_t *plan;
  pyoci_ignore_t *ignore;
  stage_result_t *results;
  pyoci_layer_opts_t lopts;
  const char *context;
} builder_t;

/* The per-instruction view while a stage runs. */
typedef struct {
  builder_t *b;
  size_t stage_index;
  pyoci_stage_state_t st;
  stage_result_t *res;
  char label[64];
  size_t step, total;
  /* When the stage's file system last changed: the base's "created", then
   * each step's time; "" for scratch. */
  char when[PYOCI_TIME_LEN];
} stage_run_t;

/* Where COPY --from reads: a stage result, or an image from the store. */
typedef struct {
  stage_result_t own; /* for an image */
  stage_result_t *res;
  pyoci_view_t *view;
  const char *root;
} copy_source_t;

/* Prefix err with "Dockerfile:LINE" unless it already names the file. */
int pyoci_exec_fail_at(builder_t *b, const pyoci_df_instr_t *in, pyoci_error_t **err);
/* Look a step up in the cache; on a hit record its result and return 1. */
int pyoci_exec_try_cache(stage_run_t *r, const char *key, const char *created_by, pyoci_error_t **err);
/* Mount the stage's layers for a new step. */
int pyoci_exec_begin_step(stage_run_t *r, pyoci_step_t **step, pyoci_error_t **err);
/* A step that may come from the cache: 1 a hit (recorded, nothing to run),
 * 0 a miss with *step begun on the stage's layers, -1 an error. */
int pyoci_exec_cached_or_begin(stage_run_t *r, const char *key, const char *created_by, pyoci_step_t **step,
                               pyoci_error_t **err);
/* Finish a step: its layer, history line and cache record. */
int pyoci_exec_commit_step(stage_run_t *r, pyoci_step_t *step, const char *key, const char *created_by,
                           pyoci_error_t **err);
/* A config.KEY string of the image, or fallback when unset or empty. */
const char *pyoci_exec_config_str(json_t *image, const char *key, const char *fallback);
/* Resolve a --from / from= to a stage result or an image of the store. */
int pyoci_exec_source_resolve(stage_run_t *r, const char *from, int from_stage, int line, const char *what,
                              copy_source_t *cs, pyoci_error_t **err);
void pyoci_exec_source_release(copy_source_t *cs);
/* COPY and ADD (exec_copy.c). */
int pyoci_exec_copy(stage_run_t *r, const pyoci_df_instr_t *raw, size_t idx, pyoci_error_t **err);

#endif
